//! Accounts: sign-in and sign-out, passwords, sessions, the administrators' accounts page.

pub mod account;
pub mod auth;
