//! Plans as pull-request comments: each `fixtures/markdown/<case>/` is a
//! stack (or, with `a/` and `b/`, several); `iac plan -format markdown` must
//! equal `expected.md`, and `show -format markdown` of the same plan saved
//! must say the same. Optional files as in `plan.rs`: `args`, `edit/`
//! (apply first, then copy the edit over the stack; it may also change the
//! files the stack wrote, which is drift), `exit_code`, `forbidden`.
//!
//! A big stack checks that long comments split into valid parts.

use crate::support;

use support::*;

/// Problems that make a comment invalid Markdown on its own: a code fence
/// left open, or `<details>` (outside code) closed before it is opened or
/// left open.
fn structure_problems(part: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let mut fence: Option<String> = None;
    let mut details = 0i32;
    for (n, line) in part.lines().enumerate() {
        let ticks: String = line.chars().take_while(|c| *c == '`').collect();
        match &fence {
            None if ticks.len() >= 3 => fence = Some(ticks),
            // A closing fence is at least as long as the opening one, and nothing follows it.
            Some(f) if ticks.len() >= f.len() && line.trim() == ticks => fence = None,
            Some(_) => {}
            None => {
                details += line.matches("<details").count() as i32;
                details -= line.matches("</details>").count() as i32;
                if details < 0 {
                    problems.push(format!("line {}: </details> without <details>", n + 1));
                    details = 0;
                }
            }
        }
    }
    if let Some(f) = fence {
        problems.push(format!("code fence {f} left open"));
    }
    if details > 0 {
        problems.push(format!("{details} <details> left open"));
    }
    problems
}

#[test]
fn the_structure_checker_finds_broken_parts() {
    assert_eq!(structure_problems("<details><summary>x</summary>\n\n````diff\n```\n````\n\n</details>\n"), Vec::<String>::new());
    for bad in ["<details>\n```diff\n+ a\n", "<details>\n```text\n</details>\n```\n", "</details>\n<details>\n", "````diff\n```\n"] {
        assert!(!structure_problems(bad).is_empty(), "accepted:\n{bad}");
    }
}

fn run_case(name: &str, dir: &std::path::Path) -> Result<(), String> {
    let stack = Stack::fixture(&format!("markdown/{name}"), name);
    let args = read_lines(&dir.join("args"));
    let forbidden = read_lines(&dir.join("forbidden"));
    let want_code: i32 = std::fs::read_to_string(dir.join("exit_code")).map(|s| s.trim().parse().expect("exit_code")).unwrap_or(0);
    let mut seen = Vec::new();
    let mut problems = Vec::new();
    if dir.join("edit").is_dir() {
        let out = stack.run(&["apply", "-auto-approve"]);
        if out.code != 0 {
            return Err(format!("{name}: the first apply failed ({}):\n{}{}", out.code, out.stdout, out.stderr));
        }
        seen.push(out.all());
        stack.apply_edit(&dir.join("edit"));
    }
    let mut plan_args: Vec<&str> = vec!["plan", "-format", "markdown"];
    plan_args.extend(args.iter().map(String::as_str));
    let out = stack.run(&plan_args);
    seen.push(out.all());
    if out.code != want_code {
        return Err(format!("{name}: exit code {} (want {want_code})\n--- stdout ---\n{}\n--- stderr ---\n{}", out.code, out.stdout, out.stderr));
    }
    let actual = stack.normalize(&out.stdout);
    if let Err(e) = check_snapshot(&dir.join("expected.md"), &actual) {
        problems.push(format!("{name}: {e}"));
    }
    problems.extend(structure_problems(&out.stdout).into_iter().map(|p| format!("{name}: {p}")));
    let single = !args.iter().any(|a| !a.starts_with('-'));
    if want_code != 1 && single {
        // The same plan saved, then shown as Markdown, is the same comment.
        let out_arg = format!("-out={}", stack.root().join("saved.plan").display());
        let mut saved_args = plan_args.clone();
        saved_args.push(&out_arg);
        let saved = stack.run(&saved_args);
        seen.push(saved.all());
        let show = stack.run(&["show", "-format", "markdown", stack.root().join("saved.plan").to_str().expect("utf-8")]);
        seen.push(show.all());
        if show.code != 0 {
            problems.push(format!("{name}: show -format markdown failed:\n{}", show.stderr));
        }
        let strip_warnings = |s: &str| s.split("#### Warnings").next().unwrap_or("").trim_end().to_string();
        if strip_warnings(&stack.normalize(&show.stdout)) != strip_warnings(&actual) {
            problems.push(format!("{name}: show -format markdown of the saved plan differs from plan -format markdown:\n{}", show.stdout));
        }
    }
    problems.extend(leaked_secrets(name, &forbidden, &seen));
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

fn case(name: &str) {
    let dir = fixtures().join("markdown").join(name);
    if let Err(e) = run_case(name, &dir) {
        panic!("{e}");
    }
}

macro_rules! markdown_cases {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                case(stringify!($name));
            }
        )*
        const CASES: &[&str] = &[$(stringify!($name)),*];
    };
}

markdown_cases! {
    changes,
    drift,
    error,
    multi,
    multi_error,
    refresh_only,
    sensitive,
    warnings,
}

#[test]
fn every_case_has_a_test() {
    let on_disk: Vec<String> = cases("markdown").into_iter().map(|(n, _)| n).collect();
    let missing: Vec<&String> = on_disk.iter().filter(|n| !CASES.contains(&n.as_str())).collect();
    assert!(missing.is_empty(), "fixtures/markdown cases without a test in markdown.rs: {missing:?}");
}

/// GitHub's limit on a comment body.
const LIMIT: usize = 65_535;

#[test]
fn big_plans_split_into_numbered_valid_parts() {
    // 400 objects with long values: the full plan is several times the limit.
    let stack = Stack::files(
        "big",
        &[(
            "main.tf",
            r#"
resource "terraform_data" "item" {
  count = 400
  input = {
    index = count.index
    text  = join(" ", [for i in range(40) : "value-${count.index}-${i}"])
  }
}
"#,
        )],
    );
    let parts_dir = stack.root().join("comment");
    let out = stack.run(&["plan", "-format", "markdown", "-markdown-dir", parts_dir.to_str().expect("utf-8")]);
    out.ok();
    let mut parts: Vec<(usize, String)> = std::fs::read_dir(&parts_dir)
        .expect("parts dir")
        .map(|e| e.expect("entry").path())
        .map(|p| {
            let n: usize = p
                .file_stem()
                .and_then(|s| s.to_str())
                .and_then(|s| s.strip_prefix("part-"))
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("unexpected file {}", p.display()));
            (n, std::fs::read_to_string(&p).expect("part"))
        })
        .collect();
    parts.sort();
    let n = parts.len();
    assert!(n >= 3, "expected several parts, got {n}");
    let mut all = String::new();
    for (i, (num, text)) in parts.iter().enumerate() {
        assert_eq!(*num, i + 1, "parts are numbered from 1 without gaps");
        let chars = text.chars().count();
        assert!(chars <= LIMIT, "part {num} has {chars} characters");
        assert!(text.starts_with(&format!("<!-- iac-plan part {num}/{n} -->\n**Part {num} of {n}**")), "part {num} header:\n{}", &text[..200]);
        let problems = structure_problems(text);
        assert!(problems.is_empty(), "part {num}: {problems:?}");
        all.push_str(text);
    }
    assert!(all.contains("**Plan:** 400 to add, 0 to change, 0 to destroy."));
    assert_eq!(all.matches("+   resource \"terraform_data\" \"item\" {").count(), 400, "every item is in the full plan once");
    for i in 0..400 {
        assert!(all.contains(&format!("- `terraform_data.item[{i}]`\n")), "item {i} missing from the Create group");
        assert!(all.contains(&format!("value-{i}-39")), "the full plan of item {i} is missing");
    }
    // A shorter plan afterwards leaves no stale parts behind.
    stack.write("main.tf", "resource \"terraform_data\" \"one\" {}\n");
    stack.run(&["plan", "-format", "markdown", "-markdown-dir", parts_dir.to_str().expect("utf-8")]).ok();
    let files: Vec<_> = std::fs::read_dir(&parts_dir).expect("parts dir").collect();
    assert_eq!(files.len(), 1);
}

#[test]
fn stdout_parts_are_separated_by_their_markers() {
    let stack = Stack::files("small", &[("main.tf", "resource \"terraform_data\" \"a\" {}\n")]);
    let out = stack.run(&["plan", "-format", "markdown"]);
    out.ok();
    assert!(out.stdout.starts_with("<!-- iac-plan part 1/1 -->\n"), "{}", out.stdout);
    let bad = stack.run(&["plan", "-format", "yaml"]);
    bad.expect_code(1);
    assert!(bad.stderr.contains("use human, json or markdown"), "{}", bad.stderr);
}

/// The CI flow: plan several stacks from the repository root, saving each
/// plan in its stack; apply each from its directory. The plans are not
/// stale: `path.module` and relative paths mean the same in both runs.
#[test]
fn several_stacks_save_plans_that_apply_from_their_directories() {
    let file = "resource \"local_file\" \"f\" {\n  filename = \"${path.module}/out/f.txt\"\n  content  = \"x\"\n}\n";
    let repo = Stack::files("repo", &[("stacks/a/main.tf", file), ("stacks/b/main.tf", file)]);
    let out = repo.run(&["plan", "-detailed-exitcode", "-out", "plan.bin", "stacks/a/", "stacks/b/"]);
    out.expect_code(2);
    assert!(out.stdout.contains("=== stacks/a ===") && out.stdout.contains("=== stacks/b ==="), "{}", out.stdout);
    for s in ["stacks/a", "stacks/b"] {
        assert!(repo.path(&format!("{s}/plan.bin")).is_file(), "{s}/plan.bin was not saved");
        repo.run(&["-chdir", s, "apply", "plan.bin"]).ok();
        assert_eq!(std::fs::read_to_string(repo.path(&format!("{s}/out/f.txt"))).expect("written"), "x");
    }
    repo.run(&["plan", "-detailed-exitcode", "stacks/a", "stacks/b"]).ok();
}
