//! The cluster's objects and every write to them: creation, update, the
//! patch flavours and server-side apply, deletion with finalizers and
//! namespace termination, validation, resource versions, the watch event
//! log, and the timers of the simulated controllers.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::Instant;

use serde_json::{json, Value};
use tokio::sync::broadcast;

use crate::apply::{self, ApplyRequest};
use crate::catalog::{Catalog, ResourceType, StorageKey};
use crate::controllers::{self, Timer};
use crate::error::{ApiError, Cause, Subject};
use crate::options::SimOptions;
use crate::selectors::{FieldSelector, LabelSelector};

/// Total size allowed for an object's annotations (why big CRDs need server-side apply).
pub const ANNOTATIONS_LIMIT: usize = 262_144;
/// Watch events kept for watches that resume from a resourceVersion.
const EVENT_LOG: usize = 20_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    Added,
    Modified,
    Deleted,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Event {
    pub key: StorageKey,
    pub namespace: String,
    pub kind: EventType,
    pub object: Value,
    pub rv: u64,
}

/// The content type of a PATCH.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchKind {
    Apply,
    Merge,
    StrategicMerge,
    Json,
}

/// A PATCH request: its flavour, body, `force`, and subresource (`status`, `scale`).
#[derive(Debug, Clone, Copy)]
pub struct Patch<'a> {
    pub kind: PatchKind,
    pub body: &'a Value,
    pub force: bool,
    pub subresource: Option<&'a str>,
}

/// Who writes, and how: shared by every write.
#[derive(Debug, Clone)]
pub struct WriteCtx<'a> {
    pub manager: &'a str,
    pub dry_run: bool,
    pub now: Instant,
    pub opts: &'a SimOptions,
}

type Objects = BTreeMap<(String, String), Value>;

/// A reconcile of one object that a controller (kro, KEDA) has pending.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Work {
    pub due: Instant,
    pub key: StorageKey,
    pub namespace: String,
    pub name: String,
}

pub struct Store {
    pub catalog: Catalog,
    pub(crate) objects: BTreeMap<StorageKey, Objects>,
    rv: u64,
    log: VecDeque<Arc<Event>>,
    tx: broadcast::Sender<Arc<Event>>,
    pub(crate) timers: Vec<Timer>,
    pub(crate) work: Vec<Work>,
    next_ip: u32,
}

impl Default for Store {
    fn default() -> Self {
        let (tx, _) = broadcast::channel(4096);
        let mut s =
            Store { catalog: Catalog::default(), objects: BTreeMap::new(), rv: 1, log: VecDeque::new(), tx, timers: Vec::new(), work: Vec::new(), next_ip: 1 };
        for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
            let mut obj = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": {"kubernetes.io/metadata.name": ns}}});
            obj["spec"] = json!({"finalizers": ["kubernetes"]});
            obj["status"] = json!({"phase": "Active"});
            s.seed("namespaces", obj);
        }
        // One Ready node, so node listings and DaemonSets have something to count.
        let node = json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "sim-node-1", "labels": {"kubernetes.io/hostname": "sim-node-1", "kubernetes.io/os": "linux", "node.kubernetes.io/instance-type": "sim"}},
            "spec": {"podCIDR": "10.244.0.0/24"},
            "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "kubelet is posting ready status"}], "nodeInfo": {"kubeletVersion": "v1.32.2", "operatingSystem": "linux", "architecture": "amd64"}, "addresses": [{"type": "InternalIP", "address": "10.0.0.10"}]}});
        s.seed("nodes", node);
        s
    }
}

pub fn timestamp() -> String {
    jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn subject<'a>(rt: &'a ResourceType, name: &'a str) -> Subject<'a> {
    Subject { group: &rt.group, plural: &rt.plural, name }
}

fn name_of(v: &Value) -> &str {
    v.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default()
}

fn meta(v: &mut Value) -> &mut serde_json::Map<String, Value> {
    if !v.get("metadata").is_some_and(Value::is_object) {
        v["metadata"] = json!({});
    }
    v["metadata"].as_object_mut().expect("metadata was just made an object")
}

/// Everything but metadata and status: what bumps `metadata.generation`.
fn spec_part(v: &Value) -> Value {
    let mut c = v.clone();
    if let Some(m) = c.as_object_mut() {
        m.remove("metadata");
        m.remove("status");
        m.remove("apiVersion");
        m.remove("kind");
    }
    c
}

impl Store {
    /// Stores a cluster-scoped object the cluster starts with.
    fn seed(&mut self, plural: &str, mut obj: Value) {
        let name = name_of(&obj).to_string();
        let m = meta(&mut obj);
        m.insert("uid".into(), json!(uuid::Uuid::new_v4().to_string()));
        m.insert("creationTimestamp".into(), json!(timestamp()));
        m.insert("resourceVersion".into(), json!(self.rv.to_string()));
        m.insert("generation".into(), json!(1));
        self.objects.entry(StorageKey { group: String::new(), plural: plural.into() }).or_default().insert((String::new(), name), obj);
    }

    pub fn resource_version(&self) -> u64 {
        self.rv
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.tx.subscribe()
    }

    /// Events after `rv` still in the log, or None when some are already gone (410 for the watcher).
    pub fn events_since(&self, rv: u64) -> Option<Vec<Arc<Event>>> {
        if let Some(first) = self.log.front() {
            if rv + 1 < first.rv && self.log.len() >= EVENT_LOG {
                return None;
            }
        }
        Some(self.log.iter().filter(|e| e.rv > rv).cloned().collect())
    }

    fn emit(&mut self, key: StorageKey, namespace: String, kind: EventType, object: Value) {
        let ev = Arc::new(Event { key, namespace, kind, object, rv: self.rv });
        if self.log.len() >= EVENT_LOG {
            self.log.pop_front();
        }
        self.log.push_back(ev.clone());
        let _ = self.tx.send(ev);
    }

    fn bump(&mut self) -> u64 {
        self.rv += 1;
        self.rv
    }

    /// The object as the client sees it through this version of its type.
    pub(crate) fn present(rt: &ResourceType, v: &Value) -> Value {
        let mut o = v.clone();
        o["apiVersion"] = json!(rt.api_version());
        o["kind"] = json!(rt.kind);
        o
    }

    fn namespace_of(rt: &ResourceType, ns: &str) -> String {
        if rt.namespaced {
            ns.to_string()
        } else {
            String::new()
        }
    }

    pub fn get(&self, rt: &ResourceType, ns: &str, name: &str) -> Result<Value, ApiError> {
        self.lookup(rt, ns, name).map(|v| Self::present(rt, v)).ok_or_else(|| ApiError::not_found(subject(rt, name)))
    }

    pub(crate) fn lookup(&self, rt: &ResourceType, ns: &str, name: &str) -> Option<&Value> {
        self.objects.get(&rt.storage_key())?.get(&(Self::namespace_of(rt, ns), name.to_string()))
    }

    /// Objects of a type (in one namespace, or all when `ns` is None) matching the selectors.
    pub fn list(&self, rt: &ResourceType, ns: Option<&str>, labels: &LabelSelector, fields: &FieldSelector) -> Vec<Value> {
        let Some(objs) = self.objects.get(&rt.storage_key()) else {
            return Vec::new();
        };
        objs.iter()
            .filter(|((n, _), _)| ns.is_none_or(|want| !rt.namespaced || want == n))
            .filter(|(_, v)| labels.matches(v) && fields.matches(v))
            .map(|(_, v)| Self::present(rt, v))
            .collect()
    }

    /// The printer columns of a custom kind, from its CRD.
    pub fn printer_columns(&self, rt: &ResourceType) -> Vec<crate::table::PrinterColumn> {
        let Some(crd) = &rt.crd else {
            return Vec::new();
        };
        self.objects
            .get(&StorageKey { group: "apiextensions.k8s.io".into(), plural: "customresourcedefinitions".into() })
            .and_then(|m| m.get(&(String::new(), crd.clone())))
            .map(|c| crate::table::printer_columns(c, &rt.version))
            .unwrap_or_default()
    }

    pub fn namespace_exists(&self, ns: &str) -> bool {
        self.objects.get(&StorageKey { group: String::new(), plural: "namespaces".into() }).is_some_and(|m| m.contains_key(&(String::new(), ns.to_string())))
    }

    fn namespace_terminating(&self, ns: &str) -> bool {
        self.objects
            .get(&StorageKey { group: String::new(), plural: "namespaces".into() })
            .and_then(|m| m.get(&(String::new(), ns.to_string())))
            .is_some_and(|n| n.pointer("/metadata/deletionTimestamp").is_some())
    }

    /// POST: creates a new object.
    pub fn create(&mut self, rt: &ResourceType, ns: &str, mut body: Value, ctx: &WriteCtx<'_>) -> Result<Value, ApiError> {
        self.check_body(rt, ns, None, &body)?;
        if name_of(&body).is_empty() {
            if let Some(prefix) = body.pointer("/metadata/generateName").and_then(Value::as_str) {
                let suffix: String = uuid::Uuid::new_v4().simple().to_string().chars().take(5).collect();
                let name = format!("{prefix}{suffix}");
                meta(&mut body).insert("name".into(), json!(name));
            }
        }
        let name = name_of(&body).to_string();
        if self.lookup(rt, ns, &name).is_some() {
            return Err(ApiError::already_exists(subject(rt, &name)));
        }
        if rt.has_status {
            if let Some(m) = body.as_object_mut() {
                m.remove("status");
            }
        }
        strip_server_metadata(&mut body);
        apply::record_update(None, &mut body, ctx.manager, &timestamp(), rt.has_status, None);
        self.commit(rt, ns, None, body, ctx)
    }

    /// PUT: replaces an object (or its status).
    pub fn replace(
        &mut self,
        rt: &ResourceType,
        ns: &str,
        name: &str,
        mut body: Value,
        subresource: Option<&str>,
        ctx: &WriteCtx<'_>,
    ) -> Result<Value, ApiError> {
        self.check_body(rt, ns, Some(name), &body)?;
        let Some(old) = self.lookup(rt, ns, name).cloned() else {
            if subresource.is_some() {
                return Err(ApiError::not_found(subject(rt, name)));
            }
            return self.create(rt, ns, body, ctx);
        };
        if let Some(want) = body.pointer("/metadata/resourceVersion").and_then(Value::as_str) {
            if !want.is_empty() && Some(want) != old.pointer("/metadata/resourceVersion").and_then(Value::as_str) {
                return Err(ApiError::conflict(
                    subject(rt, name),
                    "the object has been modified; please apply your changes to the latest version and try again",
                ));
            }
        }
        let mut new = match subresource {
            Some("status") => {
                let mut n = old.clone();
                n["status"] = body.get("status").cloned().unwrap_or(Value::Null);
                n
            }
            _ => {
                if rt.has_status {
                    body["status"] = old.get("status").cloned().unwrap_or(Value::Null);
                    if body["status"].is_null() {
                        body.as_object_mut().map(|m| m.remove("status"));
                    }
                }
                body
            }
        };
        let base = ownership_base(&old, &new);
        keep_server_metadata(&old, &mut new);
        apply::record_update(Some(&base), &mut new, ctx.manager, &timestamp(), rt.has_status, subresource);
        self.commit(rt, ns, Some(&old), new, ctx)
    }

    /// PATCH in any of its flavours. Returns the object and whether it was created (apply only).
    pub fn patch(&mut self, rt: &ResourceType, ns: &str, name: &str, patch: &Patch<'_>, ctx: &WriteCtx<'_>) -> Result<(Value, bool), ApiError> {
        let Patch { kind, body, subresource, .. } = *patch;
        let old = self.lookup(rt, ns, name).cloned();
        if kind == PatchKind::Apply {
            return self.server_side_apply(rt, ns, name, old, patch, ctx);
        }
        let Some(old) = old else {
            return Err(ApiError::not_found(subject(rt, name)));
        };
        let mut new = Self::present(rt, &old);
        match kind {
            PatchKind::Merge => json_patch::merge(&mut new, body),
            PatchKind::StrategicMerge => strategic_merge(&mut new, body),
            PatchKind::Json => {
                let p: json_patch::Patch = serde_json::from_value(body.clone()).map_err(|e| ApiError::bad_request(format!("invalid JSON patch: {e}")))?;
                json_patch::patch(&mut new, &p).map_err(|e| ApiError::injected(422, format!("the JSON patch could not be applied: {e}")))?;
            }
            PatchKind::Apply => unreachable!("handled above"),
        }
        self.check_body(rt, ns, Some(name), &new)?;
        let base = ownership_base(&old, &new);
        keep_server_metadata(&old, &mut new);
        match subresource {
            Some("status") => {
                let status = new.get("status").cloned();
                new = old.clone();
                if let Some(s) = status {
                    new["status"] = s;
                }
            }
            _ if rt.has_status => match old.get("status") {
                Some(s) => new["status"] = s.clone(),
                None => {
                    new.as_object_mut().map(|m| m.remove("status"));
                }
            },
            _ => {}
        }
        apply::record_update(Some(&base), &mut new, ctx.manager, &timestamp(), rt.has_status, subresource);
        Ok((self.commit(rt, ns, Some(&old), new, ctx)?, false))
    }

    fn server_side_apply(
        &mut self,
        rt: &ResourceType,
        ns: &str,
        name: &str,
        old: Option<Value>,
        patch: &Patch<'_>,
        ctx: &WriteCtx<'_>,
    ) -> Result<(Value, bool), ApiError> {
        let Patch { body, force, subresource, .. } = *patch;
        if ctx.manager.is_empty() {
            return Err(ApiError::invalid(
                &rt.kind,
                &rt.group,
                name,
                vec![Cause {
                    kind: "FieldValueRequired",
                    message: "Required value: is required for apply patch".into(),
                    field: "metadata.managedFields.fieldManager".into(),
                }],
            ));
        }
        self.check_body(rt, ns, Some(name), body)?;
        let api_version = body.get("apiVersion").and_then(Value::as_str).unwrap_or_default();
        if api_version.is_empty() || body.get("kind").and_then(Value::as_str).unwrap_or_default().is_empty() {
            return Err(ApiError::bad_request("invalid object type: apiVersion and kind are required for apply"));
        }
        if old.is_none() && subresource.is_some() {
            return Err(ApiError::not_found(subject(rt, name)));
        }
        // A resourceVersion in the applied body is a precondition.
        if let Some(want) = body.pointer("/metadata/resourceVersion").and_then(Value::as_str).filter(|v| !v.is_empty()) {
            if old.as_ref().and_then(|o| o.pointer("/metadata/resourceVersion")).and_then(Value::as_str) != Some(want) {
                return Err(ApiError::conflict(
                    subject(rt, name),
                    "the object has been modified; please apply your changes to the latest version and try again",
                ));
            }
        }
        let now = timestamp();
        let req = ApplyRequest { manager: ctx.manager, force, now: &now, ignore_status: rt.has_status, subresource };
        let live = old.as_ref().map(|o| Self::present(rt, o));
        let applied = match apply::apply(live.as_ref(), body, &req) {
            Ok(a) => a,
            Err(conflicts) if live.as_ref().is_some_and(|l| within_last_applied(l, &conflicts)) => {
                // As the API server does for objects kubectl used to apply client-side:
                // fields the last-applied configuration set are the applier's to take.
                apply::apply(live.as_ref(), body, &ApplyRequest { force: true, ..req }).map_err(|c| ApiError::apply_conflicts(subject(rt, name), &c))?
            }
            Err(conflicts) => return Err(ApiError::apply_conflicts(subject(rt, name), &conflicts)),
        };
        let created = old.is_none();
        if !applied.changed {
            return Ok((live.unwrap_or(applied.object), false));
        }
        let mut new = applied.object;
        if created {
            meta(&mut new).insert("name".into(), json!(name));
        }
        Ok((self.commit(rt, ns, old.as_ref(), new, ctx)?, created))
    }

    /// Checks what every write needs: kind, apiVersion, name and namespace agreeing with the URL.
    fn check_body(&self, rt: &ResourceType, ns: &str, url_name: Option<&str>, body: &Value) -> Result<(), ApiError> {
        if !body.is_object() {
            return Err(ApiError::bad_request("the request body must be a JSON or YAML object"));
        }
        if let Some(k) = body.get("kind").and_then(Value::as_str) {
            if k != rt.kind {
                return Err(ApiError::bad_request(format!("the kind in the data ({k}) does not match the kind of the requested resource ({})", rt.kind)));
            }
        }
        if let Some(av) = body.get("apiVersion").and_then(Value::as_str) {
            if av != rt.api_version() {
                return Err(ApiError::bad_request(format!(
                    "the API version in the data ({av}) does not match the expected API version ({})",
                    rt.api_version()
                )));
            }
        }
        let name = name_of(body);
        if let Some(u) = url_name {
            if !name.is_empty() && name != u {
                return Err(ApiError::bad_request(format!("the name of the object ({name}) does not match the name on the URL ({u})")));
            }
        }
        if rt.namespaced {
            if let Some(bns) = body.pointer("/metadata/namespace").and_then(Value::as_str) {
                if !bns.is_empty() && bns != ns {
                    return Err(ApiError::bad_request("the namespace of the provided object does not match the namespace sent on the request"));
                }
            }
        }
        Ok(())
    }

    /// Validation, faults, server metadata, controllers, storage and the watch event.
    fn commit(&mut self, rt: &ResourceType, ns: &str, old: Option<&Value>, mut new: Value, ctx: &WriteCtx<'_>) -> Result<Value, ApiError> {
        let ns = Self::namespace_of(rt, ns);
        let name = name_of(&new).to_string();
        self.validate(rt, &ns, &name, &new, old.is_none())?;
        let causes = crate::validation::check(rt, old, &new);
        if !causes.is_empty() {
            return Err(ApiError::invalid(&rt.kind, &rt.group, &name, causes));
        }
        self.injected_faults(rt, &ns, &name, &ctx.opts.faults)?;
        new["apiVersion"] = json!(rt.api_version());
        new["kind"] = json!(rt.kind);
        if new.get("spec").is_some_and(Value::is_object) {
            controllers::defaults(rt, old, &mut new, &mut self.next_ip);
        }
        let generation = match old {
            None => 1,
            Some(o) => {
                let g = o.pointer("/metadata/generation").and_then(Value::as_i64).unwrap_or(1);
                if spec_part(o) != spec_part(&new) {
                    g + 1
                } else {
                    g
                }
            }
        };
        {
            let m = meta(&mut new);
            if rt.namespaced {
                m.insert("namespace".into(), json!(ns));
            } else {
                m.remove("namespace");
            }
            m.insert("generation".into(), json!(generation));
            if old.is_none() {
                m.insert("uid".into(), json!(uuid::Uuid::new_v4().to_string()));
                m.insert("creationTimestamp".into(), json!(timestamp()));
            }
        }
        if let Some(o) = old {
            if without_rv(o) == without_rv(&new) {
                return Ok(Self::present(rt, o));
            }
        }
        // A finalizer removed from an object being deleted lets it go.
        let deleting = new.pointer("/metadata/deletionTimestamp").is_some();
        let finalizers_left = new.pointer("/metadata/finalizers").and_then(Value::as_array).is_some_and(|f| !f.is_empty());
        if deleting && !finalizers_left && !rt.is("", "Namespace") {
            if ctx.dry_run {
                return Ok(Self::present(rt, &new));
            }
            return Ok(self.remove_now(rt, &ns, &name));
        }
        let timers = controllers::on_write(rt, old, &mut new, ctx.opts, ctx.now);
        if ctx.dry_run {
            meta(&mut new).insert("resourceVersion".into(), json!(old.and_then(|o| o.pointer("/metadata/resourceVersion").cloned()).unwrap_or(json!(""))));
            return Ok(Self::present(rt, &new));
        }
        let rv = self.bump();
        meta(&mut new).insert("resourceVersion".into(), json!(rv.to_string()));
        if rt.is("apiextensions.k8s.io", "CustomResourceDefinition") {
            if let Err(e) = self.catalog.add_crd(&new) {
                tracing::warn!(crd = %name, error = %e, "CRD stored but not served");
            }
        }
        self.timers.extend(timers);
        self.objects.entry(rt.storage_key()).or_default().insert((ns.clone(), name.clone()), new.clone());
        let kind = if old.is_some() { EventType::Modified } else { EventType::Added };
        self.emit(rt.storage_key(), ns.clone(), kind, Self::present(rt, &new));
        self.enqueue(rt, &ns, &name, ctx.now);
        Ok(Self::present(rt, &new))
    }

    fn validate(&self, rt: &ResourceType, ns: &str, name: &str, obj: &Value, creating: bool) -> Result<(), ApiError> {
        let invalid = |field: &str, message: String, kind: &'static str| {
            Err(ApiError::invalid(&rt.kind, &rt.group, name, vec![Cause { kind, message, field: field.into() }]))
        };
        if name.is_empty() {
            return invalid("metadata.name", "Required value: name or generateName is required".into(), "FieldValueRequired");
        }
        let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.' || (rt.group == "rbac.authorization.k8s.io" && c == ':');
        let edges_ok = name.starts_with(|c: char| c.is_ascii_alphanumeric()) && name.ends_with(|c: char| c.is_ascii_alphanumeric());
        if name.len() > 253 || !name.chars().all(allowed) || !edges_ok {
            return invalid(
                "metadata.name",
                format!("Invalid value: \"{name}\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"),
                "FieldValueInvalid",
            );
        }
        if let Some(a) = obj.pointer("/metadata/annotations").and_then(Value::as_object) {
            let size: usize = a.iter().map(|(k, v)| k.len() + v.as_str().map_or(0, str::len)).sum();
            if size > ANNOTATIONS_LIMIT {
                return invalid("metadata.annotations", format!("Too long: may not be more than {ANNOTATIONS_LIMIT} bytes"), "FieldValueTooLong");
            }
        }
        if rt.namespaced {
            if ns.is_empty() {
                return Err(ApiError::bad_request("the server could not find the requested resource: a namespace is required for namespaced objects"));
            }
            if !self.namespace_exists(ns) {
                return Err(ApiError::namespace_not_found(ns));
            }
            if creating && self.namespace_terminating(ns) {
                return Err(ApiError::forbidden(subject(rt, name), format!("unable to create new content in namespace {ns} because it is being terminated")));
            }
        }
        if rt.is("apiextensions.k8s.io", "CustomResourceDefinition") {
            if let Err(m) = crate::catalog::crd_types(obj) {
                let (field, msg) = m.split_once(": ").unwrap_or(("spec", &m));
                return invalid(field, msg.to_string(), "FieldValueInvalid");
            }
        }
        Ok(())
    }

    fn injected_faults(&self, rt: &ResourceType, ns: &str, name: &str, faults: &crate::options::Faults) -> Result<(), ApiError> {
        if let Some(d) = faults.admission_denials.iter().find(|d| d.target.matches(&rt.kind, ns, name)) {
            return Err(ApiError::injected(400, format!("admission webhook \"{}\" denied the request: {}", d.webhook, d.message)));
        }
        if let Some(e) = faults.write_errors.iter().find(|e| e.target.matches(&rt.kind, ns, name)) {
            return Err(ApiError::injected(e.code, e.message.clone()));
        }
        Ok(())
    }

    /// DELETE: removes the object, or marks it for deletion while finalizers remain.
    pub fn delete(&mut self, rt: &ResourceType, ns: &str, name: &str, ctx: &WriteCtx<'_>) -> Result<Value, ApiError> {
        let ns = Self::namespace_of(rt, ns);
        let Some(old) = self.lookup(rt, &ns, name).cloned() else {
            return Err(ApiError::not_found(subject(rt, name)));
        };
        if ctx.dry_run {
            return Ok(Self::present(rt, &old));
        }
        if rt.is("", "Namespace") {
            return Ok(self.terminate_namespace(rt, name, old, ctx));
        }
        let has_finalizers = old.pointer("/metadata/finalizers").and_then(Value::as_array).is_some_and(|f| !f.is_empty());
        if has_finalizers {
            if old.pointer("/metadata/deletionTimestamp").is_some() {
                return Ok(Self::present(rt, &old));
            }
            let mut marked = old.clone();
            meta(&mut marked).insert("deletionTimestamp".into(), json!(timestamp()));
            meta(&mut marked).insert("deletionGracePeriodSeconds".into(), json!(0));
            let rv = self.bump();
            meta(&mut marked).insert("resourceVersion".into(), json!(rv.to_string()));
            self.objects.entry(rt.storage_key()).or_default().insert((ns.clone(), name.to_string()), marked.clone());
            self.emit(rt.storage_key(), ns, EventType::Modified, Self::present(rt, &marked));
            return Ok(Self::present(rt, &marked));
        }
        Ok(self.remove_now(rt, &ns, name))
    }

    pub(crate) fn remove_now(&mut self, rt: &ResourceType, ns: &str, name: &str) -> Value {
        let Some(obj) = self.objects.get_mut(&rt.storage_key()).and_then(|m| m.remove(&(ns.to_string(), name.to_string()))) else {
            return Value::Null;
        };
        self.enqueue(rt, ns, name, Instant::now());
        let rv = self.bump();
        let mut gone = Self::present(rt, &obj);
        meta(&mut gone).insert("resourceVersion".into(), json!(rv.to_string()));
        self.emit(rt.storage_key(), ns.to_string(), EventType::Deleted, gone.clone());
        if rt.is("apiextensions.k8s.io", "CustomResourceDefinition") {
            self.drop_custom_resources(&obj);
        }
        gone
    }

    fn drop_custom_resources(&mut self, crd: &Value) {
        let Ok(types) = crate::catalog::crd_types(crd) else {
            return;
        };
        self.catalog.remove_crd(name_of(crd));
        let Some(t) = types.first() else { return };
        let keys: Vec<(String, String)> = self.objects.get(&t.storage_key()).map(|m| m.keys().cloned().collect()).unwrap_or_default();
        for (ns, name) in keys {
            self.remove_now(t, &ns, &name);
        }
    }

    /// A namespace goes `Terminating`, its objects are deleted, and it disappears once empty.
    fn terminate_namespace(&mut self, rt: &ResourceType, name: &str, old: Value, ctx: &WriteCtx<'_>) -> Value {
        let mut marked = old.clone();
        if marked.pointer("/metadata/deletionTimestamp").is_none() {
            meta(&mut marked).insert("deletionTimestamp".into(), json!(timestamp()));
            marked["status"] = json!({"phase": "Terminating"});
            let rv = self.bump();
            meta(&mut marked).insert("resourceVersion".into(), json!(rv.to_string()));
            self.objects.entry(rt.storage_key()).or_default().insert((String::new(), name.to_string()), marked.clone());
            self.emit(rt.storage_key(), String::new(), EventType::Modified, Self::present(rt, &marked));
            let types: Vec<ResourceType> = self.catalog.all().filter(|t| t.namespaced).cloned().collect();
            let mut seen = std::collections::BTreeSet::new();
            for t in types {
                if !seen.insert(t.storage_key()) {
                    continue;
                }
                let names: Vec<String> =
                    self.objects.get(&t.storage_key()).map(|m| m.keys().filter(|(n, _)| n == name).map(|(_, o)| o.clone()).collect()).unwrap_or_default();
                for o in names {
                    let _ = self.delete(&t, name, &o, ctx);
                }
            }
            self.timers.push(Timer::namespace_gone(name, ctx.now, ctx.opts));
        }
        Self::present(rt, &marked)
    }

    fn namespace_empty(&self, ns: &str) -> bool {
        self.objects.iter().all(|(_, m)| !m.keys().any(|(n, _)| n == ns))
    }

    /// Queues a reconcile of the object for the controller that watches its
    /// kind (kro for ResourceGraphDefinitions and their instances, KEDA for
    /// ScaledObjects), unless one is already queued.
    fn enqueue(&mut self, rt: &ResourceType, ns: &str, name: &str, now: Instant) {
        if !(crate::kro::watches(self, rt) || crate::keda::watches(rt)) {
            return;
        }
        self.requeue(rt.storage_key(), ns, name, now);
    }

    /// Queues (or brings forward) a controller's reconcile of an object.
    pub(crate) fn requeue(&mut self, key: StorageKey, ns: &str, name: &str, due: Instant) {
        match self.work.iter_mut().find(|w| w.key == key && w.namespace == ns && w.name == name) {
            Some(w) => w.due = w.due.min(due),
            None => self.work.push(Work { due, key, namespace: ns.to_string(), name: name.to_string() }),
        }
    }

    /// Runs the controllers whose time has come.
    pub fn tick(&mut self, now: Instant, opts: &SimOptions) {
        // Bounded, so controllers that keep queueing each other cannot hold the store.
        for _ in 0..64 {
            let Some(i) = self.work.iter().position(|w| w.due <= now) else { break };
            let w = self.work.remove(i);
            if crate::keda::watches_key(&w.key) {
                crate::keda::reconcile(self, &w, now, opts);
            } else {
                crate::kro::reconcile(self, &w, now, opts);
            }
        }
        if self.timers.iter().all(|t| t.due > now) {
            return;
        }
        let (due, later): (Vec<Timer>, Vec<Timer>) = std::mem::take(&mut self.timers).into_iter().partition(|t| t.due <= now);
        self.timers = later;
        for t in due {
            if t.is_namespace_gone() {
                if self.namespace_empty(&t.name) {
                    if let Some(rt) = self.catalog.find_kind("v1", "Namespace").cloned() {
                        self.remove_now(&rt, "", &t.name);
                    }
                } else {
                    self.timers.push(Timer::namespace_gone(&t.name, now, opts));
                }
                continue;
            }
            let Some(rt) = self.catalog.all().find(|r| r.storage_key() == t.key).cloned() else {
                continue;
            };
            let Some(old) = self.lookup(&rt, &t.namespace, &t.name).cloned() else {
                continue;
            };
            if t.is_application() && crate::argocd::local_repo(&old).is_some() {
                crate::argocd::sync(self, &rt, &t, now, opts);
                continue;
            }
            let mut new = old.clone();
            if !controllers::fire(&t, &mut new, opts, now) {
                continue;
            }
            apply::record_update(Some(&old), &mut new, controllers::manager_for(&rt), &timestamp(), false, Some("status"));
            let rv = self.bump();
            meta(&mut new).insert("resourceVersion".into(), json!(rv.to_string()));
            self.objects.entry(rt.storage_key()).or_default().insert((t.namespace.clone(), t.name.clone()), new.clone());
            self.emit(rt.storage_key(), t.namespace.clone(), EventType::Modified, Self::present(&rt, &new));
        }
    }
}

fn without_rv(v: &Value) -> Value {
    let mut c = v.clone();
    if let Some(m) = c.get_mut("metadata").and_then(Value::as_object_mut) {
        m.remove("resourceVersion");
    }
    c
}

/// A client may not set these on create.
fn strip_server_metadata(v: &mut Value) {
    let m = meta(v);
    for k in ["uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "managedFields", "selfLink"] {
        m.remove(k);
    }
}

/// Whether every conflict is on a field of the object's client-side-apply
/// annotation (`kubectl.kubernetes.io/last-applied-configuration`).
fn within_last_applied(live: &Value, conflicts: &[apply::Conflict]) -> bool {
    let Some(text) = live.pointer("/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration").and_then(Value::as_str) else {
        return false;
    };
    let Ok(last) = serde_json::from_str::<Value>(text) else {
        return false;
    };
    let fields: std::collections::HashSet<String> = crate::fields::FieldSet::of_object(&last, true).0.iter().map(crate::fields::display).collect();
    conflicts.iter().all(|(_, _, field)| fields.contains(field))
}

/// The object whose ownership an update starts from: the stored one, with
/// the client's `managedFields` when it sends different ones (kubectl
/// rewrites them when it moves client-side-apply ownership to server-side
/// apply; `[{}]` clears them).
fn ownership_base(old: &Value, sent: &Value) -> Value {
    match sent.pointer("/metadata/managedFields") {
        Some(m) if Some(m) != old.pointer("/metadata/managedFields") => {
            let mut base = old.clone();
            meta(&mut base).insert("managedFields".into(), m.clone());
            base
        }
        _ => old.clone(),
    }
}

/// Server-set metadata survives updates whatever the client sends.
fn keep_server_metadata(old: &Value, new: &mut Value) {
    let m = meta(new);
    for k in ["uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "managedFields", "generation"] {
        match old.pointer(&format!("/metadata/{k}")) {
            Some(v) => m.insert(k.into(), v.clone()),
            None => m.remove(k),
        };
    }
}

/// Strategic merge patch, approximated: a JSON merge patch whose lists of
/// keyed objects merge item by item, with `$patch: delete` on items.
fn strategic_merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, pv) in p {
                if k.starts_with('$') {
                    continue;
                }
                if pv.is_null() {
                    t.remove(k);
                    continue;
                }
                match (t.get_mut(k), pv) {
                    (Some(Value::Array(ta)), Value::Array(pa)) => {
                        if let crate::fields::ListKind::Map(keys) = crate::fields::list_kind(k, pa) {
                            for item in pa {
                                let key = crate::fields::item_key(item, keys);
                                let pos = ta.iter().position(|x| x.is_object() && crate::fields::item_key(x, keys) == key);
                                let delete = item.get("$patch").and_then(Value::as_str) == Some("delete");
                                match (pos, delete) {
                                    (Some(i), true) => {
                                        ta.remove(i);
                                    }
                                    (Some(i), false) => strategic_merge(&mut ta[i], item),
                                    (None, false) => ta.push(item.clone()),
                                    (None, true) => {}
                                }
                            }
                        } else {
                            t.insert(k.clone(), pv.clone());
                        }
                    }
                    (Some(tv), _) if tv.is_object() && pv.is_object() => strategic_merge(tv, pv),
                    _ => {
                        t.insert(k.clone(), pv.clone());
                    }
                }
            }
        }
        (t, p) => *t = p.clone(),
    }
}
