//! Reading the OpenAPI document into JSON values. DigitalOcean's document
//! holds integers beyond 64 bits (`maximum: 18446744073709552000` in the
//! MySQL advanced configuration), which YAML reads as 128-bit integers and
//! `serde_json::Value` refuses (it has no arbitrary precision here). Such a
//! number becomes the nearest `f64`, which is all a bound is compared as.

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// A JSON value read leniently: integers beyond 64 bits become floats.
struct Lenient(Value);

fn float(f: f64) -> Value {
    Number::from_f64(f).map(Value::Number).unwrap_or(Value::Null)
}

impl<'de> Deserialize<'de> for Lenient {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Lenient, D::Error> {
        d.deserialize_any(LenientVisitor).map(Lenient)
    }
}

struct LenientVisitor;

impl<'de> Visitor<'de> for LenientVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a YAML value")
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Lenient::deserialize(d).map(|l| l.0)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Value, E> {
        Ok(Value::from(n))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Value, E> {
        Ok(Value::from(n))
    }
    fn visit_i128<E>(self, n: i128) -> Result<Value, E> {
        Ok(i64::try_from(n).map(Value::from).unwrap_or_else(|_| float(n as f64)))
    }
    fn visit_u128<E>(self, n: u128) -> Result<Value, E> {
        Ok(u64::try_from(n).map(Value::from).unwrap_or_else(|_| float(n as f64)))
    }
    fn visit_f64<E>(self, f: f64) -> Result<Value, E> {
        Ok(float(f))
    }
    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_string()))
    }
    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(Lenient(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some((Lenient(k), Lenient(v))) = map.next_entry::<Lenient, Lenient>()? {
            // YAML keys may be numbers or booleans (status codes: `200:`); JSON keys are text.
            let key = match k {
                Value::String(s) => s,
                other => other.to_string(),
            };
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

/// Parses YAML (or JSON) text into a JSON value.
pub fn parse(text: &str) -> Result<Value, String> {
    serde_norway::from_str::<Lenient>(text).map(|l| l.0).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_beyond_64_bits_become_floats() {
        let v = parse("a:\n  maximum: 18446744073709552000\n  minimum: -170141183460469231731687303715884105727\n  small: 42\n200:\n  x: true\n").unwrap();
        assert_eq!(v["a"]["maximum"].as_f64(), Some(18446744073709552000.0));
        assert!(v["a"]["minimum"].as_f64().is_some_and(|f| f < -1e38));
        assert_eq!(v["a"]["small"], 42);
        assert_eq!(v["200"]["x"], true, "numeric keys become text");
    }
}
