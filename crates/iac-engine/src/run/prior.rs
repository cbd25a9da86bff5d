//! The prior object an instance is planned from: the object in state,
//! imported (`import` blocks, `iac import`) when there is none, refreshed
//! from the provider (drift is what changed in the attributes the
//! configuration manages), or adopted from an interrupted create that the
//! provider can find.

use std::sync::Arc;

use iac_core::address::{InstanceAddr, Mode, ModulePath};
use iac_core::plan::{Action, Drift};
use iac_core::provider::{ImportRequest, MoveStateRequest, Provider, ReadRequest, RecoverRequest};
use iac_core::state::InstanceState;
use iac_core::{AttrPath, Value};
use iac_lang::diagnostic::Diagnostic;
use iac_lang::eval::Evaluator;

use super::context::{lock, ImportId, Run};
use super::object::{computed_only, mark_sensitive, provider_error, refreshed_private};
use super::resource_node::InstanceWork;
use crate::values::{InstanceScope, Repetition};

/// The object planning starts from, and the import id when it was imported now.
pub(super) struct Prior {
    pub object: Option<InstanceState>,
    pub import_id: Option<String>,
}

impl Run {
    /// Imports, refreshes or recovers the instance's object, keeping the
    /// run's state up to date as it goes.
    pub(super) async fn prior_object(&self, w: &InstanceWork<'_>, provider: Option<&Arc<dyn Provider>>) -> Result<Prior, Diagnostic> {
        let addr = &w.addr;
        let err = |msg: String| Diagnostic::error(format!("{addr}: {msg}"), Some(w.res.span.clone()));
        let mut prior: Option<InstanceState> = self.object(addr);
        // A `moved` block across resource types: the provider converts the object.
        if let (Some(pr), Some(from)) = (&prior, self.moved_from.get(addr)) {
            if from.resource.type_ != addr.resource.type_ && w.res.mode == Mode::Managed {
                prior = Some(self.move_across_types(w, provider, from, pr).await?);
            }
        }
        // Import: adopt an existing object for an address that has none.
        let mut import_id = None;
        let source = match (&prior, self.imports.get(addr)) {
            (Some(_), _) => None,
            (None, Some(source)) => Some(self.import_id(source)?),
            (None, None) => self.for_each_import_id(addr)?,
        };
        if let Some(id) = &source {
            let Some(p) = provider else { return Err(err("cannot import while the provider's configuration is unknown".into())) };
            let imported = p
                .import_object(ImportRequest { type_: w.res.type_.clone(), addr: addr.clone(), id: id.clone() })
                .await
                .map_err(|e| provider_error(w, &format!("import of {id:?}"), &e))?;
            let mut inst = InstanceState::from_value(w.pkey.addr(), imported.state);
            inst.private = imported.private;
            lock(&self.objects).state.resources.insert(addr.clone(), inst.clone());
            prior = Some(inst);
            import_id = Some(id.clone());
        }
        if let (Some(p), Some(pr), true) = (provider, &prior, self.opts.refresh && import_id.is_none()) {
            if w.res.mode == Mode::Managed {
                prior = self.refresh(w, p.as_ref(), pr).await?;
            }
        }
        if prior.is_none() {
            if let Some(p) = provider {
                prior = self.recover(w, p.as_ref()).await?;
            }
        }
        Ok(Prior { object: prior, import_id })
    }

    /// An import's id: as given, or its block's expression evaluated in the
    /// root module, which must be a known string while planning (as in
    /// Terraform, an import cannot wait for apply).
    fn import_id(&self, source: &ImportId) -> Result<String, Diagnostic> {
        let expr = match source {
            ImportId::Given(id) => return Ok(id.clone()),
            ImportId::Written(expr) => expr,
        };
        let root = &self.stack.root;
        let value = {
            let store = self.values.read();
            let scope = InstanceScope {
                store: &store,
                module: &ModulePath::root(),
                repetition: &Repetition::None,
                module_dir: &root.dir,
                root_dir: &self.values.root_dir,
            };
            Evaluator::new(&scope, &root.dir, expr.file).eval(&expr.expr)?
        };
        import_id_of(value, expr)
    }

    /// Terraform's MoveResourceState: the target type's provider turns the
    /// object moved from `from` (another type) into one of its own; a
    /// provider that cannot is an error, as in Terraform.
    async fn move_across_types(
        &self,
        w: &InstanceWork<'_>,
        provider: Option<&Arc<dyn Provider>>,
        from: &InstanceAddr,
        pr: &InstanceState,
    ) -> Result<InstanceState, Diagnostic> {
        let addr = &w.addr;
        let err = |msg: String| Diagnostic::error(format!("{addr}: {msg}"), Some(w.res.span.clone()));
        let Some(p) = provider else { return Err(err(format!("cannot move {from} here while the provider's configuration is unknown"))) };
        // State does not record the version an object was written with (0):
        // it is the source type's current one, as everywhere else.
        let source_schema_version = match pr.schema_version {
            0 => self.registry.get(&pr.provider.name).and_then(|f| f.schema().resources.get(&from.resource.type_).map(|r| r.version)).unwrap_or(0),
            v => v,
        };
        let moved = p
            .move_state(MoveStateRequest {
                addr: addr.clone(),
                source_provider: pr.provider.name.clone(),
                source_provider_address: iac_lang::tfconfig::provider_full_name(&pr.provider.name, &iac_lang::tfconfig::provider_sources(&self.stack.root)),
                source_type: from.resource.type_.clone(),
                source_schema_version,
                // The provider protocol carries serde_json values.
                source_state: pr.attributes.to_json(),
                source_private: pr.private.clone(),
                target_type: w.res.type_.clone(),
            })
            .await
            .map_err(|e| err(format!("moving {from} to resource type {} failed: {e}", w.res.type_)))?;
        let mut inst = InstanceState::from_value(w.pkey.addr(), mark_sensitive(moved.state.unmark_deep().0, w.schema));
        inst.schema_version = w.schema.version;
        inst.dependencies = pr.dependencies.clone();
        inst.create_before_destroy = pr.create_before_destroy;
        inst.status = pr.status;
        inst.private = moved.private;
        lock(&self.objects).state.resources.insert(addr.clone(), inst.clone());
        Ok(inst)
    }

    /// Reads the object again; what changed in attributes the configuration
    /// manages is drift. None: the object is gone.
    async fn refresh(&self, w: &InstanceWork<'_>, p: &dyn Provider, pr: &InstanceState) -> Result<Option<InstanceState>, Diagnostic> {
        let addr = &w.addr;
        let current = &pr.attributes;
        let span = tracing::info_span!("resource.refresh", address = %addr, action = "read", provider = %w.pkey.name);
        let read = p.read_object(ReadRequest { type_: w.res.type_.clone(), addr: addr.clone(), current: current.clone(), private: pr.private.clone() });
        match tracing::Instrument::instrument(read, span).await.map(|r| (r.new_state, r.private)) {
            Ok((Some(fresh), private)) => {
                let private = refreshed_private(&pr.private, private);
                let fresh = fresh.unmark_deep().0;
                if fresh == *current {
                    if private == pr.private {
                        return Ok(Some(pr.clone()));
                    }
                    // The provider's private data changed on its own.
                    let mut updated = pr.clone();
                    updated.private = private;
                    lock(&self.objects).state.resources.insert(addr.clone(), updated.clone());
                    return Ok(Some(updated));
                }
                // Attributes only the provider sets (rotating credentials, timestamps)
                // are refreshed silently; drift is what the configuration manages.
                let paths: Vec<AttrPath> = iac_core::plan::drift_paths(current, &fresh).into_iter().filter(|p| !computed_only(w.schema, p)).collect();
                if !paths.is_empty() {
                    self.record_drift(Drift {
                        addr: addr.clone(),
                        action: Action::Update,
                        before: pr.value(),
                        after: fresh.clone().mark_paths(&pr.sensitive_paths),
                        paths,
                    });
                }
                let mut updated = pr.clone();
                updated.attributes = fresh;
                updated.private = private;
                lock(&self.objects).state.resources.insert(addr.clone(), updated.clone());
                Ok(Some(updated))
            }
            Ok((None, _)) => {
                self.record_drift(Drift { addr: addr.clone(), action: Action::Delete, before: pr.value(), after: Value::Null, paths: Vec::new() });
                lock(&self.objects).state.resources.remove(addr);
                Ok(None)
            }
            Err(e) => Err(provider_error(w, "refresh", &e)),
        }
    }

    /// An interrupted create left an intent: adopts the object the provider
    /// finds for it, else warns that one may be left behind.
    async fn recover(&self, w: &InstanceWork<'_>, p: &dyn Provider) -> Result<Option<InstanceState>, Diagnostic> {
        let addr = &w.addr;
        let Some(planned) = lock(&self.objects).pending.iter().find(|i| &i.addr == addr).map(|i| i.planned.clone()) else { return Ok(None) };
        let mut adopted = None;
        if let Some(found) = p
            .recover(RecoverRequest { type_: w.res.type_.clone(), addr: addr.clone(), planned })
            .await
            .map_err(|e| Diagnostic::error(format!("{addr}: recovery lookup failed: {e}"), Some(w.res.span.clone())))?
        {
            tracing::info!(%addr, "adopting the object an interrupted run created");
            let inst = InstanceState::from_value(w.pkey.addr(), found);
            lock(&self.objects).state.resources.insert(addr.clone(), inst.clone());
            adopted = Some(inst);
        } else {
            // Plugin providers cannot look an object up by our ownership
            // tag: say what may be left behind and how to adopt it.
            tracing::warn!(%addr, provider = %w.pkey.name, "interrupted create: no object to adopt");
            self.diag(
                Diagnostic::warning(
                    format!("{addr}: an earlier run was interrupted while creating it, and provider {} found no object to adopt", w.pkey.name),
                    Some(w.res.span.clone()),
                )
                .with_detail(format!(
                    "A provider that cannot look objects up (a plugin provider) cannot tell whether the create went through. If the object exists, adopt it with `iac import {addr} ID` instead of creating it again."
                )),
            );
        }
        // By address, not by position: other instances resolve their intents concurrently.
        lock(&self.objects).pending.retain(|p| &p.addr != addr);
        Ok(adopted)
    }
}

/// An import block's id, evaluated: a known string, or Terraform's
/// "Invalid import id argument".
pub(super) fn import_id_of(value: Value, expr: &iac_lang::config::Expr) -> Result<String, Diagnostic> {
    let refuse = |msg: String| Diagnostic::error(msg, Some(expr.span()));
    match value.unmarked() {
        Value::String(id) => Ok(id.clone()),
        v if !v.is_wholly_known() => Err(refuse(
            "Invalid import id argument: the import block's id depends on values that cannot be known until apply, so the import cannot be planned".into(),
        )),
        Value::Null => Err(refuse("Invalid import id argument: the import block's id is null".into())),
        other => Err(refuse(format!("Invalid import id argument: the import block's id must be a string, found {}", other.type_name()))),
    }
}
