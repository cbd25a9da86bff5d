//! `digitalocean_project` and `digitalocean_project_resources`. A project
//! groups the platform's objects by URN; an object belongs to one project
//! at a time, so removing it from a project moves it back to the default
//! project, and deleting a project first moves what it holds there. A
//! project's `resources` are the objects it was given: a refresh reports
//! those that left it, not those a `digitalocean_project_resources` added.

use std::collections::BTreeSet;

use iac_core::Value;
use iac_provider_sdk::prelude::*;
use iac_provider_sdk::AttrPath;
use serde_json::{json, Value as Json};

use super::super::timeouts::{waits_within, DeleteTimeout};
use crate::api::Api;
use crate::client::ApiError;
use crate::error::DoError;
use crate::values::*;
use crate::{wait, DigitalOcean};

/// `digitalocean_project`'s attributes.
#[derive(Model, Debug, Clone, Default)]
pub struct ProjectModel {
    #[sdk(computed)]
    pub id: Option<String>,
    #[sdk(required)]
    pub name: String,
    #[sdk(optional, default = "")]
    pub description: String,
    #[sdk(optional, default = "Web Application")]
    pub purpose: String,
    /// development, staging or production (any case)
    #[sdk(optional)]
    pub environment: Option<String>,
    #[sdk(optional, default = false)]
    pub is_default: bool,
    #[sdk(computed)]
    pub owner_uuid: Option<String>,
    #[sdk(computed)]
    pub owner_id: Option<i64>,
    #[sdk(computed)]
    pub created_at: Option<String>,
    #[sdk(computed)]
    pub updated_at: Option<String>,
    /// URNs of the objects in the project
    #[sdk(optional, computed)]
    pub resources: Option<BTreeSet<String>>,
    #[sdk(block, local)]
    pub timeouts: Option<DeleteTimeout>,
}

const ENVIRONMENTS: &[&str] = &["Development", "Staging", "Production"];

/// The API's spelling of an environment (`production` → `Production`).
fn environment(e: &str) -> Option<&'static str> {
    ENVIRONMENTS.iter().find(|x| x.eq_ignore_ascii_case(e)).copied()
}

impl ProjectModel {
    fn from_api(p: &Json, resources: BTreeSet<String>) -> ProjectModel {
        ProjectModel {
            id: s(&p["id"]),
            name: text(&p["name"]),
            description: text(&p["description"]),
            purpose: text(&p["purpose"]),
            environment: s(&p["environment"]).filter(|e| !e.is_empty()),
            is_default: p["is_default"].as_bool().unwrap_or(false),
            owner_uuid: s(&p["owner_uuid"]),
            owner_id: n(&p["owner_id"]),
            created_at: s(&p["created_at"]),
            updated_at: s(&p["updated_at"]),
            resources: Some(resources),
            timeouts: None,
        }
    }

    /// The configuration's spelling of the environment when it is the API's in another case.
    fn keep_spelling(mut self, config: &ProjectModel) -> ProjectModel {
        if let (Some(have), Some(want)) = (&self.environment, &config.environment) {
            if have.eq_ignore_ascii_case(want) {
                self.environment = Some(want.clone());
            }
        }
        self
    }

    fn body(&self, full: bool) -> Json {
        let mut b = json!({"name": self.name, "description": self.description, "purpose": self.purpose});
        if let Some(e) = self.environment.as_deref().and_then(environment) {
            b["environment"] = json!(e);
        } else if full {
            b["environment"] = json!("Development");
        }
        if full {
            b["is_default"] = json!(self.is_default);
        }
        b
    }
}

/// The URNs in a project.
pub async fn project_urns(api: &Api, id: &str) -> Result<BTreeSet<String>, ApiError> {
    let items = api.client.list_all(&format!("/v2/projects/{id}/resources"), "resources").await?;
    Ok(items.iter().filter_map(|r| s(&r["urn"])).collect())
}

/// Moves `urns` into project `id` (`default` for the default project).
pub async fn assign(api: &Api, id: &str, urns: &BTreeSet<String>) -> Result<(), ApiError> {
    if urns.is_empty() {
        return Ok(());
    }
    // Assigning the same URNs twice is harmless.
    api.client.post_idempotent(&format!("/v2/projects/{id}/resources"), &json!({"resources": urns})).await?;
    Ok(())
}

fn check_environment(cx: &Ctx<'_, DigitalOcean>, planned: &Value) -> Result<(), DoError> {
    match get_str(planned, "environment") {
        Some(e) if environment(e).is_none() => {
            Err(DoError::Invalid { addr: cx.addr.to_string(), message: format!("environment {e:?} is not one of development, staging, production") })
        }
        _ => Ok(()),
    }
}

/// The `digitalocean_project` resource type.
pub struct Project;

#[async_trait]
impl Resource<DigitalOcean> for Project {
    type Model = ProjectModel;
    const TYPE: &'static str = "digitalocean_project";

    async fn modify_plan(&self, cx: &Ctx<'_, DigitalOcean>, prior: Option<&Value>, planned: &mut Value, _replace: &mut Vec<AttrPath>) -> Result<(), DoError> {
        keep_absent_timeouts(prior, planned);
        check_environment(cx, planned)?;
        // The environment's case is no change (upstream's DiffSuppressFunc).
        if let (Some(want), Some(have)) = (get_str(planned, "environment"), prior.and_then(|p| get_str(p, "environment"))) {
            if want.eq_ignore_ascii_case(have) {
                let have = Value::from(have);
                set(planned, "environment", have);
            }
        }
        if let Some(p) = prior {
            if planned != p {
                set(planned, "updated_at", Value::Unknown);
            }
        }
        Ok(())
    }

    async fn create(&self, cx: &Ctx<'_, DigitalOcean>, planned: ProjectModel) -> Result<ProjectModel, DoError> {
        let (api, addr) = (&cx.provider.api, cx.addr);
        let body = planned.body(false);
        let created = super::super::create_or_adopt(
            addr,
            &api.waits,
            api.client_retries(),
            || api.create_object("/v2/projects", "project", &body),
            || async { Ok(api.client.list_all("/v2/projects", "projects").await?.into_iter().find(|p| p["name"] == planned.name.as_str())) },
        )
        .await?;
        let id = text(&created["id"]);
        let mut p = created;
        if planned.is_default {
            p = api.client.patch(&format!("/v2/projects/{id}"), &json!({"is_default": true})).await.map_err(DoError::api(&addr))?.json["project"].clone();
        }
        let want = planned.resources.clone().unwrap_or_default();
        assign(api, &id, &want).await.map_err(DoError::api(&addr))?;
        let urns = project_urns(api, &id).await.map_err(DoError::api(&addr))?;
        Ok(ProjectModel::from_api(&p, urns).keep_spelling(&planned))
    }

    async fn update(&self, cx: &Ctx<'_, DigitalOcean>, prior: ProjectModel, planned: ProjectModel) -> Result<ProjectModel, DoError> {
        let (api, addr) = (&cx.provider.api, cx.addr);
        let id = prior.id.clone().unwrap_or_default();
        let p = api.put_object(&format!("/v2/projects/{id}"), "project", &planned.body(true)).await.map_err(DoError::api(&addr))?;
        if let Some(want) = &planned.resources {
            let have = prior.resources.clone().unwrap_or_default();
            assign(api, "default", &have.difference(want).cloned().collect()).await.map_err(DoError::api(&addr))?;
            assign(api, &id, &want.difference(&have).cloned().collect()).await.map_err(DoError::api(&addr))?;
        }
        let urns = project_urns(api, &id).await.map_err(DoError::api(&addr))?;
        Ok(ProjectModel::from_api(&p, urns).keep_spelling(&planned))
    }

    async fn read(&self, cx: &Ctx<'_, DigitalOcean>, current: ProjectModel) -> Result<Option<ProjectModel>, DoError> {
        let (api, addr) = (&cx.provider.api, cx.addr);
        let Some(id) = &current.id else { return Ok(None) };
        let Some(p) = api.project_cached(id).await.map_err(DoError::api(&addr))? else { return Ok(None) };
        // Only the objects this resource put there: others added by a
        // `digitalocean_project_resources` (or the console) are not its drift.
        let mine = current.resources.clone().unwrap_or_default();
        let urns = project_urns(api, id).await.map_err(DoError::api(&addr))?.intersection(&mine).cloned().collect();
        Ok(Some(ProjectModel::from_api(&p, urns).keep_spelling(&current)))
    }

    async fn delete(&self, cx: &Ctx<'_, DigitalOcean>, prior: ProjectModel) -> Result<(), DoError> {
        let (api, addr) = (&cx.provider.api, cx.addr);
        let Some(id) = &prior.id else { return Ok(()) };
        let waits = waits_within(api, prior.timeouts.as_ref().and_then(|t| t.delete.as_deref()));
        wait::until(&waits, addr, "the project to be empty and deleted", || async {
            // What it holds goes back to the default project first.
            match project_urns(api, id).await {
                Ok(urns) => assign(api, "default", &urns).await.map_err(DoError::api(&addr))?,
                Err(e) if e.is_not_found() => return Ok(Some(())),
                Err(e) => return Err(DoError::Api { addr: addr.to_string(), source: Box::new(e) }),
            }
            match api.delete_object(&format!("/v2/projects/{id}")).await {
                Ok(()) => Ok(Some(())),
                Err(e) if e.status() == Some(412) => {
                    tracing::info!(addr, error = %e, "project still holds objects; retrying");
                    Ok(None)
                }
                Err(e) => Err(DoError::Api { addr: addr.to_string(), source: Box::new(e) }),
            }
        })
        .await
    }

    async fn import(&self, cx: &Ctx<'_, DigitalOcean>, id: &str) -> Result<Option<ProjectModel>, DoError> {
        let (api, addr) = (&cx.provider.api, cx.addr);
        match api.get_object(&format!("/v2/projects/{id}"), "project").await.map_err(DoError::api(&addr))? {
            Some(p) => Ok(Some(ProjectModel::from_api(&p, project_urns(api, id).await.map_err(DoError::api(&addr))?))),
            None => Err(DoError::Invalid { addr: addr.to_string(), message: format!("no project with id {id:?}") }),
        }
    }

    async fn recover(&self, cx: &Ctx<'_, DigitalOcean>, planned: ProjectModel) -> Result<Option<ProjectModel>, DoError> {
        let (api, addr) = (&cx.provider.api, cx.addr);
        if planned.name.is_empty() {
            return Ok(None);
        }
        let found =
            api.client.list_all("/v2/projects", "projects").await.map_err(DoError::api(&addr))?.into_iter().find(|p| p["name"] == planned.name.as_str());
        match found {
            Some(p) => {
                let urns = project_urns(api, &text(&p["id"])).await.map_err(DoError::api(&addr))?;
                Ok(Some(ProjectModel::from_api(&p, urns).keep_spelling(&planned)))
            }
            None => Ok(None),
        }
    }
}

/// `digitalocean_project_resources`' attributes.
#[derive(Model, Debug, Clone, Default)]
pub struct ProjectResourcesModel {
    #[sdk(computed)]
    pub id: Option<String>,
    /// the project's ID
    #[sdk(required, force_new)]
    pub project: String,
    /// URNs of the objects this resource puts in the project
    #[sdk(required)]
    pub resources: BTreeSet<String>,
}

/// The `digitalocean_project_resources` resource type: some of a
/// project's objects, managed apart from the project.
pub struct ProjectResources;

impl ProjectResources {
    async fn state(api: &Api, addr: &str, project: &str, want: &BTreeSet<String>) -> Result<ProjectResourcesModel, DoError> {
        let have = project_urns(api, project).await.map_err(DoError::api(&addr))?;
        Ok(ProjectResourcesModel { id: Some(project.to_string()), project: project.to_string(), resources: want.intersection(&have).cloned().collect() })
    }
}

#[async_trait]
impl Resource<DigitalOcean> for ProjectResources {
    type Model = ProjectResourcesModel;
    const TYPE: &'static str = "digitalocean_project_resources";

    async fn create(&self, cx: &Ctx<'_, DigitalOcean>, planned: ProjectResourcesModel) -> Result<ProjectResourcesModel, DoError> {
        let (api, addr) = (&cx.provider.api, cx.addr);
        if api.get_object(&format!("/v2/projects/{}", planned.project), "project").await.map_err(DoError::api(&addr))?.is_none() {
            return Err(DoError::Invalid { addr: addr.to_string(), message: format!("no project with id {:?}", planned.project) });
        }
        assign(api, &planned.project, &planned.resources).await.map_err(DoError::api(&addr))?;
        Self::state(api, addr, &planned.project, &planned.resources).await
    }

    async fn update(&self, cx: &Ctx<'_, DigitalOcean>, prior: ProjectResourcesModel, planned: ProjectResourcesModel) -> Result<ProjectResourcesModel, DoError> {
        let (api, addr) = (&cx.provider.api, cx.addr);
        assign(api, "default", &prior.resources.difference(&planned.resources).cloned().collect()).await.map_err(DoError::api(&addr))?;
        assign(api, &planned.project, &planned.resources.difference(&prior.resources).cloned().collect()).await.map_err(DoError::api(&addr))?;
        Self::state(api, addr, &planned.project, &planned.resources).await
    }

    async fn read(&self, cx: &Ctx<'_, DigitalOcean>, current: ProjectResourcesModel) -> Result<Option<ProjectResourcesModel>, DoError> {
        let (api, addr) = (&cx.provider.api, cx.addr);
        if current.project.is_empty() || api.project_cached(&current.project).await.map_err(DoError::api(&addr))?.is_none() {
            return Ok(None);
        }
        Self::state(api, addr, &current.project, &current.resources).await.map(Some)
    }

    async fn delete(&self, cx: &Ctx<'_, DigitalOcean>, prior: ProjectResourcesModel) -> Result<(), DoError> {
        let (api, addr) = (&cx.provider.api, cx.addr);
        let still = match project_urns(api, &prior.project).await {
            Ok(have) => prior.resources.intersection(&have).cloned().collect(),
            Err(e) if e.is_not_found() => return Ok(()),
            Err(e) => return Err(DoError::Api { addr: addr.to_string(), source: Box::new(e) }),
        };
        assign(api, "default", &still).await.map_err(DoError::api(&addr))
    }

    /// By project ID: every object in the project.
    async fn import(&self, cx: &Ctx<'_, DigitalOcean>, id: &str) -> Result<Option<ProjectResourcesModel>, DoError> {
        let (api, addr) = (&cx.provider.api, cx.addr);
        match project_urns(api, id).await {
            Ok(have) => Ok(Some(ProjectResourcesModel { id: Some(id.to_string()), project: id.to_string(), resources: have })),
            Err(e) if e.is_not_found() => Err(DoError::Invalid { addr: addr.to_string(), message: format!("no project with id {id:?}") }),
            Err(e) => Err(DoError::Api { addr: addr.to_string(), source: Box::new(e) }),
        }
    }
}
