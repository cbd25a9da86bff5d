//! The planning rules every native resource type shares, before the type's
//! own [`crate::Resource::modify_plan`]: defaults for attributes left out,
//! the type's canonical form of its configuration,
//! JSON documents that mean the same kept as they were, Go's zero values
//! in prior state standing for arguments left out ([`crate::zero`]),
//! provider-wide
//! configuration (AWS's `tags_all`), Terraform's default plan (replacement
//! where a `force_new` attribute changes), and computed values unknown when
//! the object is replaced.

use iac_core::plan::default_plan;
use iac_core::provider::PlanChangeResponse;
use iac_core::schema::{Block, Nesting};
use iac_core::Value;

use crate::model::Rules;
use crate::provider::Configured;
use crate::resource::Ctx;
use crate::types::AnyResource;

/// Plans one object of a resource type.
pub(crate) async fn plan<P: Configured>(
    r: &dyn AnyResource<P>,
    cx: &Ctx<'_, P>,
    prior: Option<&Value>,
    config: &Value,
) -> Result<PlanChangeResponse, P::Error> {
    let block = &r.schema().block;
    let mut config = config.clone();
    apply_defaults(&mut config, r.rules());
    r.canonical_config(&mut config);
    keep_equal_json::<P>(&mut config, prior, r.rules());
    if P::LEGACY_SDK_STATE {
        crate::zero::keep_prior_zero_values(block, &mut config, prior);
    }
    cx.provider.prepare_config(block, &mut config);
    let mut resp = default_plan(r.schema(), prior, &config);
    let replacing = !resp.requires_replace.is_empty();
    if replacing {
        resp.planned = unknown_computed(block, resp.planned, &config, None);
    }
    r.modify_plan(cx, if replacing { None } else { prior }, &mut resp.planned, &mut resp.requires_replace).await?;
    if !replacing && !resp.requires_replace.is_empty() {
        // The type asked for the replacement: values it planned anew stay.
        resp.planned = unknown_computed(block, resp.planned, &config, prior);
    }
    Ok(resp)
}

/// Fills in declared defaults where the configuration has null, in nested
/// blocks too.
pub(crate) fn apply_defaults(config: &mut Value, rules: &Rules) {
    let Value::Map(m) = config else { return };
    for (k, d) in &rules.defaults {
        if m.get(*k).is_none_or(Value::is_null) {
            m.insert(k.to_string(), d.clone());
        }
    }
    for (k, nesting, nested) in &rules.blocks {
        match (nesting, m.get_mut(*k)) {
            (Nesting::List | Nesting::Set, Some(Value::List(items))) => items.iter_mut().for_each(|i| apply_defaults(i, nested)),
            (Nesting::Map, Some(Value::Map(items))) => items.values_mut().for_each(|i| apply_defaults(i, nested)),
            (Nesting::Single | Nesting::Group, Some(single)) => apply_defaults(single, nested),
            _ => {}
        }
    }
}

/// A JSON document that means what the prior one meant (to the provider:
/// [`Configured::json_equal`]) keeps the prior text, so reformatting a
/// policy is no change.
fn keep_equal_json<P: Configured>(config: &mut Value, prior: Option<&Value>, rules: &Rules) {
    let (Some(prior), Value::Map(m)) = (prior, config) else { return };
    for k in &rules.json {
        let (Some(new), Some(old)) = (m.get(*k).and_then(Value::as_str), prior.get(k).and_then(Value::as_str)) else { continue };
        if new != old && P::json_equal(new, old) {
            m.insert(k.to_string(), Value::from(old));
        }
    }
}

/// Whether two texts are the same JSON document (object keys in any order).
pub fn json_equal(a: &str, b: &str) -> bool {
    match (serde_json::from_str::<serde_json::Value>(a), serde_json::from_str::<serde_json::Value>(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// A replacement is planned as a create: every computed attribute the
/// configuration leaves null (after defaults) becomes unknown, optional ones
/// too (the new object gets its own values, not the old object's). With
/// `carried_from`, an optional one becomes unknown only while it still holds
/// that prior value (the type's own planning may have set a new one).
fn unknown_computed(block: &Block, planned: Value, config: &Value, carried_from: Option<&Value>) -> Value {
    let Value::Map(mut m) = planned else { return planned };
    for (name, a) in &block.attributes {
        if !a.computed || !config.get(name).is_none_or(Value::is_null) {
            continue;
        }
        let carried = match carried_from {
            Some(prior) if a.optional => prior.get(name) == m.get(name),
            _ => true,
        };
        if carried {
            m.insert(name.clone(), Value::Unknown);
        }
    }
    Value::Map(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_equality_ignores_key_order_and_spacing() {
        assert!(json_equal(r#"{"a":1,"b":[1,2]}"#, r#"{ "b": [1, 2], "a": 1 }"#));
        assert!(!json_equal(r#"{"b":[2,1]}"#, r#"{"b":[1,2]}"#), "list order matters");
        assert!(!json_equal("not json", "not json"), "text that is not JSON is never JSON-equal");
    }
}
