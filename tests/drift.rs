//! `iac drift`: each `fixtures/drift/<case>/` is a stack that is applied
//! (unless its exit_code is 1: a broken stack), then changed outside iac by
//! copying `edit/` over it (a file holding only `DELETE` removes it). The
//! report in each format must equal its snapshot: `expected.txt`,
//! `expected.md`, `expected.json`, `expected.prom` (timings normalised), and
//! the exit code `exit_code` (0 none, 2 drift, 1 error). Strings in
//! `forbidden` (secrets) must appear in no output.

use crate::support;

use std::sync::OnceLock;

use iac_testkit::recorder::Recorder;
use support::*;

/// Durations differ between runs; timestamps are normalised by `Stack::normalize`.
fn normalize_timings(s: &str) -> String {
    static RES: OnceLock<[regex::Regex; 2]> = OnceLock::new();
    let [json, prom] = RES.get_or_init(|| {
        [regex::Regex::new(r#""duration_seconds": [0-9.e-]+"#).unwrap(), regex::Regex::new(r"(iac_drift_check_duration_seconds\{[^}]*\}) [0-9.]+").unwrap()]
    });
    let s = json.replace_all(s, "\"duration_seconds\": <duration>");
    prom.replace_all(&s, "$1 <duration>").into_owned()
}

const FORMATS: &[(&str, &str)] = &[("text", "expected.txt"), ("markdown", "expected.md"), ("json", "expected.json"), ("prometheus", "expected.prom")];

fn run_case(name: &str) -> Result<(), String> {
    let dir = fixtures().join("drift").join(name);
    let stack = Stack::fixture(&format!("drift/{name}"), name);
    let want: i32 = std::fs::read_to_string(dir.join("exit_code")).map(|s| s.trim().parse().expect("exit_code")).unwrap_or(0);
    let forbidden = read_lines(&dir.join("forbidden"));
    let mut seen = Vec::new();
    if want != 1 {
        let out = stack.run(&["apply", "-auto-approve"]);
        if out.code != 0 {
            return Err(format!("{name}: apply failed:\n{}{}", out.stdout, out.stderr));
        }
        seen.push(out.all());
    }
    if dir.join("edit").is_dir() {
        stack.apply_edit(&dir.join("edit"));
    }
    let mut problems = Vec::new();
    for (format, snapshot) in FORMATS {
        let out = stack.run(&["drift", "-format", format]);
        seen.push(out.all());
        if out.code != want {
            problems.push(format!("{name} -format {format}: exit code {} (want {want})\n{}{}", out.code, out.stdout, out.stderr));
            continue;
        }
        if let Err(e) = check_snapshot(&dir.join(snapshot), &normalize_timings(&stack.normalize(&out.stdout))) {
            problems.push(format!("{name}: {e}"));
        }
        if *format == "json" {
            if let Err(e) = serde_json::from_str::<serde_json::Value>(&out.stdout) {
                problems.push(format!("{name}: -format json is not JSON: {e}"));
            }
        }
        if *format == "prometheus" {
            problems.extend(exposition_problems(&out.stdout).into_iter().map(|p| format!("{name}: {p}")));
        }
    }
    // Drift never changes state: a second check finds the same.
    let again = stack.run(&["drift"]);
    seen.push(again.all());
    if again.code != want {
        problems.push(format!("{name}: a second drift check exits {} (want {want})", again.code));
    }
    problems.extend(leaked_secrets(name, &forbidden, &seen));
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

/// Checks the Prometheus text format (0.0.4): every sample's family has
/// exactly one HELP and one TYPE line before its samples, all lines of a
/// family form one group, and sample lines are `name{label="value",...} number`.
fn exposition_problems(text: &str) -> Vec<String> {
    let sample = regex::Regex::new(r#"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? -?[0-9.eE+-]+$"#).unwrap();
    let mut problems = Vec::new();
    let (mut help, mut types) = (std::collections::BTreeMap::new(), std::collections::BTreeMap::new());
    // The families in the order their lines appear: one that comes back after another began is split.
    let mut groups: Vec<String> = Vec::new();
    let mut enter = |name: &str, problems: &mut Vec<String>| {
        if groups.last().map(String::as_str) != Some(name) {
            if groups.iter().any(|g| g == name) {
                problems.push(format!("the lines of {name} are not one group"));
            }
            groups.push(name.to_string());
        }
    };
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("# HELP ").or_else(|| line.strip_prefix("# TYPE ")).and_then(|r| r.split(' ').next()) {
            enter(name, &mut problems);
        } else if let Some(c) = sample.captures(line) {
            enter(&c[1], &mut problems);
        }
        if let Some(rest) = line.strip_prefix("# HELP ") {
            *help.entry(rest.split(' ').next().unwrap_or("").to_string()).or_insert(0) += 1;
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let mut w = rest.split(' ');
            let (name, kind) = (w.next().unwrap_or(""), w.next().unwrap_or(""));
            if !["gauge", "counter", "untyped", "summary", "histogram"].contains(&kind) {
                problems.push(format!("bad TYPE line {line:?}"));
            }
            *types.entry(name.to_string()).or_insert(0) += 1;
        } else if let Some(c) = sample.captures(line) {
            let name = &c[1];
            if help.get(name) != Some(&1) || types.get(name) != Some(&1) {
                problems.push(format!("sample {line:?} without exactly one HELP and TYPE before it"));
            }
        } else {
            problems.push(format!("not a sample line: {line:?}"));
        }
    }
    for (name, n) in help.iter().chain(types.iter()) {
        if *n != 1 {
            problems.push(format!("{name} has {n} HELP or TYPE lines"));
        }
    }
    problems
}

#[test]
fn the_exposition_checker_finds_what_the_format_forbids() {
    let good = "# HELP a_b A.\n# TYPE a_b gauge\na_b{stack=\"x\\\"y\"} 1\na_b{stack=\"z\"} 0.5\n";
    assert_eq!(exposition_problems(good), Vec::<String>::new());
    for bad in [
        "a_b 1\n",                                                                   // no HELP or TYPE
        "# HELP a_b A.\n# TYPE a_b gauge\n# TYPE a_b gauge\na_b 1\n",                // two TYPE lines
        "# HELP a_b A.\n# TYPE a_b gauge\na_b{stack=\"x} 1\n",                       // unterminated label value
        "# HELP a_b A.\n# TYPE a_b gauge\na_b one\n",                                // not a number
        "# HELP a A.\n# TYPE a gauge\na 1\n# HELP b B.\n# TYPE b gauge\nb 1\na 2\n", // a split group
    ] {
        assert!(!exposition_problems(bad).is_empty(), "accepted:\n{bad}");
    }
}

macro_rules! drift_cases {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                if let Err(e) = run_case(stringify!($name)) {
                    panic!("{e}");
                }
            }
        )*
        const CASES: &[&str] = &[$(stringify!($name)),*];
    };
}

drift_cases! {
    broken,
    changed,
    none,
}

#[test]
fn every_case_has_a_test() {
    let on_disk: Vec<String> = cases("drift").into_iter().map(|(n, _)| n).collect();
    let missing: Vec<&String> = on_disk.iter().filter(|n| !CASES.contains(&n.as_str())).collect();
    assert!(missing.is_empty(), "fixtures/drift cases without a test in drift.rs: {missing:?}");
}

/// Two stacks: one drifted, one not; one combined report and exit code,
/// written to a file, and pushed to a Pushgateway as one group per stack.
#[test]
fn several_stacks_report_and_push_together() {
    let root = Stack::files(
        "repo",
        &[
            ("stacks/net/main.tf", "resource \"local_file\" \"a\" {\n  filename = \"${path.module}/out/a.txt\"\n  content  = \"x\"\n}\n"),
            ("stacks/app/main.tf", "resource \"terraform_data\" \"b\" {\n  input = 1\n}\n"),
        ],
    );
    for s in ["stacks/net", "stacks/app"] {
        root.run(&["-chdir", s, "apply", "-auto-approve"]).ok();
    }
    std::fs::write(root.path("stacks/net/out/a.txt"), "changed").expect("edit");
    let gateway = Recorder::start(200);
    let report = root.root().join("drift.prom");
    let out = root.run(&["drift", "-format", "prometheus", "-out", report.to_str().expect("utf-8"), "-push", &gateway.url(), "stacks/net", "stacks/app"]);
    out.expect_code(2);
    assert!(out.stdout.is_empty(), "-out writes the report to the file only:\n{}", out.stdout);
    let text = std::fs::read_to_string(&report).expect("report file");
    assert!(exposition_problems(&text).is_empty(), "{:?}", exposition_problems(&text));
    assert!(text.contains("iac_drift_detected{stack=\"stacks/net\"} 1\n"), "{text}");
    assert!(text.contains("iac_drift_detected{stack=\"stacks/app\"} 0\n"), "{text}");
    assert!(text.contains("iac_drift_resources{stack=\"stacks/net\",type=\"local_file\"} 1\n"), "{text}");
    let mut pushed = gateway.requests();
    pushed.sort_by(|a, b| a.path.cmp(&b.path));
    let paths: Vec<(&str, &str)> = pushed.iter().map(|r| (r.method.as_str(), r.path.as_str())).collect();
    // "stacks/app" and "stacks/net" have a slash: the Pushgateway's base64 form of a label value.
    assert_eq!(paths, vec![("PUT", "/metrics/job/iac_drift/stack@base64/c3RhY2tzL25ldA=="), ("PUT", "/metrics/job/iac_drift/stack@base64/c3RhY2tzL2FwcA==")]);
    let net = pushed[0].body_text();
    assert!(net.contains("iac_drift_detected{stack=\"stacks/net\"} 1\n") && !net.contains("stacks/app"), "each group holds its own stack:\n{net}");
    assert!(exposition_problems(&net).is_empty());
    assert!(pushed[0].header("content-type").unwrap_or("").starts_with("text/plain"));

    // A stack that cannot be checked makes the whole run exit 1, and says so in the metrics.
    root.write("stacks/app/broken.tf", "resource \"terraform_data\" \"c\" {\n  input = var.nope\n}\n");
    let out = root.run(&["drift", "-format", "prometheus", "stacks/net", "stacks/app"]);
    out.expect_code(1);
    assert!(out.stdout.contains("iac_drift_check_success{stack=\"stacks/app\"} 0\n"), "{}", out.stdout);
    assert!(out.stdout.contains("iac_drift_detected{stack=\"stacks/net\"} 1\n"), "{}", out.stdout);
}

#[test]
fn a_refusing_pushgateway_fails_the_run() {
    let stack = Stack::files("s", &[("main.tf", "resource \"terraform_data\" \"b\" {\n  input = 1\n}\n")]);
    stack.run(&["apply", "-auto-approve"]).ok();
    let gateway = Recorder::start(500);
    let out = stack.run(&["drift", "-push", &gateway.url()]);
    out.expect_code(1);
    assert!(out.stderr.contains("pushing the metrics of s"), "{}", out.stderr);
    let bad = stack.run(&["drift", "-format", "yaml"]);
    bad.expect_code(1);
}
