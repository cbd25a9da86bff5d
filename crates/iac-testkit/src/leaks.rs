//! Looking for a secret everywhere a run could have put it: every log line,
//! even at trace level, and every file the run left behind (state, journal,
//! history, saved plans). Providers' "the credential never leaks" tests use
//! both.

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// Everything logged in this process from [`LogCapture::install`] on, at
/// trace level. One per test binary: it installs the global subscriber.
#[derive(Clone, Default)]
pub struct LogCapture(Arc<Mutex<Vec<u8>>>);

impl LogCapture {
    /// The process's one capture: installed by the first caller, shared by
    /// the rest (a test binary holds many tests, and a process has one
    /// global subscriber), so every caller sees everything logged.
    pub fn install() -> LogCapture {
        static CAPTURE: std::sync::OnceLock<LogCapture> = std::sync::OnceLock::new();
        CAPTURE
            .get_or_init(|| {
                let capture = LogCapture::default();
                let writer = capture.clone();
                tracing_subscriber::fmt().with_max_level(tracing::Level::TRACE).with_writer(move || writer.clone()).with_ansi(false).init();
                capture
            })
            .clone()
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
    }
}

impl Write for LogCapture {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The text of every file below `dir`, concatenated (binary files lossily).
pub fn files_text(dir: &Path) -> String {
    let mut out = String::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(bytes) = std::fs::read(&p) {
                out.push_str(&String::from_utf8_lossy(&bytes));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn files_text_reads_nested_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("a/b")).unwrap();
        std::fs::write(dir.path().join("a/b/state.json"), "needle").unwrap();
        assert!(super::files_text(dir.path()).contains("needle"));
    }
}
