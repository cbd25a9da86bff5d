//! Habits kept by a tool rather than by memory. Each test names what it
//! checks and, when it fails, lists every offending file or crate:
//!
//! - every `.rs` file under `crates/*/src` and `tests/` opens with a `//!`
//!   comment saying what it is for (files marked `@generated` excepted);
//! - libraries do not print: no `print!`, `println!`, `eprint!`,
//!   `eprintln!`, `dbg!`, `io::stdout()` or `io::stderr()` outside the
//!   binaries, the test kit and test code (the CLI writes through `out`);
//! - every workspace member opts into the workspace lints;
//! - `#![deny(missing_docs)]` is in every library's root except the crates
//!   listed in [`MISSING_DOCS_NOT_YET`], a list that may only shrink;
//! - `unsafe_code` is allowed only where [`UNSAFE_ALLOWED`] says, each time
//!   under a `// why:` comment;
//! - a crate links at most two integration-test binaries (ARCHITECTURE.md:
//!   its test files are modules of `tests/suite.rs`);
//! - the "Dependency rules" of ARCHITECTURE.md hold in `cargo metadata`'s
//!   dependency graph, and every crate whose documentation says what it
//!   must not depend on has a rule there.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use regex::Regex;
use serde_json::Value as Json;

/// Library crates whose public items are not all documented yet. A crate
/// leaves this list by documenting them and adding `#![deny(missing_docs)]`
/// to its `lib.rs`; a new crate starts documented.
const MISSING_DOCS_NOT_YET: &[&str] = &[
    "iac-core",
    "iac-do-sim",
    "iac-engine",
    "iac-install",
    "iac-kube-sim",
    "iac-lang",
    "iac-provider-aws",
    "iac-provider-digitalocean",
    "iac-provider-kubernetes",
    "iac-provider-plugin",
    "iac-render",
    "iac-testkit",
];

/// The files that may allow `unsafe_code` (the workspace denies it), and why.
const UNSAFE_ALLOWED: &[(&str, &str)] = &[
    ("crates/iac-functions/src/yaml.rs", "drives libyaml's raw-pointer parser API, to tell quoted scalars from plain ones"),
    ("crates/iac-cli/src/tfstate_file.rs", "fcntl(2), the lock Terraform takes on its state file"),
    ("crates/iac-bench/src/measure.rs", "wait4(2), a child's peak memory"),
    ("crates/iac-provider-plugin/src/process.rs", "pre_exec, so that plugins die with iac"),
];

/// Crates allowed to print: binaries, and the test kit (used by tests only).
const MAY_PRINT: &[&str] = &["iac-cli", "iac-bench", "iac-testkit", "iac-e2e"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace root").to_path_buf()
}

fn relative(p: &Path) -> String {
    p.strip_prefix(root()).unwrap_or(p).display().to_string()
}

/// Every `.rs` file under `dir`, recursively, skipping `fixtures` and `target`.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries.flatten() {
            let p = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            if p.is_dir() {
                if name != "fixtures" && name != "target" && !name.starts_with('.') {
                    todo.push(p);
                }
            } else if name.ends_with(".rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("reading {}: {e}", p.display()))
}

#[track_caller]
fn assert_none(problems: Vec<String>, what: &str) {
    assert!(problems.is_empty(), "{what} ({} found):\n  {}", problems.len(), problems.join("\n  "));
}

/// `cargo metadata` of the workspace, read once per test.
struct Metadata {
    json: Json,
}

impl Metadata {
    fn load() -> Metadata {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let out = Command::new(cargo).args(["metadata", "--format-version", "1"]).current_dir(root()).output().expect("running cargo metadata");
        assert!(out.status.success(), "cargo metadata failed: {}", String::from_utf8_lossy(&out.stderr));
        Metadata { json: serde_json::from_slice(&out.stdout).expect("cargo metadata's JSON") }
    }

    fn packages(&self) -> &[Json] {
        self.json["packages"].as_array().expect("packages")
    }

    /// The workspace's own packages.
    fn members(&self) -> Vec<&Json> {
        let ids: BTreeSet<&str> = self.json["workspace_members"].as_array().expect("workspace_members").iter().filter_map(Json::as_str).collect();
        self.packages().iter().filter(|p| ids.contains(p["id"].as_str().unwrap_or(""))).collect()
    }

    fn name_of(&self) -> BTreeMap<&str, &str> {
        self.packages().iter().map(|p| (p["id"].as_str().expect("id"), p["name"].as_str().expect("name"))).collect()
    }

    /// Every package's direct dependencies by name, normal and build ones only
    /// (what ships), from the resolved graph.
    fn shipped_edges(&self) -> BTreeMap<String, BTreeSet<String>> {
        let names = self.name_of();
        let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for node in self.json["resolve"]["nodes"].as_array().expect("resolve.nodes") {
            let from = names[node["id"].as_str().expect("node id")].to_string();
            let entry = edges.entry(from).or_default();
            for dep in node["deps"].as_array().into_iter().flatten() {
                let shipped = dep["dep_kinds"].as_array().into_iter().flatten().any(|k| k["kind"].as_str() != Some("dev"));
                if shipped {
                    entry.insert(names[dep["pkg"].as_str().expect("dep pkg")].to_string());
                }
            }
        }
        edges
    }
}

/// The source file of each of a package's targets of the given kind.
fn targets<'a>(pkg: &'a Json, kind: &str) -> Vec<&'a str> {
    pkg["targets"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|t| t["kind"].as_array().into_iter().flatten().any(|k| k.as_str() == Some(kind)))
        .filter_map(|t| t["src_path"].as_str())
        .collect()
}

fn package_dir(pkg: &Json) -> PathBuf {
    Path::new(pkg["manifest_path"].as_str().expect("manifest_path")).parent().expect("package dir").to_path_buf()
}

/// Each test binary is linked against the whole dependency graph: on CI's
/// disk that is hundreds of megabytes and seconds of linking apiece.
const TEST_BINARIES_PER_CRATE: usize = 2;

#[test]
fn crates_link_few_test_binaries() {
    let meta = Metadata::load();
    let problems: Vec<String> = meta
        .members()
        .into_iter()
        .filter_map(|pkg| {
            let tests = targets(pkg, "test");
            (tests.len() > TEST_BINARIES_PER_CRATE).then(|| {
                format!(
                    "{} has {} test binaries; make its test files modules of tests/suite.rs: {}",
                    pkg["name"].as_str().unwrap_or("?"),
                    tests.len(),
                    tests.join(", ")
                )
            })
        })
        .collect();
    assert_none(problems, "crates linking more test binaries than needed");
}

#[test]
fn every_source_file_opens_with_a_doc_comment() {
    let root = root();
    let mut files = Vec::new();
    for krate in std::fs::read_dir(root.join("crates")).expect("crates/").flatten() {
        files.extend(rust_files(&krate.path().join("src")));
    }
    files.extend(rust_files(&root.join("tests")));
    assert!(files.len() > 100, "found only {} files: is the walk broken?", files.len());
    let mut problems = Vec::new();
    for f in files {
        let text = read(&f);
        let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        if !first.starts_with("//!") && !first.contains("@generated") {
            problems.push(format!("{}: opens with {first:?}; say what the file is for in a `//!` comment", relative(&f)));
        }
    }
    assert_none(problems, "source files without a leading `//!` comment");
}

/// The lines of a source file that are not test code or comments: a
/// `#[cfg(test)]` module runs to the end of the file (clippy's
/// `items_after_test_module` keeps it last), and files named `tests.rs` are
/// test modules.
fn shipped_lines(path: &Path, text: &str) -> Vec<(usize, String)> {
    if path.file_name().is_some_and(|n| n == "tests.rs") {
        return Vec::new();
    }
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim_start();
        if t.starts_with("#[cfg(test)]") && lines.get(i + 1).is_some_and(|next| next.trim_start().trim_start_matches("pub ").starts_with("mod ")) {
            break;
        }
        if t.starts_with("//") {
            continue;
        }
        out.push((i + 1, line.to_string()));
    }
    out
}

#[test]
fn libraries_do_not_print() {
    let meta = Metadata::load();
    let printing = Regex::new(r"\b(e?print(ln)?|dbg)!\s*[(\[{]|\bio::std(out|err)\(\)").expect("regex");
    let mut problems = Vec::new();
    let mut checked = 0;
    for pkg in meta.members() {
        let name = pkg["name"].as_str().expect("name");
        if MAY_PRINT.contains(&name) {
            continue;
        }
        let binaries: BTreeSet<PathBuf> = targets(pkg, "bin").into_iter().map(PathBuf::from).collect();
        let src = package_dir(pkg).join("src");
        for f in rust_files(&src) {
            if binaries.contains(&f) || f.strip_prefix(&src).is_ok_and(|r| r.starts_with("bin")) {
                continue;
            }
            checked += 1;
            for (n, line) in shipped_lines(&f, &read(&f)) {
                if printing.is_match(&line) {
                    problems.push(format!("{}:{n}: {} (a library returns text or emits tracing events; the CLI prints)", relative(&f), line.trim()));
                }
            }
        }
    }
    assert!(checked > 100, "checked only {checked} files: is the walk broken?");
    assert_none(problems, "printing in library code");
}

/// True when a manifest has `[lints]` with `workspace = true`.
fn uses_workspace_lints(manifest: &str) -> bool {
    let mut in_lints = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_lints = line == "[lints]";
        } else if in_lints && line.replace(' ', "") == "workspace=true" {
            return true;
        }
    }
    false
}

#[test]
fn every_crate_uses_the_workspace_lints() {
    let meta = Metadata::load();
    let mut problems = Vec::new();
    for pkg in meta.members() {
        let manifest = Path::new(pkg["manifest_path"].as_str().expect("manifest_path"));
        if !uses_workspace_lints(&read(manifest)) {
            problems.push(format!("{}: add `[lints]` with `workspace = true`", relative(manifest)));
        }
    }
    assert_none(problems, "crates that do not opt into the workspace lints");
}

#[test]
fn workspace_lints_reader() {
    assert!(uses_workspace_lints("[package]\nname = \"a\"\n\n[lints]\nworkspace = true\n"));
    assert!(!uses_workspace_lints("[package]\nworkspace = true\n[lints.rust]\nunsafe_code = \"allow\"\n"), "workspace = true belongs under [lints]");
    assert!(!uses_workspace_lints("[package]\nname = \"a\"\n"));
}

#[test]
fn documented_crates_deny_missing_docs() {
    let meta = Metadata::load();
    let deny = Regex::new(r"(?m)^#!\[deny\([^)]*\bmissing_docs\b").expect("regex");
    let mut problems = Vec::new();
    let mut libraries = BTreeSet::new();
    for pkg in meta.members() {
        let name = pkg["name"].as_str().expect("name");
        let Some(lib) = targets(pkg, "lib").into_iter().chain(targets(pkg, "proc-macro")).next() else { continue };
        libraries.insert(name);
        let denies = deny.is_match(&read(Path::new(lib)));
        let listed = MISSING_DOCS_NOT_YET.contains(&name);
        match (denies, listed) {
            (false, false) => problems.push(format!("{name}: {} lacks `#![deny(missing_docs)]` (document the public items)", relative(Path::new(lib)))),
            (true, true) => problems.push(format!("{name}: denies missing_docs now; remove it from MISSING_DOCS_NOT_YET")),
            _ => {}
        }
    }
    for name in MISSING_DOCS_NOT_YET {
        if !libraries.contains(name) {
            problems.push(format!("{name}: in MISSING_DOCS_NOT_YET but not a library of the workspace"));
        }
    }
    assert_none(problems, "missing_docs out of step with MISSING_DOCS_NOT_YET");
}

#[test]
fn unsafe_code_is_allowed_only_where_listed() {
    let root = root();
    let allow = Regex::new(r"#!?\[allow\([^)]*\bunsafe_code\b").expect("regex");
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    let mut files = Vec::new();
    for krate in std::fs::read_dir(root.join("crates")).expect("crates/").flatten() {
        files.extend(rust_files(&krate.path()));
    }
    files.extend(rust_files(&root.join("tests")));
    for f in files {
        let rel = relative(&f);
        let text = read(&f);
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if !allow.is_match(line) {
                continue;
            }
            seen.insert(rel.clone());
            if !UNSAFE_ALLOWED.iter().any(|(p, _)| *p == rel) {
                problems.push(format!("{rel}:{}: allows unsafe_code; find a safe way, or add the file to UNSAFE_ALLOWED with the reason", i + 1));
            }
            let comment_above = lines[..i].iter().rev().take_while(|l| l.trim_start().starts_with("//") && !l.trim_start().starts_with("//!"));
            if !comment_above.into_iter().any(|l| l.trim_start().starts_with("// why:")) {
                problems.push(format!("{rel}:{}: the allow needs a `// why:` comment right above it", i + 1));
            }
        }
    }
    for (p, _) in UNSAFE_ALLOWED {
        if !seen.contains(*p) {
            problems.push(format!("{p}: listed in UNSAFE_ALLOWED but allows no unsafe code any more; remove it from the list"));
        }
    }
    assert_none(problems, "unsafe code outside the listed places");
}

/// One rule of ARCHITECTURE.md's "Dependency rules" section. A crate name
/// may end in `*`, matching every name it starts; a subject so written means
/// every workspace member it matches.
#[derive(Debug)]
enum Rule {
    /// `A`[, `B`...] must not depend on `X`[, `Y`...] [except `Z`...]: no
    /// path of normal or build dependencies leads from a subject to a
    /// forbidden crate (a subject never forbids itself).
    MustNotDependOn { subjects: Vec<String>, forbidden: Vec<String>, except: Vec<String> },
    /// `A` must only be a dev-dependency: nothing ships with it.
    OnlyDevDependency { subjects: Vec<String> },
    /// `X`[, `Y`...] must only be a direct dependency of `A`[, `B`...]: no
    /// other workspace member depends on it directly (dev-dependencies aside).
    OnlyDirectDependencyOf { subjects: Vec<String>, allowed: Vec<String> },
}

impl Rule {
    fn subjects(&self) -> &[String] {
        match self {
            Rule::MustNotDependOn { subjects, .. } | Rule::OnlyDevDependency { subjects } | Rule::OnlyDirectDependencyOf { subjects, .. } => subjects,
        }
    }
}

fn backticked(s: &str) -> Vec<String> {
    s.split('`').skip(1).step_by(2).map(str::to_string).collect()
}

/// Reads the list items of the "## Dependency rules" section, each in one
/// of the forms of [`Rule`]; after the names, anything from a `:` or `(`
/// on is explanation. Items that are in no form are errors, so a rule
/// cannot silently stop being checked.
fn dependency_rules(architecture: &str) -> Result<Vec<Rule>, Vec<String>> {
    let mut lines = architecture.lines().skip_while(|l| l.trim_end() != "## Dependency rules");
    if lines.next().is_none() {
        return Err(vec!["ARCHITECTURE.md has no \"## Dependency rules\" section".to_string()]);
    }
    let section: Vec<&str> = lines.take_while(|l| !l.starts_with("## ")).collect();
    let (mut rules, mut problems) = (Vec::new(), Vec::new());
    for item in section.iter().filter_map(|l| l.strip_prefix("- ")) {
        let Some((subjects, rest)) = item.split_once(" must ") else {
            problems.push(format!("ARCHITECTURE.md: not a rule (no \"must\"): {item}"));
            continue;
        };
        let subjects = backticked(subjects);
        // The names stop at the first ':' or '(' outside backticks.
        let mut quoted = false;
        let end = rest.find(|c: char| {
            quoted ^= c == '`';
            !quoted && (c == ':' || c == '(')
        });
        let names = &rest[..end.unwrap_or(rest.len())];
        let rule = if let Some(names) = names.strip_prefix("not depend on ") {
            let (forbidden, except) = names.split_once(" except ").unwrap_or((names, ""));
            Rule::MustNotDependOn { subjects: subjects.clone(), forbidden: backticked(forbidden), except: backticked(except) }
        } else if names.trim_end() == "only be a dev-dependency" {
            Rule::OnlyDevDependency { subjects: subjects.clone() }
        } else if let Some(names) = names.strip_prefix("only be a direct dependency of ") {
            Rule::OnlyDirectDependencyOf { subjects: subjects.clone(), allowed: backticked(names) }
        } else {
            problems.push(format!("ARCHITECTURE.md: a rule in none of the three forms: {item}"));
            continue;
        };
        let no_objects = match &rule {
            Rule::MustNotDependOn { forbidden: v, .. } | Rule::OnlyDirectDependencyOf { allowed: v, .. } => v.is_empty(),
            Rule::OnlyDevDependency { .. } => false,
        };
        if subjects.is_empty() || no_objects {
            problems.push(format!("ARCHITECTURE.md: a rule without `crate` names: {item}"));
            continue;
        }
        rules.push(rule);
    }
    if rules.is_empty() && problems.is_empty() {
        problems.push("ARCHITECTURE.md: the \"Dependency rules\" section lists no rules".into());
    }
    if problems.is_empty() {
        Ok(rules)
    } else {
        Err(problems)
    }
}

fn matches(pattern: &str, name: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix),
        None => pattern == name,
    }
}

/// Where `from` reaches a crate `to` accepts through `edges`: the path, if any.
fn path_to(edges: &BTreeMap<String, BTreeSet<String>>, from: &str, to: &dyn Fn(&str) -> bool) -> Option<Vec<String>> {
    let mut came_from: BTreeMap<&str, &str> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([from]);
    while let Some(n) = queue.pop_front() {
        for next in edges.get(n).into_iter().flatten() {
            if next == from || came_from.contains_key(next.as_str()) {
                continue;
            }
            came_from.insert(next, n);
            if to(next) {
                let mut path = vec![next.to_string()];
                let mut at = next.as_str();
                while let Some(prev) = came_from.get(at) {
                    path.push(prev.to_string());
                    at = prev;
                }
                path.reverse();
                return Some(path);
            }
            queue.push_back(next);
        }
    }
    None
}

/// The workspace members a rule's subjects name (a `*` name: every member it matches).
fn expand(names: &[String], members: &BTreeSet<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for n in names {
        if n.ends_with('*') {
            out.extend(members.iter().filter(|m| matches(n, m)).cloned());
        } else {
            out.push(n.clone());
        }
    }
    out
}

/// Checks `rules` against `edges` (each package's shipped direct
/// dependencies); `members` are the workspace's packages.
fn check_rules(rules: &[Rule], edges: &BTreeMap<String, BTreeSet<String>>, members: &BTreeSet<String>) -> Vec<String> {
    let mut problems = Vec::new();
    // A name that matches nothing is a typo or a crate that went away: the rule would check nothing.
    for name in rules.iter().flat_map(|r| match r {
        Rule::MustNotDependOn { subjects, forbidden, except } => [subjects, forbidden, except].into_iter().flatten().collect::<Vec<_>>(),
        Rule::OnlyDevDependency { subjects } => subjects.iter().collect(),
        Rule::OnlyDirectDependencyOf { subjects, allowed } => subjects.iter().chain(allowed).collect(),
    }) {
        if !edges.keys().any(|k| matches(name, k)) {
            problems
                .push(format!("ARCHITECTURE.md: a rule names `{name}`, which matches no crate of the dependency graph (a typo, or a crate that went away)"));
        }
    }
    for rule in rules {
        let subjects = expand(rule.subjects(), members);
        match rule {
            Rule::MustNotDependOn { forbidden, except, .. } => {
                for s in &subjects {
                    let is_forbidden = |n: &str| n != s && forbidden.iter().any(|f| matches(f, n)) && !except.iter().any(|e| matches(e, n));
                    if let Some(path) = path_to(edges, s, &is_forbidden) {
                        problems.push(format!("{s} must not depend on {}, but does: {}", forbidden.join(", "), path.join(" -> ")));
                    }
                }
            }
            Rule::OnlyDevDependency { .. } => {
                for s in &subjects {
                    for (from, tos) in edges {
                        if tos.contains(s) {
                            problems.push(format!("{s} must only be a dev-dependency, but {from} ships with it"));
                        }
                    }
                }
            }
            Rule::OnlyDirectDependencyOf { allowed, .. } => {
                for s in &subjects {
                    for (from, tos) in edges.iter().filter(|(from, _)| members.contains(*from)) {
                        if tos.contains(s) && !allowed.iter().any(|a| matches(a, from)) {
                            problems.push(format!("{s} must only be a direct dependency of {}, but {from} depends on it", allowed.join(", ")));
                        }
                    }
                }
            }
        }
    }
    problems
}

/// The crates whose prose says what they must not depend on: the code map's
/// "must never" column where it speaks of depending, and the `//!` header of
/// each crate root.
fn crates_with_dependency_prose(architecture: &str, meta: &Metadata) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for row in architecture.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = row.split(" | ").collect();
        if let (Some(name), Some(never)) = (backticked(cells[0]).first(), cells.get(2)) {
            if never.contains("depend") {
                out.insert(name.clone(), format!("ARCHITECTURE.md's code map: {}", never.trim_end_matches(" |")));
            }
        }
    }
    let prose = Regex::new(r"(?i)(must (not|never) depend|never depends|depends on (no|nothing))").expect("regex");
    for pkg in meta.members() {
        let name = pkg["name"].as_str().expect("name");
        for src in targets(pkg, "lib").into_iter().chain(targets(pkg, "proc-macro")).chain(targets(pkg, "bin")) {
            let header: String =
                read(Path::new(src)).lines().take_while(|l| l.starts_with("//!")).map(|l| format!("{} ", l.trim_start_matches("//!").trim())).collect();
            if let Some(m) = prose.find(&header) {
                out.entry(name.to_string())
                    .or_insert_with(|| format!("{}: \"...{}...\"", relative(Path::new(src)), &header[m.start()..(m.end() + 40).min(header.len())]));
            }
        }
    }
    out
}

#[test]
fn dependency_rules_hold() {
    let architecture = read(&root().join("ARCHITECTURE.md"));
    let rules = match dependency_rules(&architecture) {
        Ok(r) => r,
        Err(problems) => return assert_none(problems, "unreadable dependency rules"),
    };
    let meta = Metadata::load();
    let members: BTreeSet<String> = meta.members().iter().map(|p| p["name"].as_str().expect("name").to_string()).collect();
    let mut problems = check_rules(&rules, &meta.shipped_edges(), &members);
    let covered: BTreeSet<String> = rules.iter().flat_map(|r| expand(r.subjects(), &members)).collect();
    for (name, said) in crates_with_dependency_prose(&architecture, &meta) {
        if !covered.contains(&name) {
            problems.push(format!(
                "{name}: its documentation says what it must not depend on ({said}), but no rule in ARCHITECTURE.md's \"Dependency rules\" checks it"
            ));
        }
    }
    assert_none(problems, "dependency rules broken");
}

/// The rule reader and checker fail on what they should fail on.
#[test]
fn dependency_rules_catch_violations() {
    let text = "# A\n\n## Dependency rules\n\nProse.\n\n- `a` must not depend on `c*` except `c2`: reasons.\n- `t` must only be a dev-dependency (tests only).\n- `sdk`, `sdk2` must only be a direct dependency of `p`, `q`\n- `p*` must not depend on `b`\n\n## Next\n- ignored\n";
    let rules = dependency_rules(text).expect("four rules");
    assert_eq!(rules.len(), 4, "{rules:?}");
    let edges: BTreeMap<String, BTreeSet<String>> = [
        ("a", vec!["b", "c2"]),
        ("b", vec!["c1"]),
        ("c1", vec![]),
        ("c2", vec![]),
        ("t", vec![]),
        ("x", vec!["t", "sdk"]),
        ("p", vec!["sdk"]),
        ("q", vec!["sdk2"]),
        ("p2", vec!["a"]),
        ("sdk", vec!["sdk2"]),
        ("sdk2", vec![]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.into_iter().map(str::to_string).collect()))
    .collect();
    let members: BTreeSet<String> = edges.keys().cloned().collect();
    assert_eq!(
        check_rules(&rules, &edges, &members),
        [
            "a must not depend on c*, but does: a -> b -> c1",
            "t must only be a dev-dependency, but x ships with it",
            "sdk must only be a direct dependency of p, q, but x depends on it",
            "sdk2 must only be a direct dependency of p, q, but sdk depends on it",
            "p2 must not depend on b, but does: p2 -> a -> b",
        ],
    );
    assert!(dependency_rules("## Dependency rules\n- `a` should not depend on `b`\n").is_err(), "a rule in no known form is refused");
    assert!(dependency_rules("## Dependency rules\n- `a` must not depend on the engine\n").is_err(), "a rule without names is refused");
    let typo = dependency_rules("## Dependency rules\n- `a` must not depend on `nosuch`\n").expect("a rule");
    assert_eq!(check_rules(&typo, &edges, &members).len(), 1, "an unknown crate name is reported");
}
