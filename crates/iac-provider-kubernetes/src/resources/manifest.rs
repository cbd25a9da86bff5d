//! `kubernetes_manifest`: one object of any kind (built-in or custom),
//! server-side applied under field manager `iac`. Refresh compares only the
//! fields we own (so what controllers set is not drift); a conflict with
//! another manager is an error carrying the API's message unless
//! `field_manager { force_conflicts = true }`; delete waits until the object
//! is gone; import takes Terraform's `apiVersion//kind//namespace//name`.

use std::time::Instant;

use iac_core::plan::default_plan;
use iac_core::provider::*;
use iac_core::{AttrPath, PathStep, Value};
use serde_json::{json, Value as Json};

use super::*;
use crate::error::{KubeError, Result};
use crate::fields;
use crate::object::{self, ObjectId};
use crate::readiness::{self, WaitFor};
use crate::sets::{self, SetOptions};
use crate::{schema, Context};

/// The object without what the server keeps for itself (and without a
/// Secret's values: `object` is shown in plans and kept in state).
fn without_bookkeeping(live: Json) -> Json {
    let mut live = crate::object::redacted(&live);
    if let Some(m) = live.get_mut("metadata").and_then(Json::as_object_mut) {
        m.remove("managedFields");
    }
    live
}

/// The identity fields: a change replaces the object.
fn identity(manifest: &Value) -> Vec<Option<&Value>> {
    let meta = manifest.get("metadata");
    vec![manifest.get("apiVersion"), manifest.get("kind"), meta.and_then(|m| m.get("name")), meta.and_then(|m| m.get("namespace"))]
}

pub fn validate(config: &Value) -> Vec<(AttrPath, String)> {
    if let Err(e) = field_waits(config) {
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

pub async fn plan(_cx: &Context, req: &PlanChangeRequest) -> Result<PlanChangeResponse> {
    let mut r = default_plan(&schema::manifest(), req.prior.as_ref(), &req.config);
    r.private = req.private.clone();
    if let Some(prior) = &req.prior {
        let (old, new) = (prior.get("manifest").cloned().unwrap_or_default(), req.config.get("manifest").cloned().unwrap_or_default());
        if identity(&old) != identity(&new) {
            r.requires_replace.push(AttrPath(vec![PathStep::Attr("manifest".into()), PathStep::Attr("metadata".into())]));
        }
        if old != new {
            set(&mut r.planned, "object", Value::Unknown);
        }
    }
    Ok(r)
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

/// The id of a tracked object (its namespace as the cluster reported it).
fn tracked_id(v: &Value) -> Result<ObjectId> {
    let mut id = ObjectId::of(&v.get("manifest").map(Value::to_json).unwrap_or(Json::Null), "manifest")?;
    if let Some(ns) = v.get("object").and_then(|o| o.get("metadata")).and_then(|m| m.get("namespace")).and_then(Value::as_str) {
        id.namespace = Some(ns.to_string());
    }
    Ok(id)
}

/// Workloads roll out unless told otherwise; LoadBalancer Services and
/// Argo CD Applications are awaited when `wait { rollout = true }` asks.
fn waits(config: &Value) -> WaitFor {
    let explicit = config.get("wait").and_then(|w| get_bool(w, "rollout"));
    let rollout = explicit.or_else(|| get_bool(config, "wait_for_rollout")).unwrap_or(true);
    WaitFor { rollout, load_balancer: explicit == Some(true), applications: explicit == Some(true) }
}

/// The `wait` block's field patterns.
fn field_waits(config: &Value) -> std::result::Result<Vec<readiness::FieldWait>, String> {
    let fields = config.get("wait").and_then(|w| w.get("fields")).and_then(Value::as_map);
    fields.into_iter().flat_map(|m| m.iter()).filter_map(|(k, v)| v.as_str().map(|v| readiness::FieldWait::new(k, v))).collect()
}

/// Waits for the `wait` block's conditions and fields.
async fn wait_for_block(cx: &Context, id: &ObjectId, config: &Value, timeout: std::time::Duration) -> Result<()> {
    let Some(w) = config.get("wait").filter(|w| !w.is_null()) else { return Ok(()) };
    let conditions: Vec<(String, String)> = w
        .get("condition")
        .and_then(Value::as_list)
        .unwrap_or(&[])
        .iter()
        .map(|c| (get_str(c, "type").unwrap_or("Ready").to_string(), get_str(c, "status").unwrap_or("True").to_string()))
        .collect();
    let fields = field_waits(config).map_err(KubeError::Config)?;
    if conditions.is_empty() && fields.is_empty() {
        return Ok(());
    }
    let started = Instant::now();
    loop {
        let live = cx.cluster.get(id).await?.unwrap_or(Json::Null);
        let cond_ok = conditions
            .iter()
            .all(|(t, s)| live["status"]["conditions"].as_array().is_some_and(|cs| cs.iter().any(|c| c["type"] == t.as_str() && c["status"] == s.as_str())));
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

pub async fn apply(cx: &Context, req: &ApplyChangeRequest) -> Result<ApplyChangeResponse> {
    let manifest = req.planned.get("manifest").cloned().unwrap_or_default();
    let (id, obj) = resolved(cx, &manifest).await?;
    let (manager, force) = field_manager(&req.config);
    // An imported object (a prior without our hash) is adopted: its fields
    // are taken over from whoever created it, as the import asked.
    let adopting = req.prior.is_some() && req.private.as_ref().is_none_or(|p| p.get("hash").is_none());
    let force = force || adopting;
    let timeout = timeout(&req.config, if req.prior.is_none() { "create" } else { "update" }, DEFAULT_TIMEOUT)?;
    let opts = SetOptions { manager: manager.clone(), force, wait: waits(&req.config), timeout, delete_timeout: DEFAULT_DELETE_TIMEOUT };
    let mut live = sets::apply_one(&cx.cluster, &id, &obj, &opts).await?;
    let hash = fields::owned_hash(&live, &manager);
    if readiness::needs_wait(&id, &obj, opts.wait) {
        live = readiness::wait_ready(&cx.cluster, &id, timeout).await?;
    }
    wait_for_block(cx, &id, &req.config, timeout).await?;
    let mut state = req.planned.clone();
    set(&mut state, "id", Value::from(id.import_id()));
    set(&mut state, "object", Value::from_json(&without_bookkeeping(live)));
    Ok(ApplyChangeResponse { new_state: state, private: Some(json!({ "hash": hash })) })
}

pub async fn read(cx: &Context, req: &ReadRequest) -> Result<Option<Value>> {
    let id = tracked_id(&req.current)?;
    let Some(live) = cx.cluster.get(&id).await? else { return Ok(None) };
    let (manager, _) = field_manager(&req.current);
    let desired = req.current.get("manifest").map(Value::to_json).unwrap_or(Json::Null);
    let hash = req.private.as_ref().and_then(|p| p["hash"].as_str());
    let seen = fields::observed(&desired, &live, &manager, hash);
    let mut v = req.current.clone();
    if seen != desired {
        set(&mut v, "manifest", Value::from_json(&seen));
    }
    set(&mut v, "object", Value::from_json(&without_bookkeeping(live)));
    Ok(Some(v))
}

pub async fn delete(cx: &Context, req: &DeleteRequest) -> Result<()> {
    let id = tracked_id(&req.prior)?;
    cx.cluster.delete_and_wait(&id, timeout(&req.prior, "delete", DEFAULT_DELETE_TIMEOUT)?).await
}

/// The manifest an imported object starts from: the object without what
/// the server fills in.
fn importable(live: &Json) -> Json {
    let mut m = without_bookkeeping(live.clone());
    if let Some(o) = m.as_object_mut() {
        o.remove("status");
    }
    if let Some(meta) = m.get_mut("metadata").and_then(Json::as_object_mut) {
        for k in ["uid", "resourceVersion", "generation", "creationTimestamp", "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds"] {
            meta.remove(k);
        }
    }
    m
}

pub async fn import(cx: &Context, req: &ImportRequest) -> Result<Value> {
    let id = ObjectId::parse_import(&req.id)?;
    let live = cx.cluster.get(&id).await?.ok_or_else(|| KubeError::Config(format!("import: {id} does not exist in {}", cx.cluster.describe())))?;
    Ok(Value::map([
        ("id", Value::from(id.import_id())),
        ("manifest", Value::from_json(&importable(&live))),
        ("object", Value::from_json(&without_bookkeeping(live))),
        ("wait_for_rollout", Value::Null),
        ("field_manager", Value::Null),
        ("wait", Value::Null),
        ("timeouts", Value::Null),
    ]))
}
