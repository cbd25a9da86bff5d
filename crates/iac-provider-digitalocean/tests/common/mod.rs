//! Test support: an embedded simulator, an engine environment with the
//! digitalocean provider, stacks pointing at the simulator, and the
//! contract check of everything that went over the wire.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use iac_core::plan::{Action, Plan, PlanMode};
use iac_do_sim::contract::Contract;
use iac_do_sim::{Handle, SimConfig, Simulator};
use iac_engine::ops::{self, Env, PlanRequest};
use iac_engine::providers::Registry;
use iac_engine::run::RunOptions;
use iac_provider_digitalocean::DigitalOceanFactory;

pub const TOKEN: &str = "dop_v1_test_token_0123456789abcdef";

pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

pub async fn sim(mut cfg: SimConfig) -> Handle {
    cfg.record = true;
    Simulator::start(cfg).await.expect("simulator starts")
}

/// A fast simulator without a rate limit.
pub fn fast() -> SimConfig {
    let mut c = SimConfig::fast();
    c.faults.rate_limit_per_minute = 0;
    c
}

pub fn env(dir: &Path) -> Env {
    let mut r = Registry::new();
    r.register(Arc::new(DigitalOceanFactory::with_env(vec![("DIGITALOCEAN_TOKEN".into(), TOKEN.into())])));
    Env {
        registry: r,
        backend: Arc::new(iac_state_local::LocalBackend::new(dir.join("state"))),
        lock_timeout: Duration::ZERO,
        lock_wait: Default::default(),
        cancel: Arc::new(AtomicBool::new(false)),
        events: None,
        env_vars: Vec::new(),
        cwd: std::env::current_dir().unwrap_or_default(),
    }
}

/// The provider block pointing at the simulator, with short waits.
pub fn provider_block(url: &str) -> String {
    format!(
        "provider \"digitalocean\" {{\n  api_endpoint = \"{url}\"\n  poll_interval_ms = 40\n  wait_timeout_seconds = 60\n  http_retry_max = 10\n  http_retry_wait_min = 0.02\n  http_retry_wait_max = 0.3\n}}\n"
    )
}

pub fn write_stack(dir: &Path, text: &str) -> PathBuf {
    let stack = dir.join("stack");
    std::fs::create_dir_all(&stack).unwrap();
    std::fs::write(stack.join("main.tf"), text).unwrap();
    stack
}

pub async fn plan_mode(stack: &Path, env: &Env, mode: PlanMode) -> Result<Plan, String> {
    ops::plan(stack, env, PlanRequest { vars: Vec::new(), run: RunOptions { mode, ..RunOptions::default() } })
        .await
        .map(|o| o.plan)
        .map_err(|e| format!("{e}: {e:?}"))
}

pub async fn plan(stack: &Path, env: &Env) -> Plan {
    plan_mode(stack, env, PlanMode::Normal).await.unwrap_or_else(|e| panic!("plan failed: {e}"))
}

pub async fn apply(stack: &Path, env: &Env, p: Plan) {
    if let Err(e) = ops::apply(stack, env, p, 10).await {
        panic!("apply failed: {e}: {e:?}");
    }
}

pub fn action_of(p: &Plan, addr: &str) -> Option<Action> {
    p.changes.iter().find(|c| c.addr.to_string() == addr).map(|c| c.action)
}

pub fn changes(p: &Plan) -> Vec<String> {
    p.changes.iter().filter(|c| c.action != Action::NoOp).map(|c| format!("{:?} {}", c.action, c.addr)).collect()
}

/// Every recorded request and response against DigitalOcean's OpenAPI document.
pub fn assert_contract(h: &Handle) {
    let c = Contract::load(&iac_do_sim::contract::default_spec_path()).expect("the OpenAPI document beside the workspace");
    let ex = h.exchanges();
    assert!(!ex.is_empty(), "nothing was recorded");
    let v = c.check_all(&ex);
    assert!(
        v.is_empty(),
        "{} contract violations in {} exchanges:\n{}",
        v.len(),
        ex.len(),
        v.iter().take(30).map(|v| v.to_string()).collect::<Vec<_>>().join("\n")
    );
}
