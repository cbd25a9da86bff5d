//! Resources that manage part of an object someone else made:
//! `kubernetes_labels`, `kubernetes_annotations` and
//! `kubernetes_config_map_v1_data`. Each applies only its fields with
//! server-side apply under its own field manager (so the rest of the object
//! stays its owner's), reads back only those keys, and on delete applies
//! an empty object under the same manager, which gives the keys up.

use std::collections::BTreeMap;

use iac_core::{AttrPath, Value};
use iac_provider_sdk::prelude::*;
use serde_json::{json, Map, Value as Json};

use super::*;
use crate::error::{KubeError, Result};
use crate::object::ObjectId;
use crate::sets::{self, SetOptions};
use crate::Kubernetes;

/// The `metadata` block naming the object.
#[derive(Model, Debug, Clone, Default)]
pub struct TargetMetadata {
    #[sdk(required)]
    pub name: String,
    /// the object's namespace (cluster-scoped kinds: leave it out)
    #[sdk(optional)]
    pub namespace: Option<String>,
}

/// Which part of the object a patch resource manages.
pub trait Patch: Model + Clone + Default + std::fmt::Debug {
    const TYPE: &'static str;
    /// The field manager when the configuration names none: one of its
    /// own, so it never takes fields from the resource that made the object.
    const MANAGER: &'static str;
    fn target(&self) -> (String, String, TargetMetadata);
    fn field_manager(&self) -> Option<&str>;
    fn force(&self) -> bool;
    fn set_id(&mut self, id: String);
    /// The object's fields this resource sets.
    fn fields(&self) -> Map<String, Json>;
    /// Reads those fields back from the live object.
    fn read(&mut self, live: &Json);
}

fn object_id<M: Patch>(m: &M) -> ObjectId {
    let (api_version, kind, meta) = m.target();
    ObjectId { api_version, kind, namespace: non_empty(&meta.namespace).map(str::to_string), name: meta.name.clone() }
}

fn manager<M: Patch>(m: &M) -> String {
    m.field_manager().filter(|s| !s.is_empty()).unwrap_or(M::MANAGER).to_string()
}

async fn apply_patch<M: Patch>(cx: &Ctx<'_, Kubernetes>, m: &M, fields: Map<String, Json>) -> Result<Json> {
    let k = &cx.provider.cx;
    let mut id = object_id(m);
    let kind = k.cluster.require_kind(&id).await?;
    if !kind.namespaced {
        id.namespace = None;
    } else if id.namespace.is_none() {
        id.namespace = Some(k.cluster.default_namespace.clone());
    }
    if k.cluster.get(&id).await?.is_none() {
        return Err(KubeError::Config(format!("{}: {id} does not exist (it must be made elsewhere first)", M::TYPE)));
    }
    let mut md = Map::new();
    md.insert("name".into(), json!(id.name));
    if let Some(ns) = &id.namespace {
        md.insert("namespace".into(), json!(ns));
    }
    let mut obj = Map::from_iter([("apiVersion".to_string(), json!(id.api_version)), ("kind".to_string(), json!(id.kind))]);
    for (key, v) in fields {
        if key == "metadata" {
            md.extend(v.as_object().cloned().unwrap_or_default());
        } else {
            obj.insert(key, v);
        }
    }
    obj.insert("metadata".into(), Json::Object(md));
    let opts = SetOptions {
        manager: manager(m),
        force: m.force(),
        wait: crate::readiness::WaitFor { rollout: false, load_balancer: false, applications: false },
        timeout: DEFAULT_TIMEOUT,
        delete_timeout: DEFAULT_DELETE_TIMEOUT,
    };
    sets::apply_one(&k.cluster, &id, &Json::Object(obj), &opts).await
}

/// A patch model as a resource type.
pub struct PatchResource<M>(std::marker::PhantomData<fn() -> M>);

impl<M> PatchResource<M> {
    pub const fn new() -> Self {
        PatchResource(std::marker::PhantomData)
    }
}

impl<M> Default for PatchResource<M> {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait]
impl<M: Patch> Resource<Kubernetes> for PatchResource<M> {
    type Model = M;
    const TYPE: &'static str = M::TYPE;

    fn validate(&self, _config: &Value) -> Vec<(AttrPath, String)> {
        Vec::new()
    }

    async fn create(&self, cx: &Ctx<'_, Kubernetes>, mut planned: M) -> Result<M> {
        let live = apply_patch(cx, &planned, planned.fields()).await?;
        planned.read(&live);
        planned.set_id(object_id(&planned).import_id());
        Ok(planned)
    }

    async fn update(&self, cx: &Ctx<'_, Kubernetes>, _prior: M, planned: M) -> Result<M> {
        self.create(cx, planned).await
    }

    async fn read(&self, cx: &Ctx<'_, Kubernetes>, mut current: M) -> Result<Option<M>> {
        let id = object_id(&current);
        let Some(live) = cx.provider.cx.cluster.get(&id).await? else { return Ok(None) };
        current.read(&live);
        Ok(Some(current))
    }

    async fn import(&self, _cx: &Ctx<'_, Kubernetes>, _id: &str) -> Result<Option<M>> {
        Err(KubeError::Unsupported(format!("import of {}: declare it and apply (it takes over the keys it names)", M::TYPE)))
    }

    /// Gives the fields up: an apply of none of them under the same manager.
    async fn delete(&self, cx: &Ctx<'_, Kubernetes>, prior: M) -> Result<()> {
        match apply_patch(cx, &prior, Map::new()).await {
            Ok(_) => Ok(()),
            Err(KubeError::Config(m)) if m.contains("does not exist") => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// Keeps the keys of `want` as the live map has them (a key gone: absent).
fn read_keys(live: &Json, want: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    want.keys().filter_map(|k| live[k.as_str()].as_str().map(|v| (k.clone(), v.to_string()))).collect()
}

// ---------------------------------------------------------------- labels

/// `kubernetes_labels`: labels on an object made elsewhere.
#[derive(Model, Debug, Clone, Default)]
pub struct LabelsModel {
    #[sdk(computed)]
    pub id: Option<String>,
    /// the object's apiVersion, e.g. apps/v1
    #[sdk(required, force_new)]
    pub api_version: String,
    /// the object's kind
    #[sdk(required, force_new)]
    pub kind: String,
    #[sdk(block, min_items = 1, max_items = 1, force_new)]
    pub metadata: Vec<TargetMetadata>,
    /// the labels to set
    #[sdk(optional)]
    pub labels: BTreeMap<String, String>,
    /// take the labels over from another field manager
    #[sdk(optional)]
    pub force: Option<bool>,
    /// default "iac-labels"
    #[sdk(optional)]
    pub field_manager: Option<String>,
}

impl Patch for LabelsModel {
    const TYPE: &'static str = "kubernetes_labels";
    const MANAGER: &'static str = "iac-labels";
    fn target(&self) -> (String, String, TargetMetadata) {
        (self.api_version.clone(), self.kind.clone(), self.metadata.first().cloned().unwrap_or_default())
    }
    fn field_manager(&self) -> Option<&str> {
        self.field_manager.as_deref()
    }
    fn force(&self) -> bool {
        self.force.unwrap_or(false)
    }
    fn set_id(&mut self, id: String) {
        self.id = Some(id);
    }
    fn fields(&self) -> Map<String, Json> {
        Map::from_iter([("metadata".to_string(), json!({ "labels": self.labels }))])
    }
    fn read(&mut self, live: &Json) {
        self.labels = read_keys(&live["metadata"]["labels"], &self.labels);
    }
}

// ----------------------------------------------------------- annotations

/// `kubernetes_annotations`: annotations on an object made elsewhere (and
/// on its pod template).
#[derive(Model, Debug, Clone, Default)]
pub struct AnnotationsModel {
    #[sdk(computed)]
    pub id: Option<String>,
    #[sdk(required, force_new)]
    pub api_version: String,
    #[sdk(required, force_new)]
    pub kind: String,
    #[sdk(block, min_items = 1, max_items = 1, force_new)]
    pub metadata: Vec<TargetMetadata>,
    /// annotations of the object
    #[sdk(optional)]
    pub annotations: BTreeMap<String, String>,
    /// annotations of the object's pod template (spec.template.metadata)
    #[sdk(optional)]
    pub template_annotations: BTreeMap<String, String>,
    #[sdk(optional)]
    pub force: Option<bool>,
    #[sdk(optional)]
    pub field_manager: Option<String>,
}

impl Patch for AnnotationsModel {
    const TYPE: &'static str = "kubernetes_annotations";
    const MANAGER: &'static str = "iac-annotations";
    fn target(&self) -> (String, String, TargetMetadata) {
        (self.api_version.clone(), self.kind.clone(), self.metadata.first().cloned().unwrap_or_default())
    }
    fn field_manager(&self) -> Option<&str> {
        self.field_manager.as_deref()
    }
    fn force(&self) -> bool {
        self.force.unwrap_or(false)
    }
    fn set_id(&mut self, id: String) {
        self.id = Some(id);
    }
    fn fields(&self) -> Map<String, Json> {
        let mut m = Map::from_iter([("metadata".to_string(), json!({ "annotations": self.annotations }))]);
        if !self.template_annotations.is_empty() {
            m.insert("spec".into(), json!({ "template": { "metadata": { "annotations": self.template_annotations } } }));
        }
        m
    }
    fn read(&mut self, live: &Json) {
        self.annotations = read_keys(&live["metadata"]["annotations"], &self.annotations);
        self.template_annotations = read_keys(&live["spec"]["template"]["metadata"]["annotations"], &self.template_annotations);
    }
}

// ------------------------------------------------------ config map data

/// `kubernetes_config_map_v1_data`: keys of a ConfigMap made elsewhere.
#[derive(Model, Debug, Clone, Default)]
pub struct ConfigMapDataModel {
    #[sdk(computed)]
    pub id: Option<String>,
    #[sdk(block, min_items = 1, max_items = 1, force_new)]
    pub metadata: Vec<TargetMetadata>,
    /// the keys to set
    #[sdk(required)]
    pub data: BTreeMap<String, String>,
    #[sdk(optional)]
    pub force: Option<bool>,
    #[sdk(optional)]
    pub field_manager: Option<String>,
}

impl Patch for ConfigMapDataModel {
    const TYPE: &'static str = "kubernetes_config_map_v1_data";
    const MANAGER: &'static str = "iac-data";
    fn target(&self) -> (String, String, TargetMetadata) {
        ("v1".into(), "ConfigMap".into(), self.metadata.first().cloned().unwrap_or_default())
    }
    fn field_manager(&self) -> Option<&str> {
        self.field_manager.as_deref()
    }
    fn force(&self) -> bool {
        self.force.unwrap_or(false)
    }
    fn set_id(&mut self, id: String) {
        self.id = Some(id);
    }
    fn fields(&self) -> Map<String, Json> {
        Map::from_iter([("data".to_string(), json!(self.data))])
    }
    fn read(&mut self, live: &Json) {
        self.data = read_keys(&live["data"], &self.data);
    }
}
