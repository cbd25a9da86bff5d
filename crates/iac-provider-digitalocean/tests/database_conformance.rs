//! The managed database types pass the provider conformance suite against
//! the simulator, with the exact plans each edit must produce: a resize,
//! a new maintenance window, a version upgrade, new trusted sources and new
//! engine settings change the objects in place; a new engine replaces the
//! cluster and everything in it. Every exchange keeps to the OpenAPI
//! contract.

use crate::common;

use common::*;
use iac_core::plan::Action::{Create, Replace, Update};
use iac_testkit::conformance::provider::{run, Case, Step};

/// The knobs of the PostgreSQL case's steps.
struct Pg<'a> {
    size: &'a str,
    nodes: u32,
    version: &'a str,
    day: &'a str,
    rules: &'a str,
    work_mem: u32,
    replica_size: &'a str,
}

const FIRST: Pg = Pg {
    size: "db-s-1vcpu-2gb",
    nodes: 1,
    version: "16",
    day: "sunday",
    rules: r#"rule {
    type  = "ip_addr"
    value = "10.0.0.0/8"
  }
  rule {
    type  = "tag"
    value = "web"
  }"#,
    work_mem: 8,
    replica_size: "db-s-1vcpu-2gb",
};

fn postgres(url: &str, p: &Pg) -> String {
    format!(
        r#"{provider}
resource "digitalocean_vpc" "net" {{
  name     = "db-conformance-net"
  region   = "nyc1"
  ip_range = "10.60.0.0/20"
}}
resource "digitalocean_database_cluster" "main" {{
  name                 = "db-conformance"
  engine               = "pg"
  version              = "{version}"
  size                 = "{size}"
  region               = "nyc1"
  node_count           = {nodes}
  private_network_uuid = digitalocean_vpc.net.id
  tags                 = ["app", "conformance"]
  maintenance_window {{
    day  = "{day}"
    hour = "04:00"
  }}
}}
resource "digitalocean_database_db" "app" {{
  cluster_id = digitalocean_database_cluster.main.id
  name       = "app"
}}
resource "digitalocean_database_user" "app" {{
  cluster_id = digitalocean_database_cluster.main.id
  name       = "app"
}}
resource "digitalocean_database_connection_pool" "app" {{
  cluster_id = digitalocean_database_cluster.main.id
  name       = "app-pool"
  mode       = "transaction"
  size       = 10
  db_name    = digitalocean_database_db.app.name
  user       = digitalocean_database_user.app.name
}}
resource "digitalocean_database_firewall" "main" {{
  cluster_id = digitalocean_database_cluster.main.id
  {rules}
}}
resource "digitalocean_database_replica" "read" {{
  cluster_id = digitalocean_database_cluster.main.id
  name       = "db-conformance-read"
  size       = "{replica_size}"
}}
resource "digitalocean_database_postgresql_config" "main" {{
  cluster_id = digitalocean_database_cluster.main.id
  work_mem   = {work_mem}
  timezone   = "UTC"
  pgbouncer {{
    min_pool_size = 2
  }}
}}
"#,
        provider = provider_block(url),
        version = p.version,
        size = p.size,
        nodes = p.nodes,
        day = p.day,
        rules = p.rules,
        work_mem = p.work_mem,
        replica_size = p.replica_size,
    )
}

#[test]
fn postgresql_cluster_and_its_parts_conform() {
    rt().block_on(async {
        let h = sim(fast()).await;
        let tmp = tempfile::tempdir().unwrap();
        let stack = tmp.path().join("stack");
        std::fs::create_dir_all(&stack).unwrap();
        let url = h.url();
        let all = [
            ("digitalocean_vpc.net", Create),
            ("digitalocean_database_cluster.main", Create),
            ("digitalocean_database_db.app", Create),
            ("digitalocean_database_user.app", Create),
            ("digitalocean_database_connection_pool.app", Create),
            ("digitalocean_database_firewall.main", Create),
            ("digitalocean_database_replica.read", Create),
            ("digitalocean_database_postgresql_config.main", Create),
        ];
        let rules = r#"rule {
    type  = "ip_addr"
    value = "10.0.0.0/8"
  }
  rule {
    type  = "ip_addr"
    value = "192.168.0.0/16"
  }"#;
        let case = Case {
            name: "digitalocean databases".into(),
            steps: vec![
                Step::new(postgres(&url, &FIRST), &all),
                // A resize (size and node count) is made in place.
                Step::new(postgres(&url, &Pg { size: "db-s-2vcpu-4gb", nodes: 2, ..FIRST }), &[("digitalocean_database_cluster.main", Update)]),
                // A new window, trusted sources, engine settings and replica size: each in place.
                Step::new(
                    postgres(&url, &Pg { size: "db-s-2vcpu-4gb", nodes: 2, day: "saturday", rules, work_mem: 16, replica_size: "db-s-2vcpu-4gb", ..FIRST }),
                    &[
                        ("digitalocean_database_cluster.main", Update),
                        ("digitalocean_database_firewall.main", Update),
                        ("digitalocean_database_postgresql_config.main", Update),
                        ("digitalocean_database_replica.read", Update),
                    ],
                ),
                // A major version upgrade, in place.
                Step::new(
                    postgres(
                        &url,
                        &Pg { size: "db-s-2vcpu-4gb", nodes: 2, day: "saturday", rules, work_mem: 16, replica_size: "db-s-2vcpu-4gb", version: "17" },
                    ),
                    &[("digitalocean_database_cluster.main", Update)],
                ),
            ],
            imports: vec![
                ("digitalocean_database_cluster.main".into(), "id".into()),
                ("digitalocean_database_db.app".into(), "{cluster_id},{name}".into()),
                ("digitalocean_database_user.app".into(), "{cluster_id},{name}".into()),
                ("digitalocean_database_connection_pool.app".into(), "{cluster_id},{name}".into()),
                ("digitalocean_database_firewall.main".into(), "cluster_id".into()),
                ("digitalocean_database_replica.read".into(), "{cluster_id},{name}".into()),
                ("digitalocean_database_postgresql_config.main".into(), "cluster_id".into()),
            ],
            parallelism: 4,
            remote_objects: true,
        };
        run(&case, &stack, &env(tmp.path())).await;
        h.with_store(|s| assert!(s.databases.is_empty(), "destroy left database clusters in the simulator"));
        // The resize, the upgrade and the window went through their own calls.
        let calls: Vec<String> =
            h.exchanges().iter().filter(|e| e.method == "PUT" && e.status < 300).map(|e| e.path.rsplit('/').next().unwrap_or("").to_string()).collect();
        for call in ["resize", "upgrade", "maintenance", "firewall"] {
            assert!(calls.iter().any(|c| c == call), "no {call} call: {calls:?}");
        }
        assert_contract(&h);
    });
}

fn engine_case(url: &str, engine: &str, version: &str, plugin: Option<&str>) -> String {
    let plugin = plugin.map(|p| format!("  mysql_auth_plugin = \"{p}\"\n")).unwrap_or_default();
    format!(
        r#"{provider}
resource "digitalocean_database_cluster" "c" {{
  name       = "engine-conformance"
  engine     = "{engine}"
  version    = "{version}"
  size       = "db-s-1vcpu-1gb"
  region     = "ams3"
  node_count = 1
}}
resource "digitalocean_database_db" "d" {{
  cluster_id = digitalocean_database_cluster.c.id
  name       = "orders"
}}
resource "digitalocean_database_user" "u" {{
  cluster_id = digitalocean_database_cluster.c.id
  name       = "orders"
{plugin}}}
"#,
        provider = provider_block(url)
    )
}

#[test]
fn a_new_engine_replaces_the_cluster_and_its_contents() {
    rt().block_on(async {
        let h = sim(fast()).await;
        let tmp = tempfile::tempdir().unwrap();
        let stack = tmp.path().join("stack");
        std::fs::create_dir_all(&stack).unwrap();
        let url = h.url();
        let all = [("digitalocean_database_cluster.c", Create), ("digitalocean_database_db.d", Create), ("digitalocean_database_user.u", Create)];
        let replaced = [("digitalocean_database_cluster.c", Replace), ("digitalocean_database_db.d", Replace), ("digitalocean_database_user.u", Replace)];
        let case = Case {
            name: "digitalocean database engines".into(),
            steps: vec![
                Step::new(engine_case(&url, "mysql", "8", Some("mysql_native_password")), &all),
                // MySQL's authentication plugin is reset in place.
                Step::new(engine_case(&url, "mysql", "8", Some("caching_sha2_password")), &[("digitalocean_database_user.u", Update)]),
                Step::new(engine_case(&url, "pg", "16", None), &replaced),
            ],
            imports: vec![
                ("digitalocean_database_cluster.c".into(), "id".into()),
                ("digitalocean_database_db.d".into(), "{cluster_id},{name}".into()),
                ("digitalocean_database_user.u".into(), "{cluster_id},{name}".into()),
            ],
            parallelism: 4,
            remote_objects: true,
        };
        run(&case, &stack, &env(tmp.path())).await;
        h.with_store(|s| assert!(s.databases.is_empty()));
        let resets = h.exchanges().iter().filter(|e| e.path.ends_with("/reset_auth") && e.status == 200).count();
        assert_eq!(resets, 1);
        assert_contract(&h);
    });
}

/// The data sources read a cluster that exists (by name, and its CA by
/// id). They fail once it is destroyed, so the out-of-band deletion checks
/// of the cluster run in the cases above.
fn with_data(url: &str, data: bool) -> String {
    let mut text = format!(
        r#"{provider}
resource "digitalocean_database_cluster" "c" {{
  name       = "data-conformance"
  engine     = "pg"
  version    = "17"
  size       = "db-s-1vcpu-1gb"
  region     = "lon1"
  node_count = 1
}}
"#,
        provider = provider_block(url)
    );
    if data {
        text.push_str(
            r#"data "digitalocean_database_cluster" "found" {
  name = "data-conformance"
}
data "digitalocean_database_ca" "ca" {
  cluster_id = data.digitalocean_database_cluster.found.id
}
resource "digitalocean_database_db" "from_data" {
  cluster_id = data.digitalocean_database_cluster.found.id
  name       = "${data.digitalocean_database_cluster.found.engine}-${data.digitalocean_database_cluster.found.port}-${startswith(data.digitalocean_database_ca.ca.certificate, "-----BEGIN CERTIFICATE-----")}"
}
"#,
        );
    }
    text
}

#[test]
fn database_data_sources_conform() {
    rt().block_on(async {
        let h = sim(fast()).await;
        let tmp = tempfile::tempdir().unwrap();
        let stack = tmp.path().join("stack");
        std::fs::create_dir_all(&stack).unwrap();
        let case = Case {
            name: "digitalocean database data sources".into(),
            steps: vec![
                Step::new(with_data(&h.url(), false), &[("digitalocean_database_cluster.c", Create)]),
                Step::new(with_data(&h.url(), true), &[("digitalocean_database_db.from_data", Create)]),
            ],
            imports: vec![("digitalocean_database_db.from_data".into(), "{cluster_id},{name}".into())],
            parallelism: 4,
            remote_objects: false,
        };
        run(&case, &stack, &env(tmp.path())).await;
        h.with_store(|s| assert!(s.databases.is_empty()));
        let made = h.exchanges().iter().any(|e| e.method == "POST" && e.path.ends_with("/dbs") && e.request_body.contains(r#""pg-25060-true""#));
        assert!(made, "the database's name came from the data sources (engine, port, a PEM certificate)");
        assert_contract(&h);
    });
}
