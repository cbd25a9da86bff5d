//! The typed Kubernetes resources (`kubernetes_namespace_v1`,
//! `kubernetes_config_map_v1`, ...), with the upstream provider's schemas
//! (a `metadata` block, the kind's own attributes in snake_case), on the
//! same server-side apply core as `kubernetes_manifest`: each model turns
//! into the object it stands for, which is applied under field manager
//! `iac`; refresh reads back only the fields that manager owns (from
//! managedFields), so what controllers and other managers set is not
//! drift; the provider's `ignore_annotations`/`ignore_labels` keep matching
//! keys as state has them. Each kind is registered under its upstream name
//! and its `_v1` name (one model, one set of operations). `kinds` holds the
//! namespace, configuration and RBAC kinds, `workloads` Deployment, Service
//! and Ingress, `scheduling` and `security` the parts of a pod spec that
//! say where a pod runs and with which privileges.

/// The [`TypedKind`] items every kind writes the same way: its metadata
/// block type and accessors, its id, and (`timeouts` given) its `timeouts`
/// block.
macro_rules! kind_common {
    ($meta:ty) => {
        type Meta = $meta;
        fn metadata(&self) -> &Vec<$meta> {
            &self.metadata
        }
        fn metadata_mut(&mut self) -> &mut Vec<$meta> {
            &mut self.metadata
        }
        fn set_id(&mut self, id: String) {
            self.id = Some(id);
        }
    };
    ($meta:ty, timeouts) => {
        kind_common!($meta);
        fn timeouts(&self) -> Option<Timeouts> {
            self.timeouts.clone()
        }
    };
}

pub mod data;
pub mod kinds;
pub mod patch;
pub mod scheduling;
pub mod security;
pub mod workloads;

use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::time::Duration;

use iac_core::{AttrPath, PathStep, Value};
use iac_provider_sdk::prelude::*;
use serde_json::{json, Map, Value as Json};

use super::*;
use crate::cluster::FIELD_MANAGER;
use crate::error::{KubeError, Result};
use crate::fields;
use crate::object::ObjectId;
use crate::readiness::WaitFor;
use crate::sets::{self, SetOptions};
use crate::{Context, Kubernetes};

/// The `metadata` block of a namespaced object.
#[derive(Model, Debug, Clone, Default)]
pub struct Metadata {
    /// annotations of the object (keys other managers set are not drift)
    #[sdk(optional)]
    pub annotations: BTreeMap<String, String>,
    /// a prefix the name is generated from, when name is not set
    #[sdk(optional, force_new)]
    pub generate_name: Option<String>,
    #[sdk(computed)]
    pub generation: Option<i64>,
    /// labels of the object
    #[sdk(optional)]
    pub labels: BTreeMap<String, String>,
    #[sdk(optional, computed, force_new)]
    pub name: Option<String>,
    /// default "default"
    #[sdk(optional, force_new, default = "default")]
    pub namespace: Option<String>,
    #[sdk(computed)]
    pub resource_version: Option<String>,
    #[sdk(computed)]
    pub uid: Option<String>,
}

/// The `metadata` block of a cluster-scoped object.
#[derive(Model, Debug, Clone, Default)]
pub struct ClusterMetadata {
    #[sdk(optional)]
    pub annotations: BTreeMap<String, String>,
    #[sdk(optional, force_new)]
    pub generate_name: Option<String>,
    #[sdk(computed)]
    pub generation: Option<i64>,
    #[sdk(optional)]
    pub labels: BTreeMap<String, String>,
    #[sdk(optional, computed, force_new)]
    pub name: Option<String>,
    #[sdk(computed)]
    pub resource_version: Option<String>,
    #[sdk(computed)]
    pub uid: Option<String>,
}

/// Metadata, whichever block it came from.
#[derive(Debug, Clone, Default)]
pub struct Meta {
    pub name: Option<String>,
    pub generate_name: Option<String>,
    pub namespace: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub generation: Option<i64>,
    pub resource_version: Option<String>,
    pub uid: Option<String>,
}

/// A `metadata` block model.
pub trait MetaBlock: Model + Clone + Default + std::fmt::Debug {
    fn meta(&self) -> Meta;
    fn set_meta(&mut self, m: Meta);
}

impl MetaBlock for Metadata {
    fn meta(&self) -> Meta {
        Meta {
            name: non_empty(&self.name).map(str::to_string),
            generate_name: non_empty(&self.generate_name).map(str::to_string),
            namespace: non_empty(&self.namespace).map(str::to_string),
            labels: self.labels.clone(),
            annotations: self.annotations.clone(),
            generation: self.generation,
            resource_version: self.resource_version.clone(),
            uid: self.uid.clone(),
        }
    }
    fn set_meta(&mut self, m: Meta) {
        *self = Metadata {
            annotations: m.annotations,
            generate_name: m.generate_name,
            generation: m.generation,
            labels: m.labels,
            name: m.name,
            namespace: m.namespace,
            resource_version: m.resource_version,
            uid: m.uid,
        };
    }
}

impl MetaBlock for ClusterMetadata {
    fn meta(&self) -> Meta {
        Meta {
            name: non_empty(&self.name).map(str::to_string),
            generate_name: non_empty(&self.generate_name).map(str::to_string),
            namespace: None,
            labels: self.labels.clone(),
            annotations: self.annotations.clone(),
            generation: self.generation,
            resource_version: self.resource_version.clone(),
            uid: self.uid.clone(),
        }
    }
    fn set_meta(&mut self, m: Meta) {
        *self = ClusterMetadata {
            annotations: m.annotations,
            generate_name: m.generate_name,
            generation: m.generation,
            labels: m.labels,
            name: m.name,
            resource_version: m.resource_version,
            uid: m.uid,
        };
    }
}

/// One typed kind: its model, the object it stands for, and back.
pub trait TypedKind: Model + Clone + Default + std::fmt::Debug {
    type Meta: MetaBlock;
    /// The upstream name without `_v1` (`kubernetes_config_map`).
    const TYPE: &'static str;
    const TYPE_V1: &'static str;
    const API_VERSION: &'static str;
    const KIND: &'static str;
    const NAMESPACED: bool;

    fn metadata(&self) -> &Vec<Self::Meta>;
    fn metadata_mut(&mut self) -> &mut Vec<Self::Meta>;
    fn set_id(&mut self, id: String);

    /// Everything of the object but apiVersion, kind and metadata.
    fn body(&self) -> Result<Map<String, Json>>;
    /// The model's own attributes from the object as observed (narrowed
    /// to the fields the model sets).
    fn read_body(&mut self, observed: &Json, live: &Json);
    /// What to wait for after an apply.
    fn wait_for(&self) -> WaitFor {
        WaitFor { rollout: true, load_balancer: false, applications: false }
    }
    /// A wait of the kind's own after the apply (a namespace's default
    /// ServiceAccount, a token Secret's token).
    fn after_apply<'a>(&'a self, _k: &'a Context, _id: &'a ObjectId) -> futures::future::BoxFuture<'a, Result<()>> {
        Box::pin(async { Ok(()) })
    }
    /// Labels the API server sets itself (never drift, never imported).
    const SERVER_LABELS: &'static [&'static str] = &[];
    /// The `timeouts` block, when the kind has one.
    fn timeouts(&self) -> Option<Timeouts> {
        None
    }
}

/// Drops null and empty values from an object body.
pub fn compact(m: Map<String, Json>) -> Map<String, Json> {
    m.into_iter().filter(|(_, v)| !(v.is_null() || v.as_object().is_some_and(Map::is_empty) || v.as_array().is_some_and(Vec::is_empty))).collect()
}

/// A string map as JSON (None when empty).
pub fn string_map(m: &BTreeMap<String, String>) -> Json {
    if m.is_empty() {
        Json::Null
    } else {
        Json::Object(m.iter().map(|(k, v)| (k.clone(), Json::String(v.clone()))).collect())
    }
}

/// A JSON object's string values (null entries: gone).
pub fn read_map(j: &Json) -> BTreeMap<String, String> {
    j.as_object().into_iter().flatten().filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string()))).collect()
}

pub fn read_strings(j: &Json) -> Vec<String> {
    j.as_array().into_iter().flatten().filter_map(|v| v.as_str().map(str::to_string)).collect()
}

/// The strings of a JSON array in order (a set attribute's value).
pub fn sorted_strings(j: &Json) -> Vec<String> {
    let mut v = read_strings(j);
    v.sort();
    v
}

/// A JSON string's text.
pub fn text(j: &Json) -> Option<String> {
    j.as_str().map(str::to_string)
}

/// A JSON object of the pairs that hold something (see [`compact`]).
pub fn object<const N: usize>(pairs: [(&str, Json); N]) -> Json {
    Json::Object(compact(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()))
}

/// The first block of a `max_items = 1` list, or an error naming it.
pub fn first<'a, T>(v: &'a [T], what: &str) -> Result<&'a T> {
    v.first().ok_or_else(|| KubeError::Config(format!("a {what} block is required")))
}

/// A whole number the schema holds as a string (upstream's way to tell
/// "not set" from 0: user and group ids, toleration seconds), as the API's
/// number.
pub fn int_text(what: &str, s: &Option<String>) -> Result<Json> {
    match non_empty(s) {
        Some(t) => t.parse::<i64>().map(Json::from).map_err(|_| KubeError::Config(format!("{what}: {t:?} is not a whole number"))),
        None => Ok(Json::Null),
    }
}

/// The API's number as the string the schema holds.
pub fn read_int_text(j: &Json) -> Option<String> {
    j.as_i64().map(|n| n.to_string())
}

fn meta_of<K: TypedKind>(m: &K) -> Meta {
    m.metadata().first().map(MetaBlock::meta).unwrap_or_default()
}

/// A name from `generate_name`, as the API server would make it.
fn generated_name(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let digest = <sha2::Sha256 as sha2::Digest>::digest(nanos.to_le_bytes());
    let alphabet = b"bcdfghjklmnpqrstvwxz2456789";
    let suffix: String = digest.iter().take(5).map(|b| alphabet[*b as usize % alphabet.len()] as char).collect();
    format!("{prefix}{suffix}")
}

/// The object a model stands for.
pub fn object_of<K: TypedKind>(m: &K) -> Result<(ObjectId, Json)> {
    let meta = meta_of(m);
    let name = meta
        .name
        .clone()
        .or_else(|| meta.generate_name.as_deref().map(generated_name))
        .ok_or_else(|| KubeError::Config(format!("{}: metadata.name or metadata.generate_name is required", K::TYPE)))?;
    let namespace = K::NAMESPACED.then(|| meta.namespace.clone().unwrap_or_else(|| "default".to_string()));
    let mut md = Map::new();
    md.insert("name".into(), json!(name));
    if let Some(ns) = &namespace {
        md.insert("namespace".into(), json!(ns));
    }
    md.insert("labels".into(), string_map(&meta.labels));
    md.insert("annotations".into(), string_map(&meta.annotations));
    let mut obj = Map::new();
    obj.insert("apiVersion".into(), json!(K::API_VERSION));
    obj.insert("kind".into(), json!(K::KIND));
    obj.insert("metadata".into(), Json::Object(compact(md)));
    obj.extend(compact(m.body()?));
    let id = ObjectId { api_version: K::API_VERSION.into(), kind: K::KIND.into(), namespace, name };
    Ok((id, Json::Object(obj)))
}

fn import_id_of(id: &ObjectId) -> String {
    match &id.namespace {
        Some(ns) => format!("{ns}/{}", id.name),
        None => id.name.clone(),
    }
}

/// Keys the provider ignores keep the value state has.
fn keep_ignored(read: &mut BTreeMap<String, String>, current: &BTreeMap<String, String>, ignore: &[regex::Regex]) {
    if ignore.is_empty() {
        return;
    }
    read.retain(|k, _| !ignore.iter().any(|r| r.is_match(k)));
    for (k, v) in current {
        if ignore.iter().any(|r| r.is_match(k)) {
            read.insert(k.clone(), v.clone());
        }
    }
}

/// Sets the model from the live object (narrowed to what it owns).
fn fill<K: TypedKind>(m: &mut K, id: &ObjectId, desired: &Json, live: &Json, hash: Option<&str>, ignore: &Ignore) {
    let observed = fields::observed(desired, live, FIELD_MANAGER, hash);
    let current = meta_of(m);
    let mut labels = read_map(&observed["metadata"]["labels"]);
    labels.retain(|k, _| !K::SERVER_LABELS.contains(&k.as_str()) || current.labels.contains_key(k));
    let mut annotations = read_map(&observed["metadata"]["annotations"]);
    keep_ignored(&mut labels, &current.labels, &ignore.labels);
    keep_ignored(&mut annotations, &current.annotations, &ignore.annotations);
    let lm = &live["metadata"];
    let meta = Meta {
        name: Some(id.name.clone()),
        generate_name: current.generate_name,
        namespace: id.namespace.clone(),
        labels,
        annotations,
        generation: lm["generation"].as_i64(),
        resource_version: lm["resourceVersion"].as_str().map(str::to_string),
        uid: lm["uid"].as_str().map(str::to_string),
    };
    let mut block = m.metadata().first().cloned().unwrap_or_default();
    block.set_meta(meta);
    *m.metadata_mut() = vec![block];
    m.read_body(&observed, live);
    m.set_id(import_id_of(id));
}

/// Collections a result has empty where the value it started from had
/// null (left out of the configuration, or an import's stub) stay null:
/// a model's maps and lists cannot tell none from empty, and a plan made
/// before the provider could be configured keeps the configuration's null.
/// In nested blocks too.
pub fn keep_null_collections(block: &iac_core::schema::Block, current: &Value, read: &mut Value) {
    use iac_core::schema::{AttrType, Nesting};
    let Value::Map(m) = read else { return };
    for (name, a) in &block.attributes {
        if !matches!(a.type_, AttrType::Map(_) | AttrType::List(_) | AttrType::Set(_)) {
            continue;
        }
        let was_null = current.get(name).is_none_or(Value::is_null);
        let empty = m.get(name.as_str()).is_some_and(|v| match v.unmarked() {
            Value::Map(x) => x.is_empty(),
            Value::List(x) => x.is_empty(),
            _ => false,
        });
        if was_null && empty {
            m.insert(name.clone(), Value::Null);
        }
    }
    for (name, nested) in &block.blocks {
        let before = current.get(name);
        match (nested.nesting, m.get_mut(name.as_str())) {
            (Nesting::List | Nesting::Set, Some(Value::List(items))) => {
                let old = before.and_then(Value::as_list).unwrap_or(&[]);
                for (i, item) in items.iter_mut().enumerate() {
                    keep_null_collections(&nested.block, old.get(i).unwrap_or(&Value::Null), item);
                }
            }
            (Nesting::Single | Nesting::Group, Some(single)) => keep_null_collections(&nested.block, before.unwrap_or(&Value::Null), single),
            _ => {}
        }
    }
}

/// The provider's `ignore_annotations` and `ignore_labels`.
#[derive(Debug, Clone, Default)]
pub struct Ignore {
    pub annotations: Vec<regex::Regex>,
    pub labels: Vec<regex::Regex>,
}

impl Ignore {
    pub fn new(annotations: &[String], labels: &[String]) -> Result<Ignore> {
        let compile = |what: &str, ps: &[String]| -> Result<Vec<regex::Regex>> {
            ps.iter().map(|p| regex::Regex::new(p).map_err(|e| KubeError::Config(format!("{what}: {p:?} is not a regular expression: {e}")))).collect()
        };
        Ok(Ignore { annotations: compile("ignore_annotations", annotations)?, labels: compile("ignore_labels", labels)? })
    }
}

/// A typed kind as a resource type: `V1` picks its `_v1` name.
pub struct Typed<K, const V1: bool>(PhantomData<fn() -> K>);

impl<K, const V1: bool> Typed<K, V1> {
    pub const fn new() -> Self {
        Typed(PhantomData)
    }
}

impl<K, const V1: bool> Default for Typed<K, V1> {
    fn default() -> Self {
        Self::new()
    }
}

async fn apply_typed<K: TypedKind>(cx: &Ctx<'_, Kubernetes>, mut m: K, creating: bool) -> Result<K> {
    let k = &cx.provider.cx;
    let (id, obj) = object_of(&m)?;
    let t = m.timeouts();
    let timeout = timeout(&t, if creating { "create" } else { "update" }, DEFAULT_TIMEOUT)?;
    // The configuration wins over another manager's change to a field it
    // sets, as the upstream typed resources' updates do.
    let opts = SetOptions { manager: FIELD_MANAGER.to_string(), force: true, wait: m.wait_for(), timeout, delete_timeout: DEFAULT_DELETE_TIMEOUT };
    let mut live = sets::apply_one(&k.cluster, &id, &obj, &opts).await?;
    let hash = fields::owned_hash(&live, FIELD_MANAGER);
    if crate::readiness::needs_wait(&id, &obj, opts.wait) {
        live = crate::readiness::wait_ready(&k.cluster, &id, timeout).await?;
    }
    m.after_apply(k, &id).await?;
    cx.keep_private(json!({ "hash": hash }));
    fill(&mut m, &id, &obj, &live, hash.as_deref(), &Ignore::default());
    Ok(m)
}

/// The id of a tracked object (its name as the cluster has it).
fn tracked<K: TypedKind>(m: &K) -> Result<(ObjectId, Json)> {
    let meta = meta_of(m);
    if meta.name.is_none() {
        return Err(KubeError::Config(format!("{}: the object has no name in state", K::TYPE)));
    }
    object_of(m)
}

#[async_trait]
impl<K: TypedKind, const V1: bool> Resource<Kubernetes> for Typed<K, V1> {
    type Model = K;
    const TYPE: &'static str = if V1 { K::TYPE_V1 } else { K::TYPE };

    fn validate(&self, config: &Value) -> Vec<(AttrPath, String)> {
        let Some(meta) = config.get("metadata").and_then(Value::as_list).and_then(|l| l.first()) else {
            return vec![(AttrPath::attr("metadata"), "a metadata block is required".to_string())];
        };
        let known = |k: &str| meta.get(k).is_some_and(|v| !v.is_null());
        let unknown = |k: &str| meta.get(k).is_some_and(|v| !v.is_wholly_known());
        if !known("name") && !known("generate_name") && !unknown("name") && !unknown("generate_name") {
            return vec![(AttrPath(vec![PathStep::Attr("metadata".into()), PathStep::Index(0)]), "name or generate_name is required".to_string())];
        }
        Vec::new()
    }

    /// A changed object gets a new resource_version (and generation); a
    /// generated name is known once the object exists.
    async fn modify_plan(&self, _cx: &Ctx<'_, Kubernetes>, prior: Option<&Value>, planned: &mut Value, _replace: &mut Vec<AttrPath>) -> Result<()> {
        let changed = prior.is_none_or(|p| p != &*planned);
        if !changed {
            return Ok(());
        }
        let meta_list = match planned {
            Value::Map(m) => m.get_mut("metadata"),
            _ => None,
        };
        if let Some(Value::List(items)) = meta_list {
            if let Some(Value::Map(meta)) = items.first_mut() {
                for k in ["resource_version", "generation"] {
                    meta.insert(k.to_string(), Value::Unknown);
                }
                if prior.is_none() {
                    meta.insert("uid".to_string(), Value::Unknown);
                    if meta.get("name").is_none_or(Value::is_null) {
                        meta.insert("name".to_string(), Value::Unknown);
                    }
                }
            }
        }
        if prior.is_none() {
            set(planned, "id", Value::Unknown);
        }
        Ok(())
    }

    async fn create(&self, cx: &Ctx<'_, Kubernetes>, planned: K) -> Result<K> {
        apply_typed(cx, planned, true).await
    }

    async fn update(&self, cx: &Ctx<'_, Kubernetes>, _prior: K, planned: K) -> Result<K> {
        apply_typed(cx, planned, false).await
    }

    async fn read(&self, cx: &Ctx<'_, Kubernetes>, mut current: K) -> Result<Option<K>> {
        let k = &cx.provider.cx;
        let (id, desired) = tracked(&current)?;
        let Some(live) = k.cluster.get(&id).await? else { return Ok(None) };
        let hash = cx.private.and_then(|p| p["hash"].as_str());
        fill(&mut current, &id, &desired, &live, hash, &k.ignore);
        Ok(Some(current))
    }

    async fn delete(&self, cx: &Ctx<'_, Kubernetes>, prior: K) -> Result<()> {
        let (id, _) = tracked(&prior)?;
        let t = prior.timeouts();
        cx.provider.cx.cluster.delete_and_wait(&id, timeout(&t, "delete", DEFAULT_DELETE_TIMEOUT)?).await
    }

    /// `namespace/name` (a name alone: namespace "default"), or a name for
    /// cluster-scoped kinds. Every field the object has is taken.
    async fn import(&self, cx: &Ctx<'_, Kubernetes>, id: &str) -> Result<Option<K>> {
        let k = &cx.provider.cx;
        let (namespace, name) = match (K::NAMESPACED, id.split_once('/')) {
            (true, Some((ns, n))) => (Some(ns.to_string()), n.to_string()),
            (true, None) => (Some("default".to_string()), id.to_string()),
            (false, _) => (None, id.to_string()),
        };
        let oid = ObjectId { api_version: K::API_VERSION.into(), kind: K::KIND.into(), namespace, name };
        let Some(live) = k.cluster.get(&oid).await? else { return Ok(None) };
        let mut m = K::default();
        // What iac applied before (a re-import), else the whole object.
        let desired = match fields::owned_set(&live, FIELD_MANAGER) {
            Some(owned) => {
                let mut d = fields::extract(&live, owned);
                for key in ["apiVersion", "kind"] {
                    d[key] = live[key].clone();
                }
                d
            }
            None => live.clone(),
        };
        let mut meta = K::Meta::default();
        meta.set_meta(Meta { name: Some(oid.name.clone()), namespace: oid.namespace.clone(), ..Meta::default() });
        *m.metadata_mut() = vec![meta];
        fill(&mut m, &oid, &desired, &live, None, &k.ignore);
        Ok(Some(m))
    }
}

/// Whether the model's timeouts block sets a delete time, else the default.
pub fn delete_timeout(t: &Option<Timeouts>) -> Result<Duration> {
    timeout(t, "delete", DEFAULT_DELETE_TIMEOUT)
}
