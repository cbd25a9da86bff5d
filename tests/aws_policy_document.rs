//! `data.aws_iam_policy_document` through Terraform 1.11.4 with the real
//! hashicorp/aws 5.100.0 plugin and through iac's native AWS provider: the
//! corpus in `fixtures/policy-documents/main.tf` must give the same `json`,
//! `minified_json` and `id`, byte for byte. The same run compares the other
//! data sources that need no API (`aws_partition`, `aws_region`,
//! `aws_service_principal`), so neither side needs a cloud.

use crate::support;

use std::process::Command;

use serde_json::Value;
use support::{fixtures, Stack};

/// The `documents` and `meta` outputs.
fn terraform_outputs() -> (Value, Value) {
    let mirror = iac_testkit::tools::terraform_mirror();
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixtures().join("policy-documents/main.tf"), dir.path().join("main.tf")).unwrap();
    let terraform = |args: &[&str]| {
        let out = Command::new("terraform")
            .args(args)
            .current_dir(dir.path())
            .env("TF_CLI_CONFIG_FILE", "/dev/null")
            .env("TF_IN_AUTOMATION", "1")
            .env("CHECKPOINT_DISABLE", "1")
            .output()
            .expect("terraform is on PATH");
        assert!(out.status.success(), "terraform {args:?}:\n{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    terraform(&["init", "-input=false", "-no-color", &format!("-plugin-dir={}", mirror.display())]);
    terraform(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    let output = |name: &str| serde_json::from_str(&terraform(&["output", "-json", name])).expect("terraform's output JSON");
    (output("documents"), output("meta"))
}

fn iac_outputs() -> (Value, Value) {
    let stack = Stack::fixture("policy-documents", "policy-documents");
    stack.run(&["init"]).ok();
    stack.run(&["apply", "-auto-approve"]).ok();
    let output = |name: &str| {
        let out = stack.run(&["output", "-json", name]);
        out.ok();
        serde_json::from_str(&out.stdout).expect("iac's output JSON")
    };
    (output("documents"), output("meta"))
}

#[test]
fn policy_documents_are_terraform_s_byte_for_byte() {
    let (theirs, their_meta) = terraform_outputs();
    let (ours, our_meta) = iac_outputs();
    let names: Vec<&String> = theirs.as_object().expect("an object of documents").keys().collect();
    assert!(names.len() >= 15, "the corpus has its documents: {names:?}");
    let mut differences = Vec::new();
    for name in names {
        for field in ["json", "minified_json", "id"] {
            let (t, o) = (&theirs[name][field], &ours[name][field]);
            if t != o {
                differences.push(format!("{name}.{field}:\n  terraform: {t}\n  iac:       {o}"));
            }
        }
    }
    for (name, t) in their_meta.as_object().expect("an object of data sources") {
        if &our_meta[name] != t {
            differences.push(format!("meta.{name}:\n  terraform: {t}\n  iac:       {}", our_meta[name]));
        }
    }
    assert!(differences.is_empty(), "{} differences:\n{}", differences.len(), differences.join("\n"));
}
