//! Expression evaluation with unknown and sensitive marks.
//!
//! Rules carried through every construct: an unknown operand makes the
//! result unknown (a conditional on an unknown condition is unknown; a
//! `for` over an unknown collection is unknown); a sensitive operand makes
//! the result sensitive. Values of other objects come from a [`Scope`].

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

use hcl_edit::expr::{Expression, ObjectKey, Traversal, TraversalOperator};
use hcl_edit::repr::Span as _;
use hcl_edit::template::{Directive, Element, Template};
use iac_core::Number;
use iac_core::Value;

use crate::diagnostic::{Diagnostic, ExprValue};
use crate::expr_types::Type;
use crate::refs::{parse_subject, Reference, Subject};
use crate::source::{FileId, Span};

/// Supplies the values that references resolve to.
pub trait Scope {
    /// Err is a message for the user ("Reference to undeclared resource").
    fn resolve(&self, reference: &Reference) -> Result<Value, String>;

    /// Resolves a reference followed by attribute names (`aws_vpc.main.id`)
    /// without copying the whole object: returns the value reached and how
    /// many of `attrs` it consumed. None: not supported, use [`Scope::resolve`].
    fn resolve_path(&self, _reference: &Reference, _attrs: &[&str]) -> Option<Result<(Value, usize), String>> {
        None
    }

    /// True while planning: `uuid()`, `timestamp()` and `bcrypt()` are then
    /// unknown, as in Terraform. Scopes of an apply (or of validation, which
    /// never stores values) keep the default.
    fn planning(&self) -> bool {
        false
    }

    /// What `plantimestamp()` returns; None: the time this process first
    /// asked (one `plan`/`apply` run sees one value).
    fn plan_timestamp(&self) -> Option<String> {
        None
    }

    /// The text of a source file, so number literals are read from their
    /// source at Terraform's precision (`18446744073709551616`, `-0`);
    /// None: from what the parser kept (exact within 64 bits, else the
    /// float64's shortest decimal).
    fn source_text(&self, _file: FileId) -> Option<&str> {
        None
    }

    /// Calls `provider::PROVIDER::FUNCTION(args)`; None when no provider of
    /// that local name is available to this scope.
    fn call_provider_function(&self, _provider: &str, _function: &str, _args: Vec<Value>) -> Option<Result<Value, String>> {
        None
    }

    /// The static type of an expression written where this scope
    /// evaluates ([`crate::expr_types`]), `bound` being what enclosing `for`
    /// expressions bind. Unification asks it where a value holds a null,
    /// whose type the value cannot say. The default knows no configuration:
    /// literals, conversions and function results only.
    fn static_type(&self, expr: &Expression, bound: &[(String, Type)]) -> Type {
        crate::expr_types::expr_type_at(&crate::config::Module::default(), &[], expr, bound)
    }

    /// Whether what a reference names holds an ephemeral value, which
    /// `ephemeralasnull` makes null. `terraform.applying` always does.
    fn is_ephemeral(&self, subject: &Subject) -> bool {
        matches!(subject, Subject::TerraformApplying)
    }

    /// The value a reference names with its ephemeral parts null, for a
    /// value that mixes ephemeral and other parts (a local value); None:
    /// wholly ephemeral when [`Scope::is_ephemeral`] says so.
    fn ephemeral_as_null(&self, _reference: &Reference) -> Option<Value> {
        None
    }
}

/// Whether `v`, the value of `e`, holds a null whose type the
/// configuration may know. A literal `null` has none (it fits any type),
/// so `c ? x : null`, the common case, asks for no static types.
fn holds_typed_null(e: &Expression, v: &Value) -> bool {
    !matches!(e, Expression::Null(_)) && v.contains_null()
}

/// The types of what enclosing `for` expressions bind, from their values.
fn bound_types(frames: &[(String, Value)]) -> Vec<(String, Type)> {
    frames.iter().map(|(n, x)| (n.clone(), Type::of_value(x))).collect()
}

/// The plan time of this process, fixed on first use.
fn process_plan_timestamp() -> &'static str {
    static START: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    START.get_or_init(iac_functions::now_timestamp)
}

/// Walks attribute names down a stored value by reference, copying only
/// what is reached. Stops where a name is missing, so the caller's ordinary
/// traversal reports the error; marks on the way are kept.
pub fn walk_attrs(root: &Value, attrs: &[&str]) -> (Value, usize) {
    let mut cur = root;
    let mut sensitive = false;
    let mut used = 0;
    for a in attrs {
        if let Value::Sensitive(inner) = cur {
            sensitive = true;
            cur = inner;
        }
        match cur {
            Value::Unknown => return (Value::Unknown.mark_if(sensitive), attrs.len()),
            Value::Map(m) => match m.get(*a) {
                Some(next) => {
                    cur = next;
                    used += 1;
                }
                None => break,
            },
            _ => break,
        }
    }
    (cur.clone().mark_if(sensitive), used)
}

/// A scope with nothing in it: every reference is an error.
pub struct EmptyScope;

impl Scope for EmptyScope {
    fn resolve(&self, r: &Reference) -> Result<Value, String> {
        Err(format!("references are not allowed here ({})", r.subject.describe()))
    }
}

#[derive(Debug, Clone)]
pub struct EvalError {
    pub message: String,
    /// What the diagnostic explains under its summary (`message`).
    pub detail: String,
    pub range: Range<usize>,
    /// Terraform's expression values of the expression the error is about
    /// (`var.n is null`), as HCL names it with the diagnostic.
    pub values: Vec<ExprValue>,
}

type EResult = Result<Value, EvalError>;

fn err(range: Option<Range<usize>>, message: impl Into<String>) -> EvalError {
    EvalError { message: message.into(), detail: String::new(), range: range.unwrap_or(0..0), values: Vec::new() }
}

/// A problem as HCL words it: a summary and a detail.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Problem {
    summary: &'static str,
    detail: String,
}

impl Problem {
    fn new(summary: &'static str, detail: impl Into<String>) -> Problem {
        Problem { summary, detail: detail.into() }
    }

    fn at(self, range: Option<Range<usize>>) -> EvalError {
        EvalError { message: self.summary.to_string(), detail: self.detail, range: range.unwrap_or(0..0), values: Vec::new() }
    }
}

pub struct Evaluator<'a> {
    pub scope: &'a dyn Scope,
    /// Where `file()` and `templatefile()` resolve relative paths.
    pub base_dir: &'a Path,
    pub file: FileId,
    /// Above 0 while an error is of no interest (inside `try` and `can`, or
    /// while finding expression values): no expression values are found.
    quiet: std::cell::Cell<u32>,
}

impl<'a> Evaluator<'a> {
    pub fn new(scope: &'a dyn Scope, base_dir: &'a Path, file: FileId) -> Evaluator<'a> {
        Evaluator { scope, base_dir, file, quiet: std::cell::Cell::new(0) }
    }

    /// Runs `f` with expression values turned off.
    fn quietly<T>(&self, f: impl FnOnce() -> T) -> T {
        self.quiet.set(self.quiet.get() + 1);
        let out = f();
        self.quiet.set(self.quiet.get() - 1);
        out
    }

    /// The error with the expression values of `about`, the expression HCL
    /// names with it (`Expression` of an `hcl.Diagnostic`).
    fn about(&self, mut e: EvalError, about: &Expression, frames: &mut Vec<(String, Value)>) -> EvalError {
        if self.quiet.get() == 0 {
            e.values = self.quietly(|| crate::expr_values::values_in(about, self, frames));
        }
        e
    }

    /// A number literal, from its source text when the scope has it.
    fn number_literal(&self, n: &hcl_edit::Formatted<hcl_edit::Number>) -> Number {
        let text = n.span().and_then(|r| self.scope.source_text(self.file)?.get(r));
        // `- 5` is one literal to the parser: the sign, then the number.
        let exact = text.map(|t| t.chars().filter(|c| !c.is_whitespace()).collect::<String>()).and_then(|t| Number::parse(&t).ok());
        exact.unwrap_or_else(|| literal_number(n.value()))
    }

    /// Evaluates an expression; errors come back as a diagnostic with a span.
    pub fn eval(&self, expr: &Expression) -> Result<Value, Diagnostic> {
        let mut frames = Vec::new();
        self.ev(expr, &mut frames).map_err(|e| self.diagnostic(e))
    }

    /// Evaluates with extra local names (used for `templatefile` variables).
    pub fn eval_with(&self, expr: &Expression, locals: Vec<(String, Value)>) -> Result<Value, Diagnostic> {
        let mut frames = locals;
        self.ev(expr, &mut frames).map_err(|e| self.diagnostic(e))
    }

    pub fn diagnostic(&self, e: EvalError) -> Diagnostic {
        Diagnostic::error(e.message, Some(Span { file: self.file, range: e.range })).with_detail(e.detail).with_values(e.values)
    }

    pub(crate) fn ev(&self, e: &Expression, frames: &mut Vec<(String, Value)>) -> EResult {
        match e {
            Expression::Null(_) => Ok(Value::Null),
            Expression::Bool(b) => Ok(Value::Bool(*b.value())),
            Expression::Number(n) => Ok(Value::Number(self.number_literal(n))),
            Expression::String(s) => Ok(Value::String(nfc(s.value()))),
            Expression::Array(a) => {
                let mut items = Vec::with_capacity(a.len());
                for x in a.iter() {
                    items.push(self.ev(x, frames)?);
                }
                Ok(Value::List(items.into()))
            }
            Expression::Object(o) => {
                let mut m = iac_core::ValueMap::new();
                let mut sensitive_key = false;
                for (k, v) in o.iter() {
                    let key = match k {
                        ObjectKey::Ident(i) => i.as_str().to_string(),
                        ObjectKey::Expression(Expression::Variable(i)) => i.as_str().to_string(),
                        ObjectKey::Expression(ke) => {
                            let kv = self.ev(ke, frames)?;
                            let (kv, s) = kv.unmark();
                            sensitive_key |= s;
                            // As HCL: the value's errors come before the key's.
                            match kv {
                                Value::Unknown => return Ok(Value::Unknown),
                                Value::Null => {
                                    self.ev(v.expr(), frames)?;
                                    let p = Problem::new("Null value as key", "Can't use a null value as a key.");
                                    return Err(self.about(p.at(v.expr().span()), ke, frames));
                                }
                                other => match to_string(&other) {
                                    Ok(k) => k,
                                    Err(_) => {
                                        self.ev(v.expr(), frames)?;
                                        let p = Problem::new("Incorrect key type", "Can't use this value as a key: string required.");
                                        return Err(self.about(p.at(ke.span()), ke, frames));
                                    }
                                },
                            }
                        }
                    };
                    let value = self.ev(v.expr(), frames)?;
                    m.insert(key, value);
                }
                Ok(Value::Map(m).mark_if(sensitive_key))
            }
            Expression::StringTemplate(t) => self.template(t, frames, None, true),
            Expression::HeredocTemplate(h) => self.template(&h.template, frames, h.indent(), false),
            Expression::Parenthesis(p) => self.ev(p.inner(), frames),
            Expression::Variable(v) => self.root(v.as_str(), &[], e.span(), frames).map(|(v, _)| v),
            Expression::Conditional(c) => self.conditional(c, e, frames),
            Expression::FuncCall(f) => self.call(f, e, frames),
            Expression::Traversal(t) => self.traversal(t, e, frames),
            Expression::UnaryOp(u) => {
                let v = self.ev(&u.expr, frames)?;
                operators::unary(*u.operator.value(), v).map_err(|f| {
                    let (summary, detail) = f.words(true);
                    let (at, about) = if matches!(f, OpFailure::Failed(_)) { (e.span(), e) } else { (u.expr.span(), &u.expr) };
                    self.about(Problem { summary, detail }.at(at), about, frames)
                })
            }
            Expression::BinaryOp(b) => {
                let l = self.ev(&b.lhs_expr, frames)?;
                let r = self.ev(&b.rhs_expr, frames)?;
                operators::binary(*b.operator.value(), l, r).map_err(|f| {
                    let (summary, detail) = f.words(false);
                    let about = match f {
                        OpFailure::Left(_) => &b.lhs_expr,
                        OpFailure::Right(_) => &b.rhs_expr,
                        OpFailure::Failed(_) => e,
                    };
                    self.about(Problem { summary, detail }.at(about.span()), about, frames)
                })
            }
            Expression::ForExpr(f) => self.for_expr(f, frames),
        }
    }

    /// `cond ? t : f` as HCL evaluates it: both results first, whose types
    /// must agree (whatever the condition), then the condition; only the
    /// chosen result's errors count.
    fn conditional(&self, c: &hcl_edit::expr::Conditional, e: &Expression, frames: &mut Vec<(String, Value)>) -> EResult {
        let t = self.ev(&c.true_expr, frames);
        let f = self.ev(&c.false_expr, frames);
        let inconsistent = |mismatch: String, frames: &mut Vec<(String, Value)>| {
            let detail = format!("The true and false result expressions must have consistent types. {mismatch}.");
            let at = match (c.true_expr.span(), c.false_expr.span()) {
                (Some(a), Some(b)) => Some(a.start..b.end),
                (a, b) => a.or(b),
            };
            Err(self.about(Problem::new("Inconsistent conditional result types", detail).at(at), e, frames))
        };
        // As HCL: both results are converted to their common type (`cond ?
        // 1 : "x"` is a string either way); a result that failed has no type.
        let unified = match (&t, &f) {
            (Ok(tv), Ok(fv)) => match iac_functions::unify_pair(tv.clone(), fv.clone()) {
                Some(pair) => Some(pair),
                None => return inconsistent(operators::describe_mismatch(tv, fv), frames),
            },
            _ => None,
        };
        // A null's type comes from the configuration (`tostring(null)`, a
        // typed variable), which the values above cannot say: the types
        // must agree with it too, and the chosen result converts to it.
        let typed_nulls = match (&t, &f) {
            (Ok(tv), Ok(fv)) if holds_typed_null(&c.true_expr, tv) || holds_typed_null(&c.false_expr, fv) => {
                let bound = bound_types(frames);
                let (tt, ft) = (self.typed(&c.true_expr, tv, &bound), self.typed(&c.false_expr, fv, &bound));
                let to = crate::expr_types::unify(&[tt.clone(), ft.clone()]);
                if to.is_none() && tt.is_known() && ft.is_known() {
                    return inconsistent(operators::describe_types(&tt.to_json(), &ft.to_json()), frames);
                }
                to
            }
            _ => None,
        };
        let cond = self.ev(&c.cond_expr, frames)?;
        let (cond, s) = cond.unmark_deep_collapse();
        let taken = match operators::condition(&cond) {
            operators::Condition::Known(b) => b,
            operators::Condition::Unknown => return Ok(Value::Unknown.mark_if(s)),
            operators::Condition::Null => {
                let p = Problem::new("Null condition", "The condition value is null. Conditions must either be true or false.");
                return Err(self.about(p.at(c.cond_expr.span()), &c.cond_expr, frames));
            }
            operators::Condition::Wrong => {
                let p = Problem::new("Incorrect condition type", "The condition expression must be of type bool.");
                return Err(self.about(p.at(c.cond_expr.span()), &c.cond_expr, frames));
            }
        };
        let r = match unified {
            Some((tv, fv)) => Ok(if taken { tv } else { fv }),
            None if taken => t,
            None => f,
        };
        Ok(match typed_nulls {
            Some(to) => crate::expr_types::conform(r?, &to),
            None => r?,
        }
        .mark_if(s))
    }

    /// The static type of an expression where it is evaluated (no value
    /// refines it): what the configuration says.
    pub(crate) fn static_type(&self, e: &Expression, frames: &[(String, Value)]) -> Type {
        self.scope.static_type(e, &bound_types(frames))
    }

    /// The type of an expression whose value is `v`, as unification over a
    /// null needs it: what the configuration says (with `bound`, the types
    /// of what enclosing `for` expressions bind), refined by the value.
    fn typed(&self, e: &Expression, v: &Value, bound: &[(String, Type)]) -> Type {
        self.scope.static_type(e, bound).refined_by(v)
    }

    /// `root.a[k].b`: an attribute's or index's error is at its operator
    /// (`.b`, `[k]`, as HCL's traversal ranges are) and names the traversal
    /// up to it.
    fn traversal(&self, t: &Traversal, e: &Expression, frames: &mut Vec<(String, Value)>) -> EResult {
        let ops: Vec<&TraversalOperator> = t.operators.iter().map(|o| &**o).collect();
        let (base, consumed) = match &t.expr {
            Expression::Variable(v) => self.root(v.as_str(), &ops, e.span(), frames)?,
            other => (self.ev(other, frames)?, 0),
        };
        let spans: Vec<Option<Range<usize>>> = t.operators.iter().map(|o| o.span()).collect();
        let v = self.traverse(base, &ops[consumed..], &spans[consumed..], frames).map_err(|(at, err)| match at {
            Some(i) if err.message == "Unsupported attribute" && self.names_no_schema_attribute(t, &ops, consumed + i, frames) => {
                let TraversalOperator::GetAttr(name) = ops[consumed + i] else { return err };
                // Terraform checks this against the schema, statically:
                // its words, and no values under it.
                EvalError { detail: format!("This object has no argument, nested block, or exported attribute named {:?}.", name.as_str()), ..err }
            }
            Some(i) => {
                let about = Expression::from(Traversal::new(t.expr.clone(), t.operators[..consumed + i + 1].to_vec()));
                self.about(err, &about, frames)
            }
            None => err,
        })?;
        if matches!(v.unmarked(), Value::Unknown) {
            if let Some(missing) = self.unknown_without_attribute(t, frames) {
                return Err(missing);
            }
        }
        Ok(v)
    }

    /// Whether the operator at `at` is the first attribute of a resource,
    /// data source or ephemeral resource (after its instance key, if any)
    /// and names none of its schema's: Terraform's static check of a
    /// reference against the schema finds that before evaluating it.
    fn names_no_schema_attribute(&self, t: &Traversal, ops: &[&TraversalOperator], at: usize, frames: &[(String, Value)]) -> bool {
        let Expression::Variable(root) = &t.expr else { return false };
        if frames.iter().any(|(n, _)| n == root.as_str()) || !matches!(ops.get(at), Some(TraversalOperator::GetAttr(_))) {
            return false;
        }
        let Ok((Subject::Resource { .. } | Subject::Data { .. } | Subject::Ephemeral { .. }, subject_ops)) = parse_subject(root.as_str(), ops) else {
            return false;
        };
        at == subject_ops || (at == subject_ops + 1 && matches!(ops[subject_ops], TraversalOperator::Index(_) | TraversalOperator::LegacyIndex(_)))
    }

    /// An unknown value still has a type in Terraform, so `var.o.nope` on
    /// an object variable not known yet (as `validate` sees every root
    /// variable) is already an error. The static type of `var.X` or
    /// `local.X` says which attributes there are.
    fn unknown_without_attribute(&self, t: &Traversal, frames: &mut Vec<(String, Value)>) -> Option<EvalError> {
        let Expression::Variable(root) = &t.expr else { return None };
        if !matches!(root.as_str(), "var" | "local") || t.operators.len() < 2 || frames.iter().any(|(n, _)| n == root.as_str()) {
            return None;
        }
        let subject = Expression::from(Traversal::new(t.expr.clone(), t.operators[..1].to_vec()));
        let ops: Vec<&TraversalOperator> = t.operators[1..].iter().map(|o| &**o).collect();
        let i = self.static_type(&subject, frames).missing_attribute(&ops)?;
        let TraversalOperator::GetAttr(name) = ops[i] else { return None };
        let about = Expression::from(Traversal::new(t.expr.clone(), t.operators[..i + 2].to_vec()));
        let p = Problem::new("Unsupported attribute", format!("This object does not have an attribute named {:?}.", name.as_str()));
        Some(self.about(p.at(t.operators[i + 1].span()), &about, frames))
    }

    fn root(&self, name: &str, ops: &[&TraversalOperator], range: Option<Range<usize>>, frames: &[(String, Value)]) -> Result<(Value, usize), EvalError> {
        if let Some((_, v)) = frames.iter().rev().find(|(n, _)| n == name) {
            return Ok((v.clone(), 0));
        }
        let (subject, consumed) = parse_subject(name, ops).map_err(|m| err(range.clone(), m))?;
        let reference = Reference { subject, range: range.clone().unwrap_or(0..0), consumed };
        let attrs: Vec<&str> = ops[consumed..]
            .iter()
            .map_while(|op| match op {
                TraversalOperator::GetAttr(a) => Some(a.as_str()),
                _ => None,
            })
            .collect();
        if !attrs.is_empty() {
            if let Some(r) = self.scope.resolve_path(&reference, &attrs) {
                let (v, used) = r.map_err(|m| err(range, m))?;
                return Ok((v, consumed + used));
            }
        }
        let v = self.scope.resolve(&reference).map_err(|m| err(range, m))?;
        Ok((v, consumed))
    }

    /// Applies `ops` (with their source ranges) to `cur`. An error of an
    /// operator itself comes with its index in `ops`; others (a key's, or
    /// one after a splat, which HCL names with no expression) without.
    fn traverse(
        &self,
        mut cur: Value,
        ops: &[&TraversalOperator],
        spans: &[Option<Range<usize>>],
        frames: &mut Vec<(String, Value)>,
    ) -> Result<Value, (Option<usize>, EvalError)> {
        let mut i = 0;
        while i < ops.len() {
            let at = spans.get(i).cloned().flatten();
            match ops[i] {
                TraversalOperator::GetAttr(name) => {
                    cur = get_attr(cur, name.as_str()).map_err(|p| (Some(i), p.at(at.or(name.span()))))?;
                }
                TraversalOperator::Index(ix) => {
                    let key = self.ev(ix, frames).map_err(|e| (None, e))?;
                    cur = index(cur, key).map_err(|p| (Some(i), p.at(at.or(ix.span()))))?;
                }
                TraversalOperator::LegacyIndex(n) => {
                    cur = index(cur, Value::Number((*n.value()).into())).map_err(|p| (Some(i), p.at(at.or(n.span()))))?;
                }
                TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => {
                    let rest = &ops[i + 1..];
                    let rest_spans = spans.get(i + 1..).unwrap_or_default();
                    let (v, s) = cur.unmark();
                    // A splat keeps a list a list and a set a set.
                    let (kind, items) = match v {
                        Value::Unknown => return Ok(Value::Unknown.mark_if(s)),
                        Value::Null => (iac_core::SeqKind::Tuple, Vec::new()),
                        Value::List(items) => (items.kind(), items.into_vec()),
                        other => (iac_core::SeqKind::Tuple, vec![other]),
                    };
                    let mut out = Vec::with_capacity(items.len());
                    for item in items {
                        out.push(self.traverse(item, rest, rest_spans, frames).map_err(|(_, e)| (None, e))?);
                    }
                    return Ok(Value::List(iac_core::Seq::new(kind, out)).mark_if(s));
                }
            }
            i += 1;
        }
        Ok(cur)
    }

    /// `indent`: what a heredoc's dedent stripped from its top-level lines;
    /// hcl-edit leaves the lines inside directives alone, so render does it.
    fn template(&self, t: &Template, frames: &mut Vec<(String, Value)>, indent: Option<usize>, quoted: bool) -> EResult {
        // A template that is exactly one interpolation yields the value itself (any type), as in HCL.
        let elements: Vec<&Element> = t.iter().collect();
        if let [Element::Interpolation(i)] = elements.as_slice() {
            return self.ev(&i.expr, frames);
        }
        let mut out = String::new();
        let mut sensitive = false;
        let mut unknown = false;
        let mut nested = Nested::top(indent, quoted);
        // HCL applies strip markers before it measures a `<<-` heredoc's
        // indentation: a line that starts with `%{~` or `${~` then starts with
        // an empty token, measures 0, and nothing is dedented. hcl-edit
        // measured before stripping, so its dedent is undone.
        if let Some(n) = indent.filter(|n| *n > 0) {
            if strip_starts_a_line(t, true, false) {
                nested = Nested { indent: None, reindent: Some(n), ..nested };
            }
        }
        self.render(t, frames, &mut out, &mut sensitive, &mut unknown, nested)?;
        let v = if unknown { Value::Unknown } else { Value::String(out) };
        Ok(v.mark_if(sensitive))
    }

    fn render(
        &self,
        t: &Template,
        frames: &mut Vec<(String, Value)>,
        out: &mut String,
        sensitive: &mut bool,
        unknown: &mut bool,
        nested: Nested,
    ) -> Result<(), EvalError> {
        let elements: Vec<&Element> = t.iter().collect();
        for (idx, el) in elements.iter().enumerate() {
            match el {
                Element::Literal(s) => {
                    let strip_start = (idx > 0 && strips_after(elements[idx - 1])) || (idx == 0 && nested.trim_start);
                    let strip_end = (idx + 1 < elements.len() && strips_before(elements[idx + 1])) || (idx + 1 == elements.len() && nested.trim_end);
                    let raw = if nested.inside && nested.quoted {
                        unescape(s.value())
                    } else if let (Some(n), false) = (nested.reindent, nested.inside) {
                        reindent(s.value(), n, idx == 0, idx + 1 == elements.len())
                    } else {
                        s.value().to_string()
                    };
                    // Strip markers (`~}` / `{~`) on neighbours trim this literal; at the
                    // edges of a directive's body, the directive's own. As in HCL, a
                    // marker trims one token, and a template's literal tokens end at
                    // each newline: `~}` takes whitespace up to the first newline,
                    // `{~` the whitespace of the last line only.
                    let mut text: &str = &raw;
                    // Quoted templates have no newline tokens: the whole literal is one.
                    if strip_start {
                        text = if nested.quoted { text.trim_start() } else { strip_first_token(text) };
                    }
                    // At the top of a `<<-` heredoc, hcl-edit has already removed the
                    // indentation after a final newline: that was the last token,
                    // whitespace only, so stripping it leaves the newline.
                    let dedented_tail = !nested.inside && nested.indent.is_some_and(|n| n > 0) && text.ends_with('\n');
                    if strip_end && nested.quoted {
                        text = text.trim_end();
                    } else if strip_end && !dedented_tail {
                        text = strip_last_token(text);
                    }
                    // Inside a directive of a heredoc: every line but the first
                    // (which follows the directive) starts a line of the heredoc.
                    let dedented = match nested.indent {
                        Some(n) if nested.inside => dedent_after_first_line(text, n),
                        _ => text.to_string(),
                    };
                    let text = nfc(&dedented);
                    out.push_str(&text);
                }
                Element::Interpolation(i) => {
                    let v = self.ev(&i.expr, frames)?;
                    let (v, s) = v.unmark_deep_collapse();
                    *sensitive |= s;
                    match v {
                        Value::Unknown => *unknown = true,
                        v if !v.is_wholly_known() => *unknown = true,
                        Value::Null => {
                            let p = Problem::new(
                                "Invalid template interpolation value",
                                "The expression result is null. Cannot include a null value in a string template.",
                            );
                            return Err(self.about(p.at(i.expr.span()), &i.expr, frames));
                        }
                        v => out.push_str(&to_string(&v).map_err(|m| err(i.expr.span(), m))?),
                    }
                }
                Element::Directive(d) => match &**d {
                    Directive::If(dir) => {
                        let cond = &dir.if_expr.cond_expr;
                        let (c, s) = self.ev(cond, frames)?.unmark_deep_collapse();
                        *sensitive |= s;
                        // HCL makes the directive a conditional: its condition's errors are a conditional's.
                        match operators::condition(&c) {
                            operators::Condition::Unknown => *unknown = true,
                            operators::Condition::Null => {
                                let p = Problem::new("Null condition", "The condition value is null. Conditions must either be true or false.");
                                return Err(self.about(p.at(cond.span()), cond, frames));
                            }
                            operators::Condition::Wrong => {
                                let p = Problem::new("Incorrect condition type", "The condition expression must be of type bool.");
                                return Err(self.about(p.at(cond.span()), cond, frames));
                            }
                            operators::Condition::Known(true) => {
                                let end = dir.else_expr.as_ref().map_or(dir.endif_expr.strip.strip_start(), |e| e.strip.strip_start());
                                self.render(&dir.if_expr.template, frames, out, sensitive, unknown, nested.body(dir.if_expr.strip.strip_end(), end))?
                            }
                            operators::Condition::Known(false) => {
                                if let Some(e) = &dir.else_expr {
                                    self.render(
                                        &e.template,
                                        frames,
                                        out,
                                        sensitive,
                                        unknown,
                                        nested.body(e.strip.strip_end(), dir.endif_expr.strip.strip_start()),
                                    )?;
                                }
                            }
                        }
                    }
                    Directive::For(dir) => {
                        let f = &dir.for_expr;
                        let coll = self.ev(&f.collection_expr, frames)?;
                        let (coll, s) = coll.unmark();
                        *sensitive |= s;
                        let pairs = match iterate(coll).map_err(|p| self.about(p.at(f.collection_expr.span()), &f.collection_expr, frames))? {
                            Some(p) => p,
                            None => {
                                *unknown = true;
                                continue;
                            }
                        };
                        for (k, v) in pairs {
                            let base = frames.len();
                            if let Some(kv) = &f.key_var {
                                frames.push((kv.as_str().to_string(), k));
                            }
                            frames.push((f.value_var.as_str().to_string(), v));
                            let r = self.render(
                                &f.template,
                                frames,
                                out,
                                sensitive,
                                unknown,
                                nested.body(f.strip.strip_end(), dir.endfor_expr.strip.strip_start()),
                            );
                            frames.truncate(base);
                            r?;
                        }
                    }
                },
            }
        }
        Ok(())
    }

    fn for_expr(&self, f: &hcl_edit::expr::ForExpr, frames: &mut Vec<(String, Value)>) -> EResult {
        let coll = self.ev(&f.intro.collection_expr, frames)?;
        let (coll, s) = coll.unmark();
        let Some(pairs) = iterate(coll).map_err(|p| self.about(p.at(f.intro.collection_expr.span()), &f.intro.collection_expr, frames))? else {
            return Ok(Value::Unknown.mark_if(s));
        };
        let mut list = Vec::new();
        let mut map: iac_core::ValueMap = iac_core::ValueMap::new();
        let mut grouped: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        let mut unknown = false;
        for (k, v) in pairs {
            let base = frames.len();
            if let Some(kv) = &f.intro.key_var {
                frames.push((kv.as_str().to_string(), k));
            }
            frames.push((f.intro.value_var.as_str().to_string(), v));
            let r = (|| -> Result<(), EvalError> {
                if let Some(c) = &f.cond {
                    let cv = self.ev(&c.expr, frames)?;
                    match operators::for_condition(&cv.unmark_deep_collapse().0) {
                        Ok(Some(true)) => {}
                        Ok(Some(false)) => return Ok(()),
                        Ok(None) => {
                            unknown = true;
                            return Ok(());
                        }
                        Err(p) => return Err(self.about(p.at(c.expr.span()), &c.expr, frames)),
                    }
                }
                let value = self.ev(&f.value_expr, frames)?;
                match &f.key_expr {
                    None => list.push(value),
                    Some(ke) => {
                        let key = self.ev(ke, frames)?;
                        let key = match key.unmarked() {
                            Value::Unknown => {
                                unknown = true;
                                return Ok(());
                            }
                            Value::Null => {
                                let p = Problem::new("Invalid object key", "Key expression in 'for' expression must not produce a null value.");
                                return Err(self.about(p.at(ke.span()), ke, frames));
                            }
                            k => match to_string(k) {
                                Ok(k) => k,
                                Err(_) => {
                                    let p = Problem::new("Invalid object key", "The key expression produced an invalid result: string required.");
                                    return Err(self.about(p.at(ke.span()), ke, frames));
                                }
                            },
                        };
                        if f.grouping {
                            grouped.entry(key).or_default().push(value);
                        } else if map.insert(key.clone(), value).is_some() {
                            let p = Problem::new(
                                "Duplicate object key",
                                format!("Two different items produced the key {key:?} in this 'for' expression. If duplicates are expected, use the ellipsis (...) after the value expression to enable grouping by key."),
                            );
                            return Err(self.about(p.at(ke.span()), ke, frames));
                        }
                    }
                }
                Ok(())
            })();
            frames.truncate(base);
            r?;
        }
        let out = if unknown {
            Value::Unknown
        } else if f.key_expr.is_none() {
            Value::List(list.into())
        } else if f.grouping {
            Value::Map(grouped.into_iter().map(|(k, v)| (k, Value::List(v.into()))).collect())
        } else {
            Value::Map(map)
        };
        Ok(out.mark_if(s))
    }

    /// `provider::NAME::FUNC(args)`: a function the provider configured as
    /// NAME offers. As Terraform: unknown arguments give an unknown result
    /// without a call, and sensitive arguments a sensitive result.
    fn call_provider_function(&self, f: &hcl_edit::expr::FuncCall, range: Option<Range<usize>>, frames: &mut Vec<(String, Value)>) -> EResult {
        let ns: Vec<&str> = f.name.namespace.iter().map(|n| n.as_str()).collect();
        let function = f.name.name.as_str();
        let ["provider", provider] = ns.as_slice() else {
            return Err(err(range, format!("unknown function namespace {:?}: use provider::NAME::{function} or core::{function}", ns.join("::"))));
        };
        let mut args = Vec::with_capacity(f.args.len());
        for a in f.args.iter() {
            args.push(self.ev(a, frames)?);
        }
        if f.args.expand_final() {
            match args.pop().map(Value::unmark) {
                Some((Value::List(items), false)) => args.extend(items),
                Some((Value::Unknown, _)) => return Ok(Value::Unknown),
                _ => return Err(err(range, "the final argument must be a list to expand it with ...")),
            }
        }
        if args.iter().any(|a| !a.is_wholly_known()) {
            return Ok(Value::Unknown);
        }
        let mut sensitive = false;
        let plain: Vec<Value> = args
            .into_iter()
            .map(|a| {
                let (v, marked) = a.unmark_deep_collapse();
                sensitive |= marked;
                v
            })
            .collect();
        match self.scope.call_provider_function(provider, function, plain) {
            Some(Ok(v)) => Ok(v.mark_if(sensitive)),
            Some(Err(msg)) => Err(err(range, format!("provider::{provider}::{function}: {msg}"))),
            None => Err(err(
                range,
                format!("provider::{provider}::{function}: no provider {provider:?} is available here; require it in required_providers and run iac init"),
            )),
        }
    }

    fn call(&self, f: &hcl_edit::expr::FuncCall, e: &Expression, frames: &mut Vec<(String, Value)>) -> EResult {
        let range = e.span();
        let name = f.name.name.as_str();
        if f.name.is_namespaced() {
            // `core::NAME` is Terraform's explicit name for a built-in.
            let core = f.name.namespace.len() == 1 && f.name.namespace.iter().all(|n| n.as_str() == "core");
            if !core {
                return self.call_provider_function(f, range, frames);
            }
        }
        if name == "templatestring" {
            // Terraform renders only a template named by a reference, never
            // one built by the same expression (that would let data become code).
            if let Some(first) = f.args.iter().next() {
                if !matches!(first, Expression::Variable(_) | Expression::Traversal(_)) {
                    return Err(Problem::new(
                        "Invalid function argument",
                        "Invalid value for \"template\" parameter: invalid template expression: the first argument of templatestring must be a reference to a value holding the template, such as local.template or var.template.",
                    )
                    .at(first.span()));
                }
            }
        }
        match name {
            "try" => {
                let mut last = None;
                for a in f.args.iter() {
                    match self.quietly(|| self.ev(a, frames)) {
                        Ok(v) => return Ok(v),
                        Err(e) => last = Some(e),
                    }
                }
                return Err(last
                    .map(|e| {
                        err(
                            range.clone(),
                            format!(
                                "no expression given to try() succeeded; the last failed with: {}",
                                if e.detail.is_empty() { &e.message } else { &e.detail }
                            ),
                        )
                    })
                    .unwrap_or_else(|| err(range, "try() needs at least one argument")));
            }
            "ephemeralasnull" if f.args.len() == 1 && !f.args.expand_final() => {
                let arg = f.args.iter().next().expect("one argument");
                return self.as_null(arg, frames);
            }
            "can" => {
                let args: Vec<&Expression> = f.args.iter().collect();
                let [a] = args.as_slice() else { return Err(err(range, "can() takes exactly one argument")) };
                return Ok(match self.quietly(|| self.ev(a, frames)) {
                    Ok(v) if !v.is_wholly_known() => Value::Unknown,
                    Ok(_) => Value::Bool(true),
                    Err(_) => Value::Bool(false),
                });
            }
            _ => {}
        }
        if !iac_functions::exists(name) {
            // Bounded work on an error path: no hint for a name no one mistyped
            // (a 1 MB name took 32 s), and only candidates whose length is
            // within the distance allowed are compared.
            let n = name.chars().count();
            let near = if n > 64 {
                None
            } else {
                iac_functions::names()
                    .iter()
                    .filter(|c| c.chars().count().abs_diff(n) <= 2)
                    .map(|c| (edit_distance(name, c), *c))
                    .filter(|(d, c)| *d <= 2 && *d < c.len() / 2)
                    .min()
            };
            let hint = near.map(|(_, c)| format!(" Did you mean {c:?}?")).unwrap_or_default();
            return Err(Problem::new("Call to unknown function", format!("There is no function named {name:?}.{hint}")).at(range));
        }
        // HCL counts the arguments before it evaluates any (an expanded
        // final argument is counted once expanded, by the call itself).
        let signature = iac_functions::signature(name);
        if !f.args.expand_final() {
            if let Some(Err(failure)) = signature.map(|s| s.check_arity(name, f.args.len())) {
                return Err(self.function_error(failure, f, e, frames));
            }
        }
        let mut args = Vec::with_capacity(f.args.len());
        for a in f.args.iter() {
            args.push(self.ev(a, frames)?);
        }
        // Where an argument holds a null, the result takes the type the
        // arguments' types (a null's from the configuration) give it
        // (`coalesce(var.s, 1)` is "1" for a string variable).
        let typed_result = if !f.args.expand_final()
            && signature.is_some_and(|s| !matches!(s.returns, iac_functions::Returns::Always(_)))
            && f.args.iter().zip(&args).any(|(e, v)| holds_typed_null(e, v))
        {
            let exprs: Vec<&Expression> = f.args.iter().collect();
            let bound = bound_types(frames);
            let types: Vec<Type> = exprs.iter().zip(&args).map(|(e, v)| self.typed(e, v, &bound)).collect();
            Some(crate::expr_types::function_type(name, &exprs, &types)).filter(|t| *t != Type::Unknown)
        } else {
            None
        };
        if f.args.expand_final() {
            match args.pop().map(Value::unmark) {
                Some((Value::List(items), false)) => args.extend(items),
                Some((Value::Unknown, _)) => return Ok(Value::Unknown),
                _ => return Err(err(range, "the final argument must be a list to expand it with ...")),
            }
        }
        let render = |text: &str, vars: &Value| -> Result<Value, String> { self.render_template_text(text, vars) };
        let plan_timestamp = self.scope.plan_timestamp();
        let ctx = iac_functions::FunctionContext {
            base_dir: self.base_dir,
            render_template: &render,
            planning: self.scope.planning(),
            plan_timestamp: plan_timestamp.as_deref().unwrap_or_else(|| process_plan_timestamp()),
        };
        let failure = match iac_functions::call(name, args, &ctx) {
            Ok(v) => {
                return Ok(match typed_result {
                    Some(t) => crate::expr_types::conform(v, &t),
                    None => v,
                })
            }
            Err(failure) => failure,
        };
        Err(self.function_error(failure, f, e, frames))
    }

    /// A built-in function's error in HCL's words and at HCL's range: one
    /// about an argument at that argument (naming its references); a
    /// missing argument at the closing parenthesis, an extra one at
    /// itself; a failed call at its name and opening parenthesis.
    fn function_error(
        &self,
        failure: iac_functions::FunctionError,
        f: &hcl_edit::expr::FuncCall,
        e: &Expression,
        frames: &mut Vec<(String, Value)>,
    ) -> EvalError {
        use iac_functions::FunctionError;
        let name = f.name.name.as_str();
        let range = e.span();
        match failure {
            FunctionError::Argument { index, parameter, message, .. } => {
                let arg = f.args.iter().nth(index).filter(|a| a.span().is_some());
                let p = Problem::new("Invalid function argument", format!("Invalid value for {parameter:?} parameter: {}.", message.trim_end_matches('.')));
                self.about(p.at(arg.and_then(start_range::start_range).or(range)), arg.unwrap_or(e), frames)
            }
            FunctionError::Failed { message, .. } => {
                let p = Problem::new("Error in function call", format!("Call to function {name:?} failed: {}.", message.trim_end_matches('.')));
                self.about(p.at(start_range::start_range(e)), e, frames)
            }
            missing @ FunctionError::NotEnoughArguments { .. } => {
                let closing = range.map(|r| r.end.saturating_sub(1)..r.end);
                Problem::new("Not enough function arguments", missing.to_string()).at(closing)
            }
            extra @ FunctionError::TooManyArguments { expects, .. } => {
                let at = f.args.iter().nth(expects).and_then(start_range::start_range).or(range);
                Problem::new("Too many function arguments", extra.to_string()).at(at)
            }
            other => err(range, other.to_string()),
        }
    }

    /// Renders template text (for `templatefile`) with only the given variables in scope.
    pub fn render_template_text(&self, text: &str, vars: &Value) -> Result<Value, String> {
        let template = hcl_edit::parser::parse_template(text).map_err(|e| format!("template: {}", e.message()))?;
        let mut frames: Vec<(String, Value)> = match vars.unmarked() {
            Value::Map(m) => m.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            Value::Null => Vec::new(),
            _ => return Err("template variables must be an object".into()),
        };
        let sub = Evaluator::new(&EmptyScope, self.base_dir, self.file);
        sub.template(&template, &mut frames, None, false).map_err(|e| e.message)
    }
}

/// Decodes a quoted string's backslash escapes (`\n`, `\t`, `\r`, `\"`,
/// `\\`, `\uXXXX`, `\UXXXXXXXX`); anything else is kept as written.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('"') => out.push('"'),
            Some('\\') => out.push('\\'),
            Some(u @ ('u' | 'U')) => {
                let n = if u == 'u' { 4 } else { 8 };
                let hex: String = chars.by_ref().take(n).collect();
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(ch) if hex.len() == n => out.push(ch),
                    _ => {
                        out.push('\\');
                        out.push(u);
                        out.push_str(&hex);
                    }
                }
            }
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// Unicode NFC, as Terraform normalizes string literals when it parses
/// them (`"é" == "e\u0301"` is true there).
fn nfc(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization as _;
    if s.is_ascii() {
        return s.to_string();
    }
    s.nfc().collect()
}

/// Levenshtein distance, for "did you mean" hints.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb)).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// How a template being rendered sits in its parent.
#[derive(Clone, Copy)]
struct Nested {
    /// The body of a directive (not the template itself).
    inside: bool,
    /// The heredoc's stripped indentation, if any.
    indent: Option<usize>,
    /// A quoted template (`"..."`): hcl-edit leaves backslash escapes in the
    /// literals inside directives undecoded, so render decodes them.
    quoted: bool,
    /// Spaces to put back at the start of each top-level line (see `template`).
    reindent: Option<usize>,
    /// The directive's strip markers: `~}` before the body, `{~` after it.
    trim_start: bool,
    trim_end: bool,
}

impl Nested {
    fn top(indent: Option<usize>, quoted: bool) -> Nested {
        Nested { inside: false, indent, quoted, reindent: None, trim_start: false, trim_end: false }
    }
    fn body(self, trim_start: bool, trim_end: bool) -> Nested {
        Nested { inside: true, indent: self.indent, quoted: self.quoted, reindent: self.reindent, trim_start, trim_end }
    }
}

/// True when a `{~` strip marker (of an interpolation, a directive or a
/// directive's end) is the first thing on a line of the template.
fn strip_starts_a_line(t: &Template, top: bool, end_strips: bool) -> bool {
    let elements: Vec<&Element> = t.iter().collect();
    let blank_tail = |s: &str| s.trim_end_matches([' ', '\t']).ends_with('\n');
    for (i, el) in elements.iter().enumerate() {
        let next_strips = if i + 1 < elements.len() { strips_before(elements[i + 1]) } else { end_strips };
        match el {
            Element::Literal(l) => {
                let at_start = top && i == 0 && l.value().trim_matches([' ', '\t']).is_empty();
                if next_strips && (blank_tail(l.value()) || at_start) {
                    return true;
                }
            }
            _ if top && i == 0 && strips_before(el) => return true,
            Element::Directive(d) => {
                let found = match &**d {
                    Directive::If(dir) => {
                        let if_end = dir.else_expr.as_ref().map_or(dir.endif_expr.strip.strip_start(), |e| e.strip.strip_start());
                        strip_starts_a_line(&dir.if_expr.template, false, if_end)
                            || dir.else_expr.as_ref().is_some_and(|e| strip_starts_a_line(&e.template, false, dir.endif_expr.strip.strip_start()))
                    }
                    Directive::For(dir) => strip_starts_a_line(&dir.for_expr.template, false, dir.endfor_expr.strip.strip_start()),
                };
                if found {
                    return true;
                }
            }
            Element::Interpolation(_) => {}
        }
    }
    false
}

/// Puts `n` spaces back at the start of every non-empty line of a top-level
/// heredoc literal (the first line only when the literal starts the template).
fn reindent(s: &str, n: usize, starts_template: bool, ends_template: bool) -> String {
    let pad = " ".repeat(n);
    let mut out = String::with_capacity(s.len() + n * 4);
    for (i, line) in s.split_inclusive('\n').enumerate() {
        if (i > 0 || starts_template) && line != "\n" {
            out.push_str(&pad);
        }
        out.push_str(line);
    }
    // A final newline followed by a directive: that line was indented too.
    if s.ends_with('\n') && !ends_template {
        out.push_str(&pad);
    }
    out
}

/// The text without the leading whitespace of its first token (which ends
/// at the first newline, included).
fn strip_first_token(s: &str) -> &str {
    let ws = s.len() - s.trim_start().len();
    match s[..ws].find('\n') {
        Some(i) => &s[i + 1..],
        None => &s[ws..],
    }
}

/// The text without the trailing whitespace of its last token (the last
/// line, with its newline when the text ends in one).
fn strip_last_token(s: &str) -> &str {
    let search = s.strip_suffix('\n').unwrap_or(s);
    let start = search.rfind('\n').map_or(0, |i| i + 1);
    let kept = s[start..].trim_end().len();
    &s[..start + kept]
}

/// Strips up to `n` leading whitespace characters from every line but the first.
fn dedent_after_first_line(s: &str, n: usize) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, line) in s.split_inclusive('\n').enumerate() {
        if i == 0 {
            out.push_str(line);
        } else {
            let skip: usize = line.chars().take(n).take_while(|c| *c == ' ' || *c == '\t').map(char::len_utf8).sum();
            out.push_str(&line[skip..]);
        }
    }
    out
}

fn strips_after(el: &Element) -> bool {
    match el {
        Element::Interpolation(i) => i.strip.strip_end(),
        Element::Directive(d) => match &**d {
            Directive::If(i) => i.endif_expr.strip.strip_end(),
            Directive::For(f) => f.endfor_expr.strip.strip_end(),
        },
        Element::Literal(_) => false,
    }
}

fn strips_before(el: &Element) -> bool {
    match el {
        Element::Interpolation(i) => i.strip.strip_start(),
        Element::Directive(d) => match &**d {
            Directive::If(i) => i.if_expr.strip.strip_start(),
            Directive::For(f) => f.for_expr.strip.strip_start(),
        },
        Element::Literal(_) => false,
    }
}

/// Key/value pairs of a collection for `for`; None when unknown.
fn iterate(coll: Value) -> Result<Option<Vec<(Value, Value)>>, Problem> {
    match coll {
        Value::Unknown => Ok(None),
        // A set's elements have no index: Terraform binds the key to the element too.
        Value::List(items) if items.kind() == iac_core::SeqKind::Set => Ok(Some(items.into_iter().map(|v| (v.clone(), v)).collect())),
        Value::List(items) => Ok(Some(items.into_iter().enumerate().map(|(i, v)| (Value::Number(i.into()), v)).collect())),
        Value::Map(m) => Ok(Some(m.into_iter().map(|(k, v)| (Value::String(k), v)).collect())),
        Value::Null => Err(Problem::new("Iteration over null value", "A null value cannot be used as the collection in a 'for' expression.")),
        other => Err(Problem::new(
            "Iteration over non-iterable value",
            format!("A value of type {} cannot be used as the collection in a 'for' expression.", other.type_name()),
        )),
    }
}

/// `v.name`, or HCL's problem with it (`hcl.GetAttr`'s words).
fn get_attr(v: Value, name: &str) -> Result<Value, Problem> {
    const UNSUPPORTED: &str = "Unsupported attribute";
    let (v, s) = v.unmark();
    let out = match v {
        Value::Unknown => Value::Unknown,
        Value::Null => return Err(Problem::new("Attempt to get attribute from null value", "This value is null, so it does not have any attributes.")),
        Value::Map(mut m) => match m.remove(name) {
            Some(found) => found,
            None if m.kind() == iac_core::MapKind::Map => {
                return Err(Problem::new("Missing map element", format!("This map does not have an element with the key {name:?}.")))
            }
            None => return Err(Problem::new(UNSUPPORTED, format!("This object does not have an attribute named {name:?}."))),
        },
        Value::List(items)
            if items.kind() != iac_core::SeqKind::Tuple
                && items.first().is_some_and(|e| matches!(e.unmarked(), Value::Map(m) if m.kind() != iac_core::MapKind::Map)) =>
        {
            let has = items.first().and_then(|e| e.get(name)).is_some();
            return Err(Problem::new(
                UNSUPPORTED,
                match (items.kind(), has) {
                    (iac_core::SeqKind::Set, _) => "Can't access attributes on a set of objects. Did you mean to access an attribute across all elements of the set?".to_string(),
                    (_, true) => format!("Can't access attributes on a list of objects. Did you mean to access attribute {name:?} for a specific element of the list, or across all elements of the list?"),
                    (_, false) => "Can't access attributes on a list of objects. Did you mean to access an attribute for a specific element of the list, or across all elements of the list?".to_string(),
                },
            ));
        }
        v @ (Value::String(_) | Value::Number(_) | Value::Bool(_)) => {
            return Err(Problem::new(UNSUPPORTED, format!("Can't access attributes on a primitive-typed value ({}).", v.type_name())))
        }
        _ => return Err(Problem::new(UNSUPPORTED, "This value does not have any attributes.")),
    };
    Ok(out.mark_if(s))
}

/// `v[key]`, or HCL's problem with it (`hcl.Index`'s words).
fn index(v: Value, key: Value) -> Result<Value, Problem> {
    const INVALID: &str = "Invalid index";
    let not_identified = |why: &str| Problem::new(INVALID, format!("The given key does not identify an element in this collection value{why}."));
    let (v, s1) = v.unmark();
    let (key, s2) = key.unmark();
    let s = s1 || s2;
    if v.is_null() {
        return Err(Problem::new("Attempt to index null value", "This value is null, so it does not have any indices."));
    }
    if key.is_null() {
        return Err(Problem::new(INVALID, "Can't use a null value as an indexing key."));
    }
    let out = match (v, key) {
        (Value::Unknown, _) | (_, Value::Unknown) => Value::Unknown,
        (Value::List(items), _) if items.kind() == iac_core::SeqKind::Set => {
            return Err(Problem::new(
                INVALID,
                "Elements of a set are identified only by their value and don't have any separate index or key to select with, so it's only possible to perform operations across all elements of the set.",
            ))
        }
        (Value::List(mut items), k) => {
            let n = to_number(&k).map_err(|_| not_identified(": a number is required"))?;
            match n.to_i64().and_then(|i| usize::try_from(i).ok()).filter(|i| *i < items.len() && n.is_integer()) {
                Some(i) => items.swap_remove(i),
                None if !n.is_integer() => {
                    return Err(not_identified(": indexing a sequence requires a whole number, but the given index has a fractional part"))
                }
                None if n.is_negative() => return Err(not_identified(": a negative number is not a valid index for a sequence")),
                None if items.is_empty() => return Err(not_identified(": the collection has no elements")),
                None => return Err(not_identified(": the given index is greater than or equal to the length of the collection")),
            }
        }
        (Value::Map(mut m), k) => {
            let was_number = matches!(k, Value::Number(_));
            let k = to_string(&k).map_err(|_| not_identified(": string required"))?;
            match m.remove(&k) {
                Some(found) => found,
                None if was_number && m.kind() != iac_core::MapKind::Map => {
                    return Err(not_identified(". An object only supports looking up attributes by name, not by numeric index"))
                }
                None => return Err(not_identified("")),
            }
        }
        _ => return Err(Problem::new(INVALID, "This value does not have any indices.")),
    };
    Ok(out.mark_if(s))
}

/// A primitive as a string, as HCL converts it.
pub fn to_string(v: &Value) -> Result<String, String> {
    match v.unmarked() {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        other => Err(format!("a string is required, got {}", other.type_name())),
    }
}

/// A number literal of the source. hcl-edit reads literals beyond 64-bit
/// integers as f64; their shortest decimal is read again at 512 bits, so
/// `0.1` and `1e30` are exact as in Terraform.
pub fn literal_number(n: &hcl_edit::Number) -> Number {
    if let Some(i) = n.as_i64() {
        Number::from(i)
    } else if let Some(u) = n.as_u64() {
        Number::from(u)
    } else {
        let f = n.as_f64().unwrap_or(0.0);
        Number::parse(&format!("{f}")).unwrap_or_else(|_| Number::from_f64(f))
    }
}

fn to_number(v: &Value) -> Result<Number, String> {
    match v.unmarked() {
        Value::Number(n) => Ok(n.clone()),
        Value::String(s) => Number::parse(s.trim()).map_err(|_| format!("a number is required, and {s:?} is not a number")),
        other => Err(format!("a number is required, got {}", other.type_name())),
    }
}

/// Evaluates a literal expression (no references).
pub fn eval_literal(expr: &Expression) -> Result<Value, String> {
    let e = Evaluator::new(&EmptyScope, Path::new("."), FileId(0));
    e.eval(expr).map_err(|d| d.summary)
}

mod ephemeral;
mod operators;
mod start_range;
use operators::OpFailure;
#[cfg(test)]
mod tests;
