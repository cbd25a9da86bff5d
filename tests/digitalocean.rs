//! The binary against the DigitalOcean API simulator: `iac drift
//! -unmanaged` reports the account's objects that no checked stack's state
//! knows (with a filter file for those to ignore), changes to attributes
//! only the provider sets (a cluster's node list) are not drift, and the
//! provider's API calls are spans under the resource operations that made
//! them.

use crate::support;

use iac_testkit::otlp::OtlpReceiver;
use support::*;

const TOKEN: &str = "dop_v1_e2e_token_0123456789abcdef";

fn vpc_stack(url: &str, name: &str, cidr: &str) -> String {
    format!(
        "provider \"digitalocean\" {{\n  api_endpoint = \"{url}\"\n  poll_interval_ms = 40\n}}\n\nresource \"digitalocean_vpc\" \"net\" {{\n  name     = \"{name}\"\n  region   = \"nyc1\"\n  ip_range = \"{cidr}\"\n}}\n"
    )
}

struct Sim {
    // The simulator serves on this runtime's threads while the test runs the binary.
    _rt: tokio::runtime::Runtime,
    handle: iac_do_sim::Handle,
}

fn simulator() -> Sim {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let mut cfg = iac_do_sim::SimConfig::fast();
    cfg.faults.rate_limit_per_minute = 0;
    let handle = rt.block_on(iac_do_sim::Simulator::start(cfg)).expect("simulator");
    Sim { _rt: rt, handle }
}

#[test]
fn drift_lists_unmanaged_objects_and_traces_api_calls() {
    let sim = simulator();
    let url = sim.handle.url();
    let repo = Stack::files(
        "repo",
        &[("stacks/net/main.tf", &vpc_stack(&url, "managed-net", "10.50.0.0/20")), ("stacks/other/main.tf", &vpc_stack(&url, "other-net", "10.51.0.0/20"))],
    );
    let env = [("DIGITALOCEAN_TOKEN", TOKEN)];
    for s in ["stacks/net", "stacks/other"] {
        repo.run_env(&["-chdir", s, "apply", "-auto-approve"], &env).ok();
    }

    // Alone, "net" sees the VPC "other" manages as unmanaged: drift (exit 2).
    let out = repo.run_env(&["drift", "-unmanaged", "-format", "json", "stacks/net"], &env);
    out.expect_code(2);
    let j: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    let unmanaged = &j["stacks"][0]["unmanaged"];
    assert_eq!(unmanaged.as_array().map(|a| a.len()), Some(1), "{}", out.stdout);
    assert_eq!((unmanaged[0]["type"].as_str(), unmanaged[0]["name"].as_str()), (Some("digitalocean_vpc"), Some("other-net")));
    let prom = repo.run_env(&["drift", "-unmanaged", "-format", "prometheus", "stacks/net"], &env);
    assert!(prom.stdout.contains("iac_drift_unmanaged_resources{stack=\"stacks/net\",type=\"digitalocean_vpc\"} 1\n"), "{}", prom.stdout);

    // Checked together, every object is managed by one of them.
    repo.run_env(&["drift", "-unmanaged", "stacks/net", "stacks/other"], &env).ok();

    // A filter file ignores it; a bad one is a clear error.
    std::fs::write(repo.path("ignore"), "# objects we keep by hand\ndigitalocean_vpc other-*\n").expect("ignore file");
    repo.run_env(&["drift", "-unmanaged", "-unmanaged-ignore", "ignore", "stacks/net"], &env).ok();
    std::fs::write(repo.path("bad"), "digitalocean_vpc\n").expect("bad file");
    let bad = repo.run_env(&["drift", "-unmanaged", "-unmanaged-ignore", "bad", "stacks/net"], &env);
    bad.expect_code(1);
    assert!(bad.stderr.contains("line 1"), "{}", bad.stderr);

    // API calls are spans (method and path, never the token) under the refresh that made them.
    let receiver = OtlpReceiver::start();
    let traced = repo.run_env(&["-chdir", "stacks/net", "drift"], &[env[0], ("OTEL_EXPORTER_OTLP_ENDPOINT", &receiver.endpoint())]);
    traced.ok();
    let spans = receiver.spans();
    let calls: Vec<_> = spans.iter().filter(|s| s.name == "http.request").collect();
    assert!(!calls.is_empty(), "no API call spans: {:?}", spans.iter().map(|s| &s.name).collect::<Vec<_>>());
    for c in &calls {
        assert_eq!(c.attr("http.request.method"), Some("GET"), "a drift check only reads");
        assert!(c.attr("url.path").is_some_and(|p| p.starts_with("/v2/")), "{:?}", c.attributes);
        let parent = spans.iter().find(|p| p.span_id == c.parent_span_id).expect("an API call's parent is exported");
        assert!(matches!(parent.name.as_str(), "resource.refresh" | "resource.plan" | "refresh"), "API call under {}", parent.name);
    }
    for s in &spans {
        assert!(s.attributes.iter().all(|(_, v)| !v.contains(TOKEN)), "the token is in span {}", s.name);
    }
}

/// DigitalOcean replaces a broken node by itself (auto-repair): the pool's
/// node list, which only the provider sets, changes. That is not drift; a
/// pool scaled by hand outside iac is, and only its `node_count` is named.
#[test]
fn nodes_replaced_by_the_cloud_are_not_drift_but_a_rescaled_pool_is() {
    let sim = simulator();
    let stack = format!(
        "provider \"digitalocean\" {{\n  api_endpoint = \"{}\"\n  poll_interval_ms = 40\n}}\n\nresource \"digitalocean_kubernetes_cluster\" \"k\" {{\n  name    = \"platform\"\n  region  = \"nyc1\"\n  version = \"1.31.1-do.4\"\n  node_pool {{\n    name       = \"system\"\n    size       = \"s-2vcpu-4gb\"\n    node_count = 2\n  }}\n}}\n",
        sim.handle.url()
    );
    let repo = Stack::files("doks", &[("main.tf", &stack)]);
    let env = [("DIGITALOCEAN_TOKEN", TOKEN)];
    repo.run_env(&["apply", "-auto-approve"], &env).ok();

    sim.handle.with_store(|s| {
        let node = &mut s.clusters[0].node_pools[0].nodes[0];
        node.id = "replacement-node".into();
        node.name = "system-replacement".into();
        node.droplet_id = "987654".into();
    });
    let out = repo.run_env(&["drift", "-format", "json"], &env);
    out.expect_code(0);
    let j: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    assert_eq!(j["stacks"][0]["resources"], serde_json::json!([]), "{}", out.stdout);

    sim.handle.with_store(|s| s.clusters[0].node_pools[0].count = 3);
    let out = repo.run_env(&["drift", "-format", "json"], &env);
    out.expect_code(2);
    let j: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    let paths: Vec<&str> = j["stacks"][0]["resources"][0]["attributes"].as_array().expect("attributes").iter().filter_map(|a| a["path"].as_str()).collect();
    assert_eq!(paths, vec!["node_pool[0].node_count"], "{}", out.stdout);
}

/// kill -9 while `iac apply` waits for a new database cluster to come
/// online (DigitalOcean has made it; iac has not heard back that it is
/// done): the re-run finds the cluster by its name and adopts it, once
/// online, instead of making a second one; nothing is left pending and the
/// plan after is empty.
#[test]
fn kill_9_while_creating_a_database_cluster_then_the_rerun_adopts_it() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let mut cfg = iac_do_sim::SimConfig::fast();
    cfg.faults.rate_limit_per_minute = 0;
    cfg.record = true;
    // Long enough to be killed in the middle of the wait, short enough for a test.
    cfg.provision_delay_ms = 3_000;
    let handle = rt.block_on(iac_do_sim::Simulator::start(cfg)).expect("simulator");
    let stack = format!(
        "provider \"digitalocean\" {{\n  api_endpoint = \"{}\"\n  poll_interval_ms = 50\n}}\n\nresource \"digitalocean_database_cluster\" \"pg\" {{\n  name       = \"orders-db\"\n  engine     = \"pg\"\n  version    = \"17\"\n  size       = \"db-s-1vcpu-2gb\"\n  region     = \"fra1\"\n  node_count = 1\n  maintenance_window {{\n    day  = \"sunday\"\n    hour = \"03:00\"\n  }}\n  timeouts {{\n    create = \"2m\"\n  }}\n}}\n\nresource \"digitalocean_database_db\" \"orders\" {{\n  cluster_id = digitalocean_database_cluster.pg.id\n  name       = \"orders\"\n}}\n",
        handle.url()
    );
    let mut repo = Stack::files("db", &[("main.tf", &stack)]);
    repo.env.insert("DIGITALOCEAN_TOKEN".into(), TOKEN.into());
    let creates = || handle.exchanges().iter().filter(|e| e.method == "POST" && e.path == "/v2/databases" && e.status == 201).count();

    let run = repo.spawn(&["apply", "-auto-approve"], "killed");
    let start = std::time::Instant::now();
    while creates() == 0 {
        assert!(start.elapsed() < std::time::Duration::from_secs(60), "no create within 60 s:\n{}", run.stderr());
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // The create was answered; iac now polls for `online`. Kill it there.
    std::thread::sleep(std::time::Duration::from_millis(300));
    run.signal(9);
    let killed = run.wait();
    assert_eq!(killed.code, 128 + 9, "killed by SIGKILL:\n{}", killed.stderr);
    handle.with_store(|s| {
        assert_eq!(s.databases.len(), 1);
        assert_eq!(s.databases[0].status.as_str(), "creating", "killed while the cluster was still being made");
    });
    assert!(!repo.state_list().iter().any(|a| a == "digitalocean_database_cluster.pg"), "an unfinished create is not in state");
    let pending = repo.state_json()["pending"].clone();
    assert!(pending.to_string().contains("digitalocean_database_cluster.pg"), "the create's intent is kept: {pending}");

    let again = repo.run(&["apply", "-auto-approve"]);
    again.ok();
    assert_eq!(creates(), 1, "the re-run adopted the cluster instead of creating a second one");
    let (id, window) = handle.with_store(|s| {
        assert_eq!(s.databases.len(), 1, "one cluster named orders-db");
        let d = &s.databases[0];
        assert_eq!(d.status.as_str(), "online");
        assert!(d.dbs.iter().any(|n| n == "orders"), "the rest of the stack was made");
        (d.id.clone(), (d.maintenance_day.clone(), d.maintenance_hour.clone()))
    });
    assert_eq!(window, ("sunday".to_string(), "03:00:00".to_string()), "the adopted cluster got its configured window");
    let state = repo.state_json();
    let attrs = &state["resources"]["digitalocean_database_cluster.pg"]["attributes"];
    assert_eq!(attrs["id"], id.as_str(), "state holds the adopted cluster: {state}");
    assert!(state["pending"].as_array().is_none_or(|p| p.is_empty()), "nothing left pending: {}", state["pending"]);
    repo.run(&["plan", "-detailed-exitcode"]).expect_code(0);
}
