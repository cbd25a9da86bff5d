//! The simulated account: VPCs and clusters with their node pools, the
//! lifecycle that moves them along over time, and the operations the routes
//! call. Every operation first advances time (`tick`), so states change
//! lazily when observed, without background tasks.

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime};

use serde::Deserialize;
use serde_json::Value;

use crate::catalog::{self, Version};
use crate::clock::{now_rfc3339, rfc3339};
use crate::config::SimConfig;
use crate::error::ApiError;
use crate::model::*;

#[derive(Default)]
pub struct Store {
    pub vpcs: Vec<Vpc>,
    pub clusters: Vec<Cluster>,
    /// Managed database clusters (with their replicas), in `databases.rs`.
    pub databases: Vec<crate::databases::Database>,
    /// Projects, domains, firewalls and tags, in `platform.rs`.
    pub platform: crate::platform::Platform,
    /// Load balancers, certificates and the container registry, in `edge.rs`.
    pub edge: crate::edge::Edge,
    next_range: u32,
    next_ip: u32,
}

fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn parse<T: for<'de> Deserialize<'de>>(body: &Value) -> Result<T, ApiError> {
    serde_json::from_value(body.clone()).map_err(|e| ApiError::unprocessable(format!("invalid request body: {e}")))
}

#[derive(Deserialize)]
struct VpcCreate {
    name: String,
    region: String,
    #[serde(default)]
    ip_range: Option<String>,
    #[serde(default)]
    description: Option<String>,
}

#[derive(Deserialize)]
struct VpcUpdate {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
}

#[derive(Deserialize)]
pub struct PoolSpec {
    name: String,
    size: String,
    #[serde(default)]
    count: Option<u32>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    labels: Option<BTreeMap<String, String>>,
    #[serde(default)]
    taints: Vec<Taint>,
    #[serde(default)]
    auto_scale: bool,
    #[serde(default)]
    min_nodes: u32,
    #[serde(default)]
    max_nodes: u32,
}

#[derive(Deserialize)]
struct PoolUpdate {
    name: String,
    count: u32,
    #[serde(default)]
    tags: Option<Vec<String>>,
    #[serde(default)]
    labels: Option<BTreeMap<String, String>>,
    #[serde(default)]
    taints: Option<Vec<Taint>>,
    #[serde(default)]
    auto_scale: Option<bool>,
    #[serde(default)]
    min_nodes: Option<u32>,
    #[serde(default)]
    max_nodes: Option<u32>,
}

#[derive(Deserialize, Default)]
struct Maintenance {
    #[serde(default)]
    start_time: Option<String>,
    #[serde(default)]
    day: Option<String>,
}

#[derive(Deserialize)]
struct ClusterCreate {
    name: String,
    region: String,
    version: String,
    #[serde(default)]
    vpc_uuid: Option<String>,
    #[serde(default)]
    cluster_subnet: Option<String>,
    #[serde(default)]
    service_subnet: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    node_pools: Vec<PoolSpec>,
    #[serde(default)]
    maintenance_policy: Option<Maintenance>,
    #[serde(default)]
    auto_upgrade: bool,
    #[serde(default)]
    surge_upgrade: bool,
    #[serde(default)]
    ha: bool,
}

#[derive(Deserialize)]
struct ClusterUpdate {
    name: String,
    #[serde(default)]
    tags: Option<Vec<String>>,
    #[serde(default)]
    maintenance_policy: Option<Maintenance>,
    #[serde(default)]
    auto_upgrade: Option<bool>,
    #[serde(default)]
    surge_upgrade: Option<bool>,
    #[serde(default)]
    ha: Option<bool>,
}

const AUTO_TAGS: &[&str] = &["k8s", "k8s-worker"];

fn user_tags(tags: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = tags.into_iter().filter(|t| !AUTO_TAGS.contains(&t.as_str()) && !t.starts_with("k8s:")).collect();
    out.dedup();
    out
}

const DAYS: &[&str] = &["any", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

fn check_maintenance(m: &Maintenance) -> Result<(), ApiError> {
    if let Some(d) = &m.day {
        if !DAYS.contains(&d.as_str()) {
            return Err(ApiError::unprocessable(format!("invalid maintenance day {d:?}")));
        }
    }
    if let Some(t) = &m.start_time {
        let ok = t.split_once(':').is_some_and(|(h, mi)| h.parse::<u8>().is_ok_and(|h| h < 24) && mi.parse::<u8>().is_ok_and(|m| m < 60));
        if !ok {
            return Err(ApiError::unprocessable(format!("invalid maintenance start_time {t:?}")));
        }
    }
    Ok(())
}

impl Store {
    /// Moves every object along its lifecycle up to `now`.
    pub fn tick(&mut self, now: Instant, cfg: &SimConfig) {
        let release = Duration::from_millis(cfg.vpc_release_delay_ms);
        let mut released: Vec<String> = Vec::new();
        self.clusters.retain_mut(|c| {
            let due = c.until.is_some_and(|u| u <= now);
            match c.state {
                ClusterState::Deleting if due => {
                    released.push(c.vpc_uuid.clone());
                    return false;
                }
                ClusterState::Provisioning | ClusterState::Upgrading if due => {
                    c.state = ClusterState::Running;
                    c.until = None;
                    c.updated_at = now_rfc3339();
                }
                _ => {}
            }
            for p in &mut c.node_pools {
                p.nodes.retain_mut(|n| {
                    let due = n.until.is_some_and(|u| u <= now);
                    match n.state {
                        NodeState::Deleting if due => return false,
                        NodeState::Provisioning if due => {
                            n.state = NodeState::Running;
                            n.until = None;
                            n.updated_at = now_rfc3339();
                        }
                        _ => {}
                    }
                    true
                });
            }
            true
        });
        for id in released {
            if let Some(v) = self.vpcs.iter_mut().find(|v| v.id == id) {
                v.busy_until = Some(now + release);
            }
        }
        self.tick_databases(now);
        self.tick_edge(now);
    }

    /// A VPC a member just left stays busy for a while (as after a cluster's deletion).
    pub(crate) fn release_vpc(&mut self, id: &str, now: Instant, cfg: &SimConfig) {
        if let Some(v) = self.vpcs.iter_mut().find(|v| v.id == id) {
            v.busy_until = Some(now + Duration::from_millis(cfg.vpc_release_delay_ms));
        }
    }

    // ---- VPCs ----

    /// The region's default VPC, made on first use.
    pub(crate) fn default_vpc_id(&mut self, region: &str) -> String {
        self.default_vpc(region)
    }

    fn default_vpc(&mut self, region: &str) -> String {
        if let Some(v) = self.vpcs.iter().find(|v| v.region == region && v.default) {
            return v.id.clone();
        }
        let v = self.make_vpc(format!("default-{region}"), region.to_string(), None, String::new(), true);
        let id = v.id.clone();
        self.vpcs.push(v);
        id
    }

    fn make_vpc(&mut self, name: String, region: String, ip_range: Option<String>, description: String, default: bool) -> Vpc {
        self.next_range += 1;
        let ip_range = ip_range.unwrap_or_else(|| format!("10.{}.{}.0/20", 100 + self.next_range / 16, (self.next_range % 16) * 16));
        Vpc { id: new_id(), name, description, region, ip_range, default, created_at: now_rfc3339(), busy_until: None }
    }

    pub fn vpc(&self, id: &str) -> Result<&Vpc, ApiError> {
        self.vpcs.iter().find(|v| v.id == id).ok_or_else(ApiError::not_found)
    }

    pub fn create_vpc(&mut self, body: &Value) -> Result<Value, ApiError> {
        let req: VpcCreate = parse(body)?;
        if !catalog::is_region(&req.region) {
            return Err(ApiError::unprocessable(format!("region {:?} is not available", req.region)));
        }
        if req.name.is_empty() || !req.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.') {
            return Err(ApiError::unprocessable("name may only contain alphanumeric characters, dashes, and periods"));
        }
        if self.vpcs.iter().any(|v| v.name == req.name) {
            return Err(ApiError::unprocessable(format!("a VPC named {:?} already exists", req.name)));
        }
        if let Some(r) = &req.ip_range {
            if !is_cidr(r) {
                return Err(ApiError::unprocessable(format!("ip_range {r:?} is not a CIDR block")));
            }
            if self.vpcs.iter().any(|v| &v.ip_range == r) {
                return Err(ApiError::unprocessable(format!("ip_range {r:?} overlaps an existing VPC")));
            }
        }
        // A region's default VPC is made by DigitalOcean itself (on the first cluster without one).
        let v = self.make_vpc(req.name, req.region, req.ip_range, req.description.unwrap_or_default(), false);
        let out = v.to_json();
        self.vpcs.push(v);
        Ok(out)
    }

    pub fn update_vpc(&mut self, id: &str, body: &Value, full: bool) -> Result<Value, ApiError> {
        let req: VpcUpdate = parse(body)?;
        if full && req.name.is_none() {
            return Err(ApiError::unprocessable("name is required"));
        }
        if let Some(n) = &req.name {
            if self.vpcs.iter().any(|v| &v.name == n && v.id != id) {
                return Err(ApiError::unprocessable(format!("a VPC named {n:?} already exists")));
            }
        }
        let v = self.vpcs.iter_mut().find(|v| v.id == id).ok_or_else(ApiError::not_found)?;
        if let Some(n) = req.name {
            v.name = n;
        }
        if let Some(d) = req.description {
            v.description = d;
        }
        Ok(v.to_json())
    }

    pub fn vpc_members(&self, id: &str) -> Result<Vec<Value>, ApiError> {
        self.vpc(id)?;
        Ok(self
            .clusters
            .iter()
            .filter(|c| c.vpc_uuid == id)
            .map(|c| serde_json::json!({"name": c.name, "urn": format!("do:kubernetes:{}", c.id), "created_at": c.created_at}))
            .chain(
                self.databases
                    .iter()
                    .filter(|d| d.private_network_uuid == id)
                    .map(|d| serde_json::json!({"name": d.name, "urn": format!("do:dbaas:{}", d.id), "created_at": d.created_at})),
            )
            .collect())
    }

    pub fn delete_vpc(&mut self, id: &str, now: Instant) -> Result<(), ApiError> {
        let v = self.vpc(id)?;
        if v.default {
            return Err(ApiError::forbidden("The default VPC of a region cannot be deleted."));
        }
        let databases = self.databases.iter().any(|d| d.private_network_uuid == id || d.replicas.iter().any(|r| r.private_network_uuid == id));
        if databases || self.clusters.iter().any(|c| c.vpc_uuid == id) {
            return Err(ApiError::forbidden("Can not delete VPC with members"));
        }
        if v.busy_until.is_some_and(|b| b > now) {
            return Err(ApiError::conflict("The VPC is still in use by resources being deleted; try again shortly."));
        }
        self.vpcs.retain(|v| v.id != id);
        Ok(())
    }

    // ---- clusters ----

    pub fn cluster(&self, id: &str) -> Result<&Cluster, ApiError> {
        self.clusters.iter().find(|c| c.id == id).ok_or_else(ApiError::not_found)
    }

    fn cluster_mut(&mut self, id: &str) -> Result<&mut Cluster, ApiError> {
        self.clusters.iter_mut().find(|c| c.id == id).ok_or_else(ApiError::not_found)
    }

    pub fn create_cluster(&mut self, body: &Value, now: Instant, cfg: &SimConfig) -> Result<Value, ApiError> {
        let req: ClusterCreate = parse(body)?;
        if req.name.is_empty() {
            return Err(ApiError::unprocessable("name is required"));
        }
        if self.clusters.iter().any(|c| c.name == req.name) {
            return Err(ApiError::unprocessable(format!("a cluster with the name {:?} already exists", req.name)));
        }
        if !catalog::is_region(&req.region) {
            return Err(ApiError::unprocessable(format!("region {:?} is not available for Kubernetes", req.region)));
        }
        let version = if req.version == "latest" { catalog::latest().to_string() } else { req.version.clone() };
        if !catalog::is_version(&version) {
            return Err(ApiError::unprocessable(format!("version {:?} is not a supported Kubernetes version", req.version)));
        }
        if req.node_pools.is_empty() {
            return Err(ApiError::unprocessable("a cluster needs at least one node pool"));
        }
        if let Some(m) = &req.maintenance_policy {
            check_maintenance(m)?;
        }
        let vpc_uuid = match req.vpc_uuid {
            Some(id) => {
                let v = self.vpc(&id).map_err(|_| ApiError::unprocessable(format!("VPC {id:?} does not exist")))?;
                if v.region != req.region {
                    return Err(ApiError::unprocessable(format!("VPC {id:?} is in region {}, not {}", v.region, req.region)));
                }
                id
            }
            None => self.default_vpc(&req.region),
        };
        let node_delay = Duration::from_millis(cfg.node_delay_ms);
        let pools = req.node_pools.into_iter().map(|p| make_pool(p, now, node_delay)).collect::<Result<Vec<_>, _>>()?;
        self.next_ip += 1;
        let id = new_id();
        let created = now_rfc3339();
        let expires = rfc3339(SystemTime::now() + Duration::from_secs(7 * 86_400));
        let m = req.maintenance_policy.unwrap_or_default();
        let c = Cluster {
            token: format!("dop_sim_{}", uuid::Uuid::new_v4().simple()),
            token_expires_at: expires,
            ca: crate::kube::fake_ca(&id),
            id,
            name: req.name,
            region: req.region,
            version,
            vpc_uuid,
            cluster_subnet: req.cluster_subnet.unwrap_or_else(|| "10.244.0.0/16".into()),
            service_subnet: req.service_subnet.unwrap_or_else(|| "10.245.0.0/16".into()),
            ipv4: format!("203.0.{}.{}", 113 + self.next_ip / 250, 1 + self.next_ip % 250),
            tags: user_tags(req.tags),
            node_pools: pools,
            maintenance_start: m.start_time.unwrap_or_else(|| "0:00".into()),
            maintenance_day: m.day.unwrap_or_else(|| "any".into()),
            auto_upgrade: req.auto_upgrade,
            surge_upgrade: req.surge_upgrade,
            ha: req.ha,
            registry_enabled: false,
            state: ClusterState::Provisioning,
            until: Some(now + Duration::from_millis(cfg.provision_delay_ms)),
            created_at: created.clone(),
            updated_at: created,
        };
        let out = c.to_json();
        self.clusters.push(c);
        Ok(out)
    }

    pub fn update_cluster(&mut self, id: &str, body: &Value) -> Result<Value, ApiError> {
        let req: ClusterUpdate = parse(body)?;
        if req.name.is_empty() {
            return Err(ApiError::unprocessable("name is required"));
        }
        if self.clusters.iter().any(|c| c.name == req.name && c.id != id) {
            return Err(ApiError::unprocessable(format!("a cluster with the name {:?} already exists", req.name)));
        }
        if let Some(m) = &req.maintenance_policy {
            check_maintenance(m)?;
        }
        let c = self.cluster_mut(id)?;
        if c.state == ClusterState::Deleting {
            return Err(ApiError::unprocessable("the cluster is being deleted"));
        }
        if c.ha && req.ha == Some(false) {
            return Err(ApiError::unprocessable("high availability cannot be disabled once enabled"));
        }
        c.name = req.name;
        if let Some(t) = req.tags {
            c.tags = user_tags(t);
        }
        if let Some(m) = req.maintenance_policy {
            if let Some(s) = m.start_time {
                c.maintenance_start = s;
            }
            if let Some(d) = m.day {
                c.maintenance_day = d;
            }
        }
        if let Some(b) = req.auto_upgrade {
            c.auto_upgrade = b;
        }
        if let Some(b) = req.surge_upgrade {
            c.surge_upgrade = b;
        }
        if let Some(b) = req.ha {
            c.ha = b;
        }
        c.updated_at = now_rfc3339();
        Ok(c.to_json())
    }

    pub fn delete_cluster(&mut self, id: &str, now: Instant, cfg: &SimConfig) -> Result<(), ApiError> {
        let c = self.cluster_mut(id)?;
        if c.state != ClusterState::Deleting {
            c.state = ClusterState::Deleting;
            c.until = Some(now + Duration::from_millis(cfg.delete_delay_ms));
            c.updated_at = now_rfc3339();
        }
        Ok(())
    }

    pub fn upgrade_cluster(&mut self, id: &str, body: &Value, now: Instant, cfg: &SimConfig) -> Result<(), ApiError> {
        #[derive(Deserialize)]
        struct Req {
            version: String,
        }
        let req: Req = parse(body)?;
        let c = self.cluster_mut(id)?;
        if c.state != ClusterState::Running {
            return Err(ApiError::unprocessable(format!("the cluster is {}; upgrades need a running cluster", c.state.as_str())));
        }
        let target =
            if req.version == "latest" { catalog::upgrades_from(&c.version).last().map(|s| s.to_string()).unwrap_or(c.version.clone()) } else { req.version };
        if target == c.version {
            return Ok(());
        }
        if !catalog::upgrades_from(&c.version).contains(&target.as_str()) {
            let why = match (Version::parse(&target), Version::parse(&c.version)) {
                (Some(t), Some(cur)) if t < cur => "downgrades are not supported",
                (Some(_), Some(_)) => "it is not an available upgrade (one minor version at a time)",
                _ => "it is not a known version",
            };
            return Err(ApiError::unprocessable(format!("cannot upgrade from {} to {target}: {why}", c.version)));
        }
        c.version = target;
        c.state = ClusterState::Upgrading;
        c.until = Some(now + Duration::from_millis(cfg.provision_delay_ms));
        c.updated_at = now_rfc3339();
        Ok(())
    }

    pub fn set_registry(&mut self, ids: &[String], enabled: bool) -> Result<(), ApiError> {
        for id in ids {
            self.cluster_mut(id).map_err(|_| ApiError::unprocessable(format!("cluster {id:?} does not exist")))?.registry_enabled = enabled;
        }
        Ok(())
    }

    // ---- node pools ----

    pub fn pool(&self, cluster: &str, pool: &str) -> Result<Value, ApiError> {
        let c = self.cluster(cluster)?;
        c.node_pools.iter().find(|p| p.id == pool).map(|p| p.to_json(&c.id)).ok_or_else(ApiError::not_found)
    }

    pub fn create_pool(&mut self, cluster: &str, body: &Value, now: Instant, cfg: &SimConfig) -> Result<Value, ApiError> {
        let spec: PoolSpec = parse(body)?;
        let c = self.cluster_mut(cluster)?;
        if c.state == ClusterState::Deleting {
            return Err(ApiError::unprocessable("the cluster is being deleted"));
        }
        let p = make_pool(spec, now, Duration::from_millis(cfg.node_delay_ms))?;
        let out = p.to_json(&c.id);
        c.node_pools.push(p);
        Ok(out)
    }

    pub fn update_pool(&mut self, cluster: &str, pool: &str, body: &Value, now: Instant, cfg: &SimConfig) -> Result<Value, ApiError> {
        let req: PoolUpdate = parse(body)?;
        let c = self.cluster_mut(cluster)?;
        let cid = c.id.clone();
        let p = c.node_pools.iter_mut().find(|p| p.id == pool).ok_or_else(ApiError::not_found)?;
        let auto_scale = req.auto_scale.unwrap_or(p.auto_scale);
        let (min, max) = (req.min_nodes.unwrap_or(p.min_nodes), req.max_nodes.unwrap_or(p.max_nodes));
        check_counts(req.count, auto_scale, min, max)?;
        p.name = req.name;
        if let Some(t) = req.tags {
            p.tags = user_tags(t);
        }
        if let Some(l) = req.labels {
            p.labels = l;
        }
        if let Some(t) = req.taints {
            check_taints(&t)?;
            p.taints = t;
        }
        p.auto_scale = auto_scale;
        p.min_nodes = min;
        p.max_nodes = max;
        resize(p, req.count, now, Duration::from_millis(cfg.node_delay_ms));
        Ok(p.to_json(&cid))
    }

    pub fn delete_pool(&mut self, cluster: &str, pool: &str) -> Result<(), ApiError> {
        let c = self.cluster_mut(cluster)?;
        if !c.node_pools.iter().any(|p| p.id == pool) {
            return Err(ApiError::not_found());
        }
        if c.node_pools.len() == 1 && c.state != ClusterState::Deleting {
            return Err(ApiError::unprocessable("a cluster must keep at least one node pool"));
        }
        c.node_pools.retain(|p| p.id != pool);
        Ok(())
    }
}

fn check_counts(count: u32, auto_scale: bool, min: u32, max: u32) -> Result<(), ApiError> {
    if auto_scale {
        if min > max {
            return Err(ApiError::unprocessable(format!("min_nodes ({min}) exceeds max_nodes ({max})")));
        }
        if count < min || count > max {
            return Err(ApiError::unprocessable(format!("count {count} is outside [{min}, {max}]")));
        }
    } else if count == 0 {
        return Err(ApiError::unprocessable("a node pool without autoscaling needs at least one node"));
    }
    if count > 512 {
        return Err(ApiError::unprocessable("a node pool has at most 512 nodes"));
    }
    Ok(())
}

fn check_taints(t: &[Taint]) -> Result<(), ApiError> {
    for x in t {
        if !["NoSchedule", "PreferNoSchedule", "NoExecute"].contains(&x.effect.as_str()) || x.key.is_empty() {
            return Err(ApiError::unprocessable(format!("invalid taint {}={}:{}", x.key, x.value, x.effect)));
        }
    }
    Ok(())
}

fn make_pool(spec: PoolSpec, now: Instant, node_delay: Duration) -> Result<NodePool, ApiError> {
    if !catalog::is_size(&spec.size) {
        return Err(ApiError::unprocessable(format!("size {:?} is not available", spec.size)));
    }
    if spec.name.is_empty() {
        return Err(ApiError::unprocessable("node pool name is required"));
    }
    let count = spec.count.unwrap_or(if spec.auto_scale { spec.min_nodes.max(1) } else { 0 });
    check_counts(count, spec.auto_scale, spec.min_nodes, spec.max_nodes)?;
    check_taints(&spec.taints)?;
    let mut p = NodePool {
        id: new_id(),
        name: spec.name,
        size: spec.size,
        count: 0,
        tags: user_tags(spec.tags),
        labels: spec.labels.unwrap_or_default(),
        taints: spec.taints,
        auto_scale: spec.auto_scale,
        min_nodes: spec.min_nodes,
        max_nodes: spec.max_nodes,
        nodes: Vec::new(),
    };
    resize(&mut p, count, now, node_delay);
    Ok(p)
}

/// Adds provisioning nodes or retires the newest ones.
fn resize(p: &mut NodePool, count: u32, now: Instant, node_delay: Duration) {
    p.count = count;
    let live: Vec<usize> = p.nodes.iter().enumerate().filter(|(_, n)| n.state != NodeState::Deleting).map(|(i, _)| i).collect();
    if (live.len() as u32) < count {
        for _ in live.len() as u32..count {
            let id = new_id();
            let ts = now_rfc3339();
            p.nodes.push(Node {
                name: format!("{}-{}", p.name, &id[..5]),
                droplet_id: format!("{}", 100_000_000 + fastrand::u32(..100_000_000)),
                id,
                state: NodeState::Provisioning,
                until: Some(now + node_delay),
                created_at: ts.clone(),
                updated_at: ts,
            });
        }
    } else {
        for &i in live.iter().skip(count as usize) {
            p.nodes[i].state = NodeState::Deleting;
            p.nodes[i].until = Some(now + node_delay);
            p.nodes[i].updated_at = now_rfc3339();
        }
    }
}

fn is_cidr(s: &str) -> bool {
    let Some((ip, bits)) = s.split_once('/') else { return false };
    ip.parse::<std::net::Ipv4Addr>().is_ok() && bits.parse::<u8>().is_ok_and(|b| b <= 32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cluster_body(name: &str) -> Value {
        json!({"name": name, "region": "nyc1", "version": "1.31.1-do.4", "node_pools": [{"name": "p", "size": "s-1vcpu-2gb", "count": 2}]})
    }

    #[test]
    fn clusters_provision_then_run_and_nodes_follow() {
        let cfg = SimConfig::fast();
        let mut s = Store::default();
        let t0 = Instant::now();
        let c = s.create_cluster(&cluster_body("a"), t0, &cfg).unwrap();
        assert_eq!(c["status"]["state"], "provisioning");
        assert_eq!(c["node_pools"][0]["nodes"].as_array().unwrap().len(), 2);
        s.tick(t0 + Duration::from_secs(5), &cfg);
        let c = s.clusters[0].to_json();
        assert_eq!(c["status"]["state"], "running");
        assert_eq!(c["node_pools"][0]["nodes"][0]["status"]["state"], "running");
        assert_eq!(c["tags"], json!(["k8s", format!("k8s:{}", s.clusters[0].id)]));
    }

    #[test]
    fn duplicate_names_and_bad_versions_are_refused() {
        let cfg = SimConfig::fast();
        let mut s = Store::default();
        s.create_cluster(&cluster_body("a"), Instant::now(), &cfg).unwrap();
        assert_eq!(s.create_cluster(&cluster_body("a"), Instant::now(), &cfg).unwrap_err().status, 422);
        let mut b = cluster_body("b");
        b["version"] = json!("9.9.9-do.0");
        assert_eq!(s.create_cluster(&b, Instant::now(), &cfg).unwrap_err().status, 422);
    }

    #[test]
    fn vpc_with_members_cannot_be_deleted_and_stays_busy_after() {
        let cfg = SimConfig::fast();
        let mut s = Store::default();
        let v = s.create_vpc(&json!({"name": "net", "region": "nyc1", "ip_range": "10.10.0.0/20"})).unwrap();
        let vid = v["id"].as_str().unwrap().to_string();
        let mut b = cluster_body("a");
        b["vpc_uuid"] = json!(vid);
        let c = s.create_cluster(&b, Instant::now(), &cfg).unwrap();
        let t0 = Instant::now();
        assert_eq!(s.delete_vpc(&vid, t0).unwrap_err().status, 403);
        s.delete_cluster(c["id"].as_str().unwrap(), t0, &cfg).unwrap();
        let t1 = t0 + Duration::from_millis(cfg.delete_delay_ms + 1);
        s.tick(t1, &cfg);
        assert!(s.clusters.is_empty());
        assert_eq!(s.delete_vpc(&vid, t1).unwrap_err().status, 409);
        let t2 = t1 + Duration::from_millis(cfg.vpc_release_delay_ms + 1);
        s.delete_vpc(&vid, t2).unwrap();
    }

    #[test]
    fn pool_resize_adds_and_retires_nodes() {
        let cfg = SimConfig::fast();
        let mut s = Store::default();
        let t0 = Instant::now();
        let c = s.create_cluster(&cluster_body("a"), t0, &cfg).unwrap();
        let (cid, pid) = (c["id"].as_str().unwrap().to_string(), c["node_pools"][0]["id"].as_str().unwrap().to_string());
        let p = s.update_pool(&cid, &pid, &json!({"name": "p", "count": 1}), t0, &cfg).unwrap();
        assert_eq!(p["count"], 1);
        s.tick(t0 + Duration::from_secs(1), &cfg);
        assert_eq!(s.clusters[0].node_pools[0].nodes.len(), 1);
        assert_eq!(s.delete_pool(&cid, &pid).unwrap_err().status, 422, "the last pool stays");
    }

    #[test]
    fn upgrades_refuse_downgrades_and_skipping_minors() {
        let cfg = SimConfig::fast();
        let mut s = Store::default();
        let t0 = Instant::now();
        let mut b = cluster_body("a");
        b["version"] = json!("1.30.4-do.0");
        let c = s.create_cluster(&b, t0, &cfg).unwrap();
        let id = c["id"].as_str().unwrap().to_string();
        s.tick(t0 + Duration::from_secs(1), &cfg);
        assert_eq!(s.upgrade_cluster(&id, &json!({"version": "1.29.9-do.0"}), t0, &cfg).unwrap_err().status, 422);
        assert_eq!(s.upgrade_cluster(&id, &json!({"version": "1.32.2-do.0"}), t0, &cfg).unwrap_err().status, 422);
        s.upgrade_cluster(&id, &json!({"version": "1.30.5-do.3"}), t0, &cfg).unwrap();
        assert_eq!(s.clusters[0].state, ClusterState::Upgrading);
    }
}
