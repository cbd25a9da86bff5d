//! `SdkProvider` as the engine sees it: defaults in nested blocks,
//! flattened models, planning that waits on the provider, private data kept
//! between operations, an import a type does its own way, and the
//! configuration as written reaching plans and applies.

use std::sync::Arc;

use iac_core::provider::*;
use iac_provider_sdk::prelude::*;
use iac_provider_sdk::{AttrPath, SdkProvider};

#[derive(Debug, thiserror::Error)]
enum Error {
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error("{0}")]
    Refused(String),
}

impl From<Error> for ProviderError {
    fn from(e: Error) -> ProviderError {
        ProviderError::Other(e.to_string())
    }
}

struct Fake;

impl Configured for Fake {
    type Error = Error;
    const NAME: &'static str = "fake";
}

#[derive(Model, Debug, Clone, Default)]
struct Common {
    #[sdk(computed)]
    id: Option<String>,
    #[sdk(required)]
    name: String,
}

#[derive(Model, Debug, Clone, Default)]
struct Rule {
    #[sdk(required)]
    port: u16,
    #[sdk(optional, default = false)]
    open: bool,
}

#[derive(Model, Debug, Clone, Default)]
struct Thing {
    #[sdk(flatten)]
    common: Common,
    #[sdk(optional, computed)]
    size: Option<i64>,
    #[sdk(block)]
    rule: Vec<Rule>,
}

struct ThingType;

#[async_trait]
impl Resource<Fake> for ThingType {
    type Model = Thing;
    const TYPE: &'static str = "fake_thing";

    async fn modify_plan(&self, _cx: &Ctx<'_, Fake>, _prior: Option<&Value>, planned: &mut Value, _replace: &mut Vec<AttrPath>) -> Result<(), Error> {
        // As an API would be asked: the size comes from somewhere that takes a while.
        tokio::task::yield_now().await;
        if let Value::Map(m) = planned {
            if m.get("size").is_some_and(Value::is_unknown) {
                m.insert("size".into(), Value::from(3));
            }
        }
        Ok(())
    }
    async fn create(&self, cx: &Ctx<'_, Fake>, mut planned: Thing) -> Result<Thing, Error> {
        planned.common.id = Some(format!("t-{}", planned.common.name));
        cx.keep_private(serde_json::json!({ "hash": "h1" }));
        Ok(planned)
    }
    async fn read(&self, cx: &Ctx<'_, Fake>, current: Thing) -> Result<Option<Thing>, Error> {
        if current.common.id.as_deref() == Some("missing") {
            return Ok(None);
        }
        assert!(cx.private.is_none_or(|p| p["hash"] == "h1"), "reads see what apply kept");
        Ok(Some(Thing { size: Some(3), ..current }))
    }
    async fn delete(&self, _cx: &Ctx<'_, Fake>, _prior: Thing) -> Result<(), Error> {
        Ok(())
    }
}

struct Unimportable;

#[derive(Model, Debug, Clone, Default)]
struct Set {
    #[sdk(computed)]
    id: Option<String>,
}

#[async_trait]
impl Resource<Fake> for Unimportable {
    type Model = Set;
    const TYPE: &'static str = "fake_set";

    async fn create(&self, _cx: &Ctx<'_, Fake>, planned: Set) -> Result<Set, Error> {
        Ok(planned)
    }
    async fn read(&self, _cx: &Ctx<'_, Fake>, current: Set) -> Result<Option<Set>, Error> {
        Ok(Some(current))
    }
    async fn delete(&self, _cx: &Ctx<'_, Fake>, _prior: Set) -> Result<(), Error> {
        Ok(())
    }
    async fn import(&self, _cx: &Ctx<'_, Fake>, id: &str) -> Result<Option<Set>, Error> {
        Err(Error::Refused(format!("{id}: import each member instead")))
    }
}

/// State keeps a digest of `secret` (as a hashing `StateFunc` would); the
/// create sends the secret itself, from the configuration.
struct Digested;

#[derive(Model, Debug, Clone, Default)]
struct Secretive {
    #[sdk(computed)]
    id: Option<String>,
    #[sdk(optional, sensitive, force_new)]
    secret: Option<String>,
}

#[async_trait]
impl Resource<Fake> for Digested {
    type Model = Secretive;
    const TYPE: &'static str = "fake_secret";

    fn canonical_config(&self, config: &mut Value) {
        if let Value::Map(m) = config {
            if let Some(d) = m.get("secret").and_then(Value::as_str).map(|s| format!("len:{}", s.len())) {
                m.insert("secret".into(), Value::from(d));
            }
        }
    }
    async fn modify_plan(&self, cx: &Ctx<'_, Fake>, _prior: Option<&Value>, planned: &mut Value, _replace: &mut Vec<AttrPath>) -> Result<(), Error> {
        assert!(cx.config.and_then(|c| c.get("secret")).is_some(), "a plan sees the configuration as written");
        assert_ne!(cx.config.and_then(|c| c.get("secret")), planned.get("secret"), "before the canonical form");
        Ok(())
    }
    async fn create(&self, cx: &Ctx<'_, Fake>, mut planned: Secretive) -> Result<Secretive, Error> {
        let sent = cx.config.and_then(|c| c.get("secret")).and_then(Value::as_str).ok_or_else(|| Error::Refused("no configuration".into()))?;
        planned.id = Some(format!("made-with-{sent}"));
        Ok(planned)
    }
    async fn read(&self, cx: &Ctx<'_, Fake>, current: Secretive) -> Result<Option<Secretive>, Error> {
        assert!(cx.config.is_none(), "a read has no configuration");
        Ok(Some(current))
    }
    async fn delete(&self, _cx: &Ctx<'_, Fake>, _prior: Secretive) -> Result<(), Error> {
        Ok(())
    }
}

fn provider() -> SdkProvider<Fake> {
    SdkProvider::new(Fake, Arc::new(Types::new().resource(ThingType).resource(Unimportable).resource(Digested)))
}

fn addr() -> iac_core::address::InstanceAddr {
    "fake_thing.a".parse().unwrap()
}

#[test]
fn flattened_models_and_nested_rules_build_one_schema() {
    let b = Thing::block();
    let keys: Vec<&String> = b.attributes.keys().collect();
    assert_eq!(keys, ["id", "name", "size"], "the flattened model's attributes are the type's own");
    assert!(b.attributes["name"].required);
    assert!(b.blocks.contains_key("rule"));
    let v = Thing { common: Common { id: None, name: "x".into() }, size: Some(2), rule: Vec::new() }.to_value();
    assert_eq!(v.get("name"), Some(&Value::from("x")));
    assert_eq!(Thing::from_value(&v).unwrap().common.name, "x");
    assert_eq!(Thing::rules().blocks.len(), 1, "the nested block's default is a rule of the type");
}

#[tokio::test]
async fn plans_apply_nested_defaults_and_wait_on_the_type() {
    let p = provider();
    let config = Value::map([("name", Value::from("x")), ("rule", Value::List(vec![Value::map([("port", Value::from(80))])].into()))]);
    let req = PlanChangeRequest { type_: "fake_thing".into(), addr: addr(), prior: None, config, private: Some(serde_json::json!({"k": 1})) };
    let r = p.plan_change(req).await.unwrap();
    assert_eq!(r.planned.get("rule").unwrap().as_list().unwrap()[0].get("open"), Some(&Value::Bool(false)), "a nested block's default");
    assert_eq!(r.planned.get("size"), Some(&Value::from(3)), "the async modify_plan ran");
    assert_eq!(r.private, Some(serde_json::json!({"k": 1})), "a plan passes private data on");
}

#[tokio::test]
async fn private_data_kept_by_apply_reaches_reads() {
    let p = provider();
    let planned = Value::map([("id", Value::Unknown), ("name", Value::from("x")), ("size", Value::from(3)), ("rule", Value::List(Vec::new().into()))]);
    let req = ApplyChangeRequest { type_: "fake_thing".into(), addr: addr(), prior: None, planned: planned.clone(), config: planned, private: None };
    let r = p.apply_change(req).await.unwrap();
    assert_eq!(r.private, Some(serde_json::json!({"hash": "h1"})));
    assert_eq!(r.new_state.get("id"), Some(&Value::from("t-x")));
    let read = ReadRequest { type_: "fake_thing".into(), addr: addr(), current: r.new_state, private: r.private };
    assert!(p.read(read).await.unwrap().is_some());
}

#[tokio::test]
async fn imports_read_from_the_stub_unless_the_type_says_otherwise() {
    let p = provider();
    let v = p.import(ImportRequest { type_: "fake_thing".into(), addr: addr(), id: "t-1".into() }).await.unwrap();
    assert_eq!(v.get("id"), Some(&Value::from("t-1")));
    assert_eq!(v.get("size"), Some(&Value::from(3)));
    let missing = p.import(ImportRequest { type_: "fake_thing".into(), addr: addr(), id: "missing".into() }).await.unwrap_err();
    assert!(missing.to_string().contains("no such fake_thing"), "{missing}");
    let refused = p.import(ImportRequest { type_: "fake_set".into(), addr: "fake_set.s".parse().unwrap(), id: "s".into() }).await.unwrap_err();
    assert!(refused.to_string().contains("import each member instead"), "{refused}");
    let unknown = p.import(ImportRequest { type_: "fake_other".into(), addr: "fake_other.o".parse().unwrap(), id: "o".into() }).await.unwrap_err();
    assert!(matches!(unknown, ProviderError::Unsupported(_)), "an unknown type is an error: {unknown}");
}

#[tokio::test]
async fn an_apply_sends_the_configuration_while_state_keeps_the_canonical_form() {
    let p = provider();
    let a: iac_core::address::InstanceAddr = "fake_secret.s".parse().unwrap();
    let config = Value::map([("id", Value::Null), ("secret", Value::from("hunter2"))]);
    let plan =
        p.plan_change(PlanChangeRequest { type_: "fake_secret".into(), addr: a.clone(), prior: None, config: config.clone(), private: None }).await.unwrap();
    assert_eq!(plan.planned.get("secret"), Some(&Value::from("len:7")), "the plan holds the digest");
    let req = ApplyChangeRequest { type_: "fake_secret".into(), addr: a.clone(), prior: None, planned: plan.planned, config, private: None };
    let r = p.apply_change(req).await.unwrap();
    assert_eq!(r.new_state.get("id"), Some(&Value::from("made-with-hunter2")), "the create saw the configuration's secret");
    assert_eq!(r.new_state.get("secret"), Some(&Value::from("len:7")), "state keeps the digest");
    assert!(p.read(ReadRequest { type_: "fake_secret".into(), addr: a, current: r.new_state, private: None }).await.unwrap().is_some());
}

/// A type with an attribute only the configuration holds; its read forgets
/// it, as an API that never reports it would.
struct Forgetful;

#[derive(Model, Debug, Clone, Default)]
struct Noted {
    #[sdk(computed)]
    id: Option<String>,
    #[sdk(optional, local)]
    note: Option<String>,
    #[sdk(optional)]
    label: Option<String>,
}

#[async_trait]
impl<P: Configured> Resource<P> for Forgetful
where
    P::Error: From<DecodeError>,
{
    type Model = Noted;
    const TYPE: &'static str = "fake_noted";

    async fn create(&self, _cx: &Ctx<'_, P>, planned: Noted) -> Result<Noted, P::Error> {
        Ok(planned)
    }
    async fn read(&self, _cx: &Ctx<'_, P>, current: Noted) -> Result<Option<Noted>, P::Error> {
        Ok(Some(Noted { note: None, label: Some("from the API".into()), ..current }))
    }
    async fn delete(&self, _cx: &Ctx<'_, P>, _prior: Noted) -> Result<(), P::Error> {
        Ok(())
    }
}

/// A provider whose shaping of reads looks at the current value.
struct Shaper;

impl Configured for Shaper {
    type Error = Error;
    const NAME: &'static str = "shaper";

    fn finish_read(&self, _block: &iac_core::schema::Block, current: &Value, read: &mut Value) {
        if let Value::Map(m) = read {
            m.insert("label".into(), current.get("label").cloned().unwrap_or(Value::Null));
        }
    }
    fn finish_read_uses_current(&self, _block: &iac_core::schema::Block) -> bool {
        true
    }
}

#[tokio::test]
async fn reads_carry_local_attributes_over_and_shape_with_the_current_value_when_asked() {
    // The read moves the current value into the model: what `finish`
    // needs of it must be kept before.
    let current = Value::map([("id", Value::from("n-1")), ("note", Value::from("mine")), ("label", Value::from("configured"))]);
    let read = |current: Value| ReadRequest { type_: "fake_noted".into(), addr: "fake_noted.n".parse().unwrap(), current, private: None };
    let plain = SdkProvider::new(Fake, Arc::new(Types::new().resource(Forgetful)));
    let v = plain.read(read(current.clone())).await.unwrap().unwrap();
    assert_eq!(v.get("note"), Some(&Value::from("mine")), "a local attribute comes from the current value");
    assert_eq!(v.get("label"), Some(&Value::from("from the API")), "the rest is what the type read");
    assert_eq!(v.get("id"), Some(&Value::from("n-1")));
    let shaping = SdkProvider::new(Shaper, Arc::new(Types::new().resource(Forgetful)));
    let v = shaping.read(read(current)).await.unwrap().unwrap();
    assert_eq!(v.get("note"), Some(&Value::from("mine")));
    assert_eq!(v.get("label"), Some(&Value::from("configured")), "finish_read saw the whole current value");
}
