//! Differential check against the real `terraform fmt`.
//!
//! Terraform 1.11.4 comes with the machine image, so this runs in the
//! suite and fails, never skips, without it (`TERRAFORM=/path/to/terraform`
//! picks another binary; default `terraform` on `PATH`).
//!
//! Fixtures listed in [`DELIBERATE_DIFFERENCES`] exercise places where
//! `iac fmt` intentionally departs from `terraform fmt`; see the crate docs.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::{fixture_names, read_fixture};

/// Fixtures whose expected output intentionally differs from terraform's:
/// - `heredoc`: terraform normalises `${ x }` inside heredoc bodies; we keep
///   heredoc bodies byte-for-byte.
/// - `templates`: terraform unwraps `"${x}"` to `x`; we never rewrite
///   expressions.
/// - `trailing_blank_lines`: terraform keeps blank lines at end of file; we
///   end every file with exactly one newline.
const DELIBERATE_DIFFERENCES: &[&str] = &["heredoc", "templates", "trailing_blank_lines"];

fn terraform_fmt(src: &str) -> String {
    let bin = std::env::var("TERRAFORM").unwrap_or_else(|_| "terraform".into());
    let mut child = Command::new(bin)
        .args(["fmt", "-no-color", "-"])
        .env("TF_CLI_CONFIG_FILE", "/dev/null")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("terraform binary runs");
    child.stdin.take().expect("stdin").write_all(src.as_bytes()).expect("write stdin");
    let out = child.wait_with_output().expect("terraform fmt finishes");
    assert!(out.status.success(), "terraform fmt failed");
    String::from_utf8(out.stdout).expect("utf-8")
}

#[test]
fn expected_outputs_match_terraform_fmt() {
    for name in fixture_names() {
        let input = read_fixture(&format!("{name}.in.tf"));
        let expected = read_fixture(&format!("{name}.out.tf"));
        let theirs = terraform_fmt(&input);
        if DELIBERATE_DIFFERENCES.contains(&name.as_str()) {
            assert_ne!(theirs, expected, "{name} now matches terraform; drop it from the list");
        } else {
            assert_eq!(expected, theirs, "{name}: differs from terraform fmt");
        }
    }
}
