//! `Resource::canonical_config`: a configuration rewritten into the form the
//! API reports before planning, so that a spelling the API rewrites (a
//! `StateFunc` in a legacy SDK provider) plans no change, not a replacement.

use std::sync::Arc;

use iac_core::provider::*;
use iac_provider_sdk::prelude::*;
use iac_provider_sdk::SdkProvider;

#[derive(Debug, thiserror::Error)]
#[error(transparent)]
struct Error(#[from] DecodeError);

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
struct Rule {
    #[sdk(computed)]
    id: Option<String>,
    #[sdk(required, force_new)]
    protocol: String,
    #[sdk(optional, force_new, default = "tcp")]
    fallback: Option<String>,
}

struct RuleType;

#[async_trait]
impl Resource<Fake> for RuleType {
    type Model = Rule;
    const TYPE: &'static str = "fake_rule";

    fn canonical_config(&self, config: &mut Value) {
        if let Value::Map(m) = config {
            for k in ["protocol", "fallback"] {
                if m.get(k).and_then(Value::as_str) == Some("6") {
                    m.insert(k.into(), Value::from("tcp"));
                }
            }
        }
    }
    async fn create(&self, _cx: &Ctx<'_, Fake>, planned: Rule) -> Result<Rule, Error> {
        Ok(planned)
    }
    async fn read(&self, _cx: &Ctx<'_, Fake>, current: Rule) -> Result<Option<Rule>, Error> {
        Ok(Some(current))
    }
    async fn delete(&self, _cx: &Ctx<'_, Fake>, _prior: Rule) -> Result<(), Error> {
        Ok(())
    }
}

#[tokio::test]
async fn a_spelling_the_api_rewrites_plans_no_replacement() {
    let p = SdkProvider::new(Fake, Arc::new(Types::new().resource(RuleType)));
    let prior = Value::map([("id", Value::from("r-1")), ("protocol", Value::from("tcp")), ("fallback", Value::from("tcp"))]);
    let config = Value::map([("id", Value::Null), ("protocol", Value::from("6")), ("fallback", Value::Null)]);
    let req = PlanChangeRequest { type_: "fake_rule".into(), addr: "fake_rule.r".parse().unwrap(), prior: Some(prior.clone()), config, private: None };
    let r = p.plan_change(req).await.unwrap();
    assert!(r.requires_replace.is_empty(), "{:?}", r.requires_replace);
    assert_eq!(r.planned, prior, "the canonical form is the prior value, after the default");
}
