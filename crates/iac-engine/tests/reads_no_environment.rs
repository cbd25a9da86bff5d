//! Architecture Invariant: the engine never reads the environment. The
//! user, the machine, the process, the working directory, environment
//! variables and where state lives are the CLI's to find and pass in
//! (`ops::Env`, `statemgr::LockWait`), so tests can control them and the
//! engine behaves the same wherever it runs. This test reads the engine's
//! sources and fails on any way of asking the process for them.

use std::path::Path;

/// What reading the environment looks like in source text.
const FORBIDDEN: &[(&str, &str)] = &[
    ("std::env", "environment variables, arguments or the working directory"),
    ("env::var", "an environment variable"),
    ("current_dir", "the working directory"),
    ("hostname", "the machine's name"),
    ("/proc", "the process table"),
    ("process::id", "the process id"),
    ("/etc/passwd", "the user's name"),
];

fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn the_engine_reads_no_environment() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    files.sort();
    assert!(files.len() > 10, "the engine's sources are found: {files:?}");
    let mut found = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for (n, line) in text.lines().enumerate() {
            for (pattern, what) in FORBIDDEN {
                if line.contains(pattern) {
                    found.push(format!("{}:{}: {what} ({pattern}): {}", f.strip_prefix(&src).unwrap().display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(found.is_empty(), "the engine reads the environment; let the CLI pass it in:\n{}", found.join("\n"));
}
