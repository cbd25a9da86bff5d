//! Support for the whole-platform tests: stacks with cloud providers and the
//! kubernetes and helm providers together, driven through the engine's `ops`
//! layer as the CLI drives it, against the simulators (the DigitalOcean
//! simulator, moto behind the EKS layer, the fake Kubernetes API). Here, and
//! not in a provider's tests, so no provider depends on another.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use iac_core::plan::{Action, Plan, PlanMode};
use iac_engine::ops::{self, Env, PlanRequest};
use iac_engine::providers::Registry;
use iac_engine::run::RunOptions;
use iac_kube_sim::{RunningSim, SimOptions};
use iac_provider_kubernetes::{HelmFactory, KubernetesFactory};
use kube::api::{ApiResource, DynamicObject, Patch, PatchParams};
use serde_json::Value as Json;

pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

/// The repository's root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().unwrap()
}

/// A chart of the shared fixtures (beside the repository), e.g. `keda-2.20.2`.
pub fn shared_chart(name: &str) -> PathBuf {
    workspace().join("../shared/fixtures/charts").join(name).canonicalize().unwrap()
}

/// Copies a stack directory's `*.tf` and `*.yaml` files.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else if e.path().extension().is_some_and(|x| x == "tf" || x == "yaml") {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// A Kubernetes simulator with short controller delays.
pub async fn sim() -> RunningSim {
    let opts = SimOptions { rollout_delay_ms: 50, delete_delay_ms: 50, load_balancer_delay_ms: 50, application_delay_ms: 50, ..SimOptions::default() };
    iac_kube_sim::start(opts).await.expect("the kube simulator starts")
}

/// The kubernetes and helm providers.
pub fn registry() -> Registry {
    let mut r = Registry::new();
    r.register(Arc::new(KubernetesFactory::with_env(Vec::new())));
    r.register(Arc::new(HelmFactory::with_env(Vec::new())));
    r
}

pub fn env_with(dir: &Path, registry: Registry) -> Env {
    Env {
        registry,
        backend: Arc::new(iac_state_local::LocalBackend::new(dir.join("state"))),
        lock_timeout: Duration::ZERO,
        lock_wait: Default::default(),
        cancel: Arc::new(AtomicBool::new(false)),
        events: None,
        env_vars: Vec::new(),
        cwd: std::env::current_dir().unwrap_or_default(),
    }
}

pub fn write_stack(dir: &Path, text: &str) -> PathBuf {
    let stack = dir.join("stack");
    std::fs::create_dir_all(&stack).unwrap();
    std::fs::write(stack.join("main.tf"), text).unwrap();
    stack
}

pub async fn try_plan(stack: &Path, env: &Env, mode: PlanMode) -> Result<Plan, String> {
    ops::plan(stack, env, PlanRequest { vars: Vec::new(), run: RunOptions { mode, ..RunOptions::default() } })
        .await
        .map(|o| o.plan)
        .map_err(|e| format!("{e}: {e:?}"))
}

pub async fn plan(stack: &Path, env: &Env) -> Plan {
    try_plan(stack, env, PlanMode::Normal).await.unwrap_or_else(|e| panic!("plan failed: {e}"))
}

pub async fn apply(stack: &Path, env: &Env, p: Plan) {
    if let Err(e) = ops::apply(stack, env, p, 10).await {
        panic!("apply failed: {e}: {e:?}");
    }
}

pub fn changes(p: &Plan) -> Vec<String> {
    p.changes.iter().filter(|c| c.action != Action::NoOp).map(|c| format!("{:?} {}", c.action, c.addr)).collect()
}

pub fn change<'a>(p: &'a Plan, addr: &str) -> &'a iac_core::plan::ResourceChange {
    p.changes.iter().find(|c| c.addr.to_string() == addr).unwrap_or_else(|| panic!("no change for {addr}: {:?}", changes(p)))
}

/// The keys of a planned `objects` map.
pub fn object_keys(v: &iac_core::Value) -> Vec<String> {
    v.get("objects").and_then(|o| o.as_map()).map(|m| m.keys().cloned().collect()).unwrap_or_default()
}

/// apiVersion, kind and plural name of a resource type.
pub type Kind = (&'static str, &'static str, &'static str);

/// A kube client for acting outside iac (as kubectl or a controller would).
pub struct Actor {
    pub client: kube::Client,
}

impl Actor {
    pub async fn new(url: &str) -> Actor {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let cfg = kube::Config::new(url.parse().unwrap());
        Actor { client: kube::Client::try_from(cfg).unwrap() }
    }

    fn api(&self, (api_version, kind, plural): Kind, ns: Option<&str>) -> kube::Api<DynamicObject> {
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        let ar = ApiResource { group: group.into(), version: version.into(), api_version: api_version.into(), kind: kind.into(), plural: plural.into() };
        match ns {
            Some(ns) => kube::Api::namespaced_with(self.client.clone(), ns, &ar),
            None => kube::Api::all_with(self.client.clone(), &ar),
        }
    }

    pub async fn get(&self, kind: Kind, ns: Option<&str>, name: &str) -> Option<Json> {
        self.api(kind, ns).get_opt(name).await.unwrap().map(|o| serde_json::to_value(o).unwrap())
    }

    /// A merge patch under `manager` (an Update: like `kubectl edit`).
    pub async fn merge(&self, kind: Kind, ns: Option<&str>, name: &str, manager: &str, patch: Json) {
        let pp = PatchParams { field_manager: Some(manager.into()), ..PatchParams::default() };
        self.api(kind, ns).patch(name, &pp, &Patch::Merge(&patch)).await.unwrap();
    }
}
