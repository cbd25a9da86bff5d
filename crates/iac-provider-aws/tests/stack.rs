//! `stacks/eks-platform` through the engine's ops layer (as the CLI runs
//! it) against moto with the EKS layer in front: planned, applied,
//! re-planned with no changes; changes made by hand (tags, scaling) are
//! found, while the autoscaler's desired size is ignored as configured; the
//! node group updates in place and is replaced for new instance types; the
//! cluster is upgraded one minor version at a time; destroy leaves nothing.
//! The OIDC provider's thumbprint is read (`data.tls_certificate`) from
//! the issuer, which the EKS layer puts on an HTTPS server of the test's.
//! Every EKS exchange is checked against botocore's EKS model.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use iac_core::plan::{Action, Plan, PlanMode};
use iac_engine::ops::{self, Env, PlanRequest};
use iac_engine::run::RunOptions;
use iac_lang::vars::CliVar;
use serde_json::json;

/// The in-cluster half (kubernetes and helm providers, core components,
/// Argo CD); it is applied with the rest by
/// `tests/eks_platform.rs`.
const IN_CLUSTER: &str = "platform.tf";

/// The AWS half of the stack: every file but [`IN_CLUSTER`].
fn copy_stack(dir: &Path) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../stacks/eks-platform");
    let dst = dir.join("stack");
    std::fs::create_dir_all(&dst).unwrap();
    for e in std::fs::read_dir(src).unwrap().flatten() {
        if e.path().extension().is_some_and(|x| x == "tf") && e.file_name() != IN_CLUSTER {
            std::fs::copy(e.path(), dst.join(e.file_name())).unwrap();
        }
    }
    dst
}

async fn plan_vars(st: &Path, env: &Env, mode: PlanMode, vars: &[&str]) -> Plan {
    let mut v: Vec<CliVar> = vec![CliVar::Var("poll_interval_ms=20".into())];
    v.extend(vars.iter().map(|s| CliVar::Var(s.to_string())));
    ops::plan(st, env, PlanRequest { vars: v, run: RunOptions { mode, ..RunOptions::default() } })
        .await
        .unwrap_or_else(|e| panic!("plan failed: {e}: {e:?}"))
        .plan
}

pub fn eks_model() -> iac_eks_sim_layer::contract::Model {
    let venv = iac_testkit::tools::tools_dir().join("venv");
    let path = iac_eks_sim_layer::contract::find_eks_model(&venv).expect("botocore's EKS model in .tools/venv (run scripts/install-tools)");
    iac_eks_sim_layer::contract::Model::load(&path).unwrap()
}

#[test]
fn eks_platform_stack_converges_detects_drift_updates_upgrades_and_destroys() {
    let moto = iac_testkit::services::Moto::start();
    rt().block_on(async {
        // The clusters' OIDC issuers live on an HTTPS server with a test CA,
        // which the tls provider trusts (SSL_CERT_FILE, read when it first
        // connects): data.tls_certificate reads the thumbprint from it.
        let oidc_host = iac_testkit::provider_registry::ProviderRegistry::start_tls();
        let ca = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(ca.path(), oidc_host.ca_pem().expect("a test CA")).unwrap();
        std::env::set_var("SSL_CERT_FILE", ca.path());
        let behaviour = iac_eks_sim_layer::Behaviour { transition_reads: 2, oidc_issuer: Some(oidc_host.url()), ..Default::default() };
        let layer = iac_eks_sim_layer::start(&moto.endpoint(), behaviour).await.unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let st = copy_stack(tmp.path());
        let mut env = env(tmp.path(), &layer.url());
        env.registry.register(iac_provider_tls::factory());
        // Through the layer, as the provider sees AWS.
        let aws = sdk(&layer.url()).await;
        let eks = aws.eks.clone();

        let p = plan_vars(&st, &env, PlanMode::Normal, &[]).await;
        assert_eq!(p.count(Action::Create), 45, "{:?}", changes(&p));
        apply(&st, &env, p).await;
        let c = eks.describe_cluster().name("platform").send().await.unwrap().cluster().cloned().unwrap();
        assert_eq!(c.version(), Some("1.30"));
        assert_eq!(c.status().map(|s| s.as_str()), Some("ACTIVE"));
        let n = eks.describe_nodegroup().cluster_name("platform").nodegroup_name("general").send().await.unwrap().nodegroup().cloned().unwrap();
        assert_eq!(n.scaling_config().and_then(|s| s.desired_size()), Some(3));
        assert_eq!(n.taints().len(), 1);
        let ng_arn = n.nodegroup_arn().unwrap().to_string();
        // The OIDC provider follows the cluster's issuer; the data sources read the cluster.
        let issuer = c.identity().unwrap().oidc().unwrap().issuer().unwrap().to_string();
        // Stored as IAM reports it (and upstream stores it): without the scheme.
        assert_eq!(state_str(&env, "aws_iam_openid_connect_provider.cluster", "url").await, issuer.trim_start_matches("https://"));
        // Control-plane logs to the stack's log group, secrets under its KMS key.
        let logging = c.logging().map(|l| l.cluster_logging()).unwrap_or_default();
        let on: Vec<&str> = logging.iter().filter(|s| s.enabled() == Some(true)).flat_map(|s| s.types()).map(|t| t.as_str()).collect();
        assert_eq!(on, ["api", "audit", "authenticator"]);
        let key_arn = state_str(&env, "aws_kms_key.eks", "arn").await;
        assert_eq!(c.encryption_config()[0].provider().and_then(|p| p.key_arn()), Some(key_arn.as_str()));
        let state = ops::read_state(env.backend.as_ref()).await.unwrap();
        let auth = state.resources[&"data.aws_eks_cluster_auth.platform".parse().unwrap()].value();
        // The token is ephemeral: made on every run, kept in memory, never
        // stored (its shape is checked by eks_token's own tests).
        assert_eq!(auth.get("token"), Some(&iac_core::Value::Null), "the EKS token is never written to state");
        assert_eq!(auth.get("name").and_then(|v| v.as_str()), Some("platform"));
        assert_eq!(state.outputs["cluster_endpoint"].value.as_str(), c.endpoint());
        // The bucket: versioned, encrypted, not public.
        let bucket = state.outputs["artifacts_bucket"].value.as_str().unwrap().to_string();
        let v = aws.s3.get_bucket_versioning().bucket(&bucket).send().await.unwrap();
        assert_eq!(v.status().map(|s| s.as_str()), Some("Enabled"));
        let e = aws.s3.get_bucket_encryption().bucket(&bucket).send().await.unwrap();
        assert_eq!(
            e.server_side_encryption_configuration().unwrap().rules()[0].apply_server_side_encryption_by_default().unwrap().sse_algorithm().as_str(),
            "AES256"
        );
        let pab = aws.s3.get_public_access_block().bucket(&bucket).send().await.unwrap();
        assert_eq!(pab.public_access_block_configuration().and_then(|c| c.block_public_policy()), Some(true));

        let again = plan_vars(&st, &env, PlanMode::Normal, &[]).await;
        assert!(changes(&again).is_empty(), "re-plan after apply: {:?}", changes(&again));

        // The autoscaler moves the desired size: ignored, as configured.
        layer.with_state(|s| assert!(s.edit_nodegroup("platform", "general", |n| n["scalingConfig"]["desiredSize"] = json!(5))));
        let p = plan_vars(&st, &env, PlanMode::Normal, &[]).await;
        assert!(changes(&p).is_empty(), "desired_size is ignored: {:?}", changes(&p));
        // By hand: the minimum size and a cluster tag.
        layer.with_state(|s| {
            assert!(s.edit_nodegroup("platform", "general", |n| n["scalingConfig"]["minSize"] = json!(1)));
            assert!(s.edit_cluster("platform", |c| c["tags"]["owner"] = json!("someone")));
        });
        let drift = plan_vars(&st, &env, PlanMode::Normal, &[]).await;
        // The lookups naming the cluster are read at apply, after its update
        // (Terraform's read_because_dependency_pending); the OIDC provider's
        // thumbprint comes from them, so it is unknown until then.
        const CLUSTER_AND_NODES_UPDATED: [&str; 6] = [
            "Read data.aws_eks_cluster.platform",
            "Read data.aws_eks_cluster_auth.platform",
            "Read data.tls_certificate.oidc",
            "Update aws_eks_cluster.platform",
            "Update aws_eks_node_group.general",
            "Update aws_iam_openid_connect_provider.cluster",
        ];
        assert_eq!(changes(&drift), CLUSTER_AND_NODES_UPDATED, "{:?}", drift.drift);
        apply(&st, &env, drift).await;
        let n = eks.describe_nodegroup().cluster_name("platform").nodegroup_name("general").send().await.unwrap().nodegroup().cloned().unwrap();
        let s = n.scaling_config().unwrap();
        assert_eq!((s.min_size(), s.desired_size()), (Some(3), Some(5)), "min restored, the autoscaler's desired size kept");
        let c = eks.describe_cluster().name("platform").send().await.unwrap().cluster().cloned().unwrap();
        assert!(!c.tags().unwrap().contains_key("owner"));
        assert!(changes(&plan_vars(&st, &env, PlanMode::Normal, &[]).await).is_empty());

        // The node group in place: labels and the maximum size.
        let vars = ["node_labels={role = \"general\", tier = \"system\"}", "node_max_size=9"];
        let up = plan_vars(&st, &env, PlanMode::Normal, &vars).await;
        assert_eq!(changes(&up), vec!["Update aws_eks_node_group.general"]);
        apply(&st, &env, up).await;
        let n = eks.describe_nodegroup().cluster_name("platform").nodegroup_name("general").send().await.unwrap().nodegroup().cloned().unwrap();
        assert_eq!(n.nodegroup_arn(), Some(ng_arn.as_str()), "updated in place");
        assert_eq!(n.labels().and_then(|l| l.get("tier")).map(String::as_str), Some("system"));
        assert_eq!(n.scaling_config().and_then(|s| s.max_size()), Some(9));

        // The cluster two minor versions up, one UpdateClusterVersion per step,
        // then its node group (UpdateNodegroupVersion).
        let vars = ["node_labels={role = \"general\", tier = \"system\"}", "node_max_size=9", "cluster_version=1.32"];
        let up = plan_vars(&st, &env, PlanMode::Normal, &vars).await;
        assert_eq!(changes(&up), CLUSTER_AND_NODES_UPDATED);
        apply(&st, &env, up).await;
        let steps: Vec<String> = layer
            .exchanges()
            .iter()
            .filter(|x| x.method == "POST" && x.path == "/clusters/platform/updates")
            .map(|x| x.request["version"].as_str().unwrap_or("").to_string())
            .collect();
        assert_eq!(steps, ["1.31", "1.32"]);
        assert_eq!(state_str(&env, "aws_eks_cluster.platform", "version").await, "1.32");
        let n = eks.describe_nodegroup().cluster_name("platform").nodegroup_name("general").send().await.unwrap().nodegroup().cloned().unwrap();
        assert_eq!(n.version(), Some("1.32"));
        assert!(layer.exchanges().iter().any(|x| x.path == "/clusters/platform/node-groups/general/update-version"));
        assert!(changes(&plan_vars(&st, &env, PlanMode::Normal, &vars).await).is_empty());
        // A downgrade fails the plan with the reason.
        let err = ops::plan(
            &st,
            &env,
            PlanRequest {
                vars: ["cluster_version=1.31", "poll_interval_ms=20"].iter().map(|v| CliVar::Var(v.to_string())).collect(),
                run: RunOptions::default(),
            },
        )
        .await
        .err()
        .expect("a downgrade is refused");
        assert!(format!("{err:?}").contains("never downgrades"), "{err:?}");

        // New instance types replace the node group.
        let vars = ["node_labels={role = \"general\", tier = \"system\"}", "node_max_size=9", "cluster_version=1.32", "node_instance_types=[\"m5.large\"]"];
        let rep = plan_vars(&st, &env, PlanMode::Normal, &vars).await;
        assert_eq!(changes(&rep), vec!["Replace aws_eks_node_group.general"]);
        apply(&st, &env, rep).await;
        let n = eks.describe_nodegroup().cluster_name("platform").nodegroup_name("general").send().await.unwrap().nodegroup().cloned().unwrap();
        assert_ne!(n.nodegroup_arn(), Some(ng_arn.as_str()), "a new node group");
        assert_eq!(n.instance_types(), ["m5.large"]);

        let d = plan_vars(&st, &env, PlanMode::Destroy, &vars).await;
        apply(&st, &env, d).await;
        layer.with_state(|s| assert!(s.inventory().is_empty(), "EKS objects left: {:?}", s.inventory()));
        assert!(aws.vpcs().await.is_empty(), "VPCs left");
        let roles = aws.iam.list_roles().send().await.unwrap();
        assert!(roles.roles().iter().all(|r| !r.role_name().starts_with("platform-")), "roles left");
        assert!(aws.s3.list_buckets().send().await.unwrap().buckets().is_empty(), "buckets left");
        assert!(aws.iam.list_open_id_connect_providers().send().await.unwrap().open_id_connect_provider_list().is_empty());

        let problems = eks_model().check_all(&layer.exchanges());
        assert!(problems.is_empty(), "{} contract problems:\n{}", problems.len(), problems.join("\n"));
    });
}
