//! The formats other tools read, compared with Terraform 1.11.4 on the same
//! configurations (`fixtures/tf-formats/stack`: `terraform_data` with
//! `triggers_replace`, variables including a sensitive one, outputs, local
//! modules with count and for_each; `step2.tfvars` and the removal of
//! `gone.tf` make updates, replaces and every kind of delete):
//!
//! - `show -json` of a plan (a create, then a change) and of state:
//!   the same keys and values as `terraform show -json`, except the
//!   differences listed in `fixtures/tf-formats/DIFFERENCES` (applied here as
//!   normalisations, each named); sensitive values redacted unless
//!   `-show-sensitive`.
//! - `state pull` is Terraform's state format 4: Terraform reads it back
//!   (same resources, an empty plan), and `state push` takes it back with
//!   Terraform's lineage and serial checks.
//! - Migration from Terraform: a stack holding a `terraform.tfstate` is
//!   refused until `iac init -migrate-state`, after which the plan is empty.
//!
//! - checkov and terraform-compliance (`scripts/install-tools` puts each in
//!   its venv under `.tools`) find the same on iac's `show -json` plan as on
//!   Terraform's, with policies that pass and fail
//!   (`fixtures/tf-formats/policies`).
//!
//! Every test runs the real `terraform` (on PATH, no CLI configuration,
//! offline: only `terraform_data`) and fails, never skips, without it.

use crate::support;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value as Json};
use support::*;

const SECRET: &str = "s3cr3t-value";

fn formats() -> PathBuf {
    fixtures().join("tf-formats")
}

/// Terraform in its own copy of the fixture.
struct Terraform {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
}

impl Terraform {
    fn new() -> Terraform {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("stack");
        copy_dir(&formats().join("stack"), &dir, false);
        let t = Terraform { _tmp: tmp, dir };
        t.run(&["init", "-input=false"]).ok();
        t
    }

    fn run(&self, args: &[&str]) -> Out {
        let out = Command::new("terraform")
            .current_dir(&self.dir)
            .args(args)
            .env("TF_CLI_CONFIG_FILE", "/dev/null")
            .env("TF_IN_AUTOMATION", "1")
            .env("CHECKPOINT_DISABLE", "1")
            .env_remove("TF_LOG")
            .output()
            .expect("terraform must be on PATH (Terraform 1.11.4)");
        Out { code: out.status.code().unwrap_or(-1), stdout: String::from_utf8_lossy(&out.stdout).into(), stderr: String::from_utf8_lossy(&out.stderr).into() }
    }

    fn json(&self, args: &[&str]) -> Json {
        let out = self.run(args);
        out.ok();
        serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("terraform {args:?} is not JSON ({e}): {}", out.stdout))
    }
}

fn iac_json(s: &Stack, args: &[&str]) -> Json {
    let out = s.run(args);
    out.ok();
    assert_eq!(out.stdout.trim_end().lines().count(), 1, "iac {args:?} prints one line, as Terraform does");
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("iac {args:?} is not JSON ({e}): {}", out.stdout))
}

/// The step from the first configuration to the second, in both directories.
fn step2(dir: &Path) {
    std::fs::remove_file(dir.join("gone.tf")).expect("remove gone.tf");
    std::fs::copy(formats().join("step2.tfvars"), dir.join("terraform.tfvars")).expect("tfvars");
}

fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.iter().map(|p| p.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12] && parts.iter().all(|p| p.chars().all(|c| c.is_ascii_hexdigit()))
}

/// Terraform's JSON and ours, made comparable. Each rule is one entry of
/// `fixtures/tf-formats/DIFFERENCES` (or, for ids and times, no difference at all).
fn normalize(j: &Json, key: &str) -> Json {
    match j {
        // Random ids and clock times differ by nature.
        Json::String(s) if is_uuid(s) => json!("<uuid>"),
        Json::Object(m) => {
            let mask = matches!(key, "before_sensitive" | "after_sensitive" | "sensitive_values") || key.starts_with("mask:");
            let mut out = serde_json::Map::new();
            for (k, v) in m {
                if k == "timestamp" || k == "lineage" {
                    continue;
                }
                let child_key = if mask { format!("mask:{k}") } else { k.clone() };
                let n = normalize(v, &child_key);
                // DIFFERENCES 2: an unknown value's empty mask (Terraform types unknowns, iac does not).
                if mask && (n == json!({}) || n == json!([])) {
                    continue;
                }
                out.insert(k.clone(), n);
            }
            if key == "root" {
                // DIFFERENCES 1: relevant_attributes compared as a set.
                if let Some(Json::Array(a)) = out.get_mut("relevant_attributes") {
                    a.sort_by_key(|x| x.to_string());
                }
            }
            Json::Object(out)
        }
        Json::Array(a) => Json::Array(
            a.iter()
                .map(|x| {
                    normalize(
                        x,
                        if key.starts_with("mask:") || matches!(key, "before_sensitive" | "after_sensitive" | "sensitive_values") { "mask:[]" } else { key },
                    )
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

fn differences(tf: &Json, iac: &Json, path: &str, out: &mut Vec<String>) {
    match (tf, iac) {
        (Json::Object(a), Json::Object(b)) => {
            for k in a.keys().chain(b.keys().filter(|k| !a.contains_key(*k))) {
                let p = format!("{path}/{k}");
                match (a.get(k), b.get(k)) {
                    (Some(x), Some(y)) => differences(x, y, &p, out),
                    (Some(x), None) => out.push(format!("{p}: only Terraform has {x}")),
                    (None, Some(y)) => out.push(format!("{p}: only iac has {y}")),
                    (None, None) => {}
                }
            }
        }
        (Json::Array(a), Json::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                differences(x, y, &format!("{path}[{i}]"), out);
            }
        }
        (a, b) if a != b => out.push(format!("{path}: Terraform {a}, iac {b}")),
        _ => {}
    }
}

fn assert_same(what: &str, tf: &Json, iac: &Json) {
    let mut diffs = Vec::new();
    differences(&normalize(tf, "root"), &normalize(iac, "root"), "", &mut diffs);
    assert!(diffs.is_empty(), "{what}: iac differs from Terraform:\n{}", diffs.join("\n"));
}

fn stack() -> Stack {
    let s = Stack::fixture("tf-formats/stack", "formats");
    s.run(&["init"]).ok();
    s
}

#[test]
fn show_json_of_plans_and_state_matches_terraform() {
    let tf = Terraform::new();
    let s = stack();

    // A plan that creates everything: unknowns left out of `after`, flagged in after_unknown.
    tf.run(&["plan", "-input=false", "-out=create.tfplan"]).ok();
    s.run(&["plan", "-out=create.plan"]).ok();
    let tf_plan = tf.json(&["show", "-json", "create.tfplan"]);
    let iac_plan = iac_json(&s, &["show", "-json", "-show-sensitive", "create.plan"]);
    assert_same("show -json of the create plan", &tf_plan, &iac_plan);
    assert!(iac_plan["planned_values"]["root_module"]["resources"].as_array().is_some_and(|r| !r.is_empty()), "{iac_plan}");

    tf.run(&["apply", "-input=false", "create.tfplan"]).ok();
    s.run(&["apply", "create.plan"]).ok();
    let tf_state = tf.json(&["show", "-json"]);
    let iac_state = iac_json(&s, &["show", "-json", "-show-sensitive"]);
    assert_same("show -json of state", &tf_state, &iac_state);

    // Updates, replaces (by the provider and by request), and deletes of every kind.
    step2(&tf.dir);
    step2(&s.path(""));
    tf.run(&["plan", "-input=false", "-out=change.tfplan", "-replace=terraform_data.c[0]"]).ok();
    s.run(&["plan", "-out=change.plan", "-replace=terraform_data.c[0]"]).ok();
    let tf_plan = tf.json(&["show", "-json", "change.tfplan"]);
    let iac_plan = iac_json(&s, &["show", "-json", "-show-sensitive", "change.plan"]);
    assert_same("show -json of the change plan", &tf_plan, &iac_plan);
    let reasons: Vec<(String, String)> = iac_plan["resource_changes"]
        .as_array()
        .expect("resource_changes")
        .iter()
        .filter_map(|c| Some((c["address"].as_str()?.to_string(), c["action_reason"].as_str()?.to_string())))
        .collect();
    for want in [
        "replace_because_cannot_update",
        "replace_by_request",
        "delete_because_no_resource_config",
        "delete_because_count_index",
        "delete_because_each_key",
        "delete_because_no_module",
    ] {
        assert!(reasons.iter().any(|(_, r)| r == want), "no {want} in {reasons:?}");
    }

    // Redacted by default: the secret appears nowhere, its place is null and flagged.
    for args in [&["show", "-json", "change.plan"][..], &["show", "-json"]] {
        let out = s.run(args);
        out.ok();
        if let Some(at) = out.stdout.find(SECRET) {
            panic!("iac {args:?} shows the secret without -show-sensitive: …{}…", &out.stdout[at.saturating_sub(200)..at + SECRET.len()]);
        }
    }
    let redacted = iac_json(&s, &["show", "-json", "change.plan"]);
    assert_eq!(redacted["variables"]["secret"]["value"], Json::Null);
    assert_eq!(redacted["output_changes"]["secret"]["after_sensitive"], json!(true));
    let s_change = redacted["resource_changes"].as_array().unwrap().iter().find(|c| c["address"] == "terraform_data.s").expect("terraform_data.s").clone();
    assert_eq!(s_change["change"]["after_sensitive"]["triggers_replace"]["secret"], json!(true), "{s_change}");
    assert_eq!(s_change["change"]["after"]["triggers_replace"]["secret"], Json::Null, "{s_change}");
}

#[test]
fn terraform_data_output_is_unknown_until_apply() {
    let s = stack();
    s.run(&["apply", "-auto-approve"]).ok();
    step2(&s.path(""));
    s.run(&["plan", "-out=p.plan"]).ok();
    let plan = iac_json(&s, &["show", "-json", "p.plan"]);
    let u = plan["resource_changes"].as_array().unwrap().iter().find(|c| c["address"] == "terraform_data.u").expect("terraform_data.u").clone();
    assert_eq!(u["change"]["actions"], json!(["update"]), "{u}");
    assert_eq!(u["change"]["after_unknown"]["output"], json!(true), "{u}");
    assert!(u["change"]["after"].get("output").is_none(), "{u}");
    // Unchanged input: output stays known.
    let f = plan["resource_changes"].as_array().unwrap().iter().find(|c| c["address"] == "terraform_data.f[\"k1\"]").expect("f[k1]").clone();
    assert_eq!(f["change"]["after"]["output"], json!("k1"), "{f}");
    s.run(&["apply", "p.plan"]).ok();
    assert_eq!(s.run(&["output", "-json", "u_out"]).stdout.trim(), r#"{"n":1,"tag":"t"}"#);
    s.run(&["plan", "-detailed-exitcode"]).expect_code(0);
}

#[test]
fn state_pull_is_terraforms_format_4_and_push_checks_lineage_and_serial() {
    let s = stack();
    s.run(&["apply", "-auto-approve"]).ok();
    let pull = s.run(&["state", "pull"]);
    pull.ok();
    let v4: Json = serde_json::from_str(&pull.stdout).expect("state pull is JSON");
    assert_eq!(v4["version"], 4, "{v4}");
    assert!(v4.get("pending").is_none(), "iac's extensions stay out of the pulled file");

    // Terraform reads it back: the same resources, and nothing to do.
    let tf = Terraform::new();
    std::fs::write(tf.dir.join("terraform.tfstate"), &pull.stdout).expect("write terraform.tfstate");
    let tf_state = tf.json(&["show", "-json"]);
    let iac_state = iac_json(&s, &["show", "-json", "-show-sensitive"]);
    assert_same("terraform show -json of iac's pulled state", &tf_state, &iac_state);
    let plan = tf.run(&["plan", "-input=false", "-detailed-exitcode"]);
    assert_eq!(plan.code, 0, "terraform plan on iac's state must be empty:\n{}{}", plan.stdout, plan.stderr);

    // Push: the same state is taken; an older serial or another lineage only with -force.
    let file = s.root().join("pulled.tfstate");
    std::fs::write(&file, &pull.stdout).unwrap();
    s.run(&["state", "push", file.to_str().unwrap()]).ok();
    let older = s.root().join("older.tfstate");
    let mut o = v4.clone();
    o["serial"] = json!(0);
    std::fs::write(&older, o.to_string()).unwrap();
    let refused = s.run(&["state", "push", older.to_str().unwrap()]);
    refused.expect_code(1);
    assert!(refused.stderr.contains("newer serial"), "{}", refused.stderr);
    let other = s.root().join("other.tfstate");
    let mut o = v4.clone();
    o["lineage"] = json!("00000000-0000-0000-0000-000000000000");
    o["serial"] = json!(1000);
    std::fs::write(&other, o.to_string()).unwrap();
    let refused = s.run(&["state", "push", other.to_str().unwrap()]);
    refused.expect_code(1);
    assert!(refused.stderr.contains("lineage"), "{}", refused.stderr);
    s.run(&["state", "push", "-force", other.to_str().unwrap()]).ok();
    let after: Json = serde_json::from_str(&s.run(&["state", "pull"]).stdout).unwrap();
    assert_eq!(after["lineage"], v4["lineage"], "a forced push keeps the backend's lineage");
    assert!(after["serial"].as_u64().unwrap() >= 1000, "{after}");
    // Same objects: nothing to do.
    s.run(&["plan", "-detailed-exitcode"]).expect_code(0);
}

/// A `-json` UI stream made comparable: each line parsed, its timestamp
/// dropped, ids and elapsed times made neutral (they differ by nature),
/// and the lines sorted (operations run concurrently, in no fixed order;
/// the version line is checked to come first).
fn ui_stream(what: &str, stdout: &str) -> Vec<Json> {
    let elapsed = regex::Regex::new(r"(after |\[)\d+[hms0-9]*s").unwrap();
    let ids = regex::Regex::new(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}").unwrap();
    let mut lines: Vec<Json> = Vec::new();
    for (i, l) in stdout.lines().enumerate() {
        let mut j: Json = serde_json::from_str(l).unwrap_or_else(|e| panic!("{what}: line {} is not JSON ({e}): {l}", i + 1));
        let obj = j.as_object_mut().unwrap_or_else(|| panic!("{what}: not an object: {l}"));
        for key in ["@level", "@message", "@module", "@timestamp", "type"] {
            assert!(obj.contains_key(key), "{what}: no {key} in {l}");
        }
        if i == 0 {
            assert_eq!(obj["type"], "version", "{what}: the stream starts with the version line: {l}");
        }
        obj.remove("@timestamp");
        let message = obj["@message"].as_str().unwrap_or_default().to_string();
        obj.insert("@message".into(), json!(elapsed.replace_all(&message, "${1}0s").to_string()));
        if let Some(h) = obj.get_mut("hook").and_then(Json::as_object_mut) {
            if h.contains_key("elapsed_seconds") {
                h.insert("elapsed_seconds".into(), json!(0));
            }
        }
        // The product's own name in a message (DIFFERENCES 8).
        let j: Json = serde_json::from_str(&j.to_string().replace("Terraform cannot ask", "iac cannot ask")).unwrap();
        let mut n = normalize(&j, "line");
        if let Some(m) = n.get("@message").and_then(Json::as_str) {
            n["@message"] = json!(ids.replace_all(m, "<uuid>").to_string());
        }
        lines.push(n);
    }
    lines.sort_by_key(|l| l.to_string());
    lines
}

/// Terraform's stream and iac's, line for line (as multisets).
fn assert_same_stream(what: &str, tf: &Out, iac: &Out) {
    let (theirs, ours) = (ui_stream(&format!("terraform {what}"), &tf.stdout), ui_stream(&format!("iac {what}"), &iac.stdout));
    let show = |ls: &[Json]| ls.iter().map(|l| l.to_string()).collect::<Vec<_>>().join("\n");
    let only_tf: Vec<&Json> = theirs.iter().filter(|l| !ours.contains(l)).collect();
    let only_iac: Vec<&Json> = ours.iter().filter(|l| !theirs.contains(l)).collect();
    assert!(
        only_tf.is_empty() && only_iac.is_empty() && theirs.len() == ours.len(),
        "{what}: the -json streams differ.\nonly Terraform:\n{}\nonly iac:\n{}\n\nTerraform:\n{}\n\niac:\n{}",
        only_tf.iter().map(|l| l.to_string()).collect::<Vec<_>>().join("\n"),
        only_iac.iter().map(|l| l.to_string()).collect::<Vec<_>>().join("\n"),
        show(&theirs),
        show(&ours)
    );
    assert_eq!(tf.code, iac.code, "{what}: exit codes");
}

/// `plan -json`, `apply -json` (planned and from a saved plan) and
/// `destroy -json` print Terraform's machine-readable UI: the same lines
/// (refreshes, planned changes with reasons, summaries, outputs, apply
/// hooks with ids) as Terraform 1.11.4 on the same stack, through creates,
/// updates, replaces and every kind of delete.
#[test]
fn json_ui_streams_match_terraform() {
    let tf = Terraform::new();
    let s = stack();
    let both = |tf_args: &[&str], iac_args: &[&str], what: &str| {
        let theirs = tf.run(tf_args);
        let ours = s.run(iac_args);
        assert_same_stream(what, &theirs, &ours);
    };
    both(&["plan", "-json", "-input=false"], &["plan", "-json"], "plan -json (creates)");
    both(&["apply", "-json", "-input=false", "-auto-approve"], &["apply", "-json", "-auto-approve"], "apply -json (creates)");
    both(&["plan", "-json", "-input=false"], &["plan", "-json"], "plan -json (no changes)");
    both(&["plan", "-json", "-input=false", "-refresh=false"], &["plan", "-json", "-refresh=false"], "plan -json -refresh=false");

    step2(&tf.dir);
    step2(&s.path(""));
    both(&["plan", "-json", "-input=false", "-replace=terraform_data.c[0]"], &["plan", "-json", "-replace=terraform_data.c[0]"], "plan -json (changes)");
    tf.run(&["plan", "-input=false", "-out=change.tfplan", "-replace=terraform_data.c[0]"]).ok();
    s.run(&["plan", "-out=change.plan", "-replace=terraform_data.c[0]"]).ok();
    both(&["apply", "-json", "change.tfplan"], &["apply", "-json", "change.plan"], "apply -json PLAN (changes)");
    both(&["apply", "-json", "-input=false", "-auto-approve"], &["apply", "-json", "-auto-approve"], "apply -json (nothing to do)");
    both(&["apply", "-json", "-input=false"], &["apply", "-json"], "apply -json without approval");
    both(&["destroy", "-json", "-input=false", "-auto-approve"], &["destroy", "-json", "-auto-approve"], "destroy -json");
}

/// `validate -json` is Terraform's document and an error in `plan -json` a
/// `diagnostic` line: the same range and snippet (file, lines, columns,
/// bytes, the enclosing block as context) as Terraform's. The summary and
/// detail are iac's own words (DIFFERENCES 8).
#[test]
fn json_diagnostics_match_terraform() {
    let text = "variable \"v\" {\n  type    = string\n  default = \"x\"\n}\n\nresource \"terraform_data\" \"a\" {\n  input = var.missing\n}\n";
    let s = Stack::files("diag", &[("main.tf", text)]);
    let tmp = tempfile::tempdir().unwrap();
    let tf = Terraform { dir: tmp.path().join("stack"), _tmp: tmp };
    std::fs::create_dir_all(&tf.dir).unwrap();
    std::fs::write(tf.dir.join("main.tf"), text).unwrap();
    tf.run(&["init", "-input=false"]).ok();
    let words = |d: &mut Json| {
        d.as_object_mut().expect("a diagnostic").remove("summary");
        d.as_object_mut().unwrap().remove("detail");
    };

    let theirs = tf.run(&["validate", "-json"]);
    let ours = s.run(&["validate", "-json"]);
    assert_eq!((theirs.code, ours.code), (1, 1), "{}\n{}", theirs.stdout, ours.stdout);
    let (mut theirs, mut ours): (Json, Json) = (serde_json::from_str(&theirs.stdout).unwrap(), serde_json::from_str(&ours.stdout).unwrap());
    for doc in [&mut theirs, &mut ours] {
        for d in doc["diagnostics"].as_array_mut().unwrap() {
            words(d);
        }
    }
    assert_same("validate -json", &theirs, &ours);

    let diagnostics = |out: &Out| -> Vec<Json> {
        out.stdout
            .lines()
            .filter_map(|l| serde_json::from_str::<Json>(l).ok())
            .filter(|l| l["type"] == "diagnostic")
            .map(|mut l| {
                assert_eq!(l["@message"].as_str().map(|m| m.starts_with("Error: ")), Some(true), "{l}");
                assert_eq!(l["@level"], "error");
                words(&mut l["diagnostic"]);
                l["diagnostic"].clone()
            })
            .collect()
    };
    let (theirs, ours) = (tf.run(&["plan", "-json", "-input=false"]), s.run(&["plan", "-json"]));
    assert_eq!((theirs.code, ours.code), (1, 1));
    assert_eq!(diagnostics(&ours), diagnostics(&theirs), "plan -json's diagnostic lines\niac:\n{}\nTerraform:\n{}", ours.stdout, theirs.stdout);
    assert!(ours.stderr.is_empty(), "under -json errors are lines on stdout: {}", ours.stderr);
}

/// Drift under `-json`: an object deleted outside iac is a `resource_drift`
/// line, then planned again (a normal plan), or only reported (refresh-only).
/// Terraform offline has no provider whose objects drift, so this checks
/// iac alone against Terraform's documented messages.
#[test]
fn json_ui_reports_drift() {
    let s = Stack::files("drift", &[("main.tf", "resource \"local_file\" \"f\" {\n  filename = \"${path.module}/f.txt\"\n  content  = \"x\"\n}\n")]);
    s.run(&["init"]).ok();
    s.run(&["apply", "-auto-approve"]).ok();
    std::fs::remove_file(s.path("f.txt")).expect("the file apply wrote");
    let lines = |args: &[&str]| -> Vec<Json> {
        let out = s.run(args);
        out.stdout.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {l}"))).collect()
    };
    let of = |ls: &[Json], kind: &str| -> Vec<String> {
        ls.iter().filter(|l| l["type"] == kind).map(|l| l["@message"].as_str().unwrap_or_default().to_string()).collect()
    };
    let plan = lines(&["plan", "-json"]);
    assert_eq!(of(&plan, "refresh_start").len(), 1, "the object was refreshed: {plan:?}");
    assert_eq!(of(&plan, "resource_drift"), ["local_file.f: Drift detected (delete)"], "{plan:?}");
    assert_eq!(of(&plan, "planned_change"), ["local_file.f: Plan to create"], "{plan:?}");
    assert_eq!(of(&plan, "change_summary"), ["Plan: 1 to add, 0 to change, 0 to destroy."]);
    let drift = plan.iter().find(|l| l["type"] == "resource_drift").unwrap();
    assert_eq!(drift["change"]["action"], "delete");
    assert_eq!(drift["change"]["resource"]["implied_provider"], "local");

    let refresh = lines(&["plan", "-refresh-only", "-json"]);
    assert_eq!(of(&refresh, "resource_drift"), ["local_file.f: Drift detected (delete)"], "{refresh:?}");
    assert!(of(&refresh, "planned_change").is_empty(), "a refresh-only plan plans no change: {refresh:?}");
    assert_eq!(of(&refresh, "change_summary"), ["Plan: 0 to add, 0 to change, 0 to destroy."]);
}

/// A policy tool from its venv under `.tools` (installed by `scripts/install-tools`).
fn policy_tool(venv: &str, program: &str) -> PathBuf {
    let p = iac_testkit::tools::tools_dir().join(venv).join("bin").join(program);
    assert!(p.is_file(), "{} is missing: run scripts/install-tools (it installs {program} from PyPI)", p.display());
    p
}

/// checkov's findings on a plan file: (check, resource, result), and its summary counts.
fn checkov(plan: &Path) -> (Vec<(String, String, String)>, Json) {
    let policies = formats().join("policies/checkov");
    let out = Command::new(policy_tool("checkov-venv", "checkov"))
        .args(["--framework", "terraform_plan", "--check", "CKV2_IAC_1,CKV2_IAC_2", "-o", "json", "-f"])
        .arg(plan)
        .arg("--external-checks-dir")
        .arg(&policies)
        .env("BC_SKIP_MAPPING", "TRUE")
        .env("CHECKOV_RUN_SCA_PACKAGE_SCAN_V2", "false")
        .output()
        .expect("run checkov");
    let text = String::from_utf8_lossy(&out.stdout);
    let j: Json = serde_json::from_str(&text).unwrap_or_else(|e| panic!("checkov's JSON ({e}): {text}\n{}", String::from_utf8_lossy(&out.stderr)));
    let mut found = Vec::new();
    for (key, result) in [("passed_checks", "passed"), ("failed_checks", "failed")] {
        for c in j["results"][key].as_array().into_iter().flatten() {
            found.push((c["check_id"].as_str().unwrap_or("").to_string(), c["resource"].as_str().unwrap_or("").to_string(), result.to_string()));
        }
    }
    found.sort();
    let mut summary = j["summary"].clone();
    summary.as_object_mut().map(|m| m.remove("checkov_version"));
    (found, summary)
}

/// terraform-compliance on a plan file: its exit code, its closing counts and its failures.
fn terraform_compliance(plan: &Path) -> (i32, Vec<String>) {
    let out = Command::new(policy_tool("tfcompliance-venv", "terraform-compliance"))
        .arg("-p")
        .arg(plan)
        .arg("-f")
        .arg(formats().join("policies/compliance"))
        .arg("--no-ansi")
        .output()
        .expect("run terraform-compliance");
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("Failure: ") || l.contains(" passed, ") || l.contains("TerraformCompliance"))
        .map(str::to_string)
        .collect();
    (out.status.code().unwrap_or(-1), lines)
}

/// Policy engines read iac's plan JSON as they read Terraform's: checkov
/// (custom policies on `terraform_data`) and terraform-compliance (a
/// feature) give the same passes and failures, the failing policy failing
/// on the same object.
#[test]
fn checkov_and_terraform_compliance_find_the_same_in_both_plans() {
    let tf = Terraform::new();
    let s = stack();
    tf.run(&["plan", "-input=false", "-out=p.tfplan"]).ok();
    s.run(&["plan", "-out=p.plan"]).ok();
    let theirs = tf.dir.join("terraform-plan.json");
    std::fs::write(&theirs, tf.run(&["show", "-json", "p.tfplan"]).stdout).unwrap();
    let ours = s.root().join("iac-plan.json");
    let shown = s.run(&["show", "-json", "p.plan"]);
    shown.ok();
    std::fs::write(&ours, &shown.stdout).unwrap();

    let (tf_found, tf_summary) = checkov(&theirs);
    let (iac_found, iac_summary) = checkov(&ours);
    assert!(tf_found.contains(&("CKV2_IAC_1".into(), "terraform_data.gone".into(), "failed".into())), "the failing policy fails: {tf_found:?}");
    assert!(tf_found.iter().any(|(c, _, r)| c == "CKV2_IAC_2" && r == "passed"), "{tf_found:?}");
    assert_eq!(iac_found, tf_found, "checkov's findings on iac's plan and on Terraform's");
    assert_eq!(iac_summary, tf_summary, "checkov's summary");
    assert_eq!(iac_summary["resource_count"], json!(12), "{iac_summary}");

    let (tf_code, tf_lines) = terraform_compliance(&theirs);
    let (iac_code, iac_lines) = terraform_compliance(&ours);
    assert_eq!(tf_code, 1, "the failing scenario fails: {tf_lines:?}");
    assert!(tf_lines.iter().any(|l| l.contains("terraform_data.gone")), "{tf_lines:?}");
    assert_eq!((iac_code, iac_lines), (tf_code, tf_lines), "terraform-compliance on iac's plan and on Terraform's");
}

/// Numbers beyond what a float64 holds, as outputs and in a resource.
const NUMBERS_TF: &str = r#"variable "n" {
  type    = number
  default = 1
}

locals {
  numbers = {
    third = 1 / 3
    neg   = -1 / 3
    e30   = 1e30
    small = 1e-30
    sqrt2 = pow(2, 0.5)
    exact = 18446744073709551617
    n     = var.n
  }
}

resource "terraform_data" "x" {
  input = local.numbers
}

output "numbers" {
  value = local.numbers
}

output "list" {
  value = [1 / 3, 18446744073709551617, var.n]
}

output "stored" {
  value = terraform_data.x.output
}
"#;

/// Every number token of a JSON text (outside strings), as written.
fn number_tokens(text: &str) -> Vec<String> {
    let (mut out, mut in_string, mut escaped, mut token) = (Vec::new(), false, false, String::new());
    for c in text.chars() {
        if in_string {
            (in_string, escaped) = (escaped || c != '"', !escaped && c == '\\');
        } else if c == '"' {
            in_string = true;
        } else if c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E') {
            token.push(c);
            continue;
        }
        if !token.is_empty() {
            out.push(std::mem::take(&mut token));
        }
    }
    out.sort();
    out
}

/// The JSON texts, read with exact numbers (a number that went through a
/// float64 on either side is a different number here).
fn exact(what: &str, text: &str) -> iac_core::json::Json {
    iac_core::json::Json::parse(text.trim()).unwrap_or_else(|e| panic!("{what} is not JSON ({e}): {text}"))
}

/// `1/3`, `1e30`, `2^64 + 1`, `pow(2, 0.5)` and `-var n=1e999` in outputs
/// and in a resource: state (iac's and Terraform's format), `output -json`,
/// `show -json` of the plan and of state hold the digits Terraform writes,
/// and the plan after apply is empty.
#[test]
fn numbers_keep_every_digit_terraform_writes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("stack");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("main.tf"), NUMBERS_TF).expect("main.tf");
    let tf = Terraform { _tmp: tmp, dir };
    tf.run(&["init", "-input=false"]).ok();
    let s = Stack::files("numbers", &[("main.tf", NUMBERS_TF)]);
    s.run(&["init"]).ok();

    // Terraform takes 1e999 for a number variable (a finite number to it).
    let var = "-var=n=1e999";
    tf.run(&["plan", "-input=false", var, "-out=n.tfplan"]).ok();
    s.run(&["plan", var, "-out=n.plan"]).ok();
    let tf_plan = exact("terraform show -json of the plan", &tf.run(&["show", "-json", "n.tfplan"]).stdout);
    let iac_plan = exact("iac show -json of the plan", &s.run(&["show", "-json", "n.plan"]).stdout);
    assert_eq!(iac_plan["planned_values"]["outputs"], tf_plan["planned_values"]["outputs"], "planned outputs");
    // Terraform records a -var as the text given ("1e999"); iac records the number.
    assert_eq!(tf_plan["variables"]["n"]["value"], "1e999");
    assert_eq!(iac_plan["variables"]["n"]["value"], iac_core::json::Json::Number("1e999".parse().unwrap()), "the plan's variable");
    let after = |p: &iac_core::json::Json| p["resource_changes"].as_array().and_then(|c| c.first()).map(|c| c["change"]["after"]["input"].clone());
    assert_eq!(after(&iac_plan), after(&tf_plan), "the resource's planned input");
    tf.run(&["apply", "-input=false", "n.tfplan"]).ok();
    s.run(&["apply", "n.plan"]).ok();

    let tf_out = tf.run(&["output", "-json"]);
    let iac_out = s.run(&["output", "-json"]);
    iac_out.ok();
    assert_eq!(number_tokens(&iac_out.stdout), number_tokens(&tf_out.stdout), "output -json writes the same numbers as Terraform:\n{}", iac_out.stdout);
    assert!(iac_out.stdout.contains(&format!("1{}", "0".repeat(999))), "1e999 keeps its digits: {}", iac_out.stdout);
    assert_eq!(exact("iac output -json", &iac_out.stdout), exact("terraform output -json", &tf_out.stdout));
    let one = s.run(&["output", "-json", "list"]);
    assert_eq!(exact("iac output -json list", &one.stdout), exact("terraform output -json list", &tf.run(&["output", "-json", "list"]).stdout));

    let tf_show = exact("terraform show -json", &tf.run(&["show", "-json"]).stdout);
    let iac_show = exact("iac show -json", &s.run(&["show", "-json"]).stdout);
    assert_eq!(iac_show["values"]["outputs"], tf_show["values"]["outputs"], "show -json of state: outputs");
    let values = |j: &iac_core::json::Json| {
        let v = &j["values"]["root_module"]["resources"].as_array().expect("resources")[0]["values"];
        (v["input"].clone(), v["output"].clone())
    };
    assert_eq!(values(&iac_show), values(&tf_show), "show -json of state: the resource's values");

    let tf_state_text = std::fs::read_to_string(tf.dir.join("terraform.tfstate")).expect("terraform.tfstate");
    let pull = s.run(&["state", "pull"]);
    pull.ok();
    let (tf_state, iac_state) = (exact("terraform.tfstate", &tf_state_text), exact("iac state pull", &pull.stdout));
    assert_eq!(iac_state["outputs"], tf_state["outputs"], "state pull: outputs");
    let attributes = |j: &iac_core::json::Json| {
        j["resources"].as_array().expect("resources")[0]["instances"].as_array().expect("instances")[0]["attributes"]["input"].clone()
    };
    assert_eq!(attributes(&iac_state), attributes(&tf_state), "state pull: the resource's attributes");
    let third = "0.33333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333335";
    assert!(tf_state_text.contains(third), "what Terraform writes for 1/3");
    for text in [&pull.stdout, &s.run(&["state", "pull", "-raw"]).stdout] {
        assert!(text.contains(third) && text.contains("18446744073709551617") && text.contains("1000000000000000000000000000000"), "{text}");
    }

    // Read back from state, the same numbers plan nothing; Terraform agrees.
    s.run(&["plan", "-detailed-exitcode", var]).expect_code(0);
    tf.run(&["plan", "-input=false", "-detailed-exitcode", var]).expect_code(0);
    // A number one digit away is a change.
    s.run(&["plan", "-detailed-exitcode", "-var=n=1e998"]).expect_code(2);
}

/// `pow(2, 64)` is a float64 whose shortest form as Terraform writes it
/// (`18446744073709550000`) reads back as its neighbour below: Terraform
/// reports "inconsistent result" for it in `terraform_data`. iac writes a
/// form that reads back as itself, so the plan after apply is empty.
#[test]
fn a_power_of_two_float64_reads_back_as_itself() {
    let s = Stack::files("pow", &[("main.tf", "resource \"terraform_data\" \"x\" {\n  input = pow(2, 64)\n}\n\noutput \"o\" {\n  value = pow(2, 64)\n}\n")]);
    s.run(&["init"]).ok();
    s.run(&["apply", "-auto-approve"]).ok();
    let out = s.run(&["output", "-json", "o"]);
    assert_eq!(out.stdout.trim(), "18446744073709552000");
    s.run(&["plan", "-detailed-exitcode"]).expect_code(0);
}
