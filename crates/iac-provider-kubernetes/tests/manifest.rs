//! `kubernetes_manifest` against the fake API server, through the engine:
//! create, a no-op re-plan, a controller's or another manager's change to
//! fields we do not manage (not drift) against an out-of-band change to a
//! managed field (drift), the conflict that change causes and
//! `force_conflicts`, an update, deletion that waits for finalizers, and
//! import.

use crate::common;

use common::*;
use iac_core::plan::{Action, PlanMode};
use serde_json::json;

fn stack(url: &str, image: &str, force: bool) -> String {
    let fm = if force { "\n  field_manager {\n    force_conflicts = true\n  }\n" } else { "" };
    format!(
        r#"{providers}
resource "kubernetes_manifest" "ns" {{
  manifest = {{
    apiVersion = "v1"
    kind       = "Namespace"
    metadata   = {{ name = "web" }}
  }}
}}

resource "kubernetes_manifest" "app" {{
  manifest = {{
    apiVersion = "apps/v1"
    kind       = "Deployment"
    metadata = {{
      name      = "api"
      namespace = kubernetes_manifest.ns.object.metadata.name
      labels    = {{ app = "api" }}
    }}
    spec = {{
      replicas = 2
      selector = {{ matchLabels = {{ app = "api" }} }}
      template = {{
        metadata = {{ labels = {{ app = "api" }} }}
        spec = {{
          containers = [{{ name = "api", image = "{image}" }}]
        }}
      }}
    }}
  }}{fm}
}}
"#,
        providers = providers(url)
    )
}

#[test]
fn manifest_lifecycle_drift_conflict_force_update_delete() {
    rt().block_on(async {
        let sim = sim().await;
        let url = sim.url();
        let tmp = tempfile::tempdir().unwrap();
        let st = write_stack(tmp.path(), &stack(&url, "nginx:1.27", false));
        let env = env(tmp.path());
        let kube = Actor::new(&url).await;

        // Create: the Deployment is applied once its namespace exists, and the apply waits for the rollout.
        let p = converge(&st, &env).await;
        assert_eq!(p.count(Action::Create), 2, "{:?}", changes(&p));
        let live = kube.get(("apps/v1", "Deployment", "deployments"), Some("web"), "api").await.expect("the deployment exists");
        assert_eq!(live["spec"]["replicas"], 2);
        assert_eq!(live["status"]["availableReplicas"], 2, "the apply waited for the rollout");
        let owners: Vec<&str> = live["metadata"]["managedFields"].as_array().unwrap().iter().filter_map(|m| m["manager"].as_str()).collect();
        assert!(owners.contains(&"iac"), "applied under field manager iac: {owners:?}");

        // Nothing changed: nothing to do.
        let again = plan(&st, &env).await;
        assert!(changes(&again).is_empty(), "{:?}", changes(&again));

        // Another manager sets fields we do not manage (a label, an annotation): not drift.
        kube.merge(
            ("apps/v1", "Deployment", "deployments"),
            Some("web"),
            "api",
            "kubectl-edit",
            json!({"metadata": {"labels": {"team": "payments"}, "annotations": {"note": "x"}}}),
        )
        .await;
        let p = try_plan(&st, &env, PlanMode::RefreshOnly).await.unwrap();
        assert!(p.drift.is_empty(), "fields iac does not manage are not drift: {:?}", p.drift);
        assert!(changes(&plan(&st, &env).await).is_empty());

        // Someone takes spec.replicas over with kubectl apply --server-side --force-conflicts: drift.
        kube.apply_forced(
            ("apps/v1", "Deployment", "deployments"),
            Some("web"),
            "api",
            "kubectl",
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api", "namespace": "web"}, "spec": {"replicas": 5}}),
        )
        .await;
        let p = try_plan(&st, &env, PlanMode::RefreshOnly).await.unwrap();
        let drift: Vec<String> = p.drift.iter().flat_map(|d| d.paths.iter().map(move |path| format!("{} {path}", d.addr))).collect();
        assert_eq!(drift, vec!["kubernetes_manifest.app manifest.spec.replicas"]);
        let p = plan(&st, &env).await;
        assert_eq!(changes(&p), vec!["Update kubernetes_manifest.app"]);
        let text = rendered(&p);
        assert!(text.contains("replicas = 5 -> 2"), "{text}");

        // Taking it back conflicts with the other manager: an error with the API's message.
        let err = try_apply(&st, &env, p).await.unwrap_err();
        assert!(err.contains("conflict") && err.contains("kubectl") && err.contains(".spec.replicas") && err.contains("force_conflicts"), "{err}");

        // With force_conflicts the fields come back. (The engine marks an
        // object whose update failed as tainted, so this run replaces it.)
        let st = write_stack(tmp.path(), &stack(&url, "nginx:1.27", true));
        converge(&st, &env).await;
        let live = kube.get(("apps/v1", "Deployment", "deployments"), Some("web"), "api").await.unwrap();
        assert_eq!(live["spec"]["replicas"], 2);
        let again = plan(&st, &env).await;
        assert!(changes(&again).is_empty(), "{:?}", changes(&again));

        // An update in place.
        let st = write_stack(tmp.path(), &stack(&url, "nginx:1.28", true));
        let p = converge(&st, &env).await;
        assert_eq!(changes(&p), vec!["Update kubernetes_manifest.app"]);
        let live = kube.get(("apps/v1", "Deployment", "deployments"), Some("web"), "api").await.unwrap();
        assert_eq!(live["spec"]["template"]["spec"]["containers"][0]["image"], "nginx:1.28");

        // Destroy: the Deployment goes first, then its namespace, each waited for.
        destroy(&st, &env).await;
        assert!(kube.get(("apps/v1", "Deployment", "deployments"), Some("web"), "api").await.is_none());
        assert!(kube.get(("v1", "Namespace", "namespaces"), None, "web").await.is_none());
        sim.stop().await;
    });
}

fn held_config_map(url: &str, delete_timeout: &str) -> String {
    format!(
        r#"{providers}
resource "kubernetes_manifest" "held" {{
  manifest = {{
    apiVersion = "v1"
    kind       = "ConfigMap"
    metadata = {{
      name       = "held"
      finalizers = ["example.com/hold"]
    }}
    data = {{ k = "v" }}
  }}
  timeouts {{
    delete = "{delete_timeout}"
  }}
}}
"#,
        providers = providers(url)
    )
}

#[test]
fn delete_waits_for_finalizers_and_gives_up_naming_them() {
    rt().block_on(async {
        let sim = sim().await;
        let url = sim.url();
        let tmp = tempfile::tempdir().unwrap();
        let kube = Actor::new(&url).await;

        // A finalizer nobody removes: the delete gives up, naming it.
        let st = write_stack(tmp.path(), &held_config_map(&url, "1s"));
        let env = env(tmp.path());
        converge(&st, &env).await;
        let live = kube.get(("v1", "ConfigMap", "configmaps"), Some("default"), "held").await.expect("created in the default namespace");
        assert_eq!(live["data"]["k"], "v");
        let p = try_plan(&st, &env, PlanMode::Destroy).await.unwrap();
        let err = try_apply(&st, &env, p).await.unwrap_err();
        assert!(err.contains("ConfigMap default/held") && err.contains("example.com/hold"), "{err}");

        // The finalizer's owner finishes while iac waits: the delete completes.
        let st = write_stack(tmp.path(), &held_config_map(&url, "60s"));
        let p = try_plan(&st, &env, PlanMode::Destroy).await.unwrap();
        let release = async {
            // Remove the finalizer once the object is marked for deletion.
            loop {
                let live = kube.get(("v1", "ConfigMap", "configmaps"), Some("default"), "held").await;
                if live.as_ref().is_some_and(|l| l["metadata"]["deletionTimestamp"].is_string()) {
                    kube.merge(("v1", "ConfigMap", "configmaps"), Some("default"), "held", "finalizer-owner", json!({"metadata": {"finalizers": null}})).await;
                    return;
                }
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        };
        let (applied, ()) = tokio::join!(try_apply(&st, &env, p), release);
        applied.unwrap();
        assert!(kube.get(("v1", "ConfigMap", "configmaps"), Some("default"), "held").await.is_none());
        sim.stop().await;
    });
}

#[test]
fn import_adopts_an_existing_object_by_terraform_id() {
    rt().block_on(async {
        let sim = sim().await;
        let url = sim.url();
        let tmp = tempfile::tempdir().unwrap();
        let kube = Actor::new(&url).await;
        kube.create(("v1", "ConfigMap", "configmaps"), Some("default"), json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings", "namespace": "default"}, "data": {"mode": "old"}})).await;
        let text = format!(
            "{}\nimport {{\n  to = kubernetes_manifest.settings\n  id = \"v1//ConfigMap//default//settings\"\n}}\n\nresource \"kubernetes_manifest\" \"settings\" {{\n  manifest = {{\n    apiVersion = \"v1\"\n    kind       = \"ConfigMap\"\n    metadata   = {{ name = \"settings\", namespace = \"default\" }}\n    data       = {{ mode = \"new\" }}\n  }}\n}}\n",
            providers(&url)
        );
        let st = write_stack(tmp.path(), &text);
        let env = env(tmp.path());
        let p = plan(&st, &env).await;
        let c = change(&p, "kubernetes_manifest.settings");
        assert_eq!(c.import_id.as_deref(), Some("v1//ConfigMap//default//settings"));
        assert_eq!(c.before.get("manifest").and_then(|m| m.get("data")).and_then(|d| d.get("mode")).and_then(|m| m.as_str()), Some("old"));
        apply(&st, &env, p).await;
        let live = kube.get(("v1", "ConfigMap", "configmaps"), Some("default"), "settings").await.unwrap();
        assert_eq!(live["data"]["mode"], "new");
        assert!(changes(&plan(&st, &env).await).is_empty());

        // A wrong id is a clear error.
        let bad = text.replace("v1//ConfigMap//default//settings", "v1/ConfigMap/settings").replace("kubernetes_manifest.settings\n", "kubernetes_manifest.other\n").replace("\"settings\" {", "\"other\" {");
        let tmp2 = tempfile::tempdir().unwrap();
        let st2 = write_stack(tmp2.path(), &bad);
        let err = try_plan(&st2, &env_with(tmp2.path(), registry()), PlanMode::Normal).await.unwrap_err();
        assert!(err.contains("apiVersion//kind//namespace//name"), "{err}");
        sim.stop().await;
    });
}

#[test]
fn a_kubeconfig_file_and_context_select_the_cluster() {
    rt().block_on(async {
        let sim = sim().await;
        let tmp = tempfile::tempdir().unwrap();
        let kubeconfig = format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: sim\n  cluster:\n    server: {}\n- name: elsewhere\n  cluster:\n    server: http://127.0.0.1:9\ncontexts:\n- name: sim\n  context: {{cluster: sim, user: me, namespace: kube-public}}\n- name: elsewhere\n  context: {{cluster: elsewhere, user: me}}\ncurrent-context: elsewhere\nusers:\n- name: me\n  user: {{token: t}}\n",
            sim.url()
        );
        std::fs::write(tmp.path().join("kubeconfig"), kubeconfig).unwrap();
        let text = format!(
            "provider \"kubernetes\" {{\n  config_path    = \"{}\"\n  config_context = \"sim\"\n}}\n\nresource \"kubernetes_manifest\" \"cm\" {{\n  manifest = {{\n    apiVersion = \"v1\"\n    kind       = \"ConfigMap\"\n    metadata   = {{ name = \"from-kubeconfig\" }}\n  }}\n}}\n",
            tmp.path().join("kubeconfig").display()
        );
        let st = write_stack(tmp.path(), &text);
        let env = env(tmp.path());
        converge(&st, &env).await;
        let kube = Actor::new(&sim.url()).await;
        assert!(kube.get(("v1", "ConfigMap", "configmaps"), Some("kube-public"), "from-kubeconfig").await.is_some(), "the context's namespace is the default namespace");
        assert!(changes(&plan(&st, &env).await).is_empty());

        // A context that does not exist is a clear error.
        let st = write_stack(tmp.path(), &text.replace("\"sim\"", "\"nope\""));
        let err = try_plan(&st, &env, PlanMode::Normal).await.unwrap_err();
        assert!(err.contains("nope"), "{err}");
        sim.stop().await;
    });
}

fn service(url: &str, object: &str) -> String {
    format!(
        r#"{providers}
resource "kubernetes_manifest" "svc" {{
  manifest = {{
    apiVersion = "v1"
    kind       = "Service"
    metadata   = {{ name = "web", namespace = "default" }}
    spec       = {{ selector = {{ app = "web" }}, ports = [{{ port = 80 }}], type = "LoadBalancer" }}
  }}{object}
}}

output "object" {{
  value = kubernetes_manifest.svc.object
}}
"#,
        providers = providers(url)
    )
}

/// `object` is optional and computed, as upstream declares it: the object
/// as the cluster has it, with what the API server filled in (the cluster
/// IP) and without status or write bookkeeping; what a controller writes
/// later (the load balancer's address) changes neither the plan nor
/// drift; a configuration that sets it is told to use manifest.
#[test]
fn object_holds_the_server_filled_object_and_stays_quiet() {
    rt().block_on(async {
        let sim = sim().await;
        let url = sim.url();
        let tmp = tempfile::tempdir().unwrap();
        let env = env(tmp.path());
        let st = write_stack(tmp.path(), &service(&url, ""));
        converge(&st, &env).await;
        let state = iac_engine::ops::read_state(env.backend.as_ref()).await.unwrap();
        let object = state.outputs.get("object").expect("the object output").value.to_json();
        assert!(object["spec"]["clusterIP"].as_str().is_some_and(|ip| !ip.is_empty()), "server-filled fields are in object: {object}");
        assert_eq!(object["spec"]["ports"][0]["port"], 80);
        assert!(object.get("status").is_none(), "no status: {object}");
        for k in ["resourceVersion", "uid", "generation", "creationTimestamp", "managedFields"] {
            assert!(object["metadata"].get(k).is_none(), "no {k}: {object}");
        }
        // The simulated cloud gives the balancer its address meanwhile.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let kube = Actor::new(&url).await;
        let live = kube.get(("v1", "Service", "services"), Some("default"), "web").await.unwrap();
        assert!(live["status"]["loadBalancer"]["ingress"].as_array().is_some_and(|a| !a.is_empty()), "the controller wrote the status: {live}");
        let p = try_plan(&st, &env, PlanMode::RefreshOnly).await.unwrap();
        assert!(p.drift.is_empty(), "{:?}", p.drift);
        assert!(changes(&plan(&st, &env).await).is_empty(), "a re-plan is empty");

        let st = write_stack(tmp.path(), &service(&url, "\n  object = { kind = \"Service\" }"));
        let err = try_plan(&st, &env, PlanMode::Normal).await.expect_err("object is the provider's to set");
        assert!(err.contains("object") && err.contains("write the desired object in manifest"), "{err}");
        sim.stop().await;
    });
}
