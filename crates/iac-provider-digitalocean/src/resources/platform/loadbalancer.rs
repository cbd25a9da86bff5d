//! `digitalocean_loadbalancer` and its data source. A PUT is the whole load
//! balancer (the API resets what it leaves out), so an update sends every
//! argument, computed ones as last read. Certificates are named, as
//! upstream's v1 schema has it: a rule's `certificate_name` is looked up
//! for the ID the API wants, and the API's IDs are read back as names
//! (`certificate_id` holds the name too, as upstream does: a Let's Encrypt
//! certificate's ID changes when it renews). `healthcheck`,
//! `sticky_sessions`, `firewall`, `domains` and `glb_settings` are
//! optional and computed: left out, they keep what DigitalOcean set.
//! `size` is not read back (the API reports the size in nodes), so it stays
//! as configured. `network`, `network_stack` and `tls_cipher_policy` are
//! read back, unlike upstream, so an import finds them: left out, they keep
//! what DigitalOcean reports.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use iac_core::Value;
use iac_provider_sdk::prelude::*;
use iac_provider_sdk::AttrPath;
use serde_json::{json, Map, Value as Json};

use crate::api::Api;
use crate::error::DoError;
use crate::values::*;
use crate::DigitalOcean;

/// A forwarding rule.
#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct ForwardingRule {
    /// http, https, http2, http3, tcp or udp
    #[sdk(required)]
    pub entry_protocol: String,
    #[sdk(required)]
    pub entry_port: i64,
    /// http, https, http2, tcp or udp
    #[sdk(required)]
    pub target_protocol: String,
    #[sdk(required)]
    pub target_port: i64,
    /// the certificate, by name
    #[sdk(optional, computed)]
    pub certificate_name: Option<String>,
    /// deprecated: holds the certificate's name, as `certificate_name`
    #[sdk(optional, computed)]
    pub certificate_id: Option<String>,
    #[sdk(optional, default = false)]
    pub tls_passthrough: Option<bool>,
}

/// The health check.
#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct HealthCheck {
    /// http, https or tcp
    #[sdk(required)]
    pub protocol: String,
    #[sdk(required)]
    pub port: i64,
    /// required for http and https, not allowed for tcp
    #[sdk(optional)]
    pub path: Option<String>,
    #[sdk(optional, default = 10)]
    pub check_interval_seconds: Option<i64>,
    #[sdk(optional, default = 5)]
    pub response_timeout_seconds: Option<i64>,
    #[sdk(optional, default = 3)]
    pub unhealthy_threshold: Option<i64>,
    #[sdk(optional, default = 5)]
    pub healthy_threshold: Option<i64>,
}

/// Sticky sessions.
#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct StickySessions {
    /// cookies or none
    #[sdk(optional, default = "none")]
    #[sdk(name = "type")]
    pub kind: Option<String>,
    #[sdk(optional)]
    pub cookie_name: Option<String>,
    #[sdk(optional)]
    pub cookie_ttl_seconds: Option<i64>,
}

/// The load balancer's own firewall.
#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct LbFirewall {
    /// rules such as ip:1.2.3.4 or cidr:1.2.0.0/16
    #[sdk(optional)]
    pub allow: Option<Vec<String>>,
    #[sdk(optional)]
    pub deny: Option<Vec<String>>,
}

/// A domain of a global load balancer.
#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct LbDomain {
    #[sdk(required)]
    pub name: String,
    #[sdk(optional, default = false)]
    pub is_managed: Option<bool>,
    #[sdk(optional, computed)]
    pub certificate_name: Option<String>,
    #[sdk(computed)]
    pub certificate_id: Option<String>,
    #[sdk(computed)]
    pub verification_error_reasons: Option<Vec<String>>,
    #[sdk(computed)]
    pub ssl_validation_error_reasons: Option<Vec<String>>,
}

/// A global load balancer's CDN.
#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct Cdn {
    #[sdk(optional, default = false)]
    pub is_enabled: Option<bool>,
}

/// A global load balancer's settings.
#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct GlbSettings {
    /// http or https
    #[sdk(required)]
    pub target_protocol: String,
    /// 80 or 443
    #[sdk(required)]
    pub target_port: i64,
    #[sdk(optional)]
    pub region_priorities: Option<BTreeMap<String, i64>>,
    #[sdk(optional)]
    pub failover_threshold: Option<i64>,
    #[sdk(block, max_items = 1)]
    pub cdn: Vec<Cdn>,
}

/// `digitalocean_loadbalancer`'s attributes.
#[derive(Model, Debug, Clone, Default)]
pub struct LoadBalancerModel {
    #[sdk(computed)]
    pub id: Option<String>,
    #[sdk(required)]
    pub name: String,
    /// required unless `type` is GLOBAL
    #[sdk(optional, force_new)]
    pub region: Option<String>,
    /// deprecated: lb-small, lb-medium or lb-large
    #[sdk(optional, local)]
    pub size: Option<String>,
    /// nodes, 1 to 200
    #[sdk(optional, computed)]
    pub size_unit: Option<i64>,
    #[sdk(computed)]
    pub urn: Option<String>,
    /// deprecated
    #[sdk(optional, default = "round_robin")]
    pub algorithm: Option<String>,
    #[sdk(block, set)]
    pub forwarding_rule: Vec<ForwardingRule>,
    #[sdk(block, max_items = 1)]
    pub healthcheck: Vec<HealthCheck>,
    #[sdk(block, max_items = 1)]
    pub sticky_sessions: Vec<StickySessions>,
    #[sdk(optional, computed)]
    pub droplet_ids: Option<BTreeSet<i64>>,
    #[sdk(optional)]
    pub droplet_tag: Option<String>,
    #[sdk(optional, default = false)]
    pub redirect_http_to_https: Option<bool>,
    #[sdk(optional, default = false)]
    pub enable_proxy_protocol: Option<bool>,
    #[sdk(optional, default = false)]
    pub enable_backend_keepalive: Option<bool>,
    #[sdk(optional, default = false)]
    pub disable_lets_encrypt_dns_records: Option<bool>,
    #[sdk(optional, computed, force_new)]
    pub vpc_uuid: Option<String>,
    #[sdk(optional, computed, force_new)]
    pub subnet_uuid: Option<String>,
    /// a reserved (BYOIP) address to use; DigitalOcean allocates one otherwise
    #[sdk(optional, computed, force_new)]
    pub ip: Option<String>,
    #[sdk(computed)]
    pub ipv6: Option<String>,
    #[sdk(computed)]
    pub status: Option<String>,
    #[sdk(optional, computed)]
    pub http_idle_timeout_seconds: Option<i64>,
    #[sdk(optional, computed)]
    pub project_id: Option<String>,
    #[sdk(block, set, max_items = 1)]
    pub firewall: Vec<LbFirewall>,
    /// REGIONAL, REGIONAL_NETWORK or GLOBAL
    #[sdk(optional, computed, force_new, name = "type")]
    pub kind: Option<String>,
    #[sdk(block, set)]
    pub domains: Vec<LbDomain>,
    #[sdk(block, max_items = 1)]
    pub glb_settings: Vec<GlbSettings>,
    #[sdk(optional, computed)]
    pub target_load_balancer_ids: Option<BTreeSet<String>>,
    /// EXTERNAL or INTERNAL
    #[sdk(optional, computed, force_new)]
    pub network: Option<String>,
    /// IPV4 or DUALSTACK
    #[sdk(optional, computed, force_new)]
    pub network_stack: Option<String>,
    /// DEFAULT or STRONG
    #[sdk(optional, computed)]
    pub tls_cipher_policy: Option<String>,
}

fn strings(j: &Json) -> Option<Vec<String>> {
    let v: Vec<String> = j.as_array().into_iter().flatten().filter_map(|x| x.as_str().map(str::to_string)).collect();
    Some(v).filter(|v| !v.is_empty())
}

/// Certificate IDs to names (the API's answers name certificates by ID).
pub(crate) async fn certificate_names(api: &Api, lb: &Json) -> Result<HashMap<String, String>, crate::client::ApiError> {
    let mut ids: Vec<String> = Vec::new();
    for r in lb["forwarding_rules"].as_array().into_iter().flatten().chain(lb["domains"].as_array().into_iter().flatten()) {
        if let Some(id) = s(&r["certificate_id"]).filter(|i| !i.is_empty()) {
            ids.push(id);
        }
    }
    let mut names = HashMap::new();
    for id in ids {
        if let Some(c) = api.certificate_cached(&id).await? {
            names.insert(id, text(&c["name"]));
        }
    }
    Ok(names)
}

/// A certificate's ID from its name (or, as upstream falls back to, its ID).
async fn certificate_id(api: &Api, addr: &str, name: &str) -> Result<String, DoError> {
    let all = api.client.list_all("/v2/certificates", "certificates").await.map_err(DoError::api(&addr))?;
    match all.iter().find(|c| c["name"] == name || c["id"] == name) {
        Some(c) => Ok(text(&c["id"])),
        None => Err(DoError::Invalid { addr: addr.to_string(), message: format!("no certificate named {name:?}") }),
    }
}

impl LoadBalancerModel {
    pub(crate) fn from_api(lb: &Json, certs: &HashMap<String, String>, configured: &LoadBalancerModel) -> LoadBalancerModel {
        let cert_name = |j: &Json| s(j).filter(|i| !i.is_empty()).map(|id| certs.get(&id).cloned().unwrap_or(id));
        let rules = lb["forwarding_rules"].as_array().into_iter().flatten().map(|r| {
            let name = cert_name(&r["certificate_id"]);
            ForwardingRule {
                entry_protocol: text(&r["entry_protocol"]),
                entry_port: n(&r["entry_port"]).unwrap_or_default(),
                target_protocol: text(&r["target_protocol"]),
                target_port: n(&r["target_port"]).unwrap_or_default(),
                certificate_name: name.clone(),
                certificate_id: name,
                tls_passthrough: Some(r["tls_passthrough"].as_bool().unwrap_or(false)),
            }
        });
        let hc = &lb["health_check"];
        let healthcheck = hc.is_object().then(|| HealthCheck {
            protocol: text(&hc["protocol"]),
            port: n(&hc["port"]).unwrap_or_default(),
            path: s(&hc["path"]).filter(|p| !p.is_empty()),
            check_interval_seconds: n(&hc["check_interval_seconds"]),
            response_timeout_seconds: n(&hc["response_timeout_seconds"]),
            unhealthy_threshold: n(&hc["unhealthy_threshold"]),
            healthy_threshold: n(&hc["healthy_threshold"]),
        });
        let ss = &lb["sticky_sessions"];
        let sticky = ss.is_object().then(|| StickySessions {
            kind: s(&ss["type"]),
            cookie_name: s(&ss["cookie_name"]).filter(|c| !c.is_empty()),
            cookie_ttl_seconds: n(&ss["cookie_ttl_seconds"]).filter(|t| *t > 0),
        });
        let fw = &lb["firewall"];
        let firewall = fw.is_object().then(|| LbFirewall { allow: strings(&fw["allow"]), deny: strings(&fw["deny"]) });
        let domains = lb["domains"].as_array().into_iter().flatten().map(|d| {
            let name = cert_name(&d["certificate_id"]);
            LbDomain {
                name: text(&d["name"]),
                is_managed: Some(d["is_managed"].as_bool().unwrap_or(false)),
                certificate_name: name.clone(),
                certificate_id: name,
                verification_error_reasons: Some(strings(&d["verification_error_reasons"]).unwrap_or_default()),
                ssl_validation_error_reasons: Some(strings(&d["ssl_validation_error_reasons"]).unwrap_or_default()),
            }
        });
        let g = &lb["glb_settings"];
        let glb = g.is_object().then(|| {
            let priorities: BTreeMap<String, i64> =
                g["region_priorities"].as_object().into_iter().flatten().filter_map(|(k, v)| n(v).map(|p| (k.clone(), p))).collect();
            GlbSettings {
                target_protocol: text(&g["target_protocol"]).to_lowercase(),
                target_port: n(&g["target_port"]).unwrap_or_default(),
                failover_threshold: if priorities.is_empty() { None } else { n(&g["failover_threshold"]) },
                region_priorities: Some(priorities).filter(|p| !p.is_empty()),
                cdn: g["cdn"].is_object().then(|| Cdn { is_enabled: Some(g["cdn"]["is_enabled"].as_bool().unwrap_or(false)) }).into_iter().collect(),
            }
        });
        let id = text(&lb["id"]);
        LoadBalancerModel {
            urn: Some(format!("do:loadbalancer:{id}")),
            id: Some(id),
            name: text(&lb["name"]),
            region: s(&lb["region"]["slug"]),
            size: configured.size.clone(),
            size_unit: n(&lb["size_unit"]).filter(|u| *u > 0),
            algorithm: s(&lb["algorithm"]),
            forwarding_rule: rules.collect(),
            healthcheck: healthcheck.into_iter().collect(),
            sticky_sessions: sticky.into_iter().collect(),
            droplet_ids: Some(lb["droplet_ids"].as_array().into_iter().flatten().filter_map(Json::as_i64).collect::<BTreeSet<_>>()).filter(|d| !d.is_empty()),
            droplet_tag: s(&lb["tag"]).filter(|t| !t.is_empty()),
            redirect_http_to_https: Some(lb["redirect_http_to_https"].as_bool().unwrap_or(false)),
            enable_proxy_protocol: Some(lb["enable_proxy_protocol"].as_bool().unwrap_or(false)),
            enable_backend_keepalive: Some(lb["enable_backend_keepalive"].as_bool().unwrap_or(false)),
            disable_lets_encrypt_dns_records: Some(lb["disable_lets_encrypt_dns_records"].as_bool().unwrap_or(false)),
            vpc_uuid: s(&lb["vpc_uuid"]).filter(|v| !v.is_empty()),
            // The API's answer does not name the subnet: what was asked for stays.
            subnet_uuid: configured.subnet_uuid.clone(),
            ip: s(&lb["ip"]).filter(|i| !i.is_empty()),
            ipv6: s(&lb["ipv6"]).filter(|i| !i.is_empty()),
            status: s(&lb["status"]),
            http_idle_timeout_seconds: n(&lb["http_idle_timeout_seconds"]),
            project_id: s(&lb["project_id"]).filter(|p| !p.is_empty()),
            firewall: firewall.into_iter().collect(),
            kind: s(&lb["type"]),
            domains: domains.collect(),
            glb_settings: glb.into_iter().collect(),
            target_load_balancer_ids: Some(lb["target_load_balancer_ids"].as_array().into_iter().flatten().filter_map(s).collect::<BTreeSet<_>>())
                .filter(|t| !t.is_empty()),
            network: s(&lb["network"]).or(configured.network.clone()),
            network_stack: s(&lb["network_stack"]).or(configured.network_stack.clone()),
            tls_cipher_policy: s(&lb["tls_cipher_policy"]).or(configured.tls_cipher_policy.clone()),
        }
    }

    /// The whole representation a create or a PUT sends.
    async fn body(&self, api: &Api, addr: &str, creating: bool) -> Result<Json, DoError> {
        let mut m = Map::new();
        m.insert("name".into(), json!(self.name));
        if let Some(r) = &self.region {
            m.insert("region".into(), json!(r.to_lowercase()));
        }
        let mut rules = Vec::new();
        for r in &self.forwarding_rule {
            let cert = match r.certificate_name.as_deref().or(r.certificate_id.as_deref()).filter(|c| !c.is_empty()) {
                Some(name) => certificate_id(api, addr, name).await?,
                None => String::new(),
            };
            let mut rule = json!({"entry_protocol": r.entry_protocol, "entry_port": r.entry_port, "target_protocol": r.target_protocol,
                "target_port": r.target_port, "tls_passthrough": r.tls_passthrough.unwrap_or(false)});
            if !cert.is_empty() {
                rule["certificate_id"] = json!(cert);
            }
            rules.push(rule);
        }
        m.insert("forwarding_rules".into(), json!(rules));
        if let Some(h) = self.healthcheck.first() {
            let mut hc = json!({"protocol": h.protocol, "port": h.port, "check_interval_seconds": h.check_interval_seconds.unwrap_or(10),
                "response_timeout_seconds": h.response_timeout_seconds.unwrap_or(5), "unhealthy_threshold": h.unhealthy_threshold.unwrap_or(3),
                "healthy_threshold": h.healthy_threshold.unwrap_or(5)});
            if let Some(p) = &h.path {
                hc["path"] = json!(p);
            }
            m.insert("health_check".into(), hc);
        }
        if let Some(ss) = self.sticky_sessions.first() {
            let mut v = json!({"type": ss.kind.clone().unwrap_or_else(|| "none".into())});
            if let Some(c) = &ss.cookie_name {
                v["cookie_name"] = json!(c);
            }
            if let Some(t) = ss.cookie_ttl_seconds {
                v["cookie_ttl_seconds"] = json!(t);
            }
            m.insert("sticky_sessions".into(), v);
        }
        if let Some(fw) = self.firewall.first() {
            m.insert("firewall".into(), json!({"allow": fw.allow.clone().unwrap_or_default(), "deny": fw.deny.clone().unwrap_or_default()}));
        }
        // The request names its Droplets one way or the other (the API's
        // two shapes of a create): no Droplets is an empty list.
        match &self.droplet_tag {
            Some(t) => m.insert("tag".into(), json!(t)),
            None => m.insert("droplet_ids".into(), json!(self.droplet_ids.clone().unwrap_or_default())),
        };
        for (k, v) in [
            ("redirect_http_to_https", self.redirect_http_to_https),
            ("enable_proxy_protocol", self.enable_proxy_protocol),
            ("enable_backend_keepalive", self.enable_backend_keepalive),
            ("disable_lets_encrypt_dns_records", self.disable_lets_encrypt_dns_records),
        ] {
            m.insert(k.into(), json!(v.unwrap_or(false)));
        }
        if let Some(a) = &self.algorithm {
            m.insert("algorithm".into(), json!(a));
        }
        match (self.size_unit, &self.size) {
            (Some(u), _) => {
                m.insert("size_unit".into(), json!(u));
            }
            (None, Some(sz)) => {
                m.insert("size".into(), json!(sz));
            }
            _ => {}
        }
        for (k, v) in [("http_idle_timeout_seconds", self.http_idle_timeout_seconds)] {
            if let Some(v) = v {
                m.insert(k.into(), json!(v));
            }
        }
        for (k, v) in [
            ("project_id", &self.project_id),
            ("vpc_uuid", &self.vpc_uuid),
            ("type", &self.kind),
            ("network", &self.network),
            ("network_stack", &self.network_stack),
            ("tls_cipher_policy", &self.tls_cipher_policy),
        ] {
            if let Some(v) = v.as_ref().filter(|v| !v.is_empty()) {
                m.insert(k.into(), json!(v));
            }
        }
        // The address is the API's to report; only a create may ask for a reserved one.
        if creating {
            if let Some(ip) = &self.ip {
                m.insert("ip".into(), json!(ip));
            }
        }
        if !self.domains.is_empty() {
            let mut domains = Vec::new();
            for d in &self.domains {
                let mut v = json!({"name": d.name, "is_managed": d.is_managed.unwrap_or(false)});
                if let Some(c) = d.certificate_name.as_deref().filter(|c| !c.is_empty()) {
                    v["certificate_id"] = json!(certificate_id(api, addr, c).await?);
                }
                domains.push(v);
            }
            m.insert("domains".into(), json!(domains));
        }
        if let Some(g) = self.glb_settings.first() {
            let mut v = json!({"target_protocol": g.target_protocol, "target_port": g.target_port});
            if let Some(c) = g.cdn.first() {
                v["cdn"] = json!({"is_enabled": c.is_enabled.unwrap_or(false)});
            }
            if let Some(p) = &g.region_priorities {
                v["region_priorities"] = json!(p);
                v["failover_threshold"] = json!(g.failover_threshold.unwrap_or(0));
            }
            m.insert("glb_settings".into(), v);
        }
        if let Some(t) = &self.target_load_balancer_ids {
            m.insert("target_load_balancer_ids".into(), json!(t));
        }
        Ok(Json::Object(m))
    }
}

/// A refresh's read: from the run's list of load balancers (one list read
/// serves them all), else a GET.
async fn read_lb(api: &Api, addr: &str, id: &str, configured: &LoadBalancerModel) -> Result<Option<LoadBalancerModel>, DoError> {
    let Some(lb) = api.load_balancer_cached(id).await.map_err(DoError::api(&addr))? else {
        return Ok(None);
    };
    let certs = certificate_names(api, &lb).await.map_err(DoError::api(&addr))?;
    Ok(Some(LoadBalancerModel::from_api(&lb, &certs, configured)))
}

/// Waits for the load balancer to be `active`.
async fn wait_active(api: &Api, addr: &str, id: &str) -> Result<Json, DoError> {
    crate::wait::until(&api.waits, addr, "the load balancer to be active", || async {
        match api.get_object(&format!("/v2/load_balancers/{id}"), "load_balancer").await.map_err(DoError::api(&addr))? {
            Some(lb) if lb["status"] == "active" => Ok(Some(lb)),
            Some(lb) if lb["status"] == "errored" => Err(DoError::Invalid { addr: addr.to_string(), message: "the load balancer errored".into() }),
            Some(_) => Ok(None),
            None => Err(DoError::Invalid { addr: addr.to_string(), message: format!("load balancer {id} disappeared while being created") }),
        }
    })
    .await
}

/// An optional and computed block left out of the configuration keeps the
/// prior value (unknown on create).
fn keep_computed_block(planned: &mut Value, prior: Option<&Value>, key: &str) {
    let configured = planned.get(key).and_then(Value::as_list).is_some_and(|l| !l.is_empty());
    if !configured {
        set(planned, key, prior.and_then(|p| p.get(key)).cloned().unwrap_or(Value::Unknown));
    }
}

/// Fills each element's `certificate_id` from its `certificate_name` and
/// back (the read reports the name in both), and a domain's computed lists.
fn mirror_certificate_names(planned: &mut Value, key: &str) {
    let Value::Map(m) = planned else { return };
    let Some(Value::List(items)) = m.get_mut(key) else { return };
    for item in items.iter_mut() {
        let name = item.get("certificate_name").filter(|v| !v.is_null()).cloned();
        let id = item.get("certificate_id").filter(|v| !v.is_null()).cloned();
        match (name, id) {
            (Some(n), None) => set(item, "certificate_id", n),
            (None, Some(i)) if key == "forwarding_rule" => set(item, "certificate_name", i),
            _ => {}
        }
        if key == "domains" {
            for l in ["verification_error_reasons", "ssl_validation_error_reasons"] {
                if item.get(l).is_none_or(Value::is_null) {
                    set(item, l, Value::List(Vec::new().into()));
                }
            }
        }
    }
}

fn invalid(cx: &Ctx<'_, DigitalOcean>, message: impl Into<String>) -> DoError {
    DoError::Invalid { addr: cx.addr.to_string(), message: message.into() }
}

/// The `digitalocean_loadbalancer` resource type.
pub struct LoadBalancer;

#[async_trait]
impl Resource<DigitalOcean> for LoadBalancer {
    type Model = LoadBalancerModel;
    const TYPE: &'static str = "digitalocean_loadbalancer";

    async fn modify_plan(&self, cx: &Ctx<'_, DigitalOcean>, prior: Option<&Value>, planned: &mut Value, _replace: &mut Vec<AttrPath>) -> Result<(), DoError> {
        let kind = get_str(planned, "type").unwrap_or_default().to_uppercase();
        let region = get_str(planned, "region").unwrap_or_default().to_string();
        if kind == "GLOBAL" && !region.is_empty() {
            return Err(invalid(cx, "'region' must be empty or not set when 'type' is 'GLOBAL'"));
        }
        if kind != "GLOBAL" && region.is_empty() && planned.get("region").is_some_and(|r| !r.is_unknown()) {
            return Err(invalid(cx, "missing 'region' value"));
        }
        if planned.get("droplet_tag").is_some_and(|t| !t.is_null()) && planned.get("droplet_ids").and_then(Value::as_list).is_some_and(|l| !l.is_empty()) {
            return Err(invalid(cx, "droplet_ids and droplet_tag are mutually exclusive"));
        }
        for hc in planned.get("healthcheck").and_then(Value::as_list).into_iter().flatten() {
            let protocol = get_str(hc, "protocol").unwrap_or_default();
            let has_path = hc.get("path").is_some_and(|p| !p.is_null());
            if matches!(protocol, "http" | "https") && !has_path {
                return Err(invalid(cx, format!("health check `path` is required for when protocol is `{protocol}`")));
            }
            if protocol == "tcp" && has_path {
                return Err(invalid(cx, "health check `path` is not allowed for when protocol is `tcp`"));
            }
        }
        for ss in planned.get("sticky_sessions").and_then(Value::as_list).into_iter().flatten() {
            let cookies = get_str(ss, "type") == Some("cookies");
            for k in ["cookie_name", "cookie_ttl_seconds"] {
                let has = ss.get(k).is_some_and(|v| !v.is_null());
                if cookies && !has {
                    return Err(invalid(cx, format!("sticky sessions `{k}` is required for when type is `cookies`")));
                }
                if !cookies && has {
                    return Err(invalid(cx, format!("sticky sessions `{k}` is not allowed for when type is `none`")));
                }
            }
        }
        let rules = planned.get("forwarding_rule").and_then(Value::as_list).map_or(0, |l| l.len());
        let glb = planned.get("glb_settings").and_then(Value::as_list).is_some_and(|l| !l.is_empty());
        if rules > 0 && glb {
            return Err(invalid(cx, "forwarding_rule conflicts with glb_settings"));
        }
        mirror_certificate_names(planned, "forwarding_rule");
        mirror_certificate_names(planned, "domains");
        for key in ["healthcheck", "sticky_sessions", "firewall", "domains", "glb_settings"] {
            keep_computed_block(planned, prior, key);
        }
        // The size in nodes follows a change of the deprecated size slug.
        let size_changed = prior.is_some_and(|p| p.get("size") != planned.get("size"));
        if size_changed && prior.and_then(|p| p.get("size_unit")) == planned.get("size_unit") {
            set(planned, "size_unit", Value::Unknown);
        }
        match prior {
            Some(p) if p != planned => set(planned, "status", p.get("status").cloned().unwrap_or(Value::Unknown)),
            _ => {}
        }
        Ok(())
    }

    async fn create(&self, cx: &Ctx<'_, DigitalOcean>, planned: LoadBalancerModel) -> Result<LoadBalancerModel, DoError> {
        let (api, addr) = (&cx.provider.api, cx.addr);
        let body = planned.body(api, addr, true).await?;
        let lb = super::super::create_or_adopt(
            addr,
            &api.waits,
            api.client_retries(),
            || api.create_object("/v2/load_balancers", "load_balancer", &body),
            || async { Ok(api.client.list_all("/v2/load_balancers", "load_balancers").await?.into_iter().find(|l| l["name"] == planned.name.as_str())) },
        )
        .await?;
        let id = text(&lb["id"]);
        let lb = wait_active(api, addr, &id).await?;
        let certs = certificate_names(api, &lb).await.map_err(DoError::api(&addr))?;
        Ok(LoadBalancerModel::from_api(&lb, &certs, &planned))
    }

    async fn update(&self, cx: &Ctx<'_, DigitalOcean>, prior: LoadBalancerModel, planned: LoadBalancerModel) -> Result<LoadBalancerModel, DoError> {
        let (api, addr) = (&cx.provider.api, cx.addr);
        let id = prior.id.clone().unwrap_or_default();
        let body = planned.body(api, addr, false).await?;
        let lb = api.put_object(&format!("/v2/load_balancers/{id}"), "load_balancer", &body).await.map_err(DoError::api(&addr))?;
        let certs = certificate_names(api, &lb).await.map_err(DoError::api(&addr))?;
        Ok(LoadBalancerModel::from_api(&lb, &certs, &planned))
    }

    async fn read(&self, cx: &Ctx<'_, DigitalOcean>, current: LoadBalancerModel) -> Result<Option<LoadBalancerModel>, DoError> {
        let Some(id) = current.id.clone() else { return Ok(None) };
        read_lb(&cx.provider.api, cx.addr, &id, &current).await
    }

    async fn delete(&self, cx: &Ctx<'_, DigitalOcean>, prior: LoadBalancerModel) -> Result<(), DoError> {
        let Some(id) = &prior.id else { return Ok(()) };
        cx.provider.api.delete_object(&format!("/v2/load_balancers/{id}")).await.map_err(DoError::api(&cx.addr))
    }

    async fn import(&self, cx: &Ctx<'_, DigitalOcean>, id: &str) -> Result<Option<LoadBalancerModel>, DoError> {
        match read_lb(&cx.provider.api, cx.addr, id, &LoadBalancerModel::default()).await? {
            Some(m) => Ok(Some(m)),
            None => Err(invalid(cx, format!("no load balancer with id {id:?}"))),
        }
    }

    async fn recover(&self, cx: &Ctx<'_, DigitalOcean>, planned: LoadBalancerModel) -> Result<Option<LoadBalancerModel>, DoError> {
        let (api, addr) = (&cx.provider.api, cx.addr);
        if planned.name.is_empty() {
            return Ok(None);
        }
        let all = api.client.list_all("/v2/load_balancers", "load_balancers").await.map_err(DoError::api(&addr))?;
        let Some(lb) = all.into_iter().find(|l| l["name"] == planned.name.as_str()) else { return Ok(None) };
        let lb = wait_active(api, addr, &text(&lb["id"])).await?;
        let certs = certificate_names(api, &lb).await.map_err(DoError::api(&addr))?;
        Ok(Some(LoadBalancerModel::from_api(&lb, &certs, &planned)))
    }
}

/// `data.digitalocean_loadbalancer`: by `id` or by `name`; the resource's
/// attributes, all computed.
#[derive(Model, Debug, Default)]
pub struct LoadBalancerDataModel {
    #[sdk(optional, computed)]
    pub id: Option<String>,
    #[sdk(optional, computed)]
    pub name: Option<String>,
    #[sdk(computed)]
    pub urn: Option<String>,
    #[sdk(computed)]
    pub region: Option<String>,
    #[sdk(computed)]
    pub size: Option<String>,
    #[sdk(computed)]
    pub size_unit: Option<i64>,
    #[sdk(computed)]
    pub ip: Option<String>,
    #[sdk(computed)]
    pub ipv6: Option<String>,
    #[sdk(computed)]
    pub algorithm: Option<String>,
    #[sdk(computed)]
    pub status: Option<String>,
    #[sdk(computed)]
    pub forwarding_rule: Option<BTreeSet<ForwardingRuleData>>,
    #[sdk(computed)]
    pub healthcheck: Option<Vec<HealthCheck>>,
    #[sdk(computed)]
    pub sticky_sessions: Option<Vec<StickySessions>>,
    #[sdk(computed)]
    pub droplet_ids: Option<BTreeSet<i64>>,
    #[sdk(computed)]
    pub droplet_tag: Option<String>,
    #[sdk(computed)]
    pub redirect_http_to_https: Option<bool>,
    #[sdk(computed)]
    pub enable_proxy_protocol: Option<bool>,
    #[sdk(computed)]
    pub enable_backend_keepalive: Option<bool>,
    #[sdk(computed)]
    pub disable_lets_encrypt_dns_records: Option<bool>,
    #[sdk(computed)]
    pub vpc_uuid: Option<String>,
    #[sdk(computed)]
    pub subnet_uuid: Option<String>,
    #[sdk(computed)]
    pub http_idle_timeout_seconds: Option<i64>,
    #[sdk(computed)]
    pub project_id: Option<String>,
    #[sdk(computed)]
    pub firewall: Option<Vec<LbFirewall>>,
    #[sdk(computed, name = "type")]
    pub kind: Option<String>,
    #[sdk(computed)]
    pub domains: Option<Vec<LbDomain>>,
    #[sdk(computed)]
    pub glb_settings: Option<Vec<GlbSettingsData>>,
    #[sdk(computed)]
    pub target_load_balancer_ids: Option<BTreeSet<String>>,
    #[sdk(computed)]
    pub network: Option<String>,
}

/// A forwarding rule as the data source reports it (ordered, for the set).
#[derive(Model, Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct ForwardingRuleData {
    #[sdk(computed)]
    pub entry_protocol: Option<String>,
    #[sdk(computed)]
    pub entry_port: Option<i64>,
    #[sdk(computed)]
    pub target_protocol: Option<String>,
    #[sdk(computed)]
    pub target_port: Option<i64>,
    #[sdk(computed)]
    pub certificate_name: Option<String>,
    #[sdk(computed)]
    pub certificate_id: Option<String>,
    #[sdk(computed)]
    pub tls_passthrough: Option<bool>,
}

/// A global load balancer's settings as the data source reports them.
#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct GlbSettingsData {
    #[sdk(computed)]
    pub target_protocol: Option<String>,
    #[sdk(computed)]
    pub target_port: Option<i64>,
    #[sdk(computed)]
    pub region_priorities: Option<BTreeMap<String, i64>>,
    #[sdk(computed)]
    pub failover_threshold: Option<i64>,
    #[sdk(computed)]
    pub cdn: Option<Vec<Cdn>>,
}

/// The `digitalocean_loadbalancer` data source.
pub struct LoadBalancerData;

#[async_trait]
impl DataSource<DigitalOcean> for LoadBalancerData {
    type Model = LoadBalancerDataModel;
    const TYPE: &'static str = "digitalocean_loadbalancer";

    async fn read(&self, cx: &Ctx<'_, DigitalOcean>, config: LoadBalancerDataModel) -> Result<LoadBalancerDataModel, DoError> {
        let (api, addr) = (&cx.provider.api, cx.addr);
        let lb = match (&config.id, &config.name) {
            (Some(id), _) => api.get_object(&format!("/v2/load_balancers/{id}"), "load_balancer").await.map_err(DoError::api(&addr))?,
            (None, Some(name)) => {
                let all = api.client.list_all("/v2/load_balancers", "load_balancers").await.map_err(DoError::api(&addr))?;
                let mut named: Vec<Json> = all.into_iter().filter(|l| l["name"] == name.as_str()).collect();
                if named.len() > 1 {
                    return Err(invalid(cx, format!("{} load balancers are named {name:?}", named.len())));
                }
                named.pop()
            }
            (None, None) => return Err(invalid(cx, "one of `id` or `name` must be assigned")),
        };
        let Some(lb) = lb else {
            return Err(invalid(cx, format!("no load balancer {}", config.id.or(config.name).unwrap_or_default())));
        };
        let certs = certificate_names(api, &lb).await.map_err(DoError::api(&addr))?;
        let m = LoadBalancerModel::from_api(&lb, &certs, &LoadBalancerModel::default());
        Ok(LoadBalancerDataModel {
            id: m.id,
            name: Some(m.name),
            urn: m.urn,
            region: m.region,
            size: None,
            size_unit: m.size_unit,
            ip: m.ip,
            ipv6: m.ipv6,
            algorithm: m.algorithm,
            status: m.status,
            forwarding_rule: Some(
                m.forwarding_rule
                    .into_iter()
                    .map(|r| ForwardingRuleData {
                        entry_protocol: Some(r.entry_protocol),
                        entry_port: Some(r.entry_port),
                        target_protocol: Some(r.target_protocol),
                        target_port: Some(r.target_port),
                        certificate_name: r.certificate_name,
                        certificate_id: r.certificate_id,
                        tls_passthrough: r.tls_passthrough,
                    })
                    .collect(),
            ),
            healthcheck: Some(m.healthcheck),
            sticky_sessions: Some(m.sticky_sessions),
            droplet_ids: m.droplet_ids,
            droplet_tag: m.droplet_tag,
            redirect_http_to_https: m.redirect_http_to_https,
            enable_proxy_protocol: m.enable_proxy_protocol,
            enable_backend_keepalive: m.enable_backend_keepalive,
            disable_lets_encrypt_dns_records: m.disable_lets_encrypt_dns_records,
            vpc_uuid: m.vpc_uuid,
            subnet_uuid: None,
            http_idle_timeout_seconds: m.http_idle_timeout_seconds,
            project_id: m.project_id,
            firewall: Some(m.firewall),
            kind: m.kind,
            domains: Some(m.domains),
            glb_settings: Some(
                m.glb_settings
                    .into_iter()
                    .map(|g| GlbSettingsData {
                        target_protocol: Some(g.target_protocol),
                        target_port: Some(g.target_port),
                        region_priorities: g.region_priorities,
                        failover_threshold: g.failover_threshold,
                        cdn: Some(g.cdn),
                    })
                    .collect(),
            ),
            target_load_balancer_ids: m.target_load_balancer_ids,
            network: s(&lb["network"]),
        })
    }
}
