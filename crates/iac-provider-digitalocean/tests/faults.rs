//! Fault injection: with 429s, 5xx answers and dropped connections (some
//! after the change was made), plan/apply converge with no duplicate
//! objects, and the answers the simulator gave under fault still match the
//! contract. With a real per-minute limit, pacing avoids 429s altogether.

use crate::common;

use common::*;
use iac_core::plan::PlanMode;
use iac_do_sim::Faults;

fn stack(url: &str) -> String {
    format!(
        r#"{}
resource "digitalocean_vpc" "net" {{
  name   = "faulty-net"
  region = "fra1"
}}
resource "digitalocean_kubernetes_cluster" "c" {{
  name     = "faulty"
  region   = "fra1"
  version  = "1.31.1-do.5"
  vpc_uuid = digitalocean_vpc.net.id
  node_pool {{
    name       = "default"
    size       = "s-1vcpu-2gb"
    node_count = 1
  }}
}}
resource "digitalocean_kubernetes_node_pool" "extra" {{
  count      = 3
  cluster_id = digitalocean_kubernetes_cluster.c.id
  name       = "extra-${{count.index}}"
  size       = "s-1vcpu-2gb"
  node_count = 1
}}
"#,
        provider_block(url)
    )
}

#[test]
fn faults_converge_without_duplicates() {
    rt().block_on(async {
        let mut cfg = fast();
        cfg.seed = 7;
        cfg.faults = Faults { rate_429: 0.1, rate_5xx: 0.1, rate_drop: 0.1, rate_limit_per_minute: 0, retry_after_s: 1, latency_ms: 0 };
        let h = sim(cfg).await;
        let tmp = tempfile::tempdir().unwrap();
        let env = env(tmp.path());
        let st = write_stack(tmp.path(), &stack(&h.url()));
        let mut converged = false;
        for round in 0..4 {
            let p = match plan_mode(&st, &env, PlanMode::Normal).await {
                Ok(p) => p,
                Err(e) => {
                    eprintln!("round {round}: plan failed: {e}");
                    continue;
                }
            };
            if changes(&p).is_empty() {
                converged = true;
                break;
            }
            if let Err(e) = iac_engine::ops::apply(&st, &env, p, 10).await {
                eprintln!("round {round}: apply failed (a later round converges): {e}");
            }
        }
        assert!(converged, "plan/apply did not converge under faults");
        let stats = h.stats();
        assert!(stats.dropped > 0 && stats.by_status.contains_key(&429) && stats.by_status.keys().any(|s| *s >= 500), "faults were injected: {stats:?}");
        h.with_store(|s| {
            assert_eq!(s.vpcs.iter().filter(|v| v.name == "faulty-net").count(), 1, "one VPC");
            assert_eq!(s.clusters.iter().filter(|c| c.name == "faulty").count(), 1, "one cluster");
            let c = s.clusters.iter().find(|c| c.name == "faulty").unwrap();
            let mut names: Vec<&str> = c.node_pools.iter().map(|p| p.name.as_str()).collect();
            names.sort();
            assert_eq!(names, vec!["default", "extra-0", "extra-1", "extra-2"], "each pool once");
        });
        // Tear down under the same faults.
        for _ in 0..4 {
            let Ok(p) = plan_mode(&st, &env, PlanMode::Destroy).await else { continue };
            if changes(&p).is_empty() {
                break;
            }
            let _ = iac_engine::ops::apply(&st, &env, p, 10).await;
        }
        h.with_store(|s| {
            assert!(s.clusters.is_empty(), "destroyed");
            assert!(!s.vpcs.iter().any(|v| v.name == "faulty-net"));
        });
        assert_contract(&h);
    });
}

#[test]
fn pacing_keeps_a_burst_under_the_rate_limit() {
    rt().block_on(async {
        let mut cfg = fast();
        cfg.faults.rate_limit_per_minute = 40;
        let h = sim(cfg).await;
        let client = iac_provider_digitalocean::client::Client::new(iac_provider_digitalocean::client::ClientConfig {
            endpoint: h.url(),
            token: iac_provider_digitalocean::client::Secret::new(TOKEN),
            retry: Default::default(),
            request_timeout: std::time::Duration::from_secs(10),
            user_agent: "test".into(),
        })
        .unwrap();
        let client = std::sync::Arc::new(client);
        // 40 requests fit the window; the pacer must hold the rest back rather than be refused.
        let mut tasks = Vec::new();
        for _ in 0..39 {
            let c = client.clone();
            tasks.push(tokio::spawn(async move { c.get("/v2/kubernetes/options").await.map(|r| r.status) }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap().unwrap(), 200);
        }
        assert_eq!(h.stats().by_status.get(&429), None, "no 429 within the quota");
        let least = h
            .exchanges()
            .iter()
            .filter_map(|e| e.response_headers.iter().find(|(k, _)| k == "ratelimit-remaining").and_then(|(_, v)| v.parse::<u32>().ok()))
            .min();
        assert_eq!(least, Some(1), "the headers count the window down");
        assert_contract(&h);
    });
}
