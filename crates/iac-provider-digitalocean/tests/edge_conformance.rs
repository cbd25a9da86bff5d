//! What a SaaS platform puts at its edge passes the provider conformance
//! suite against the simulator, with the exact plans each edit must
//! produce: load balancers (and their data source), certificates (custom
//! and Let's Encrypt, and their data source) and the container registry
//! with its Docker credentials. A change made in the console is drift that
//! a plan puts back. Every exchange keeps to the OpenAPI contract.

use crate::common;

use common::*;
use iac_core::plan::Action::{Create, Read, Replace, Update};
use iac_core::plan::PlanMode;
use iac_testkit::conformance::provider::{run, Case, Step};

struct Lb<'a> {
    idle: u32,
    redirect: bool,
    admin_rule: bool,
    sticky: bool,
    network: &'a str,
}

const LB: Lb = Lb { idle: 60, redirect: false, admin_rule: false, sticky: false, network: "EXTERNAL" };

fn load_balancers(url: &str, l: &Lb) -> String {
    let admin = if l.admin_rule {
        r#"
  forwarding_rule {
    entry_port      = 8443
    entry_protocol  = "tcp"
    target_port     = 8443
    target_protocol = "tcp"
  }"#
    } else {
        ""
    };
    let sticky = if l.sticky {
        r#"
  sticky_sessions {
    type               = "cookies"
    cookie_name        = "saas"
    cookie_ttl_seconds = 600
  }"#
    } else {
        ""
    };
    format!(
        r#"{provider}
resource "digitalocean_vpc" "net" {{
  name     = "edge-net"
  region   = "fra1"
  ip_range = "10.80.0.0/20"

  timeouts {{
    delete = "5m"
  }}
}}
resource "digitalocean_loadbalancer" "web" {{
  name        = "saas-web"
  region      = "fra1"
  vpc_uuid    = digitalocean_vpc.net.id
  droplet_tag = "saas-web"
  network     = "{network}"

  http_idle_timeout_seconds = {idle}
  redirect_http_to_https    = {redirect}

  forwarding_rule {{
    entry_port      = 80
    entry_protocol  = "http"
    target_port     = 8080
    target_protocol = "http"
  }}{admin}

  healthcheck {{
    port     = 8080
    protocol = "http"
    path     = "/healthz"
  }}{sticky}

  firewall {{
    allow = ["cidr:10.80.0.0/20", "ip:198.51.100.7"]
  }}
}}
resource "digitalocean_loadbalancer" "tcp" {{
  name        = "saas-tcp"
  region      = "fra1"
  vpc_uuid    = digitalocean_vpc.net.id
  droplet_ids = [1001, 1002]
  size_unit   = 2

  forwarding_rule {{
    entry_port      = 5432
    entry_protocol  = "tcp"
    target_port     = 5432
    target_protocol = "tcp"
  }}

  healthcheck {{
    port     = 5432
    protocol = "tcp"
  }}
}}
data "digitalocean_loadbalancer" "web" {{
  id = digitalocean_loadbalancer.web.id
}}
data "digitalocean_loadbalancer" "tcp" {{
  id = digitalocean_loadbalancer.tcp.id
}}
resource "digitalocean_tag" "lb" {{
  name = "lb-${{data.digitalocean_loadbalancer.tcp.region}}-${{data.digitalocean_loadbalancer.tcp.size_unit}}"
}}
output "web_ip" {{
  value = data.digitalocean_loadbalancer.web.ip
}}
"#,
        provider = provider_block(url),
        network = l.network,
        idle = l.idle,
        redirect = l.redirect,
    )
}

#[test]
fn load_balancers_conform() {
    rt().block_on(async {
        let h = sim(fast()).await;
        let tmp = tempfile::tempdir().unwrap();
        let stack = tmp.path().join("stack");
        std::fs::create_dir_all(&stack).unwrap();
        let url = h.url();
        let case = Case {
            name: "digitalocean load balancers".into(),
            steps: vec![
                Step::new(
                    load_balancers(&url, &LB),
                    &[
                        ("digitalocean_vpc.net", Create),
                        ("digitalocean_loadbalancer.web", Create),
                        ("digitalocean_loadbalancer.tcp", Create),
                        ("data.digitalocean_loadbalancer.web", Read),
                        ("data.digitalocean_loadbalancer.tcp", Read),
                        ("digitalocean_tag.lb", Create),
                    ],
                ),
                // Rules, sticky sessions, the idle timeout and the redirect change in place.
                Step::new(
                    load_balancers(&url, &Lb { idle: 120, redirect: true, admin_rule: true, sticky: true, ..LB }),
                    // The lookup naming it is read at apply, after the update.
                    &[("digitalocean_loadbalancer.web", Update), ("data.digitalocean_loadbalancer.web", Read)],
                ),
                // Another network is another load balancer.
                Step::new(
                    load_balancers(&url, &Lb { idle: 120, redirect: true, admin_rule: true, sticky: true, network: "INTERNAL" }),
                    &[("digitalocean_loadbalancer.web", Replace), ("data.digitalocean_loadbalancer.web", Read)],
                ),
            ],
            // The VPC's `timeouts` block is no change for the imported VPC, which has none.
            imports: vec![
                ("digitalocean_vpc.net".into(), "id".into()),
                ("digitalocean_loadbalancer.web".into(), "id".into()),
                ("digitalocean_loadbalancer.tcp".into(), "id".into()),
            ],
            parallelism: 4,
            remote_objects: true,
        };
        run(&case, &stack, &env(tmp.path())).await;
        h.with_store(|s| assert!(s.edge.load_balancers.is_empty(), "destroy left load balancers"));
        assert_contract(&h);
    });
}

/// A redirect switched on and the firewall emptied in the console are drift
/// that the next apply puts back in place.
#[test]
fn a_console_edit_of_a_load_balancer_is_drift() {
    rt().block_on(async {
        let h = sim(fast()).await;
        let tmp = tempfile::tempdir().unwrap();
        let e = env(tmp.path());
        let st = write_stack(tmp.path(), &load_balancers(&h.url(), &LB));
        let p = plan(&st, &e).await;
        apply(&st, &e, p).await;
        // The data source finds a load balancer by name too.
        let by_name =
            "data \"digitalocean_loadbalancer\" \"named\" {\n  name = \"saas-web\"\n}\noutput \"ip\" {\n  value = data.digitalocean_loadbalancer.named.ip\n}\n";
        std::fs::write(st.join("named.tf"), by_name).unwrap();
        assert!(changes(&plan(&st, &e).await).iter().all(|c| c.contains("output") || c.is_empty()), "a read by name changes nothing");
        h.with_store(|s| {
            let lb = s.edge.load_balancers.iter_mut().find(|l| l.spec["name"] == "saas-web").unwrap();
            lb.spec.insert("redirect_http_to_https".into(), serde_json::json!(true));
            lb.spec.insert("firewall".into(), serde_json::json!({"allow": [], "deny": []}));
        });
        let refresh = plan_mode(&st, &e, PlanMode::RefreshOnly).await.unwrap();
        let drift: Vec<String> = refresh.drift.iter().flat_map(|d| d.paths.iter().map(move |p| format!("{:?} {} {p}", d.action, d.addr))).collect();
        assert!(drift.iter().any(|d| d.starts_with("Update digitalocean_loadbalancer.web redirect_http_to_https")), "{drift:?}");
        assert!(drift.iter().any(|d| d.starts_with("Update digitalocean_loadbalancer.web firewall")), "{drift:?}");
        let p = plan(&st, &e).await;
        // The lookup naming it is read at apply, after the update (Terraform's
        // read_because_dependency_pending).
        assert_eq!(changes(&p), vec!["Update digitalocean_loadbalancer.web".to_string(), "Read data.digitalocean_loadbalancer.web".to_string()]);
        apply(&st, &e, p).await;
        h.with_store(|s| {
            let lb = s.edge.load_balancers.iter().find(|l| l.spec["name"] == "saas-web").unwrap();
            assert_eq!(lb.spec["redirect_http_to_https"], false);
            assert_eq!(lb.spec["firewall"]["allow"], serde_json::json!(["cidr:10.80.0.0/20", "ip:198.51.100.7"]));
        });
        assert!(changes(&plan(&st, &e).await).is_empty(), "put back");
        assert_contract(&h);
    });
}

const KEY: &str = r"-----BEGIN PRIVATE KEY-----\nMIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDBIZMz8pnK6V52\n-----END PRIVATE KEY-----\n";
const LEAF: &str =
    r"-----BEGIN CERTIFICATE-----\n# dns: api.edge-example.com\nMIIFFjCCA/6gAwIBAgISA+0pFRM0WDPLn1v+KFiUjXEiMA0GCSqGSIb3DQEBCwUA\n-----END CERTIFICATE-----\n";
const CHAIN: &str = r"-----BEGIN CERTIFICATE-----\nMIIEkjCCA3qgAwIBAgIQCgFBQgAAAVOFc2oLheynCDANBgkqhkiG9w0BAQsFADA/\n-----END CERTIFICATE-----\n";

fn certificates(url: &str, custom_name: &str, tls_rule: bool) -> String {
    let tls_rule = if tls_rule {
        r#"
  forwarding_rule {
    entry_port       = 8443
    entry_protocol   = "https"
    target_port      = 8443
    target_protocol  = "https"
    certificate_name = digitalocean_certificate.custom.name
  }"#
    } else {
        ""
    };
    format!(
        r#"{provider}
resource "digitalocean_domain" "main" {{
  name = "edge-example.com"
}}
resource "digitalocean_certificate" "custom" {{
  name              = "{custom_name}"
  type              = "custom"
  private_key       = "{KEY}"
  leaf_certificate  = "{LEAF}"
  certificate_chain = "{CHAIN}"

  lifecycle {{
    create_before_destroy = true
  }}
}}
resource "digitalocean_certificate" "le" {{
  name    = "saas-le"
  type    = "lets_encrypt"
  domains = ["edge-example.com", "www.${{digitalocean_domain.main.id}}"]

  timeouts {{
    create = "5m"
    delete = "15m"
  }}

  lifecycle {{
    create_before_destroy = true
  }}
}}
resource "digitalocean_loadbalancer" "tls" {{
  name   = "saas-tls"
  region = "ams3"

  forwarding_rule {{
    entry_port       = 443
    entry_protocol   = "https"
    target_port      = 80
    target_protocol  = "http"
    certificate_name = digitalocean_certificate.le.name
  }}{tls_rule}
  redirect_http_to_https = true
}}
data "digitalocean_certificate" "le" {{
  name = digitalocean_certificate.le.id
}}
resource "digitalocean_tag" "cert" {{
  name = "cert-${{data.digitalocean_certificate.le.type}}-${{length(data.digitalocean_certificate.le.domains)}}"
}}
"#,
        provider = provider_block(url),
    )
}

#[test]
fn certificates_conform() {
    rt().block_on(async {
        let h = sim(fast()).await;
        let tmp = tempfile::tempdir().unwrap();
        let stack = tmp.path().join("stack");
        std::fs::create_dir_all(&stack).unwrap();
        let url = h.url();
        let case = Case {
            name: "digitalocean certificates".into(),
            steps: vec![
                Step::new(
                    certificates(&url, "saas-custom", true),
                    &[
                        ("digitalocean_domain.main", Create),
                        ("digitalocean_certificate.custom", Create),
                        ("digitalocean_certificate.le", Create),
                        ("digitalocean_loadbalancer.tls", Create),
                        ("data.digitalocean_certificate.le", Read),
                        ("digitalocean_tag.cert", Create),
                    ],
                ),
                // The balancer lets go of the custom certificate in place ... (A
                // certificate in use is not replaced here: the engine deletes a
                // replaced object right after making its successor, before the
                // balancer moves to it, and DigitalOcean refuses that delete.)
                Step::new(certificates(&url, "saas-custom", false), &[("digitalocean_loadbalancer.tls", Update)]),
                // ... and a renamed certificate is a new one, made before the old one goes.
                Step::new(certificates(&url, "saas-custom-2", false), &[("digitalocean_certificate.custom", Replace)]),
            ],
            // A custom certificate's key and PEMs are not read back, so only the Let's Encrypt one
            // imports whole; its `timeouts` block is no change for the imported object.
            imports: vec![("digitalocean_certificate.le".into(), "id".into()), ("digitalocean_loadbalancer.tls".into(), "id".into())],
            parallelism: 4,
            remote_objects: true,
        };
        run(&case, &stack, &env(tmp.path())).await;
        h.with_store(|s| assert!(s.edge.certificates.is_empty() && s.edge.load_balancers.is_empty(), "destroy left certificates"));
        // The private key reached the API, and only the API.
        let sent = h.exchanges().iter().any(|e| {
            e.method == "POST" && e.path == "/v2/certificates" && e.request_body.contains("MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDBIZMz8pnK6V52")
        });
        assert!(sent);
        assert_contract(&h);
    });
}

fn registry(url: &str, tier: &str, write: bool, expiry: Option<u64>) -> String {
    let expiry = expiry.map(|e| format!("\n  expiry_seconds = {e}")).unwrap_or_default();
    format!(
        r#"{provider}
resource "digitalocean_container_registry" "saas" {{
  name                   = "saas-registry"
  subscription_tier_slug = "{tier}"
  region                 = "fra1"
}}
resource "digitalocean_container_registry_docker_credentials" "saas" {{
  registry_name = digitalocean_container_registry.saas.name
  write         = {write}{expiry}
}}
"#,
        provider = provider_block(url),
    )
}

#[test]
fn container_registry_and_docker_credentials_conform() {
    rt().block_on(async {
        let h = sim(fast()).await;
        let tmp = tempfile::tempdir().unwrap();
        let stack = tmp.path().join("stack");
        std::fs::create_dir_all(&stack).unwrap();
        let url = h.url();
        let case = Case {
            name: "digitalocean container registry".into(),
            steps: vec![
                Step::new(
                    registry(&url, "basic", false, None),
                    &[("digitalocean_container_registry.saas", Create), ("digitalocean_container_registry_docker_credentials.saas", Create)],
                ),
                // The tier is the account's subscription: in place; new credentials for pushing.
                Step::new(
                    registry(&url, "professional", true, Some(3600)),
                    &[("digitalocean_container_registry.saas", Update), ("digitalocean_container_registry_docker_credentials.saas", Update)],
                ),
                Step::new(registry(&url, "professional", false, None), &[("digitalocean_container_registry_docker_credentials.saas", Update)]),
            ],
            imports: vec![
                ("digitalocean_container_registry.saas".into(), "id".into()),
                ("digitalocean_container_registry_docker_credentials.saas".into(), "id".into()),
            ],
            parallelism: 4,
            remote_objects: true,
        };
        run(&case, &stack, &env(tmp.path())).await;
        h.with_store(|s| {
            assert!(s.edge.registries.is_empty(), "destroy left the registry");
            let asked: Vec<(bool, u64)> = s.edge.credentials.iter().map(|c| (c.read_write, c.expiry_seconds)).collect();
            assert!(asked.contains(&(true, 3600)) && asked.contains(&(false, 1_576_800_000)), "{asked:?}");
        });
        assert_contract(&h);
    });
}

const LEAF_RENEWED: &str =
    r"-----BEGIN CERTIFICATE-----\n# dns: api.edge-example.com\nMIIFFjCCA/6gAwIBAgISBFmZkVx2c2CJnYhQmGq1yQ0LMA0GCSqGSIb3DQEBCwUA\n-----END CERTIFICATE-----\n";

fn custom_certificate(url: &str, leaf: &str) -> String {
    format!(
        r#"{provider}
resource "digitalocean_certificate" "custom" {{
  name              = "pem-digests"
  private_key       = "{KEY}"
  leaf_certificate  = "{leaf}"
  certificate_chain = "{CHAIN}"
}}
"#,
        provider = provider_block(url),
    )
}

/// The PEM a constant stands for (the constants are HCL string text).
fn pem(hcl: &str) -> String {
    hcl.replace("\\n", "\n")
}

fn sha1_hex(text: &str) -> String {
    use sha1::Digest as _;
    hex::encode(sha1::Sha1::digest(text.as_bytes()))
}

async fn certificate_state(e: &iac_engine::ops::Env) -> iac_core::Value {
    let state = iac_engine::ops::read_state(e.backend.as_ref()).await.expect("state reads");
    state.resources.iter().find(|(a, _)| a.to_string() == "digitalocean_certificate.custom").map(|(_, i)| i.attributes.clone()).expect("in state")
}

/// Every file under `dir`, as text.
fn texts(dir: &std::path::Path) -> String {
    let mut out = String::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = entry.path();
        if p.is_dir() {
            out.push_str(&texts(&p));
        } else {
            out.push_str(&String::from_utf8_lossy(&std::fs::read(&p).unwrap_or_default()));
        }
    }
    out
}

/// A custom certificate's PEMs reach DigitalOcean, and state keeps their
/// SHA-1 digests as upstream's state does (so states move between the two
/// and no private key is stored): the same PEMs plan nothing, a renewed leaf
/// certificate is a replacement, and a state written before digests were
/// kept (the PEMs themselves) is read into digests without a change.
#[test]
fn certificate_pems_are_kept_as_their_sha1_digests() {
    rt().block_on(async {
        let h = sim(fast()).await;
        let tmp = tempfile::tempdir().unwrap();
        let e = env(tmp.path());
        let st = write_stack(tmp.path(), &custom_certificate(&h.url(), LEAF));
        let p = plan(&st, &e).await;
        apply(&st, &e, p).await;
        let digests = |leaf: &str| {
            [
                ("private_key", iac_core::Value::from(sha1_hex(&pem(KEY)))),
                ("leaf_certificate", iac_core::Value::from(sha1_hex(&pem(leaf)))),
                ("certificate_chain", iac_core::Value::from(sha1_hex(&pem(CHAIN)))),
            ]
        };
        let cert = certificate_state(&e).await;
        for (k, d) in digests(LEAF) {
            assert_eq!(cert.get(k), Some(&d), "{k} is kept as its SHA-1");
        }
        assert!(!texts(&tmp.path().join("state")).contains("MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDBIZMz8pnK6V52"), "no private key in state");
        assert!(changes(&plan(&st, &e).await).is_empty(), "the same PEMs are no change");

        // A renewed leaf certificate is another certificate.
        std::fs::write(st.join("main.tf"), custom_certificate(&h.url(), LEAF_RENEWED)).unwrap();
        let p = plan(&st, &e).await;
        assert_eq!(changes(&p), vec!["Replace digitalocean_certificate.custom".to_string()]);
        apply(&st, &e, p).await;
        assert!(h.exchanges().iter().any(|x| x.method == "POST" && x.path == "/v2/certificates" && x.request_body.contains("BFmZkVx2c2CJnYhQmGq1yQ0L")));
        for (k, d) in digests(LEAF_RENEWED) {
            assert_eq!(certificate_state(&e).await.get(k), Some(&d), "{k} after the replacement");
        }

        // A state that kept the PEMs themselves: no change, and a refresh keeps digests.
        iac_engine::ops::edit_state(&e, "test: a state from before digests", |s| {
            let inst = s.resources.iter_mut().find(|(a, _)| a.to_string() == "digitalocean_certificate.custom").map(|(_, i)| i).expect("in state");
            if let iac_core::Value::Map(m) = &mut inst.attributes {
                m.insert("private_key".into(), iac_core::Value::from(pem(KEY)));
                m.insert("leaf_certificate".into(), iac_core::Value::from(pem(LEAF_RENEWED)));
                m.insert("certificate_chain".into(), iac_core::Value::from(pem(CHAIN)));
            }
            Ok(())
        })
        .await
        .expect("state edit");
        assert!(changes(&plan(&st, &e).await).is_empty(), "PEMs in an old state are the digests' PEMs");
        let refresh = plan_mode(&st, &e, PlanMode::RefreshOnly).await.unwrap();
        apply(&st, &e, refresh).await;
        for (k, d) in digests(LEAF_RENEWED) {
            assert_eq!(certificate_state(&e).await.get(k), Some(&d), "{k} after a refresh of the old state");
        }
        assert_contract(&h);
    });
}

/// A refresh reads the load balancers and the certificates from one list
/// each (what a certificate is named, too), not with one GET per object.
#[test]
fn a_refresh_reads_load_balancers_and_certificates_from_their_lists() {
    rt().block_on(async {
        let h = sim(fast()).await;
        let tmp = tempfile::tempdir().unwrap();
        let e = env(tmp.path());
        let st = write_stack(tmp.path(), &certificates(&h.url(), "saas-custom", true));
        let p = plan(&st, &e).await;
        apply(&st, &e, p).await;
        h.reset_stats();
        let refresh = plan_mode(&st, &e, PlanMode::RefreshOnly).await.unwrap();
        assert!(refresh.drift.is_empty(), "{:?}", refresh.drift.iter().map(|d| d.addr.to_string()).collect::<Vec<_>>());
        let routes = h.stats().by_route;
        let count = |route: &str| routes.iter().filter(|(k, _)| k.as_str() == route).map(|(_, n)| *n).sum::<u64>();
        assert_eq!(count("GET /v2/load_balancers/{id}"), 0, "{routes:?}");
        assert_eq!(count("GET /v2/certificates/{id}"), 0, "{routes:?}");
        assert_eq!(count("GET /v2/load_balancers"), 1, "{routes:?}");
        assert_eq!(count("GET /v2/certificates"), 1, "two certificates, a balancer's two rules and the data source: {routes:?}");
        assert_contract(&h);
    });
}
