//! Running one child process and measuring it: wall time from spawn to
//! reap, and peak resident memory from the kernel (`wait4`'s
//! `ru_maxrss`, which covers the child and any descendants it reaped).

use std::ffi::OsStr;
use std::fs::File;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What one run of a command cost, and what it said.
#[derive(Debug, Clone)]
pub struct Measured {
    pub wall: Duration,
    /// Peak resident set size, bytes.
    pub peak_rss: u64,
    /// Exit code; `None` when a signal ended it.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Measured {
    pub fn peak_mb(&self) -> f64 {
        self.peak_rss as f64 / (1024.0 * 1024.0)
    }

    /// The last lines of stderr then stdout, for error messages.
    pub fn tail(&self, lines: usize) -> String {
        let mut out = String::new();
        for (name, text) in [("stderr", &self.stderr), ("stdout", &self.stdout)] {
            let all: Vec<&str> = text.lines().collect();
            if all.is_empty() {
                continue;
            }
            let from = all.len().saturating_sub(lines);
            out.push_str(&format!("  --- {name} (last {} lines) ---\n", all.len() - from));
            for l in &all[from..] {
                out.push_str("  ");
                out.push_str(l);
                out.push('\n');
            }
        }
        out
    }
}

/// Runs `program args…` in `dir` with extra `env`, output captured to files
/// in `log_dir` (so a chatty child never blocks on a full pipe), and
/// measures it.
pub fn run<S: AsRef<OsStr>>(program: &Path, args: &[S], dir: &Path, env: &[(&str, &str)], log_dir: &Path, label: &str) -> std::io::Result<Measured> {
    let out_path = log_dir.join(format!("{label}.stdout"));
    let err_path = log_dir.join(format!("{label}.stderr"));
    let mut cmd = Command::new(program);
    cmd.args(args).current_dir(dir).stdin(Stdio::null()).stdout(File::create(&out_path)?).stderr(File::create(&err_path)?);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let start = Instant::now();
    let child = cmd.spawn()?;
    let pid = child.id() as libc::pid_t;
    let (status, usage) = wait4(pid)?;
    let wall = start.elapsed();
    // `child` is reaped already; dropping a std Child neither waits nor kills.
    drop(child);
    let code = if libc::WIFEXITED(status) { Some(libc::WEXITSTATUS(status)) } else { None };
    Ok(Measured {
        wall,
        // Linux reports ru_maxrss in kilobytes.
        peak_rss: (usage.ru_maxrss.max(0) as u64) * 1024,
        code,
        stdout: std::fs::read_to_string(&out_path).unwrap_or_default(),
        stderr: std::fs::read_to_string(&err_path).unwrap_or_default(),
    })
}

// why: wait4(2) is the only call that gives one child's peak RSS; std has none.
#[allow(unsafe_code)]
fn wait4(pid: libc::pid_t) -> std::io::Result<(libc::c_int, libc::rusage)> {
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain old data; zeroed is a valid value, and wait4 fills it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: pid is our own unreaped child; the pointers are to live locals.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == pid {
            return Ok((status, usage));
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_exit_code_time_and_memory() {
        let dir = tempfile::tempdir().unwrap();
        let m = run(Path::new("/bin/sh"), &["-c", "echo hi; echo err >&2; sleep 0.1; exit 3"], dir.path(), &[], dir.path(), "t").unwrap();
        assert_eq!(m.code, Some(3));
        assert_eq!(m.stdout.trim(), "hi");
        assert_eq!(m.stderr.trim(), "err");
        assert!(m.wall >= Duration::from_millis(100));
        assert!(m.peak_rss > 0);
    }
}
