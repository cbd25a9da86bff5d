//! Custom conditions, as Terraform 1.11 checks them: a resource's or data
//! source's `precondition` (before each instance is planned or read, with
//! `count.index` and `each` in scope), its `postcondition` (against `self`,
//! the planned or read object, and after apply the new one) and an
//! output's `precondition`. A false condition is an error with the block's
//! message; one not known while planning is checked again at apply. Each
//! error carries Terraform's expression values of its condition.

use std::path::Path;

use iac_core::plan::PlanMode;
use iac_core::Value;
use iac_lang::config::Assertion;
use iac_lang::diagnostic::Diagnostic;
use iac_lang::eval::{walk_attrs, Evaluator, Scope};
use iac_lang::expr_values::expression_values;
use iac_lang::refs::{Reference, Subject};
use iac_lang::source::FileId;

use super::context::Run;

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
}

/// The errors of `conditions` evaluated in `scope` (with `self` bound to
/// `self_value` when given): one per false condition and per condition that
/// cannot be evaluated or is not a bool. Unknown results pass: they are
/// checked again at apply.
pub(super) fn failed_conditions(scope: &dyn Scope, dir: &Path, conditions: &[Assertion], self_value: Option<&Value>, kind: ConditionKind) -> Vec<Diagnostic> {
    let with_self;
    let scope: &dyn Scope = match self_value {
        Some(v) => {
            with_self = SelfScope { inner: scope, self_value: v };
            &with_self
        }
        None => scope,
    };
    let mut diags = Vec::new();
    for a in conditions {
        let span = a.condition.span();
        let ev = Evaluator::new(scope, dir, a.condition.file);
        let values = || expression_values(&a.condition.expr, &ev);
        let result = match ev.eval(&a.condition.expr) {
            Ok(v) => v,
            Err(d) => {
                diags.push(d);
                continue;
            }
        };
        match result.unmarked() {
            Value::Bool(true) => {}
            v if !v.is_wholly_known() => {}
            Value::Bool(false) => {
                let message = match Evaluator::new(scope, dir, a.error_message.file).eval(&a.error_message.expr) {
                    Ok(m) if m.is_sensitive() => "(sensitive value)".to_string(),
                    Ok(m) => m.unmarked().as_str().map(str::to_string).unwrap_or_else(|| m.unmarked().to_json().to_string()),
                    Err(d) => d.summary,
                };
                diags.push(Diagnostic::error(kind.failed(), Some(span)).with_detail(message).with_values(values()));
            }
            Value::Null => diags.push(
                Diagnostic::error("Invalid condition result", Some(span))
                    .with_detail("Condition expression must return either true or false, not null.")
                    .with_values(values()),
            ),
            _ => diags.push(
                Diagnostic::error("Invalid condition result", Some(span)).with_detail("Invalid condition result value: bool required.").with_values(values()),
            ),
        }
    }
    diags
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
