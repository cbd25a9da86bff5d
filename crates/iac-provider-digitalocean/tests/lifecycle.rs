//! The provider through the engine against the simulator: create → no-op
//! plan → update in place → inline pool resize without replacing the
//! cluster → version upgrade along the path → downgrade refused at plan →
//! out-of-band changes detected → destroy; every exchange checked against
//! the OpenAPI contract.

use crate::common;

use common::*;
use iac_core::plan::{Action, PlanMode};

fn stack(url: &str, version: &str, pool_size: &str, tags: &str, desc: &str) -> String {
    format!(
        r#"{provider}
resource "digitalocean_vpc" "net" {{
  name        = "platform-net"
  region      = "nyc1"
  ip_range    = "10.20.0.0/20"
  description = "{desc}"
}}
data "digitalocean_kubernetes_versions" "v131" {{
  version_prefix = "1.31."
}}
resource "digitalocean_kubernetes_cluster" "main" {{
  name     = "platform"
  region   = "nyc1"
  version  = "{version}"
  vpc_uuid = digitalocean_vpc.net.id
  tags     = [{tags}]
  node_pool {{
    name       = "default"
    size       = "{pool_size}"
    node_count = 2
    labels     = {{ role = "system" }}
  }}
}}
resource "digitalocean_kubernetes_node_pool" "workers" {{
  cluster_id = digitalocean_kubernetes_cluster.main.id
  name       = "workers"
  size       = "s-2vcpu-4gb"
  node_count = 1
  taint {{
    key    = "dedicated"
    value  = "workers"
    effect = "NoSchedule"
  }}
}}
output "endpoint" {{
  value = digitalocean_kubernetes_cluster.main.endpoint
}}
output "latest_131" {{
  value = data.digitalocean_kubernetes_versions.v131.latest_version
}}
"#,
        provider = provider_block(url)
    )
}

#[test]
fn cluster_lifecycle_against_the_simulator() {
    rt().block_on(async {
        let h = sim(fast()).await;
        let tmp = tempfile::tempdir().unwrap();
        let env = env(tmp.path());
        let url = h.url();

        // Create.
        let st = write_stack(tmp.path(), &stack(&url, "1.30.4-do.0", "s-1vcpu-2gb", r#""prod""#, "first"));
        let p = plan(&st, &env).await;
        assert_eq!(p.count(Action::Create), 3, "{:?}", changes(&p));
        apply(&st, &env, p).await;
        let (cluster_id, pool_id) = h.with_store(|s| {
            assert_eq!(s.clusters.len(), 1);
            let c = &s.clusters[0];
            assert_eq!(c.node_pools.len(), 2, "inline pool + workers");
            assert_eq!(c.tags, vec!["prod".to_string()]);
            (c.id.clone(), c.node_pools[0].id.clone())
        });

        // Nothing to do: auto-tags, defaults and kube_config are not drift.
        let p = plan(&st, &env).await;
        assert!(changes(&p).is_empty(), "{:?}", changes(&p));
        assert!(
            p.drift.is_empty(),
            "no drift right after apply: {:?}",
            p.drift.iter().map(|d| (d.addr.to_string(), d.paths.iter().map(|x| x.to_string()).collect::<Vec<_>>())).collect::<Vec<_>>()
        );

        // Update in place: tags and description.
        let st = write_stack(tmp.path(), &stack(&url, "1.30.4-do.0", "s-1vcpu-2gb", r#""prod", "team-a""#, "second"));
        let p = plan(&st, &env).await;
        assert_eq!(action_of(&p, "digitalocean_kubernetes_cluster.main"), Some(Action::Update));
        assert_eq!(action_of(&p, "digitalocean_vpc.net"), Some(Action::Update));
        apply(&st, &env, p).await;
        h.with_store(|s| {
            assert_eq!(s.clusters[0].id, cluster_id);
            assert_eq!(s.clusters[0].tags, vec!["prod".to_string(), "team-a".to_string()]);
            assert_eq!(s.vpcs.iter().find(|v| v.name == "platform-net").unwrap().description, "second");
        });

        // The inline pool's size: an update of the cluster, never a replacement.
        let st = write_stack(tmp.path(), &stack(&url, "1.30.4-do.0", "s-4vcpu-8gb", r#""prod", "team-a""#, "second"));
        let p = plan(&st, &env).await;
        assert_eq!(action_of(&p, "digitalocean_kubernetes_cluster.main"), Some(Action::Update), "{:?}", changes(&p));
        assert_eq!(action_of(&p, "digitalocean_kubernetes_node_pool.workers"), Some(Action::NoOp));
        apply(&st, &env, p).await;
        h.with_store(|s| {
            let c = &s.clusters[0];
            assert_eq!(c.id, cluster_id, "same cluster");
            assert_eq!(c.node_pools.len(), 2, "the old inline pool is gone: {:?}", c.node_pools.iter().map(|p| (&p.name, &p.size)).collect::<Vec<_>>());
            let inline = c.node_pools.iter().find(|p| p.name == "default").unwrap();
            assert_eq!(inline.size, "s-4vcpu-8gb");
            assert_ne!(inline.id, pool_id);
        });
        assert!(changes(&plan(&st, &env).await).is_empty());

        // Upgrade from 1.30.4 to 1.31.1-do.5: through 1.30.5-do.3 first.
        let st = write_stack(tmp.path(), &stack(&url, "1.31.1-do.5", "s-4vcpu-8gb", r#""prod", "team-a""#, "second"));
        let p = plan(&st, &env).await;
        assert_eq!(action_of(&p, "digitalocean_kubernetes_cluster.main"), Some(Action::Update));
        apply(&st, &env, p).await;
        let upgrades: Vec<String> = h.exchanges().iter().filter(|e| e.path.ends_with("/upgrade") && e.status == 202).map(|e| e.request_body.clone()).collect();
        assert_eq!(upgrades, vec![r#"{"version":"1.30.5-do.3"}"#, r#"{"version":"1.31.1-do.5"}"#]);
        h.with_store(|s| assert_eq!(s.clusters[0].version, "1.31.1-do.5"));
        assert!(changes(&plan(&st, &env).await).is_empty());

        // A downgrade fails the plan early.
        let down = write_stack(tmp.path(), &stack(&url, "1.30.5-do.3", "s-4vcpu-8gb", r#""prod", "team-a""#, "second"));
        let err = plan_mode(&down, &env, PlanMode::Normal).await.expect_err("a downgrade is refused");
        assert!(err.contains("downgrade"), "{err}");

        // Out-of-band: the inline pool scaled, a tag added, the workers pool deleted.
        let st = write_stack(tmp.path(), &stack(&url, "1.31.1-do.5", "s-4vcpu-8gb", r#""prod", "team-a""#, "second"));
        h.with_store(|s| {
            let c = &mut s.clusters[0];
            c.tags.push("hand-made".into());
            let idx = c.node_pools.iter().position(|p| p.name == "workers").unwrap();
            c.node_pools.remove(idx);
            let inline = c.node_pools.iter_mut().find(|p| p.name == "default").unwrap();
            inline.count = 5;
        });
        let p = plan(&st, &env).await;
        let drifted: Vec<String> = p.drift.iter().map(|d| format!("{:?} {}", d.action, d.addr)).collect();
        assert!(drifted.contains(&"Update digitalocean_kubernetes_cluster.main".to_string()), "{drifted:?}");
        assert!(drifted.contains(&"Delete digitalocean_kubernetes_node_pool.workers".to_string()), "{drifted:?}");
        assert_eq!(action_of(&p, "digitalocean_kubernetes_cluster.main"), Some(Action::Update));
        assert_eq!(action_of(&p, "digitalocean_kubernetes_node_pool.workers"), Some(Action::Create));
        apply(&st, &env, p).await;
        h.with_store(|s| {
            let c = &s.clusters[0];
            assert_eq!(c.tags, vec!["prod".to_string(), "team-a".to_string()]);
            assert_eq!(c.node_pools.iter().find(|p| p.name == "default").unwrap().count, 2);
            assert_eq!(c.node_pools.len(), 2);
        });
        assert!(changes(&plan(&st, &env).await).is_empty());

        // Destroy: the VPC waits out the 409 while the cluster releases it.
        let p = plan_mode(&st, &env, PlanMode::Destroy).await.unwrap();
        assert_eq!(p.count(Action::Delete), 3, "{:?}", changes(&p));
        apply(&st, &env, p).await;
        h.with_store(|s| {
            assert!(s.clusters.is_empty());
            assert!(!s.vpcs.iter().any(|v| v.name == "platform-net"));
        });
        assert_contract(&h);
    });
}

#[test]
fn auto_upgrades_are_not_drift_and_import_adopts_by_id() {
    rt().block_on(async {
        let h = sim(fast()).await;
        let tmp = tempfile::tempdir().unwrap();
        let env = env(tmp.path());
        let text = format!(
            "{}\nresource \"digitalocean_kubernetes_cluster\" \"c\" {{\n  name = \"auto\"\n  region = \"ams3\"\n  version = \"1.31.1-do.4\"\n  auto_upgrade = true\n  node_pool {{\n    name = \"p\"\n    size = \"s-1vcpu-2gb\"\n    auto_scale = true\n    min_nodes = 1\n    max_nodes = 3\n  }}\n}}\n",
            provider_block(&h.url())
        );
        let st = write_stack(tmp.path(), &text);
        let p = plan(&st, &env).await;
        apply(&st, &env, p).await;
        // DigitalOcean upgrades the cluster by itself, and the autoscaler adds a node.
        h.with_store(|s| {
            s.clusters[0].version = "1.31.1-do.5".into();
            s.clusters[0].node_pools[0].count = 2;
        });
        let p = plan(&st, &env).await;
        assert!(changes(&p).is_empty(), "an automatic upgrade and autoscaling are not changes to undo: {:?}", changes(&p));

        // Import by id into a fresh state.
        let id = h.with_store(|s| s.clusters[0].id.clone());
        let tmp2 = tempfile::tempdir().unwrap();
        let env2 = common::env(tmp2.path());
        let st2 = write_stack(tmp2.path(), &text.replace("version = \"1.31.1-do.4\"", "version = \"1.31.1-do.5\""));
        iac_engine::ops::import(&st2, &env2, "digitalocean_kubernetes_cluster.c".parse().unwrap(), id.clone(), Vec::new()).await.expect("import");
        let state = iac_engine::ops::read_state(env2.backend.as_ref()).await.unwrap();
        let inst = &state.resources[&"digitalocean_kubernetes_cluster.c".parse().unwrap()];
        assert_eq!(inst.attributes.to_json()["id"], id.as_str());
        let p = plan(&st2, &env2).await;
        assert!(changes(&p).is_empty(), "{:?}", changes(&p));
        assert_contract(&h);
    });
}
