//! The account-wide types a SaaS platform puts around its cluster pass the
//! provider conformance suite against the simulator, with the exact plans
//! each edit must produce: a project (holding the VPC) and a second one
//! whose objects `digitalocean_project_resources` manages, a domain with
//! its records, a cloud firewall on a tag, and the tag. Every exchange
//! keeps to the OpenAPI contract.

use crate::common;

use common::*;
use iac_core::plan::Action::{Create, Read, Replace, Update};
use iac_testkit::conformance::provider::{run, Case, Step};

struct P<'a> {
    description: &'a str,
    ttl: u32,
    www: &'a str,
    admin_port: &'a str,
    tag: &'a str,
}

const FIRST: P = P { description: "the SaaS platform", ttl: 300, www: "203.0.113.10", admin_port: "8443", tag: "platform-web" };

fn platform(url: &str, p: &P) -> String {
    format!(
        r#"{provider}
resource "digitalocean_vpc" "net" {{
  name     = "saas-net"
  region   = "fra1"
  ip_range = "10.70.0.0/20"
}}
resource "digitalocean_tag" "web" {{
  name = "{tag}"
}}
resource "digitalocean_project" "saas" {{
  name        = "saas"
  description = "{description}"
  purpose     = "Web Application"
  environment = "production"
  resources   = [digitalocean_vpc.net.urn]
}}
resource "digitalocean_domain" "main" {{
  name       = "saas-example.com"
  ip_address = "203.0.113.1"
}}
resource "digitalocean_record" "www" {{
  domain = digitalocean_domain.main.id
  type   = "A"
  name   = "www"
  value  = "{www}"
  ttl    = {ttl}
}}
resource "digitalocean_record" "mail" {{
  domain   = digitalocean_domain.main.id
  type     = "MX"
  name     = "@"
  value    = "mx.saas-example.com."
  priority = 10
}}
resource "digitalocean_record" "verify" {{
  domain = digitalocean_domain.main.id
  type   = "TXT"
  name   = "_verify"
  value  = "token=abc"
}}
resource "digitalocean_project" "dns" {{
  name    = "saas-dns"
  purpose = "Service or API"
}}
resource "digitalocean_project_resources" "dns" {{
  project   = digitalocean_project.dns.id
  resources = [digitalocean_domain.main.urn]
}}
resource "digitalocean_firewall" "web" {{
  name = "saas-web"
  tags = [digitalocean_tag.web.id]
  inbound_rule {{
    protocol         = "tcp"
    port_range       = "443"
    source_addresses = ["0.0.0.0/0", "::/0"]
  }}
  inbound_rule {{
    protocol         = "tcp"
    port_range       = "{admin_port}"
    source_addresses = ["10.70.0.0/20"]
  }}
  inbound_rule {{
    protocol    = "icmp"
    source_tags = [digitalocean_tag.web.id]
  }}
  outbound_rule {{
    protocol              = "tcp"
    port_range            = "1-65535"
    destination_addresses = ["0.0.0.0/0", "::/0"]
  }}
}}
"#,
        provider = provider_block(url),
        description = p.description,
        ttl = p.ttl,
        www = p.www,
        admin_port = p.admin_port,
        tag = p.tag,
    )
}

#[test]
fn projects_domains_firewalls_and_tags_conform() {
    rt().block_on(async {
        let h = sim(fast()).await;
        let tmp = tempfile::tempdir().unwrap();
        let stack = tmp.path().join("stack");
        std::fs::create_dir_all(&stack).unwrap();
        let url = h.url();
        let all = [
            ("digitalocean_vpc.net", Create),
            ("digitalocean_tag.web", Create),
            ("digitalocean_project.saas", Create),
            ("digitalocean_domain.main", Create),
            ("digitalocean_record.www", Create),
            ("digitalocean_record.mail", Create),
            ("digitalocean_record.verify", Create),
            ("digitalocean_project.dns", Create),
            ("digitalocean_project_resources.dns", Create),
            ("digitalocean_firewall.web", Create),
        ];
        let case = Case {
            name: "digitalocean platform".into(),
            steps: vec![
                Step::new(platform(&url, &FIRST), &all),
                // A record's value and TTL, a firewall rule and a project's description: in place.
                Step::new(
                    platform(&url, &P { description: "SaaS", ttl: 600, www: "203.0.113.20", admin_port: "9443", ..FIRST }),
                    &[("digitalocean_project.saas", Update), ("digitalocean_record.www", Update), ("digitalocean_firewall.web", Update)],
                ),
                // A new tag name replaces the tag; the firewall follows in place.
                Step::new(
                    platform(&url, &P { description: "SaaS", ttl: 600, www: "203.0.113.20", admin_port: "9443", tag: "platform-edge" }),
                    &[("digitalocean_tag.web", Replace), ("digitalocean_firewall.web", Update)],
                ),
            ],
            imports: vec![
                ("digitalocean_tag.web".into(), "id".into()),
                ("digitalocean_project.saas".into(), "id".into()),
                ("digitalocean_project.dns".into(), "id".into()),
                ("digitalocean_project_resources.dns".into(), "id".into()),
                ("digitalocean_domain.main".into(), "id".into()),
                ("digitalocean_record.www".into(), "{domain},{id}".into()),
                ("digitalocean_record.mail".into(), "{domain},{id}".into()),
                ("digitalocean_firewall.web".into(), "id".into()),
            ],
            parallelism: 4,
            remote_objects: true,
        };
        run(&case, &stack, &env(tmp.path())).await;
        h.with_store(|s| {
            assert!(s.platform.domains.is_empty(), "destroy left domains");
            assert!(s.platform.firewalls.is_empty(), "destroy left firewalls");
            assert!(s.platform.tags.is_empty(), "destroy left tags");
            assert_eq!(s.platform.projects.iter().filter(|p| !p.is_default).count(), 0, "destroy left projects");
        });
        assert_contract(&h);
    });
}

/// Removing an object from `digitalocean_project_resources` moves it back
/// to the default project; a project is deleted after what it holds moves
/// there.
#[test]
fn project_membership_moves_through_the_default_project() {
    rt().block_on(async {
        let h = sim(fast()).await;
        let tmp = tempfile::tempdir().unwrap();
        let text = |with_domain: bool| {
            let list = if with_domain { "[digitalocean_vpc.a.urn, digitalocean_domain.d.urn]" } else { "[digitalocean_vpc.a.urn]" };
            format!(
                r#"{provider}
resource "digitalocean_vpc" "a" {{
  name   = "members-a"
  region = "nyc1"
}}
resource "digitalocean_domain" "d" {{
  name = "members.example"
}}
resource "digitalocean_project" "p" {{
  name = "members"
}}
resource "digitalocean_project_resources" "r" {{
  project   = digitalocean_project.p.id
  resources = {list}
}}
"#,
                provider = provider_block(&h.url())
            )
        };
        let stack = write_stack(tmp.path(), &text(true));
        let e = env(tmp.path());
        let p = plan(&stack, &e).await;
        apply(&stack, &e, p).await;
        let in_project = |name: &str| h.with_store(|s| s.platform.projects.iter().find(|p| p.name == name).map(|p| p.resources.len()).unwrap_or(0));
        assert_eq!(in_project("members"), 2);
        std::fs::write(stack.join("main.tf"), text(false)).unwrap();
        let p = plan(&stack, &e).await;
        assert_eq!(changes(&p), vec!["Update digitalocean_project_resources.r".to_string()]);
        apply(&stack, &e, p).await;
        assert_eq!(in_project("members"), 1);
        let default_holds_domain =
            h.with_store(|s| s.platform.projects.iter().any(|p| p.is_default && p.resources.iter().any(|(u, _)| u == "do:domain:members.example")));
        assert!(default_holds_domain, "the domain went back to the default project");
        let d = plan_mode(&stack, &e, iac_core::plan::PlanMode::Destroy).await.unwrap();
        apply(&stack, &e, d).await;
        h.with_store(|s| assert!(s.platform.projects.iter().all(|p| p.is_default), "the project is gone"));
        assert_contract(&h);
    });
}

/// The catalog data sources feed resources: a region picked by `filter`,
/// the cheapest 2-vCPU size by `sort`, and a VPC read back by id.
fn catalog(url: &str, vcpus: u32) -> String {
    format!(
        r#"{provider}
data "digitalocean_regions" "fra" {{
  filter {{
    key    = "available"
    values = ["true"]
  }}
  filter {{
    key    = "slug"
    values = ["fra"]
    match_by = "substring"
  }}
  sort {{
    key = "slug"
  }}
}}
data "digitalocean_sizes" "small" {{
  filter {{
    key    = "vcpus"
    values = ["{vcpus}"]
  }}
  sort {{
    key       = "price_monthly"
    direction = "asc"
  }}
}}
resource "digitalocean_vpc" "net" {{
  name   = "catalog-net"
  region = data.digitalocean_regions.fra.regions[0].slug
}}
data "digitalocean_vpc" "net" {{
  id = digitalocean_vpc.net.id
}}
resource "digitalocean_tag" "size" {{
  name = "size-${{data.digitalocean_sizes.small.sizes[0].slug}}"
}}
resource "digitalocean_tag" "vpc" {{
  name = "vpc-${{data.digitalocean_vpc.net.name}}-${{data.digitalocean_vpc.net.region}}"
}}
"#,
        provider = provider_block(url)
    )
}

#[test]
fn catalog_data_sources_conform() {
    rt().block_on(async {
        let h = sim(fast()).await;
        let tmp = tempfile::tempdir().unwrap();
        let stack = tmp.path().join("stack");
        std::fs::create_dir_all(&stack).unwrap();
        let case = Case {
            name: "digitalocean catalog".into(),
            steps: vec![
                Step::new(
                    catalog(&h.url(), 2),
                    &[
                        ("digitalocean_vpc.net", Create),
                        ("data.digitalocean_vpc.net", Read),
                        ("digitalocean_tag.size", Create),
                        ("digitalocean_tag.vpc", Create),
                    ],
                ),
                // Another size picked: the tag named after it is replaced.
                Step::new(catalog(&h.url(), 4), &[("digitalocean_tag.size", Replace)]),
            ],
            imports: Vec::new(),
            parallelism: 4,
            remote_objects: true,
        };
        run(&case, &stack, &env(tmp.path())).await;
        let names: Vec<String> = h
            .exchanges()
            .iter()
            .filter(|e| e.method == "POST" && e.path == "/v2/tags")
            .map(|e| serde_json::from_str::<serde_json::Value>(&e.request_body).unwrap()["name"].as_str().unwrap_or_default().to_string())
            .collect();
        assert!(
            names.contains(&"size-s-2vcpu-2gb".to_string())
                && names.contains(&"vpc-catalog-net-fra1".to_string())
                && names.contains(&"size-s-4vcpu-8gb".to_string()),
            "{names:?}"
        );
        assert_contract(&h);
    });
}

fn keys(url: &str, permission: &str) -> String {
    format!(
        r#"{provider}
resource "digitalocean_spaces_key" "app" {{
  name = "saas-app"
  grant {{
    bucket     = "saas-assets"
    permission = "{permission}"
  }}
}}
resource "digitalocean_spaces_key" "admin" {{
  name = "saas-admin"
  grant {{
    bucket     = ""
    permission = "fullaccess"
  }}
}}
data "digitalocean_spaces_key" "admin" {{
  access_key = digitalocean_spaces_key.admin.access_key
}}
resource "digitalocean_tag" "key" {{
  name = "key-${{data.digitalocean_spaces_key.admin.name}}-${{data.digitalocean_spaces_key.admin.grant[0].permission}}"
}}
"#,
        provider = provider_block(url)
    )
}

/// Spaces keys through the DigitalOcean API: grants change in place, the
/// secret (shown once) stays in state, sensitive; the data source reads a
/// key's name and grants (never its secret) by its access key.
#[test]
fn spaces_keys_conform() {
    rt().block_on(async {
        let h = sim(fast()).await;
        let tmp = tempfile::tempdir().unwrap();
        let stack = tmp.path().join("stack");
        std::fs::create_dir_all(&stack).unwrap();
        let case = Case {
            name: "digitalocean spaces keys".into(),
            steps: vec![
                Step::new(
                    keys(&h.url(), "read"),
                    &[
                        ("digitalocean_spaces_key.app", Create),
                        ("digitalocean_spaces_key.admin", Create),
                        ("data.digitalocean_spaces_key.admin", Read),
                        ("digitalocean_tag.key", Create),
                    ],
                ),
                Step::new(keys(&h.url(), "readwrite"), &[("digitalocean_spaces_key.app", Update)]),
            ],
            // An imported key has no secret in state (the API shows it only to the create).
            imports: vec![("digitalocean_spaces_key.app".into(), "id".into())],
            parallelism: 4,
            remote_objects: true,
        };
        run(&case, &stack, &env(tmp.path())).await;
        h.with_store(|s| assert!(s.platform.spaces_keys.is_empty(), "destroy left keys"));
        // The tag's name was made of what the data source read.
        let tags: Vec<String> = h
            .exchanges()
            .iter()
            .filter(|e| e.method == "POST" && e.path == "/v2/tags")
            .map(|e| serde_json::from_str::<serde_json::Value>(&e.request_body).unwrap()["name"].as_str().unwrap_or_default().to_string())
            .collect();
        assert!(tags.contains(&"key-saas-admin-fullaccess".to_string()), "{tags:?}");
        assert_contract(&h);
    });
}
