//! The `iac` binary: parses arguments, picks the concrete providers and
//! state backend, calls the engine's `ops`, and reports results and errors
//! (miette, with source spans for configuration errors).
//!
//! Architecture Invariant: this is the only crate that names concrete
//! providers and backends; commands stay thin over `iac_engine::ops`.

mod args;
mod commands;
mod report;
mod wiring;

use std::process::ExitCode;

fn main() -> ExitCode {
    let argv = args::normalize(std::env::args().collect());
    let cli = match <args::Cli as clap::Parser>::try_parse_from(argv) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => ExitCode::SUCCESS,
                _ => ExitCode::from(1),
            };
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("IAC_LOG").unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")))
        .with_writer(std::io::stderr)
        .with_ansi(!cli.no_color && std::env::var_os("NO_COLOR").is_none() && std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .init();
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let code = rt.block_on(commands::run(cli));
    ExitCode::from(code)
}
