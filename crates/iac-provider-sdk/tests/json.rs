//! `json` attributes: a new text that is the same document as the prior one
//! keeps the prior text, "the same" as the provider's API judges it
//! (`Configured::json_equal`).

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

/// A provider whose API takes any JSON text (JSON equality, the default).
struct Plain;

impl Configured for Plain {
    type Error = Error;
    const NAME: &'static str = "plain";
}

/// A provider whose API writes a one-element list as its element.
struct Lenient;

impl Configured for Lenient {
    type Error = Error;
    const NAME: &'static str = "lenient";

    fn json_equal(a: &str, b: &str) -> bool {
        fn canonical(v: serde_json::Value) -> serde_json::Value {
            match v {
                serde_json::Value::Array(mut a) if a.len() == 1 => canonical(a.remove(0)),
                serde_json::Value::Array(a) => serde_json::Value::Array(a.into_iter().map(canonical).collect()),
                serde_json::Value::Object(m) => serde_json::Value::Object(m.into_iter().map(|(k, v)| (k, canonical(v))).collect()),
                other => other,
            }
        }
        match (serde_json::from_str(a), serde_json::from_str(b)) {
            (Ok(x), Ok(y)) => canonical(x) == canonical(y),
            _ => false,
        }
    }
}

#[derive(Model, Debug, Clone, Default)]
struct Doc {
    #[sdk(computed)]
    id: Option<String>,
    #[sdk(required, json)]
    policy: String,
}

struct DocType;

#[async_trait]
impl<P: Configured> Resource<P> for DocType {
    type Model = Doc;
    const TYPE: &'static str = "doc";

    async fn create(&self, _cx: &Ctx<'_, P>, planned: Doc) -> Result<Doc, P::Error> {
        Ok(planned)
    }
    async fn read(&self, _cx: &Ctx<'_, P>, current: Doc) -> Result<Option<Doc>, P::Error> {
        Ok(Some(current))
    }
    async fn delete(&self, _cx: &Ctx<'_, P>, _prior: Doc) -> Result<(), P::Error> {
        Ok(())
    }
}

async fn planned_policy<P: Configured>(provider: P, prior: &str, config: &str) -> Value {
    let p = SdkProvider::new(provider, Arc::new(Types::new().resource(DocType)));
    let prior = Value::map([("id", Value::from("d")), ("policy", Value::from(prior))]);
    let config = Value::map([("policy", Value::from(config))]);
    let req = PlanChangeRequest { type_: "doc".into(), addr: "doc.a".parse().unwrap(), prior: Some(prior), config, private: None };
    p.plan_change(req).await.unwrap().planned.get("policy").cloned().unwrap()
}

#[tokio::test]
async fn the_provider_says_which_documents_are_the_same() {
    let prior = r#"{"Action":"s3:GetObject","Effect":"Allow"}"#;
    let reordered = r#"{ "Effect": "Allow", "Action": "s3:GetObject" }"#;
    let listed = r#"{"Effect":"Allow","Action":["s3:GetObject"]}"#;
    assert_eq!(planned_policy(Plain, prior, reordered).await, Value::from(prior), "key order and spacing are no change");
    assert_eq!(planned_policy(Plain, prior, listed).await, Value::from(listed), "to plain JSON equality a list is not its element");
    assert_eq!(planned_policy(Lenient, prior, listed).await, Value::from(prior), "to this API it is");
    let other = r#"{"Effect":"Deny","Action":["s3:GetObject"]}"#;
    assert_eq!(planned_policy(Lenient, prior, other).await, Value::from(other), "another document is a change");
}
