//! `ephemeralasnull(value)`: the value with its ephemeral parts null.
//! Terraform marks ephemeral values and nulls the marked parts; iac knows
//! them from what an expression refers to ([`Scope::is_ephemeral`]), so the
//! argument is taken apart where its parts are written separately (object
//! and tuple constructors, parentheses, local values that mix ephemeral and
//! other parts) and each other part is null when it refers to an ephemeral
//! value, and evaluated as usual when it does not.
//!
//! [`Scope::is_ephemeral`]: super::Scope::is_ephemeral

use hcl_edit::expr::{Expression, ObjectKey, TraversalOperator};
use hcl_edit::repr::Span as _;
use iac_core::Value;

use super::{err, to_string, EResult, Evaluator};
use crate::refs::{parse_subject, references_kept_ephemeral, Reference};

impl Evaluator<'_> {
    /// Evaluates an expression with its ephemeral parts null, as
    /// `ephemeralasnull(expr)` would.
    pub fn eval_ephemeral_as_null(&self, expr: &Expression) -> Result<Value, crate::diagnostic::Diagnostic> {
        let mut frames = Vec::new();
        self.as_null(expr, &mut frames).map_err(|e| self.diagnostic(e))
    }

    /// Evaluates `e` with its ephemeral parts null.
    pub(super) fn as_null(&self, e: &Expression, frames: &mut Vec<(String, Value)>) -> EResult {
        match e {
            Expression::Parenthesis(p) => self.as_null(p.inner(), frames),
            Expression::Array(a) => {
                let mut items = Vec::with_capacity(a.len());
                for x in a.iter() {
                    items.push(self.as_null(x, frames)?);
                }
                Ok(Value::List(items.into()))
            }
            Expression::Object(o) => {
                let mut m = iac_core::ValueMap::new();
                for (k, v) in o.iter() {
                    let key = match k {
                        ObjectKey::Ident(i) => i.as_str().to_string(),
                        ObjectKey::Expression(Expression::Variable(i)) => i.as_str().to_string(),
                        ObjectKey::Expression(ke) => match self.ev(ke, frames)?.unmark().0 {
                            Value::Unknown => return Ok(Value::Unknown),
                            other => to_string(&other).map_err(|m| err(ke.span(), format!("invalid object key: {m}")))?,
                        },
                    };
                    m.insert(key, self.as_null(v.expr(), frames)?);
                }
                Ok(Value::Map(m))
            }
            Expression::Traversal(t) => match self.mixed_local(t, frames) {
                Some((v, consumed)) => {
                    let ops: Vec<&TraversalOperator> = t.operators.iter().map(|o| &**o).collect();
                    let spans: Vec<_> = t.operators.iter().map(|o| o.span()).collect();
                    self.traverse(v, &ops[consumed..], &spans[consumed..], frames).map_err(|(_, e)| e)
                }
                None => self.whole_as_null(e, frames),
            },
            Expression::Variable(v) => match self.mixed_local_root(v.as_str(), &[], frames) {
                Some((v, _)) => Ok(v),
                None => self.whole_as_null(e, frames),
            },
            _ => self.whole_as_null(e, frames),
        }
    }

    /// Null when the expression refers to an ephemeral value, else its value.
    fn whole_as_null(&self, e: &Expression, frames: &mut Vec<(String, Value)>) -> EResult {
        // A name of an enclosing `for` is not a reference (`[for x in xs : ephemeralasnull(x.a)]`).
        let shadowed = |r: &Reference| frames.iter().any(|(n, _)| r.subject.describe().split('.').next() == Some(n.as_str()));
        if references_kept_ephemeral(e).iter().any(|r| !shadowed(r) && self.scope.is_ephemeral(&r.subject)) {
            return Ok(Value::Null);
        }
        self.ev(e, frames)
    }

    /// A traversal rooted at a local value that mixes ephemeral and other
    /// parts: that value with its ephemeral parts null, and how many
    /// operators the reference consumed.
    fn mixed_local(&self, t: &hcl_edit::expr::Traversal, frames: &[(String, Value)]) -> Option<(Value, usize)> {
        let Expression::Variable(root) = &t.expr else { return None };
        let ops: Vec<&TraversalOperator> = t.operators.iter().map(|o| &**o).collect();
        // Index operators may refer to ephemeral values themselves.
        let index_refs = ops.iter().any(|op| match op {
            TraversalOperator::Index(i) => references_kept_ephemeral(i).iter().any(|r| self.scope.is_ephemeral(&r.subject)),
            _ => false,
        });
        if index_refs {
            return None;
        }
        self.mixed_local_root(root.as_str(), &ops, frames)
    }

    fn mixed_local_root(&self, root: &str, ops: &[&TraversalOperator], frames: &[(String, Value)]) -> Option<(Value, usize)> {
        if frames.iter().any(|(n, _)| n == root) {
            return None;
        }
        let (subject, consumed) = parse_subject(root, ops).ok()?;
        let reference = Reference { subject, range: 0..0, consumed };
        self.scope.ephemeral_as_null(&reference).map(|v| (v, consumed))
    }
}
