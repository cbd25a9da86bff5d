//! Engine behaviour through the ops layer, in process: plan → apply → plan
//! is empty on random graphs; a crash at any journal position loses nothing
//! that was done and converges without duplicates; a provider configured
//! from a resource created in the same run; failures stop only dependents.

use crate::support;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::Arc;

use iac_core::plan::Action;
use iac_engine::ops;
use iac_engine::EngineError;
use proptest::prelude::*;
use support::*;

/// A stack of `deps.len()` terraform_data resources; resource i references
/// the ids of the resources listed in deps[i] (all < i).
fn dag_stack(deps: &[Vec<usize>]) -> String {
    let mut s = String::from("locals {\n  tags = { team = \"core\" }\n}\n");
    for (i, ds) in deps.iter().enumerate() {
        let refs: Vec<String> = ds.iter().map(|d| format!("terraform_data.r{d}.id")).collect();
        s.push_str(&format!("resource \"terraform_data\" \"r{i}\" {{\n  input = {{\n    name = \"r{i}\"\n    deps = [{}]\n    tags = merge(local.tags, {{ idx = \"{i}\" }})\n  }}\n}}\n", refs.join(", ")));
    }
    s
}

/// The nodes `i` depends on in `deps`, directly or not.
fn ancestors(deps: &[Vec<usize>], i: usize) -> BTreeSet<usize> {
    let mut found = BTreeSet::new();
    let mut todo = deps[i].clone();
    while let Some(d) = todo.pop() {
        if found.insert(d) {
            todo.extend(&deps[d]);
        }
    }
    found
}

fn dag() -> impl Strategy<Value = Vec<Vec<usize>>> {
    (1usize..14).prop_flat_map(|n| {
        proptest::collection::vec(proptest::collection::btree_set(0usize..n.max(1), 0..3), n)
            .prop_map(|sets| sets.into_iter().enumerate().map(|(i, s)| s.into_iter().filter(|d| *d < i).collect()).collect())
    })
}

/// Records each operation the apply walk finishes, in order: `"Delete
/// mock_thing.b"`, or `"failed Delete mock_thing.b"` for one that failed.
fn record_outcomes(env: &mut ops::Env) -> Arc<std::sync::Mutex<Vec<String>>> {
    let events = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = events.clone();
    env.events = Some(Arc::new(move |e: iac_engine::run::Event| match e {
        iac_engine::run::Event::Done { addr, action, .. } => seen.lock().unwrap().push(format!("{action:?} {addr}")),
        iac_engine::run::Event::Failed { addr, action, .. } => seen.lock().unwrap().push(format!("failed {action:?} {addr}")),
        _ => {}
    }));
    events
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    #[test]
    fn plan_apply_plan_is_empty_and_dependencies_are_recorded(deps in dag()) {
        let tmp = tempfile::tempdir().unwrap();
        let stack = write_stack(tmp.path(), &dag_stack(&deps));
        let env = env(registry_with(None), local_backend(tmp.path()));
        rt().block_on(async {
            let p = plan(&stack, &env).await;
            prop_assert_eq!(p.count(Action::Create), deps.len());
            let out = ops::apply(&stack, &env, p, 4).await.map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
            prop_assert_eq!(out.state.resources.len(), deps.len());
            for i in 0..deps.len() {
                let addr: iac_core::InstanceAddr = format!("terraform_data.r{i}").parse().unwrap();
                let recorded: Vec<String> = out.state.resources[&addr].dependencies.iter().map(|d| d.to_string()).collect();
                // Every ancestor, as Terraform records them: once each, sorted by address.
                let want: BTreeSet<String> = ancestors(&deps, i).into_iter().map(|d| format!("terraform_data.r{d}")).collect();
                prop_assert_eq!(recorded, want.into_iter().collect::<Vec<_>>(), "dependencies of r{}", i);
            }
            let again = plan(&stack, &env).await;
            prop_assert!(!again.has_changes(), "re-plan after apply must be empty: {:?}", count_by_action(&again));
            Ok(())
        })?;
    }
}

#[test]
fn crash_at_any_journal_position_converges_without_duplicates() {
    // 6 independent files + 2 that depend on them; each create journals Intent + Put.
    let text = r#"
resource "local_file" "f" {
  count    = 6
  filename = "${path.module}/out/f${count.index}.txt"
  content  = "file ${count.index}"
}
resource "terraform_data" "summary" {
  input = [for f in local_file.f : f.id]
}
resource "local_file" "index" {
  filename = "${path.module}/out/index.txt"
  content  = join("\n", terraform_data.summary.output)
}
"#;
    let rt = rt();
    for budget in 0..20 {
        let tmp = tempfile::tempdir().unwrap();
        let stack = write_stack(tmp.path(), text);
        let inner = local_backend(tmp.path());
        let crashing = Arc::new(CrashingBackend { inner: inner.clone(), budget: AtomicUsize::new(budget), crashed: AtomicBool::new(false) });
        rt.block_on(async {
            let first = env(registry_with(None), crashing.clone());
            let p = plan(&stack, &first).await;
            let result = ops::apply(&stack, &first, p, 3).await;
            let crashed = crashing.crashed.load(std::sync::atomic::Ordering::SeqCst);
            assert_eq!(result.is_err(), crashed, "budget {budget}: the apply fails exactly when the journal crashed ({result:?})");
            // The crashed process is gone; its lock file stays. A new process force-unlocks, as a user would.
            let after = env(registry_with(None), inner.clone());
            if let Some(holder) = inner.lock_holder().await.unwrap() {
                inner.force_unlock(&holder.id).await.unwrap();
            }
            let recovered = ops::read_state(inner.as_ref()).await.unwrap();
            // Everything recorded exists on disk (nothing reported done is lost).
            for (addr, inst) in &recovered.resources {
                if addr.resource.type_ == "local_file" {
                    let f = inst.attributes.get("filename").and_then(iac_core::Value::as_str).unwrap();
                    assert!(stack.join(f).exists() || std::path::Path::new(f).exists(), "budget {budget}: {addr} recorded but its file is missing");
                }
            }
            let p2 = plan(&stack, &after).await;
            for c in &p2.changes {
                assert!(matches!(c.action, Action::Create | Action::NoOp | Action::Update), "budget {budget}: unexpected {:?} for {}", c.action, c.addr);
                if c.action == Action::Create {
                    assert!(!recovered.resources.contains_key(&c.addr), "budget {budget}: {} is in state and planned again", c.addr);
                }
            }
            ops::apply(&stack, &after, p2, 3).await.unwrap_or_else(|e| panic!("budget {budget}: converging apply failed: {e:?}"));
            let final_plan = plan(&stack, &after).await;
            assert!(!final_plan.has_changes(), "budget {budget}: not converged: {:?}", count_by_action(&final_plan));
            let state = ops::read_state(inner.as_ref()).await.unwrap();
            assert_eq!(state.resources.len(), 8, "budget {budget}: every object exactly once");
            let files = std::fs::read_dir(stack.join("out")).unwrap().count();
            assert_eq!(files, 7, "budget {budget}: no stray or duplicate files");
        });
    }
}

#[test]
fn provider_configured_from_a_resource_created_in_the_same_apply() {
    let text = r#"
resource "terraform_data" "cluster" {
  input = { endpoint = "https://cluster.example:6443" }
}
provider "mock" {
  # The id is known only after apply, like a real cluster's endpoint.
  endpoint = "https://${terraform_data.cluster.id}:6443"
}
resource "mock_thing" "app" {
  name = "app"
}
"#;
    let tmp = tempfile::tempdir().unwrap();
    let stack = write_stack(tmp.path(), text);
    let mock = Arc::new(MockFactory::new());
    let env = env(registry_with(Some(mock.clone())), local_backend(tmp.path()));
    rt().block_on(async {
        let p = plan(&stack, &env).await;
        let app = p.changes.iter().find(|c| c.addr.to_string() == "mock_thing.app").expect("app planned");
        assert_eq!(app.action, Action::Create);
        assert_eq!(app.after.get("endpoint"), Some(&iac_core::Value::Unknown), "values from the unconfigured provider are unknown");
        assert!(mock.configured_with.lock().unwrap().is_empty(), "the provider cannot be configured before the cluster exists");
        let out = ops::apply(&stack, &env, p, 4).await.expect("apply");
        let configured = mock.configured_with.lock().unwrap().clone();
        assert_eq!(configured.len(), 1);
        let cluster_id = out.state.resources[&"terraform_data.cluster".parse().unwrap()].attributes.to_json()["id"].as_str().unwrap().to_string();
        let want = format!("https://{cluster_id}:6443");
        assert_eq!(configured[0].get("endpoint").and_then(|v| v.as_str()), Some(want.as_str()));
        let app_state = &out.state.resources[&"mock_thing.app".parse().unwrap()];
        assert_eq!(app_state.attributes.to_json()["endpoint"], want.as_str());
        // Through its provider, the object depends on the cluster: a destroy
        // must delete it before the cluster.
        let deps: Vec<String> = app_state.dependencies.iter().map(|d| d.to_string()).collect();
        assert_eq!(deps, vec!["terraform_data.cluster"], "dependencies recorded through the provider's configuration");
        // Next run: the provider is configured at plan time and nothing changes.
        let again = plan(&stack, &env).await;
        assert!(!again.has_changes());
    });
}

#[test]
fn a_failure_stops_its_dependents_and_lets_independent_work_finish() {
    let text = r#"
resource "mock_thing" "bad" {
  name = "bad"
  fail = true
}
resource "mock_thing" "after_bad" {
  name = "after-${mock_thing.bad.id}"
}
resource "mock_thing" "independent" {
  name = "independent"
}
provider "mock" {
  endpoint = "local"
}
"#;
    let tmp = tempfile::tempdir().unwrap();
    let stack = write_stack(tmp.path(), text);
    let mock = Arc::new(MockFactory::new());
    let env = env(registry_with(Some(mock.clone())), local_backend(tmp.path()));
    rt().block_on(async {
        let p = plan(&stack, &env).await;
        let err = ops::apply(&stack, &env, p, 4).await.expect_err("apply fails");
        let EngineError::Failed(diags) = err else { panic!("expected Failed, got {err:?}") };
        assert!(diags.iter().any(|d| d.summary.contains("mock_thing.bad") && d.summary.contains("told to fail")), "{diags:?}");
        let state = ops::read_state(env.backend.as_ref()).await.unwrap();
        let names: Vec<String> = state.resources.keys().map(|a| a.to_string()).collect();
        assert_eq!(names, vec!["mock_thing.independent"], "only the independent resource exists");
        assert_eq!(mock.creates.load(std::sync::atomic::Ordering::SeqCst), 1, "the dependent was never attempted");
        // The state is unlocked and usable: a new plan wants the two missing ones.
        let again = plan(&stack, &env).await;
        assert_eq!(again.count(Action::Create), 2);
    });
}

#[test]
fn a_failed_update_keeps_the_object_and_is_retried_in_place() {
    let stack_with =
        |fail: bool| format!("provider \"mock\" {{\n  endpoint = \"local\"\n}}\nresource \"mock_thing\" \"x\" {{\n  name = \"x\"\n  fail = {fail}\n}}\n");
    let tmp = tempfile::tempdir().unwrap();
    let mock = Arc::new(MockFactory::new());
    let env = env(registry_with(Some(mock.clone())), local_backend(tmp.path()));
    rt().block_on(async {
        let stack = write_stack(tmp.path(), &stack_with(false));
        ops::apply(&stack, &env, plan(&stack, &env).await, 4).await.expect("create");
        let id_before = ops::read_state(env.backend.as_ref()).await.unwrap().resources[&"mock_thing.x".parse().unwrap()].attributes.to_json()["id"].clone();

        let stack = write_stack(tmp.path(), &stack_with(true));
        let p = plan(&stack, &env).await;
        assert_eq!(count_by_action(&p).get("Update"), Some(&1), "{:?}", count_by_action(&p));
        ops::apply(&stack, &env, p, 4).await.expect_err("the update fails");

        let state = ops::read_state(env.backend.as_ref()).await.unwrap();
        let x = &state.resources[&"mock_thing.x".parse().unwrap()];
        assert_eq!(x.status, iac_core::state::InstanceStatus::Ready, "a failed update does not taint");
        assert_eq!(x.attributes.to_json()["id"], id_before, "the object is kept");
        // Retried in place on the next run, never replaced.
        let again = plan(&stack, &env).await;
        let x_change = again.changes.iter().find(|c| c.addr.to_string() == "mock_thing.x").unwrap();
        assert_eq!(x_change.action, Action::Update, "{:?}", x_change.reason);
    });
}

/// What a failed apply left behind, when the provider reports it, is stored
/// as Terraform stores it: a created object tainted (and replaced by the
/// next plan), an updated one as it now is (not the object before).
#[test]
fn a_failed_applys_partial_object_is_stored() {
    let stack_with = |name: &str, fail: bool| {
        format!("provider \"mock\" {{\n  endpoint = \"local\"\n}}\nresource \"mock_thing\" \"x\" {{\n  name = \"{name}\"\n  fail = {fail}\n}}\n")
    };
    let addr: iac_core::address::InstanceAddr = "mock_thing.x".parse().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let mock = Arc::new(MockFactory::new());
    let env = env(registry_with(Some(mock.clone())), local_backend(tmp.path()));
    rt().block_on(async {
        // A create that fails half-way: the object is in state, tainted.
        let stack = write_stack(tmp.path(), &stack_with("partial-create", true));
        ops::apply(&stack, &env, plan(&stack, &env).await, 4).await.expect_err("the create fails");
        let state = ops::read_state(env.backend.as_ref()).await.unwrap();
        let x = &state.resources[&addr];
        assert_eq!(x.status, iac_core::state::InstanceStatus::Tainted, "a failed create's object is tainted");
        assert_eq!(x.attributes.to_json()["id"], "m-partial");
        let again = plan(&stack, &env).await;
        assert_eq!(again.changes.iter().find(|c| c.addr == addr).map(|c| c.action), Some(Action::Replace), "the tainted object is replaced");

        // Replaced by a good object, then an update that fails half-way:
        // the object as the provider left it, not as it was.
        let stack = write_stack(tmp.path(), &stack_with("good", false));
        ops::apply(&stack, &env, plan(&stack, &env).await, 4).await.expect("replace");
        let stack = write_stack(tmp.path(), &stack_with("partial-update", true));
        let p = plan(&stack, &env).await;
        assert_eq!(count_by_action(&p).get("Update"), Some(&1), "{:?}", count_by_action(&p));
        ops::apply(&stack, &env, p, 4).await.expect_err("the update fails");
        let state = ops::read_state(env.backend.as_ref()).await.unwrap();
        let x = &state.resources[&addr];
        assert_eq!(x.status, iac_core::state::InstanceStatus::Ready, "a failed update does not taint");
        assert_eq!(x.attributes.to_json()["name"], "partial-update", "the partial object is stored");
    });
}

#[test]
fn ephemeral_values_are_never_stored_and_are_fresh_at_apply() {
    // A provider configured from a short-lived token, as the kubernetes
    // provider is from aws_eks_cluster_auth.
    let text = r#"
provider "mock" {
  endpoint = "local"
}
data "mock_token" "t" {}
provider "mock" {
  alias    = "cluster"
  endpoint = "https://cluster.example"
  token    = data.mock_token.t.value
}
resource "mock_thing" "app" {
  provider = mock.cluster
  name     = "app"
}
"#;
    let tmp = tempfile::tempdir().unwrap();
    let stack = write_stack(tmp.path(), text);
    let mock = Arc::new(MockFactory::new());
    let env = env(registry_with(Some(mock.clone())), local_backend(tmp.path()));
    rt().block_on(async {
        let p = plan(&stack, &env).await;
        let saved = serde_json::to_string(&p).unwrap();
        assert!(!saved.contains("secret-token"), "a saved plan holds no ephemeral value: {saved}");
        let before_apply = support::TOKENS_MADE.load(std::sync::atomic::Ordering::SeqCst);
        ops::apply(&stack, &env, p, 4).await.expect("apply");
        let configured: Vec<String> =
            mock.configured_with.lock().unwrap().iter().filter_map(|c| c.get("token").and_then(|v| v.as_str()).map(str::to_string)).collect();
        let last = configured.last().cloned().unwrap();
        assert!(last.starts_with("secret-token-"), "{configured:?}");
        let n: usize = last.trim_start_matches("secret-token-").parse().unwrap();
        assert!(n > before_apply, "apply configured the provider with a token read at apply ({last}), not the plan's: {configured:?}");
        for entry in walkdir(tmp.path()) {
            let text = std::fs::read_to_string(&entry).unwrap_or_default();
            assert!(!text.contains("secret-token"), "{} holds an ephemeral value", entry.display());
        }
        let state = ops::read_state(env.backend.as_ref()).await.unwrap();
        let t = &state.resources[&"data.mock_token.t".parse().unwrap()];
        assert_eq!(t.attributes.to_json()["value"], serde_json::Value::Null);
        assert!(!plan(&stack, &env).await.has_changes(), "a fresh token is not a change");
    });
}

#[test]
fn destroy_leaves_an_empty_state_data_sources_included() {
    let text =
        "provider \"mock\" {\n  endpoint = \"local\"\n}\ndata \"mock_token\" \"t\" {}\nresource \"mock_thing\" \"x\" {\n  name = data.mock_token.t.id\n}\n";
    let tmp = tempfile::tempdir().unwrap();
    let stack = write_stack(tmp.path(), text);
    let env = env(registry_with(Some(Arc::new(MockFactory::new()))), local_backend(tmp.path()));
    rt().block_on(async {
        ops::apply(&stack, &env, plan(&stack, &env).await, 4).await.expect("apply");
        assert_eq!(ops::read_state(env.backend.as_ref()).await.unwrap().resources.len(), 2);
        let p = iac_engine::ops::plan(
            &stack,
            &env,
            iac_engine::ops::PlanRequest {
                vars: Vec::new(),
                run: iac_engine::run::RunOptions { mode: iac_core::plan::PlanMode::Destroy, ..Default::default() },
            },
        )
        .await
        .unwrap()
        .plan;
        ops::apply(&stack, &env, p, 4).await.expect("destroy");
        let left: Vec<String> = ops::read_state(env.backend.as_ref()).await.unwrap().resources.keys().map(|a| a.to_string()).collect();
        assert!(left.is_empty(), "left in state after destroy: {left:?}");
    });
}

#[test]
fn imported_and_unchanged_objects_record_the_dependencies_of_the_configuration() {
    let text = r#"
provider "mock" {
  endpoint = "local"
}
resource "mock_thing" "role" {
  name = "role"
}
resource "mock_thing" "attachment" {
  name = "attached-to-${mock_thing.role.id}"
}
"#;
    let tmp = tempfile::tempdir().unwrap();
    let stack = write_stack(tmp.path(), text);
    let env = env(registry_with(Some(Arc::new(MockFactory::new()))), local_backend(tmp.path()));
    let deps_of = |state: &iac_core::state::State, a: &str| state.resources[&a.parse().unwrap()].dependencies.iter().map(|d| d.to_string()).collect::<Vec<_>>();
    rt().block_on(async {
        ops::apply(&stack, &env, plan(&stack, &env).await, 4).await.expect("apply");
        // As if the objects had been imported: state knows no dependencies.
        ops::edit_state(&env, "test", |s| {
            s.resources.values_mut().for_each(|i| i.dependencies.clear());
            Ok(())
        })
        .await
        .unwrap();
        let p = plan(&stack, &env).await;
        assert!(!p.has_changes());
        ops::apply(&stack, &env, p, 4).await.expect("a no-op apply");
        let state = ops::read_state(env.backend.as_ref()).await.unwrap();
        assert_eq!(deps_of(&state, "mock_thing.attachment"), vec!["mock_thing.role"], "an unchanged object takes the configuration's dependencies");

        // `iac import` records them at once.
        let attachment: iac_core::address::InstanceAddr = "mock_thing.attachment".parse().unwrap();
        let id = state.resources[&attachment].attributes.to_json()["id"].as_str().unwrap().to_string();
        ops::edit_state(&env, "test", |s| {
            s.resources.remove(&"mock_thing.attachment".parse().unwrap());
            Ok(())
        })
        .await
        .unwrap();
        ops::import(&stack, &env, attachment, id, Vec::new()).await.expect("import");
        let state = ops::read_state(env.backend.as_ref()).await.unwrap();
        assert_eq!(deps_of(&state, "mock_thing.attachment"), vec!["mock_thing.role"], "an imported object records what it references");
    });
}

/// Every file below a directory.
fn walkdir(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walkdir(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn saved_plan_is_refused_after_state_changed() {
    let tmp = tempfile::tempdir().unwrap();
    let stack = write_stack(tmp.path(), "resource \"terraform_data\" \"a\" {\n  input = 1\n}\n");
    let env = env(registry_with(None), local_backend(tmp.path()));
    rt().block_on(async {
        let p1 = plan(&stack, &env).await;
        let p2 = plan(&stack, &env).await;
        ops::apply(&stack, &env, p1, 2).await.expect("first apply");
        match ops::apply(&stack, &env, p2, 2).await {
            Err(EngineError::StalePlan(m)) => assert!(m.contains("state changed"), "{m}"),
            other => panic!("expected a stale plan error, got {other:?}"),
        }
    });
}

#[test]
fn provider_specific_validation_fails_the_plan() {
    let tmp = tempfile::tempdir().unwrap();
    let stack = write_stack(
        tmp.path(),
        "resource \"local_file\" \"f\" {\n  filename          = \"out/f.txt\"\n  content           = \"a\"\n  sensitive_content = \"b\"\n}\n",
    );
    let env = env(registry_with(None), local_backend(tmp.path()));
    rt().block_on(async {
        let err = ops::plan(&stack, &env, ops::PlanRequest { vars: Vec::new(), run: Default::default() }).await.err().expect("the plan is refused");
        let EngineError::Config(diags) = err else { panic!("expected configuration errors, got {err:?}") };
        assert!(diags.iter().any(|d| d.summary.contains("local_file.f") && d.summary.contains("content or sensitive_content")), "{diags:?}");
        assert!(!stack.join("out/f.txt").exists());
    });
}

#[test]
fn moved_blocks_in_a_child_module_apply_in_every_instance() {
    let tmp = tempfile::tempdir().unwrap();
    let stack = write_stack(tmp.path(), "module \"net\" {\n  source   = \"./net\"\n  for_each = toset([\"a\", \"b\"])\n}\n");
    let child = stack.join("net");
    std::fs::create_dir_all(&child).unwrap();
    std::fs::write(child.join("main.tf"), "resource \"terraform_data\" \"old\" {\n  input = 1\n}\n").unwrap();
    let env = env(registry_with(None), local_backend(tmp.path()));
    rt().block_on(async {
        let p = plan(&stack, &env).await;
        ops::apply(&stack, &env, p, 4).await.expect("first apply");
        let ids = ids_of(&env, "old").await;
        // Rename inside the module, with a moved block there.
        std::fs::write(
            child.join("main.tf"),
            "resource \"terraform_data\" \"new\" {\n  input = 1\n}\nmoved {\n  from = terraform_data.old\n  to   = terraform_data.new\n}\n",
        )
        .unwrap();
        let p = plan(&stack, &env).await;
        assert_eq!(p.count(Action::Create) + p.count(Action::Delete), 0, "a rename creates and destroys nothing: {:?}", count_by_action(&p));
        let renamed: Vec<String> = p.changes.iter().filter(|c| c.prev_addr.is_some()).map(|c| c.addr.to_string()).collect();
        assert_eq!(renamed, vec!["module.net[\"a\"].terraform_data.new", "module.net[\"b\"].terraform_data.new"]);
        ops::apply(&stack, &env, p, 4).await.expect("apply the rename");
        let after = ids_of(&env, "new").await;
        assert_eq!(after, ids, "the same objects, under their new addresses");
    });

    async fn ids_of(env: &iac_engine::ops::Env, name: &str) -> Vec<String> {
        let state = ops::read_state(env.backend.as_ref()).await.unwrap();
        ["a", "b"]
            .iter()
            .map(|k| {
                state.resources[&format!("module.net[\"{k}\"].terraform_data.{name}").parse().unwrap()].attributes.to_json()["id"].as_str().unwrap().to_string()
            })
            .collect()
    }
}

/// A journal left by a crashed apply, replayed into a fresh local backend
/// after `edit` changed its records: what `load` makes of it.
#[test]
fn a_journal_with_a_record_removed_swapped_or_repeated_is_corrupt() {
    let text = r#"
resource "terraform_data" "d" {
  count = 6
  input = "item ${count.index}"
}
"#;
    let rt = rt();
    let tmp = tempfile::tempdir().unwrap();
    let stack = write_stack(tmp.path(), text);
    let inner = local_backend(tmp.path());
    // Begin + 4 × (Intent, Put) + one more record, then the crash.
    let crashing = Arc::new(CrashingBackend { inner: inner.clone(), budget: AtomicUsize::new(10), crashed: AtomicBool::new(false) });
    rt.block_on(async {
        let first = env(registry_with(None), crashing.clone());
        let p = plan(&stack, &first).await;
        assert!(ops::apply(&stack, &first, p, 1).await.is_err(), "the apply crashed");
    });
    let stored = rt.block_on(inner.load()).unwrap();
    let journal = stored.journal.clone();
    assert_eq!(journal.len(), 10, "records left by the crash");
    assert!(journal.iter().all(|r| r.starts_with(b"{\"seq\":")), "every record is numbered");

    let load_with = |edit: &dyn Fn(&mut Vec<Vec<u8>>)| -> Result<iac_core::state::State, EngineError> {
        let mut records = journal.clone();
        edit(&mut records);
        let dir = tempfile::tempdir().unwrap();
        let b = local_backend(dir.path());
        rt.block_on(async {
            if let Some(snap) = &stored.snapshot {
                let s = iac_core::state::State::from_bytes(snap).unwrap();
                b.write_snapshot(&iac_core::backend::SnapshotMeta { lineage: s.lineage.clone(), serial: s.serial }, snap).await.unwrap();
            }
            b.append(&records).await.unwrap();
            ops::read_state(b.as_ref()).await
        })
    };
    let whole = load_with(&|_| {}).expect("the journal as written loads");
    assert_eq!(whole.resources.len(), 4, "four creates were recorded done");

    let corrupt = |what: &str, r: Result<iac_core::state::State, EngineError>| match r {
        Err(e) => assert!(e.to_string().contains("corrupt") || e.to_string().contains("damaged"), "{what}: {e}"),
        Ok(s) => panic!("{what}: loaded without complaint ({} resources)", s.resources.len()),
    };
    for i in 1..9 {
        corrupt(
            &format!("record {i} removed"),
            load_with(&|r| {
                r.remove(i);
            }),
        );
        corrupt(&format!("records {i} and {} swapped", i + 1), load_with(&|r| r.swap(i, i + 1)));
        corrupt(
            &format!("record {i} repeated"),
            load_with(&|r| {
                let d = r[i].clone();
                r.insert(i + 1, d);
            }),
        );
    }
    corrupt(
        "Begin removed",
        load_with(&|r| {
            r.remove(0);
        }),
    );

    // Journals from before sequence numbers (no "seq") still replay.
    let old = load_with(&|r| {
        for rec in r.iter_mut() {
            let end = rec.iter().position(|&b| b == b',').unwrap();
            let mut stripped = b"{".to_vec();
            stripped.extend_from_slice(&rec[end + 1..]);
            *rec = stripped;
        }
    })
    .expect("an unnumbered journal loads");
    assert_eq!(old.resources, whole.resources);
}

/// Map-nested blocks become a map by label, an omitted group-nested block an
/// object of nulls, and a list-of-objects attribute may be written as blocks
/// (static and `dynamic`, in source order), as Terraform accepts them.
#[test]
fn plugin_block_shapes_evaluate_as_terraform_does() {
    let dir = tempfile::tempdir().unwrap();
    let stack = write_stack(
        dir.path(),
        r#"
provider "mock" {
  endpoint = "e"
}
resource "mock_shaped" "s" {
  listener "http" {
    port = 80
  }
  listener "https" {
    port = 443
  }
  rule {
    from = 1
    to   = 1
  }
  dynamic "rule" {
    for_each = [2, 3]
    content {
      from = rule.value
      to   = rule.value * 10
    }
  }
}
"#,
    );
    let mock = Arc::new(MockFactory::new());
    let env = env(registry_with(Some(mock)), local_backend(dir.path()));
    let first = rt().block_on(plan(&stack, &env));
    let planned = first.changes.iter().find(|c| c.addr.to_string() == "mock_shaped.s").expect("planned").after.clone();
    let json = planned.to_json();
    assert_eq!(json["listener"], serde_json::json!({"http": {"port": 80}, "https": {"port": 443}}));
    assert_eq!(json["settings"], serde_json::json!({"mode": null}));
    assert_eq!(json["rule"], serde_json::json!([{"from": 1, "to": 1}, {"from": 2, "to": 20}, {"from": 3, "to": 30}]));

    // A dynamic block over a collection known only after apply: its blocks
    // are unknown, and no count limit is checked yet.
    let unknown = write_stack(dir.path(), "provider \"mock\" {\n  endpoint = \"e\"\n}\nresource \"mock_thing\" \"a\" {\n  name = \"a\"\n}\nresource \"mock_shaped\" \"s\" {\n  dynamic \"listener\" {\n    for_each = toset([mock_thing.a.id])\n    labels   = [listener.value]\n    content {\n      port = 1\n    }\n  }\n}\n");
    let plan2 = rt().block_on(plan(&unknown, &env));
    let shaped = plan2.changes.iter().find(|c| c.addr.to_string() == "mock_shaped.s").expect("planned").after.clone();
    assert_eq!(shaped.get("listener"), Some(&iac_core::Value::Unknown));

    // Two blocks with one label is an error, as is a map-nested block without one.
    let bad = write_stack(dir.path(), "provider \"mock\" {\n  endpoint = \"e\"\n}\nresource \"mock_shaped\" \"s\" {\n  listener \"a\" {\n    port = 1\n  }\n  listener \"a\" {\n    port = 2\n  }\n  listener {\n    port = 3\n  }\n}\n");
    let e =
        rt().block_on(ops::plan(&bad, &env, ops::PlanRequest { vars: Vec::new(), run: iac_engine::run::RunOptions::default() })).err().expect("plan must fail");
    let text = format!("{e:?}");
    assert!(text.contains("duplicate") && text.contains("labelled"), "{text}");
    assert!(text.contains("takes 1 label(s)"), "{text}");
}

#[test]
fn a_run_waiting_for_the_lock_reports_the_holder_at_once_and_at_each_interval() {
    use iac_engine::run::Event;
    use iac_engine::statemgr::{lock, LockWait};
    let tmp = tempfile::tempdir().unwrap();
    let backend = local_backend(tmp.path());
    let holder = iac_core::backend::LockInfo {
        id: "held-1".into(),
        operation: "apply".into(),
        who: "alice".into(),
        host: "elsewhere".into(),
        pid: 7,
        created: "2026-01-02T03:04:05Z".into(),
    };
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink: iac_engine::run::EventSink = {
        let seen = seen.clone();
        Arc::new(move |e| {
            if let Event::LockWait { holder, waited, timeout } = e {
                seen.lock().unwrap().push((holder.who.clone(), waited, timeout));
            }
        })
    };
    let wait = LockWait { who: "bob".into(), notice_every: std::time::Duration::from_millis(200), ..LockWait::default() };
    rt().block_on(async {
        backend.try_lock(&holder).await.unwrap();
        let start = std::time::Instant::now();
        let r = lock(backend.as_ref(), "plan", std::time::Duration::from_millis(900), &wait, Some(&sink)).await;
        assert!(matches!(r, Err(EngineError::Locked { .. })), "{r:?}");
        assert!(start.elapsed() >= std::time::Duration::from_millis(900));
        let seen = seen.lock().unwrap().clone();
        // Only bounds a busy machine cannot break: a late timer makes fewer
        // notices, never more, and never an early one (the ticks keep their
        // schedule, so after a late tick the next gap may be short).
        assert!((2..=6).contains(&seen.len()), "one notice at once, then one every 200 ms of 900: {seen:?}");
        assert_eq!(seen[0].0, "alice", "the notice names the holder");
        assert!(seen[0].1 < std::time::Duration::from_millis(200), "the first notice comes before the first interval: {seen:?}");
        for (i, notice) in seen.iter().enumerate().skip(1) {
            assert!(notice.1 >= std::time::Duration::from_millis(190) * i as u32, "notice {i} came before its interval: {seen:?}");
        }
        // Once the lock is free it is taken, recorded with the identity given.
        backend.unlock("held-1").await.unwrap();
        let mine = lock(backend.as_ref(), "plan", std::time::Duration::from_secs(1), &wait, Some(&sink)).await.unwrap();
        assert_eq!(backend.lock_holder().await.unwrap().map(|h| h.who), Some("bob".to_string()));
        backend.unlock(&mine.id).await.unwrap();
    });
}

/// A stack whose certificate file is replaced create-before-destroy (its
/// name is `version`) while a dependent names it.
fn cert_stack(version: &str) -> String {
    format!(
        r#"
resource "local_file" "cert" {{
  filename = "${{path.module}}/out/{version}.pem"
  content  = "cert {version}"

  lifecycle {{
    create_before_destroy = true
  }}
}}
resource "terraform_data" "lb" {{
  input = local_file.cert.filename
}}
"#
    )
}

/// Applies [`cert_stack`] v1 in `dir`, then its v2 replacement through a
/// journal that crashes after `budget` records, and releases the lock the
/// crash left. Returns the stack, its backend, whether the journal crashed
/// and what that apply returned.
async fn interrupted_cert_replacement(
    dir: &std::path::Path,
    budget: usize,
) -> (std::path::PathBuf, Arc<dyn iac_core::backend::StateBackend>, bool, Result<ops::ApplyOutcome, EngineError>) {
    let stack = write_stack(dir, &cert_stack("v1"));
    let inner = local_backend(dir);
    let setup = env(registry_with(None), inner.clone());
    ops::apply(&stack, &setup, plan(&stack, &setup).await, 3).await.expect("first apply");
    std::fs::write(stack.join("main.tf"), cert_stack("v2")).unwrap();
    let crashing = Arc::new(CrashingBackend { inner: inner.clone(), budget: AtomicUsize::new(budget), crashed: AtomicBool::new(false) });
    let first = env(registry_with(None), crashing.clone());
    let p = plan(&stack, &first).await;
    let cert = p.changes.iter().find(|c| c.addr.to_string() == "local_file.cert").unwrap();
    assert!(cert.action == Action::Replace && cert.create_before_destroy, "budget {budget}: {cert:?}");
    let result = ops::apply(&stack, &first, p, 3).await;
    if let Some(holder) = inner.lock_holder().await.unwrap() {
        inner.force_unlock(&holder.id).await.unwrap();
    }
    (stack, inner, crashing.crashed.load(std::sync::atomic::Ordering::SeqCst), result)
}

/// A create-before-destroy replacement interrupted at every journal
/// position: the old object is set aside (deposed) before its successor is
/// made, so whatever the crash left, the next plan destroys what is deposed
/// (and still exists), and one more apply converges with exactly the new file, the dependent
/// pointing at it, and nothing deposed.
#[test]
fn create_before_destroy_crash_at_any_journal_position_leaves_a_deposed_object_the_next_plan_destroys() {
    let rt = rt();
    let mut deposed_planned = 0;
    // Begin, Depose, Intent, Put, Intent, Put, RemoveDeposed, Outputs.
    for budget in 0..9 {
        let tmp = tempfile::tempdir().unwrap();
        rt.block_on(async {
            let (stack, inner, crashed, result) = interrupted_cert_replacement(tmp.path(), budget).await;
            assert_eq!(result.is_err(), crashed, "budget {budget}: the apply fails exactly when the journal crashed ({result:?})");
            let after = env(registry_with(None), inner.clone());
            let recovered = ops::read_state(inner.as_ref()).await.unwrap();
            let p2 = plan(&stack, &after).await;
            let deletes: Vec<_> = p2.changes.iter().filter(|c| c.action == Action::Delete).collect();
            // The plan refreshes deposed objects: one whose file a crash
            // after its delete left recorded is dropped, not destroyed again.
            let on_disk = recovered
                .deposed
                .iter()
                .filter(|d| {
                    let f = d.instance.attributes.get("filename").and_then(iac_core::Value::as_str).unwrap();
                    stack.join(f).exists() || std::path::Path::new(f).exists()
                })
                .count();
            assert_eq!(deletes.len(), on_disk, "budget {budget}: every deposed object still there, and only those, is destroyed: {deletes:?}");
            for d in &deletes {
                assert!(d.deposed.is_some() && d.addr.to_string() == "local_file.cert", "budget {budget}: {d:?}");
                deposed_planned += 1;
            }
            ops::apply(&stack, &after, p2, 3).await.unwrap_or_else(|e| panic!("budget {budget}: converging apply failed: {e:?}"));
            let final_plan = plan(&stack, &after).await;
            assert!(!final_plan.has_changes(), "budget {budget}: not converged: {:?}", count_by_action(&final_plan));
            let state = ops::read_state(inner.as_ref()).await.unwrap();
            assert_eq!(state.resources.len(), 2, "budget {budget}: every object exactly once");
            assert!(state.deposed.is_empty(), "budget {budget}: {:?}", state.deposed);
            let files: Vec<String> = std::fs::read_dir(stack.join("out")).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
            assert_eq!(files, ["v2.pem"], "budget {budget}: the old file is deleted, the new one kept");
        });
    }
    assert!(deposed_planned >= 3, "crashes between the depose and its destroy leave deposed objects to plan ({deposed_planned})");
}

/// As Terraform, a plan refreshes deposed objects: one the provider no
/// longer finds leaves state with nothing to destroy; one it finds is
/// destroyed, with what the read returned as its prior value.
#[test]
fn a_plan_refreshes_deposed_objects_and_drops_those_that_are_gone() {
    let text = r#"
provider "mock" {
  endpoint = "https://mock.example"
}
resource "mock_thing" "t" {
  name = "t"
}
"#;
    let tmp = tempfile::tempdir().unwrap();
    let stack = write_stack(tmp.path(), text);
    let backend = local_backend(tmp.path());
    let env = env(registry_with(Some(Arc::new(MockFactory::new()))), backend.clone());
    rt().block_on(async {
        ops::apply(&stack, &env, plan(&stack, &env).await, 2).await.expect("first apply");
        // Two objects an interrupted replacement left deposed: one deleted
        // outside iac since, one still there.
        let mut state = ops::read_state(backend.as_ref()).await.unwrap();
        let addr: iac_core::InstanceAddr = "mock_thing.t".parse().unwrap();
        for (key, id) in [("0000aaaa", "gone-1"), ("0000bbbb", "m-kept")] {
            let mut inst = state.resources[&addr].clone();
            let iac_core::Value::Map(mut m) = inst.attributes else { unreachable!() };
            m.insert("id".into(), iac_core::Value::from(id));
            inst.attributes = iac_core::Value::Map(m);
            state.deposed.push(iac_core::state::DeposedObject { addr: addr.clone(), key: key.into(), instance: inst });
        }
        iac_engine::statemgr::snapshot(backend.as_ref(), &mut state, &[]).await.unwrap();

        let p = plan(&stack, &env).await;
        let deposed: Vec<(String, String)> = p
            .changes
            .iter()
            .filter_map(|c| Some((c.deposed.clone()?, format!("{:?} {}", c.action, c.before.get("id").and_then(iac_core::Value::as_str).unwrap_or_default()))))
            .collect();
        assert_eq!(deposed, [("0000bbbb".to_string(), "Delete m-kept".to_string())], "only the deposed object that still exists is destroyed");
        let kept: Vec<&str> = p.prior_state.deposed.iter().map(|d| d.key.as_str()).collect();
        assert_eq!(kept, ["0000bbbb"], "the gone one left the plan's refreshed state");

        ops::apply(&stack, &env, p, 2).await.expect("apply");
        let after = ops::read_state(backend.as_ref()).await.unwrap();
        assert!(after.deposed.is_empty(), "{:?}", after.deposed);
        assert!(!plan(&stack, &env).await.has_changes());
    });
}

/// Applies `text`, then (with `then`, when given, as the configuration) a
/// plan replacing `replace` (none of them create_before_destroy, so each
/// destroys first), whose apply must fail; the error-level diagnostics of
/// that apply and each object's id before and after it (empty: gone).
fn replace_with_a_failing_destroy(text: &str, then: Option<&str>, replace: &[&str]) -> (Vec<String>, BTreeMap<String, (String, String)>) {
    let tmp = tempfile::tempdir().unwrap();
    let stack = write_stack(tmp.path(), text);
    let env = env(registry_with(Some(Arc::new(MockFactory::new()))), local_backend(tmp.path()));
    let ids = |state: &iac_core::state::State| -> BTreeMap<String, String> {
        state.resources.iter().map(|(a, i)| (a.to_string(), i.attributes.get("id").and_then(iac_core::Value::as_str).unwrap_or_default().to_string())).collect()
    };
    rt().block_on(async {
        ops::apply(&stack, &env, plan(&stack, &env).await, 4).await.expect("first apply");
        let before = ids(&ops::read_state(env.backend.as_ref()).await.unwrap());
        if let Some(then) = then {
            write_stack(tmp.path(), then);
        }
        let run = iac_engine::run::RunOptions { replace: replace.iter().map(|a| a.parse().unwrap()).collect(), ..Default::default() };
        let p = ops::plan(&stack, &env, ops::PlanRequest { vars: Vec::new(), run }).await.expect("plan").plan;
        let replaced: Vec<String> = p.changes.iter().filter(|c| c.action == Action::Replace).map(|c| c.addr.to_string()).collect();
        assert_eq!(replaced.len(), replace.len(), "{replaced:?}");
        let err = ops::apply(&stack, &env, p, 4).await.expect_err("a destroy fails");
        let EngineError::Failed(diags) = err else { panic!("expected Failed, got {err:?}") };
        let errors = diags.iter().filter(|d| d.is_error()).map(|d| d.summary.clone()).collect();
        let after = ids(&ops::read_state(env.backend.as_ref()).await.unwrap());
        let both = before.into_iter().map(|(a, old)| (a.clone(), (old, after.get(&a).cloned().unwrap_or_default()))).collect();
        (errors, both)
    })
}

/// As in Terraform, whose apply graph has a destroy and a create per
/// instance: a destroy-first replacement whose destroy fails keeps its
/// object and skips only its own create and what depends on its resource;
/// the resource's other instances and unrelated replacements are applied.
/// A destroy that waits for the failed one (of an object the failed one
/// depends on) is not tried.
#[test]
fn a_failed_destroy_skips_only_what_waits_for_it() {
    let one_instance = r#"
provider "mock" {
  endpoint = "local"
}
resource "mock_thing" "a" {
  count = 2
  name  = count.index == 0 ? "stuck-a0" : "a1"
}
resource "mock_thing" "b" {
  name = "b-${mock_thing.a[1].id}"
}
resource "mock_thing" "other" {
  name = "other"
}
"#;
    let (errors, ids) = replace_with_a_failing_destroy(one_instance, None, &["mock_thing.a[0]", "mock_thing.a[1]", "mock_thing.other"]);
    assert_eq!(errors.len(), 1, "the failed delete is reported once: {errors:?}");
    assert!(errors[0].contains("mock_thing.a[0]") && errors[0].contains("cannot delete it"), "{errors:?}");
    let kept = |a: &str| ids[a].0 == ids[a].1;
    assert!(kept("mock_thing.a[0]"), "the object that could not be destroyed stays, with nothing created: {ids:?}");
    assert!(!kept("mock_thing.a[1]") && !ids["mock_thing.a[1]"].1.is_empty(), "the resource's other instance is replaced: {ids:?}");
    assert!(!kept("mock_thing.other") && !ids["mock_thing.other"].1.is_empty(), "an unrelated replacement is applied: {ids:?}");
    assert!(kept("mock_thing.b"), "what depends on the resource is skipped: {ids:?}");

    let chain = r#"
provider "mock" {
  endpoint = "local"
}
resource "mock_thing" "a" {
  name = "a"
}
resource "mock_thing" "c" {
  name       = "stuck-c"
  depends_on = [mock_thing.a]
}
resource "mock_thing" "other" {
  name = "other"
}
"#;
    let (errors, ids) = replace_with_a_failing_destroy(chain, None, &["mock_thing.a", "mock_thing.c", "mock_thing.other"]);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("mock_thing.c"), "{errors:?}");
    let kept = |a: &str| ids[a].0 == ids[a].1;
    assert!(kept("mock_thing.c") && kept("mock_thing.a"), "a waits for c's destroy, which failed: neither is replaced: {ids:?}");
    assert!(!kept("mock_thing.other") && !ids["mock_thing.other"].1.is_empty(), "{ids:?}");

    // The same when c leaves the configuration: its delete (an orphan's)
    // runs before a's destroy, within the walk, and a waits for it.
    let without_c = r#"
provider "mock" {
  endpoint = "local"
}
resource "mock_thing" "a" {
  name = "a"
}
resource "mock_thing" "other" {
  name = "other"
}
"#;
    let (errors, ids) = replace_with_a_failing_destroy(chain, Some(without_c), &["mock_thing.a", "mock_thing.other"]);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("mock_thing.c"), "{errors:?}");
    let kept = |a: &str| ids[a].0 == ids[a].1;
    assert!(kept("mock_thing.c") && kept("mock_thing.a"), "a waits for the orphan c's delete, which failed: {ids:?}");
    assert!(!kept("mock_thing.other") && !ids["mock_thing.other"].1.is_empty(), "{ids:?}");
}

/// As in Terraform's one apply graph: an orphan depending on a resource
/// replaced destroy-first is deleted before that resource's object, not
/// after the configuration walk (fixtures/replace-order/orphan-dependent
/// compares the order with Terraform 1.11.4's).
#[test]
fn an_orphan_depending_on_a_destroy_first_replacement_is_deleted_first() {
    let text = r#"
provider "mock" {
  endpoint = "local"
}
resource "mock_thing" "a" {
  name = "a"
}
resource "mock_thing" "b" {
  name = "b-${mock_thing.a.id}"
}
"#;
    let without_b = "provider \"mock\" {\n  endpoint = \"local\"\n}\nresource \"mock_thing\" \"a\" {\n  name = \"a\"\n}\n";
    let tmp = tempfile::tempdir().unwrap();
    let stack = write_stack(tmp.path(), text);
    let mut env = env(registry_with(Some(Arc::new(MockFactory::new()))), local_backend(tmp.path()));
    let events = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = events.clone();
    env.events = Some(Arc::new(move |e: iac_engine::run::Event| {
        if let iac_engine::run::Event::Done { addr, action, .. } = e {
            seen.lock().unwrap().push(format!("{action:?} {addr}"));
        }
    }));
    rt().block_on(async {
        ops::apply(&stack, &env, plan(&stack, &env).await, 4).await.expect("first apply");
        events.lock().unwrap().clear();
        write_stack(tmp.path(), without_b);
        let run = iac_engine::run::RunOptions { replace: vec!["mock_thing.a".parse().unwrap()], ..Default::default() };
        let p = ops::plan(&stack, &env, ops::PlanRequest { vars: Vec::new(), run }).await.expect("plan").plan;
        ops::apply(&stack, &env, p, 4).await.expect("apply");
        assert_eq!(*events.lock().unwrap(), ["Delete mock_thing.b", "Delete mock_thing.a", "Create mock_thing.a"]);
    });
}

/// As in Terraform: an orphan's delete comes before the update of what it
/// depends on, and when it fails, that update is not applied (one error).
#[test]
fn an_update_waits_for_the_delete_of_an_orphan_depending_on_it() {
    let text = |a: &str, with_b: bool| {
        let b = if with_b { "resource \"mock_thing\" \"b\" {\n  name = \"stuck-${mock_thing.a.name}\"\n}\n" } else { "" };
        format!("provider \"mock\" {{\n  endpoint = \"local\"\n}}\nresource \"mock_thing\" \"a\" {{\n  name = \"{a}\"\n}}\n{b}")
    };
    let tmp = tempfile::tempdir().unwrap();
    let stack = write_stack(tmp.path(), &text("a1", true));
    let mut env = env(registry_with(Some(Arc::new(MockFactory::new()))), local_backend(tmp.path()));
    let events = record_outcomes(&mut env);
    rt().block_on(async {
        ops::apply(&stack, &env, plan(&stack, &env).await, 4).await.expect("first apply");
        events.lock().unwrap().clear();
        write_stack(tmp.path(), &text("a2", false));
        let err = ops::apply(&stack, &env, plan(&stack, &env).await, 4).await.expect_err("the orphan's delete fails");
        assert_eq!(*events.lock().unwrap(), ["failed Delete mock_thing.b"], "a's update waited for b's delete, and was not applied");
        let EngineError::Failed(diags) = err else { panic!("expected Failed, got {err:?}") };
        assert_eq!(diags.iter().filter(|d| d.is_error()).count(), 1, "{diags:?}");
        let state = ops::read_state(env.backend.as_ref()).await.unwrap();
        assert_eq!(state.resources[&"mock_thing.a".parse().unwrap()].attributes.get("name").and_then(iac_core::Value::as_str), Some("a1"));
        assert!(state.resources.contains_key(&"mock_thing.b".parse().unwrap()));
    });
}

/// As Terraform 1.11.4 does (checked with a failing destroy-time provisioner
/// on an instance whose count went to 0 in each of two module instances):
/// an orphan's failed delete skips only the updates that wait for it, in
/// its own module instance; the same resource in the other module
/// instance, and what waits for nothing that failed, are applied. What
/// refers to the module's outputs waits for every instance, and is skipped.
#[test]
fn a_failed_orphan_delete_skips_only_the_updates_in_its_module_instance() {
    let module = |v: &str| {
        format!(
            "variable \"key\" {{}}\nresource \"mock_thing\" \"a\" {{\n  name = \"a-{v}\"\n}}\nresource \"mock_thing\" \"o\" {{\n  count = {count}\n  name  = \"${{var.key == \"x\" ? \"stuck\" : \"ok\"}}-${{mock_thing.a.id}}\"\n}}\noutput \"id\" {{\n  value = mock_thing.a.name\n}}\n",
            count = if v == "1" { 1 } else { 0 }
        )
    };
    let root = |v: &str| {
        format!("provider \"mock\" {{\n  endpoint = \"local\"\n}}\nmodule \"m\" {{\n  source   = \"./mod\"\n  for_each = toset([\"x\", \"y\"])\n  key      = each.key\n}}\nresource \"mock_thing\" \"r\" {{\n  name = \"r{v}-${{module.m[\"y\"].id}}\"\n}}\nresource \"mock_thing\" \"free\" {{\n  name = \"free{v}\"\n}}\n")
    };
    let tmp = tempfile::tempdir().unwrap();
    let stack = write_stack(tmp.path(), &root("1"));
    std::fs::create_dir_all(stack.join("mod")).unwrap();
    std::fs::write(stack.join("mod/main.tf"), module("1")).unwrap();
    let mut env = env(registry_with(Some(Arc::new(MockFactory::new()))), local_backend(tmp.path()));
    let events = record_outcomes(&mut env);
    rt().block_on(async {
        ops::apply(&stack, &env, plan(&stack, &env).await, 4).await.expect("first apply");
        events.lock().unwrap().clear();
        write_stack(tmp.path(), &root("2"));
        std::fs::write(stack.join("mod/main.tf"), module("2")).unwrap();
        let err = ops::apply(&stack, &env, plan(&stack, &env).await, 4).await.expect_err("the orphan's delete fails");
        let mut done = events.lock().unwrap().clone();
        done.sort();
        assert_eq!(
            done,
            [
                "Delete module.m[\"y\"].mock_thing.o[0]",
                "Update mock_thing.free",
                "Update module.m[\"y\"].mock_thing.a",
                "failed Delete module.m[\"x\"].mock_thing.o[0]",
            ],
            "only module.m[\"x\"]'s update waited for the failed delete (and mock_thing.r, for the module's output)"
        );
        let EngineError::Failed(diags) = err else { panic!("expected Failed, got {err:?}") };
        assert_eq!(diags.iter().filter(|d| d.is_error()).count(), 1, "{diags:?}");
        let state = ops::read_state(env.backend.as_ref()).await.unwrap();
        let name = |a: &str| state.resources[&a.parse().unwrap()].attributes.get("name").and_then(iac_core::Value::as_str).unwrap_or_default().to_string();
        assert_eq!(name("module.m[\"x\"].mock_thing.a"), "a-1");
        assert_eq!(name("module.m[\"y\"].mock_thing.a"), "a-2");
        assert!(state.resources.contains_key(&"module.m[\"x\"].mock_thing.o[0]".parse().unwrap()));
    });
}

/// An orphan created create_before_destroy (as its state records) is
/// deleted within the walk after the creates and updates Terraform turns
/// its edges around for: here after the update of c, which depended on it.
/// When that update fails, the orphan stays, as in Terraform 1.11.4
/// (checked there with a failing create-time provisioner on c's
/// replacement: o's destroy was not tried), and independent changes are
/// applied.
#[test]
fn a_create_before_destroy_orphan_waits_for_the_updates_of_what_depended_on_it() {
    let text = |step: u8| {
        let o = "resource \"mock_thing\" \"o\" {\n  name = \"o\"\n  lifecycle {\n    create_before_destroy = true\n  }\n}\n";
        let c = match step {
            1 => "resource \"mock_thing\" \"c\" {\n  name = \"c-${mock_thing.o.id}\"\n}\n",
            _ => "resource \"mock_thing\" \"c\" {\n  name = \"c2\"\n  fail = true\n}\n",
        };
        format!(
            "provider \"mock\" {{\n  endpoint = \"local\"\n}}\n{}{c}resource \"mock_thing\" \"free\" {{\n  name = \"free{step}\"\n}}\n",
            if step == 1 { o } else { "" }
        )
    };
    let tmp = tempfile::tempdir().unwrap();
    let stack = write_stack(tmp.path(), &text(1));
    let mut env = env(registry_with(Some(Arc::new(MockFactory::new()))), local_backend(tmp.path()));
    let events = record_outcomes(&mut env);
    rt().block_on(async {
        ops::apply(&stack, &env, plan(&stack, &env).await, 4).await.expect("first apply");
        let state = ops::read_state(env.backend.as_ref()).await.unwrap();
        assert!(state.resources[&"mock_thing.o".parse().unwrap()].create_before_destroy, "state records create_before_destroy");
        events.lock().unwrap().clear();
        write_stack(tmp.path(), &text(2));
        let err = ops::apply(&stack, &env, plan(&stack, &env).await, 4).await.expect_err("c's update fails");
        let mut done = events.lock().unwrap().clone();
        done.sort();
        assert_eq!(done, ["Update mock_thing.free", "failed Update mock_thing.c"], "o's delete waited for c's update, which failed");
        let EngineError::Failed(diags) = err else { panic!("expected Failed, got {err:?}") };
        assert_eq!(diags.iter().filter(|d| d.is_error()).count(), 1, "{diags:?}");
        let state = ops::read_state(env.backend.as_ref()).await.unwrap();
        assert!(state.resources.contains_key(&"mock_thing.o".parse().unwrap()), "the orphan stays");

        // Once c's update goes through, c is updated first, then o deleted.
        events.lock().unwrap().clear();
        write_stack(tmp.path(), &text(2).replace("  fail = true\n", ""));
        ops::apply(&stack, &env, plan(&stack, &env).await, 4).await.expect("second try");
        assert_eq!(*events.lock().unwrap(), ["Update mock_thing.c", "Delete mock_thing.o"]);
    });
}

/// A destroy plan for the stack as it is.
async fn destroy_plan(stack: &std::path::Path, env: &ops::Env) -> iac_core::plan::Plan {
    let run = iac_engine::run::RunOptions { mode: iac_core::plan::PlanMode::Destroy, ..Default::default() };
    ops::plan(stack, env, ops::PlanRequest { vars: Vec::new(), run }).await.expect("destroy plan").plan
}

/// Applies `text`, then a destroy plan, whose deletes of objects named
/// `stuck...` fail: the operations the destroy finished (sorted, and in
/// order), its errors, and what is left in state.
fn destroy_with_a_failing_delete(text: &str, module: Option<&str>) -> (Vec<String>, Vec<String>, Vec<String>, BTreeSet<String>) {
    let tmp = tempfile::tempdir().unwrap();
    let stack = write_stack(tmp.path(), text);
    if let Some(m) = module {
        std::fs::create_dir_all(stack.join("mod")).unwrap();
        std::fs::write(stack.join("mod/main.tf"), m).unwrap();
    }
    let mut env = env(registry_with(Some(Arc::new(MockFactory::new()))), local_backend(tmp.path()));
    let events = record_outcomes(&mut env);
    rt().block_on(async {
        ops::apply(&stack, &env, plan(&stack, &env).await, 4).await.expect("first apply");
        events.lock().unwrap().clear();
        let err = ops::apply(&stack, &env, destroy_plan(&stack, &env).await, 4).await.expect_err("a delete fails");
        let EngineError::Failed(diags) = err else { panic!("expected Failed, got {err:?}") };
        let errors = diags.iter().filter(|d| d.is_error()).map(|d| d.summary.clone()).collect();
        let order = events.lock().unwrap().clone();
        let mut done = order.clone();
        done.sort();
        let left = ops::read_state(env.backend.as_ref()).await.unwrap().resources.keys().map(|a| a.to_string()).collect();
        (done, order, errors, left)
    })
}

/// Whether `first` finished before `then` in `order`.
fn before(order: &[String], first: &str, then: &str) -> bool {
    let at = |s: &str| order.iter().position(|o| o == s).unwrap_or_else(|| panic!("{s} not in {order:?}"));
    at(first) < at(then)
}

/// As Terraform 1.11.4 destroys (checked there with a failing destroy-time
/// provisioner): a destroy plan's deletes run in reverse dependency order,
/// and a failed one keeps its object and stops only the deletes of the
/// objects it depends on (they must outlive it); everything else is
/// deleted, and the provider's error is the only one (no message for the
/// deletes not tried). `counted` reads `free` only in its count and has no
/// object: `free`'s delete still waits for `free`'s own node, whose value
/// `counted` reads.
#[test]
fn a_failed_destroy_stops_only_the_deletes_of_what_it_depends_on() {
    let text = r#"
provider "mock" {
  endpoint = "local"
}
resource "mock_thing" "a" {
  name = "a"
}
resource "mock_thing" "b" {
  name = "stuck-${mock_thing.a.id}"
}
resource "mock_thing" "c" {
  count = 2
  name  = "c${count.index}-${mock_thing.b.id}"
}
resource "mock_thing" "free" {
  name = "free"
}
resource "mock_thing" "counted" {
  count = mock_thing.free.name == "free" ? 0 : 1
  name  = "counted"
}
"#;
    let (done, order, errors, left) = destroy_with_a_failing_delete(text, None);
    assert_eq!(done, ["Delete mock_thing.c[0]", "Delete mock_thing.c[1]", "Delete mock_thing.free", "failed Delete mock_thing.b"]);
    assert!(
        before(&order, "Delete mock_thing.c[0]", "failed Delete mock_thing.b") && before(&order, "Delete mock_thing.c[1]", "failed Delete mock_thing.b"),
        "{order:?}"
    );
    assert_eq!(errors.len(), 1, "only the provider's error: {errors:?}");
    assert!(errors[0].starts_with("mock_thing.b: delete failed"), "{errors:?}");
    assert_eq!(left, BTreeSet::from(["mock_thing.a".to_string(), "mock_thing.b".to_string()]));
}

/// The same across module instances, with count and for_each: the failed
/// delete in `module.m["x"]` keeps only what it depends on in that module
/// instance (no edge between `module.m["x"]` and `module.m["y"]`, as in
/// Terraform's graph), and the root resource reading the module's output
/// is deleted before what it depends on in both module instances.
#[test]
fn a_failed_destroy_in_one_module_instance_keeps_only_its_dependencies_there() {
    let module = r#"
variable "key" {}
resource "mock_thing" "a" {
  name = "a-${var.key}"
}
resource "mock_thing" "b" {
  count = 2
  name  = "${var.key == "x" && count.index == 0 ? "stuck" : "ok"}-${mock_thing.a.id}-${count.index}"
}
output "id" {
  value = mock_thing.a.id
}
"#;
    let root = r#"
provider "mock" {
  endpoint = "local"
}
module "m" {
  source   = "./mod"
  for_each = toset(["x", "y"])
  key      = each.key
}
resource "mock_thing" "top" {
  name = "top-${module.m["x"].id}-${module.m["y"].id}"
}
"#;
    let (done, order, errors, left) = destroy_with_a_failing_delete(root, Some(module));
    assert_eq!(
        done,
        [
            "Delete mock_thing.top",
            "Delete module.m[\"x\"].mock_thing.b[1]",
            "Delete module.m[\"y\"].mock_thing.a",
            "Delete module.m[\"y\"].mock_thing.b[0]",
            "Delete module.m[\"y\"].mock_thing.b[1]",
            "failed Delete module.m[\"x\"].mock_thing.b[0]",
        ]
    );
    for dependent in ["Delete mock_thing.top", "Delete module.m[\"y\"].mock_thing.b[0]", "Delete module.m[\"y\"].mock_thing.b[1]"] {
        assert!(before(&order, dependent, "Delete module.m[\"y\"].mock_thing.a"), "{order:?}");
    }
    assert_eq!(errors.len(), 1, "only the provider's error: {errors:?}");
    assert_eq!(left, BTreeSet::from(["module.m[\"x\"].mock_thing.a".to_string(), "module.m[\"x\"].mock_thing.b[0]".to_string()]));
}

/// A destroy whose provider is configured from a resource destroyed in
/// the same run: the object using the provider goes first (its recorded
/// dependency goes through the provider's configuration), the provider is
/// configured from the cluster's values before the cluster is deleted.
#[test]
fn a_destroy_deletes_objects_before_the_resource_configuring_their_provider() {
    let text = r#"
resource "terraform_data" "cluster" {
  input = "c1"
}
provider "mock" {
  endpoint = "https://${terraform_data.cluster.id}:6443"
}
resource "mock_thing" "app" {
  name = "app"
}
"#;
    let tmp = tempfile::tempdir().unwrap();
    let stack = write_stack(tmp.path(), text);
    let mut env = env(registry_with(Some(Arc::new(MockFactory::new()))), local_backend(tmp.path()));
    let events = record_outcomes(&mut env);
    rt().block_on(async {
        ops::apply(&stack, &env, plan(&stack, &env).await, 4).await.expect("first apply");
        events.lock().unwrap().clear();
        ops::apply(&stack, &env, destroy_plan(&stack, &env).await, 4).await.expect("destroy");
        assert_eq!(*events.lock().unwrap(), ["Delete mock_thing.app", "Delete terraform_data.cluster"]);
        assert!(ops::read_state(env.backend.as_ref()).await.unwrap().resources.is_empty());
    });
}

/// A destroy plan destroys deposed objects too (walk nodes, as its other
/// deletes): after a create-before-destroy replacement interrupted at any
/// journal position, a destroy leaves no object, deposed or not, and no file.
#[test]
fn a_destroy_after_an_interrupted_create_before_destroy_leaves_nothing() {
    let rt = rt();
    let mut deposed_destroyed = 0;
    for budget in 0..9 {
        let tmp = tempfile::tempdir().unwrap();
        rt.block_on(async {
            let (stack, inner, _, _) = interrupted_cert_replacement(tmp.path(), budget).await;
            let after = env(registry_with(None), inner.clone());
            let p = destroy_plan(&stack, &after).await;
            deposed_destroyed += p.changes.iter().filter(|c| c.action == Action::Delete && c.deposed.is_some()).count();
            ops::apply(&stack, &after, p, 3).await.unwrap_or_else(|e| panic!("budget {budget}: destroy failed: {e:?}"));
            let state = ops::read_state(inner.as_ref()).await.unwrap();
            assert!(state.resources.is_empty() && state.deposed.is_empty(), "budget {budget}: {:?} {:?}", state.resources.keys(), state.deposed);
            let files: Vec<String> = std::fs::read_dir(stack.join("out")).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
            assert!(files.is_empty(), "budget {budget}: files left: {files:?}");
        });
    }
    assert!(deposed_destroyed >= 3, "crashes between the depose and its destroy leave deposed objects to destroy ({deposed_destroyed})");
}
