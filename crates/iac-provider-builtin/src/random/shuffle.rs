//! `random_shuffle`: the `input` list in a random order (repeatable with a
//! `seed`), `result_count` items long (the input repeats, reshuffled, when
//! longer than it).

use std::collections::BTreeMap;

use iac_provider_sdk::prelude::*;
use iac_provider_sdk::AttrPath;

use super::{Random, Rng};
use crate::error::Error;
use crate::keepers;

/// `random_shuffle`'s attributes.
#[derive(Model, Debug, Clone, Default)]
pub struct RandomShuffleModel {
    /// A static value used internally by Terraform, this should not be referenced in configurations.
    #[sdk(computed)]
    id: Option<String>,
    /// Arbitrary map of values that, when changed, will trigger recreation of resource.
    #[sdk(optional)]
    keepers: Option<BTreeMap<String, Option<String>>>,
    /// Arbitrary string with which to seed the random number generator, in order to produce less-volatile permutations.
    #[sdk(optional, force_new)]
    seed: Option<String>,
    /// The list of strings to shuffle.
    #[sdk(required, force_new)]
    input: Vec<String>,
    /// The number of results to return. Defaults to the number of items in the `input` list.
    #[sdk(optional, force_new)]
    result_count: Option<i64>,
    /// Random permutation of the list of strings given in `input`.
    #[sdk(computed)]
    result: Option<Vec<String>>,
}

/// `count` items of `input`, shuffled; whole permutations follow each
/// other until there are enough.
pub fn shuffled(input: &[String], count: usize, rng: &mut Rng) -> Result<Vec<String>, Error> {
    let mut out = Vec::with_capacity(count);
    if input.is_empty() {
        return Ok(out);
    }
    while out.len() < count {
        let mut perm: Vec<&String> = input.iter().collect();
        rng.shuffle(&mut perm)?;
        out.extend(perm.into_iter().take(count - out.len()).cloned());
    }
    Ok(out)
}

/// The `random_shuffle` resource type.
pub struct RandomShuffle;

#[async_trait]
impl Resource<Random> for RandomShuffle {
    type Model = RandomShuffleModel;
    const TYPE: &'static str = "random_shuffle";

    fn validate(&self, config: &Value) -> Vec<(AttrPath, String)> {
        match config.get("result_count").and_then(|v| v.unmarked().as_f64()) {
            Some(n) if n < 0.0 => vec![(AttrPath::attr("result_count"), "must not be negative".into())],
            _ => Vec::new(),
        }
    }

    async fn modify_plan(&self, _cx: &Ctx<'_, Random>, prior: Option<&Value>, planned: &mut Value, replace: &mut Vec<AttrPath>) -> Result<(), Error> {
        keepers::plan_replace("keepers", prior, planned, replace);
        Ok(())
    }

    async fn create(&self, _cx: &Ctx<'_, Random>, mut planned: RandomShuffleModel) -> Result<RandomShuffleModel, Error> {
        let count = match planned.result_count {
            Some(n) => usize::try_from(n).map_err(|_| Error::Invalid("result_count must not be negative".into()))?,
            None => planned.input.len(),
        };
        planned.result = Some(shuffled(&planned.input, count, &mut Rng::seeded(planned.seed.as_deref()))?);
        planned.id = Some("-".into());
        Ok(planned)
    }

    async fn read(&self, _cx: &Ctx<'_, Random>, current: RandomShuffleModel) -> Result<Option<RandomShuffleModel>, Error> {
        Ok(Some(current))
    }

    async fn delete(&self, _cx: &Ctx<'_, Random>, _prior: RandomShuffleModel) -> Result<(), Error> {
        Ok(())
    }

    /// As upstream: a shuffle cannot be imported.
    async fn import(&self, _cx: &Ctx<'_, Random>, _id: &str) -> Result<Option<RandomShuffleModel>, Error> {
        Err(Error::Invalid("random_shuffle does not support import".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shuffles_keep_the_items_and_repeat_whole_permutations() {
        let input: Vec<String> = ["a", "b", "c", "d"].iter().map(|s| s.to_string()).collect();
        let mut rng = Rng::Os;
        let mut one = shuffled(&input, 4, &mut rng).unwrap();
        one.sort();
        assert_eq!(one, input);
        let seven = shuffled(&input, 7, &mut rng).unwrap();
        let mut first = seven[..4].to_vec();
        first.sort();
        assert_eq!(first, input, "the first four are a whole permutation");
        assert_eq!(shuffled(&input, 2, &mut rng).unwrap().len(), 2);
        assert!(shuffled(&[], 3, &mut rng).unwrap().is_empty());
        let seeded = || shuffled(&input, 4, &mut Rng::seeded(Some("s"))).unwrap();
        assert_eq!(seeded(), seeded());
    }
}
