//! The provider's schema, with Terraform's names and attributes so
//! configurations port.

use std::collections::BTreeMap;

use iac_core::schema::{AttrType, Attribute, Block, NestedBlock, Nesting, ProviderSchema, ResourceSchema};

use AttrType::*;

fn obj(fields: &[(&str, AttrType)]) -> AttrType {
    Object(fields.iter().map(|(k, t)| (k.to_string(), t.clone())).collect::<BTreeMap<_, _>>())
}

pub fn kube_config_type() -> AttrType {
    List(Box::new(obj(&[
        ("raw_config", String),
        ("host", String),
        ("cluster_ca_certificate", String),
        ("client_key", String),
        ("client_certificate", String),
        ("token", String),
        ("expires_at", String),
    ])))
}

pub fn nodes_type() -> AttrType {
    List(Box::new(obj(&[("id", String), ("name", String), ("status", String), ("droplet_id", String), ("created_at", String), ("updated_at", String)])))
}

fn taint_block() -> NestedBlock {
    NestedBlock {
        nesting: Nesting::List,
        block: Block::default()
            .attr("key", Attribute::required(String))
            .attr("value", Attribute::required(String))
            .attr("effect", Attribute::required(String).describe("NoSchedule, PreferNoSchedule or NoExecute")),
        min_items: 0,
        max_items: None,
        force_new: false,
    }
}

/// The attributes a node pool has, inline or on its own.
fn pool_attrs(b: Block) -> Block {
    b.attr("id", Attribute::computed(String))
        .attr("name", Attribute::required(String))
        .attr("size", Attribute::required(String).describe("changing it rolls a new pool in and the old one out"))
        .attr("node_count", Attribute::optional_computed(Number))
        .attr("auto_scale", Attribute::optional(Bool))
        .attr("min_nodes", Attribute::optional_computed(Number))
        .attr("max_nodes", Attribute::optional_computed(Number))
        .attr("labels", Attribute::optional(Map(Box::new(String))))
        .attr("tags", Attribute::optional(Set(Box::new(String))).describe("DigitalOcean's own tags (k8s, k8s:ID, k8s-worker) are left out"))
        .attr("actual_node_count", Attribute::computed(Number))
        .attr("nodes", Attribute::computed(nodes_type()))
        .block("taint", taint_block())
}

pub fn vpc() -> ResourceSchema {
    ResourceSchema {
        version: 0,
        block: Block::default()
            .attr("id", Attribute::computed(String))
            .attr("urn", Attribute::computed(String))
            .attr("name", Attribute::required(String))
            .attr("region", Attribute::required(String).force_new())
            .attr("ip_range", Attribute::optional_computed(String).force_new())
            .attr("description", Attribute::optional(String))
            .attr("default", Attribute::computed(Bool))
            .attr("created_at", Attribute::computed(String)),
    }
}

pub fn cluster() -> ResourceSchema {
    ResourceSchema {
        version: 0,
        block: Block::default()
            .attr("id", Attribute::computed(String))
            .attr("urn", Attribute::computed(String))
            .attr("name", Attribute::required(String))
            .attr("region", Attribute::required(String).force_new())
            .attr("version", Attribute::required(String).describe("an exact slug; upgrades follow DigitalOcean's path, downgrades are refused"))
            .attr("vpc_uuid", Attribute::optional_computed(String).force_new())
            .attr("cluster_subnet", Attribute::optional_computed(String).force_new())
            .attr("service_subnet", Attribute::optional_computed(String).force_new())
            .attr("ha", Attribute::optional(Bool))
            .attr("auto_upgrade", Attribute::optional(Bool))
            .attr("surge_upgrade", Attribute::optional(Bool))
            .attr("registry_integration", Attribute::optional(Bool))
            .attr("tags", Attribute::optional(Set(Box::new(String))))
            .attr("endpoint", Attribute::computed(String))
            .attr("ipv4_address", Attribute::computed(String))
            .attr("status", Attribute::computed(String))
            .attr("created_at", Attribute::computed(String))
            .attr("updated_at", Attribute::computed(String))
            .attr("kube_config", Attribute::computed(kube_config_type()).sensitive().describe("fetched fresh on every refresh"))
            .block(
                "maintenance_policy",
                NestedBlock {
                    nesting: Nesting::List,
                    block: Block::default()
                        .attr("start_time", Attribute::optional_computed(String))
                        .attr("day", Attribute::optional_computed(String))
                        .attr("duration", Attribute::computed(String)),
                    min_items: 0,
                    max_items: Some(1),
                    force_new: false,
                },
            )
            .block(
                "node_pool",
                NestedBlock { nesting: Nesting::List, block: pool_attrs(Block::default()), min_items: 1, max_items: Some(1), force_new: false },
            ),
    }
}

pub fn node_pool() -> ResourceSchema {
    ResourceSchema { version: 0, block: pool_attrs(Block::default()).attr("cluster_id", Attribute::required(String).force_new()) }
}

pub fn versions_data() -> ResourceSchema {
    ResourceSchema {
        version: 0,
        block: Block::default()
            .attr("id", Attribute::computed(String))
            .attr("version_prefix", Attribute::optional(String))
            .attr("latest_version", Attribute::computed(String))
            .attr("valid_versions", Attribute::computed(List(Box::new(String)))),
    }
}

pub fn cluster_data() -> ResourceSchema {
    let pool = obj(&[
        ("id", String),
        ("name", String),
        ("size", String),
        ("node_count", Number),
        ("actual_node_count", Number),
        ("auto_scale", Bool),
        ("min_nodes", Number),
        ("max_nodes", Number),
        ("labels", Map(Box::new(String))),
        ("tags", Set(Box::new(String))),
        ("nodes", nodes_type()),
        ("taint", List(Box::new(obj(&[("key", String), ("value", String), ("effect", String)])))),
    ]);
    let mut b = Block::default().attr("name", Attribute::required(String));
    for k in
        ["id", "urn", "region", "version", "vpc_uuid", "cluster_subnet", "service_subnet", "endpoint", "ipv4_address", "status", "created_at", "updated_at"]
    {
        b = b.attr(k, Attribute::computed(String));
    }
    for k in ["ha", "auto_upgrade", "surge_upgrade", "registry_integration"] {
        b = b.attr(k, Attribute::computed(Bool));
    }
    ResourceSchema {
        version: 0,
        block: b
            .attr("tags", Attribute::computed(Set(Box::new(String))))
            .attr("kube_config", Attribute::computed(kube_config_type()).sensitive())
            .attr("maintenance_policy", Attribute::computed(List(Box::new(obj(&[("start_time", String), ("day", String), ("duration", String)])))))
            .attr("node_pools", Attribute::computed(List(Box::new(pool)))),
    }
}

pub fn provider_block() -> Block {
    Block::default()
        .attr("token", Attribute::optional(String).sensitive().describe("or DIGITALOCEAN_TOKEN / DIGITALOCEAN_ACCESS_TOKEN"))
        .attr("api_endpoint", Attribute::optional(String).describe("default https://api.digitalocean.com"))
        .attr("http_retry_max", Attribute::optional(Number))
        .attr("http_retry_wait_min", Attribute::optional(Number))
        .attr("http_retry_wait_max", Attribute::optional(Number))
        .attr("request_timeout_seconds", Attribute::optional(Number))
        .attr("wait_timeout_seconds", Attribute::optional(Number).describe("bound on waits for clusters, pools and deletions"))
        .attr("poll_interval_ms", Attribute::optional(Number))
        .attr("list_cache_seconds", Attribute::optional(Number).describe("how long a list read serves refreshes of the same run"))
        .attr("batch_reads", Attribute::optional(Bool).describe("refresh from list pages (default) rather than one GET per object"))
        .attr("max_concurrency", Attribute::optional(Number))
}

pub fn provider_schema() -> ProviderSchema {
    let mut s = ProviderSchema { provider: provider_block(), ..ProviderSchema::default() };
    s.resources.insert("digitalocean_vpc".into(), vpc());
    s.resources.insert("digitalocean_kubernetes_cluster".into(), cluster());
    s.resources.insert("digitalocean_kubernetes_node_pool".into(), node_pool());
    s.data_sources.insert("digitalocean_kubernetes_versions".into(), versions_data());
    s.data_sources.insert("digitalocean_kubernetes_cluster".into(), cluster_data());
    s
}
