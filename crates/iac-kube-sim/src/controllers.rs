//! Simulated controllers, just enough for readiness waits: workloads roll
//! out after `rollout_delay_ms`, Jobs complete, LoadBalancer Services get an
//! address, CRDs are established at once, ArgoCD Applications sync, and
//! Namespaces terminate. Each write sets the immediate status and may leave
//! a [`Timer`] whose firing sets the settled status.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::catalog::{ResourceType, StorageKey};
use crate::options::SimOptions;
use crate::store::timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Rollout,
    JobDone,
    LoadBalancer,
    Application,
    NamespaceGone,
}

/// A controller step due at `due` for one object (of one generation, when set).
#[derive(Debug, Clone)]
pub struct Timer {
    pub due: Instant,
    pub key: StorageKey,
    pub namespace: String,
    pub name: String,
    generation: Option<i64>,
    action: Action,
    kind: String,
}

impl Timer {
    pub fn namespace_gone(name: &str, now: Instant, opts: &SimOptions) -> Timer {
        Timer {
            due: now + Duration::from_millis(opts.delete_delay_ms),
            key: StorageKey { group: String::new(), plural: "namespaces".into() },
            namespace: String::new(),
            name: name.into(),
            generation: None,
            action: Action::NamespaceGone,
            kind: "Namespace".into(),
        }
    }
    pub fn is_namespace_gone(&self) -> bool {
        self.action == Action::NamespaceGone
    }
    /// An ArgoCD Application's sync (or its next poll of the repository).
    pub fn is_application(&self) -> bool {
        self.action == Action::Application
    }
    /// A timer of no particular generation: an Application's poll of its repository.
    pub fn is_poll(&self) -> bool {
        self.generation.is_none()
    }
    /// Whether the timer was started by an older generation of `obj` (a sync superseded by an edit).
    pub fn stale_for(&self, obj: &Value) -> bool {
        self.generation.is_some_and(|g| g != generation(obj))
    }
    /// The next sync of an Application (a poll of its repository, or a retry), due at `due`.
    pub fn application(key: StorageKey, namespace: &str, name: &str, due: Instant) -> Timer {
        Timer { due, key, namespace: namespace.into(), name: name.into(), generation: None, action: Action::Application, kind: "Application".into() }
    }
}

/// The field manager controllers write status as.
pub fn manager_for(rt: &ResourceType) -> &'static str {
    match (rt.group.as_str(), rt.kind.as_str()) {
        ("argoproj.io", _) => "argocd-application-controller",
        ("", "Service") => "cloud-controller-manager",
        _ => "kube-controller-manager",
    }
}

fn condition(kind: &str, status: bool, reason: &str, message: &str) -> Value {
    let now = timestamp();
    json!({"type": kind, "status": if status { "True" } else { "False" }, "reason": reason, "message": message, "lastUpdateTime": now, "lastTransitionTime": now})
}

fn int_at(v: &Value, pointer: &str, default: i64) -> i64 {
    v.pointer(pointer).and_then(Value::as_i64).unwrap_or(default)
}

fn generation(v: &Value) -> i64 {
    int_at(v, "/metadata/generation", 1)
}

fn never_ready(opts: &SimOptions, kind: &str, obj: &Value) -> bool {
    let ns = obj.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or_default();
    let name = obj.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default();
    opts.faults.never_ready.iter().any(|m| m.matches(kind, ns, name) && m.matches_image(obj))
}

/// A short stable revision name for a generation (`web-5d8f9c`).
fn revision(obj: &Value) -> String {
    let name = obj.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default();
    let uid = obj.pointer("/metadata/uid").and_then(Value::as_str).unwrap_or_default();
    let h = format!("{uid}{}", generation(obj)).bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    format!("{name}-{:x}", h & 0xff_ffff)
}

/// The API server's defaulting of spec fields clients rely on: a Service's
/// cluster IP (kept across updates), workloads' update strategies.
pub fn defaults(rt: &ResourceType, old: Option<&Value>, obj: &mut Value, next_ip: &mut u32) {
    match (rt.group.as_str(), rt.kind.as_str()) {
        ("", "Service") => {
            let spec_type = obj.pointer("/spec/type").and_then(Value::as_str).unwrap_or("ClusterIP");
            if spec_type != "ExternalName" && obj.pointer("/spec/clusterIP").is_none() {
                let ip = old.and_then(|o| o.pointer("/spec/clusterIP")).cloned().unwrap_or_else(|| {
                    *next_ip += 1;
                    json!(format!("10.96.{}.{}", (*next_ip >> 8) & 0xff, *next_ip & 0xff))
                });
                obj["spec"]["clusterIP"] = ip.clone();
                obj["spec"]["clusterIPs"] = json!([ip]);
            }
        }
        ("apps", "StatefulSet") if obj.pointer("/spec/updateStrategy").is_none() => {
            obj["spec"]["updateStrategy"] = json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 0}});
        }
        ("apps", "DaemonSet") if obj.pointer("/spec/updateStrategy").is_none() => {
            obj["spec"]["updateStrategy"] = json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}});
        }
        ("apps", "Deployment") if obj.pointer("/spec/strategy").is_none() => {
            obj["spec"]["strategy"] = json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}});
        }
        _ => {}
    }
}

/// Sets the status a write produces at once, and returns the timers it starts.
pub fn on_write(rt: &ResourceType, old: Option<&Value>, obj: &mut Value, opts: &SimOptions, now: Instant) -> Vec<Timer> {
    let gen_changed = old.is_none_or(|o| generation(o) != generation(obj));
    let timer = |obj: &Value, action: Action, delay: u64, by_generation: bool| Timer {
        due: now + Duration::from_millis(delay),
        key: rt.storage_key(),
        namespace: obj.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or_default().to_string(),
        name: obj.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default().to_string(),
        generation: by_generation.then(|| generation(obj)),
        action,
        kind: rt.kind.clone(),
    };
    let prior_status = old.and_then(|o| o.get("status")).cloned();
    match (rt.group.as_str(), rt.kind.as_str()) {
        ("", "Namespace") => {
            if old.is_none() {
                obj["spec"] = json!({"finalizers": ["kubernetes"]});
                obj["status"] = json!({"phase": "Active"});
                let name = obj["metadata"]["name"].clone();
                if !obj["metadata"]["labels"].is_object() {
                    obj["metadata"]["labels"] = json!({});
                }
                obj["metadata"]["labels"]["kubernetes.io/metadata.name"] = name;
            }
            Vec::new()
        }
        ("apps", "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet") if gen_changed => {
            obj["status"] = progressing(&rt.kind, obj, prior_status.as_ref());
            vec![timer(obj, Action::Rollout, opts.rollout_delay_ms, true)]
        }
        ("batch", "Job") if old.is_none() => {
            obj["status"] = json!({"startTime": timestamp(), "active": int_at(obj, "/spec/parallelism", 1), "ready": 0});
            vec![timer(obj, Action::JobDone, opts.rollout_delay_ms, false)]
        }
        ("", "Service") => {
            let spec_type = obj.pointer("/spec/type").and_then(Value::as_str).unwrap_or("ClusterIP").to_string();
            if !obj.get("status").is_some_and(Value::is_object) {
                obj["status"] = json!({"loadBalancer": {}});
            }
            let has_address = obj.pointer("/status/loadBalancer/ingress").is_some();
            if spec_type == "LoadBalancer" && !has_address {
                vec![timer(obj, Action::LoadBalancer, opts.load_balancer_delay_ms, false)]
            } else {
                if spec_type != "LoadBalancer" {
                    obj["status"] = json!({"loadBalancer": {}});
                }
                Vec::new()
            }
        }
        ("apiextensions.k8s.io", "CustomResourceDefinition") => {
            obj["status"] = match prior_status {
                Some(s) if s.get("conditions").is_some() => s,
                _ => json!({"conditions": [
                    condition("NamesAccepted", true, "NoConflicts", "no conflicts found"),
                    condition("Established", true, "InitialNamesAccepted", "the initial names have been accepted"),
                ]}),
            };
            let mut names = obj.pointer("/spec/names").cloned().unwrap_or(json!({}));
            if names.get("singular").is_none() {
                names["singular"] = json!(names.get("kind").and_then(Value::as_str).unwrap_or_default().to_ascii_lowercase());
            }
            obj["status"]["acceptedNames"] = names;
            let stored: Vec<Value> = obj
                .pointer("/spec/versions")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter(|v| v.get("storage").and_then(Value::as_bool) == Some(true))
                .filter_map(|v| v.get("name").cloned())
                .collect();
            obj["status"]["storedVersions"] = json!(stored);
            Vec::new()
        }
        ("apiregistration.k8s.io", "APIService") => {
            obj["status"] = json!({"conditions": [condition("Available", true, "Passed", "all checks passed")]});
            Vec::new()
        }
        ("", "PersistentVolumeClaim") => {
            obj["status"] = json!({"phase": "Bound"});
            Vec::new()
        }
        ("argoproj.io", "Application") if gen_changed => {
            let mut status = prior_status.unwrap_or(json!({}));
            status["sync"] = json!({"status": "OutOfSync"});
            status["health"] = json!({"status": "Progressing"});
            obj["status"] = status;
            vec![timer(obj, Action::Application, opts.application_delay_ms, true)]
        }
        _ => Vec::new(),
    }
}

fn progressing(kind: &str, obj: &Value, prior: Option<&Value>) -> Value {
    let replicas = int_at(obj, "/spec/replicas", 1);
    let g = generation(obj);
    let prior_int = |f: &str| prior.and_then(|p| p.get(f)).and_then(Value::as_i64).unwrap_or(0);
    match kind {
        "DaemonSet" => {
            json!({"observedGeneration": g, "desiredNumberScheduled": 1, "currentNumberScheduled": 1, "numberMisscheduled": 0, "numberReady": 0, "numberAvailable": 0, "numberUnavailable": 1, "updatedNumberScheduled": 0})
        }
        "StatefulSet" => json!({
            "observedGeneration": g, "replicas": replicas, "readyReplicas": prior_int("readyReplicas"), "availableReplicas": prior_int("availableReplicas"),
            "currentReplicas": prior_int("currentReplicas"), "updatedReplicas": 0,
            "currentRevision": prior.and_then(|p| p.get("currentRevision")).cloned().unwrap_or_else(|| json!(revision(obj))), "updateRevision": revision(obj), "collisionCount": 0
        }),
        "ReplicaSet" => {
            json!({"observedGeneration": g, "replicas": replicas, "readyReplicas": 0, "availableReplicas": 0, "fullyLabeledReplicas": replicas})
        }
        _ => {
            let available =
                prior.and_then(|p| p.get("conditions")).and_then(Value::as_array).and_then(|c| c.iter().find(|c| c["type"] == "Available").cloned());
            json!({
                "observedGeneration": g, "replicas": replicas, "updatedReplicas": 0,
                "readyReplicas": prior_int("readyReplicas"), "availableReplicas": prior_int("availableReplicas"), "unavailableReplicas": replicas,
                "conditions": [
                    available.unwrap_or_else(|| condition("Available", false, "MinimumReplicasUnavailable", "Deployment does not have minimum availability.")),
                    condition("Progressing", true, "ReplicaSetUpdated", &format!("ReplicaSet \"{}\" is progressing.", revision(obj))),
                ]
            })
        }
    }
}

fn rolled_out(kind: &str, obj: &Value) -> Value {
    let replicas = int_at(obj, "/spec/replicas", 1);
    let g = generation(obj);
    match kind {
        "DaemonSet" => {
            json!({"observedGeneration": g, "desiredNumberScheduled": 1, "currentNumberScheduled": 1, "numberMisscheduled": 0, "numberReady": 1, "numberAvailable": 1, "updatedNumberScheduled": 1})
        }
        "StatefulSet" => {
            json!({"observedGeneration": g, "replicas": replicas, "readyReplicas": replicas, "availableReplicas": replicas, "currentReplicas": replicas, "updatedReplicas": replicas, "currentRevision": revision(obj), "updateRevision": revision(obj), "collisionCount": 0})
        }
        "ReplicaSet" => {
            json!({"observedGeneration": g, "replicas": replicas, "readyReplicas": replicas, "availableReplicas": replicas, "fullyLabeledReplicas": replicas})
        }
        _ => json!({
            "observedGeneration": g, "replicas": replicas, "updatedReplicas": replicas, "readyReplicas": replicas, "availableReplicas": replicas,
            "conditions": [
                condition("Available", true, "MinimumReplicasAvailable", "Deployment has minimum availability."),
                condition("Progressing", true, "NewReplicaSetAvailable", &format!("ReplicaSet \"{}\" has successfully progressed.", revision(obj))),
            ]
        }),
    }
}

/// Carries out a due timer on its object; false when there is nothing to change (a stale timer).
pub fn fire(t: &Timer, obj: &mut Value, opts: &SimOptions, _now: Instant) -> bool {
    if t.generation.is_some_and(|g| g != generation(obj)) || obj.pointer("/metadata/deletionTimestamp").is_some() {
        return false;
    }
    let stuck = never_ready(opts, &t.kind, obj);
    match t.action {
        Action::Rollout if stuck => {
            if t.kind == "Deployment" {
                let mut s = obj.get("status").cloned().unwrap_or(json!({}));
                s["conditions"] = json!([
                    condition("Available", false, "MinimumReplicasUnavailable", "Deployment does not have minimum availability."),
                    condition("Progressing", false, "ProgressDeadlineExceeded", &format!("ReplicaSet \"{}\" has timed out progressing.", revision(obj))),
                ]);
                obj["status"] = s;
                true
            } else {
                false
            }
        }
        Action::Rollout => {
            obj["status"] = rolled_out(&t.kind, obj);
            true
        }
        Action::JobDone => {
            let start = obj.pointer("/status/startTime").cloned().unwrap_or_else(|| json!(timestamp()));
            obj["status"] = if stuck {
                json!({"startTime": start, "failed": int_at(obj, "/spec/backoffLimit", 6) + 1, "conditions": [
                    condition("FailureTarget", true, "BackoffLimitExceeded", "Job has reached the specified backoff limit"),
                    condition("Failed", true, "BackoffLimitExceeded", "Job has reached the specified backoff limit"),
                ]})
            } else {
                json!({"startTime": start, "completionTime": timestamp(), "succeeded": int_at(obj, "/spec/completions", 1), "ready": 0, "conditions": [
                    condition("SuccessCriteriaMet", true, "CompletionsReached", "Reached expected number of succeeded pods"),
                    condition("Complete", true, "CompletionsReached", "Reached expected number of succeeded pods"),
                ]})
            };
            true
        }
        Action::LoadBalancer => {
            if stuck || obj.pointer("/spec/type").and_then(Value::as_str) != Some("LoadBalancer") || obj.pointer("/status/loadBalancer/ingress").is_some() {
                return false;
            }
            let n =
                obj.pointer("/spec/clusterIP").and_then(Value::as_str).and_then(|ip| ip.rsplit('.').next()).and_then(|x| x.parse::<u8>().ok()).unwrap_or(10);
            obj["status"] = json!({"loadBalancer": {"ingress": [{"ip": format!("203.0.113.{n}"), "ipMode": "VIP"}]}});
            true
        }
        Action::Application => {
            let mut s = obj.get("status").cloned().unwrap_or(json!({}));
            let revision = obj.pointer("/spec/source/targetRevision").cloned().unwrap_or(json!("HEAD"));
            if stuck {
                s["sync"] = json!({"status": "OutOfSync", "revision": revision});
                s["health"] = json!({"status": "Degraded", "message": "the simulator was told this application never becomes healthy"});
            } else {
                s["sync"] = json!({"status": "Synced", "revision": revision, "comparedTo": {"source": obj.pointer("/spec/source").cloned().unwrap_or(Value::Null), "destination": obj.pointer("/spec/destination").cloned().unwrap_or(Value::Null)}});
                s["health"] = json!({"status": "Healthy"});
                s["operationState"] = json!({"phase": "Succeeded", "message": "successfully synced (all tasks run)", "finishedAt": timestamp()});
            }
            s["reconciledAt"] = json!(timestamp());
            obj["status"] = s;
            true
        }
        Action::NamespaceGone => false,
    }
}
