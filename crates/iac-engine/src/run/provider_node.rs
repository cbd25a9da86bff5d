//! The provider configuration node: evaluates the provider block against
//! the provider's schema and configures the provider as soon as its
//! configuration is wholly known. A configuration known only after apply
//! (a cluster created in the same run) defers configuring to apply, after
//! the provider's `preflight` checks; resources using it are then planned
//! from the schema.

use iac_core::address::ProviderAddr;
use iac_core::provider::{ConfigureRequest, ProviderError};
use iac_core::Value;
use iac_lang::body::BodyEval;
use iac_lang::config::ProviderConfig;
use iac_lang::diagnostic::Diagnostic;
use iac_lang::eval::Evaluator;
use iac_lang::source::Span;

use super::context::{NodeResult, Run};
use crate::graph::NodeKind;
use crate::providers::{Instances, ProviderKey, Slot};
use crate::values::{InstanceScope, Repetition};

impl Run {
    pub(super) async fn provider_node(&self, idx: usize) -> NodeResult {
        let id = &self.graph.nodes[idx];
        let NodeKind::Provider(kind) = &id.kind else { return Ok(()) };
        let (name, alias) = (kind.name.clone(), kind.alias.clone());
        let key = ProviderKey { module: id.module.clone(), name: name.clone(), alias: alias.clone() };
        let Some(factory) = self.registry.get(&name).cloned() else { return Err(()) };
        let m = self.stack.root.descendant(&id.module).expect("module");
        let config = match m.providers.iter().find(|p| p.name == name && p.alias == alias) {
            None => Value::Map(iac_core::ValueMap::new()),
            Some(pc) => {
                let r = {
                    let inst = self.values.instances(&id.module).into_iter().next();
                    let Some(inst) = inst else { return Ok(()) };
                    let store = self.values.read();
                    let scope =
                        InstanceScope { store: &store, module: &inst.path, repetition: &Repetition::None, module_dir: &m.dir, root_dir: &self.values.root_dir };
                    let ev = Evaluator::new(&scope, &m.dir, pc.file);
                    let mut ds = Vec::new();
                    let v = BodyEval { ev: &ev }.eval(&pc.body, &factory.schema().provider, &["alias"], &pc.span, &[], &mut ds);
                    (v, ds)
                };
                match r {
                    (Some(v), _) => v,
                    (None, ds) => {
                        ds.into_iter().for_each(|d| self.diag(d));
                        self.instances.set(key, Slot::Failed("invalid configuration".into()));
                        return Err(());
                    }
                }
            }
        };
        if !config.is_wholly_known() && !self.opts.validate_only {
            if let Err(e) = factory.preflight(&config.clone().unmark_deep().0) {
                let span = m.providers.iter().find(|p| p.name == name && p.alias == alias).map(|p| p.span.clone());
                self.diag(Diagnostic::error(format!("provider {kind}: {e}"), span));
                self.instances.set(key, Slot::Failed(e.to_string()));
                return Err(());
            }
        }
        if !config.is_wholly_known() || self.opts.validate_only {
            tracing::debug!(provider = %kind, "provider configuration depends on values known after apply; deferring");
            self.instances.set(key, Slot::Deferred);
            return Ok(());
        }
        let (plain, _) = config.unmark_deep();
        match factory.configure(ConfigureRequest { config: plain, context: self.context.clone() }).await {
            Ok(p) => {
                self.instances.set(key, Instances::ready(p));
                Ok(())
            }
            Err(e) => {
                let block = m.providers.iter().find(|p| p.name == name && p.alias == alias);
                if e.is_invalid_config() {
                    super::lock(&self.found).invalid_provider_configuration = true;
                }
                self.configuration_diagnostics(&e, block, &key).into_iter().for_each(|d| self.diag(d));
                self.instances.set(key, Slot::Failed(e.to_string()));
                Err(())
            }
        }
    }

    /// A provider's errors about its configuration as Terraform 1.11.4
    /// shows them: in the provider's words, each at the argument it is
    /// about, else at the block's body (Terraform's missing-item range, its
    /// opening brace), naming the configuration as Terraform's `with` line
    /// does (`provider["registry.terraform.io/hashicorp/aws"]`).
    fn configuration_diagnostics(&self, e: &ProviderError, block: Option<&ProviderConfig>, key: &ProviderKey) -> Vec<Diagnostic> {
        let sources = iac_lang::tfconfig::provider_sources(&self.stack.root);
        let full = iac_lang::tfconfig::provider_full_name(&key.name, &sources);
        let address = ProviderAddr { name: full, ..key.addr() }.to_string();
        e.diagnostics()
            .into_iter()
            .map(|d| {
                let span = block.and_then(|b| match &d.path {
                    Some(path) => iac_lang::path_span::path_span(&b.body, b.file, path).or_else(|| self.body_start(b)),
                    None => self.body_start(b),
                });
                Diagnostic::error(d.summary, span).with_detail(d.detail).with_address(address.clone())
            })
            .collect()
    }

    /// Where a provider block's body opens: its `{`, as an empty span.
    fn body_start(&self, block: &ProviderConfig) -> Option<Span> {
        let text = &self.stack.sources.get(block.file).text;
        let brace = text.get(block.span.range.end..)?.find('{')? + block.span.range.end;
        Some(Span { file: block.file, range: brace..brace })
    }
}
