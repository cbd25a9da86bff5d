//! The digitalocean provider passes the provider conformance suite against
//! the simulator, and every exchange keeps to the OpenAPI contract.

use crate::common;

use common::*;
use iac_core::plan::Action::{Create, Update};
use iac_testkit::conformance::provider::{check_schema, run, Case, Step};

fn platform(url: &str, description: &str, workers: u32) -> String {
    format!(
        r#"{provider}
resource "digitalocean_vpc" "net" {{
  name        = "conformance-net"
  region      = "nyc1"
  ip_range    = "10.30.0.0/20"
  description = "{description}"
}}
resource "digitalocean_kubernetes_cluster" "main" {{
  name     = "conformance"
  region   = "nyc1"
  version  = "1.31.1-do.5"
  vpc_uuid = digitalocean_vpc.net.id
  node_pool {{
    name       = "system"
    size       = "s-2vcpu-4gb"
    node_count = 2
  }}
}}
resource "digitalocean_kubernetes_node_pool" "workers" {{
  cluster_id = digitalocean_kubernetes_cluster.main.id
  name       = "workers"
  size       = "s-2vcpu-4gb"
  node_count = {workers}
}}
"#,
        provider = provider_block(url)
    )
}

#[test]
fn digitalocean_schema_is_consistent() {
    let problems = check_schema(iac_core::provider::ProviderFactory::schema(&iac_provider_digitalocean::DigitalOceanFactory::with_env(Vec::new())));
    assert!(problems.is_empty(), "{problems:?}");
}

#[test]
fn digitalocean_conforms() {
    rt().block_on(async {
        let h = sim(fast()).await;
        let tmp = tempfile::tempdir().unwrap();
        let stack = tmp.path().join("stack");
        std::fs::create_dir_all(&stack).unwrap();
        let all = [("digitalocean_vpc.net", Create), ("digitalocean_kubernetes_cluster.main", Create), ("digitalocean_kubernetes_node_pool.workers", Create)];
        let case = Case {
            name: "digitalocean".into(),
            steps: vec![
                Step::new(platform(&h.url(), "first", 1), &all),
                Step::new(platform(&h.url(), "second", 1), &[("digitalocean_vpc.net", Update)]),
                Step::new(platform(&h.url(), "second", 3), &[("digitalocean_kubernetes_node_pool.workers", Update)]),
            ],
            imports: vec![
                ("digitalocean_vpc.net".into(), "id".into()),
                ("digitalocean_kubernetes_cluster.main".into(), "id".into()),
                ("digitalocean_kubernetes_node_pool.workers".into(), "id".into()),
            ],
            parallelism: 4,
            remote_objects: true,
        };
        run(&case, &stack, &env(tmp.path())).await;
        h.with_store(|s| assert!(s.clusters.is_empty(), "destroy left clusters in the simulator"));
        assert_contract(&h);
    });
}

/// The data sources feed resources: the versions data source picks the
/// cluster's version (a new prefix is an in-place upgrade), and the cluster
/// data source, read by name once the cluster exists, places a node pool.
fn with_data(url: &str, prefix: &str, pool: bool) -> String {
    let mut text = format!(
        r#"{provider}
data "digitalocean_kubernetes_versions" "v" {{
  version_prefix = "{prefix}"
}}
resource "digitalocean_kubernetes_cluster" "main" {{
  name    = "data-conformance"
  region  = "lon1"
  version = data.digitalocean_kubernetes_versions.v.latest_version
  node_pool {{
    name       = "system"
    size       = "s-2vcpu-4gb"
    node_count = 1
  }}
}}
"#,
        provider = provider_block(url)
    );
    if pool {
        text.push_str(
            r#"data "digitalocean_kubernetes_cluster" "found" {
  name = "data-conformance"
}
resource "digitalocean_kubernetes_node_pool" "extra" {
  cluster_id = data.digitalocean_kubernetes_cluster.found.id
  name       = "extra"
  size       = "s-1vcpu-2gb"
  node_count = 1
  labels     = { region = data.digitalocean_kubernetes_cluster.found.region, pools = length(data.digitalocean_kubernetes_cluster.found.node_pool) > 0 ? "yes" : "no" }
}
"#,
        );
    }
    text
}

#[test]
fn digitalocean_data_sources_conform() {
    rt().block_on(async {
        let h = sim(fast()).await;
        let tmp = tempfile::tempdir().unwrap();
        let stack = tmp.path().join("stack");
        std::fs::create_dir_all(&stack).unwrap();
        let case = Case {
            name: "digitalocean data sources".into(),
            steps: vec![
                Step::new(with_data(&h.url(), "1.30.", false), &[("digitalocean_kubernetes_cluster.main", Create)]),
                Step::new(with_data(&h.url(), "1.30.", true), &[("digitalocean_kubernetes_node_pool.extra", Create)]),
                Step::new(with_data(&h.url(), "1.31.", true), &[("digitalocean_kubernetes_cluster.main", Update)]),
            ],
            imports: vec![("digitalocean_kubernetes_cluster.main".into(), "id".into()), ("digitalocean_kubernetes_node_pool.extra".into(), "id".into())],
            parallelism: 4,
            // The cluster data source reads by name, which fails once the
            // cluster is destroyed: the out-of-band deletion checks of these
            // resource types run in `digitalocean_conforms`.
            remote_objects: false,
        };
        run(&case, &stack, &env(tmp.path())).await;
        h.with_store(|s| {
            assert!(s.clusters.is_empty(), "destroy left clusters in the simulator");
        });
        assert_contract(&h);
    });
}

/// Upstream's defaults and shapes: `surge_upgrade` defaults to true, an
/// omitted `ha` is left to DigitalOcean (not sent), `timeouts` blocks are
/// taken on the cluster, the node pool and the VPC, and taints are a set
/// (the same taints in another order are no change).
fn parity(url: &str, taints: [(&str, &str); 2]) -> String {
    let taint = |(k, v): (&str, &str)| format!("    taint {{\n      key    = \"{k}\"\n      value  = \"{v}\"\n      effect = \"NoSchedule\"\n    }}\n");
    format!(
        r#"{provider}
resource "digitalocean_vpc" "net" {{
  name   = "parity-net"
  region = "ams3"
  timeouts {{
    delete = "5m"
  }}
}}
resource "digitalocean_kubernetes_cluster" "main" {{
  name     = "parity"
  region   = "ams3"
  version  = "1.31.1-do.5"
  vpc_uuid = digitalocean_vpc.net.id
  node_pool {{
    name       = "system"
    size       = "s-2vcpu-4gb"
    node_count = 1
{t0}{t1}  }}
  timeouts {{
    create = "30m"
  }}
}}
resource "digitalocean_kubernetes_node_pool" "gpu" {{
  cluster_id = digitalocean_kubernetes_cluster.main.id
  name       = "gpu"
  size       = "s-2vcpu-4gb"
  node_count = 1
  timeouts {{
    create = "20m"
    delete = "10m"
  }}
}}
"#,
        provider = provider_block(url),
        t0 = taint(taints[0]),
        t1 = taint(taints[1]),
    )
}

#[test]
fn upstream_defaults_timeouts_and_taint_sets_conform() {
    rt().block_on(async {
        let h = sim(fast()).await;
        let tmp = tempfile::tempdir().unwrap();
        let stack = tmp.path().join("stack");
        std::fs::create_dir_all(&stack).unwrap();
        let all = [("digitalocean_vpc.net", Create), ("digitalocean_kubernetes_cluster.main", Create), ("digitalocean_kubernetes_node_pool.gpu", Create)];
        let case = Case {
            name: "digitalocean parity".into(),
            steps: vec![
                Step::new(parity(&h.url(), [("a", "1"), ("b", "2")]), &all),
                // The same taints in another order: no change.
                Step::new(parity(&h.url(), [("b", "2"), ("a", "1")]), &[]),
                Step::new(parity(&h.url(), [("b", "2"), ("a", "3")]), &[("digitalocean_kubernetes_cluster.main", Update)]),
            ],
            // Imports of these types run in `digitalocean_conforms` (an
            // imported object has no `timeouts`, so this configuration
            // would plan to record them).
            imports: Vec::new(),
            parallelism: 4,
            remote_objects: false,
        };
        run(&case, &stack, &env(tmp.path())).await;
        let create = h.exchanges().into_iter().find(|e| e.method == "POST" && e.path == "/v2/kubernetes/clusters").expect("the cluster's create");
        let body: serde_json::Value = serde_json::from_str(&create.request_body).unwrap();
        assert_eq!(body["surge_upgrade"], true, "surge_upgrade defaults to true: {body}");
        assert!(body.get("ha").is_none(), "an omitted ha is not sent: {body}");
        assert_contract(&h);
    });
}
