//! Helpers on one object's value as planning and applying handle it:
//! sensitive marks from the schema and from the configuration, ephemeral attributes kept out of state,
//! attributes only the provider sets, `ignore_changes` paths, the private
//! data that carries `replace_triggered_by`, the check of a final plan
//! against the saved one, and the error for numbers that are not finite.

use iac_core::provider::ProviderError;
use iac_core::schema::ResourceSchema;
use iac_core::{AttrPath, Value};
use iac_lang::diagnostic::Diagnostic;
use iac_lang::source::{SourceMap, Span};

use super::resource_node::InstanceWork;

/// An error for a number that is not finite where a value enters state or
/// a plan: JSON cannot hold it, and writing null instead would plan a change
/// on every run.
pub fn not_finite(what: String, span: Option<iac_lang::source::Span>) -> Diagnostic {
    Diagnostic::error(format!("{what} is not a finite number"), span)
        .with_detail("Terraform's numbers are finite; this one overflowed (iac's numbers reach about ±1.8e308) or is the result of a division by zero")
}

/// The provider's private data with the `replace_triggered_by` values
/// added, so the next plan can tell whether they changed.
pub(super) fn merge_private(private: Option<serde_json::Value>, triggers: &Option<Value>) -> Option<serde_json::Value> {
    match triggers {
        None => private,
        Some(t) => {
            let mut obj = match private {
                Some(serde_json::Value::Object(o)) => o,
                Some(other) => {
                    let mut o = serde_json::Map::new();
                    o.insert("provider".into(), other);
                    o
                }
                None => serde_json::Map::new(),
            };
            obj.insert("replace_triggered_by".into(), t.to_json());
            Some(serde_json::Value::Object(obj))
        }
    }
}

/// A diagnostic about one instance in iac's words: at the attribute
/// `path` names, where the configuration wrote it, else on the resource
/// block, naming the instance as Terraform does (the diagnostic's address:
/// `with module.m.aws_s3_bucket.b["k"],`).
pub(super) fn provider_diag(w: &InstanceWork<'_>, msg: String, path: Option<&AttrPath>) -> Diagnostic {
    let span = path.and_then(|p| iac_lang::path_span::path_span(&w.res.body, w.res.span.file, p)).unwrap_or_else(|| w.res.span.clone());
    Diagnostic::error(format!("{}: {msg}", w.addr), Some(span)).with_address(w.addr.to_string())
}

/// A provider's error about one instance (`what` it was doing: `create`,
/// `reading`), as Terraform shows it: naming the instance (the address).
/// A plugin's error is in its own words (the summary and detail of the
/// first error it reported), at the attribute it named where the
/// configuration wrote it, else at the resource body's opening brace
/// (Terraform's range for an error about the whole block); a native
/// provider's is iac's (`addr: what failed: message`, [`provider_diag`]).
pub(super) fn provider_error(w: &InstanceWork<'_>, what: &str, e: &ProviderError) -> Diagnostic {
    if let ProviderError::Reported { diagnostics, .. } = e {
        if let Some(d) = diagnostics.first() {
            let span = d
                .path
                .as_ref()
                .and_then(|p| iac_lang::path_span::path_span(&w.res.body, w.res.span.file, p))
                .or_else(|| w.body_start.clone())
                .unwrap_or_else(|| w.res.span.clone());
            return Diagnostic::error(d.summary.clone(), Some(span)).with_detail(d.detail.clone()).with_address(w.addr.to_string());
        }
    }
    provider_diag(w, format!("{what} failed: {e}"), e.path())
}

/// Where a block whose header is `header` opens its body: an empty span at
/// its `{` (Terraform's missing-item range).
pub(super) fn body_start(sources: &SourceMap, header: &Span) -> Option<Span> {
    let text = &sources.get(header.file).text;
    let brace = text.get(header.range.end..)?.find('{')? + header.range.end;
    Some(Span { file: header.file, range: brace..brace })
}

/// The private data a read or import returned, keeping the
/// `replace_triggered_by` values recorded with the object before.
pub(super) fn refreshed_private(old: &Option<serde_json::Value>, new: Option<serde_json::Value>) -> Option<serde_json::Value> {
    let triggers = match old {
        Some(serde_json::Value::Object(o)) => o.get("replace_triggered_by").map(Value::from_json),
        _ => None,
    };
    merge_private(new, &triggers)
}

/// Whether a path leads to an attribute only the provider sets, at the top
/// or inside nested blocks (a cluster's `node_pool[0].nodes`).
pub(super) fn computed_only(schema: &ResourceSchema, path: &AttrPath) -> bool {
    use iac_core::schema::Nesting;
    use iac_core::PathStep;
    let mut block = &schema.block;
    let mut steps = path.0.iter();
    while let Some(PathStep::Attr(name)) = steps.next() {
        if let Some(a) = block.attributes.get(name) {
            return a.computed && !a.optional && !a.required;
        }
        let Some(nested) = block.blocks.get(name) else { return false };
        // Repeated blocks are collections: one index or key step to the block's body.
        let step_ok = match nested.nesting {
            Nesting::Single | Nesting::Group => true,
            Nesting::List | Nesting::Set => matches!(steps.next(), Some(PathStep::Index(_))),
            Nesting::Map => matches!(steps.next(), Some(PathStep::Key(_))),
        };
        if !step_ok {
            return false;
        }
        block = &nested.block;
    }
    false
}

pub(super) fn has_ephemeral(schema: &ResourceSchema) -> bool {
    schema.block.attributes.values().any(|a| a.ephemeral)
}

/// The object as state may hold it: ephemeral (write-only) attributes null.
/// Takes the object by value: it runs on every planned and applied object,
/// and most types have no write-only attribute, so it must cost no copy.
pub(super) fn without_ephemeral(v: Value, schema: &ResourceSchema) -> Value {
    if !has_ephemeral(schema) {
        return v;
    }
    match v.unmark() {
        (Value::Map(mut m), sensitive) => {
            for (name, attr) in &schema.block.attributes {
                if attr.ephemeral && m.contains_key(name) {
                    m.insert(name.clone(), Value::Null);
                }
            }
            Value::Map(m).mark_if(sensitive)
        }
        (other, sensitive) => other.mark_if(sensitive),
    }
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

/// Marks top-level attributes the schema declares sensitive.
pub fn mark_sensitive(v: Value, schema: &ResourceSchema) -> Value {
    match v {
        Value::Map(mut m) => {
            for (name, attr) in &schema.block.attributes {
                if attr.sensitive {
                    if let Some(x) = m.remove(name) {
                        m.insert(name.clone(), x.into_sensitive());
                    }
                }
            }
            Value::Map(m)
        }
        other => other,
    }
}

/// The first path where a known value of the saved plan differs from the final plan.
pub(super) fn inconsistent(saved: &Value, fin: &Value) -> Option<AttrPath> {
    fn go(a: &Value, b: &Value, path: &mut AttrPath) -> Option<AttrPath> {
        match (a, b) {
            (Value::Unknown, _) => None,
            (Value::Map(x), Value::Map(y)) => {
                for (k, v) in x {
                    path.0.push(iac_core::PathStep::Attr(k.clone()));
                    let r = go(v, y.get(k).unwrap_or(&Value::Null), path);
                    path.0.pop();
                    if r.is_some() {
                        return r;
                    }
                }
                None
            }
            (Value::List(x), Value::List(y)) if x.len() == y.len() => {
                for (i, (p, q)) in x.iter().zip(y).enumerate() {
                    path.0.push(iac_core::PathStep::Index(i));
                    let r = go(p, q, path);
                    path.0.pop();
                    if r.is_some() {
                        return r;
                    }
                }
                None
            }
            (a, b) if a == b => None,
            _ => Some(path.clone()),
        }
    }
    go(saved, fin, &mut AttrPath::root())
}

/// The configuration with each `ignore_changes` path set to the prior
/// object's value there.
pub(super) fn keep_ignored(mut config: Value, prior: &Value, paths: &[AttrPath]) -> Value {
    for p in paths {
        config = set_path(config, &p.0, prior.at_path(p).cloned().unwrap_or(Value::Null));
    }
    config
}

fn set_path(v: Value, steps: &[iac_core::PathStep], new: Value) -> Value {
    let Some((first, rest)) = steps.split_first() else { return new };
    match (first, v) {
        (iac_core::PathStep::Attr(k) | iac_core::PathStep::Key(k), Value::Map(mut m)) => {
            let child = m.remove(k).unwrap_or(Value::Null);
            m.insert(k.clone(), set_path(child, rest, new));
            Value::Map(m)
        }
        (iac_core::PathStep::Index(i), Value::List(mut l)) if *i < l.len() => {
            let child = std::mem::take(&mut l[*i]);
            l[*i] = set_path(child, rest, new);
            Value::List(l)
        }
        (_, other) => other,
    }
}

#[cfg(test)]
mod tests {
    use super::computed_only;
    use iac_core::schema::{AttrType, Attribute, Block, NestedBlock, Nesting, ResourceSchema};
    use iac_core::{AttrPath, PathStep};

    #[test]
    fn computed_only_attributes_are_found_inside_nested_blocks() {
        let pool = Block::default()
            .attr("name", Attribute::required(AttrType::String))
            .attr("node_count", Attribute::optional_computed(AttrType::Number))
            .attr("nodes", Attribute::computed(AttrType::List(Box::new(AttrType::String))));
        let schema = ResourceSchema {
            version: 0,
            block: Block::default()
                .attr("status", Attribute::computed(AttrType::String))
                .attr("name", Attribute::required(AttrType::String))
                .block("node_pool", NestedBlock { nesting: Nesting::List, block: pool.clone(), min_items: 1, max_items: Some(1), force_new: false })
                .block("single", NestedBlock { nesting: Nesting::Single, block: pool, min_items: 0, max_items: None, force_new: false }),
        };
        let path = |steps: &[PathStep]| AttrPath(steps.to_vec());
        let attr = |s: &str| PathStep::Attr(s.into());
        for (p, want) in [
            (path(&[attr("status")]), true),
            (path(&[attr("name")]), false),
            (path(&[attr("node_pool"), PathStep::Index(0), attr("nodes"), PathStep::Index(2)]), true),
            (path(&[attr("node_pool"), PathStep::Index(0), attr("node_count")]), false),
            (path(&[attr("node_pool"), PathStep::Index(0), attr("name")]), false),
            // A pool added or removed is a change of the block itself.
            (path(&[attr("node_pool")]), false),
            (path(&[attr("single"), attr("nodes")]), true),
            (path(&[attr("unknown")]), false),
        ] {
            assert_eq!(computed_only(&schema, &p), want, "{p}");
        }
    }
}
