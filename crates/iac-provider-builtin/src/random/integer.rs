//! `random_integer`: a random whole number in `min..=max`, repeatable with
//! a `seed`.

use std::collections::BTreeMap;

use iac_provider_sdk::prelude::*;
use iac_provider_sdk::AttrPath;

use super::{Random, Rng};
use crate::error::Error;
use crate::keepers;

/// `random_integer`'s attributes.
#[derive(Model, Debug, Clone, Default)]
pub struct RandomIntegerModel {
    /// The string representation of the integer result.
    #[sdk(computed)]
    id: Option<String>,
    /// Arbitrary map of values that, when changed, will trigger recreation of resource.
    #[sdk(optional)]
    keepers: Option<BTreeMap<String, Option<String>>>,
    /// The minimum inclusive value of the range.
    #[sdk(required, force_new)]
    min: i64,
    /// The maximum inclusive value of the range.
    #[sdk(required, force_new)]
    max: i64,
    /// A custom seed to always produce the same value.
    #[sdk(optional, force_new)]
    seed: Option<String>,
    /// The random integer result.
    #[sdk(computed)]
    result: Option<i64>,
}

/// A number in `min..=max` from `rng`.
pub fn between(min: i64, max: i64, rng: &mut Rng) -> Result<i64, Error> {
    if max < min {
        return Err(Error::Invalid(format!("the minimum ({min}) must be smaller than or equal to the maximum ({max})")));
    }
    let span = (max as i128 - min as i128 + 1) as u128;
    let offset = if span > u128::from(u64::MAX) { rng.below(u64::MAX)? } else { rng.below(span as u64)? };
    Ok((min as i128 + offset as i128) as i64)
}

/// The `random_integer` resource type.
pub struct RandomInteger;

#[async_trait]
impl Resource<Random> for RandomInteger {
    type Model = RandomIntegerModel;
    const TYPE: &'static str = "random_integer";

    fn validate(&self, config: &Value) -> Vec<(AttrPath, String)> {
        let num = |k: &str| config.get(k).and_then(|v| v.unmarked().as_f64());
        match (num("min"), num("max")) {
            (Some(min), Some(max)) if max < min => {
                vec![(AttrPath::attr("max"), format!("the minimum ({min}) must be smaller than or equal to the maximum ({max})"))]
            }
            _ => Vec::new(),
        }
    }

    async fn modify_plan(&self, _cx: &Ctx<'_, Random>, prior: Option<&Value>, planned: &mut Value, replace: &mut Vec<AttrPath>) -> Result<(), Error> {
        keepers::plan_replace("keepers", prior, planned, replace);
        Ok(())
    }

    async fn create(&self, _cx: &Ctx<'_, Random>, mut planned: RandomIntegerModel) -> Result<RandomIntegerModel, Error> {
        let n = between(planned.min, planned.max, &mut Rng::seeded(planned.seed.as_deref()))?;
        planned.result = Some(n);
        planned.id = Some(n.to_string());
        Ok(planned)
    }

    async fn read(&self, _cx: &Ctx<'_, Random>, current: RandomIntegerModel) -> Result<Option<RandomIntegerModel>, Error> {
        Ok(Some(current))
    }

    async fn delete(&self, _cx: &Ctx<'_, Random>, _prior: RandomIntegerModel) -> Result<(), Error> {
        Ok(())
    }

    /// Imported by `RESULT,MIN,MAX` or `RESULT,MIN,MAX,SEED`.
    async fn import(&self, _cx: &Ctx<'_, Random>, id: &str) -> Result<Option<RandomIntegerModel>, Error> {
        let parts: Vec<&str> = id.split(',').collect();
        if parts.len() != 3 && parts.len() != 4 {
            return Err(Error::Invalid(format!("cannot import random_integer {id:?}: expecting RESULT,MIN,MAX or RESULT,MIN,MAX,SEED")));
        }
        let int = |i: usize, what: &str| {
            parts[i]
                .parse::<i64>()
                .map_err(|e| Error::Invalid(format!("cannot import random_integer {id:?}: the {what} {:?} is not an integer: {e}", parts[i])))
        };
        Ok(Some(RandomIntegerModel {
            id: Some(parts[0].to_string()),
            keepers: None,
            result: Some(int(0, "result")?),
            min: int(1, "min")?,
            max: int(2, "max")?,
            seed: parts.get(3).map(|s| s.to_string()),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_stay_in_range_and_seeds_repeat() {
        let mut rng = Rng::Os;
        for _ in 0..200 {
            let n = between(-3, 3, &mut rng).unwrap();
            assert!((-3..=3).contains(&n));
        }
        assert_eq!(between(7, 7, &mut rng).unwrap(), 7);
        assert!(between(i64::MIN, i64::MAX, &mut rng).is_ok());
        assert!(between(2, 1, &mut rng).unwrap_err().to_string().contains("smaller than or equal"));
        let seeded = || between(1, 1_000_000, &mut Rng::seeded(Some("stable"))).unwrap();
        assert_eq!(seeded(), seeded());
    }
}
