//! `required_version` constraints (`>= 1.5, < 2.0`, `~> 1.6`) checked
//! against the Terraform language version iac implements.

/// The Terraform version whose language iac implements.
pub const LANGUAGE_VERSION: (u64, u64, u64) = (1, 11, 4);

fn parse(v: &str) -> Option<(u64, u64, u64)> {
    let mut it = v.trim().trim_start_matches('v').split('.');
    let a = it.next()?.parse().ok()?;
    let b = it.next().map(|x| x.parse().ok()).unwrap_or(Some(0))?;
    let c = it.next().map(|x| x.split('-').next().unwrap_or("0").parse().ok()).unwrap_or(Some(0))?;
    Some((a, b, c))
}

/// Ok when the implemented language version satisfies the constraint.
pub fn check(constraint: &str) -> Result<(), String> {
    let v = LANGUAGE_VERSION;
    for part in constraint.split(',') {
        let part = part.trim();
        let (op, rest) = ["~>", ">=", "<=", "!=", ">", "<", "="].iter().find_map(|op| part.strip_prefix(op).map(|r| (*op, r))).unwrap_or(("=", part));
        let want = parse(rest).ok_or_else(|| format!("invalid version constraint {part:?}"))?;
        let ok = match op {
            ">=" => v >= want,
            "<=" => v <= want,
            ">" => v > want,
            "<" => v < want,
            "!=" => v != want,
            "=" => v == want,
            "~>" => {
                let segments = rest.trim().split('.').count();
                v >= want && if segments >= 3 { v.0 == want.0 && v.1 == want.1 } else { v.0 == want.0 }
            }
            _ => unreachable!("listed above"),
        };
        if !ok {
            return Err(format!("this stack requires version {constraint}, and iac implements the language of {}.{}.{}", v.0, v.1, v.2));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn constraints() {
        assert!(super::check(">= 1.5.0").is_ok());
        assert!(super::check(">= 1.5, < 2.0").is_ok());
        assert!(super::check("~> 1.6").is_ok());
        assert!(super::check("~> 1.6.0").is_err());
        assert!(super::check(">= 2.0").is_err());
        assert!(super::check("banana").is_err());
    }
}
