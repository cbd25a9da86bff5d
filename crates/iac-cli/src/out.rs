//! The one way the CLI writes to standard output and standard error.
//!
//! Rust's `println!` panics when a write fails, and a closed pipe
//! (`iac state pull | head -c 10`) is a failed write (EPIPE: Rust ignores
//! SIGPIPE). Here a closed stream is a quiet end instead: nothing more is
//! written to it, nothing is reported, and the command finishes what it was
//! doing (an apply never stops halfway because its reader went away: state
//! is saved and the lock released) and exits with its own status. Any other
//! write error (a full disk behind a redirect) is reported once on stderr
//! and makes the command exit 1, since its output is incomplete.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);
static STDERR_CLOSED: AtomicBool = AtomicBool::new(false);
/// A write failed for another reason than a closed pipe.
static FAILED: AtomicBool = AtomicBool::new(false);

#[derive(Clone, Copy)]
enum Stream {
    Out,
    Err,
}

impl Stream {
    fn closed(self) -> &'static AtomicBool {
        match self {
            Stream::Out => &STDOUT_CLOSED,
            Stream::Err => &STDERR_CLOSED,
        }
    }
}

fn write_to(stream: Stream, bytes: &[u8]) {
    if stream.closed().load(Ordering::Relaxed) {
        return;
    }
    let result = match stream {
        Stream::Out => {
            let mut o = io::stdout().lock();
            o.write_all(bytes).and_then(|()| o.flush())
        }
        Stream::Err => io::stderr().lock().write_all(bytes),
    };
    if let Err(e) = result {
        stream.closed().store(true, Ordering::Relaxed);
        if e.kind() != io::ErrorKind::BrokenPipe {
            FAILED.store(true, Ordering::Relaxed);
            if let Stream::Out = stream {
                let _ = writeln!(io::stderr(), "error: cannot write to standard output: {e}");
            }
        }
    }
}

/// Writes text to standard output (see the module docs for a closed pipe).
pub fn stdout(text: &str) {
    write_to(Stream::Out, text.as_bytes());
}

/// Writes bytes to standard output.
pub fn stdout_bytes(bytes: &[u8]) {
    write_to(Stream::Out, bytes);
}

/// Writes text to standard error.
pub fn stderr(text: &str) {
    write_to(Stream::Err, text.as_bytes());
}

/// Standard output in 64 KiB writes, for output streamed in many small
/// pieces (a large plan); what is left is written on drop.
pub struct Buffered {
    buf: Vec<u8>,
}

impl Buffered {
    pub fn new() -> Buffered {
        Buffered { buf: Vec::with_capacity(64 * 1024) }
    }
    pub fn push(&mut self, text: &str) {
        self.buf.extend_from_slice(text.as_bytes());
        if self.buf.len() >= 64 * 1024 {
            self.flush();
        }
    }
    pub fn flush(&mut self) {
        stdout_bytes(&self.buf);
        self.buf.clear();
    }
}

impl Drop for Buffered {
    fn drop(&mut self) {
        self.flush();
    }
}

/// Whether standard output was found closed (a reader that went away).
#[allow(dead_code)]
pub fn stdout_closed() -> bool {
    STDOUT_CLOSED.load(Ordering::Relaxed)
}

/// The exit code after a command that returned `code`: 1 when output was
/// lost to a write error other than a closed pipe.
pub fn exit_code(code: u8) -> u8 {
    if FAILED.load(Ordering::Relaxed) && code == 0 {
        1
    } else {
        code
    }
}

/// `print!` through [`stdout`].
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::out::stdout(&format!($($arg)*))
    };
}

/// `println!` through [`stdout`].
macro_rules! outln {
    () => {
        $crate::out::stdout("\n")
    };
    ($($arg:tt)*) => {{
        let mut s = format!($($arg)*);
        s.push('\n');
        $crate::out::stdout(&s)
    }};
}

/// `eprintln!` through [`stderr`].
macro_rules! errln {
    () => {
        $crate::out::stderr("\n")
    };
    ($($arg:tt)*) => {{
        let mut s = format!($($arg)*);
        s.push('\n');
        $crate::out::stderr(&s)
    }};
}
