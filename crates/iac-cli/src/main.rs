//! The `iac` binary: parses arguments, picks the concrete providers and
//! state backend, calls the engine's `ops`, and reports results and errors
//! (miette, with source spans for configuration errors).
//!
//! Architecture Invariant: this is the only crate that names concrete
//! providers and backends; commands stay thin over `iac_engine::ops`.

#[macro_use]
mod out;
mod args;
mod commands;
mod locking;
mod panic;
mod remote_state;
mod report;
mod telemetry;
mod tfstate_file;
mod wiring;

use std::process::ExitCode;

fn main() -> ExitCode {
    panic::install();
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
            errln!("error: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    panic::set_command(commands::name(&cli.command), std::env::args().skip(1));
    if std::env::var_os("IAC_TEST_PANIC").is_some() {
        // For the tests of the panic hook: a bug, on demand.
        panic!("IAC_TEST_PANIC is set");
    }
    // The root span of the command; the engine's spans are its children.
    let name = format!("iac {}", commands::name(&cli.command));
    let root = tracing::info_span!("command", otel.name = %name, iac.command = %commands::name(&cli.command));
    let code = rt.block_on(tracing::Instrument::instrument(commands::run(cli), root));
    drop(rt);
    telemetry.shutdown();
    ExitCode::from(out::exit_code(code))
}
