//! Evaluates a resource, data source or provider body against its schema:
//! unknown arguments, missing required ones, computed-only arguments set,
//! wrong types, `dynamic` blocks, and sensitive attributes marked.

use std::collections::{BTreeMap, BTreeSet};

use hcl_edit::repr::Span as _;
use hcl_edit::structure::{Body, Structure};
use iac_core::schema::{Block, Nesting};
use iac_core::Value;
use iac_lang::diagnostic::Diagnostic;
use iac_lang::eval::Evaluator;
use iac_lang::source::Span;

pub struct BodyEval<'a> {
    pub ev: &'a Evaluator<'a>,
}

impl BodyEval<'_> {
    /// Returns the body's value, or None when it had errors (in `diags`).
    pub fn eval(&self, body: &Body, schema: &Block, skip: &[&str], header: &Span, locals: &[(String, Value)], diags: &mut Vec<Diagnostic>) -> Option<Value> {
        let before = diags.len();
        let mut out: iac_core::ValueMap = iac_core::ValueMap::new();
        let mut seen_blocks: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        let file = self.ev.file;
        let span = |r: Option<std::ops::Range<usize>>| Span { file, range: r.unwrap_or(0..0) };
        for s in body.iter() {
            match s {
                Structure::Attribute(a) => {
                    let name = a.key.as_str();
                    if skip.contains(&name) {
                        continue;
                    }
                    let Some(attr) = schema.attributes.get(name) else {
                        let hint = suggest(name, schema.attributes.keys().chain(schema.blocks.keys()));
                        diags.push(Diagnostic::error(format!("unsupported argument {name:?}{hint}"), Some(span(a.key.span()))));
                        continue;
                    };
                    if attr.computed && !attr.optional && !attr.required {
                        diags.push(Diagnostic::error(format!("{name:?} is computed by the provider and cannot be set"), Some(span(a.key.span()))));
                        continue;
                    }
                    match self.ev.eval_with(&a.value, locals.to_vec()) {
                        Ok(v) => {
                            if let Err(e) = attr.type_.check(&v) {
                                diags.push(Diagnostic::error(format!("wrong type for {name:?}: {e}"), Some(span(a.value.span()))));
                                continue;
                            }
                            out.insert(name.to_string(), attr.type_.convert(v).mark_if(attr.sensitive));
                        }
                        Err(d) => diags.push(d),
                    }
                }
                Structure::Block(b) => {
                    let name = b.ident.as_str();
                    if skip.contains(&name) {
                        continue;
                    }
                    if name == "dynamic" {
                        self.dynamic(b, schema, locals, &mut seen_blocks, diags);
                        continue;
                    }
                    let Some(nested) = schema.blocks.get(name) else {
                        let hint = suggest(name, schema.blocks.keys());
                        diags.push(Diagnostic::error(format!("unsupported block {name:?}{hint}"), Some(span(b.ident.span()))));
                        continue;
                    };
                    let h = span(b.ident.span());
                    if let Some(v) = self.eval(&b.body, &nested.block, &[], &h, locals, diags) {
                        seen_blocks.entry(name.to_string()).or_default().push(v);
                    }
                }
            }
        }
        for (name, attr) in &schema.attributes {
            if attr.required && !out.contains_key(name) && !skip.contains(&name.as_str()) {
                diags.push(Diagnostic::error(format!("missing required argument {name:?}"), Some(header.clone())));
            }
        }
        for (name, nested) in &schema.blocks {
            let items = seen_blocks.remove(name).unwrap_or_default();
            if items.len() < nested.min_items {
                diags.push(Diagnostic::error(format!("at least {} {name:?} block(s) required", nested.min_items), Some(header.clone())));
            }
            if let Some(max) = nested.max_items {
                if items.len() > max {
                    diags.push(Diagnostic::error(format!("at most {max} {name:?} block(s) allowed, found {}", items.len()), Some(header.clone())));
                }
            }
            let v = match nested.nesting {
                Nesting::Single => items.into_iter().next().unwrap_or(Value::Null),
                Nesting::List => Value::List(items),
                Nesting::Set => Value::List(iac_core::schema::set_normalize(items)),
            };
            out.insert(name.clone(), v);
        }
        (diags.len() == before).then_some(Value::Map(out))
    }

    /// `dynamic "name" { for_each = ..., iterator = it, content { ... } }`.
    fn dynamic(&self, b: &hcl_edit::structure::Block, schema: &Block, locals: &[(String, Value)], seen: &mut BTreeMap<String, Vec<Value>>, diags: &mut Vec<Diagnostic>) {
        let file = self.ev.file;
        let hspan = Span { file, range: b.ident.span().unwrap_or(0..0) };
        let Some(label) = b.labels.first().map(|l| match l {
            hcl_edit::structure::BlockLabel::Ident(i) => i.as_str().to_string(),
            hcl_edit::structure::BlockLabel::String(s) => s.as_str().to_string(),
        }) else {
            diags.push(Diagnostic::error("a dynamic block needs the block type as its label", Some(hspan)));
            return;
        };
        let Some(nested) = schema.blocks.get(&label) else {
            diags.push(Diagnostic::error(format!("unsupported block {label:?} in dynamic"), Some(hspan)));
            return;
        };
        let mut for_each = None;
        let mut iterator = label.clone();
        let mut content = None;
        for s in b.body.iter() {
            match s {
                Structure::Attribute(a) if a.key.as_str() == "for_each" => for_each = Some(&a.value),
                Structure::Attribute(a) if a.key.as_str() == "iterator" => {
                    if let hcl_edit::expr::Expression::Variable(v) = &a.value {
                        iterator = v.as_str().to_string();
                    }
                }
                Structure::Block(c) if c.ident.as_str() == "content" => content = Some(c),
                Structure::Attribute(a) => diags.push(Diagnostic::error(format!("unsupported argument {:?} in dynamic", a.key.as_str()), Some(Span { file, range: a.key.span().unwrap_or(0..0) }))),
                Structure::Block(c) => diags.push(Diagnostic::error(format!("unsupported block {:?} in dynamic", c.ident.as_str()), Some(Span { file, range: c.ident.span().unwrap_or(0..0) }))),
            }
        }
        let (Some(fe), Some(content)) = (for_each, content) else {
            diags.push(Diagnostic::error("a dynamic block needs for_each and a content block", Some(hspan)));
            return;
        };
        let coll = match self.ev.eval_with(fe, locals.to_vec()) {
            Ok(v) => v,
            Err(d) => {
                diags.push(d);
                return;
            }
        };
        let pairs: Vec<(Value, Value)> = match coll.unmarked() {
            Value::List(items) => items.iter().enumerate().map(|(i, v)| (Value::Number(i as f64), v.clone())).collect(),
            Value::Map(m) => m.iter().map(|(k, v)| (Value::String(k.clone()), v.clone())).collect(),
            Value::Null => Vec::new(),
            Value::Unknown => {
                // The number of blocks is unknown: the whole block list is unknown.
                seen.entry(label).or_default();
                return;
            }
            other => {
                diags.push(Diagnostic::error(format!("dynamic for_each must be a list or map, got {}", other.type_name()), Some(Span { file, range: fe.span().unwrap_or(0..0) })));
                return;
            }
        };
        let h = Span { file, range: content.ident.span().unwrap_or(0..0) };
        for (k, v) in pairs {
            let mut l = locals.to_vec();
            l.push((iterator.clone(), Value::map([("key", k), ("value", v)])));
            if let Some(val) = self.eval(&content.body, &nested.block, &[], &h, &l, diags) {
                seen.entry(label.clone()).or_default().push(val);
            }
        }
    }
}

/// ` (did you mean "x"?)` for a near miss.
pub(crate) fn suggest<'a>(name: &str, candidates: impl Iterator<Item = &'a String>) -> String {
    let best = candidates.map(|c| (similar::TextDiff::from_chars(name, c.as_str()).ratio(), c)).filter(|(r, _)| *r >= 0.7).max_by(|a, b| a.0.total_cmp(&b.0));
    match best {
        Some((_, c)) => format!(" (did you mean {c:?}?)"),
        None => String::new(),
    }
}

/// Attribute names present in a body (for validation messages).
pub fn attribute_names(body: &Body) -> BTreeSet<String> {
    body.iter().filter_map(|s| s.as_attribute().map(|a| a.key.as_str().to_string())).collect()
}

/// Marks, in a provider's planned or new state, every value equal to a
/// sensitive value of the configuration: providers get the configuration
/// unmarked, so a computed attribute that echoes a sensitive argument
/// (`terraform_data.output` of a sensitive `input`) would otherwise be shown.
pub fn carry_config_marks(v: Value, config: &Value) -> Value {
    fn secrets(v: &Value, out: &mut Vec<Value>) {
        match v {
            Value::Sensitive(inner) => {
                let plain = inner.as_ref().clone().unmark_deep().0;
                if !matches!(plain, Value::Null | Value::Unknown | Value::Bool(_)) && plain != Value::String(String::new()) {
                    out.push(plain);
                }
            }
            Value::List(items) => items.iter().for_each(|i| secrets(i, out)),
            Value::Map(m) => m.values().for_each(|i| secrets(i, out)),
            _ => {}
        }
    }
    fn mark(v: Value, secrets: &[Value]) -> Value {
        match v {
            Value::Sensitive(_) | Value::Null | Value::Unknown => v,
            v if secrets.contains(&v) => v.into_sensitive(),
            Value::List(items) => Value::List(items.into_iter().map(|i| mark(i, secrets)).collect()),
            Value::Map(m) => Value::Map(m.into_iter().map(|(k, i)| (k, mark(i, secrets))).collect()),
            other => other,
        }
    }
    let mut found = Vec::new();
    secrets(config, &mut found);
    if found.is_empty() {
        return v;
    }
    mark(v, &found)
}
