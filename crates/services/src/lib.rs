//! parindex-services: what the web application and the command line share below the web
//! layer — the evidence file store, passwords and tokens, the follow-up mail, and reading
//! a directive into tasks. Nothing here knows HTTP.

pub mod directives;
pub mod documents;
pub mod files;
pub mod mail;
pub mod passwords;
