//! `stacks/eks-platform` whole, through the engine as the CLI runs it:
//! network, IAM, the EKS cluster and its node group on moto (the EKS layer
//! in front, reporting the fake Kubernetes API as the cluster's endpoint),
//! then, with the kubernetes and helm providers configured from
//! `aws_eks_cluster` and `data.aws_eks_cluster_auth`, KEDA and Karpenter
//! 1.14.1 (the vendored charts) on an IRSA role with its EC2NodeClass and
//! NodePool, and Argo CD with its root Application, in one apply; a no-op
//! re-plan; and a destroy that leaves moto and the Kubernetes API as they
//! started.

mod platform_support;

use std::sync::Arc;

use iac_core::plan::{Action, PlanMode};
use iac_engine::ops::{self, PlanRequest};
use iac_engine::run::RunOptions;
use iac_lang::vars::CliVar;
use iac_provider_aws::AwsFactory;
use iac_provider_kubernetes::{HelmFactory, KubernetesFactory};
use kube::api::{ApiResource, DynamicObject, ListParams};
use platform_support::*;
use serde_json::{json, Value as Json};

const ACCESS_KEY: &str = "AKIATESTMOTO000000001";
const SECRET_KEY: &str = "moto-secret-key-never-shown-0123456789";

const NODE_POOL: Kind = ("karpenter.sh/v1", "NodePool", "nodepools");
const NODE_CLASS: Kind = ("karpenter.k8s.aws/v1", "EC2NodeClass", "ec2nodeclasses");
const APPLICATION: Kind = ("argoproj.io/v1alpha1", "Application", "applications");
const DEPLOYMENT: Kind = ("apps/v1", "Deployment", "deployments");
const SERVICE_ACCOUNT: Kind = ("v1", "ServiceAccount", "serviceaccounts");

struct Aws {
    ec2: aws_sdk_ec2::Client,
    iam: aws_sdk_iam::Client,
    s3: aws_sdk_s3::Client,
}

async fn aws(endpoint: &str) -> Aws {
    let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_credential_types::Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "test"))
        .endpoint_url(endpoint)
        .load()
        .await;
    let s3 = aws_sdk_s3::config::Builder::from(&conf).force_path_style(true).build();
    Aws { ec2: aws_sdk_ec2::Client::new(&conf), iam: aws_sdk_iam::Client::new(&conf), s3: aws_sdk_s3::Client::from_conf(s3) }
}

impl Aws {
    /// VPCs other than the default one moto starts with.
    async fn vpcs(&self) -> Vec<String> {
        let out = self.ec2.describe_vpcs().send().await.unwrap();
        out.vpcs().iter().filter(|v| v.is_default() != Some(true)).filter_map(|v| v.vpc_id().map(str::to_string)).collect()
    }
    async fn platform_roles(&self) -> Vec<String> {
        let out = self.iam.list_roles().send().await.unwrap();
        out.roles().iter().map(|r| r.role_name().to_string()).filter(|n| n.starts_with("platform-")).collect()
    }
}

/// Names of every object of a kind, cluster-wide.
async fn names(kube: &Actor, (api_version, kind, plural): Kind) -> Vec<String> {
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    let ar = ApiResource { group: group.into(), version: version.into(), api_version: api_version.into(), kind: kind.into(), plural: plural.into() };
    let api: kube::Api<DynamicObject> = kube::Api::all_with(kube.client.clone(), &ar);
    let mut v: Vec<String> = api.list(&ListParams::default()).await.unwrap().items.into_iter().filter_map(|o| o.metadata.name).collect();
    v.sort();
    v
}

fn env_var(c: &Json, name: &str) -> Option<String> {
    c["env"].as_array()?.iter().find(|e| e["name"] == name).and_then(|e| e["value"].as_str()).map(str::to_string)
}

#[test]
fn eks_platform_stack_builds_cluster_core_components_and_argocd_in_one_apply() {
    let helm = iac_testkit::tools::tool("helm").display().to_string();
    let keda = shared_chart("keda-2.20.2");
    let kro = shared_chart("kro-0.9.3");
    let karpenter = shared_chart("karpenter-1.14.1");
    let moto = iac_testkit::services::Moto::start();
    rt().block_on(async {
        let kube_sim = sim().await;
        // The clusters' OIDC issuers live on an HTTPS server with a test CA,
        // which the tls provider trusts (SSL_CERT_FILE, read when it first
        // connects): data.tls_certificate reads the thumbprint from it.
        let oidc_host = iac_testkit::provider_registry::ProviderRegistry::start_tls();
        let ca = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(ca.path(), oidc_host.ca_pem().expect("a test CA")).unwrap();
        std::env::set_var("SSL_CERT_FILE", ca.path());
        let behaviour =
            iac_eks_sim_layer::Behaviour { transition_reads: 1, kube_api: Some(kube_sim.url()), oidc_issuer: Some(oidc_host.url()), ..Default::default() };
        let layer = iac_eks_sim_layer::start(&moto.endpoint(), behaviour).await.expect("the EKS layer starts");
        let kube = Actor::new(&kube_sim.url()).await;
        let cluster_wide = [
            ("v1", "Namespace", "namespaces"),
            ("apiextensions.k8s.io/v1", "CustomResourceDefinition", "customresourcedefinitions"),
            ("rbac.authorization.k8s.io/v1", "ClusterRole", "clusterroles"),
        ];
        let mut before = Vec::new();
        for k in cluster_wide {
            before.push(names(&kube, k).await);
        }

        // The stack and its modules, laid out as in the repository.
        let tmp = tempfile::tempdir().unwrap();
        copy_dir(&workspace().join("stacks/eks-platform"), &tmp.path().join("stacks/eks-platform"));
        copy_dir(&workspace().join("stacks/modules"), &tmp.path().join("stacks/modules"));
        let st = tmp.path().join("stacks/eks-platform");
        let layer_url = layer.url();
        let aws_env =
            [("AWS_ACCESS_KEY_ID", ACCESS_KEY), ("AWS_SECRET_ACCESS_KEY", SECRET_KEY), ("AWS_REGION", "us-east-1"), ("AWS_ENDPOINT_URL", layer_url.as_str())];
        let mut reg = iac_engine::providers::Registry::new();
        reg.register(Arc::new(AwsFactory::with_env(aws_env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())));
        reg.register(Arc::new(KubernetesFactory::with_env(Vec::new())));
        reg.register(Arc::new(HelmFactory::with_env(vec![("HELM_BINARY".into(), helm)])));
        reg.register(iac_provider_tls::factory());
        let env = env_with(tmp.path(), reg);
        let vars = || {
            vec![
                CliVar::Var("poll_interval_ms=20".into()),
                CliVar::Var(format!("keda_chart={}", keda.display())),
                CliVar::Var(format!("karpenter_chart={}", karpenter.display())),
                CliVar::Var(format!("kro_chart={}", kro.display())),
                CliVar::Var("enable_kube_prometheus_stack=false".into()),
                CliVar::Var("enable_opentelemetry_collector=false".into()),
            ]
        };
        let plan_with = |mode| ops::plan(&st, &env, PlanRequest { vars: vars(), run: RunOptions { mode, ..RunOptions::default() } });

        // One plan while no cluster exists: the in-cluster objects are to be created too.
        let p = plan_with(PlanMode::Normal).await.unwrap_or_else(|e| panic!("plan: {e}: {e:?}")).plan;
        let created: Vec<String> = p.changes.iter().filter(|c| c.action == Action::Create).map(|c| c.addr.to_string()).collect();
        let mut in_cluster: Vec<&str> = created.iter().map(String::as_str).filter(|a| a.starts_with("module.") || a.contains("karpenter")).collect();
        in_cluster.sort();
        assert_eq!(
            in_cluster,
            vec![
                "aws_cloudwatch_event_rule.karpenter_interruption[\"health_event\"]",
                "aws_cloudwatch_event_rule.karpenter_interruption[\"instance_rebalance\"]",
                "aws_cloudwatch_event_rule.karpenter_interruption[\"instance_state_change\"]",
                "aws_cloudwatch_event_rule.karpenter_interruption[\"spot_interruption\"]",
                "aws_cloudwatch_event_target.karpenter_interruption[\"health_event\"]",
                "aws_cloudwatch_event_target.karpenter_interruption[\"instance_rebalance\"]",
                "aws_cloudwatch_event_target.karpenter_interruption[\"instance_state_change\"]",
                "aws_cloudwatch_event_target.karpenter_interruption[\"spot_interruption\"]",
                "aws_iam_policy.karpenter_controller",
                "aws_iam_role.karpenter_controller",
                "aws_iam_role_policy_attachment.karpenter_controller_own",
                "aws_sqs_queue.karpenter_interruption",
                "aws_sqs_queue_policy.karpenter_interruption",
                "module.argocd.kubernetes_manifest.namespace",
                "module.argocd.kubernetes_manifest.root_app",
                "module.argocd.kubernetes_manifests.install",
                "module.core_components.helm_release.karpenter[0]",
                "module.core_components.helm_release.keda[0]",
                "module.core_components.helm_release.kro[0]",
                "module.core_components.kubernetes_manifest.karpenter_node_class[0]",
                "module.core_components.kubernetes_manifest.karpenter_node_pool[0]",
                "module.drift_job[0].kubernetes_manifest.cronjob",
                "module.drift_job[0].kubernetes_manifest.namespace",
            ]
        );
        assert_eq!(created.len(), 35 + in_cluster.len(), "the AWS half plus the in-cluster half: {created:?}");

        let out = ops::apply(&st, &env, p, 10).await.unwrap_or_else(|e| panic!("apply: {e}: {e:?}"));
        assert_eq!(out.state.outputs["argocd_objects"].value.to_json(), json!(59));
        assert_eq!(out.state.outputs["core_releases"].value.to_json(), json!(["keda", "kro", "karpenter"]));
        assert_eq!(out.state.outputs["cluster_endpoint"].value.to_json(), json!(kube_sim.url()), "the providers talked to the cluster's endpoint");

        // Argo CD rolled out, its root Application Synced and Healthy.
        let server = kube.get(DEPLOYMENT, Some("argocd"), "argocd-server").await.expect("Argo CD is installed");
        assert!(server["status"]["availableReplicas"].as_i64().unwrap_or(0) >= 1);
        let root = kube.get(APPLICATION, Some("argocd"), "root").await.expect("the root Application");
        assert_eq!(
            (root["status"]["sync"]["status"].as_str(), root["status"]["health"]["status"].as_str()),
            (Some("Synced"), Some("Healthy")),
            "the apply waited for it"
        );
        assert!(kube.get(DEPLOYMENT, Some("keda"), "keda-operator").await.is_some());

        // Karpenter: the controller's service account assumes the IRSA role,
        // whose trust policy names that very service account on the cluster's OIDC provider.
        let role_arn = out.state.outputs["karpenter_controller_role_arn"].value.as_str().unwrap().to_string();
        let sa = kube.get(SERVICE_ACCOUNT, Some("kube-system"), "karpenter").await.expect("Karpenter's service account");
        assert_eq!(sa["metadata"]["annotations"]["eks.amazonaws.com/role-arn"], json!(role_arn));
        let state = ops::read_state(env.backend.as_ref()).await.unwrap();
        let attr = |addr: &str, a: &str| {
            state.resources[&addr.parse().unwrap()].value().get(a).and_then(|v| v.as_str().map(str::to_string)).unwrap_or_else(|| panic!("{addr}.{a}"))
        };
        let trust: Json = serde_json::from_str(&attr("aws_iam_role.karpenter_controller", "assume_role_policy")).unwrap();
        let oidc_arn = attr("aws_iam_openid_connect_provider.cluster", "arn");
        let issuer = attr("aws_iam_openid_connect_provider.cluster", "url").trim_start_matches("https://").to_string();
        let statement = &trust["Statement"][0];
        assert_eq!(
            (statement["Principal"]["Federated"].as_str(), statement["Action"].as_str()),
            (Some(oidc_arn.as_str()), Some("sts:AssumeRoleWithWebIdentity"))
        );
        assert_eq!(
            statement["Condition"]["StringEquals"],
            json!({ format!("{issuer}:sub"): "system:serviceaccount:kube-system:karpenter", format!("{issuer}:aud"): "sts.amazonaws.com" })
        );
        let a = aws(&layer.url()).await;
        let role = a.iam.get_role().role_name("platform-karpenter-controller").send().await.unwrap();
        assert_eq!(role.role().map(|r| r.arn()), Some(role_arn.as_str()));
        // Its permissions: the stack's own controller policy, attached, scoped to this cluster.
        let policy_arn = attr("aws_iam_policy.karpenter_controller", "arn");
        let attached = a.iam.list_attached_role_policies().role_name("platform-karpenter-controller").send().await.unwrap();
        assert_eq!(attached.attached_policies().iter().filter_map(|p| p.policy_arn()).collect::<Vec<_>>(), [policy_arn.as_str()]);
        let policy = a.iam.get_policy().policy_arn(&policy_arn).send().await.unwrap();
        let version = policy.policy().and_then(|p| p.default_version_id()).expect("a default version").to_string();
        let doc = a.iam.get_policy_version().policy_arn(&policy_arn).version_id(version).send().await.unwrap();
        let doc = doc.policy_version().and_then(|v| v.document()).expect("a document").to_string();
        let doc: Json = serde_json::from_str(&percent_encoding::percent_decode_str(&doc).decode_utf8().unwrap()).unwrap();
        let statement = |sid: &str| doc["Statement"].as_array().unwrap().iter().find(|s| s["Sid"] == sid).unwrap_or_else(|| panic!("statement {sid}")).clone();
        let nodes_arn = attr("aws_iam_role.nodes", "arn");
        assert_eq!(
            (statement("AllowPassingInstanceRole")["Action"].as_str(), statement("AllowPassingInstanceRole")["Resource"].as_str()),
            (Some("iam:PassRole"), Some(nodes_arn.as_str()))
        );
        assert_eq!(statement("AllowScopedDeletion")["Condition"]["StringEquals"], json!({ "aws:ResourceTag/kubernetes.io/cluster/platform": "owned" }));
        let launch = statement("AllowScopedEC2InstanceActionsWithTags");
        assert!(launch["Action"].as_array().unwrap().contains(&json!("ec2:CreateFleet")), "{launch}");
        assert_eq!(launch["Condition"]["StringEquals"]["aws:RequestTag/eks:eks-cluster-name"], json!("platform"));
        for (sid, action) in [
            ("AllowPricingReadActions", "pricing:GetProducts"),
            ("AllowSSMReadActions", "ssm:GetParameter"),
            ("AllowAPIServerEndpointDiscovery", "eks:DescribeCluster"),
        ] {
            assert_eq!(statement(sid)["Action"], json!(action));
        }
        let controller = kube.get(DEPLOYMENT, Some("kube-system"), "karpenter").await.expect("Karpenter's controller");
        let c = &controller["spec"]["template"]["spec"]["containers"][0];
        assert_eq!((env_var(c, "CLUSTER_NAME"), env_var(c, "CLUSTER_ENDPOINT")), (Some("platform".into()), Some(kube_sim.url())));
        // Interruption handling: the controller reads the queue EventBridge
        // feeds, and its policy lets it.
        assert_eq!(env_var(c, "INTERRUPTION_QUEUE").as_deref(), Some("platform-karpenter"));
        assert_eq!(out.state.outputs["karpenter_interruption_queue"].value.to_json(), json!("platform-karpenter"));
        let queue_arn = attr("aws_sqs_queue.karpenter_interruption", "arn");
        assert_eq!(statement("AllowInterruptionQueueActions")["Resource"], json!(queue_arn));
        for rule in ["health_event", "instance_rebalance", "instance_state_change", "spot_interruption"] {
            let target = format!("aws_cloudwatch_event_target.karpenter_interruption[\"{rule}\"]");
            assert_eq!(attr(&target, "arn"), queue_arn, "{target}");
        }
        let queue_policy: Json = serde_json::from_str(&attr("aws_sqs_queue_policy.karpenter_interruption", "policy")).unwrap();
        let mut senders: Vec<&str> = queue_policy["Statement"][0]["Principal"]["Service"].as_array().unwrap().iter().filter_map(|s| s.as_str()).collect();
        senders.sort();
        assert_eq!(senders, ["events.amazonaws.com", "sqs.amazonaws.com"]);
        // The OIDC provider's thumbprint is the issuer's certificate's, read over TLS.
        let read = state.resources[&"data.tls_certificate.oidc".parse().unwrap()].value().clone();
        let first = &read.get("certificates").and_then(|c| c.as_list()).expect("certificates")[0];
        assert_eq!(first.get("subject").and_then(|s| s.as_str()), Some("CN=127.0.0.1"), "the issuer's server certificate");
        let oidc = state.resources[&"aws_iam_openid_connect_provider.cluster".parse().unwrap()].value().clone();
        assert_eq!(oidc.get("thumbprint_list").and_then(|t| t.as_list()).map(|t| t.to_vec()), Some(vec![first.get("sha1_fingerprint").cloned().unwrap()]));
        // Control-plane logs and envelope encryption with the stack's key.
        let cluster = state.resources[&"aws_eks_cluster.platform".parse().unwrap()].value().to_json();
        assert_eq!(cluster["enabled_cluster_log_types"], json!(["api", "audit", "authenticator"]));
        assert_eq!(cluster["encryption_config"][0]["provider"][0]["key_arn"], json!(attr("aws_kms_key.eks", "arn")));
        // The default EC2NodeClass launches nodes with the node group's role
        // into the subnets tagged for discovery; the NodePool uses it.
        let class = kube.get(NODE_CLASS, None, "default").await.expect("the default EC2NodeClass");
        assert_eq!(class["spec"]["role"], json!("platform-eks-nodes"));
        assert_eq!(class["spec"]["subnetSelectorTerms"], json!([{ "tags": { "karpenter.sh/discovery": "platform" } }]));
        let tagged = a
            .ec2
            .describe_subnets()
            .filters(aws_sdk_ec2::types::Filter::builder().name("tag:karpenter.sh/discovery").values("platform").build())
            .send()
            .await
            .unwrap();
        assert_eq!(tagged.subnets().len(), 2, "the private subnets are discoverable");
        let pool = kube.get(NODE_POOL, None, "default").await.expect("the default NodePool");
        assert_eq!(pool["spec"]["template"]["spec"]["nodeClassRef"], json!({ "group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "default" }));

        let again = plan_with(PlanMode::Normal).await.expect("plan").plan;
        assert!(changes(&again).is_empty(), "re-plan after apply: {:?}", changes(&again));

        // Switched off (as offline runs do), Karpenter's chart and its
        // default NodePool and EC2NodeClass go; its IAM role stays.
        let mut off = vars();
        off.push(CliVar::Var("enable_karpenter=false".into()));
        let off = ops::plan(&st, &env, PlanRequest { vars: off, run: RunOptions::default() }).await.expect("plan with Karpenter off").plan;
        let mut gone = changes(&off);
        gone.sort();
        assert_eq!(
            gone,
            vec![
                "Delete module.core_components.helm_release.karpenter[0]",
                "Delete module.core_components.kubernetes_manifest.karpenter_node_class[0]",
                "Delete module.core_components.kubernetes_manifest.karpenter_node_pool[0]",
            ]
        );

        let d = plan_with(PlanMode::Destroy).await.expect("destroy plan").plan;
        ops::apply(&st, &env, d, 10).await.unwrap_or_else(|e| panic!("destroy: {e}: {e:?}"));
        // The Kubernetes API as it started, but for what helm uninstall
        // leaves by design: the namespaces create_namespace made and the
        // CRDs of the charts' crds/ directories (Helm never deletes those).
        let helm_leaves = |kind: &str, name: &str| match kind {
            "Namespace" => ["keda", "kro-system"].contains(&name),
            "CustomResourceDefinition" => [".karpenter.sh", ".karpenter.k8s.aws", ".autoscaling.x-k8s.io", ".kro.run"].iter().any(|g| name.ends_with(g)),
            _ => false,
        };
        for (k, before) in cluster_wide.into_iter().zip(before) {
            let left: Vec<String> = names(&kube, k).await.into_iter().filter(|n| before.contains(n) || !helm_leaves(k.1, n)).collect();
            assert_eq!(left, before, "{} left", k.1);
        }
        assert!(kube.get(DEPLOYMENT, Some("kube-system"), "karpenter").await.is_none());
        assert!(kube.get(SERVICE_ACCOUNT, Some("kube-system"), "karpenter").await.is_none());
        // And moto: no cluster, network, roles, OIDC provider or bucket left.
        layer.with_state(|s| assert!(s.inventory().is_empty(), "EKS objects left: {:?}", s.inventory()));
        assert!(a.vpcs().await.is_empty(), "VPCs left");
        assert!(a.platform_roles().await.is_empty(), "roles left: {:?}", a.platform_roles().await);
        assert!(a.iam.list_open_id_connect_providers().send().await.unwrap().open_id_connect_provider_list().is_empty());
        assert!(a.iam.list_policies().scope(aws_sdk_iam::types::PolicyScopeType::Local).send().await.unwrap().policies().is_empty(), "managed policies left");
        assert!(a.s3.list_buckets().send().await.unwrap().buckets().is_empty(), "buckets left");
        kube_sim.stop().await;
    });
}
