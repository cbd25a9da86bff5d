//! Ephemeral values against Terraform 1.11.4, for what needs no external
//! provider: ephemeral root variables and saved plans (`ephemeralasnull`
//! and `terraform.applying` are in the `lang-diff` and `conditions`
//! corpora), and how an apply shows ephemeral resources.

use std::path::Path;

use serde_json::Value as Json;

use crate::lang_diff::terraform_command;
use crate::support::*;

const SAVED_PLAN_STACK: &str = r#"
variable "token" {
  type      = string
  ephemeral = true
}

variable "optional" {
  type      = string
  ephemeral = true
  default   = "unset"
}

variable "password" {
  type      = string
  sensitive = true
}

resource "terraform_data" "x" {
  input = var.password
  lifecycle {
    precondition {
      condition     = var.token != "refused" && var.optional != "refused"
      error_message = "A refused token."
    }
  }
}
"#;

/// What one run printed under `-json`: exit code, and each diagnostic as
/// `severity: summary: detail`, sorted.
fn outcome(code: i32, ui: &str) -> (i32, Vec<String>) {
    let mut diags: Vec<String> = ui_diagnostics(ui)
        .iter()
        .map(|d| {
            format!(
                "{}: {}: {}",
                d["severity"].as_str().unwrap_or_default(),
                d["summary"].as_str().unwrap_or_default(),
                d["detail"].as_str().unwrap_or_default()
            )
        })
        .collect();
    diags.sort();
    (code, diags)
}

/// The `input` value of `terraform_data.x` in a state file's text (Terraform's format).
fn input_in_state(state: &str) -> Json {
    let j: Json = serde_json::from_str(state).unwrap_or(Json::Null);
    j["resources"][0]["instances"][0]["attributes"]["input"]["value"].clone()
}

/// The steps both tools take: a plan saved with every variable given; its
/// apply with none of the ephemeral ones; with one the precondition
/// refuses (so the apply's own value is the one used); a second saved
/// plan applied with the token from the environment and the optional one
/// left to its default (it was not given at plan time either).
#[derive(Debug, PartialEq)]
struct SavedPlanRun {
    plan: (i32, Vec<String>),
    apply_without: (i32, Vec<String>),
    apply_refused: (i32, Vec<String>),
    apply_env: (i32, Vec<String>),
    input: Json,
}

fn terraform_saved_plan(dir: &Path) -> SavedPlanRun {
    let tf = |args: &[&str], env: &[(&str, &str)]| {
        let mut c = terraform_command(dir, args);
        c.envs(env.iter().copied());
        let o = c.output().expect("terraform 1.11.4 on PATH");
        outcome(o.status.code().unwrap_or(-1), &String::from_utf8_lossy(&o.stdout))
    };
    tf(&["init", "-backend=false", "-input=false", "-json"], &[]);
    let plan = tf(&["plan", "-input=false", "-json", "-out=first.plan", "-var=token=planned", "-var=optional=given", "-var=password=pw"], &[]);
    let apply_without = tf(&["apply", "-input=false", "-json", "first.plan"], &[]);
    let apply_refused = tf(&["apply", "-input=false", "-json", "-var=token=refused", "-var=optional=ok", "first.plan"], &[]);
    tf(&["plan", "-input=false", "-json", "-out=second.plan", "-var=token=planned", "-var=password=pw"], &[]);
    let apply_env = tf(&["apply", "-input=false", "-json", "second.plan"], &[("TF_VAR_token", "from-env")]);
    let input = input_in_state(&std::fs::read_to_string(dir.join("terraform.tfstate")).unwrap_or_default());
    SavedPlanRun { plan, apply_without, apply_refused, apply_env, input }
}

fn iac_saved_plan(stack: &Stack) -> SavedPlanRun {
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let o = stack.run_env(args, env);
        assert!(o.code != 101 && !o.stderr.contains("panicked"), "iac {args:?} panicked:\n{}", o.stderr);
        outcome(o.code, &o.stdout)
    };
    let plan = run(&["plan", "-json", "-out=first.plan", "-var=token=planned", "-var=optional=given", "-var=password=pw"], &[]);
    let saved = stack.read("first.plan");
    assert!(!saved.contains("planned") && !saved.contains("given"), "a saved plan holds an ephemeral variable's value:\n{saved}");
    assert!(saved.contains("apply_time_variables"), "the saved plan does not name the ephemeral variables given:\n{saved}");
    let apply_without = run(&["apply", "-json", "first.plan"], &[]);
    let apply_refused = run(&["apply", "-json", "-var=token=refused", "-var=optional=ok", "first.plan"], &[]);
    run(&["plan", "-json", "-out=second.plan", "-var=token=planned", "-var=password=pw"], &[]);
    let apply_env = run(&["apply", "-json", "second.plan"], &[("TF_VAR_token", "from-env")]);
    let pulled = stack.run(&["state", "pull"]);
    SavedPlanRun { plan, apply_without, apply_refused, apply_env, input: input_in_state(&pulled.stdout) }
}

/// A saved plan keeps no ephemeral root variable's value; its apply must
/// be given again each one given at plan time (Terraform's "No value for
/// required variable", one per variable), by `-var` or the environment,
/// and uses the value given then; a sensitive variable travels in the
/// plan as before. Same exit codes, diagnostics and state as Terraform.
#[test]
fn ephemeral_variables_are_given_again_to_a_saved_plan_as_terraform_asks() {
    let tmp = tempfile::Builder::new().prefix("ephemeral-vars-tf-").tempdir().expect("tempdir");
    std::fs::write(tmp.path().join("main.tf"), SAVED_PLAN_STACK).expect("write");
    let stack = Stack::files("ephemeral-vars", &[("main.tf", SAVED_PLAN_STACK)]);
    let (tf, iac) = std::thread::scope(|s| {
        let tf = s.spawn(|| terraform_saved_plan(tmp.path()));
        let iac = iac_saved_plan(&stack);
        (tf.join().expect("terraform run"), iac)
    });
    assert_eq!(tf.apply_without.0, 1, "Terraform applied a saved plan without its ephemeral variables: {tf:?}");
    assert_eq!(tf.apply_without.1.len(), 2, "one error per ephemeral variable given at plan time: {tf:?}");
    assert_eq!(tf.input, Json::String("pw".into()), "{tf:?}");
    assert_eq!(iac, tf, "iac differs from Terraform 1.11.4");
}

/// An apply shows each ephemeral resource instance being opened and closed
/// with Terraform's words (`ephemeral.X: Opening...`, `Opening complete
/// after 0s`, `Closing...`, `Closing complete after 0s`), and under `-json`
/// as Terraform's `ephemeral_op_start` and `ephemeral_op_complete` lines
/// with `hook.action` open and close. Elapsed times are compared as `Ns`:
/// an open on a loaded machine can take past a second. (Terraform needs hashicorp/random for
/// this stack, which is not installed here: the words and fields are those
/// of Terraform 1.11's hook_ui.go and JSON hook.)
#[test]
fn an_apply_shows_ephemeral_resources_opening_and_closing_as_terraform_does() {
    let elapsed = regex::Regex::new(r"after \d+s$").expect("regex");
    let neutral = |message: &str| elapsed.replace(message, "after Ns").into_owned();
    let main = "ephemeral \"random_password\" \"p\" {\n  length = 12\n}\n\nresource \"terraform_data\" \"t\" {\n  input = \"plain\"\n}\n";
    let stack = Stack::files("ephemeral-progress", &[("main.tf", main)]);
    let human = stack.run(&["apply", "-auto-approve"]);
    human.expect_code(0);
    let lines: Vec<String> = human.stdout.lines().filter(|l| l.starts_with("ephemeral.")).map(neutral).collect();
    assert_eq!(
        lines,
        vec![
            "ephemeral.random_password.p: Opening...",
            "ephemeral.random_password.p: Opening complete after Ns",
            "ephemeral.random_password.p: Closing...",
            "ephemeral.random_password.p: Closing complete after Ns",
        ],
        "{}",
        human.stdout
    );
    let json = stack.run(&["apply", "-auto-approve", "-json", "-replace=terraform_data.t"]);
    json.expect_code(0);
    let ops: Vec<(String, String, String, Json)> = json
        .stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Json>(l).ok())
        .filter(|j| j["type"].as_str().is_some_and(|t| t.starts_with("ephemeral_op")))
        .map(|j| {
            let s = |v: &Json| v.as_str().unwrap_or_default().to_string();
            (s(&j["type"]), neutral(&s(&j["@message"])), s(&j["hook"]["action"]), j["hook"]["resource"].clone())
        })
        .collect();
    let resource = serde_json::json!({
        "addr": "ephemeral.random_password.p", "module": "", "resource": "ephemeral.random_password.p",
        "implied_provider": "random", "resource_type": "random_password", "resource_name": "p", "resource_key": null,
    });
    let want = |t: &str, m: &str, a: &str| (t.to_string(), format!("ephemeral.random_password.p: {m}"), a.to_string(), resource.clone());
    assert_eq!(
        ops,
        vec![
            want("ephemeral_op_start", "Opening...", "open"),
            want("ephemeral_op_complete", "Opening complete after Ns", "open"),
            want("ephemeral_op_start", "Closing...", "close"),
            want("ephemeral_op_complete", "Closing complete after Ns", "close"),
        ],
        "{}",
        json.stdout
    );
}
