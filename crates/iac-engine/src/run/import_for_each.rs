//! Import blocks with `for_each` (Terraform 1.7): the block's `for_each`
//! is evaluated in the root module when its target resource is planned (the
//! graph orders the resource after what it refers to), and each element
//! gives one import: the `to` address with its index expressions evaluated
//! with `each.key` and `each.value`, and the `id`. Terraform's errors: a
//! `for_each` known only after apply or not a collection, a sensitive
//! index, a key that does not fit the target's count or for_each, an id
//! that is not a known string. A null `for_each` imports nothing.
//!
//! A list's elements are keyed by index, except a list of strings, which
//! iac cannot tell from a set of strings (its values have no set type):
//! those are keyed by themselves, as a set's elements are.

use iac_core::address::{InstanceAddr, InstanceKey, ModulePath};
use iac_core::Value;
use iac_lang::config::{Import, ImportForEach, ImportToStep};
use iac_lang::diagnostic::Diagnostic;
use iac_lang::eval::Evaluator;

use super::context::{lock, Run};
use crate::values::{InstanceScope, Repetition};

impl Run {
    /// The id an import block with `for_each` gives this instance, if any.
    pub(super) fn for_each_import_id(&self, addr: &InstanceAddr) -> Result<Option<String>, Diagnostic> {
        // `validate` knows no variable: as Terraform's, it expands nothing.
        if self.opts.validate_only {
            return Ok(None);
        }
        let target = addr.resource.config();
        for (n, imp) in self.stack.root.imports.iter().enumerate() {
            let Some(fe) = &imp.for_each else { continue };
            if imp.to.resource.config() != target {
                continue;
            }
            let cached = lock(&self.import_expansions).get(&n).cloned();
            let expanded = match cached {
                Some(e) => e,
                None => {
                    let e = self.expand_import(imp, fe)?;
                    lock(&self.import_expansions).insert(n, e.clone());
                    e
                }
            };
            if let Some((_, id)) = expanded.iter().find(|(a, _)| a == addr) {
                return Ok(Some(id.clone()));
            }
        }
        Ok(None)
    }

    /// Every (target, id) of one import block with `for_each`.
    fn expand_import(&self, imp: &Import, fe: &ImportForEach) -> Result<Vec<(InstanceAddr, String)>, Diagnostic> {
        let root = &self.stack.root;
        let store = self.values.read();
        let module = ModulePath::root();
        let none = Repetition::None;
        let plain = InstanceScope { store: &store, module: &module, repetition: &none, module_dir: &root.dir, root_dir: &self.values.root_dir };
        let value = Evaluator::new(&plain, &root.dir, fe.for_each.file).eval(&fe.for_each.expr)?;
        let invalid_for_each = |detail: &str| Diagnostic::error(format!("Invalid for_each argument: {detail}"), Some(fe.for_each.span()));
        if !value.is_wholly_known() {
            return Err(invalid_for_each("the \"for_each\" expression includes values derived from other resource attributes that cannot be determined until apply, and so iac cannot determine the full set of values that might be used to import this resource"));
        }
        let elements: Vec<(String, Value)> = match value.unmarked() {
            Value::Null => return Ok(Vec::new()),
            Value::Map(m) => m.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            Value::List(items) if items.iter().all(|i| matches!(i.unmarked(), Value::String(_))) => {
                items.iter().map(|i| (i.unmarked().as_str().unwrap_or_default().to_string(), i.clone())).collect()
            }
            Value::List(items) => items.iter().enumerate().map(|(i, v)| (i.to_string(), v.clone())).collect(),
            _ => return Err(invalid_for_each("the \"for_each\" expression must be a collection")),
        };
        let resource = root.resource(&imp.to.resource.config());
        let mut out = Vec::with_capacity(elements.len());
        for (key, each_value) in elements {
            let rep = Repetition::Each(key, each_value);
            let each = InstanceScope { repetition: &rep, ..plain };
            let to = self.import_target(fe, &each)?;
            let to_error = |detail: &str| Diagnostic::error(format!("Invalid import 'to' expression: {detail}"), Some(fe.to_expr.span()));
            if let Some(r) = resource {
                match (&to.key, r.count.is_some(), r.for_each.is_some()) {
                    (InstanceKey::Str(_), _, false) => return Err(to_error("the target resource does not use for_each")),
                    (InstanceKey::Int(_), false, _) => return Err(to_error("the target resource does not use count")),
                    (InstanceKey::None, _, true) => return Err(to_error("the target resource is using for_each")),
                    (InstanceKey::None, true, _) => return Err(to_error("the target resource is using count")),
                    _ => {}
                }
            }
            let id = Evaluator::new(&each, &root.dir, imp.id.file).eval(&imp.id.expr)?;
            out.push((to, super::prior::import_id_of(id, &imp.id)?));
        }
        Ok(out)
    }

    /// The `to` address for one element: each index expression evaluated.
    fn import_target(&self, fe: &ImportForEach, each: &InstanceScope<'_>) -> Result<InstanceAddr, Diagnostic> {
        let root = &self.stack.root;
        let mut text = String::new();
        for step in &fe.to {
            match step {
                ImportToStep::Name(n) => {
                    if !text.is_empty() {
                        text.push('.');
                    }
                    text.push_str(n);
                }
                ImportToStep::Index(e) => {
                    let k = Evaluator::new(each, &root.dir, e.file).eval(&e.expr)?;
                    if k.contains_sensitive() {
                        return Err(Diagnostic::error("Invalid index expression: import address index expression cannot be sensitive", Some(e.span())));
                    }
                    match k.unmarked() {
                        Value::String(s) => text.push_str(&format!("[{}]", serde_json::Value::String(s.clone()))),
                        Value::Number(n) if n.to_i64().is_some() => text.push_str(&format!("[{}]", n.to_i64().unwrap_or_default())),
                        other => {
                            return Err(Diagnostic::error(
                                format!("Invalid index expression: an instance key must be a string or a whole number, not {}", other.type_name()),
                                Some(e.span()),
                            ))
                        }
                    }
                }
            }
        }
        text.parse::<InstanceAddr>().map_err(|e| {
            Diagnostic::error(format!("Invalid import 'to' expression: {text} does not resolve to a single resource instance ({e})"), Some(fe.to_expr.span()))
        })
    }
}
