//! Data sources: read while planning when their configuration is wholly
//! known and their provider configured (the value enters state with its
//! ephemeral attributes nulled), else planned as a read at apply
//! (`read_because_config_unknown`).

use iac_core::plan::{Action, ResourceChange};
use iac_core::provider::{Provider, ReadDataRequest};
use iac_core::state::InstanceState;
use iac_core::{AttrPath, Value};
use iac_lang::diagnostic::Diagnostic;

use super::context::{lock, Run};
use super::object::{mark_sensitive, provider_diag, without_ephemeral};
use super::resource_node::InstanceWork;

/// Reads a data source whose configuration is wholly known: the value with
/// its schema's sensitive attributes and the configuration's marks.
pub(super) async fn read_data_source(w: &InstanceWork<'_>, p: &dyn Provider, config: Value, marks: &[AttrPath]) -> Result<Value, Diagnostic> {
    let v = p
        .read_data(ReadDataRequest { type_: w.res.type_.clone(), addr: w.addr.clone(), config })
        .await
        .map_err(|e| provider_diag(w, format!("reading failed: {e}"), e.path()))?;
    Ok(mark_sensitive(v.unmark_deep().0, w.schema).mark_paths(marks))
}

impl Run {
    pub(super) async fn plan_data(&self, w: &InstanceWork<'_>, provider: Option<&dyn Provider>) -> Result<Value, Diagnostic> {
        let addr = &w.addr;
        let (config, marks) = w.config.clone().unmark_deep();
        match provider {
            Some(p) if config.is_wholly_known() => {
                let v = read_data_source(w, p, config, &marks).await?;
                let mut inst = InstanceState::from_value(w.pkey.addr(), without_ephemeral(v.clone(), w.schema));
                inst.dependencies = w.deps.clone();
                lock(&self.objects).state.resources.insert(addr.clone(), inst);
                Ok(v)
            }
            _ => {
                self.record_change(ResourceChange {
                    addr: addr.clone(),
                    prev_addr: None,
                    provider: w.pkey.addr(),
                    action: Action::Read,
                    before: Value::Null,
                    after: Value::Unknown,
                    replace_paths: Vec::new(),
                    reason: Some(iac_core::plan::reason::READ_CONFIG_UNKNOWN.into()),
                    create_before_destroy: false,
                    private: None,
                    dependencies: w.deps.clone(),
                    import_id: None,
                    deposed: None,
                });
                Ok(Value::Unknown)
            }
        }
    }
}
