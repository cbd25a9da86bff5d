//! Refresh of many node pools and clusters through the simulator with
//! injected latency and DigitalOcean's real rate limit (250 requests per
//! minute): batched list reads against one GET per object. Reports wall
//! time and request counts.
//!
//! `cargo bench -p iac-provider-digitalocean --bench refresh` (env:
//! IAC_BENCH_OBJECTS, default 1000; IAC_BENCH_LATENCY_MS, default 50;
//! IAC_BENCH_NAIVE_OBJECTS, default 200: the per-object run is kept under
//! the per-minute quota unless asked, since 1,000 GETs need four minutes
//! at 250/min by construction).

use std::sync::Arc;
use std::time::{Duration, Instant};

use iac_core::provider::{ConfigureRequest, Provider, ProviderContext, ProviderFactory, ReadRequest};
use iac_core::Value;
use iac_do_sim::{Faults, SimConfig, Simulator};
use iac_provider_digitalocean::DigitalOceanFactory;
use serde_json::json;

fn env_num(k: &str, d: usize) -> usize {
    std::env::var(k).ok().and_then(|v| v.parse().ok()).unwrap_or(d)
}

struct Obj {
    type_: &'static str,
    addr: String,
    current: Value,
}

async fn refresh(url: &str, token: &str, objs: &[Obj], batch: bool) -> (Duration, usize) {
    let f = DigitalOceanFactory::with_env(vec![("DIGITALOCEAN_TOKEN".into(), token.into())]);
    let cfg = Value::map([("api_endpoint", Value::from(url)), ("batch_reads", Value::Bool(batch)), ("list_cache_seconds", Value::number(600.0))]);
    let p: Arc<dyn Provider> = f.configure(ConfigureRequest { config: cfg, context: ProviderContext::default() }).await.expect("configure");
    // As the engine does: up to the provider's max_concurrency reads at once.
    let limit = Arc::new(tokio::sync::Semaphore::new(p.max_concurrency().unwrap_or(10)));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for o in objs {
        let (p, limit) = (p.clone(), limit.clone());
        let req = ReadRequest { type_: o.type_.into(), addr: o.addr.parse().expect("address"), current: o.current.clone(), private: None };
        tasks.push(tokio::spawn(async move {
            let _permit = limit.acquire().await.expect("semaphore");
            p.read(req).await.expect("read").is_some()
        }));
    }
    let mut found = 0;
    for t in tasks {
        found += usize::from(t.await.expect("task"));
    }
    (started.elapsed(), found)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n = env_num("IAC_BENCH_OBJECTS", 1000);
    let naive_n = env_num("IAC_BENCH_NAIVE_OBJECTS", 200).min(n);
    let latency = env_num("IAC_BENCH_LATENCY_MS", 50) as u64;
    let sim = Simulator::start(SimConfig {
        faults: Faults { rate_limit_per_minute: 0, ..Faults::default() },
        provision_delay_ms: 0,
        node_delay_ms: 0,
        ..SimConfig::default()
    })
    .await
    .expect("simulator");

    // 1 cluster per 100 objects; the rest are node pools spread over them.
    let clusters = n.div_ceil(100).max(1);
    let pools = n - clusters;
    let mut objs = Vec::new();
    sim.with_store(|s| {
        for c in 0..clusters {
            let body = json!({"name": format!("bench-{c}"), "region": "nyc1", "version": "1.31.1-do.5", "node_pools": [{"name": "default", "size": "s-1vcpu-2gb", "count": 1}]});
            let cj = s.create_cluster(&body, Instant::now(), &SimConfig { provision_delay_ms: 0, node_delay_ms: 0, ..SimConfig::default() }).expect("cluster");
            let cid = cj["id"].as_str().unwrap().to_string();
            objs.push(Obj { type_: "digitalocean_kubernetes_cluster", addr: format!("digitalocean_kubernetes_cluster.c[{c}]"), current: Value::map([("id", Value::from(cid.as_str()))]) });
        }
        for i in 0..pools {
            let cid = s.clusters[i % clusters].id.clone();
            let pj = s.create_pool(&cid, &json!({"name": format!("pool-{i}"), "size": "s-1vcpu-2gb", "count": 1}), Instant::now(), &SimConfig { node_delay_ms: 0, ..SimConfig::default() }).expect("pool");
            objs.push(Obj { type_: "digitalocean_kubernetes_node_pool", addr: format!("digitalocean_kubernetes_node_pool.p[{i}]"), current: Value::map([("id", Value::from(pj["id"].as_str().unwrap())), ("cluster_id", Value::from(cid.as_str()))]) });
        }
    });
    sim.set_faults(Faults { latency_ms: latency, rate_limit_per_minute: 250, ..Faults::default() });
    println!("refresh benchmark: {clusters} clusters + {pools} node pools, {latency} ms latency per request, 250 requests/minute");

    sim.reset_stats();
    let (t, found) = refresh(&sim.url(), "bench-batched", &objs, true).await;
    let s = sim.stats();
    println!("batched list reads : {:>5} objects in {:>8.2?}, {:>5} requests, 429s: {}", found, t, s.requests, s.by_status.get(&429).copied().unwrap_or(0));
    assert_eq!(found, n);
    let batched_requests = s.requests;

    // Per object, on a sample that fits the quota, with its own token (own quota).
    let sample: Vec<Obj> = objs.iter().take(naive_n).map(|o| Obj { type_: o.type_, addr: o.addr.clone(), current: o.current.clone() }).collect();
    sim.reset_stats();
    let (t2, found2) = refresh(&sim.url(), "bench-naive", &sample, false).await;
    let s2 = sim.stats();
    println!("one GET per object : {:>5} objects in {:>8.2?}, {:>5} requests, 429s: {}", found2, t2, s2.requests, s2.by_status.get(&429).copied().unwrap_or(0));
    let per_obj = s2.requests as f64 / naive_n.max(1) as f64;
    let projected = per_obj * n as f64;
    println!(
        "projected per-object refresh of {n}: {projected:.0} requests, at least {:.1} minutes under 250/min; batched used {batched_requests}",
        (projected - 250.0).max(0.0) / 250.0
    );
    assert!(batched_requests as f64 * 10.0 < projected, "batched reads must beat one GET per object by far");
}
