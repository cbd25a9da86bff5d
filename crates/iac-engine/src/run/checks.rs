//! `check` blocks, once the configuration walk is over: each assertion is
//! evaluated in every instance of its module, and a false condition is a
//! warning (as in Terraform, a failed check never stops a plan or an
//! apply). A condition not known while planning is reported as known after
//! apply. A condition that cannot be evaluated, or is not a bool, is an
//! error, as Terraform has it. Problems of a check's scoped data sources
//! (a read that fails) are warnings. Each of these diagnostics carries
//! Terraform's expression values of its condition (`local.one is 1`).

use iac_core::plan::{CheckInstance, CheckResult, CheckStatus};
use iac_core::Value;
use iac_lang::config::{Check, Module};
use iac_lang::diagnostic::{Diagnostic, Severity};
use iac_lang::eval::Evaluator;
use iac_lang::expr_values::expression_values;
use iac_lang::load::Stack;
use iac_lang::source::Span;

use super::context::Run;
use super::options::Phase;
use crate::values::{InstanceScope, Repetition};

impl Run {
    /// Evaluates every check block of the stack; failed assertions go to
    /// the diagnostics as warnings.
    /// A check whose scoped data sources could not be read (`failed`: the
    /// blocks [`downgrade_inside`] found problems in) is not evaluated: its
    /// status is an error, and the read's warning says why.
    pub(super) fn evaluate_checks(&self, failed: &[Span]) -> Vec<CheckResult> {
        let mut results = Vec::new();
        for module in self.stack.root.walk() {
            for check in module.checks.values() {
                let skip = failed.contains(&check.block);
                let instances: Vec<CheckInstance> = self
                    .values
                    .instances(&module.call_path)
                    .into_iter()
                    .map(|inst| {
                        if skip {
                            CheckInstance { module: inst.path.to_string(), key: Default::default(), status: CheckStatus::Error, problems: Vec::new() }
                        } else {
                            self.check_instance(module, check, &inst.path)
                        }
                    })
                    .collect();
                results.push(CheckResult {
                    module: module.call_path.to_string(),
                    object: Default::default(),
                    name: check.name.clone(),
                    status: CheckStatus::aggregate(instances.iter().map(|i| i.status)),
                    instances,
                });
            }
        }
        results
    }

    /// A destroy's check blocks, as Terraform lists them: unknown, without
    /// instances (it evaluates none).
    pub(super) fn unchecked_checks(&self) -> Vec<CheckResult> {
        let modules = self.stack.root.walk();
        let checks = modules.iter().flat_map(|m| m.checks.values().map(move |c| (m, c)));
        checks
            .map(|(m, c)| CheckResult {
                module: m.call_path.to_string(),
                object: Default::default(),
                name: c.name.clone(),
                status: CheckStatus::Unknown,
                instances: Vec::new(),
            })
            .collect()
    }

    fn check_instance(&self, module: &Module, check: &Check, path: &iac_core::address::ModulePath) -> CheckInstance {
        let store = self.values.read();
        let scope = InstanceScope { store: &store, module: path, repetition: &Repetition::None, module_dir: &module.dir, root_dir: &self.values.root_dir };
        let eval = |e: &iac_lang::config::Expr| Evaluator::new(&scope, &module.dir, e.file).eval(&e.expr);
        let mut statuses = Vec::new();
        let mut problems = Vec::new();
        let mut diags = Vec::new();
        for a in &check.asserts {
            let span = a.condition.span();
            // Terraform's notes under the condition: what its references were.
            let values = || expression_values(&a.condition.expr, &Evaluator::new(&scope, &module.dir, a.condition.file));
            let status = match eval(&a.condition) {
                Err(d) => {
                    diags.push(d);
                    CheckStatus::Error
                }
                Ok(v) => match v.unmarked() {
                    Value::Bool(true) => CheckStatus::Pass,
                    Value::Bool(false) => {
                        let message = match eval(&a.error_message) {
                            Ok(m) if m.is_sensitive() => "(sensitive value)".to_string(),
                            Ok(m) => m.unmarked().as_str().map(str::to_string).unwrap_or_else(|| m.unmarked().to_json().to_string()),
                            Err(d) => d.summary,
                        };
                        diags.push(Diagnostic::warning(ASSERTION_FAILED, Some(span)).with_detail(message.clone()).with_values(values()));
                        problems.push(message);
                        CheckStatus::Fail
                    }
                    v if !v.is_wholly_known() => {
                        if self.phase == Phase::Plan {
                            diags.push(
                                Diagnostic::warning(ASSERTION_UNKNOWN, Some(span))
                                    .with_detail("The condition could not be evaluated at this time, a result will be known when this plan is applied.")
                                    .with_values(values()),
                            );
                        }
                        CheckStatus::Unknown
                    }
                    Value::Null => {
                        diags.push(
                            Diagnostic::error("Invalid condition result", Some(span))
                                .with_detail("Condition expression must return either true or false, not null.")
                                .with_values(values()),
                        );
                        CheckStatus::Error
                    }
                    _ => {
                        diags.push(
                            Diagnostic::error("Invalid condition result", Some(span))
                                .with_detail("Invalid condition result value: bool required.")
                                .with_values(values()),
                        );
                        CheckStatus::Error
                    }
                },
            };
            statuses.push(status);
        }
        drop(store);
        diags.into_iter().for_each(|d| self.diag(d));
        CheckInstance { module: path.to_string(), key: Default::default(), status: CheckStatus::aggregate(statuses), problems }
    }

    /// The spans of every check block: a problem reported inside one (a
    /// scoped data source that could not be read) is a warning.
    pub(super) fn check_blocks(&self) -> Vec<Span> {
        self.stack.root.walk().into_iter().flat_map(|m| m.checks.values().map(|c| c.block.clone())).collect()
    }
}

/// Summaries of what an assertion reports while planning.
const ASSERTION_FAILED: &str = "Check block assertion failed";
const ASSERTION_UNKNOWN: &str = "Check block assertion known after apply";

/// Whether `d` is a check assertion's result from planning: an apply after
/// its plan evaluates the checks again and shows only its own (Terraform
/// does not repeat the plan's).
pub fn is_assertion_result(d: &Diagnostic, stack: &Stack) -> bool {
    (d.summary == ASSERTION_FAILED || d.summary == ASSERTION_UNKNOWN)
        && d.span.as_ref().is_some_and(|s| stack.root.walk().iter().flat_map(|m| m.checks.values()).any(|c| inside(s, &c.block)))
}

fn inside(s: &Span, block: &Span) -> bool {
    block.file == s.file && block.range.start <= s.range.start && s.range.end <= block.range.end
}

/// Errors whose place lies inside one of `blocks` become warnings (run
/// before the assertions are evaluated: their errors stay errors); returns
/// the blocks that had one.
pub(super) fn downgrade_inside(diags: &mut [Diagnostic], blocks: &[Span]) -> Vec<Span> {
    let mut failed = Vec::new();
    for d in diags.iter_mut().filter(|d| d.is_error()) {
        let Some(s) = &d.span else { continue };
        if let Some(b) = blocks.iter().find(|b| inside(s, b)) {
            d.severity = Severity::Warning;
            failed.push(b.clone());
        }
    }
    failed
}
