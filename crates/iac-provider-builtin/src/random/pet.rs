//! `random_pet`: a random, readable name of `length` words joined by
//! `separator`: a name, after an adjective, after adverbs
//! ("quietly-brave-otter"), optionally after `prefix`. The word lists are
//! iac's own (upstream's names differ; a name is made once and kept, so
//! state moves either way with no change).

use std::collections::BTreeMap;

use iac_provider_sdk::prelude::*;
use iac_provider_sdk::AttrPath;

use super::{Random, Rng};
use crate::error::Error;
use crate::keepers;

const ADVERBS: &[&str] = &[
    "ably",
    "amply",
    "aptly",
    "boldly",
    "briskly",
    "busily",
    "calmly",
    "cheerily",
    "cleanly",
    "closely",
    "deftly",
    "duly",
    "eagerly",
    "easily",
    "evenly",
    "fairly",
    "firmly",
    "freely",
    "gladly",
    "gently",
    "grandly",
    "happily",
    "highly",
    "honestly",
    "jointly",
    "justly",
    "keenly",
    "kindly",
    "lightly",
    "loudly",
    "loyally",
    "merrily",
    "mildly",
    "neatly",
    "nicely",
    "openly",
    "patiently",
    "politely",
    "promptly",
    "proudly",
    "quickly",
    "quietly",
    "rapidly",
    "readily",
    "really",
    "safely",
    "secretly",
    "sharply",
    "simply",
    "smoothly",
    "softly",
    "solidly",
    "steadily",
    "strongly",
    "sweetly",
    "swiftly",
    "tenderly",
    "truly",
    "warmly",
    "wholly",
    "widely",
    "wildly",
    "wisely",
];

const ADJECTIVES: &[&str] = &[
    "able", "amazing", "amused", "ample", "apt", "awake", "balanced", "bold", "brave", "bright", "brisk", "calm", "capable", "careful", "charming", "cheerful",
    "civil", "clean", "clever", "cosmic", "cozy", "crisp", "curious", "daring", "dear", "decent", "deep", "eager", "easy", "elegant", "epic", "even", "exact",
    "fair", "famous", "fancy", "fast", "fine", "firm", "fluent", "fond", "free", "fresh", "friendly", "funny", "gentle", "giving", "glad", "golden", "good",
    "grand", "great", "happy", "hardy", "helpful", "honest", "humble", "ideal", "jolly", "joyful", "just", "keen", "kind", "large", "lasting", "legal",
    "light", "lively", "loved", "loyal", "lucky", "magic", "major", "merry", "mighty", "modern", "modest", "moral", "neat", "nice", "noble", "open", "patient",
    "perfect", "pleasant", "polite", "precious", "prime", "proud", "quick", "quiet", "rapid", "rare", "ready", "regal", "robust", "royal", "safe", "secure",
    "sharp", "shining", "simple", "smart", "smooth", "social", "solid", "sound", "special", "splendid", "stable", "steady", "still", "strong", "sturdy",
    "suited", "sunny", "super", "sure", "sweet", "swift", "tender", "tidy", "topical", "tough", "true", "trusty", "upright", "useful", "valued", "vast",
    "vital", "warm", "wise", "witty", "worthy", "young", "zesty",
];

const NAMES: &[&str] = &[
    "albatross",
    "alpaca",
    "anchovy",
    "ant",
    "antelope",
    "badger",
    "barnacle",
    "bat",
    "beagle",
    "bear",
    "beaver",
    "bee",
    "beetle",
    "bison",
    "bluejay",
    "boar",
    "bobcat",
    "buffalo",
    "bull",
    "bunny",
    "buzzard",
    "camel",
    "cardinal",
    "caribou",
    "cat",
    "catfish",
    "cheetah",
    "chicken",
    "chipmunk",
    "cicada",
    "clam",
    "cobra",
    "cod",
    "condor",
    "coral",
    "cougar",
    "cow",
    "coyote",
    "crab",
    "crane",
    "cricket",
    "crow",
    "deer",
    "dingo",
    "dodo",
    "dog",
    "dolphin",
    "donkey",
    "dove",
    "dragon",
    "duck",
    "eagle",
    "eel",
    "egret",
    "elephant",
    "elk",
    "emu",
    "falcon",
    "ferret",
    "finch",
    "firefly",
    "flamingo",
    "fox",
    "frog",
    "gazelle",
    "gecko",
    "gibbon",
    "giraffe",
    "gnu",
    "goat",
    "goose",
    "gopher",
    "gorilla",
    "grouse",
    "gull",
    "hamster",
    "hare",
    "hawk",
    "hedgehog",
    "heron",
    "hippo",
    "hornet",
    "horse",
    "hound",
    "hyena",
    "ibex",
    "ibis",
    "iguana",
    "impala",
    "jackal",
    "jaguar",
    "jay",
    "jellyfish",
    "kangaroo",
    "kingfisher",
    "kite",
    "kiwi",
    "koala",
    "krill",
    "lamb",
    "lark",
    "lemming",
    "lemur",
    "leopard",
    "lion",
    "lizard",
    "llama",
    "lobster",
    "lynx",
    "macaw",
    "magpie",
    "mallard",
    "manatee",
    "mantis",
    "marmot",
    "marten",
    "meerkat",
    "mink",
    "mole",
    "mongoose",
    "monkey",
    "moose",
    "moth",
    "mouse",
    "mule",
    "narwhal",
    "newt",
    "ocelot",
    "octopus",
    "okapi",
    "opossum",
    "orca",
    "oriole",
    "osprey",
    "ostrich",
    "otter",
    "owl",
    "ox",
    "panda",
    "panther",
    "parrot",
    "peacock",
    "pelican",
    "penguin",
    "pheasant",
    "pig",
    "pigeon",
    "platypus",
    "pony",
    "porpoise",
    "puffin",
    "puma",
    "quail",
    "rabbit",
    "raccoon",
    "ram",
    "raven",
    "reindeer",
    "robin",
    "salmon",
    "seal",
    "shark",
    "sheep",
    "shrew",
    "skunk",
    "sloth",
    "snail",
    "sparrow",
    "squid",
    "squirrel",
    "starling",
    "stork",
    "swan",
    "tapir",
    "termite",
    "tiger",
    "toad",
    "toucan",
    "trout",
    "turkey",
    "turtle",
    "viper",
    "vulture",
    "walrus",
    "wasp",
    "weasel",
    "whale",
    "wolf",
    "wombat",
    "woodpecker",
    "wren",
    "yak",
    "zebra",
];

fn word(list: &[&str], rng: &mut Rng) -> Result<String, Error> {
    Ok(list[rng.below(list.len() as u64)? as usize].to_string())
}

/// `length` words: adverbs, then an adjective, then a name.
pub fn pet_name(length: usize, separator: &str, rng: &mut Rng) -> Result<String, Error> {
    let mut words = Vec::with_capacity(length);
    for _ in 0..length.saturating_sub(2) {
        words.push(word(ADVERBS, rng)?);
    }
    if length >= 2 {
        words.push(word(ADJECTIVES, rng)?);
    }
    if length >= 1 {
        words.push(word(NAMES, rng)?);
    }
    Ok(words.join(separator))
}

/// `random_pet`'s attributes.
#[derive(Model, Debug, Clone, Default)]
pub struct RandomPetModel {
    /// The random pet name.
    #[sdk(computed)]
    id: Option<String>,
    /// Arbitrary map of values that, when changed, will trigger recreation of resource.
    #[sdk(optional)]
    keepers: Option<BTreeMap<String, Option<String>>>,
    /// The length (in words) of the pet name. Defaults to 2.
    #[sdk(optional, computed, force_new, default = 2i64)]
    length: i64,
    /// A string to prefix the name with.
    #[sdk(optional, force_new)]
    prefix: Option<String>,
    /// The character to separate words in the pet name. Defaults to "-".
    #[sdk(optional, computed, force_new, default = "-")]
    separator: String,
}

/// The `random_pet` resource type.
pub struct RandomPet;

#[async_trait]
impl Resource<Random> for RandomPet {
    type Model = RandomPetModel;
    const TYPE: &'static str = "random_pet";

    fn validate(&self, config: &Value) -> Vec<(AttrPath, String)> {
        match config.get("length").and_then(|v| v.unmarked().as_f64()) {
            Some(n) if n < 1.0 => vec![(AttrPath::attr("length"), "must be at least 1".into())],
            _ => Vec::new(),
        }
    }

    async fn modify_plan(&self, _cx: &Ctx<'_, Random>, prior: Option<&Value>, planned: &mut Value, replace: &mut Vec<AttrPath>) -> Result<(), Error> {
        keepers::plan_replace("keepers", prior, planned, replace);
        Ok(())
    }

    async fn create(&self, _cx: &Ctx<'_, Random>, mut planned: RandomPetModel) -> Result<RandomPetModel, Error> {
        let length = usize::try_from(planned.length).map_err(|_| Error::Invalid("length must be at least 1".into()))?;
        let pet = pet_name(length, &planned.separator, &mut Rng::Os)?;
        planned.id = Some(match planned.prefix.as_deref().filter(|p| !p.is_empty()) {
            Some(prefix) => format!("{prefix}{}{pet}", planned.separator),
            None => pet,
        });
        Ok(planned)
    }

    async fn read(&self, _cx: &Ctx<'_, Random>, current: RandomPetModel) -> Result<Option<RandomPetModel>, Error> {
        Ok(Some(current))
    }

    async fn delete(&self, _cx: &Ctx<'_, Random>, _prior: RandomPetModel) -> Result<(), Error> {
        Ok(())
    }

    /// As upstream: a pet name cannot be imported.
    async fn import(&self, _cx: &Ctx<'_, Random>, _id: &str) -> Result<Option<RandomPetModel>, Error> {
        Err(Error::Invalid("random_pet does not support import".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_adverbs_then_an_adjective_then_a_name() {
        let mut rng = Rng::Os;
        for length in 1..6 {
            let name = pet_name(length, "_", &mut rng).unwrap();
            let words: Vec<&str> = name.split('_').collect();
            assert_eq!(words.len(), length, "{name}");
            assert!(NAMES.contains(words.last().unwrap()), "{name}");
            if length >= 2 {
                assert!(ADJECTIVES.contains(&words[length - 2]), "{name}");
            }
            assert!(words[..length.saturating_sub(2)].iter().all(|w| ADVERBS.contains(w)), "{name}");
        }
        for list in [ADVERBS, ADJECTIVES, NAMES] {
            assert!(list.iter().all(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase())));
        }
    }
}
