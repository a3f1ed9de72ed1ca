//! What every page shares: state, the error type, the layout, languages, security headers,
//! and the route table.

pub mod confirm;
pub mod error;
pub mod flash;
pub mod i18n;
pub mod layout;
pub mod routes;
pub mod security;
pub mod server;
pub mod state;
