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
    Resource {
        type_: String,
        name: String,
    },
    Data {
        type_: String,
        name: String,
    },
    /// `ephemeral.TYPE.NAME`: an ephemeral resource.
    Ephemeral {
        type_: String,
        name: String,
    },
    /// `module.NAME`, with the output named when the reference names one.
    Module {
        name: String,
        output: Option<String>,
    },
    CountIndex,
    EachKey,
    EachValue,
    SelfRef,
    Path(String),
    TerraformWorkspace,
    /// `terraform.applying`: true while applying, an ephemeral value.
    TerraformApplying,
}

impl Subject {
    /// The reference as written, for messages.
    pub fn describe(&self) -> String {
        match self {
            Subject::Var(n) => format!("var.{n}"),
            Subject::Local(n) => format!("local.{n}"),
            Subject::Resource { type_, name } => format!("{type_}.{name}"),
            Subject::Data { type_, name } => format!("data.{type_}.{name}"),
            Subject::Ephemeral { type_, name } => format!("ephemeral.{type_}.{name}"),
            Subject::Module { name, output: Some(o) } => format!("module.{name}.{o}"),
            Subject::Module { name, output: None } => format!("module.{name}"),
            Subject::CountIndex => "count.index".into(),
            Subject::EachKey => "each.key".into(),
            Subject::EachValue => "each.value".into(),
            Subject::SelfRef => "self".into(),
            Subject::Path(p) => format!("path.{p}"),
            Subject::TerraformWorkspace => "terraform.workspace".into(),
            Subject::TerraformApplying => "terraform.applying".into(),
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
    let need = |i: usize, what: &str| -> Result<String, String> {
        attr(i).map(str::to_string).ok_or_else(|| format!("a reference to {root} must be followed by {what}"))
    };
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
        "ephemeral" => (Subject::Ephemeral { type_: need(0, "an ephemeral resource type")?, name: need(1, "an ephemeral resource name")? }, 2),
        "self" => (Subject::SelfRef, 0),
        "path" => match attr(0) {
            Some(p @ ("module" | "root" | "cwd")) => (Subject::Path(p.to_string()), 1),
            _ => return Err("path has only path.module, path.root and path.cwd".into()),
        },
        "terraform" => match attr(0) {
            Some("workspace") => (Subject::TerraformWorkspace, 1),
            Some("applying") => (Subject::TerraformApplying, 1),
            _ => return Err("terraform has only terraform.workspace and terraform.applying".into()),
        },
        type_ => (Subject::Resource { type_: type_.to_string(), name: need(0, "a resource name (TYPE.NAME)")? }, 1),
    })
}

/// All references in an expression (local names of `for` expressions excluded).
/// Invalid references are returned as errors with their ranges.
pub fn references(expr: &Expression) -> (Vec<Reference>, Vec<(Range<usize>, String)>) {
    let mut c = Collector { refs: Vec::new(), errors: Vec::new(), locals: Vec::new(), skip_ephemeral_as_null: false };
    c.expr(expr);
    (c.refs, c.errors)
}

/// The references of an expression whose ephemeral marks can reach its
/// result: all but those inside `ephemeralasnull(...)`, which throws the
/// ephemeral parts of its argument away.
pub fn references_kept_ephemeral(expr: &Expression) -> Vec<Reference> {
    let mut c = Collector { refs: Vec::new(), errors: Vec::new(), locals: Vec::new(), skip_ephemeral_as_null: true };
    c.expr(expr);
    c.refs
}

/// Whether a function call is the built-in `ephemeralasnull` (also as `core::ephemeralasnull`).
pub fn is_ephemeral_as_null(f: &hcl_edit::expr::FuncCall) -> bool {
    f.name.name.as_str() == "ephemeralasnull" && f.name.namespace.iter().all(|n| n.as_str() == "core") && f.name.namespace.len() <= 1
}

/// All references in a body and its nested blocks, skipping the named
/// top-level arguments. Inside `dynamic "x"` blocks, the iterator (`x`, or
/// the name given by `iterator = it`) is a local name in `content` and
/// `labels`, not a reference; nested dynamic blocks add theirs.
pub fn body_references(body: &hcl_edit::structure::Body, skip: &[&str]) -> (Vec<Reference>, Vec<(Range<usize>, String)>) {
    let mut c = Collector { refs: Vec::new(), errors: Vec::new(), locals: Vec::new(), skip_ephemeral_as_null: false };
    c.body(body, skip);
    (c.refs, c.errors)
}

/// An argument written in a body: its name, the nested blocks it is
/// written in (a `dynamic "x"` block's `content` counts as block `x`, and
/// its `for_each` as an argument named `x` of the enclosing body), and its
/// expression with the expression's byte range.
pub struct Argument<'a> {
    pub blocks: Vec<String>,
    pub name: String,
    pub expr: &'a Expression,
    pub range: Range<usize>,
}

/// Every argument of a body, nested blocks included; `skip` names
/// top-level arguments and blocks that are not the body's own (meta-arguments).
pub fn body_arguments<'a>(body: &'a hcl_edit::structure::Body, skip: &[&str]) -> Vec<Argument<'a>> {
    let mut out = Vec::new();
    collect_arguments(body, skip, &mut Vec::new(), &mut out);
    out
}

fn collect_arguments<'a>(body: &'a hcl_edit::structure::Body, skip: &[&str], blocks: &mut Vec<String>, out: &mut Vec<Argument<'a>>) {
    use hcl_edit::structure::{BlockLabel, Structure};
    let argument = |blocks: &[String], name: &str, expr: &'a Expression| Argument {
        blocks: blocks.to_vec(),
        name: name.to_string(),
        expr,
        range: expr.span().unwrap_or(0..0),
    };
    for s in body.iter() {
        match s {
            Structure::Attribute(a) => {
                if !(blocks.is_empty() && skip.contains(&a.key.as_str())) {
                    out.push(argument(blocks, a.key.as_str(), &a.value));
                }
            }
            Structure::Block(b) if blocks.is_empty() && skip.contains(&b.ident.as_str()) => {}
            Structure::Block(b) if b.ident.as_str() == "dynamic" => {
                let label = match b.labels.first() {
                    Some(BlockLabel::Ident(i)) => i.as_str().to_string(),
                    Some(BlockLabel::String(s)) => s.as_str().to_string(),
                    None => continue,
                };
                for inner in b.body.iter() {
                    match inner {
                        Structure::Attribute(a) if a.key.as_str() == "for_each" => out.push(argument(blocks, &label, &a.value)),
                        Structure::Block(c) if c.ident.as_str() == "content" => {
                            blocks.push(label.clone());
                            collect_arguments(&c.body, skip, blocks, out);
                            blocks.pop();
                        }
                        _ => {}
                    }
                }
            }
            Structure::Block(b) => {
                blocks.push(b.ident.as_str().to_string());
                collect_arguments(&b.body, skip, blocks, out);
                blocks.pop();
            }
        }
    }
}

struct Collector {
    refs: Vec<Reference>,
    errors: Vec<(Range<usize>, String)>,
    locals: Vec<String>,
    /// Leave out what `ephemeralasnull(...)` calls hold.
    skip_ephemeral_as_null: bool,
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
            Expression::FuncCall(f) if self.skip_ephemeral_as_null && is_ephemeral_as_null(f) => {}
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

    fn body(&mut self, body: &hcl_edit::structure::Body, skip: &[&str]) {
        use hcl_edit::structure::Structure;
        for s in body.iter() {
            match s {
                Structure::Attribute(a) if !skip.contains(&a.key.as_str()) => self.expr(&a.value),
                Structure::Attribute(_) => {}
                Structure::Block(b) if b.ident.as_str() == "dynamic" => self.dynamic(b),
                // A `provider` meta-argument block never appears; nested blocks are walked whole.
                Structure::Block(b) if !skip.contains(&b.ident.as_str()) || b.ident.as_str() == "provider" => self.body(&b.body, &[]),
                Structure::Block(_) => {}
            }
        }
    }

    /// `dynamic "label" { for_each = ..., iterator = it, labels = [...], content { ... } }`:
    /// `for_each` sees the outer scope, `labels` and `content` the iterator too.
    fn dynamic(&mut self, b: &hcl_edit::structure::Block) {
        use hcl_edit::structure::{BlockLabel, Structure};
        let mut iterator = b.labels.first().map(|l| match l {
            BlockLabel::Ident(i) => i.as_str().to_string(),
            BlockLabel::String(s) => s.as_str().to_string(),
        });
        for s in b.body.iter() {
            if let Structure::Attribute(a) = s {
                if a.key.as_str() == "iterator" {
                    if let Expression::Variable(v) = &a.value {
                        iterator = Some(v.as_str().to_string());
                    }
                }
            }
        }
        for s in b.body.iter() {
            if let Structure::Attribute(a) = s {
                if a.key.as_str() == "for_each" {
                    self.expr(&a.value);
                }
            }
        }
        let pushed = match &iterator {
            Some(name) => {
                self.locals.push(name.clone());
                1
            }
            None => 0,
        };
        for s in b.body.iter() {
            match s {
                Structure::Attribute(a) if a.key.as_str() == "labels" => self.expr(&a.value),
                Structure::Block(c) if c.ident.as_str() == "content" => self.body(&c.body, &[]),
                _ => {}
            }
        }
        self.locals.truncate(self.locals.len() - pushed);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn subjects(src: &str) -> (Vec<String>, Vec<String>) {
        let body = hcl_edit::parser::parse_body(src).expect("parses");
        let (refs, errors) = body_references(&body, &["count"]);
        (refs.iter().map(|r| r.subject.describe()).collect(), errors.into_iter().map(|(_, m)| m).collect())
    }

    #[test]
    fn dynamic_iterators_are_local_names() {
        let src = r#"
name = var.name
dynamic "ingress" {
  for_each = var.rules
  content {
    from_port = ingress.value.port
    cidr      = local.cidr
    dynamic "nested" {
      for_each = ingress.value.items
      iterator = it
      labels   = [it.key]
      content {
        x = it.value
        y = ingress.key
      }
    }
  }
}
count = var.n
"#;
        let (refs, errors) = subjects(src);
        assert_eq!(refs, vec!["var.name", "var.rules", "local.cidr"]);
        assert!(errors.is_empty(), "{errors:?}");
    }

    #[test]
    fn iterator_is_not_in_scope_outside_content() {
        let (refs, _) = subjects("dynamic \"a\" {\n  for_each = a.value\n  content {}\n}\nx = a.value\n");
        assert_eq!(refs, vec!["a.value", "a.value"], "for_each and later attributes see the outer scope");
    }

    #[test]
    fn ephemeral_references_name_the_resource() {
        let (refs, errors) = subjects("x = ephemeral.random_password.p.result\n");
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(refs, vec!["ephemeral.random_password.p".to_string()]);
    }

    #[test]
    fn arguments_are_found_in_nested_and_dynamic_blocks() {
        let src = "count = 2\nname = var.a\nsettings {\n  mode = var.b\n}\ndynamic \"rule\" {\n  for_each = var.c\n  content {\n    port = rule.value\n  }\n}\nlifecycle {\n  ignore_changes = all\n}\n";
        let body = hcl_edit::parser::parse_body(src).expect("parses");
        let found: Vec<(Vec<String>, String)> = body_arguments(&body, &["count", "lifecycle"]).into_iter().map(|a| (a.blocks, a.name)).collect();
        let want = [(vec![], "name"), (vec!["settings"], "mode"), (vec![], "rule"), (vec!["rule"], "port")];
        assert_eq!(found, want.iter().map(|(b, n)| (b.iter().map(|s| s.to_string()).collect(), n.to_string())).collect::<Vec<_>>());
    }
}
