//! DOKS version slugs (`1.31.1-do.5`): ordering, prefix resolution, and the
//! upgrade path (the latest patch of the current minor first, then one
//! minor at a time).

use std::cmp::Ordering;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Slug {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
    pub rev: u32,
}

impl Slug {
    pub fn parse(s: &str) -> Option<Slug> {
        let (k, rev) = match s.split_once("-do.") {
            Some((k, r)) => (k, r.parse().ok()?),
            None => (s, 0),
        };
        let mut it = k.split('.');
        let v = Slug { major: it.next()?.parse().ok()?, minor: it.next()?.parse().ok()?, patch: it.next()?.parse().ok()?, rev };
        it.next().is_none().then_some(v)
    }
    fn minor_key(&self) -> (u32, u32) {
        (self.major, self.minor)
    }
}

/// Orders two slugs; unparseable ones compare as equal (no opinion).
pub fn compare(a: &str, b: &str) -> Ordering {
    match (Slug::parse(a), Slug::parse(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        _ => Ordering::Equal,
    }
}

/// The newest of `available` whose slug starts with `prefix`.
pub fn latest_with_prefix<'a>(available: &'a [String], prefix: &str) -> Option<&'a String> {
    available.iter().filter(|v| v.starts_with(prefix)).max_by(|a, b| compare(a, b))
}

/// The next version to upgrade to on the way from `current` to `target`,
/// among the `available` upgrades of the cluster; None when there is no way.
pub fn next_step(current: &str, target: &str, available: &[String]) -> Option<String> {
    let (cur, tgt) = (Slug::parse(current)?, Slug::parse(target)?);
    if tgt <= cur {
        return None;
    }
    if available.iter().any(|a| a == target)
        && (tgt.minor_key() == cur.minor_key() || !available.iter().any(|a| Slug::parse(a).is_some_and(|s| s.minor_key() == cur.minor_key() && s > cur)))
    {
        return Some(target.to_string());
    }
    // The latest patch of the current minor first.
    let same_minor = available
        .iter()
        .filter_map(|a| Slug::parse(a).map(|s| (s, a)))
        .filter(|(s, _)| s.minor_key() == cur.minor_key() && *s > cur && *s <= tgt)
        .max_by_key(|(s, _)| *s);
    if let Some((_, a)) = same_minor {
        return Some(a.clone());
    }
    // Then the newest of the next minor that does not pass the target.
    available.iter().filter_map(|a| Slug::parse(a).map(|s| (s, a))).filter(|(s, _)| *s > cur && *s <= tgt).max_by_key(|(s, _)| *s).map(|(_, a)| a.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn upgrades_take_the_latest_patch_of_the_current_minor_first() {
        let avail = v(&["1.30.5-do.3", "1.31.1-do.4", "1.31.1-do.5"]);
        assert_eq!(next_step("1.30.4-do.0", "1.31.1-do.5", &avail).as_deref(), Some("1.30.5-do.3"));
        let avail = v(&["1.31.1-do.4", "1.31.1-do.5"]);
        assert_eq!(next_step("1.30.5-do.3", "1.31.1-do.5", &avail).as_deref(), Some("1.31.1-do.5"));
        assert_eq!(next_step("1.31.1-do.5", "1.30.4-do.0", &avail), None, "no path down");
    }

    #[test]
    fn slugs_order_and_prefixes_resolve() {
        assert_eq!(compare("1.30.10-do.0", "1.30.9-do.4"), Ordering::Greater);
        let all = v(&["1.31.1-do.4", "1.31.1-do.5", "1.30.5-do.3"]);
        assert_eq!(latest_with_prefix(&all, "1.31").map(String::as_str), Some("1.31.1-do.5"));
        assert_eq!(latest_with_prefix(&all, "1.29"), None);
    }
}
