//! `data "terraform_remote_state"` against Terraform 1.11.4, offline with
//! the local backend (`fixtures/remote-state/`): stack `a` has outputs of
//! every kind (and a sensitive and a null one), stack `b` reads them over
//! `defaults`.
//!
//! - Terraform applies `a`; `b` applied by Terraform and by iac gives the
//!   same outputs (values, sensitivity; types up to iac's collection kinds).
//! - iac applies `a` (its own state, beside the file `path` names): iac's
//!   `b` gives those outputs again, and so does Terraform's `b` reading the
//!   state `iac state pull` exports (what Terraform reads of iac's state).
//! - Both refuse the same configurations with Terraform's message: an
//!   unknown or removed backend, a setting the backend does not have, a
//!   state that does not exist (even with `defaults`).

use crate::lang_diff::{differences, parse_outputs, terraform_command};
use crate::support::{copy_dir, fixtures, Stack};

use std::path::Path;

/// `terraform ARGS` in `dir`; fails the test when it fails.
fn terraform(dir: &Path, args: &[&str]) -> String {
    let o = terraform_command(dir, args).output().expect("terraform 1.11.4 on PATH");
    assert!(o.status.success(), "terraform {args:?} in {}:\n{}", dir.display(), String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// `iac ARGS` in `dir` (the stack's environment, another directory); fails the test when it fails.
fn iac(s: &Stack, dir: &Path, args: &[&str]) -> String {
    let o = s.command(args).current_dir(dir).output().expect("run iac");
    let (stdout, stderr) = (String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned());
    assert!(o.status.success(), "iac {args:?} in {}:\n{stdout}\n{stderr}", dir.display());
    stdout
}

/// Asserts that two `output -json` documents agree but for iac's collection kinds.
fn same_outputs(what: &str, terraform: &str, iac: &str) {
    let (tf, ours) = (parse_outputs(terraform).expect("terraform's outputs"), parse_outputs(iac).expect("iac's outputs"));
    assert!(!tf.is_empty(), "{what}: terraform gave no outputs");
    let diffs: Vec<String> = differences(&crate::lang_diff::Outcome::Ok(tf), &crate::lang_diff::Outcome::Ok(ours))
        .into_iter()
        .filter(|(_, kind, _)| *kind != "collections")
        .map(|(name, kind, detail)| format!("{name}: {kind}: {detail}"))
        .collect();
    assert!(diffs.is_empty(), "{what}: outputs differ from Terraform's:\n{}", diffs.join("\n"));
}

#[test]
fn remote_state_matches_terraform() {
    let s = Stack::files("b", &[]);
    let root = s.root().to_path_buf();
    let case = fixtures().join("remote-state");
    // Terraform's a, read by Terraform's b and by iac's b.
    copy_dir(&case.join("a"), &root.join("tf/a"), false);
    copy_dir(&case.join("b"), &root.join("tf/b"), false);
    copy_dir(&case.join("b"), &root.join("tf/b-iac"), false);
    terraform(&root.join("tf/a"), &["init", "-input=false", "-no-color"]);
    terraform(&root.join("tf/a"), &["apply", "-auto-approve", "-input=false", "-no-color"]);
    terraform(&root.join("tf/b"), &["init", "-input=false", "-no-color"]);
    terraform(&root.join("tf/b"), &["apply", "-auto-approve", "-input=false", "-no-color"]);
    let expected = terraform(&root.join("tf/b"), &["output", "-json"]);
    iac(&s, &root.join("tf/b-iac"), &["apply", "-auto-approve"]);
    same_outputs("iac reading Terraform's state", &expected, &iac(&s, &root.join("tf/b-iac"), &["output", "-json"]));

    // iac's a, read by iac's b and (exported) by Terraform's b.
    copy_dir(&case.join("a"), &root.join("iac/a"), false);
    copy_dir(&case.join("b"), &root.join("iac/b"), false);
    copy_dir(&case.join("b"), &root.join("iac/b-tf"), false);
    iac(&s, &root.join("iac/a"), &["init"]);
    iac(&s, &root.join("iac/a"), &["apply", "-auto-approve"]);
    assert!(root.join("iac/a/terraform.tfstate.iac").is_dir(), "iac keeps its own state beside the file `path` names");
    iac(&s, &root.join("iac/b"), &["apply", "-auto-approve"]);
    same_outputs("iac reading iac's state", &expected, &iac(&s, &root.join("iac/b"), &["output", "-json"]));
    let exported = iac(&s, &root.join("iac/a"), &["state", "pull"]);
    std::fs::write(root.join("iac/a/terraform.tfstate"), exported).expect("write the exported state");
    terraform(&root.join("iac/b-tf"), &["init", "-input=false", "-no-color"]);
    terraform(&root.join("iac/b-tf"), &["apply", "-auto-approve", "-input=false", "-no-color"]);
    same_outputs("Terraform reading iac's exported state", &expected, &terraform(&root.join("iac/b-tf"), &["output", "-json"]));
}

/// Words of a report, without Terraform's or miette's frames and wrapping.
fn words(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || matches!(c, '│' | '╷' | '╵' | '×' | '⚠')).filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ")
}

#[test]
fn remote_state_errors_are_terraforms() {
    let cases = [
        ("backend = \"nope\"", "There is no backend type named \"nope\"."),
        ("backend = \"etcd\"", "The \"etcd\" backend is not supported in Terraform v1.3 or later."),
        ("backend = \"local\"\n  config  = { paths = \"x\" }", "The given configuration is not valid for backend \"local\": unexpected attribute \"paths\"."),
        (
            "backend  = \"local\"\n  config   = { path = \"../nowhere/terraform.tfstate\" }\n  defaults = { x = 1 }",
            "No stored state was found for the given workspace in the given backend.",
        ),
    ];
    for (body, message) in cases {
        let main = format!("data \"terraform_remote_state\" \"x\" {{\n  {body}\n}}\n\noutput \"o\" {{\n  value = data.terraform_remote_state.x.outputs\n}}\n");
        let s = Stack::files("c", &[("main.tf", &main)]);
        let tf = terraform_command(&s.dir, &["init", "-input=false", "-no-color"]).output().expect("terraform");
        assert!(tf.status.success(), "{}", String::from_utf8_lossy(&tf.stderr));
        let tf = terraform_command(&s.dir, &["plan", "-input=false", "-no-color"]).output().expect("terraform");
        assert!(
            !tf.status.success() && words(&String::from_utf8_lossy(&tf.stderr)).contains(message),
            "terraform on {body}:\n{}",
            String::from_utf8_lossy(&tf.stderr)
        );
        let ours = s.run(&["plan"]);
        assert_eq!(ours.code, 1, "iac on {body}:\n{}", ours.all());
        assert!(words(&ours.stderr).contains(message), "iac on {body} says {message:?}:\n{}", ours.stderr);
    }
}
