//! The simulated GitOps chain on the repository's own GitOps tree: a root
//! Application on a local git repository syncs the platform and apps
//! Applications (app of apps), kro makes the WebApp kind and expands each
//! WebApp into its objects, KEDA makes each ScaledObject's HPA; a new commit
//! adds an application, another removes one and everything it yielded goes.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use iac_kube_sim::{RunningSim, SimOptions};
use serde_json::{json, Value};

const APPLY: &str = "application/apply-patch+yaml";

struct Api {
    sim: RunningSim,
    http: reqwest::Client,
}

impl Api {
    async fn send(&self, method: reqwest::Method, path: &str, body: Option<String>) -> (u16, Value) {
        let mut r = self.http.request(method, format!("{}{path}", self.sim.url()));
        if let Some(b) = body {
            r = r.header("content-type", APPLY).body(b);
        }
        let resp = r.send().await.expect("request");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }
    async fn get(&self, path: &str) -> (u16, Value) {
        self.send(reqwest::Method::GET, path, None).await
    }
    async fn apply(&self, path: &str, obj: &Value) {
        let (code, v) = self.send(reqwest::Method::PATCH, &format!("{path}?fieldManager=test&force=true"), Some(obj.to_string())).await;
        assert_eq!(code / 100, 2, "{path}: {v}");
    }
    async fn wait_for(&self, path: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
        for _ in 0..750 {
            let (code, v) = self.get(path).await;
            if code == 200 && done(&v) {
                return v;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("{path}: never {what}: {}", self.get(path).await.1);
    }
    async fn wait_gone(&self, path: &str) {
        for _ in 0..750 {
            if self.get(path).await.0 == 404 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("{path} is still there");
    }
}

fn git(repo: &Path, args: &[&str]) {
    let out = Command::new("git").arg("-C").arg(repo).args(args).output().expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn commit(repo: &Path, message: &str) {
    git(repo, &["add", "-A"]);
    git(repo, &["-c", "user.name=dev", "-c", "user.email=dev@example.com", "commit", "-q", "-m", message]);
}

/// Copies the repository's GitOps tree into a new git repository, its
/// Applications pointing at that repository.
fn publish_tree(repo: &Path) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../gitops");
    let url = format!("file://{}", repo.display());
    fn copy(from: &Path, to: &Path, url: &str) {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                copy(&e.path(), &to.join(e.file_name()), url);
            } else {
                let text = std::fs::read_to_string(e.path()).unwrap().replace("https://github.com/example/platform-apps.git", url);
                std::fs::write(to.join(e.file_name()), text).unwrap();
            }
        }
    }
    copy(&src, &repo.join("gitops"), &url);
    git(repo, &["init", "-q", "-b", "main"]);
    commit(repo, "the platform's GitOps tree");
}

/// The CRDs the platform's components install: Argo CD's Application, kro's, KEDA's ScaledObject, the ServiceMonitor and PrometheusRule.
fn platform_crds() -> Vec<Value> {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures");
    let argocd = std::fs::read_to_string(fixtures.join("argocd/install-v3.5.1.yaml")).unwrap();
    let application = iac_kro::yaml_documents(&argocd).unwrap().into_iter().find(|d| d["metadata"]["name"] == "applications.argoproj.io").unwrap();
    let charts = fixtures.join("charts");
    [
        "kro-0.9.3/crds/kro.run_resourcegraphdefinitions.yaml",
        "keda-2.20.2/templates/crds/crd-scaledobjects.yaml",
        "kube-prometheus-stack-88.5.3/charts/crds/crds/crd-servicemonitors.yaml",
        "kube-prometheus-stack-88.5.3/charts/crds/crds/crd-prometheusrules.yaml",
    ]
    .iter()
    .map(|rel| {
        let text = std::fs::read_to_string(charts.join(rel)).unwrap();
        let plain: String = text.lines().filter(|l| !l.contains("{{")).map(|l| format!("{l}\n")).collect();
        iac_kro::yaml_documents(&plain).unwrap().into_iter().find(|d| d["kind"] == "CustomResourceDefinition").unwrap()
    })
    .chain([application])
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn argo_cd_syncs_the_gitops_tree_and_kro_expands_the_apps() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("platform-apps");
    publish_tree(&repo);
    let sim = iac_kube_sim::start(SimOptions { rollout_delay_ms: 30, application_delay_ms: 30, git_poll_ms: 100, ..SimOptions::default() }).await.unwrap();
    let api = Api { sim, http: reqwest::Client::new() };
    for crd in platform_crds() {
        api.apply(&format!("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{}", crd["metadata"]["name"].as_str().unwrap()), &crd).await;
    }
    for ns in ["argocd", "monitoring"] {
        api.apply(&format!("/api/v1/namespaces/{ns}"), &json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})).await;
    }
    let root = json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": {"name": "root", "namespace": "argocd"},
        "spec": {"project": "default", "source": {"repoURL": format!("file://{}", repo.display()), "path": "gitops/root", "targetRevision": "main"},
                 "destination": {"server": "https://kubernetes.default.svc", "namespace": "argocd"},
                 "syncPolicy": {"automated": {"prune": true, "selfHeal": true}}}});
    api.apply("/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/root", &root).await;

    // The app of apps: root makes platform and apps, which sync their folders.
    let root = api.wait_for("/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/root", "synced", |a| a["status"]["sync"]["status"] == "Synced").await;
    assert_eq!(root["status"]["resources"].as_array().unwrap().len(), 2, "{}", root["status"]);
    let app = |n: &str| format!("/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/{n}");
    api.wait_for(&app("platform"), "synced", |a| a["status"]["sync"]["status"] == "Synced").await;
    let rgd = api.wait_for("/apis/kro.run/v1alpha1/resourcegraphdefinitions/webapp", "active", |r| r["status"]["state"] == "Active").await;
    assert_eq!(rgd["status"]["topologicalOrder"], json!(["deployment", "service", "serviceMonitor", "dashboard", "scaledObject"]));
    assert_eq!(rgd["metadata"]["annotations"]["argocd.argoproj.io/tracking-id"], "platform:kro.run/ResourceGraphDefinition:/webapp");
    let rule = api.wait_for("/apis/monitoring.coreos.com/v1/namespaces/monitoring/prometheusrules/iac-drift", "synced", |_| true).await;
    assert_eq!(rule["spec"]["groups"][0]["rules"][0]["alert"], "IacDriftDetected");
    api.wait_for("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/webapps.kro.run", "made by kro", |_| true).await;
    let apps = api.wait_for(&app("apps"), "synced", |a| a["status"]["sync"]["status"] == "Synced").await;
    assert_eq!(apps["status"]["health"]["status"], "Healthy");

    // kro expanded the storefront WebApp; its Deployment rolls out; KEDA made the HPA.
    let webapp = api.wait_for("/apis/kro.run/v1alpha1/namespaces/apps/webapps/storefront", "active", |w| w["status"]["state"] == "ACTIVE").await;
    assert_eq!(webapp["status"]["availableReplicas"], 3);
    let d = api.wait_for("/apis/apps/v1/namespaces/apps/deployments/storefront", "rolled out", |d| d["status"]["availableReplicas"] == 3).await;
    assert_eq!(d["metadata"]["labels"]["kro.run/instance-name"], "storefront");
    assert_eq!(d["metadata"]["managedFields"][0]["manager"], "kro");
    api.wait_for("/api/v1/namespaces/apps/services/storefront", "made", |_| true).await;
    api.wait_for("/api/v1/namespaces/apps/configmaps/storefront-dashboard", "labelled for Grafana", |c| c["metadata"]["labels"]["grafana_dashboard"] == "1")
        .await;
    let sm = api.wait_for("/apis/monitoring.coreos.com/v1/namespaces/apps/servicemonitors/storefront", "made", |_| true).await;
    assert_eq!(sm["metadata"]["labels"]["release"], "kube-prometheus-stack");
    let so =
        api.wait_for("/apis/keda.sh/v1alpha1/namespaces/apps/scaledobjects/storefront", "ready", |s| s["status"]["hpaName"] == "keda-hpa-storefront").await;
    assert_eq!(so["spec"]["minReplicaCount"], 3);
    let hpa = api.wait_for("/apis/autoscaling/v2/namespaces/apps/horizontalpodautoscalers/keda-hpa-storefront", "made", |_| true).await;
    assert_eq!((hpa["spec"]["minReplicas"].as_i64(), hpa["spec"]["maxReplicas"].as_i64()), (Some(3), Some(10)));

    // A commit adds an application: Argo CD's next poll syncs it.
    let mut p = iac_kro::app::AppParams::new("checkout", "ghcr.io/example/checkout:2.1.0");
    p.replicas = 4;
    std::fs::write(repo.join("gitops/apps/checkout.yaml"), iac_kro::app::render(&p)).unwrap();
    commit(&repo, "checkout");
    api.wait_for("/apis/apps/v1/namespaces/apps/deployments/checkout", "rolled out", |d| d["status"]["availableReplicas"] == 4).await;
    api.wait_for("/apis/autoscaling/v2/namespaces/apps/horizontalpodautoscalers/keda-hpa-checkout", "made", |_| true).await;

    // A commit removes one: Argo CD prunes the WebApp, kro deletes what it yielded, KEDA its HPA.
    std::fs::remove_file(repo.join("gitops/apps/storefront.yaml")).unwrap();
    commit(&repo, "storefront retires");
    api.wait_gone("/apis/kro.run/v1alpha1/namespaces/apps/webapps/storefront").await;
    api.wait_gone("/apis/apps/v1/namespaces/apps/deployments/storefront").await;
    api.wait_gone("/apis/keda.sh/v1alpha1/namespaces/apps/scaledobjects/storefront").await;
    api.wait_gone("/apis/autoscaling/v2/namespaces/apps/horizontalpodautoscalers/keda-hpa-storefront").await;
    assert_eq!(api.get("/apis/apps/v1/namespaces/apps/deployments/checkout").await.0, 200, "the other application stays");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webapp_that_breaks_the_schema_is_reported_on_the_instance() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("platform-apps");
    publish_tree(&repo);
    let sim = iac_kube_sim::start(SimOptions { rollout_delay_ms: 30, git_poll_ms: 100, ..SimOptions::default() }).await.unwrap();
    let api = Api { sim, http: reqwest::Client::new() };
    for crd in platform_crds() {
        api.apply(&format!("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{}", crd["metadata"]["name"].as_str().unwrap()), &crd).await;
    }
    let rgd = iac_kro::yaml_documents(&std::fs::read_to_string(repo.join("gitops/platform/webapp-rgd.yaml")).unwrap()).unwrap().remove(0);
    api.apply("/apis/kro.run/v1alpha1/resourcegraphdefinitions/webapp", &rgd).await;
    api.wait_for("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/webapps.kro.run", "made by kro", |_| true).await;
    api.apply("/api/v1/namespaces/apps", &json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "apps"}})).await;
    let bad =
        json!({"apiVersion": "kro.run/v1alpha1", "kind": "WebApp", "metadata": {"name": "broken", "namespace": "apps"}, "spec": {"image": "x:1", "port": 0}});
    api.apply("/apis/kro.run/v1alpha1/namespaces/apps/webapps/broken", &bad).await;
    let w = api.wait_for("/apis/kro.run/v1alpha1/namespaces/apps/webapps/broken", "in error", |w| w["status"]["state"] == "ERROR").await;
    let message = w["status"]["conditions"][1]["message"].as_str().unwrap();
    assert!(message.contains("spec.metric: Required value") && message.contains("spec.port"), "{message}");
    assert_eq!(api.get("/apis/apps/v1/namespaces/apps/deployments/broken").await.0, 404);
}
