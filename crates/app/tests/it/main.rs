//! End-to-end tests of the `parindex` binary and web application, on SQLite and on
//! PostgreSQL (a fresh schema per test; required under `CI=true`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

mod applicability;
mod auth;
mod authz;
mod browser;
mod browser_cycle;
mod browser_journeys;
mod browser_layout;
mod browser_mapping;
mod browser_reorg;
mod browser_tasks;
mod cli;
mod common;
mod cycle;
mod dossiers;
mod evidence;
mod http;
mod indicators;
mod integrity;
mod mapping;
mod reorg;
mod tasks;
