//! Loads a stack directory (and its local child modules) into the
//! configuration model, collecting every problem as a diagnostic.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hcl_edit::expr::{Expression, TraversalOperator};
use hcl_edit::repr::Span as _;
use hcl_edit::structure::{Attribute, Block, BlockLabel, Body, Structure};
use iac_core::address::{ConfigModulePath, ConfigTarget, LocalResourceAddr, Mode, Target};
use iac_core::{AttrPath, PathStep};

use crate::config::*;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::eval::eval_literal;
use crate::source::{FileId, SourceFile, SourceMap, Span};
use crate::typeexpr::TypeConstraint;

/// A loaded stack: the root module (with children) and its sources.
#[derive(Debug, Clone, Default)]
pub struct Stack {
    pub root: Module,
    pub sources: SourceMap,
}

impl Stack {
    /// A digest of every configuration file, so a saved plan can tell
    /// whether the stack changed since it was made.
    pub fn digest(&self) -> String {
        // FNV-1a over names and contents: stable across runs and platforms.
        let mut h: u64 = 0xcbf29ce484222325;
        for f in self.sources.files() {
            for b in f.name.bytes().chain([0u8]).chain(f.text.bytes()).chain([0u8]) {
                h ^= b as u64;
                h = h.wrapping_mul(0x100000001b3);
            }
        }
        format!("{h:016x}")
    }
}

/// Loads the stack in `dir`. Returns the stack even when there are errors
/// (as far as it could be built), so all problems are reported in one run.
/// Modules from registries, git or archives are found where `iac init` put
/// them (`.terraform/modules/modules.json`); nothing here uses the network.
pub fn load_stack(dir: &Path) -> (Stack, Diagnostics) {
    let mut sources = SourceMap::default();
    let mut diags = Diagnostics::default();
    let installed = InstalledModules::read(dir, &mut diags);
    let root = load_module(dir, ConfigModulePath::root(), &mut sources, &mut diags, 0, Children::Installed { root: dir, installed: &installed });
    removed_still_declared(&root, &mut diags);
    once_per_source(&mut diags, &sources);
    (Stack { root, sources }, diags)
}

/// A `removed` block whose resource or module is still in the
/// configuration contradicts it: Terraform's "Removed resource still
/// exists", reported at the declaration.
fn removed_still_declared(root: &Module, diags: &mut Diagnostics) {
    for module in root.walk() {
        for r in &module.removed {
            let (what, declared) = match &r.from {
                ConfigTarget::Resource(a) => ("resource", root.resource(a).map(|res| res.span.clone())),
                ConfigTarget::Module(m) => {
                    ("module", m.parent().and_then(|(parent, call)| root.descendant(&parent)?.module_calls.get(call).map(|c| c.span.clone())))
                }
            };
            if let Some(span) = declared {
                diags.push(Diagnostic::error(
                    format!("Removed {what} still exists: a removed block declares that {} was removed, but it is still declared in the configuration", r.from),
                    Some(span),
                ));
            }
        }
    }
}

/// A module called several times is read once per call, so a problem in
/// its files would be reported once per call; Terraform reports it once.
/// Keeps the first of the diagnostics with the same text at the same place
/// of the same file.
fn once_per_source(diags: &mut Diagnostics, sources: &SourceMap) {
    let mut seen = std::collections::HashSet::new();
    diags.0.retain(|d| {
        let place = d.span.as_ref().map(|s| (sources.get(s.file).path.clone(), s.range.clone()));
        seen.insert((format!("{:?}", d.severity), d.summary.clone(), d.detail.clone(), place))
    });
}

/// One module directory without its child modules: what `iac init` reads
/// to learn which module calls it has to install.
pub fn load_module_dir(dir: &Path, call_path: impl Into<ConfigModulePath>, sources: &mut SourceMap, diags: &mut Diagnostics) -> Module {
    load_module(dir, call_path.into(), sources, diags, 0, Children::Skip)
}

/// Where the manifest of installed modules lives, relative to the stack.
pub const MODULES_MANIFEST: &str = ".terraform/modules/modules.json";

/// The record of installed modules (Terraform's `modules.json`): by module
/// key (`vpc`, `vpc.subnets`), the normalized source and the directory.
#[derive(Debug, Default, Clone)]
pub struct InstalledModules {
    records: BTreeMap<String, (String, PathBuf)>,
}

impl InstalledModules {
    /// Reads the manifest; an absent one is an empty record (nothing
    /// installed), a damaged one a diagnostic telling to run `iac init`.
    pub fn read(root: &Path, diags: &mut Diagnostics) -> InstalledModules {
        let path = root.join(MODULES_MANIFEST);
        let Ok(text) = std::fs::read_to_string(&path) else { return InstalledModules::default() };
        let parsed: Option<Vec<(String, String, PathBuf)>> = serde_json::from_str::<serde_json::Value>(&text).ok().and_then(|v| {
            v.get("Modules")?
                .as_array()?
                .iter()
                .map(|m| {
                    Some((
                        m.get("Key")?.as_str()?.to_string(),
                        m.get("Source").and_then(|s| s.as_str()).unwrap_or_default().to_string(),
                        PathBuf::from(m.get("Dir")?.as_str()?),
                    ))
                })
                .collect()
        });
        match parsed {
            Some(list) => InstalledModules { records: list.into_iter().map(|(k, s, d)| (k, (s, d))).collect() },
            None => {
                diags.push(Diagnostic::error(format!("{} is damaged; run iac init", path.display()), None));
                InstalledModules::default()
            }
        }
    }
}

#[derive(Clone, Copy)]
enum Children<'a> {
    /// Load child modules: local ones by path, the others from the manifest.
    Installed {
        root: &'a Path,
        installed: &'a InstalledModules,
    },
    Skip,
}

fn display_name(path: &Path) -> String {
    let cwd = std::env::current_dir().ok();
    match cwd.as_deref().and_then(|c| path.strip_prefix(c).ok()) {
        Some(rel) => rel.display().to_string(),
        None => path.display().to_string(),
    }
}

fn load_module(dir: &Path, call_path: ConfigModulePath, sources: &mut SourceMap, diags: &mut Diagnostics, depth: usize, children: Children) -> Module {
    let mut module = Module { dir: dir.to_path_buf(), call_path, ..Module::default() };
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            // As Terraform: `*.tf` only (never `*.hcl`: the lock file, a
            // `backend.hcl` for -backend-config, test files), and not the files
            // editors leave (`.name`, `name~`, `#name#`).
            .filter(|p| p.is_file() && p.file_name().and_then(|n| n.to_str()).is_some_and(|n| configuration_file(n) == Some(false)))
            .collect(),
        Err(e) => {
            diags.push(Diagnostic::error(format!("cannot read stack directory {}: {e}", dir.display()), None));
            return module;
        }
    };
    files.sort();
    // JSON configuration would be ignored silently, and what it declares then
    // planned for destruction: refuse it instead.
    if let Ok(rd) = std::fs::read_dir(dir) {
        let mut json: Vec<String> = rd.filter_map(|e| e.ok()?.file_name().into_string().ok()).filter(|n| configuration_file(n) == Some(true)).collect();
        json.sort();
        for name in json {
            diags.push(Diagnostic::error(
                format!(
                    "{} is Terraform's JSON configuration syntax, which iac does not read yet; write it as {}",
                    dir.join(&name).display(),
                    name.trim_end_matches(".json")
                ),
                None,
            ));
        }
    }
    if files.is_empty() {
        diags.push(Diagnostic::error(format!("no *.tf files in {}", dir.display()), None));
    }
    for path in files {
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                diags.push(Diagnostic::error(format!("cannot read {}: {e}", path.display()), None));
                continue;
            }
        };
        let file = sources.add(SourceFile::new(display_name(&path), path.clone(), text));
        let text = &sources.get(file).text;
        match hcl_edit::parser::parse_body(text) {
            Ok(body) => {
                let mut b = Builder { file, diags, module: &mut module };
                b.body(body);
            }
            Err(e) => {
                let loc = e.location();
                let offset = loc.offset();
                diags.push(Diagnostic::error(
                    format!("syntax error: {}", e.message()),
                    Some(Span { file, range: offset..(offset + 1).min(text.len().max(offset)) }),
                ));
            }
        }
    }
    let Children::Installed { root, installed } = children else { return module };
    // Child modules, after the whole directory is read.
    let calls: Vec<String> = module.module_calls.keys().cloned().collect();
    for name in calls {
        let call = module.module_calls.get(&name).expect("listed above");
        let source = call.source.clone();
        let span = call.source_span.clone().unwrap_or_else(|| call.span.clone());
        let path = module.call_path.child(&name);
        // A call whose module cannot be loaded gets an empty module marked
        // unavailable, so the graph does not add a "has no output" error per
        // reference to it: the one diagnostic below names the real cause.
        let mut unavailable = |module: &mut Module, d: Diagnostic| {
            diags.push(d);
            let call = module.module_calls.get_mut(&name).expect("listed above");
            call.unavailable = true;
            *call.module = Module { dir: dir.to_path_buf(), call_path: path.clone(), ..Module::default() };
        };
        if depth > 32 {
            unavailable(&mut module, Diagnostic::error("modules nested more than 32 deep (a module that calls itself?)", Some(span)));
            continue;
        }
        let parsed = match crate::modsource::ModuleSource::parse(&source) {
            Ok(p) => p,
            Err(why) => {
                unavailable(&mut module, Diagnostic::error(format!("module {name:?}: invalid source: {why}"), Some(span)));
                continue;
            }
        };
        let child_dir = if parsed.is_local() {
            // Cleaned as Terraform joins paths: `path.module` of `./modules/x`
            // called from the root is `modules/x`, not `././modules/x`.
            let child_dir = clean_path(&dir.join(&source));
            if !child_dir.is_dir() {
                unavailable(&mut module, Diagnostic::error(format!("module source {source:?} is not a directory ({})", child_dir.display()), Some(span)));
                continue;
            }
            child_dir
        } else {
            let key = path.join(".");
            let normalized = parsed.to_string();
            match installed.records.get(&key) {
                None => {
                    unavailable(&mut module, Diagnostic::error(format!("module {name:?} is not installed (source {normalized:?}); run iac init"), Some(span)));
                    continue;
                }
                Some((recorded, _)) if *recorded != normalized => {
                    unavailable(
                        &mut module,
                        Diagnostic::error(format!("module {name:?}: the source changed since iac init installed {recorded:?}; run iac init"), Some(span)),
                    );
                    continue;
                }
                Some((_, rel)) => {
                    let child_dir = clean_path(&root.join(rel));
                    if !child_dir.is_dir() {
                        unavailable(
                            &mut module,
                            Diagnostic::error(format!("module {name:?}: its installed directory {} is missing; run iac init", rel.display()), Some(span)),
                        );
                        continue;
                    }
                    child_dir
                }
            }
        };
        let child = load_module(&child_dir, path, sources, diags, depth + 1, children);
        *module.module_calls.get_mut(&name).expect("listed above").module = child;
    }
    module
}

/// Whether a directory entry is configuration as Terraform decides it:
/// Some(false) for `*.tf`, Some(true) for `*.tf.json`, None otherwise
/// (other extensions, hidden and editor backup files).
fn configuration_file(name: &str) -> Option<bool> {
    if name.starts_with('.') || name.ends_with('~') || (name.starts_with('#') && name.ends_with('#')) {
        return None;
    }
    if name.ends_with(".tf.json") {
        Some(true)
    } else if name.ends_with(".tf") {
        Some(false)
    } else {
        None
    }
}

/// Lexical cleaning (Go's `filepath.Clean`): no `.` elements, `..` taken
/// against the element before it, `.` for an empty path.
fn clean_path(p: &Path) -> PathBuf {
    use std::path::Component;
    let mut out: Vec<Component> = Vec::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.last(), Some(Component::Normal(_))) => {
                out.pop();
            }
            Component::ParentDir if matches!(out.last(), Some(Component::RootDir | Component::Prefix(_))) => {}
            other => out.push(other),
        }
    }
    if out.is_empty() {
        return PathBuf::from(".");
    }
    out.iter().collect()
}

struct Builder<'a> {
    file: FileId,
    diags: &'a mut Diagnostics,
    module: &'a mut Module,
}

fn label_str(l: &BlockLabel) -> &str {
    match l {
        BlockLabel::Ident(i) => i.as_str(),
        BlockLabel::String(s) => s.as_str(),
    }
}

impl Builder<'_> {
    fn span(&self, r: Option<std::ops::Range<usize>>) -> Span {
        Span { file: self.file, range: r.unwrap_or(0..0) }
    }
    fn expr(&self, e: &Expression) -> Expr {
        Expr { expr: e.clone(), file: self.file }
    }
    fn err(&mut self, msg: impl Into<String>, r: Option<std::ops::Range<usize>>) {
        let s = self.span(r);
        self.diags.push(Diagnostic::error(msg, Some(s)));
    }
    /// Terraform's errors for a validation rule whose condition does not
    /// test the variable: one referring to nothing at all, and one not
    /// referring to the variable itself.
    fn check_validation_condition(&mut self, name: &str, condition: &Expression) {
        let (refs, _) = crate::refs::references(condition);
        let span = self.span(condition.span());
        if refs.is_empty() {
            self.diags.push(Diagnostic::error("Invalid validation expression", Some(span.clone())).with_detail(
                "The condition expression must refer to at least one object from elsewhere in the configuration, or else its result would not be checking anything.",
            ));
        }
        if !refs.iter().any(|r| matches!(&r.subject, crate::refs::Subject::Var(n) if n == name)) {
            self.diags.push(
                Diagnostic::error("Invalid variable validation condition", Some(span))
                    .with_detail(format!("The condition for variable {name:?} must refer to var.{name} in order to test incoming values.")),
            );
        }
    }
    fn header_span(&self, b: &Block) -> Span {
        let start = b.ident.span().map(|r| r.start).unwrap_or(0);
        let end = b.labels.last().and_then(|l| match l {
            BlockLabel::Ident(i) => i.span(),
            BlockLabel::String(s) => s.span(),
        });
        let end = end.map(|r| r.end).or(b.ident.span().map(|r| r.end)).unwrap_or(start);
        Span { file: self.file, range: start..end }
    }

    fn labels<'b>(&mut self, b: &'b Block, n: usize, what: &str) -> Option<Vec<&'b str>> {
        if b.labels.len() != n {
            let h = self.header_span(b);
            self.diags.push(Diagnostic::error(format!("a {} block takes {n} label(s) ({what}), found {}", b.ident.as_str(), b.labels.len()), Some(h)));
            return None;
        }
        Some(b.labels.iter().map(label_str).collect())
    }

    /// Takes the parsed body by value: resource and provider bodies are moved
    /// into the model, not copied (they are most of a large stack).
    fn body(&mut self, body: Body) {
        for s in body {
            match s {
                Structure::Attribute(a) => self.err(format!("unexpected argument {:?} at the top level; only blocks belong here", a.key.as_str()), a.key.span()),
                Structure::Block(b) => match b.ident.as_str() {
                    "terraform" => self.terraform(&b),
                    "variable" => self.variable(&b),
                    "locals" => self.locals(&b),
                    "resource" => {
                        self.resource(b, Mode::Managed);
                    }
                    "data" => {
                        self.resource(b, Mode::Data);
                    }
                    "output" => self.output(&b),
                    "module" => self.module_call(&b),
                    "provider" => self.provider(b),
                    "moved" => self.moved(&b),
                    "removed" => self.removed(&b),
                    "import" => self.import(&b),
                    "check" => self.check(b),
                    "ephemeral" => {
                        self.resource(b, Mode::Ephemeral);
                    }
                    other => self.err(
                        format!("unsupported block type {other:?}; expected one of terraform, variable, locals, resource, data, output, module, provider, moved, removed, import, check, ephemeral"),
                        b.ident.span(),
                    ),
                },
            }
        }
    }

    /// Splits a body into attributes and blocks, reporting names not in `allowed`.
    fn attrs<'b>(&mut self, body: &'b Body, allowed_attrs: &[&str], allowed_blocks: &[&str], ctx: &str) -> (BTreeMap<String, &'b Attribute>, Vec<&'b Block>) {
        let mut attrs = BTreeMap::new();
        let mut blocks = Vec::new();
        for s in body.iter() {
            match s {
                Structure::Attribute(a) => {
                    let k = a.key.as_str();
                    if !allowed_attrs.contains(&k) {
                        self.err(format!("unsupported argument {k:?} in {ctx}"), a.key.span());
                    } else if attrs.insert(k.to_string(), a).is_some() {
                        self.err(format!("argument {k:?} is set twice in {ctx}"), a.key.span());
                    }
                }
                Structure::Block(b) => {
                    if allowed_blocks.contains(&b.ident.as_str()) {
                        blocks.push(b);
                    } else {
                        self.err(format!("unsupported block {:?} in {ctx}", b.ident.as_str()), b.ident.span());
                    }
                }
            }
        }
        (attrs, blocks)
    }

    fn literal_bool(&mut self, a: Option<&&Attribute>) -> bool {
        let Some(a) = a else { return false };
        match eval_literal(&a.value) {
            Ok(v) => match v.as_bool() {
                Some(b) => b,
                None => {
                    self.err(format!("{} must be true or false", a.key.as_str()), a.value.span());
                    false
                }
            },
            Err(e) => {
                self.err(format!("{} must be a literal bool: {e}", a.key.as_str()), a.value.span());
                false
            }
        }
    }

    fn literal_string(&mut self, a: Option<&&Attribute>) -> Option<String> {
        let a = a?;
        match eval_literal(&a.value).ok().and_then(|v| v.as_str().map(str::to_string)) {
            Some(s) => Some(s),
            None => {
                self.err(format!("{} must be a literal string", a.key.as_str()), a.value.span());
                None
            }
        }
    }

    /// `check "name" { data ... {}  assert { condition, error_message } }`:
    /// the assertions are kept for the engine, which evaluates them after
    /// plan and apply; scoped data sources become data resources of the
    /// module, marked with the check's name.
    fn check(&mut self, b: Block) {
        let Some(l) = self.labels(&b, 1, "the check name") else { return };
        let name = l[0].to_string();
        let span = self.header_span(&b);
        let block = self.span(b.span());
        let mut asserts = Vec::new();
        let mut data = Vec::new();
        {
            let (_, blocks) = self.attrs(&b.body, &[], &["assert", "data"], "a check block");
            for blk in blocks {
                if blk.ident.as_str() != "assert" {
                    data.push(blk.clone());
                    continue;
                }
                let (attrs, _) = self.attrs(&blk.body, &["condition", "error_message"], &[], "an assert block");
                let (Some(c), Some(m)) = (attrs.get("condition"), attrs.get("error_message")) else {
                    self.err("an assert block needs condition and error_message", blk.ident.span());
                    continue;
                };
                // As Terraform: a condition that refers to nothing checks
                // nothing; the assertion is dropped (a check left with none
                // is also "Zero assert blocks", as in Terraform).
                if self.constant_condition(&c.value, "assert") {
                    continue;
                }
                asserts.push(Assertion { condition: self.expr(&c.value), error_message: self.expr(&m.value) });
            }
        }
        if asserts.is_empty() {
            self.diags.push(Diagnostic::error("Zero assert blocks", Some(span.clone())).with_detail("Check blocks must have at least one assert block."));
        }
        for d in data {
            if let Some(key) = self.resource(d, Mode::Data) {
                if let Some(r) = self.module.resources.get_mut(&key) {
                    r.check = Some(name.clone());
                }
            }
        }
        if let Some(prev) = self.module.checks.get(&name) {
            self.diags.push(Diagnostic::error(format!("duplicate check block {name:?}"), Some(span)).with_related(prev.span.clone(), "first declared here"));
            return;
        }
        self.module.checks.insert(name.clone(), Check { name, span, block, asserts });
    }

    fn terraform(&mut self, b: &Block) {
        let (attrs, blocks) =
            self.attrs(&b.body, &["required_version", "experiments"], &["backend", "required_providers", "cloud", "provider_meta"], "the terraform block");
        if let Some(a) = attrs.get("required_version") {
            if let Some(v) = self.literal_string(Some(a)) {
                // Terraform's version error names the whole argument.
                let whole = a.key.span().zip(a.value.span()).map(|(k, v)| k.start..v.end);
                self.module.required_version = Some((v, self.span(whole)));
            }
        }
        for blk in blocks {
            match blk.ident.as_str() {
                "backend" => {
                    let Some(labels) = self.labels(blk, 1, "the backend type") else { continue };
                    let mut settings = BTreeMap::new();
                    for s in blk.body.iter() {
                        match s {
                            Structure::Attribute(a) => match eval_literal(&a.value) {
                                Ok(v) => {
                                    settings.insert(a.key.as_str().to_string(), v.to_json());
                                }
                                Err(e) => self.err(format!("backend settings must be literal values: {e}"), a.value.span()),
                            },
                            Structure::Block(x) => self.err("nested blocks are not supported in a backend block", x.ident.span()),
                        }
                    }
                    if self.module.backend.is_some() {
                        self.err("only one backend block is allowed", blk.ident.span());
                    }
                    self.module.backend = Some(Backend { type_: labels[0].to_string(), settings, span: self.header_span(blk) });
                }
                "cloud" => self.err("the cloud block is not supported; use a backend block", blk.ident.span()),
                // Module metadata for a provider (`provider_meta "aws" { module_name = ... }`):
                // only sent to providers that ask for it, which no iac provider does.
                "provider_meta" => {
                    self.labels(blk, 1, "the provider name");
                }
                _ => self.required_providers(blk),
            }
        }
    }

    /// `required_providers { aws = { source = "hashicorp/aws", version = "~> 5.0" } }`
    /// (or the legacy `aws = "~> 5.0"`): literal values only, as Terraform.
    fn required_providers(&mut self, blk: &Block) {
        for s in blk.body.iter() {
            let Structure::Attribute(a) = s else {
                if let Structure::Block(x) = s {
                    self.err("required_providers takes NAME = { source = ..., version = ... } entries, not blocks", x.ident.span());
                }
                continue;
            };
            let name = a.key.as_str().to_string();
            let span = self.span(a.span());
            let entry = match &a.value {
                Expression::Object(obj) => {
                    let mut entry = RequiredProvider { name: name.clone(), source: None, version: None, span };
                    for (key, value) in obj.iter() {
                        let key = match key {
                            hcl_edit::expr::ObjectKey::Ident(i) => i.as_str().to_string(),
                            hcl_edit::expr::ObjectKey::Expression(e) => match eval_literal(e).ok().and_then(|v| v.as_str().map(str::to_string)) {
                                Some(k) => k,
                                None => {
                                    self.err(format!("required_providers.{name} keys must be names"), e.span());
                                    continue;
                                }
                            },
                        };
                        let slot = match key.as_str() {
                            "source" => &mut entry.source,
                            "version" => &mut entry.version,
                            // References to aliases the module expects (`[aws.west]`): nothing to install.
                            "configuration_aliases" => continue,
                            other => {
                                self.err(
                                    format!("unsupported key {other:?} in required_providers.{name}; expected source, version or configuration_aliases"),
                                    value.expr().span(),
                                );
                                continue;
                            }
                        };
                        match eval_literal(value.expr()).ok().and_then(|v| v.as_str().map(str::to_string)) {
                            Some(text) => *slot = Some(text),
                            None => self.err(format!("required_providers.{name}.{key} must be a literal string"), value.expr().span()),
                        }
                    }
                    entry
                }
                // The legacy form `aws = "~> 5.0"`: a version constraint alone.
                other => match eval_literal(other).ok().and_then(|v| v.as_str().map(str::to_string)) {
                    Some(version) => RequiredProvider { name: name.clone(), source: None, version: Some(version), span },
                    None => {
                        self.err(format!("required_providers.{name} must be an object with source and version"), other.span());
                        continue;
                    }
                },
            };
            if self.module.required_providers.insert(name.clone(), entry).is_some() {
                self.err(format!("provider {name:?} is required twice"), a.key.span());
            }
        }
    }

    fn variable(&mut self, b: &Block) {
        let Some(l) = self.labels(b, 1, "the variable name") else { return };
        let name = l[0].to_string();
        let span = self.header_span(b);
        let (attrs, blocks) =
            self.attrs(&b.body, &["type", "default", "description", "sensitive", "nullable", "ephemeral"], &["validation"], "a variable block");
        let type_ = match attrs.get("type") {
            Some(a) => match TypeConstraint::parse(&a.value) {
                Ok(t) => t,
                Err(e) => {
                    self.err(format!("invalid type constraint: {e}"), a.value.span());
                    TypeConstraint::Any
                }
            },
            None => TypeConstraint::Any,
        };
        let default = attrs.get("default").map(|a| self.expr(&a.value));
        // As Terraform: a default that its own type constraint rejects is a configuration error.
        if let Some(a) = attrs.get("default") {
            if let Ok(v) = eval_literal(&a.value) {
                if let Err(e) = type_.convert(v) {
                    let span = self.span(a.value.span());
                    self.diags.push(
                        Diagnostic::error("Invalid default value for variable", Some(span))
                            .with_detail(format!("This default value is not compatible with the variable's type constraint: {}.", e.with_cty_path())),
                    );
                }
            }
        }
        let description = self.literal_string(attrs.get("description")).unwrap_or_default();
        let sensitive = self.literal_bool(attrs.get("sensitive"));
        let nullable = if attrs.contains_key("nullable") { self.literal_bool(attrs.get("nullable")) } else { true };
        let ephemeral = self.literal_bool(attrs.get("ephemeral"));
        let mut validations = Vec::new();
        for v in blocks {
            let (va, _) = self.attrs(&v.body, &["condition", "error_message"], &[], "a validation block");
            match (va.get("condition"), va.get("error_message")) {
                (Some(c), Some(m)) => {
                    self.check_validation_condition(&name, &c.value);
                    validations.push(Validation { condition: self.expr(&c.value), error_message: self.expr(&m.value), block: self.span(v.ident.span()) })
                }
                _ => self.err("a validation block needs condition and error_message", v.ident.span()),
            }
        }
        if self.module.variables.contains_key(&name) {
            self.diags.push(
                Diagnostic::error(format!("duplicate variable {name:?}"), Some(span.clone()))
                    .with_related(self.module.variables[&name].span.clone(), "first declared here"),
            );
            return;
        }
        self.module.variables.insert(name.clone(), Variable { name, type_, default, description, sensitive, nullable, ephemeral, validations, span });
    }

    fn locals(&mut self, b: &Block) {
        for s in b.body.iter() {
            match s {
                Structure::Attribute(a) => {
                    let name = a.key.as_str().to_string();
                    let span = self.span(a.key.span());
                    if let Some(prev) = self.module.locals.get(&name) {
                        self.diags.push(
                            Diagnostic::error(format!("duplicate local value {name:?}"), Some(span)).with_related(prev.span.clone(), "first defined here"),
                        );
                        continue;
                    }
                    self.module.locals.insert(name.clone(), Local { name, value: self.expr(&a.value), span });
                }
                Structure::Block(x) => self.err("blocks are not allowed in locals", x.ident.span()),
            }
        }
    }

    fn depends_on(&mut self, a: Option<&&Attribute>) -> Vec<Expr> {
        let Some(a) = a else { return Vec::new() };
        match &a.value {
            Expression::Array(items) => items.iter().map(|i| self.expr(i)).collect(),
            other => {
                self.err("depends_on must be a list of references", other.span());
                Vec::new()
            }
        }
    }

    fn provider_ref(&mut self, a: Option<&&Attribute>, default_name: &str) -> ProviderRef {
        let Some(a) = a else { return ProviderRef { name: default_name.to_string(), alias: None, span: None } };
        let span = Some(self.span(a.value.span()));
        match parse_provider_ref(&a.value) {
            Some((name, alias)) => ProviderRef { name, alias, span },
            None => {
                self.err("provider must be a provider reference such as aws or aws.west", a.value.span());
                ProviderRef { name: default_name.to_string(), alias: None, span }
            }
        }
    }

    /// Adds a resource or data block to the module; its key when it was added.
    fn resource(&mut self, b: Block, mode: Mode) -> Option<LocalResourceAddr> {
        let l = self.labels(&b, 2, "the type and the name")?;
        let (type_, name) = (l[0].to_string(), l[1].to_string());
        let span = self.header_span(&b);
        let mut count = None;
        let mut for_each = None;
        let mut depends_on = Vec::new();
        let mut provider_attr = None;
        let mut lifecycle = Lifecycle::default();
        for s in b.body.iter() {
            match s {
                Structure::Attribute(a) => match a.key.as_str() {
                    "count" => count = Some(self.expr(&a.value)),
                    "for_each" => for_each = Some(self.expr(&a.value)),
                    "depends_on" => depends_on = self.depends_on(Some(&a)),
                    "provider" => provider_attr = Some(a),
                    _ => {}
                },
                Structure::Block(x) if x.ident.as_str() == "lifecycle" => {
                    lifecycle = if mode == Mode::Data { self.data_lifecycle(x) } else { self.lifecycle(x) };
                }
                Structure::Block(x) if matches!(x.ident.as_str(), "provisioner" | "connection") => {
                    self.err("provisioners are not supported; model the side effect as a resource", x.ident.span());
                }
                _ => {}
            }
        }
        if count.is_some() && for_each.is_some() {
            self.err("count and for_each cannot both be set", for_each.as_ref().map(|e| e.span().range));
        }
        let default_provider = type_.split('_').next().unwrap_or(&type_).to_string();
        let provider = self.provider_ref(provider_attr.as_ref(), &default_provider);
        let r =
            Resource { mode, type_, name, span: span.clone(), file: self.file, body: b.body, count, for_each, depends_on, provider, lifecycle, check: None };
        let key = r.key();
        // One search of the map, not a look-up and then an insert.
        match self.module.resources.entry(key) {
            std::collections::btree_map::Entry::Occupied(prev) => {
                let d =
                    Diagnostic::error(format!("duplicate resource {}", prev.key()), Some(span)).with_related(prev.get().span.clone(), "first declared here");
                self.diags.push(d);
                None
            }
            std::collections::btree_map::Entry::Vacant(slot) => {
                let key = slot.key().clone();
                slot.insert(r);
                Some(key)
            }
        }
    }

    fn lifecycle(&mut self, b: &Block) -> Lifecycle {
        let (attrs, blocks) = self.attrs(
            &b.body,
            &["create_before_destroy", "prevent_destroy", "ignore_changes", "replace_triggered_by"],
            &["precondition", "postcondition"],
            "a lifecycle block",
        );
        let mut l = Lifecycle {
            create_before_destroy: self.literal_bool(attrs.get("create_before_destroy")),
            prevent_destroy: self.literal_bool(attrs.get("prevent_destroy")),
            preconditions: self.conditions(&blocks, "precondition"),
            postconditions: self.conditions(&blocks, "postcondition"),
            ..Lifecycle::default()
        };
        if let Some(a) = attrs.get("ignore_changes") {
            l.ignore_changes = match &a.value {
                Expression::Variable(v) if v.as_str() == "all" => IgnoreChanges::All,
                Expression::Array(items) => {
                    let mut paths = Vec::new();
                    for i in items.iter() {
                        match traversal_path(i) {
                            Some(p) => paths.push(p),
                            None => self.err("ignore_changes entries must be attribute names such as tags or tags[\"x\"]", i.span()),
                        }
                    }
                    IgnoreChanges::Paths(paths)
                }
                other => {
                    self.err("ignore_changes must be a list of attributes or all", other.span());
                    IgnoreChanges::None
                }
            };
        }
        if let Some(a) = attrs.get("replace_triggered_by") {
            match &a.value {
                Expression::Array(items) => l.replace_triggered_by = items.iter().map(|i| self.expr(i)).collect(),
                other => self.err("replace_triggered_by must be a list of references", other.span()),
            }
        }
        l
    }

    /// A data source's lifecycle block: only its conditions (Terraform
    /// accepts nothing else there).
    fn data_lifecycle(&mut self, b: &Block) -> Lifecycle {
        let (_, blocks) = self.attrs(&b.body, &[], &["precondition", "postcondition"], "a data source's lifecycle block");
        Lifecycle { preconditions: self.conditions(&blocks, "precondition"), postconditions: self.conditions(&blocks, "postcondition"), ..Lifecycle::default() }
    }

    /// The `precondition` or `postcondition` blocks (`kind`) among `blocks`,
    /// each with its `condition` and `error_message`.
    fn conditions(&mut self, blocks: &[&Block], kind: &str) -> Vec<Assertion> {
        let mut out = Vec::new();
        for blk in blocks.iter().filter(|b| b.ident.as_str() == kind) {
            let (attrs, _) = self.attrs(&blk.body, &["condition", "error_message"], &[], &format!("a {kind} block"));
            let (Some(c), Some(m)) = (attrs.get("condition"), attrs.get("error_message")) else {
                self.err(format!("a {kind} block needs condition and error_message"), blk.ident.span());
                continue;
            };
            if self.constant_condition(&c.value, kind) {
                continue;
            }
            out.push(Assertion { condition: self.expr(&c.value), error_message: self.expr(&m.value) });
        }
        out
    }

    /// Terraform's error for a condition (of a `kind` block) that refers to
    /// nothing, whose result would check nothing; whether it was one.
    fn constant_condition(&mut self, condition: &Expression, kind: &str) -> bool {
        let (refs, unknown_roots) = crate::refs::references(condition);
        if !refs.is_empty() || !unknown_roots.is_empty() {
            return false;
        }
        self.diags.push(
            Diagnostic::error(format!("Invalid {kind} expression"), Some(self.span(condition.span()))).with_detail(
                "The condition expression must refer to at least one object from elsewhere in the configuration, or else its result would not be checking anything.",
            ),
        );
        true
    }

    fn output(&mut self, b: &Block) {
        let Some(l) = self.labels(b, 1, "the output name") else { return };
        let name = l[0].to_string();
        let span = self.header_span(b);
        let (attrs, blocks) = self.attrs(&b.body, &["value", "sensitive", "description", "depends_on", "ephemeral"], &["precondition"], "an output block");
        let Some(value) = attrs.get("value") else {
            self.diags.push(Diagnostic::error(format!("output {name:?} has no value"), Some(span)));
            return;
        };
        let o = Output {
            name: name.clone(),
            value: self.expr(&value.value),
            sensitive: self.literal_bool(attrs.get("sensitive")),
            ephemeral: self.literal_bool(attrs.get("ephemeral")),
            description: self.literal_string(attrs.get("description")).unwrap_or_default(),
            depends_on: self.depends_on(attrs.get("depends_on")),
            preconditions: self.conditions(&blocks, "precondition"),
            span: span.clone(),
        };
        if let Some(prev) = self.module.outputs.get(&name) {
            self.diags.push(Diagnostic::error(format!("duplicate output {name:?}"), Some(span)).with_related(prev.span.clone(), "first declared here"));
            return;
        }
        self.module.outputs.insert(name, o);
    }

    fn module_call(&mut self, b: &Block) {
        let Some(l) = self.labels(b, 1, "the module name") else { return };
        let name = l[0].to_string();
        let span = self.header_span(b);
        let mut inputs = BTreeMap::new();
        let mut call = ModuleCall {
            name: name.clone(),
            source: String::new(),
            source_span: None,
            version: None,
            span: span.clone(),
            inputs: BTreeMap::new(),
            count: None,
            for_each: None,
            depends_on: Vec::new(),
            providers: BTreeMap::new(),
            module: Box::default(),
            unavailable: false,
        };
        for s in b.body.iter() {
            match s {
                Structure::Attribute(a) => match a.key.as_str() {
                    "source" => {
                        call.source = self.literal_string(Some(&a)).unwrap_or_default();
                        call.source_span = Some(self.span(a.value.span()));
                    }
                    "version" => {
                        if let Some(v) = self.literal_string(Some(&a)) {
                            call.version = Some((v, self.span(a.value.span())));
                        }
                    }
                    "count" => call.count = Some(self.expr(&a.value)),
                    "for_each" => call.for_each = Some(self.expr(&a.value)),
                    "depends_on" => call.depends_on = self.depends_on(Some(&a)),
                    "providers" => match &a.value {
                        Expression::Object(o) => {
                            for (k, v) in o.iter() {
                                let key = match k {
                                    hcl_edit::expr::ObjectKey::Ident(i) => parse_provider_ref(&Expression::Variable(i.clone())),
                                    hcl_edit::expr::ObjectKey::Expression(e) => parse_provider_ref(e),
                                };
                                match (key, parse_provider_ref(v.expr())) {
                                    (Some((kn, ka)), Some((vn, va))) => {
                                        let child = match ka {
                                            Some(a) => format!("{kn}.{a}"),
                                            None => kn,
                                        };
                                        call.providers.insert(child, ProviderRef { name: vn, alias: va, span: Some(self.span(v.expr().span())) });
                                    }
                                    _ => self.err("providers entries map a child provider to a parent one: { aws = aws.west }", v.expr().span()),
                                }
                            }
                        }
                        other => self.err("providers must be an object", other.span()),
                    },
                    other => {
                        inputs.insert(other.to_string(), self.expr(&a.value));
                    }
                },
                Structure::Block(x) => self.err(format!("unsupported block {:?} in a module block", x.ident.as_str()), x.ident.span()),
            }
        }
        if call.source.is_empty() {
            self.diags.push(Diagnostic::error(format!("module {name:?} has no source"), Some(span.clone())));
            return;
        }
        if let Some((_, vspan)) = &call.version {
            // Terraform's rule: only registry packages have versions to choose from.
            if !matches!(crate::modsource::ModuleSource::parse(&call.source), Ok(crate::modsource::ModuleSource::Registry(_)) | Err(_)) {
                self.diags.push(Diagnostic::error(
                    format!("module {name:?}: version applies only to registry modules; other sources are fixed by their address (?ref= for git)"),
                    Some(vspan.clone()),
                ));
            }
        }
        call.inputs = inputs;
        if let Some(prev) = self.module.module_calls.get(&name) {
            self.diags.push(Diagnostic::error(format!("duplicate module call {name:?}"), Some(span)).with_related(prev.span.clone(), "first declared here"));
            return;
        }
        self.module.module_calls.insert(name, call);
    }

    fn provider(&mut self, b: Block) {
        let Some(l) = self.labels(&b, 1, "the provider name") else { return };
        let name = l[0].to_string();
        let span = self.header_span(&b);
        let alias = b.body.iter().find_map(|s| match s {
            Structure::Attribute(a) if a.key.as_str() == "alias" => Some(a),
            _ => None,
        });
        let alias = match alias {
            Some(a) => self.literal_string(Some(&a)),
            None => None,
        };
        if let Some(prev) = self.module.providers.iter().find(|p| p.name == name && p.alias == alias) {
            let prev = prev.span.clone();
            self.diags.push(
                Diagnostic::error(
                    format!("duplicate provider configuration {name}{}", alias.as_ref().map(|a| format!(".{a}")).unwrap_or_default()),
                    Some(span),
                )
                .with_related(prev, "first declared here"),
            );
            return;
        }
        self.module.providers.push(ProviderConfig { name, alias, span, file: self.file, body: b.body });
    }

    fn moved(&mut self, b: &Block) {
        let span = self.header_span(b);
        let (attrs, _) = self.attrs(&b.body, &["from", "to"], &[], "a moved block");
        let mut get = |k: &str| -> Option<Target> {
            let a = attrs.get(k)?;
            let text = expr_source_text(&a.value)?;
            match text.parse::<Target>() {
                Ok(t) => Some(t),
                Err(e) => {
                    self.err(format!("invalid address in moved.{k}: {e}"), a.value.span());
                    None
                }
            }
        };
        let (from, to) = (get("from"), get("to"));
        match (from, to) {
            (Some(from), Some(to)) => self.module.moved.push(Moved { from, to, span }),
            _ => self.diags.push(Diagnostic::error("a moved block needs from and to addresses", Some(span))),
        }
    }

    fn removed(&mut self, b: &Block) {
        let span = self.header_span(b);
        let (attrs, blocks) = self.attrs(&b.body, &["from"], &["lifecycle", "provisioner", "connection"], "a removed block");
        let mut destroy = true;
        for blk in blocks {
            match blk.ident.as_str() {
                "lifecycle" => {
                    let (l, _) = self.attrs(&blk.body, &["destroy"], &[], "a removed block's lifecycle");
                    if let Some(a) = l.get("destroy") {
                        destroy = self.literal_bool(Some(a));
                    }
                }
                // As in resources; refused rather than skipped, since a
                // destroy-time provisioner that silently did not run would
                // lose its cleanup.
                _ => self.err("provisioners are not supported; model the side effect as a resource", blk.ident.span()),
            }
        }
        let Some(a) = attrs.get("from") else {
            self.diags.push(Diagnostic::error("a removed block needs from (the resource or module that was removed)", Some(span)));
            return;
        };
        let Some(text) = expr_source_text(&a.value) else {
            self.err("removed.from must be an address such as aws_instance.web or module.net", a.value.span());
            return;
        };
        match text.parse::<ConfigTarget>() {
            Ok(from) => {
                let from = from.within(&self.module.call_path);
                self.module.removed.push(Removed { from, destroy, span });
            }
            Err(e) => self.err(format!("invalid address in removed.from: {e}"), a.value.span()),
        }
    }

    fn import(&mut self, b: &Block) {
        let span = self.header_span(b);
        let (attrs, _) = self.attrs(&b.body, &["to", "id", "provider", "for_each"], &[], "an import block");
        let (to, for_each) = match (attrs.get("to"), attrs.get("for_each")) {
            (Some(to), Some(f)) => match self.import_to_steps(&to.value) {
                Ok((addr, steps)) => (Some(addr), Some(ImportForEach { for_each: self.expr(&f.value), to: steps, to_expr: self.expr(&to.value) })),
                Err(msg) => {
                    self.err(msg, to.value.span());
                    return;
                }
            },
            (to, _) => (to.and_then(|a| expr_source_text(&a.value)).and_then(|t| t.parse::<iac_core::InstanceAddr>().ok()), None),
        };
        match (to, attrs.get("id")) {
            (Some(to), Some(id)) => self.module.imports.push(Import { to, id: self.expr(&id.value), for_each, span }),
            _ => self.diags.push(Diagnostic::error("an import block needs to (a resource address) and id", Some(span))),
        }
    }

    /// The `to` address of an import block with `for_each`, as its steps,
    /// and the resource it names (without keys). As in Terraform, an index
    /// expression may use only `each.key` and `each.value`.
    fn import_to_steps(&self, e: &Expression) -> Result<(iac_core::InstanceAddr, Vec<ImportToStep>), String> {
        let invalid = || {
            "Invalid import 'to' expression: the import block 'to' argument must be a resource instance address, with index expressions using only each.key and each.value".to_string()
        };
        let (root, ops) = match e {
            Expression::Variable(v) => (v.as_str().to_string(), Vec::new()),
            Expression::Traversal(t) => match &t.expr {
                Expression::Variable(v) => (v.as_str().to_string(), t.operators.iter().map(|o| &**o).collect()),
                _ => return Err(invalid()),
            },
            _ => return Err(invalid()),
        };
        let mut steps = vec![ImportToStep::Name(root.clone())];
        let mut names = vec![root];
        for op in ops {
            match op {
                TraversalOperator::GetAttr(a) => {
                    steps.push(ImportToStep::Name(a.as_str().to_string()));
                    names.push(a.as_str().to_string());
                }
                TraversalOperator::Index(i) => {
                    let (refs, _) = crate::refs::references(i);
                    if let Some(r) = refs.iter().find(|r| !matches!(r.subject, crate::refs::Subject::EachKey | crate::refs::Subject::EachValue)) {
                        return Err(format!(
                            "Unknown variable: {} cannot be used here; only \"each.key\" and \"each.value\" can be used in import address index expressions",
                            r.subject.describe()
                        ));
                    }
                    steps.push(ImportToStep::Index(self.expr(i)));
                }
                _ => return Err(invalid()),
            }
        }
        let addr = names.join(".").parse::<iac_core::InstanceAddr>().map_err(|_| invalid())?;
        Ok((addr, steps))
    }
}

/// `aws` or `aws.west` → (name, alias).
fn parse_provider_ref(e: &Expression) -> Option<(String, Option<String>)> {
    match e {
        Expression::Variable(v) => Some((v.as_str().to_string(), None)),
        Expression::Traversal(t) => match (&t.expr, t.operators.as_slice()) {
            (Expression::Variable(v), [op]) => match &**op {
                TraversalOperator::GetAttr(a) => Some((v.as_str().to_string(), Some(a.as_str().to_string()))),
                _ => None,
            },
            _ => None,
        },
        _ => None,
    }
}

/// `tags["x"]`, `node_pool[0].size` → an attribute path.
pub fn traversal_path(e: &Expression) -> Option<AttrPath> {
    match e {
        Expression::Variable(v) => Some(AttrPath::attr(v.as_str())),
        Expression::String(s) => Some(AttrPath::attr(s.as_str())),
        Expression::Traversal(t) => {
            let mut p = traversal_path(&t.expr)?;
            for op in t.operators.iter() {
                match &**op {
                    TraversalOperator::GetAttr(a) => p.0.push(PathStep::Attr(a.as_str().to_string())),
                    TraversalOperator::Index(Expression::String(s)) => p.0.push(PathStep::Key(s.as_str().to_string())),
                    TraversalOperator::Index(Expression::Number(n)) => p.0.push(PathStep::Index(n.value().as_u64()? as usize)),
                    TraversalOperator::LegacyIndex(n) => p.0.push(PathStep::Index(*n.value() as usize)),
                    _ => return None,
                }
            }
            Some(p)
        }
        _ => None,
    }
}

/// The address written as a traversal (`module.a.aws_vpc.x["k"]`) as text.
fn expr_source_text(e: &Expression) -> Option<String> {
    match e {
        Expression::Variable(v) => Some(v.as_str().to_string()),
        Expression::Traversal(t) => {
            let mut s = expr_source_text(&t.expr)?;
            for op in t.operators.iter() {
                match &**op {
                    TraversalOperator::GetAttr(a) => {
                        s.push('.');
                        s.push_str(a.as_str());
                    }
                    TraversalOperator::Index(Expression::String(k)) => s.push_str(&format!("[{}]", serde_json::Value::String(k.as_str().to_string()))),
                    TraversalOperator::Index(Expression::Number(n)) => s.push_str(&format!("[{}]", n.value().as_i64()?)),
                    TraversalOperator::LegacyIndex(n) => s.push_str(&format!("[{}]", n.value())),
                    _ => return None,
                }
            }
            Some(s)
        }
        _ => None,
    }
}
