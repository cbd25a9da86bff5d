//! Configuration-level addresses: a module and a resource as the
//! configuration declares them, before count/for_each make instances of
//! them (Terraform's `addrs.Module`, `addrs.Resource` and
//! `addrs.ConfigResource`), and a provider configuration as its module
//! names it. Every instance of a module shares its
//! [`ConfigModulePath`]; every instance of a resource shares its
//! [`ConfigResourceAddr`].

use std::cmp::Ordering;
use std::fmt;
use std::ops::Deref;
use std::str::FromStr;

use serde::{Serialize, Serializer};

use super::{AddressParseError, InstanceAddr, InstanceKey, Mode, ModulePath, ModuleStep, ResourceAddr, Target};

/// A module in the configuration: the module call names from the root
/// (`module.net.module.subnets`), without instance keys; empty for the
/// root module. It reads as the slice of call names.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ConfigModulePath(Vec<String>);

impl ConfigModulePath {
    pub fn root() -> ConfigModulePath {
        ConfigModulePath(Vec::new())
    }
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }
    /// The module a call named `name` in this one makes.
    pub fn child(&self, name: &str) -> ConfigModulePath {
        let mut p = self.clone();
        p.0.push(name.to_string());
        p
    }
    /// The calling module and the name of the call; None for the root.
    pub fn parent(&self) -> Option<(ConfigModulePath, &str)> {
        let (last, parent) = self.0.split_last()?;
        Some((ConfigModulePath(parent.to_vec()), last))
    }
    /// Whether `self` is `prefix` or inside it.
    pub fn starts_with(&self, prefix: &ConfigModulePath) -> bool {
        self.0.starts_with(&prefix.0)
    }
    /// The one instance of this module that has no instance keys.
    pub fn unkeyed_instance(&self) -> ModulePath {
        ModulePath(self.0.iter().map(|n| ModuleStep { name: n.clone(), key: InstanceKey::None }).collect())
    }
}

impl Deref for ConfigModulePath {
    type Target = [String];
    fn deref(&self) -> &[String] {
        &self.0
    }
}

impl From<Vec<String>> for ConfigModulePath {
    fn from(names: Vec<String>) -> Self {
        ConfigModulePath(names)
    }
}

impl FromIterator<String> for ConfigModulePath {
    fn from_iter<I: IntoIterator<Item = String>>(iter: I) -> Self {
        ConfigModulePath(iter.into_iter().collect())
    }
}

impl fmt::Display for ConfigModulePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, name) in self.0.iter().enumerate() {
            if i > 0 {
                write!(f, ".")?;
            }
            write!(f, "module.{name}")?;
        }
        Ok(())
    }
}

/// `module.a.module.b` (instance keys, if written, are dropped); the empty
/// string is the root module.
impl FromStr for ConfigModulePath {
    type Err = AddressParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.trim().is_empty() {
            return Ok(ConfigModulePath::root());
        }
        match s.parse::<Target>()? {
            Target::Module(m) => Ok(m.config_path()),
            other => Err(AddressParseError { input: s.into(), reason: format!("expected a module, found {other}") }),
        }
    }
}

impl ModulePath {
    /// The module of the configuration this is an instance of.
    pub fn config_path(&self) -> ConfigModulePath {
        ConfigModulePath(self.0.iter().map(|s| s.name.clone()).collect())
    }
}

/// A resource as its module names it: `aws_vpc.main`, `data.aws_ami.x`.
/// Ordered as its text is, so maps keyed by it list resources as they
/// always have.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LocalResourceAddr {
    pub mode: Mode,
    pub type_: String,
    pub name: String,
}

impl LocalResourceAddr {
    pub fn new(mode: Mode, type_: &str, name: &str) -> LocalResourceAddr {
        LocalResourceAddr { mode, type_: type_.to_string(), name: name.to_string() }
    }
    /// This resource in one instance of its module.
    pub fn in_module(&self, module: &ModulePath) -> ResourceAddr {
        ResourceAddr { module: module.clone(), mode: self.mode, type_: self.type_.clone(), name: self.name.clone() }
    }
    /// The address's text in pieces: `data.`, the type, `.`, the name.
    fn text(&self) -> [&[u8]; 4] {
        [self.mode.prefix().as_bytes(), self.type_.as_bytes(), b".", self.name.as_bytes()]
    }
}

/// Ordered as the text, without writing it: the names decide when mode and
/// type are the same (most comparisons in a stack's maps), else the pieces
/// are compared a run of bytes at a time. Maps keyed by resource are
/// searched on every node of a walk, so this is hot: comparing byte by byte
/// through chained iterators cost a 5000-resource plan a sixth of its
/// instructions (issue 12's flat-stack regression).
impl Ord for LocalResourceAddr {
    fn cmp(&self, other: &Self) -> Ordering {
        if self.mode == other.mode && self.type_ == other.type_ {
            return self.name.cmp(&other.name);
        }
        cmp_pieces(&self.text(), &other.text())
    }
}

/// Compares two texts given in pieces as the joined texts compare.
fn cmp_pieces(a: &[&[u8]], b: &[&[u8]]) -> Ordering {
    let (mut a, mut b) = (a.iter().copied(), b.iter().copied());
    let (mut x, mut y): (&[u8], &[u8]) = (&[], &[]);
    loop {
        while x.is_empty() {
            let Some(next) = a.next() else { break };
            x = next;
        }
        while y.is_empty() {
            let Some(next) = b.next() else { break };
            y = next;
        }
        if x.is_empty() || y.is_empty() {
            return x.len().cmp(&y.len());
        }
        let n = x.len().min(y.len());
        match x[..n].cmp(&y[..n]) {
            Ordering::Equal => (x, y) = (&x[n..], &y[n..]),
            unequal => return unequal,
        }
    }
}

impl PartialOrd for LocalResourceAddr {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for LocalResourceAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}.{}", self.mode.prefix(), self.type_, self.name)
    }
}

impl Serialize for LocalResourceAddr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A resource in the configuration, all instances of all instances of its
/// module: `module.net.aws_subnet.private`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConfigResourceAddr {
    pub module: ConfigModulePath,
    pub resource: LocalResourceAddr,
}

impl fmt::Display for ConfigResourceAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.module.is_root() {
            write!(f, "{}.", self.module)?;
        }
        write!(f, "{}", self.resource)
    }
}

/// What a `removed` block names: a resource or a module of the
/// configuration, meaning every instance of it (Terraform's
/// `addrs.ConfigMoveable` as `removed` takes it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigTarget {
    Module(ConfigModulePath),
    Resource(ConfigResourceAddr),
}

impl ConfigTarget {
    /// Whether `addr` is an instance of this resource, or inside an
    /// instance of this module.
    pub fn contains(&self, addr: &InstanceAddr) -> bool {
        match self {
            ConfigTarget::Resource(r) => addr.resource.config() == *r,
            ConfigTarget::Module(m) => addr.resource.module.config_path().starts_with(m),
        }
    }

    /// The same target seen from the root, when written in the module at `module`.
    pub fn within(self, module: &ConfigModulePath) -> ConfigTarget {
        let prefixed = |p: &ConfigModulePath| ConfigModulePath(module.iter().chain(p.iter()).cloned().collect());
        match self {
            ConfigTarget::Module(m) => ConfigTarget::Module(prefixed(&m)),
            ConfigTarget::Resource(r) => ConfigTarget::Resource(ConfigResourceAddr { module: prefixed(&r.module), resource: r.resource }),
        }
    }
}

impl fmt::Display for ConfigTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigTarget::Module(m) => write!(f, "{m}"),
            ConfigTarget::Resource(r) => write!(f, "{r}"),
        }
    }
}

/// `aws_instance.web` or `module.net`, without instance keys anywhere (a
/// `removed` block removes every instance).
impl FromStr for ConfigTarget {
    type Err = AddressParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let keyed = |m: &ModulePath| m.0.iter().any(|step| step.key != InstanceKey::None);
        let refuse = |reason: &str| Err(AddressParseError { input: s.into(), reason: reason.into() });
        match s.parse::<Target>()? {
            Target::Instance(_) => refuse("a resource instance (with a key) is not allowed here: name the resource, e.g. \"aws_instance.web\""),
            Target::Resource(r) if keyed(&r.module) => refuse("module instance keys are not allowed here: name the module call, e.g. \"module.net\""),
            Target::Resource(r) if r.mode == Mode::Data => refuse("a data source cannot be removed: only managed resources and modules"),
            Target::Resource(r) => Ok(ConfigTarget::Resource(r.config())),
            Target::Module(m) if keyed(&m) => refuse("module instance keys are not allowed here: name the module call, e.g. \"module.net\""),
            Target::Module(m) => Ok(ConfigTarget::Module(m.config_path())),
        }
    }
}

/// A provider configuration as its module names it: `aws`, `aws.west`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LocalProviderConfig {
    pub name: String,
    pub alias: Option<String>,
}

impl fmt::Display for LocalProviderConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.name)?;
        if let Some(a) = &self.alias {
            write!(f, ".{a}")?;
        }
        Ok(())
    }
}

impl ResourceAddr {
    /// The resource as its module names it.
    pub fn local(&self) -> LocalResourceAddr {
        LocalResourceAddr { mode: self.mode, type_: self.type_.clone(), name: self.name.clone() }
    }
    /// The resource of the configuration this is in one module instance of.
    pub fn config(&self) -> ConfigResourceAddr {
        ConfigResourceAddr { module: self.module.config_path(), resource: self.local() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::InstanceAddr;

    #[test]
    fn config_addresses_print_and_parse_as_terraform_writes_them() {
        let m: ConfigModulePath = "module.net[\"a\"].module.inner[2]".parse().unwrap();
        assert_eq!(m.to_string(), "module.net.module.inner");
        assert_eq!(&m[..], ["net".to_string(), "inner".to_string()]);
        assert_eq!("".parse::<ConfigModulePath>().unwrap(), ConfigModulePath::root());
        assert!("aws_vpc.x".parse::<ConfigModulePath>().is_err());
        let (parent, call) = m.parent().unwrap();
        assert_eq!((parent.to_string().as_str(), call), ("module.net", "inner"));
        let r: InstanceAddr = "module.net[\"a\"].data.aws_ami.x[0]".parse().unwrap();
        assert_eq!(r.resource.config().to_string(), "module.net.data.aws_ami.x");
        assert_eq!(r.resource.local().in_module(&r.resource.module), r.resource);
    }

    #[test]
    fn removed_targets_name_every_instance_and_refuse_keys() {
        let r: ConfigTarget = "module.net.aws_subnet.private".parse().unwrap();
        let inst = |s: &str| s.parse::<InstanceAddr>().unwrap();
        assert!(r.contains(&inst("module.net[\"a\"].aws_subnet.private[2]")));
        assert!(!r.contains(&inst("aws_subnet.private")));
        let m: ConfigTarget = "module.net".parse().unwrap();
        assert!(m.contains(&inst("module.net[1].module.inner.aws_vpc.x")));
        assert!(!m.contains(&inst("module.network.aws_vpc.x")));
        let within = "aws_vpc.x".parse::<ConfigTarget>().unwrap().within(&"module.a".parse().unwrap());
        assert_eq!(within.to_string(), "module.a.aws_vpc.x");
        for bad in ["aws_vpc.x[0]", "module.net[0]", "module.net[\"a\"].aws_vpc.x", "data.aws_ami.x", "nonsense"] {
            assert!(bad.parse::<ConfigTarget>().is_err(), "{bad}");
        }
    }

    #[test]
    fn local_resource_addresses_sort_as_their_text() {
        let mut addrs = [
            LocalResourceAddr::new(Mode::Managed, "local_file", "a"),
            LocalResourceAddr::new(Mode::Data, "x", "y"),
            LocalResourceAddr::new(Mode::Managed, "aws_vpc", "main"),
            LocalResourceAddr::new(Mode::Managed, "aws_vpc_x", "a"),
            LocalResourceAddr::new(Mode::Managed, "aws_vpc", "a_b"),
            LocalResourceAddr::new(Mode::Managed, "d", "z"),
            LocalResourceAddr::new(Mode::Data, "a", "b"),
        ];
        let mut texts: Vec<String> = addrs.iter().map(|a| a.to_string()).collect();
        addrs.sort();
        texts.sort();
        assert_eq!(addrs.iter().map(|a| a.to_string()).collect::<Vec<_>>(), texts);
        // Every pair, across the pieces' boundaries: a type that is another's
        // prefix, a managed type named like `data`, names that differ in length.
        let more = [
            LocalResourceAddr::new(Mode::Managed, "data", "x"),
            LocalResourceAddr::new(Mode::Managed, "data_x", "a"),
            LocalResourceAddr::new(Mode::Data, "x", "a"),
            LocalResourceAddr::new(Mode::Managed, "aws_vpc", "a"),
            LocalResourceAddr::new(Mode::Managed, "aws_vpc", "a.b"),
            LocalResourceAddr::new(Mode::Managed, "terraform_data", "r10"),
            LocalResourceAddr::new(Mode::Managed, "terraform_data", "r1"),
            LocalResourceAddr::new(Mode::Managed, "terraform_dat", "a"),
        ];
        let all: Vec<_> = addrs.iter().chain(&more).collect();
        for a in &all {
            for b in &all {
                assert_eq!(a.cmp(b), a.to_string().cmp(&b.to_string()), "{a} vs {b}");
            }
        }
    }
}
