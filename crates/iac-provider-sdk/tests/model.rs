//! `#[derive(Model)]`: the schema a struct declares and the conversion of
//! its values, both ways.

use std::collections::{BTreeMap, BTreeSet};

use iac_provider_sdk::schema::{AttrType, Nesting};
use iac_provider_sdk::{Model, Value};

#[derive(Model, Debug, Clone, PartialEq, Default)]
struct Rule {
    #[sdk(required)]
    port: u16,
    #[sdk(optional, set)]
    cidrs: Vec<String>,
}

#[derive(Model, Debug, Clone, PartialEq, Default)]
struct Timeouts {
    #[sdk(optional)]
    create: Option<String>,
}

#[derive(Model, Debug, Clone, PartialEq, Default)]
struct Group {
    /// The group's id.
    #[sdk(computed)]
    id: Option<String>,
    #[sdk(required, force_new)]
    name: String,
    #[sdk(optional, computed, default = "managed")]
    description: Option<String>,
    #[sdk(optional, json)]
    policy: Option<String>,
    #[sdk(optional, sensitive)]
    secret: Option<String>,
    #[sdk(optional, name = "type")]
    kind: Option<String>,
    #[sdk(optional)]
    tags: BTreeMap<String, String>,
    #[sdk(block, set)]
    ingress: Vec<Rule>,
    #[sdk(block, local)]
    timeouts: Option<Timeouts>,
    #[sdk(optional)]
    size: Option<i64>,
}

#[test]
fn the_schema_comes_from_the_fields() {
    let b = Group::block();
    let id = &b.attributes["id"];
    assert!(id.computed && !id.optional && !id.required);
    assert_eq!(id.description, "The group's id.");
    let name = &b.attributes["name"];
    assert!(name.required && name.force_new);
    assert_eq!(name.type_, AttrType::String);
    assert!(b.attributes["secret"].sensitive);
    assert!(b.attributes.contains_key("type"), "name = overrides the field name");
    assert_eq!(b.attributes["tags"].type_, AttrType::Map(Box::new(AttrType::String)));
    assert_eq!(b.attributes["size"].type_, AttrType::Number);
    assert_eq!(b.blocks["ingress"].nesting, Nesting::Set);
    assert_eq!(b.blocks["ingress"].block.attributes["cidrs"].type_, AttrType::Set(Box::new(AttrType::String)));
    assert_eq!(b.blocks["timeouts"].nesting, Nesting::Single);
    let rules = Group::rules();
    assert_eq!(rules.defaults, vec![("description", Value::from("managed"))]);
    assert_eq!(rules.local, vec!["timeouts"]);
    assert_eq!(rules.json, vec!["policy"]);
}

#[test]
fn values_round_trip_with_every_attribute_present() {
    let g = Group {
        id: Some("g-1".into()),
        name: "web".into(),
        ingress: vec![Rule { port: 443, cidrs: vec!["10.0.0.0/8".into(), "0.0.0.0/0".into(), "10.0.0.0/8".into()] }],
        ..Group::default()
    };
    let v = g.to_value();
    let keys: Vec<&String> = v.as_map().unwrap().keys().collect();
    assert_eq!(keys.len(), 10, "every attribute and block, null or empty when unset: {keys:?}");
    assert_eq!(v.get("secret"), Some(&Value::Null));
    assert_eq!(
        v.get("ingress").unwrap().as_list().unwrap()[0].get("cidrs"),
        Some(&Value::List(vec!["0.0.0.0/0".into(), "10.0.0.0/8".into()].into())),
        "sets are sorted and de-duplicated"
    );
    let back = Group::from_value(&v).unwrap();
    assert_eq!(back.ingress[0].cidrs, vec!["0.0.0.0/0".to_string(), "10.0.0.0/8".into()]);
    assert_eq!(back.name, "web");
}

/// Attributes shared by several types, written once.
#[derive(Model, Debug, Clone, PartialEq, Default)]
struct Labels {
    #[sdk(optional)]
    labels: BTreeSet<String>,
    #[sdk(optional)]
    extra: Option<Value>,
}

#[derive(Model, Debug, Clone, PartialEq, Default)]
struct Labelled {
    #[sdk(flatten)]
    shared: Labels,
    #[sdk(block)]
    group: Option<Group>,
    #[sdk(optional)]
    counts: Vec<u32>,
}

#[test]
fn a_model_handed_back_by_value_encodes_as_by_reference() {
    // The SDK moves a type's results into values (`into_value`); they must
    // be exactly what `to_value` writes, for every kind of field.
    let group = Group {
        id: Some("g-1".into()),
        name: "web".into(),
        description: None,
        policy: Some(r#"{"a":1}"#.into()),
        secret: Some("s".into()),
        kind: Some("t".into()),
        tags: BTreeMap::from([("b".to_string(), "2".to_string()), ("a".to_string(), "1".to_string())]),
        ingress: vec![Rule { port: 80, cidrs: vec!["b".into(), "a".into(), "b".into()] }, Rule { port: 22, cidrs: Vec::new() }],
        timeouts: Some(Timeouts { create: Some("5m".into()) }),
        size: Some(-3),
    };
    let labelled = Labelled {
        shared: Labels {
            labels: BTreeSet::from(["z".to_string(), "y".to_string()]),
            extra: Some(Value::map([("k", Value::List(vec![Value::Unknown].into()))])),
        },
        group: Some(group.clone()),
        counts: vec![3, 1, 2],
    };
    assert_eq!(group.clone().into_value(), group.to_value());
    assert_eq!(labelled.clone().into_value(), labelled.to_value());
    assert_eq!(Labelled::default().into_value(), Labelled::default().to_value(), "unset fields too");
    assert_eq!(Labelled::from_value(&labelled.clone().into_value()).unwrap(), Labelled::from_value(&labelled.to_value()).unwrap());
}

#[test]
fn a_model_decoded_by_value_equals_one_decoded_by_reference() {
    // Reads move the state they start from into the model (`from_owned`);
    // it must decode exactly as `from_value`, errors included.
    let group = Group {
        id: Some("g-1".into()),
        name: "web".into(),
        description: Some("d".into()),
        policy: Some(r#"{"a":1}"#.into()),
        secret: Some("s".into()),
        kind: Some("t".into()),
        tags: BTreeMap::from([("b".to_string(), "2".to_string()), ("a".to_string(), "1".to_string())]),
        ingress: vec![Rule { port: 80, cidrs: vec!["a".into(), "b".into()] }, Rule { port: 22, cidrs: Vec::new() }],
        timeouts: Some(Timeouts { create: Some("5m".into()) }),
        size: Some(-3),
    };
    let labelled = Labelled {
        shared: Labels {
            labels: BTreeSet::from(["z".to_string(), "y".to_string()]),
            extra: Some(Value::map([("k", Value::List(vec![Value::Unknown].into()))])),
        },
        group: Some(group.clone()),
        counts: vec![3, 1, 2],
    };
    let mut marked = group.to_value();
    if let Value::Map(m) = &mut marked {
        let secret = m.remove("secret").unwrap();
        m.insert("secret".into(), secret.into_sensitive());
        m.insert("name".into(), Value::from("web").into_sensitive());
    }
    let values = [
        group.to_value(),
        labelled.to_value(),
        marked.clone().into_sensitive(),
        Value::Null,
        Value::Unknown,
        Value::map([("id", Value::Unknown), ("name", Value::from("x")), ("size", Value::Null), ("extra", Value::from("left over"))]),
        Value::map([("labels", Value::List(vec!["a".into()].into())), ("counts", Value::Null), ("group", Value::Unknown)]),
    ];
    for v in values {
        assert_eq!(Group::from_owned(v.clone()), Group::from_value(&v), "{v:?}");
        assert_eq!(Labelled::from_owned(v.clone()), Labelled::from_value(&v), "{v:?}");
    }
    assert_eq!(Group::from_owned(marked).unwrap(), group, "marks are taken off as by reference");
    assert_eq!(Labelled::from_owned(labelled.to_value()).unwrap(), labelled);
    for bad in [
        Value::from("not an object"),
        Value::map([("name", Value::Unknown)]),
        Value::map([("name", Value::from("x")), ("ingress", Value::List(vec![Value::map([("port", Value::from("http"))])].into()))]),
        Value::map([("name", Value::from("x")), ("tags", Value::map([("k", Value::List(vec![].into()))]))]),
        Value::map([("counts", Value::List(vec![Value::from(-1)].into()))]),
    ] {
        let by_ref = (Group::from_value(&bad).map(|_| ()), Labelled::from_value(&bad).map(|_| ()));
        assert!(by_ref.0.is_err() || by_ref.1.is_err(), "{bad:?} is refused by reference");
        assert_eq!((Group::from_owned(bad.clone()).map(|_| ()), Labelled::from_owned(bad.clone()).map(|_| ())), by_ref, "and by value, with the same path");
    }
}

#[test]
fn unknown_decodes_to_none_and_bad_values_name_their_path() {
    let v =
        Value::map([("id", Value::Unknown), ("name", Value::from("x")), ("ingress", Value::List(vec![Value::map([("port", Value::from("http"))])].into()))]);
    let e = Group::from_value(&v).unwrap_err();
    assert_eq!(e.to_string(), "ingress.0.port: expected a number, got \"http\"");
    let v = Value::map([("id", Value::Unknown), ("name", Value::from("x")), ("size", Value::number(2.5))]);
    assert!(Group::from_value(&v).unwrap_err().to_string().starts_with("size: expected a whole number"));
    let ok = Group::from_value(&Value::map([("id", Value::Unknown), ("name", Value::from("x"))])).unwrap();
    assert_eq!(ok.id, None);
    let e = Group::from_value(&Value::map([("name", Value::Unknown)])).unwrap_err();
    assert_eq!(e.to_string(), "name: not known yet");
}
