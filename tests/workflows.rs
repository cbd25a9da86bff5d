//! The example GitHub Actions workflows (`examples/ci/*.yml`) pass
//! actionlint; the drift CronJob (`examples/ci/kubernetes/`) is a valid
//! Kubernetes CronJob; and every `iac` command they run uses only
//! subcommands and flags the binary accepts.

use crate::support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::*;

fn workflows() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/ci");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "yml" || x == "yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 3, "expected the plan, apply and drift workflows in {}", dir.display());
    files
}

fn actionlint(files: &[PathBuf]) -> std::process::Output {
    Command::new(iac_testkit::tools::tool("actionlint")).arg("-no-color").args(files).output().expect("run actionlint")
}

#[test]
fn example_workflows_pass_actionlint() {
    let out = actionlint(&workflows());
    assert!(out.status.success(), "actionlint found problems:\n{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}

#[test]
fn actionlint_rejects_a_broken_workflow() {
    // So that the test above cannot pass because actionlint checks nothing.
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.yml");
    std::fs::write(
        &bad,
        "on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ steps.nope.outputs.x }}\n        uses: actions/checkout@v5\n",
    )
    .expect("write");
    assert!(!actionlint(&[bad]).status.success());
}

/// `iac` invocations in the workflows' shell steps, as words (a line ending in `\` continues).
fn iac_commands(text: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim().trim_start_matches("if ! ").trim_start_matches("if ");
        if let Some(rest) = line.strip_prefix("iac ") {
            out.push(rest.split_whitespace().map(|w| w.trim_end_matches(';').to_string()).collect());
        }
    }
    out
}

/// Checks each `iac` command line of `text` against the binary's help; returns how many.
fn check_iac_commands(origin: &Path, text: &str) -> usize {
    let mut checked = 0;
    for words in iac_commands(text) {
        // Global flags (-chdir=..., -no-color) come before the subcommand.
        let mut rest = words.iter().skip_while(|w| w.starts_with('-'));
        let sub = rest.next().unwrap_or_else(|| panic!("{}: no subcommand in iac {words:?}", origin.display()));
        let help = Command::new(iac_bin()).args([sub.as_str(), "--help"]).output().expect("iac --help");
        assert!(help.status.success(), "{}: `iac {sub}` is not a subcommand", origin.display());
        let help = String::from_utf8_lossy(&help.stdout);
        for w in words.iter().filter(|w| w.starts_with('-')) {
            let flag = w.trim_start_matches('-').split('=').next().unwrap_or("");
            if flag == "chdir" || flag == "no-color" {
                continue;
            }
            // The whole flag, not a prefix of a longer one (-out of -outputs).
            let listed = help.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-')).any(|w| w == format!("--{flag}"));
            assert!(listed, "{}: iac {sub} has no flag -{flag}:\n{help}", origin.display());
        }
        checked += 1;
    }
    checked
}

#[test]
fn workflows_use_only_flags_iac_accepts() {
    let checked: usize = workflows().iter().map(|wf| check_iac_commands(wf, &std::fs::read_to_string(wf).expect("workflow"))).sum();
    assert!(checked >= 3, "found only {checked} iac commands in the workflows");
}

#[test]
fn the_drift_cronjob_is_a_valid_cronjob_running_iac_drift() {
    use k8s_openapi::api::batch::v1::CronJob;
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/ci/kubernetes/iac-drift-cronjob.yaml");
    let text = std::fs::read_to_string(&path).expect("cronjob manifest");
    let raw: serde_json::Value = serde_norway::from_str(&text).expect("YAML");
    assert_eq!((raw["apiVersion"].as_str(), raw["kind"].as_str()), (Some("batch/v1"), Some("CronJob")));
    let job: CronJob = serde_json::from_value(raw.clone()).unwrap_or_else(|e| panic!("not a CronJob: {e}"));
    // Deserialising ignores unknown fields: a misspelt one would be lost on the way back.
    let back = serde_json::to_value(&job).expect("serialise");
    assert_eq!(back, raw, "the manifest has fields a CronJob does not know");
    let spec = job.spec;
    assert_eq!(spec.concurrency_policy.as_deref(), Some("Forbid"), "two checks never run at once");
    let pod = spec.job_template.spec.expect("job spec").template.spec.expect("pod spec");
    let container = &pod.containers[0];
    assert!(container.env_from.iter().flatten().any(|e| e.secret_ref.is_some()), "credentials come from a Secret");
    let script = container.args.iter().flatten().cloned().collect::<Vec<_>>().join("\n");
    assert!(script.contains("iac drift") && script.contains("-push"), "{script}");
    assert_eq!(check_iac_commands(&path, &script), 1);
}
