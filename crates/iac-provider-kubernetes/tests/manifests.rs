//! `kubernetes_manifests` against the fake API server: a set with a CRD and
//! its custom resources applied in order, namespaces defaulted, a plan that
//! names the objects that change (with a YAML line diff), pruning, drift,
//! and the real Argo CD install manifest (59 objects, 3 CRDs, the 377 KB
//! ApplicationSet CRD that only server-side apply can store).

use crate::common;

use std::path::Path;

use common::*;
use iac_core::plan::{Action, PlanMode};
use serde_json::json;

const CRD: &str = r#"apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Widget, plural: widgets, singular: widget}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
"#;

fn set_yaml(size: &str, with_extra: bool) -> String {
    let mut docs = vec![
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n".to_string(),
        CRD.to_string(),
        format!("apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: gear\nspec:\n  size: {size}\n  color: blue\n"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: web\n        image: nginx\n".to_string(),
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: widget-reader\nrules: []\n".to_string(),
    ];
    if with_extra {
        docs.push("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\ndata:\n  a: b\n".to_string());
    }
    docs.join("---\n")
}

fn stack(url: &str) -> String {
    format!("{}\nresource \"kubernetes_manifests\" \"shop\" {{\n  files     = [\"set.yaml\"]\n  namespace = \"shop\"\n}}\n", providers(url))
}

#[test]
fn a_set_applies_in_order_shows_object_changes_prunes_and_refreshes() {
    rt().block_on(async {
        let sim = sim().await;
        let url = sim.url();
        let tmp = tempfile::tempdir().unwrap();
        let st = write_stack(tmp.path(), &stack(&url));
        std::fs::write(st.join("set.yaml"), set_yaml("small", true)).unwrap();
        let env = env(tmp.path());
        let kube = Actor::new(&url).await;

        // The plan knows every object, its namespace defaulted (the Widget's
        // scope from the CRD in the same set, which the cluster lacks yet).
        let p = plan(&st, &env).await;
        let c = change(&p, "kubernetes_manifests.shop");
        assert_eq!(c.action, Action::Create);
        assert_eq!(
            object_keys(&c.after),
            vec![
                "apiextensions.k8s.io/v1/CustomResourceDefinition/widgets.example.com",
                "apps/v1/Deployment/shop/web",
                "example.com/v1/Widget/shop/gear",
                "rbac.authorization.k8s.io/v1/ClusterRole/widget-reader",
                "v1/ConfigMap/shop/extra",
                "v1/Namespace/shop",
            ]
        );
        apply(&st, &env, p).await;
        let gear = kube.get(("example.com/v1", "Widget", "widgets"), Some("shop"), "gear").await.expect("the custom resource exists");
        assert_eq!(gear["spec"]["size"], "small");
        let web = kube.get(("apps/v1", "Deployment", "deployments"), Some("shop"), "web").await.unwrap();
        assert_eq!(web["status"]["availableReplicas"], 1, "the apply waited for the rollout");
        assert!(kube.get(("rbac.authorization.k8s.io/v1", "ClusterRole", "clusterroles"), None, "widget-reader").await.is_some());
        assert!(changes(&plan(&st, &env).await).is_empty());

        // One object changes, one leaves the set: the plan says which, with a line diff.
        std::fs::write(st.join("set.yaml"), set_yaml("large", false)).unwrap();
        let p = plan(&st, &env).await;
        let c = change(&p, "kubernetes_manifests.shop");
        assert_eq!(c.action, Action::Update);
        let text = rendered(&p);
        assert!(text.contains("~ example.com/v1/Widget/shop/gear "), "{text}");
        assert!(text.contains("-   size: small\n") && text.contains("+   size: large\n"), "a YAML line diff:\n{text}");
        assert!(text.contains("- v1/ConfigMap/shop/extra "), "{text}");
        assert!(!text.contains("apps/v1/Deployment/shop/web"), "unchanged objects are not shown:\n{text}");
        apply(&st, &env, p).await;
        assert_eq!(kube.get(("example.com/v1", "Widget", "widgets"), Some("shop"), "gear").await.unwrap()["spec"]["size"], "large");
        assert!(kube.get(("v1", "ConfigMap", "configmaps"), Some("shop"), "extra").await.is_none(), "pruned");

        // Out of band: a managed field changes (drift, the object named), an unmanaged one does not count.
        kube.merge(("example.com/v1", "Widget", "widgets"), Some("shop"), "gear", "kubectl-edit", json!({"spec": {"color": "red", "owner": "someone"}})).await;
        let p = try_plan(&st, &env, PlanMode::RefreshOnly).await.unwrap();
        let paths: Vec<String> = p.drift.iter().flat_map(|d| d.paths.iter().map(|p| p.to_string())).collect();
        assert_eq!(paths, vec!["objects.example.com/v1/Widget/shop/gear"]);
        let p = plan(&st, &env).await;
        let text = rendered(&p);
        assert!(text.contains("-   color: red\n") && text.contains("+   color: blue\n") && !text.contains("owner"), "{text}");

        // Re-applying the Widget now conflicts with the editor (who owns spec.color).
        let err = try_apply(&st, &env, p).await.unwrap_err();
        assert!(err.contains("Widget shop/gear") && err.contains("kubectl-edit") && err.contains("force_conflicts"), "{err}");

        // Deleted out of band: the plan puts it back.
        kube.delete(("apps/v1", "Deployment", "deployments"), Some("shop"), "web").await;
        let p = plan(&st, &env).await;
        assert!(rendered(&p).contains("+ apps/v1/Deployment/shop/web "), "{}", rendered(&p));
        destroy(&st, &env).await;
        for (kind, ns, name) in [
            (("example.com/v1", "Widget", "widgets"), Some("shop"), "gear"),
            (("apps/v1", "Deployment", "deployments"), Some("shop"), "web"),
            (("v1", "Namespace", "namespaces"), None, "shop"),
        ] {
            assert!(kube.get(kind, ns, name).await.is_none(), "{} {name} deleted", kind.1);
        }
        assert!(kube.get(("apiextensions.k8s.io/v1", "CustomResourceDefinition", "customresourcedefinitions"), None, "widgets.example.com").await.is_none());
        sim.stop().await;
    });
}

fn argocd_fixture() -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/argocd/install-v3.5.1.yaml");
    p.canonicalize().expect("the Argo CD fixture beside the workspace").display().to_string()
}

#[test]
fn argocd_install_manifest_applies_whole_and_converges() {
    rt().block_on(async {
        let sim = sim().await;
        let url = sim.url();
        let tmp = tempfile::tempdir().unwrap();
        let text = format!(
            "{}\nresource \"kubernetes_manifest\" \"ns\" {{\n  manifest = {{\n    apiVersion = \"v1\"\n    kind       = \"Namespace\"\n    metadata   = {{ name = \"argocd\" }}\n  }}\n}}\n\nresource \"kubernetes_manifests\" \"argocd\" {{\n  files      = [\"{}\"]\n  namespace  = \"argocd\"\n  depends_on = [kubernetes_manifest.ns]\n}}\n",
            providers(&url),
            argocd_fixture()
        );
        let st = write_stack(tmp.path(), &text);
        let env = env(tmp.path());
        let p = plan(&st, &env).await;
        let keys = object_keys(&change(&p, "kubernetes_manifests.argocd").after);
        assert_eq!(keys.len(), 59);
        assert_eq!(keys.iter().filter(|k| k.starts_with("apiextensions.k8s.io/v1/CustomResourceDefinition/")).count(), 3);
        assert_eq!(keys.iter().filter(|k| k.contains("/argocd/")).count(), 50, "objects without a namespace go into argocd");
        apply(&st, &env, p).await;
        let kube = Actor::new(&url).await;
        let appset = kube.get(("apiextensions.k8s.io/v1", "CustomResourceDefinition", "customresourcedefinitions"), None, "applicationsets.argoproj.io").await.unwrap();
        assert!(appset.to_string().len() > 262_144, "the big CRD went in whole (server-side apply, no annotation)");
        let server = kube.get(("apps/v1", "Deployment", "deployments"), Some("argocd"), "argocd-server").await.unwrap();
        assert_eq!(server["status"]["availableReplicas"], server["spec"]["replicas"].as_i64().unwrap_or(1), "rolled out");
        let controller = kube.get(("apps/v1", "StatefulSet", "statefulsets"), Some("argocd"), "argocd-application-controller").await.unwrap();
        assert!(controller["status"]["readyReplicas"].as_i64().unwrap_or(0) >= 1, "{}", controller["status"]);
        let again = plan(&st, &env).await;
        assert!(changes(&again).is_empty(), "{:?}", changes(&again));
        destroy(&st, &env).await;
        assert!(kube.get(("apps/v1", "Deployment", "deployments"), Some("argocd"), "argocd-server").await.is_none());
        sim.stop().await;
    });
}

/// The Secret lives in a file: the configuration holds only its path.
fn secret_stack(dir: &Path, url: &str, password: &str) -> std::path::PathBuf {
    let st = write_stack(dir, &format!("{}\nresource \"kubernetes_manifests\" \"creds\" {{\n  files = [\"secret.yaml\"]\n}}\n", providers(url)));
    std::fs::write(st.join("secret.yaml"), format!("apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: {password}\n  user: app\n"))
        .unwrap();
    st
}

#[test]
fn secret_values_stay_out_of_plans_and_state() {
    rt().block_on(async {
        let sim = sim().await;
        let url = sim.url();
        let tmp = tempfile::tempdir().unwrap();
        let st = secret_stack(tmp.path(), &url, "hunter2");
        let env = env(tmp.path());
        let p = plan(&st, &env).await;
        assert!(!rendered(&p).contains("hunter2"), "{}", rendered(&p));
        apply(&st, &env, p).await;
        let kube = Actor::new(&url).await;
        let live = kube.get(("v1", "Secret", "secrets"), Some("default"), "db").await.expect("the secret exists");
        let stored = format!("{}", live);
        assert!(stored.contains("hunter2") || live["data"]["password"] == "aHVudGVyMg==", "the cluster gets the real value: {stored}");
        let state = iac_engine::ops::read_state(env.backend.as_ref()).await.unwrap();
        assert!(!serde_json::to_string(&state).unwrap().contains("hunter2"), "state never holds the value");
        let again = plan(&st, &env).await;
        assert!(changes(&again).is_empty(), "{}", rendered(&again));

        // A new value: the plan says the key changed, without either value.
        let st = secret_stack(tmp.path(), &url, "correct-horse");
        let p = plan(&st, &env).await;
        let text = rendered(&p);
        assert!(text.contains("-   password: (sensitive value, sha256") && text.contains("+   password: (sensitive value, sha256"), "{text}");
        assert!(!text.contains("-   user:"), "an unchanged value keeps its hash: {text}");
        assert!(!text.contains("hunter2") && !text.contains("correct-horse"), "{text}");
        apply(&st, &env, p).await;
        let live = kube.get(("v1", "Secret", "secrets"), Some("default"), "db").await.unwrap();
        let stored = format!("{}", live);
        assert!(stored.contains("correct-horse") || live["data"]["password"] == "Y29ycmVjdC1ob3JzZQ==", "{stored}");
        assert!(changes(&plan(&st, &env).await).is_empty());
        sim.stop().await;
    });
}

#[test]
fn custom_resources_whose_crd_another_resource_installs_plan_unknown_and_apply() {
    rt().block_on(async {
        let sim = sim().await;
        let url = sim.url();
        let tmp = tempfile::tempdir().unwrap();
        let text = format!(
            "{}\nresource \"kubernetes_manifests\" \"crds\" {{\n  content = <<-EOT\n{}  EOT\n}}\n\nresource \"kubernetes_manifests\" \"widgets\" {{\n  content    = <<-EOT\n    apiVersion: example.com/v1\n    kind: Widget\n    metadata:\n      name: w1\n    spec:\n      size: small\n  EOT\n  depends_on = [kubernetes_manifests.crds]\n}}\n\nresource \"kubernetes_manifest\" \"gadget\" {{\n  manifest = {{\n    apiVersion = \"example.com/v1\"\n    kind       = \"Widget\"\n    metadata   = {{ name = \"w2\" }}\n  }}\n  depends_on = [kubernetes_manifests.crds]\n}}\n",
            providers(&url),
            CRD.lines().map(|l| format!("    {l}\n")).collect::<String>()
        );
        let st = write_stack(tmp.path(), &text);
        let env = env(tmp.path());
        // Terraform's kubernetes_manifest fails here (the CRD does not exist yet); iac plans the set as unknown.
        let p = plan(&st, &env).await;
        assert!(change(&p, "kubernetes_manifests.widgets").after.get("objects").is_some_and(|o| o.is_unknown()));
        apply(&st, &env, p).await;
        let kube = Actor::new(&url).await;
        assert!(kube.get(("example.com/v1", "Widget", "widgets"), Some("default"), "w1").await.is_some());
        assert!(kube.get(("example.com/v1", "Widget", "widgets"), Some("default"), "w2").await.is_some(), "the namespace defaulted from discovery at apply");
        let again = plan(&st, &env).await;
        assert!(changes(&again).is_empty(), "{:?}", changes(&again));
        assert_eq!(object_keys(&change(&again, "kubernetes_manifests.widgets").after), vec!["example.com/v1/Widget/default/w1"]);
        destroy(&st, &env).await;
        sim.stop().await;
    });
}
