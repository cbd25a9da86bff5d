//! The configuration model: what a stack's files declare, per module, with
//! expressions kept unevaluated (and their spans) for the engine to evaluate
//! in dependency order.

use std::collections::BTreeMap;
use std::path::PathBuf;

use hcl_edit::repr::Span as _;
use hcl_edit::structure::Body;
use iac_core::address::{ConfigModulePath, ConfigResourceAddr, LocalResourceAddr, Mode};

use crate::source::{FileId, Span};
use crate::typeexpr::TypeConstraint;

pub type HclExpr = hcl_edit::expr::Expression;

/// An expression and the file it was written in.
#[derive(Clone, Debug)]
pub struct Expr {
    pub expr: HclExpr,
    pub file: FileId,
}

impl Expr {
    pub fn span(&self) -> Span {
        Span { file: self.file, range: self.expr.span().unwrap_or(0..0) }
    }
}

#[derive(Clone, Debug)]
pub struct Variable {
    pub name: String,
    pub type_: TypeConstraint,
    pub default: Option<Expr>,
    pub description: String,
    pub sensitive: bool,
    pub nullable: bool,
    /// `ephemeral = true`: accepts ephemeral values, and its value is one.
    pub ephemeral: bool,
    pub validations: Vec<Validation>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Validation {
    pub condition: Expr,
    pub error_message: Expr,
    /// The `validation` keyword, which Terraform's failure names.
    pub block: Span,
}

#[derive(Clone, Debug)]
pub struct Local {
    pub name: String,
    pub value: Expr,
    pub span: Span,
}

#[derive(Clone, Debug, Default)]
pub enum IgnoreChanges {
    #[default]
    None,
    All,
    Paths(Vec<iac_core::AttrPath>),
}

#[derive(Clone, Debug, Default)]
pub struct Lifecycle {
    pub create_before_destroy: bool,
    pub prevent_destroy: bool,
    pub ignore_changes: IgnoreChanges,
    /// References whose change replaces this resource.
    pub replace_triggered_by: Vec<Expr>,
    /// `precondition` blocks: checked for each instance before it is
    /// planned (again at apply when not known while planning).
    pub preconditions: Vec<Assertion>,
    /// `postcondition` blocks: checked against `self`, the planned object
    /// (a data source's read one), and the new object after apply.
    pub postconditions: Vec<Assertion>,
}

/// `provider = aws.west` on a resource: the provider configuration it uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderRef {
    pub name: String,
    pub alias: Option<String>,
    pub span: Option<Span>,
}

#[derive(Clone, Debug)]
pub struct Resource {
    pub mode: Mode,
    pub type_: String,
    pub name: String,
    /// The block header span (`resource "x" "y"`).
    pub span: Span,
    pub file: FileId,
    /// The body with meta-arguments still in it; the engine skips them.
    pub body: Body,
    pub count: Option<Expr>,
    pub for_each: Option<Expr>,
    pub depends_on: Vec<Expr>,
    pub provider: ProviderRef,
    pub lifecycle: Lifecycle,
    /// The `check` block a scoped data source is declared in: its read
    /// failures are warnings, as Terraform reports them.
    pub check: Option<String>,
}

impl Resource {
    /// `aws_vpc.main` or `data.aws_ami.x`: the resource as its module names it.
    pub fn key(&self) -> LocalResourceAddr {
        LocalResourceAddr::new(self.mode, &self.type_, &self.name)
    }
}

/// Names that are meta-arguments in resource and data blocks, never
/// provider arguments.
pub const RESOURCE_META_ARGS: &[&str] = &["count", "for_each", "depends_on", "provider", "lifecycle", "provisioner", "connection"];

#[derive(Clone, Debug)]
pub struct Output {
    pub name: String,
    pub value: Expr,
    pub sensitive: bool,
    /// `ephemeral = true` (child modules only): may return an ephemeral value.
    pub ephemeral: bool,
    pub description: String,
    pub depends_on: Vec<Expr>,
    /// `precondition` blocks, checked before the value is stored.
    pub preconditions: Vec<Assertion>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct ModuleCall {
    pub name: String,
    /// As written; see [`crate::modsource`] for what it means.
    pub source: String,
    /// The `source` value, where installation problems are reported.
    pub source_span: Option<Span>,
    /// `version = "~> 5.0"` (registry modules) and where it is written.
    pub version: Option<(String, Span)>,
    pub span: Span,
    pub inputs: BTreeMap<String, Expr>,
    pub count: Option<Expr>,
    pub for_each: Option<Expr>,
    pub depends_on: Vec<Expr>,
    /// `providers = { aws = aws.west }`: child name → parent configuration.
    pub providers: BTreeMap<String, ProviderRef>,
    pub module: Box<Module>,
    /// The child could not be loaded (not installed, not a directory); one
    /// diagnostic said why, so references into it are not checked again.
    pub unavailable: bool,
}

#[derive(Clone, Debug)]
pub struct ProviderConfig {
    pub name: String,
    pub alias: Option<String>,
    pub span: Span,
    pub file: FileId,
    pub body: Body,
}

#[derive(Clone, Debug)]
pub struct Moved {
    pub from: iac_core::address::Target,
    pub to: iac_core::address::Target,
    pub span: Span,
}

/// A `removed` block: a resource or module that left the configuration, and
/// whether its objects are destroyed (the default, as for any orphan) or
/// only dropped from state (`lifecycle { destroy = false }`).
#[derive(Clone, Debug)]
pub struct Removed {
    /// Seen from the root module, whichever module the block is in.
    pub from: iac_core::address::ConfigTarget,
    pub destroy: bool,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Import {
    /// The target; with `for_each`, its resource (the keys come from `each`).
    pub to: iac_core::InstanceAddr,
    pub id: Expr,
    pub for_each: Option<ImportForEach>,
    pub span: Span,
}

/// An import block with `for_each` (Terraform 1.7): one import per element,
/// its target address and id evaluated with `each.key` and `each.value`.
#[derive(Clone, Debug)]
pub struct ImportForEach {
    pub for_each: Expr,
    /// The `to` address as written: names, and index expressions that may
    /// use only `each.key` and `each.value`.
    pub to: Vec<ImportToStep>,
    /// The whole `to` expression, where errors about it point.
    pub to_expr: Expr,
}

#[derive(Clone, Debug)]
pub enum ImportToStep {
    Name(String),
    Index(Expr),
}

impl ImportForEach {
    /// The key `to` ends with, as far as it is known before evaluation:
    /// None without one, Some(true) for a number literal (a count index),
    /// Some(false) for anything else (a for_each key is a string).
    pub fn key_is_number(&self) -> Option<bool> {
        match self.to.last()? {
            ImportToStep::Index(e) => Some(matches!(e.expr, HclExpr::Number(_))),
            ImportToStep::Name(_) => None,
        }
    }
}

/// `check "name" { data ... {}  assert { condition, error_message } }`:
/// assertions evaluated after plan and after apply, whose failures are
/// warnings. Its scoped data sources are resources of the module, marked
/// with [`Resource::check`].
#[derive(Clone, Debug)]
pub struct Check {
    pub name: String,
    /// The block header (`check "name"`).
    pub span: Span,
    /// The whole block: a problem inside it is a warning.
    pub block: Span,
    pub asserts: Vec<Assertion>,
}

/// A condition and the message shown when it is false: a check block's
/// `assert`, a resource's or output's `precondition`, a `postcondition`.
#[derive(Clone, Debug)]
pub struct Assertion {
    pub condition: Expr,
    pub error_message: Expr,
}

/// One entry of `terraform { required_providers { NAME = { source, version } } }`.
#[derive(Clone, Debug, PartialEq)]
pub struct RequiredProvider {
    /// The local name the stack uses (`aws`).
    pub name: String,
    /// The source address as written (`hashicorp/aws`); None when the entry
    /// gives only a version (Terraform then implies `hashicorp/NAME`).
    pub source: Option<String>,
    /// The version constraint as written (`~> 5.0`), if any.
    pub version: Option<String>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Backend {
    pub type_: String,
    /// Literal settings from the block.
    pub settings: BTreeMap<String, serde_json::Value>,
    pub span: Span,
}

#[derive(Clone, Debug, Default)]
pub struct Module {
    pub dir: PathBuf,
    /// Module call names from the root (`module.network.module.subnets`).
    pub call_path: ConfigModulePath,
    pub required_version: Option<(String, Span)>,
    /// `required_providers` entries, by local name.
    pub required_providers: BTreeMap<String, RequiredProvider>,
    pub backend: Option<Backend>,
    pub variables: BTreeMap<String, Variable>,
    pub locals: BTreeMap<String, Local>,
    /// Keyed by [`Resource::key`].
    pub resources: BTreeMap<LocalResourceAddr, Resource>,
    pub outputs: BTreeMap<String, Output>,
    pub module_calls: BTreeMap<String, ModuleCall>,
    pub providers: Vec<ProviderConfig>,
    pub moved: Vec<Moved>,
    pub removed: Vec<Removed>,
    pub imports: Vec<Import>,
    /// `check` blocks, by name.
    pub checks: BTreeMap<String, Check>,
}

impl Module {
    /// This module and all descendants, depth first.
    pub fn walk(&self) -> Vec<&Module> {
        let mut out = vec![self];
        for call in self.module_calls.values() {
            out.extend(call.module.walk());
        }
        out
    }

    /// The module at a call path below this one.
    pub fn descendant(&self, path: &[String]) -> Option<&Module> {
        match path.split_first() {
            None => Some(self),
            Some((first, rest)) => self.module_calls.get(first)?.module.descendant(rest),
        }
    }

    /// The resource block at a configuration address below this module.
    pub fn resource(&self, addr: &ConfigResourceAddr) -> Option<&Resource> {
        self.descendant(&addr.module)?.resources.get(&addr.resource)
    }
}
