//! `helm_release` with the real helm (`scripts/install-tools` puts it in
//! .tools/bin) on the KEDA 2.20.2 chart, against the fake API server: the
//! plan lists the release's objects (helm's server-side dry run), helm
//! installs them (Deployments rolled out), a values change touches only
//! the objects it changes, helm uninstall removes them, and a missing helm
//! fails the plan clearly.

use crate::common;

use std::path::Path;

use common::*;
use iac_core::plan::{Action, PlanMode};

fn keda_chart() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/fixtures/charts/keda-2.20.2")
        .canonicalize()
        .expect("the KEDA chart beside the workspace")
        .display()
        .to_string()
}

fn stack(url: &str, helm: &str, replicas: u32) -> String {
    format!(
        r#"provider "helm" {{
  helm_binary      = "{helm}"
  poll_interval_ms = 20
  kubernetes {{
    host  = "{url}"
    token = "test-token"
  }}
}}

resource "helm_release" "keda" {{
  name             = "keda"
  chart            = "{chart}"
  namespace        = "keda"
  create_namespace = true
  values = [yamlencode({{
    operator = {{ replicaCount = {replicas} }}
  }})]
  set {{
    name  = "podLabels.keda.team"
    value = "platform"
  }}
}}
"#,
        chart = keda_chart()
    )
}

#[test]
fn keda_chart_installs_through_real_helm_and_tracks_its_objects() {
    let helm = iac_testkit::tools::tool("helm").display().to_string();
    rt().block_on(async {
        let sim = sim().await;
        let url = sim.url();
        let tmp = tempfile::tempdir().unwrap();
        let st = write_stack(tmp.path(), &stack(&url, &helm, 1));
        let env = env(tmp.path());

        let p = plan(&st, &env).await;
        let keys = object_keys(&change(&p, "helm_release.keda").after);
        assert!(!keys.iter().any(|k| k == "v1/Namespace/keda"), "create_namespace makes the namespace outside the release, as helm does");
        for k in [
            "apps/v1/Deployment/keda/keda-operator",
            "apiextensions.k8s.io/v1/CustomResourceDefinition/scaledobjects.keda.sh",
            "apiregistration.k8s.io/v1/APIService/v1beta1.external.metrics.k8s.io",
        ] {
            assert!(keys.iter().any(|x| x == k), "{k} is among the rendered objects: {keys:?}");
        }
        assert_eq!(keys.iter().filter(|k| k.contains("CustomResourceDefinition")).count(), 6, "the chart's CRDs are included");
        apply(&st, &env, p).await;

        let kube = Actor::new(&url).await;
        let op = kube.get(("apps/v1", "Deployment", "deployments"), Some("keda"), "keda-operator").await.expect("the operator is installed");
        assert_eq!(op["spec"]["replicas"], 1);
        assert_eq!(op["status"]["availableReplicas"], 1, "the apply waited for the rollout");
        assert_eq!(op["spec"]["template"]["metadata"]["labels"]["team"], "platform", "set values reach the templates");
        assert!(changes(&plan(&st, &env).await).is_empty(), "rendering again changes nothing");

        // A values change: only the operator's Deployment changes.
        let st = write_stack(tmp.path(), &stack(&url, &helm, 2));
        let p = plan(&st, &env).await;
        let c = change(&p, "helm_release.keda");
        assert_eq!(c.action, Action::Update);
        let (before, after) = (c.before.get("objects").unwrap().as_map().unwrap(), c.after.get("objects").unwrap().as_map().unwrap());
        let changed: Vec<&String> = after.iter().filter(|(k, v)| before.get(k.as_str()) != Some(*v)).map(|(k, _)| k).collect();
        assert_eq!(changed, vec!["apps/v1/Deployment/keda/keda-operator"]);
        let text = rendered(&p);
        assert!(text.contains("-   replicas: 1\n") && text.contains("+   replicas: 2\n"), "{text}");
        apply(&st, &env, p).await;
        assert_eq!(kube.get(("apps/v1", "Deployment", "deployments"), Some("keda"), "keda-operator").await.unwrap()["spec"]["replicas"], 2);

        destroy(&st, &env).await;
        assert!(kube.get(("apps/v1", "Deployment", "deployments"), Some("keda"), "keda-operator").await.is_none());
        assert!(kube.get(("apiextensions.k8s.io/v1", "CustomResourceDefinition", "customresourcedefinitions"), None, "scaledobjects.keda.sh").await.is_none());
        sim.stop().await;
    });
}

#[test]
fn a_missing_helm_fails_the_plan_clearly() {
    rt().block_on(async {
        let sim = sim().await;
        let tmp = tempfile::tempdir().unwrap();
        let st = write_stack(tmp.path(), &stack(&sim.url(), "/nonexistent/bin/helm", 1));
        let err = try_plan(&st, &env(tmp.path()), PlanMode::Normal).await.unwrap_err();
        assert!(err.contains("helm_release.keda") && err.contains("helm_binary /nonexistent/bin/helm does not exist"), "{err}");
        sim.stop().await;
    });
}
