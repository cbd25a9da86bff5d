//! Test support: an embedded fake Kubernetes API (iac-kube-sim), an engine
//! environment with the kubernetes and helm providers, stacks written to a
//! temporary directory, and a kube client that plays the other actors
//! (kubectl users, controllers) for out-of-band changes; `chart_server`
//! serves charts to helm.

#![allow(dead_code)]

pub mod chart_server;

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

/// A simulator with short controller delays.
pub async fn sim() -> RunningSim {
    let opts = SimOptions { rollout_delay_ms: 50, delete_delay_ms: 50, load_balancer_delay_ms: 50, application_delay_ms: 50, ..SimOptions::default() };
    iac_kube_sim::start(opts).await.expect("the kube simulator starts")
}

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

pub fn env(dir: &Path) -> Env {
    env_with(dir, registry())
}

/// The provider blocks pointing at the simulator, with fast polling.
pub fn providers(url: &str) -> String {
    format!(
        "provider \"kubernetes\" {{\n  host             = \"{url}\"\n  token            = \"test-token\"\n  poll_interval_ms = 20\n}}\n\nprovider \"helm\" {{\n  poll_interval_ms = 20\n  kubernetes {{\n    host  = \"{url}\"\n    token = \"test-token\"\n  }}\n}}\n"
    )
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

pub async fn try_apply(stack: &Path, env: &Env, p: Plan) -> Result<(), String> {
    ops::apply(stack, env, p, 10).await.map(|_| ()).map_err(|e| format!("{e}: {e:?}"))
}

pub async fn apply(stack: &Path, env: &Env, p: Plan) {
    if let Err(e) = try_apply(stack, env, p).await {
        panic!("apply failed: {e}");
    }
}

/// Plans and applies; returns the plan that was applied.
pub async fn converge(stack: &Path, env: &Env) -> Plan {
    let p = plan(stack, env).await;
    apply(stack, env, p.clone()).await;
    p
}

pub async fn destroy(stack: &Path, env: &Env) {
    let p = try_plan(stack, env, PlanMode::Destroy).await.unwrap();
    apply(stack, env, p).await;
}

pub fn changes(p: &Plan) -> Vec<String> {
    p.changes.iter().filter(|c| c.action != Action::NoOp).map(|c| format!("{:?} {}", c.action, c.addr)).collect()
}

pub fn change<'a>(p: &'a Plan, addr: &str) -> &'a iac_core::plan::ResourceChange {
    p.changes.iter().find(|c| c.addr.to_string() == addr).unwrap_or_else(|| panic!("no change for {addr}: {:?}", changes(p)))
}

/// The human rendering, without colour.
pub fn rendered(p: &Plan) -> String {
    iac_render::human::render_plan(p, iac_render::human::Style { color: false })
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

    /// A server-side apply under `manager`, forcing conflicts (like `kubectl apply --server-side --force-conflicts`).
    pub async fn apply_forced(&self, kind: Kind, ns: Option<&str>, name: &str, manager: &str, obj: Json) {
        let pp = PatchParams::apply(manager).force();
        self.api(kind, ns).patch(name, &pp, &Patch::Apply(&obj)).await.unwrap();
    }

    pub async fn delete(&self, kind: Kind, ns: Option<&str>, name: &str) {
        self.api(kind, ns).delete(name, &Default::default()).await.unwrap();
    }

    pub async fn create(&self, kind: Kind, ns: Option<&str>, obj: Json) {
        let o: DynamicObject = serde_json::from_value(obj).unwrap();
        self.api(kind, ns).create(&Default::default(), &o).await.unwrap();
    }
}
