//! The replacement rule of the `keepers` and `triggers` maps of the random
//! and null providers: a change of their non-null values replaces the
//! object, while null values (which older state never recorded) and a map
//! appearing or disappearing without values are only updates.

use iac_provider_sdk::{AttrPath, Value, ValueMap};

/// Whether going from the prior map to the planned one replaces the object.
pub fn values_changed(prior: Option<&Value>, planned: Option<&Value>) -> bool {
    let prior = prior.cloned().unwrap_or(Value::Null).unmark_deep().0;
    let planned = planned.cloned().unwrap_or(Value::Null).unmark_deep().0;
    if prior == planned {
        return false;
    }
    if !planned.is_wholly_known() {
        return true;
    }
    let empty = ValueMap::new();
    let config = planned.as_map().unwrap_or(&empty);
    match prior.as_map() {
        None => config.values().any(|v| !v.is_null()),
        Some(state) => {
            config.iter().any(|(k, v)| match state.get(k) {
                None => !v.is_null(),
                Some(s) => s != v,
            }) || state.keys().any(|k| !config.contains_key(k))
        }
    }
}

/// Adds the replacement `attr`'s change calls for, if any.
pub fn plan_replace(attr: &str, prior: Option<&Value>, planned: &Value, replace: &mut Vec<AttrPath>) {
    if let Some(prior) = prior {
        if values_changed(prior.get(attr), planned.get(attr)) && !replace.iter().any(|p| *p == AttrPath::attr(attr)) {
            replace.push(AttrPath::attr(attr));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::values_changed;
    use iac_provider_sdk::Value;

    fn map(entries: &[(&str, Option<&str>)]) -> Value {
        Value::map(entries.iter().map(|(k, v)| (*k, v.map(Value::from).unwrap_or(Value::Null))))
    }

    #[test]
    fn only_non_null_values_count() {
        let a = map(&[("a", Some("1"))]);
        assert!(!values_changed(Some(&a), Some(&a)));
        assert!(values_changed(Some(&a), Some(&map(&[("a", Some("2"))]))), "a value changed");
        assert!(values_changed(Some(&a), Some(&Value::Null)), "a value removed");
        assert!(values_changed(Some(&a), Some(&map(&[("a", Some("1")), ("b", Some("2"))]))), "a value added");
        assert!(!values_changed(Some(&a), Some(&map(&[("a", Some("1")), ("b", None)]))), "a null value added");
        assert!(!values_changed(Some(&Value::Null), Some(&map(&[("b", None)]))), "only nulls, where there was no map");
        assert!(!values_changed(Some(&Value::Null), Some(&map(&[]))), "an empty map where there was none");
        assert!(!values_changed(Some(&map(&[])), Some(&Value::Null)), "no map where there was an empty one");
        assert!(values_changed(Some(&Value::Null), Some(&a)), "values where there were none");
        assert!(values_changed(Some(&a), Some(&Value::map([("a", Value::Unknown)]))), "an unknown value");
    }
}
