//! Shared support of the end-to-end tests: finding the `iac` binary, copying
//! fixture stacks into fresh temporary repositories, running the binary, and
//! comparing output with snapshot files.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Files and folders of a fixture case that describe the test, not the stack.
pub const META: &[&str] = &["expected.plan.txt", "expected.txt", "args", "env", "exit_code", "edit", "forbidden", "README.md", "min_errors"];

/// How long one run of the binary may take before the test fails.
const RUN_TIMEOUT: Duration = Duration::from_secs(90);

/// The `iac` binary: `target/debug/iac`, next to the test binary's `deps/`.
pub fn iac_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let exe = std::env::current_exe().expect("current_exe");
        // target/debug/deps/<test> -> target/debug/iac
        let dir = exe.parent().and_then(Path::parent).expect("target/debug");
        let bin = dir.join(format!("iac{}", std::env::consts::EXE_SUFFIX));
        assert!(bin.is_file(), "the iac binary is missing at {}: run `cargo build -p iac-cli` first", bin.display());
        bin
    })
    .clone()
}

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// The result of one run of the binary.
#[derive(Debug, Clone)]
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    /// Asserts the exit code, showing both streams when it differs.
    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(self.code, code, "unexpected exit code {}\n--- stdout ---\n{}\n--- stderr ---\n{}", self.code, self.stdout, self.stderr);
        self
    }
    #[track_caller]
    pub fn ok(&self) -> &Self {
        self.expect_code(0)
    }
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

/// A stack copied into a fresh temporary repository: `<tmp>/.git/` (empty),
/// `<tmp>/<name>/` (the stack), and state in `<tmp>/state/<name>/`.
pub struct Stack {
    pub tmp: tempfile::TempDir,
    pub name: String,
    pub dir: PathBuf,
    pub env: BTreeMap<String, String>,
}

impl Stack {
    fn empty(name: &str) -> Stack {
        let tmp = tempfile::Builder::new().prefix("iac-e2e-").tempdir().expect("tempdir");
        std::fs::create_dir(tmp.path().join(".git")).expect(".git");
        let dir = tmp.path().join(name);
        std::fs::create_dir_all(&dir).expect("stack dir");
        Stack { tmp, name: name.to_string(), dir, env: BTreeMap::new() }
    }

    /// Copies `fixtures/<rel>` (without its META files) as stack `name`.
    pub fn fixture(rel: &str, name: &str) -> Stack {
        let s = Stack::empty(name);
        copy_dir(&fixtures().join(rel), &s.dir, true);
        s
    }

    /// A stack made of the given files.
    pub fn files(name: &str, files: &[(&str, &str)]) -> Stack {
        let s = Stack::empty(name);
        for (f, text) in files {
            s.write(f, text);
        }
        s
    }

    pub fn root(&self) -> &Path {
        self.tmp.path()
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }

    pub fn write(&self, rel: &str, text: &str) {
        let p = self.path(rel);
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d).expect("mkdir");
        }
        std::fs::write(p, text).expect("write");
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
    }

    pub fn state_dir(&self) -> PathBuf {
        self.root().join("state").join(&self.name)
    }

    /// The command, ready to run in the stack directory with `-no-color`
    /// inserted after the subcommand words.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(iac_bin());
        c.current_dir(&self.dir);
        c.args(args);
        c.arg("-no-color");
        for (k, _) in std::env::vars() {
            if k.starts_with("TF_VAR_") || k.starts_with("IAC_VAR_") || k == "IAC_LOG" || k.starts_with("TF_") {
                c.env_remove(k);
            }
        }
        c.env("NO_COLOR", "1");
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c.stdin(Stdio::null());
        c
    }

    /// Runs `iac ARGS -no-color` in the stack and waits for it.
    pub fn run(&self, args: &[&str]) -> Out {
        self.run_env(args, &[])
    }

    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Out {
        let mut c = self.command(args);
        for (k, v) in env {
            c.env(k, v);
        }
        finish(c.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn iac"), args)
    }

    /// Starts `iac ARGS` in the background; stdout/stderr go to files in the temp dir.
    pub fn spawn(&self, args: &[&str], tag: &str) -> Background {
        let out = self.root().join(format!("{tag}.stdout"));
        let err = self.root().join(format!("{tag}.stderr"));
        let child = self
            .command(args)
            .stdout(std::fs::File::create(&out).expect("stdout file"))
            .stderr(std::fs::File::create(&err).expect("stderr file"))
            .spawn()
            .expect("spawn iac");
        Background { child, out, err }
    }

    pub fn state_json(&self) -> serde_json::Value {
        // iac's own snapshot (`state pull` alone prints Terraform's format).
        let out = self.run(&["state", "pull", "-raw"]);
        out.ok();
        serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("state pull is not JSON ({e}):\n{}", out.stdout))
    }

    pub fn state_list(&self) -> Vec<String> {
        let out = self.run(&["state", "list"]);
        out.ok();
        out.stdout.lines().map(str::to_string).collect()
    }

    /// Normalises temp paths, random ids and timings in `s`.
    pub fn normalize(&self, s: &str) -> String {
        normalize(s, &[self.root()])
    }
}

pub struct Background {
    pub child: Child,
    pub out: PathBuf,
    pub err: PathBuf,
}

impl Background {
    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }
    pub fn stdout(&self) -> String {
        std::fs::read_to_string(&self.out).unwrap_or_default()
    }
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.err).unwrap_or_default()
    }
    /// Polls until `cond` holds on stdout, or panics after `timeout`.
    #[track_caller]
    pub fn wait_stdout(&self, timeout: Duration, what: &str, cond: impl Fn(&str) -> bool) {
        let start = Instant::now();
        while start.elapsed() < timeout {
            if cond(&self.stdout()) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("timed out waiting for {what}\n--- stdout ---\n{}\n--- stderr ---\n{}", self.stdout(), self.stderr());
    }
    pub fn signal(&self, sig: i32) {
        // The kill program rather than kill(2): no unsafe code in the tests.
        let st = std::process::Command::new("kill").arg(format!("-{sig}")).arg(self.child.id().to_string()).status().expect("running kill");
        assert!(st.success(), "kill -{sig} {} failed", self.child.id());
    }
    /// Waits for the process to end and returns its outcome.
    pub fn wait(mut self) -> Out {
        let start = Instant::now();
        let status = loop {
            if let Some(s) = self.child.try_wait().expect("try_wait") {
                break s;
            }
            if start.elapsed() > RUN_TIMEOUT {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("background iac did not finish within {RUN_TIMEOUT:?}\n{}", self.stderr());
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let out = Out { code: code_of(status), stdout: self.stdout(), stderr: self.stderr() };
        assert_no_panic(&out, &["(background)"]);
        out
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn code_of(status: std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status.code().unwrap_or_else(|| 128 + status.signal().unwrap_or(0))
}

fn finish(mut child: Child, args: &[&str]) -> Out {
    let mut so = child.stdout.take().expect("stdout");
    let mut se = child.stderr.take().expect("stderr");
    let t1 = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = so.read_to_string(&mut s);
        s
    });
    let t2 = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = se.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("try_wait") {
            break s;
        }
        if start.elapsed() > RUN_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("iac {args:?} did not finish within {RUN_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let out = Out { code: code_of(status), stdout: t1.join().unwrap_or_default(), stderr: t2.join().unwrap_or_default() };
    assert_no_panic(&out, args);
    out
}

#[track_caller]
fn assert_no_panic(out: &Out, args: &[&str]) {
    assert!(!out.stderr.contains("panicked"), "iac {args:?} panicked:\n{}", out.stderr);
    assert!(out.code != 101, "iac {args:?} exited 101 (a panic):\n{}", out.stderr);
}

/// Copies a directory tree; with `skip_meta`, leaves out the fixture's META entries at the top.
pub fn copy_dir(from: &Path, to: &Path, skip_meta: bool) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).unwrap_or_else(|e| panic!("{}: {e}", from.display())) {
        let e = e.expect("entry");
        let name = e.file_name().to_string_lossy().into_owned();
        if skip_meta && META.contains(&name.as_str()) {
            continue;
        }
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(&name), false);
        } else {
            std::fs::copy(&p, to.join(&name)).expect("copy");
        }
    }
}

/// Fixture case directories under `fixtures/<kind>/`, sorted.
pub fn cases(kind: &str) -> Vec<(String, PathBuf)> {
    let mut out: Vec<(String, PathBuf)> = std::fs::read_dir(fixtures().join(kind))
        .expect("fixtures dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        .collect();
    out.sort();
    out
}

/// Reads a fixture's optional file of arguments, one per line.
pub fn read_lines(p: &Path) -> Vec<String> {
    std::fs::read_to_string(p)
        .map(|s| s.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(str::to_string).collect())
        .unwrap_or_default()
}

/// Replaces what differs between runs: temp paths, UUIDs, timings, pids.
pub fn normalize(s: &str, roots: &[&Path]) -> String {
    static RES: OnceLock<Vec<(regex::Regex, &'static str)>> = OnceLock::new();
    let res = RES.get_or_init(|| {
        vec![
            (regex::Regex::new(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}").unwrap(), "<uuid>"),
            (regex::Regex::new(r"after \d+(\.\d+)?s").unwrap(), "after <time>"),
            (regex::Regex::new(r"\b1[6-9]\d{8}\b").unwrap(), "<timestamp>"),
            (regex::Regex::new(r"/tmp/iac-e2e-[A-Za-z0-9]+").unwrap(), "<tmp>"),
            (regex::Regex::new(r"pid \d+").unwrap(), "pid <pid>"),
        ]
    });
    let mut s = s.to_string();
    for r in roots {
        if let Ok(c) = r.canonicalize() {
            s = s.replace(&c.display().to_string(), "<tmp>");
        }
        s = s.replace(&r.display().to_string(), "<tmp>");
    }
    for (re, rep) in res {
        s = re.replace_all(&s, *rep).into_owned();
    }
    // Trailing spaces are invisible in snapshot files and editors drop them.
    s.lines().map(str::trim_end).collect::<Vec<_>>().join("\n") + if s.ends_with('\n') { "\n" } else { "" }
}

/// Compares `actual` with the snapshot file; with UPDATE_SNAPSHOTS=1 writes it instead.
/// Returns a description of the mismatch (so data-driven tests can report all cases).
pub fn check_snapshot(path: &Path, actual: &str) -> Result<(), String> {
    if std::env::var("UPDATE_SNAPSHOTS").is_ok_and(|v| v == "1") {
        std::fs::write(path, actual).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        return Ok(());
    }
    let expected = match std::fs::read_to_string(path) {
        Ok(e) => e,
        Err(_) => return Err(format!("snapshot {} is missing; run with UPDATE_SNAPSHOTS=1 to create it. Actual:\n{actual}", path.display())),
    };
    if expected == actual {
        return Ok(());
    }
    let mut diff = String::new();
    let (el, al): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    for i in 0..el.len().max(al.len()) {
        let (e, a) = (el.get(i).copied(), al.get(i).copied());
        if e != a {
            diff.push_str(&format!("line {}:\n  expected: {}\n  actual:   {}\n", i + 1, e.unwrap_or("<none>"), a.unwrap_or("<none>")));
        }
    }
    Err(format!("snapshot {} differs (UPDATE_SNAPSHOTS=1 rewrites it):\n{diff}\n--- actual ---\n{actual}", path.display()))
}

#[track_caller]
pub fn assert_snapshot(path: &Path, actual: &str) {
    if let Err(e) = check_snapshot(path, actual) {
        panic!("{e}");
    }
}

impl Stack {
    /// Copies the files of a fixture's `edit/` over the stack (subdirectories
    /// too); a file holding only `DELETE` removes the file instead.
    pub fn apply_edit(&self, edit: &Path) {
        fn copy(stack: &Stack, edit: &Path, rel: &str) {
            for e in std::fs::read_dir(edit).expect("edit dir") {
                let e = e.expect("entry");
                let name = format!("{rel}{}", e.file_name().to_string_lossy());
                if e.path().is_dir() {
                    copy(stack, &e.path(), &format!("{name}/"));
                    continue;
                }
                let text = std::fs::read_to_string(e.path()).expect("edit file");
                if text.trim() == "DELETE" {
                    std::fs::remove_file(stack.path(&name)).unwrap_or_else(|err| panic!("edit: delete {name}: {err}"));
                } else {
                    stack.write(&name, &text);
                }
            }
        }
        copy(self, edit, "");
    }
}

/// One problem for each forbidden string (a secret) found in any of the outputs seen.
pub fn leaked_secrets(name: &str, forbidden: &[String], seen: &[String]) -> Vec<String> {
    let mut problems = Vec::new();
    for f in forbidden {
        for (i, text) in seen.iter().enumerate() {
            if text.contains(f.as_str()) {
                problems.push(format!("{name}: the secret {f:?} appears in output #{i}:\n{text}"));
            }
        }
    }
    problems
}

/// The diagnostics a `-json` run printed (Terraform's machine-readable UI,
/// which iac also writes), in order: each `diagnostic` line's object.
pub fn ui_diagnostics(ui: &str) -> Vec<serde_json::Value> {
    ui.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|j| j["type"] == "diagnostic")
        .map(|mut j| j["diagnostic"].take())
        .collect()
}

/// A diagnostic's range as `file:line,column-line,column`.
pub fn diagnostic_range(d: &serde_json::Value) -> String {
    let r = &d["range"];
    format!("{}:{},{}-{},{}", r["filename"].as_str().unwrap_or_default(), r["start"]["line"], r["start"]["column"], r["end"]["line"], r["end"]["column"])
}

/// The expression values under a diagnostic's snippet, `traversal statement` each.
pub fn snippet_values(d: &serde_json::Value) -> Vec<String> {
    d["snippet"]["values"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| format!("{} {}", v["traversal"].as_str().unwrap_or_default(), v["statement"].as_str().unwrap_or_default()))
        .collect()
}
