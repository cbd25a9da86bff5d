//! Provider source addresses (`hashicorp/aws`, `registry.terraform.io/hashicorp/aws`).

use std::fmt;

use crate::InstallError;

/// The registry Terraform implies when a source names no host.
pub const DEFAULT_HOST: &str = "registry.terraform.io";

/// A fully qualified provider source: host, namespace and type.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProviderSource {
    pub host: String,
    pub namespace: String,
    pub type_: String,
}

impl ProviderSource {
    /// Parses a source as `required_providers` writes it. One part is a type
    /// in the `hashicorp` namespace (Terraform's legacy implied source), two
    /// are `NAMESPACE/TYPE` on the default registry, three add the host.
    pub fn parse(text: &str) -> Result<ProviderSource, InstallError> {
        let bad = |why: &str| InstallError::BadSource { source_text: text.to_string(), why: why.to_string() };
        let parts: Vec<&str> = text.split('/').collect();
        let (host, namespace, type_) = match parts.as_slice() {
            [t] => (DEFAULT_HOST.to_string(), "hashicorp".to_string(), t.to_string()),
            [n, t] => (DEFAULT_HOST.to_string(), n.to_string(), t.to_string()),
            [h, n, t] => (h.to_ascii_lowercase(), n.to_string(), t.to_string()),
            _ => return Err(bad("expected [HOSTNAME/]NAMESPACE/TYPE")),
        };
        for (what, part) in [("namespace", &namespace), ("type", &type_), ("hostname", &host)] {
            if part.is_empty() {
                return Err(bad(&format!("the {what} is empty")));
            }
            if !part.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || (what == "hostname" && (c == '.' || c == ':'))) {
                return Err(bad(&format!("the {what} {part:?} may hold only letters, digits, dashes and underscores")));
            }
        }
        Ok(ProviderSource { host, namespace: namespace.to_ascii_lowercase(), type_: type_.to_ascii_lowercase() })
    }

    /// The source Terraform implies for a provider no `required_providers`
    /// entry names: `hashicorp/NAME`.
    pub fn implied(local_name: &str) -> ProviderSource {
        ProviderSource { host: DEFAULT_HOST.into(), namespace: "hashicorp".into(), type_: local_name.to_string() }
    }

    /// `hashicorp/aws` on the default host, the full address elsewhere.
    pub fn short(&self) -> String {
        if self.host == DEFAULT_HOST {
            format!("{}/{}", self.namespace, self.type_)
        } else {
            self.to_string()
        }
    }
}

impl fmt::Display for ProviderSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.host, self.namespace, self.type_)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_qualified_as_terraform_does() {
        assert_eq!(ProviderSource::parse("hashicorp/aws").unwrap().to_string(), "registry.terraform.io/hashicorp/aws");
        assert_eq!(ProviderSource::parse("aws").unwrap().to_string(), "registry.terraform.io/hashicorp/aws");
        assert_eq!(ProviderSource::parse("Example.COM/Acme/Thing").unwrap().to_string(), "example.com/acme/thing");
        assert_eq!(ProviderSource::parse("registry.terraform.io/hashicorp/aws").unwrap().short(), "hashicorp/aws");
        assert!(ProviderSource::parse("a/b/c/d").is_err());
        assert!(ProviderSource::parse("hashicorp/").is_err());
        assert!(ProviderSource::parse("hashi corp/aws").is_err());
    }
}
