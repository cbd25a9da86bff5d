//! Differential corpus against Terraform 1.11.4: every
//! `fixtures/lang-diff/<case>/` is a configuration needing no external
//! provider (variables, locals, outputs, `terraform_data`, local modules).
//! Its `expected.json` is what Terraform gave: `{"ok": true, "outputs":
//! <terraform output -json>}`, or `{"ok": false, "error": <first error>}`
//! when Terraform rejects the configuration.
//!
//! - `lang_diff_iac_matches_terraform` applies each case with `iac` and
//!   compares `iac output -json` with the snapshot: values as JSON values
//!   (integers exactly), types as Terraform's type JSON, failure with failure
//!   (and the summary of iac's first error with Terraform's).
//! - `lang_diff_snapshots_match_terraform` runs `terraform` itself over the
//!   whole corpus, so the snapshots cannot drift from the real thing. It
//!   fails (never skips) without `terraform` on PATH. `LANG_DIFF_BLESS=1`
//!   rewrites the snapshots from Terraform instead of comparing.
//!
//! Deliberate differences are listed, with their reasons, in
//! `fixtures/lang-diff/DIFFERENCES`; a listed difference that no longer
//! differs fails the suite too, so the list stays true. Cases can be
//! selected with `LANG_DIFF_CASES=a,b`.

use crate::support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use serde_json::{json, Value as Json};
use support::*;

/// Files of a case that describe it rather than configure it.
const CASE_META: &[&str] = &["expected.json", "README.md"];

/// What one tool made of one case.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Outcome {
    Ok(BTreeMap<String, Output>),
    Failed(String),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Output {
    value: Json,
    type_: Json,
    sensitive: bool,
}

fn corpus() -> PathBuf {
    fixtures().join("lang-diff")
}

fn selected_cases() -> Vec<(String, PathBuf)> {
    let only: Option<BTreeSet<String>> = std::env::var("LANG_DIFF_CASES").ok().map(|s| s.split(',').map(|c| c.trim().to_string()).collect());
    cases("lang-diff").into_iter().filter(|(name, _)| only.as_ref().is_none_or(|o| o.contains(name))).collect()
}

/// Copies a case (without its META files) into a fresh directory.
fn copy_case(dir: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(dir).expect("case dir") {
        let e = e.expect("entry");
        let name = e.file_name().to_string_lossy().into_owned();
        if CASE_META.contains(&name.as_str()) {
            continue;
        }
        if e.path().is_dir() {
            copy_dir(&e.path(), &to.join(&name), false);
        } else {
            std::fs::copy(e.path(), to.join(&name)).expect("copy");
        }
    }
}

pub(crate) fn parse_outputs(stdout: &str) -> Result<BTreeMap<String, Output>, String> {
    let j: Json = serde_json::from_str(stdout).map_err(|e| format!("output -json is not JSON ({e}):\n{stdout}"))?;
    let Json::Object(m) = j else { return Err(format!("output -json is not an object:\n{stdout}")) };
    m.into_iter()
        .map(|(k, o)| {
            let out = Output {
                value: o.get("value").cloned().unwrap_or(Json::Null),
                type_: o.get("type").cloned().unwrap_or(Json::Null),
                sensitive: o.get("sensitive").and_then(Json::as_bool).unwrap_or(false),
            };
            Ok((k, out))
        })
        .collect()
}

fn snapshot_json(o: &Outcome) -> Json {
    match o {
        Outcome::Ok(outs) => {
            let m: serde_json::Map<String, Json> =
                outs.iter().map(|(k, o)| (k.clone(), json!({"sensitive": o.sensitive, "type": o.type_, "value": o.value}))).collect();
            json!({"ok": true, "outputs": m})
        }
        Outcome::Failed(e) => json!({"ok": false, "error": e}),
    }
}

fn read_snapshot(dir: &Path) -> Result<Outcome, String> {
    let p = dir.join("expected.json");
    let text = std::fs::read_to_string(&p).map_err(|e| format!("{}: {e} (LANG_DIFF_BLESS=1 records it from terraform)", p.display()))?;
    let j: Json = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", p.display()))?;
    if j["ok"] == json!(true) {
        Ok(Outcome::Ok(parse_outputs(&j["outputs"].to_string())?))
    } else {
        Ok(Outcome::Failed(j["error"].as_str().unwrap_or_default().to_string()))
    }
}

/// The summary of the first error in iac's stderr (`× FILE:L:C: SUMMARY`).
fn iac_first_error(stderr: &str) -> String {
    let re = regex::Regex::new(r"^\s*× (?:\S+:\d+:\d+: )?(.+)$").expect("regex");
    stderr.lines().find_map(|l| re.captures(l).map(|c| c[1].trim().to_string())).unwrap_or_else(|| "(no error headline)".into())
}

/// The first `Error: ...` headline of Terraform's stderr.
fn first_error(stderr: &str) -> String {
    stderr.lines().map(|l| l.trim_start_matches(['│', ' ', '╷'])).find_map(|l| l.strip_prefix("Error: ")).unwrap_or("(no error headline)").trim().to_string()
}

fn run_terraform(case: &Path) -> Result<Outcome, String> {
    let tmp = tempfile::Builder::new().prefix("lang-diff-tf-").tempdir().expect("tempdir");
    let dir = tmp.path().join("stack");
    copy_case(case, &dir);
    let tf = |args: &[&str]| -> Result<std::process::Output, String> {
        Command::new("terraform")
            .args(args)
            .current_dir(&dir)
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_CLI_CONFIG_FILE", "/dev/null")
            .env("TF_DATA_DIR", tmp.path().join("tfdata"))
            .env_remove("TF_LOG")
            .output()
            .map_err(|e| format!("cannot run terraform ({e}); the differential corpus needs Terraform 1.11.4 on PATH"))
    };
    let init = tf(&["init", "-backend=false", "-input=false", "-no-color"])?;
    if !init.status.success() {
        return Ok(Outcome::Failed(first_error(&String::from_utf8_lossy(&init.stderr))));
    }
    let apply = tf(&["apply", "-auto-approve", "-input=false", "-no-color"])?;
    if !apply.status.success() {
        return Ok(Outcome::Failed(first_error(&String::from_utf8_lossy(&apply.stderr))));
    }
    let out = tf(&["output", "-json", "-no-color"])?;
    if !out.status.success() {
        return Err(format!("terraform output -json failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    Ok(Outcome::Ok(parse_outputs(&String::from_utf8_lossy(&out.stdout))?))
}

fn run_iac(name: &str, case: &Path) -> Result<(Outcome, String), String> {
    let stack = Stack::fixture(&format!("lang-diff/{name}"), name);
    let _ = std::fs::remove_file(stack.path("expected.json"));
    let apply = stack.run(&["apply", "-auto-approve"]);
    if apply.code == 101 || apply.stderr.contains("panicked") {
        return Err(format!("iac panicked:\n{}", apply.stderr));
    }
    let _ = case;
    if apply.code != 0 {
        return Ok((Outcome::Failed(stack.normalize(&apply.stderr)), apply.stderr));
    }
    let out = stack.run(&["output", "-json"]);
    if out.code != 0 {
        return Err(format!("iac output -json failed:\n{}", out.stderr));
    }
    Ok((Outcome::Ok(parse_outputs(&out.stdout)?), String::new()))
}

/// One line of DIFFERENCES: `CASE OUTPUT KIND -- reason`, OUTPUT `*` for the
/// whole case, KIND one of `value`, `type`, `outcome` (one fails, the other
/// not), `collections` (types equal but for list/set/map vs tuple/object) or
/// `message` (both fail, iac's first error's summary is not Terraform's);
/// `* * KIND` applies to every case.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Known {
    case: String,
    output: String,
    kind: String,
}

fn known_differences() -> BTreeSet<Known> {
    let text = std::fs::read_to_string(corpus().join("DIFFERENCES")).expect("fixtures/lang-diff/DIFFERENCES");
    let mut out = BTreeSet::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (head, reason) = line.split_once(" -- ").unwrap_or_else(|| panic!("DIFFERENCES line {}: no ' -- reason'", i + 1));
        assert!(!reason.trim().is_empty(), "DIFFERENCES line {}: empty reason", i + 1);
        let parts: Vec<&str> = head.split_whitespace().collect();
        let [case, output, kind] = parts.as_slice() else { panic!("DIFFERENCES line {}: want CASE OUTPUT KIND -- reason", i + 1) };
        assert!(matches!(*kind, "value" | "type" | "outcome" | "collections" | "message"), "DIFFERENCES line {}: kind {kind}", i + 1);
        assert!(*case == "*" || corpus().join(case).is_dir(), "DIFFERENCES line {}: no case {case}", i + 1);
        out.insert(Known { case: case.to_string(), output: output.to_string(), kind: kind.to_string() });
    }
    out
}

/// JSON equality where integers must match exactly and other numbers as
/// 64-bit floats (Terraform prints `1`, never `1.0`, for integral values).
fn json_eq(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => {
            match (x.as_i64().map(i128::from).or(x.as_u64().map(i128::from)), y.as_i64().map(i128::from).or(y.as_u64().map(i128::from))) {
                (Some(p), Some(q)) => p == q,
                _ => x.as_f64() == y.as_f64() && x.is_f64() == y.is_f64(),
            }
        }
        (Json::Array(x), Json::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q)),
        (Json::Object(x), Json::Object(y)) => x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w))),
        _ => a == b,
    }
}

/// Compares iac's outcome with Terraform's; each difference with its kind and output name.
pub(crate) fn differences(tf: &Outcome, iac: &Outcome) -> Vec<(String, &'static str, String)> {
    let mut out = Vec::new();
    match (tf, iac) {
        (Outcome::Failed(t), Outcome::Failed(i)) => {
            let ours = iac_first_error(i);
            if ours != *t {
                out.push(("*".into(), "message", format!("terraform {t:?}, iac {ours:?}")));
            }
        }
        (Outcome::Failed(e), Outcome::Ok(_)) => out.push(("*".into(), "outcome", format!("terraform fails ({e}), iac succeeds"))),
        (Outcome::Ok(_), Outcome::Failed(e)) => out.push(("*".into(), "outcome", format!("terraform succeeds, iac fails:\n{e}"))),
        (Outcome::Ok(t), Outcome::Ok(i)) => {
            let names: BTreeSet<&String> = t.keys().chain(i.keys()).collect();
            for n in names {
                match (t.get(n), i.get(n)) {
                    (Some(a), Some(b)) => {
                        if !json_eq(&a.value, &b.value) || a.sensitive != b.sensitive {
                            out.push((
                                n.clone(),
                                "value",
                                format!("terraform {} (sensitive {}), iac {} (sensitive {})", a.value, a.sensitive, b.value, b.sensitive),
                            ));
                        } else if a.type_ != b.type_ {
                            // Equal shapes that differ only in list/set/map vs
                            // tuple/object (a null's or an empty collection's
                            // element type, which iac's values do not carry).
                            let kind = if structural(&a.type_, &a.value) == structural(&b.type_, &b.value) { "collections" } else { "type" };
                            out.push((n.clone(), kind, format!("terraform {}, iac {}", a.type_, b.type_)));
                        }
                    }
                    (Some(a), None) => out.push((n.clone(), "value", format!("missing in iac (terraform {})", a.value))),
                    (None, Some(b)) => out.push((n.clone(), "value", format!("only in iac ({})", b.value))),
                    (None, None) => {}
                }
            }
        }
    }
    out
}

/// A type with its collection kinds replaced by the shape of the value:
/// `list`/`set` become a `tuple` of one element type per element, `map` an
/// `object` with one attribute type per key; a null value's type is `dynamic`.
fn structural(t: &Json, v: &Json) -> Json {
    if v.is_null() {
        return json!("dynamic");
    }
    match (t, v) {
        (Json::Array(parts), Json::Array(items)) if parts.len() == 2 => match (parts[0].as_str(), &parts[1]) {
            (Some("list" | "set"), elem) => json!(["tuple", items.iter().map(|i| structural(elem, i)).collect::<Vec<_>>()]),
            (Some("tuple"), Json::Array(elems)) => json!(["tuple", elems.iter().zip(items).map(|(e, i)| structural(e, i)).collect::<Vec<_>>()]),
            _ => t.clone(),
        },
        (Json::Array(parts), Json::Object(attrs)) if parts.len() == 2 => match (parts[0].as_str(), &parts[1]) {
            (Some("map"), elem) => json!(["object", attrs.iter().map(|(k, i)| (k.clone(), structural(elem, i))).collect::<serde_json::Map<_, _>>()]),
            (Some("object"), Json::Object(types)) => json!([
                "object",
                attrs.iter().map(|(k, i)| (k.clone(), types.get(k).map_or(json!("dynamic"), |e| structural(e, i)))).collect::<serde_json::Map<_, _>>()
            ]),
            _ => t.clone(),
        },
        _ => t.clone(),
    }
}

/// Runs `f` over the cases on two threads (the machine is shared), in order.
pub(crate) fn par_map<T: Send>(cases: &[(String, PathBuf)], f: impl Fn(&str, &Path) -> T + Sync) -> Vec<T> {
    let results: Mutex<BTreeMap<usize, T>> = Mutex::new(BTreeMap::new());
    let next = Mutex::new(0usize);
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let i = {
                    let mut n = next.lock().unwrap();
                    let i = *n;
                    *n += 1;
                    i
                };
                let Some((name, dir)) = cases.get(i) else { break };
                let r = f(name, dir);
                results.lock().unwrap().insert(i, r);
            });
        }
    });
    results.into_inner().unwrap().into_values().collect()
}

#[test]
fn lang_diff_iac_matches_terraform() {
    let cases = selected_cases();
    assert!(!cases.is_empty(), "empty corpus");
    let known = known_differences();
    let results = par_map(&cases, |name, dir| (read_snapshot(dir), run_iac(name, dir)));
    let mut problems = Vec::new();
    let mut seen_known = BTreeSet::new();
    let mut compared = 0;
    for ((name, _), (snap, iac)) in cases.iter().zip(results) {
        let tf = match snap {
            Ok(t) => t,
            Err(e) => {
                problems.push(format!("{name}: {e}"));
                continue;
            }
        };
        let (iac, _) = match iac {
            Ok(i) => i,
            Err(e) => {
                problems.push(format!("{name}: {e}"));
                continue;
            }
        };
        compared += 1;
        for (output, kind, detail) in differences(&tf, &iac) {
            let key = |o: &str| Known { case: name.clone(), output: o.to_string(), kind: kind.to_string() };
            let global = Known { case: "*".into(), output: "*".into(), kind: kind.to_string() };
            if known.contains(&global) {
                seen_known.insert(global);
            } else if known.contains(&key(&output)) {
                seen_known.insert(key(&output));
            } else if known.contains(&key("*")) {
                seen_known.insert(key("*"));
            } else {
                problems.push(format!("{name}: output {output}: {kind} differs: {detail}"));
            }
        }
    }
    // Only when the whole corpus ran can a listed difference be proven stale.
    if std::env::var("LANG_DIFF_CASES").is_err() {
        for k in known.difference(&seen_known) {
            problems.push(format!("DIFFERENCES lists {} {} {}, but iac and terraform now agree: remove the line", k.case, k.output, k.kind));
        }
    }
    assert!(problems.is_empty(), "{} of {compared} cases compared; differences from Terraform 1.11.4:\n\n{}", problems.len(), problems.join("\n\n"));
}

#[test]
fn lang_diff_snapshots_match_terraform() {
    let version = Command::new("terraform")
        .args(["version", "-json"])
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_CLI_CONFIG_FILE", "/dev/null")
        .output()
        .unwrap_or_else(|e| panic!("terraform is not on PATH ({e}): the differential corpus is measured against Terraform 1.11.4"));
    let v: Json = serde_json::from_slice(&version.stdout).expect("terraform version -json");
    assert_eq!(v["terraform_version"], json!("1.11.4"), "the corpus is recorded from Terraform 1.11.4");
    let bless = std::env::var("LANG_DIFF_BLESS").is_ok_and(|v| v == "1");
    let cases = selected_cases();
    let results = par_map(&cases, |_, dir| run_terraform(dir));
    let mut problems = Vec::new();
    for ((name, dir), r) in cases.iter().zip(results) {
        let tf = match r {
            Ok(t) => t,
            Err(e) => {
                problems.push(format!("{name}: {e}"));
                continue;
            }
        };
        if bless {
            let text = serde_json::to_string_pretty(&snapshot_json(&tf)).unwrap() + "\n";
            std::fs::write(dir.join("expected.json"), text).expect("write snapshot");
            continue;
        }
        match read_snapshot(dir) {
            Ok(snap) if snapshot_json(&snap) == snapshot_json(&tf) => {}
            Ok(snap) => problems.push(format!(
                "{name}: snapshot differs from terraform (LANG_DIFF_BLESS=1 rewrites it):\n  snapshot:  {}\n  terraform: {}",
                snapshot_json(&snap),
                snapshot_json(&tf)
            )),
            Err(e) => problems.push(format!("{name}: {e}")),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn json_comparison_is_exact_for_integers() {
    let big: Json = serde_json::from_str("12345678901234567890").unwrap();
    let rounded: Json = serde_json::from_str("12345678901234567000").unwrap();
    assert!(!json_eq(&big, &rounded));
    assert!(json_eq(&json!(0.5), &json!(0.5)));
    assert!(json_eq(&json!({"a": [1, "x"]}), &json!({"a": [1, "x"]})));
    assert!(!json_eq(&json!([1]), &json!([1, 2])));
}

/// Regressions from real configurations that iac rejected and Terraform
/// accepts, checked with `iac validate` (the blocks need a provider schema
/// with nested blocks, which no configuration Terraform runs offline has):
/// dynamic blocks with their iterator in scope (default name, `iterator =`,
/// nested dynamics, `labels`), `depends_on` on locals and variables,
/// `provider_meta`, top-level `ephemeral` and `check` blocks.
#[test]
fn real_world_blocks_validate() {
    let stack = Stack::files(
        "real-world",
        &[(
            "main.tf",
            r#"
terraform {
  required_version = ">= 1.3"
  provider_meta "digitalocean" {
    module_name = "platform"
  }
}
locals {
  pools = { small = { size = "s-1vcpu-2gb", nodes = 1, taints = [{ key = "k", value = "v" }] } }
  tags  = ["a", "b"]
}
variable "region" {
  default = "nyc1"
}
resource "digitalocean_kubernetes_cluster" "c" {
  name    = "c"
  region  = var.region
  version = "1.30.1-do.0"
  dynamic "node_pool" {
    for_each = local.pools
    content {
      name       = node_pool.key
      size       = node_pool.value.size
      node_count = node_pool.value.nodes
      tags       = [for t in local.tags : "${node_pool.key}-${t}"]
      dynamic "taint" {
        for_each = node_pool.value.taints
        iterator = t
        content {
          key    = t.value.key
          value  = "${node_pool.key}-${t.value.value}"
          effect = "NoSchedule"
        }
      }
    }
  }
  depends_on = [local.tags, var.region]
}
ephemeral "random_password" "db" {
  length = 16
}
check "pools" {
  assert {
    condition     = length(local.pools) > 0
    error_message = "no pools"
  }
}
"#,
        )],
    );
    let out = stack.run(&["validate"]);
    assert_eq!(out.code, 0, "validate failed:\n{}", out.stderr);

    // The iterator is a local name of `content` only.
    let stack = Stack::files(
        "iterator-scope",
        &[(
            "main.tf",
            r#"
resource "digitalocean_kubernetes_cluster" "c" {
  name    = node_pool.key
  region  = "nyc1"
  version = "1.30.1-do.0"
  node_pool {
    name       = "p"
    size       = "s-1vcpu-2gb"
    node_count = 1
  }
}
"#,
        )],
    );
    let out = stack.run(&["validate"]);
    assert_eq!(out.code, 1, "a dynamic iterator outside its block must be an error:\n{}", out.stderr);
    assert!(out.stderr.contains("node_pool.key"), "{}", out.stderr);
}

/// Terraform reads `*.tf` only: a `backend.hcl` for `-backend-config`, the
/// lock file and editor backups are not configuration; JSON configuration
/// (`*.tf.json`) is refused rather than silently ignored.
#[test]
fn configuration_files_are_terraforms() {
    let stack = Stack::files(
        "files",
        &[
            ("main.tf", "output \"x\" { value = \"ok\" }\n"),
            ("backend.hcl", "bucket = \"state\"\nkey    = \"x\"\n"),
            (".terraform.lock.hcl", "provider \"registry.terraform.io/hashicorp/aws\" {\n  version = \"5.0.0\"\n}\n"),
            ("main.tf~", "this is not HCL {\n"),
            ("#main.tf#", "neither is this {\n"),
        ],
    );
    let out = stack.run(&["validate"]);
    assert_eq!(out.code, 0, "validate failed:\n{}", out.stderr);
    stack.write("extra.tf.json", "{\"output\": {\"y\": {\"value\": 1}}}\n");
    let out = stack.run(&["validate"]);
    assert_eq!(out.code, 1, "a *.tf.json file must not be ignored:\n{}", out.stderr);
    assert!(out.stderr.contains("extra.tf.json"), "{}", out.stderr);
}

/// `plantimestamp()` is the plan's time, known while planning, and a saved
/// plan applied by a later process sees the same value (it travels in the
/// plan); `uuid()` is unknown while planning and known after apply.
#[test]
fn plantimestamp_travels_with_a_saved_plan() {
    let stack = Stack::files(
        "plantime",
        &[(
            "main.tf",
            r#"
resource "terraform_data" "p" {
  input = { planned = plantimestamp(), id = uuid() }
}
output "planned" { value = terraform_data.p.output.planned }
output "id_length" { value = length(terraform_data.p.output.id) }
"#,
        )],
    );
    let plan = stack.run(&["plan", "-out", "plan.bin"]);
    assert_eq!(plan.code, 0, "plan failed:\n{}", plan.stderr);
    assert!(plan.stdout.contains("(known after apply)"), "uuid() must be unknown while planning:\n{}", plan.stdout);
    let stamp = regex::Regex::new(r#"planned = "(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)""#).unwrap();
    let planned = stamp.captures(&plan.stdout).map(|c| c[1].to_string()).unwrap_or_else(|| panic!("no plan timestamp in:\n{}", plan.stdout));
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let apply = stack.run(&["apply", "plan.bin"]);
    assert_eq!(apply.code, 0, "apply of the saved plan failed:\n{}", apply.stderr);
    let out: Json = serde_json::from_str(&stack.run(&["output", "-json"]).stdout).expect("output -json");
    assert_eq!(out["planned"]["value"], json!(planned));
    assert_eq!(out["id_length"]["value"], json!(36));
}

/// A problem in a module's files is reported once, however many calls use
/// the module (as Terraform reports it once per module source).
#[test]
fn module_errors_are_reported_once_per_source() {
    let stack = Stack::files(
        "once",
        &[
            ("main.tf", "module \"a\" {\n  source = \"./m\"\n}\nmodule \"b\" {\n  source = \"./m\"\n}\nmodule \"c\" {\n  source = \"./m\"\n}\n"),
            ("m/main.tf", "variable \"v\" {\n  default  = 1\n  typo_arg = 1\n}\n"),
        ],
    );
    let out = stack.run(&["validate"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(out.stderr.matches("unsupported argument \"typo_arg\"").count(), 1, "{}", out.stderr);
}

/// An expression that fails while planning is reported once per instance
/// that evaluates it, as Terraform 1.11.4 reports it: a module's output for
/// each call and each instance of a repeated call, a resource's argument for
/// each of its `count` instances (the same diagnostic, repeated). Compared
/// with Terraform's `plan -json`: each error's file and summary.
#[test]
fn instance_errors_are_reported_per_instance_as_terraform_does() {
    let files: &[(&str, &str)] = &[
        (
            "main.tf",
            "module \"a\" {\n  source = \"./m\"\n}\nmodule \"b\" {\n  source = \"./m\"\n}\nmodule \"c\" {\n  source = \"./m\"\n  count  = 2\n}\n\
             variable \"n\" {\n  default = null\n}\nresource \"terraform_data\" \"r\" {\n  count = 2\n  input = var.n.x\n}\n",
        ),
        ("m/main.tf", "variable \"v\" {\n  default = null\n}\noutput \"o\" {\n  value = var.v.attr\n}\n"),
    ];
    let errors = |ui: &str| -> Vec<String> {
        let mut out: Vec<String> = ui_diagnostics(ui)
            .iter()
            .filter(|d| d["severity"] == "error")
            .map(|d| format!("{}: {}", d["range"]["filename"].as_str().unwrap_or_default(), d["summary"].as_str().unwrap_or_default()))
            .collect();
        out.sort();
        out
    };
    let tf = tempfile::tempdir().expect("tempdir");
    for (name, text) in files {
        let path = tf.path().join(name);
        std::fs::create_dir_all(path.parent().expect("a directory")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
    let init = terraform_command(tf.path(), &["init", "-backend=false", "-input=false", "-no-color"]).output().expect("terraform 1.11.4 on PATH");
    assert!(init.status.success(), "terraform init: {}", String::from_utf8_lossy(&init.stderr));
    let theirs = terraform_command(tf.path(), &["plan", "-input=false", "-json"]).output().expect("terraform 1.11.4 on PATH");
    let theirs = errors(&String::from_utf8_lossy(&theirs.stdout));
    assert_eq!(theirs.len(), 6, "{theirs:?}");
    let stack = Stack::files("per-instance-errors", files);
    let ours = stack.run(&["plan", "-json"]);
    assert_eq!(errors(&ours.stdout), theirs, "{}", ours.stderr);
}

/// What one tool reported for a stack with `check` blocks: the summaries
/// of the plan's warnings and errors, the expression values under them
/// (`plan -json`), the plan's `checks` (Terraform's plan JSON), the
/// summaries of the apply's, and the `check_results` of the state after it.
#[derive(Debug, PartialEq)]
struct CheckReport {
    plan: Vec<String>,
    values: Vec<String>,
    checks: Json,
    apply: Vec<String>,
    state_checks: Json,
}

/// `Warning: X` / `Error: X` headlines (Terraform) or `⚠ FILE:L:C: X` /
/// `× FILE:L:C: X` (iac), as `warning: X` / `error: X`, sorted.
fn headlines(text: &str) -> Vec<String> {
    let re = regex::Regex::new(r"(?m)^\s*(?:(Warning|Error): (.+)|(⚠|×) (?:\S+:\d+:\d+: )?(.+))$").expect("regex");
    let mut out: Vec<String> = re
        .captures_iter(text)
        .map(|c| match (c.get(1), c.get(2), c.get(3), c.get(4)) {
            (Some(k), Some(s), _, _) => format!("{}: {}", k.as_str().to_lowercase(), s.as_str().trim()),
            (_, _, Some(k), Some(s)) => format!("{}: {}", if k.as_str() == "⚠" { "warning" } else { "error" }, s.as_str().trim()),
            _ => String::new(),
        })
        .collect();
    out.sort();
    out
}

fn plan_checks(show_json: &str) -> Json {
    let j: Json = serde_json::from_str(show_json).unwrap_or_else(|e| panic!("show -json is not JSON ({e}): {show_json}"));
    j.get("checks").cloned().unwrap_or(Json::Null)
}

/// `severity: summary: traversal statement` for each expression value under
/// the diagnostics of a `plan -json` run, sorted. Terraform names the type
/// of an unknown value ("is a string"); iac's unknown values have none, so
/// it says nothing of them, and those are not compared.
fn diagnostic_values(ui: &str) -> Vec<String> {
    let mut out = Vec::new();
    for d in ui_diagnostics(ui) {
        for v in d["snippet"]["values"].as_array().into_iter().flatten() {
            let statement = v["statement"].as_str().unwrap_or_default();
            if !statement.starts_with("is a ") {
                out.push(format!(
                    "{}: {}: {} {statement}",
                    d["severity"].as_str().unwrap_or_default(),
                    d["summary"].as_str().unwrap_or_default(),
                    v["traversal"].as_str().unwrap_or_default()
                ));
            }
        }
    }
    out.sort();
    out
}

/// The `check_results` of a state in Terraform's format, each list sorted
/// by address (Terraform's order is its map's); no state or none: `[]`.
fn state_check_results(state: &str) -> Json {
    let j: Json = serde_json::from_str(state).unwrap_or(Json::Null);
    let mut results = j["check_results"].as_array().cloned().unwrap_or_default();
    for r in &mut results {
        if let Some(objects) = r["objects"].as_array_mut() {
            objects.sort_by_key(|o| o["object_addr"].to_string());
        }
    }
    results.sort_by_key(|r| r["config_addr"].to_string());
    Json::Array(results)
}

fn terraform_checks(case: &Path) -> CheckReport {
    let tmp = tempfile::Builder::new().prefix("checks-tf-").tempdir().expect("tempdir");
    let dir = tmp.path().join("stack");
    copy_case(case, &dir);
    let tf = |args: &[&str]| {
        let o = terraform_command(&dir, args).output().expect("terraform 1.11.4 on PATH");
        (String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
    };
    let all = |(out, err): (String, String)| format!("{out}{err}");
    tf(&["init", "-backend=false", "-input=false", "-no-color"]);
    let plan = all(tf(&["plan", "-input=false", "-no-color", "-out=p.bin"]));
    // Terraform saves a plan whose checks erred (marked errored, refused by
    // apply); iac saves none.
    let failed = headlines(&plan).iter().any(|h| h.starts_with("error:"));
    let checks = if failed { Json::Null } else { plan_checks(&tf(&["show", "-json", "p.bin"]).0) };
    let values = diagnostic_values(&tf(&["plan", "-input=false", "-json"]).0);
    let apply = all(tf(&["apply", "-input=false", "-no-color", "-auto-approve"]));
    let state = std::fs::read_to_string(dir.join("terraform.tfstate")).unwrap_or_default();
    CheckReport { plan: headlines(&plan), values, checks, apply: headlines(&apply), state_checks: state_check_results(&state) }
}

fn iac_checks(name: &str) -> CheckReport {
    let stack = Stack::fixture(&format!("checks/{name}"), name);
    let plan = stack.run(&["plan", "-out=p.bin"]);
    let checks = if plan.code == 0 { plan_checks(&stack.run(&["show", "-json", "p.bin"]).stdout) } else { Json::Null };
    let values = diagnostic_values(&stack.run(&["plan", "-json"]).stdout);
    let apply = stack.run(&["apply", "-auto-approve"]);
    let state = stack.run(&["state", "pull"]);
    let state_checks = state_check_results(if state.code == 0 { &state.stdout } else { "" });
    CheckReport { plan: headlines(&plan.all()), values, checks, apply: headlines(&apply.all()), state_checks }
}

/// `check` blocks against Terraform 1.11.4 (`fixtures/checks/<case>/`):
/// the same warnings and errors after plan and after apply, the same
/// expression values under them (`local.one is 1`), the same `checks` in
/// the plan's JSON (statuses per module instance, the failed assertions'
/// messages; none when the plan failed) and the same `check_results` in
/// the state after apply. Terraform runs live:
/// every case is offline.
#[test]
fn checks_match_terraform() {
    let cases = cases("checks");
    assert!(!cases.is_empty());
    let results = par_map(&cases, |name, dir| (terraform_checks(dir), iac_checks(name)));
    let mut problems = Vec::new();
    for ((name, _), (tf, iac)) in cases.iter().zip(results) {
        if tf != iac {
            problems.push(format!("{name}:\n  terraform: {tf:?}\n  iac:       {iac:?}"));
        }
    }
    assert!(problems.is_empty(), "check blocks differ from Terraform:\n{}", problems.join("\n"));
}

/// What one tool did with a stack of custom conditions
/// (`fixtures/conditions/<case>/`): the exit codes of `plan` and of
/// `apply -auto-approve`, their diagnostics (severity, summary, detail,
/// where, and the expression values under them), the instances in state
/// after the apply (address and whether tainted), the saved plan (`plan
/// -out`: its `checks`, `errored`, `applyable` and `complete` in `show
/// -json`; null when none was saved) and what applying it said when it
/// errored, and the state's `check_results` after the apply.
#[derive(Debug, PartialEq)]
struct ConditionReport {
    plan: (i32, Vec<String>),
    apply: (i32, Vec<String>),
    state: Vec<String>,
    saved_plan: Json,
    errored_apply: Option<(i32, Vec<String>)>,
    state_checks: Json,
}

/// The parts of a saved plan's `show -json` that say how its conditions
/// came out.
fn saved_plan_checks(show_json: &str) -> Json {
    let j: Json = serde_json::from_str(show_json).unwrap_or_else(|e| panic!("show -json is not JSON ({e}): {show_json}"));
    serde_json::json!({"checks": j.get("checks"), "errored": j["errored"], "applyable": j["applyable"], "complete": j["complete"]})
}

/// The diagnostics of a `-json` run, one line each, sorted.
pub(crate) fn json_diagnostics(ui: &str) -> Vec<String> {
    let mut out = Vec::new();
    for d in ui_diagnostics(ui) {
        let values: Vec<String> = snippet_values(&d).into_iter().filter(|v| !v.contains(" is a ")).collect();
        out.push(format!(
            "{}: {}: {} at {}:{}:{} {values:?}",
            d["severity"].as_str().unwrap_or_default(),
            d["summary"].as_str().unwrap_or_default(),
            d["detail"].as_str().unwrap_or_default(),
            d["range"]["filename"].as_str().unwrap_or_default(),
            d["range"]["start"]["line"],
            d["range"]["start"]["column"],
        ));
    }
    out.sort();
    out
}

/// `ADDRESS` (with ` tainted` when so) of every instance of a state in
/// Terraform's format, sorted.
fn state_instances(state: &str) -> Vec<String> {
    let j: Json = serde_json::from_str(state).unwrap_or(Json::Null);
    let mut out = Vec::new();
    for r in j["resources"].as_array().into_iter().flatten() {
        let prefix = if r["mode"] == "data" { "data." } else { "" };
        let base = format!("{prefix}{}.{}", r["type"].as_str().unwrap_or_default(), r["name"].as_str().unwrap_or_default());
        for i in r["instances"].as_array().into_iter().flatten() {
            let key = match &i["index_key"] {
                Json::Null => String::new(),
                k => format!("[{k}]"),
            };
            let tainted = if i["status"] == "tainted" { " tainted" } else { "" };
            out.push(format!("{base}{key}{tainted}"));
        }
    }
    out.sort();
    out
}

/// A case copied into a fresh directory and initialized there by
/// Terraform, for comparisons that run several Terraform commands over it
/// and look at the plan it saves as `p.bin`.
struct InitializedTerraformCase {
    /// Holds the directory while the case runs.
    _tmp: tempfile::TempDir,
    dir: PathBuf,
}

impl InitializedTerraformCase {
    /// Copies `case` into a temporary directory named after `prefix` and
    /// runs `terraform init` there (no backend).
    fn new(case: &Path, prefix: &str) -> Self {
        let tmp = tempfile::Builder::new().prefix(prefix).tempdir().expect("tempdir");
        let dir = tmp.path().join("stack");
        copy_case(case, &dir);
        let run = InitializedTerraformCase { _tmp: tmp, dir };
        run.tf(&["init", "-backend=false", "-input=false", "-no-color"]);
        run
    }

    /// `terraform ARGS` in the case: its exit code and stdout.
    fn tf(&self, args: &[&str]) -> (i32, String) {
        let o = terraform_command(&self.dir, args).output().expect("terraform 1.11.4 on PATH");
        (o.status.code().unwrap_or(-1), String::from_utf8_lossy(&o.stdout).into_owned())
    }

    /// What `read` makes of `show -json p.bin`; `Null` when no plan was saved.
    fn saved_plan(&self, read: fn(&str) -> Json) -> Json {
        if self.dir.join("p.bin").exists() {
            read(&self.tf(&["show", "-json", "p.bin"]).1)
        } else {
            Json::Null
        }
    }

    /// When the saved plan (as [`Self::saved_plan`] read it) is errored, the
    /// exit code and diagnostics of applying it, a refusal in Terraform's
    /// words (iac names itself).
    fn refused_apply(&self, saved: &Json) -> Option<(i32, Vec<String>)> {
        (saved["errored"] == true).then(|| {
            let (code, out) = self.tf(&["apply", "-input=false", "-json", "p.bin"]);
            (code, json_diagnostics(&out.replace("Terraform encountered", "iac encountered")))
        })
    }
}

fn terraform_conditions(case: &Path) -> ConditionReport {
    let run = InitializedTerraformCase::new(case, "conditions-tf-");
    let (plan_code, plan) = run.tf(&["plan", "-input=false", "-json"]);
    run.tf(&["plan", "-input=false", "-no-color", "-out=p.bin"]);
    let saved_plan = run.saved_plan(saved_plan_checks);
    let errored_apply = run.refused_apply(&saved_plan);
    let (apply_code, apply) = run.tf(&["apply", "-input=false", "-json", "-auto-approve"]);
    let state = std::fs::read_to_string(run.dir.join("terraform.tfstate")).unwrap_or_default();
    ConditionReport {
        plan: (plan_code, json_diagnostics(&plan)),
        apply: (apply_code, json_diagnostics(&apply)),
        state: state_instances(&state),
        saved_plan,
        errored_apply,
        state_checks: state_check_results(&state),
    }
}

fn iac_conditions(name: &str) -> ConditionReport {
    let stack = Stack::fixture(&format!("conditions/{name}"), name);
    let plan = stack.run(&["plan", "-json"]);
    stack.run(&["plan", "-out=p.bin"]);
    let saved_plan = if stack.dir.join("p.bin").exists() { saved_plan_checks(&stack.run(&["show", "-json", "p.bin"]).stdout) } else { Json::Null };
    let errored_apply = (saved_plan["errored"] == true).then(|| {
        let out = stack.run(&["apply", "-json", "p.bin"]);
        (out.code, json_diagnostics(&out.stdout))
    });
    let apply = stack.run(&["apply", "-json", "-auto-approve"]);
    let state = stack.run(&["state", "pull"]);
    let state = if state.code == 0 { state.stdout } else { String::new() };
    ConditionReport {
        plan: (plan.code, json_diagnostics(&plan.stdout)),
        apply: (apply.code, json_diagnostics(&apply.stdout)),
        state: state_instances(&state),
        saved_plan,
        errored_apply,
        state_checks: state_check_results(&state),
    }
}

/// Preconditions and postconditions against Terraform 1.11.4
/// (`fixtures/conditions/<case>/`): passing ones on every instance of a
/// for_each resource and an output; a precondition failing on one
/// `count.index`; a postcondition on `self` failing the plan; conditions
/// known only after apply (a precondition on another resource's output
/// stops the apply before its resource is created, a postcondition on
/// `self.output` fails after the object is created and kept in state); an
/// output's precondition; conditions in module instances and on a data
/// source; variables' validation rules (a root variable's, a module
/// variable's in each instance of its call, unknown until apply; rules
/// that refer to other variables, locals, a data source or a
/// terraform_data output, as Terraform 1.9 and later allow; a root
/// variable given in terraform.tfvars that fails its rule, or whose type
/// refuses it: an errored plan, the error naming the value in that
/// file). Same
/// exit codes, diagnostics (summary, detail, place, expression values) and
/// instances in state; the same results of the conditions in
/// the saved plan's `checks` (kinds, addresses, statuses, failure messages)
/// and in state's `check_results`; a plan whose conditions failed saved,
/// errored, and refused by apply as Terraform refuses it.
#[test]
fn conditions_match_terraform() {
    let cases = cases("conditions");
    assert!(!cases.is_empty());
    let results = par_map(&cases, |name, dir| (terraform_conditions(dir), iac_conditions(name)));
    let mut problems = Vec::new();
    for ((name, _), (tf, iac)) in cases.iter().zip(results) {
        if tf != iac {
            problems.push(format!("{name}:\n  terraform: {tf:?}\n  iac:       {iac:?}"));
        }
    }
    assert!(problems.is_empty(), "conditions differ from Terraform:\n{}", problems.join("\n"));
}

/// The steps of a `validation-modes` case, in order: destroy and
/// refresh-only plans of an empty state, an apply, then refresh-only and
/// destroy plans and applies of what it made, with the case's variables
/// (`failing.tfvars` breaks a validation rule) and without.
const VALIDATION_MODE_STEPS: &[&[&str]] = &[
    &["plan", "-destroy", "-var-file=failing.tfvars", "-out=p.bin"],
    &["plan", "-refresh-only", "-var-file=failing.tfvars", "-out=p.bin"],
    &["apply", "-auto-approve"],
    &["plan", "-refresh-only", "-out=p.bin"],
    &["plan", "-refresh-only", "-var-file=failing.tfvars", "-out=p.bin"],
    &["apply", "-refresh-only", "-auto-approve", "-var-file=failing.tfvars"],
    &["apply", "-refresh-only", "-auto-approve"],
    &["plan", "-destroy", "-var-file=failing.tfvars", "-out=p.bin"],
    &["plan", "-destroy", "-refresh=false", "-var-file=failing.tfvars", "-out=p.bin"],
    &["plan", "-destroy", "-out=p.bin"],
    &["destroy", "-auto-approve", "-var-file=failing.tfvars"],
    &["destroy", "-auto-approve"],
];

/// A `validation-modes` case's steps: its `steps` file (one command a
/// line), or [`VALIDATION_MODE_STEPS`].
fn validation_mode_steps(case: &Path) -> Vec<Vec<String>> {
    let listed = read_lines(&case.join("steps"));
    if listed.is_empty() {
        return VALIDATION_MODE_STEPS.iter().map(|s| s.iter().map(|a| a.to_string()).collect()).collect();
    }
    listed.iter().map(|l| l.split_whitespace().map(str::to_string).collect()).collect()
}

/// One step of a `validation-modes` case, one tool's view: its exit code
/// and diagnostics (`-json`), the plan it saved (its `checks`, `errored`,
/// `applyable`, `complete`; null when none) and state's `check_results`
/// after it.
#[derive(Debug, PartialEq)]
struct ValidationModeStep {
    args: String,
    code: i32,
    diagnostics: Vec<String>,
    saved_plan: Json,
    state_checks: Json,
}

fn terraform_validation_modes(case: &Path) -> Vec<ValidationModeStep> {
    let run = InitializedTerraformCase::new(case, "validation-modes-tf-");
    validation_mode_steps(case)
        .iter()
        .map(|step| {
            let _ = std::fs::remove_file(run.dir.join("p.bin"));
            let mut args = vec![step[0].as_str(), "-input=false", "-json"];
            args.extend(step[1..].iter().map(String::as_str));
            let (code, out) = run.tf(&args);
            let saved_plan = run.saved_plan(saved_plan_checks);
            let state = std::fs::read_to_string(run.dir.join("terraform.tfstate")).unwrap_or_default();
            ValidationModeStep { args: step.join(" "), code, diagnostics: json_diagnostics(&out), saved_plan, state_checks: state_check_results(&state) }
        })
        .collect()
}

fn iac_validation_modes(name: &str, case: &Path) -> Vec<ValidationModeStep> {
    let stack = Stack::fixture(&format!("validation-modes/{name}"), name);
    validation_mode_steps(case)
        .iter()
        .map(|step| {
            let _ = std::fs::remove_file(stack.dir.join("p.bin"));
            let mut args = vec![step[0].as_str(), "-json"];
            args.extend(step[1..].iter().map(String::as_str));
            let out = stack.run(&args);
            let saved_plan = if stack.dir.join("p.bin").exists() { saved_plan_checks(&stack.run(&["show", "-json", "p.bin"]).stdout) } else { Json::Null };
            let state = stack.run(&["state", "pull"]);
            let state = if state.code == 0 { state.stdout } else { String::new() };
            ValidationModeStep {
                args: step.join(" "),
                code: out.code,
                diagnostics: json_diagnostics(&out.stdout),
                saved_plan,
                state_checks: state_check_results(&state),
            }
        })
        .collect()
}

/// Variables' validation rules in destroy and refresh-only runs, against
/// Terraform 1.11.4 (`fixtures/validation-modes/<case>/`: a root
/// variable's rule, a module variable's, and beside one resource and
/// output conditions). A refresh-only plan checks them as a normal plan
/// does (its `checks` list the results; a failed rule leaves an errored
/// plan; a false resource or output condition is a warning there, and in
/// the refresh before a destroy plan) and its apply keeps them in state's
/// `check_results`; a destroy plan checks them only while it refreshes a
/// state with objects (a failed rule stops it, no plan saved; with
/// `-refresh=false` or an empty state nothing is checked), and its
/// `checks` and the state after the destroy list every rule unknown. Same
/// exit codes, diagnostics, saved plans and state at every step (a root
/// variable's failure in a refresh-only plan included: checked in the
/// walk, it leaves an errored plan).
#[test]
fn validation_modes_match_terraform() {
    let cases = cases("validation-modes");
    assert!(!cases.is_empty());
    let results = par_map(&cases, |name, dir| (terraform_validation_modes(dir), iac_validation_modes(name, dir)));
    let mut problems = Vec::new();
    for ((name, _), (tf, iac)) in cases.iter().zip(results) {
        assert!(tf.iter().any(|s| s.code != 0), "{name}: terraform failed no step: {tf:?}");
        for (t, i) in tf.iter().zip(&iac) {
            if t != i {
                problems.push(format!("{name}, {}:\n  terraform: {t:?}\n  iac:       {i:?}", t.args));
            }
        }
    }
    assert!(problems.is_empty(), "validation rules in destroy and refresh-only runs differ from Terraform:\n{}", problems.join("\n"));
}

/// What a failed plan leaves, one tool's view: the plan's exit code and
/// whether it showed what it planned before the error (and the messages
/// of `plan -json`'s change lines), the saved plan's
/// flags and planned changes (`Null` when none was saved), and, for an
/// errored one, the refused apply's exit code and diagnostics.
#[derive(Debug, PartialEq)]
struct ErroredPlanReport {
    plan_code: i32,
    shows_planned: bool,
    streamed: Vec<String>,
    saved: Json,
    errored_apply: Option<(i32, Vec<String>)>,
}

/// A saved plan's `errored`, `applyable`, `complete` and its planned
/// changes (address and actions, sorted).
fn saved_plan_summary(show_json: &str) -> Json {
    let j: Json = serde_json::from_str(show_json).unwrap_or_else(|e| panic!("show -json is not JSON ({e}): {show_json}"));
    let changes: Vec<Json> = planned_changes(show_json, |_| Json::Null).into_iter().map(|(a, actions, _)| json!([a, actions])).collect();
    json!({"errored": j["errored"], "applyable": j["applyable"], "complete": j["complete"], "changes": changes})
}

fn terraform_errored_plan(case: &Path) -> ErroredPlanReport {
    let run = InitializedTerraformCase::new(case, "errored-tf-");
    let (plan_code, shown) = run.tf(&["plan", "-input=false", "-no-color", "-out=p.bin"]);
    let shows_planned = shown.contains(SHOWS_PLANNED);
    let streamed = streamed_changes(&run.tf(&["plan", "-input=false", "-json"]).1);
    let saved = run.saved_plan(saved_plan_summary);
    let errored_apply = run.refused_apply(&saved);
    ErroredPlanReport { plan_code, shows_planned, streamed, saved, errored_apply }
}

/// The `@message` of each planned change and change summary line of a
/// `plan -json` stream, sorted (Terraform sends changes as it plans them).
fn streamed_changes(ui: &str) -> Vec<String> {
    let mut out: Vec<String> = ui
        .lines()
        .filter_map(|l| serde_json::from_str::<Json>(l).ok())
        .filter(|j| j["type"] == "planned_change" || j["type"] == "change_summary")
        .map(|j| j["@message"].as_str().unwrap_or_default().to_string())
        .collect();
    out.sort();
    out
}

/// How both tools head what an errored plan planned.
const SHOWS_PLANNED: &str = "planned the following actions, but then encountered a problem:";

fn iac_errored_plan(name: &str) -> ErroredPlanReport {
    let stack = Stack::fixture(&format!("errored-plans/{name}"), name);
    let plan = stack.run(&["plan", "-out=p.bin"]);
    let saved = if stack.dir.join("p.bin").exists() { saved_plan_summary(&stack.run(&["show", "-json", "p.bin"]).stdout) } else { Json::Null };
    let errored_apply = (saved["errored"] == true).then(|| {
        let out = stack.run(&["apply", "-json", "p.bin"]);
        (out.code, json_diagnostics(&out.stdout))
    });
    let streamed = streamed_changes(&stack.run(&["plan", "-json"]).stdout);
    ErroredPlanReport { plan_code: plan.code, shows_planned: plan.stdout.contains(SHOWS_PLANNED), streamed, saved, errored_apply }
}

/// Plans that fail, against Terraform 1.11.4 (`fixtures/errored-plans/`):
/// an error the plan walk finds (an evaluation error on a planned value,
/// an output precondition on one, one instance of a counted module, a
/// root variable's failed validation rule or refused type) leaves
/// a saved plan marked errored, neither applyable nor complete, with the
/// changes planned before the error (shown and streamed by `-json` as
/// Terraform shows them), which
/// apply refuses in Terraform's words; an error validation finds (a constant one) saves no plan, as
/// Terraform validates before it plans.
#[test]
fn errored_plans_match_terraform() {
    let cases = cases("errored-plans");
    assert!(!cases.is_empty());
    let results = par_map(&cases, |name, dir| (terraform_errored_plan(dir), iac_errored_plan(name)));
    let mut problems = Vec::new();
    for ((name, _), (tf, iac)) in cases.iter().zip(results) {
        assert_ne!(tf.plan_code, 0, "{name}: terraform's plan did not fail");
        assert_eq!(tf.saved["errored"] == true, !tf.streamed.is_empty(), "{name}: terraform streams changes exactly for errored plans: {tf:?}");
        if tf != iac {
            problems.push(format!("{name}:\n  terraform: {tf:?}\n  iac:       {iac:?}"));
        }
    }
    assert!(problems.is_empty(), "failed plans differ from Terraform:\n{}", problems.join("\n"));
}

/// A number above 2^53 given on the command line keeps every digit
/// through a saved plan, the apply, state (iac's and Terraform's format)
/// and the next plan, which finds nothing to change; its neighbour (the
/// float64 it would round to) is a change.
#[test]
fn a_big_integer_variable_survives_plan_apply_state_and_replan() {
    let s = Stack::files(
        "big-number",
        &[(
            "main.tf",
            "variable \"n\" {\n  type = number\n}\n\nresource \"terraform_data\" \"x\" {\n  input = var.n\n}\n\noutput \"o\" {\n  value = var.n\n}\n\noutput \"next\" {\n  value = tostring(var.n + 1)\n}\n\noutput \"stored\" {\n  value = terraform_data.x.output\n}\n",
        )],
    );
    let n = "9007199254740993";
    let var = format!("-var=n={n}");
    let plan = s.run(&["plan", &var, "-out=big.plan"]);
    plan.ok();
    assert!(plan.stdout.contains(n) && !plan.stdout.contains("9007199254740992"), "{}", plan.stdout);
    s.run(&["apply", "big.plan"]).ok();

    let raw = s.run(&["state", "pull", "-raw"]);
    raw.ok();
    let state: Json = serde_json::from_str(&raw.stdout).expect("state JSON");
    assert_eq!(state["outputs"]["o"]["value"].as_u64(), Some(9_007_199_254_740_993), "{}", raw.stdout);
    assert_eq!(state["outputs"]["next"]["value"], json!("9007199254740994"));
    let tf = s.run(&["state", "pull"]);
    tf.ok();
    let tf_state: Json = serde_json::from_str(&tf.stdout).expect("Terraform state JSON");
    assert_eq!(tf_state["outputs"]["stored"]["value"].as_u64(), Some(9_007_199_254_740_993), "{}", tf.stdout);
    assert_eq!(tf_state["resources"][0]["instances"][0]["attributes"]["input"]["value"].as_u64(), Some(9_007_199_254_740_993), "{}", tf.stdout);

    let out = s.run(&["output", "-json"]);
    out.ok();
    let outputs: Json = serde_json::from_str(&out.stdout).expect("output JSON");
    assert_eq!(outputs["stored"]["value"].as_u64(), Some(9_007_199_254_740_993), "{}", out.stdout);

    // Every way of giving the same number plans nothing; its float64
    // neighbour is a change.
    s.run(&["plan", "-detailed-exitcode", &var]).expect_code(0);
    s.run_env(&["plan", "-detailed-exitcode"], &[("TF_VAR_n", n)]).expect_code(0);
    s.write("big.tfvars", &format!("n = {n}\n"));
    s.run(&["plan", "-detailed-exitcode", "-var-file=big.tfvars"]).expect_code(0);
    s.write("big.tfvars.json", &format!("{{\"n\": {n}}}\n"));
    s.run(&["plan", "-detailed-exitcode", "-var-file=big.tfvars.json"]).expect_code(0);
    // Beyond 64 bits a tfvars literal is exact too (read from its text).
    s.write("huge.tfvars", "n = 18446744073709551617\n");
    let huge = s.run(&["plan", "-var-file=huge.tfvars"]);
    huge.ok();
    assert!(huge.stdout.contains("\"18446744073709551618\""), "{}", huge.stdout);
    let neighbour = s.run(&["plan", "-detailed-exitcode", "-var=n=9007199254740992"]);
    neighbour.expect_code(2);
    assert!(neighbour.stdout.contains("9007199254740993") && neighbour.stdout.contains("9007199254740992"), "{}", neighbour.stdout);
}

/// A check's scoped data source that cannot be read is a warning, as in
/// Terraform (which needs an external provider to show it, so this case
/// is iac's alone); assertions over a scoped data source that reads are
/// evaluated as any other.
#[test]
fn check_scoped_data_failure_is_a_warning() {
    let stack = Stack::files(
        "scoped",
        &[
            (
                "main.tf",
                r#"
check "file" {
  data "local_file" "missing" {
    filename = "${path.module}/missing.txt"
  }
  assert {
    condition     = data.local_file.missing.content != ""
    error_message = "missing.txt is empty"
  }
}
check "present" {
  data "local_file" "present" {
    filename = "${path.module}/present.txt"
  }
  assert {
    condition     = data.local_file.present.content == "yes"
    error_message = "present.txt says ${data.local_file.present.content}"
  }
}
output "o" { value = "ok" }
"#,
            ),
            ("present.txt", "no"),
        ],
    );
    let plan = stack.run(&["plan"]);
    plan.ok();
    let h = headlines(&plan.all());
    assert!(h.iter().all(|l| l.starts_with("warning:")), "only warnings: {h:?}\n{}", plan.all());
    assert!(h.contains(&"warning: Check block assertion failed".to_string()), "{h:?}");
    assert!(plan.all().contains("present.txt says no"), "{}", plan.all());
    // Terraform's expression values, under the source line.
    assert!(plan.all().contains("│ data.local_file.present.content is \"no\""), "{}", plan.all());
    assert!(plan.all().contains("missing.txt"), "the failed read is reported: {}", plan.all());
    stack.run(&["apply", "-auto-approve"]).ok();
}

/// `moved` blocks against Terraform 1.11.4 (`fixtures/moves/<case>/1`, then
/// `2`): each tool applies the first configuration, then plans the second;
/// the planned changes (address, actions, previous address) must agree.
#[test]
fn moves_match_terraform() {
    let cases = cases("moves");
    assert!(!cases.is_empty());
    let results = par_map(&cases, |name, dir| (terraform_moves(dir), iac_moves(name, dir)));
    let mut problems = Vec::new();
    for ((name, _), (tf, iac)) in cases.iter().zip(results) {
        assert!(!tf.is_empty(), "{name}: terraform planned nothing");
        if tf != iac {
            problems.push(format!("{name}:\n  terraform: {tf:?}\n  iac:       {iac:?}"));
        }
    }
    assert!(problems.is_empty(), "moved blocks differ from Terraform:\n{}", problems.join("\n"));
}

/// `(address, actions, previous_address)` of each planned change, sorted.
fn planned_moves(show_json: &str) -> Vec<(String, Json, Json)> {
    planned_changes(show_json, |c| c["previous_address"].clone())
}

/// `(address, actions, what)` of each planned change of a saved plan's
/// `show -json`, sorted by address; `what` picks the field a test compares.
pub(crate) fn planned_changes(show_json: &str, what: impl Fn(&Json) -> Json) -> Vec<(String, Json, Json)> {
    let j: Json = serde_json::from_str(show_json).unwrap_or_else(|e| panic!("show -json is not JSON ({e}): {show_json}"));
    let mut out: Vec<(String, Json, Json)> = j["resource_changes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| (c["address"].as_str().unwrap_or_default().to_string(), c["change"]["actions"].clone(), what(c)))
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// One tool's command (`run`) that must succeed in a case: its stdout.
pub(crate) fn succeeds(case: &Path, run: &dyn Fn(&[&str]) -> (i32, String), args: &[&str]) -> String {
    let (code, out) = run(args);
    assert_eq!(code, 0, "{args:?} in {}: {out}", case.display());
    out
}

/// Applies step 1 of a case in `dir`, then puts step 2 in its place, initialized.
pub(crate) fn apply_step_one_then_init_step_two(case: &Path, dir: &Path, run: &dyn Fn(&[&str]) -> (i32, String)) {
    use_step(case, "1", dir);
    succeeds(case, run, &["init"]);
    succeeds(case, run, &["apply", "-auto-approve"]);
    use_step(case, "2", dir);
    succeeds(case, run, &["init"]);
}

/// Replaces the configuration in `dir` with step `step` of a case.
pub(crate) fn use_step(case: &Path, step: &str, dir: &Path) {
    if dir.exists() {
        for e in std::fs::read_dir(dir).expect("dir") {
            let p = e.expect("entry").path();
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
            if name.ends_with(".tf") || (p.is_dir() && !name.starts_with('.')) {
                if p.is_dir() {
                    std::fs::remove_dir_all(&p).expect("rm");
                } else {
                    std::fs::remove_file(&p).expect("rm");
                }
            }
        }
    }
    copy_dir(&case.join(step), dir, false);
}

/// `terraform ARGS` in `dir`, offline and quiet: no update check, no CLI
/// configuration of this machine's, no log.
pub(crate) fn terraform_command(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new("terraform");
    c.args(args).current_dir(dir).env("CHECKPOINT_DISABLE", "1").env("TF_IN_AUTOMATION", "1").env("TF_CLI_CONFIG_FILE", "/dev/null").env_remove("TF_LOG");
    c
}

/// Runs `terraform` in `dir` asking nothing and painting nothing (Go's flags
/// come before the positional arguments): its exit code and stdout.
pub(crate) fn terraform_quiet(dir: &Path, args: &[&str]) -> (i32, String) {
    let mut full = vec![args[0]];
    if matches!(args[0], "init" | "plan" | "apply") {
        full.extend(["-input=false", "-no-color"]);
    }
    full.extend(&args[1..]);
    let o = terraform_command(dir, &full).output().expect("terraform 1.11.4 on PATH");
    (o.status.code().unwrap_or(-1), String::from_utf8_lossy(&o.stdout).into_owned())
}

fn terraform_moves(case: &Path) -> Vec<(String, Json, Json)> {
    let tmp = tempfile::Builder::new().prefix("moves-tf-").tempdir().expect("tempdir");
    let dir = tmp.path().join("stack");
    let tf = |args: &[&str]| {
        let o = terraform_command(&dir, args).output().expect("terraform 1.11.4 on PATH");
        assert!(o.status.success(), "terraform {args:?}: {}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    use_step(case, "1", &dir);
    tf(&["init", "-input=false", "-no-color"]);
    tf(&["apply", "-input=false", "-no-color", "-auto-approve"]);
    use_step(case, "2", &dir);
    tf(&["init", "-input=false", "-no-color"]);
    tf(&["plan", "-input=false", "-no-color", "-out=p.bin"]);
    planned_moves(&tf(&["show", "-json", "p.bin"]))
}

fn iac_moves(name: &str, case: &Path) -> Vec<(String, Json, Json)> {
    let stack = Stack::fixture(&format!("moves/{name}/1"), name);
    stack.run(&["apply", "-auto-approve"]).ok();
    use_step(case, "2", &stack.dir);
    stack.run(&["plan", "-out=p.bin"]).ok();
    planned_moves(&stack.run(&["show", "-json", "p.bin"]).stdout)
}

/// `import` blocks whose ids are expressions, against Terraform 1.11.4
/// (`fixtures/imports/<case>/`): each tool plans the stack, and the planned
/// changes (address, actions, the id imported) must agree.
#[test]
fn import_ids_match_terraform() {
    let cases = cases("imports");
    assert!(!cases.is_empty());
    let results = par_map(&cases, |name, dir| {
        let tmp = tempfile::Builder::new().prefix("imports-tf-").tempdir().expect("tempdir");
        let tf_dir = tmp.path().join("stack");
        copy_dir(dir, &tf_dir, false);
        let tf = |args: &[&str]| {
            let o = terraform_command(&tf_dir, args).output().expect("terraform 1.11.4 on PATH");
            assert!(o.status.success(), "terraform {args:?}: {}", String::from_utf8_lossy(&o.stderr));
            String::from_utf8_lossy(&o.stdout).into_owned()
        };
        tf(&["init", "-input=false", "-no-color"]);
        tf(&["plan", "-input=false", "-no-color", "-out=p.bin"]);
        let terraform = planned_imports(&tf(&["show", "-json", "p.bin"]));
        let stack = Stack::fixture(&format!("imports/{name}"), name);
        let plan = stack.run(&["plan", "-out=p.bin"]);
        assert_eq!(plan.code, 0, "iac plan: {}", plan.stderr);
        (terraform, planned_imports(&stack.run(&["show", "-json", "p.bin"]).stdout))
    });
    let mut problems = Vec::new();
    for ((name, _), (tf, iac)) in cases.iter().zip(results) {
        assert!(tf.iter().any(|c| !c.2.is_null()), "{name}: terraform imported nothing: {tf:?}");
        if tf != iac {
            problems.push(format!("{name}:\n  terraform: {tf:?}\n  iac:       {iac:?}"));
        }
    }
    assert!(problems.is_empty(), "import blocks differ from Terraform:\n{}", problems.join("\n"));
}

/// `(address, actions, importing)` of each planned change, sorted.
fn planned_imports(show_json: &str) -> Vec<(String, Json, Json)> {
    planned_changes(show_json, |c| c["change"]["importing"].clone())
}

/// `removed` blocks against Terraform 1.11.4 (`fixtures/removed/<case>/1`,
/// then `2`): each tool applies the first configuration and plans the
/// second, and the planned changes (address, actions, reason) must agree;
/// then each applies that plan, and the objects left in state must agree,
/// with nothing more to do.
#[test]
fn removed_blocks_match_terraform() {
    stepped_cases_match_terraform("removed", removed_run, "removed blocks differ from Terraform", &|name, tf| {
        assert!(tf.changes.iter().any(|c| c.1 == json!(["forget"])), "{name}: terraform forgot nothing: {tf:?}");
    });
}

/// One tool's command line, run in a stack's directory: exit code and stdout.
pub(crate) type ToolCommand<'a> = dyn Fn(&[&str]) -> (i32, String) + 'a;

/// Runs every case of `fixtures/<kind>` (whose steps are `1`, `2`, ...)
/// through Terraform 1.11.4 and through iac, in parallel: `run` takes the
/// case, a directory and one tool's command line (exit code and stdout) and
/// says what that tool did; `check` says what Terraform's result must show
/// for the case to test anything. Fails with `what` and every case whose
/// results differ.
pub(crate) fn stepped_cases_match_terraform<T: PartialEq + std::fmt::Debug + Send>(
    kind: &str,
    run: fn(&Path, &Path, &ToolCommand<'_>) -> T,
    what: &str,
    check: &dyn Fn(&str, &T),
) {
    let cases = cases(kind);
    assert!(!cases.is_empty());
    let results = par_map(&cases, |name, dir| {
        let tmp = tempfile::Builder::new().prefix(&format!("{kind}-tf-")).tempdir().expect("tempdir");
        let tf_dir = tmp.path().join("stack");
        let tf = run(dir, &tf_dir, &|args: &[&str]| terraform_quiet(&tf_dir, args));
        let stack = Stack::fixture(&format!("{kind}/{name}/1"), name);
        let iac = run(dir, &stack.dir, &|args: &[&str]| {
            let o = stack.run(args);
            (o.code, o.stdout)
        });
        (tf, iac)
    });
    let mut problems = Vec::new();
    for ((name, _), (tf, iac)) in cases.iter().zip(results) {
        check(name, &tf);
        if tf != iac {
            problems.push(format!("{name}:\n  terraform: {tf:?}\n  iac:       {iac:?}"));
        }
    }
    assert!(problems.is_empty(), "{what}:\n{}", problems.join("\n"));
}

/// What a `removed` case shows: the planned changes (address, actions,
/// reason), the objects in state after applying them, and whether a plan
/// after that still has changes.
#[derive(Debug, PartialEq)]
struct RemovedRun {
    changes: Vec<(String, Json, Json)>,
    state_after: Vec<String>,
    changes_after: bool,
}

/// Applies step 1 of a case in `dir`, then plans, shows and applies step 2,
/// through `run` (one tool's command line: exit code and stdout).
fn removed_run(case: &Path, dir: &Path, run: &dyn Fn(&[&str]) -> (i32, String)) -> RemovedRun {
    let ok = |args: &[&str]| succeeds(case, run, args);
    apply_step_one_then_init_step_two(case, dir, run);
    ok(&["plan", "-out=p.bin"]);
    let changes = planned_changes(&ok(&["show", "-json", "p.bin"]), |c| c["action_reason"].clone());
    ok(&["apply", "p.bin"]);
    let mut state_after: Vec<String> = ok(&["state", "list"]).lines().map(str::to_string).collect();
    state_after.sort();
    let (code, out) = run(&["plan", "-detailed-exitcode"]);
    assert!(code == 0 || code == 2, "plan after apply in {}: exit {code}: {out}", case.display());
    RemovedRun { changes, state_after, changes_after: code == 2 }
}

/// `validate -json` against Terraform 1.11.4 (`fixtures/validate/<case>/`):
/// the same number of errors on the same lines (the messages are each
/// tool's own). Evaluation errors are reported with the references the
/// graph found undeclared; an error of loading itself stops before
/// evaluation, as in Terraform.
#[test]
fn validate_errors_match_terraform() {
    let lines = |text: &str| -> (Json, Vec<u64>) {
        let j: Json = serde_json::from_str(text).unwrap_or_else(|e| panic!("validate -json is not JSON ({e}): {text}"));
        let mut l: Vec<u64> = j["diagnostics"]
            .as_array()
            .map(|a| a.iter().filter(|d| d["severity"] == "error").filter_map(|d| d["range"]["start"]["line"].as_u64()).collect())
            .unwrap_or_default();
        l.sort_unstable();
        (j["error_count"].clone(), l)
    };
    let cases = cases("validate");
    assert!(!cases.is_empty());
    for (name, dir) in cases {
        let tmp = tempfile::Builder::new().prefix("validate-tf-").tempdir().expect("tempdir");
        let tf_dir = tmp.path().join("stack");
        copy_case(&dir, &tf_dir);
        let tf = |args: &[&str]| {
            Command::new("terraform")
                .args(args)
                .current_dir(&tf_dir)
                .env("CHECKPOINT_DISABLE", "1")
                .env("TF_CLI_CONFIG_FILE", "/dev/null")
                .env_remove("TF_LOG")
                .output()
                .expect("terraform 1.11.4 on PATH")
        };
        tf(&["init", "-backend=false", "-input=false", "-no-color"]);
        let theirs = lines(&String::from_utf8_lossy(&tf(&["validate", "-json", "-no-color"]).stdout));
        let stack = Stack::fixture(&format!("validate/{name}"), &name);
        let ours = lines(&stack.run(&["validate", "-json"]).stdout);
        assert!(!theirs.1.is_empty(), "{name}: terraform found no error");
        assert_eq!(ours, theirs, "{name}: (error_count, error lines) of iac validate -json, then terraform's");
    }
}

/// What `validate -json` said, one tool's view: `valid`, the counts, and
/// each diagnostic (severity, summary, detail, place, expression values),
/// sorted.
fn validate_report(stdout: &str) -> (Json, Json, Json, Vec<String>) {
    let j: Json = serde_json::from_str(stdout).unwrap_or_else(|e| panic!("validate -json is not JSON ({e}): {stdout}"));
    let lines: String = j["diagnostics"].as_array().into_iter().flatten().map(|d| format!("{}\n", json!({"type": "diagnostic", "diagnostic": d}))).collect();
    (j["valid"].clone(), j["error_count"].clone(), j["warning_count"].clone(), json_diagnostics(&lines))
}

/// Variables' validation rules under `validate`, against Terraform 1.11.4
/// (`fixtures/validate-variables/<case>/`): the rules are checked with the
/// root module's variables unknown and a repeated module call's
/// `count.index` unknown, so only a module input (or default) known to
/// fail fails; a result that is null or no bool is Terraform's error; a
/// condition that refers to nothing, or not to its variable, is refused.
/// Same exit codes (`validate` and `validate -json`) and the same
/// `validate -json` report: validity, counts and diagnostics.
#[test]
fn validate_variables_match_terraform() {
    validate_reports_match_terraform("validate-variables");
}

/// Unknown values under `validate` keep the types the configuration gives
/// them, against Terraform 1.11.4 (`fixtures/validate-unknown-types/<case>/`):
/// an attribute an object variable's type (or a local value's) does not
/// have is an error before any value is known, and the expression values
/// under it name the unknown value's type (`var.o is a object`). Same
/// exit codes and `validate -json` report.
#[test]
fn validate_unknown_types_match_terraform() {
    validate_reports_match_terraform("validate-unknown-types");
}

/// Each case of `fixtures/<fixtures>` validated by both tools: exit codes
/// of `validate` and `validate -json`, and the `validate -json` report.
fn validate_reports_match_terraform(fixtures: &str) {
    let cases = cases(fixtures);
    assert!(!cases.is_empty());
    let mut problems = Vec::new();
    for (name, dir) in cases {
        let tmp = tempfile::Builder::new().prefix("validate-report-tf-").tempdir().expect("tempdir");
        let tf_dir = tmp.path().join("stack");
        copy_case(&dir, &tf_dir);
        let tf = |args: &[&str]| {
            let o = terraform_command(&tf_dir, args).output().expect("terraform 1.11.4 on PATH");
            (o.status.code().unwrap_or(-1), String::from_utf8_lossy(&o.stdout).into_owned())
        };
        tf(&["init", "-backend=false", "-input=false", "-no-color"]);
        let (json_code, out) = tf(&["validate", "-json", "-no-color"]);
        let theirs = (tf(&["validate", "-no-color"]).0, json_code, validate_report(&out));
        let stack = Stack::fixture(&format!("{fixtures}/{name}"), &name);
        let out = stack.run(&["validate", "-json"]);
        let ours = (stack.run(&["validate"]).code, out.code, validate_report(&out.stdout));
        assert_ne!(theirs.0, 0, "{name}: terraform found no error");
        if ours != theirs {
            problems.push(format!("{name}:\n  terraform: {theirs:?}\n  iac:       {ours:?}"));
        }
    }
    assert!(problems.is_empty(), "validate differs from Terraform:\n{}", problems.join("\n"));
}

/// Data sources read at apply because something they wait for has a change
/// pending, against Terraform 1.11.4 (`fixtures/deferred-reads/<case>/1`,
/// then `2`): in each step both tools plan the same changes (address,
/// actions, `action_reason`: `read_because_dependency_pending` beside
/// `read_because_config_unknown`, and no change for a data source read
/// while planning unless a `check` block scopes it
/// (`read_because_check_nested`, read again at apply); a deferred read's
/// planned object, its configuration's
/// values with the rest unknown), apply them to the same outputs (so each
/// deferred read happened at apply), and then have nothing left to do.
#[test]
fn deferred_reads_match_terraform() {
    stepped_cases_match_terraform("deferred-reads", deferred_reads_run, "deferred data source reads differ from Terraform", &|name, tf| {
        let pending = json!("read_because_dependency_pending");
        assert!(tf.iter().all(|s| s.changes.iter().any(|c| c.2[0] == pending)), "{name}: terraform deferred no read in some step: {tf:?}");
    });
}

/// One step of a `deferred-reads` case: the planned changes (address,
/// actions, reason), the outputs after applying them, and whether a plan
/// after that still has changes.
#[derive(Debug, PartialEq)]
struct DeferredReadsStep {
    changes: Vec<(String, Json, Json)>,
    outputs: Json,
    changes_after: bool,
}

/// Plans, shows and applies steps `1` and `2` of a case in `dir` through
/// `run` (one tool's command line: exit code and stdout).
fn deferred_reads_run(case: &Path, dir: &Path, run: &dyn Fn(&[&str]) -> (i32, String)) -> Vec<DeferredReadsStep> {
    let ok = |args: &[&str]| succeeds(case, run, args);
    ["1", "2"]
        .into_iter()
        .map(|step| {
            use_step(case, step, dir);
            ok(&["init"]);
            ok(&["plan", "-out=p.bin"]);
            let changes = planned_changes(&ok(&["show", "-json", "p.bin"]), |c| match c["change"]["actions"] == json!(["read"]) {
                true => json!([c["action_reason"], c["change"]["after"], c["change"]["after_unknown"]]),
                false => c["action_reason"].clone(),
            });
            ok(&["apply", "p.bin"]);
            let outputs: Json = serde_json::from_str(&ok(&["output", "-json"])).expect("output -json is JSON");
            let (code, out) = run(&["plan", "-detailed-exitcode"]);
            assert!(code == 0 || code == 2, "plan after apply in {}: exit {code}: {out}", case.display());
            DeferredReadsStep { changes, outputs, changes_after: code == 2 }
        })
        .collect()
}

/// Calls of built-in functions that Terraform refuses, one output each:
/// arguments of the wrong type, null, out of range, for positional and
/// variadic parameters (`join`'s `lists`, `max`'s `numbers`, `setunion`'s
/// `other_sets`, `cidrsubnets`' `newbits`, `range`'s `params`), calls
/// that fail as a whole, and calls with too few or too many arguments
/// (HCL counts them before it evaluates any; `join`, `range`, `concat`,
/// `coalesce` and `coalescelist` count their own, in their own words).
const FUNCTION_ARGUMENT_ERRORS: &[(&str, &str)] = &[
    ("abs_bool", "abs(true)"),
    ("abs_none", "abs()"),
    ("abs_two", "abs(1, 2)"),
    ("arity_before_arguments", "abs(1, upper([]))"),
    ("coalesce_none", "coalesce()"),
    ("coalescelist_none", "coalescelist()"),
    ("concat_none", "concat()"),
    ("format_none", "format()"),
    ("join_no_list", "join(\",\")"),
    ("lookup_one", "lookup({})"),
    ("range_none", "range()"),
    ("range_four", "range(1, 2, 3, 4)"),
    ("zipmap_one", "zipmap([])"),
    ("alltrue_str", "alltrue(\"a\")"),
    ("chunklist_str", "chunklist(\"a\", 1)"),
    ("cidrhost_bad", "cidrhost(\"10.0.0.0/8\", \"x\")"),
    ("cidrsubnet_overflow", "cidrsubnet(\"10.0.0.0/8\", 30, 0)"),
    ("cidrsubnets_bad", "cidrsubnets(\"10.0.0.0/8\", 30, 99)"),
    ("coalescelist_str", "coalescelist(\"a\")"),
    ("compact_num", "compact(1)"),
    ("contains_str", "contains(\"a\", \"b\")"),
    ("distinct_str", "distinct(\"a\")"),
    ("element_empty", "element([], 0)"),
    ("flatten_str", "flatten(\"a\")"),
    ("format_star", "format(\"%*d\", 1)"),
    ("formatdate_bad", "formatdate(\"YYYY\", \"x\")"),
    ("indent_str", "indent(\"x\", \"y\")"),
    ("join_variadic", "join(\",\", [\"a\"], 1)"),
    ("keys_str", "keys(\"a\")"),
    ("length_null", "length(null)"),
    ("length_num", "length(1)"),
    ("lookup_default_twice", "lookup({ a = 1 }, \"b\", [1], 2)"),
    ("lookup_key_list", "lookup({ a = 1 }, [])"),
    ("lookup_map_missing", "lookup(tomap({ a = 1 }), \"b\")"),
    ("lookup_missing", "lookup({ a = 1 }, \"b\")"),
    ("lookup_str", "lookup(\"a\", \"b\")"),
    ("max_str", "max(1, \"a\")"),
    ("range_str", "range(\"a\")"),
    ("setunion_num", "setunion([\"a\"], 1)"),
    ("slice_range", "slice([1, 2], 1, 5)"),
    ("sort_num", "sort(1)"),
    ("split_list", "split(\",\", [])"),
    ("substr_str", "substr(\"abc\", \"x\", 1)"),
    ("tolist_object", "tolist({ a = 1 })"),
    ("tonumber_hex", "tonumber(\"0x10\")"),
    ("transpose_str", "transpose(\"a\")"),
    ("upper_list", "upper([])"),
    ("upper_null", "upper(null)"),
    ("values_str", "values(\"a\")"),
    ("zipmap_len", "zipmap([\"a\"], [1, 2])"),
];

/// A built-in function's argument errors read as Terraform 1.11.4's, to the
/// letter and at its range: the summary (`Invalid function argument`,
/// `Error in function call`, `Not enough function arguments`, ...) and the
/// whole detail, which names the parameter as Terraform does
/// (`Invalid value for "inputMap" parameter: the given object has no
/// attribute "b".`), a variadic one too, in cty's words for a conversion
/// (`list of string required`). One stack, an output per call; Terraform's
/// `plan -json` against iac's, by output.
#[test]
fn function_argument_errors_read_as_terraforms() {
    let main: String = FUNCTION_ARGUMENT_ERRORS.iter().map(|(name, expr)| format!("output \"{name}\" {{\n  value = {expr}\n}}\n")).collect();
    // Each output takes three lines: a diagnostic's line names its output.
    let by_output = |ui: &str| -> BTreeMap<String, Vec<String>> {
        let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for d in ui_diagnostics(ui) {
            let at = d["range"]["start"]["line"].as_u64().map_or(usize::MAX, |l| (l as usize).saturating_sub(1) / 3);
            let name = FUNCTION_ARGUMENT_ERRORS.get(at).map_or("(elsewhere)", |(n, _)| n);
            out.entry(name.to_string()).or_default().push(format!(
                "{}: {} | {} | {}",
                d["severity"].as_str().unwrap_or_default(),
                d["summary"].as_str().unwrap_or_default(),
                d["detail"].as_str().unwrap_or_default(),
                diagnostic_range(&d)
            ));
        }
        out
    };
    let tf = tempfile::tempdir().expect("tempdir");
    std::fs::write(tf.path().join("main.tf"), &main).expect("write");
    let init = terraform_command(tf.path(), &["init", "-backend=false", "-input=false", "-no-color"]).output().expect("terraform 1.11.4 on PATH");
    assert!(init.status.success(), "terraform init: {}", String::from_utf8_lossy(&init.stderr));
    let theirs = terraform_command(tf.path(), &["plan", "-input=false", "-json"]).output().expect("terraform 1.11.4 on PATH");
    let theirs = by_output(&String::from_utf8_lossy(&theirs.stdout));
    assert_eq!(theirs.len(), FUNCTION_ARGUMENT_ERRORS.len(), "every call is an error in Terraform: {theirs:#?}");
    let stack = Stack::files("function-argument-errors", &[("main.tf", &main)]);
    let ours = stack.run(&["plan", "-json"]);
    let ours = by_output(&ours.stdout);
    let differing: Vec<String> = theirs
        .iter()
        .filter(|(name, t)| ours.get(*name) != Some(t))
        .map(|(name, t)| format!("{name}:\n  terraform: {t:?}\n  iac:       {:?}", ours.get(name)))
        .collect();
    assert!(
        differing.is_empty() && ours.len() == theirs.len(),
        "{} of {} differ from Terraform 1.11.4:\n{}\n(iac: {ours:#?})",
        differing.len(),
        theirs.len(),
        differing.join("\n")
    );
}

/// Lang-diff cases that fail in the evaluator: operators, conditionals,
/// attributes, indexes, templates and `for` expressions.
const EVALUATION_ERROR_CASES: &[&str] = &[
    "reject-attr-on-string",
    "reject-bool-arith",
    "reject-cond-object-attrs",
    "reject-cond-type",
    "reject-cond-typed-null",
    "reject-cond-unknown-type",
    "reject-for-cond-type",
    "reject-for-duplicate-key",
    "reject-for-null",
    "reject-for-string",
    "reject-index-key-values",
    "reject-index-null",
    "reject-index-oob",
    "reject-list-index-str",
    "reject-map-attr-missing",
    "reject-map-missing-key",
    "reject-null-attr",
    "reject-null-interp",
    "reject-object-attr-missing",
    "reject-operand-value",
    "reject-set-index",
    "reject-string-cmp",
    "reject-template-if-null",
    "reject-type-error",
];

/// The first error of a `plan -json` run in full: summary, detail, its
/// range (`file:line,column-line,column`) and the expression values under it.
fn first_error_in_full(ui: &str) -> String {
    ui_diagnostics(ui)
        .into_iter()
        .find(|d| d["severity"] == "error")
        .map(|d| {
            format!(
                "{} | {} | {} | {:?}",
                d["summary"].as_str().unwrap_or_default(),
                d["detail"].as_str().unwrap_or_default(),
                diagnostic_range(&d),
                snippet_values(&d),
            )
        })
        .unwrap_or_else(|| format!("(no error in {ui})"))
}

/// The evaluator's errors as Terraform 1.11.4's `plan -json` gives them, in
/// full: HCL's summary and detail ("Invalid operand", "Unsuitable value for
/// left operand: a number is required."; "Inconsistent conditional result
/// types" with what differs, even under an unknown condition), the range
/// (the operand; both results of a conditional; an attribute's or index's
/// operator with its dot or brackets) and the expression values (`var.s is
/// "x"`). Terraform runs live on a copy of each lang-diff case.
#[test]
fn evaluation_errors_match_terraform() {
    let cases: Vec<(String, PathBuf)> = cases("lang-diff").into_iter().filter(|(n, _)| EVALUATION_ERROR_CASES.contains(&n.as_str())).collect();
    assert_eq!(cases.len(), EVALUATION_ERROR_CASES.len(), "a listed case is missing from fixtures/lang-diff");
    let results = par_map(&cases, |name, dir| {
        let tmp = tempfile::Builder::new().prefix("eval-errors-tf-").tempdir().expect("tempdir");
        let stack_dir = tmp.path().join("stack");
        copy_case(dir, &stack_dir);
        let init = terraform_command(&stack_dir, &["init", "-backend=false", "-input=false", "-no-color"]).output().expect("terraform 1.11.4 on PATH");
        assert!(init.status.success(), "terraform init: {}", String::from_utf8_lossy(&init.stderr));
        let theirs = terraform_command(&stack_dir, &["plan", "-input=false", "-json"]).output().expect("terraform 1.11.4 on PATH");
        let stack = Stack::fixture(&format!("lang-diff/{name}"), name);
        let _ = std::fs::remove_file(stack.path("expected.json"));
        let ours = stack.run(&["plan", "-json"]);
        (first_error_in_full(&String::from_utf8_lossy(&theirs.stdout)), first_error_in_full(&ours.stdout))
    });
    let differing: Vec<String> =
        cases.iter().zip(&results).filter(|(_, (t, i))| t != i).map(|((name, _), (t, i))| format!("{name}:\n  terraform: {t}\n  iac:       {i}")).collect();
    assert!(differing.is_empty(), "{} of {} differ from Terraform 1.11.4:\n{}", differing.len(), cases.len(), differing.join("\n"));
}
