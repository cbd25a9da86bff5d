//! `iac drift`: a refresh-only plan reported as the drift it noticed,
//! with, on request, the cloud objects no checked stack's state knows.

use std::time::Duration;

use iac_core::address::Mode;
use iac_core::plan::PlanMode;
use iac_lang::vars::CliVar;

use super::plan::{plan_keeping_providers, PlanRequest};
use super::{Env, Loaded};
use crate::error::EngineError;
use crate::run::RunOptions;

/// What `iac drift` found in one stack: a refresh-only plan's drift.
#[derive(Debug)]
pub struct DriftReport {
    /// Objects whose real attributes differ from state (or that are gone).
    pub drift: Vec<iac_core::plan::Drift>,
    /// The stack's managed resource types, so reports can say "0 drifted"
    /// for every type the stack manages.
    pub managed_types: std::collections::BTreeSet<String>,
    /// Cloud objects no state knows about (with `-unmanaged` only).
    pub unmanaged: Vec<iac_core::provider::CloudObject>,
    /// Every object id the stack's state knows (nested ones too).
    pub known_ids: crate::unmanaged::KnownIds,
    pub duration: Duration,
    /// When the check started (Unix seconds).
    pub checked_at_unix: u64,
}

impl DriftReport {
    pub fn has_drift(&self) -> bool {
        !self.drift.is_empty() || !self.unmanaged.is_empty()
    }
}

/// `iac drift`: a refresh-only plan, reported as the drift it noticed.
/// State is not changed (plans never write state), but the lock is held
/// while refreshing so a concurrent apply is not read half way. With
/// `list_unmanaged`, every configured provider that can is asked for the
/// objects in its scope; [`settle_unmanaged`] then keeps those no state knows.
pub async fn drift(loaded: &Loaded, env: &Env, vars: Vec<CliVar>, parallelism: usize, list_unmanaged: bool) -> Result<DriftReport, EngineError> {
    let started = std::time::Instant::now();
    let checked_at_unix = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let run = RunOptions { mode: PlanMode::RefreshOnly, refresh: true, parallelism: parallelism.max(1), ..RunOptions::default() };
    let (outcome, configured) = plan_keeping_providers(loaded, env, PlanRequest { vars, run }).await?;
    let mut managed_types = std::collections::BTreeSet::new();
    let mut known_ids = crate::unmanaged::KnownIds::default();
    for (addr, inst) in &outcome.plan.prior_state.resources {
        if addr.resource.mode == Mode::Managed {
            managed_types.insert(addr.resource.type_.clone());
            known_ids.add(&addr.resource.type_, &inst.attributes.to_json());
        }
    }
    for d in &outcome.plan.drift {
        // A deleted object is no longer in the refreshed state; its type still counts.
        managed_types.insert(d.addr.resource.type_.clone());
    }
    let mut unmanaged = Vec::new();
    if list_unmanaged {
        let mut configured = configured;
        configured.sort_by(|a, b| (&a.0.name, &a.0.alias, &a.0.module).cmp(&(&b.0.name, &b.0.alias, &b.0.module)));
        for (key, provider) in configured {
            match provider.list_objects(&[]).await {
                Ok(objects) => unmanaged.extend(objects),
                Err(iac_core::provider::ProviderError::Unsupported(_)) => tracing::debug!(provider = %key.name, "cannot list cloud objects"),
                Err(e) => return Err(EngineError::Invalid(format!("listing the objects of provider {}: {e}", key.name))),
            }
        }
    }
    Ok(DriftReport { drift: outcome.plan.drift, managed_types, unmanaged, known_ids, duration: started.elapsed(), checked_at_unix })
}

/// Reduces each report's listed objects to those that no checked stack's
/// state knows (an object one stack manages is not unmanaged in another)
/// and that the filter does not ignore; each object is reported once.
pub fn settle_unmanaged(reports: &mut [&mut DriftReport], ignore: &crate::unmanaged::IgnoreList) {
    let mut known = crate::unmanaged::KnownIds::default();
    for r in reports.iter() {
        known.extend(&r.known_ids);
    }
    crate::unmanaged::unmanaged(reports.iter_mut().map(|r| &mut r.unmanaged), &known, ignore);
}
