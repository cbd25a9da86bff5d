//! The configuration nodes that hold values, not objects: module
//! variables (a call's argument, converted and validated), locals, outputs
//! (finite, sensitive only when declared so, after their preconditions)
//! and module calls (expanded by count/for_each into module instances).
//! Each evaluates once per instance of its module and stores the result in
//! the value store.

use iac_core::address::{ConfigModulePath, ModulePath};
use iac_core::plan::CheckStatus;
use iac_core::Value;
use iac_lang::diagnostic::Diagnostic;
use iac_lang::eval::Evaluator;
use iac_lang::source::Span;

use super::conditions::{as_warnings, failed_conditions, ConditionKind};
use super::context::{NodeResult, Run};
use super::expand::expand;
use super::object::not_finite;
use crate::values::{InstanceScope, ModuleInstance, Repetition, Shape};

impl Run {
    /// A variable in every instance of its module: a module's converted
    /// from its call's argument (a root module's was given before the
    /// walk), then checked against its validation rules in the scope of
    /// that instance, which may name other objects of the module (the graph
    /// orders the node after them), as in Terraform 1.9 and later.
    pub(super) fn variable_node(&self, module: &ConfigModulePath, name: &str) -> NodeResult {
        let m = self.stack.root.descendant(module).expect("module");
        let var = &m.variables[name];
        let checkable = (m.call_path.to_string(), format!("var.{name}"));
        super::context::lock(&self.conditions).expanded(&checkable, true);
        let mut ok = true;
        let valued: Vec<(ModulePath, Span)> = match module.parent() {
            Some((parent_path, call_name)) => self.module_variable_values(module, &parent_path, call_name, var, &mut ok),
            None => {
                if let Some(d) = self.root_var_errors.get(name) {
                    self.diag(d.clone());
                    return Err(());
                }
                let span = self.root_var_spans.get(name).cloned().unwrap_or_else(|| var.span.clone());
                let given = self.values.read().vars.contains_key(&(ModulePath::root(), name.to_string()));
                given.then(|| (ModulePath::root(), span)).into_iter().collect()
            }
        };
        if self.checks_validations && !var.validations.is_empty() {
            for (path, span) in valued {
                let mut ds = iac_lang::diagnostic::Diagnostics::default();
                let found = {
                    let store = self.values.read();
                    let scope =
                        InstanceScope { store: &store, module: &path, repetition: &Repetition::None, module_dir: &m.dir, root_dir: &self.values.root_dir };
                    iac_lang::vars::check_validations(var, &scope, &span, &m.dir, Some(&store.stack.sources), &mut ds)
                };
                super::context::lock(&self.conditions).validated(&checkable, &path, &found);
                if found.statuses.iter().any(|s| matches!(s, CheckStatus::Fail | CheckStatus::Error)) {
                    ok = false;
                }
                ds.0.into_iter().for_each(|d| self.diag(d));
            }
        }
        ok.then_some(()).ok_or(())
    }

    /// A module variable's value in each instance of its module, from the
    /// call's argument (or its default), converted and stored: the
    /// instances that have one, and where it came from.
    fn module_variable_values(
        &self,
        module: &ConfigModulePath,
        parent_path: &ConfigModulePath,
        call_name: &str,
        var: &iac_lang::config::Variable,
        ok: &mut bool,
    ) -> Vec<(ModulePath, Span)> {
        let parent = self.stack.root.descendant(parent_path).expect("parent module");
        let child = self.stack.root.descendant(module).expect("module");
        let call = &parent.module_calls[call_name];
        let mut valued = Vec::new();
        for inst in self.values.instances(module) {
            let parent_path_keys = ModulePath(inst.path.0[..inst.path.0.len() - 1].to_vec());
            let given = match call.inputs.get(&var.name) {
                Some(e) => {
                    let store = self.values.read();
                    let scope = InstanceScope {
                        store: &store,
                        module: &parent_path_keys,
                        repetition: &inst.repetition,
                        module_dir: &parent.dir,
                        root_dir: &self.values.root_dir,
                    };
                    match Evaluator::new(&scope, &parent.dir, e.file).eval(&e.expr) {
                        Ok(v) => Some((v, Some(e.span()))),
                        Err(d) => {
                            self.diag(d);
                            *ok = false;
                            continue;
                        }
                    }
                }
                None => None,
            };
            let mut ds = iac_lang::diagnostic::Diagnostics::default();
            // Terraform names the call, not its instance: module.m.var.a.
            let addr = format!("{}.var.{}", child.call_path, var.name);
            let converted = iac_lang::vars::convert_variable(&addr, var, given, &child.dir, Some(&self.values.read().stack.sources), &mut ds);
            match converted {
                Some((v, span)) => {
                    self.values.write().vars.insert((inst.path.clone(), var.name.clone()), v);
                    valued.push((inst.path, span));
                }
                None => *ok = false,
            }
            ds.0.into_iter().for_each(|d| self.diag(d));
        }
        valued
    }

    /// Evaluates `expr` once per instance of `module`; errors become diagnostics.
    fn eval_per_instance(&self, module: &ConfigModulePath, expr: &iac_lang::config::Expr) -> Vec<(ModulePath, Option<Value>)> {
        let m = self.stack.root.descendant(module).expect("module");
        self.values
            .instances(module)
            .into_iter()
            .map(|inst| {
                let r = {
                    let store = self.values.read();
                    let scope =
                        InstanceScope { store: &store, module: &inst.path, repetition: &Repetition::None, module_dir: &m.dir, root_dir: &self.values.root_dir };
                    Evaluator::new(&scope, &m.dir, expr.file).eval(&expr.expr)
                };
                match r {
                    Ok(v) => (inst.path, Some(v)),
                    Err(d) => {
                        // Once per module instance, as Terraform reports it.
                        self.instance_diags([d]);
                        (inst.path, None)
                    }
                }
            })
            .collect()
    }

    /// A local value with its ephemeral parts null, for `ephemeralasnull`
    /// (null where it cannot be evaluated so: the value itself evaluated).
    fn ephemeral_as_null(&self, m: &iac_lang::config::Module, path: &ModulePath, expr: &iac_lang::config::Expr) -> Value {
        let store = self.values.read();
        let scope = InstanceScope { store: &store, module: path, repetition: &Repetition::None, module_dir: &m.dir, root_dir: &self.values.root_dir };
        Evaluator::new(&scope, &m.dir, expr.file).eval_ephemeral_as_null(&expr.expr).unwrap_or(Value::Null)
    }

    pub(super) fn local_node(&self, module: &ConfigModulePath, name: &str) -> NodeResult {
        let m = self.stack.root.descendant(module).expect("module");
        let mut ok = true;
        let expr = &m.locals[name].value;
        let ephemeral = self.values.read().ephemeral.contains(&(module.clone(), iac_lang::refs::Subject::Local(name.to_string())));
        for (path, v) in self.eval_per_instance(module, expr) {
            match v {
                Some(v) => {
                    if ephemeral {
                        let nulled = self.ephemeral_as_null(m, &path, expr);
                        self.values.write().locals_ephemeral_as_null.insert((path.clone(), name.to_string()), nulled);
                    }
                    self.values.write().locals.insert((path, name.to_string()), v);
                }
                None => ok = false,
            }
        }
        ok.then_some(()).ok_or(())
    }

    pub(super) fn output_node(&self, module: &ConfigModulePath, name: &str) -> NodeResult {
        let m = self.stack.root.descendant(module).expect("module");
        let out = &m.outputs[name];
        let mut ok = true;
        let checkable = (m.call_path.to_string(), format!("output.{name}"));
        super::context::lock(&self.conditions).expanded(&checkable, true);
        for (path, v) in self.eval_per_instance(module, &out.value) {
            // Validation checks them too, as Terraform's does: a false one
            // whose values are all known fails there.
            let warn = self.warns_of_conditions();
            if !out.preconditions.is_empty() && (self.checks_conditions() || self.opts.validate_only || warn) {
                let found = {
                    let store = self.values.read();
                    let scope =
                        InstanceScope { store: &store, module: &path, repetition: &Repetition::None, module_dir: &m.dir, root_dir: &self.values.root_dir };
                    failed_conditions(&scope, &m.dir, &out.preconditions, None, ConditionKind::OutputPrecondition)
                };
                self.report_conditions(&checkable, &path, iac_core::address::InstanceKey::None, &found);
                if warn {
                    as_warnings(found.diags).for_each(|d| self.diag(d));
                } else if !found.diags.is_empty() {
                    found.diags.into_iter().for_each(|d| self.diag(d));
                    ok = false;
                    continue;
                }
            }
            let Some(v) = v else {
                ok = false;
                continue;
            };
            if let Some(p) = v.non_finite_path() {
                self.diag(not_finite(format!("output {name:?}{p}"), Some(out.value.span())));
                ok = false;
                continue;
            }
            if module.is_root() && v.contains_sensitive() && !out.sensitive {
                // Terraform's words, naming the output block.
                self.diag(Diagnostic::error("Output refers to sensitive values", Some(out.span.clone())).with_detail(
                    "To reduce the risk of accidentally exporting sensitive data that was intended to be only internal, Terraform requires that any \
                     root module output containing sensitive data be explicitly marked as sensitive, to confirm your intent.\n\nIf you do intend to \
                     export this data, annotate the output value as sensitive by adding the following argument:\n    sensitive = true",
                ));
                ok = false;
                continue;
            }
            self.values.write().outputs.insert((path, name.to_string()), v.mark_if(out.sensitive));
        }
        ok.then_some(()).ok_or(())
    }

    pub(super) fn module_call_node(&self, module: &ConfigModulePath, name: &str) -> NodeResult {
        let m = self.stack.root.descendant(module).expect("module");
        let call = &m.module_calls[name];
        let mut children = Vec::new();
        let mut shape = Shape::Single;
        let mut ok = true;
        for inst in self.values.instances(module) {
            let r = {
                let store = self.values.read();
                let scope =
                    InstanceScope { store: &store, module: &inst.path, repetition: &Repetition::None, module_dir: &m.dir, root_dir: &self.values.root_dir };
                let ev = Evaluator::new(&scope, &m.dir, call.span.file);
                expand(&ev, call.count.as_ref(), call.for_each.as_ref(), self.opts.validate_only)
            };
            match r {
                Ok((s, mut reps)) => {
                    shape = s;
                    // As Terraform's validate: one instance of a repeated
                    // call, its count.index or each unknown.
                    if self.opts.validate_only && s != Shape::Single {
                        reps = vec![Repetition::Unknown];
                    }
                    for rep in reps {
                        children.push(ModuleInstance { path: inst.path.child(name, rep.key()), repetition: rep });
                    }
                }
                Err(d) => {
                    self.diag(d);
                    ok = false;
                }
            }
        }
        let call_path = module.child(name);
        let mut store = self.values.write();
        store.module_instances.insert(call_path.clone(), children);
        store.module_shapes.insert(call_path.clone(), shape);
        store.module_outputs.insert(call_path, call.module.outputs.keys().cloned().collect());
        ok.then_some(()).ok_or(())
    }
}
