//! `required_version` constraints (`>= 1.5, < 2.0`, `~> 1.6`) checked
//! against the Terraform language version iac implements.

use iac_lang::config::Module;
use iac_lang::diagnostic::Diagnostic;
use iac_lang::source::Span;

/// The Terraform version whose language iac implements.
pub const LANGUAGE_VERSION: (u64, u64, u64) = (1, 11, 4);

fn parse(v: &str) -> Option<(u64, u64, u64)> {
    let mut it = v.trim().trim_start_matches('v').split('.');
    let a = it.next()?.parse().ok()?;
    let b = it.next().map(|x| x.parse().ok()).unwrap_or(Some(0))?;
    let c = it.next().map(|x| x.split('-').next().unwrap_or("0").parse().ok()).unwrap_or(Some(0))?;
    Some((a, b, c))
}

/// Why a `required_version` constraint refuses iac.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    /// The constraint is not Terraform's version constraint syntax.
    #[error("invalid version constraint {0:?}")]
    InvalidConstraint(String),
    /// The language version iac implements does not satisfy it.
    #[error("this stack requires version {0}, and iac implements the language of Terraform {major}.{minor}.{patch}", major = LANGUAGE_VERSION.0, minor = LANGUAGE_VERSION.1, patch = LANGUAGE_VERSION.2)]
    Unsupported(String),
}

/// Ok when the implemented language version satisfies the constraint.
pub fn check(constraint: &str) -> Result<(), VersionError> {
    let v = LANGUAGE_VERSION;
    for part in constraint.split(',') {
        let part = part.trim();
        let (op, rest) = ["~>", ">=", "<=", "!=", ">", "<", "="].iter().find_map(|op| part.strip_prefix(op).map(|r| (*op, r))).unwrap_or(("=", part));
        let want = parse(rest).ok_or_else(|| VersionError::InvalidConstraint(part.to_string()))?;
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
            return Err(VersionError::Unsupported(constraint.to_string()));
        }
    }
    Ok(())
}

/// Every module's `required_version` errors as Terraform 1.11.4 reports
/// them: the root's first, then each called module's, depth first in call
/// name order (Terraform's `CheckCoreVersionRequirements`). A called module
/// is named by its call path and its source as written.
pub fn required_version_errors(root: &Module) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    collect(root, None, &mut out);
    out
}

fn collect(module: &Module, source: Option<&str>, out: &mut Vec<Diagnostic>) {
    if let Some((constraint, span)) = &module.required_version {
        let who = match source {
            None => "This configuration".to_string(),
            Some(source) => format!("Module {} (from {source})", module.call_path),
        };
        out.extend(required_version_error(&who, constraint, span));
    }
    for call in module.module_calls.values() {
        collect(&call.module, Some(&call.source), out);
    }
}

/// One module's `required_version` error, if its constraint refuses the
/// version iac implements: Terraform's own version is named, since iac
/// implements its language. `who` is the module as the detail names it;
/// `span` is the whole `required_version` argument, which the unsupported
/// version's error names; a constraint of the wrong syntax names the string.
fn required_version_error(who: &str, constraint: &str, span: &Span) -> Option<Diagnostic> {
    let (major, minor, patch) = LANGUAGE_VERSION;
    match check(constraint).err()? {
        VersionError::Unsupported(_) => Some(Diagnostic::error("Unsupported Terraform Core version", Some(span.clone())).with_detail(format!(
            "{who} does not support Terraform version {major}.{minor}.{patch}. To proceed, either choose another supported Terraform version \
             or update this version constraint. Version constraints are normally set for good reason, so updating the constraint may lead to other errors \
             or unexpected behavior."
        ))),
        VersionError::InvalidConstraint(_) => {
            // The quoted string ends the argument.
            let quoted = constraint.len() + 2;
            let value = Span { file: span.file, range: span.range.end.saturating_sub(quoted).max(span.range.start)..span.range.end };
            Some(Diagnostic::error("Invalid version constraint", Some(value)).with_detail("This string does not use correct version constraint syntax."))
        }
    }
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
