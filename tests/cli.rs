//! Behaviour of the `iac` binary: plan/apply cycles, saved plans, show,
//! output, state commands, graph, fmt, destroy, locking, crash recovery,
//! interrupts and partial failures. Stacks come from `fixtures/cli/`.

use crate::support;

use std::time::{Duration, Instant};

use serde_json::Value as Json;
use support::*;

fn basic() -> Stack {
    Stack::fixture("cli/basic", "basic")
}

fn apply(stack: &Stack) -> Out {
    let out = stack.run(&["apply", "-auto-approve"]);
    out.ok();
    out
}

/// Resource addresses in state, from `state pull`.
fn addresses(stack: &Stack) -> Vec<String> {
    let mut v = stack.state_list();
    v.sort();
    v
}

fn lock_file(stack: &Stack) -> std::path::PathBuf {
    stack.state_dir().join("lock.json")
}

fn lock_id(stack: &Stack) -> String {
    let text = std::fs::read_to_string(lock_file(stack)).expect("lock.json");
    let j: Json = serde_json::from_str(&text).expect("lock.json is JSON");
    j["id"].as_str().expect("lock id").to_string()
}

#[test]
fn plan_apply_replan_is_empty() {
    let s = basic();
    let plan = s.run(&["plan", "-detailed-exitcode"]);
    plan.expect_code(2);
    assert!(plan.stdout.contains("Plan: 5 to add, 0 to change, 0 to destroy."), "{}", plan.stdout);
    assert!(plan.stderr.is_empty(), "plan wrote to stderr: {}", plan.stderr);
    // Planning records nothing.
    assert!(s.state_list().is_empty(), "plan must not write resources to state");

    let out = apply(&s);
    assert!(out.stdout.contains("Apply complete! Resources: 5 added, 0 changed, 0 destroyed."), "{}", out.stdout);
    assert!(out.stdout.contains("local_file.report: Creation complete"), "{}", out.stdout);
    assert!(out.stdout.contains("greeting = \"hello\""), "apply prints outputs: {}", out.stdout);
    assert!(out.stdout.contains("token = (sensitive value)"), "{}", out.stdout);
    assert!(!out.all().contains("tok-SECRET-123"), "the sensitive default leaked:\n{}", out.all());
    assert_eq!(s.read("out/report.txt"), "greeting: hello\n");
    // State lives in the repository's state/ folder (the temp dir has .git), not in the stack.
    assert!(s.state_dir().join("state.json").is_file(), "no state at {}", s.state_dir().display());
    assert!(!s.path("state").exists() && !s.path(".iac-state").exists());
    assert_eq!(
        addresses(&s),
        ["local_file.report", "terraform_data.first", "terraform_data.second[0]", "terraform_data.second[1]", "terraform_data.secret_holder"]
    );

    let again = s.run(&["plan", "-detailed-exitcode"]);
    again.expect_code(0);
    assert!(again.stdout.contains("No changes."), "{}", again.stdout);

    // A change in a variable is an in-place update of exactly the affected objects.
    let changed = s.run(&["plan", "-detailed-exitcode", "-var", "greeting=hi"]);
    changed.expect_code(2);
    assert!(changed.stdout.contains("# terraform_data.first will be updated in-place"), "{}", changed.stdout);
    assert!(changed.stdout.contains("# local_file.report must be replaced"), "{}", changed.stdout);
    assert!(!changed.stdout.contains("secret_holder"), "{}", changed.stdout);
}

#[test]
fn apply_without_approval_is_refused_when_not_interactive() {
    let s = basic();
    let out = s.run(&["apply"]);
    out.expect_code(1);
    assert!(out.stderr.contains("-auto-approve"), "{}", out.stderr);
    assert!(s.state_list().is_empty());
}

#[test]
fn saved_plan_applies_exactly_and_only_once() {
    let s = basic();
    let plan_file = s.root().join("p.plan");
    let p = plan_file.to_str().unwrap();
    s.run(&["plan", &format!("-out={p}")]).ok();
    let out = s.run(&["apply", p]);
    out.ok();
    assert!(out.stdout.contains("Apply complete! Resources: 5 added"), "{}", out.stdout);
    s.run(&["plan", "-detailed-exitcode"]).expect_code(0);
    // The same plan again: the state moved on since.
    let twice = s.run(&["apply", p]);
    twice.expect_code(1);
    assert!(twice.stderr.contains("state changed since the plan was made"), "{}", twice.stderr);
}

#[test]
fn saved_plan_refused_when_state_changed_since() {
    let s = basic();
    let (p1, p2) = (s.root().join("one.plan"), s.root().join("two.plan"));
    s.run(&["plan", &format!("-out={}", p1.display())]).ok();
    s.run(&["plan", &format!("-out={}", p2.display())]).ok();
    s.run(&["apply", p2.to_str().unwrap()]).ok();
    let before = s.state_json();
    let out = s.run(&["apply", p1.to_str().unwrap()]);
    out.expect_code(1);
    assert!(out.stderr.contains("saved plan cannot be applied"), "{}", out.stderr);
    assert!(out.stderr.contains("state changed since the plan was made"), "{}", out.stderr);
    assert!(!out.stdout.contains("Creating..."), "a stale plan started operations: {}", out.stdout);
    assert_eq!(s.state_json()["serial"], before["serial"], "a refused plan must not touch state");
}

#[test]
fn saved_plan_refused_when_stack_files_changed() {
    let s = basic();
    let p = s.root().join("p.plan");
    s.run(&["plan", &format!("-out={}", p.display())]).ok();
    let text = s.read("main.tf").replace("default = \"hello\"", "default = \"bonjour\"");
    s.write("main.tf", &text);
    let out = s.run(&["apply", p.to_str().unwrap()]);
    out.expect_code(1);
    assert!(out.stderr.contains("stack's files changed since the plan was made"), "{}", out.stderr);
    assert!(s.state_list().is_empty());
    assert!(!s.path("out/report.txt").exists());
}

#[test]
fn show_json_of_a_plan_has_terraforms_shape() {
    let s = Stack::fixture("cli/show_json", "show_json");
    std::fs::remove_file(s.path("edited.tf.txt")).unwrap();
    apply(&s);
    s.write("main.tf", &std::fs::read_to_string(fixtures().join("cli/show_json/edited.tf.txt")).unwrap());
    let p = s.root().join("p.plan");
    s.run(&["plan", &format!("-out={}", p.display())]).ok();
    let show = s.run(&["show", "-json", p.to_str().unwrap()]);
    show.ok();
    for secret in ["pw-before", "pw-after"] {
        assert!(!show.stdout.contains(secret), "show -json leaks {secret}:\n{}", show.stdout);
    }
    let j: Json = serde_json::from_str(&show.stdout).expect("show -json is JSON");
    assert!(j["format_version"].as_str().is_some_and(|v| v.starts_with("1.")), "{j}");
    let changes = j["resource_changes"].as_array().expect("resource_changes");
    let by_addr = |a: &str| changes.iter().find(|c| c["address"] == a).unwrap_or_else(|| panic!("no change for {a} in {j:#}"));
    let actions = |a: &str| by_addr(a)["change"]["actions"].clone();
    for c in changes {
        let ch = &c["change"];
        for key in ["actions", "before", "after_unknown", "before_sensitive", "after_sensitive"] {
            assert!(ch.get(key).is_some(), "{} change lacks {key}: {ch}", c["address"]);
        }
        assert_eq!(c["mode"], "managed");
        assert_eq!(c["type"], "terraform_data");
    }
    assert_eq!(actions("terraform_data.updated"), serde_json::json!(["update"]));
    assert_eq!(actions("terraform_data.replaced"), serde_json::json!(["delete", "create"]));
    assert_eq!(actions("terraform_data.cbd"), serde_json::json!(["create", "delete"]));
    assert_eq!(actions("terraform_data.removed"), serde_json::json!(["delete"]));
    assert_eq!(actions("terraform_data.created"), serde_json::json!(["create"]));

    let updated = &by_addr("terraform_data.updated")["change"];
    assert_eq!(updated["before"]["input"], "before");
    assert_eq!(updated["after"]["input"], "after");
    // As Terraform: after_unknown lists only what is unknown.
    assert!(updated["after_unknown"].get("input").is_none_or(|v| v == false), "{updated}");
    assert_eq!(updated["after_unknown"].get("id"), None, "{updated}");
    let replaced = &by_addr("terraform_data.replaced")["change"];
    assert_eq!(replaced["replace_paths"], serde_json::json!([["triggers_replace"]]), "{replaced}");
    assert_eq!(replaced["after"]["id"], Json::Null);
    assert_eq!(replaced["after_unknown"]["id"], true, "{replaced}");
    let created = &by_addr("terraform_data.created")["change"];
    assert_eq!(created["before"], Json::Null);
    // As Terraform: the output of an updated terraform_data is known only after apply.
    assert_eq!(created["after"].get("input"), None, "{created}");
    assert_eq!(created["after_unknown"]["input"], true, "{created}");
    assert_eq!(created["after_unknown"]["id"], true, "{created}");
    let removed = &by_addr("terraform_data.removed")["change"];
    assert_eq!(removed["before"]["input"], "going away");
    assert_eq!(removed["after"], Json::Null);

    let secret = &by_addr("terraform_data.with_secret")["change"];
    assert_eq!(secret["actions"], serde_json::json!(["update"]));
    assert_eq!(secret["before"]["input"]["password"], Json::Null, "{secret}");
    assert_eq!(secret["before"]["input"]["user"], "admin");
    assert_eq!(secret["before_sensitive"]["input"]["password"], true, "{secret}");
    assert_eq!(secret["after_sensitive"]["input"]["password"], true, "{secret}");
    // terraform_data.output echoes input: the mark follows the value (in state); planned, it is unknown.
    assert_eq!(secret["before_sensitive"]["output"]["password"], true, "{secret}");
    assert_eq!(secret["after_unknown"]["output"], true, "{secret}");

    let outs = &j["output_changes"];
    assert_eq!(outs["kept"]["actions"], serde_json::json!(["no-op"]), "{outs}");
    assert_eq!(outs["changed"]["actions"], serde_json::json!(["update"]));
    assert_eq!(outs["changed"]["before"], "before");
    // It reads terraform_data.updated.output, known only after apply.
    assert_eq!(outs["changed"]["after_unknown"], true, "{outs}");
    assert_eq!(outs["secret"]["after_sensitive"], true);
    assert_eq!(outs["secret"]["after"], Json::Null);

    // The human rendering of the same saved plan.
    let human = s.run(&["show", p.to_str().unwrap()]);
    human.ok();
    assert!(human.stdout.contains("Plan: 3 to add, 2 to change, 3 to destroy."), "{}", human.stdout);
    assert!(human.stdout.contains("terraform_data.cbd must be replaced (create before destroy)"), "{}", human.stdout);
}

#[test]
fn output_json_and_raw() {
    let s = basic();
    // Before any apply there are no outputs.
    let none = s.run(&["output", "greeting"]);
    none.expect_code(1);
    apply(&s);

    let all = s.run(&["output"]);
    all.ok();
    assert!(all.stdout.contains("greeting = \"hello\"\n"), "{}", all.stdout);
    assert!(all.stdout.contains("token = (sensitive value)\n"), "{}", all.stdout);
    assert!(!all.stdout.contains("tok-SECRET-123"), "{}", all.stdout);

    let one = s.run(&["output", "settings"]);
    one.ok();
    assert!(one.stdout.contains("port = 8080") && one.stdout.contains("tls  = true"), "{}", one.stdout);

    let json = s.run(&["output", "-json"]);
    json.ok();
    let j: Json = serde_json::from_str(&json.stdout).expect("output -json");
    // Terraform writes the type with every output.
    assert_eq!(j["greeting"], serde_json::json!({"sensitive": false, "type": "string", "value": "hello"}));
    assert_eq!(j["names"]["value"], serde_json::json!(["hello-0", "hello-1"]));
    assert_eq!(j["settings"]["value"], serde_json::json!({"port": 8080, "tls": true}));
    assert_eq!(j["token"]["sensitive"], true);

    let named = s.run(&["output", "-json", "names"]);
    named.ok();
    assert_eq!(serde_json::from_str::<Json>(&named.stdout).unwrap(), serde_json::json!(["hello-0", "hello-1"]));

    let raw = s.run(&["output", "-raw", "greeting"]);
    raw.ok();
    assert_eq!(raw.stdout, "hello", "-raw prints the bare string, no quotes, no newline");
    let raw_secret = s.run(&["output", "-raw", "token"]);
    raw_secret.ok();
    assert_eq!(raw_secret.stdout, "tok-SECRET-123", "-raw prints sensitive values, as Terraform does");
    let raw_map = s.run(&["output", "-raw", "settings"]);
    raw_map.expect_code(1);
    assert!(raw_map.stderr.contains("-json"), "{}", raw_map.stderr);
    let missing = s.run(&["output", "nope"]);
    missing.expect_code(1);
    assert!(missing.stderr.contains("nope"), "{}", missing.stderr);
}

#[test]
fn state_list_show_mv_rm_pull() {
    let s = basic();
    apply(&s);

    let filtered = s.run(&["state", "list", "terraform_data.second"]);
    filtered.ok();
    assert_eq!(filtered.stdout, "terraform_data.second[0]\nterraform_data.second[1]\n");

    let show = s.run(&["state", "show", "terraform_data.second[1]"]);
    show.ok();
    assert!(show.stdout.starts_with("# terraform_data.second[1]:\nresource \"terraform_data\" \"second\""), "{}", show.stdout);
    assert!(show.stdout.contains("\"hello-1\""), "{}", show.stdout);
    let secret = s.run(&["state", "show", "terraform_data.secret_holder"]);
    secret.ok();
    assert!(secret.stdout.contains("(sensitive value)") && !secret.stdout.contains("tok-SECRET-123"), "{}", secret.stdout);
    s.run(&["state", "show", "terraform_data.nope"]).expect_code(1);

    let pull = s.state_json();
    let serial = pull["serial"].as_u64().expect("serial");
    assert!(pull["lineage"].as_str().is_some_and(|l| !l.is_empty()), "{pull}");

    // mv: the object keeps its id under the new address.
    let first_id = s.run(&["output", "-raw", "first_id"]).stdout;
    let mv = s.run(&["state", "mv", "terraform_data.first", "terraform_data.renamed"]);
    mv.ok();
    assert!(mv.stdout.contains("Moved terraform_data.first to terraform_data.renamed"), "{}", mv.stdout);
    assert!(addresses(&s).contains(&"terraform_data.renamed".to_string()));
    assert!(!addresses(&s).contains(&"terraform_data.first".to_string()));
    let moved = s.run(&["state", "show", "terraform_data.renamed"]);
    assert!(moved.stdout.contains(&first_id), "{}", moved.stdout);
    assert!(s.state_json()["serial"].as_u64().unwrap() > serial, "state mv writes a new snapshot");
    s.run(&["state", "mv", "terraform_data.nope", "terraform_data.x"]).expect_code(1);
    s.run(&["state", "mv", "terraform_data.renamed", "terraform_data.second[0]"]).expect_code(1);
    s.run(&["state", "mv", "terraform_data.renamed", "terraform_data.first"]).ok();

    // rm: forgotten, not destroyed.
    let rm = s.run(&["state", "rm", "local_file.report"]);
    rm.ok();
    assert!(rm.stdout.contains("Removed local_file.report"), "{}", rm.stdout);
    assert!(!addresses(&s).contains(&"local_file.report".to_string()));
    assert!(s.path("out/report.txt").exists(), "state rm must not delete the object");
    s.run(&["state", "rm", "local_file.report"]).expect_code(1);
    // The next plan wants to create it again (Terraform's behaviour after rm).
    let plan = s.run(&["plan", "-detailed-exitcode"]);
    plan.expect_code(2);
    assert!(plan.stdout.contains("# local_file.report will be created"), "{}", plan.stdout);
    assert!(plan.stdout.contains("Plan: 1 to add, 0 to change, 0 to destroy."), "{}", plan.stdout);
}

#[test]
fn show_state_human_and_json() {
    let s = basic();
    let empty = s.run(&["show"]);
    empty.ok();
    assert!(empty.stdout.contains("The state is empty."), "{}", empty.stdout);
    apply(&s);
    let human = s.run(&["show"]);
    human.ok();
    assert!(human.stdout.contains("# terraform_data.second[0]:"), "{}", human.stdout);
    assert!(!human.stdout.contains("tok-SECRET-123"), "{}", human.stdout);
    let json = s.run(&["show", "-json"]);
    json.ok();
    assert!(!json.stdout.contains("tok-SECRET-123"), "{}", json.stdout);
    let j: Json = serde_json::from_str(&json.stdout).unwrap();
    let resources = j["values"]["root_module"]["resources"].as_array().unwrap();
    assert_eq!(resources.len(), 5);
    assert_eq!(j["values"]["outputs"]["token"], serde_json::json!({"sensitive": true, "value": null, "type": "string"}));
}

#[test]
fn graph_dot_and_mermaid() {
    let s = basic();
    let dot = s.run(&["graph"]);
    dot.ok();
    assert!(dot.stdout.trim_start().starts_with("digraph"), "{}", dot.stdout);
    for node in ["terraform_data.first", "terraform_data.second", "local_file.report", "var.greeting", "output.names"] {
        assert!(dot.stdout.contains(node), "dot lacks {node}:\n{}", dot.stdout);
    }
    // The edge second -> first (second refers to first), between node ids.
    let id_of = |label: &str| {
        let line = dot.stdout.lines().find(|l| l.contains(&format!("[label = \"{label}\"]"))).unwrap_or_else(|| panic!("no node {label}:\n{}", dot.stdout));
        line.split_whitespace().next().unwrap().to_string()
    };
    let edge = format!("{} -> {};", id_of("terraform_data.second"), id_of("terraform_data.first"));
    assert!(dot.stdout.lines().any(|l| l.trim() == edge), "no edge {edge} (second -> first):\n{}", dot.stdout);
    let wrong = format!("{} -> {};", id_of("terraform_data.first"), id_of("terraform_data.second"));
    assert!(!dot.stdout.lines().any(|l| l.trim() == wrong), "edge in the wrong direction:\n{}", dot.stdout);
    assert!(dot.stdout.trim_end().ends_with('}'), "{}", dot.stdout);

    let mermaid = s.run(&["graph", "-format=mermaid"]);
    mermaid.ok();
    let first = mermaid.stdout.lines().next().unwrap_or("");
    assert!(first.starts_with("flowchart") || first.starts_with("graph"), "{}", mermaid.stdout);
    assert!(mermaid.stdout.contains("-->"), "{}", mermaid.stdout);
    assert!(mermaid.stdout.contains("terraform_data.second"), "{}", mermaid.stdout);

    let bad = s.run(&["graph", "-format=png"]);
    bad.expect_code(1);
    assert!(bad.stderr.contains("mermaid"), "{}", bad.stderr);
}

#[test]
fn fmt_check_then_fmt() {
    let s = Stack::fixture("cli/fmt", "fmt");
    let original = s.read("main.tf");
    let check = s.run(&["fmt", "-check"]);
    check.expect_code(3);
    assert!(check.stdout.contains("main.tf"), "fmt -check names the file: {}", check.stdout);
    assert_eq!(s.read("main.tf"), original, "fmt -check must not write");

    let diff = s.run(&["fmt", "-check", "-diff"]);
    diff.expect_code(3);
    assert!(diff.stdout.contains("-input=\"a\"") && diff.stdout.contains("+  input            = \"a\""), "{}", diff.stdout);

    s.run(&["fmt"]).ok();
    let formatted = s.read("main.tf");
    assert_ne!(formatted, original);
    assert!(formatted.contains("  input            = \"a\"\n  triggers_replace = \"b\"\n"), "{formatted}");
    assert!(formatted.contains("default = { a = 1, bb = 2 }"), "{formatted}");
    s.run(&["fmt", "-check"]).expect_code(0);
    // Formatting is only whitespace: the stack still plans the same.
    s.run(&["validate"]).ok();
}

/// A tree with what `terraform fmt` treats specially: trailing spaces in
/// comments, blank lines at the end, no final newline, CRLF, the file kinds
/// it formats (`.tfvars`, `.tftest.hcl`) and those it skips (`.hcl`,
/// hidden files and directories, editor backups), and a subdirectory.
const FMT_TREE: &[(&str, &str)] = &[
    ("ok.tf", "locals {\n  a = 1\n}\n"),
    ("comment.tf", "locals {\n  a = 1 # comment  \n}\n\n\n"),
    ("aligned.tf", "locals {\n  a   = 1 # comment  \n  bb = 2\n}\n\n"),
    ("no_newline.tf", "locals {\n  a = 1\n}"),
    ("spaces.tf", "locals {\n  a = 1   \n  b = 2\t\n}\n  \n  "),
    ("crlf.tf", "locals {\r\n  a=1\r\n}\r\n"),
    ("vars.tfvars", "a=1\n"),
    ("t.tftest.hcl", "run \"x\" {\n    command = plan\n}\n"),
    ("other.hcl", "a=1\n"),
    (".hidden.tf", "a=1\n"),
    ("backup.tf~", "a=1\n"),
    (".dir/x.tf", "a=1\n"),
    ("sub/nested.tf", "locals {\n    a = 1\n}\n"),
    ("sub/deeper/ok.tf", "a = 1\n"),
];

/// Runs terraform fmt with `args` in `dir`: exit code and standard output.
fn terraform_fmt(dir: &std::path::Path, args: &[&str]) -> (i32, String) {
    let out = std::process::Command::new("terraform")
        .arg("fmt")
        .args(args)
        .current_dir(dir)
        .env("TF_CLI_CONFIG_FILE", "/dev/null")
        .env("CHECKPOINT_DISABLE", "1")
        .output()
        .expect("terraform 1.11.4 on PATH (the fmt parity test needs it)");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `iac fmt` against `terraform fmt` on the same tree: the files listed, the
/// diffs, the exit codes (0, 3 for -check, 2 for a bad path) and the files
/// written are the same.
#[test]
fn fmt_matches_terraform_fmt() {
    let s = Stack::files("fmt", FMT_TREE);
    // Terraform's copy has the same name, so `../fmt` names it too.
    let tf_tmp = tempfile::tempdir().expect("tempdir");
    let theirs = tf_tmp.path().join("fmt");
    copy_dir(&s.dir, &theirs, false);
    let cases: &[&[&str]] = &[
        &["-check"],
        &["-check", "-recursive"],
        &["-check", "-diff", "-recursive"],
        &["-check", "-list=false"],
        &["-write=false"],
        &["-check", "comment.tf", "sub"],
        &["-check", "ok.tf"],
        &["-check", "-diff", "no_newline.tf", "spaces.tf"],
        &["-check", "../fmt"],
        &["-check", "sub/../sub"],
        &["-check", "missing.tf"],
        &["-check", "other.hcl"],
    ];
    for args in cases {
        let (code, stdout) = terraform_fmt(&theirs, args);
        let ours = s.run(&[&["fmt"], *args].concat());
        assert_eq!((ours.code, ours.stdout.as_str()), (code, stdout.as_str()), "iac fmt {args:?} differs from terraform fmt\n{}", ours.stderr);
    }
    // Writing: the same files change, to the same bytes.
    let (code, listed) = terraform_fmt(&theirs, &["-recursive"]);
    let ours = s.run(&["fmt", "-recursive"]);
    assert_eq!((ours.code, ours.stdout.as_str()), (code, listed.as_str()), "{}", ours.stderr);
    for (name, _) in FMT_TREE {
        let mine = std::fs::read(s.path(name)).expect("ours");
        let tf = std::fs::read(theirs.join(name)).expect("theirs");
        assert_eq!(String::from_utf8_lossy(&mine), String::from_utf8_lossy(&tf), "{name} after fmt");
    }
    s.run(&["fmt", "-check", "-recursive"]).expect_code(0);
}

#[test]
fn destroy_empties_state_and_deletes_files() {
    let s = basic();
    apply(&s);
    assert!(s.path("out/report.txt").exists());
    let plan = s.run(&["plan", "-destroy", "-detailed-exitcode"]);
    plan.expect_code(2);
    assert!(plan.stdout.contains("Plan: 0 to add, 0 to change, 5 to destroy."), "{}", plan.stdout);
    let out = s.run(&["destroy", "-auto-approve"]);
    out.ok();
    assert!(out.stdout.contains("Destroy complete! Resources: 5 destroyed."), "{}", out.stdout);
    assert!(s.state_list().is_empty(), "state after destroy: {:?}", s.state_list());
    assert!(!s.path("out/report.txt").exists(), "local_file's file must be deleted");
    let outputs = s.run(&["output", "-json"]);
    outputs.ok();
    assert_eq!(serde_json::from_str::<Json>(&outputs.stdout).unwrap(), serde_json::json!({}), "outputs after destroy");
    // Dependents go first: second[*] before first.
    let pos = |needle: &str| out.stdout.find(needle).unwrap_or_else(|| panic!("{needle} missing in:\n{}", out.stdout));
    assert!(pos("terraform_data.second[0]: Destruction complete") < pos("terraform_data.first: Destroying..."), "{}", out.stdout);
    // Nothing left to destroy.
    let again = s.run(&["destroy", "-auto-approve"]);
    again.ok();
    assert!(again.stdout.contains("No changes."), "{}", again.stdout);
}

#[test]
fn removing_a_moved_block_after_apply_destroys_nothing() {
    let s = Stack::files("moves", &[("main.tf", "resource \"terraform_data\" \"old\" {\n  input = \"x\"\n}\n")]);
    apply(&s);
    s.write("main.tf", "resource \"terraform_data\" \"new\" {\n  input = \"x\"\n}\n\nmoved {\n  from = terraform_data.old\n  to   = terraform_data.new\n}\n");
    let plan = s.run(&["plan", "-detailed-exitcode"]);
    plan.expect_code(2);
    assert!(plan.stdout.contains("terraform_data.old has moved to terraform_data.new"), "{}", plan.stdout);
    assert!(plan.stdout.contains("0 to destroy"), "{}", plan.stdout);
    apply(&s);
    assert_eq!(addresses(&s), ["terraform_data.new"]);
    // The move is recorded: without the moved block nothing changes.
    s.write("main.tf", "resource \"terraform_data\" \"new\" {\n  input = \"x\"\n}\n");
    let after = s.run(&["plan", "-detailed-exitcode"]);
    after.expect_code(0);
}

#[test]
fn lock_contention_names_the_holder() {
    let s = Stack::fixture("cli/slow", "slow");
    let holder = s.spawn(&["apply", "-auto-approve"], "holder");
    holder.wait_stdout(Duration::from_secs(30), "the slow apply to start sleeping", |o| o.contains("time_sleep.wait: Creating..."));
    assert!(lock_file(&s).exists(), "the running apply holds {}", lock_file(&s).display());

    let started = Instant::now();
    let second = s.run(&["apply", "-auto-approve", "-lock-timeout=0s"]);
    second.expect_code(1);
    assert!(started.elapsed() < Duration::from_secs(3), "-lock-timeout=0s must not wait");
    assert!(second.stderr.contains("locked"), "{}", second.stderr);
    assert!(second.stderr.contains(&format!("pid {}", holder.pid())), "the error names the holder's pid {}:\n{}", holder.pid(), second.stderr);
    assert!(second.stderr.contains("for apply"), "the error names the holder's operation:\n{}", second.stderr);
    assert!(!second.stdout.contains("Creating..."), "{}", second.stdout);
    // Read-only commands do not need the lock.
    s.run(&["state", "list"]).ok();

    let first = holder.wait();
    first.expect_code(0);
    assert!(!lock_file(&s).exists(), "the lock is released at the end");
    assert_eq!(addresses(&s), ["terraform_data.after", "time_sleep.wait"]);
    // With a timeout, a waiting run gets the lock once it is free.
    let holder = s.spawn(&["apply", "-auto-approve", "-replace=time_sleep.wait"], "holder2");
    holder.wait_stdout(Duration::from_secs(30), "the second slow apply", |o| o.contains("time_sleep.wait: Creating..."));
    let waited = s.run(&["plan", "-lock-timeout=30s"]);
    waited.ok();
    holder.wait().ok();
}

#[test]
fn a_dead_runs_lock_is_taken_over_and_a_foreign_lock_needs_force_unlock() {
    let s = Stack::fixture("cli/slow", "slow");
    let mut holder = s.spawn(&["apply", "-auto-approve"], "holder");
    holder.wait_stdout(Duration::from_secs(30), "the slow apply to start sleeping", |o| o.contains("time_sleep.wait: Creating..."));
    holder.child.kill().expect("SIGKILL");
    holder.child.wait().expect("reap");
    assert!(lock_file(&s).exists(), "a killed run leaves its lock");
    let dead_id = lock_id(&s);

    // Same machine, and its process is gone: the next run takes the lock over.
    let next = s.run(&["plan"]);
    next.ok();
    assert!(next.stderr.contains("process is gone") && next.stderr.contains(&dead_id), "the takeover is reported:\n{}", next.stderr);
    assert!(!lock_file(&s).exists(), "the plan released the lock it took over");

    // A lock held from another machine is never assumed stale.
    let foreign =
        serde_json::json!({"id": "ci-lock-42", "operation": "apply", "who": "runner", "host": "ci-runner-7", "pid": 4242, "created": "2026-11-22T00:00:00Z"});
    std::fs::write(lock_file(&s), serde_json::to_vec_pretty(&foreign).unwrap()).unwrap();
    let blocked = s.run(&["plan"]);
    blocked.expect_code(1);
    assert!(
        blocked.stderr.contains("ci-lock-42") && blocked.stderr.contains("ci-runner-7"),
        "the error names the holder and the id for force-unlock:\n{}",
        blocked.stderr
    );

    let wrong = s.run(&["force-unlock", "not-the-id"]);
    wrong.expect_code(1);
    assert!(lock_file(&s).exists(), "a wrong id must not unlock");

    let unlock = s.run(&["force-unlock", "ci-lock-42"]);
    unlock.ok();
    assert!(unlock.stdout.contains("unlocked"), "{}", unlock.stdout);
    assert!(!lock_file(&s).exists());
    let out = s.run(&["apply", "-auto-approve"]);
    out.ok();
    s.run(&["plan", "-detailed-exitcode"]).expect_code(0);
}

#[test]
fn crash_recovery_replays_the_journal() {
    let s = Stack::fixture("cli/crash", "crash");
    let mut run = s.spawn(&["apply", "-auto-approve"], "crashing");
    run.wait_stdout(Duration::from_secs(30), "the pause after the file", |o| {
        o.contains("local_file.first: Creation complete") && o.contains("time_sleep.pause: Creating...")
    });
    run.child.kill().expect("SIGKILL");
    run.child.wait().expect("reap");
    assert!(s.path("out/first.txt").exists());
    assert!(!s.state_dir().join("state.json").exists() || !s.run(&["state", "list"]).stdout.contains("terraform_data.last"));

    // The journal is replayed on read: what finished before the crash is in state.
    let read = s.run(&["state", "list"]);
    assert!(!read.stderr.contains('\x1b'), "-no-color output has escape codes: {:?}", read.stderr);
    let listed = s.state_list();
    assert!(listed.contains(&"local_file.first".to_string()), "local_file.first must be in state after the crash: {listed:?}");
    assert!(!listed.contains(&"terraform_data.last".to_string()), "{listed:?}");

    // The dead run's lock is taken over by the next run on this machine.
    let plan = s.run(&["plan", "-detailed-exitcode"]);
    plan.expect_code(2);
    assert!(!plan.stdout.contains("local_file.first will be created"), "the file was created before the crash:\n{}", plan.stdout);
    assert!(!plan.stdout.contains("local_file.first must be replaced"), "{}", plan.stdout);
    assert!(plan.stdout.contains("time_sleep.pause will be created"), "{}", plan.stdout);
    assert!(plan.stdout.contains("Plan: 2 to add, 0 to change, 0 to destroy."), "{}", plan.stdout);

    let out = s.run(&["apply", "-auto-approve"]);
    out.ok();
    assert!(!out.stdout.contains("local_file.first: Creating"), "{}", out.stdout);
    assert_eq!(addresses(&s), ["local_file.first", "terraform_data.last", "time_sleep.pause"], "each object once");
    s.run(&["plan", "-detailed-exitcode"]).expect_code(0);
    let state = s.state_json();
    assert!(state["pending"].as_array().is_none_or(|p| p.is_empty()), "no intents left pending: {state}");
}

#[test]
fn interrupt_finishes_running_operations_and_starts_no_new_ones() {
    let s = Stack::fixture("cli/interrupt", "interrupt");
    let run = s.spawn(&["apply", "-auto-approve", "-parallelism=2"], "interrupted");
    run.wait_stdout(Duration::from_secs(30), "two operations to start", |o| o.matches("Creating...").count() >= 2);
    let before = run.stdout();
    // Two of a, b, d hold the two slots; c waits for a.
    let started: Vec<&str> = ["a", "b", "c", "d"].into_iter().filter(|n| before.contains(&format!("time_sleep.{n}: Creating..."))).collect();
    assert_eq!(started.len(), 2, "with -parallelism=2, two operations run at once:\n{before}");
    assert!(!started.contains(&"c"), "c depends on a:\n{before}");
    run.signal(libc::SIGINT);
    assert!(!before.contains("Creation complete"), "too slow: an operation finished before the interrupt was sent:\n{before}");
    let out = run.wait();
    out.expect_code(1);
    assert!(out.stderr.contains("Interrupt"), "{}", out.stderr);
    for n in ["a", "b", "c", "d"] {
        let began = out.stdout.contains(&format!("time_sleep.{n}: Creating..."));
        let done = out.stdout.contains(&format!("time_sleep.{n}: Creation complete"));
        if started.contains(&n) {
            assert!(done, "{n} was in flight and must finish:\n{}", out.stdout);
        } else {
            assert!(!began, "{n} was started after the interrupt:\n{}", out.stdout);
        }
    }
    assert!(!lock_file(&s).exists(), "an interrupted run releases its lock");
    let want: Vec<String> = started.iter().map(|n| format!("time_sleep.{n}")).collect();
    assert_eq!(addresses(&s), want, "state records exactly what finished");
    let plan = s.run(&["plan", "-detailed-exitcode"]);
    plan.expect_code(2);
    assert!(plan.stdout.contains("Plan: 2 to add, 0 to change, 0 to destroy."), "{}", plan.stdout);
}

#[test]
fn a_failure_stops_its_dependents_only() {
    let s = Stack::fixture("cli/failing", "failing");
    let out = s.run(&["apply", "-auto-approve"]);
    out.expect_code(1);
    assert!(out.stderr.contains("local_file.bad"), "{}", out.stderr);
    assert!(out.stderr.contains("blocker"), "the error says which path failed: {}", out.stderr);
    assert!(out.stdout.contains("local_file.good: Creation complete"), "{}", out.stdout);
    assert!(!out.stdout.contains("terraform_data.after_bad: Creating"), "a dependent of the failed resource was attempted:\n{}", out.stdout);
    assert_eq!(addresses(&s), ["local_file.good"]);
    assert_eq!(s.read("out/good.txt"), "independent of the failure\n");
    assert!(!lock_file(&s).exists());
    // Fix the cause; the next apply creates the rest.
    std::fs::remove_file(s.path("blocker")).unwrap();
    let plan = s.run(&["plan", "-detailed-exitcode"]);
    plan.expect_code(2);
    assert!(plan.stdout.contains("Plan: 2 to add, 0 to change, 0 to destroy."), "{}", plan.stdout);
    apply(&s);
    assert_eq!(s.read("blocker/sub/file.txt"), "never written");
    s.run(&["plan", "-detailed-exitcode"]).expect_code(0);
}

#[test]
fn version_and_usage_errors() {
    let s = basic();
    let v = s.run(&["version"]);
    v.ok();
    assert!(v.stdout.starts_with("iac v"), "{}", v.stdout);
    let bad = s.run(&["plan", "-no-such-flag"]);
    bad.expect_code(1);
    let target = s.run(&["plan", "-target=not an address"]);
    target.expect_code(1);
    assert!(target.stderr.contains("-target"), "{}", target.stderr);
}

#[test]
fn import_command_adopts_an_existing_object() {
    let s = Stack::files(
        "importing",
        &[
            ("main.tf", "resource \"local_file\" \"existing\" {\n  filename = \"data.txt\"\n  content  = \"already here\\n\"\n}\n"),
            ("data.txt", "already here\n"),
        ],
    );
    let plan = s.run(&["plan"]);
    plan.ok();
    assert!(plan.stdout.contains("local_file.existing will be created"), "{}", plan.stdout);
    let out = s.run(&["import", "local_file.existing", "data.txt"]);
    out.ok();
    assert!(out.stdout.contains("imported"), "{}", out.stdout);
    assert_eq!(addresses(&s), ["local_file.existing"]);
    s.run(&["plan", "-detailed-exitcode"]).expect_code(0);
    // Twice is an error; so is an address the stack does not declare.
    s.run(&["import", "local_file.existing", "data.txt"]).expect_code(1);
    let undeclared = s.run(&["import", "local_file.other", "data.txt"]);
    undeclared.expect_code(1);
    assert!(undeclared.stderr.contains("not declared"), "{}", undeclared.stderr);
}
