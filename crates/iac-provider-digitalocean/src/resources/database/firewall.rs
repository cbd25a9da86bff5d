//! `digitalocean_database_firewall`: a cluster's trusted sources, as a set
//! of `rule { type, value }` blocks (type ip_addr, droplet, k8s, tag or
//! app). Creating and changing it replace the cluster's whole list; a rule
//! kept keeps its uuid and creation time. Destroying it empties the list (the
//! cluster then accepts connections from anywhere, as when it was made).
//! Import takes the cluster's id. Reads come from the cluster list's
//! `rules`; a cluster with no rules has no firewall.

use iac_core::Value;
use iac_provider_sdk::prelude::*;
use iac_provider_sdk::AttrPath;
use serde_json::{json, Map, Value as Json};

use crate::error::DoError;
use crate::values::*;
use crate::DigitalOcean;

/// One trusted source.
#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct FirewallRule {
    /// ip_addr, droplet, k8s, tag or app
    #[sdk(required, name = "type")]
    pub kind: String,
    /// an address or CIDR, a Droplet id, a Kubernetes cluster id, a tag, or an app id
    #[sdk(required)]
    pub value: String,
    #[sdk(computed)]
    pub uuid: Option<String>,
    #[sdk(computed)]
    pub created_at: Option<String>,
}

/// `digitalocean_database_firewall`'s attributes.
#[derive(Model, Debug, Clone, Default)]
pub struct DatabaseFirewallModel {
    #[sdk(computed)]
    pub id: Option<String>,
    #[sdk(required, force_new)]
    pub cluster_id: String,
    #[sdk(block, set, min_items = 1)]
    pub rule: Vec<FirewallRule>,
}

const TYPES: &[&str] = &["ip_addr", "droplet", "k8s", "tag", "app"];

impl DatabaseFirewallModel {
    fn from_rules(cluster: &str, rules: &[Json]) -> DatabaseFirewallModel {
        DatabaseFirewallModel {
            id: Some(cluster.to_string()),
            cluster_id: cluster.to_string(),
            rule: rules
                .iter()
                .map(|r| FirewallRule { kind: text(&r["type"]), value: text(&r["value"]), uuid: s(&r["uuid"]), created_at: s(&r["created_at"]) })
                .collect(),
        }
    }

    fn body(&self) -> Json {
        let rules: Vec<Json> = self
            .rule
            .iter()
            .map(|r| {
                let mut m = Map::new();
                if let Some(u) = r.uuid.as_ref().filter(|u| !u.is_empty()) {
                    m.insert("uuid".into(), json!(u));
                }
                m.insert("type".into(), json!(r.kind));
                m.insert("value".into(), json!(r.value));
                Json::Object(m)
            })
            .collect();
        json!({ "rules": rules })
    }
}

/// The `digitalocean_database_firewall` resource type.
pub struct DatabaseFirewall;

impl DatabaseFirewall {
    async fn put(&self, cx: &Ctx<'_, DigitalOcean>, planned: &DatabaseFirewallModel) -> Result<DatabaseFirewallModel, DoError> {
        let (api, addr, cluster) = (&cx.provider.api, cx.addr, &planned.cluster_id);
        api.put_database(cluster, "firewall", &planned.body()).await.map_err(DoError::api(&addr))?;
        let rules = api.get_database(cluster, "firewall", "rules").await.map_err(DoError::api(&addr))?;
        Ok(DatabaseFirewallModel::from_rules(cluster, rules.as_array().map(Vec::as_slice).unwrap_or(&[])))
    }
}

#[async_trait]
impl Resource<DigitalOcean> for DatabaseFirewall {
    type Model = DatabaseFirewallModel;
    const TYPE: &'static str = "digitalocean_database_firewall";

    fn validate(&self, config: &Value) -> Vec<(AttrPath, String)> {
        let at = AttrPath::root().child(iac_core::PathStep::Attr("rule".into()));
        config
            .get("rule")
            .and_then(Value::as_list)
            .into_iter()
            .flatten()
            .filter_map(|r| get_str(r, "type"))
            .filter(|t| !TYPES.contains(t))
            .map(|t| (at.clone(), format!("rule type must be one of {}, not {t:?}", TYPES.join(", "))))
            .collect()
    }

    /// Rules are matched by type and value, not by position: a rule kept
    /// keeps its uuid and creation time; a new one gets them from the API.
    async fn modify_plan(&self, _cx: &Ctx<'_, DigitalOcean>, prior: Option<&Value>, planned: &mut Value, _replace: &mut Vec<AttrPath>) -> Result<(), DoError> {
        let Some(Value::List(rules)) = planned.get("rule").cloned() else { return Ok(()) };
        let old: &[Value] = prior.and_then(|p| p.get("rule")).and_then(Value::as_list).unwrap_or(&[]);
        let key = |r: &Value| (get_str(r, "type").map(str::to_string), get_str(r, "value").map(str::to_string));
        let rules: Vec<Value> = rules
            .into_iter()
            .map(|mut r| {
                match old.iter().find(|o| key(o) == key(&r) && key(&r).0.is_some()) {
                    Some(o) => r = o.clone(),
                    None => {
                        set(&mut r, "uuid", Value::Unknown);
                        set(&mut r, "created_at", Value::Unknown);
                    }
                }
                r
            })
            .collect();
        set(planned, "rule", Value::List(iac_core::schema::set_normalize(rules).into()));
        Ok(())
    }

    async fn create(&self, cx: &Ctx<'_, DigitalOcean>, planned: DatabaseFirewallModel) -> Result<DatabaseFirewallModel, DoError> {
        super::settle(&cx.provider.api, cx.addr, &planned.cluster_id).await?;
        self.put(cx, &planned).await
    }

    async fn update(
        &self,
        cx: &Ctx<'_, DigitalOcean>,
        _prior: DatabaseFirewallModel,
        planned: DatabaseFirewallModel,
    ) -> Result<DatabaseFirewallModel, DoError> {
        self.put(cx, &planned).await
    }

    async fn read(&self, cx: &Ctx<'_, DigitalOcean>, current: DatabaseFirewallModel) -> Result<Option<DatabaseFirewallModel>, DoError> {
        let cluster = &current.cluster_id;
        if cluster.is_empty() {
            return Ok(None);
        }
        let Some(d) = cx.provider.api.database_cached(cluster).await.map_err(DoError::api(&cx.addr))? else { return Ok(None) };
        let rules = d["rules"].as_array().map(Vec::as_slice).unwrap_or(&[]);
        Ok((!rules.is_empty()).then(|| DatabaseFirewallModel::from_rules(cluster, rules)))
    }

    async fn delete(&self, cx: &Ctx<'_, DigitalOcean>, prior: DatabaseFirewallModel) -> Result<(), DoError> {
        if prior.cluster_id.is_empty() {
            return Ok(());
        }
        let r = cx.provider.api.put_database(&prior.cluster_id, "firewall", &json!({"rules": []})).await;
        match r {
            Err(e) if e.is_not_found() => Ok(()),
            other => other.map_err(DoError::api(&cx.addr)),
        }
    }

    /// By the cluster's id.
    fn import_stub(&self, id: &str) -> Value {
        Value::map([("id", Value::from(id)), ("cluster_id", Value::from(id))])
    }
}
