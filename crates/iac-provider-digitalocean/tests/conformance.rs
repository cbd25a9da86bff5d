//! The digitalocean provider passes the provider conformance suite against
//! the simulator, and every exchange keeps to the OpenAPI contract.

mod common;

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
