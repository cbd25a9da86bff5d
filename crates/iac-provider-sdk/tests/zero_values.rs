//! State written by Terraform's legacy plugin SDK holds Go's zero values
//! (`""`, `false`, `0`) for optional arguments the configuration leaves
//! out. Against such state a native type plans no change, not even the
//! replacement an argument that forces one would ask for; a value the
//! configuration sets, or clears when it was not the zero value, still
//! plans.

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
    const LEGACY_SDK_STATE: bool = true;
}

#[derive(Model, Debug, Clone, Default)]
struct Address {
    #[sdk(computed)]
    id: Option<String>,
    /// Forces a new address when it changes.
    #[sdk(optional, force_new)]
    pool: Option<String>,
    #[sdk(optional)]
    protected: Option<bool>,
    #[sdk(optional)]
    hops: Option<i64>,
}

struct AddressType;

#[async_trait]
impl Resource<Fake> for AddressType {
    type Model = Address;
    const TYPE: &'static str = "fake_address";

    async fn create(&self, _cx: &Ctx<'_, Fake>, planned: Address) -> Result<Address, Error> {
        Ok(planned)
    }
    async fn read(&self, _cx: &Ctx<'_, Fake>, current: Address) -> Result<Option<Address>, Error> {
        Ok(Some(current))
    }
    async fn delete(&self, _cx: &Ctx<'_, Fake>, _prior: Address) -> Result<(), Error> {
        Ok(())
    }
}

async fn plan(prior: Value, config: Value) -> PlanChangeResponse {
    let p = SdkProvider::new(Fake, Arc::new(Types::new().resource(AddressType)));
    let req = PlanChangeRequest { type_: "fake_address".into(), addr: "fake_address.a".parse().unwrap(), prior: Some(prior), config, private: None };
    p.plan_change(req).await.unwrap()
}

fn from_plugin() -> Value {
    Value::map([("id", Value::from("a-1")), ("pool", Value::from("")), ("protected", Value::from(false)), ("hops", Value::from(0i64))])
}

#[tokio::test]
async fn zero_values_for_arguments_left_out_are_no_change() {
    let prior = from_plugin();
    let r = plan(prior.clone(), Value::map([("pool", Value::Null)])).await;
    assert!(r.requires_replace.is_empty(), "no replacement: {:?}", r.requires_replace);
    assert_eq!(r.planned, prior, "nothing changes");
}

#[tokio::test]
async fn set_and_cleared_values_still_plan() {
    let r = plan(from_plugin(), Value::map([("pool", Value::from("ipv4pool-coip-1")), ("hops", Value::from(2i64))])).await;
    assert_eq!(r.requires_replace, vec![AttrPath::attr("pool")], "a configured value differs from the zero value");
    assert_eq!(r.planned.get("hops"), Some(&Value::from(2i64)));

    let prior =
        Value::map([("id", Value::from("a-1")), ("pool", Value::from("ipv4pool-coip-1")), ("protected", Value::from(true)), ("hops", Value::from(3i64))]);
    let r = plan(prior, Value::map([("pool", Value::Null)])).await;
    assert_eq!(r.requires_replace, vec![AttrPath::attr("pool")], "clearing a real value replaces");
    assert_eq!(r.planned.get("protected"), Some(&Value::Null), "clearing a real value is a change");
    assert_eq!(r.planned.get("hops"), Some(&Value::Null));
}
