//! Readiness: when an applied object counts as ready, and the bounded wait
//! for it. Deployments, StatefulSets and DaemonSets rolled out, Jobs
//! complete, CRDs established (always: their custom resources need it),
//! LoadBalancer Services with an address and Argo CD Applications
//! Synced/Healthy when asked. A timeout names the object and its last
//! condition.

use std::time::{Duration, Instant};

use serde_json::Value as Json;

use crate::cluster::Cluster;
use crate::error::{KubeError, Result};
use crate::object::ObjectId;

/// Which waits a resource asked for.
#[derive(Clone, Copy, Debug)]
pub struct WaitFor {
    pub rollout: bool,
    pub load_balancer: bool,
    pub applications: bool,
}

/// What the object's status says.
#[derive(Debug, PartialEq)]
pub enum Readiness {
    Ready,
    /// Not yet; the reason is shown if the wait times out.
    Pending(String),
    /// It will not become ready by waiting.
    Failed(String),
}

/// Whether `obj` needs a wait at all under `w`.
pub fn needs_wait(id: &ObjectId, obj: &Json, w: WaitFor) -> bool {
    match (id.group(), id.kind.as_str()) {
        ("apiextensions.k8s.io", "CustomResourceDefinition") => true,
        ("apps", "Deployment" | "StatefulSet" | "DaemonSet") | ("batch", "Job") => w.rollout,
        ("", "Service") => w.load_balancer && obj["spec"]["type"] == "LoadBalancer",
        ("argoproj.io", "Application") => w.applications,
        _ => false,
    }
}

fn i(v: &Json) -> i64 {
    v.as_i64().unwrap_or(0)
}

fn condition<'a>(obj: &'a Json, type_: &str) -> Option<&'a Json> {
    obj["status"]["conditions"].as_array()?.iter().find(|c| c["type"] == type_)
}

fn is_true(obj: &Json, type_: &str) -> bool {
    condition(obj, type_).is_some_and(|c| c["status"] == "True")
}

/// The conditions as one line: `Available=False (MinimumReplicasUnavailable: ...)`.
pub fn describe_conditions(obj: &Json) -> String {
    let conds: Vec<String> = obj["status"]["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            let mut s = format!("{}={}", c["type"].as_str().unwrap_or("?"), c["status"].as_str().unwrap_or("?"));
            let (reason, message) = (c["reason"].as_str().unwrap_or(""), c["message"].as_str().unwrap_or(""));
            match (reason.is_empty(), message.is_empty()) {
                (false, false) => s.push_str(&format!(" ({reason}: {message})")),
                (false, true) => s.push_str(&format!(" ({reason})")),
                (true, false) => s.push_str(&format!(" ({message})")),
                (true, true) => {}
            }
            s
        })
        .collect();
    if conds.is_empty() {
        "no conditions reported".into()
    } else {
        conds.join(", ")
    }
}

fn observed_current(obj: &Json) -> bool {
    i(&obj["status"]["observedGeneration"]) >= i(&obj["metadata"]["generation"])
}

/// Readiness of `obj` as `kubectl rollout status` and friends judge it.
pub fn readiness(id: &ObjectId, obj: &Json) -> Readiness {
    let st = &obj["status"];
    let pending = |what: String| Readiness::Pending(format!("{what}; conditions: {}", describe_conditions(obj)));
    match (id.group(), id.kind.as_str()) {
        ("apiextensions.k8s.io", "CustomResourceDefinition") => {
            if is_true(obj, "Established") {
                Readiness::Ready
            } else if condition(obj, "NamesAccepted").is_some_and(|c| c["status"] == "False") {
                Readiness::Failed(format!("names not accepted: {}", describe_conditions(obj)))
            } else {
                pending("not established".into())
            }
        }
        ("apps", "Deployment") => {
            if condition(obj, "Progressing").is_some_and(|c| c["reason"] == "ProgressDeadlineExceeded") {
                return Readiness::Failed(format!("rollout exceeded its progress deadline: {}", describe_conditions(obj)));
            }
            let want = obj["spec"]["replicas"].as_i64().unwrap_or(1);
            let (updated, total, available) = (i(&st["updatedReplicas"]), i(&st["replicas"]), i(&st["availableReplicas"]));
            if !observed_current(obj) {
                pending("the controller has not seen the latest spec".into())
            } else if updated < want || total > updated || available < updated {
                pending(format!("{updated} of {want} replicas updated, {available} available"))
            } else {
                Readiness::Ready
            }
        }
        ("apps", "StatefulSet") => {
            let want = obj["spec"]["replicas"].as_i64().unwrap_or(1);
            let (ready, updated) = (i(&st["readyReplicas"]), i(&st["updatedReplicas"]));
            let revision_done = st["updateRevision"].is_null() || st["currentRevision"] == st["updateRevision"];
            if !observed_current(obj) {
                pending("the controller has not seen the latest spec".into())
            } else if ready < want || updated < want || !revision_done {
                pending(format!("{ready} of {want} replicas ready, {updated} updated"))
            } else {
                Readiness::Ready
            }
        }
        ("apps", "DaemonSet") => {
            let (desired, updated, available) = (i(&st["desiredNumberScheduled"]), i(&st["updatedNumberScheduled"]), i(&st["numberAvailable"]));
            if !observed_current(obj) || st["desiredNumberScheduled"].is_null() {
                pending("the controller has not seen the latest spec".into())
            } else if updated < desired || available < desired {
                pending(format!("{updated} of {desired} pods updated, {available} available"))
            } else {
                Readiness::Ready
            }
        }
        ("batch", "Job") => {
            if is_true(obj, "Complete") {
                Readiness::Ready
            } else if is_true(obj, "Failed") {
                Readiness::Failed(format!("the job failed: {}", describe_conditions(obj)))
            } else {
                pending(format!("{} succeeded, {} active", i(&st["succeeded"]), i(&st["active"])))
            }
        }
        ("", "Service") => {
            let has_address = st["loadBalancer"]["ingress"].as_array().is_some_and(|l| l.iter().any(|x| x["ip"].is_string() || x["hostname"].is_string()));
            if has_address {
                Readiness::Ready
            } else {
                Readiness::Pending("no load balancer address yet".into())
            }
        }
        ("argoproj.io", "Application") => {
            let (sync, health) = (st["sync"]["status"].as_str().unwrap_or("Unknown"), st["health"]["status"].as_str().unwrap_or("Unknown"));
            if sync == "Synced" && health == "Healthy" {
                Readiness::Ready
            } else if health == "Degraded" {
                Readiness::Failed(format!(
                    "the application is Degraded (sync {sync}): {}",
                    st["health"]["message"].as_str().or(st["operationState"]["message"].as_str()).unwrap_or("")
                ))
            } else {
                Readiness::Pending(format!("sync {sync}, health {health}; conditions: {}", describe_conditions(obj)))
            }
        }
        _ => Readiness::Ready,
    }
}

/// The value at a Terraform-style field path: `status.phase`,
/// `status.containerStatuses[0].ready`, `metadata.annotations["a.b/c"]`.
pub fn field_at<'a>(obj: &'a Json, path: &str) -> Option<&'a Json> {
    let mut cur = obj;
    let mut rest = path;
    while !rest.is_empty() {
        rest = rest.strip_prefix('.').unwrap_or(rest);
        if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']')?;
            let inner = &r[..end];
            cur = match inner.parse::<usize>() {
                Ok(i) => cur.get(i)?,
                Err(_) => cur.get(inner.trim_matches('"'))?,
            };
            rest = &r[end + 1..];
        } else {
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            cur = cur.get(&rest[..end])?;
            rest = &rest[end..];
        }
    }
    Some(cur)
}

/// A `wait { fields = { path = pattern } }` entry: the field must exist and
/// its value (as text) match the regular expression.
#[derive(Debug)]
pub struct FieldWait {
    pub path: String,
    pub pattern: regex::Regex,
}

impl FieldWait {
    pub fn new(path: &str, pattern: &str) -> std::result::Result<FieldWait, String> {
        let re = regex::Regex::new(pattern).map_err(|e| format!("wait.fields[{path:?}]: {pattern:?} is not a regular expression: {e}"))?;
        Ok(FieldWait { path: path.to_string(), pattern: re })
    }

    pub fn holds(&self, obj: &Json) -> bool {
        field_at(obj, &self.path).is_some_and(|v| {
            let text = v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string());
            self.pattern.is_match(&text)
        })
    }
}

/// Waits until `id` is ready, up to `timeout`.
pub async fn wait_ready(cluster: &Cluster, id: &ObjectId, timeout: Duration) -> Result<Json> {
    let started = Instant::now();
    let mut last = String::from("not found");
    loop {
        if let Some(obj) = cluster.get(id).await? {
            match readiness(id, &obj) {
                Readiness::Ready => return Ok(obj),
                Readiness::Failed(why) => return Err(KubeError::Failed(format!("{id} will not become ready: {why}"))),
                Readiness::Pending(why) => last = why,
            }
        }
        if started.elapsed() >= timeout {
            return Err(KubeError::Timeout { what: format!("{id} to become ready (last seen: {last})"), seconds: timeout.as_secs() });
        }
        tokio::time::sleep(cluster.tuning.poll).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn id(av: &str, kind: &str) -> ObjectId {
        ObjectId { api_version: av.into(), kind: kind.into(), namespace: Some("a".into()), name: "x".into() }
    }

    #[test]
    fn readiness_by_kind() {
        let cases = [
            (
                id("apps/v1", "Deployment"),
                json!({"metadata": {"generation": 2}, "spec": {"replicas": 2}, "status": {"observedGeneration": 2, "replicas": 2, "updatedReplicas": 2, "availableReplicas": 2}}),
                true,
            ),
            (
                id("apps/v1", "Deployment"),
                json!({"metadata": {"generation": 2}, "spec": {"replicas": 2}, "status": {"observedGeneration": 1, "replicas": 2, "updatedReplicas": 2, "availableReplicas": 2}}),
                false,
            ),
            (
                id("apps/v1", "Deployment"),
                json!({"metadata": {"generation": 1}, "spec": {}, "status": {"observedGeneration": 1, "replicas": 2, "updatedReplicas": 1, "availableReplicas": 1}}),
                false,
            ),
            (
                id("apps/v1", "StatefulSet"),
                json!({"metadata": {"generation": 1}, "spec": {"replicas": 1}, "status": {"observedGeneration": 1, "readyReplicas": 1, "updatedReplicas": 1, "currentRevision": "r1", "updateRevision": "r1"}}),
                true,
            ),
            (
                id("apps/v1", "DaemonSet"),
                json!({"metadata": {"generation": 1}, "status": {"observedGeneration": 1, "desiredNumberScheduled": 3, "updatedNumberScheduled": 3, "numberAvailable": 2}}),
                false,
            ),
            (id("batch/v1", "Job"), json!({"status": {"conditions": [{"type": "Complete", "status": "True"}]}}), true),
            (id("apiextensions.k8s.io/v1", "CustomResourceDefinition"), json!({"status": {"conditions": [{"type": "Established", "status": "True"}]}}), true),
            (id("v1", "Service"), json!({"spec": {"type": "LoadBalancer"}, "status": {"loadBalancer": {"ingress": [{"ip": "1.2.3.4"}]}}}), true),
            (id("v1", "Service"), json!({"spec": {"type": "LoadBalancer"}, "status": {"loadBalancer": {}}}), false),
            (id("argoproj.io/v1alpha1", "Application"), json!({"status": {"sync": {"status": "Synced"}, "health": {"status": "Progressing"}}}), false),
            (id("argoproj.io/v1alpha1", "Application"), json!({"status": {"sync": {"status": "Synced"}, "health": {"status": "Healthy"}}}), true),
            (id("v1", "ConfigMap"), json!({}), true),
        ];
        for (i, obj, ready) in cases {
            assert_eq!(readiness(&i, &obj) == Readiness::Ready, ready, "{i}: {obj}");
        }
    }

    #[test]
    fn failures_and_pending_say_why() {
        let job = json!({"status": {"conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded", "message": "Job has reached the specified backoff limit"}]}});
        let Readiness::Failed(m) = readiness(&id("batch/v1", "Job"), &job) else { panic!("a failed job fails") };
        assert!(m.contains("BackoffLimitExceeded"), "{m}");
        let dep = json!({"metadata": {"generation": 1}, "spec": {"replicas": 3}, "status": {"observedGeneration": 1, "replicas": 3, "updatedReplicas": 3, "availableReplicas": 1, "conditions": [{"type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable", "message": "Deployment does not have minimum availability."}]}});
        let Readiness::Pending(m) = readiness(&id("apps/v1", "Deployment"), &dep) else { panic!("pending") };
        assert!(m.contains("1 available") && m.contains("Available=False (MinimumReplicasUnavailable"), "{m}");
    }

    #[test]
    fn field_waits_take_terraform_paths_and_patterns() {
        let pod =
            json!({"status": {"phase": "Running", "podIP": "10.0.0.7", "containerStatuses": [{"ready": true}]}, "metadata": {"annotations": {"a.b/c": "x"}}});
        assert_eq!(field_at(&pod, "status.containerStatuses[0].ready"), Some(&json!(true)));
        assert_eq!(field_at(&pod, "metadata.annotations[\"a.b/c\"]"), Some(&json!("x")));
        assert_eq!(field_at(&pod, "status.missing"), None);
        assert!(FieldWait::new("status.podIP", r"^(\d+(\.|$)){4}").unwrap().holds(&pod));
        assert!(FieldWait::new("status.containerStatuses[0].ready", "^true$").unwrap().holds(&pod));
        assert!(!FieldWait::new("status.phase", "^Succeeded$").unwrap().holds(&pod));
        assert!(FieldWait::new("status.phase", "(").unwrap_err().contains("not a regular expression"));
    }

    #[test]
    fn waits_are_chosen_by_kind_and_options() {
        let off = WaitFor { rollout: false, load_balancer: false, applications: false };
        let on = WaitFor { rollout: true, load_balancer: true, applications: true };
        let crd = id("apiextensions.k8s.io/v1", "CustomResourceDefinition");
        assert!(needs_wait(&crd, &json!({}), off), "CRDs are always awaited");
        assert!(!needs_wait(&id("apps/v1", "Deployment"), &json!({}), off));
        assert!(needs_wait(&id("apps/v1", "Deployment"), &json!({}), on));
        assert!(!needs_wait(&id("v1", "Service"), &json!({"spec": {"type": "ClusterIP"}}), on));
    }
}
