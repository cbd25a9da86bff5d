//! References from expressions to other objects of the stack (`var.x`,
//! `aws_vpc.main`, `module.net.ids`): the edges of the dependency graph.

use std::ops::Range;

use hcl_edit::expr::{Expression, ObjectKey, TraversalOperator};
use hcl_edit::repr::Span as _;
use hcl_edit::template::{Directive, Element, Template};

/// What a reference points at.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Subject {
    Var(String),
    Local(String),
    Resource { type_: String, name: String },
    Data { type_: String, name: String },
    /// `module.NAME`, with the output named when the reference names one.
    Module { name: String, output: Option<String> },
    CountIndex,
    EachKey,
    EachValue,
    SelfRef,
    Path(String),
    TerraformWorkspace,
}

impl Subject {
    /// The reference as written, for messages.
    pub fn describe(&self) -> String {
        match self {
            Subject::Var(n) => format!("var.{n}"),
            Subject::Local(n) => format!("local.{n}"),
            Subject::Resource { type_, name } => format!("{type_}.{name}"),
            Subject::Data { type_, name } => format!("data.{type_}.{name}"),
            Subject::Module { name, output: Some(o) } => format!("module.{name}.{o}"),
            Subject::Module { name, output: None } => format!("module.{name}"),
            Subject::CountIndex => "count.index".into(),
            Subject::EachKey => "each.key".into(),
            Subject::EachValue => "each.value".into(),
            Subject::SelfRef => "self".into(),
            Subject::Path(p) => format!("path.{p}"),
            Subject::TerraformWorkspace => "terraform.workspace".into(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reference {
    pub subject: Subject,
    /// Byte range of the reference in its file.
    pub range: Range<usize>,
    /// How many traversal operators the subject consumed.
    pub consumed: usize,
}

/// Parses the subject of a traversal rooted at a variable. Err describes an
/// invalid reference (`var` alone, `count.foo`).
pub fn parse_subject(root: &str, ops: &[&TraversalOperator]) -> Result<(Subject, usize), String> {
    let attr = |i: usize| -> Option<&str> {
        match ops.get(i) {
            Some(TraversalOperator::GetAttr(a)) => Some(a.as_str()),
            _ => None,
        }
    };
    let need = |i: usize, what: &str| -> Result<String, String> { attr(i).map(str::to_string).ok_or_else(|| format!("a reference to {root} must be followed by {what}")) };
    Ok(match root {
        "var" => (Subject::Var(need(0, "a variable name")?), 1),
        "local" => (Subject::Local(need(0, "a local value name")?), 1),
        "data" => (Subject::Data { type_: need(0, "a data source type")?, name: need(1, "a data source name")? }, 2),
        "module" => {
            let name = need(0, "a module name")?;
            match attr(1) {
                Some(o) => (Subject::Module { name, output: Some(o.to_string()) }, 1),
                None => (Subject::Module { name, output: None }, 1),
            }
        }
        "count" => match attr(0) {
            Some("index") => (Subject::CountIndex, 1),
            _ => return Err("the only attribute of count is count.index".into()),
        },
        "each" => match attr(0) {
            Some("key") => (Subject::EachKey, 1),
            Some("value") => (Subject::EachValue, 1),
            _ => return Err("each has only each.key and each.value".into()),
        },
        "self" => (Subject::SelfRef, 0),
        "path" => match attr(0) {
            Some(p @ ("module" | "root" | "cwd")) => (Subject::Path(p.to_string()), 1),
            _ => return Err("path has only path.module, path.root and path.cwd".into()),
        },
        "terraform" => match attr(0) {
            Some("workspace") => (Subject::TerraformWorkspace, 1),
            _ => return Err("terraform has only terraform.workspace".into()),
        },
        type_ => (Subject::Resource { type_: type_.to_string(), name: need(0, "a resource name (TYPE.NAME)")? }, 1),
    })
}

/// All references in an expression (local names of `for` expressions excluded).
/// Invalid references are returned as errors with their ranges.
pub fn references(expr: &Expression) -> (Vec<Reference>, Vec<(Range<usize>, String)>) {
    let mut c = Collector { refs: Vec::new(), errors: Vec::new(), locals: Vec::new() };
    c.expr(expr);
    (c.refs, c.errors)
}

struct Collector {
    refs: Vec<Reference>,
    errors: Vec<(Range<usize>, String)>,
    locals: Vec<String>,
}

impl Collector {
    fn root(&mut self, name: &str, ops: &[&TraversalOperator], range: Range<usize>) {
        if self.locals.iter().any(|l| l == name) {
            return;
        }
        match parse_subject(name, ops) {
            Ok((subject, consumed)) => self.refs.push(Reference { subject, range, consumed }),
            Err(e) => self.errors.push((range, e)),
        }
    }

    fn expr(&mut self, e: &Expression) {
        match e {
            Expression::Null(_) | Expression::Bool(_) | Expression::Number(_) | Expression::String(_) => {}
            Expression::Array(a) => a.iter().for_each(|x| self.expr(x)),
            Expression::Object(o) => {
                for (k, v) in o.iter() {
                    if let ObjectKey::Expression(k) = k {
                        // A bare word key is a literal, not a reference.
                        if !matches!(k, Expression::Variable(_)) {
                            self.expr(k);
                        }
                    }
                    self.expr(v.expr());
                }
            }
            Expression::StringTemplate(t) => self.template(t),
            Expression::HeredocTemplate(h) => self.template(&h.template),
            Expression::Parenthesis(p) => self.expr(p.inner()),
            Expression::Variable(v) => self.root(v.as_str(), &[], e.span().unwrap_or(0..0)),
            Expression::Conditional(c) => {
                self.expr(&c.cond_expr);
                self.expr(&c.true_expr);
                self.expr(&c.false_expr);
            }
            Expression::FuncCall(f) => f.args.iter().for_each(|a| self.expr(a)),
            Expression::Traversal(t) => {
                if let Expression::Variable(v) = &t.expr {
                    let ops: Vec<&TraversalOperator> = t.operators.iter().map(|o| &**o).collect();
                    self.root(v.as_str(), &ops, e.span().unwrap_or(0..0));
                } else {
                    self.expr(&t.expr);
                }
                for op in t.operators.iter() {
                    if let TraversalOperator::Index(i) = &**op {
                        self.expr(i);
                    }
                }
            }
            Expression::UnaryOp(u) => self.expr(&u.expr),
            Expression::BinaryOp(b) => {
                self.expr(&b.lhs_expr);
                self.expr(&b.rhs_expr);
            }
            Expression::ForExpr(f) => {
                self.expr(&f.intro.collection_expr);
                let pushed = self.push_locals(f.intro.key_var.as_ref().map(|k| k.as_str()), f.intro.value_var.as_str());
                if let Some(k) = &f.key_expr {
                    self.expr(k);
                }
                self.expr(&f.value_expr);
                if let Some(c) = &f.cond {
                    self.expr(&c.expr);
                }
                self.locals.truncate(self.locals.len() - pushed);
            }
        }
    }

    fn push_locals(&mut self, key: Option<&str>, value: &str) -> usize {
        let mut n = 1;
        if let Some(k) = key {
            self.locals.push(k.to_string());
            n += 1;
        }
        self.locals.push(value.to_string());
        n
    }

    fn template(&mut self, t: &Template) {
        for el in t.iter() {
            match el {
                Element::Literal(_) => {}
                Element::Interpolation(i) => self.expr(&i.expr),
                Element::Directive(d) => match &**d {
                    Directive::If(i) => {
                        self.expr(&i.if_expr.cond_expr);
                        self.template(&i.if_expr.template);
                        if let Some(e) = &i.else_expr {
                            self.template(&e.template);
                        }
                    }
                    Directive::For(f) => {
                        self.expr(&f.for_expr.collection_expr);
                        let pushed = self.push_locals(f.for_expr.key_var.as_ref().map(|k| k.as_str()), f.for_expr.value_var.as_str());
                        self.template(&f.for_expr.template);
                        self.locals.truncate(self.locals.len() - pushed);
                    }
                },
            }
        }
    }
}
