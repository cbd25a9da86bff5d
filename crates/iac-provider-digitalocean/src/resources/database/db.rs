//! `digitalocean_database_db`: a database in a cluster. Both arguments force
//! replacement; the id is upstream's `CLUSTER_ID/database/NAME`, and an
//! import takes `CLUSTER_ID,NAME`. Reads come from the cluster list's
//! `db_names` (one request serves every database of a refresh).

use iac_provider_sdk::prelude::*;

use super::{settle, split_import};
use crate::error::DoError;
use crate::resources::create_or_adopt;
use crate::DigitalOcean;

/// `digitalocean_database_db`'s attributes.
#[derive(Model, Debug, Clone, Default)]
pub struct DatabaseDbModel {
    #[sdk(computed)]
    pub id: Option<String>,
    #[sdk(required, force_new)]
    pub name: String,
    #[sdk(required, force_new)]
    pub cluster_id: String,
}

impl DatabaseDbModel {
    fn new(cluster: &str, name: &str) -> DatabaseDbModel {
        DatabaseDbModel { id: Some(format!("{cluster}/database/{name}")), name: name.into(), cluster_id: cluster.into() }
    }
}

/// The `digitalocean_database_db` resource type.
pub struct DatabaseDb;

#[async_trait]
impl Resource<DigitalOcean> for DatabaseDb {
    type Model = DatabaseDbModel;
    const TYPE: &'static str = "digitalocean_database_db";

    async fn create(&self, cx: &Ctx<'_, DigitalOcean>, planned: DatabaseDbModel) -> Result<DatabaseDbModel, DoError> {
        let (api, addr, cluster, name) = (&cx.provider.api, cx.addr, &planned.cluster_id, &planned.name);
        settle(api, addr, cluster).await?;
        create_or_adopt(addr, &api.waits, api.client_retries(), || api.create_database_db(cluster, name), || api.database_db(cluster, name)).await?;
        Ok(DatabaseDbModel::new(cluster, name))
    }

    async fn read(&self, cx: &Ctx<'_, DigitalOcean>, current: DatabaseDbModel) -> Result<Option<DatabaseDbModel>, DoError> {
        let (cluster, name) = (&current.cluster_id, &current.name);
        if cluster.is_empty() || name.is_empty() {
            return Ok(None);
        }
        let Some(d) = cx.provider.api.database_cached(cluster).await.map_err(DoError::api(&cx.addr))? else { return Ok(None) };
        let listed = d["db_names"].as_array().is_some_and(|n| n.iter().any(|x| x == name.as_str()));
        Ok(listed.then(|| DatabaseDbModel::new(cluster, name)))
    }

    async fn delete(&self, cx: &Ctx<'_, DigitalOcean>, prior: DatabaseDbModel) -> Result<(), DoError> {
        if prior.cluster_id.is_empty() {
            return Ok(());
        }
        cx.provider.api.delete_database_db(&prior.cluster_id, &prior.name).await.map_err(DoError::api(&cx.addr))
    }

    async fn import(&self, cx: &Ctx<'_, DigitalOcean>, id: &str) -> Result<Option<DatabaseDbModel>, DoError> {
        let (cluster, name) = split_import(cx.addr, id, "a database")?;
        let found = cx.provider.api.database_db(&cluster, &name).await.map_err(DoError::api(&cx.addr))?;
        Ok(found.map(|_| DatabaseDbModel::new(&cluster, &name)))
    }

    async fn recover(&self, cx: &Ctx<'_, DigitalOcean>, planned: DatabaseDbModel) -> Result<Option<DatabaseDbModel>, DoError> {
        if planned.cluster_id.is_empty() || planned.name.is_empty() {
            return Ok(None);
        }
        let found = match cx.provider.api.database_db(&planned.cluster_id, &planned.name).await {
            Ok(f) => f,
            Err(e) if e.is_not_found() => None,
            Err(e) => return Err(DoError::api(&cx.addr)(e)),
        };
        Ok(found.map(|_| DatabaseDbModel::new(&planned.cluster_id, &planned.name)))
    }
}
