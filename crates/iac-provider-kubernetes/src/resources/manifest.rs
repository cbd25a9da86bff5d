//! `kubernetes_manifest`: one object of any kind (built-in or custom),
//! server-side applied under field manager `iac`. Refresh compares only the
//! fields we own (so what controllers set is not drift); a conflict with
//! another manager is an error carrying the API's message unless
//! `field_manager { force_conflicts = true }`; delete waits until the object
//! is gone; import takes Terraform's `apiVersion//kind//namespace//name`.
//! `object` is the object as the cluster has it, server-filled fields
//! included, without what changes on every write or belongs to
//! controllers (status, resourceVersion, generation, uid,
//! creationTimestamp, managedFields), as upstream keeps it; optional and
//! computed, as upstream declares it, though only the provider sets it.
//! It is taken at apply and import; refresh leaves it (see `read`).

use std::collections::BTreeMap;
use std::time::Instant;

use iac_core::{AttrPath, PathStep, Value};
use iac_provider_sdk::prelude::*;
use serde_json::{json, Value as Json};

use super::*;
use crate::error::{KubeError, Result};
use crate::fields;
use crate::object::{self, ObjectId};
use crate::readiness::{self, WaitFor};
use crate::sets::{self, SetOptions};
use crate::{Context, Kubernetes};

/// `kubernetes_manifest`'s attributes: the object itself is any value.
#[derive(Model, Debug, Clone, Default)]
pub struct ManifestModel {
    /// apiVersion//kind//namespace//name, the import id
    #[sdk(computed)]
    pub id: Option<String>,
    /// the object, as an HCL object (apiVersion, kind, metadata, ...)
    #[sdk(required)]
    pub manifest: Value,
    /// the object as the cluster has it, with the fields the API server
    /// filled in (status and write bookkeeping left out); set by the provider
    #[sdk(optional, computed)]
    pub object: Option<Value>,
    /// manifest fields the API server may change at apply (admission
    /// webhooks, defaulting), never shown as drift: paths such as
    /// metadata.annotations or spec.template.metadata.labels["team"]
    /// (default: metadata.annotations and metadata.labels)
    #[sdk(optional)]
    pub computed_fields: Option<Vec<String>>,
    /// wait for workloads to roll out (default true)
    #[sdk(optional)]
    pub wait_for_rollout: Option<bool>,
    #[sdk(block, max_items = 1)]
    pub field_manager: Option<FieldManager>,
    #[sdk(block, max_items = 1)]
    pub wait: Option<Wait>,
    #[sdk(block, max_items = 1)]
    pub timeouts: Option<Timeouts>,
}

/// The `wait` block: what the object must reach after apply.
#[derive(Model, Debug, Clone, Default)]
pub struct Wait {
    #[sdk(optional)]
    pub rollout: Option<bool>,
    /// field paths and regular expressions their values must match, e.g. {"status.phase" = "^Running$"}
    #[sdk(optional)]
    pub fields: Option<BTreeMap<String, String>>,
    #[sdk(block)]
    pub condition: Vec<Condition>,
}

/// A status condition to wait for.
#[derive(Model, Debug, Clone, Default)]
pub struct Condition {
    #[sdk(optional, name = "type")]
    pub kind: Option<String>,
    #[sdk(optional)]
    pub status: Option<String>,
}

/// The object without what changes on every write or belongs to
/// controllers (status, resourceVersion, generation, uid,
/// creationTimestamp, selfLink, managedFields: what upstream leaves out
/// of `object`), and without a Secret's values (`object` is shown in plans
/// and kept in state).
fn without_bookkeeping(live: Json) -> Json {
    let mut live = crate::object::redacted(&live);
    if let Some(o) = live.as_object_mut() {
        o.remove("status");
    }
    if let Some(m) = live.get_mut("metadata").and_then(Json::as_object_mut) {
        for k in ["managedFields", "uid", "resourceVersion", "generation", "creationTimestamp", "selfLink"] {
            m.remove(k);
        }
    }
    live
}

/// The identity fields: a change replaces the object.
fn identity(manifest: &Value) -> Vec<Option<&Value>> {
    let meta = manifest.get("metadata");
    vec![manifest.get("apiVersion"), manifest.get("kind"), meta.and_then(|m| m.get("name")), meta.and_then(|m| m.get("namespace"))]
}

/// The `wait` block's field patterns.
fn field_waits(fields: Option<&BTreeMap<String, String>>) -> std::result::Result<Vec<readiness::FieldWait>, String> {
    fields.into_iter().flatten().map(|(k, v)| readiness::FieldWait::new(k, v)).collect()
}

/// The object to send, with the namespace defaulted where the kind needs one.
async fn resolved(cx: &Context, manifest: &Value) -> Result<(ObjectId, Json)> {
    let mut obj = manifest.to_json();
    let mut id = ObjectId::of(&obj, "manifest")?;
    let kind = cx.cluster.require_kind(&id).await?;
    if kind.namespaced && id.namespace.is_none() {
        object::set_namespace(&mut obj, &cx.cluster.default_namespace);
        id.namespace = Some(cx.cluster.default_namespace.clone());
    } else if !kind.namespaced {
        object::clear_namespace(&mut obj);
        id.namespace = None;
    }
    Ok((id, obj))
}

impl ManifestModel {
    /// The id of a tracked object (its namespace as the cluster reported it).
    fn tracked_id(&self) -> Result<ObjectId> {
        let mut id = ObjectId::of(&self.manifest.to_json(), "manifest")?;
        if let Some(ns) = self.object.as_ref().and_then(|o| o.get("metadata")).and_then(|m| m.get("namespace")).and_then(Value::as_str) {
            id.namespace = Some(ns.to_string());
        }
        Ok(id)
    }

    /// Workloads roll out unless told otherwise; LoadBalancer Services and
    /// Argo CD Applications are awaited when `wait { rollout = true }` asks.
    fn waits(&self) -> WaitFor {
        let explicit = self.wait.as_ref().and_then(|w| w.rollout);
        let rollout = explicit.or(self.wait_for_rollout).unwrap_or(true);
        WaitFor { rollout, load_balancer: explicit == Some(true), applications: explicit == Some(true) }
    }

    /// Waits for the `wait` block's conditions and fields.
    async fn wait_for_block(&self, cx: &Context, id: &ObjectId, timeout: std::time::Duration) -> Result<()> {
        let Some(w) = &self.wait else { return Ok(()) };
        let conditions: Vec<(String, String)> =
            w.condition.iter().map(|c| (non_empty(&c.kind).unwrap_or("Ready").to_string(), non_empty(&c.status).unwrap_or("True").to_string())).collect();
        let fields = field_waits(w.fields.as_ref()).map_err(KubeError::Config)?;
        if conditions.is_empty() && fields.is_empty() {
            return Ok(());
        }
        let started = Instant::now();
        loop {
            let live = cx.cluster.get(id).await?.unwrap_or(Json::Null);
            let cond_ok = conditions.iter().all(|(t, s)| {
                live["status"]["conditions"].as_array().is_some_and(|cs| cs.iter().any(|c| c["type"] == t.as_str() && c["status"] == s.as_str()))
            });
            let field_ok = fields.iter().all(|f| f.holds(&live));
            if cond_ok && field_ok {
                return Ok(());
            }
            if started.elapsed() >= timeout {
                return Err(KubeError::Timeout {
                    what: format!("{id} to reach its wait conditions (conditions: {})", readiness::describe_conditions(&live)),
                    seconds: timeout.as_secs(),
                });
            }
            tokio::time::sleep(cx.cluster.tuning.poll).await;
        }
    }
}

/// One step of a `computed_fields` path.
#[derive(Debug, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
}

/// `spec.template.metadata.labels["app.kubernetes.io/name"]`, `spec.ports[0].port`.
fn parse_field_path(p: &str) -> Vec<Step> {
    let mut out = Vec::new();
    let mut rest = p.trim();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('[') {
            let end = match r.strip_prefix('"') {
                Some(quoted) => quoted.find('"').map(|i| i + 2),
                None => r.find(']'),
            };
            let Some(end) = end else { break };
            let inner = &r[..end];
            match inner.trim_matches('"').parse::<usize>() {
                Ok(i) if !inner.starts_with('"') => out.push(Step::Index(i)),
                _ => out.push(Step::Key(inner.trim_matches('"').to_string())),
            }
            rest = r[end..].trim_start_matches(']').trim_start_matches('.');
        } else {
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            out.push(Step::Key(rest[..end].to_string()));
            rest = rest[end..].strip_prefix('.').unwrap_or(&rest[end..]);
        }
    }
    out
}

/// Puts `desired`'s value at `path` into `seen` (where both have the parent).
fn keep_path(seen: &mut Json, desired: &Json, path: &[Step]) {
    let Some((first, rest)) = path.split_first() else {
        *seen = desired.clone();
        return;
    };
    let (s, d) = match first {
        Step::Key(k) => (seen.get_mut(k.as_str()), desired.get(k.as_str())),
        Step::Index(i) => (seen.get_mut(*i), desired.get(*i)),
    };
    match (s, d) {
        (Some(s), Some(d)) => keep_path(s, d, rest),
        (None, Some(d)) if rest.is_empty() => {
            if let (Step::Key(k), Some(m)) = (first, seen.as_object_mut()) {
                m.insert(k.clone(), d.clone());
            }
        }
        _ => {}
    }
}

/// The manifest an imported object starts from: the object without what
/// the server fills in.
fn importable(live: &Json) -> Json {
    let mut m = without_bookkeeping(live.clone());
    if let Some(meta) = m.get_mut("metadata").and_then(Json::as_object_mut) {
        for k in ["deletionTimestamp", "deletionGracePeriodSeconds"] {
            meta.remove(k);
        }
    }
    m
}

/// The `kubernetes_manifest` resource type.
pub struct Manifest;

#[async_trait]
impl Resource<Kubernetes> for Manifest {
    type Model = ManifestModel;
    const TYPE: &'static str = "kubernetes_manifest";

    fn validate(&self, config: &Value) -> Vec<(AttrPath, String)> {
        // Optional as upstream declares it, but only the provider sets it:
        // a configured value could never match the object after apply.
        if config.get("object").is_some_and(|o| !o.is_null()) {
            return vec![(
                AttrPath::attr("object"),
                "object is the object as the cluster has it, set by the provider: write the desired object in manifest".to_string(),
            )];
        }
        let fields = config.get("wait").and_then(|w| w.get("fields")).and_then(Value::as_map);
        let known: BTreeMap<String, String> =
            fields.into_iter().flat_map(|m| m.iter()).filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string()))).collect();
        if let Err(e) = field_waits(Some(&known)) {
            return vec![(AttrPath(vec![PathStep::Attr("wait".into()), PathStep::Attr("fields".into())]), e)];
        }
        let Some(m) = config.get("manifest") else { return Vec::new() };
        if !m.is_wholly_known() {
            return Vec::new();
        }
        match ObjectId::of(&m.to_json(), "manifest") {
            Ok(_) => Vec::new(),
            Err(e) => vec![(AttrPath::attr("manifest"), e.to_string())],
        }
    }

    /// A new identity replaces the object; a changed manifest makes the
    /// cluster's copy unknown.
    async fn modify_plan(&self, _cx: &Ctx<'_, Kubernetes>, prior: Option<&Value>, planned: &mut Value, replace: &mut Vec<AttrPath>) -> Result<()> {
        let Some(prior) = prior else { return Ok(()) };
        let (old, new) = (prior.get("manifest").cloned().unwrap_or_default(), planned.get("manifest").cloned().unwrap_or_default());
        if identity(&old) != identity(&new) {
            replace.push(AttrPath(vec![PathStep::Attr("manifest".into()), PathStep::Attr("metadata".into())]));
        }
        if old != new {
            set(planned, "object", Value::Unknown);
        }
        Ok(())
    }

    async fn create(&self, cx: &Ctx<'_, Kubernetes>, planned: ManifestModel) -> Result<ManifestModel> {
        apply(cx, "create", false, planned).await
    }

    async fn update(&self, cx: &Ctx<'_, Kubernetes>, _prior: ManifestModel, planned: ManifestModel) -> Result<ManifestModel> {
        // An imported object (a prior without our hash) is adopted: its
        // fields are taken over from whoever created it, as the import asked.
        let adopting = cx.private.is_none_or(|p| p.get("hash").is_none());
        apply(cx, "update", adopting, planned).await
    }

    async fn read(&self, cx: &Ctx<'_, Kubernetes>, mut current: ManifestModel) -> Result<Option<ManifestModel>> {
        let k = &cx.provider.cx;
        let id = current.tracked_id()?;
        let Some(live) = k.cluster.get(&id).await? else { return Ok(None) };
        let (manager, _) = field_manager(&current.field_manager);
        let desired = current.manifest.to_json();
        let hash = cx.private.and_then(|p| p["hash"].as_str());
        let mut seen = fields::observed(&desired, &live, &manager, hash);
        let paths = current.computed_fields.clone().unwrap_or_else(|| vec!["metadata.annotations".into(), "metadata.labels".into()]);
        for p in &paths {
            keep_path(&mut seen, &desired, &parse_field_path(p));
        }
        // `object` is optional, so any change to it would be drift to the
        // engine: it stays as the last apply (or import) left it, and drift
        // is what moved in the fields iac owns, shown in `manifest`.
        if current.object.is_none() {
            current.object = Some(Value::from_json(&without_bookkeeping(live)));
        }
        if seen != desired {
            current.manifest = Value::from_json(&seen);
        }
        Ok(Some(current))
    }

    async fn delete(&self, cx: &Ctx<'_, Kubernetes>, prior: ManifestModel) -> Result<()> {
        let id = prior.tracked_id()?;
        cx.provider.cx.cluster.delete_and_wait(&id, timeout(&prior.timeouts, "delete", DEFAULT_DELETE_TIMEOUT)?).await
    }

    async fn import(&self, cx: &Ctx<'_, Kubernetes>, id: &str) -> Result<Option<ManifestModel>> {
        let k = &cx.provider.cx;
        let id = ObjectId::parse_import(id)?;
        let live = k.cluster.get(&id).await?.ok_or_else(|| KubeError::Config(format!("import: {id} does not exist in {}", k.cluster.describe())))?;
        Ok(Some(ManifestModel {
            id: Some(id.import_id()),
            manifest: Value::from_json(&importable(&live)),
            object: Some(Value::from_json(&without_bookkeeping(live))),
            ..ManifestModel::default()
        }))
    }
}

/// Applies the object (`op`: `create` or `update`, whose time limit
/// applies); `adopting` takes over fields other managers own.
async fn apply(cx: &Ctx<'_, Kubernetes>, op: &str, adopting: bool, mut planned: ManifestModel) -> Result<ManifestModel> {
    let k = &cx.provider.cx;
    let (id, obj) = resolved(k, &planned.manifest).await?;
    let (manager, force) = field_manager(&planned.field_manager);
    let timeout = timeout(&planned.timeouts, op, DEFAULT_TIMEOUT)?;
    let opts = SetOptions { manager: manager.clone(), force: force || adopting, wait: planned.waits(), timeout, delete_timeout: DEFAULT_DELETE_TIMEOUT };
    let mut live = sets::apply_one(&k.cluster, &id, &obj, &opts).await?;
    let hash = fields::owned_hash(&live, &manager);
    if readiness::needs_wait(&id, &obj, opts.wait) {
        live = readiness::wait_ready(&k.cluster, &id, timeout).await?;
    }
    planned.wait_for_block(k, &id, timeout).await?;
    cx.keep_private(json!({ "hash": hash }));
    planned.id = Some(id.import_id());
    planned.object = Some(Value::from_json(&without_bookkeeping(live)));
    Ok(planned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn computed_fields_paths_parse_and_keep_the_manifest_value() {
        assert_eq!(parse_field_path("metadata.labels"), vec![Step::Key("metadata".into()), Step::Key("labels".into())]);
        assert_eq!(
            parse_field_path(r#"metadata.annotations["example.com/x.y"]"#),
            vec![Step::Key("metadata".into()), Step::Key("annotations".into()), Step::Key("example.com/x.y".into())]
        );
        assert_eq!(parse_field_path("spec.ports[1].port"), vec![Step::Key("spec".into()), Step::Key("ports".into()), Step::Index(1), Step::Key("port".into())]);
        let desired = json!({"metadata": {"annotations": {"a": "1"}}, "spec": {"ports": [{"port": 80}]}});
        let mut seen = json!({"metadata": {"annotations": {"a": "changed by a webhook"}}, "spec": {"ports": [{"port": 8080}]}});
        keep_path(&mut seen, &desired, &parse_field_path("metadata.annotations"));
        assert_eq!(seen["metadata"]["annotations"]["a"], "1");
        assert_eq!(seen["spec"]["ports"][0]["port"], 8080, "other fields stay observed");
        keep_path(&mut seen, &desired, &parse_field_path("spec.ports[0].port"));
        assert_eq!(seen["spec"]["ports"][0]["port"], 80);
    }
}
