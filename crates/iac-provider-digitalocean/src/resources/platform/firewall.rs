//! `digitalocean_firewall`: a cloud firewall for Droplets (a DOKS
//! cluster's nodes carry the cluster's `k8s:ID` tag, so a firewall on that
//! tag guards the cluster). Everything changes in place (PUT); rules are
//! sets, as upstream's.

use std::collections::BTreeSet;

use iac_core::Value;
use iac_provider_sdk::prelude::*;
use iac_provider_sdk::AttrPath;
use serde_json::{json, Map, Value as Json};

use crate::error::DoError;
use crate::values::*;
use crate::DigitalOcean;

/// An inbound rule.
#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct InboundRule {
    /// tcp, udp or icmp
    #[sdk(required)]
    pub protocol: String,
    /// a port, a range (8000-9000) or `all`; none for icmp
    #[sdk(optional)]
    pub port_range: Option<String>,
    #[sdk(optional)]
    pub source_addresses: Option<BTreeSet<String>>,
    #[sdk(optional)]
    pub source_droplet_ids: Option<BTreeSet<i64>>,
    #[sdk(optional)]
    pub source_load_balancer_uids: Option<BTreeSet<String>>,
    #[sdk(optional)]
    pub source_kubernetes_ids: Option<BTreeSet<String>>,
    #[sdk(optional)]
    pub source_tags: Option<BTreeSet<String>>,
}

/// An outbound rule.
#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct OutboundRule {
    /// tcp, udp or icmp
    #[sdk(required)]
    pub protocol: String,
    /// a port, a range (8000-9000) or `all`; none for icmp
    #[sdk(optional)]
    pub port_range: Option<String>,
    #[sdk(optional)]
    pub destination_addresses: Option<BTreeSet<String>>,
    #[sdk(optional)]
    pub destination_droplet_ids: Option<BTreeSet<i64>>,
    #[sdk(optional)]
    pub destination_load_balancer_uids: Option<BTreeSet<String>>,
    #[sdk(optional)]
    pub destination_kubernetes_ids: Option<BTreeSet<String>>,
    #[sdk(optional)]
    pub destination_tags: Option<BTreeSet<String>>,
}

/// A Droplet whose rules are being brought up to date.
#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct PendingChange {
    #[sdk(optional)]
    pub droplet_id: Option<i64>,
    #[sdk(optional)]
    pub removing: Option<bool>,
    #[sdk(optional)]
    pub status: Option<String>,
}

/// `digitalocean_firewall`'s attributes.
#[derive(Model, Debug, Clone, Default)]
pub struct FirewallModel {
    #[sdk(computed)]
    pub id: Option<String>,
    #[sdk(required)]
    pub name: String,
    #[sdk(optional)]
    pub droplet_ids: Option<BTreeSet<i64>>,
    /// the Droplets it applies to, by tag
    #[sdk(optional)]
    pub tags: Option<BTreeSet<String>>,
    #[sdk(block, set)]
    pub inbound_rule: Vec<InboundRule>,
    #[sdk(block, set)]
    pub outbound_rule: Vec<OutboundRule>,
    #[sdk(computed)]
    pub status: Option<String>,
    #[sdk(computed)]
    pub created_at: Option<String>,
    #[sdk(computed)]
    pub pending_changes: Option<Vec<PendingChange>>,
}

fn strings(j: &Json) -> Option<BTreeSet<String>> {
    let set: BTreeSet<String> = j.as_array().into_iter().flatten().filter_map(|v| v.as_str().map(str::to_string)).collect();
    Some(set).filter(|s| !s.is_empty())
}

fn ints(j: &Json) -> Option<BTreeSet<i64>> {
    let set: BTreeSet<i64> = j.as_array().into_iter().flatten().filter_map(Json::as_i64).collect();
    Some(set).filter(|s| !s.is_empty())
}

/// The API's `ports` for a rule's `port_range` (`0`: every port, or icmp).
fn ports(port_range: &Option<String>) -> String {
    port_range.clone().unwrap_or_else(|| "0".into())
}

fn port_range(j: &Json) -> Option<String> {
    s(j).filter(|p| p != "0" && !p.is_empty())
}

/// A sources or destinations object.
fn targets(
    addresses: &Option<BTreeSet<String>>,
    droplets: &Option<BTreeSet<i64>>,
    lbs: &Option<BTreeSet<String>>,
    k8s: &Option<BTreeSet<String>>,
    tags: &Option<BTreeSet<String>>,
) -> Json {
    let mut m = Map::new();
    if let Some(a) = addresses {
        m.insert("addresses".into(), json!(a));
    }
    if let Some(d) = droplets {
        m.insert("droplet_ids".into(), json!(d));
    }
    if let Some(l) = lbs {
        m.insert("load_balancer_uids".into(), json!(l));
    }
    if let Some(k) = k8s {
        m.insert("kubernetes_ids".into(), json!(k));
    }
    if let Some(t) = tags {
        m.insert("tags".into(), json!(t));
    }
    Json::Object(m)
}

impl FirewallModel {
    fn from_api(f: &Json) -> FirewallModel {
        let inbound = f["inbound_rules"].as_array().into_iter().flatten().map(|r| {
            let t = &r["sources"];
            InboundRule {
                protocol: text(&r["protocol"]),
                port_range: port_range(&r["ports"]),
                source_addresses: strings(&t["addresses"]),
                source_droplet_ids: ints(&t["droplet_ids"]),
                source_load_balancer_uids: strings(&t["load_balancer_uids"]),
                source_kubernetes_ids: strings(&t["kubernetes_ids"]),
                source_tags: strings(&t["tags"]),
            }
        });
        let outbound = f["outbound_rules"].as_array().into_iter().flatten().map(|r| {
            let t = &r["destinations"];
            OutboundRule {
                protocol: text(&r["protocol"]),
                port_range: port_range(&r["ports"]),
                destination_addresses: strings(&t["addresses"]),
                destination_droplet_ids: ints(&t["droplet_ids"]),
                destination_load_balancer_uids: strings(&t["load_balancer_uids"]),
                destination_kubernetes_ids: strings(&t["kubernetes_ids"]),
                destination_tags: strings(&t["tags"]),
            }
        });
        FirewallModel {
            id: s(&f["id"]),
            name: text(&f["name"]),
            droplet_ids: ints(&f["droplet_ids"]),
            tags: strings(&f["tags"]),
            inbound_rule: inbound.collect(),
            outbound_rule: outbound.collect(),
            status: s(&f["status"]),
            created_at: s(&f["created_at"]),
            pending_changes: Some(
                f["pending_changes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|p| PendingChange { droplet_id: n(&p["droplet_id"]), removing: p["removing"].as_bool(), status: s(&p["status"]) })
                    .collect(),
            ),
        }
    }

    fn body(&self) -> Json {
        let inbound: Vec<Json> = self
            .inbound_rule
            .iter()
            .map(|r| {
                json!({"protocol": r.protocol, "ports": ports(&r.port_range),
                    "sources": targets(&r.source_addresses, &r.source_droplet_ids, &r.source_load_balancer_uids, &r.source_kubernetes_ids, &r.source_tags)})
            })
            .collect();
        let outbound: Vec<Json> = self
            .outbound_rule
            .iter()
            .map(|r| {
                json!({"protocol": r.protocol, "ports": ports(&r.port_range),
                    "destinations": targets(&r.destination_addresses, &r.destination_droplet_ids, &r.destination_load_balancer_uids, &r.destination_kubernetes_ids, &r.destination_tags)})
            })
            .collect();
        json!({
            "name": self.name,
            "droplet_ids": self.droplet_ids.clone().unwrap_or_default(),
            "tags": self.tags.clone().unwrap_or_default(),
            "inbound_rules": inbound,
            "outbound_rules": outbound,
        })
    }
}

/// The `digitalocean_firewall` resource type.
pub struct Firewall;

#[async_trait]
impl Resource<DigitalOcean> for Firewall {
    type Model = FirewallModel;
    const TYPE: &'static str = "digitalocean_firewall";

    async fn modify_plan(&self, cx: &Ctx<'_, DigitalOcean>, prior: Option<&Value>, planned: &mut Value, _replace: &mut Vec<AttrPath>) -> Result<(), DoError> {
        empty_to_null(planned, &["droplet_ids", "tags"]);
        for block in ["inbound_rule", "outbound_rule"] {
            for rule in planned.get(block).and_then(Value::as_list).into_iter().flatten() {
                let protocol = get_str(rule, "protocol").unwrap_or_default();
                if !["tcp", "udp", "icmp"].contains(&protocol) {
                    return Err(DoError::Invalid { addr: cx.addr.to_string(), message: format!("{block}: protocol {protocol:?} is not tcp, udp or icmp") });
                }
                if protocol != "icmp" && rule.get("port_range").is_none_or(Value::is_null) {
                    return Err(DoError::Invalid { addr: cx.addr.to_string(), message: format!("{block}: a {protocol} rule needs port_range") });
                }
            }
        }
        match prior {
            Some(p) if planned != p => set(planned, "pending_changes", Value::Unknown),
            _ => {}
        }
        Ok(())
    }

    async fn create(&self, cx: &Ctx<'_, DigitalOcean>, planned: FirewallModel) -> Result<FirewallModel, DoError> {
        let (api, addr) = (&cx.provider.api, cx.addr);
        let body = planned.body();
        let f = super::super::create_or_adopt(
            addr,
            &api.waits,
            api.client_retries(),
            || api.create_object("/v2/firewalls", "firewall", &body),
            || async { Ok(api.client.list_all("/v2/firewalls", "firewalls").await?.into_iter().find(|f| f["name"] == planned.name.as_str())) },
        )
        .await?;
        Ok(FirewallModel::from_api(&f))
    }

    async fn update(&self, cx: &Ctx<'_, DigitalOcean>, prior: FirewallModel, planned: FirewallModel) -> Result<FirewallModel, DoError> {
        let id = prior.id.unwrap_or_default();
        let f = cx.provider.api.put_object(&format!("/v2/firewalls/{id}"), "firewall", &planned.body()).await.map_err(DoError::api(&cx.addr))?;
        Ok(FirewallModel::from_api(&f))
    }

    async fn read(&self, cx: &Ctx<'_, DigitalOcean>, current: FirewallModel) -> Result<Option<FirewallModel>, DoError> {
        let Some(id) = &current.id else { return Ok(None) };
        Ok(cx.provider.api.firewall_cached(id).await.map_err(DoError::api(&cx.addr))?.as_ref().map(FirewallModel::from_api))
    }

    async fn delete(&self, cx: &Ctx<'_, DigitalOcean>, prior: FirewallModel) -> Result<(), DoError> {
        let Some(id) = &prior.id else { return Ok(()) };
        cx.provider.api.delete_object(&format!("/v2/firewalls/{id}")).await.map_err(DoError::api(&cx.addr))
    }

    async fn import(&self, cx: &Ctx<'_, DigitalOcean>, id: &str) -> Result<Option<FirewallModel>, DoError> {
        match cx.provider.api.get_object(&format!("/v2/firewalls/{id}"), "firewall").await.map_err(DoError::api(&cx.addr))? {
            Some(f) => Ok(Some(FirewallModel::from_api(&f))),
            None => Err(DoError::Invalid { addr: cx.addr.to_string(), message: format!("no firewall with id {id:?}") }),
        }
    }

    async fn recover(&self, cx: &Ctx<'_, DigitalOcean>, planned: FirewallModel) -> Result<Option<FirewallModel>, DoError> {
        if planned.name.is_empty() {
            return Ok(None);
        }
        let all = cx.provider.api.client.list_all("/v2/firewalls", "firewalls").await.map_err(DoError::api(&cx.addr))?;
        Ok(all.iter().find(|f| f["name"] == planned.name.as_str()).map(FirewallModel::from_api))
    }
}
