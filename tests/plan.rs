//! Plan snapshots: each `fixtures/plan/<case>/` is a stack; the test copies
//! it into a fresh repository and compares `iac plan -no-color` with
//! `expected.plan.txt` (stdout, then stderr after a marker when not empty).
//!
//! Optional files in a case:
//! - `args`: extra arguments of `plan`, one per line;
//! - `env`: NAME=VALUE environment variables, one per line;
//! - `exit_code`: the expected exit code (default 0);
//! - `edit/`: a two-step case: `apply -auto-approve` first, then copy the
//!   files of `edit/` over the stack (a file holding only `DELETE` removes
//!   it), then plan;
//! - `forbidden`: strings (one per line) that must appear nowhere: not in
//!   stdout or stderr of any run, nor in `show -json` of the saved plan.
//!
//! Against Terraform 1.11.4, `fixtures/plan-order` lists its changes in the
//! same order in both tools (`plan_order_matches_terraform`).

use crate::lang_diff::{succeeds, terraform_quiet};
use crate::support;

use support::*;

fn run_case(name: &str, dir: &std::path::Path) -> Result<(), String> {
    let mut stack = Stack::fixture(&format!("plan/{name}"), name);
    for line in read_lines(&dir.join("env")) {
        let (k, v) = line.split_once('=').ok_or_else(|| format!("{name}/env: {line:?} is not NAME=VALUE"))?;
        stack.env.insert(k.to_string(), v.to_string());
    }
    let args = read_lines(&dir.join("args"));
    let forbidden = read_lines(&dir.join("forbidden"));
    let want_code: i32 = std::fs::read_to_string(dir.join("exit_code")).map(|s| s.trim().parse().expect("exit_code")).unwrap_or(0);
    let mut seen = Vec::new();

    if dir.join("edit").is_dir() {
        let out = stack.run(&["apply", "-auto-approve"]);
        if out.code != 0 {
            return Err(format!("{name}: the first apply failed ({}):\n{}{}", out.code, out.stdout, out.stderr));
        }
        seen.push(out.all());
        stack.apply_edit(&dir.join("edit"));
    }

    let mut plan_args: Vec<&str> = vec!["plan"];
    plan_args.extend(args.iter().map(String::as_str));
    let out = stack.run(&plan_args);
    seen.push(out.all());
    if out.code != want_code {
        return Err(format!("{name}: exit code {} (want {want_code})\n--- stdout ---\n{}\n--- stderr ---\n{}", out.code, out.stdout, out.stderr));
    }
    let mut actual = out.stdout.clone();
    if !out.stderr.is_empty() {
        actual.push_str("--- stderr ---\n");
        actual.push_str(&out.stderr);
    }
    let actual = stack.normalize(&actual);
    let mut problems = Vec::new();
    if let Err(e) = check_snapshot(&dir.join("expected.plan.txt"), &actual) {
        problems.push(format!("{name}: {e}"));
    }

    if want_code == 0 {
        // The same plan, saved: `show -json` must be a Terraform-shaped plan.
        let plan_file = stack.root().join("saved.plan");
        let mut saved_args = plan_args.clone();
        let out_arg = format!("-out={}", plan_file.display());
        saved_args.push(&out_arg);
        let saved = stack.run(&saved_args);
        seen.push(saved.all());
        if saved.code != 0 {
            problems.push(format!("{name}: plan -out failed:\n{}", saved.stderr));
        } else {
            let show = stack.run(&["show", "-json", plan_file.to_str().expect("utf-8 path")]);
            seen.push(show.all());
            match serde_json::from_str::<serde_json::Value>(&show.stdout) {
                Ok(j) => {
                    // As Terraform, resource_changes and output_changes are left out when empty.
                    if j["format_version"].as_str().is_none()
                        || !j["planned_values"].is_object()
                        || !(j["resource_changes"].is_array() || j["output_changes"].is_object() || j["applyable"] == false)
                    {
                        problems.push(format!("{name}: show -json lacks format_version/planned_values/changes:\n{}", show.stdout));
                    }
                }
                Err(e) => problems.push(format!("{name}: show -json is not JSON ({e}):\n{}{}", show.stdout, show.stderr)),
            }
        }
    }
    if want_code == 0 && problems.is_empty() {
        // Convergence: applying the plan, then planning again (without
        // -replace, which asks for a change every time) finds nothing to do.
        let mut apply_args: Vec<&str> = vec!["apply", "-auto-approve"];
        apply_args.extend(args.iter().map(String::as_str));
        let applied = stack.run(&apply_args);
        seen.push(applied.all());
        if applied.code != 0 {
            problems.push(format!("{name}: apply failed ({}):\n{}\n{}", applied.code, applied.stdout, applied.stderr));
        } else {
            let mut again: Vec<&str> = vec!["plan", "-detailed-exitcode"];
            again.extend(args.iter().map(String::as_str).filter(|a| !a.starts_with("-replace")));
            let replan = stack.run(&again);
            seen.push(replan.all());
            if replan.code != 0 {
                problems.push(format!("{name}: after apply, plan -detailed-exitcode exits {} (want 0):\n{}\n{}", replan.code, replan.stdout, replan.stderr));
            }
            // `output` (not -json or -raw, which print values as Terraform does) redacts.
            let outputs = stack.run(&["output"]);
            seen.push(outputs.all());
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
    let dir = fixtures().join("plan").join(name);
    if let Err(e) = run_case(name, &dir) {
        panic!("{e}");
    }
}

/// One test per fixture case; `every_case_has_a_test` keeps the list complete.
macro_rules! plan_cases {
    ($($(#[$m:meta])* $name:ident),* $(,)?) => {
        $(
            #[test]
            $(#[$m])*
            fn $name() {
                case(stringify!($name));
            }
        )*
        const CASES: &[&str] = &[$(stringify!($name)),*];
    };
}

plan_cases! {
    count,
    create_before_destroy,
    data_source,
    for_each_map,
    ignore_changes,
    import,
    locals_merge,
    modules_nested,
    moved,
    multiline_json_update,
    prevent_destroy,
    replace,
    replace_triggered_by,
    sensitive,
    target,
    templates,
    variables,
}

#[test]
fn every_case_has_a_test() {
    let on_disk: Vec<String> = cases("plan").into_iter().map(|(n, _)| n).collect();
    let missing: Vec<&String> = on_disk.iter().filter(|n| !CASES.contains(&n.as_str())).collect();
    assert!(missing.is_empty(), "fixtures/plan cases without a test in plan.rs: {missing:?}");
    for c in CASES {
        assert!(on_disk.iter().any(|n| n == c), "plan.rs lists {c}, but fixtures/plan/{c} is missing");
    }
}

/// The order in which a plan lists its changes, against Terraform 1.11.4
/// (`fixtures/plan-order`: reads deferred to apply beside creates, in the
/// root module and in modules, with count and for_each keys): the human
/// plan's `# ADDR ...` headings and `show -json`'s `resource_changes` both
/// follow Terraform's order of addresses (a module's data sources before
/// its managed resources, shorter module paths first, numeric keys by
/// number, string keys byte by byte), not one group of actions after another.
#[test]
fn plan_order_matches_terraform() {
    let case = fixtures().join("plan-order");
    let heading = regex::Regex::new(r"^  # ([^(].*?)(?: \(deposed object [0-9a-f]+\))? (?:will|must|has|is)\b").expect("regex");
    let order = |plan: &str, show_json: &str| -> (Vec<String>, Vec<String>) {
        let headings = plan.lines().filter_map(|l| heading.captures(l)).map(|c| c[1].to_string()).collect();
        let j: serde_json::Value = serde_json::from_str(show_json).unwrap_or_else(|e| panic!("show -json is not JSON ({e}): {show_json}"));
        let listed = j["resource_changes"].as_array().into_iter().flatten().map(|c| c["address"].as_str().unwrap_or_default().to_string()).collect();
        (headings, listed)
    };
    let tmp = tempfile::Builder::new().prefix("plan-order-tf-").tempdir().expect("tempdir");
    let dir = tmp.path().join("stack");
    copy_dir(&case, &dir, true);
    let tf = |args: &[&str]| succeeds(&case, &|a: &[&str]| terraform_quiet(&dir, a), args);
    tf(&["init"]);
    let theirs = order(&tf(&["plan", "-out=p.bin"]), &tf(&["show", "-json", "p.bin"]));
    let stack = Stack::fixture("plan-order", "plan-order");
    let ours = order(&stack.run(&["plan", "-out=p.bin"]).ok().stdout, &stack.run(&["show", "-json", "p.bin"]).ok().stdout);
    assert!(theirs.0.first().is_some_and(|a| a.starts_with("data.")), "terraform did not list a read first: {theirs:?}");
    assert!(theirs.0.iter().any(|a| a.starts_with("module.")), "terraform planned nothing in modules: {theirs:?}");
    assert_eq!(ours, theirs, "(plan headings, show -json resource_changes) of iac, then of terraform");
}
