//! Addresses of things in a stack: module instances, resources, resource
//! instances, and provider configurations. Their string forms are Terraform's
//! (`module.net["a"].aws_subnet.private[0]`) and parse back losslessly. The
//! configuration-level addresses (a module or resource before count and
//! for_each expand it) are in `config`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

mod config;
pub use config::{ConfigModulePath, ConfigResourceAddr, ConfigTarget, LocalProviderConfig, LocalResourceAddr};

/// The key of one instance of a counted or for_each'd object.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum InstanceKey {
    #[default]
    None,
    Int(i64),
    Str(String),
}

impl fmt::Display for InstanceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InstanceKey::None => Ok(()),
            InstanceKey::Int(i) => write!(f, "[{i}]"),
            InstanceKey::Str(s) => write!(f, "[{}]", serde_json::Value::String(s.clone())),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ModuleStep {
    pub name: String,
    pub key: InstanceKey,
}

/// A module instance path; empty for the root module.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ModulePath(pub Vec<ModuleStep>);

impl ModulePath {
    pub fn root() -> ModulePath {
        ModulePath(Vec::new())
    }
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }
    pub fn child(&self, name: &str, key: InstanceKey) -> ModulePath {
        let mut p = self.clone();
        p.0.push(ModuleStep { name: name.to_string(), key });
        p
    }
    /// The same path with instance keys removed (the module *call* path).
    pub fn without_keys(&self) -> ModulePath {
        ModulePath(self.0.iter().map(|s| ModuleStep { name: s.name.clone(), key: InstanceKey::None }).collect())
    }
}

impl fmt::Display for ModulePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            if i > 0 {
                write!(f, ".")?;
            }
            write!(f, "module.{}{}", step.name, step.key)?;
        }
        Ok(())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Managed,
    Data,
    /// `ephemeral "TYPE" "NAME"`: opened by each run that needs it, never in
    /// state or plans.
    Ephemeral,
}

impl Mode {
    /// What an address of this mode starts with: ``, `data.` or `ephemeral.`.
    pub fn prefix(self) -> &'static str {
        match self {
            Mode::Managed => "",
            Mode::Data => "data.",
            Mode::Ephemeral => "ephemeral.",
        }
    }
}

/// A resource (all its instances): `module.m.aws_vpc.main`, `data.x.y`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ResourceAddr {
    pub module: ModulePath,
    pub mode: Mode,
    pub type_: String,
    pub name: String,
}

impl ResourceAddr {
    pub fn managed(type_: &str, name: &str) -> ResourceAddr {
        ResourceAddr { module: ModulePath::root(), mode: Mode::Managed, type_: type_.into(), name: name.into() }
    }
    pub fn instance(&self, key: InstanceKey) -> InstanceAddr {
        InstanceAddr { resource: self.clone(), key }
    }
    /// The provider name implied by the type prefix (`aws_vpc` → `aws`).
    pub fn implied_provider(&self) -> &str {
        self.type_.split('_').next().unwrap_or(&self.type_)
    }
}

impl fmt::Display for ResourceAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.module.is_root() {
            write!(f, "{}.", self.module)?;
        }
        write!(f, "{}{}.{}", self.mode.prefix(), self.type_, self.name)
    }
}

/// One resource instance: `aws_subnet.private["eu-1a"]`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InstanceAddr {
    pub resource: ResourceAddr,
    pub key: InstanceKey,
}

impl InstanceAddr {
    pub fn managed(type_: &str, name: &str) -> InstanceAddr {
        ResourceAddr::managed(type_, name).instance(InstanceKey::None)
    }
}

impl fmt::Display for InstanceAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.resource, self.key)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid address {input:?}: {reason}")]
pub struct AddressParseError {
    pub input: String,
    pub reason: String,
}

/// A parsed address that may name a module, a resource or an instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Module(ModulePath),
    Resource(ResourceAddr),
    Instance(InstanceAddr),
}

impl Target {
    /// Whether `addr` is this target or inside it.
    pub fn contains(&self, addr: &InstanceAddr) -> bool {
        match self {
            Target::Instance(i) => i == addr,
            Target::Resource(r) => &addr.resource == r,
            Target::Module(m) => addr.resource.module.0.len() >= m.0.len() && addr.resource.module.0[..m.0.len()] == m.0[..],
        }
    }
}

impl Target {
    /// Where `addr` (inside `self`) lands when `self` moves to `to`, as
    /// `moved` blocks and `state mv` do; None when the two kinds cannot pair.
    pub fn relocate(&self, to: &Target, addr: &InstanceAddr) -> Option<InstanceAddr> {
        if !self.contains(addr) {
            return None;
        }
        match (self, to) {
            (Target::Instance(_), Target::Instance(t)) => Some(t.clone()),
            (Target::Instance(_), Target::Resource(t)) => Some(t.instance(InstanceKey::None)),
            (Target::Resource(_), Target::Resource(t)) => Some(t.instance(addr.key.clone())),
            (Target::Resource(_), Target::Instance(t)) if addr.key == InstanceKey::None => Some(t.clone()),
            (Target::Module(from), Target::Module(to)) => {
                let mut r = addr.resource.clone();
                let mut steps = to.0.clone();
                steps.extend(addr.resource.module.0[from.0.len()..].iter().cloned());
                r.module = ModulePath(steps);
                Some(r.instance(addr.key.clone()))
            }
            _ => None,
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Module(m) => write!(f, "{m}"),
            Target::Resource(r) => write!(f, "{r}"),
            Target::Instance(i) => write!(f, "{i}"),
        }
    }
}

struct Cursor<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn ident(&mut self) -> Option<&'a str> {
        let rest = &self.s[self.pos..];
        let len = rest.char_indices().find(|(_, c)| !(c.is_alphanumeric() || *c == '_' || *c == '-')).map(|(i, _)| i).unwrap_or(rest.len());
        if len == 0 {
            return None;
        }
        self.pos += len;
        Some(&rest[..len])
    }
    fn eat(&mut self, c: char) -> bool {
        if self.s[self.pos..].starts_with(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }
    fn done(&self) -> bool {
        self.pos >= self.s.len()
    }
    fn key(&mut self) -> Result<InstanceKey, String> {
        if !self.eat('[') {
            return Ok(InstanceKey::None);
        }
        let rest = &self.s[self.pos..];
        let end = if rest.starts_with('"') {
            // Find the closing quote, honouring escapes, then parse as JSON.
            let mut escaped = false;
            let mut close = None;
            for (i, c) in rest.char_indices().skip(1) {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == '"' {
                    close = Some(i);
                    break;
                }
            }
            let close = close.ok_or("unterminated string key")?;
            let s: String = serde_json::from_str(&rest[..=close]).map_err(|e| e.to_string())?;
            self.pos += close + 1;
            InstanceKey::Str(s)
        } else {
            let close = rest.find(']').ok_or("missing ]")?;
            let n: i64 = rest[..close].trim().parse().map_err(|_| format!("invalid index {:?}", &rest[..close]))?;
            self.pos += close;
            InstanceKey::Int(n)
        };
        if !self.eat(']') {
            return Err("missing ]".into());
        }
        Ok(end)
    }
}

impl FromStr for Target {
    type Err = AddressParseError;
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let err = |reason: &str| AddressParseError { input: input.to_string(), reason: reason.to_string() };
        let mut c = Cursor { s: input.trim(), pos: 0 };
        let mut module = ModulePath::root();
        loop {
            let save = c.pos;
            let word = c.ident().ok_or_else(|| err("expected a name"))?;
            if word == "module" {
                if !c.eat('.') {
                    return Err(err("expected . after module"));
                }
                let name = c.ident().ok_or_else(|| err("expected a module name"))?;
                let key = c.key().map_err(|r| err(&r))?;
                module.0.push(ModuleStep { name: name.to_string(), key });
                if c.done() {
                    return Ok(Target::Module(module));
                }
                if !c.eat('.') {
                    return Err(err("expected ."));
                }
                continue;
            }
            c.pos = save;
            break;
        }
        let mut mode = Mode::Managed;
        let mut type_ = c.ident().ok_or_else(|| err("expected a resource type"))?;
        if type_ == "data" || type_ == "ephemeral" {
            // Ephemeral resources are named so in state's dependencies, as Terraform records them.
            mode = if type_ == "data" { Mode::Data } else { Mode::Ephemeral };
            if !c.eat('.') {
                return Err(err(if mode == Mode::Data { "expected . after data" } else { "expected . after ephemeral" }));
            }
            type_ = c.ident().ok_or_else(|| err(if mode == Mode::Data { "expected a data source type" } else { "expected an ephemeral resource type" }))?;
        }
        if !c.eat('.') {
            return Err(err("expected TYPE.NAME"));
        }
        let name = c.ident().ok_or_else(|| err("expected a resource name"))?;
        let resource = ResourceAddr { module, mode, type_: type_.to_string(), name: name.to_string() };
        if c.done() {
            return Ok(Target::Resource(resource));
        }
        let key = c.key().map_err(|r| err(&r))?;
        if !c.done() {
            return Err(err("unexpected text after the address"));
        }
        Ok(Target::Instance(resource.instance(key)))
    }
}

impl FromStr for InstanceAddr {
    type Err = AddressParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.parse::<Target>()? {
            Target::Instance(i) => Ok(i),
            Target::Resource(r) => Ok(r.instance(InstanceKey::None)),
            Target::Module(_) => Err(AddressParseError { input: s.into(), reason: "expected a resource instance, found a module".into() }),
        }
    }
}

impl Serialize for InstanceAddr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}
impl<'de> Deserialize<'de> for InstanceAddr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}
impl Serialize for ResourceAddr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}
impl<'de> Deserialize<'de> for ResourceAddr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        match s.parse::<Target>().map_err(serde::de::Error::custom)? {
            Target::Resource(r) => Ok(r),
            other => Err(serde::de::Error::custom(format!("expected a resource address, found {other}"))),
        }
    }
}

/// A provider configuration: `provider["aws"].west` in module `module.m`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ProviderAddr {
    /// Module call path (without instance keys) that declares the configuration.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub module: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
}

impl ProviderAddr {
    pub fn new(name: &str) -> ProviderAddr {
        ProviderAddr { module: String::new(), name: name.to_string(), alias: None }
    }
}

impl fmt::Display for ProviderAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.module.is_empty() {
            write!(f, "{}.", self.module)?;
        }
        write!(f, "provider[\"{}\"]", self.name)?;
        if let Some(a) = &self.alias {
            write!(f, ".{a}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_round_trip() {
        for s in [
            "aws_vpc.main",
            "data.aws_availability_zones.all",
            "module.m.ephemeral.aws_secretsmanager_random_password.p",
            "aws_subnet.private[\"eu-1a\"]",
            "aws_subnet.private[3]",
            "module.net[\"a b\"].module.inner[2].aws_vpc.x[\"k\\\"q\"]",
            "module.net",
        ] {
            let t: Target = s.parse().unwrap();
            assert_eq!(t.to_string(), s);
        }
    }

    #[test]
    fn relocation_keeps_keys_and_module_suffixes() {
        let t = |s: &str| s.parse::<Target>().unwrap();
        let a: InstanceAddr = "module.old.module.x.aws_vpc.main[\"a\"]".parse().unwrap();
        assert_eq!(t("module.old").relocate(&t("module.new"), &a).unwrap().to_string(), "module.new.module.x.aws_vpc.main[\"a\"]");
        let b: InstanceAddr = "aws_vpc.main[2]".parse().unwrap();
        assert_eq!(t("aws_vpc.main").relocate(&t("aws_vpc.primary"), &b).unwrap().to_string(), "aws_vpc.primary[2]");
        assert_eq!(t("aws_vpc.main[2]").relocate(&t("aws_vpc.two"), &b).unwrap().to_string(), "aws_vpc.two");
        assert!(t("aws_vpc.other").relocate(&t("aws_vpc.x"), &b).is_none());
        assert!(t("module.old").relocate(&t("aws_vpc.x"), &a).is_none());
    }

    #[test]
    fn bad_addresses_are_rejected() {
        for s in ["", "aws_vpc", "aws_vpc.main[", "aws_vpc.main[x]", "module.", "aws_vpc.main.extra"] {
            assert!(s.parse::<Target>().is_err(), "{s} should not parse");
        }
    }
}
