//! The account-wide objects a SaaS platform groups and fronts its clusters
//! and databases with: projects (with the default project, and the URNs
//! assigned to each: an object belongs to one project at a time), domains
//! with their records (SOA and NS made by DigitalOcean), cloud firewalls,
//! tags, and Spaces access keys (their secret shown once, by the create).

use serde::Deserialize;
use serde_json::{json, Value};

use crate::clock::now_rfc3339;
use crate::error::ApiError;
use crate::store::Store;

/// The account's owner, as projects report it.
pub const OWNER_UUID: &str = "5d3e7a1c-8f0b-4c2e-9a4d-1b2c3d4e5f60";
pub const OWNER_ID: u64 = 2_032_495;

#[derive(Debug, Clone)]
pub struct Project {
    pub id: String,
    pub name: String,
    pub description: String,
    pub purpose: String,
    pub environment: Option<String>,
    pub is_default: bool,
    pub created_at: String,
    pub updated_at: String,
    /// (URN, assigned_at)
    pub resources: Vec<(String, String)>,
}

impl Project {
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "id": self.id, "owner_uuid": OWNER_UUID, "owner_id": OWNER_ID, "name": self.name,
            "description": self.description, "purpose": self.purpose,
            "created_at": self.created_at, "updated_at": self.updated_at, "is_default": self.is_default,
        });
        if let Some(e) = &self.environment {
            v["environment"] = json!(e);
        }
        v
    }
}

#[derive(Debug, Clone)]
pub struct Record {
    pub id: u64,
    pub kind: String,
    pub name: String,
    pub data: String,
    pub priority: Option<u64>,
    pub port: Option<u64>,
    pub ttl: u64,
    pub weight: Option<u64>,
    pub flags: Option<u64>,
    pub tag: Option<String>,
}

impl Record {
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id, "type": self.kind, "name": self.name, "data": self.data, "priority": self.priority,
            "port": self.port, "ttl": self.ttl, "weight": self.weight, "flags": self.flags, "tag": self.tag,
        })
    }
}

#[derive(Debug, Clone)]
pub struct Domain {
    pub name: String,
    pub ttl: u64,
    pub records: Vec<Record>,
}

impl Domain {
    pub fn to_json(&self) -> Value {
        let zone: String = self.records.iter().map(|r| format!("{}\t{}\tIN\t{}\t{}\n", r.name, r.ttl, r.kind, r.data)).collect();
        json!({"name": self.name, "ttl": self.ttl, "zone_file": format!("$ORIGIN {}.\n$TTL {}\n{zone}", self.name, self.ttl)})
    }
}

#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq, Default)]
pub struct Targets {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub droplet_ids: Vec<u64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub load_balancer_uids: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kubernetes_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct InboundRule {
    pub protocol: String,
    pub ports: String,
    pub sources: Targets,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct OutboundRule {
    pub protocol: String,
    pub ports: String,
    pub destinations: Targets,
}

#[derive(Debug, Clone)]
pub struct Firewall {
    pub id: String,
    pub name: String,
    pub created_at: String,
    pub droplet_ids: Vec<u64>,
    pub tags: Vec<String>,
    pub inbound: Vec<InboundRule>,
    pub outbound: Vec<OutboundRule>,
}

impl Firewall {
    pub fn to_json(&self) -> Value {
        let inbound: Vec<Value> = self.inbound.iter().map(|r| json!({"protocol": r.protocol, "ports": r.ports, "sources": r.sources})).collect();
        let outbound: Vec<Value> = self.outbound.iter().map(|r| json!({"protocol": r.protocol, "ports": r.ports, "destinations": r.destinations})).collect();
        json!({
            "id": self.id, "name": self.name, "status": "succeeded", "created_at": self.created_at, "pending_changes": [],
            "droplet_ids": self.droplet_ids, "tags": self.tags, "inbound_rules": inbound, "outbound_rules": outbound,
        })
    }
}

/// Projects, domains, firewalls and tags.
#[derive(Default)]
pub struct Platform {
    pub projects: Vec<Project>,
    pub domains: Vec<Domain>,
    pub firewalls: Vec<Firewall>,
    pub tags: Vec<String>,
    /// Spaces access keys (the secret is shown only by the create).
    pub spaces_keys: Vec<SpacesKey>,
    next_record: u64,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq)]
pub struct Grant {
    pub bucket: String,
    pub permission: String,
}

#[derive(Debug, Clone)]
pub struct SpacesKey {
    pub name: String,
    pub access_key: String,
    pub secret_key: String,
    pub grants: Vec<Grant>,
    pub created_at: String,
}

impl SpacesKey {
    pub fn to_json(&self) -> Value {
        json!({"name": self.name, "access_key": self.access_key, "grants": self.grants, "created_at": self.created_at})
    }
}

fn parse<T: for<'de> Deserialize<'de>>(body: &Value) -> Result<T, ApiError> {
    serde_json::from_value(body.clone()).map_err(|e| ApiError::unprocessable(format!("invalid request body: {e}")))
}

const ENVIRONMENTS: &[&str] = &["Development", "Staging", "Production"];

#[derive(Deserialize)]
struct ProjectBody {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    purpose: Option<String>,
    #[serde(default)]
    environment: Option<String>,
    #[serde(default)]
    is_default: Option<bool>,
}

#[derive(Deserialize)]
struct RecordBody {
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    data: Option<String>,
    #[serde(default)]
    priority: Option<u64>,
    #[serde(default)]
    port: Option<u64>,
    #[serde(default)]
    ttl: Option<u64>,
    #[serde(default)]
    weight: Option<u64>,
    #[serde(default)]
    flags: Option<u64>,
    #[serde(default)]
    tag: Option<String>,
}

#[derive(Deserialize)]
struct FirewallBody {
    name: String,
    #[serde(default)]
    droplet_ids: Option<Vec<u64>>,
    #[serde(default)]
    tags: Option<Vec<String>>,
    #[serde(default)]
    inbound_rules: Option<Vec<InboundRule>>,
    #[serde(default)]
    outbound_rules: Option<Vec<OutboundRule>>,
}

const RECORD_TYPES: &[&str] = &["A", "AAAA", "CAA", "CNAME", "MX", "NS", "SOA", "SRV", "TXT"];

fn check_ports(protocol: &str, ports: &str) -> Result<(), ApiError> {
    if !["tcp", "udp", "icmp"].contains(&protocol) {
        return Err(ApiError::unprocessable(format!("invalid protocol {protocol:?}")));
    }
    let port = |p: &str| p.parse::<u32>().is_ok_and(|n| n <= 65_535);
    let ok = protocol == "icmp" || ports == "all" || port(ports) || ports.split_once('-').is_some_and(|(a, b)| port(a) && port(b));
    if ok {
        Ok(())
    } else {
        Err(ApiError::unprocessable(format!("invalid ports {ports:?} for {protocol}")))
    }
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric()) && name.len() > 1 && chars.all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
}

impl Store {
    // ---- projects ----

    /// The default project, made on first use.
    fn default_project(&mut self) -> &mut Project {
        if !self.platform.projects.iter().any(|p| p.is_default) {
            let now = now_rfc3339();
            self.platform.projects.push(Project {
                id: uuid::Uuid::new_v4().to_string(),
                name: "first-project".into(),
                description: String::new(),
                purpose: "Just trying out DigitalOcean".into(),
                environment: None,
                is_default: true,
                created_at: now.clone(),
                updated_at: now,
                resources: Vec::new(),
            });
        }
        self.platform.projects.iter_mut().find(|p| p.is_default).expect("made above")
    }

    pub fn list_projects(&mut self) -> Vec<Value> {
        self.default_project();
        self.platform.projects.iter().map(Project::to_json).collect()
    }

    /// A project by id, or `default`.
    pub fn project(&mut self, id: &str) -> Result<&mut Project, ApiError> {
        if id == "default" {
            return Ok(self.default_project());
        }
        self.platform.projects.iter_mut().find(|p| p.id == id).ok_or_else(ApiError::not_found)
    }

    pub fn create_project(&mut self, body: &Value) -> Result<Value, ApiError> {
        let b: ProjectBody = parse(body)?;
        let name = b.name.filter(|n| !n.is_empty() && n.len() <= 175).ok_or_else(|| ApiError::unprocessable("name is required (1 to 175 characters)"))?;
        let purpose = b.purpose.filter(|p| !p.is_empty()).ok_or_else(|| ApiError::unprocessable("purpose is required"))?;
        if let Some(e) = &b.environment {
            if !ENVIRONMENTS.contains(&e.as_str()) {
                return Err(ApiError::unprocessable(format!("environment must be one of {ENVIRONMENTS:?}")));
            }
        }
        self.default_project();
        if self.platform.projects.iter().any(|p| p.name == name) {
            return Err(ApiError::conflict(format!("a project named {name:?} already exists")));
        }
        let now = now_rfc3339();
        let p = Project {
            id: uuid::Uuid::new_v4().to_string(),
            name,
            description: b.description.unwrap_or_default(),
            purpose,
            environment: b.environment,
            is_default: false,
            created_at: now.clone(),
            updated_at: now,
            resources: Vec::new(),
        };
        let out = p.to_json();
        self.platform.projects.push(p);
        Ok(out)
    }

    /// PUT (`full`: every field required) or PATCH.
    pub fn update_project(&mut self, id: &str, body: &Value, full: bool) -> Result<Value, ApiError> {
        let b: ProjectBody = parse(body)?;
        if full && (b.name.is_none() || b.description.is_none() || b.purpose.is_none() || b.environment.is_none() || b.is_default.is_none()) {
            return Err(ApiError::bad_request("name, description, purpose, environment and is_default are required"));
        }
        if let Some(e) = &b.environment {
            if !ENVIRONMENTS.contains(&e.as_str()) {
                return Err(ApiError::unprocessable(format!("environment must be one of {ENVIRONMENTS:?}")));
            }
        }
        let make_default = b.is_default == Some(true);
        let target = self.project(id)?.id.clone();
        if make_default {
            self.platform.projects.iter_mut().for_each(|p| p.is_default = p.id == target);
        }
        let p = self.project(&target)?;
        if let Some(n) = b.name {
            p.name = n;
        }
        if let Some(d) = b.description {
            p.description = d;
        }
        if let Some(x) = b.purpose {
            p.purpose = x;
        }
        if b.environment.is_some() {
            p.environment = b.environment;
        }
        p.updated_at = now_rfc3339();
        Ok(p.to_json())
    }

    pub fn delete_project(&mut self, id: &str) -> Result<(), ApiError> {
        let p = self.project(id)?;
        if p.is_default {
            return Err(ApiError::forbidden("The default project cannot be deleted."));
        }
        if !p.resources.is_empty() {
            return Err(ApiError {
                status: 412,
                id: "precondition_failed",
                message: "cannot delete a project with resources: move them to another project first".into(),
            });
        }
        let id = p.id.clone();
        self.platform.projects.retain(|p| p.id != id);
        Ok(())
    }

    /// Whether the object a URN names exists (objects this simulator does
    /// not hold, such as Spaces buckets served elsewhere, are taken on trust).
    fn urn_exists(&self, urn: &str) -> bool {
        let mut parts = urn.splitn(3, ':');
        let (Some("do"), Some(kind), Some(id)) = (parts.next(), parts.next(), parts.next()) else { return false };
        match kind {
            "kubernetes" => self.clusters.iter().any(|c| c.id == id),
            "dbaas" => self.databases.iter().any(|d| d.id == id),
            "vpc" => self.vpcs.iter().any(|v| v.id == id),
            "domain" => self.platform.domains.iter().any(|d| d.name == id),
            "loadbalancer" => self.edge.load_balancers.iter().any(|l| l.id == id),
            "space" | "droplet" | "floatingip" | "volume" => !id.is_empty(),
            _ => false,
        }
    }

    pub fn project_resources(&mut self, id: &str, base: &str) -> Result<Vec<Value>, ApiError> {
        let valid: Vec<(String, String)> = {
            let p = self.project(id)?;
            p.resources.clone()
        };
        // An object deleted since its assignment leaves its project.
        let live: Vec<(String, String)> = valid.into_iter().filter(|(u, _)| self.urn_exists(u)).collect();
        let p = self.project(id)?;
        p.resources = live.clone();
        Ok(live
            .iter()
            .map(|(urn, at)| json!({"urn": urn, "assigned_at": at, "links": {"self": format!("{base}/v2/resources/{urn}")}, "status": "ok"}))
            .collect())
    }

    pub fn assign_resources(&mut self, id: &str, body: &Value, base: &str) -> Result<Vec<Value>, ApiError> {
        #[derive(Deserialize)]
        struct Assign {
            resources: Vec<String>,
        }
        let a: Assign = parse(body)?;
        let target = self.project(id)?.id.clone();
        let mut out = Vec::new();
        for urn in a.resources {
            if !self.urn_exists(&urn) {
                return Err(ApiError::unprocessable(format!("resource {urn:?} does not exist")));
            }
            let now = now_rfc3339();
            for p in &mut self.platform.projects {
                p.resources.retain(|(u, _)| u != &urn);
            }
            self.project(&target)?.resources.push((urn.clone(), now.clone()));
            out.push(json!({"urn": urn, "assigned_at": now, "links": {"self": format!("{base}/v2/resources/{urn}")}, "status": "assigned"}));
        }
        Ok(out)
    }

    // ---- domains and records ----

    pub fn domain(&self, name: &str) -> Result<&Domain, ApiError> {
        self.platform.domains.iter().find(|d| d.name == name).ok_or_else(ApiError::not_found)
    }

    fn domain_mut(&mut self, name: &str) -> Result<&mut Domain, ApiError> {
        self.platform.domains.iter_mut().find(|d| d.name == name).ok_or_else(ApiError::not_found)
    }

    fn next_record_id(&mut self) -> u64 {
        self.platform.next_record += 1;
        100_000 + self.platform.next_record
    }

    pub fn create_domain(&mut self, body: &Value) -> Result<Value, ApiError> {
        #[derive(Deserialize)]
        struct Create {
            name: String,
            #[serde(default)]
            ip_address: Option<String>,
        }
        let c: Create = parse(body)?;
        let labels: Vec<&str> = c.name.split('.').collect();
        if labels.len() < 2 || labels.iter().any(|l| l.is_empty() || !l.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-')) {
            return Err(ApiError::unprocessable(format!("{:?} is not a valid domain name", c.name)));
        }
        if self.platform.domains.iter().any(|d| d.name == c.name) {
            return Err(ApiError::unprocessable(format!("Name {} already exists", c.name)));
        }
        let mut records = Vec::new();
        let soa = format!("1800 ns1.digitalocean.com. hostmaster.{}. 1 10800 3600 604800 1800", c.name);
        let rec = |s: &mut Store, kind: &str, name: &str, data: String, ttl: u64| Record {
            id: s.next_record_id(),
            kind: kind.into(),
            name: name.into(),
            data,
            priority: None,
            port: None,
            ttl,
            weight: None,
            flags: None,
            tag: None,
        };
        records.push(rec(self, "SOA", "@", soa, 1800));
        for ns in ["ns1", "ns2", "ns3"] {
            records.push(rec(self, "NS", "@", format!("{ns}.digitalocean.com"), 1800));
        }
        if let Some(ip) = c.ip_address.filter(|i| !i.is_empty()) {
            if ip.parse::<std::net::Ipv4Addr>().is_err() {
                return Err(ApiError::unprocessable(format!("{ip:?} is not an IPv4 address")));
            }
            records.push(rec(self, "A", "@", ip, 1800));
        }
        let d = Domain { name: c.name, ttl: 1800, records };
        let out = d.to_json();
        self.platform.domains.push(d);
        Ok(out)
    }

    pub fn delete_domain(&mut self, name: &str) -> Result<(), ApiError> {
        self.domain(name)?;
        self.platform.domains.retain(|d| d.name != name);
        for p in &mut self.platform.projects {
            p.resources.retain(|(u, _)| u != &format!("do:domain:{name}"));
        }
        Ok(())
    }

    pub fn records(&self, domain: &str, query: &str) -> Result<Vec<Value>, ApiError> {
        let d = self.domain(domain)?;
        let q = |k: &str| query.split('&').filter_map(|kv| kv.split_once('=')).find(|(n, _)| *n == k).map(|(_, v)| v.to_string());
        let (name, kind) = (q("name"), q("type"));
        Ok(d.records
            .iter()
            .filter(|r| kind.as_ref().is_none_or(|k| &r.kind == k))
            .filter(|r| name.as_ref().is_none_or(|n| n == &fqdn(&r.name, domain)))
            .map(Record::to_json)
            .collect())
    }

    pub fn record(&self, domain: &str, id: &str) -> Result<Value, ApiError> {
        let d = self.domain(domain)?;
        d.records.iter().find(|r| r.id.to_string() == id).map(Record::to_json).ok_or_else(ApiError::not_found)
    }

    pub fn create_record(&mut self, domain: &str, body: &Value) -> Result<Value, ApiError> {
        let b: RecordBody = parse(body)?;
        self.domain(domain)?;
        let kind = b.kind.clone().ok_or_else(|| ApiError::unprocessable("type is required"))?;
        check_record(&kind, &b)?;
        let id = self.next_record_id();
        let r = Record {
            id,
            kind,
            name: b.name.unwrap_or_else(|| "@".into()),
            data: b.data.unwrap_or_default(),
            priority: b.priority,
            port: b.port,
            ttl: b.ttl.unwrap_or(1800),
            weight: b.weight,
            flags: b.flags,
            tag: b.tag,
        };
        let out = r.to_json();
        self.domain_mut(domain)?.records.push(r);
        Ok(out)
    }

    pub fn update_record(&mut self, domain: &str, id: &str, body: &Value) -> Result<Value, ApiError> {
        let b: RecordBody = parse(body)?;
        let d = self.domain_mut(domain)?;
        let r = d.records.iter_mut().find(|r| r.id.to_string() == id).ok_or_else(ApiError::not_found)?;
        if let Some(k) = &b.kind {
            if k != &r.kind {
                return Err(ApiError::unprocessable("a record's type cannot change"));
            }
        }
        check_record(&r.kind.clone(), &b)?;
        if let Some(n) = b.name {
            r.name = n;
        }
        if let Some(x) = b.data {
            r.data = x;
        }
        if let Some(t) = b.ttl {
            r.ttl = t;
        }
        r.priority = b.priority.or(r.priority);
        r.port = b.port.or(r.port);
        r.weight = b.weight.or(r.weight);
        r.flags = b.flags.or(r.flags);
        r.tag = b.tag.or(r.tag.take());
        Ok(r.to_json())
    }

    pub fn delete_record(&mut self, domain: &str, id: &str) -> Result<(), ApiError> {
        let d = self.domain_mut(domain)?;
        let before = d.records.len();
        d.records.retain(|r| r.id.to_string() != id);
        if d.records.len() == before {
            return Err(ApiError::not_found());
        }
        Ok(())
    }

    // ---- firewalls ----

    pub fn firewall(&self, id: &str) -> Result<&Firewall, ApiError> {
        self.platform.firewalls.iter().find(|f| f.id == id).ok_or_else(ApiError::not_found)
    }

    fn firewall_from(body: &Value) -> Result<FirewallBody, ApiError> {
        let b: FirewallBody = parse(body)?;
        if !valid_name(&b.name) {
            return Err(ApiError::bad_request(format!("invalid firewall name {:?}", b.name)));
        }
        for r in b.inbound_rules.iter().flatten() {
            check_ports(&r.protocol, &r.ports)?;
            if r.sources == Targets::default() {
                return Err(ApiError::bad_request("an inbound rule needs at least one source"));
            }
        }
        for r in b.outbound_rules.iter().flatten() {
            check_ports(&r.protocol, &r.ports)?;
            if r.destinations == Targets::default() {
                return Err(ApiError::bad_request("an outbound rule needs at least one destination"));
            }
        }
        Ok(b)
    }

    pub fn create_firewall(&mut self, body: &Value) -> Result<Value, ApiError> {
        let b = Self::firewall_from(body)?;
        let f = Firewall {
            id: uuid::Uuid::new_v4().to_string(),
            name: b.name,
            created_at: now_rfc3339(),
            droplet_ids: b.droplet_ids.unwrap_or_default(),
            tags: b.tags.unwrap_or_default(),
            inbound: b.inbound_rules.unwrap_or_default(),
            outbound: b.outbound_rules.unwrap_or_default(),
        };
        let out = f.to_json();
        self.platform.firewalls.push(f);
        Ok(out)
    }

    pub fn update_firewall(&mut self, id: &str, body: &Value) -> Result<Value, ApiError> {
        let b = Self::firewall_from(body)?;
        let f = self.platform.firewalls.iter_mut().find(|f| f.id == id).ok_or_else(ApiError::not_found)?;
        f.name = b.name;
        f.droplet_ids = b.droplet_ids.unwrap_or_default();
        f.tags = b.tags.unwrap_or_default();
        f.inbound = b.inbound_rules.unwrap_or_default();
        f.outbound = b.outbound_rules.unwrap_or_default();
        Ok(f.to_json())
    }

    pub fn delete_firewall(&mut self, id: &str) -> Result<(), ApiError> {
        self.firewall(id)?;
        self.platform.firewalls.retain(|f| f.id != id);
        Ok(())
    }

    // ---- tags ----

    pub fn tag_json(&self, name: &str) -> Result<Value, ApiError> {
        if !self.platform.tags.iter().any(|t| t == name) {
            return Err(ApiError::not_found());
        }
        let databases = self.databases.iter().filter(|d| d.tags.iter().any(|t| t == name)).count();
        let zero = json!({"count": 0});
        Ok(json!({
            "name": name,
            "resources": {"count": databases, "droplets": zero, "imgages": zero, "volumes": zero, "volume_snapshots": zero, "databases": {"count": databases}},
        }))
    }

    pub fn create_tag(&mut self, body: &Value) -> Result<Value, ApiError> {
        #[derive(Deserialize)]
        struct Create {
            name: String,
        }
        let c: Create = parse(body)?;
        let ok = !c.name.is_empty() && c.name.len() <= 255 && c.name.chars().all(|ch| ch.is_ascii_alphanumeric() || "_-:".contains(ch));
        if !ok {
            return Err(ApiError::bad_request(format!("invalid tag name {:?}", c.name)));
        }
        if !self.platform.tags.contains(&c.name) {
            self.platform.tags.push(c.name.clone());
        }
        self.tag_json(&c.name)
    }

    pub fn delete_tag(&mut self, name: &str) -> Result<(), ApiError> {
        self.tag_json(name)?;
        self.platform.tags.retain(|t| t != name);
        Ok(())
    }
}

#[derive(Deserialize)]
struct KeyBody {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    grants: Option<Vec<Grant>>,
}

fn check_grants(grants: &[Grant]) -> Result<(), ApiError> {
    for g in grants {
        match g.permission.as_str() {
            "read" | "readwrite" if !g.bucket.is_empty() => {}
            "fullaccess" if g.bucket.is_empty() => {}
            p => return Err(ApiError::bad_request(format!("invalid grant: permission {p:?} on bucket {:?}", g.bucket))),
        }
    }
    Ok(())
}

impl Store {
    pub fn spaces_key(&self, access_key: &str) -> Result<&SpacesKey, ApiError> {
        self.platform.spaces_keys.iter().find(|k| k.access_key == access_key).ok_or_else(ApiError::not_found)
    }

    pub fn create_spaces_key(&mut self, body: &Value) -> Result<Value, ApiError> {
        let b: KeyBody = parse(body)?;
        let name = b.name.filter(|n| !n.is_empty()).ok_or_else(|| ApiError::bad_request("name is required"))?;
        let grants = b.grants.unwrap_or_default();
        check_grants(&grants)?;
        let id = uuid::Uuid::new_v4().simple().to_string().to_uppercase();
        let k = SpacesKey {
            name,
            access_key: format!("DO{}", &id[..18]),
            secret_key: uuid::Uuid::new_v4().simple().to_string(),
            grants,
            created_at: now_rfc3339(),
        };
        let mut out = k.to_json();
        out["secret_key"] = json!(k.secret_key);
        self.platform.spaces_keys.push(k);
        Ok(out)
    }

    pub fn update_spaces_key(&mut self, access_key: &str, body: &Value) -> Result<Value, ApiError> {
        let b: KeyBody = parse(body)?;
        if let Some(g) = &b.grants {
            check_grants(g)?;
        }
        let k = self.platform.spaces_keys.iter_mut().find(|k| k.access_key == access_key).ok_or_else(ApiError::not_found)?;
        if let Some(n) = b.name.filter(|n| !n.is_empty()) {
            k.name = n;
        }
        if let Some(g) = b.grants {
            k.grants = g;
        }
        Ok(k.to_json())
    }

    pub fn delete_spaces_key(&mut self, access_key: &str) -> Result<(), ApiError> {
        self.spaces_key(access_key)?;
        self.platform.spaces_keys.retain(|k| k.access_key != access_key);
        Ok(())
    }
}

/// A record's name as DNS knows it.
pub fn fqdn(name: &str, domain: &str) -> String {
    if name == "@" {
        domain.to_string()
    } else {
        format!("{name}.{domain}")
    }
}

fn check_record(kind: &str, b: &RecordBody) -> Result<(), ApiError> {
    if !RECORD_TYPES.contains(&kind) {
        return Err(ApiError::unprocessable(format!("unsupported record type {kind:?}")));
    }
    if let Some(d) = &b.data {
        let ok = match kind {
            "A" => d.parse::<std::net::Ipv4Addr>().is_ok(),
            "AAAA" => d.parse::<std::net::Ipv6Addr>().is_ok(),
            _ => !d.is_empty(),
        };
        if !ok {
            return Err(ApiError::unprocessable(format!("invalid data {d:?} for a {kind} record")));
        }
    }
    if matches!(kind, "MX" | "SRV") && b.priority.is_none() {
        return Err(ApiError::unprocessable(format!("a {kind} record needs a priority")));
    }
    if let Some(t) = b.ttl {
        if t < 30 {
            return Err(ApiError::unprocessable("ttl must be at least 30 seconds"));
        }
    }
    Ok(())
}
