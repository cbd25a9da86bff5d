//! What the simulated cloud offers: Kubernetes versions, regions, node
//! sizes (with their figures and prices for `/v2/sizes`), and which
//! versions a cluster may upgrade to.

use std::cmp::Ordering;

use serde_json::{json, Value};

/// A DOKS version slug such as `1.31.1-do.5`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
    pub rev: u32,
}

impl Version {
    pub fn parse(slug: &str) -> Option<Version> {
        let (k8s, rev) = match slug.split_once("-do.") {
            Some((k, r)) => (k, r.parse().ok()?),
            None => (slug, 0),
        };
        let mut it = k8s.split('.');
        let v = Version { major: it.next()?.parse().ok()?, minor: it.next()?.parse().ok()?, patch: it.next()?.parse().ok()?, rev };
        it.next().is_none().then_some(v)
    }

    pub fn same_minor(&self, o: &Version) -> bool {
        self.major == o.major && self.minor == o.minor
    }
}

/// Oldest first.
pub const VERSIONS: &[&str] = &["1.29.9-do.0", "1.29.10-do.1", "1.30.4-do.0", "1.30.5-do.3", "1.31.1-do.4", "1.31.1-do.5", "1.32.2-do.0"];

pub const REGIONS: &[(&str, &str)] = &[
    ("nyc1", "New York 1"),
    ("nyc3", "New York 3"),
    ("sfo3", "San Francisco 3"),
    ("ams3", "Amsterdam 3"),
    ("fra1", "Frankfurt 1"),
    ("lon1", "London 1"),
    ("sgp1", "Singapore 1"),
    ("tor1", "Toronto 1"),
];

pub const SIZES: &[(&str, &str)] = &[
    ("s-1vcpu-2gb", "s-1vcpu-2gb"),
    ("s-2vcpu-2gb", "s-2vcpu-2gb"),
    ("s-2vcpu-4gb", "s-2vcpu-4gb"),
    ("s-4vcpu-8gb", "s-4vcpu-8gb"),
    ("c-4", "c-4"),
    ("g-2vcpu-8gb", "g-2vcpu-8gb"),
];

pub fn is_version(slug: &str) -> bool {
    VERSIONS.contains(&slug)
}
pub fn is_region(slug: &str) -> bool {
    REGIONS.iter().any(|(s, _)| *s == slug)
}
pub fn is_size(slug: &str) -> bool {
    SIZES.iter().any(|(s, _)| *s == slug)
}

/// The newest version (the default for `latest`).
pub fn latest() -> &'static str {
    VERSIONS[VERSIONS.len() - 1]
}

pub fn version_json(slug: &str) -> Value {
    let k8s = slug.split_once("-do.").map(|(k, _)| k).unwrap_or(slug);
    json!({"slug": slug, "kubernetes_version": k8s, "supported_features": ["cluster-autoscaler", "docr-integration", "ha-control-plane"]})
}

/// Versions a cluster on `current` may upgrade to: newer patches of its
/// minor, and the next minor (DigitalOcean upgrades one minor at a time).
pub fn upgrades_from(current: &str) -> Vec<&'static str> {
    let Some(cur) = Version::parse(current) else { return Vec::new() };
    VERSIONS
        .iter()
        .copied()
        .filter(|s| Version::parse(s).is_some_and(|v| v.cmp(&cur) == Ordering::Greater && v.major == cur.major && v.minor <= cur.minor + 1))
        .collect()
}

pub fn options_json() -> Value {
    json!({"options": {
        "regions": REGIONS.iter().map(|(s, n)| json!({"name": n, "slug": s})).collect::<Vec<_>>(),
        "versions": VERSIONS.iter().rev().map(|s| version_json(s)).collect::<Vec<_>>(),
        "sizes": SIZES.iter().map(|(s, n)| json!({"name": n, "slug": s})).collect::<Vec<_>>(),
    }})
}

/// A Droplet size's figures from its slug (`s-2vcpu-4gb`: 2 vCPUs, 4 GiB).
fn size_figures(slug: &str) -> (u64, u64) {
    let mut vcpus = 1;
    let mut gib = 1;
    for part in slug.split('-') {
        if let Some(n) = part.strip_suffix("vcpu").and_then(|n| n.parse().ok()) {
            vcpus = n;
        }
        if let Some(n) = part.strip_suffix("gb").and_then(|n| n.parse().ok()) {
            gib = n;
        }
    }
    if let Some(n) = slug.strip_prefix("c-").and_then(|n| n.parse().ok()) {
        (vcpus, gib) = (n, n * 2);
    }
    (vcpus, gib)
}

/// `GET /v2/sizes`' items: every size in every region.
pub fn sizes_json() -> Vec<Value> {
    SIZES
        .iter()
        .map(|(slug, _)| {
            let (vcpus, gib) = size_figures(slug);
            let monthly = (6 * gib) as f64;
            json!({
                "slug": slug, "memory": gib * 1024, "vcpus": vcpus, "disk": gib * 25, "transfer": (gib as f64).max(1.0),
                "price_monthly": monthly, "price_hourly": (monthly / 672.0 * 100_000.0).round() / 100_000.0,
                "regions": REGIONS.iter().map(|(r, _)| *r).collect::<Vec<_>>(), "available": true,
                "description": if slug.starts_with("s-") { "Basic" } else if slug.starts_with("c-") { "CPU-Optimized" } else { "General Purpose" },
            })
        })
        .collect()
}

/// `GET /v2/regions`' items.
pub fn regions_json() -> Vec<Value> {
    REGIONS
        .iter()
        .map(|(slug, name)| {
            json!({
                "slug": slug, "name": name, "available": true,
                "features": ["backups", "ipv6", "metadata", "install_agent", "storage", "image_transfer"],
                "sizes": SIZES.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_and_order() {
        let a = Version::parse("1.31.1-do.4").unwrap();
        let b = Version::parse("1.31.1-do.5").unwrap();
        assert!(a < b);
        assert!(Version::parse("1.30.10-do.0").unwrap() > Version::parse("1.30.9-do.9").unwrap());
        assert_eq!(Version::parse("nope"), None);
        assert_eq!(Version::parse("1.2.3.4"), None);
    }

    #[test]
    fn upgrades_go_one_minor_at_a_time() {
        assert_eq!(upgrades_from("1.29.9-do.0"), vec!["1.29.10-do.1", "1.30.4-do.0", "1.30.5-do.3"]);
        assert_eq!(upgrades_from("1.32.2-do.0"), Vec::<&str>::new());
    }
}
