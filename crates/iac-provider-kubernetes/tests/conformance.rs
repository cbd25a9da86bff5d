//! The kubernetes and helm providers pass the provider conformance suite
//! against the fake API server (and real helm on the KEDA chart): exact
//! plans, wholly known state that fits the schema, empty re-plans and
//! refreshes, destroy, and deletion out of band seen by refresh.

use crate::common;

use std::path::Path;

use common::*;
use iac_core::plan::Action::{Create, Update};
use iac_core::provider::ProviderFactory;
use iac_provider_kubernetes::{HelmFactory, KubernetesFactory};
use iac_testkit::conformance::provider::{check_schema, run, Case, Step};

#[test]
fn schemas_are_consistent() {
    for schema in [KubernetesFactory::with_env(Vec::new()).schema().clone(), HelmFactory::with_env(Vec::new()).schema().clone()] {
        let problems = check_schema(&schema);
        assert!(problems.is_empty(), "{problems:?}");
    }
}

fn objects(url: &str, color: &str, replicas: u32) -> String {
    format!(
        r#"{providers}
resource "kubernetes_manifest" "settings" {{
  manifest = {{
    apiVersion = "v1"
    kind       = "ConfigMap"
    metadata   = {{ name = "settings", namespace = "default" }}
    data       = {{ color = "{color}" }}
  }}
}}

resource "kubernetes_manifests" "app" {{
  namespace = "default"
  content   = <<-EOT
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: app
    spec:
      replicas: {replicas}
      selector:
        matchLabels: {{app: app}}
      template:
        metadata:
          labels: {{app: app}}
        spec:
          containers:
          - name: app
            image: nginx
    ---
    apiVersion: v1
    kind: Service
    metadata:
      name: app
    spec:
      selector: {{app: app}}
      ports:
      - port: 80
  EOT
}}
"#,
        providers = providers(url)
    )
}

#[test]
fn kubernetes_conforms() {
    rt().block_on(async {
        let sim = sim().await;
        let tmp = tempfile::tempdir().unwrap();
        let stack = tmp.path().join("stack");
        std::fs::create_dir_all(&stack).unwrap();
        let url = sim.url();
        let case = Case {
            name: "kubernetes".into(),
            steps: vec![
                Step::new(objects(&url, "blue", 1), &[("kubernetes_manifest.settings", Create), ("kubernetes_manifests.app", Create)]),
                Step::new(objects(&url, "red", 1), &[("kubernetes_manifest.settings", Update)]),
                Step::new(objects(&url, "red", 2), &[("kubernetes_manifests.app", Update)]),
            ],
            imports: Vec::new(),
            parallelism: 4,
            remote_objects: true,
        };
        run(&case, &stack, &env(tmp.path())).await;
        sim.stop().await;
    });
}

fn release(url: &str, helm: &str, replicas: u32) -> String {
    let chart = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/charts/keda-2.20.2").canonicalize().unwrap();
    format!(
        "provider \"helm\" {{\n  helm_binary      = \"{helm}\"\n  poll_interval_ms = 20\n  kubernetes {{\n    host  = \"{url}\"\n    token = \"t\"\n  }}\n}}\n\nresource \"helm_release\" \"keda\" {{\n  name             = \"keda\"\n  chart            = \"{}\"\n  namespace        = \"keda\"\n  create_namespace = true\n  set {{\n    name  = \"operator.replicaCount\"\n    value = \"{replicas}\"\n  }}\n}}\n",
        chart.display()
    )
}

#[test]
fn helm_conforms() {
    let helm = iac_testkit::tools::tool("helm").display().to_string();
    rt().block_on(async {
        let sim = sim().await;
        let tmp = tempfile::tempdir().unwrap();
        let stack = tmp.path().join("stack");
        std::fs::create_dir_all(&stack).unwrap();
        let url = sim.url();
        let case = Case {
            name: "helm".into(),
            steps: vec![
                Step::new(release(&url, &helm, 1), &[("helm_release.keda", Create)]),
                Step::new(release(&url, &helm, 2), &[("helm_release.keda", Update)]),
            ],
            imports: Vec::new(),
            parallelism: 4,
            remote_objects: true,
        };
        run(&case, &stack, &env(tmp.path())).await;
        sim.stop().await;
    });
}

fn manifest_only(url: &str, color: &str) -> String {
    format!(
        r#"{providers}
resource "kubernetes_manifest" "settings" {{
  manifest = {{
    apiVersion = "v1"
    kind       = "ConfigMap"
    metadata   = {{ name = "imported-settings", namespace = "default" }}
    data       = {{ color = "{color}" }}
  }}
}}
"#,
        providers = providers(url)
    )
}

/// `kubernetes_manifest` through the whole suite, import included (by
/// Terraform's `apiVersion//kind//namespace//name`, its `id`).
#[test]
fn kubernetes_manifest_conforms_with_import() {
    rt().block_on(async {
        let sim = sim().await;
        let tmp = tempfile::tempdir().unwrap();
        let stack = tmp.path().join("stack");
        std::fs::create_dir_all(&stack).unwrap();
        let url = sim.url();
        let case = Case {
            name: "kubernetes_manifest".into(),
            steps: vec![
                Step::new(manifest_only(&url, "blue"), &[("kubernetes_manifest.settings", Create)]),
                Step::new(manifest_only(&url, "red"), &[("kubernetes_manifest.settings", Update)]),
            ],
            imports: vec![("kubernetes_manifest.settings".into(), "id".into())],
            parallelism: 4,
            remote_objects: true,
        };
        run(&case, &stack, &env(tmp.path())).await;
        sim.stop().await;
    });
}

/// A set is imported object by object: importing a whole
/// `kubernetes_manifests` is refused with that advice (a `helm_release` is
/// imported by namespace/name: see helm_release.rs).
#[test]
fn sets_refuse_import_with_advice() {
    rt().block_on(async {
        let sim = sim().await;
        let tmp = tempfile::tempdir().unwrap();
        let env = env(tmp.path());
        let helm = iac_testkit::tools::tool("helm").display().to_string();
        let url = sim.url();
        let text = format!(
            r#"provider "kubernetes" {{
  host  = "{url}"
  token = "t"
}}
provider "helm" {{
  helm_binary = "{helm}"
  kubernetes {{
    host  = "{url}"
    token = "t"
  }}
}}
resource "kubernetes_manifests" "app" {{
  content = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n"
}}
resource "helm_release" "keda" {{
  name  = "keda"
  chart = "keda"
}}
"#
        );
        let stack = write_stack(tmp.path(), &text);
        for addr in ["kubernetes_manifests.app"] {
            let err = iac_engine::ops::import(&stack, &env, addr.parse().unwrap(), "anything".into(), Vec::new()).await.expect_err("a set cannot be imported");
            let text = format!("{err}: {err:?}");
            assert!(text.contains("import each object as a kubernetes_manifest"), "{addr}: {text}");
        }
        sim.stop().await;
    });
}
