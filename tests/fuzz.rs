//! A fuzz harness over the binary: stacks from `fixtures/` (the plan,
//! broken, CLI, drift, Markdown and language corpora) mutated at random
//! (bytes flipped, cut, repeated; HCL tokens and huge names inserted; lines
//! swapped), each run through `iac validate` and `iac plan`. A run fails the
//! test when it exits with anything but 0 or 1 (a panic is 101, a signal
//! 128+N) or takes longer than the bound.
//!
//! Deterministic: a fixed seed and a bounded count run in every
//! `scripts/test`. By hand, longer or with another seed:
//!
//! ```sh
//! IAC_FUZZ_RUNS=5000 IAC_FUZZ_SEED=7 cargo test -p iac-e2e --test suite fuzz:: -- --nocapture
//! ```
//!
//! `IAC_FUZZ_TIMEOUT_MS` changes the per-run bound (default 20 s: a debug
//! build on a loaded two-core machine; runs take well under a second). A
//! failing input is kept and its path printed, with the seed and run number
//! that reproduce it. The fixed regression cases (the campaign's panics and
//! slow paths) run first, every time.

use crate::support;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use support::*;

/// splitmix64: small, fast, and the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Case directories of the corpus: `fixtures/<kind>/<case>` holding `.tf` files.
fn corpus() -> Vec<String> {
    let mut cases = Vec::new();
    let root = fixtures();
    let mut kinds: Vec<PathBuf> = std::fs::read_dir(&root).expect("fixtures").filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_dir()).collect();
    kinds.sort();
    for kind in kinds {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(&kind).expect("kind").filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_dir()).collect();
        dirs.sort();
        for d in dirs {
            if !tf_files(&d).is_empty() {
                cases.push(d.strip_prefix(&root).expect("under fixtures").to_string_lossy().into_owned());
            }
        }
    }
    cases
}

/// Every `.tf` file under `dir`, sorted.
fn tf_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "tf") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Tokens that make HCL interesting where they land.
const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    "\"",
    "${",
    "%{",
    "~}",
    "=",
    "==",
    "\n",
    ".",
    "*",
    "?",
    ":",
    ",",
    "...",
    "=>",
    "<<EOF\n",
    "\nEOF\n",
    "<<-X\n  a\n  X\n",
    "-1",
    "1e999",
    "-1e999",
    "0.1",
    "1/0",
    "null",
    "true",
    "count.index",
    "each.key",
    "each.value",
    "self",
    "var.x",
    "local.y",
    "module.m.o",
    "path.module",
    "terraform.workspace",
    "data.x.y.z",
    "length(",
    "lookup(",
    "merge(",
    "jsonencode(",
    "tolist(",
    "toset(",
    "tomap(",
    "try(",
    "can(",
    "for x in [1,2] : x",
    "if",
    "else",
    "endif",
    "endfor",
    "dynamic \"d\" {",
    "lifecycle {",
    "depends_on = [",
    "count = ",
    "for_each = ",
    "provider = ",
    "sensitive = true",
    "\u{0}",
    "\t",
    "é",
    "漢",
    "\u{202e}",
    "#",
    "//",
    "/*",
    "*/",
];

/// A name or string long enough to have broken error paths and renderers.
fn huge(rng: &mut Rng) -> String {
    let n = *rng.pick(&[300usize, 8_000, 70_000]);
    let c = *rng.pick(&['x', 'y', 'é']);
    std::iter::repeat_n(c, n).collect()
}

/// One to three mutations of `text`.
fn mutate(rng: &mut Rng, text: &[u8]) -> Vec<u8> {
    let mut t = text.to_vec();
    for _ in 0..1 + rng.below(3) {
        let at = rng.below(t.len() + 1);
        match rng.below(9) {
            0 if !t.is_empty() => {
                let i = rng.below(t.len());
                t[i] ^= 1 << rng.below(8);
            }
            1 if !t.is_empty() => {
                let len = 1 + rng.below(16.min(t.len() - at.min(t.len() - 1)));
                let from = at.min(t.len() - 1);
                t.drain(from..(from + len).min(t.len()));
            }
            2 if !t.is_empty() => {
                let from = rng.below(t.len());
                let len = 1 + rng.below(64);
                let piece = t[from..(from + len).min(t.len())].to_vec();
                t.splice(at..at, piece);
            }
            3 => {
                let tok = rng.pick(TOKENS).as_bytes().to_vec();
                t.splice(at..at, tok);
            }
            4 => {
                let h = huge(rng).into_bytes();
                t.splice(at..at, h);
            }
            5 => {
                let mut lines: Vec<Vec<u8>> = t.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
                if lines.len() > 1 {
                    let (a, b) = (rng.below(lines.len()), rng.below(lines.len()));
                    lines.swap(a, b);
                }
                t = lines.join(&b'\n');
            }
            6 => t.truncate(at),
            7 => {
                // A whole new block, sometimes broken.
                let blocks = [
                    "\nlocals {\n  z = 1 + \"X\"\n}\n",
                    "\nlocals {\n  z = local.X\n}\n",
                    "\nresource \"terraform_data\" \"X\" {\n  input = var.X\n}\n",
                    "\noutput \"o\" {\n  value = X(1)\n}\n",
                    "\nvariable \"X\" {\n  type = number\n  default = 1e999\n}\n",
                    "\noutput \"d\" {\n  value = 1 / 0\n}\n",
                ];
                let b = rng.pick(&blocks).replace('X', &huge(rng));
                t.extend_from_slice(b.as_bytes());
            }
            _ => {
                let tok = rng.pick(TOKENS).as_bytes().to_vec();
                let n = 1 + rng.below(200);
                for _ in 0..n {
                    t.splice(at..at, tok.iter().copied());
                }
            }
        }
    }
    t
}

struct Outcome {
    code: i32,
    took: Duration,
    stderr: String,
    timed_out: bool,
}

/// Runs `iac ARGS` in `dir` with a time bound.
fn run_bounded(stack: &Stack, dir: &Path, args: &[&str], bound: Duration) -> Outcome {
    let mut c = stack.command(args);
    c.current_dir(dir).stdout(Stdio::null()).stderr(Stdio::piped());
    let start = Instant::now();
    // A binary being relinked by a concurrent build is briefly missing.
    let mut spawned = c.spawn();
    for _ in 0..10 {
        if spawned.is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
        spawned = c.spawn();
    }
    let mut child = spawned.expect("spawn iac");
    let mut se = child.stderr.take().expect("stderr");
    let reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = se.read_to_end(&mut s);
        String::from_utf8_lossy(&s).into_owned()
    });
    let mut timed_out = false;
    let status = loop {
        if let Some(s) = child.try_wait().expect("try_wait") {
            break s;
        }
        if start.elapsed() > bound {
            timed_out = true;
            let _ = child.kill();
            break child.wait().expect("wait");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let took = start.elapsed();
    use std::os::unix::process::ExitStatusExt;
    let code = status.code().unwrap_or_else(|| 128 + status.signal().unwrap_or(0));
    Outcome { code, took, stderr: reader.join().unwrap_or_default(), timed_out }
}

/// Checks one run; returns a description of what went wrong, if anything.
fn judge(o: &Outcome, args: &[&str], bound: Duration) -> Option<String> {
    if o.timed_out {
        return Some(format!("iac {args:?} ran over the bound of {bound:?}"));
    }
    if o.code != 0 && o.code != 1 {
        let tail: String = o.stderr.chars().rev().take(3000).collect::<Vec<_>>().into_iter().rev().collect();
        return Some(format!("iac {args:?} exited {} after {:?}:\n{tail}", o.code, o.took));
    }
    if o.stderr.contains("panicked at") || o.stderr.contains("iac crashed") {
        return Some(format!("iac {args:?} panicked:\n{}", &o.stderr[..o.stderr.len().min(3000)]));
    }
    None
}

/// Stacks that broke iac before: each must exit 0 or 1 within `bound`.
fn regression_cases() -> Vec<(&'static str, String, Vec<&'static str>)> {
    vec![
        ("wide span (campaign's minimal case)", format!("locals {{ a = 1 + \"{}\" }}\n", "x".repeat(65_533)), vec![]),
        ("highlight past column 65,535", format!("locals {{ a = \"{}\" + 1 }}\n", "x".repeat(70_000)), vec![]),
        ("undeclared 8,000-character local", format!("locals {{\n  a = 1\n  b = local.{}\n}}\n", "y".repeat(8_000)), vec![]),
        (
            "undeclared 70,000-character local after a long line",
            format!("locals {{ a = \"{}\" + local.{} }}\n", "x".repeat(70_000), "y".repeat(70_000)),
            vec![],
        ),
        ("1 MB unknown function", format!("locals {{\n  a = {}(1)\n}}\n", "f".repeat(1_000_000)), vec![]),
        ("unsupported 8,000-character argument", format!("resource \"terraform_data\" \"a\" {{\n  {} = 1\n}}\n", "z".repeat(8_000)), vec![]),
        // The campaign's `-var n=1e999` is a finite number now, as in Terraform
        // (hardening.rs and tf_formats.rs check it is kept); NaN stays an error.
        ("variable set to NaN", "variable \"n\" {\n  type = number\n}\noutput \"o\" {\n  value = var.n\n}\n".into(), vec!["-var=n=NaN"]),
        ("infinite output", "output \"d\" {\n  value = 1 / 0\n}\n".into(), vec![]),
    ]
}

#[test]
fn fixed_regression_cases_end_cleanly_and_quickly() {
    let bound = Duration::from_millis(env_or("IAC_FUZZ_TIMEOUT_MS", 20_000));
    let mut failures = Vec::new();
    for (name, text, extra) in regression_cases() {
        let s = Stack::files("regression", &[("main.tf", &text)]);
        for cmd in ["validate", "plan"] {
            let mut args = vec![cmd];
            if cmd == "plan" {
                args.extend(extra.iter().copied());
            }
            let o = run_bounded(&s, &s.dir, &args, bound);
            if let Some(why) = judge(&o, &args, bound) {
                failures.push(format!("{name}: {why}"));
            }
            // Each of these is an error in the stack (the variable's value
            // only counts in plan: validate leaves variables unknown).
            let want = if cmd == "validate" && !extra.is_empty() { 0 } else { 1 };
            if o.code != want {
                failures.push(format!("{name}: iac {args:?} exited {}, expected {want}", o.code));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn mutated_corpus_stacks_never_crash_or_hang() {
    let runs: usize = env_or("IAC_FUZZ_RUNS", 200);
    let seed: u64 = env_or("IAC_FUZZ_SEED", 0x1AC_F022);
    let bound = Duration::from_millis(env_or("IAC_FUZZ_TIMEOUT_MS", 20_000));
    let cases = corpus();
    assert!(cases.len() >= 50, "the corpus is the fixtures ({} cases found)", cases.len());
    let mut rng = Rng(seed);
    let mut failures = Vec::new();
    let mut codes = [0usize; 2];
    let started = Instant::now();
    for run in 0..runs {
        let case = rng.pick(&cases).clone();
        let s = Stack::fixture(&case, "fuzz");
        let files = tf_files(&s.dir);
        let target = rng.pick(&files).clone();
        let original = std::fs::read(&target).expect("read");
        std::fs::write(&target, mutate(&mut rng, &original)).expect("write");
        let dir = target.parent().expect("dir").to_path_buf();
        // Plans only for stacks of the built-in providers (no network).
        let text = files.iter().map(|f| String::from_utf8_lossy(&std::fs::read(f).unwrap_or_default()).into_owned()).collect::<String>();
        let local_only = !["digitalocean", "aws_", "kubernetes", "helm", "backend \""].iter().any(|p| text.contains(p));
        let mut cmds: Vec<&[&str]> = vec![&["validate"]];
        if local_only {
            cmds.push(&["plan", "-lock-timeout=0s"]);
        }
        let mut failed = false;
        for args in cmds {
            let o = run_bounded(&s, &dir, args, bound);
            if let Some(why) = judge(&o, args, bound) {
                failures.push(format!("run {run} (seed {seed:#x}, case {case}, file {}; kept in {}): {why}", target.display(), s.root().display()));
                failed = true;
                break;
            }
            codes[o.code as usize] += 1;
        }
        if failed {
            // Keep the failing input for whoever reproduces it.
            std::mem::forget(s);
        }
        if failures.len() >= 5 {
            break;
        }
    }
    eprintln!("fuzz: {runs} runs (seed {seed:#x}) in {:?}: {} exited 0, {} exited 1, {} failures", started.elapsed(), codes[0], codes[1], failures.len());
    assert!(failures.is_empty(), "{} failing run(s):\n\n{}", failures.len(), failures.join("\n\n"));
    assert!(codes[1] > 0, "mutations that break the stacks are reported as errors");
}
