//! Plans as pull-request comments: each `fixtures/markdown/<case>/` is a
//! stack (or, with `a/` and `b/`, several); `iac plan -format markdown` must
//! equal `expected.md`, and `show -format markdown` of the same plan saved
//! must say the same. Optional files as in `plan.rs`: `args`, `edit/`
//! (apply first, then copy the edit over the stack; it may also change the
//! files the stack wrote, which is drift), `exit_code`, `forbidden`.
//!
//! A big stack checks that long comments split into valid parts.

mod support;

use support::*;

fn apply_edit(stack: &Stack, edit: &std::path::Path, rel: &str) {
    for e in std::fs::read_dir(edit).expect("edit dir") {
        let e = e.expect("entry");
        let name = format!("{rel}{}", e.file_name().to_string_lossy());
        if e.path().is_dir() {
            apply_edit(stack, &e.path(), &format!("{name}/"));
            continue;
        }
        let text = std::fs::read_to_string(e.path()).expect("edit file");
        if text.trim() == "DELETE" {
            std::fs::remove_file(stack.path(&name)).unwrap_or_else(|err| panic!("edit: delete {name}: {err}"));
        } else {
            stack.write(&name, &text);
        }
    }
}

/// Problems that make a comment invalid Markdown: unbalanced `<details>`, an unclosed code fence.
fn structure_problems(part: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let (opens, closes) = (part.matches("<details").count(), part.matches("</details>").count());
    if opens != closes {
        problems.push(format!("{opens} <details> but {closes} </details>"));
    }
    let mut fence: Option<String> = None;
    for line in part.lines() {
        let ticks: String = line.chars().take_while(|c| *c == '`').collect();
        match &fence {
            None if ticks.len() >= 3 => fence = Some(ticks),
            Some(f) if ticks == *f && line.trim() == f.as_str() => fence = None,
            _ => {}
        }
    }
    if let Some(f) = fence {
        problems.push(format!("code fence {f} left open"));
    }
    problems
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
        apply_edit(&stack, &dir.join("edit"), "");
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
    for f in &forbidden {
        for (i, text) in seen.iter().enumerate() {
            if text.contains(f.as_str()) {
                problems.push(format!("{name}: the secret {f:?} appears in output #{i}:\n{text}"));
            }
        }
    }
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
            let n: usize = p.file_stem().and_then(|s| s.to_str()).and_then(|s| s.strip_prefix("part-")).and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("unexpected file {}", p.display()));
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
    assert!(all.contains("**Plan:** 400 to add, 0 to change, 0 to replace, 0 to destroy."));
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
