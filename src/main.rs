//! Thin entry point: parses the command line and hands over to the library.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = seminarflow::cli::Cli::parse();
    if !matches!(cli.command, seminarflow::cli::Cmd::Serve(_)) {
        seminarflow::logging::init(false, "warn");
    }
    seminarflow::cli::run(cli)
}
