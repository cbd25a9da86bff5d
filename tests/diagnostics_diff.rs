//! Errors found before or while planning, word for word against Terraform
//! 1.11.4 run live: every `fixtures/diagnostics-diff/<case>/` (no external
//! provider; an optional `args` file holds extra `plan` arguments, one a
//! line, such as `-var` values) is planned by both tools with `-json`, and
//! their diagnostics must agree in severity, summary, detail and range
//! (file, start and end). The cases cover the input variable errors
//! (module arguments, `-var` text that is no expression or does not suit
//! the type, variables files, defaults, missing required values, values
//! for undeclared variables, a `-var` without `=`), the
//! references to what is not declared or not available, root outputs of
//! sensitive values and the `required_version` constraint.

use crate::lang_diff::{par_map, terraform_command};
use crate::support::*;

/// One line per diagnostic of a `-json` run (severity, summary, detail,
/// range), sorted: the tools report independent errors in their own order.
fn diagnostics(ui: &str) -> Vec<String> {
    let mut out: Vec<String> = ui_diagnostics(ui)
        .iter()
        .map(|d| {
            format!(
                "{}: {}: {} at {}",
                d["severity"].as_str().unwrap_or_default(),
                d["summary"].as_str().unwrap_or_default(),
                d["detail"].as_str().unwrap_or_default(),
                diagnostic_range(d),
            )
        })
        .collect();
    out.sort();
    out
}

/// The extra `plan` arguments of a case.
fn case_args(case: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(case.join("args")).map(|t| t.lines().filter(|l| !l.is_empty()).map(str::to_string).collect()).unwrap_or_default()
}

#[test]
fn plan_errors_match_terraform() {
    let cases = cases("diagnostics-diff");
    assert!(!cases.is_empty());
    let results = par_map(&cases, |name, case| {
        let args = case_args(case);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let tmp = tempfile::Builder::new().prefix("diagnostics-diff-tf-").tempdir().expect("tempdir");
        let tf_dir = tmp.path().join("stack");
        copy_dir(case, &tf_dir, true);
        // A configuration Terraform refuses fails its init already; its plan says the same.
        terraform_command(&tf_dir, &["init", "-backend=false", "-input=false", "-no-color"]).output().expect("terraform 1.11.4 on PATH");
        let plan = terraform_command(&tf_dir, &[&["plan", "-input=false", "-json"], &args[..]].concat()).output().expect("terraform 1.11.4 on PATH");
        let theirs = diagnostics(&String::from_utf8_lossy(&plan.stdout));
        let stack = Stack::fixture(&format!("diagnostics-diff/{name}"), name);
        let ours = stack.run(&[&["plan", "-json"], &args[..]].concat());
        (theirs, diagnostics(&ours.stdout), ours.code)
    });
    let mut problems = Vec::new();
    for ((name, _), (theirs, ours, code)) in cases.iter().zip(results) {
        assert!(theirs.iter().any(|d| d.starts_with("error: ")), "{name}: Terraform reported no error, so the case tests nothing: {theirs:#?}");
        if ours != theirs || code != 1 {
            problems.push(format!("{name} (iac exit code {code}):\n  terraform: {theirs:#?}\n  iac:       {ours:#?}"));
        }
    }
    assert!(problems.is_empty(), "plan diagnostics differ from Terraform 1.11.4:\n{}", problems.join("\n"));
}
