//! Ephemeral resources through the ops layer, in process, on the mock
//! provider's `mock_secret` (each open makes a new secret) and the write-only
//! `secret_wo` of `mock_thing`: opened while planning and again while
//! applying, closed after each, fed to a write-only argument and a provider
//! configuration, and never in a plan or in any file of state.

use crate::support;

use std::sync::atomic::Ordering;
use std::sync::Arc;

use iac_core::plan::Action;
use iac_engine::ops;
use support::*;

const STACK: &str = r#"
provider "mock" {
  endpoint = "local"
}

ephemeral "mock_secret" "s" {
  length = 12
}

locals {
  secret = ephemeral.mock_secret.s.value
}

# A provider configured from an ephemeral value.
provider "mock" {
  alias    = "inner"
  endpoint = "https://inner.example"
  token    = local.secret
}

resource "mock_thing" "a" {
  provider  = mock.inner
  name      = "a"
  secret_wo = local.secret
}
"#;

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

fn files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn ephemeral_resources_open_at_plan_and_apply_close_and_stay_out_of_state() {
    let tmp = tempfile::tempdir().unwrap();
    let stack = write_stack(tmp.path(), STACK);
    let mock = Arc::new(MockFactory::new());
    let env = env(registry_with(Some(mock.clone())), local_backend(tmp.path()));
    rt().block_on(async {
        let p = plan(&stack, &env).await;
        assert_eq!((mock.opens.load(Ordering::SeqCst), mock.closes.load(Ordering::SeqCst)), (1, 1), "the plan opened and closed it once");
        let addrs: Vec<String> = p.changes.iter().map(|c| format!("{} {:?}", c.addr, c.action)).collect();
        assert_eq!(addrs, vec!["mock_thing.a Create".to_string()], "an ephemeral resource is no change");
        let a = &p.changes[0];
        assert_eq!(a.action, Action::Create);
        assert_eq!(a.after.get("secret_wo").map(|v| v.clone().unmark_deep().0), Some(iac_core::Value::Null), "write-only is null in the plan");
        let saved = serde_json::to_string(&p).unwrap();
        assert!(!saved.contains("ephemeral-secret-"), "the plan holds no ephemeral value: {saved}");

        ops::apply(&stack, &env, p, 4).await.expect("apply");
        assert_eq!((mock.opens.load(Ordering::SeqCst), mock.closes.load(Ordering::SeqCst)), (2, 2), "apply opened it again and closed it");
        // The provider and the write-only argument got the secret apply opened.
        let tokens: Vec<String> =
            mock.configured_with.lock().unwrap().iter().filter_map(|c| c.get("token").and_then(|v| v.as_str()).map(str::to_string)).collect();
        assert_eq!(tokens.last().map(String::as_str), Some("ephemeral-secret-2"), "{tokens:?}");
        assert_eq!(mock.write_only_seen.lock().unwrap().last().map(String::as_str), Some("ephemeral-secret-2"));

        let state = ops::read_state(env.backend.as_ref()).await.unwrap();
        let addrs: Vec<String> = state.resources.keys().map(|a| a.to_string()).collect();
        assert_eq!(addrs, vec!["mock_thing.a".to_string()]);
        let a = &state.resources[&"mock_thing.a".parse().unwrap()];
        assert_eq!(a.attributes.to_json()["secret_wo"], serde_json::Value::Null);
        // Recorded as Terraform 1.11.4 records it (its value never is).
        assert_eq!(a.dependencies.iter().map(|d| d.to_string()).collect::<Vec<_>>(), ["ephemeral.mock_secret.s"]);
        for f in files(tmp.path()) {
            let text = std::fs::read(&f).unwrap_or_default();
            assert!(!text.windows(17).any(|w| w == b"ephemeral-secret-"), "{} holds an ephemeral value", f.display());
        }
        // Opened again, and a new secret is no change.
        assert!(!plan(&stack, &env).await.has_changes());
        assert_eq!(mock.opens.load(Ordering::SeqCst), mock.closes.load(Ordering::SeqCst), "every open was closed");
    });
}

/// The diagnostics' summaries and details of a plan that failed.
fn plan_failure(stack: &std::path::Path, env: &ops::Env) -> Vec<(String, String)> {
    let rt = rt();
    let err = rt.block_on(ops::plan(stack, env, ops::PlanRequest { vars: Vec::new(), run: Default::default() })).err().expect("the plan fails");
    let diags = match err {
        iac_engine::EngineError::Errored { diags, .. } | iac_engine::EngineError::Config(diags) => diags,
        other => panic!("unexpected error: {other:?}"),
    };
    diags.into_iter().filter(|d| d.is_error()).map(|d| (d.summary, d.detail)).collect()
}

/// Conditions on an ephemeral resource, as Terraform 1.11 checks them: a
/// precondition before the open (false: not opened at all), a postcondition
/// on `self`, the opened value (false: an error, the instance was opened
/// and is closed), both with Terraform's summaries and the block's message.
#[test]
fn ephemeral_resource_conditions_are_checked_around_the_open() {
    let stack_with = |lifecycle: &str| {
        format!("provider \"mock\" {{\n  endpoint = \"local\"\n}}\n\nlocals {{\n  wanted = 12\n}}\n\nephemeral \"mock_secret\" \"s\" {{\n  length = 12\n  lifecycle {{\n{lifecycle}  }}\n}}\n")
    };
    let cases = [
        (
            "    precondition {\n      condition     = local.wanted > 20\n      error_message = \"Secrets must be long.\"\n    }\n",
            vec![("Resource precondition failed".to_string(), "Secrets must be long.".to_string())],
            (0, 0),
        ),
        (
            "    postcondition {\n      condition     = self.length == local.wanted\n      error_message = \"Wrong length.\"\n    }\n    postcondition {\n      condition     = self.value == \"fixed\"\n      error_message = \"The secret is ${self.length} long.\"\n    }\n",
            vec![("Resource postcondition failed".to_string(), "The secret is 12 long.".to_string())],
            (1, 1),
        ),
    ];
    for (lifecycle, want, (opens, closes)) in cases {
        let tmp = tempfile::tempdir().unwrap();
        let stack = write_stack(tmp.path(), &stack_with(lifecycle));
        let mock = Arc::new(MockFactory::new());
        let env = env(registry_with(Some(mock.clone())), local_backend(tmp.path()));
        assert_eq!(plan_failure(&stack, &env), want, "{lifecycle}");
        assert_eq!((mock.opens.load(Ordering::SeqCst), mock.closes.load(Ordering::SeqCst)), (opens, closes), "{lifecycle}");
    }

    // Passing conditions: the plan and its apply (which opens and checks again) succeed.
    let tmp = tempfile::tempdir().unwrap();
    let stack = write_stack(
        tmp.path(),
        &stack_with("    precondition {\n      condition     = local.wanted > 1\n      error_message = \"x\"\n    }\n    postcondition {\n      condition     = self.length == local.wanted\n      error_message = \"y\"\n    }\n"),
    );
    let mock = Arc::new(MockFactory::new());
    let env = env(registry_with(Some(mock.clone())), local_backend(tmp.path()));
    rt().block_on(async {
        let p = plan(&stack, &env).await;
        ops::apply(&stack, &env, p, 4).await.expect("apply");
    });
    assert_eq!(mock.opens.load(Ordering::SeqCst), 2, "opened by the plan and the apply");
}
