//! What sits at a SaaS platform's edge: load balancers (`new` → `active`
//! after the provisioning delay; a PUT is a whole representation, so what it
//! leaves out goes back to its default), TLS certificates (`custom` ones
//! verified at once, `lets_encrypt` ones `pending` → `verified`, only for
//! names of domains DigitalOcean's DNS serves; one a load balancer uses
//! cannot be deleted), and the container registry with its account-wide
//! subscription and the Docker credentials it hands out.

use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};

use crate::catalog;
use crate::clock::{now_rfc3339, rfc3339};
use crate::config::SimConfig;
use crate::error::ApiError;
use crate::store::Store;

#[derive(Debug, Clone)]
pub struct LoadBalancer {
    pub id: String,
    pub created_at: String,
    pub ip: String,
    /// `new` until `until`, then `active`.
    pub status: &'static str,
    pub until: Option<Instant>,
    pub region: Option<String>,
    /// The configurable fields as last written, defaults filled in; tests
    /// change them to stand for edits made in the console.
    pub spec: Map<String, Value>,
}

#[derive(Debug, Clone)]
pub struct Certificate {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub dns_names: Vec<String>,
    pub state: &'static str,
    pub until: Option<Instant>,
    pub created_at: String,
    pub not_after: String,
    pub sha1_fingerprint: String,
}

impl Certificate {
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id, "name": self.name, "type": self.kind, "dns_names": self.dns_names, "state": self.state,
            "created_at": self.created_at, "not_after": self.not_after, "sha1_fingerprint": self.sha1_fingerprint,
        })
    }
}

#[derive(Debug, Clone)]
pub struct Registry {
    pub name: String,
    pub region: String,
    pub created_at: String,
}

impl Registry {
    pub fn to_json(&self) -> Value {
        json!({
            "name": self.name, "region": self.region, "created_at": self.created_at,
            "storage_usage_bytes": 0, "storage_usage_bytes_updated_at": self.created_at,
        })
    }
}

/// The registry subscription (one per account).
#[derive(Debug, Clone)]
pub struct Subscription {
    pub tier: String,
    pub created_at: String,
    pub updated_at: String,
}

/// Docker credentials handed out (the sim keeps them so tests can see what
/// was asked for).
#[derive(Debug, Clone)]
pub struct IssuedCredential {
    pub token: String,
    pub read_write: bool,
    pub expiry_seconds: u64,
}

/// Load balancers, certificates and the container registry.
#[derive(Default)]
pub struct Edge {
    pub load_balancers: Vec<LoadBalancer>,
    pub certificates: Vec<Certificate>,
    pub registries: Vec<Registry>,
    pub subscription: Option<Subscription>,
    pub credentials: Vec<IssuedCredential>,
    next_ip: u32,
}

const REGISTRY_HOST: &str = "registry.digitalocean.com";
const REGISTRY_REGIONS: &[&str] = &["nyc3", "sfo3", "sfo2", "ams3", "sgp1", "fra1", "blr1", "syd1"];

/// (slug, name, included repositories, included storage bytes, monthly price in cents)
const TIERS: &[(&str, &str, u64, u64, u64)] =
    &[("starter", "Starter", 1, 524_288_000, 0), ("basic", "Basic", 5, 5_368_709_120, 500), ("professional", "Professional", 0, 107_374_182_400, 2000)];

fn tier_json(slug: &str) -> Value {
    let (slug, name, repos, storage, price) = TIERS.iter().find(|t| t.0 == slug).copied().unwrap_or(TIERS[0]);
    json!({
        "name": name, "slug": slug, "included_repositories": repos, "included_storage_bytes": storage,
        "allow_storage_overage": slug != "starter", "included_bandwidth_bytes": storage * 10,
        "monthly_price_in_cents": price, "storage_overage_price_in_cents": if slug == "starter" { 0 } else { 2 },
    })
}

impl Subscription {
    pub fn to_json(&self) -> Value {
        json!({"tier": tier_json(&self.tier), "created_at": self.created_at, "updated_at": self.updated_at})
    }
}

const ENTRY_PROTOCOLS: &[&str] = &["http", "https", "http2", "http3", "tcp", "udp"];
const TARGET_PROTOCOLS: &[&str] = &["http", "https", "http2", "tcp", "udp"];

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::unprocessable(message)
}

fn int_in(v: &Value, key: &str, lo: i64, hi: i64) -> Result<i64, ApiError> {
    match v.as_i64() {
        Some(n) if (lo..=hi).contains(&n) => Ok(n),
        _ => Err(bad(format!("{key} must be a whole number from {lo} to {hi}, not {v}"))),
    }
}

fn one_of(v: &Value, key: &str, allowed: &[&str]) -> Result<String, ApiError> {
    match v.as_str() {
        Some(s) if allowed.contains(&s) => Ok(s.to_string()),
        _ => Err(bad(format!("{key} must be one of {allowed:?}, not {v}"))),
    }
}

fn flag(body: &Value, key: &str) -> Result<bool, ApiError> {
    match &body[key] {
        Value::Null => Ok(false),
        Value::Bool(b) => Ok(*b),
        other => Err(bad(format!("{key} must be a boolean, not {other}"))),
    }
}

/// A stable 40-hex-digit stand-in for a SHA-1 fingerprint.
fn fingerprint(text: &str) -> String {
    use std::hash::{Hash, Hasher};
    let part = |salt: u8| {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        salt.hash(&mut h);
        text.hash(&mut h);
        h.finish()
    };
    format!("{:016x}{:016x}{:08x}", part(1), part(2), part(3) as u32)
}

/// Standard base64 with padding (Docker's `auth` field).
fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

impl Store {
    pub(crate) fn tick_edge(&mut self, now: Instant) {
        for lb in &mut self.edge.load_balancers {
            if lb.until.is_some_and(|u| u <= now) {
                lb.status = "active";
                lb.until = None;
            }
        }
        for c in &mut self.edge.certificates {
            if c.until.is_some_and(|u| u <= now) {
                c.state = "verified";
                c.until = None;
            }
        }
    }

    // ---- load balancers ----

    pub fn load_balancer(&self, id: &str) -> Result<&LoadBalancer, ApiError> {
        self.edge.load_balancers.iter().find(|l| l.id == id).ok_or_else(ApiError::not_found)
    }

    pub fn load_balancer_json(&mut self, id: &str) -> Result<Value, ApiError> {
        let lb = self.load_balancer(id)?.clone();
        let urn = format!("do:loadbalancer:{}", lb.id);
        let holder = self.platform.projects.iter().find(|p| p.resources.iter().any(|(u, _)| u == &urn)).map(|p| p.id.clone());
        let mut v = lb.spec.clone();
        v.insert("id".into(), json!(lb.id));
        v.insert("ip".into(), json!(lb.ip));
        v.insert("status".into(), json!(lb.status));
        v.insert("created_at".into(), json!(lb.created_at));
        v.insert("project_id".into(), json!(holder.unwrap_or_default()));
        if v.get("network_stack") == Some(&json!("DUALSTACK")) {
            v.insert("ipv6".into(), json!(format!("2a03:b0c0:3:d0::{:x}", lb.ip.rsplit('.').next().and_then(|o| o.parse::<u32>().ok()).unwrap_or(1))));
        }
        if let Some(r) = &lb.region {
            if let Some(full) = catalog::regions_json().into_iter().find(|x| x["slug"] == r.as_str()) {
                v.insert("region".into(), full);
            }
        }
        Ok(Value::Object(v))
    }

    pub fn list_load_balancers(&mut self) -> Vec<Value> {
        let ids: Vec<String> = self.edge.load_balancers.iter().map(|l| l.id.clone()).collect();
        ids.iter().filter_map(|id| self.load_balancer_json(id).ok()).collect()
    }

    /// The whole representation a create or a PUT writes, defaults filled
    /// in, checked; and the region it names.
    fn lb_spec(&mut self, body: &Value, existing: Option<&LoadBalancer>) -> Result<(Map<String, Value>, Option<String>), ApiError> {
        if !body.is_object() {
            return Err(ApiError::bad_request("the body must be a JSON object"));
        }
        let name = body["name"].as_str().filter(|n| !n.is_empty()).ok_or_else(|| bad("name is required"))?;
        let kind = match &body["type"] {
            Value::Null => "REGIONAL".to_string(),
            v => one_of(v, "type", &["REGIONAL", "REGIONAL_NETWORK", "GLOBAL"])?,
        };
        let region = match body["region"].as_str().filter(|r| !r.is_empty()) {
            Some(r) if catalog::is_region(r) => Some(r.to_string()),
            Some(r) => return Err(bad(format!("unknown region {r:?}"))),
            None if kind == "GLOBAL" => None,
            None => return Err(bad("region is required")),
        };
        if let Some(old) = existing {
            if old.region != region {
                return Err(bad("a load balancer cannot move to another region"));
            }
        }
        let mut m = Map::new();
        m.insert("name".into(), json!(name));
        m.insert("type".into(), json!(kind));

        let rules = body["forwarding_rules"].as_array().cloned().unwrap_or_default();
        if rules.is_empty() && kind != "GLOBAL" {
            return Err(bad("at least one forwarding rule is required"));
        }
        let mut out_rules = Vec::new();
        for r in &rules {
            let entry = one_of(&r["entry_protocol"], "entry_protocol", ENTRY_PROTOCOLS)?;
            let target = one_of(&r["target_protocol"], "target_protocol", TARGET_PROTOCOLS)?;
            if (entry == "udp") != (target == "udp") {
                return Err(bad("udp forwards only to udp"));
            }
            let entry_port = int_in(&r["entry_port"], "entry_port", 1, 65_535)?;
            let target_port = int_in(&r["target_port"], "target_port", 1, 65_535)?;
            let passthrough = flag(r, "tls_passthrough")?;
            let cert = r["certificate_id"].as_str().unwrap_or_default().to_string();
            if !cert.is_empty() && !self.edge.certificates.iter().any(|c| c.id == cert) {
                return Err(bad(format!("certificate {cert:?} does not exist")));
            }
            if matches!(entry.as_str(), "https" | "http2" | "http3") && cert.is_empty() && !passthrough {
                return Err(bad(format!("an {entry} forwarding rule needs a certificate_id or tls_passthrough")));
            }
            out_rules.push(json!({
                "entry_protocol": entry, "entry_port": entry_port, "target_protocol": target, "target_port": target_port,
                "certificate_id": cert, "tls_passthrough": passthrough,
            }));
        }
        m.insert("forwarding_rules".into(), json!(out_rules));

        let hc = &body["health_check"];
        let protocol = match &hc["protocol"] {
            Value::Null => "http".to_string(),
            v => one_of(v, "health_check.protocol", &["http", "https", "tcp"])?,
        };
        let num = |key: &str, default: i64, lo: i64, hi: i64| match &hc[key] {
            Value::Null => Ok(default),
            v => int_in(v, key, lo, hi),
        };
        let path = if protocol == "tcp" { String::new() } else { hc["path"].as_str().filter(|p| !p.is_empty()).unwrap_or("/").to_string() };
        m.insert(
            "health_check".into(),
            json!({
                "protocol": protocol, "port": num("port", 80, 1, 65_535)?, "path": path,
                "check_interval_seconds": num("check_interval_seconds", 10, 3, 300)?,
                "response_timeout_seconds": num("response_timeout_seconds", 5, 3, 300)?,
                "unhealthy_threshold": num("unhealthy_threshold", 5, 2, 10)?,
                "healthy_threshold": num("healthy_threshold", 3, 2, 10)?,
            }),
        );

        let ss = &body["sticky_sessions"];
        let sticky = match &ss["type"] {
            Value::Null => "none".to_string(),
            v => one_of(v, "sticky_sessions.type", &["cookies", "none"])?,
        };
        if sticky == "cookies" {
            let cookie = ss["cookie_name"].as_str().filter(|c| (2..=40).contains(&c.len())).ok_or_else(|| bad("cookies need a cookie_name"))?;
            let ttl = int_in(&ss["cookie_ttl_seconds"], "cookie_ttl_seconds", 1, i64::MAX)?;
            m.insert("sticky_sessions".into(), json!({"type": "cookies", "cookie_name": cookie, "cookie_ttl_seconds": ttl}));
        } else {
            m.insert("sticky_sessions".into(), json!({"type": "none"}));
        }

        let droplets = body["droplet_ids"].as_array().cloned().unwrap_or_default();
        let tag = body["tag"].as_str().unwrap_or_default().to_string();
        if !droplets.is_empty() && !tag.is_empty() {
            return Err(bad("droplet_ids and tag are mutually exclusive"));
        }
        if droplets.iter().any(|d| d.as_u64().is_none()) {
            return Err(bad("droplet_ids must be whole numbers"));
        }
        m.insert("droplet_ids".into(), json!(droplets));
        m.insert("tag".into(), json!(tag));

        for key in ["redirect_http_to_https", "enable_proxy_protocol", "enable_backend_keepalive", "disable_lets_encrypt_dns_records"] {
            m.insert(key.into(), json!(flag(body, key)?));
        }
        let idle = match &body["http_idle_timeout_seconds"] {
            Value::Null => 60,
            v => int_in(v, "http_idle_timeout_seconds", 30, 600)?,
        };
        m.insert("http_idle_timeout_seconds".into(), json!(idle));
        let units = match (&body["size_unit"], body["size"].as_str()) {
            (Value::Null, Some("lb-medium")) => 3,
            (Value::Null, Some("lb-large")) => 6,
            (Value::Null, Some("lb-small") | None) => 1,
            (Value::Null, Some(other)) => return Err(bad(format!("unknown size {other:?}"))),
            (v, _) => int_in(v, "size_unit", 1, 100)?,
        };
        m.insert("size_unit".into(), json!(units));
        let algorithm = match &body["algorithm"] {
            Value::Null => "round_robin".to_string(),
            v => one_of(v, "algorithm", &["round_robin", "least_connections"])?,
        };
        m.insert("algorithm".into(), json!(algorithm));

        let vpc = match (body["vpc_uuid"].as_str().filter(|v| !v.is_empty()), &region) {
            (Some(id), Some(r)) => {
                let v = self.vpc(id).map_err(|_| bad(format!("VPC {id:?} does not exist")))?;
                if &v.region != r {
                    return Err(bad("the VPC is in another region"));
                }
                id.to_string()
            }
            (None, Some(r)) => match existing.and_then(|e| e.spec.get("vpc_uuid")).and_then(Value::as_str) {
                Some(old) => old.to_string(),
                None => self.default_vpc_id(r),
            },
            (_, None) => String::new(),
        };
        if let Some(old) = existing.and_then(|e| e.spec.get("vpc_uuid")).and_then(Value::as_str) {
            if old != vpc {
                return Err(bad("a load balancer cannot move to another VPC"));
            }
        }
        if !vpc.is_empty() {
            m.insert("vpc_uuid".into(), json!(vpc));
        }

        let fw = &body["firewall"];
        let rules_of = |key: &str| -> Result<Vec<String>, ApiError> {
            let list: Vec<String> = fw[key].as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_string).collect();
            for r in &list {
                let ok = r.strip_prefix("ip:").is_some_and(|ip| ip.parse::<std::net::IpAddr>().is_ok())
                    || r.strip_prefix("cidr:")
                        .and_then(|c| c.split_once('/'))
                        .is_some_and(|(ip, len)| ip.parse::<std::net::IpAddr>().is_ok() && len.parse::<u8>().is_ok());
                if !ok {
                    return Err(bad(format!("invalid firewall rule {r:?}: write ip:ADDRESS or cidr:ADDRESS/LENGTH")));
                }
            }
            Ok(list)
        };
        m.insert("firewall".into(), json!({"allow": rules_of("allow")?, "deny": rules_of("deny")?}));

        for (key, allowed, default) in [
            ("network", &["EXTERNAL", "INTERNAL"][..], "EXTERNAL"),
            ("network_stack", &["IPV4", "DUALSTACK"][..], "IPV4"),
            ("tls_cipher_policy", &["DEFAULT", "STRONG"][..], "DEFAULT"),
        ] {
            let v = match &body[key] {
                Value::Null => default.to_string(),
                v => one_of(v, key, allowed)?,
            };
            if let Some(old) = existing.and_then(|e| e.spec.get(key)) {
                if key != "tls_cipher_policy" && old != &json!(v) {
                    return Err(bad(format!("{key} cannot change")));
                }
            }
            m.insert(key.into(), json!(v));
        }
        for key in ["domains", "glb_settings", "target_load_balancer_ids"] {
            if !body[key].is_null() {
                m.insert(key.into(), body[key].clone());
            }
        }
        Ok((m, region))
    }

    /// Assigns the load balancer to `project_id` (or the default project).
    fn lb_project(&mut self, id: &str, body: &Value) -> Result<(), ApiError> {
        let urn = format!("do:loadbalancer:{id}");
        let target = match body["project_id"].as_str().filter(|p| !p.is_empty()) {
            Some(p) => self.project(p).map_err(|_| bad(format!("project {p:?} does not exist")))?.id.clone(),
            None if self.platform.projects.iter().any(|p| p.resources.iter().any(|(u, _)| u == &urn)) => return Ok(()),
            None => self.project("default")?.id.clone(),
        };
        for p in &mut self.platform.projects {
            p.resources.retain(|(u, _)| u != &urn);
        }
        self.project(&target)?.resources.push((urn, now_rfc3339()));
        Ok(())
    }

    pub fn create_load_balancer(&mut self, body: &Value, now: Instant, cfg: &SimConfig) -> Result<Value, ApiError> {
        let (spec, region) = self.lb_spec(body, None)?;
        if !body["project_id"].is_null() {
            let p = body["project_id"].as_str().unwrap_or_default();
            self.project(p).map_err(|_| bad(format!("project {p:?} does not exist")))?;
        }
        self.edge.next_ip += 1;
        let n = self.edge.next_ip;
        let lb = LoadBalancer {
            id: uuid::Uuid::new_v4().to_string(),
            created_at: now_rfc3339(),
            ip: format!("203.0.{}.{}", 113 + n / 250, 1 + n % 250),
            status: "new",
            until: Some(now + Duration::from_millis(cfg.provision_delay_ms)),
            region,
            spec,
        };
        let id = lb.id.clone();
        self.edge.load_balancers.push(lb);
        self.lb_project(&id, body)?;
        self.load_balancer_json(&id)
    }

    pub fn update_load_balancer(&mut self, id: &str, body: &Value) -> Result<Value, ApiError> {
        let existing = self.load_balancer(id)?.clone();
        let (spec, _) = self.lb_spec(body, Some(&existing))?;
        self.lb_project(id, body)?;
        let lb = self.edge.load_balancers.iter_mut().find(|l| l.id == id).ok_or_else(ApiError::not_found)?;
        lb.spec = spec;
        self.load_balancer_json(id)
    }

    pub fn delete_load_balancer(&mut self, id: &str) -> Result<(), ApiError> {
        self.load_balancer(id)?;
        self.edge.load_balancers.retain(|l| l.id != id);
        let urn = format!("do:loadbalancer:{id}");
        for p in &mut self.platform.projects {
            p.resources.retain(|(u, _)| u != &urn);
        }
        Ok(())
    }

    // ---- certificates ----

    pub fn certificate(&self, id: &str) -> Result<&Certificate, ApiError> {
        self.edge.certificates.iter().find(|c| c.id == id).ok_or_else(ApiError::not_found)
    }

    /// The certificates, or the one named by `?name=`.
    pub fn list_certificates(&self, query: &str) -> Vec<Value> {
        let name = query.split('&').filter_map(|kv| kv.split_once('=')).find(|(k, _)| *k == "name").map(|(_, v)| v.to_string());
        self.edge.certificates.iter().filter(|c| name.as_ref().is_none_or(|n| n.is_empty() || &c.name == n)).map(Certificate::to_json).collect()
    }

    pub fn create_certificate(&mut self, body: &Value, now: Instant, cfg: &SimConfig) -> Result<Value, ApiError> {
        let name = body["name"].as_str().filter(|n| !n.is_empty()).ok_or_else(|| bad("name is required"))?.to_string();
        if self.edge.certificates.iter().any(|c| c.name == name) {
            return Err(bad(format!("a certificate named {name:?} already exists")));
        }
        let kind = match &body["type"] {
            Value::Null => "custom".to_string(),
            v => one_of(v, "type", &["custom", "lets_encrypt"])?,
        };
        let year = 365 * 24 * 3600;
        let (dns_names, state, until, not_after, print) = if kind == "custom" {
            let key = body["private_key"].as_str().unwrap_or_default();
            let leaf = body["leaf_certificate"].as_str().unwrap_or_default();
            if !key.contains("PRIVATE KEY-----") {
                return Err(bad("private_key must be a PEM-encoded private key"));
            }
            if !leaf.contains("-----BEGIN CERTIFICATE-----") {
                return Err(bad("leaf_certificate must be a PEM-encoded certificate"));
            }
            if let Some(chain) = body["certificate_chain"].as_str() {
                if !chain.contains("-----BEGIN CERTIFICATE-----") {
                    return Err(bad("certificate_chain must hold PEM-encoded certificates"));
                }
            }
            // The simulator does not parse X.509: the names are the ones a
            // `# dns: a,b` line in the leaf lists, when it has one.
            let names =
                leaf.lines().find_map(|l| l.trim().strip_prefix("# dns:")).map(|l| l.split(',').map(|s| s.trim().to_string()).collect()).unwrap_or_default();
            (names, "verified", None, rfc3339(std::time::SystemTime::now() + Duration::from_secs(year)), fingerprint(leaf))
        } else {
            let names: Vec<String> = body["dns_names"].as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_string).collect();
            if names.is_empty() {
                return Err(bad("a lets_encrypt certificate needs dns_names"));
            }
            for n in &names {
                let bare = n.trim_start_matches("*.");
                let served = self.platform.domains.iter().any(|d| bare == d.name || bare.ends_with(&format!(".{}", d.name)));
                if !served {
                    return Err(bad(format!("{n:?} is not in a domain DigitalOcean's DNS serves")));
                }
            }
            let print = fingerprint(&format!("{name}{names:?}"));
            (
                names,
                "pending",
                Some(now + Duration::from_millis(cfg.provision_delay_ms)),
                rfc3339(std::time::SystemTime::now() + Duration::from_secs(90 * 24 * 3600)),
                print,
            )
        };
        let c = Certificate {
            id: uuid::Uuid::new_v4().to_string(),
            name,
            kind,
            dns_names,
            state,
            until,
            created_at: now_rfc3339(),
            not_after,
            sha1_fingerprint: print,
        };
        let out = c.to_json();
        self.edge.certificates.push(c);
        Ok(out)
    }

    pub fn delete_certificate(&mut self, id: &str) -> Result<(), ApiError> {
        self.certificate(id)?;
        let used = self.edge.load_balancers.iter().any(|lb| {
            let rules = lb.spec.get("forwarding_rules").and_then(Value::as_array).cloned().unwrap_or_default();
            rules.iter().any(|r| r["certificate_id"] == id)
        });
        if used {
            return Err(ApiError::forbidden("Make sure the certificate is not in use before deleting it"));
        }
        self.edge.certificates.retain(|c| c.id != id);
        Ok(())
    }

    // ---- the container registry ----

    pub fn registry(&self, name: &str) -> Result<&Registry, ApiError> {
        self.edge.registries.iter().find(|r| r.name == name).ok_or_else(ApiError::not_found)
    }

    pub fn create_registry(&mut self, body: &Value) -> Result<Value, ApiError> {
        let name = body["name"].as_str().unwrap_or_default();
        let ok = !name.is_empty() && name.len() <= 63 && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !ok {
            return Err(bad(format!("invalid registry name {name:?}")));
        }
        if self.edge.registries.iter().any(|r| r.name == name) {
            return Err(ApiError::conflict(format!("a registry named {name:?} already exists")));
        }
        let region = match &body["region"] {
            Value::Null => "nyc3".to_string(),
            v => one_of(v, "region", REGISTRY_REGIONS)?,
        };
        let tiers: Vec<&str> = TIERS.iter().map(|t| t.0).collect();
        match &body["subscription_tier_slug"] {
            Value::Null if self.edge.subscription.is_none() => return Err(bad("subscription_tier_slug is required")),
            Value::Null => {}
            v => {
                let tier = one_of(v, "subscription_tier_slug", &tiers)?;
                self.set_subscription(&tier);
            }
        }
        let r = Registry { name: name.to_string(), region, created_at: now_rfc3339() };
        let out = r.to_json();
        self.edge.registries.push(r);
        Ok(out)
    }

    fn set_subscription(&mut self, tier: &str) {
        let now = now_rfc3339();
        match &mut self.edge.subscription {
            Some(s) => {
                s.tier = tier.to_string();
                s.updated_at = now;
            }
            None => self.edge.subscription = Some(Subscription { tier: tier.to_string(), created_at: now.clone(), updated_at: now }),
        }
    }

    pub fn delete_registry(&mut self, name: &str) -> Result<(), ApiError> {
        self.registry(name)?;
        self.edge.registries.retain(|r| r.name != name);
        Ok(())
    }

    pub fn subscription(&self) -> Result<Value, ApiError> {
        self.edge.subscription.as_ref().map(Subscription::to_json).ok_or_else(ApiError::not_found)
    }

    pub fn update_subscription(&mut self, body: &Value) -> Result<Value, ApiError> {
        let tiers: Vec<&str> = TIERS.iter().map(|t| t.0).collect();
        let tier = one_of(&body["tier_slug"], "tier_slug", &tiers)?;
        if self.edge.registries.is_empty() {
            return Err(ApiError { status: 412, id: "precondition_failed", message: "there is no registry to subscribe for".into() });
        }
        self.set_subscription(&tier);
        self.subscription()
    }

    /// A Docker config for the registries, with a new token.
    pub fn docker_credentials(&mut self, query: &str) -> Result<Value, ApiError> {
        if self.edge.registries.is_empty() {
            return Err(ApiError::not_found());
        }
        let mut read_write = false;
        let mut expiry_seconds = 0;
        for (k, v) in query.split('&').filter_map(|kv| kv.split_once('=')) {
            match k {
                "read_write" => read_write = v == "true",
                "expiry_seconds" => expiry_seconds = v.parse().map_err(|_| ApiError::bad_request(format!("invalid expiry_seconds {v:?}")))?,
                _ => {}
            }
        }
        let token = format!("dop_v1_{}", uuid::Uuid::new_v4().simple());
        self.edge.credentials.push(IssuedCredential { token: token.clone(), read_write, expiry_seconds });
        Ok(json!({"auths": {REGISTRY_HOST: {"auth": base64(format!("{token}:{token}").as_bytes())}}}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_pads_like_the_standard() {
        assert_eq!(base64(b"a"), "YQ==");
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(base64(b"abc"), "YWJj");
        assert_eq!(base64(b"token:token"), "dG9rZW46dG9rZW4=");
    }

    #[test]
    fn a_put_resets_what_it_leaves_out_and_keeps_region_and_vpc() {
        let mut s = Store::default();
        let cfg = SimConfig::fast();
        let body = json!({"name": "lb", "region": "fra1", "redirect_http_to_https": true,
            "forwarding_rules": [{"entry_protocol": "http", "entry_port": 80, "target_protocol": "http", "target_port": 8080}]});
        let lb = s.create_load_balancer(&body, Instant::now(), &cfg).unwrap();
        let id = lb["id"].as_str().unwrap().to_string();
        assert_eq!(lb["status"], "new");
        assert_eq!(lb["health_check"]["path"], "/");
        let put = json!({"name": "lb", "region": "fra1",
            "forwarding_rules": [{"entry_protocol": "tcp", "entry_port": 22, "target_protocol": "tcp", "target_port": 22}]});
        let after = s.update_load_balancer(&id, &put).unwrap();
        assert_eq!(after["redirect_http_to_https"], false);
        assert_eq!(after["vpc_uuid"], lb["vpc_uuid"]);
        let moved = json!({"name": "lb", "region": "nyc1", "forwarding_rules": put["forwarding_rules"]});
        assert_eq!(s.update_load_balancer(&id, &moved).unwrap_err().status, 422);
        s.tick_edge(Instant::now() + Duration::from_secs(5));
        assert_eq!(s.load_balancer_json(&id).unwrap()["status"], "active");
    }

    #[test]
    fn a_certificate_in_use_is_not_deleted_and_lets_encrypt_needs_a_served_domain() {
        let mut s = Store::default();
        let cfg = SimConfig::fast();
        let pem = json!({"name": "c", "private_key": "-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----",
            "leaf_certificate": "-----BEGIN CERTIFICATE-----\n# dns: a.example\ny\n-----END CERTIFICATE-----"});
        let c = s.create_certificate(&pem, Instant::now(), &cfg).unwrap();
        assert_eq!(c["dns_names"], json!(["a.example"]));
        assert_eq!(c["state"], "verified");
        let lb = json!({"name": "lb", "region": "fra1",
            "forwarding_rules": [{"entry_protocol": "https", "entry_port": 443, "target_protocol": "http", "target_port": 80, "certificate_id": c["id"]}]});
        let lb = s.create_load_balancer(&lb, Instant::now(), &cfg).unwrap();
        let id = c["id"].as_str().unwrap();
        assert_eq!(s.delete_certificate(id).unwrap_err().status, 403);
        s.delete_load_balancer(lb["id"].as_str().unwrap()).unwrap();
        s.delete_certificate(id).unwrap();
        let le = json!({"name": "le", "type": "lets_encrypt", "dns_names": ["www.unserved.example"]});
        assert_eq!(s.create_certificate(&le, Instant::now(), &cfg).unwrap_err().status, 422);
    }
}
