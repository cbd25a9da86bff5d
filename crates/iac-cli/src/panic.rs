//! What a panic prints: a short bug report (command, version, message,
//! location) on stderr instead of Rust's message and backtrace hint. The
//! exit status stays Rust's 101 for a panic on the main thread; a panic in
//! a task of the runtime is reported the same way and the command then
//! fails as the engine reports it. `RUST_BACKTRACE=1` adds the backtrace.

use std::sync::OnceLock;

static COMMAND: OnceLock<String> = OnceLock::new();

/// Records the command for the report: its name and the flags given, with
/// no values (a `-var` value may be a secret).
pub fn set_command(name: &str, args: impl Iterator<Item = String>) {
    let flags: Vec<String> = args.filter(|a| a.starts_with('-')).map(|a| a.split('=').next().unwrap_or_default().to_string()).collect();
    let mut c = format!("iac {name}");
    for f in flags {
        c.push(' ');
        c.push_str(&f);
    }
    let _ = COMMAND.set(c);
}

pub fn install() {
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(no message)".into());
        let location = info.location().map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column())).unwrap_or_else(|| "unknown".into());
        let thread = std::thread::current().name().unwrap_or("unnamed").to_string();
        let mut report = format!(
            "\niac crashed: this is a bug in iac, not in your configuration.\n\n  command:  {}\n  version:  iac v{}\n  message:  {message}\n  location: {location} (thread {thread})\n\nPlease report it with the lines above. State stays consistent: every operation reported done is in the journal.\n",
            COMMAND.get().map_or("iac", String::as_str),
            env!("CARGO_PKG_VERSION"),
        );
        if std::env::var_os("RUST_BACKTRACE").is_some_and(|v| v != "0") {
            report.push_str(&format!("\n{}\n", std::backtrace::Backtrace::force_capture()));
        }
        crate::out::stderr(&report);
    }));
}
