//! What the provider's tests share: an engine environment with the
//! provider (and the builtin `terraform` provider, whose `terraform_data`
//! carries data source values into state), and a plan-and-apply of a stack.

#![allow(dead_code)]

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use iac_core::plan::PlanMode;
use iac_core::state::State;
use iac_engine::ops::{self, Env, PlanRequest};
use iac_engine::providers::Registry;
use iac_engine::run::RunOptions;

pub fn env(dir: &Path) -> Env {
    let mut registry = Registry::new();
    registry.register(iac_provider_cloudinit::factory());
    for f in iac_provider_builtin::factories() {
        registry.register(f);
    }
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

pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime")
}

/// A fresh stack directory and its environment.
pub fn stack() -> (tempfile::TempDir, std::path::PathBuf, Env) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("stack");
    std::fs::create_dir_all(&dir).expect("stack dir");
    let env = env(tmp.path());
    (tmp, dir, env)
}

/// Writes `main_tf`, plans and applies it; the state after, or the plan's
/// or apply's error.
pub async fn apply(dir: &Path, env: &Env, main_tf: &str) -> Result<State, String> {
    std::fs::write(dir.join("main.tf"), main_tf).expect("writing main.tf");
    let req = PlanRequest { vars: Vec::new(), run: RunOptions { mode: PlanMode::Normal, ..RunOptions::default() } };
    let plan = ops::plan(dir, env, req).await.map_err(|e| format!("{e}: {e:?}"))?.plan;
    ops::apply(dir, env, plan, 4).await.map_err(|e| format!("{e}: {e:?}"))?;
    ops::read_state(env.backend.as_ref()).await.map_err(|e| format!("{e}: {e:?}"))
}

/// An output's value after [`apply`].
pub fn output(state: &State, name: &str) -> serde_json::Value {
    state.outputs.get(name).unwrap_or_else(|| panic!("no output {name}: {:?}", state.outputs.keys().collect::<Vec<_>>())).value.to_json()
}
