//! Differential check against the real `terraform fmt`.
//!
//! Terraform 1.11.4 comes with the machine image, so this runs in the
//! suite and fails, never skips, without it (`TERRAFORM=/path/to/terraform`
//! picks another binary; default `terraform` on `PATH`).
//!
//! Fixtures listed in [`DELIBERATE_DIFFERENCES`] exercise places where
//! `iac fmt` intentionally departs from `terraform fmt`; see the crate docs.
//!
//! Terraform formats a copy of each input as a file, not on stdin: what it
//! prints for `-` is not byte for byte what it writes (the end of a file
//! without a final newline differs).

use crate::common;

use std::process::Command;

use common::{fixture_names, read_fixture};

/// Fixtures whose expected output intentionally differs from terraform's:
/// - `heredoc`: terraform normalises `${ x }` inside heredoc bodies; we keep
///   heredoc bodies byte-for-byte.
/// - `templates`: terraform unwraps `"${x}"` to `x`; we never rewrite
///   expressions.
const DELIBERATE_DIFFERENCES: &[&str] = &["heredoc", "templates"];

fn terraform_fmt(name: &str, src: &str) -> String {
    let bin = std::env::var("TERRAFORM").unwrap_or_else(|_| "terraform".into());
    let dir = std::env::temp_dir().join(format!("iac-fmt-parity-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let file = dir.join("main.tf");
    std::fs::write(&file, src).expect("write input");
    let out =
        Command::new(bin).args(["fmt", "-no-color", "-list=false"]).arg(&file).env("TF_CLI_CONFIG_FILE", "/dev/null").output().expect("terraform binary runs");
    assert!(out.status.success(), "terraform fmt failed: {}", String::from_utf8_lossy(&out.stderr));
    let formatted = std::fs::read_to_string(&file).expect("read output");
    std::fs::remove_dir_all(&dir).expect("remove scratch dir");
    formatted
}

#[test]
fn expected_outputs_match_terraform_fmt() {
    for name in fixture_names() {
        let input = read_fixture(&format!("{name}.in.tf"));
        let expected = read_fixture(&format!("{name}.out.tf"));
        let theirs = terraform_fmt(&name, &input);
        if DELIBERATE_DIFFERENCES.contains(&name.as_str()) {
            assert_ne!(theirs, expected, "{name} now matches terraform; drop it from the list");
        } else {
            assert_eq!(expected, theirs, "{name}: differs from terraform fmt");
        }
    }
}
