//! Real kubectl against the simulator, on ArgoCD's real install manifest
//! (59 objects, 3 CRDs; the ApplicationSet CRD is too big for client-side
//! apply). kubectl comes from `scripts/install-tools`; these tests fail
//! when it is missing. Each test isolates kubectl from the user's
//! configuration (`--kubeconfig=/dev/null`, its own HOME and cache).

use std::path::PathBuf;
use std::process::Output;

use iac_kube_sim::{RunningSim, SimOptions};
use serde_json::Value;

const ARGOCD: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/fixtures/argocd/install-v3.5.1.yaml");

struct Cluster {
    rt: tokio::runtime::Runtime,
    sim: Option<RunningSim>,
    url: String,
    home: tempfile::TempDir,
    kubectl: PathBuf,
}

impl Cluster {
    fn start() -> Cluster {
        let kubectl = iac_testkit::tools::tool("kubectl");
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
        let sim = rt.block_on(iac_kube_sim::start(SimOptions { rollout_delay_ms: 50, ..SimOptions::default() })).expect("simulator starts");
        let url = sim.url();
        Cluster { rt, sim: Some(sim), url, home: tempfile::tempdir().expect("temp dir"), kubectl }
    }

    fn run(&self, args: &[&str]) -> Output {
        let cache = self.home.path().join("cache");
        std::process::Command::new(&self.kubectl)
            .arg("--kubeconfig=/dev/null")
            .arg(format!("--server={}", self.url))
            .arg(format!("--cache-dir={}", cache.display()))
            .args(args)
            .env("HOME", self.home.path())
            .env_remove("KUBECONFIG")
            .output()
            .expect("kubectl runs")
    }

    /// Runs kubectl, expecting success; returns stdout.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "kubectl {args:?} failed: {stderr}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs kubectl, expecting failure; returns stderr.
    fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(!out.status.success(), "kubectl {args:?} should fail but printed {}", String::from_utf8_lossy(&out.stdout));
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.extend(["-o", "json", "--show-managed-fields"]);
        serde_json::from_str(&self.ok(&all)).expect("kubectl prints JSON")
    }

    fn write(&self, name: &str, text: &str) -> String {
        let p = self.home.path().join(name);
        std::fs::write(&p, text).expect("write manifest");
        p.display().to_string()
    }

    fn install_argocd(&self) -> String {
        self.ok(&["create", "namespace", "argocd"]);
        self.ok(&["apply", "--server-side", "-n", "argocd", "-f", ARGOCD])
    }

    /// (kind/name → resourceVersion) of every object of the install manifest.
    fn argocd_versions(&self) -> Vec<(String, String)> {
        let list = self.json(&["get", "-n", "argocd", "-f", ARGOCD]);
        list["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|o| {
                (
                    format!("{}/{}", o["kind"].as_str().unwrap(), o["metadata"]["name"].as_str().unwrap()),
                    o["metadata"]["resourceVersion"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if let Some(sim) = self.sim.take() {
            self.rt.block_on(sim.stop());
        }
    }
}

#[test]
fn argocd_installs_with_server_side_apply_into_its_namespace() {
    let c = Cluster::start();
    let out = c.install_argocd();
    assert_eq!(out.lines().filter(|l| l.ends_with(" serverside-applied")).count(), 59, "{out}");
    assert!(out.contains("customresourcedefinition.apiextensions.k8s.io/applicationsets.argoproj.io serverside-applied"));

    let items = c.json(&["get", "-n", "argocd", "-f", ARGOCD]);
    let items = items["items"].as_array().unwrap();
    assert_eq!(items.len(), 59);
    let in_argocd = items.iter().filter(|o| o["metadata"]["namespace"] == "argocd").count();
    let cluster_scoped = items.iter().filter(|o| o["metadata"].get("namespace").is_none()).count();
    assert_eq!((in_argocd, cluster_scoped), (50, 9), "namespaced objects went into argocd, CRDs and cluster RBAC stay cluster-wide");
    for o in items {
        let m = &o["metadata"];
        assert!(m["uid"].is_string() && m["creationTimestamp"].is_string() && m["generation"] == 1, "{m}");
        assert_eq!(m["managedFields"][0]["manager"], "kubectl", "{}", o["metadata"]["name"]);
        assert_eq!(m["managedFields"][0]["operation"], "Apply");
    }

    let crds = c.json(&["get", "crd"]);
    let crds = crds["items"].as_array().unwrap();
    assert_eq!(crds.len(), 3);
    for crd in crds {
        let conditions: Vec<(&str, &str)> =
            crd["status"]["conditions"].as_array().unwrap().iter().map(|c| (c["type"].as_str().unwrap(), c["status"].as_str().unwrap())).collect();
        assert!(conditions.contains(&("Established", "True")) && conditions.contains(&("NamesAccepted", "True")), "{conditions:?}");
    }
    // The CRDs' kinds are served at once.
    let apps = c.run(&["get", "applications.argoproj.io", "-n", "argocd"]);
    assert!(apps.status.success(), "{}", String::from_utf8_lossy(&apps.stderr));
    assert!(String::from_utf8_lossy(&apps.stderr).contains("No resources found in argocd namespace."));

    let rollout = c.ok(&["rollout", "status", "-n", "argocd", "deployment/argocd-server", "--timeout=60s"]);
    assert!(rollout.contains("successfully rolled out"), "{rollout}");
    c.ok(&["wait", "-n", "argocd", "--for=condition=Available", "deployment", "--all", "--timeout=60s"]);
    let table = c.ok(&["get", "deployments", "-n", "argocd"]);
    let header: Vec<&str> = table.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(header, ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]);
    assert_eq!(table.lines().skip(1).filter(|l| l.split_whitespace().nth(1) == Some("1/1")).count(), 6, "{table}");
}

#[test]
fn reapplying_the_install_changes_no_resource_version() {
    let c = Cluster::start();
    c.install_argocd();
    c.ok(&["rollout", "status", "-n", "argocd", "statefulset/argocd-application-controller", "--timeout=60s"]);
    let before = c.argocd_versions();
    let again = c.ok(&["apply", "--server-side", "-n", "argocd", "-f", ARGOCD]);
    assert_eq!(again.lines().count(), 59);
    assert_eq!(c.argocd_versions(), before);
}

#[test]
fn another_field_manager_conflicts_until_it_forces() {
    let c = Cluster::start();
    c.install_argocd();
    let patch = c.write(
        "server-image.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: argocd-server\n  namespace: argocd\nspec:\n  template:\n    spec:\n      containers:\n      - name: argocd-server\n        image: example.com/argocd:patched\n",
    );
    let err = c.fails(&["apply", "--server-side", "--field-manager=hotfix", "-f", &patch]);
    assert!(
        err.contains("Apply failed with 1 conflict: conflict with \"kubectl\" using apps/v1: .spec.template.spec.containers[name=\"argocd-server\"].image"),
        "{err}"
    );
    assert!(err.contains("--force-conflicts"), "kubectl explains the way out: {err}");

    c.ok(&["apply", "--server-side", "--field-manager=hotfix", "--force-conflicts", "-f", &patch]);
    let d = c.json(&["get", "deployment", "argocd-server", "-n", "argocd"]);
    assert_eq!(d["spec"]["template"]["spec"]["containers"][0]["image"], "example.com/argocd:patched");
    assert!(d["spec"]["template"]["spec"]["containers"][0]["args"].is_array(), "fields the hotfix does not apply stay");
    assert_eq!(d["metadata"]["generation"], 2);
    let managers: Vec<&str> = d["metadata"]["managedFields"].as_array().unwrap().iter().map(|e| e["manager"].as_str().unwrap()).collect();
    assert!(managers.contains(&"hotfix") && managers.contains(&"kubectl"), "{managers:?}");
    let err = c.fails(&["apply", "--server-side", "-n", "argocd", "-f", ARGOCD]);
    assert!(err.contains("conflict with \"hotfix\""), "now kubectl's own re-apply conflicts: {err}");
}

#[test]
fn client_side_apply_cannot_store_the_applicationset_crd() {
    let c = Cluster::start();
    c.ok(&["create", "namespace", "argocd"]);
    let err = c.fails(&["apply", "-n", "argocd", "-f", ARGOCD]);
    assert!(
        err.contains(
            "The CustomResourceDefinition \"applicationsets.argoproj.io\" is invalid: metadata.annotations: Too long: may not be more than 262144 bytes"
        ),
        "{err}"
    );
    let crds = c.ok(&["get", "crd", "-o", "name"]);
    assert!(crds.contains("applications.argoproj.io") && !crds.contains("applicationsets.argoproj.io"), "{crds}");
}

#[test]
fn a_missing_namespace_is_reported_as_kubectl_shows_api_errors() {
    let c = Cluster::start();
    let cm = c.write("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: \"1\"\n");
    let err = c.fails(&["apply", "--server-side", "-n", "nowhere", "-f", &cm]);
    assert_eq!(err.trim(), "Error from server (NotFound): namespaces \"nowhere\" not found");
    let err = c.fails(&["get", "configmap", "settings", "-n", "default"]);
    assert_eq!(err.trim(), "Error from server (NotFound): configmaps \"settings\" not found");
}

#[test]
fn kubectl_delete_removes_the_install() {
    let c = Cluster::start();
    c.install_argocd();
    let out = c.ok(&["delete", "-n", "argocd", "-f", ARGOCD]);
    assert_eq!(out.lines().filter(|l| l.contains(" deleted")).count(), 59, "{out}");
    let rest = c.run(&["get", "all", "-n", "argocd"]);
    assert!(String::from_utf8_lossy(&rest.stderr).contains("No resources found in argocd namespace."));
    assert_eq!(c.json(&["get", "crd"])["items"], serde_json::json!([]));
    let gone = c.fails(&["get", "applications.argoproj.io", "-n", "argocd"]);
    assert!(gone.contains("the server doesn't have a resource type \"applications\""), "{gone}");
}

#[test]
fn finalizers_hold_a_deleted_object_until_they_are_removed() {
    let c = Cluster::start();
    let cm = c.write("held.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: held\n  namespace: default\n  finalizers: [example.com/hold]\n");
    c.ok(&["apply", "--server-side", "-f", &cm]);
    c.ok(&["delete", "configmap", "held", "-n", "default", "--wait=false"]);
    let held = c.json(&["get", "configmap", "held", "-n", "default"]);
    assert!(held["metadata"]["deletionTimestamp"].is_string());
    c.ok(&["patch", "configmap", "held", "-n", "default", "--type=json", "-p", r#"[{"op":"remove","path":"/metadata/finalizers"}]"#]);
    let err = c.fails(&["get", "configmap", "held", "-n", "default"]);
    assert!(err.contains("NotFound"), "{err}");
}

#[test]
fn imperative_commands_work_including_their_protobuf_bodies() {
    let c = Cluster::start();
    // `create namespace|configmap|secret|serviceaccount` send protobuf.
    c.ok(&["create", "namespace", "team"]);
    c.ok(&["create", "configmap", "settings", "-n", "team", "--from-literal=mode=fast"]);
    c.ok(&["create", "secret", "generic", "creds", "-n", "team", "--from-literal=password=hunter2"]);
    c.ok(&["create", "serviceaccount", "robot", "-n", "team"]);
    assert_eq!(c.json(&["get", "configmap", "settings", "-n", "team"])["data"], serde_json::json!({"mode": "fast"}));
    assert_eq!(c.json(&["get", "secret", "creds", "-n", "team"])["data"], serde_json::json!({"password": "aHVudGVyMg=="}));
    c.ok(&["label", "configmap", "settings", "-n", "team", "tier=web"]);
    assert_eq!(c.ok(&["get", "configmap", "-n", "team", "-l", "tier=web", "-o", "name"]).trim(), "configmap/settings");

    let web = c.write(
        "web.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: team\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: app, image: nginx}]\n",
    );
    c.ok(&["apply", "--server-side", "-f", &web]);
    c.ok(&["scale", "deployment", "web", "-n", "team", "--replicas=3"]);
    let d = c.json(&["get", "deployment", "web", "-n", "team"]);
    assert_eq!((d["spec"]["replicas"].as_i64(), d["metadata"]["generation"].as_i64()), (Some(3), Some(2)));
    let err = c.fails(&["apply", "--server-side", "-f", &web]);
    assert!(
        err.contains("conflict with \"kubectl\" with subresource \"scale\" using apps/v1: .spec.replicas"),
        "scaling out of band took .spec.replicas: {err}"
    );

    c.ok(&["delete", "namespace", "team"]);
    let err = c.fails(&["get", "namespace", "team"]);
    assert!(err.contains("NotFound"), "{err}");
    let err = c.fails(&["get", "configmap", "settings", "-n", "team"]);
    assert!(err.contains("NotFound"), "{err}");
}

#[test]
fn server_side_apply_takes_over_from_client_side_apply() {
    let c = Cluster::start();
    let web = c.write(
        "web.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: default\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: app, image: nginx:1}]\n",
    );
    c.ok(&["apply", "-f", &web]);
    let managers = |d: &Value| {
        d["metadata"]["managedFields"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e.get("subresource").is_none())
            .map(|e| e["manager"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(managers(&c.json(&["get", "deployment", "web"])), ["kubectl-client-side-apply"]);
    std::fs::write(&web, std::fs::read_to_string(&web).unwrap().replace("nginx:1", "nginx:2")).unwrap();
    c.ok(&["apply", "--server-side", "-f", &web]);
    let d = c.json(&["get", "deployment", "web"]);
    assert_eq!(managers(&d), ["kubectl", "kubectl-last-applied"], "kubectl moved ownership by rewriting managedFields");
    assert_eq!(d["spec"]["template"]["spec"]["containers"][0]["image"], "nginx:2");
}

#[test]
fn the_keda_chart_rendered_by_helm_applies_and_rolls_out() {
    let c = Cluster::start();
    let helm = iac_testkit::tools::tool("helm");
    let chart = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/fixtures/charts/keda-2.20.2");
    let out = std::process::Command::new(helm)
        .args(["template", "keda", chart, "--namespace", "keda", "--include-crds"])
        .env("HOME", c.home.path())
        .output()
        .expect("helm runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rendered = c.write("keda.yaml", &String::from_utf8_lossy(&out.stdout));
    c.ok(&["create", "namespace", "keda"]);
    let applied = c.ok(&["apply", "--server-side", "-f", &rendered]);
    assert!(applied.contains("customresourcedefinition.apiextensions.k8s.io/scaledobjects.keda.sh serverside-applied"), "{applied}");
    assert!(applied.contains("apiservice.apiregistration.k8s.io/v1beta1.external.metrics.k8s.io serverside-applied"), "{applied}");
    assert!(applied.contains("validatingwebhookconfiguration.admissionregistration.k8s.io/keda-admission serverside-applied"), "{applied}");
    let rollout = c.ok(&["rollout", "status", "-n", "keda", "deployment", "--timeout=60s"]);
    assert_eq!(rollout.matches("successfully rolled out").count(), 3, "{rollout}");
    assert_eq!(c.ok(&["get", "scaledobjects.keda.sh", "-A", "-o", "name"]), "", "the CRD's kind is served");
}

#[test]
fn an_argocd_application_syncs_and_prints_its_crd_columns() {
    let c = Cluster::start();
    c.install_argocd();
    let app = c.write(
        "root.yaml",
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: root\n  namespace: argocd\nspec:\n  project: default\n  source: {repoURL: 'https://example.com/gitops.git', path: apps, targetRevision: main}\n  destination: {server: 'https://kubernetes.default.svc', namespace: argocd}\n",
    );
    c.ok(&["apply", "--server-side", "-f", &app]);
    c.ok(&["wait", "-n", "argocd", "application/root", "--for=jsonpath={.status.health.status}=Healthy", "--timeout=60s"]);
    let table = c.ok(&["get", "applications", "-n", "argocd"]);
    let mut lines = table.lines();
    // The CRD's columns only: the API server adds no Age beside declared columns.
    assert_eq!(lines.next().unwrap().split_whitespace().collect::<Vec<_>>(), ["NAME", "SYNC", "STATUS", "HEALTH", "STATUS"], "{table}");
    assert_eq!(lines.next().unwrap().split_whitespace().take(3).collect::<Vec<_>>(), ["root", "Synced", "Healthy"]);
}

#[test]
fn invalid_objects_are_refused_with_the_api_s_causes() {
    let c = Cluster::start();
    let bad = c.write(
        "bad.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: bad\n  namespace: default\nspec:\n  selector: {matchLabels: {app: bad}}\n  template:\n    metadata: {labels: {app: other}}\n    spec:\n      containers: [{name: app}]\n",
    );
    let err = c.fails(&["apply", "--server-side", "-f", &bad]);
    assert!(err.contains("The Deployment \"bad\" is invalid"), "{err}");
    assert!(err.contains("spec.template.metadata.labels: Invalid value"), "{err}");
    assert!(err.contains("spec.template.spec.containers[0].image: Required value"), "{err}");
}
