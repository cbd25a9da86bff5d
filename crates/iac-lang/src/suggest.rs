//! "Did you mean" hints, with bounded work: an error path must stay linear
//! in its input however large the name is (the campaign's 8,000-character
//! undeclared name took 16 s in a debug build; the similarity of two strings
//! costs the product of their lengths).
//!
//! Bounds: a name longer than [`MAX_NAME`] characters gets no hint (nobody
//! mistyped it), a candidate whose length differs too much to reach the
//! similarity threshold is skipped before any comparison, and at most
//! [`MAX_CANDIDATES`] candidates are compared.

/// Longest name (in characters) that gets a hint.
pub const MAX_NAME: usize = 64;
/// Most candidates compared for one hint.
pub const MAX_CANDIDATES: usize = 1_000;
/// Similarity (`similar`'s ratio: 2 × matches / total length) a hint needs.
const THRESHOLD: f32 = 0.7;

/// The candidate most like `name`, if any is like enough.
pub fn best<'a>(name: &str, candidates: impl Iterator<Item = &'a String>) -> Option<&'a String> {
    let n = name.chars().count();
    if n == 0 || n > MAX_NAME {
        return None;
    }
    candidates
        .take(MAX_CANDIDATES)
        .filter(|c| {
            // ratio <= 2 × min(n, m) / (n + m): skip what cannot reach it.
            let m = c.chars().count();
            m <= MAX_NAME && (2 * n.min(m)) as f32 >= THRESHOLD * (n + m) as f32
        })
        .map(|c| (similar::TextDiff::from_chars(name, c.as_str()).ratio(), c))
        .filter(|(r, _)| *r >= THRESHOLD)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// ` (did you mean "x"?)` for a near miss, else nothing.
pub fn hint<'a>(name: &str, candidates: impl Iterator<Item = &'a String>) -> String {
    match best(name, candidates) {
        Some(c) => format!(" (did you mean {c:?}?)"),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn near_misses_are_suggested() {
        let c = names(&["instance_type", "ami", "tags"]);
        assert_eq!(hint("instance_typ", c.iter()), " (did you mean \"instance_type\"?)");
        assert_eq!(hint("tag", c.iter()), " (did you mean \"tags\"?)");
        assert_eq!(hint("completely_else", c.iter()), "");
    }

    #[test]
    fn huge_names_and_many_candidates_stay_fast() {
        // Debug build: each of these used to take seconds to minutes.
        let cands: Vec<String> = (0..50_000).map(|i| format!("{}{i}", "y".repeat(60))).collect();
        let huge = "y".repeat(1_000_000);
        let start = std::time::Instant::now();
        assert_eq!(hint(&huge, cands.iter()), "");
        assert_eq!(hint(&"y".repeat(8_000), cands.iter()), "");
        assert!(hint(&"y".repeat(62), cands.iter()).contains("did you mean"));
        assert!(start.elapsed() < std::time::Duration::from_secs(2), "took {:?}", start.elapsed());
    }

    #[test]
    fn only_the_first_candidates_are_compared() {
        let mut c: Vec<String> = (0..MAX_CANDIDATES).map(|i| format!("zz{i}")).collect();
        c.push("instance_type".into());
        assert_eq!(hint("instance_typ", c.iter()), "", "the candidate past the bound is not compared");
    }
}
