//! The `iac` binary: parses arguments, picks the concrete providers and
//! state backend, calls the engine's `ops`, and reports results and errors
//! (miette, with source spans for configuration errors).
//!
//! Architecture Invariant: this is the only crate that names concrete
//! providers and backends; commands stay thin over `iac_engine::ops`.

mod args;
mod commands;
mod report;
mod telemetry;
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
    let ansi = !cli.no_color && std::env::var_os("NO_COLOR").is_none() && std::io::IsTerminal::is_terminal(&std::io::stderr());
    let env: Vec<(String, String)> = std::env::vars().collect();
    let telemetry = telemetry::init(ansi, &env);
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    // The root span of the command; the engine's spans are its children.
    let name = format!("iac {}", commands::name(&cli.command));
    let root = tracing::info_span!("command", otel.name = %name, iac.command = %commands::name(&cli.command));
    let code = rt.block_on(tracing::Instrument::instrument(commands::run(cli), root));
    drop(rt);
    telemetry.shutdown();
    ExitCode::from(code)
}
