//! The typed resources on the server-side apply core, against the fake API
//! server: fields another manager sets are not drift, a change to a field
//! iac owns is (and the plan puts it back), and the provider's
//! `ignore_labels`/`ignore_annotations` leave matching keys as state has
//! them; a deployment drifts only on the fields it sets, its tolerations,
//! affinity and security contexts among them.

use crate::common;

use common::*;
use iac_core::plan::PlanMode;
use serde_json::json;

const CONFIGMAP: Kind = ("v1", "ConfigMap", "configmaps");

fn stack(url: &str) -> String {
    format!(
        r#"provider "kubernetes" {{
  host               = "{url}"
  token              = "test-token"
  poll_interval_ms   = 20
  ignore_labels      = ["^example\\.com/"]
  ignore_annotations = ["^checksum/"]
}}

resource "kubernetes_config_map_v1" "settings" {{
  metadata {{
    name        = "settings"
    labels      = {{ app = "web", "example.com/tier" = "gold" }}
    annotations = {{ "checksum/config" = "abc" }}
  }}
  data = {{ color = "blue" }}
}}
"#
    )
}

#[test]
fn only_owned_fields_drift_and_ignored_keys_never_do() {
    rt().block_on(async {
        let sim = sim().await;
        let url = sim.url();
        let tmp = tempfile::tempdir().unwrap();
        let env = env(tmp.path());
        let st = write_stack(tmp.path(), &stack(&url));
        converge(&st, &env).await;
        let kube = Actor::new(&url).await;
        let cm = kube.get(CONFIGMAP, Some("default"), "settings").await.expect("made");
        assert_eq!(cm["data"]["color"], "blue");
        assert_eq!(cm["metadata"]["labels"]["example.com/tier"], "gold");

        // Another manager adds keys iac does not own: not drift.
        kube.merge(CONFIGMAP, Some("default"), "settings", "kubectl-edit", json!({"metadata": {"labels": {"team": "x"}}, "data": {"extra": "1"}})).await;
        let p = try_plan(&st, &env, PlanMode::RefreshOnly).await.unwrap();
        assert!(p.drift.is_empty(), "keys iac does not own are not drift: {:?}", p.drift);

        // It changes keys iac owns but the provider ignores: still not drift.
        kube.merge(
            CONFIGMAP,
            Some("default"),
            "settings",
            "kubectl-edit",
            json!({"metadata": {"labels": {"example.com/tier": "silver"}, "annotations": {"checksum/config": "def"}}}),
        )
        .await;
        let p = try_plan(&st, &env, PlanMode::RefreshOnly).await.unwrap();
        assert!(p.drift.is_empty(), "ignored labels and annotations are not drift: {:?}", p.drift);

        // It changes a key iac owns: drift, and the plan puts it back.
        kube.merge(CONFIGMAP, Some("default"), "settings", "kubectl-edit", json!({"data": {"color": "red"}})).await;
        let p = try_plan(&st, &env, PlanMode::RefreshOnly).await.unwrap();
        assert_eq!(p.drift.len(), 1, "{:?}", p.drift);
        let p = plan(&st, &env).await;
        assert_eq!(changes(&p), vec!["Update kubernetes_config_map_v1.settings"]);
        apply(&st, &env, p).await;
        let cm = kube.get(CONFIGMAP, Some("default"), "settings").await.unwrap();
        assert_eq!(cm["data"]["color"], "blue", "put back");
        assert_eq!(cm["data"]["extra"], "1", "the other manager's key stays");
        sim.stop().await;
    });
}

const DEPLOYMENT: Kind = ("apps/v1", "Deployment", "deployments");

fn deployment(url: &str) -> String {
    format!(
        r#"{providers}
resource "kubernetes_deployment_v1" "web" {{
  metadata {{
    name = "web"
  }}
  spec {{
    selector {{
      match_labels = {{ app = "web" }}
    }}
    template {{
      metadata {{
        labels = {{ app = "web" }}
      }}
      spec {{
        container {{
          name  = "web"
          image = "nginx:1.25"
          port {{
            container_port = 80
          }}
        }}
      }}
    }}
  }}
}}
"#,
        providers = providers(url)
    )
}

/// A deployment: what the rollout controller writes and a replica count
/// an autoscaler sets (the configuration leaves `replicas` out) are not
/// drift; an image another manager changes is, and the plan puts it back.
#[test]
fn a_deployment_drifts_only_on_what_it_sets() {
    rt().block_on(async {
        let sim = sim().await;
        let url = sim.url();
        let tmp = tempfile::tempdir().unwrap();
        let env = env(tmp.path());
        let st = write_stack(tmp.path(), &deployment(&url));
        converge(&st, &env).await;
        let kube = Actor::new(&url).await;
        let d = kube.get(DEPLOYMENT, Some("default"), "web").await.expect("made");
        assert_eq!(d["spec"]["template"]["spec"]["containers"][0]["image"], "nginx:1.25");
        assert!(d["status"]["readyReplicas"].as_i64().is_some(), "the apply waited for the rollout: {}", d["status"]);

        kube.merge(DEPLOYMENT, Some("default"), "web", "autoscaler", json!({"spec": {"replicas": 4}})).await;
        let p = try_plan(&st, &env, PlanMode::RefreshOnly).await.unwrap();
        assert!(p.drift.is_empty(), "replicas left to an autoscaler are not drift: {:?}", p.drift);
        assert!(changes(&plan(&st, &env).await).is_empty());

        kube.merge(
            DEPLOYMENT,
            Some("default"),
            "web",
            "kubectl-edit",
            json!({"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}}}),
        )
        .await;
        let p = try_plan(&st, &env, PlanMode::RefreshOnly).await.unwrap();
        assert_eq!(p.drift.len(), 1, "{:?}", p.drift);
        let p = plan(&st, &env).await;
        assert_eq!(changes(&p), vec!["Update kubernetes_deployment_v1.web"]);
        apply(&st, &env, p).await;
        let d = kube.get(DEPLOYMENT, Some("default"), "web").await.unwrap();
        assert_eq!(d["spec"]["template"]["spec"]["containers"][0]["image"], "nginx:1.25", "put back");
        assert_eq!(d["spec"]["replicas"], 4, "the autoscaler's count stays");
        sim.stop().await;
    });
}

fn scheduled(url: &str) -> String {
    format!(
        r#"{providers}
resource "kubernetes_deployment_v1" "api" {{
  metadata {{
    name = "api"
  }}
  spec {{
    selector {{
      match_labels = {{ app = "api" }}
    }}
    template {{
      metadata {{
        labels = {{ app = "api" }}
      }}
      spec {{
        toleration {{
          key      = "dedicated"
          value    = "api"
          effect   = "NoSchedule"
        }}
        affinity {{
          pod_anti_affinity {{
            preferred_during_scheduling_ignored_during_execution {{
              weight = 100
              pod_affinity_term {{
                topology_key = "kubernetes.io/hostname"
                label_selector {{
                  match_labels = {{ app = "api" }}
                }}
              }}
            }}
          }}
        }}
        security_context {{
          run_as_non_root = true
          run_as_user     = "1000"
        }}
        container {{
          name  = "api"
          image = "registry.example/api:1"
          security_context {{
            read_only_root_filesystem = true
            capabilities {{
              drop = ["ALL"]
            }}
          }}
          lifecycle {{
            pre_stop {{
              exec {{
                command = ["/bin/drain", "--grace", "5"]
              }}
            }}
          }}
          volume_mount {{
            name       = "node-logs"
            mount_path = "/node/logs"
            read_only  = true
          }}
        }}
        volume {{
          name = "node-logs"
          host_path {{
            path = "/var/log"
            type = "Directory"
          }}
        }}
      }}
    }}
  }}
}}
"#,
        providers = providers(url)
    )
}

/// Scheduling constraints, security contexts, a lifecycle hook and a
/// host_path volume reach the API as upstream sends them; scheduling and
/// security are the configuration's:
/// another manager's toleration, pod user or container capability is drift,
/// and the plan puts each back; the re-plan after that is empty.
#[test]
fn tolerations_affinity_and_security_contexts_drift_and_are_put_back() {
    rt().block_on(async {
        let sim = sim().await;
        let url = sim.url();
        let tmp = tempfile::tempdir().unwrap();
        let env = env(tmp.path());
        let st = write_stack(tmp.path(), &scheduled(&url));
        converge(&st, &env).await;
        let kube = Actor::new(&url).await;
        let pod = |d: &serde_json::Value| d["spec"]["template"]["spec"].clone();
        let d = kube.get(DEPLOYMENT, Some("default"), "api").await.expect("made");
        assert_eq!(pod(&d)["tolerations"], json!([{"key": "dedicated", "operator": "Equal", "value": "api", "effect": "NoSchedule"}]));
        assert_eq!(pod(&d)["securityContext"], json!({"runAsNonRoot": true, "runAsUser": 1000}));
        assert_eq!(pod(&d)["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"][0]["weight"], 100);
        let sc = &pod(&d)["containers"][0]["securityContext"];
        assert_eq!(
            (sc["readOnlyRootFilesystem"].clone(), sc["allowPrivilegeEscalation"].clone(), sc["privileged"].clone()),
            (json!(true), json!(true), json!(false)),
            "upstream's defaults are sent: {sc}"
        );
        assert_eq!(pod(&d)["containers"][0]["lifecycle"], json!({"preStop": {"exec": {"command": ["/bin/drain", "--grace", "5"]}}}));
        assert_eq!(pod(&d)["volumes"], json!([{"name": "node-logs", "hostPath": {"path": "/var/log", "type": "Directory"}}]));
        assert_eq!(pod(&d)["containers"][0]["volumeMounts"][0]["mountPath"], "/node/logs");
        assert!(changes(&plan(&st, &env).await).is_empty(), "an applied deployment plans no change");

        kube.merge(
            DEPLOYMENT,
            Some("default"),
            "api",
            "kubectl-edit",
            json!({"spec": {"template": {"spec": {
                "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "batch", "effect": "NoSchedule"}],
                "securityContext": {"runAsUser": 0},
                "containers": [{"name": "api", "image": "registry.example/api:1", "securityContext": {"capabilities": {"add": ["SYS_ADMIN"]}}}]
            }}}}),
        )
        .await;
        let p = try_plan(&st, &env, PlanMode::RefreshOnly).await.unwrap();
        assert_eq!(p.drift.len(), 1, "{:?}", p.drift);
        let p = plan(&st, &env).await;
        assert_eq!(changes(&p), vec!["Update kubernetes_deployment_v1.api"]);
        apply(&st, &env, p).await;
        let d = kube.get(DEPLOYMENT, Some("default"), "api").await.unwrap();
        assert_eq!(pod(&d)["tolerations"][0]["value"], "api", "put back");
        assert_eq!(pod(&d)["securityContext"]["runAsUser"], 1000, "put back");
        assert_eq!(pod(&d)["containers"][0]["securityContext"]["capabilities"]["drop"], json!(["ALL"]), "put back");
        assert!(changes(&plan(&st, &env).await).is_empty(), "after putting it back");

        // The API server's rules for tolerations hold (the simulator's too): Exists takes no value.
        let invalid = scheduled(&url).replace("          value    = \"api\"\n", "          operator = \"Exists\"\n          value    = \"api\"\n");
        assert_ne!(invalid, scheduled(&url));
        let st = write_stack(tmp.path(), &invalid);
        let err = match try_plan(&st, &env, PlanMode::Normal).await {
            Err(e) => e,
            Ok(p) => try_apply(&st, &env, p).await.expect_err("the API refuses the toleration"),
        };
        assert!(err.contains("tolerations[0].operator") && err.contains("value must be empty when `operator` is 'Exists'"), "{err}");
        sim.stop().await;
    });
}
