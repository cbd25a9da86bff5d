//! `random_id`: `byte_length` random bytes, shown as URL-safe base64
//! (`b64_url`, also the `id`, unprefixed), standard base64, hex and decimal,
//! each after `prefix`.

use std::collections::BTreeMap;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use iac_provider_sdk::prelude::*;
use iac_provider_sdk::AttrPath;

use super::{os_bytes, Random};
use crate::error::Error;
use crate::keepers;

/// `random_id`'s attributes.
#[derive(Model, Debug, Clone, Default)]
pub struct RandomIdModel {
    /// The generated id presented in base64 without additional transformations or prefix.
    #[sdk(computed)]
    id: Option<String>,
    /// Arbitrary map of values that, when changed, will trigger recreation of resource.
    #[sdk(optional)]
    keepers: Option<BTreeMap<String, Option<String>>>,
    /// The number of random bytes to produce. The minimum value is 1, which produces eight bits of randomness.
    #[sdk(required, force_new)]
    byte_length: i64,
    /// Arbitrary string to prefix the output value with, as-is.
    #[sdk(optional, force_new)]
    prefix: Option<String>,
    /// The generated id presented in base64, using the URL-friendly character set.
    #[sdk(computed)]
    b64_url: Option<String>,
    /// The generated id presented in base64 without additional transformations.
    #[sdk(computed)]
    b64_std: Option<String>,
    /// The generated id presented in padded hexadecimal digits, twice as long as the byte length.
    #[sdk(computed)]
    hex: Option<String>,
    /// The generated id presented in non-padded decimal digits.
    #[sdk(computed)]
    dec: Option<String>,
}

/// The bytes as one big-endian number, in decimal.
pub fn decimal(bytes: &[u8]) -> String {
    let mut digits: Vec<u8> = Vec::new(); // least significant first
    for &b in bytes {
        let mut carry = u32::from(b);
        for d in digits.iter_mut() {
            let x = u32::from(*d) * 256 + carry;
            *d = (x % 10) as u8;
            carry = x / 10;
        }
        while carry > 0 {
            digits.push((carry % 10) as u8);
            carry /= 10;
        }
    }
    if digits.is_empty() {
        return "0".into();
    }
    digits.iter().rev().map(|d| char::from(b'0' + d)).collect()
}

fn model(bytes: &[u8], prefix: Option<String>, keepers: Option<BTreeMap<String, Option<String>>>) -> RandomIdModel {
    let p = prefix.clone().unwrap_or_default();
    let url = URL_SAFE_NO_PAD.encode(bytes);
    RandomIdModel {
        id: Some(url.clone()),
        keepers,
        byte_length: bytes.len() as i64,
        b64_url: Some(format!("{p}{url}")),
        b64_std: Some(format!("{p}{}", STANDARD.encode(bytes))),
        hex: Some(format!("{p}{}", hex::encode(bytes))),
        dec: Some(format!("{p}{}", decimal(bytes))),
        prefix,
    }
}

/// The `random_id` resource type.
pub struct RandomId;

#[async_trait]
impl Resource<Random> for RandomId {
    type Model = RandomIdModel;
    const TYPE: &'static str = "random_id";

    fn validate(&self, config: &Value) -> Vec<(AttrPath, String)> {
        match config.get("byte_length").and_then(|v| v.unmarked().as_f64()) {
            Some(n) if n < 1.0 => vec![(AttrPath::attr("byte_length"), "must be at least 1".into())],
            _ => Vec::new(),
        }
    }

    async fn modify_plan(&self, _cx: &Ctx<'_, Random>, prior: Option<&Value>, planned: &mut Value, replace: &mut Vec<AttrPath>) -> Result<(), Error> {
        keepers::plan_replace("keepers", prior, planned, replace);
        Ok(())
    }

    async fn create(&self, _cx: &Ctx<'_, Random>, planned: RandomIdModel) -> Result<RandomIdModel, Error> {
        let n = usize::try_from(planned.byte_length).ok().filter(|n| *n >= 1).ok_or_else(|| Error::Invalid("byte_length must be at least 1".into()))?;
        Ok(model(&os_bytes(n)?, planned.prefix, planned.keepers))
    }

    async fn read(&self, _cx: &Ctx<'_, Random>, current: RandomIdModel) -> Result<Option<RandomIdModel>, Error> {
        Ok(Some(current))
    }

    async fn delete(&self, _cx: &Ctx<'_, Random>, _prior: RandomIdModel) -> Result<(), Error> {
        Ok(())
    }

    /// Imported by `b64_url`, after `PREFIX,` when it has a prefix.
    async fn import(&self, _cx: &Ctx<'_, Random>, id: &str) -> Result<Option<RandomIdModel>, Error> {
        let (prefix, value) = match id.rfind(',') {
            Some(i) => (Some(id[..i].to_string()).filter(|p| !p.is_empty()), &id[i + 1..]),
            None => (None, id),
        };
        let bytes = URL_SAFE_NO_PAD
            .decode(value)
            .map_err(|e| Error::Invalid(format!("cannot import random_id {id:?}: {value:?} is not unpadded URL-safe base64: {e}")))?;
        Ok(Some(model(&bytes, prefix, None)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_of_the_bytes() {
        assert_eq!(decimal(&[]), "0");
        assert_eq!(decimal(&[0, 0]), "0");
        assert_eq!(decimal(&[1, 0]), "256");
        assert_eq!(decimal(&[0xff; 8]), u64::MAX.to_string());
        assert_eq!(decimal(&[0xff; 16]), u128::MAX.to_string());
        let m = model(&[0xfb, 0xf5, 0x20, 0x8b], Some("p-".into()), None);
        assert_eq!(m.id.as_deref(), Some("-_Ugiw"), "the id is unprefixed");
        assert_eq!(m.b64_url.as_deref(), Some("p--_Ugiw"));
        assert_eq!(m.b64_std.as_deref(), Some("p-+/Ugiw=="));
        assert_eq!(m.hex.as_deref(), Some("p-fbf5208b"));
        assert_eq!(m.dec.as_deref(), Some("p-4227145867"));
    }
}
