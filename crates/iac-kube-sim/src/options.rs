//! Startup and runtime configuration: timings of the simulated controllers
//! and the fault-injection rules. `POST /_sim/config` merges a partial JSON
//! object of this shape into the running configuration.

use serde::{Deserialize, Serialize};

/// How the simulated cluster behaves. Every field has a default, so a
/// partial JSON object is a valid configuration.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct SimOptions {
    /// Time a Deployment, StatefulSet or DaemonSet takes to roll out, and a Job to complete.
    pub rollout_delay_ms: u64,
    /// Time a deleted Namespace stays `Terminating` before it disappears.
    pub delete_delay_ms: u64,
    /// Time before a `LoadBalancer` Service gets its ingress address.
    pub load_balancer_delay_ms: u64,
    /// Time before an ArgoCD `Application` reports Synced and Healthy (or,
    /// for a repository on this machine, before it syncs).
    pub application_delay_ms: u64,
    /// How often an Application whose repository is on this machine
    /// (`file://` URL) looks for new commits, and retries a failed sync.
    pub git_poll_ms: u64,
    /// The version `GET /version` reports, e.g. `v1.32.2`.
    pub git_version: String,
    pub faults: Faults,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            rollout_delay_ms: 300,
            delete_delay_ms: 100,
            load_balancer_delay_ms: 300,
            application_delay_ms: 300,
            git_poll_ms: 1000,
            git_version: "v1.32.2".into(),
            faults: Faults::default(),
        }
    }
}

/// Injected failures. Rules match objects by kind (case-insensitive) and
/// optionally by name and namespace.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Faults {
    /// Workloads (Deployment, StatefulSet, DaemonSet), Jobs, LoadBalancer
    /// Services and Applications that never become ready: rollouts stall
    /// with `ProgressDeadlineExceeded`, Jobs fail, Applications stay Degraded.
    pub never_ready: Vec<ObjectMatch>,
    /// Writes (create, update, patch, apply) answered with an error status.
    pub write_errors: Vec<WriteError>,
    /// Writes refused as a validating admission webhook would refuse them.
    pub admission_denials: Vec<AdmissionDenial>,
    /// Added to every API answer.
    pub latency_ms: u64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct ObjectMatch {
    pub kind: String,
    /// Any name when absent.
    pub name: Option<String>,
    /// Any namespace when absent.
    pub namespace: Option<String>,
    /// Only objects whose pod template runs this image (a bad image that
    /// never rolls out, while a rollback to the previous one does); any
    /// object when absent. Used by `never_ready` only.
    pub image: Option<String>,
}

impl ObjectMatch {
    pub fn matches(&self, kind: &str, namespace: &str, name: &str) -> bool {
        self.kind.eq_ignore_ascii_case(kind) && self.name.as_deref().is_none_or(|n| n == name) && self.namespace.as_deref().is_none_or(|n| n == namespace)
    }

    /// Whether `obj` (a workload or Job) runs `image` in its pod template,
    /// when the rule names one.
    pub fn matches_image(&self, obj: &serde_json::Value) -> bool {
        let Some(image) = &self.image else { return true };
        let spec = obj.pointer("/spec/template/spec").or_else(|| obj.pointer("/spec/jobTemplate/spec/template/spec"));
        let containers = ["containers", "initContainers"].into_iter().filter_map(|k| spec.and_then(|s| s.get(k)).and_then(serde_json::Value::as_array));
        containers.flatten().any(|c| c.get("image").and_then(serde_json::Value::as_str) == Some(image.as_str()))
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct WriteError {
    #[serde(flatten)]
    pub target: ObjectMatch,
    /// HTTP status of the answer (a `Status` object).
    pub code: u16,
    pub message: String,
}

impl Default for WriteError {
    fn default() -> Self {
        WriteError { target: ObjectMatch::default(), code: 500, message: "injected failure".into() }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct AdmissionDenial {
    #[serde(flatten)]
    pub target: ObjectMatch,
    /// Name of the webhook that denies, as it appears in the message.
    pub webhook: String,
    pub message: String,
}

impl Default for AdmissionDenial {
    fn default() -> Self {
        AdmissionDenial { target: ObjectMatch::default(), webhook: "validate.sim.iac.dev".into(), message: "denied by policy".into() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_image_rule_matches_only_pod_templates_running_that_image() {
        let rule: ObjectMatch = serde_json::from_value(json!({"kind": "Deployment", "image": "app:broken"})).unwrap();
        let with = |image: &str| json!({"spec": {"template": {"spec": {"containers": [{"name": "app", "image": image}]}}}});
        assert!(rule.matches("Deployment", "apps", "web") && rule.matches_image(&with("app:broken")));
        assert!(!rule.matches_image(&with("app:1.0")), "the previous image still rolls out");
        let any: ObjectMatch = serde_json::from_value(json!({"kind": "Deployment"})).unwrap();
        assert!(any.matches_image(&with("app:1.0")), "no image: any object");
    }
}
