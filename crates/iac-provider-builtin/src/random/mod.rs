//! Provider `random`, after hashicorp/random: `random_id`, `random_string`,
//! `random_password`, `random_pet`, `random_integer`, `random_shuffle`,
//! `random_uuid` and `random_bytes`, and the ephemeral `random_password`
//! (a new password on every open, never stored). Every value is made once, on create,
//! and kept in state; every argument but `keepers` replaces the object, and
//! `keepers` does when its values change (see [`crate::keepers`]). Values
//! come from the operating system's random source, except where a `seed`
//! asks for a repeatable sequence.

mod bytes;
mod id;
mod integer;
mod pet;
mod shuffle;
mod string;
mod uuid;

use iac_core::provider::{ConfigureRequest, ProviderError};
use iac_provider_sdk::prelude::*;
use iac_provider_sdk::schema::Block;

use crate::error::Error;

/// The configured `random` provider: nothing to configure.
pub struct Random;

impl Configured for Random {
    type Error = Error;
    const NAME: &'static str = "random";

    /// `random_string` and `random_password` have `numeric` and its
    /// deprecated twin `number`: one set gives the other its value, and
    /// both default to true.
    fn prepare_config(&self, block: &Block, config: &mut Value) {
        if block.attributes.contains_key("number") && block.attributes.contains_key("numeric") {
            string::sync_numeric(config);
        }
    }
}

#[async_trait]
impl Configure for Random {
    fn types() -> Types<Random> {
        Types::new()
            .resource(id::RandomId)
            .resource(string::RandomString)
            .resource(string::RandomPassword)
            .resource(pet::RandomPet)
            .resource(integer::RandomInteger)
            .resource(shuffle::RandomShuffle)
            .resource(uuid::RandomUuid)
            .resource(bytes::RandomBytes)
            .ephemeral(string::EphemeralPassword)
    }
    async fn configure(_req: &ConfigureRequest) -> Result<Random, ProviderError> {
        Ok(Random)
    }
}

/// Random bytes from the operating system.
pub fn os_bytes(n: usize) -> Result<Vec<u8>, Error> {
    let mut buf = vec![0u8; n];
    getrandom::fill(&mut buf).map_err(|e| Error::Invalid(format!("reading the system's random source: {e}")))?;
    Ok(buf)
}

/// A source of uniformly distributed numbers: the operating system's, or a
/// repeatable sequence from a seed.
pub enum Rng {
    /// The operating system's random source.
    Os,
    /// SplitMix64 from a seed: the same seed gives the same sequence.
    Seeded(u64),
}

/// The CRC-64 (ISO polynomial) of a seed text: what upstream seeds with.
fn crc64_iso(text: &str) -> u64 {
    let mut crc = !0u64;
    for b in text.bytes() {
        crc ^= u64::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xD800_0000_0000_0000 } else { crc >> 1 };
        }
    }
    !crc
}

impl Rng {
    /// The operating system's source, or the sequence of `seed` when one is given.
    pub fn seeded(seed: Option<&str>) -> Rng {
        match seed.filter(|s| !s.is_empty()) {
            Some(s) => Rng::Seeded(crc64_iso(s)),
            None => Rng::Os,
        }
    }

    fn next_u64(&mut self) -> Result<u64, Error> {
        match self {
            Rng::Os => {
                let b = os_bytes(8)?;
                Ok(u64::from_le_bytes(b.try_into().expect("eight bytes")))
            }
            Rng::Seeded(state) => {
                *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let mut z = *state;
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                Ok(z ^ (z >> 31))
            }
        }
    }

    /// A number in `0..n` (n > 0), every one equally likely.
    pub fn below(&mut self, n: u64) -> Result<u64, Error> {
        assert!(n > 0, "below(0)");
        // Reject the top of the range that would favour small numbers.
        let zone = u64::MAX - u64::MAX % n;
        loop {
            let x = self.next_u64()?;
            if x < zone {
                return Ok(x % n);
            }
        }
    }

    /// Shuffles a slice in place (Fisher-Yates).
    pub fn shuffle<T>(&mut self, items: &mut [T]) -> Result<(), Error> {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1)? as usize;
            items.swap(i, j);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_repeat_and_numbers_stay_in_range() {
        assert_eq!(crc64_iso("123456789"), 0xB909_56C7_75A4_1001, "the CRC-64/GO-ISO check value");
        let draw = |seed| {
            let mut r = Rng::seeded(Some(seed));
            (0..20).map(|_| r.below(1000).unwrap()).collect::<Vec<_>>()
        };
        assert_eq!(draw("a"), draw("a"), "a seed repeats");
        assert_ne!(draw("a"), draw("b"));
        let mut os = Rng::seeded(None);
        assert!(matches!(os, Rng::Os));
        let mut seen = [false; 5];
        for _ in 0..200 {
            seen[os.below(5).unwrap() as usize] = true;
        }
        assert!(seen.iter().all(|s| *s), "every value comes up: {seen:?}");
    }
}
