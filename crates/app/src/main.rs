//! `parindex`: the web application and every administrative task, in one binary.

mod cli;
mod demo;
mod dossiers_cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::main()
}
