//! `iac apply plan.bin` as CI runs it: no terminal, a saved plan, a progress
//! line per resource (start, then done or failed with the time it took), a
//! Markdown job summary (to -summary-markdown FILE, or appended to
//! $GITHUB_STEP_SUMMARY), exit 1 on any failure only after the independent
//! work finished, and a stale plan refused.

use crate::support;

use support::*;

const STACK: &str = r#"
resource "terraform_data" "independent" {
  input = "fine"
}

resource "local_file" "broken" {
  # The test puts a regular file at ./blocker after planning: the write fails.
  filename = "${path.module}/blocker/file.txt"
  content  = "x"
}

resource "terraform_data" "after_broken" {
  input = local_file.broken.id
}

resource "local_file" "also_fine" {
  filename = "${path.module}/out/fine.txt"
  content  = "fine"
}
"#;

#[test]
fn a_failure_stops_only_its_dependents_and_the_summary_says_what_happened() {
    let stack = Stack::files("ci", &[("main.tf", STACK)]);
    let plan = stack.root().join("plan.bin");
    stack.run(&["plan", "-out", plan.to_str().expect("utf-8")]).ok();
    std::fs::write(stack.path("blocker"), "a file where a directory should be").expect("blocker");
    let summary = stack.root().join("summary.md");
    std::fs::write(&summary, "# earlier step\n").expect("summary");
    let out = stack.run_env(&["apply", plan.to_str().expect("utf-8")], &[("GITHUB_STEP_SUMMARY", summary.to_str().expect("utf-8"))]);
    out.expect_code(1);
    let lines: Vec<&str> = out.stdout.lines().collect();
    let has = |l: &str| lines.iter().any(|x| x.starts_with(l));
    for addr in ["terraform_data.independent", "local_file.also_fine"] {
        assert!(has(&format!("{addr}: Creating...")), "no start line for {addr}:\n{}", out.stdout);
        assert!(has(&format!("{addr}: Creation complete after ")), "no done line for {addr}:\n{}", out.stdout);
    }
    assert!(has("local_file.broken: Creating...") && has("local_file.broken: Creating failed after "), "{}", out.stdout);
    assert!(!out.stdout.contains("terraform_data.after_broken"), "a dependent of a failure must not start:\n{}", out.stdout);
    let mut listed = stack.state_list();
    listed.sort();
    assert_eq!(listed, vec!["local_file.also_fine", "terraform_data.independent"]);

    let text = std::fs::read_to_string(&summary).expect("summary");
    assert!(text.starts_with("# earlier step\n"), "the summary is appended, as GitHub expects:\n{text}");
    let text = normalize(&text, &[stack.root()]);
    let time = regex::Regex::new(r"\| \d+\.\ds \|").unwrap();
    let text = time.replace_all(&text, "| <time> |");
    assert!(text.contains("## :x: iac apply `ci` failed: 2 done, 1 failed, 0 not finished"), "{text}");
    assert!(text.contains("| `terraform_data.independent` | create | done | <time> |"), "{text}");
    assert!(text.contains("| `local_file.also_fine` | create | done | <time> |"), "{text}");
    assert!(text.contains("| `local_file.broken` | create | failed: "), "{text}");
    assert!(text.contains("### Errors"), "{text}");

    // The same plan again: the state moved on, so it is refused.
    let again = stack.run(&["apply", plan.to_str().expect("utf-8")]);
    again.expect_code(1);
    assert!(again.stderr.contains("make a new plan"), "{}", again.stderr);
}

#[test]
fn a_successful_apply_writes_its_summary_where_asked() {
    let stack = Stack::files("ok", &[("main.tf", "resource \"terraform_data\" \"a\" {\n  input = 1\n}\n")]);
    let plan = stack.root().join("plan.bin");
    stack.run(&["plan", "-out", plan.to_str().expect("utf-8")]).ok();
    let summary = stack.root().join("apply.md");
    let env_summary = stack.root().join("env.md");
    let out = stack.run_env(
        &["apply", "-summary-markdown", summary.to_str().expect("utf-8"), plan.to_str().expect("utf-8")],
        &[("GITHUB_STEP_SUMMARY", env_summary.to_str().expect("utf-8"))],
    );
    out.ok();
    assert!(out.stdout.contains("terraform_data.a: Creating...\nterraform_data.a: Creation complete after "), "{}", out.stdout);
    let text = std::fs::read_to_string(&summary).expect("summary");
    assert!(text.starts_with("## :white_check_mark: iac apply `ok`: 1 operation(s) done\n"), "{text}");
    assert!(!env_summary.exists(), "-summary-markdown wins over $GITHUB_STEP_SUMMARY");
}

#[test]
fn long_operations_say_they_are_still_running() {
    let stack = Stack::files("slow", &[("main.tf", "resource \"time_sleep\" \"wait\" {\n  create_duration = \"2s\"\n}\n")]);
    let plan = stack.root().join("plan.bin");
    stack.run(&["plan", "-out", plan.to_str().expect("utf-8")]).ok();
    let out = stack.run_env(&["apply", plan.to_str().expect("utf-8")], &[("IAC_PROGRESS_INTERVAL_MS", "200")]);
    out.ok();
    let lines: Vec<&str> = out.stdout.lines().filter(|l| l.starts_with("time_sleep.wait:")).collect();
    assert_eq!(lines.first(), Some(&"time_sleep.wait: Creating..."), "{}", out.stdout);
    assert!(lines.last().is_some_and(|l| l.starts_with("time_sleep.wait: Creation complete after ")), "{}", out.stdout);
    let still = regex::Regex::new(r"^time_sleep\.wait: Still creating\.\.\. \[\d+s elapsed\]$").unwrap();
    let between = &lines[1..lines.len() - 1];
    assert!(!between.is_empty() && between.iter().all(|l| still.is_match(l)), "{}", out.stdout);
}
