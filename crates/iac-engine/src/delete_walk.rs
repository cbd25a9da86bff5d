//! The delete walk of an apply: the deletes that run after the
//! configuration walk, in reverse dependency order (an object is deleted
//! only after everything that depends on it), using the dependencies
//! recorded in state: the objects a normal apply's create-before-destroy
//! replacements set aside (deposed), once what refers to them is updated.
//! Orphans' and destroy plans' deletes are nodes of the configuration walk
//! (`run/destroy_first.rs`), ordered by [`delete_order`] too. A provider
//! whose configuration left the stack (its objects are orphans) is
//! configured empty.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use iac_core::address::{ConfigResourceAddr, InstanceAddr};
use iac_core::journal::JournalEntry;
use iac_core::plan::{Action, ResourceChange};
use iac_core::provider::{ConfigureRequest, DeleteRequest, Provider};
use iac_core::Value;
use iac_lang::diagnostic::Diagnostic;

use crate::providers::{Instances, ProviderKey, Slot};
use crate::run::{lock, Event, Run};
use crate::walk::walk;

/// Whether two instances belong to different instances of the same module
/// (`module.m["x"]` and `module.m["y"]`): Terraform's apply graph adds no
/// edge between them although dependencies are recorded without keys
/// (its `graphNodesAreResourceInstancesInDifferentInstancesOfSameModule`).
pub(crate) fn in_other_instance_of_same_module(a: &InstanceAddr, b: &InstanceAddr) -> bool {
    let (a, b) = (&a.resource.module, &b.resource.module);
    a != b && a.without_keys() == b.without_keys()
}

/// Builds the reverse-order dependency lists: a delete waits for the
/// deletes of everything that depends on its resource (not those in
/// another instance of the same module, as in Terraform).
pub fn delete_order(run: &Run, deletes: &[ResourceChange]) -> Vec<Vec<usize>> {
    let objects = lock(&run.objects);
    let state = &objects.state;
    let mut by_resource: HashMap<ConfigResourceAddr, Vec<usize>> = HashMap::new();
    for (i, d) in deletes.iter().enumerate() {
        by_resource.entry(d.addr.resource.config()).or_default().push(i);
    }
    let mut deps = vec![Vec::new(); deletes.len()];
    for (i, d) in deletes.iter().enumerate() {
        let object = match &d.deposed {
            Some(key) => state.deposed_object(&d.addr, key).map(|o| &o.instance),
            None => state.resources.get(&d.addr),
        };
        let recorded = object.map(|s| s.dependencies.clone()).unwrap_or_else(|| d.dependencies.clone());
        for dep in recorded {
            if let Some(targets) = by_resource.get(&dep.config()) {
                for &t in targets {
                    if t != i && !in_other_instance_of_same_module(&deletes[t].addr, &d.addr) {
                        // t (the dependency) waits for i (the dependent).
                        deps[t].push(i);
                    }
                }
            }
        }
    }
    deps
}

pub(crate) async fn provider_for(run: &Run, key: &ProviderKey) -> Result<(Arc<dyn Provider>, Option<Arc<tokio::sync::Semaphore>>), String> {
    match run.instances.get(key) {
        Some(Slot::Ready { provider, limit }) => return Ok((provider, limit)),
        Some(Slot::Failed(m)) => return Err(m),
        Some(Slot::Deferred) => return Err("its configuration is still unknown".into()),
        None => {}
    }
    // The configuration is gone from the stack (the objects are orphans): use an empty one.
    let factory = run.registry.get(&key.name).ok_or_else(|| format!("provider {:?} is not available", key.name))?.clone();
    let p = factory.configure(ConfigureRequest { config: Value::Map(Default::default()), context: run.context.clone() }).await.map_err(|e| e.to_string())?;
    let slot = Instances::ready(p.clone());
    run.instances.set(key.clone(), slot.clone());
    match slot {
        Slot::Ready { provider, limit } => Ok((provider, limit)),
        _ => unreachable!("just made ready"),
    }
}

/// Runs the deletes; returns the diagnostics of those that failed. One
/// waiting for a failed one is not tried, and, as in Terraform, says nothing.
pub async fn run_deletes(run: &Arc<Run>, deletes: Vec<ResourceChange>) -> Vec<Diagnostic> {
    let deps = delete_order(run, &deletes);
    let deletes = Arc::new(deletes);
    let failures = Arc::new(std::sync::Mutex::new(Vec::new()));
    let r = run.clone();
    let d2 = deletes.clone();
    let f2 = failures.clone();
    walk(&deps, run.cancel.clone(), move |i| {
        let run = r.clone();
        let deletes = d2.clone();
        let failures = f2.clone();
        Box::pin(async move {
            match delete_one(&run, &deletes[i]).await {
                Ok(()) => Ok(()),
                Err(d) => {
                    lock(&failures).push(d);
                    Err(())
                }
            }
        })
    })
    .await;
    let failed = std::mem::take(&mut *lock(&failures));
    failed
}

pub(crate) async fn delete_one(run: &Run, change: &ResourceChange) -> Result<(), Diagnostic> {
    let addr = &change.addr;
    let err = |m: String| Diagnostic::error(format!("{addr}: {m}"), None);
    let inst = match &change.deposed {
        Some(key) => lock(&run.objects).state.deposed_object(addr, key).map(|d| d.instance.clone()),
        None => run.object(addr),
    };
    let Some(inst) = inst else { return Ok(()) };
    let (provider, limit) = provider_for(run, &ProviderKey::of(&inst.provider)).await.map_err(|m| err(format!("cannot delete: provider unavailable: {m}")))?;
    let _permit = run.ops.acquire().await.map_err(|_| err("cancelled".into()))?;
    let _pp = match &limit {
        Some(l) => Some(l.acquire().await.map_err(|_| err("cancelled".into()))?),
        None => None,
    };
    // Interrupted while waiting for a slot: start nothing new.
    if run.cancel.load(std::sync::atomic::Ordering::SeqCst) {
        return Err(err("not started: the run was interrupted".into()));
    }
    let started = Instant::now();
    if let Some(sink) = &run.events {
        sink(Event::Start { addr: addr.clone(), action: Action::Delete, deposed: change.deposed.clone() });
    }
    // A deposed object needs no intent (intents are per address, and the
    // address has its current object): until its removal is recorded it
    // stays in state, and the next plan destroys it again.
    if let (Some(j), None) = (&run.journal, &change.deposed) {
        j.record(&JournalEntry::Intent { addr: addr.clone(), action: Action::Delete, provider: inst.provider.clone(), planned: Value::Null })
            .await
            .map_err(|e| err(e.to_string()))?;
    }
    let span = tracing::info_span!("resource.apply", address = %addr, action = Action::Delete.name(), provider = %inst.provider.name);
    let r = tracing::Instrument::instrument(
        provider.delete(DeleteRequest {
            type_: addr.resource.type_.clone(),
            addr: addr.clone(),
            prior: inst.attributes.clone(),
            private: inst.private.clone(),
        }),
        span,
    )
    .await;
    match r {
        Ok(()) => {
            match &change.deposed {
                Some(key) => run.remove_deposed(addr, key).await?,
                None => run.remove(addr).await?,
            }
            if let Some(sink) = &run.events {
                sink(Event::Done { addr: addr.clone(), action: Action::Delete, elapsed_ms: started.elapsed().as_millis(), id: None });
            }
            Ok(())
        }
        Err(e) => {
            if let (Some(j), None) = (&run.journal, &change.deposed) {
                let _ = j.record(&JournalEntry::Abandon { addr: addr.clone() }).await;
            }
            if let Some(sink) = &run.events {
                sink(Event::Failed { addr: addr.clone(), action: Action::Delete, message: e.to_string() });
            }
            // Naming the object, as Terraform does (`with aws_s3_bucket.b,`);
            // a plugin's error in its own words.
            let d = match &e {
                iac_core::provider::ProviderError::Reported { diagnostics, .. } if !diagnostics.is_empty() => {
                    Diagnostic::error(diagnostics[0].summary.clone(), None).with_detail(diagnostics[0].detail.clone())
                }
                _ => err(format!("delete failed: {e}")),
            };
            Err(d.with_address(addr.to_string()))
        }
    }
}
