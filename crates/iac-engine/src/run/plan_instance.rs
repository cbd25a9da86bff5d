//! Planning one instance: past targeting and the concurrency limits, the
//! prior object is established (`prior`), data sources are read
//! (`data_source`), and a managed instance's configuration (with
//! `ignore_changes` applied and the provider's own validation) goes to the
//! provider's plan; the action is chosen (`action`), a replacement planned
//! again as the create it will be, and the change recorded. The planned
//! value is returned for the value store.

use iac_core::address::Mode;
use iac_core::plan::{default_plan, Action, PlanMode, ResourceChange};
use iac_core::provider::PlanChangeRequest;
use iac_core::state::InstanceStatus;
use iac_core::Value;
use iac_lang::config::IgnoreChanges;
use iac_lang::diagnostic::Diagnostic;

use super::action::{choose_action, ActionInputs};
use super::context::Run;
use super::object::{carry_config_marks, keep_ignored, mark_sensitive, merge_private, provider_diag, provider_error, without_ephemeral};
use super::resource_node::InstanceWork;
use crate::providers::Slot;

/// How a provider's own validation of a configuration starts its errors
/// (after the instance's address).
const INVALID: &str = "invalid";

/// Whether `d` is a provider's rejection of a configuration by its own
/// rules: Terraform's validate asks the provider the same, and stops
/// before planning, so such an error leaves no plan.
pub(crate) fn is_provider_validation_failure(d: &Diagnostic) -> bool {
    d.summary
        .split_once(": ")
        .is_some_and(|(_, rest)| rest.strip_prefix(INVALID).is_some_and(|r| r.starts_with(" argument ") || r.starts_with(" configuration: ")))
}

impl Run {
    pub(super) async fn plan_instance(&self, w: InstanceWork<'_>) -> Result<Value, Diagnostic> {
        let addr = w.addr.clone();
        let err = |msg: String| Diagnostic::error(format!("{addr}: {msg}"), Some(w.res.span.clone()));
        let provider = match w.slot {
            Slot::Ready { provider, .. } => Some(provider.clone()),
            Slot::Failed(m) => return Err(err(format!("provider unavailable: {m}"))),
            Slot::Deferred => None,
        };
        if !self.is_targeted(&addr, w.active) {
            let prior = self.object(&addr).map(|p| p.value());
            return Ok(prior.unwrap_or(Value::Unknown));
        }
        let _permit = self.ops.acquire().await.map_err(|_| err("cancelled".into()))?;
        let _provider_permit = match w.slot {
            Slot::Ready { limit: Some(l), .. } => Some(l.clone().acquire_owned().await.map_err(|_| err("cancelled".into()))?),
            _ => None,
        };
        let prior = self.prior_object(&w, provider.as_ref()).await?;
        let (import_id, prior) = (prior.import_id, prior.object);
        let prior_value = prior.as_ref().map(|p| p.value());
        if w.res.mode == Mode::Data {
            return self.plan_data(&w, provider.as_deref()).await;
        }
        match self.opts.mode {
            // Objects that do not exist are unknown, not null, so references to them stay valid.
            PlanMode::RefreshOnly | PlanMode::Destroy => return Ok(prior_value.unwrap_or(Value::Unknown)),
            PlanMode::Normal => {}
        }
        let (mut config, config_marks) = w.config.clone().unmark_deep();
        if let (Some(pv), IgnoreChanges::Paths(paths)) = (&prior_value, &w.res.lifecycle.ignore_changes) {
            config = keep_ignored(config, &pv.clone().unmark_deep().0, paths);
        }
        if let Some(p) = &provider {
            // Provider-specific rules beyond the schema (e.g. mutually exclusive arguments).
            let problems = p.validate_resource(&w.res.type_, &config);
            if let Some((path, msg)) = problems.first() {
                let mut d = provider_diag(
                    &w,
                    format!("{INVALID} {}: {msg}", if path.0.is_empty() { "configuration".to_string() } else { format!("argument {path}") }),
                    Some(path),
                );
                for (path, msg) in &problems[1..] {
                    d = d.with_detail(format!("{path}: {msg}"));
                }
                return Err(d);
            }
        }
        let prior_plain = prior_value.clone().map(|v| v.unmark_deep().0);
        let resp = match &provider {
            Some(p) => p
                .plan_change(PlanChangeRequest {
                    type_: w.res.type_.clone(),
                    addr: addr.clone(),
                    prior: prior_plain.clone(),
                    config: config.clone(),
                    private: prior.as_ref().and_then(|p| p.private.clone()),
                })
                .await
                .map_err(|e| provider_error(&w, "planning", &e))?,
            None => default_plan(w.schema, prior_plain.as_ref(), &config),
        };
        // Write-only arguments are null in every plan (the value went to the provider).
        let resp = iac_core::provider::PlanChangeResponse { planned: without_ephemeral(resp.planned, w.schema), ..resp };
        let triggers_before = prior.as_ref().and_then(|p| p.private.as_ref()).and_then(|p| p.get("replace_triggered_by")).map(Value::from_json);
        let choice = choose_action(&ActionInputs {
            prior: prior_plain.as_ref(),
            planned: &resp.planned,
            requires_replace: !resp.requires_replace.is_empty(),
            ignore_all_changes: matches!(w.res.lifecycle.ignore_changes, IgnoreChanges::All),
            tainted: prior.as_ref().is_some_and(|p| p.status == InstanceStatus::Tainted),
            replace_requested: self.opts.replace.contains(&addr),
            triggers: w.triggers.as_ref(),
            triggers_before: triggers_before.as_ref(),
            imported: import_id.is_some(),
        });
        let (action, reason) = (choice.action, choice.reason.map(str::to_string));
        if action == Action::Replace && w.res.lifecycle.prevent_destroy {
            return Err(Diagnostic::error(format!("{addr} has lifecycle.prevent_destroy set, but the plan would replace it"), Some(w.res.span.clone()))
                .with_detail(reason.map(|r| iac_core::plan::reason::describe(&r, &resp.requires_replace)).unwrap_or_default()));
        }
        // A replacement creates a new object: plan it as a create (computed
        // attributes unknown), as apply will (it plans with no prior object).
        let resp = if action == Action::Replace {
            let fresh = match &provider {
                Some(p) => p
                    .plan_change(PlanChangeRequest { type_: w.res.type_.clone(), addr: addr.clone(), prior: None, config: config.clone(), private: None })
                    .await
                    .map_err(|e| provider_error(&w, "planning", &e))?,
                None => default_plan(w.schema, None, &config),
            };
            iac_core::provider::PlanChangeResponse { requires_replace: resp.requires_replace, planned: without_ephemeral(fresh.planned, w.schema), ..fresh }
        } else {
            resp
        };
        let after = carry_config_marks(mark_sensitive(resp.planned, w.schema).mark_paths(&config_marks), &w.config);
        let private = merge_private(resp.private, &w.triggers);
        let change = ResourceChange {
            addr: addr.clone(),
            prev_addr: self.moved_from.get(&addr).cloned(),
            provider: w.pkey.addr(),
            action,
            before: prior_value.unwrap_or(Value::Null),
            // Moved here from the value store when the walk ends (`outcome`).
            after: Value::Null,
            replace_paths: if action == Action::Replace { resp.requires_replace } else { Vec::new() },
            reason,
            create_before_destroy: self.create_before_destroy(&addr),
            private,
            dependencies: w.deps.clone(),
            import_id: import_id.clone(),
            deposed: None,
        };
        self.record_change(change);
        Ok(after)
    }
}
