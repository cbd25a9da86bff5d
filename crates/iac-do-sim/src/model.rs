//! The simulated objects and their JSON form (the API's field names and types).

use std::collections::BTreeMap;
use std::time::Instant;

use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Clone, Debug)]
pub struct Vpc {
    pub id: String,
    pub name: String,
    pub description: String,
    pub region: String,
    pub ip_range: String,
    pub default: bool,
    pub created_at: String,
    /// Deleting answers 409 until then (a cluster in it was just deleted).
    pub busy_until: Option<Instant>,
}

impl Vpc {
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id, "urn": format!("do:vpc:{}", self.id), "name": self.name, "description": self.description,
            "region": self.region, "ip_range": self.ip_range, "default": self.default, "created_at": self.created_at,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeState {
    Provisioning,
    Running,
    Deleting,
}

impl NodeState {
    fn as_str(self) -> &'static str {
        match self {
            NodeState::Provisioning => "provisioning",
            NodeState::Running => "running",
            NodeState::Deleting => "deleting",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Node {
    pub id: String,
    pub name: String,
    pub droplet_id: String,
    pub state: NodeState,
    /// When the current state ends (provisioning → running, deleting → gone).
    pub until: Option<Instant>,
    pub created_at: String,
    pub updated_at: String,
}

impl Node {
    pub fn to_json(&self) -> Value {
        json!({"id": self.id, "name": self.name, "status": {"state": self.state.as_str()}, "droplet_id": self.droplet_id, "created_at": self.created_at, "updated_at": self.updated_at})
    }
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
pub struct Taint {
    pub key: String,
    #[serde(default)]
    pub value: String,
    pub effect: String,
}

#[derive(Clone, Debug)]
pub struct NodePool {
    pub id: String,
    pub name: String,
    pub size: String,
    pub count: u32,
    /// Without the automatic tags, which are added when shown.
    pub tags: Vec<String>,
    pub labels: BTreeMap<String, String>,
    pub taints: Vec<Taint>,
    pub auto_scale: bool,
    pub min_nodes: u32,
    pub max_nodes: u32,
    pub nodes: Vec<Node>,
}

impl NodePool {
    pub fn to_json(&self, cluster_id: &str) -> Value {
        let mut tags = vec!["k8s".to_string(), format!("k8s:{cluster_id}"), "k8s-worker".to_string()];
        tags.extend(self.tags.iter().filter(|t| !tags.contains(t)).cloned().collect::<Vec<_>>());
        json!({
            "id": self.id, "name": self.name, "size": self.size, "count": self.count, "tags": tags,
            "labels": if self.labels.is_empty() { Value::Null } else { json!(self.labels) },
            "taints": self.taints.iter().map(|t| json!({"key": t.key, "value": t.value, "effect": t.effect})).collect::<Vec<_>>(),
            "auto_scale": self.auto_scale, "min_nodes": self.min_nodes, "max_nodes": self.max_nodes,
            "nodes": self.nodes.iter().map(Node::to_json).collect::<Vec<_>>(),
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClusterState {
    Provisioning,
    Running,
    Upgrading,
    Deleting,
}

impl ClusterState {
    pub fn as_str(self) -> &'static str {
        match self {
            ClusterState::Provisioning => "provisioning",
            ClusterState::Running => "running",
            ClusterState::Upgrading => "upgrading",
            ClusterState::Deleting => "deleting",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Cluster {
    pub id: String,
    pub name: String,
    pub region: String,
    pub version: String,
    pub vpc_uuid: String,
    pub cluster_subnet: String,
    pub service_subnet: String,
    pub ipv4: String,
    pub tags: Vec<String>,
    pub node_pools: Vec<NodePool>,
    pub maintenance_start: String,
    pub maintenance_day: String,
    pub auto_upgrade: bool,
    pub surge_upgrade: bool,
    pub ha: bool,
    pub registry_enabled: bool,
    pub state: ClusterState,
    pub until: Option<Instant>,
    pub created_at: String,
    pub updated_at: String,
    pub token: String,
    pub token_expires_at: String,
    pub ca: String,
}

impl Cluster {
    pub fn endpoint(&self) -> String {
        format!("https://{}.k8s.ondigitalocean.com", self.id)
    }

    pub fn to_json(&self) -> Value {
        let mut tags = vec!["k8s".to_string(), format!("k8s:{}", self.id)];
        tags.extend(self.tags.iter().filter(|t| !tags.contains(t)).cloned().collect::<Vec<_>>());
        let message = match self.state {
            ClusterState::Provisioning => "provisioning",
            ClusterState::Running => "",
            ClusterState::Upgrading => "upgrading",
            ClusterState::Deleting => "deleting",
        };
        json!({
            "id": self.id, "name": self.name, "region": self.region, "version": self.version,
            "cluster_subnet": self.cluster_subnet, "service_subnet": self.service_subnet, "vpc_uuid": self.vpc_uuid,
            "ipv4": self.ipv4, "endpoint": self.endpoint(), "tags": tags,
            "node_pools": self.node_pools.iter().map(|p| p.to_json(&self.id)).collect::<Vec<_>>(),
            "maintenance_policy": {"start_time": self.maintenance_start, "duration": "4h0m0s", "day": self.maintenance_day},
            "auto_upgrade": self.auto_upgrade, "surge_upgrade": self.surge_upgrade, "ha": self.ha,
            "status": {"state": self.state.as_str(), "message": message},
            "created_at": self.created_at, "updated_at": self.updated_at, "registry_enabled": self.registry_enabled,
        })
    }

    pub fn context_name(&self) -> String {
        format!("do-{}-{}", self.region, self.name)
    }
}
