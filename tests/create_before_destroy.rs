//! `create_before_destroy` and the order of operations.
//!
//! - Against Terraform 1.11.4 (`fixtures/cbd/<case>/1`, then `2`): each tool
//!   applies the first configuration, plans the second, and applies that
//!   plan with `-json`; the planned actions, the order in which operations
//!   completed (`apply_complete` lines: the deposed object's destroy comes
//!   after its successor's create and after every dependent's update), the
//!   objects in state and the empty plan after must agree. The same for
//!   replacements that destroy first (`fixtures/replace-order/<case>`):
//!   dependents' objects are destroyed before their dependencies'.
//!   The human apply's progress lines of both groups match Terraform's
//!   (a deposed object's destroy names its key).
//! - Orphans are destroyed before the updates of what they depend on and
//!   of what depended on them (`fixtures/orphan-order`), as in Terraform.
//!   Those created create_before_destroy (`fixtures/orphan-order-cbd`)
//!   are destroyed after those updates, as Terraform turns their edges
//!   around.
//! - A create_before_destroy dependent leaving the configuration forces
//!   create_before_destroy on the replacement of what it depends on
//!   (`fixtures/cbd-orphan`), as Terraform 1.16 does (1.11.4's plan fails).
//! - On DigitalOcean (the simulator refuses to delete a certificate a load
//!   balancer uses): a certificate in use is replaced, the balancer moved to
//!   the new one, and only then the old one deleted.

use crate::lang_diff::{apply_step_one_then_init_step_two, planned_changes, stepped_cases_match_terraform, succeeds, use_step};
use crate::support;

use std::path::Path;

use serde_json::Value as Json;
use support::*;

/// What one tool did with a case.
#[derive(Debug, PartialEq)]
struct CbdRun {
    /// (address, actions) of each planned change.
    planned: Vec<(String, Json)>,
    /// (address, action) of each completed operation, in order.
    order: Vec<(String, String)>,
    state_after: Vec<String>,
    changes_after: bool,
}

/// The completed operations of an `apply -json` stream, in order.
fn completed(stream: &str) -> Vec<(String, String)> {
    stream
        .lines()
        .filter_map(|l| serde_json::from_str::<Json>(l).ok())
        .filter(|j| j["type"] == "apply_complete")
        .map(|j| (j["hook"]["resource"]["addr"].as_str().unwrap_or_default().to_string(), j["hook"]["action"].as_str().unwrap_or_default().to_string()))
        .collect()
}

/// Applies step 1 of a case in `dir`, then plans and applies step 2 through
/// `run` (one tool's command line: exit code and stdout).
fn cbd_run(case: &Path, dir: &Path, run: &dyn Fn(&[&str]) -> (i32, String)) -> CbdRun {
    let ok = |args: &[&str]| succeeds(case, run, args);
    apply_step_one_then_init_step_two(case, dir, run);
    ok(&["plan", "-out=p.bin"]);
    let planned = planned_changes(&ok(&["show", "-json", "p.bin"]), |_| Json::Null).into_iter().map(|(a, actions, _)| (a, actions)).collect();
    let order = completed(&ok(&["apply", "-json", "p.bin"]));
    let mut state_after: Vec<String> = ok(&["state", "list"]).lines().map(str::to_string).collect();
    state_after.sort();
    let (code, out) = run(&["plan", "-detailed-exitcode"]);
    assert!(code == 0 || code == 2, "plan after apply in {}: exit {code}: {out}", case.display());
    CbdRun { planned, order, state_after, changes_after: code == 2 }
}

#[test]
fn create_before_destroy_order_matches_terraform() {
    stepped_cases_match_terraform("cbd", cbd_run, "the order of operations differs from Terraform", &|name, tf: &CbdRun| {
        assert!(
            tf.planned.iter().any(|c| c.1 == serde_json::json!(["create", "delete"])),
            "{name}: terraform planned no create-before-destroy replacement: {tf:?}"
        );
        assert!(tf.order.last().is_some_and(|(_, a)| a == "delete"), "{name}: terraform did not destroy last: {tf:?}");
    });
}

/// Replacements without create_before_destroy (`fixtures/replace-order`):
/// Terraform destroys the replaced objects in reverse dependency order
/// (dependents first), before any successor is created.
#[test]
fn destroy_first_replacement_order_matches_terraform() {
    stepped_cases_match_terraform("replace-order", cbd_run, "the order of operations differs from Terraform", &|name, tf: &CbdRun| {
        assert!(tf.planned.iter().any(|c| c.1 == serde_json::json!(["delete", "create"])), "{name}: terraform planned no destroy-first replacement: {tf:?}");
        assert!(tf.order.first().is_some_and(|(_, a)| a == "delete"), "{name}: terraform did not destroy first: {tf:?}");
    });
}

/// A replaced resource whose create_before_destroy dependent leaves the
/// configuration (`fixtures/cbd-orphan`: the orphan's state records
/// create_before_destroy) replaces create-before-destroy too, as Terraform
/// forces it since 1.16: the new object is made, the orphan destroyed, then
/// the old object. Terraform 1.11.4 has no answer to compare with: its plan
/// stops at "Error: Cycle" (the orphan's destroy waits for the new object,
/// and the old object's destroy, planned first, for the orphan's).
#[test]
fn an_orphaned_create_before_destroy_dependent_forces_it_on_the_replacement() {
    let case = fixtures().join("cbd-orphan/dependent-removed");
    let stack = Stack::fixture("cbd-orphan/dependent-removed/1", "cbd-orphan");
    stack.run(&["init"]).ok();
    stack.run(&["apply", "-auto-approve"]).ok();
    use_step(&case, "2", &stack.dir);
    stack.run(&["plan", "-out=p.bin"]).ok();
    let planned: Vec<(String, Json)> =
        planned_changes(&stack.run(&["show", "-json", "p.bin"]).ok().stdout, |_| Json::Null).into_iter().map(|(a, actions, _)| (a, actions)).collect();
    assert_eq!(
        planned,
        [("terraform_data.a".to_string(), serde_json::json!(["create", "delete"])), ("terraform_data.b".to_string(), serde_json::json!(["delete"]))]
    );
    let order = completed(&stack.run(&["apply", "-json", "p.bin"]).ok().stdout);
    let expected: Vec<(String, String)> = [("terraform_data.a", "create"), ("terraform_data.b", "delete"), ("terraform_data.a", "delete")]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(order, expected);
    assert_eq!(stack.run(&["state", "list"]).ok().stdout.trim(), "terraform_data.a");
    stack.run(&["plan", "-detailed-exitcode"]).ok();
}

/// The progress lines of a human `apply` (`addr: Creating...`,
/// `addr (deposed object KEY): Destroying... [id=ID]`, `... complete after
/// Ns [id=ID]`), in order, with ids, deposed keys and times masked.
fn progress_lines(out: &str) -> Vec<String> {
    let id = regex::Regex::new(r"\[id=[^\]]+\]").expect("regex");
    let key = regex::Regex::new(r"\(deposed object [0-9a-f]{8}\)").expect("regex");
    let time = regex::Regex::new(r"after \d+s").expect("regex");
    out.lines()
        .filter(|l| ["Creating...", "Modifying...", "Destroying...", " complete after "].iter().any(|w| l.contains(w)))
        .map(|l| time.replace_all(&key.replace_all(&id.replace_all(l.trim(), "[id=ID]"), "(deposed object KEY)"), "after Ns").into_owned())
        .collect()
}

/// Applies step 1 of a case, then step 2 with a human `apply`: its progress lines.
fn progress_run(case: &Path, dir: &Path, run: &dyn Fn(&[&str]) -> (i32, String)) -> Vec<String> {
    let ok = |args: &[&str]| succeeds(case, run, args);
    apply_step_one_then_init_step_two(case, dir, run);
    progress_lines(&ok(&["apply", "-auto-approve"]))
}

/// The human apply prints Terraform's progress lines for replacements:
/// a create-before-destroy one as its create and, later, the deposed
/// object's destroy, named by its key (`terraform_data.a (deposed object
/// 1a2b3c4d): Destroying... [id=...]`); a destroy-first one as its destroy
/// and its create; with the ids Terraform shows, in the same order.
#[test]
fn replacement_progress_lines_match_terraform() {
    stepped_cases_match_terraform("cbd", progress_run, "the human apply's progress lines differ from Terraform", &|name, tf: &Vec<String>| {
        assert!(tf.iter().any(|l| l.contains("(deposed object KEY): Destroying... [id=ID]")), "{name}: terraform named no deposed object: {tf:?}");
    });
    stepped_cases_match_terraform("replace-order", progress_run, "the human apply's progress lines differ from Terraform", &|name, tf: &Vec<String>| {
        assert!(tf.first().is_some_and(|l| l.ends_with(": Destroying... [id=ID]")), "{name}: terraform did not destroy first: {tf:?}");
    });
}

/// Orphans' deletes among the other changes (`fixtures/orphan-order`):
/// Terraform destroys an orphan before it updates what the orphan depends
/// on, and before it updates what depended on the orphan.
#[test]
fn orphan_deletes_order_matches_terraform() {
    stepped_cases_match_terraform("orphan-order", cbd_run, "the order of operations differs from Terraform", &|name, tf: &CbdRun| {
        assert_eq!(tf.order.first().map(|(_, a)| a.as_str()), Some("delete"), "{name}: terraform did not destroy first: {tf:?}");
        assert_eq!(tf.order.last().map(|(_, a)| a.as_str()), Some("update"), "{name}: {tf:?}");
    });
}

/// Orphans created create_before_destroy (`fixtures/orphan-order-cbd`):
/// Terraform turns their destroys' edges around, so it updates what the
/// orphan depends on, or what depended on it, before it destroys the
/// orphan (within the walk: `engine` shows a failed update keeping it).
#[test]
fn create_before_destroy_orphan_deletes_order_matches_terraform() {
    stepped_cases_match_terraform("orphan-order-cbd", cbd_run, "the order of operations differs from Terraform", &|name, tf: &CbdRun| {
        assert_eq!(tf.order.first().map(|(_, a)| a.as_str()), Some("update"), "{name}: terraform did not update first: {tf:?}");
        assert_eq!(tf.order.last().map(|(_, a)| a.as_str()), Some("delete"), "{name}: {tf:?}");
    });
}

const TOKEN: &str = "dop_v1_e2e_token_0123456789abcdef";
const KEY: &str = r"-----BEGIN PRIVATE KEY-----\nMIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDBIZMz8pnK6V52\n-----END PRIVATE KEY-----\n";
const LEAF: &str =
    r"-----BEGIN CERTIFICATE-----\n# dns: api.edge-example.com\nMIIFFjCCA/6gAwIBAgISA+0pFRM0WDPLn1v+KFiUjXEiMA0GCSqGSIb3DQEBCwUA\n-----END CERTIFICATE-----\n";

fn certificate_stack(url: &str, cert_name: &str) -> String {
    format!(
        r#"provider "digitalocean" {{
  api_endpoint     = "{url}"
  poll_interval_ms = 40
}}

resource "digitalocean_certificate" "custom" {{
  name             = "{cert_name}"
  type             = "custom"
  private_key      = "{KEY}"
  leaf_certificate = "{LEAF}"

  lifecycle {{
    create_before_destroy = true
  }}
}}

resource "digitalocean_loadbalancer" "tls" {{
  name   = "saas-tls"
  region = "ams3"

  forwarding_rule {{
    entry_port       = 443
    entry_protocol   = "https"
    target_port      = 80
    target_protocol  = "http"
    certificate_name = digitalocean_certificate.custom.name
  }}
}}
"#
    )
}

/// DigitalOcean refuses to delete a certificate a load balancer uses, so
/// the order is the proof: the new certificate is made, the balancer moved
/// to it, and only then the old one deleted.
#[test]
fn a_certificate_in_use_is_replaced_before_it_is_deleted() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let mut cfg = iac_do_sim::SimConfig::fast();
    cfg.faults.rate_limit_per_minute = 0;
    cfg.record = true;
    let sim = rt.block_on(iac_do_sim::Simulator::start(cfg)).expect("simulator");
    let url = sim.url();
    let env = [("DIGITALOCEAN_TOKEN", TOKEN)];
    let stack = Stack::files("edge", &[("main.tf", &certificate_stack(&url, "saas-custom"))]);
    stack.run_env(&["apply", "-auto-approve"], &env).ok();
    let before = sim.exchanges().len();

    stack.write("main.tf", &certificate_stack(&url, "saas-custom-2"));
    stack.run_env(&["plan", "-out=p.bin"], &env).ok();
    let show = stack.run_env(&["show", "-json", "p.bin"], &env);
    let planned: Vec<(String, Json)> = planned_changes(&show.stdout, |_| Json::Null).into_iter().map(|(a, actions, _)| (a, actions)).collect();
    assert_eq!(
        planned,
        vec![
            ("digitalocean_certificate.custom".to_string(), serde_json::json!(["create", "delete"])),
            ("digitalocean_loadbalancer.tls".to_string(), serde_json::json!(["update"])),
        ]
    );
    let applied = stack.run_env(&["apply", "p.bin"], &env);
    applied.ok();

    let calls: Vec<String> = sim.exchanges()[before..]
        .iter()
        .filter(|e| e.method != "GET" && (200..300).contains(&e.status))
        .map(|e| format!("{} {}", e.method, e.path.split('/').take(3).collect::<Vec<_>>().join("/")))
        .collect();
    assert_eq!(calls, ["POST /v2/certificates", "PUT /v2/load_balancers", "DELETE /v2/certificates"], "{calls:?}");
    sim.with_store(|s| {
        let names: Vec<&str> = s.edge.certificates.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["saas-custom-2"]);
    });
    assert!(stack.state_json()["deposed"].is_null(), "nothing is left deposed");
    stack.run_env(&["plan", "-detailed-exitcode"], &env).ok();
    stack.run_env(&["destroy", "-auto-approve"], &env).ok();
    sim.with_store(|s| assert!(s.edge.certificates.is_empty() && s.edge.load_balancers.is_empty(), "destroy left objects"));
}
