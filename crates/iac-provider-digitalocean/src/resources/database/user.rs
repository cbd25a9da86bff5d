//! `digitalocean_database_user`: a user of a cluster, with its generated
//! password (sensitive). Name and cluster force replacement; MySQL's
//! authentication plugin is reset in place, Kafka and OpenSearch ACLs
//! (`settings`) are updated in place. The id is upstream's
//! `CLUSTER_ID/user/NAME`, and an import takes `CLUSTER_ID,NAME`. Reads come
//! from the cluster list's `users` (one request serves a whole refresh).

use iac_core::Value;
use iac_provider_sdk::prelude::*;
use iac_provider_sdk::AttrPath;
use serde_json::{json, Value as Json};

use super::{settle, split_import};
use crate::error::DoError;
use crate::resources::create_or_adopt;
use crate::values::*;
use crate::DigitalOcean;

const CACHING_SHA2: &str = "caching_sha2_password";

/// A Kafka topic ACL.
#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct Acl {
    #[sdk(computed)]
    pub id: Option<String>,
    #[sdk(required)]
    pub topic: String,
    /// admin, consume, produce or produceconsume
    #[sdk(required)]
    pub permission: String,
}

/// An OpenSearch index ACL.
#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct OpenSearchAcl {
    #[sdk(required)]
    pub index: String,
    /// deny, admin, read, write or readwrite
    #[sdk(required)]
    pub permission: String,
}

/// A user's settings.
#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct UserSettings {
    #[sdk(block)]
    pub acl: Vec<Acl>,
    #[sdk(block)]
    pub opensearch_acl: Vec<OpenSearchAcl>,
}

/// `digitalocean_database_user`'s attributes.
#[derive(Model, Debug, Clone, Default)]
pub struct DatabaseUserModel {
    #[sdk(computed)]
    pub id: Option<String>,
    #[sdk(required, force_new)]
    pub name: String,
    #[sdk(required, force_new)]
    pub cluster_id: String,
    /// MySQL only: mysql_native_password or caching_sha2_password
    #[sdk(optional)]
    pub mysql_auth_plugin: Option<String>,
    #[sdk(block)]
    pub settings: Vec<UserSettings>,
    /// primary or normal
    #[sdk(computed)]
    pub role: Option<String>,
    #[sdk(computed, sensitive)]
    pub password: Option<String>,
    #[sdk(computed, sensitive)]
    pub access_cert: Option<String>,
    #[sdk(computed, sensitive)]
    pub access_key: Option<String>,
}

fn normalize_permission(p: &str, opensearch: bool) -> String {
    let p = p.to_lowercase();
    match p.as_str() {
        "produceconsume" | "produce_consume" if !opensearch => "produceconsume".into(),
        "readwrite" | "read_write" if opensearch => "readwrite".into(),
        "readwrite" | "read_write" => "produceconsume".into(),
        _ => p,
    }
}

impl DatabaseUserModel {
    fn from_api(cluster: &str, u: &Json, current: &DatabaseUserModel) -> DatabaseUserModel {
        let name = text(&u["name"]);
        let st = &u["settings"];
        let acl: Vec<Acl> = st["acl"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|a| Acl {
                id: s(&a["id"]).filter(|i| !i.is_empty()),
                topic: text(&a["topic"]),
                permission: normalize_permission(a["permission"].as_str().unwrap_or(""), false),
            })
            .collect();
        let os: Vec<OpenSearchAcl> = st["opensearch_acl"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|a| OpenSearchAcl { index: text(&a["index"]), permission: normalize_permission(a["permission"].as_str().unwrap_or(""), true) })
            .collect();
        let keep = |new: Option<String>, old: &Option<String>| new.filter(|v| !v.is_empty()).or(old.clone());
        DatabaseUserModel {
            id: Some(format!("{cluster}/user/{name}")),
            name,
            cluster_id: cluster.to_string(),
            mysql_auth_plugin: s(&u["mysql_settings"]["auth_plugin"]),
            settings: if acl.is_empty() && os.is_empty() { Vec::new() } else { vec![UserSettings { acl, opensearch_acl: os }] },
            role: Some(s(&u["role"]).filter(|r| !r.is_empty()).unwrap_or_else(|| "normal".into())),
            password: keep(s(&u["password"]), &current.password),
            access_cert: keep(s(&u["access_cert"]), &current.access_cert),
            access_key: keep(s(&u["access_key"]), &current.access_key),
        }
    }

    fn settings_body(&self) -> Json {
        let st = self.settings.first().cloned().unwrap_or_default();
        json!({
            "acl": st.acl.iter().map(|a| json!({"topic": a.topic, "permission": a.permission})).collect::<Vec<_>>(),
            "opensearch_acl": st.opensearch_acl.iter().map(|a| json!({"index": a.index, "permission": a.permission})).collect::<Vec<_>>(),
        })
    }
}

/// The `digitalocean_database_user` resource type.
pub struct DatabaseUser;

#[async_trait]
impl Resource<DigitalOcean> for DatabaseUser {
    type Model = DatabaseUserModel;
    const TYPE: &'static str = "digitalocean_database_user";

    /// MySQL's default plugin is not a change when the configuration leaves it out.
    async fn modify_plan(&self, _cx: &Ctx<'_, DigitalOcean>, prior: Option<&Value>, planned: &mut Value, _replace: &mut Vec<AttrPath>) -> Result<(), DoError> {
        let Some(prior) = prior else { return Ok(()) };
        if planned.get("mysql_auth_plugin").is_none_or(Value::is_null) && get_str(prior, "mysql_auth_plugin") == Some(CACHING_SHA2) {
            set(planned, "mysql_auth_plugin", Value::from(CACHING_SHA2));
        }
        Ok(())
    }

    async fn create(&self, cx: &Ctx<'_, DigitalOcean>, planned: DatabaseUserModel) -> Result<DatabaseUserModel, DoError> {
        let (api, addr, cluster) = (&cx.provider.api, cx.addr, &planned.cluster_id);
        settle(api, addr, cluster).await?;
        let mut body = json!({ "name": planned.name });
        if let Some(p) = &planned.mysql_auth_plugin {
            body["mysql_settings"] = json!({ "auth_plugin": p });
        }
        if !planned.settings.is_empty() {
            body["settings"] = planned.settings_body();
        }
        let u =
            create_or_adopt(addr, &api.waits, api.client_retries(), || api.create_database_user(cluster, &body), || api.database_user(cluster, &planned.name))
                .await?;
        Ok(DatabaseUserModel::from_api(cluster, &u, &planned))
    }

    async fn update(&self, cx: &Ctx<'_, DigitalOcean>, prior: DatabaseUserModel, planned: DatabaseUserModel) -> Result<DatabaseUserModel, DoError> {
        let (api, addr, cluster, name) = (&cx.provider.api, cx.addr, &planned.cluster_id, &planned.name);
        let mut last = None;
        if planned.mysql_auth_plugin != prior.mysql_auth_plugin {
            let plugin = planned.mysql_auth_plugin.as_deref().unwrap_or(CACHING_SHA2);
            last = Some(api.reset_database_user_auth(cluster, name, plugin).await.map_err(DoError::api(&addr))?);
        }
        if planned.settings != prior.settings {
            last = Some(api.update_database_user(cluster, name, &json!({ "settings": planned.settings_body() })).await.map_err(DoError::api(&addr))?);
        }
        let u = match last {
            Some(u) => u,
            None => api.database_user(cluster, name).await.map_err(DoError::api(&addr))?.unwrap_or_default(),
        };
        Ok(DatabaseUserModel::from_api(cluster, &u, &prior))
    }

    async fn read(&self, cx: &Ctx<'_, DigitalOcean>, current: DatabaseUserModel) -> Result<Option<DatabaseUserModel>, DoError> {
        let cluster = &current.cluster_id;
        if cluster.is_empty() || current.name.is_empty() {
            return Ok(None);
        }
        let Some(d) = cx.provider.api.database_cached(cluster).await.map_err(DoError::api(&cx.addr))? else { return Ok(None) };
        let found = d["users"].as_array().into_iter().flatten().find(|u| u["name"] == current.name.as_str());
        Ok(found.map(|u| DatabaseUserModel::from_api(cluster, u, &current)))
    }

    async fn delete(&self, cx: &Ctx<'_, DigitalOcean>, prior: DatabaseUserModel) -> Result<(), DoError> {
        if prior.cluster_id.is_empty() {
            return Ok(());
        }
        cx.provider.api.delete_database_user(&prior.cluster_id, &prior.name).await.map_err(DoError::api(&cx.addr))
    }

    async fn import(&self, cx: &Ctx<'_, DigitalOcean>, id: &str) -> Result<Option<DatabaseUserModel>, DoError> {
        let (cluster, name) = split_import(cx.addr, id, "a database user")?;
        let found = cx.provider.api.database_user(&cluster, &name).await.map_err(DoError::api(&cx.addr))?;
        Ok(found.map(|u| DatabaseUserModel::from_api(&cluster, &u, &DatabaseUserModel::default())))
    }

    async fn recover(&self, cx: &Ctx<'_, DigitalOcean>, planned: DatabaseUserModel) -> Result<Option<DatabaseUserModel>, DoError> {
        if planned.cluster_id.is_empty() || planned.name.is_empty() {
            return Ok(None);
        }
        let found = match cx.provider.api.database_user(&planned.cluster_id, &planned.name).await {
            Ok(f) => f,
            Err(e) if e.is_not_found() => None,
            Err(e) => return Err(DoError::api(&cx.addr)(e)),
        };
        Ok(found.map(|u| DatabaseUserModel::from_api(&planned.cluster_id, &u, &planned)))
    }
}
