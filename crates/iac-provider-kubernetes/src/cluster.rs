//! One cluster as the resources see it: a kube-rs client, discovery of
//! which kinds exist and whether they are namespaced (cached per
//! apiVersion, looked up again when a kind is missing: a CRD applied a
//! moment ago), and the object operations by [`ObjectId`] on raw JSON.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kube::api::{ApiResource, DeleteParams, GetParams, Patch, PatchParams, PropagationPolicy};
use kube::core::{DynamicObject, Request};
use kube::Resource as _;
use serde_json::Value as Json;

use crate::error::{KubeError, Result};
use crate::object::ObjectId;
use crate::settings::{Connection, Tuning};

/// The field manager iac applies under.
pub const FIELD_MANAGER: &str = "iac";

/// A kind the cluster serves.
#[derive(Clone, Debug)]
pub struct Kind {
    pub resource: ApiResource,
    pub namespaced: bool,
}

pub struct Cluster {
    client: kube::Client,
    /// apiVersion → the kinds it serves (empty when the group is not served).
    discovery: Mutex<HashMap<String, Arc<Vec<Kind>>>>,
    pub tuning: Tuning,
    /// The default namespace for namespaced objects that have none.
    pub default_namespace: String,
    describe: String,
    /// An exec credential plugin whose (cached) token goes on each request.
    exec: Option<Arc<crate::exec::ExecCredentials>>,
}

fn install_crypto_provider() {
    // kube-rs asks rustls for the process-wide provider; another crate may
    // have installed one already, which is as good.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl Cluster {
    pub async fn connect(conn: &Connection, tuning: Tuning, stack_dir: &std::path::Path) -> Result<Cluster> {
        install_crypto_provider();
        let cfg = conn.kube_config(stack_dir).await?;
        let default_namespace = cfg.default_namespace.clone();
        let describe = conn.describe();
        let client = kube::Client::try_from(cfg).map_err(|e| KubeError::Config(format!("connecting to {describe}: {e}")))?;
        Ok(Cluster { client, discovery: Mutex::new(HashMap::new()), tuning, default_namespace, describe, exec: conn.exec.clone() })
    }

    pub fn describe(&self) -> &str {
        &self.describe
    }

    async fn fetch_kinds(&self, api_version: &str) -> Result<Arc<Vec<Kind>>> {
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        let path = if group.is_empty() { format!("/api/{version}") } else { format!("/apis/{api_version}") };
        let what = format!("discovery of {api_version}");
        let mut req = http::Request::get(path).body(Vec::new()).map_err(|e| KubeError::Transport { object: what.clone(), message: e.to_string() })?;
        self.authorize(&mut req).await?;
        let list = match self.client.request::<k8s_openapi::apimachinery::pkg::apis::meta::v1::APIResourceList>(req).await {
            Ok(l) => l.resources,
            Err(kube::Error::Api(s)) if s.code == 404 => Vec::new(),
            Err(e) => return Err(KubeError::from_kube(what, e)),
        };
        let kinds: Vec<Kind> = list
            .into_iter()
            .filter(|r| !r.name.contains('/'))
            .map(|r| Kind {
                resource: ApiResource {
                    group: group.to_string(),
                    version: version.to_string(),
                    api_version: api_version.to_string(),
                    kind: r.kind.clone(),
                    plural: r.name.clone(),
                },
                namespaced: r.namespaced,
            })
            .collect();
        let kinds = Arc::new(kinds);
        self.discovery.lock().unwrap_or_else(|p| p.into_inner()).insert(api_version.to_string(), kinds.clone());
        Ok(kinds)
    }

    /// The kind, if the cluster serves it. A miss in the cache is looked up
    /// again (its CRD may have just been established).
    pub async fn kind(&self, api_version: &str, kind: &str) -> Result<Option<Kind>> {
        let cached = self.discovery.lock().unwrap_or_else(|p| p.into_inner()).get(api_version).cloned();
        if let Some(k) = cached.as_ref().and_then(|ks| ks.iter().find(|k| k.resource.kind == kind)) {
            return Ok(Some(k.clone()));
        }
        let fresh = self.fetch_kinds(api_version).await?;
        Ok(fresh.iter().find(|k| k.resource.kind == kind).cloned())
    }

    /// The kind, or an error naming the object when the cluster does not serve it.
    pub async fn require_kind(&self, id: &ObjectId) -> Result<Kind> {
        self.kind(&id.api_version, &id.kind).await?.ok_or_else(|| {
            KubeError::UnknownKind(format!("{id}: the cluster at {} does not serve {} in {} (is its CRD installed?)", self.describe, id.kind, id.api_version))
        })
    }

    fn request(&self, kind: &Kind, id: &ObjectId) -> Request {
        let ns = if kind.namespaced { Some(id.namespace.as_deref().unwrap_or(&self.default_namespace)) } else { None };
        Request::new(DynamicObject::url_path(&kind.resource, ns))
    }

    async fn send(&self, id: &ObjectId, req: std::result::Result<http::Request<Vec<u8>>, kube::core::request::Error>) -> Result<Json> {
        let mut req = req.map_err(|e| KubeError::Transport { object: id.to_string(), message: e.to_string() })?;
        self.authorize(&mut req).await?;
        self.client.request::<Json>(req).await.map_err(|e| KubeError::from_kube(id.to_string(), e))
    }

    /// Puts the exec plugin's token (cached until it expires) on a request.
    async fn authorize(&self, req: &mut http::Request<Vec<u8>>) -> Result<()> {
        let Some(exec) = &self.exec else { return Ok(()) };
        if let Some(token) = exec.token().await? {
            let mut value = http::HeaderValue::from_str(&format!("Bearer {token}"))
                .map_err(|_| KubeError::Config("the exec credential plugin's token is not a valid header value".into()))?;
            value.set_sensitive(true);
            req.headers_mut().insert(http::header::AUTHORIZATION, value);
        }
        Ok(())
    }

    /// The live object, or None when it does not exist (or its kind is no longer served).
    pub async fn get(&self, id: &ObjectId) -> Result<Option<Json>> {
        let Some(kind) = self.kind(&id.api_version, &id.kind).await? else { return Ok(None) };
        let req = self.request(&kind, id).get(&id.name, &GetParams::default());
        match self.send(id, req).await {
            Ok(j) => Ok(Some(j)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Server-side apply under `manager`; returns the object as stored.
    pub async fn apply(&self, id: &ObjectId, obj: &Json, manager: &str, force: bool) -> Result<Json> {
        let kind = self.require_kind(id).await?;
        let mut pp = PatchParams::apply(manager);
        pp.force = force;
        let req = self.request(&kind, id).patch(&id.name, &pp, &Patch::Apply(obj));
        self.send(id, req).await
    }

    /// Asks for deletion (dependents are collected in the background); false when
    /// there was nothing to delete.
    pub async fn delete(&self, id: &ObjectId) -> Result<bool> {
        let Some(kind) = self.kind(&id.api_version, &id.kind).await? else { return Ok(false) };
        let dp = DeleteParams { propagation_policy: Some(PropagationPolicy::Background), ..DeleteParams::default() };
        let req = self.request(&kind, id).delete(&id.name, &dp);
        match self.send(id, req).await {
            Ok(_) => Ok(true),
            Err(e) if e.is_not_found() => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Deletes the Pods in `namespace` that the label `selector` selects
    /// (their controllers start new ones); returns their names.
    pub async fn delete_pods(&self, namespace: &str, selector: &str) -> Result<Vec<String>> {
        let id = ObjectId { api_version: "v1".into(), kind: "Pod".into(), namespace: Some(namespace.into()), name: String::new() };
        let kind = self.require_kind(&id).await?;
        let lp = kube::api::ListParams::default().labels(selector);
        let list = self.send(&id, self.request(&kind, &id).list(&lp)).await?;
        let names: Vec<String> = list["items"].as_array().into_iter().flatten().filter_map(|p| p["metadata"]["name"].as_str()).map(str::to_string).collect();
        for name in &names {
            self.delete(&ObjectId { name: name.clone(), ..id.clone() }).await?;
        }
        Ok(names)
    }

    /// Deletes and waits until the object is gone (finalizers done), bounded.
    pub async fn delete_and_wait(&self, id: &ObjectId, timeout: Duration) -> Result<()> {
        if !self.delete(id).await? {
            return Ok(());
        }
        let started = Instant::now();
        loop {
            let Some(live) = self.get(id).await? else { return Ok(()) };
            if started.elapsed() >= timeout {
                let finalizers: Vec<&str> = live["metadata"]["finalizers"].as_array().into_iter().flatten().filter_map(Json::as_str).collect();
                let why = if finalizers.is_empty() { String::new() } else { format!(" (finalizers still pending: {})", finalizers.join(", ")) };
                return Err(KubeError::Timeout { what: format!("{id} to be deleted{why}"), seconds: timeout.as_secs() });
            }
            tokio::time::sleep(self.tuning.poll).await;
        }
    }
}
