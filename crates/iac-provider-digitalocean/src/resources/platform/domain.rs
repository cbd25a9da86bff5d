//! `digitalocean_domain` (a DNS zone: DigitalOcean adds its SOA and NS
//! records, and an A record for `ip_address`) and `digitalocean_record`
//! (name, value, TTL, priority, port, weight, flags and tag change in
//! place; the domain and type force replacement).

use iac_core::Value;
use iac_provider_sdk::prelude::*;
use iac_provider_sdk::AttrPath;
use serde_json::{json, Map, Value as Json};

use crate::error::DoError;
use crate::values::*;
use crate::DigitalOcean;

/// `digitalocean_domain`'s attributes.
#[derive(Model, Debug, Clone, Default)]
pub struct DomainModel {
    /// the domain's name
    #[sdk(computed)]
    pub id: Option<String>,
    #[sdk(required, force_new)]
    pub name: String,
    /// an A record for the domain itself
    #[sdk(optional, force_new)]
    pub ip_address: Option<String>,
    #[sdk(computed)]
    pub urn: Option<String>,
    #[sdk(computed)]
    pub ttl: Option<i64>,
}

impl DomainModel {
    fn from_api(d: &Json, ip_address: Option<String>) -> DomainModel {
        let name = text(&d["name"]);
        DomainModel { id: Some(name.clone()), urn: Some(format!("do:domain:{name}")), name, ip_address, ttl: n(&d["ttl"]) }
    }
}

/// The `digitalocean_domain` resource type.
pub struct Domain;

#[async_trait]
impl Resource<DigitalOcean> for Domain {
    type Model = DomainModel;
    const TYPE: &'static str = "digitalocean_domain";

    async fn create(&self, cx: &Ctx<'_, DigitalOcean>, planned: DomainModel) -> Result<DomainModel, DoError> {
        let (api, addr) = (&cx.provider.api, cx.addr);
        let mut body = json!({"name": planned.name});
        if let Some(ip) = &planned.ip_address {
            body["ip_address"] = json!(ip);
        }
        let path = format!("/v2/domains/{}", planned.name);
        let d = super::super::create_or_adopt(
            addr,
            &api.waits,
            api.client_retries(),
            || api.create_object("/v2/domains", "domain", &body),
            || api.get_object(&path, "domain"),
        )
        .await?;
        Ok(DomainModel::from_api(&d, planned.ip_address))
    }

    async fn update(&self, _cx: &Ctx<'_, DigitalOcean>, _prior: DomainModel, planned: DomainModel) -> Result<DomainModel, DoError> {
        // Every argument forces replacement.
        Ok(planned)
    }

    /// `ip_address` is only an argument: the API does not report it.
    async fn read(&self, cx: &Ctx<'_, DigitalOcean>, current: DomainModel) -> Result<Option<DomainModel>, DoError> {
        let (api, addr) = (&cx.provider.api, cx.addr);
        let name = current.id.clone().unwrap_or(current.name.clone());
        let d = api.get_object(&format!("/v2/domains/{name}"), "domain").await.map_err(DoError::api(&addr))?;
        Ok(d.map(|d| DomainModel::from_api(&d, current.ip_address)))
    }

    async fn delete(&self, cx: &Ctx<'_, DigitalOcean>, prior: DomainModel) -> Result<(), DoError> {
        cx.provider.api.delete_object(&format!("/v2/domains/{}", prior.name)).await.map_err(DoError::api(&cx.addr))
    }

    async fn import(&self, cx: &Ctx<'_, DigitalOcean>, id: &str) -> Result<Option<DomainModel>, DoError> {
        let (api, addr) = (&cx.provider.api, cx.addr);
        match api.get_object(&format!("/v2/domains/{id}"), "domain").await.map_err(DoError::api(&addr))? {
            Some(d) => {
                // `ip_address` made the domain's own A record: it is read back from there.
                let records = api.client.list_all(&format!("/v2/domains/{id}/records"), "domain_records").await.map_err(DoError::api(&addr))?;
                let ip = records.iter().find(|r| r["type"] == "A" && r["name"] == "@").and_then(|r| s(&r["data"]));
                Ok(Some(DomainModel::from_api(&d, ip)))
            }
            None => Err(DoError::Invalid { addr: addr.to_string(), message: format!("no domain named {id:?}") }),
        }
    }

    async fn recover(&self, cx: &Ctx<'_, DigitalOcean>, planned: DomainModel) -> Result<Option<DomainModel>, DoError> {
        if planned.name.is_empty() {
            return Ok(None);
        }
        let d = cx.provider.api.get_object(&format!("/v2/domains/{}", planned.name), "domain").await.map_err(DoError::api(&cx.addr))?;
        Ok(d.map(|d| DomainModel::from_api(&d, planned.ip_address)))
    }
}

/// `digitalocean_record`'s attributes.
#[derive(Model, Debug, Clone, Default)]
pub struct RecordModel {
    /// the record's numeric ID
    #[sdk(computed)]
    pub id: Option<String>,
    #[sdk(required, force_new)]
    pub domain: String,
    /// A, AAAA, CAA, CNAME, MX, NS, TXT or SRV
    #[sdk(required, force_new, name = "type")]
    pub kind: String,
    /// the host name relative to the domain (`@` for the domain itself)
    #[sdk(required)]
    pub name: String,
    #[sdk(required)]
    pub value: String,
    #[sdk(optional)]
    pub port: Option<i64>,
    #[sdk(optional)]
    pub priority: Option<i64>,
    #[sdk(optional)]
    pub weight: Option<i64>,
    #[sdk(optional, computed)]
    pub ttl: Option<i64>,
    #[sdk(optional)]
    pub flags: Option<i64>,
    #[sdk(optional)]
    pub tag: Option<String>,
    #[sdk(computed)]
    pub fqdn: Option<String>,
}

impl RecordModel {
    fn from_api(domain: &str, r: &Json) -> RecordModel {
        let name = text(&r["name"]);
        RecordModel {
            id: r["id"].as_u64().map(|i| i.to_string()),
            domain: domain.to_string(),
            kind: text(&r["type"]),
            fqdn: Some(if name == "@" { domain.to_string() } else { format!("{name}.{domain}") }),
            name,
            value: text(&r["data"]),
            port: n(&r["port"]),
            priority: n(&r["priority"]),
            weight: n(&r["weight"]),
            ttl: n(&r["ttl"]),
            flags: n(&r["flags"]),
            tag: s(&r["tag"]).filter(|t| !t.is_empty()),
        }
    }

    fn body(&self) -> Json {
        let mut m = Map::new();
        m.insert("type".into(), json!(self.kind));
        m.insert("name".into(), json!(self.name));
        m.insert("data".into(), json!(self.value));
        for (k, v) in [("port", self.port), ("priority", self.priority), ("weight", self.weight), ("ttl", self.ttl), ("flags", self.flags)] {
            if let Some(v) = v {
                m.insert(k.into(), json!(v));
            }
        }
        if let Some(t) = &self.tag {
            m.insert("tag".into(), json!(t));
        }
        Json::Object(m)
    }

    fn path(&self) -> String {
        format!("/v2/domains/{}/records/{}", self.domain, self.id.as_deref().unwrap_or_default())
    }
}

/// The `digitalocean_record` resource type.
pub struct Record;

#[async_trait]
impl Resource<DigitalOcean> for Record {
    type Model = RecordModel;
    const TYPE: &'static str = "digitalocean_record";

    async fn modify_plan(&self, cx: &Ctx<'_, DigitalOcean>, prior: Option<&Value>, planned: &mut Value, _replace: &mut Vec<AttrPath>) -> Result<(), DoError> {
        let kind = get_str(planned, "type").unwrap_or_default().to_string();
        let needs_priority = matches!(kind.as_str(), "MX" | "SRV");
        if needs_priority && planned.get("priority").is_none_or(Value::is_null) {
            return Err(DoError::Invalid { addr: cx.addr.to_string(), message: format!("a {kind} record needs priority") });
        }
        let name_changed = prior.is_none_or(|p| p.get("name") != planned.get("name"));
        if name_changed {
            set(planned, "fqdn", Value::Unknown);
        }
        Ok(())
    }

    async fn create(&self, cx: &Ctx<'_, DigitalOcean>, planned: RecordModel) -> Result<RecordModel, DoError> {
        let (api, addr) = (&cx.provider.api, cx.addr);
        let body = planned.body();
        let path = format!("/v2/domains/{}/records", planned.domain);
        let r = super::super::create_or_adopt(
            addr,
            &api.waits,
            api.client_retries(),
            || api.create_object(&path, "domain_record", &body),
            || async {
                let all = api.client.list_all(&path, "domain_records").await?;
                Ok(all.into_iter().find(|r| r["type"] == planned.kind.as_str() && r["name"] == planned.name.as_str() && r["data"] == planned.value.as_str()))
            },
        )
        .await?;
        Ok(RecordModel::from_api(&planned.domain, &r))
    }

    async fn update(&self, cx: &Ctx<'_, DigitalOcean>, prior: RecordModel, planned: RecordModel) -> Result<RecordModel, DoError> {
        let (api, addr) = (&cx.provider.api, cx.addr);
        let want = RecordModel { id: prior.id.clone(), ..planned.clone() };
        let r = api.put_object(&want.path(), "domain_record", &want.body()).await.map_err(DoError::api(&addr))?;
        Ok(RecordModel::from_api(&planned.domain, &r))
    }

    async fn read(&self, cx: &Ctx<'_, DigitalOcean>, current: RecordModel) -> Result<Option<RecordModel>, DoError> {
        let (api, addr) = (&cx.provider.api, cx.addr);
        if current.id.is_none() {
            return Ok(None);
        }
        let r = api.get_object(&current.path(), "domain_record").await.map_err(DoError::api(&addr))?;
        Ok(r.map(|r| RecordModel::from_api(&current.domain, &r)))
    }

    async fn delete(&self, cx: &Ctx<'_, DigitalOcean>, prior: RecordModel) -> Result<(), DoError> {
        cx.provider.api.delete_object(&prior.path()).await.map_err(DoError::api(&cx.addr))
    }

    /// `DOMAIN,RECORD_ID`, as upstream.
    async fn import(&self, cx: &Ctx<'_, DigitalOcean>, id: &str) -> Result<Option<RecordModel>, DoError> {
        let (api, addr) = (&cx.provider.api, cx.addr);
        let Some((domain, rid)) = id.split_once(',').filter(|(d, r)| !d.is_empty() && !r.is_empty()) else {
            return Err(DoError::Invalid { addr: addr.to_string(), message: format!("import a record as `domain,record_id`, not {id:?}") });
        };
        match api.get_object(&format!("/v2/domains/{domain}/records/{rid}"), "domain_record").await.map_err(DoError::api(&addr))? {
            Some(r) => Ok(Some(RecordModel::from_api(domain, &r))),
            None => Err(DoError::Invalid { addr: addr.to_string(), message: format!("no record {rid} in domain {domain:?}") }),
        }
    }

    async fn recover(&self, cx: &Ctx<'_, DigitalOcean>, planned: RecordModel) -> Result<Option<RecordModel>, DoError> {
        let (api, addr) = (&cx.provider.api, cx.addr);
        if planned.domain.is_empty() || planned.name.is_empty() {
            return Ok(None);
        }
        let all = match api.client.list_all(&format!("/v2/domains/{}/records", planned.domain), "domain_records").await {
            Ok(a) => a,
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) => return Err(DoError::Api { addr: addr.to_string(), source: Box::new(e) }),
        };
        let found = all.into_iter().find(|r| r["type"] == planned.kind.as_str() && r["name"] == planned.name.as_str() && r["data"] == planned.value.as_str());
        Ok(found.map(|r| RecordModel::from_api(&planned.domain, &r)))
    }
}
