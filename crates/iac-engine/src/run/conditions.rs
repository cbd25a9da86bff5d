//! Custom conditions, as Terraform 1.11 checks them: a resource's or data
//! source's `precondition` (before each instance is planned or read, with
//! `count.index` and `each` in scope), its `postcondition` (against `self`,
//! the planned or read object, and after apply the new one) and an
//! output's `precondition`. A false condition is an error with the block's
//! message; one not known while planning is checked again at apply. Each
//! error carries Terraform's expression values of its condition.
//!
//! Their results, and those of variables' validation rules, are kept per
//! checkable object and instance ([`ConditionResults`]), for the plan's
//! `checks` and state's `check_results`, as Terraform keeps them: every
//! object with conditions or validation rules is listed, its instances once
//! the walk expanded it (an object the walk never reached is unknown), each
//! instance's status summing up its conditions (one never evaluated is
//! unknown).

use std::collections::BTreeMap;
use std::path::Path;

use iac_core::address::{InstanceKey, ModulePath};
use iac_core::plan::{CheckInstance, CheckObject, CheckResult, CheckStatus, PlanMode};
use iac_core::Value;
use iac_lang::config::Assertion;
use iac_lang::diagnostic::Diagnostic;
use iac_lang::eval::{walk_attrs, Evaluator, Scope};
use iac_lang::expr_values::expression_values;
use iac_lang::refs::{Reference, Subject};
use iac_lang::source::FileId;

use super::context::{lock, Run};
use super::options::Phase;

/// Which conditions are checked: Terraform's summary of a failed one.
#[derive(Clone, Copy)]
pub(super) enum ConditionKind {
    ResourcePrecondition,
    ResourcePostcondition,
    OutputPrecondition,
}

impl ConditionKind {
    fn failed(self) -> &'static str {
        match self {
            ConditionKind::ResourcePrecondition => "Resource precondition failed",
            ConditionKind::ResourcePostcondition => "Resource postcondition failed",
            ConditionKind::OutputPrecondition => "Module output value precondition failed",
        }
    }
}

impl Run {
    /// Whether this run checks custom conditions: plans and applies of the
    /// normal mode (not validation, destroy or refresh-only).
    pub(super) fn checks_conditions(&self) -> bool {
        !self.opts.validate_only && self.opts.mode == PlanMode::Normal
    }

    /// Whether this run checks custom conditions only to warn: a
    /// refresh-only plan, as Terraform 1.11's (its checks list every
    /// result; a false condition is a warning and stops nothing), and the
    /// refresh before a destroy plan, which is one.
    pub(super) fn warns_of_conditions(&self) -> bool {
        let refreshes = match self.opts.mode {
            PlanMode::RefreshOnly => true,
            PlanMode::Destroy => self.checks_validations,
            PlanMode::Normal => false,
        };
        !self.opts.validate_only && self.phase == super::Phase::Plan && refreshes
    }
}

/// Conditions' failures as the warnings a refresh-only plan gives.
pub(super) fn as_warnings(diags: Vec<Diagnostic>) -> impl Iterator<Item = Diagnostic> {
    diags.into_iter().map(|d| Diagnostic { severity: iac_lang::diagnostic::Severity::Warning, ..d })
}

/// What evaluating a block's conditions found: the errors to report, each
/// condition's status and the messages of the false ones.
#[derive(Default)]
pub(super) struct Evaluated {
    pub diags: Vec<Diagnostic>,
    pub statuses: Vec<CheckStatus>,
    pub problems: Vec<String>,
}

/// `conditions` evaluated in `scope` (with `self` bound to `self_value`
/// when given): an error per false condition and per condition that cannot
/// be evaluated or is not a bool. Unknown results pass: they are checked
/// again at apply.
pub(super) fn failed_conditions(scope: &dyn Scope, dir: &Path, conditions: &[Assertion], self_value: Option<&Value>, kind: ConditionKind) -> Evaluated {
    let with_self;
    let scope: &dyn Scope = match self_value {
        Some(v) => {
            with_self = SelfScope { inner: scope, self_value: v };
            &with_self
        }
        None => scope,
    };
    let mut out = Evaluated::default();
    for a in conditions {
        let span = a.condition.span();
        let ev = Evaluator::new(scope, dir, a.condition.file);
        let values = || expression_values(&a.condition.expr, &ev);
        let result = match ev.eval(&a.condition.expr) {
            Ok(v) => v,
            Err(d) => {
                out.diags.push(d);
                out.statuses.push(CheckStatus::Error);
                continue;
            }
        };
        let status = match result.unmarked() {
            Value::Bool(true) => CheckStatus::Pass,
            v if !v.is_wholly_known() => CheckStatus::Unknown,
            Value::Bool(false) => {
                let message = match Evaluator::new(scope, dir, a.error_message.file).eval(&a.error_message.expr) {
                    Ok(m) if m.is_sensitive() => "(sensitive value)".to_string(),
                    Ok(m) => m.unmarked().as_str().map(str::to_string).unwrap_or_else(|| m.unmarked().to_json().to_string()),
                    Err(d) => d.summary,
                };
                out.diags.push(Diagnostic::error(kind.failed(), Some(span)).with_detail(message.clone()).with_values(values()));
                out.problems.push(message);
                CheckStatus::Fail
            }
            Value::Null => {
                out.diags.push(
                    Diagnostic::error("Invalid condition result", Some(span))
                        .with_detail("Condition expression must return either true or false, not null.")
                        .with_values(values()),
                );
                CheckStatus::Error
            }
            _ => {
                out.diags.push(
                    Diagnostic::error("Invalid condition result", Some(span))
                        .with_detail("Invalid condition result value: bool required.")
                        .with_values(values()),
                );
                CheckStatus::Error
            }
        };
        out.statuses.push(status);
    }
    out
}

/// A checkable object's key: its configuration module path and its address
/// in that module (`aws_vpc.main`, `output.o`).
pub(super) type CheckableKey = (String, String);

/// The results of custom conditions as the walk finds them.
#[derive(Default)]
pub(crate) struct ConditionResults {
    objects: BTreeMap<CheckableKey, Checkable>,
    /// A destroy's: nothing is checked, every result stays as listed.
    frozen: bool,
}

struct Checkable {
    result: CheckResult,
    /// How many conditions each instance has.
    conditions: usize,
    /// Whether the walk expanded the object (its instances are known).
    expanded: bool,
    instances: BTreeMap<(ModulePath, InstanceKey), InstanceResults>,
}

#[derive(Default)]
struct InstanceResults {
    statuses: Vec<CheckStatus>,
    problems: Vec<String>,
    /// Apply: the plan's result, kept for an instance the apply does not check again.
    planned: Option<(CheckStatus, Vec<String>)>,
}

impl ConditionResults {
    /// Every object of the stack with conditions (only the variables with
    /// validation rules unless `all`), none expanded yet.
    pub(super) fn of(root: &iac_lang::config::Module, all: bool) -> ConditionResults {
        let mut objects = BTreeMap::new();
        for m in root.walk() {
            let module = m.call_path.to_string();
            for r in m.resources.values().filter(|r| all && r.mode != iac_core::address::Mode::Ephemeral) {
                let conditions = r.lifecycle.preconditions.len() + r.lifecycle.postconditions.len();
                if conditions > 0 {
                    let object = CheckObject::Resource { mode: r.mode, type_: r.type_.clone() };
                    objects
                        .insert((module.clone(), format!("{}{}.{}", r.mode.prefix(), r.type_, r.name)), Checkable::new(&module, object, &r.name, conditions));
                }
            }
            for v in m.variables.values().filter(|v| !v.validations.is_empty()) {
                objects.insert((module.clone(), format!("var.{}", v.name)), Checkable::new(&module, CheckObject::InputVariable, &v.name, v.validations.len()));
            }
            for o in m.outputs.values().filter(|o| all && !o.preconditions.is_empty()) {
                objects
                    .insert((module.clone(), format!("output.{}", o.name)), Checkable::new(&module, CheckObject::OutputValue, &o.name, o.preconditions.len()));
            }
        }
        ConditionResults { objects, frozen: false }
    }

    /// A destroy's results, as Terraform lists them: every object with
    /// conditions, unknown, without instances but the root module's
    /// outputs' (one each, unknown); nothing the run finds changes them.
    pub(super) fn unchecked(root: &iac_lang::config::Module) -> ConditionResults {
        let mut results = ConditionResults::of(root, true);
        for ((module, _), c) in results.objects.iter_mut().filter(|(_, c)| c.result.object == CheckObject::OutputValue) {
            if module.is_empty() {
                c.expanded = true;
                c.instances.entry((ModulePath::root(), InstanceKey::None)).or_default();
            }
        }
        results.frozen = true;
        results
    }

    /// Apply: the plan's results are where the apply starts, as in
    /// Terraform (the same instances; those the apply checks again get its
    /// results).
    pub(super) fn carry(&mut self, planned: &[CheckResult], mode: PlanMode) {
        if self.frozen {
            return;
        }
        for p in planned.iter().filter(|p| !p.object.is_check()) {
            let Some(c) = self.objects.get_mut(&(p.module.clone(), p.local_address())) else { continue };
            if p.status == CheckStatus::Unknown && p.instances.is_empty() {
                continue;
            }
            c.expanded = true;
            // A data source read while planning is not read again, nor
            // checked: Terraform's apply lists its instances, unknown (a
            // refresh-only plan's apply keeps what the plan found).
            let read_at_plan = mode == PlanMode::Normal && matches!(c.result.object, CheckObject::Resource { mode: iac_core::address::Mode::Data, .. });
            for i in &p.instances {
                let module = c.instances.keys().find(|(m, _)| m.to_string() == i.module).map(|(m, _)| m.clone());
                let module = module.or_else(|| parse_module(&i.module)).unwrap_or_default();
                let instance = c.instances.entry((module, i.key.clone())).or_default();
                if !read_at_plan {
                    instance.planned = Some((i.status, i.problems.clone()));
                }
            }
        }
    }

    pub(super) fn expanded(&mut self, key: &CheckableKey, known: bool) {
        if self.frozen {
            return;
        }
        if let Some(c) = self.objects.get_mut(key) {
            c.expanded = known;
        }
    }

    /// Records an instance (whose conditions may not all be evaluated).
    pub(super) fn instance(&mut self, key: &CheckableKey, module: &ModulePath, ikey: InstanceKey) {
        if self.frozen {
            return;
        }
        if let Some(c) = self.objects.get_mut(key) {
            c.instances.entry((module.clone(), ikey)).or_default();
        }
    }

    /// Records the results of some of an instance's conditions.
    pub(super) fn report(&mut self, key: &CheckableKey, module: &ModulePath, ikey: InstanceKey, e: &Evaluated) {
        if self.frozen {
            return;
        }
        if let Some(c) = self.objects.get_mut(key) {
            let i = c.instances.entry((module.clone(), ikey)).or_default();
            i.statuses.extend(e.statuses.iter().copied());
            i.problems.extend(e.problems.iter().cloned());
        }
    }

    /// Records what a variable's validation rules found in one module
    /// instance (the object expanded: its module's instances are known).
    pub(super) fn validated(&mut self, key: &CheckableKey, module: &ModulePath, found: &iac_lang::vars::Validations) {
        if self.frozen {
            return;
        }
        if let Some(c) = self.objects.get_mut(key) {
            c.expanded = true;
            let i = c.instances.entry((module.clone(), InstanceKey::None)).or_default();
            i.statuses.extend(found.statuses.iter().copied());
            i.problems.extend(found.problems.iter().cloned());
        }
    }

    /// The results, Terraform's statuses summed up per instance and object.
    pub(super) fn results(self) -> Vec<CheckResult> {
        self.objects
            .into_values()
            .map(|c| {
                let mut result = c.result;
                if !c.expanded {
                    return result;
                }
                result.instances = c
                    .instances
                    .into_iter()
                    .map(|((module, key), i)| {
                        let (status, problems) = match i.planned {
                            Some(planned) if i.statuses.is_empty() => planned,
                            _ => {
                                let unevaluated = c.conditions.saturating_sub(i.statuses.len());
                                let all = i.statuses.into_iter().chain(std::iter::repeat_n(CheckStatus::Unknown, unevaluated));
                                (CheckStatus::aggregate(all), i.problems)
                            }
                        };
                        CheckInstance { module: module.to_string(), key, status, problems }
                    })
                    .collect();
                result.status = if result.instances.is_empty() { CheckStatus::Pass } else { CheckStatus::aggregate(result.instances.iter().map(|i| i.status)) };
                result
            })
            .collect()
    }
}

impl Checkable {
    fn new(module: &str, object: CheckObject, name: &str, conditions: usize) -> Checkable {
        Checkable {
            result: CheckResult { module: module.to_string(), object, name: name.to_string(), status: CheckStatus::Unknown, instances: Vec::new() },
            conditions,
            expanded: false,
            instances: BTreeMap::new(),
        }
    }
}

/// A module instance path from its text (`module.a[0].module.b["k"]`).
fn parse_module(text: &str) -> Option<ModulePath> {
    if text.is_empty() {
        return Some(ModulePath::root());
    }
    let probe: iac_core::address::InstanceAddr = format!("{text}.x.y").parse().ok()?;
    Some(probe.resource.module)
}

impl Run {
    /// Records what a block's conditions found for one instance.
    pub(super) fn report_conditions(&self, key: &CheckableKey, module: &ModulePath, ikey: InstanceKey, e: &Evaluated) {
        lock(&self.conditions).report(key, module, ikey, e);
    }

    /// Apply: starts from the results of the plan being applied.
    pub fn carrying_checks(self, planned: &[CheckResult]) -> Run {
        if self.phase == Phase::Apply {
            lock(&self.conditions).carry(planned, self.opts.mode);
        }
        self
    }
}

/// Whether `d` is a resource's failed precondition or postcondition: the
/// errors after which a plan is kept (errored), as Terraform keeps it.
pub(crate) fn is_resource_condition_failure(d: &Diagnostic) -> bool {
    [ConditionKind::ResourcePrecondition, ConditionKind::ResourcePostcondition].iter().any(|k| d.summary == k.failed())
}

/// A scope in which `self` is the object a postcondition checks.
struct SelfScope<'a> {
    inner: &'a dyn Scope,
    self_value: &'a Value,
}

impl Scope for SelfScope<'_> {
    fn resolve(&self, r: &Reference) -> Result<Value, String> {
        match r.subject {
            Subject::SelfRef => Ok(self.self_value.clone()),
            _ => self.inner.resolve(r),
        }
    }

    fn resolve_path(&self, r: &Reference, attrs: &[&str]) -> Option<Result<(Value, usize), String>> {
        match r.subject {
            Subject::SelfRef => Some(Ok(walk_attrs(self.self_value, attrs))),
            _ => self.inner.resolve_path(r, attrs),
        }
    }

    fn planning(&self) -> bool {
        self.inner.planning()
    }

    fn plan_timestamp(&self) -> Option<String> {
        self.inner.plan_timestamp()
    }

    fn source_text(&self, file: FileId) -> Option<&str> {
        self.inner.source_text(file)
    }

    fn call_provider_function(&self, provider: &str, function: &str, args: Vec<Value>) -> Option<Result<Value, String>> {
        self.inner.call_provider_function(provider, function, args)
    }
}
