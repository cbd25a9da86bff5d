//! Provider versions and Terraform's version constraint syntax
//! (`>= 1.2.0, < 2.0.0`, `~> 5.0`, `= 5.100.0`, `!= 5.1.0`).

use std::cmp::Ordering;
use std::fmt;

use crate::InstallError;

/// A semantic version; a pre-release sorts before its release.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Version {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
    pub pre: String,
}

impl Version {
    pub fn parse(text: &str) -> Result<Version, InstallError> {
        let bad = || InstallError::BadVersion(text.to_string());
        let t = text.trim().trim_start_matches('v');
        let (core, pre) = match t.split_once('-') {
            Some((c, p)) => (c, p.to_string()),
            None => (t, String::new()),
        };
        // Build metadata never affects precedence.
        let pre = pre.split('+').next().unwrap_or("").to_string();
        let core = core.split('+').next().unwrap_or("");
        let nums: Vec<&str> = core.split('.').collect();
        if nums.is_empty() || nums.len() > 3 || nums.iter().any(|n| n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit())) {
            return Err(bad());
        }
        let num = |i: usize| nums.get(i).map(|n| n.parse::<u64>().map_err(|_| bad())).unwrap_or(Ok(0));
        Ok(Version { major: num(0)?, minor: num(1)?, patch: num(2)?, pre })
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.patch).cmp(&(other.major, other.minor, other.patch)).then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => self.pre.cmp(&other.pre),
        })
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if !self.pre.is_empty() {
            write!(f, "-{}", self.pre)?;
        }
        Ok(())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    /// `~>`: the rightmost given part may grow.
    Pessimistic,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Constraint {
    op: Op,
    version: Version,
    /// How many parts the constraint wrote (`~> 1.2` has 2).
    parts: usize,
}

/// A conjunction of constraints, as one `version` argument or several
/// modules' requirements together.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Constraints(Vec<Constraint>);

impl Constraints {
    pub fn parse(text: &str) -> Result<Constraints, InstallError> {
        let mut out = Vec::new();
        for piece in text.split(',') {
            let piece = piece.trim();
            if piece.is_empty() {
                return Err(InstallError::BadConstraint { text: text.to_string(), why: "an empty constraint".into() });
            }
            let (op, rest) = [("~>", Op::Pessimistic), (">=", Op::Ge), ("<=", Op::Le), ("!=", Op::Ne), (">", Op::Gt), ("<", Op::Lt), ("=", Op::Eq)]
                .iter()
                .find_map(|(sym, op)| piece.strip_prefix(sym).map(|r| (*op, r)))
                .unwrap_or((Op::Eq, piece));
            let rest = rest.trim();
            let version =
                Version::parse(rest).map_err(|_| InstallError::BadConstraint { text: text.to_string(), why: format!("{rest:?} is not a version") })?;
            let parts = rest.split('-').next().unwrap_or("").split('.').count();
            out.push(Constraint { op, version, parts });
        }
        Ok(Constraints(out))
    }

    /// Joins two sets of constraints (every one must hold).
    pub fn and(mut self, other: &Constraints) -> Constraints {
        self.0.extend(other.0.iter().cloned());
        self
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether a version satisfies every constraint. As Terraform, a
    /// pre-release is chosen only when a constraint names it exactly.
    pub fn allows(&self, v: &Version) -> bool {
        if !v.pre.is_empty() && !self.0.iter().any(|c| c.op == Op::Eq && c.version == *v) {
            return false;
        }
        self.0.iter().all(|c| c.allows(v))
    }

    /// The canonical form Terraform writes into the lock file's
    /// `constraints`: duplicates dropped, sorted by version then operator
    /// (lower bounds first), every version written in full except a
    /// two-part `~>` (`>= 1.2, < 2` becomes `>= 1.2.0, < 2.0.0`).
    pub fn canonical(&self) -> String {
        let priority = |op: Op, parts: usize| match op {
            Op::Gt => 1,
            Op::Ge => 2,
            Op::Eq => 3,
            Op::Pessimistic if parts >= 3 => 4,
            Op::Pessimistic => 5,
            Op::Le => 6,
            Op::Lt => 7,
            Op::Ne => 8,
        };
        let mut items: Vec<(Version, u8, String)> = self
            .0
            .iter()
            .map(|c| {
                let prio = priority(c.op, c.parts);
                let v = &c.version;
                let text = if prio == 5 { format!("{}.{}", v.major, v.minor) } else { v.to_string() };
                let op = match c.op {
                    Op::Eq => "",
                    Op::Ne => "!= ",
                    Op::Gt => "> ",
                    Op::Ge => ">= ",
                    Op::Lt => "< ",
                    Op::Le => "<= ",
                    Op::Pessimistic => "~> ",
                };
                (v.clone(), prio, format!("{op}{text}"))
            })
            .collect();
        items.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
        items.dedup_by(|a, b| a.2 == b.2);
        items.into_iter().map(|i| i.2).collect::<Vec<_>>().join(", ")
    }

    /// The newest of `versions` that the constraints allow.
    pub fn newest<'a>(&self, versions: impl IntoIterator<Item = &'a Version>) -> Option<&'a Version> {
        versions.into_iter().filter(|v| self.allows(v)).max()
    }
}

impl Constraint {
    fn allows(&self, v: &Version) -> bool {
        let c = &self.version;
        match self.op {
            Op::Eq => v == c,
            Op::Ne => v != c,
            Op::Gt => v > c,
            Op::Ge => v >= c,
            Op::Lt => v < c,
            Op::Le => v <= c,
            Op::Pessimistic => {
                if v < c {
                    return false;
                }
                match self.parts {
                    // `~> 1` and `~> 1.2` keep the major version.
                    1 | 2 => v.major == c.major,
                    // `~> 1.2.3` keeps major and minor.
                    _ => v.major == c.major && v.minor == c.minor,
                }
            }
        }
    }
}

impl fmt::Display for Constraints {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|c| {
                let op = match c.op {
                    Op::Eq => "",
                    Op::Ne => "!= ",
                    Op::Gt => "> ",
                    Op::Ge => ">= ",
                    Op::Lt => "< ",
                    Op::Le => "<= ",
                    Op::Pessimistic => "~> ",
                };
                let v = &c.version;
                let text = match c.parts {
                    1 => format!("{}", v.major),
                    2 => format!("{}.{}", v.major, v.minor),
                    _ => v.to_string(),
                };
                format!("{op}{text}")
            })
            .collect();
        f.write_str(&parts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_files_form_is_terraforms_canonical_one() {
        let c = |t: &str| Constraints::parse(t).unwrap().canonical();
        assert_eq!(c("< 1.2"), "< 1.2.0");
        assert_eq!(c("~> 1.0"), "~> 1.0");
        assert_eq!(c("~> 1"), "~> 1.0");
        assert_eq!(c("~> 1.2.3"), "~> 1.2.3");
        assert_eq!(c("< 2, >= 1.2, 1.5"), ">= 1.2.0, 1.5.0, < 2.0.0");
        assert_eq!(c(">= 2.0, >= 2, != 2.1.0"), ">= 2.0.0, != 2.1.0");
        assert_eq!(c("= 1.0.0"), "1.0.0");
    }

    fn allows(c: &str, v: &str) -> bool {
        Constraints::parse(c).unwrap().allows(&Version::parse(v).unwrap())
    }

    #[test]
    fn constraints_follow_terraform() {
        assert!(allows("~> 5.0", "5.100.0"));
        assert!(!allows("~> 5.0", "6.0.0"));
        assert!(!allows("~> 5.0", "4.9.0"));
        assert!(allows("~> 5.100.0", "5.100.7"));
        assert!(!allows("~> 5.100.0", "5.101.0"));
        assert!(allows(">= 4.0, < 6.0", "5.100.0"));
        assert!(!allows(">= 4.0, != 5.100.0", "5.100.0"));
        assert!(allows("5.100.0", "5.100.0"));
        assert!(allows("= 5.100.0", "5.100.0"));
        assert!(!allows("> 5.100.0", "5.100.0"));
        assert!(!allows(">= 1.0", "2.0.0-beta1"), "pre-releases only when named exactly");
        assert!(allows("= 2.0.0-beta1", "2.0.0-beta1"));
        assert!(Constraints::parse(">= banana").is_err());
        assert!(Constraints::parse(">= 1.0,").is_err());
        assert_eq!(Constraints::parse("~>5.0,>=5.1.0").unwrap().to_string(), "~> 5.0, >= 5.1.0");
    }

    #[test]
    fn the_newest_allowed_version_is_chosen() {
        let vs: Vec<Version> = ["5.99.0", "5.100.0", "6.0.0", "6.1.0-rc1"].iter().map(|v| Version::parse(v).unwrap()).collect();
        assert_eq!(Constraints::parse("~> 5.0").unwrap().newest(&vs).unwrap().to_string(), "5.100.0");
        assert_eq!(Constraints::default().newest(&vs).unwrap().to_string(), "6.0.0");
        assert!(Version::parse("5.100.0").unwrap() > Version::parse("5.99.1").unwrap());
    }
}
