//! `stacks/doks-platform` whole, through the engine as the CLI runs it:
//! network, cluster and pools, and a managed PostgreSQL cluster in the same
//! VPC (database, user, pool, trusted sources naming only the cluster) on
//! the DigitalOcean simulator, then the database's connection details as a
//! Secret; Spaces buckets (through the S3 API, on moto standing in for
//! Spaces), the product's domain and record, a firewall on the cluster's
//! nodes and a project grouping it all; KEDA (the vendored chart, real helm) and Argo CD with its root
//! Application on the fake Kubernetes API, in one apply; a no-op re-plan;
//! drift after out-of-band changes (a relabelled deployment, a database
//! resized in the console) put back in place; and a destroy that removes
//! everything.

use crate::platform_support;

use std::sync::Arc;

use iac_core::plan::{Action, PlanMode};
use iac_engine::ops::{self, PlanRequest};
use iac_engine::run::RunOptions;
use iac_lang::vars::CliVar;
use iac_provider_digitalocean::DigitalOceanFactory;
use iac_provider_kubernetes::{HelmFactory, KubernetesFactory};
use platform_support::*;
use serde_json::json;

#[test]
fn doks_platform_stack_installs_core_components_and_argocd_in_one_apply() {
    let helm = iac_testkit::tools::tool("helm").display().to_string();
    let keda = shared_chart("keda-2.20.2");
    let kro = shared_chart("kro-0.9.3");
    let moto = iac_testkit::services::Moto::start();
    rt().block_on(async {
        let kube_sim = sim().await;
        let mut cfg = iac_do_sim::SimConfig::fast();
        cfg.faults.rate_limit_per_minute = 0;
        cfg.kube_api_address = kube_sim.url();
        let do_sim = iac_do_sim::Simulator::start(cfg).await.expect("the DigitalOcean simulator starts");

        // The stack and its modules, laid out as in the repository.
        let tmp = tempfile::tempdir().unwrap();
        copy_dir(&workspace().join("stacks/doks-platform"), &tmp.path().join("stacks/doks-platform"));
        copy_dir(&workspace().join("stacks/modules"), &tmp.path().join("stacks/modules"));
        let st = tmp.path().join("stacks/doks-platform");
        let mut reg = iac_engine::providers::Registry::new();
        let do_env = [("DIGITALOCEAN_TOKEN", "dop_v1_test"), ("SPACES_ACCESS_KEY_ID", "AKSPACESTEST"), ("SPACES_SECRET_ACCESS_KEY", "spaces-secret-test")];
        reg.register(Arc::new(DigitalOceanFactory::with_env(do_env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())));
        reg.register(Arc::new(KubernetesFactory::with_env(Vec::new())));
        reg.register(Arc::new(HelmFactory::with_env(vec![("HELM_BINARY".into(), helm)])));
        let env = env_with(tmp.path(), reg);
        let vars = || {
            vec![
                CliVar::Var(format!("api_endpoint={}", do_sim.url())),
                CliVar::Var("poll_interval_ms=40".into()),
                CliVar::Var(format!("spaces_endpoint={}", moto.endpoint())),
                CliVar::Var(format!("keda_chart={}", keda.display())),
                CliVar::Var(format!("kro_chart={}", kro.display())),
                CliVar::Var("enable_kube_prometheus_stack=false".into()),
                CliVar::Var("enable_opentelemetry_collector=false".into()),
            ]
        };
        let plan_with = |mode| ops::plan(&st, &env, PlanRequest { vars: vars(), run: RunOptions { mode, ..RunOptions::default() } });

        let p = plan_with(PlanMode::Normal).await.expect("plan").plan;
        let mut created: Vec<String> = p.changes.iter().filter(|c| c.action == Action::Create).map(|c| c.addr.to_string()).collect();
        created.sort();
        assert_eq!(
            created,
            vec![
                "digitalocean_database_cluster.postgres",
                "digitalocean_database_connection_pool.app",
                "digitalocean_database_db.app",
                "digitalocean_database_firewall.postgres",
                "digitalocean_database_user.app",
                "digitalocean_domain.product",
                "digitalocean_firewall.nodes",
                "digitalocean_kubernetes_cluster.platform",
                "digitalocean_kubernetes_node_pool.workloads",
                "digitalocean_project.platform",
                "digitalocean_record.app",
                "digitalocean_spaces_bucket.assets",
                "digitalocean_spaces_bucket.backups",
                "digitalocean_vpc.platform",
                "kubernetes_manifest.database_credentials",
                "module.argocd.kubernetes_manifest.namespace",
                "module.argocd.kubernetes_manifest.root_app",
                "module.argocd.kubernetes_manifests.install",
                "module.core_components.helm_release.keda[0]",
                "module.core_components.helm_release.kro[0]",
                "module.drift_job[0].kubernetes_manifest.cronjob",
                "module.drift_job[0].kubernetes_manifest.namespace",
            ]
        );
        let out = ops::apply(&st, &env, p, 10).await.expect("apply");
        assert_eq!(out.state.outputs["argocd_objects"].value.to_json(), json!(59));
        assert_eq!(out.state.outputs["core_releases"].value.to_json(), json!(["keda", "kro"]));

        let kube = Actor::new(&kube_sim.url()).await;

        // Around them: the project groups the cluster, the database, both buckets and the domain;
        // the firewall guards the cluster's nodes; the application's record is in the product's zone.
        do_sim.with_store(|s| {
            let c = &s.clusters[0];
            let project = s.platform.projects.iter().find(|p| p.name == "platform").expect("the platform's project");
            let mut urns: Vec<&str> = project.resources.iter().map(|(u, _)| u.as_str()).collect();
            urns.sort();
            let (k8s, db) = (format!("do:kubernetes:{}", c.id), format!("do:dbaas:{}", s.databases[0].id));
            let mut want = vec![db.as_str(), "do:domain:saas-platform.example", k8s.as_str(), "do:space:platform-assets", "do:space:platform-backups"];
            want.sort();
            assert_eq!(urns, want);
            assert_eq!(s.platform.firewalls[0].tags, vec![format!("k8s:{}", c.id)]);
            let zone = &s.platform.domains[0];
            assert!(zone.records.iter().any(|r| r.kind == "A" && r.name == "app" && r.data == "203.0.113.10"));
        });
        assert_eq!(out.state.outputs["app_fqdn"].value.to_json(), json!("app.saas-platform.example"));

        // The data layer: PostgreSQL in the cluster's VPC, reachable from the cluster only.
        let (db_id, db_password) = do_sim.with_store(|s| {
            let (c, d) = (&s.clusters[0], &s.databases[0]);
            assert_eq!((d.name.as_str(), d.engine.as_str(), d.status.as_str()), ("platform-pg", "pg", "online"));
            assert_eq!(d.private_network_uuid, c.vpc_uuid, "same VPC as the cluster");
            assert_eq!(d.rules.iter().map(|r| (r.kind.as_str(), r.value.as_str())).collect::<Vec<_>>(), vec![("k8s", c.id.as_str())]);
            let app = d.users.iter().find(|u| u.name == "app").expect("the application's user");
            (d.id.clone(), app.password.clone())
        });
        // Its connection details reach the cluster as a Secret...
        let secret = kube.get(("v1", "Secret", "secrets"), Some("default"), "app-database").await.expect("the database Secret");
        let secret: k8s_openapi::api::core::v1::Secret = serde_json::from_value(secret).expect("a Secret");
        let data = secret.data.unwrap_or_default();
        let text = |k: &str| String::from_utf8(data.get(k).unwrap_or_else(|| panic!("no {k} in the Secret")).0.clone()).unwrap();
        let url = text("DATABASE_URL");
        assert!(url.starts_with(&format!("postgresql://app:{db_password}@private-platform-pg-")) && url.ends_with(":25061/app?sslmode=require"), "{url}");
        assert_eq!((text("PGUSER"), text("PGPASSWORD"), text("PGPORT"), text("PGDATABASE")), ("app".into(), db_password.clone(), "25061".into(), "app".into()));
        assert!(text("ca.crt").starts_with("-----BEGIN CERTIFICATE-----"));
        // ...sensitive end to end: marked in state, and never in the object state keeps.
        let creds = &out.state.resources[&"kubernetes_manifest.database_credentials".parse().unwrap()];
        let data_v = creds.value().get("manifest").and_then(|m| m.get("data")).cloned().expect("the manifest's data");
        for k in ["DATABASE_URL", "PGPASSWORD"] {
            assert!(data_v.get(k).is_some_and(|v| v.is_sensitive()), "{k} is sensitive in state");
        }
        assert!(!creds.attributes.to_json()["object"].to_string().contains(&db_password), "the Secret's values stay out of `object`");
        let user = &out.state.resources[&"digitalocean_database_user.app".parse().unwrap()];
        assert!(user.value().get("password").is_some_and(|v| v.is_sensitive()));
        let server = kube.get(("apps/v1", "Deployment", "deployments"), Some("argocd"), "argocd-server").await.expect("Argo CD is installed");
        assert!(server["status"]["availableReplicas"].as_i64().unwrap_or(0) >= 1);
        let root = kube.get(("argoproj.io/v1alpha1", "Application", "applications"), Some("argocd"), "root").await.expect("the root Application");
        assert_eq!(root["spec"]["syncPolicy"]["syncOptions"], json!(["CreateNamespace=true", "ServerSideApply=true"]));
        assert_eq!(root["spec"]["syncPolicy"]["automated"], json!({"prune": true, "selfHeal": true}));
        assert_eq!(
            (root["status"]["sync"]["status"].as_str(), root["status"]["health"]["status"].as_str()),
            (Some("Synced"), Some("Healthy")),
            "the apply waited for it"
        );
        assert!(kube.get(("apps/v1", "Deployment", "deployments"), Some("keda"), "keda-operator").await.is_some());
        // The drift check ships with the platform, as a CronJob with its credentials from a Secret.
        let cron = kube.get(("batch/v1", "CronJob", "cronjobs"), Some("iac"), "iac-drift").await.expect("the drift CronJob");
        let container = &cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0];
        assert!(container["args"][0].as_str().unwrap().starts_with("iac drift "), "{container}");
        assert_eq!(container["envFrom"][0]["secretRef"]["name"], "iac-drift-credentials");

        let again = plan_with(PlanMode::Normal).await.expect("plan").plan;
        assert!(changes(&again).is_empty(), "{:?}", changes(&again));

        // Scaling the Argo CD server by hand is not drift: its manifest leaves replicas alone.
        kube.merge(("apps/v1", "Deployment", "deployments"), Some("argocd"), "argocd-server", "kubectl-scale", json!({"spec": {"replicas": 3}})).await;
        assert!(plan_with(PlanMode::RefreshOnly).await.expect("refresh-only plan").plan.drift.is_empty());
        // Relabelling it by hand is: the label is in the manifest.
        kube.merge(
            ("apps/v1", "Deployment", "deployments"),
            Some("argocd"),
            "argocd-server",
            "kubectl-label",
            json!({"metadata": {"labels": {"app.kubernetes.io/name": "changed"}}}),
        )
        .await;
        let drift = plan_with(PlanMode::RefreshOnly).await.expect("refresh-only plan").plan;
        let paths: Vec<String> = drift.drift.iter().flat_map(|d| d.paths.iter().map(move |p| format!("{} {p}", d.addr))).collect();
        assert_eq!(paths, vec!["module.argocd.kubernetes_manifests.install objects.apps/v1/Deployment/argocd/argocd-server"]);

        // Someone resizes the database in the DigitalOcean console (the API call the console makes).
        let console = iac_provider_digitalocean::client::Client::new(iac_provider_digitalocean::client::ClientConfig {
            endpoint: do_sim.url(),
            token: iac_provider_digitalocean::client::Secret::new("dop_v1_console"),
            retry: Default::default(),
            request_timeout: std::time::Duration::from_secs(10),
            user_agent: "console".into(),
        })
        .unwrap();
        console.put(&format!("/v2/databases/{db_id}/resize"), &json!({"size": "db-s-2vcpu-4gb", "num_nodes": 2})).await.expect("a console resize");
        let drift = plan_with(PlanMode::RefreshOnly).await.expect("refresh-only plan").plan;
        let db_paths: Vec<String> = drift
            .drift
            .iter()
            .filter(|d| d.addr.to_string() == "digitalocean_database_cluster.postgres")
            .flat_map(|d| d.paths.iter().map(|p| p.to_string()))
            .collect();
        assert!(db_paths.contains(&"size".to_string()) && db_paths.contains(&"node_count".to_string()), "{db_paths:?}");
        // Putting both back: the deployment's label, and the database resized back in place.
        // As in Terraform, the database's CA (a data source naming the cluster) is read
        // again after that update, so the Secret holding it is known only then.
        let fix = plan_with(PlanMode::Normal).await.expect("plan").plan;
        assert_eq!(
            changes(&fix),
            vec![
                "Update digitalocean_database_cluster.postgres",
                "Update kubernetes_manifest.database_credentials",
                "Read data.digitalocean_database_ca.postgres",
                "Update module.argocd.kubernetes_manifests.install"
            ]
        );
        ops::apply(&st, &env, fix, 10).await.expect("apply");
        do_sim.with_store(|s| {
            assert_eq!((s.databases[0].id.as_str(), s.databases[0].size.as_str(), s.databases[0].num_nodes), (db_id.as_str(), "db-s-1vcpu-2gb", 1))
        });
        assert!(changes(&plan_with(PlanMode::Normal).await.expect("plan").plan).is_empty());

        let d = plan_with(PlanMode::Destroy).await.expect("destroy plan").plan;
        ops::apply(&st, &env, d, 10).await.expect("destroy");
        assert!(kube.get(("apps/v1", "Deployment", "deployments"), Some("argocd"), "argocd-server").await.is_none());
        // helm uninstall removes the release and its objects; the namespace
        // create_namespace made stays, as Helm (and the helm provider) leave it.
        assert!(kube.get(("apps/v1", "Deployment", "deployments"), Some("keda"), "keda-operator").await.is_none());
        assert!(kube.get(("v1", "Secret", "secrets"), Some("keda"), "sh.helm.release.v1.keda.v1").await.is_none());
        assert!(kube.get(("v1", "Secret", "secrets"), Some("default"), "app-database").await.is_none());
        do_sim.with_store(|s| {
            assert!(s.clusters.is_empty() && s.databases.is_empty() && s.vpcs.iter().all(|v| v.default));
            assert!(s.platform.domains.is_empty() && s.platform.firewalls.is_empty() && s.platform.projects.iter().all(|p| p.is_default));
        });
        do_sim.stop();
        kube_sim.stop().await;
    });
}
