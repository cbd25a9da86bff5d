//! The account-wide types a SaaS platform uses around its clusters and
//! databases, with the upstream provider's names, arguments and
//! attributes: `digitalocean_project` and `digitalocean_project_resources`,
//! `digitalocean_domain` and `digitalocean_record`, `digitalocean_firewall`
//! and `digitalocean_tag`, `digitalocean_spaces_key`, `digitalocean_loadbalancer`
//! and `digitalocean_certificate` (and their data sources),
//! `digitalocean_container_registry` and `_docker_credentials`; and the
//! endpoints they use ([`Lists`]: a refresh reads the projects, firewalls,
//! load balancers and certificates lists once, not one GET per object).

pub mod certificate;
pub mod domain;
pub mod firewall;
pub mod loadbalancer;
pub mod project;
pub mod registry;
pub mod spaces_key;
pub mod tag;

use serde_json::Value as Json;

use crate::api::{Api, ListCache};
use crate::client::ApiError;

/// The lists a refresh shares.
#[derive(Default)]
pub struct Lists {
    projects: ListCache,
    firewalls: ListCache,
    load_balancers: ListCache,
    certificates: ListCache,
}

impl Lists {
    pub(crate) async fn clear(&self) {
        self.projects.clear().await;
        self.firewalls.clear().await;
        self.load_balancers.clear().await;
        self.certificates.clear().await;
    }
}

/// `None` when the API answers 404.
pub fn none_if_404<T>(r: Result<T, ApiError>) -> Result<Option<T>, ApiError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// The object under `key` of an answer.
pub fn field(j: &Json, key: &str) -> Json {
    j.get(key).cloned().unwrap_or(Json::Null)
}

impl Api {
    /// `GET path`, the object under `key`; `None` on 404.
    pub async fn get_object(&self, path: &str, key: &str) -> Result<Option<Json>, ApiError> {
        Ok(none_if_404(self.client.get(path).await)?.map(|r| field(&r.json, key)))
    }

    /// A create (never repeated blindly), the object under `key`.
    pub async fn create_object(&self, path: &str, key: &str, body: &Json) -> Result<Json, ApiError> {
        let r = self.client.create(path, body).await;
        self.invalidate().await;
        Ok(field(&r?.json, key))
    }

    /// A PUT, the object under `key`.
    pub async fn put_object(&self, path: &str, key: &str, body: &Json) -> Result<Json, ApiError> {
        let r = self.client.put(path, body).await;
        self.invalidate().await;
        Ok(field(&r?.json, key))
    }

    /// A DELETE; a gone object is deleted.
    pub async fn delete_object(&self, path: &str) -> Result<(), ApiError> {
        let r = none_if_404(self.client.delete(path).await);
        self.invalidate().await;
        r.map(|_| ())
    }

    /// A project from the run's list (one list read per refresh), else a GET.
    pub async fn project_cached(&self, id: &str) -> Result<Option<Json>, ApiError> {
        if self.waits.batch_reads {
            let idx = self.platform.projects.get(self.waits.list_cache, || self.client.list_all("/v2/projects", "projects")).await?;
            if let Some(p) = idx.get(id) {
                return Ok(Some(p.clone()));
            }
        }
        self.get_object(&format!("/v2/projects/{id}"), "project").await
    }

    /// A load balancer from the run's list, else a GET.
    pub async fn load_balancer_cached(&self, id: &str) -> Result<Option<Json>, ApiError> {
        if self.waits.batch_reads {
            let idx = self.platform.load_balancers.get(self.waits.list_cache, || self.client.list_all("/v2/load_balancers", "load_balancers")).await?;
            if let Some(l) = idx.get(id) {
                return Ok(Some(l.clone()));
            }
        }
        self.get_object(&format!("/v2/load_balancers/{id}"), "load_balancer").await
    }

    /// A certificate by ID from the run's list, else a GET.
    pub async fn certificate_cached(&self, id: &str) -> Result<Option<Json>, ApiError> {
        if self.waits.batch_reads {
            let idx = self.platform.certificates.get(self.waits.list_cache, || self.client.list_all("/v2/certificates", "certificates")).await?;
            if let Some(c) = idx.get(id) {
                return Ok(Some(c.clone()));
            }
        }
        self.get_object(&format!("/v2/certificates/{id}"), "certificate").await
    }

    /// A certificate by name from the run's list, else from a fresh list.
    pub async fn certificate_by_name_cached(&self, name: &str) -> Result<Option<Json>, ApiError> {
        if self.waits.batch_reads {
            let idx = self.platform.certificates.get(self.waits.list_cache, || self.client.list_all("/v2/certificates", "certificates")).await?;
            if let Some(c) = idx.values().find(|c| c["name"] == name) {
                return Ok(Some(c.clone()));
            }
        }
        certificate::by_name(self, name).await
    }

    /// A firewall from the run's list, else a GET.
    pub async fn firewall_cached(&self, id: &str) -> Result<Option<Json>, ApiError> {
        if self.waits.batch_reads {
            let idx = self.platform.firewalls.get(self.waits.list_cache, || self.client.list_all("/v2/firewalls", "firewalls")).await?;
            if let Some(f) = idx.get(id) {
                return Ok(Some(f.clone()));
            }
        }
        self.get_object(&format!("/v2/firewalls/{id}"), "firewall").await
    }
}
