//! Argo CD's application controller, for Applications whose repository is
//! a git repository on this machine (`repoURL: file:///path/to/repo`): the
//! sync reads the manifests of `spec.source.path` at `targetRevision` with
//! the `git` program (as a directory source: `*.yaml`, `*.yml` and `*.json`
//! files, subfolders only with `directory.recurse`), and applies them as
//! Argo CD does: server-side apply, in sync-wave order and, within a wave,
//! in Argo CD's kind order (namespaces and CRDs first); each object carries
//! Argo CD's tracking annotation; `CreateNamespace=true` makes the
//! destination namespace; with `automated.prune`, tracked objects no
//! longer in the repository are deleted. A failed sync (a kind the cluster
//! does not serve yet) is retried; new commits are picked up every
//! `git_poll_ms`. Applications of other repositories keep the plain
//! simulation in `controllers` (Synced and Healthy after a delay).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{json, Value};

use crate::catalog::ResourceType;
use crate::controllers::Timer;
use crate::options::SimOptions;
use crate::store::{timestamp, Patch, PatchKind, Store, WriteCtx};

const MANAGER: &str = "argocd-controller";
const STATUS_MANAGER: &str = "argocd-application-controller";
const TRACKING: &str = "argocd.argoproj.io/tracking-id";

/// Argo CD's apply order of kinds within a wave (gitops-engine's kind order); other kinds come after.
const KIND_ORDER: &[&str] = &[
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleBinding",
    "Role",
    "RoleBinding",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
];

/// The repository of an Application when it is a local git repository.
pub fn local_repo(app: &Value) -> Option<PathBuf> {
    let url = app.pointer("/spec/source/repoURL")?.as_str()?;
    url.strip_prefix("file://").map(PathBuf::from)
}

fn git(repo: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new("git").arg("-C").arg(repo).args(args).output().map_err(|e| format!("cannot run git: {e}"))?;
    if !out.status.success() {
        return Err(format!("git {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim()));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The commit `rev` names, and the manifests under `path` in it.
fn read_manifests(repo: &Path, rev: &str, path: &str, recurse: bool) -> Result<(String, Vec<Value>), String> {
    let sha =
        git(repo, &["rev-parse", "--verify", "--quiet", &format!("{rev}^{{commit}}")]).map_err(|_| format!("unable to resolve '{rev}' to a commit SHA"))?;
    let sha = sha.trim().to_string();
    let dir = path.trim_matches('/');
    let dir = if dir == "." { "" } else { dir };
    let listing = git(repo, &["ls-tree", "-r", "--name-only", &sha, "--", if dir.is_empty() { "." } else { dir }])?;
    let mut objects = Vec::new();
    for file in listing.lines().filter(|f| [".yaml", ".yml", ".json"].iter().any(|x| f.ends_with(x))) {
        let rel = if dir.is_empty() { file } else { file.strip_prefix(dir).map(|r| r.trim_start_matches('/')).unwrap_or(file) };
        if !recurse && rel.contains('/') {
            continue;
        }
        let text = git(repo, &["show", &format!("{sha}:{file}")])?;
        for doc in serde_norway::Deserializer::from_str(&text) {
            let v = Value::deserialize(doc).map_err(|e| format!("{file}: {e}"))?;
            if v.is_null() {
                continue;
            }
            if v.get("apiVersion").and_then(Value::as_str).is_none() || v.get("kind").and_then(Value::as_str).is_none() {
                return Err(format!("{file}: a document without apiVersion and kind"));
            }
            objects.push(v);
        }
    }
    Ok((sha, objects))
}

fn wave(obj: &Value) -> i64 {
    obj.pointer("/metadata/annotations/argocd.argoproj.io~1sync-wave").and_then(Value::as_str).and_then(|w| w.trim().parse().ok()).unwrap_or(0)
}

fn kind_rank(obj: &Value) -> usize {
    let kind = obj.get("kind").and_then(Value::as_str).unwrap_or_default();
    KIND_ORDER.iter().position(|k| *k == kind).unwrap_or(KIND_ORDER.len())
}

fn group_of(api_version: &str) -> &str {
    api_version.rsplit_once('/').map(|(g, _)| g).unwrap_or("")
}

/// Argo CD's annotation-based tracking id.
fn tracking_id(app: &str, rt: &ResourceType, ns: &str, name: &str) -> String {
    format!("{app}:{}/{}:{ns}/{name}", rt.group, rt.kind)
}

/// Syncs the Application a due timer names, and schedules its next look at the repository.
pub fn sync(store: &mut Store, app_rt: &ResourceType, t: &Timer, now: Instant, opts: &SimOptions) {
    let Some(app) = store.lookup(app_rt, &t.namespace, &t.name).cloned() else { return };
    if t.stale_for(&app) || app.pointer("/metadata/deletionTimestamp").is_some() {
        return;
    }
    let repo = local_repo(&app).unwrap_or_default();
    let source = app.pointer("/spec/source").cloned().unwrap_or(json!({}));
    let rev = source.get("targetRevision").and_then(Value::as_str).filter(|r| !r.is_empty()).unwrap_or("HEAD");
    let path = source.get("path").and_then(Value::as_str).unwrap_or(".");
    let recurse = source.pointer("/directory/recurse").and_then(Value::as_bool).unwrap_or(false);
    let status = app.get("status").cloned().unwrap_or(json!({}));
    let ctx = WriteCtx { manager: MANAGER, dry_run: false, now, opts };

    let result = read_manifests(&repo, rev, path, recurse);
    let next = now + Duration::from_millis(opts.git_poll_ms.max(50));
    store.timers.retain(|x| !(x.is_application() && x.key == t.key && x.namespace == t.namespace && x.name == t.name));
    store.timers.push(Timer::application(t.key.clone(), &t.namespace, &t.name, next));
    let (sha, mut objects) = match result {
        Ok(r) => r,
        Err(e) => {
            let s = json!({"sync": {"status": "Unknown"}, "health": {"status": "Healthy"},
                "conditions": [{"type": "ComparisonError", "message": format!("Failed to load target state: {e}"), "lastTransitionTime": timestamp()}],
                "reconciledAt": timestamp()});
            write_status(store, app_rt, t, s, now, opts);
            return;
        }
    };
    // A poll finds nothing to do when the revision is the one synced; an
    // edit of the Application (a timer of its generation) always syncs.
    let up_to_date = t.is_poll()
        && status.pointer("/sync/revision").and_then(Value::as_str) == Some(sha.as_str())
        && status.pointer("/sync/status").and_then(Value::as_str) == Some("Synced");
    if up_to_date {
        return;
    }
    objects.sort_by_key(|o| (wave(o), kind_rank(o)));
    let app_name = t.name.clone();
    let dest_ns = app.pointer("/spec/destination/namespace").and_then(Value::as_str).unwrap_or("default").to_string();
    let options: Vec<String> =
        app.pointer("/spec/syncPolicy/syncOptions").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).map(str::to_string).collect();
    if options.iter().any(|o| o == "CreateNamespace=true") && !store.namespace_exists(&dest_ns) {
        if let Some(ns_rt) = store.catalog.find_kind("v1", "Namespace").cloned() {
            let body = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": dest_ns}});
            let _ = store.patch(&ns_rt, "", &dest_ns, &Patch { kind: PatchKind::Apply, body: &body, force: true, subresource: None }, &ctx);
        }
    }
    let mut synced = Vec::new();
    let mut failure: Option<String> = None;
    let mut current_wave = None;
    let mut desired = BTreeSet::new();
    for mut obj in objects {
        let w = wave(&obj);
        // A wave starts only when the waves before it all applied.
        if failure.is_some() && current_wave != Some(w) {
            break;
        }
        current_wave = Some(w);
        let api_version = obj.get("apiVersion").and_then(Value::as_str).unwrap_or_default().to_string();
        let kind = obj.get("kind").and_then(Value::as_str).unwrap_or_default().to_string();
        let name = obj.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default().to_string();
        let Some(rt) = store.catalog.find_kind(&api_version, &kind).cloned() else {
            failure.get_or_insert_with(|| format!("The Kubernetes API could not find {}/{kind} for requested resource {name}. Make sure the \"{kind}\" CRD is installed on the destination cluster.", group_of(&api_version)));
            continue;
        };
        let ns = if rt.namespaced { obj.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or(&dest_ns).to_string() } else { String::new() };
        if rt.namespaced {
            obj["metadata"]["namespace"] = json!(ns);
        }
        let id = tracking_id(&app_name, &rt, &ns, &name);
        if !obj["metadata"]["annotations"].is_object() {
            obj["metadata"]["annotations"] = json!({});
        }
        obj["metadata"]["annotations"][TRACKING] = json!(id);
        desired.insert(id);
        let result = store.patch(&rt, &ns, &name, &Patch { kind: PatchKind::Apply, body: &obj, force: true, subresource: None }, &ctx);
        let entry = json!({"group": rt.group, "version": rt.version, "kind": kind, "namespace": ns, "name": name});
        match result {
            Ok(_) => synced.push(entry),
            Err(e) => {
                failure.get_or_insert_with(|| format!("{kind} {name}: {}", e.message));
            }
        }
    }
    let prune = app.pointer("/spec/syncPolicy/automated/prune").and_then(Value::as_bool).unwrap_or(false);
    let mut pruned = 0;
    if prune && failure.is_none() {
        pruned = prune_untracked(store, &app_name, &desired, &ctx);
    }
    let finished = timestamp();
    let (sync_status, health, phase, message) = match &failure {
        None => (
            "Synced",
            "Healthy",
            "Succeeded",
            format!("successfully synced (all tasks run){}", if pruned > 0 { format!(", {pruned} pruned") } else { String::new() }),
        ),
        Some(m) => ("OutOfSync", "Missing", "Failed", format!("one or more objects failed to apply, reason: {m} (retrying)")),
    };
    let s = json!({
        "sync": {"status": sync_status, "revision": sha, "comparedTo": {"source": source, "destination": app.pointer("/spec/destination").cloned().unwrap_or(Value::Null)}},
        "health": {"status": health},
        "resources": synced.iter().map(|r| { let mut r = r.clone(); r["status"] = json!("Synced"); r }).collect::<Vec<_>>(),
        "operationState": {"phase": phase, "message": message, "startedAt": finished, "finishedAt": finished,
            "syncResult": {"revision": sha, "resources": synced}},
        "observedGeneration": app.pointer("/metadata/generation").cloned().unwrap_or(json!(1)),
        "reconciledAt": finished,
    });
    write_status(store, app_rt, t, s, now, opts);
}

/// Deletes the objects tracked for the Application that the repository no longer holds.
fn prune_untracked(store: &mut Store, app: &str, desired: &BTreeSet<String>, ctx: &WriteCtx<'_>) -> usize {
    let prefix = format!("{app}:");
    let mut doomed = Vec::new();
    for (key, objs) in &store.objects {
        for ((ns, name), o) in objs {
            let id = o.pointer("/metadata/annotations").and_then(|a| a.get(TRACKING)).and_then(Value::as_str).unwrap_or_default();
            if id.starts_with(&prefix) && !desired.contains(id) && o.pointer("/metadata/deletionTimestamp").is_none() {
                doomed.push((key.clone(), ns.clone(), name.clone()));
            }
        }
    }
    let mut n = 0;
    for (key, ns, name) in doomed {
        let Some(rt) = store.catalog.all().find(|r| r.storage_key() == key).cloned() else { continue };
        if store.delete(&rt, &ns, &name, ctx).is_ok() {
            n += 1;
        }
    }
    n
}

fn write_status(store: &mut Store, app_rt: &ResourceType, t: &Timer, status: Value, now: Instant, opts: &SimOptions) {
    let ctx = WriteCtx { manager: STATUS_MANAGER, dry_run: false, now, opts };
    // Replaced whole (PUT of the status subresource): a merge patch would
    // keep fields of the previous sync.
    if let Some(old) = store.lookup(app_rt, &t.namespace, &t.name).cloned() {
        let mut body = Store::present(app_rt, &old);
        body["status"] = status;
        let _ = store.replace(app_rt, &t.namespace, &t.name, body, Some("status"), &ctx);
    }
}
