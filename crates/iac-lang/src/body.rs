//! Evaluates a resource, data source or provider body against its schema
//! (`iac_core::schema`, which the caller gets from the provider): unknown
//! arguments, missing required ones, computed-only arguments set, wrong
//! types, nested blocks of every nesting mode, list- or set-of-object
//! attributes written as blocks, object attributes a schema allows in block
//! form (`Attribute::block_form`), `dynamic` blocks (one over a collection
//! known only after apply makes the block collection unknown), and
//! sensitive attributes marked.

use std::collections::BTreeMap;

use crate::diagnostic::Diagnostic;
use crate::eval::Evaluator;
use crate::source::Span;
use hcl_edit::repr::Span as _;
use hcl_edit::structure::{Body, Structure};
use iac_core::schema::{Block, Nesting};
use iac_core::Value;

pub struct BodyEval<'a> {
    pub ev: &'a Evaluator<'a>,
}

impl BodyEval<'_> {
    /// Returns the body's value, or None when it had errors (in `diags`).
    pub fn eval(&self, body: &Body, schema: &Block, skip: &[&str], header: &Span, locals: &[(String, Value)], diags: &mut Vec<Diagnostic>) -> Option<Value> {
        let before = diags.len();
        let mut out: iac_core::ValueMap = iac_core::ValueMap::new();
        let mut seen_blocks: BTreeMap<String, Vec<Labelled>> = BTreeMap::new();
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
                        // Terraform's own advice for a block written with `=`.
                        let msg = if schema.blocks.contains_key(name) {
                            format!("unsupported argument {name:?}: it is a block here; write `{name} {{ ... }}` without the equals sign")
                        } else {
                            format!("unsupported argument {name:?}{}", suggest(name, schema.attributes.keys().chain(schema.blocks.keys())))
                        };
                        diags.push(Diagnostic::error(msg, Some(span(a.key.span()))));
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
                    let Some(nested) = nested_block(schema, name) else {
                        let msg = if schema.attributes.get(name).is_some_and(|a| a.optional || a.required) {
                            format!("unsupported block {name:?}: it is an argument here; write `{name} = ...` with the equals sign")
                        } else {
                            format!("unsupported block {name:?}{}", suggest(name, schema.blocks.keys()))
                        };
                        diags.push(Diagnostic::error(msg, Some(span(b.ident.span()))));
                        continue;
                    };
                    let nested = nested.as_ref();
                    let h = span(b.ident.span());
                    let labels: Vec<String> = b.labels.iter().map(label_text).collect();
                    let want = usize::from(nested.nesting == Nesting::Map);
                    if labels.len() != want {
                        diags.push(Diagnostic::error(format!("a {name:?} block takes {want} label(s), found {}", labels.len()), Some(h)));
                        continue;
                    }
                    if let Some(v) = self.eval(&b.body, &nested.block, &[], &h, locals, diags) {
                        seen_blocks.entry(name.to_string()).or_default().push(Labelled { label: labels.into_iter().next(), value: v, span: h });
                    }
                }
            }
        }
        // Attributes written as blocks (see `nested_block`).
        for (name, attr) in &schema.attributes {
            let Some(items) = seen_blocks.remove(name) else { continue };
            let single = matches!(attr.type_, iac_core::schema::AttrType::Object(_));
            if out.contains_key(name) {
                let msg = if single {
                    format!("{name:?} is set both as an argument (`{name} = {{ ... }}`) and as a block (`{name} {{ ... }}`); write one of them")
                } else {
                    format!("{name:?} is set both as an argument and as blocks")
                };
                diags.push(Diagnostic::error(msg, items.first().map(|i| i.span.clone())));
                continue;
            }
            if items.iter().any(|i| i.value.is_unknown()) {
                out.insert(name.clone(), Value::Unknown);
                continue;
            }
            if single && items.len() > 1 {
                diags.push(Diagnostic::error(format!("at most one {name:?} block allowed, found {}", items.len()), items.get(1).map(|i| i.span.clone())));
                continue;
            }
            let values: Vec<Value> = items.into_iter().map(|i| i.value).collect();
            let v = match &attr.type_ {
                iac_core::schema::AttrType::Set(_) => Value::set(iac_core::schema::set_normalize(values)),
                iac_core::schema::AttrType::Object(_) => values.into_iter().next().unwrap_or(Value::Null),
                _ => Value::List(values.into()),
            };
            out.insert(name.clone(), attr.type_.convert(v).mark_if(attr.sensitive));
        }
        for (name, attr) in &schema.attributes {
            if attr.required && !out.contains_key(name) && !skip.contains(&name.as_str()) {
                diags.push(Diagnostic::error(format!("missing required argument {name:?}"), Some(header.clone())));
            }
        }
        for (name, nested) in &schema.blocks {
            let items = seen_blocks.remove(name).unwrap_or_default();
            if items.iter().any(|i| i.value.is_unknown()) {
                // A dynamic block over a collection known only after apply:
                // how many blocks there will be is unknown, so are their
                // values, and the count limits are checked at apply.
                out.insert(name.clone(), Value::Unknown);
                continue;
            }
            if items.len() < nested.min_items {
                diags.push(Diagnostic::error(format!("at least {} {name:?} block(s) required", nested.min_items), Some(header.clone())));
            }
            if let Some(max) = nested.max_items {
                if items.len() > max {
                    diags.push(Diagnostic::error(format!("at most {max} {name:?} block(s) allowed, found {}", items.len()), Some(header.clone())));
                }
            }
            let v = match nested.nesting {
                Nesting::Single => items.into_iter().next().map(|i| i.value).unwrap_or(Value::Null),
                Nesting::Group => items.into_iter().next().map(|i| i.value).unwrap_or_else(|| nested.block.empty_object()),
                Nesting::List => Value::List(items.into_iter().map(|i| i.value).collect()),
                Nesting::Set => Value::set(iac_core::schema::set_normalize(items.into_iter().map(|i| i.value).collect())),
                Nesting::Map => {
                    let mut m = iac_core::ValueMap::new();
                    for item in items {
                        let key = item.label.unwrap_or_default();
                        if m.insert(key.clone(), item.value).is_some() {
                            diags.push(Diagnostic::error(format!("duplicate {name:?} block labelled {key:?}"), Some(item.span)));
                        }
                    }
                    Value::Map(m)
                }
            };
            out.insert(name.clone(), v);
        }
        (diags.len() == before).then_some(Value::Map(out))
    }

    /// `dynamic "name" { for_each = ..., iterator = it, content { ... } }`.
    fn dynamic(
        &self,
        b: &hcl_edit::structure::Block,
        schema: &Block,
        locals: &[(String, Value)],
        seen: &mut BTreeMap<String, Vec<Labelled>>,
        diags: &mut Vec<Diagnostic>,
    ) {
        let file = self.ev.file;
        let hspan = Span { file, range: b.ident.span().unwrap_or(0..0) };
        let Some(label) = b.labels.first().map(|l| match l {
            hcl_edit::structure::BlockLabel::Ident(i) => i.as_str().to_string(),
            hcl_edit::structure::BlockLabel::String(s) => s.as_str().to_string(),
        }) else {
            diags.push(Diagnostic::error("a dynamic block needs the block type as its label", Some(hspan)));
            return;
        };
        let Some(nested) = nested_block(schema, &label) else {
            diags.push(Diagnostic::error(format!("unsupported block {label:?} in dynamic"), Some(hspan)));
            return;
        };
        let nested = nested.as_ref();
        let mut for_each = None;
        let mut iterator = label.clone();
        let mut content = None;
        let mut labels_expr = None;
        for s in b.body.iter() {
            match s {
                Structure::Attribute(a) if a.key.as_str() == "for_each" => for_each = Some(&a.value),
                Structure::Attribute(a) if a.key.as_str() == "labels" => labels_expr = Some(&a.value),
                Structure::Attribute(a) if a.key.as_str() == "iterator" => {
                    if let hcl_edit::expr::Expression::Variable(v) = &a.value {
                        iterator = v.as_str().to_string();
                    }
                }
                Structure::Block(c) if c.ident.as_str() == "content" => content = Some(c),
                Structure::Attribute(a) => diags.push(Diagnostic::error(
                    format!("unsupported argument {:?} in dynamic", a.key.as_str()),
                    Some(Span { file, range: a.key.span().unwrap_or(0..0) }),
                )),
                Structure::Block(c) => diags.push(Diagnostic::error(
                    format!("unsupported block {:?} in dynamic", c.ident.as_str()),
                    Some(Span { file, range: c.ident.span().unwrap_or(0..0) }),
                )),
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
            Value::List(items) => items.iter().enumerate().map(|(i, v)| (Value::Number(i.into()), v.clone())).collect(),
            Value::Map(m) => m.iter().map(|(k, v)| (Value::String(k.clone()), v.clone())).collect(),
            Value::Null => Vec::new(),
            Value::Unknown => {
                // The number of blocks is unknown: the whole block collection
                // is unknown (a bare unknown item marks it, see `eval`).
                seen.entry(label).or_default().push(Labelled { label: None, value: Value::Unknown, span: hspan });
                return;
            }
            other => {
                diags.push(Diagnostic::error(
                    format!("dynamic for_each must be a list or map, got {}", other.type_name()),
                    Some(Span { file, range: fe.span().unwrap_or(0..0) }),
                ));
                return;
            }
        };
        let h = Span { file, range: content.ident.span().unwrap_or(0..0) };
        for (k, v) in pairs {
            let mut l = locals.to_vec();
            l.push((iterator.clone(), Value::map([("key", k), ("value", v)])));
            // `labels = [...]` names the generated block (map-nested blocks take one label).
            let block_label = match labels_expr {
                Some(e) => match self.ev.eval_with(e, l.clone()) {
                    // A label known only after apply: which blocks there will
                    // be is unknown, so the whole collection is.
                    Ok(v) if !v.is_wholly_known() => {
                        seen.entry(label.clone()).or_default().push(Labelled { label: None, value: Value::Unknown, span: h.clone() });
                        continue;
                    }
                    Ok(v) => v.unmarked().as_list().and_then(|ls| ls.first()).and_then(|x| x.unmarked().as_str().map(str::to_string)),
                    Err(d) => {
                        diags.push(d);
                        continue;
                    }
                },
                None => None,
            };
            if nested.nesting == Nesting::Map && block_label.is_none() {
                diags.push(Diagnostic::error(format!("a dynamic {label:?} block needs labels = [KEY]"), Some(h.clone())));
                continue;
            }
            if let Some(val) = self.eval(&content.body, &nested.block, &[], &h, &l, diags) {
                seen.entry(label.clone()).or_default().push(Labelled { label: block_label, value: val, span: h.clone() });
            }
        }
    }
}

/// The nested block `name` of a schema, or, as Terraform allows for
/// attributes of type list or set of objects (plugin providers written with
/// the legacy SDK declare `ingress` of `aws_security_group` so), an
/// attribute written in block syntax: each block one element, every
/// attribute of the element type optional. An object attribute is written
/// as one block only where its schema says so (`block_form`, which carries
/// to the object's own object-typed fields): Terraform allows no such
/// thing for plugin providers.
fn nested_block<'s>(schema: &'s Block, name: &str) -> Option<std::borrow::Cow<'s, iac_core::schema::NestedBlock>> {
    use iac_core::schema::{AttrType, Attribute, NestedBlock};
    if let Some(b) = schema.blocks.get(name) {
        return Some(std::borrow::Cow::Borrowed(b));
    }
    let attr = schema.attributes.get(name)?;
    if attr.computed && !attr.optional && !attr.required {
        return None;
    }
    let (nesting, fields) = match &attr.type_ {
        AttrType::List(t) => match t.as_ref() {
            AttrType::Object(f) => (Nesting::List, f),
            _ => return None,
        },
        AttrType::Set(t) => match t.as_ref() {
            AttrType::Object(f) => (Nesting::Set, f),
            _ => return None,
        },
        AttrType::Object(f) if attr.block_form => (Nesting::Single, f),
        _ => return None,
    };
    let mut block = Block::default();
    for (field, t) in fields {
        let mut a = Attribute::optional(t.clone());
        a.block_form = attr.block_form && matches!(t, AttrType::Object(_));
        block.attributes.insert(field.clone(), a);
    }
    Some(std::borrow::Cow::Owned(NestedBlock { nesting, block, min_items: 0, max_items: None, force_new: false }))
}

/// One nested block's value, with its label (map-nested blocks) and span.
struct Labelled {
    label: Option<String>,
    value: Value,
    span: Span,
}

fn label_text(l: &hcl_edit::structure::BlockLabel) -> String {
    match l {
        hcl_edit::structure::BlockLabel::Ident(i) => i.as_str().to_string(),
        hcl_edit::structure::BlockLabel::String(s) => s.as_str().to_string(),
    }
}

/// ` (did you mean "x"?)` for a near miss.
fn suggest<'a>(name: &str, candidates: impl Iterator<Item = &'a String>) -> String {
    crate::suggest::hint(name, candidates)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::Scope;
    use crate::refs::Reference;
    use crate::source::FileId;
    use iac_core::schema::{AttrType, Attribute, NestedBlock};
    use std::path::Path;

    struct NoScope;

    impl Scope for NoScope {
        fn resolve(&self, _r: &Reference) -> Result<Value, String> {
            Err("no references here".into())
        }
    }

    /// A provider block as the helm provider 3.x declares it: `kubernetes`
    /// an object attribute (with an object `exec` inside), accepted in the
    /// 2.x block form too; and `plain`, an object attribute without it, and
    /// `nested`, a block.
    fn schema() -> Block {
        let exec = AttrType::Object(
            [("api_version", AttrType::String), ("command", AttrType::String), ("args", AttrType::List(Box::new(AttrType::String)))]
                .into_iter()
                .map(|(k, t)| (k.to_string(), t))
                .collect(),
        );
        let conn = AttrType::Object([("host", AttrType::String), ("exec", exec)].into_iter().map(|(k, t)| (k.to_string(), t)).collect());
        Block::default().attr("kubernetes", Attribute::optional(conn.clone()).block_form()).attr("plain", Attribute::optional(conn)).block(
            "nested",
            NestedBlock {
                nesting: Nesting::Single,
                block: Block::default().attr("x", Attribute::optional(AttrType::String)),
                min_items: 0,
                max_items: None,
                force_new: false,
            },
        )
    }

    fn eval(src: &str) -> Result<Value, Vec<String>> {
        let body = hcl_edit::parser::parse_body(src).expect("parses");
        let ev = Evaluator::new(&NoScope, Path::new("."), FileId(0));
        let header = Span { file: FileId(0), range: 0..0 };
        let mut diags = Vec::new();
        BodyEval { ev: &ev }.eval(&body, &schema(), &[], &header, &[], &mut diags).ok_or_else(|| diags.into_iter().map(|d| d.summary).collect())
    }

    #[test]
    fn an_object_attribute_in_block_form_only_where_the_schema_allows_it() {
        let attr = eval("kubernetes = {\n  host = \"https://k\"\n  exec = {\n    api_version = \"v1\"\n    command = \"aws\"\n    args = [\"eks\"]\n  }\n}\n")
            .unwrap();
        let block =
            eval("kubernetes {\n  host = \"https://k\"\n  exec {\n    api_version = \"v1\"\n    command = \"aws\"\n    args = [\"eks\"]\n  }\n}\n").unwrap();
        assert_eq!(attr.get("kubernetes"), block.get("kubernetes"), "both forms give the same value");
        assert_eq!(block.get("kubernetes").and_then(|k| k.get("exec")).and_then(|e| e.get("command")), Some(&Value::from("aws")));

        let both = eval("kubernetes = { host = \"a\" }\nkubernetes {\n  host = \"b\"\n}\n").unwrap_err();
        assert!(both.iter().any(|d| d.contains("both as an argument") && d.contains("write one of them")), "{both:?}");
        let twice = eval("kubernetes {\n  host = \"a\"\n}\nkubernetes {\n  host = \"b\"\n}\n").unwrap_err();
        assert!(twice.iter().any(|d| d.contains("at most one \"kubernetes\" block")), "{twice:?}");

        // Without the schema's leave, as in Terraform: each form only where declared.
        let plain = eval("plain {\n  host = \"a\"\n}\n").unwrap_err();
        assert!(plain.iter().any(|d| d.contains("unsupported block \"plain\"") && d.contains("equals sign")), "{plain:?}");
        let nested = eval("nested = { x = \"a\" }\n").unwrap_err();
        assert!(nested.iter().any(|d| d.contains("unsupported argument \"nested\"") && d.contains("without the equals sign")), "{nested:?}");
        assert!(!nested.iter().any(|d| d.contains("did you mean")), "{nested:?}");
        assert!(eval("plain = { host = \"a\" }\nnested {\n  x = \"a\"\n}\n").is_ok());
    }
}
