//! The static type of an expression, where the configuration alone makes it
//! certain: what Terraform knows of a value that iac's values cannot say.
//!
//! A [`Value`] carries its collection kinds (list, set,
//! tuple, map, object) but a null has no type of its own and an empty list,
//! set or map no element type, so the type derived from a value has
//! `"dynamic"` holes where Terraform knows better: a variable's type
//! constraint (`optional()` attributes included), a function's result type
//! (`regexall`, `compact`, `transpose`, `setproduct`, `tolist`, ...), a
//! conversion, `ephemeralasnull(x)` (the type of `x`). [`Type::fill`] fills
//! those holes from the type found here, and only those: the value's own
//! type stays the authority, and a part this analysis cannot be sure of is
//! [`Type::Unknown`] and fills nothing.
//!
//! References are followed through the configuration: `var.X` (its type
//! constraint, or, for a child module's unconstrained variable, the type of
//! the argument its call passes), `local.X` (its expression, in the same
//! module), `module.X.OUT` (the child's output expression, in the child).
//! Resources and data sources are unknown: their types come from providers.
//!
//! The evaluator asks it too, where a conditional's results or a function's
//! arguments hold a null: cty unifies their types, a typed null's included,
//! so the other result converts to the null's type (`c ? var.s : 1` is
//! `"1"` when `var.s` is a string). There the static type is refined by the
//! values ([`Type::refined_by`]), unified ([`unify`]) and the value
//! converted to it ([`conform`]).

use std::collections::BTreeMap;

use hcl_edit::expr::{BinaryOperator, Expression, ObjectKey, TraversalOperator, UnaryOperator};
use hcl_edit::template::Element;
use iac_core::Value;
use iac_functions::{Returns, SigType};
use serde_json::{json, Value as Json};

use crate::config::{Module, ModuleCall};
use crate::typeexpr::TypeConstraint;

/// How deep references may be followed (locals naming locals, module
/// outputs naming module outputs); past it a type is unknown, which also
/// ends a cycle (the graph reports cycles; this only has to stop).
const MAX_DEPTH: usize = 64;

/// A Terraform type as far as it is statically certain.
#[derive(Clone, Debug, PartialEq)]
pub enum Type {
    /// Not known here: fills nothing.
    Unknown,
    /// Terraform's dynamic pseudo-type, known to be that (a literal `null`).
    Dynamic,
    String,
    Number,
    Bool,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Tuple(Vec<Type>),
    Object(BTreeMap<String, Type>),
    /// A tuple of any length whose elements all have this type (`[for ...]`).
    TupleOf(Box<Type>),
    /// An object of any attributes that all have this type (`{for ...}`).
    ObjectOf(Box<Type>),
}

impl Type {
    /// The type a value converted to this constraint has; `any` is unknown.
    pub fn from_constraint(t: &TypeConstraint) -> Type {
        match t {
            TypeConstraint::Any => Type::Unknown,
            TypeConstraint::String => Type::String,
            TypeConstraint::Number => Type::Number,
            TypeConstraint::Bool => Type::Bool,
            TypeConstraint::List(e) => Type::List(Box::new(Type::from_constraint(e))),
            TypeConstraint::Set(e) => Type::Set(Box::new(Type::from_constraint(e))),
            TypeConstraint::Map(e) => Type::Map(Box::new(Type::from_constraint(e))),
            TypeConstraint::Tuple(ts) => Type::Tuple(ts.iter().map(Type::from_constraint).collect()),
            TypeConstraint::Object(attrs) => Type::Object(attrs.iter().map(|(k, a)| (k.clone(), Type::from_constraint(&a.type_))).collect()),
        }
    }

    /// A type a function's signature declares; its dynamic parts are unknown.
    pub fn from_signature(t: &SigType) -> Type {
        match t {
            SigType::Dynamic => Type::Unknown,
            SigType::String => Type::String,
            SigType::Number => Type::Number,
            SigType::Bool => Type::Bool,
            SigType::List(e) => Type::List(Box::new(Type::from_signature(e))),
            SigType::Set(e) => Type::Set(Box::new(Type::from_signature(e))),
            SigType::Map(e) => Type::Map(Box::new(Type::from_signature(e))),
        }
    }

    /// Whether no part of it is unknown (a dynamic part is known to be dynamic).
    pub fn is_known(&self) -> bool {
        match self {
            Type::Unknown | Type::TupleOf(_) | Type::ObjectOf(_) => false,
            Type::Dynamic | Type::String | Type::Number | Type::Bool => true,
            Type::List(e) | Type::Set(e) | Type::Map(e) => e.is_known(),
            Type::Tuple(ts) => ts.iter().all(Type::is_known),
            Type::Object(attrs) => attrs.values().all(Type::is_known),
        }
    }

    /// `found`, a type JSON derived from a value (`Value::type_json`), with
    /// its `"dynamic"` parts replaced by what this type knows of them. Where
    /// the two disagree in shape, `found` is kept as it is.
    pub fn fill(&self, found: Json) -> Json {
        match (self, found) {
            (Type::Unknown | Type::Dynamic, found) => found,
            (known, Json::String(d)) if d == "dynamic" => {
                if known.is_known() {
                    known.to_json()
                } else {
                    Json::String(d)
                }
            }
            (known, Json::Array(mut parts)) if parts.len() == 2 => {
                let inner = parts.pop().expect("two parts");
                let kind = parts.pop().expect("two parts");
                let filled = match (known, kind.as_str(), inner) {
                    (Type::List(e), Some("list"), inner) | (Type::Set(e), Some("set"), inner) | (Type::Map(e), Some("map"), inner) => e.fill(inner),
                    (Type::Tuple(ts), Some("tuple"), Json::Array(items)) if ts.len() == items.len() => {
                        Json::Array(ts.iter().zip(items).map(|(t, i)| t.fill(i)).collect())
                    }
                    (Type::TupleOf(t), Some("tuple"), Json::Array(items)) => Json::Array(items.into_iter().map(|i| t.fill(i)).collect()),
                    (Type::Object(attrs), Some("object"), Json::Object(found)) => {
                        Json::Object(found.into_iter().map(|(k, f)| (k.clone(), attrs.get(&k).map_or(f.clone(), |t| t.fill(f)))).collect())
                    }
                    (Type::ObjectOf(t), Some("object"), Json::Object(found)) => Json::Object(found.into_iter().map(|(k, f)| (k, t.fill(f))).collect()),
                    (_, _, inner) => inner,
                };
                Json::Array(vec![kind, filled])
            }
            (_, found) => found,
        }
    }

    /// cty's friendly name ("object", "list of string"), as Terraform names
    /// an unknown value's type under a diagnostic; None where not known.
    pub fn friendly_name(&self) -> Option<String> {
        Some(match self {
            Type::Unknown | Type::Dynamic | Type::TupleOf(_) | Type::ObjectOf(_) => return None,
            Type::String => "string".into(),
            Type::Number => "number".into(),
            Type::Bool => "bool".into(),
            Type::List(e) => format!("list of {}", e.friendly_name()?),
            Type::Set(e) => format!("set of {}", e.friendly_name()?),
            Type::Map(e) => format!("map of {}", e.friendly_name()?),
            Type::Tuple(_) => "tuple".into(),
            Type::Object(_) => "object".into(),
        })
    }

    /// Where attribute names (`ops`, the operators after a value of this
    /// type) name an attribute its object type does not have: the index
    /// of the first such name. None where the type cannot tell (an
    /// unknown part, an index or splat on the way).
    pub fn missing_attribute(&self, ops: &[&TraversalOperator]) -> Option<usize> {
        let mut cur = self;
        for (i, op) in ops.iter().enumerate() {
            let TraversalOperator::GetAttr(name) = op else { return None };
            cur = match cur {
                Type::Object(attrs) => match attrs.get(name.as_str()) {
                    Some(t) => t,
                    None => return Some(i),
                },
                Type::Map(e) | Type::ObjectOf(e) => e,
                _ => return None,
            };
        }
        None
    }

    /// Terraform's type JSON; unknown parts are `"dynamic"`.
    pub fn to_json(&self) -> Json {
        match self {
            Type::Unknown | Type::Dynamic | Type::TupleOf(_) | Type::ObjectOf(_) => json!("dynamic"),
            Type::String => json!("string"),
            Type::Number => json!("number"),
            Type::Bool => json!("bool"),
            Type::List(e) => json!(["list", e.to_json()]),
            Type::Set(e) => json!(["set", e.to_json()]),
            Type::Map(e) => json!(["map", e.to_json()]),
            Type::Tuple(ts) => json!(["tuple", ts.iter().map(Type::to_json).collect::<Vec<_>>()]),
            Type::Object(attrs) => json!(["object", attrs.iter().map(|(k, t)| (k.clone(), t.to_json())).collect::<serde_json::Map<_, _>>()]),
        }
    }
}

/// The static type of the root module's output `name` (unknown when there
/// is no such output).
pub fn output_type(root: &Module, name: &str) -> Type {
    let Some(out) = root.outputs.get(name) else { return Type::Unknown };
    let memo = Memo::default();
    Ctx { module: root, parent: None, depth: 0, memo: &memo }.type_of(&out.value.expr, &mut Vec::new())
}

/// The static type of an expression written in the root module.
pub fn expr_type(root: &Module, expr: &Expression) -> Type {
    let memo = Memo::default();
    Ctx { module: root, parent: None, depth: 0, memo: &memo }.type_of(expr, &mut Vec::new())
}

/// The static type of an expression written in the module at `call_path`
/// (call names from the root), where `bound` names what enclosing `for`
/// expressions bind (with their types). A call path that leaves the
/// configuration gives an unknown type.
pub fn expr_type_at(root: &Module, call_path: &[String], expr: &Expression, bound: &[(String, Type)]) -> Type {
    let memo = Memo::default();
    let top = Ctx { module: root, parent: None, depth: 0, memo: &memo };
    in_module(&top, call_path, &mut |ctx| ctx.type_of(expr, &mut bound.to_vec()))
}

/// Runs `f` in the context of the module `call_path` leads to from `ctx`.
fn in_module(ctx: &Ctx<'_>, call_path: &[String], f: &mut dyn FnMut(&Ctx<'_>) -> Type) -> Type {
    let Some((name, rest)) = call_path.split_first() else { return f(ctx) };
    let Some(call) = ctx.module.module_calls.get(name) else { return Type::Unknown };
    if call.unavailable || ctx.depth >= MAX_DEPTH {
        return Type::Unknown;
    }
    let child = Ctx { module: &call.module, parent: Some((ctx, call)), depth: ctx.depth + 1, memo: ctx.memo };
    in_module(&child, rest, f)
}

impl Type {
    /// What a value says of its own type: a null is dynamic (it fits any
    /// type), an unknown value unknown; a list, set or map has the type
    /// its elements unify to.
    pub fn of_value(v: &Value) -> Type {
        let elements = |items: &mut dyn Iterator<Item = &Value>| -> Type {
            let types: Vec<Type> = items.map(Type::of_value).collect();
            unify(&types).unwrap_or(Type::Unknown)
        };
        match v.unmarked() {
            Value::Null => Type::Dynamic,
            Value::Unknown | Value::Sensitive(_) => Type::Unknown,
            Value::Bool(_) => Type::Bool,
            Value::Number(_) => Type::Number,
            Value::String(_) => Type::String,
            Value::List(items) => match items.kind() {
                iac_core::SeqKind::Tuple => Type::Tuple(items.iter().map(Type::of_value).collect()),
                iac_core::SeqKind::List => Type::List(Box::new(elements(&mut items.iter()))),
                iac_core::SeqKind::Set => Type::Set(Box::new(elements(&mut items.iter()))),
            },
            Value::Map(m) => match m.kind() {
                iac_core::MapKind::Object => Type::Object(m.iter().map(|(k, x)| (k.clone(), Type::of_value(x))).collect()),
                iac_core::MapKind::Map => Type::Map(Box::new(elements(&mut m.values()))),
            },
        }
    }

    /// This static type with what it does not know (and what it only
    /// knows to be dynamic) taken from the value it describes: the
    /// configuration says what a null is, the value what a reference the
    /// analysis cannot follow holds.
    pub fn refined_by(self, v: &Value) -> Type {
        let v = v.unmarked();
        match (self, v) {
            (Type::Unknown | Type::Dynamic, v) => Type::of_value(v),
            (t, Value::Null | Value::Unknown) => t,
            (Type::Tuple(ts), Value::List(items)) if items.kind() == iac_core::SeqKind::Tuple && ts.len() == items.len() => {
                Type::Tuple(ts.into_iter().zip(items.iter()).map(|(t, x)| t.refined_by(x)).collect())
            }
            (Type::TupleOf(t), Value::List(items)) if items.kind() == iac_core::SeqKind::Tuple => {
                Type::Tuple(items.iter().map(|x| (*t).clone().refined_by(x)).collect())
            }
            (Type::Object(attrs), Value::Map(m)) if m.kind() == iac_core::MapKind::Object && attrs.keys().eq(m.keys()) => {
                Type::Object(attrs.into_iter().zip(m.values()).map(|((k, t), x)| (k, t.refined_by(x))).collect())
            }
            (Type::ObjectOf(t), Value::Map(m)) if m.kind() == iac_core::MapKind::Object => {
                Type::Object(m.iter().map(|(k, x)| (k.clone(), (*t).clone().refined_by(x))).collect())
            }
            (t, _) if t.is_known() => t,
            (_, v) => Type::of_value(v),
        }
    }
}

/// `value` converted to `t`, a type it was unified to, as cty converts:
/// numbers and bools become strings where `t` says string, tuples become
/// lists or sets, objects maps, at any depth. Nulls and unknowns stay as
/// they are (they fit any type); a part whose shape `t` does not describe
/// is left alone.
pub fn conform(value: Value, t: &Type) -> Value {
    let (plain, sensitive) = value.unmark();
    let converted = match (t, plain) {
        (_, v @ (Value::Null | Value::Unknown)) => v,
        (Type::String, v @ (Value::Number(_) | Value::Bool(_))) => iac_functions::primitive_to_string(v),
        (Type::List(e), Value::List(items)) => Value::list(items.into_iter().map(|x| conform(x, e)).collect()),
        (Type::Set(e), Value::List(items)) => Value::set(iac_functions::set_elements(items.into_iter().map(|x| conform(x, e)).collect())),
        (Type::Tuple(ts), Value::List(items)) if items.kind() == iac_core::SeqKind::Tuple && ts.len() == items.len() => {
            Value::tuple(items.into_iter().zip(ts).map(|(x, t)| conform(x, t)).collect())
        }
        (Type::TupleOf(e), Value::List(items)) if items.kind() == iac_core::SeqKind::Tuple => Value::tuple(items.into_iter().map(|x| conform(x, e)).collect()),
        (Type::Map(e), Value::Map(m)) => Value::Map(m.map_values(|_, x| conform(x, e)).with_kind(iac_core::MapKind::Map)),
        (Type::Object(attrs), Value::Map(m)) if m.kind() == iac_core::MapKind::Object => Value::Map(m.map_values(|k, x| match attrs.get(k) {
            Some(t) => conform(x, t),
            None => x,
        })),
        (Type::ObjectOf(e), Value::Map(m)) if m.kind() == iac_core::MapKind::Object => Value::Map(m.map_values(|_, x| conform(x, e))),
        (_, v) => v,
    };
    converted.mark_if(sensitive)
}

/// Where an expression is written: its module, and for a child module the
/// call that made it (whose arguments are in the parent).
struct Ctx<'a> {
    module: &'a Module,
    parent: Option<(&'a Ctx<'a>, &'a ModuleCall)>,
    depth: usize,
    memo: &'a Memo,
}

/// The types of the local values, variables and module outputs found so
/// far, by module (each call's module is its own) and name: a value named
/// many times along a chain of references is typed once.
type Memo = std::cell::RefCell<std::collections::HashMap<(*const Module, Named, String), Type>>;

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Named {
    Local,
    Variable,
    Output,
}

/// Names a `for` expression binds, with their types.
type Frames = Vec<(String, Type)>;

impl<'a> Ctx<'a> {
    fn deeper(&self) -> Option<Ctx<'a>> {
        (self.depth < MAX_DEPTH).then(|| Ctx { module: self.module, parent: self.parent, depth: self.depth + 1, memo: self.memo })
    }

    /// A named value's type, computed once per module and name.
    fn memoized(&self, module: &Module, kind: Named, name: &str, compute: impl FnOnce() -> Type) -> Type {
        let key = (module as *const Module, kind, name.to_string());
        if let Some(t) = self.memo.borrow().get(&key) {
            return t.clone();
        }
        let t = compute();
        self.memo.borrow_mut().insert(key, t.clone());
        t
    }

    fn type_of(&self, e: &Expression, frames: &mut Frames) -> Type {
        match e {
            Expression::Null(_) => Type::Dynamic,
            Expression::Bool(_) => Type::Bool,
            Expression::Number(_) => Type::Number,
            Expression::String(_) => Type::String,
            Expression::Array(items) => Type::Tuple(items.iter().map(|i| self.type_of(i, frames)).collect()),
            Expression::Object(o) => {
                let mut attrs = BTreeMap::new();
                for (k, v) in o.iter() {
                    let key = match k {
                        ObjectKey::Ident(i) => i.as_str().to_string(),
                        ObjectKey::Expression(Expression::Variable(i)) => i.as_str().to_string(),
                        ObjectKey::Expression(ke) => match literal_string(ke) {
                            Some(s) => s,
                            None => return Type::Unknown,
                        },
                    };
                    attrs.insert(key, self.type_of(v.expr(), frames));
                }
                Type::Object(attrs)
            }
            Expression::StringTemplate(t) => self.template(t.iter().collect(), frames),
            Expression::HeredocTemplate(h) => self.template(h.template.iter().collect(), frames),
            Expression::Parenthesis(p) => self.type_of(p.inner(), frames),
            Expression::Variable(v) => self.traversal(v.as_str(), &[], frames),
            Expression::Traversal(t) => {
                let ops: Vec<&TraversalOperator> = t.operators.iter().map(|o| &**o).collect();
                match &t.expr {
                    Expression::Variable(v) => self.traversal(v.as_str(), &ops, frames),
                    other => {
                        let base = self.type_of(other, frames);
                        traverse(base, &ops)
                    }
                }
            }
            Expression::Conditional(c) => {
                let (t, f) = (self.type_of(&c.true_expr, frames), self.type_of(&c.false_expr, frames));
                unify(&[t, f]).unwrap_or(Type::Unknown)
            }
            Expression::UnaryOp(u) => match u.operator.value() {
                UnaryOperator::Neg => Type::Number,
                UnaryOperator::Not => Type::Bool,
            },
            Expression::BinaryOp(b) => match b.operator.value() {
                BinaryOperator::Plus | BinaryOperator::Minus | BinaryOperator::Mul | BinaryOperator::Div | BinaryOperator::Mod => Type::Number,
                _ => Type::Bool,
            },
            Expression::FuncCall(f) => self.call(f, frames),
            Expression::ForExpr(f) => {
                let coll = self.type_of(&f.intro.collection_expr, frames);
                let (key, value) = iteration_types(&coll);
                let base = frames.len();
                if let Some(k) = &f.intro.key_var {
                    frames.push((k.as_str().to_string(), key));
                }
                frames.push((f.intro.value_var.as_str().to_string(), value));
                let elem = self.type_of(&f.value_expr, frames);
                frames.truncate(base);
                match (&f.key_expr, f.grouping) {
                    (None, _) => Type::TupleOf(Box::new(elem)),
                    (Some(_), false) => Type::ObjectOf(Box::new(elem)),
                    (Some(_), true) => Type::ObjectOf(Box::new(Type::TupleOf(Box::new(elem)))),
                }
            }
        }
    }

    /// A template is a string, unless it is one interpolation alone (then
    /// its value, whatever its type, as HCL gives it).
    fn template(&self, elements: Vec<&Element>, frames: &mut Frames) -> Type {
        match elements.as_slice() {
            [Element::Interpolation(i)] => self.type_of(&i.expr, frames),
            _ => Type::String,
        }
    }

    /// A reference (`var.x.a`, `local.y[0]`, a `for` variable) and the
    /// operators after it.
    fn traversal(&self, root: &str, ops: &[&TraversalOperator], frames: &mut Frames) -> Type {
        if let Some((_, t)) = frames.iter().rev().find(|(n, _)| n == root) {
            let t = t.clone();
            return traverse(t, ops);
        }
        let attr = |i: usize| match ops.get(i) {
            Some(TraversalOperator::GetAttr(a)) => Some(a.as_str()),
            _ => None,
        };
        let (base, consumed) = match (root, attr(0)) {
            ("var", Some(name)) => (self.memoized(self.module, Named::Variable, name, || self.variable(name)), 1),
            ("local", Some(name)) => {
                let t = self.memoized(self.module, Named::Local, name, || match (self.module.locals.get(name), self.deeper()) {
                    (Some(l), Some(inner)) => inner.type_of(&l.value.expr, &mut Vec::new()),
                    _ => Type::Unknown,
                });
                (t, 1)
            }
            ("module", Some(name)) => return self.module_ref(name, &ops[1..]),
            ("path", Some(_)) | ("terraform", Some("workspace")) | ("each", Some("key")) => (Type::String, 1),
            ("terraform", Some("applying")) => (Type::Bool, 1),
            ("count", Some("index")) => (Type::Number, 1),
            _ => return Type::Unknown,
        };
        traverse(base, &ops[consumed..])
    }

    /// `var.NAME`: its type constraint; a child module's variable without
    /// one has the type of the argument its call gives (else its default's).
    fn variable(&self, name: &str) -> Type {
        let Some(var) = self.module.variables.get(name) else { return Type::Unknown };
        if var.type_ != TypeConstraint::Any {
            return Type::from_constraint(&var.type_);
        }
        let Some((parent, call)) = self.parent else { return Type::Unknown };
        match (call.inputs.get(name), parent.deeper()) {
            (Some(arg), Some(parent)) => parent.type_of(&arg.expr, &mut Vec::new()),
            (None, Some(_)) => match (&var.default, self.deeper()) {
                (Some(d), Some(inner)) => inner.type_of(&d.expr, &mut Vec::new()),
                _ => Type::Unknown,
            },
            _ => Type::Unknown,
        }
    }

    /// `module.NAME.OUTPUT...`, or `module.NAME[KEY].OUTPUT...` for a call
    /// with `count` or `for_each`: the output's expression in the child.
    fn module_ref(&self, name: &str, ops: &[&TraversalOperator]) -> Type {
        let Some(call) = self.module.module_calls.get(name) else { return Type::Unknown };
        if call.unavailable || self.depth >= MAX_DEPTH {
            return Type::Unknown;
        }
        let expanded = call.count.is_some() || call.for_each.is_some();
        let ops = match (expanded, ops.first()) {
            (false, _) => ops,
            (true, Some(TraversalOperator::Index(_) | TraversalOperator::LegacyIndex(_))) => &ops[1..],
            (true, _) => return Type::Unknown,
        };
        let Some(TraversalOperator::GetAttr(output)) = ops.first() else { return Type::Unknown };
        let Some(out) = call.module.outputs.get(output.as_str()) else { return Type::Unknown };
        let child = Ctx { module: &call.module, parent: Some((self, call)), depth: self.depth + 1, memo: self.memo };
        let t = self.memoized(&call.module, Named::Output, output.as_str(), || child.type_of(&out.value.expr, &mut Vec::new()));
        traverse(t, &ops[1..])
    }

    fn call(&self, f: &hcl_edit::expr::FuncCall, frames: &mut Frames) -> Type {
        if f.name.is_namespaced() && !f.name.namespace.iter().all(|n| n.as_str() == "core") {
            return Type::Unknown;
        }
        if f.args.expand_final() {
            return Type::Unknown;
        }
        let exprs: Vec<&Expression> = f.args.iter().collect();
        let args: Vec<Type> = exprs.iter().map(|a| self.type_of(a, frames)).collect();
        function_type(f.name.name.as_str(), &exprs, &args)
    }
}

/// The type after attribute and index operators (and splats).
fn traverse(mut cur: Type, ops: &[&TraversalOperator]) -> Type {
    for (i, op) in ops.iter().enumerate() {
        cur = match op {
            TraversalOperator::GetAttr(name) => get_attr(cur, name.as_str()),
            TraversalOperator::Index(ix) => index(cur, ix),
            TraversalOperator::LegacyIndex(n) => index_number(cur, *n.value()),
            TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => {
                let rest = &ops[i + 1..];
                // `.*` takes only the attributes after it; what follows those
                // applies to the result (rare enough to leave unknown).
                if matches!(op, TraversalOperator::AttrSplat(_)) && !rest.iter().all(|o| matches!(o, TraversalOperator::GetAttr(_))) {
                    return Type::Unknown;
                }
                return match cur {
                    Type::List(e) => Type::List(Box::new(traverse(*e, rest))),
                    Type::Tuple(ts) => Type::Tuple(ts.into_iter().map(|t| traverse(t, rest)).collect()),
                    Type::TupleOf(t) => Type::TupleOf(Box::new(traverse(*t, rest))),
                    _ => Type::Unknown,
                };
            }
        };
        if cur == Type::Unknown {
            return cur;
        }
    }
    cur
}

/// A built-in function's result type from its arguments' types (and, where
/// the result depends on them, its literal arguments), as the function's
/// signature in Terraform 1.11.4 gives it.
pub fn function_type(name: &str, exprs: &[&Expression], args: &[Type]) -> Type {
    let arg = |i: usize| args.get(i).cloned().unwrap_or(Type::Unknown);
    match iac_functions::signature(name).map(|s| s.returns) {
        None => return Type::Unknown,
        Some(Returns::Always(t)) => return Type::from_signature(&t),
        Some(Returns::FirstArgument) => return if args.len() == 1 { arg(0) } else { Type::Unknown },
        Some(Returns::Depends(_)) => {}
    }
    // What the arguments decide, function by function.
    match name {
        "regex" | "regexall" => {
            let Some(pattern) = exprs.first().and_then(|e| literal_string(e)) else { return Type::Unknown };
            let Ok(groups) = iac_functions::capture_groups(&pattern) else { return Type::Unknown };
            let one = if groups.is_empty() {
                Type::String
            } else if groups.iter().all(Option::is_none) {
                Type::Tuple(vec![Type::String; groups.len()])
            } else if groups.iter().all(Option::is_some) {
                Type::Object(groups.into_iter().flatten().map(|n| (n, Type::String)).collect())
            } else {
                return Type::Unknown;
            };
            if name == "regex" {
                one
            } else {
                Type::List(Box::new(one))
            }
        }
        "tolist" => sequence_element(&arg(0)).map_or(Type::Unknown, |e| Type::List(Box::new(e))),
        "toset" => sequence_element(&arg(0)).map_or(Type::Unknown, |e| Type::Set(Box::new(e))),
        "tomap" => match arg(0) {
            Type::Map(e) => Type::Map(e),
            Type::Object(attrs) => unify(&attrs.into_values().collect::<Vec<_>>()).map_or(Type::Unknown, |e| Type::Map(Box::new(e))),
            _ => Type::Unknown,
        },
        "keys" => match arg(0) {
            Type::Map(_) => Type::List(Box::new(Type::String)),
            Type::Object(attrs) => Type::Tuple(vec![Type::String; attrs.len()]),
            _ => Type::Unknown,
        },
        "values" => match arg(0) {
            Type::Map(e) => Type::List(e),
            Type::Object(attrs) => Type::Tuple(attrs.into_values().collect()),
            _ => Type::Unknown,
        },
        "distinct" => sequence_element(&arg(0)).map_or(Type::Unknown, |e| Type::List(Box::new(e))),
        "chunklist" => sequence_element(&arg(0)).map_or(Type::Unknown, |e| Type::List(Box::new(Type::List(Box::new(e))))),
        "matchkeys" => sequence_element(&arg(0)).map_or(Type::Unknown, |e| Type::List(Box::new(e))),
        "reverse" => match arg(0) {
            Type::List(e) => Type::List(e),
            Type::Tuple(mut ts) => {
                ts.reverse();
                Type::Tuple(ts)
            }
            _ => Type::Unknown,
        },
        "slice" => match arg(0) {
            Type::List(e) => Type::List(e),
            _ => Type::Unknown,
        },
        "element" => match arg(0) {
            Type::List(e) => *e,
            Type::Tuple(ts) if !ts.is_empty() => match exprs.get(1).and_then(|e| literal_index(e)) {
                Some(i) => ts[i % ts.len()].clone(),
                None => Type::Unknown,
            },
            _ => Type::Unknown,
        },
        "one" => match arg(0) {
            Type::List(e) | Type::Set(e) => *e,
            Type::Tuple(ts) if ts.is_empty() => Type::Dynamic,
            Type::Tuple(ts) if ts.len() == 1 => ts[0].clone(),
            _ => Type::Unknown,
        },
        "lookup" => match arg(0) {
            Type::Map(e) => *e,
            Type::Object(attrs) => match exprs.get(1).and_then(|e| literal_string(e)) {
                Some(k) => attrs.get(&k).cloned().unwrap_or_else(|| arg(2)),
                None => Type::Unknown,
            },
            _ => Type::Unknown,
        },
        "coalesce" => unify(args).unwrap_or(Type::Unknown),
        "try" | "coalescelist" => match args.split_first() {
            Some((first, rest)) if first.is_known() && rest.iter().all(|t| t == first) => first.clone(),
            _ => Type::Unknown,
        },
        "merge" => match args.split_first() {
            Some((first, rest)) if first.is_known() && rest.iter().all(|t| t == first) => first.clone(),
            // Objects written as literals are never null: their attributes
            // merge, later ones winning.
            _ if !args.is_empty() && exprs.iter().all(|e| matches!(e, Expression::Object(_))) => {
                let mut attrs = BTreeMap::new();
                for a in args {
                    let Type::Object(more) = a else { return Type::Unknown };
                    attrs.extend(more.clone());
                }
                Type::Object(attrs)
            }
            _ => Type::Unknown,
        },
        "concat" => {
            if !args.is_empty() && args.iter().all(|a| matches!(a, Type::List(_))) {
                unify(args).unwrap_or(Type::Unknown)
            } else if !args.is_empty() && args.iter().all(|a| matches!(a, Type::Tuple(_))) {
                Type::Tuple(args.iter().flat_map(|a| if let Type::Tuple(ts) = a { ts.clone() } else { Vec::new() }).collect())
            } else {
                Type::Unknown
            }
        }
        "setunion" | "setintersection" | "setsubtract" => {
            let Some(elements) = args.iter().map(sequence_element).collect::<Option<Vec<_>>>() else { return Type::Unknown };
            unify(&elements).map_or(Type::Unknown, |e| Type::Set(Box::new(e)))
        }
        "setproduct" if args.len() >= 2 => {
            let mut all_sets = true;
            let mut elements = Vec::with_capacity(args.len());
            for a in args {
                let e = match a {
                    Type::Set(e) => *e.clone(),
                    Type::List(e) => {
                        all_sets = false;
                        *e.clone()
                    }
                    Type::Tuple(ts) => {
                        all_sets = false;
                        if ts.is_empty() {
                            Type::Dynamic
                        } else {
                            match unify(ts) {
                                Some(e) => e,
                                None => return Type::Unknown,
                            }
                        }
                    }
                    _ => return Type::Unknown,
                };
                elements.push(e);
            }
            let product = Box::new(Type::Tuple(elements));
            if all_sets {
                Type::Set(product)
            } else {
                Type::List(product)
            }
        }
        "zipmap" => match arg(1) {
            Type::List(e) => Type::Map(e),
            _ => Type::Unknown,
        },
        _ => Type::Unknown,
    }
}

/// The element type a list, set or tuple has once converted to a list or
/// set (as functions taking `list(any)` convert their arguments): a tuple's
/// elements unified, an empty tuple's dynamic.
fn sequence_element(t: &Type) -> Option<Type> {
    match t {
        Type::List(e) | Type::Set(e) => Some((**e).clone()),
        Type::Tuple(ts) if ts.is_empty() => Some(Type::Dynamic),
        Type::Tuple(ts) => unify(ts),
        _ => None,
    }
}

/// The types a `for` expression's key and value variables have over a
/// collection of this type.
fn iteration_types(coll: &Type) -> (Type, Type) {
    let same = |ts: &mut dyn Iterator<Item = &Type>| -> Type {
        let all: Vec<&Type> = ts.collect();
        match all.split_first() {
            Some((first, rest)) if rest.iter().all(|t| t == first) => (*first).clone(),
            _ => Type::Unknown,
        }
    };
    match coll {
        Type::List(e) => (Type::Number, (**e).clone()),
        Type::Set(e) => ((**e).clone(), (**e).clone()),
        Type::Map(e) => (Type::String, (**e).clone()),
        Type::TupleOf(e) => (Type::Number, (**e).clone()),
        Type::ObjectOf(e) => (Type::String, (**e).clone()),
        Type::Tuple(ts) => (Type::Number, same(&mut ts.iter())),
        Type::Object(attrs) => (Type::String, same(&mut attrs.values())),
        _ => (Type::Unknown, Type::Unknown),
    }
}

fn get_attr(t: Type, name: &str) -> Type {
    match t {
        Type::Object(mut attrs) => attrs.remove(name).unwrap_or(Type::Unknown),
        Type::Map(e) | Type::ObjectOf(e) => *e,
        _ => Type::Unknown,
    }
}

fn index(t: Type, ix: &Expression) -> Type {
    match t {
        Type::List(e) | Type::Map(e) | Type::TupleOf(e) | Type::ObjectOf(e) => *e,
        Type::Tuple(ts) => literal_index(ix).and_then(|i| ts.into_iter().nth(i)).unwrap_or(Type::Unknown),
        Type::Object(mut attrs) => literal_string(ix).and_then(|k| attrs.remove(&k)).unwrap_or(Type::Unknown),
        _ => Type::Unknown,
    }
}

fn index_number(t: Type, n: u64) -> Type {
    match t {
        Type::List(e) | Type::TupleOf(e) => *e,
        Type::Tuple(ts) => usize::try_from(n).ok().and_then(|i| ts.into_iter().nth(i)).unwrap_or(Type::Unknown),
        _ => Type::Unknown,
    }
}

/// Whether an expression is a literal: evaluating it needs no scope, no
/// function and no file (whatever the working directory).
fn is_literal(e: &Expression) -> bool {
    match e {
        Expression::String(_) | Expression::Number(_) | Expression::Bool(_) => true,
        Expression::Parenthesis(p) => is_literal(p.inner()),
        Expression::UnaryOp(u) => is_literal(&u.expr),
        Expression::StringTemplate(t) => t.iter().all(|el| matches!(el, Element::Literal(_))),
        _ => false,
    }
}

/// A literal argument's string (a pattern, a key).
fn literal_string(e: &Expression) -> Option<String> {
    if !is_literal(e) {
        return None;
    }
    match crate::eval::eval_literal(e).ok()? {
        Value::String(s) => Some(s),
        _ => None,
    }
}

fn literal_index(e: &Expression) -> Option<usize> {
    if !is_literal(e) {
        return None;
    }
    crate::eval::eval_literal(e).ok()?.as_f64().filter(|f| *f >= 0.0 && f.fract() == 0.0).map(|f| f as usize)
}

/// The type values of these types convert to together, as cty's
/// unification (a conditional's results, `coalesce`'s arguments, a tuple
/// made a list): None when unknown parts leave it uncertain, or where no
/// such type exists. Dynamic ones (literal nulls) fit any type.
pub fn unify(types: &[Type]) -> Option<Type> {
    let concrete: Vec<&Type> = types.iter().filter(|t| **t != Type::Dynamic).collect();
    let Some((first, rest)) = concrete.split_first() else { return Some(Type::Dynamic) };
    if !concrete.iter().all(|t| t.is_known()) {
        // Equal types unify to themselves whatever their unknown parts are.
        return rest.iter().all(|t| t == first).then(|| (*first).clone());
    }
    if rest.iter().all(|t| t == first) {
        return Some((*first).clone());
    }
    if concrete.iter().all(|t| matches!(t, Type::String | Type::Number | Type::Bool)) {
        // A string wins; numbers and bools do not convert to each other.
        return concrete.iter().any(|t| **t == Type::String).then_some(Type::String);
    }
    if concrete.iter().all(|t| matches!(t, Type::Object(_))) {
        let objects: Vec<&BTreeMap<String, Type>> = concrete.iter().filter_map(|t| if let Type::Object(a) = t { Some(a) } else { None }).collect();
        if objects.iter().all(|o| o.keys().eq(objects[0].keys())) {
            let mut attrs = BTreeMap::new();
            for k in objects[0].keys() {
                let across: Vec<Type> = objects.iter().map(|o| o[k].clone()).collect();
                attrs.insert(k.clone(), unify(&across)?);
            }
            return Some(Type::Object(attrs));
        }
        let all: Vec<Type> = objects.iter().flat_map(|o| o.values().cloned()).collect();
        return unify(&all).map(|e| Type::Map(Box::new(e)));
    }
    if concrete.iter().all(|t| matches!(t, Type::Tuple(_))) {
        let tuples: Vec<&Vec<Type>> = concrete.iter().filter_map(|t| if let Type::Tuple(ts) = t { Some(ts) } else { None }).collect();
        if tuples.iter().all(|t| t.len() == tuples[0].len()) {
            let mut elements = Vec::with_capacity(tuples[0].len());
            for i in 0..tuples[0].len() {
                let across: Vec<Type> = tuples.iter().map(|t| t[i].clone()).collect();
                elements.push(unify(&across)?);
            }
            return Some(Type::Tuple(elements));
        }
        let all: Vec<Type> = tuples.iter().flat_map(|t| t.iter().cloned()).collect();
        return unify(&all).map(|e| Type::List(Box::new(e)));
    }
    // Lists (sets, maps) of one kind, with tuples (objects) or not: the
    // tuples' elements (objects' attributes) convert to the collection's
    // element type, unified with theirs.
    let kind_of = |t: &Type| -> Option<fn(Box<Type>) -> Type> {
        match t {
            Type::List(_) => Some(Type::List),
            Type::Set(_) => Some(Type::Set),
            Type::Map(_) => Some(Type::Map),
            _ => None,
        }
    };
    let collections: Vec<&&Type> = concrete.iter().filter(|t| kind_of(t).is_some()).collect();
    let kind = kind_of(collections.first()?)?;
    let same_kind = collections.iter().all(|t| std::mem::discriminant(**t) == std::mem::discriminant(*collections[0]));
    let mut elements = Vec::new();
    for t in &concrete {
        match (t, &collections[0]) {
            (Type::List(e) | Type::Set(e) | Type::Map(e), _) => elements.push((**e).clone()),
            (Type::Tuple(ts), Type::List(_) | Type::Set(_)) => elements.extend(ts.iter().cloned()),
            (Type::Object(attrs), Type::Map(_)) => elements.extend(attrs.values().cloned()),
            _ => return None,
        }
    }
    if !same_kind {
        return None;
    }
    unify(&elements).map(|e| kind(Box::new(e)))
}

#[cfg(test)]
mod tests;
