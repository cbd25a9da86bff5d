//! The case Terraform cannot do in one run (hashicorp/terraform#31649): a
//! DOKS cluster and what runs in it, in one apply. The DigitalOcean
//! simulator's kubeconfig points at the fake Kubernetes API; the kubernetes
//! and helm providers are configured from the cluster's `kube_config`
//! during the apply, once the cluster exists.

use crate::platform_support;

use std::sync::Arc;

use iac_core::plan::{Action, PlanMode};
use iac_provider_digitalocean::DigitalOceanFactory;
use platform_support::*;

fn stack(do_url: &str, helm: &str, chart: &str) -> String {
    format!(
        r#"provider "digitalocean" {{
  api_endpoint         = "{do_url}"
  poll_interval_ms     = 40
  wait_timeout_seconds = 60
}}

data "digitalocean_kubernetes_versions" "current" {{
  version_prefix = "1.31."
}}

resource "digitalocean_kubernetes_cluster" "platform" {{
  name    = "platform"
  region  = "nyc1"
  version = data.digitalocean_kubernetes_versions.current.latest_version
  node_pool {{
    name       = "system"
    size       = "s-2vcpu-4gb"
    node_count = 2
  }}
}}

locals {{
  kube = digitalocean_kubernetes_cluster.platform.kube_config[0]
}}

provider "kubernetes" {{
  host                   = local.kube.host
  token                  = local.kube.token
  cluster_ca_certificate = base64decode(local.kube.cluster_ca_certificate)
  poll_interval_ms       = 20
}}

provider "helm" {{
  helm_binary      = "{helm}"
  poll_interval_ms = 20
  kubernetes {{
    host                   = local.kube.host
    token                  = local.kube.token
    cluster_ca_certificate = base64decode(local.kube.cluster_ca_certificate)
  }}
}}

resource "kubernetes_manifest" "team" {{
  manifest = {{
    apiVersion = "v1"
    kind       = "Namespace"
    metadata   = {{ name = "team" }}
  }}
}}

resource "kubernetes_manifests" "app" {{
  namespace  = "team"
  content    = <<-EOT
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: settings
    data:
      cluster: platform
  EOT
  depends_on = [kubernetes_manifest.team]
}}

resource "helm_release" "keda" {{
  name             = "keda"
  chart            = "{chart}"
  namespace        = "keda"
  create_namespace = true
}}
"#
    )
}

#[test]
fn doks_cluster_and_its_workloads_in_one_apply() {
    let helm = iac_testkit::tools::tool("helm").display().to_string();
    let chart = shared_chart("keda-2.20.2").display().to_string();
    rt().block_on(async {
        let kube_sim = sim().await;
        let mut cfg = iac_do_sim::SimConfig::fast();
        cfg.faults.rate_limit_per_minute = 0;
        cfg.kube_api_address = kube_sim.url();
        let do_sim = iac_do_sim::Simulator::start(cfg).await.expect("the DigitalOcean simulator starts");
        let tmp = tempfile::tempdir().unwrap();
        let st = write_stack(tmp.path(), &stack(&do_sim.url(), &helm, &chart));
        let mut reg = registry();
        reg.register(Arc::new(DigitalOceanFactory::with_env(vec![("DIGITALOCEAN_TOKEN".into(), "dop_v1_test".into())])));
        let env = env_with(tmp.path(), reg);

        // Before the cluster exists, the in-cluster objects are planned from the schema.
        let p = plan(&st, &env).await;
        assert_eq!(p.count(Action::Create), 4, "{:?}", changes(&p));
        assert!(change(&p, "kubernetes_manifest.team").after.get("object").is_some_and(|o| o.is_unknown()));
        assert!(change(&p, "kubernetes_manifests.app").after.get("objects").is_some_and(|o| o.is_unknown()));
        assert!(change(&p, "helm_release.keda").after.get("objects").is_some_and(|o| o.is_unknown()));

        // One apply: the cluster, then the providers configured from its kube_config, then the objects.
        apply(&st, &env, p).await;
        let kube = Actor::new(&kube_sim.url()).await;
        assert!(kube.get(("v1", "Namespace", "namespaces"), None, "team").await.is_some());
        assert_eq!(kube.get(("v1", "ConfigMap", "configmaps"), Some("team"), "settings").await.expect("the set's object")["data"]["cluster"], "platform");
        assert!(kube.get(("apps/v1", "Deployment", "deployments"), Some("keda"), "keda-operator").await.is_some());

        // The next run configures the providers at plan time and finds nothing to do.
        let again = plan(&st, &env).await;
        assert!(changes(&again).is_empty(), "{:?}", changes(&again));
        let objects = &change(&again, "kubernetes_manifests.app").after;
        assert_eq!(object_keys(objects), vec!["v1/ConfigMap/team/settings"]);

        let d = try_plan(&st, &env, PlanMode::Destroy).await.unwrap();
        apply(&st, &env, d).await;
        assert!(kube.get(("v1", "Namespace", "namespaces"), None, "team").await.is_none());
        assert!(kube.get(("apps/v1", "Deployment", "deployments"), Some("keda"), "keda-operator").await.is_none());
        do_sim.with_store(|s| assert!(s.clusters.is_empty()));
        do_sim.stop();
        kube_sim.stop().await;
    });
}

#[test]
fn a_missing_helm_fails_the_first_plan_before_the_cluster_exists() {
    // The helm provider waits on the cluster's kube_config, so it cannot be
    // configured at plan time; its preflight still finds helm missing, and
    // the plan fails before anything is created.
    let chart = shared_chart("keda-2.20.2").display().to_string();
    rt().block_on(async {
        let mut cfg = iac_do_sim::SimConfig::fast();
        cfg.faults.rate_limit_per_minute = 0;
        let do_sim = iac_do_sim::Simulator::start(cfg).await.expect("the DigitalOcean simulator starts");
        let tmp = tempfile::tempdir().unwrap();
        let st = write_stack(tmp.path(), &stack(&do_sim.url(), "/nonexistent/bin/helm", &chart));
        let mut reg = registry();
        reg.register(Arc::new(DigitalOceanFactory::with_env(vec![("DIGITALOCEAN_TOKEN".into(), "dop_v1_test".into())])));
        let env = env_with(tmp.path(), reg);
        let err = try_plan(&st, &env, PlanMode::Normal).await.unwrap_err();
        assert!(err.contains("provider helm") && err.contains("helm_binary /nonexistent/bin/helm does not exist"), "{err}");
        do_sim.with_store(|s| assert!(s.clusters.is_empty(), "nothing was created"));
        do_sim.stop();
    });
}
