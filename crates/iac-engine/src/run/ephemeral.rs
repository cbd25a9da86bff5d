//! Ephemeral resources (`ephemeral "TYPE" "NAME" { ... }`), as Terraform
//! 1.11 runs them: opened while planning and again while applying, once
//! their configuration is wholly known and their provider configured; their
//! values live in the value store only (no change, no state, no plan file);
//! renewed in the background when the provider names a time (`renew_at`);
//! closed when the walk (and, applying, the delete walk) is over. Opening
//! and closing are progress events, which the CLI shows as Terraform does.

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use iac_core::address::InstanceAddr;
use iac_core::provider::{CloseEphemeralRequest, OpenEphemeralRequest, Provider, RenewEphemeralRequest};
use iac_core::Value;
use iac_lang::diagnostic::Diagnostic;

use super::context::{lock, Run};
use super::event::{EphemeralOp, Event};
use super::object::{mark_sensitive, provider_error};
use super::resource_node::InstanceWork;
use crate::providers::Slot;

/// An ephemeral resource instance this run opened and must close.
pub(crate) struct OpenEphemeral {
    addr: InstanceAddr,
    type_: String,
    provider: Arc<dyn Provider>,
    /// The provider's private data, which a renewal may replace.
    private: Arc<tokio::sync::Mutex<Option<serde_json::Value>>>,
    renewer: Option<tokio::task::JoinHandle<()>>,
}

impl Run {
    /// Opens one instance; its value, or unknown while its configuration or
    /// its provider's is (Terraform defers the open to apply then).
    pub(super) async fn open_ephemeral(&self, w: InstanceWork<'_>) -> Result<Value, Diagnostic> {
        let addr = w.addr.clone();
        let provider = match w.slot {
            Slot::Ready { provider, .. } => provider.clone(),
            Slot::Failed(m) => return Err(Diagnostic::error(format!("{addr}: provider unavailable: {m}"), Some(w.res.span.clone()))),
            Slot::Deferred => return Ok(Value::Unknown),
        };
        let (config, marks) = w.config.clone().unmark_deep();
        if self.opts.validate_only || !config.is_wholly_known() || !self.is_targeted(&addr, w.active) {
            return Ok(Value::Unknown);
        }
        let _permit = self.ops.acquire().await.map_err(|_| Diagnostic::error(format!("{addr}: cancelled"), Some(w.res.span.clone())))?;
        let span = tracing::info_span!("ephemeral.open", address = %addr, provider = %w.pkey.name);
        let started = Instant::now();
        self.emit(Event::Ephemeral { addr: addr.clone(), op: EphemeralOp::Open, elapsed_ms: None });
        let opened =
            tracing::Instrument::instrument(provider.open_ephemeral(OpenEphemeralRequest { type_: w.res.type_.clone(), addr: addr.clone(), config }), span)
                .await
                .map_err(|e| provider_error(&w, "opening", &e))?;
        self.emit(Event::Ephemeral { addr: addr.clone(), op: EphemeralOp::Open, elapsed_ms: Some(started.elapsed().as_millis()) });
        let private = Arc::new(tokio::sync::Mutex::new(opened.private));
        let renewer = opened.renew_at.map(|at| tokio::spawn(renew(provider.clone(), w.res.type_.clone(), addr.clone(), private.clone(), at)));
        lock(&self.found).ephemerals.push(OpenEphemeral { addr, type_: w.res.type_.clone(), provider, private, renewer });
        Ok(mark_sensitive(opened.value.unmark_deep().0, w.schema).mark_paths(&marks))
    }

    /// Closes every ephemeral resource instance the run opened (after the
    /// walk: nothing needs their values any more). A failure is an error of
    /// the run, as in Terraform.
    pub(super) async fn close_ephemerals(&self) {
        let open = std::mem::take(&mut lock(&self.found).ephemerals);
        for o in open {
            if let Some(r) = &o.renewer {
                r.abort();
            }
            let private = o.private.lock().await.clone();
            let started = Instant::now();
            self.emit(Event::Ephemeral { addr: o.addr.clone(), op: EphemeralOp::Close, elapsed_ms: None });
            let closed = o.provider.close_ephemeral(CloseEphemeralRequest { type_: o.type_.clone(), addr: o.addr.clone(), private }).await;
            match closed {
                Ok(()) => self.emit(Event::Ephemeral { addr: o.addr.clone(), op: EphemeralOp::Close, elapsed_ms: Some(started.elapsed().as_millis()) }),
                Err(e) => self.diag(Diagnostic::error(format!("{}: closing failed: {e}", o.addr), None)),
            }
        }
    }
}

/// Renews an open instance each time the provider's renewal time comes,
/// until the provider names none (or the run closes it).
async fn renew(
    provider: Arc<dyn Provider>,
    type_: String,
    addr: InstanceAddr,
    private: Arc<tokio::sync::Mutex<Option<serde_json::Value>>>,
    mut at: SystemTime,
) {
    loop {
        tokio::time::sleep(at.duration_since(SystemTime::now()).unwrap_or_default()).await;
        let mut p = private.lock().await;
        match provider.renew_ephemeral(RenewEphemeralRequest { type_: type_.clone(), addr: addr.clone(), private: p.clone() }).await {
            Ok(r) => {
                *p = r.private;
                match r.renew_at {
                    Some(next) => at = next,
                    None => return,
                }
            }
            Err(e) => {
                tracing::warn!(address = %addr, error = %e, "renewing an ephemeral resource failed");
                return;
            }
        }
    }
}
