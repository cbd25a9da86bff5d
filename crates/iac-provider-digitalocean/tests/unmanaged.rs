//! `iac drift -unmanaged` against the simulator: objects of the account
//! that no checked stack's state knows are reported (VPCs, clusters, node
//! pools; never a region's default VPC), each once, minus those the
//! filter ignores; objects another checked stack manages are not.

use crate::common;

use common::*;
use iac_engine::ops;
use iac_engine::unmanaged::IgnoreList;

fn stack(url: &str, prefix: &str, cidr: &str) -> String {
    format!(
        r#"{provider}
resource "digitalocean_vpc" "net" {{
  name     = "{prefix}-net"
  region   = "nyc1"
  ip_range = "{cidr}"
}}
resource "digitalocean_kubernetes_cluster" "main" {{
  name     = "{prefix}"
  region   = "nyc1"
  version  = "1.31.1-do.5"
  vpc_uuid = digitalocean_vpc.net.id
  node_pool {{
    name       = "system"
    size       = "s-2vcpu-4gb"
    node_count = 1
  }}
}}
resource "digitalocean_kubernetes_node_pool" "workers" {{
  cluster_id = digitalocean_kubernetes_cluster.main.id
  name       = "{prefix}-workers"
  size       = "s-2vcpu-4gb"
  node_count = 1
}}
"#,
        provider = provider_block(url)
    )
}

fn names(r: &ops::DriftReport) -> Vec<String> {
    r.unmanaged.iter().map(|o| format!("{} {}", o.type_, o.name)).collect()
}

#[test]
fn objects_no_checked_state_knows_are_reported_once() {
    rt().block_on(async {
        let h = sim(fast()).await;
        let (ta, tb) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let (a, b) = (write_stack(ta.path(), &stack(&h.url(), "alpha", "10.40.0.0/20")), write_stack(tb.path(), &stack(&h.url(), "beta", "10.41.0.0/20")));
        let (env_a, env_b) = (env(ta.path()), env(tb.path()));
        for (dir, env) in [(&a, &env_a), (&b, &env_b)] {
            let p = plan(dir, env).await;
            apply(dir, env, p).await;
        }
        // A cluster made by hand, in the region's default VPC (which DigitalOcean makes).
        let by_hand = stack(&h.url(), "by-hand", "10.42.0.0/20").replace("  vpc_uuid = digitalocean_vpc.net.id\n", "");
        let tc = tempfile::tempdir().unwrap();
        let c = write_stack(tc.path(), &by_hand);
        let env_c = env(tc.path());
        let p = plan(&c, &env_c).await;
        apply(&c, &env_c, p).await;
        h.with_store(|s| assert!(s.vpcs.iter().any(|v| v.default), "the simulator made the region's default VPC"));

        let load = |dir: &std::path::Path, env: &iac_engine::ops::Env| ops::load(dir, &env.registry).map_err(|(e, _)| e).unwrap();
        let (la, lb) = (load(&a, &env_a), load(&b, &env_b));
        let mut ra = ops::drift(&la, &env_a, Vec::new(), 4, true).await.expect("drift a");
        let mut rb = ops::drift(&lb, &env_b, Vec::new(), 4, true).await.expect("drift b");
        assert!(ra.drift.is_empty() && rb.drift.is_empty());
        // Alone, stack a sees everything else in the account.
        {
            let mut alone = ops::DriftReport {
                unmanaged: ra.unmanaged.clone(),
                known_ids: ra.known_ids.clone(),
                drift: Vec::new(),
                managed_types: Default::default(),
                duration: Default::default(),
                checked_at_unix: 0,
            };
            ops::settle_unmanaged(&mut [&mut alone], &IgnoreList::default());
            let mut got = names(&alone);
            got.sort();
            assert_eq!(
                got,
                vec![
                    "digitalocean_kubernetes_cluster beta",
                    "digitalocean_kubernetes_cluster by-hand",
                    "digitalocean_kubernetes_node_pool beta-workers",
                    "digitalocean_kubernetes_node_pool by-hand-workers",
                    "digitalocean_kubernetes_node_pool system",
                    "digitalocean_kubernetes_node_pool system",
                    "digitalocean_vpc beta-net",
                    "digitalocean_vpc by-hand-net",
                ],
                "the default VPC is DigitalOcean's; alpha's inline pool is known through its cluster"
            );
        }
        // Checked together, b's objects are managed; the hand-made ones remain,
        // reported once although both stacks' providers listed them; the filter drops one.
        let ignore = IgnoreList::parse("digitalocean_vpc by-hand-*\n").unwrap();
        ops::settle_unmanaged(&mut [&mut ra, &mut rb], &ignore);
        let mut got = names(&ra);
        got.sort();
        assert_eq!(
            got,
            vec!["digitalocean_kubernetes_cluster by-hand", "digitalocean_kubernetes_node_pool by-hand-workers", "digitalocean_kubernetes_node_pool system"]
        );
        assert!(rb.unmanaged.is_empty(), "{:?}", names(&rb));
        assert!(ra.has_drift(), "unmanaged objects count as drift");
        assert_contract(&h);
    });
}
