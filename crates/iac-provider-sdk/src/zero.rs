//! Go's zero values in state written by Terraform's legacy plugin SDK.
//!
//! The legacy SDK (terraform-plugin-sdk/v2, on which most of hashicorp/aws
//! is built) cannot tell an optional argument the configuration leaves out
//! from its type's zero value: its state holds `""`, `false`, `0` or an
//! empty collection where the configuration has nothing
//! (`customer_owned_ipv4_pool = ""`, `disable_api_termination = false`).
//! Against such state, planning the configuration's null would be a change
//! (a replacement where the argument forces one) that does nothing, so
//! state moved from Terraform would never plan empty. This is the one
//! place that says what a zero value is and when it stands for "unset"; the
//! planning rules ([`crate::plan`]) apply it to every type of a provider
//! whose upstream is built on that SDK (`Configured::LEGACY_SDK_STATE`), so
//! no type repeats it.

use iac_core::schema::{AttrType, Block, Nesting};
use iac_core::Value;

/// Whether `v` is the zero value Go gives an attribute of type `t` that was
/// never set. Objects and `any` have none (the legacy SDK has neither).
pub(crate) fn is_zero_value(t: &AttrType, v: &Value) -> bool {
    match (t, v.unmarked()) {
        (AttrType::String, Value::String(s)) => s.is_empty(),
        (AttrType::Number, Value::Number(n)) => n.is_zero(),
        (AttrType::Bool, Value::Bool(b)) => !b,
        (AttrType::List(_) | AttrType::Set(_), Value::List(items)) => items.is_empty(),
        (AttrType::Map(_), Value::Map(m)) => m.is_empty(),
        _ => false,
    }
}

/// An optional argument (not computed: computed ones keep their prior
/// value anyway) that the configuration leaves null while the prior state
/// holds its zero value takes that prior value, so that the difference is
/// no change. A value the configuration sets is kept, and clearing a value
/// that is not the zero value still plans (to null). Nested blocks are
/// matched to their prior blocks by position (lists), key (maps), or, in a
/// set, to the prior element they then equal.
pub(crate) fn keep_prior_zero_values(block: &Block, config: &mut Value, prior: Option<&Value>) {
    let (Some(prior), Value::Map(m)) = (prior, config) else { return };
    for (name, a) in &block.attributes {
        if !a.optional || a.computed || !m.get(name).is_none_or(Value::is_null) {
            continue;
        }
        if let Some(old) = prior.get(name).filter(|old| is_zero_value(&a.type_, old)) {
            m.insert(name.clone(), old.clone());
        }
    }
    for (name, nested) in &block.blocks {
        let (Some(cfg), Some(old)) = (m.get_mut(name), prior.get(name)) else { continue };
        match (nested.nesting, cfg, old.unmarked()) {
            (Nesting::Single | Nesting::Group, c @ Value::Map(_), o @ Value::Map(_)) => keep_prior_zero_values(&nested.block, c, Some(o)),
            (Nesting::List, Value::List(items), Value::List(olds)) => {
                for (c, o) in items.iter_mut().zip(olds) {
                    keep_prior_zero_values(&nested.block, c, Some(o));
                }
            }
            (Nesting::Map, Value::Map(items), Value::Map(olds)) => {
                for (k, c) in items.iter_mut() {
                    keep_prior_zero_values(&nested.block, c, olds.get(k));
                }
            }
            (Nesting::Set, Value::List(items), Value::List(olds)) => {
                for c in items.iter_mut() {
                    // The element this one is once its unset arguments take
                    // the prior element's zero values; none: it is new.
                    let same = olds.iter().find_map(|o| {
                        let mut filled = c.clone();
                        keep_prior_zero_values(&nested.block, &mut filled, Some(o));
                        same_arguments(&nested.block, &filled, o).then_some(filled)
                    });
                    if let Some(filled) = same {
                        *c = filled;
                    }
                }
            }
            _ => {}
        }
    }
}

/// Whether a configured block element and a prior one agree on every
/// argument (computed-only attributes are the API's, not compared).
fn same_arguments(block: &Block, config: &Value, prior: &Value) -> bool {
    let null = Value::Null;
    block.attributes.iter().filter(|(_, a)| !a.computed || a.optional).all(|(name, a)| {
        let (c, p) = (config.get(name).unwrap_or(&null).unmarked(), prior.get(name).unwrap_or(&null).unmarked());
        c == p || (a.computed && c.is_null())
    }) && block.blocks.keys().all(|name| config.get(name).map(Value::unmarked) == prior.get(name).map(Value::unmarked))
}

#[cfg(test)]
mod tests {
    use super::*;
    use iac_core::schema::{Attribute, NestedBlock};

    fn block() -> Block {
        let rule = Block::default()
            .attr("port", Attribute::required(AttrType::Number))
            .attr("description", Attribute::optional(AttrType::String))
            .attr("self", Attribute::optional(AttrType::Bool));
        Block::default()
            .attr("pool", Attribute::optional(AttrType::String))
            .attr("stop", Attribute::optional(AttrType::Bool))
            .attr("count", Attribute::optional(AttrType::Number))
            .attr("ids", Attribute::optional(AttrType::List(Box::new(AttrType::String))))
            .attr("zone", Attribute::optional_computed(AttrType::String))
            .block("rule", NestedBlock { nesting: Nesting::Set, block: rule.clone(), min_items: 0, max_items: None, force_new: false })
            .block("options", NestedBlock { nesting: Nesting::List, block: rule, min_items: 0, max_items: Some(1), force_new: false })
    }

    fn rule(port: i64, description: Option<&str>, self_: Option<bool>) -> Value {
        Value::map([
            ("port", Value::from(port)),
            ("description", description.map(Value::from).unwrap_or(Value::Null)),
            ("self", self_.map(Value::from).unwrap_or(Value::Null)),
        ])
    }

    #[test]
    fn zero_values_of_each_type() {
        assert!(is_zero_value(&AttrType::String, &Value::from("")));
        assert!(is_zero_value(&AttrType::Number, &Value::from(0i64)));
        assert!(is_zero_value(&AttrType::Bool, &Value::from(false)));
        assert!(is_zero_value(&AttrType::Set(Box::new(AttrType::String)), &Value::List(vec![].into())));
        assert!(is_zero_value(&AttrType::String, &Value::Sensitive(Box::new(Value::from("")))));
        assert!(!is_zero_value(&AttrType::String, &Value::from("x")));
        assert!(!is_zero_value(&AttrType::Bool, &Value::from(true)));
        assert!(!is_zero_value(&AttrType::Number, &Value::from(1i64)));
        assert!(!is_zero_value(&AttrType::String, &Value::Null), "null is no value, not the zero value");
        assert!(!is_zero_value(&AttrType::Bool, &Value::from("")), "the zero value of another type");
    }

    #[test]
    fn unset_arguments_keep_the_prior_zero_value() {
        let prior = Value::map([
            ("pool", Value::from("")),
            ("stop", Value::from(false)),
            ("count", Value::from(0i64)),
            ("ids", Value::List(vec![].into())),
            ("rule", Value::List(vec![rule(22, Some(""), Some(false)), rule(80, Some("web"), Some(false))].into())),
            ("options", Value::List(vec![rule(1, Some(""), Some(false))].into())),
        ]);
        let mut config = Value::map([
            ("rule", Value::List(vec![rule(80, Some("web"), None), rule(22, None, None)].into())),
            ("options", Value::List(vec![rule(1, None, None)].into())),
        ]);
        keep_prior_zero_values(&block(), &mut config, Some(&prior));
        assert_eq!(config.get("pool"), Some(&Value::from("")));
        assert_eq!(config.get("stop"), Some(&Value::from(false)));
        assert_eq!(config.get("count"), Some(&Value::from(0i64)));
        assert_eq!(config.get("ids"), Some(&Value::List(vec![].into())));
        assert_eq!(
            config.get("rule"),
            Some(&Value::List(vec![rule(80, Some("web"), Some(false)), rule(22, Some(""), Some(false))].into())),
            "set elements matched by content"
        );
        assert_eq!(config.get("options"), Some(&Value::List(vec![rule(1, Some(""), Some(false))].into())));
    }

    #[test]
    fn real_changes_still_plan() {
        let prior = Value::map([
            ("pool", Value::from("ipv4pool-coip-1")),
            ("stop", Value::from(true)),
            ("count", Value::from(0i64)),
            ("zone", Value::from("")),
            ("rule", Value::List(vec![rule(22, Some(""), Some(false))].into())),
        ]);
        let mut config = Value::map([("count", Value::from(3i64)), ("rule", Value::List(vec![rule(23, None, None)].into()))]);
        keep_prior_zero_values(&block(), &mut config, Some(&prior));
        assert_eq!(config.get("pool"), None, "clearing a value that is not the zero value stays a change");
        assert_eq!(config.get("stop"), None);
        assert_eq!(config.get("count"), Some(&Value::from(3i64)), "a configured value stays");
        assert_eq!(config.get("zone"), None, "computed: the default plan keeps the prior value itself");
        assert_eq!(config.get("rule"), Some(&Value::List(vec![rule(23, None, None)].into())), "a new set element is left as configured");
    }

    #[test]
    fn nothing_to_keep_on_create() {
        let mut config = Value::map([("pool", Value::Null)]);
        keep_prior_zero_values(&block(), &mut config, None);
        assert_eq!(config, Value::map([("pool", Value::Null)]));
    }
}
