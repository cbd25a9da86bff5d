//! `stacks/doks-platform`'s DigitalOcean part (`main.tf`: network, cluster
//! and pools; `database.tf`: PostgreSQL in the same VPC with a database, a
//! user, a pool and trusted sources naming only the cluster) plans and
//! applies against the simulator (through the ops layer, as the CLI does),
//! converges, and its outputs hold the endpoint, a sensitive kubeconfig
//! pointing at the configured Kubernetes API address, and the pool's
//! sensitive private URI.

use crate::common;

use std::path::Path;

use common::*;
use iac_core::plan::{Action, PlanMode};
use iac_engine::ops::{self, PlanRequest};
use iac_engine::run::RunOptions;
use iac_lang::vars::CliVar;

#[test]
fn doks_platform_stack_applies_against_the_simulator() {
    rt().block_on(async {
        let mut cfg = fast();
        cfg.kube_api_address = "https://10.0.0.1:6443".into();
        let h = sim(cfg).await;
        // Copy the stack so its state stays in the temporary directory.
        let tmp = tempfile::tempdir().unwrap();
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../stacks/doks-platform");
        let st = write_stack(tmp.path(), &std::fs::read_to_string(src.join("main.tf")).unwrap());
        std::fs::copy(src.join("database.tf"), st.join("database.tf")).unwrap();
        let env = env(tmp.path());
        let vars = || vec![CliVar::Var(format!("api_endpoint={}", h.url())), CliVar::Var("poll_interval_ms=40".into())];
        let plan_with = |mode| ops::plan(&st, &env, PlanRequest { vars: vars(), run: RunOptions { mode, ..RunOptions::default() } });
        let p = plan_with(PlanMode::Normal).await.expect("plan").plan;
        assert_eq!(p.count(Action::Create), 8, "{:?}", changes(&p));
        let out = ops::apply(&st, &env, p, 10).await.expect("apply");
        let endpoint = &out.state.outputs["endpoint"];
        assert!(endpoint.value.as_str().unwrap().ends_with(".k8s.ondigitalocean.com"));
        let kubeconfig = &out.state.outputs["kubeconfig"];
        assert!(kubeconfig.sensitive);
        assert!(kubeconfig.value.as_str().unwrap().contains("server: https://10.0.0.1:6443"));
        h.with_store(|s| {
            let c = &s.clusters[0];
            assert_eq!(c.version, "1.31.1-do.5", "the latest 1.31 from the versions data source");
            let system = c.node_pools.iter().find(|p| p.name == "system").unwrap();
            assert!(system.auto_scale && system.count == 3 && system.min_nodes == 3 && system.max_nodes == 6);
            assert!(c.node_pools.iter().any(|p| p.name == "workloads" && p.count == 2));
            let d = &s.databases[0];
            assert_eq!((d.engine.as_str(), d.version.as_str(), d.status.as_str()), ("pg", "17", "online"));
            assert_eq!(d.private_network_uuid, c.vpc_uuid, "the database is in the cluster's VPC");
            let rules: Vec<(&str, &str)> = d.rules.iter().map(|r| (r.kind.as_str(), r.value.as_str())).collect();
            assert_eq!(rules, vec![("k8s", c.id.as_str())], "only the cluster is trusted");
            assert!(d.dbs.contains(&"app".to_string()) && d.users.iter().any(|u| u.name == "app"));
            assert_eq!(d.pools.iter().map(|p| (p.name.as_str(), p.db.as_str(), p.user.as_deref())).collect::<Vec<_>>(), vec![("app", "app", Some("app"))]);
        });
        let uri = &out.state.outputs["database_uri"];
        assert!(uri.sensitive);
        let uri = uri.value.as_str().unwrap();
        assert!(uri.starts_with("postgresql://app:") && uri.contains("@private-platform-pg-") && uri.contains(":25061/app?sslmode=require"), "{uri}");
        let again = plan_with(PlanMode::Normal).await.expect("plan").plan;
        assert!(changes(&again).is_empty(), "{:?}", changes(&again));
        let d = plan_with(PlanMode::Destroy).await.expect("destroy plan").plan;
        ops::apply(&st, &env, d, 10).await.expect("destroy");
        h.with_store(|s| assert!(s.clusters.is_empty() && s.databases.is_empty()));
        assert_contract(&h);
    });
}
