//! `random_string` and `random_password`: a random string of `length`
//! characters from the enabled classes (upper, lower, numeric, special,
//! `override_special` replacing the special characters), with at least
//! `min_*` characters of each class. A password's `result` is sensitive and
//! comes with a bcrypt hash; a string's `result` is also its `id`.

use std::collections::BTreeMap;

use iac_provider_sdk::prelude::*;
use iac_provider_sdk::AttrPath;

use super::{Random, Rng};
use crate::error::Error;
use crate::keepers;

const NUMERIC: &str = "0123456789";
const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";
const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const SPECIAL: &str = "!@#$%&*()-_=+[]{}<>:?";

/// What a random string is made of.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    pub length: usize,
    pub upper: bool,
    pub lower: bool,
    pub numeric: bool,
    pub special: bool,
    pub min_upper: usize,
    pub min_lower: usize,
    pub min_numeric: usize,
    pub min_special: usize,
    /// Replaces the special characters when not empty.
    pub override_special: String,
}

/// Makes a random string. As upstream: the `min_*` characters of each class
/// come first (whether or not the class is enabled), the rest from every
/// enabled class, then the whole is shuffled.
pub fn generate(p: &Params, rng: &mut Rng) -> Result<String, Error> {
    let special = if p.override_special.is_empty() { SPECIAL } else { p.override_special.as_str() };
    let mut pool = String::new();
    for (on, chars) in [(p.upper, UPPER), (p.lower, LOWER), (p.numeric, NUMERIC), (p.special, special)] {
        if on {
            pool.push_str(chars);
        }
    }
    if pool.is_empty() {
        return Err(Error::Invalid("the character set specified is empty: enable at least one of upper, lower, numeric, special".into()));
    }
    let mins = p.min_numeric + p.min_lower + p.min_upper + p.min_special;
    if mins > p.length {
        return Err(Error::Invalid(format!("length ({}) must be at least the sum of min_upper, min_lower, min_numeric and min_special ({mins})", p.length)));
    }
    let mut out: Vec<char> = Vec::with_capacity(p.length);
    let mut pick = |chars: &str, n: usize, out: &mut Vec<char>| -> Result<(), Error> {
        let set: Vec<char> = chars.chars().collect();
        for _ in 0..n {
            out.push(set[rng.below(set.len() as u64)? as usize]);
        }
        Ok(())
    };
    pick(NUMERIC, p.min_numeric, &mut out)?;
    pick(LOWER, p.min_lower, &mut out)?;
    pick(UPPER, p.min_upper, &mut out)?;
    pick(special, p.min_special, &mut out)?;
    pick(&pool, p.length - out.len(), &mut out)?;
    rng.shuffle(&mut out)?;
    Ok(out.into_iter().collect())
}

/// The arguments `random_string` and `random_password` share.
#[derive(Model, Debug, Clone, Default)]
pub struct StringArgs {
    /// Arbitrary map of values that, when changed, will trigger recreation of resource.
    #[sdk(optional)]
    keepers: Option<BTreeMap<String, Option<String>>>,
    /// The length of the string desired. The minimum value for length is 1 and, length must also be >= (`min_upper` + `min_lower` + `min_numeric` + `min_special`).
    #[sdk(required, force_new)]
    length: i64,
    /// Include special characters in the result. These are `!@#$%&*()-_=+[]{}<>:?`. Default value is `true`.
    #[sdk(optional, computed, force_new, default = true)]
    special: bool,
    /// Include uppercase alphabet characters in the result. Default value is `true`.
    #[sdk(optional, computed, force_new, default = true)]
    upper: bool,
    /// Include lowercase alphabet characters in the result. Default value is `true`.
    #[sdk(optional, computed, force_new, default = true)]
    lower: bool,
    /// Include numeric characters in the result. Default value is `true`. Deprecated: use `numeric`.
    #[sdk(optional, computed, force_new)]
    number: Option<bool>,
    /// Include numeric characters in the result. Default value is `true`.
    #[sdk(optional, computed, force_new)]
    numeric: Option<bool>,
    /// Minimum number of numeric characters in the result. Default value is `0`.
    #[sdk(optional, computed, force_new, default = 0i64)]
    min_numeric: i64,
    /// Minimum number of uppercase alphabet characters in the result. Default value is `0`.
    #[sdk(optional, computed, force_new, default = 0i64)]
    min_upper: i64,
    /// Minimum number of lowercase alphabet characters in the result. Default value is `0`.
    #[sdk(optional, computed, force_new, default = 0i64)]
    min_lower: i64,
    /// Minimum number of special characters in the result. Default value is `0`.
    #[sdk(optional, computed, force_new, default = 0i64)]
    min_special: i64,
    /// Supply your own list of special characters to use for string generation. The `special` argument must still be true for them to be used.
    #[sdk(optional)]
    override_special: Option<String>,
}

impl StringArgs {
    fn params(&self) -> Result<Params, Error> {
        let n = |v: i64, what: &str| usize::try_from(v).map_err(|_| Error::Invalid(format!("{what} must not be negative")));
        Ok(Params {
            length: n(self.length, "length")?,
            upper: self.upper,
            lower: self.lower,
            numeric: self.numeric.or(self.number).unwrap_or(true),
            special: self.special,
            min_upper: n(self.min_upper, "min_upper")?,
            min_lower: n(self.min_lower, "min_lower")?,
            min_numeric: n(self.min_numeric, "min_numeric")?,
            min_special: n(self.min_special, "min_special")?,
            override_special: self.override_special.clone().unwrap_or_default(),
        })
    }

    /// What an import of `result` records: every argument at its default.
    fn imported(result: &str) -> StringArgs {
        StringArgs {
            keepers: None,
            length: result.chars().count() as i64,
            special: true,
            upper: true,
            lower: true,
            number: Some(true),
            numeric: Some(true),
            min_numeric: 0,
            min_upper: 0,
            min_lower: 0,
            min_special: 0,
            override_special: None,
        }
    }
}

/// `numeric` and `number` take each other's value when one is left out,
/// and default to true (applied to the configuration before planning).
pub fn sync_numeric(config: &mut Value) {
    let Value::Map(m) = config else { return };
    let get = |k: &str| m.get(k).cloned().filter(|v| !v.is_null());
    let (number, numeric) = (get("number"), get("numeric"));
    let (number, numeric) = match (number, numeric) {
        (None, None) => (Value::Bool(true), Value::Bool(true)),
        (Some(a), None) => (a.clone(), a),
        (None, Some(b)) => (b.clone(), b),
        (Some(a), Some(b)) => (a, b),
    };
    m.insert("number".into(), number);
    m.insert("numeric".into(), numeric);
}

fn validate_args(config: &Value) -> Vec<(AttrPath, String)> {
    let mut problems = Vec::new();
    let num = |k: &str| config.get(k).and_then(|v| v.unmarked().as_f64());
    let flag = |k: &str| config.get(k).map(|v| v.unmarked().clone());
    if let Some(length) = num("length") {
        if length < 1.0 {
            problems.push((AttrPath::attr("length"), "must be at least 1".into()));
        }
        let mins = ["min_upper", "min_lower", "min_numeric", "min_special"];
        if mins.iter().all(|k| config.get(k).is_none_or(|v| !v.is_unknown())) {
            let sum: f64 = mins.iter().filter_map(|k| num(k)).sum();
            if length < sum {
                problems.push((AttrPath::attr("length"), format!("must be at least the sum of min_upper, min_lower, min_numeric and min_special ({sum})")));
            }
        }
    }
    if let (Some(Value::Bool(a)), Some(Value::Bool(b))) = (flag("number"), flag("numeric")) {
        if a != b {
            problems
                .push((AttrPath::attr("numeric"), "number and numeric are both configured with different values (number is deprecated: use numeric)".into()));
        }
    }
    // Left out, a class is on; unknown, nothing can be said yet.
    let on = |k: &str| match flag(k) {
        None | Some(Value::Null) => Some(true),
        Some(Value::Bool(b)) => Some(b),
        _ => None,
    };
    let numeric = if flag("numeric").is_none_or(|v| v.is_null()) { on("number") } else { on("numeric") };
    if [on("special"), on("upper"), on("lower"), numeric].iter().all(|v| *v == Some(false)) {
        problems.push((AttrPath::attr("numeric"), "at least one of special, upper, lower and numeric must be true".into()));
    }
    problems
}

/// Planning both types share: keepers, and `override_special` going from
/// "" to null, which is no change of the characters.
fn plan_args(prior: Option<&Value>, planned: &Value, replace: &mut Vec<AttrPath>) {
    keepers::plan_replace("keepers", prior, planned, replace);
    let Some(prior) = prior else { return };
    let (old, new) = (prior.get("override_special").cloned().unwrap_or(Value::Null), planned.get("override_special").cloned().unwrap_or(Value::Null));
    let empty_to_null = new.is_null() && old.as_str() == Some("");
    if old != new && !new.is_unknown() && !empty_to_null {
        replace.push(AttrPath::attr("override_special"));
    }
}

/// `random_string`'s attributes.
#[derive(Model, Debug, Clone, Default)]
pub struct RandomStringModel {
    #[sdk(flatten)]
    args: StringArgs,
    /// The generated random string.
    #[sdk(computed)]
    result: Option<String>,
    /// The generated random string.
    #[sdk(computed)]
    id: Option<String>,
}

/// The `random_string` resource type.
pub struct RandomString;

#[async_trait]
impl Resource<Random> for RandomString {
    type Model = RandomStringModel;
    const TYPE: &'static str = "random_string";
    const VERSION: u64 = 2;

    fn validate(&self, config: &Value) -> Vec<(AttrPath, String)> {
        validate_args(config)
    }

    async fn modify_plan(&self, _cx: &Ctx<'_, Random>, prior: Option<&Value>, planned: &mut Value, replace: &mut Vec<AttrPath>) -> Result<(), Error> {
        plan_args(prior, planned, replace);
        Ok(())
    }

    async fn create(&self, _cx: &Ctx<'_, Random>, mut planned: RandomStringModel) -> Result<RandomStringModel, Error> {
        let s = generate(&planned.args.params()?, &mut Rng::Os)?;
        planned.result = Some(s.clone());
        planned.id = Some(s);
        Ok(planned)
    }

    async fn read(&self, _cx: &Ctx<'_, Random>, current: RandomStringModel) -> Result<Option<RandomStringModel>, Error> {
        Ok(Some(current))
    }

    async fn delete(&self, _cx: &Ctx<'_, Random>, _prior: RandomStringModel) -> Result<(), Error> {
        Ok(())
    }

    /// Imported by its value; the arguments take their defaults.
    async fn import(&self, _cx: &Ctx<'_, Random>, id: &str) -> Result<Option<RandomStringModel>, Error> {
        Ok(Some(RandomStringModel { args: StringArgs::imported(id), result: Some(id.to_string()), id: Some(id.to_string()) }))
    }
}

/// `random_password`'s attributes.
#[derive(Model, Debug, Clone, Default)]
pub struct RandomPasswordModel {
    #[sdk(flatten)]
    args: StringArgs,
    /// The generated random string.
    #[sdk(computed, sensitive)]
    result: Option<String>,
    /// A bcrypt hash of the generated random string (of its first 72 bytes when longer).
    #[sdk(computed, sensitive)]
    bcrypt_hash: Option<String>,
    /// A static value used internally by Terraform, this should not be referenced in configurations.
    #[sdk(computed)]
    id: Option<String>,
}

/// Upstream's bcrypt: cost 10, the `$2a$` prefix, the first 72 bytes.
fn bcrypt_hash(password: &str) -> Result<String, Error> {
    let bytes = password.as_bytes();
    let hashed = bcrypt::hash_with_result(&bytes[..bytes.len().min(72)], 10).map_err(|e| Error::Invalid(format!("hashing the password: {e}")))?;
    Ok(hashed.format_for_version(bcrypt::Version::TwoA))
}

/// The `random_password` resource type.
pub struct RandomPassword;

#[async_trait]
impl Resource<Random> for RandomPassword {
    type Model = RandomPasswordModel;
    const TYPE: &'static str = "random_password";
    const VERSION: u64 = 3;

    fn validate(&self, config: &Value) -> Vec<(AttrPath, String)> {
        validate_args(config)
    }

    async fn modify_plan(&self, _cx: &Ctx<'_, Random>, prior: Option<&Value>, planned: &mut Value, replace: &mut Vec<AttrPath>) -> Result<(), Error> {
        plan_args(prior, planned, replace);
        Ok(())
    }

    async fn create(&self, _cx: &Ctx<'_, Random>, mut planned: RandomPasswordModel) -> Result<RandomPasswordModel, Error> {
        let s = generate(&planned.args.params()?, &mut Rng::Os)?;
        let hash = bcrypt_hash(&s)?;
        planned.result = Some(s);
        planned.bcrypt_hash = Some(hash);
        planned.id = Some("none".into());
        Ok(planned)
    }

    async fn read(&self, _cx: &Ctx<'_, Random>, current: RandomPasswordModel) -> Result<Option<RandomPasswordModel>, Error> {
        Ok(Some(current))
    }

    async fn delete(&self, _cx: &Ctx<'_, Random>, _prior: RandomPasswordModel) -> Result<(), Error> {
        Ok(())
    }

    /// Imported by its value; the arguments take their defaults.
    async fn import(&self, _cx: &Ctx<'_, Random>, id: &str) -> Result<Option<RandomPasswordModel>, Error> {
        Ok(Some(RandomPasswordModel {
            args: StringArgs::imported(id),
            result: Some(id.to_string()),
            bcrypt_hash: Some(bcrypt_hash(id)?),
            id: Some("none".into()),
        }))
    }
}

/// The ephemeral `random_password`'s attributes (hashicorp/random 3.7):
/// the resource's arguments but `keepers` and the deprecated `number`.
#[derive(Model, Debug, Clone, Default)]
pub struct EphemeralPasswordModel {
    /// The length of the string desired. The minimum value for length is 1 and, length must also be >= (`min_upper` + `min_lower` + `min_numeric` + `min_special`).
    #[sdk(required)]
    length: i64,
    /// Include special characters in the result. These are `!@#$%&*()-_=+[]{}<>:?`. Default value is `true`.
    #[sdk(optional, computed, default = true)]
    special: bool,
    /// Include uppercase alphabet characters in the result. Default value is `true`.
    #[sdk(optional, computed, default = true)]
    upper: bool,
    /// Include lowercase alphabet characters in the result. Default value is `true`.
    #[sdk(optional, computed, default = true)]
    lower: bool,
    /// Include numeric characters in the result. Default value is `true`.
    #[sdk(optional, computed, default = true)]
    numeric: bool,
    /// Minimum number of numeric characters in the result. Default value is `0`.
    #[sdk(optional, computed, default = 0i64)]
    min_numeric: i64,
    /// Minimum number of uppercase alphabet characters in the result. Default value is `0`.
    #[sdk(optional, computed, default = 0i64)]
    min_upper: i64,
    /// Minimum number of lowercase alphabet characters in the result. Default value is `0`.
    #[sdk(optional, computed, default = 0i64)]
    min_lower: i64,
    /// Minimum number of special characters in the result. Default value is `0`.
    #[sdk(optional, computed, default = 0i64)]
    min_special: i64,
    /// Supply your own list of special characters to use for string generation. The `special` argument must still be true for them to be used.
    #[sdk(optional)]
    override_special: Option<String>,
    /// The generated random string.
    #[sdk(computed, sensitive)]
    result: Option<String>,
    /// A bcrypt hash of the generated random string (of its first 72 bytes when longer).
    #[sdk(computed, sensitive)]
    bcrypt_hash: Option<String>,
}

/// `ephemeral "random_password"`: a new password on every open, kept in
/// memory only (for write-only arguments and provider configurations).
pub struct EphemeralPassword;

#[async_trait]
impl Ephemeral<Random> for EphemeralPassword {
    type Model = EphemeralPasswordModel;
    const TYPE: &'static str = "random_password";

    async fn open(&self, _cx: &Ctx<'_, Random>, mut m: EphemeralPasswordModel) -> Result<EphemeralPasswordModel, Error> {
        let n = |v: i64, what: &str| usize::try_from(v).map_err(|_| Error::Invalid(format!("{what} must not be negative")));
        let params = Params {
            length: n(m.length, "length")?,
            upper: m.upper,
            lower: m.lower,
            numeric: m.numeric,
            special: m.special,
            min_upper: n(m.min_upper, "min_upper")?,
            min_lower: n(m.min_lower, "min_lower")?,
            min_numeric: n(m.min_numeric, "min_numeric")?,
            min_special: n(m.min_special, "min_special")?,
            override_special: m.override_special.clone().unwrap_or_default(),
        };
        let s = generate(&params, &mut Rng::Os)?;
        m.bcrypt_hash = Some(bcrypt_hash(&s)?);
        m.result = Some(s);
        Ok(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(length: usize) -> Params {
        Params {
            length,
            upper: true,
            lower: true,
            numeric: true,
            special: true,
            min_upper: 0,
            min_lower: 0,
            min_numeric: 0,
            min_special: 0,
            override_special: String::new(),
        }
    }

    fn count(s: &str, set: &str) -> usize {
        s.chars().filter(|c| set.contains(*c)).count()
    }

    #[test]
    fn characters_come_from_the_enabled_classes() {
        let mut rng = Rng::Os;
        for _ in 0..20 {
            let s = generate(&Params { special: false, upper: false, ..params(64) }, &mut rng).unwrap();
            assert_eq!(s.chars().count(), 64);
            assert!(s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()), "{s}");
            let s = generate(&Params { override_special: "/~".into(), upper: false, lower: false, numeric: false, ..params(32) }, &mut rng).unwrap();
            assert!(s.chars().all(|c| c == '/' || c == '~'), "override_special replaces the special characters: {s}");
            let s = generate(&params(200), &mut rng).unwrap();
            assert!(s.chars().all(|c| c.is_ascii_alphanumeric() || SPECIAL.contains(c)), "{s}");
        }
        let none = Params { upper: false, lower: false, numeric: false, special: false, ..params(8) };
        assert!(generate(&none, &mut rng).unwrap_err().to_string().contains("character set specified is empty"));
    }

    #[test]
    fn minimums_are_met_even_for_disabled_classes() {
        let mut rng = Rng::Os;
        for _ in 0..50 {
            let p = Params { min_upper: 3, min_lower: 2, min_numeric: 4, min_special: 1, ..params(10) };
            let s = generate(&p, &mut rng).unwrap();
            assert_eq!((count(&s, UPPER), count(&s, LOWER), count(&s, NUMERIC), count(&s, SPECIAL)), (3, 2, 4, 1), "{s}");
            // As upstream: a minimum adds its class's characters even when the class is off.
            let p = Params { numeric: false, min_numeric: 2, ..params(6) };
            assert!(count(&generate(&p, &mut rng).unwrap(), NUMERIC) >= 2);
            let p = Params { special: true, override_special: "#".into(), min_special: 5, ..params(5) };
            assert_eq!(generate(&p, &mut rng).unwrap(), "#####");
        }
        let p = Params { min_upper: 3, min_lower: 3, ..params(5) };
        assert!(generate(&p, &mut rng).is_err(), "the minimums exceed the length");
    }

    #[test]
    fn numeric_and_number_share_a_value() {
        let synced = |number: Value, numeric: Value| {
            let mut v = Value::map([("number", number), ("numeric", numeric)]);
            sync_numeric(&mut v);
            (v.get("number").cloned().unwrap(), v.get("numeric").cloned().unwrap())
        };
        assert_eq!(synced(Value::Null, Value::Null), (Value::Bool(true), Value::Bool(true)));
        assert_eq!(synced(Value::Bool(false), Value::Null), (Value::Bool(false), Value::Bool(false)));
        assert_eq!(synced(Value::Null, Value::Bool(false)), (Value::Bool(false), Value::Bool(false)));
        assert_eq!(synced(Value::Null, Value::Unknown), (Value::Unknown, Value::Unknown));
        let conflict = Value::map([("length", Value::from(8.0)), ("number", Value::Bool(true)), ("numeric", Value::Bool(false))]);
        assert!(validate_args(&conflict).iter().any(|(_, m)| m.contains("different values")));
        let short = Value::map([("length", Value::from(3.0)), ("min_upper", Value::from(2.0)), ("min_lower", Value::from(2.0))]);
        assert!(validate_args(&short).iter().any(|(_, m)| m.contains("sum of")));
    }

    #[test]
    fn passwords_hash_as_upstream() {
        let h = bcrypt_hash("correct horse").unwrap();
        assert!(h.starts_with("$2a$10$"), "{h}");
        assert!(bcrypt::verify("correct horse", &h).unwrap());
        let long = "x".repeat(100);
        assert!(bcrypt::verify(&long[..72], &bcrypt_hash(&long).unwrap()).unwrap(), "the first 72 bytes are hashed");
    }
}
