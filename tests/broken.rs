//! The corpus of broken stacks: each `fixtures/broken/<case>/` must make
//! `iac validate` (or the command in its `args` file, e.g. `plan`) exit 1
//! without panicking, with stderr equal to `expected.txt`, and every
//! diagnostic must point at file:line:col. Cases checked with `validate`
//! must make `plan` fail with the same diagnostics too. A `min_errors` file
//! asks for at least that many errors reported together in the one run.

use crate::support;

use support::*;

fn run_case(name: &str) -> Result<(), String> {
    let dir = fixtures().join("broken").join(name);
    let stack = Stack::fixture(&format!("broken/{name}"), name);
    let mut args = read_lines(&dir.join("args"));
    if args.is_empty() {
        args.push("validate".into());
    }
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = stack.run(&argv);
    let mut problems = Vec::new();
    if out.code != 1 {
        problems.push(format!("exit code {} (want 1)", out.code));
    }
    if out.stderr.contains("panicked") {
        problems.push("iac panicked".into());
    }
    if !out.stdout.trim().is_empty() && argv[0] == "validate" {
        problems.push(format!("validate printed to stdout: {}", out.stdout));
    }
    // Every diagnostic headline (miette: "× summary" / "⚠ summary") starts with file:line:col.
    let located = regex::Regex::new(r"^\s*[×⚠] [^\s:]+\.(tf|tfvars|hcl):\d+:\d+: ").unwrap();
    let headlines: Vec<&str> = out.stderr.lines().filter(|l| l.trim_start().starts_with('×') || l.trim_start().starts_with('⚠')).collect();
    if headlines.is_empty() {
        problems.push("no diagnostics on stderr".into());
    }
    for h in &headlines {
        if !located.is_match(h) {
            problems.push(format!("diagnostic without file:line:col: {h}"));
        }
    }
    if let Some(min) = std::fs::read_to_string(dir.join("min_errors")).ok().and_then(|s| s.trim().parse::<usize>().ok()) {
        let errors = headlines.iter().filter(|h| h.trim_start().starts_with('×')).count();
        if errors < min {
            problems.push(format!("{errors} error(s) reported in one run, want at least {min}"));
        }
    }
    if argv[0] == "validate" {
        // What validate finds, plan refuses too, with the same diagnostics.
        let plan = stack.run(&["plan"]);
        if plan.code != 1 {
            problems.push(format!("plan exits {} (want 1)", plan.code));
        }
        for h in &headlines {
            if !plan.stderr.contains(h.trim()) {
                problems.push(format!("plan does not report: {h}\n--- plan stderr ---\n{}", plan.stderr));
            }
        }
    }
    if let Err(e) = check_snapshot(&dir.join("expected.txt"), &stack.normalize(&out.stderr)) {
        problems.push(e);
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{name} (iac {}):\n- {}\n--- stderr ---\n{}", args.join(" "), problems.join("\n- "), out.stderr))
    }
}

macro_rules! broken_cases {
    ($($(#[$m:meta])* $name:ident),* $(,)?) => {
        $(
            #[test]
            $(#[$m])*
            fn $name() {
                if let Err(e) = run_case(stringify!($name)) {
                    panic!("{e}");
                }
            }
        )*
        const CASES: &[&str] = &[$(stringify!($name)),*];
    };
}

broken_cases! {
    count_index_without_count,
    count_unknown,
    dependency_cycle,
    duplicate_resource,
    ephemeral_resource_not_allowed,
    ephemeral_value_not_allowed,
    failed_validation,
    for_each_unknown_keys,
    import_for_each_index_variable,
    import_for_each_target,
    import_for_each_unknown,
    import_id_unknown,
    import_target_missing,
    invalid_variable_default,
    missing_required_variable,
    moved_ambiguous,
    moved_cycle,
    moved_still_exists,
    moved_still_exists_keyed,
    multiple_errors,
    multiple_errors_in_bodies,
    removed_instance_key,
    removed_still_declared,
    sensitive_output,
    syntax_error,
    unknown_argument,
    unknown_block_type,
    unknown_function,
    unknown_provider_type,
    unknown_resource_type,
    unknown_reference_local,
    unknown_reference_module_output,
    unknown_reference_resource,
    unknown_reference_var,
    wrong_variable_type,
}

#[test]
fn every_case_has_a_test() {
    let on_disk: Vec<String> = cases("broken").into_iter().map(|(n, _)| n).collect();
    let missing: Vec<&String> = on_disk.iter().filter(|n| !CASES.contains(&n.as_str())).collect();
    assert!(missing.is_empty(), "fixtures/broken cases without a test in broken.rs: {missing:?}");
    for c in CASES {
        assert!(on_disk.iter().any(|n| n == c), "broken.rs lists {c}, but fixtures/broken/{c} is missing");
    }
}
