//! Values computed during a walk, per module instance, and the [`Scope`]
//! through which expressions see them.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::RwLock;

use iac_core::address::{ConfigModulePath, InstanceKey, LocalResourceAddr, Mode, ModulePath, ResourceAddr};
use iac_core::Value;
use iac_lang::eval::Scope;
use iac_lang::refs::{Reference, Subject};

/// How one instance of a counted/for_each'd object was made.
#[derive(Clone, Debug, PartialEq)]
pub enum Repetition {
    None,
    Count(i64),
    Each(String, Value),
    /// `iac validate`: count/for_each not known; instance values are unknown.
    Unknown,
}

impl Repetition {
    pub fn key(&self) -> InstanceKey {
        match self {
            Repetition::None => InstanceKey::None,
            Repetition::Count(i) => InstanceKey::Int(*i),
            Repetition::Each(k, _) => InstanceKey::Str(k.clone()),
            Repetition::Unknown => InstanceKey::None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct ModuleInstance {
    pub path: ModulePath,
    pub repetition: Repetition,
}

/// How a resource's or module's instances are gathered into one value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    Single,
    Counted,
    ForEach,
}

#[derive(Default)]
pub struct Store {
    pub vars: HashMap<(ModulePath, String), Value>,
    pub locals: HashMap<(ModulePath, String), Value>,
    /// Whole-resource values, per module instance: an object, a list
    /// (count) or a map (for_each).
    pub resources: HashMap<ResourceAddr, Value>,
    pub outputs: HashMap<(ModulePath, String), Value>,
    /// Module → its instances, across the instances of its parent.
    pub module_instances: HashMap<ConfigModulePath, Vec<ModuleInstance>>,
    pub module_shapes: HashMap<ConfigModulePath, Shape>,
    /// Module → the output names it declares.
    pub module_outputs: HashMap<ConfigModulePath, Vec<String>>,
    /// A plan walk: impure functions (`uuid()`, `timestamp()`) are unknown.
    pub planning: bool,
    /// What `plantimestamp()` gives: the plan's time, which a saved plan
    /// carries to its apply (None: validation, the process's own time).
    pub plan_timestamp: Option<String>,
    /// The run's providers, for `provider::NAME::FUNC(...)` calls.
    pub providers: crate::providers::Registry,
    /// The working directory `path.cwd` names, given by the caller (the
    /// engine never asks the process for it).
    pub cwd: PathBuf,
    /// The configuration: number literals are read from its source text,
    /// and unification over a null asks its expressions' static types.
    pub stack: std::sync::Arc<iac_lang::load::Stack>,
    /// What holds ephemeral values, per module (as [`crate::graph::ephemeral_subjects`]
    /// finds them): where `ephemeralasnull` gives null.
    pub ephemeral: HashSet<(ConfigModulePath, Subject)>,
    /// Ephemeral local values with their ephemeral parts null (a local
    /// may mix ephemeral and other values, as `{ a = var.secret, b = 1 }`).
    pub locals_ephemeral_as_null: HashMap<(ModulePath, String), Value>,
}

pub struct Values {
    pub store: RwLock<Store>,
    pub root_dir: PathBuf,
}

impl Values {
    pub fn new(root_dir: PathBuf) -> Values {
        let mut store = Store::default();
        store.module_instances.insert(ConfigModulePath::root(), vec![ModuleInstance { path: ModulePath::root(), repetition: Repetition::None }]);
        Values { store: RwLock::new(store), root_dir }
    }

    pub fn read(&self) -> std::sync::RwLockReadGuard<'_, Store> {
        self.store.read().unwrap_or_else(|p| p.into_inner())
    }

    pub fn write(&self) -> std::sync::RwLockWriteGuard<'_, Store> {
        self.store.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Instances of a module.
    pub fn instances(&self, module: &ConfigModulePath) -> Vec<ModuleInstance> {
        self.read().module_instances.get(module).cloned().unwrap_or_default()
    }
}

/// The view of one module instance (and one repetition within it).
pub struct InstanceScope<'a> {
    pub store: &'a Store,
    pub module: &'a ModulePath,
    pub repetition: &'a Repetition,
    pub module_dir: &'a Path,
    pub root_dir: &'a Path,
}

impl Scope for InstanceScope<'_> {
    fn planning(&self) -> bool {
        self.store.planning
    }

    fn source_text(&self, file: iac_lang::source::FileId) -> Option<&str> {
        self.store.stack.sources.files().nth(file.0 as usize).map(|f| f.text.as_str())
    }

    fn call_provider_function(&self, provider: &str, function: &str, args: Vec<Value>) -> Option<Result<Value, String>> {
        let factory = self.store.providers.get(provider)?;
        Some(factory.call_function(function, args).map_err(|e| e.to_string()))
    }

    fn plan_timestamp(&self) -> Option<String> {
        self.store.plan_timestamp.clone()
    }

    fn resolve_path(&self, r: &Reference, attrs: &[&str]) -> Option<Result<(Value, usize), String>> {
        let v = self.stored(&r.subject)?;
        Some(Ok(iac_lang::eval::walk_attrs(v, attrs)))
    }

    fn resolve(&self, r: &Reference) -> Result<Value, String> {
        let key = |n: &str| (self.module.clone(), n.to_string());
        match &r.subject {
            Subject::Var(n) => self.store.vars.get(&key(n)).cloned().ok_or_else(|| format!("variable {n:?} has no value here")),
            Subject::Local(n) => self.store.locals.get(&key(n)).cloned().ok_or_else(|| format!("local value {n:?} is not known here")),
            Subject::Resource { type_, name } => {
                let k = LocalResourceAddr::new(Mode::Managed, type_, name);
                self.store.resources.get(&k.in_module(self.module)).cloned().ok_or_else(|| format!("resource {k} has no value here"))
            }
            Subject::Data { type_, name } => {
                let k = LocalResourceAddr::new(Mode::Data, type_, name);
                self.store.resources.get(&k.in_module(self.module)).cloned().ok_or_else(|| format!("data source {k} has no value here"))
            }
            Subject::Ephemeral { type_, name } => {
                let k = LocalResourceAddr::new(Mode::Ephemeral, type_, name);
                self.store.resources.get(&k.in_module(self.module)).cloned().ok_or_else(|| format!("ephemeral resource {k} has no value here"))
            }
            Subject::Module { name, .. } => Ok(self.module_value(name)),
            Subject::CountIndex | Subject::EachKey | Subject::EachValue if *self.repetition == Repetition::Unknown => Ok(Value::Unknown),
            Subject::CountIndex => match self.repetition {
                Repetition::Count(i) => Ok(Value::from(*i)),
                _ => Err("count.index is only available where count is set".into()),
            },
            Subject::EachKey => match self.repetition {
                Repetition::Each(k, _) => Ok(Value::String(k.clone())),
                _ => Err("each.key is only available where for_each is set".into()),
            },
            Subject::EachValue => match self.repetition {
                Repetition::Each(_, v) => Ok(v.clone()),
                _ => Err("each.value is only available where for_each is set".into()),
            },
            Subject::SelfRef => Err("self is not available here".into()),
            Subject::Path(p) => Ok(Value::String(match p.as_str() {
                "module" => self.module_dir.display().to_string(),
                "root" => self.root_dir.display().to_string(),
                _ => self.store.cwd.display().to_string(),
            })),
            Subject::TerraformWorkspace => Ok(Value::String("default".into())),
            // Plans and validation walk with `planning` set, applies without.
            Subject::TerraformApplying => Ok(Value::Bool(!self.store.planning)),
        }
    }

    fn static_type(&self, expr: &iac_lang::Expression, bound: &[(String, iac_lang::expr_types::Type)]) -> iac_lang::expr_types::Type {
        iac_lang::expr_types::expr_type_at(&self.store.stack.root, &self.module.config_path(), expr, bound)
    }

    fn is_ephemeral(&self, subject: &Subject) -> bool {
        matches!(subject, Subject::TerraformApplying) || self.store.ephemeral.contains(&(self.module.config_path(), subject.clone()))
    }

    fn ephemeral_as_null(&self, reference: &Reference) -> Option<Value> {
        match &reference.subject {
            Subject::Local(n) => self.store.locals_ephemeral_as_null.get(&(self.module.clone(), n.clone())).cloned(),
            _ => None,
        }
    }
}

impl InstanceScope<'_> {
    /// The stored value a reference names, by reference (no copy).
    fn stored(&self, subject: &Subject) -> Option<&Value> {
        let key = |n: String| (self.module.clone(), n);
        match subject {
            Subject::Var(n) => self.store.vars.get(&key(n.clone())),
            Subject::Local(n) => self.store.locals.get(&key(n.clone())),
            Subject::Resource { type_, name } => self.store.resources.get(&LocalResourceAddr::new(Mode::Managed, type_, name).in_module(self.module)),
            Subject::Data { type_, name } => self.store.resources.get(&LocalResourceAddr::new(Mode::Data, type_, name).in_module(self.module)),
            Subject::Ephemeral { type_, name } => self.store.resources.get(&LocalResourceAddr::new(Mode::Ephemeral, type_, name).in_module(self.module)),
            _ => None,
        }
    }

    fn module_value(&self, name: &str) -> Value {
        let call_path = self.module.config_path().child(name);
        let outputs = self.store.module_outputs.get(&call_path).cloned().unwrap_or_default();
        let instances: Vec<&ModuleInstance> = self
            .store
            .module_instances
            .get(&call_path)
            .map(|is| is.iter().filter(|i| i.path.0.len() == self.module.0.len() + 1 && i.path.0[..self.module.0.len()] == self.module.0[..]).collect())
            .unwrap_or_default();
        let object = |inst: &ModuleInstance| -> Value {
            Value::Map(
                outputs.iter().map(|o| (o.clone(), self.store.outputs.get(&(inst.path.clone(), o.clone())).cloned().unwrap_or(Value::Unknown))).collect(),
            )
        };
        match self.store.module_shapes.get(&call_path).copied().unwrap_or(Shape::Single) {
            Shape::Single => instances.first().map(|i| object(i)).unwrap_or(Value::Unknown),
            Shape::Counted => Value::List(instances.iter().map(|i| object(i)).collect()),
            Shape::ForEach => Value::Map(
                instances
                    .iter()
                    .map(|i| {
                        let k = match &i.repetition {
                            Repetition::Each(k, _) => k.clone(),
                            _ => String::new(),
                        };
                        (k, object(i))
                    })
                    .collect(),
            ),
        }
    }
}
