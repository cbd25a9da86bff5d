//! Readiness waits that cannot succeed say which object and why: a
//! Deployment whose rollout stalls fails at once with its condition, a
//! LoadBalancer Service without an address times out naming it, and the
//! same set without waits applies.

use crate::common;

use common::*;
use iac_kube_sim::{Faults, ObjectMatch, SimOptions};

const SET: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: stuck\nspec:\n  replicas: 1\n  selector:\n    matchLabels: {app: stuck}\n  template:\n    metadata:\n      labels: {app: stuck}\n    spec:\n      containers:\n      - name: c\n        image: nginx\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: lb\nspec:\n  type: LoadBalancer\n  selector: {app: stuck}\n  ports:\n  - port: 80\n";

fn stack(url: &str, rollout: bool, lb: bool) -> String {
    format!(
        "{}\nresource \"kubernetes_manifests\" \"app\" {{\n  content                = <<-EOT\n{}  EOT\n  wait_for_rollout       = {rollout}\n  wait_for_load_balancer = {lb}\n  timeouts {{\n    create = \"1s\"\n  }}\n}}\n",
        providers(url),
        SET.lines().map(|l| format!("    {l}\n")).collect::<String>()
    )
}

#[test]
fn waits_that_cannot_finish_name_the_object_and_its_condition() {
    rt().block_on(async {
        let never = |kind: &str, name: &str| ObjectMatch { kind: kind.into(), name: Some(name.into()), namespace: None, image: None };
        let opts = SimOptions {
            rollout_delay_ms: 20,
            load_balancer_delay_ms: 20,
            faults: Faults { never_ready: vec![never("Deployment", "stuck"), never("Service", "lb")], ..Faults::default() },
            ..SimOptions::default()
        };
        let sim = iac_kube_sim::start(opts).await.unwrap();
        let url = sim.url();

        let tmp = tempfile::tempdir().unwrap();
        let st = write_stack(tmp.path(), &stack(&url, true, false));
        let env = common::env(tmp.path());
        let err = try_apply(&st, &env, plan(&st, &env).await).await.unwrap_err();
        assert!(err.contains("Deployment default/stuck will not become ready") && err.contains("ProgressDeadlineExceeded"), "{err}");

        let tmp = tempfile::tempdir().unwrap();
        let st = write_stack(tmp.path(), &stack(&url, false, true));
        let env = common::env(tmp.path());
        let err = try_apply(&st, &env, plan(&st, &env).await).await.unwrap_err();
        assert!(err.contains("timed out after 1s") && err.contains("Service default/lb") && err.contains("no load balancer address yet"), "{err}");

        let tmp = tempfile::tempdir().unwrap();
        let st = write_stack(tmp.path(), &stack(&url, false, false));
        let env = common::env(tmp.path());
        converge(&st, &env).await;
        assert!(changes(&plan(&st, &env).await).is_empty());
        sim.stop().await;
    });
}

fn waited_deployment(url: &str, pattern: &str) -> String {
    format!(
        r#"{providers}
resource "kubernetes_manifest" "web" {{
  manifest = {{
    apiVersion = "apps/v1"
    kind       = "Deployment"
    metadata   = {{ name = "web", namespace = "default" }}
    spec = {{
      replicas = 2
      selector = {{ matchLabels = {{ app = "web" }} }}
      template = {{
        metadata = {{ labels = {{ app = "web" }} }}
        spec     = {{ containers = [{{ name = "web", image = "nginx" }}] }}
      }}
    }}
  }}
  wait {{
    condition {{
      type   = "Available"
      status = "True"
    }}
    fields = {{ "status.availableReplicas" = "{pattern}" }}
  }}
}}
"#,
        providers = providers(url)
    )
}

#[test]
fn wait_conditions_and_field_patterns_hold_after_apply() {
    rt().block_on(async {
        let sim = sim().await;
        let url = sim.url();
        let tmp = tempfile::tempdir().unwrap();
        let st = write_stack(tmp.path(), &waited_deployment(&url, "^2$"));
        let env = common::env(tmp.path());
        converge(&st, &env).await;
        let state = iac_engine::ops::read_state(env.backend.as_ref()).await.unwrap();
        let obj = &state.resources.values().next().unwrap().attributes.to_json()["object"];
        assert_eq!(obj["spec"]["replicas"], 2, "the state holds the object the wait ended with");
        assert!(obj.get("status").is_none(), "without its status, as upstream keeps object: {obj}");
        let live = Actor::new(&url).await.get(("apps/v1", "Deployment", "deployments"), Some("default"), "web").await;
        assert_eq!(live.map(|d| d["status"]["availableReplicas"].clone()), Some(serde_json::json!(2)), "the apply waited");

        let tmp = tempfile::tempdir().unwrap();
        let st = write_stack(tmp.path(), &waited_deployment(&url, "(2"));
        let err = try_plan(&st, &common::env(tmp.path()), iac_core::plan::PlanMode::Normal).await.unwrap_err();
        assert!(err.contains("wait.fields") && err.contains("not a regular expression"), "{err}");
        sim.stop().await;
    });
}
