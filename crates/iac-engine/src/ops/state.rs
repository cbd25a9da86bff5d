//! State without a walk: reading it, editing it under the lock (state
//! surgery), and `iac import` (a targeted plan that imports one object,
//! whose result is written into state).

use iac_core::address::{ConfigResourceAddr, InstanceAddr, LocalResourceAddr, Mode, Target};
use iac_core::backend::StateBackend;
use iac_core::state::State;
use iac_lang::vars::CliVar;
use std::path::Path;

use super::plan::{plan_loaded, PlanRequest};
use super::{load, Env};
use crate::error::EngineError;
use crate::run::RunOptions;
use crate::statemgr;

/// Reads the current state (replaying any journal) without locking.
pub async fn read_state(backend: &dyn StateBackend) -> Result<State, EngineError> {
    Ok(statemgr::load(backend).await?.state)
}

/// Changes state under the lock with `f`, then writes a new snapshot.
pub async fn edit_state<T>(env: &Env, operation: &str, f: impl FnOnce(&mut State) -> Result<T, EngineError>) -> Result<T, EngineError> {
    let lock_info = statemgr::lock(env.backend.as_ref(), operation, env.lock_timeout, &env.lock_wait, env.events.as_ref()).await?;
    let result = async {
        let mut loaded = statemgr::load(env.backend.as_ref()).await?;
        let out = f(&mut loaded.state)?;
        statemgr::snapshot(env.backend.as_ref(), &mut loaded.state, &loaded.pending).await?;
        Ok(out)
    }
    .await;
    env.backend.unlock(&lock_info.id).await?;
    result
}

/// `iac import ADDR ID`: adopts an existing object into state.
pub async fn import(dir: &Path, env: &Env, addr: InstanceAddr, id: String, vars: Vec<CliVar>) -> Result<(), EngineError> {
    let loaded = load(dir, &env.registry).map_err(|(e, _)| e)?;
    // A resource block of that type and name (looked up as a managed resource).
    let managed = LocalResourceAddr::new(Mode::Managed, &addr.resource.type_, &addr.resource.name);
    let exists = loaded.stack.root.resource(&ConfigResourceAddr { module: addr.resource.module.config_path(), resource: managed }).is_some();
    if !exists {
        return Err(EngineError::Invalid(format!("{addr} is not declared in the stack; add a resource block for it first")));
    }
    if read_state(env.backend.as_ref()).await?.resources.contains_key(&addr) {
        return Err(EngineError::Invalid(format!("{addr} is already managed")));
    }
    let run = RunOptions { targets: vec![Target::Instance(addr.clone())], extra_imports: vec![(addr.clone(), id)], refresh: false, ..RunOptions::default() };
    let outcome = plan_loaded(&loaded, env, PlanRequest { vars, run }).await?;
    let mut inst =
        outcome.plan.prior_state.resources.get(&addr).cloned().ok_or_else(|| EngineError::Invalid(format!("the provider imported nothing for {addr}")))?;
    // What it references in the configuration, so a destroy orders it right.
    if let Some(change) = outcome.plan.changes.iter().find(|c| c.addr == addr) {
        inst.dependencies = change.dependencies.clone();
    }
    edit_state(env, "import", |s| {
        s.resources.insert(addr, inst);
        Ok(())
    })
    .await
}
