//! Terraform's JSON configuration representation (the `configuration` of
//! `show -json PLAN`): provider configurations, and per module its
//! resources with their expressions (a constant value, or the references an
//! expression makes, each multi-step reference unwrapped step by step),
//! outputs, variables and module calls. Also the plan's
//! `relevant_attributes` and the full provider source addresses.

use std::collections::{BTreeMap, HashSet};

use crate::config::{Module, RESOURCE_META_ARGS};
use hcl_edit::expr::{Expression, ObjectKey, TraversalOperator};
use hcl_edit::structure::{Body, Structure};
use hcl_edit::template::{Directive, Element, Template};
use iac_core::address::{Mode, ModulePath};
use serde_json::{Map, Value as Json};

/// The builtin provider's source address.
pub const BUILTIN_TERRAFORM: &str = "terraform.io/builtin/terraform";

/// A provider's full source address from its local name and, when the stack
/// names one, its `required_providers` source (`hashicorp/aws`).
pub fn full_source(name: &str, source: Option<&str>) -> String {
    match source {
        Some(s) => match s.split('/').count() {
            1 => format!("registry.terraform.io/hashicorp/{}", s.to_lowercase()),
            2 => format!("registry.terraform.io/{}", s.to_lowercase()),
            _ => s.to_lowercase(),
        },
        None if name == "terraform" => BUILTIN_TERRAFORM.to_string(),
        None => format!("registry.terraform.io/hashicorp/{name}"),
    }
}

/// Full source addresses by local name, from every module's
/// `required_providers` (the root's win).
pub fn provider_sources(root: &Module) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for m in root.walk().into_iter().rev() {
        for (name, rp) in &m.required_providers {
            out.insert(name.clone(), full_source(name, rp.source.as_deref()));
        }
    }
    out
}

/// The full source address of a local provider name.
pub fn provider_full_name(name: &str, sources: &BTreeMap<String, String>) -> String {
    sources.get(name).cloned().unwrap_or_else(|| full_source(name, None))
}

/// One reference as Terraform's parser splits it: the subject (`terraform_data.r["x"]`),
/// the shorter forms it also lists (`terraform_data.r`), and the remaining static steps.
struct Ref {
    subject: String,
    extra: Option<String>,
    remaining: Vec<String>,
    /// For resources: the resource (`type.name`, with `data.`), its key text and the first attribute.
    resource: Option<(String, String, Option<String>)>,
}

fn step_text(op: &TraversalOperator) -> Option<String> {
    match op {
        TraversalOperator::GetAttr(a) => Some([".", a.as_str()].concat()),
        TraversalOperator::LegacyIndex(n) => Some(format!("[{}]", n.value())),
        TraversalOperator::Index(Expression::Number(n)) => Some(format!("[{}]", n.value())),
        TraversalOperator::Index(Expression::String(s)) => Some(format!("[{}]", Json::String(s.value().to_string()))),
        TraversalOperator::Index(Expression::StringTemplate(t)) => literal_template(t).map(|s| format!("[{}]", Json::String(s))),
        _ => None,
    }
}

fn parse_ref(root: &str, ops: &[&TraversalOperator]) -> Option<Ref> {
    // Only the static prefix of a traversal is a reference (a splat or a computed index ends it).
    let steps: Vec<String> = ops.iter().map_while(|o| step_text(o)).collect();
    let attr = |i: usize| steps.get(i).and_then(|s| s.strip_prefix('.')).map(str::to_string);
    let is_index = |i: usize| steps.get(i).is_some_and(|s| s.starts_with('['));
    let simple = |consumed: usize| -> Option<Ref> {
        let name = attr(consumed - 1)?;
        Some(Ref { subject: [root, ".", &name].concat(), extra: None, remaining: steps[consumed..].to_vec(), resource: None })
    };
    match root {
        "var" | "local" | "count" | "each" | "path" | "terraform" => simple(1),
        "self" => None,
        "module" => {
            let name = attr(0)?;
            let call = ["module.", &name].concat();
            let mut i = 1;
            let mut inst = call.clone();
            let keyed = is_index(1);
            if keyed {
                inst.push_str(&steps[1]);
                i = 2;
            }
            match attr(i) {
                Some(out) => Some(Ref { subject: [inst.as_str(), ".", &out].concat(), extra: Some(inst), remaining: steps[i + 1..].to_vec(), resource: None }),
                None => Some(Ref { subject: inst, extra: keyed.then_some(call), remaining: steps[i..].to_vec(), resource: None }),
            }
        }
        _ => {
            let (res, at) = if root == "data" { (["data.", &attr(0)?, ".", &attr(1)?].concat(), 2) } else { ([root, ".", &attr(0)?].concat(), 1) };
            if steps.len() == at {
                return Some(Ref { subject: res.clone(), extra: None, remaining: Vec::new(), resource: Some((res, String::new(), None)) });
            }
            if is_index(at) {
                let key = steps[at].clone();
                let a = attr(at + 1);
                Some(Ref {
                    subject: [res.as_str(), &key].concat(),
                    extra: Some(res.clone()),
                    remaining: steps[at + 1..].to_vec(),
                    resource: Some((res, key, a)),
                })
            } else {
                Some(Ref { subject: res.clone(), extra: None, remaining: steps[at..].to_vec(), resource: Some((res, String::new(), attr(at))) })
            }
        }
    }
}

#[derive(Default)]
struct Refs {
    found: Vec<Ref>,
    locals: Vec<String>,
}

impl Refs {
    fn expr(&mut self, e: &Expression) {
        match e {
            Expression::Null(_) | Expression::Bool(_) | Expression::Number(_) | Expression::String(_) => {}
            Expression::Array(a) => a.iter().for_each(|x| self.expr(x)),
            Expression::Object(o) => {
                for (k, v) in o.iter() {
                    if let ObjectKey::Expression(k) = k {
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
            Expression::Variable(v) => self.root(v.as_str(), &[]),
            Expression::Conditional(c) => {
                self.expr(&c.cond_expr);
                self.expr(&c.true_expr);
                self.expr(&c.false_expr);
            }
            Expression::FuncCall(f) => f.args.iter().for_each(|a| self.expr(a)),
            Expression::Traversal(t) => {
                if let Expression::Variable(v) = &t.expr {
                    let ops: Vec<&TraversalOperator> = t.operators.iter().map(|o| &**o).collect();
                    self.root(v.as_str(), &ops);
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
                let n = self.locals.len();
                if let Some(k) = &f.intro.key_var {
                    self.locals.push(k.as_str().to_string());
                }
                self.locals.push(f.intro.value_var.as_str().to_string());
                if let Some(k) = &f.key_expr {
                    self.expr(k);
                }
                self.expr(&f.value_expr);
                if let Some(c) = &f.cond {
                    self.expr(&c.expr);
                }
                self.locals.truncate(n);
            }
        }
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
                        let n = self.locals.len();
                        if let Some(k) = &f.for_expr.key_var {
                            self.locals.push(k.as_str().to_string());
                        }
                        self.locals.push(f.for_expr.value_var.as_str().to_string());
                        self.template(&f.for_expr.template);
                        self.locals.truncate(n);
                    }
                },
            }
        }
    }

    fn root(&mut self, name: &str, ops: &[&TraversalOperator]) {
        if self.locals.iter().any(|l| l == name) {
            return;
        }
        if let Some(r) = parse_ref(name, ops) {
            self.found.push(r);
        }
    }
}

fn refs_of(e: &Expression) -> Vec<Ref> {
    let mut r = Refs::default();
    r.expr(e);
    r.found
}

fn literal_template(t: &Template) -> Option<String> {
    let mut s = String::new();
    for el in t.iter() {
        match el {
            Element::Literal(l) => s.push_str(l.value()),
            _ => return None,
        }
    }
    Some(s)
}

/// The value of an expression that needs no context (literals only), as Terraform's `constant_value`.
fn constant(e: &Expression) -> Option<Json> {
    Some(match e {
        Expression::Null(_) => Json::Null,
        Expression::Bool(b) => Json::Bool(*b.value()),
        Expression::Number(n) => crate::eval::literal_number(n.value()).to_json(),
        Expression::String(s) => Json::String(s.value().to_string()),
        Expression::StringTemplate(t) => Json::String(literal_template(t)?),
        Expression::Parenthesis(p) => constant(p.inner())?,
        Expression::Array(a) => Json::Array(a.iter().map(constant).collect::<Option<_>>()?),
        Expression::Object(o) => {
            let mut m = Map::new();
            for (k, v) in o.iter() {
                let key = match k {
                    ObjectKey::Ident(i) => i.as_str().to_string(),
                    ObjectKey::Expression(Expression::Variable(v)) => v.as_str().to_string(),
                    ObjectKey::Expression(k) => match constant(k)? {
                        Json::String(s) => s,
                        other => other.to_string(),
                    },
                };
                m.insert(key, constant(v.expr())?);
            }
            let mut sorted: Vec<_> = m.into_iter().collect();
            sorted.sort_by(|a, b| a.0.cmp(&b.0));
            Json::Object(sorted.into_iter().collect())
        }
        _ => return None,
    })
}

/// Terraform's expression representation: `constant_value` or `references`.
pub fn expression(e: &Expression) -> Json {
    let refs = refs_of(e);
    if refs.is_empty() {
        return match constant(e) {
            Some(v) => object([("constant_value", v)]),
            None => Json::Object(Map::new()),
        };
    }
    let mut out = Vec::new();
    for r in refs {
        for n in (1..=r.remaining.len()).rev() {
            out.push(std::iter::once(&r.subject).chain(&r.remaining[..n]).map(String::as_str).collect());
        }
        out.push(r.subject);
        if let Some(x) = r.extra {
            out.push(x);
        }
    }
    object([("references", strings(out))])
}

/// A JSON object of these members in this order. Built directly: `json!`
/// with a non-literal value serializes that value into a copy (the whole
/// configuration tree was copied twice per plan).
fn object<const N: usize>(members: [(&str, Json); N]) -> Json {
    Json::Object(members.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

fn strings(items: Vec<String>) -> Json {
    Json::Array(items.into_iter().map(Json::String).collect())
}

fn is_empty_expr(j: &Json) -> bool {
    j.as_object().is_some_and(|m| m.is_empty())
}

/// A block's arguments and nested blocks (nested blocks as lists), meta-arguments skipped.
fn expressions(body: &Body, skip: &[&str]) -> Map<String, Json> {
    // Sorted by name as it is built.
    let mut out = BTreeMap::new();
    let mut blocks: BTreeMap<String, Vec<Json>> = BTreeMap::new();
    for s in body.iter() {
        match s {
            Structure::Attribute(a) if !skip.contains(&a.key.as_str()) => {
                out.insert(a.key.as_str().to_string(), expression(&a.value));
            }
            Structure::Block(b) if !skip.contains(&b.ident.as_str()) && b.ident.as_str() != "dynamic" => {
                blocks.entry(b.ident.as_str().to_string()).or_default().push(Json::Object(expressions(&b.body, &[])));
            }
            _ => {}
        }
    }
    for (k, v) in blocks {
        out.insert(k, Json::Array(v));
    }
    out.into_iter().collect()
}

fn depends_on(exprs: &[crate::config::Expr]) -> Vec<String> {
    exprs.iter().flat_map(|e| refs_of(&e.expr).into_iter().map(|r| r.subject)).collect()
}

fn module_prefix(call_path: &[String]) -> String {
    call_path.iter().map(|n| format!("module.{n}")).collect::<Vec<_>>().join(".")
}

fn provider_key(m: &Module, name: &str, alias: Option<&str>) -> String {
    let local = match alias {
        Some(a) => format!("{name}.{a}"),
        None => name.to_string(),
    };
    let own = m.providers.iter().any(|p| p.name == name && p.alias.as_deref() == alias);
    if own && !m.call_path.is_empty() {
        format!("{}:{local}", module_prefix(&m.call_path))
    } else {
        local
    }
}

fn module_json(m: &Module, schema_versions: &dyn Fn(&str, &str) -> u64) -> Json {
    let mut o = Map::new();
    let outputs: Map<String, Json> = m
        .outputs
        .values()
        .map(|out| {
            let mut j = Map::new();
            if out.sensitive {
                j.insert("sensitive".into(), Json::Bool(true));
            }
            j.insert("expression".into(), expression(&out.value.expr));
            let deps = depends_on(&out.depends_on);
            if !deps.is_empty() {
                j.insert("depends_on".into(), strings(deps));
            }
            if !out.description.is_empty() {
                j.insert("description".into(), Json::String(out.description.clone()));
            }
            (out.name.clone(), Json::Object(j))
        })
        .collect();
    if !outputs.is_empty() {
        o.insert("outputs".into(), Json::Object(outputs));
    }
    // Ephemeral resources are left out, as Terraform leaves them out.
    let mut resources: Vec<&crate::config::Resource> = m.resources.values().filter(|r| r.mode != Mode::Ephemeral).collect();
    // Terraform's order: data sources first, then by type and name.
    resources.sort_by(|a, b| (a.mode != Mode::Data, &a.type_, &a.name).cmp(&(b.mode != Mode::Data, &b.type_, &b.name)));
    let resources: Vec<Json> = resources
        .into_iter()
        .map(|r| {
            let mut j = Map::new();
            let key = r.key();
            // Module-relative, as Terraform writes it.
            j.insert("address".into(), Json::String(key.to_string()));
            j.insert("mode".into(), Json::String(if r.mode == Mode::Data { "data" } else { "managed" }.into()));
            j.insert("type".into(), Json::String(r.type_.clone()));
            j.insert("name".into(), Json::String(r.name.clone()));
            j.insert("provider_config_key".into(), Json::String(provider_key(m, &r.provider.name, r.provider.alias.as_deref())));
            let ex = expressions(&r.body, RESOURCE_META_ARGS);
            if !ex.is_empty() {
                j.insert("expressions".into(), Json::Object(ex));
            }
            j.insert("schema_version".into(), Json::from(schema_versions(&r.provider.name, &r.type_)));
            for (k, e) in [("count_expression", &r.count), ("for_each_expression", &r.for_each)] {
                if let Some(e) = e {
                    let x = expression(&e.expr);
                    if !is_empty_expr(&x) {
                        j.insert(k.into(), x);
                    }
                }
            }
            let deps = depends_on(&r.depends_on);
            if !deps.is_empty() {
                j.insert("depends_on".into(), strings(deps));
            }
            Json::Object(j)
        })
        .collect();
    if !resources.is_empty() {
        o.insert("resources".into(), Json::Array(resources));
    }
    let calls: Map<String, Json> = m
        .module_calls
        .iter()
        .map(|(name, call)| {
            let mut j = Map::new();
            j.insert("source".into(), Json::String(call.source.clone()));
            let ex: Map<String, Json> = call.inputs.iter().map(|(k, e)| (k.clone(), expression(&e.expr))).collect();
            if !ex.is_empty() {
                j.insert("expressions".into(), Json::Object(ex));
            }
            for (k, e) in [("count_expression", &call.count), ("for_each_expression", &call.for_each)] {
                if let Some(e) = e {
                    let x = expression(&e.expr);
                    if !is_empty_expr(&x) {
                        j.insert(k.into(), x);
                    }
                }
            }
            j.insert("module".into(), module_json(&call.module, schema_versions));
            let deps = depends_on(&call.depends_on);
            if !deps.is_empty() {
                j.insert("depends_on".into(), strings(deps));
            }
            (name.clone(), Json::Object(j))
        })
        .collect();
    if !calls.is_empty() {
        o.insert("module_calls".into(), Json::Object(calls));
    }
    let vars: Map<String, Json> = m
        .variables
        .values()
        .map(|v| {
            let mut j = Map::new();
            if let Some(d) = &v.default {
                if let Some(c) = constant(&d.expr) {
                    j.insert("default".into(), c);
                }
            }
            if !v.description.is_empty() {
                j.insert("description".into(), Json::String(v.description.clone()));
            }
            if v.sensitive {
                j.insert("sensitive".into(), Json::Bool(true));
            }
            (v.name.clone(), Json::Object(j))
        })
        .collect();
    if !vars.is_empty() {
        o.insert("variables".into(), Json::Object(vars));
    }
    Json::Object(o)
}

/// The `configuration` object of Terraform's JSON plan.
pub fn configuration(root: &Module, schema_versions: &dyn Fn(&str, &str) -> u64) -> Json {
    let sources = provider_sources(root);
    let mut providers: BTreeMap<String, Json> = BTreeMap::new();
    for m in root.walk() {
        let module_address = module_prefix(&m.call_path);
        let entry = |name: &str, alias: Option<&str>, exprs: Option<Map<String, Json>>| {
            let mut j = Map::new();
            j.insert("name".into(), Json::String(name.to_string()));
            j.insert("full_name".into(), Json::String(provider_full_name(name, &sources)));
            if let Some(a) = alias {
                j.insert("alias".into(), Json::String(a.to_string()));
            }
            if let Some(v) = m.required_providers.get(name).and_then(|r| r.version.clone()) {
                j.insert("version_constraint".into(), Json::String(v));
            }
            if !module_address.is_empty() {
                j.insert("module_address".into(), Json::String(module_address.clone()));
            }
            if let Some(e) = exprs.filter(|e| !e.is_empty()) {
                j.insert("expressions".into(), Json::Object(e));
            }
            Json::Object(j)
        };
        for p in &m.providers {
            providers
                .insert(provider_key(m, &p.name, p.alias.as_deref()), entry(&p.name, p.alias.as_deref(), Some(expressions(&p.body, &["alias", "version"]))));
        }
        // Providers required or used without a block of their own are inherited from the root.
        if m.call_path.is_empty() {
            let used = m.required_providers.keys().cloned().chain(root.walk().into_iter().flat_map(|x| x.resources.values().map(|r| r.provider.name.clone())));
            for name in used {
                providers.entry(name.clone()).or_insert_with(|| entry(&name, None, None));
            }
        }
    }
    object([("provider_config", Json::Object(providers.into_iter().collect())), ("root_module", module_json(root, schema_versions))])
}

/// Terraform's `relevant_attributes`: the resource attributes the
/// configuration refers to (from resources and outputs), per module instance.
pub fn relevant_attributes(root: &Module, module_instances: &[ModulePath]) -> Vec<Json> {
    // In the order first found; `seen` finds repeats (searching `out` made a
    // stack whose resources refer to each other quadratic).
    let mut out: Vec<(String, String)> = Vec::new();
    let mut seen: HashSet<(String, String)> = HashSet::new();
    let mut add = |pair: (String, String)| {
        if !seen.contains(&pair) {
            seen.insert(pair.clone());
            out.push(pair);
        }
    };
    for inst in module_instances {
        let names: Vec<String> = inst.0.iter().map(|s| s.name.clone()).collect();
        let Some(m) = root.descendant(&names) else { continue };
        let prefix = if inst.is_root() { String::new() } else { format!("{inst}.") };
        let mut exprs: Vec<&Expression> = m.outputs.values().map(|o| &o.value.expr).collect();
        let mut bodies: Vec<Vec<Ref>> = Vec::new();
        for r in m.resources.values() {
            let mut c = Refs::default();
            body_refs(&mut c, &r.body);
            bodies.push(c.found);
        }
        exprs.extend(m.module_calls.values().flat_map(|c| c.inputs.values().map(|e| &e.expr)));
        for refs in exprs.into_iter().map(refs_of).chain(bodies) {
            for r in refs {
                if let Some((res, key, Some(attr))) = r.resource {
                    add((format!("{prefix}{res}{key}"), attr));
                } else if let Some(call) = r.subject.strip_prefix("module.").filter(|c| !c.contains(['.', '['])) {
                    // A whole module call (`module.m[*].out`): what its outputs refer to, under the unkeyed call path.
                    let Some(c) = m.module_calls.get(call) else { continue };
                    for o in c.module.outputs.values() {
                        for inner in refs_of(&o.value.expr) {
                            if let Some((res, key, Some(attr))) = inner.resource {
                                add((format!("{prefix}module.{call}.{res}{key}"), attr));
                            }
                        }
                    }
                }
            }
        }
    }
    out.into_iter().map(|(r, a)| object([("resource", Json::String(r)), ("attribute", strings(vec![a]))])).collect()
}

fn body_refs(c: &mut Refs, body: &Body) {
    for s in body.iter() {
        match s {
            Structure::Attribute(a) if !RESOURCE_META_ARGS.contains(&a.key.as_str()) || a.key.as_str() == "count" || a.key.as_str() == "for_each" => {
                c.expr(&a.value)
            }
            Structure::Block(b) if !RESOURCE_META_ARGS.contains(&b.ident.as_str()) => body_refs(c, &b.body),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn refs(src: &str) -> Json {
        let body = hcl_edit::parser::parse_body(&format!("x = {src}\n")).expect("parses");
        let Some(Structure::Attribute(a)) = body.iter().next() else { panic!("attribute") };
        expression(&a.value)
    }

    #[test]
    fn references_unwrap_step_by_step() {
        assert_eq!(refs("terraform_data.a.id"), json!({"references": ["terraform_data.a.id", "terraform_data.a"]}));
        assert_eq!(
            refs(r#"terraform_data.r["x"].output"#),
            json!({"references": ["terraform_data.r[\"x\"].output", "terraform_data.r[\"x\"]", "terraform_data.r"]})
        );
        assert_eq!(refs("module.m[*].out"), json!({"references": ["module.m"]}));
        assert_eq!(refs("module.m[0].out"), json!({"references": ["module.m[0].out", "module.m[0]"]}));
        assert_eq!(refs("\"${var.p}-${each.key}\""), json!({"references": ["var.p", "each.key"]}));
        assert_eq!(refs("[for x in var.l : x.a]"), json!({"references": ["var.l"]}));
        assert_eq!(refs("{ b = 1, a = \"s\" }"), json!({"constant_value": {"a": "s", "b": 1}}));
        assert_eq!(refs("toset([\"x\"])"), json!({}));
    }
}
