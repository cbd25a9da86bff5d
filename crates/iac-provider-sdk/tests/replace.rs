//! A replacement is planned as a create: what the new object gets from the
//! API (or makes itself) is unknown, optional computed attributes the
//! configuration leaves out included, while configured values and defaults
//! stay known.

use std::sync::Arc;

use iac_core::provider::*;
use iac_provider_sdk::prelude::*;
use iac_provider_sdk::{AttrPath, SdkProvider};

#[derive(Debug, thiserror::Error)]
enum Error {
    #[error(transparent)]
    Decode(#[from] DecodeError),
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
struct Stamp {
    #[sdk(computed)]
    id: Option<String>,
    /// A change replaces the object.
    #[sdk(optional, force_new)]
    trigger: Option<String>,
    /// Taken at create unless configured.
    #[sdk(optional, computed, force_new)]
    taken_at: Option<String>,
    #[sdk(optional, computed, default = "utc")]
    zone: Option<String>,
}

struct StampType;

#[async_trait]
impl Resource<Fake> for StampType {
    type Model = Stamp;
    const TYPE: &'static str = "fake_stamp";

    async fn create(&self, _cx: &Ctx<'_, Fake>, mut planned: Stamp) -> Result<Stamp, Error> {
        planned.id = Some("s".into());
        planned.taken_at.get_or_insert_with(|| "now".into());
        Ok(planned)
    }
    async fn read(&self, _cx: &Ctx<'_, Fake>, current: Stamp) -> Result<Option<Stamp>, Error> {
        Ok(Some(current))
    }
    async fn delete(&self, _cx: &Ctx<'_, Fake>, _prior: Stamp) -> Result<(), Error> {
        Ok(())
    }
}

/// A type that decides on its replacement itself.
#[derive(Model, Debug, Clone, Default)]
struct Rotor {
    #[sdk(computed)]
    id: Option<String>,
    #[sdk(optional)]
    generation: Option<i64>,
    #[sdk(optional, computed)]
    taken_at: Option<String>,
    #[sdk(optional, computed)]
    note: Option<String>,
}

struct RotorType;

#[async_trait]
impl Resource<Fake> for RotorType {
    type Model = Rotor;
    const TYPE: &'static str = "fake_rotor";

    async fn modify_plan(&self, _cx: &Ctx<'_, Fake>, prior: Option<&Value>, planned: &mut Value, replace: &mut Vec<AttrPath>) -> Result<(), Error> {
        if prior.is_some_and(|p| p.get("generation") != planned.get("generation")) {
            replace.push(AttrPath::attr("generation"));
            if let Value::Map(m) = planned {
                m.insert("note".into(), Value::from("planned anew"));
            }
        }
        Ok(())
    }
    async fn create(&self, _cx: &Ctx<'_, Fake>, planned: Rotor) -> Result<Rotor, Error> {
        Ok(planned)
    }
    async fn read(&self, _cx: &Ctx<'_, Fake>, current: Rotor) -> Result<Option<Rotor>, Error> {
        Ok(Some(current))
    }
    async fn delete(&self, _cx: &Ctx<'_, Fake>, _prior: Rotor) -> Result<(), Error> {
        Ok(())
    }
}

fn plan_request(prior: Value, config: Value) -> PlanChangeRequest {
    PlanChangeRequest { type_: "fake_stamp".into(), addr: "fake_stamp.a".parse().unwrap(), prior: Some(prior), config, private: None }
}

#[tokio::test]
async fn a_replacement_the_type_asks_for_keeps_what_it_planned() {
    let p = SdkProvider::new(Fake, Arc::new(Types::new().resource(RotorType)));
    let prior = Value::map([("id", Value::from("r")), ("generation", Value::from(1i64)), ("taken_at", Value::from("yesterday")), ("note", Value::from("old"))]);
    let req = PlanChangeRequest {
        type_: "fake_rotor".into(),
        addr: "fake_rotor.a".parse().unwrap(),
        prior: Some(prior),
        config: Value::map([("generation", Value::from(2i64))]),
        private: None,
    };
    let r = p.plan_change(req).await.unwrap();
    assert_eq!(r.requires_replace, vec![AttrPath::attr("generation")]);
    assert_eq!(r.planned.get("taken_at"), Some(&Value::Unknown), "carried over from the old object: unknown");
    assert_eq!(r.planned.get("note"), Some(&Value::from("planned anew")), "planned by the type: kept");
    assert_eq!(r.planned.get("id"), Some(&Value::Unknown));
}

#[tokio::test]
async fn optional_computed_values_left_out_are_unknown_on_replacement() {
    let p = SdkProvider::new(Fake, Arc::new(Types::new().resource(StampType)));
    let prior = Value::map([("id", Value::from("s")), ("trigger", Value::from("1")), ("taken_at", Value::from("yesterday")), ("zone", Value::from("utc"))]);

    let r = p.plan_change(plan_request(prior.clone(), Value::map([("trigger", Value::from("2"))]))).await.unwrap();
    assert!(!r.requires_replace.is_empty());
    assert_eq!(r.planned.get("taken_at"), Some(&Value::Unknown), "the new object takes its own time");
    assert_eq!(r.planned.get("id"), Some(&Value::Unknown));
    assert_eq!(r.planned.get("zone"), Some(&Value::from("utc")), "a default is the configuration's value");

    let configured = Value::map([("trigger", Value::from("2")), ("taken_at", Value::from("noon"))]);
    let r = p.plan_change(plan_request(prior.clone(), configured)).await.unwrap();
    assert_eq!(r.planned.get("taken_at"), Some(&Value::from("noon")), "a configured value stays");

    let r = p.plan_change(plan_request(prior, Value::map([("trigger", Value::from("1"))]))).await.unwrap();
    assert!(r.requires_replace.is_empty());
    assert_eq!(r.planned.get("taken_at"), Some(&Value::from("yesterday")), "without a replacement the prior value is kept");
}
