//! Data sources that wait for a managed resource with a change pending
//! are read at apply, after it, as Terraform 1.11 reads them: on the mock
//! provider's `mock_thing_lookup`, which finds an applied `mock_thing` by
//! name and fails before one exists (as reading a cluster being created
//! does). With nothing pending they are read while planning, as before.

use crate::support;

use std::sync::Arc;

use iac_core::plan::{reason, Action, Plan};
use iac_engine::ops;
use support::*;

fn stack(name: &str) -> String {
    format!(
        r#"
provider "mock" {{
  endpoint = "local"
}}

resource "mock_thing" "a" {{
  name = "{name}"
}}

# Its configuration is known while planning: the thing's name.
data "mock_thing_lookup" "a" {{
  name = mock_thing.a.name
}}

resource "mock_thing" "fixed" {{
  name = "fixed"
}}

data "mock_thing_lookup" "fixed" {{
  name       = "fixed"
  depends_on = [mock_thing.fixed]
}}

resource "mock_thing" "user" {{
  name = "user-${{data.mock_thing_lookup.a.thing_id}}-${{data.mock_thing_lookup.fixed.thing_id}}"
}}
"#
    )
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

/// The data source changes of a plan: (address, action, reason).
fn reads(plan: &Plan) -> Vec<(String, Action, Option<String>)> {
    let mut out: Vec<_> =
        plan.changes.iter().filter(|c| c.addr.to_string().starts_with("data.")).map(|c| (c.addr.to_string(), c.action, c.reason.clone())).collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn a_data_source_waiting_for_a_pending_change_is_read_at_apply_after_it() {
    let tmp = tempfile::tempdir().unwrap();
    let stack_dir = write_stack(tmp.path(), &stack("a"));
    let mock = Arc::new(MockFactory::new());
    let env = env(registry_with(Some(mock.clone())), local_backend(tmp.path()));
    let pending = Some(reason::READ_DEPENDENCY_PENDING.to_string());
    rt().block_on(async {
        // Both things are created: both lookups wait (one names the thing,
        // one has it in depends_on), and what uses them is unknown.
        let p = plan(&stack_dir, &env).await;
        assert_eq!(
            reads(&p),
            vec![("data.mock_thing_lookup.a".into(), Action::Read, pending.clone()), ("data.mock_thing_lookup.fixed".into(), Action::Read, pending.clone())]
        );
        ops::apply(&stack_dir, &env, p, 4).await.expect("apply reads after the things exist");
        let state = ops::read_state(env.backend.as_ref()).await.unwrap();
        let things = mock.things.lock().unwrap().clone();
        let attr = |addr: &str, name: &str| state.resources[&addr.parse().unwrap()].attributes.get(name).and_then(|v| v.as_str().map(str::to_string));
        assert_eq!(attr("data.mock_thing_lookup.a", "thing_id"), things.get("a").cloned());
        assert_eq!(attr("data.mock_thing_lookup.fixed", "thing_id"), things.get("fixed").cloned());
        assert_eq!(attr("mock_thing.user", "name"), Some(format!("user-{}-{}", things["a"], things["fixed"])));

        // Nothing pending: both are read while planning, no change.
        let p = plan(&stack_dir, &env).await;
        assert!(reads(&p).is_empty(), "read while planning: {:?}", reads(&p));
        assert!(!p.has_changes(), "nothing to do: {:?}", count_by_action(&p));

        // The thing is renamed (an update): its lookup waits again, the other one does not.
        write_stack(tmp.path(), &stack("b"));
        let p = plan(&stack_dir, &env).await;
        assert_eq!(reads(&p), vec![("data.mock_thing_lookup.a".into(), Action::Read, pending.clone())]);
        ops::apply(&stack_dir, &env, p, 4).await.expect("apply reads the renamed thing");
        let state = ops::read_state(env.backend.as_ref()).await.unwrap();
        assert_eq!(
            state.resources[&"data.mock_thing_lookup.a".parse().unwrap()].attributes.get("name").and_then(|v| v.as_str().map(str::to_string)),
            Some("b".to_string())
        );
        assert!(!plan(&stack_dir, &env).await.has_changes());
    });
}
