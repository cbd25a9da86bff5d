//! The commands: each parses its options into an engine request, calls
//! `iac_engine::ops`, and prints the result. No engine logic lives here.

mod comment;
mod drift;
mod fmt;
mod gitops;
mod migrate;
mod modules;
mod plan_apply;
mod show;
mod state;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use iac_engine::ops::{self, Env, Loaded};
use iac_lang::source::SourceMap;
use iac_lang::vars::CliVar;

use crate::args::{Cli, Command, LockArgs, ProviderInstallArgs, VarArgs};
use crate::report::Reporter;
use crate::wiring;

pub struct Ctx {
    pub dir: PathBuf,
    pub reporter: Reporter,
    pub color: bool,
}

pub async fn run(cli: Cli) -> u8 {
    // As in Terraform, -chdir switches the working directory before anything else,
    // so relative paths (path.module, -var-file, -out) resolve inside the stack.
    if let Some(dir) = &cli.chdir {
        if let Err(e) = std::env::set_current_dir(dir) {
            Reporter { color: false, json: false }.error(&format!("-chdir={}: {e}", dir.display()));
            return 1;
        }
    }
    let dir = PathBuf::from(".");
    let color = !cli.no_color && std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal();
    let ctx = Ctx { dir, reporter: Reporter { color, json: false }, color };
    if !ctx.dir.is_dir() {
        ctx.reporter.error(&format!("-chdir: {} is not a directory", ctx.dir.display()));
        return 1;
    }
    match cli.command {
        Command::Version => {
            outln!(
                "iac v{} (Terraform language {}.{}.{})",
                env!("CARGO_PKG_VERSION"),
                iac_engine::version::LANGUAGE_VERSION.0,
                iac_engine::version::LANGUAGE_VERSION.1,
                iac_engine::version::LANGUAGE_VERSION.2
            );
            0
        }
        Command::Fmt { check, diff, recursive, list, write, paths } => fmt::run(&ctx, fmt::Options { check, diff, recursive, list, write }, paths),
        Command::Init { backend_config, migrate_state, lock, providers } => init(&ctx, backend_config, migrate_state, lock, providers).await,
        Command::Validate { json } => validate(&ctx, json).await,
        Command::Plan { plan, out, detailed_exitcode, json, report, dirs, gitops_base } => {
            plan_apply::plan(&ctx, plan, out, detailed_exitcode, json, report, dirs, &gitops_base).await
        }
        Command::Apply { plan, auto_approve, plan_file, summary_markdown, json } => {
            plan_apply::apply(&ctx, plan, auto_approve, plan_file, summary_markdown, json).await
        }
        Command::Destroy { mut plan, auto_approve, json } => {
            plan.destroy = true;
            plan_apply::apply(&ctx, plan, auto_approve, None, None, json).await
        }
        Command::Show { json, show_sensitive, report, file } => match show::format(&ctx, json, &report) {
            Err(code) => code,
            Ok(show::Format::Markdown) => show::markdown(&ctx, &report, file),
            Ok(show::Format::Json) => state::show(&ctx, Some(iac_render::json::Options { show_sensitive }), file).await,
            Ok(show::Format::Human) => state::show(&ctx, None, file).await,
        },
        Command::Drift { vars, lock, format, out, push, unmanaged, unmanaged_ignore, parallelism, dirs } => {
            drift::run(&ctx, drift::DriftArgs { vars, lock, format, out, push, unmanaged, unmanaged_ignore, parallelism, dirs }).await
        }
        Command::Output { json, raw, name } => state::output(&ctx, json, raw, name).await,
        Command::Graph { format } => graph(&ctx, &format),
        Command::State(cmd) => state::state(&ctx, cmd).await,
        Command::Providers(crate::args::ProvidersCommand::Lock { platform, providers }) => {
            tokio::task::block_in_place(|| providers_lock(&ctx, platform, providers))
        }
        Command::Providers(crate::args::ProvidersCommand::Mirror { platform, lock_file, dir }) => {
            tokio::task::block_in_place(|| providers_mirror(&ctx, platform, lock_file, dir))
        }
        Command::Import { vars, lock, address, id } => import(&ctx, vars, lock, address, id).await,
        Command::ForceUnlock { lock_id, .. } => state::force_unlock(&ctx, lock_id).await,
        Command::App(crate::args::AppCommand::New { name, image, port, replicas, max_replicas, metric, metric_target, namespace, gitops, kind, force }) => {
            gitops::app_new(&ctx, gitops::NewArgs { name, image, port, replicas, max_replicas, metric, metric_target, namespace, gitops, kind, force })
        }
    }
}

/// The subcommand's name, for the root span.
pub fn name(c: &Command) -> &'static str {
    match c {
        Command::Init { .. } => "init",
        Command::Validate { .. } => "validate",
        Command::Fmt { .. } => "fmt",
        Command::Plan { .. } => "plan",
        Command::Apply { .. } => "apply",
        Command::Destroy { .. } => "destroy",
        Command::Show { .. } => "show",
        Command::Drift { .. } => "drift",
        Command::Output { .. } => "output",
        Command::Graph { .. } => "graph",
        Command::State(_) => "state",
        Command::Providers(_) => "providers",
        Command::Import { .. } => "import",
        Command::ForceUnlock { .. } => "force-unlock",
        Command::App(_) => "app",
        Command::Version => "version",
        #[allow(unreachable_patterns)]
        _ => "command",
    }
}

pub fn cli_vars(v: &VarArgs, argv_order: bool) -> Vec<CliVar> {
    // clap separates the two lists. Terraform applies -var and -var-file in the
    // order given (a later one wins), so recover that order from the command line.
    if argv_order {
        if let Some(order) = var_flag_order(std::env::args().skip(1)) {
            if order.iter().filter(|f| **f).count() == v.var_file.len() && order.iter().filter(|f| !**f).count() == v.var.len() {
                let (mut files, mut vars) = (v.var_file.iter(), v.var.iter());
                return order
                    .into_iter()
                    .filter_map(|is_file| if is_file { files.next().cloned().map(CliVar::File) } else { vars.next().cloned().map(CliVar::Var) })
                    .collect();
            }
        }
    }
    let mut out: Vec<CliVar> = v.var_file.iter().cloned().map(CliVar::File).collect();
    out.extend(v.var.iter().cloned().map(CliVar::Var));
    out
}

/// The -var / -var-file flags of a command line in order (true: -var-file).
fn var_flag_order(args: impl Iterator<Item = String>) -> Option<Vec<bool>> {
    let mut order = Vec::new();
    let mut skip_value = false;
    for a in args {
        if skip_value {
            skip_value = false;
            continue;
        }
        if a == "--" {
            break;
        }
        let flag = a.trim_start_matches('-');
        if a.len() - flag.len() == 0 || a.len() - flag.len() > 2 {
            continue;
        }
        let (name, inline) = match flag.split_once('=') {
            Some((n, _)) => (n, true),
            None => (flag, false),
        };
        match name {
            "var" => order.push(false),
            "var-file" => order.push(true),
            _ => continue,
        }
        skip_value = !inline;
    }
    Some(order)
}

impl Ctx {
    /// Loads the stack, reporting configuration errors.
    pub fn load(&self) -> Result<Loaded, u8> {
        let registry = self.registry()?;
        load_checked(&self.dir, &registry).map_err(|(e, sources)| self.reporter.engine_error(&e, &sources))
    }

    /// The stack's providers (native, and plugins `iac init` installed).
    pub fn registry(&self) -> Result<iac_engine::providers::Registry, u8> {
        wiring::registry(&self.dir).map_err(|e| {
            self.reporter.error(&e);
            1u8
        })
    }

    /// The engine environment for a stack (its backend, the providers).
    pub fn env(&self, loaded: Option<&Loaded>, lock: Option<&LockArgs>) -> Result<Env, u8> {
        let backend_block = match loaded {
            Some(l) => l.stack.root.backend.clone(),
            None => iac_lang::load::load_stack(&self.dir).0.root.backend,
        };
        // -backend-config values given to `iac init` stay in force, as in Terraform.
        let overrides = migrate::recorded_overrides(&self.dir, backend_block.as_ref());
        let backend = wiring::backend(&self.dir, backend_block.as_ref(), &overrides).map_err(|e| {
            self.reporter.error(&e);
            1u8
        })?;
        // Commands that plan refuse while Terraform's state sits unmigrated
        // where Terraform keeps it: they would create its objects again.
        if loaded.is_some() {
            let check = tokio::task::block_in_place(|| {
                tokio::runtime::Handle::current().block_on(migrate::refuse_unmigrated(&self.dir, backend_block.as_ref(), &overrides, backend.as_ref()))
            });
            if let Err(e) = check {
                self.reporter.error(&e);
                return Err(1);
            }
        }
        let lock_timeout = match lock {
            Some(l) => iac_core::time::parse_duration(&l.lock_timeout).map_err(|e| {
                self.reporter.error(&format!("-lock-timeout: {e}"));
                1u8
            })?,
            None => std::time::Duration::ZERO,
        };
        // Until a command sets its own, the events sink only reports lock waits.
        let events: iac_engine::run::EventSink = Arc::new(|e| {
            crate::locking::notice(&e);
        });
        // Commands without a loaded stack (state pull/mv/rm, output) read and
        // write state only: they need no provider, so no plugin is loaded for
        // them (a broken plugin must not lock anyone out of their state).
        let registry = match loaded {
            Some(_) => self.registry()?,
            None => wiring::native_registry(),
        };
        Ok(Env {
            registry,
            backend,
            lock_timeout,
            lock_wait: crate::locking::lock_wait(),
            cancel: Arc::new(AtomicBool::new(false)),
            events: Some(events),
            env_vars: std::env::vars().collect(),
            cwd: std::env::current_dir().unwrap_or_default(),
        })
    }

    pub fn fail(&self, e: &iac_engine::EngineError, loaded: Option<&Loaded>) -> u8 {
        let empty = SourceMap::default();
        let sources = loaded.map(|l| &l.stack.sources).unwrap_or(&empty);
        self.reporter.engine_error(e, sources)
    }
}

/// What loading a stack gives: the stack, or the error with the sources its
/// diagnostics point into.
type LoadResult = Result<Loaded, (iac_engine::EngineError, SourceMap)>;

/// `ops::load`, except that a required provider that is neither native nor
/// installed (which the engine reports as an unknown provider) is reported as
/// such, with the advice to run `iac init`.
pub fn load_checked(dir: &std::path::Path, registry: &iac_engine::providers::Registry) -> LoadResult {
    load_checked_with(dir, registry, ops::load)
}

/// [`load_checked`] with another loader (`ops::load_for_validate`).
fn load_checked_with(
    dir: &std::path::Path,
    registry: &iac_engine::providers::Registry,
    load: fn(&std::path::Path, &iac_engine::providers::Registry) -> LoadResult,
) -> LoadResult {
    load(dir, registry).map_err(|(e, sources)| {
        let missing = missing_providers(dir, registry);
        if missing.is_empty() {
            (e, sources)
        } else {
            (iac_engine::EngineError::Invalid(missing.join("\n")), SourceMap::default())
        }
    })
}

/// `required_providers` entries (in any module) that no registered provider
/// serves: one message each, naming the source and constraint and telling to
/// run `iac init`.
fn missing_providers(dir: &std::path::Path, registry: &iac_engine::providers::Registry) -> Vec<String> {
    let (stack, _) = iac_lang::load::load_stack(dir);
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    for m in stack.root.walk() {
        for rp in m.required_providers.values() {
            if registry.has(&rp.name) || !seen.insert(rp.name.clone()) {
                continue;
            }
            let source = rp.source.clone().unwrap_or_else(|| format!("hashicorp/{}", rp.name));
            let version = rp.version.as_deref().map(|v| format!(" {v:?}")).unwrap_or_default();
            out.push(format!("provider {:?} ({source}{version}) is required by the configuration but not installed: run `iac init` (with -plugin-dir=DIR or a provider_installation in the CLI configuration) to install it", rp.name));
        }
    }
    out
}

async fn init(ctx: &Ctx, backend_config: Vec<String>, migrate_state: bool, lock: LockArgs, providers: ProviderInstallArgs) -> u8 {
    // Modules first, as Terraform does: the providers they use are only
    // known once they are installed. The installer blocks (git, HTTP), so it
    // runs off the async workers.
    if let Err(code) = tokio::task::block_in_place(|| modules::install(ctx, providers.upgrade)) {
        return code;
    }
    // Providers next: until they are installed the configuration cannot be
    // checked against their schemas. Registry downloads block as well.
    let choices = match tokio::task::block_in_place(|| install_providers(ctx, &providers)) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let loaded = match ctx.load() {
        Ok(l) => l,
        Err(c) => return c,
    };
    let overrides: Vec<(String, String)> = backend_config.iter().filter_map(|kv| kv.split_once('=').map(|(k, v)| (k.to_string(), v.to_string()))).collect();
    let timeout = match iac_core::time::parse_duration(&lock.lock_timeout) {
        Ok(t) => t,
        Err(e) => {
            ctx.reporter.error(&format!("-lock-timeout: {e}"));
            return 1;
        }
    };
    let registry = match ctx.registry() {
        Ok(r) => r,
        Err(c) => return c,
    };
    let backend = match migrate::init_backend(&ctx.dir, loaded.stack.root.backend.as_ref(), &overrides, migrate_state, timeout, &registry).await {
        Ok(b) => b,
        Err(e) => {
            ctx.reporter.error(&e);
            return 1;
        }
    };
    if let Err(e) = ops::read_state(backend.as_ref()).await {
        return ctx.fail(&e, Some(&loaded));
    }
    outln!("Initializing the backend: {}", backend.describe());
    match wiring::state_keys() {
        Ok(k) if k.seals() => outln!(
            "- state and saved plans are encrypted (AES-256-GCM{})",
            k.sealing_key_id().map(|id| format!(", key id {id}")).unwrap_or_else(|| ", passphrase".into())
        ),
        _ => {}
    }
    outln!("Initializing provider plugins:");
    for c in &choices {
        outln!("- {}", c.describe());
    }
    outln!("\niac has been initialized.");
    0
}

/// The -platform values (default: this platform), or the error's exit code.
fn platforms_arg(ctx: &Ctx, platforms: Vec<String>) -> Result<Vec<String>, u8> {
    let platforms = if platforms.is_empty() { vec![iac_install::mirror::platform()] } else { platforms };
    for p in &platforms {
        let ok = p.split_once('_').is_some_and(|(os, arch)| !os.is_empty() && !arch.is_empty() && !arch.contains('_'));
        if !ok {
            ctx.reporter.error(&format!("-platform={p}: a platform is OS_ARCH, such as linux_amd64"));
            return Err(1);
        }
    }
    Ok(platforms)
}

/// The installation options `providers lock` and `providers mirror` use.
fn registry_options(ctx: &Ctx) -> Result<iac_install::Options, u8> {
    let env: std::collections::BTreeMap<String, String> = std::env::vars().collect();
    let cli = iac_install::cliconfig::CliConfig::load(&env).map_err(|e| {
        ctx.reporter.error(&e.to_string());
        1u8
    })?;
    Ok(iac_install::Options {
        cli,
        native: wiring::native_registry().names().cloned().collect(),
        home: env.get("HOME").map(PathBuf::from),
        env,
        ..Default::default()
    })
}

/// `iac providers mirror [-platform=OS_ARCH ...] [-lock-file=false] DIR`.
fn providers_mirror(ctx: &Ctx, platforms: Vec<String>, lock_file: bool, out: PathBuf) -> u8 {
    let run = || -> Result<u8, u8> {
        let requirements = provider_requirements(ctx)?;
        let platforms = platforms_arg(ctx, platforms)?;
        let options = registry_options(ctx)?;
        std::fs::create_dir_all(&out).map_err(|e| {
            ctx.reporter.error(&format!("{}: {e}", out.display()));
            1u8
        })?;
        let done = iac_install::mirror_to(&ctx.dir, &out, &requirements, &platforms, lock_file, &options).map_err(|e| {
            ctx.reporter.error(&e.to_string());
            1u8
        })?;
        for (source, version) in &done {
            outln!("- {source} v{version}: packages for {}", platforms.join(", "));
        }
        outln!("\nThe mirror in {} holds {} provider(s) (index.json and VERSION.json written).", out.display(), done.len());
        Ok(0)
    };
    run().unwrap_or_else(|code| code)
}

/// `iac providers lock [-platform=OS_ARCH ...] [SOURCE ...]`.
fn providers_lock(ctx: &Ctx, platforms: Vec<String>, only: Vec<String>) -> u8 {
    let fail = |e: iac_install::InstallError| {
        ctx.reporter.error(&e.to_string());
        1u8
    };
    let mut requirements = match provider_requirements(ctx) {
        Ok(r) => r,
        Err(code) => return code,
    };
    if !only.is_empty() {
        let mut wanted = Vec::new();
        for o in &only {
            match iac_install::ProviderSource::parse(o) {
                Ok(s) if requirements.iter().any(|r| r.source == s) => wanted.push(s),
                Ok(s) => {
                    ctx.reporter.error(&format!("provider {s} is not required by the configuration"));
                    return 1;
                }
                Err(e) => return fail(e),
            }
        }
        requirements.retain(|r| wanted.contains(&r.source));
    }
    let platforms = if platforms.is_empty() { vec![iac_install::mirror::platform()] } else { platforms };
    for p in &platforms {
        let ok = p.split_once('_').is_some_and(|(os, arch)| !os.is_empty() && !arch.is_empty() && !arch.contains('_'));
        if !ok {
            ctx.reporter.error(&format!("-platform={p}: a platform is OS_ARCH, such as linux_amd64"));
            return 1;
        }
    }
    let env: std::collections::BTreeMap<String, String> = std::env::vars().collect();
    let cli = match iac_install::cliconfig::CliConfig::load(&env) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let options = iac_install::Options {
        cli,
        native: wiring::native_registry().names().cloned().collect(),
        home: env.get("HOME").map(PathBuf::from),
        env,
        ..Default::default()
    };
    match iac_install::lock(&ctx.dir, &requirements, &platforms, &options) {
        Ok(done) => {
            for (source, version) in &done {
                outln!("- {source} v{version}: hashes for {}", platforms.join(", "));
            }
            outln!("\nThe lock file .terraform.lock.hcl records {} provider(s).", done.len());
            0
        }
        Err(e) => fail(e),
    }
}

/// The providers the configuration uses or requires (in any module).
fn provider_requirements(ctx: &Ctx) -> Result<Vec<iac_install::Requirement>, u8> {
    let (stack, diags) = iac_lang::load::load_stack(&ctx.dir);
    if diags.has_errors() {
        ctx.reporter.diagnostics(&diags.0, &stack.sources);
        return Err(1);
    }
    let mut used = std::collections::BTreeSet::new();
    let mut declared = Vec::new();
    for m in stack.root.walk() {
        used.extend(m.resources.values().map(|r| r.provider.name.clone()));
        used.extend(m.providers.iter().map(|p| p.name.clone()));
        for rp in m.required_providers.values() {
            declared.push((rp.name.clone(), rp.source.clone(), rp.version.clone()));
        }
    }
    // Terraform's own built-in provider is never installed.
    used.remove("terraform");
    declared.retain(|(name, source, _)| name != "terraform" && source.as_deref() != Some("terraform.io/builtin/terraform"));
    let fail = |e: iac_install::InstallError| {
        ctx.reporter.error(&e.to_string());
        1u8
    };
    iac_install::requirements(&used, &declared).map_err(fail)
}

/// Chooses an implementation for every provider the configuration uses or
/// requires (in any module), installs plugins, writes the lock file.
fn install_providers(ctx: &Ctx, args: &ProviderInstallArgs) -> Result<Vec<iac_install::Choice>, u8> {
    let requirements = provider_requirements(ctx)?;
    let fail = |e: iac_install::InstallError| {
        ctx.reporter.error(&e.to_string());
        1u8
    };
    let env: std::collections::BTreeMap<String, String> = std::env::vars().collect();
    let cli = iac_install::cliconfig::CliConfig::load(&env).map_err(fail)?;
    let options = iac_install::Options {
        plugin_dirs: args.plugin_dir.iter().map(|d| d.canonicalize().unwrap_or_else(|_| d.clone())).collect(),
        upgrade: args.upgrade,
        cli,
        native: wiring::native_registry().names().cloned().collect(),
        prefer_native: args.native.iter().cloned().collect(),
        home: env.get("HOME").map(PathBuf::from),
        env: env.clone(),
    };
    for d in &options.plugin_dirs {
        if !d.is_dir() {
            ctx.reporter.error(&format!("-plugin-dir={}: not a directory", d.display()));
            return Err(1);
        }
    }
    let manifest = iac_install::install(&ctx.dir, &requirements, &options).map_err(|e| install_error(ctx, &e))?;
    Ok(manifest.providers)
}

/// Reports an installation error once; one about a provider points at its
/// `required_providers` entry (the source and version line), as Terraform's
/// diagnostics do.
fn install_error(ctx: &Ctx, e: &iac_install::InstallError) -> u8 {
    if let Some(name) = e.provider() {
        let (stack, _) = iac_lang::load::load_stack(&ctx.dir);
        let entry = stack.root.walk().into_iter().find_map(|m| m.required_providers.get(name).cloned());
        if let Some(rp) = entry {
            ctx.reporter.diagnostics(&[iac_lang::diagnostic::Diagnostic::error(e.to_string(), Some(rp.span))], &stack.sources);
            return 1;
        }
    }
    ctx.reporter.error(&e.to_string());
    1
}

async fn validate(ctx: &Ctx, json: bool) -> u8 {
    let registry = match ctx.registry() {
        Ok(r) => r,
        Err(c) => return c,
    };
    // Problems the graph found do not stop evaluation: validate reports every error.
    let loaded = load_checked_with(&ctx.dir, &registry, ops::load_for_validate);
    let loaded = match loaded {
        Ok(l) => {
            let diags = ops::validate(&l, &registry, &std::env::current_dir().unwrap_or_default()).await;
            if diags.iter().any(|d| d.is_error()) {
                Err((iac_engine::EngineError::Config(diags), l.stack.sources.clone()))
            } else {
                Ok(l)
            }
        }
        Err(e) => Err(e),
    };
    match loaded {
        Ok(l) => {
            if json {
                outln!("{}", serde_json::to_string_pretty(&iac_render::ui::validate_json(&l.warnings, &l.stack.sources)).unwrap_or_default());
            } else {
                ctx.reporter.diagnostics(&l.warnings, &l.stack.sources);
                outln!("Success! The configuration is valid.");
            }
            0
        }
        // Terraform's validate -json document: every diagnostic, with range and snippet.
        Err((e, sources)) if json => {
            let (diags, sources) = match e.diagnostics(&sources) {
                Some((d, s)) => (d.to_vec(), s.clone()),
                None => (vec![iac_lang::diagnostic::Diagnostic::error(e.to_string(), None)], SourceMap::default()),
            };
            outln!("{}", serde_json::to_string_pretty(&iac_render::ui::validate_json(&diags, &sources)).unwrap_or_default());
            1
        }
        Err((e, sources)) => ctx.reporter.engine_error(&e, &sources),
    }
}

fn graph(ctx: &Ctx, format: &str) -> u8 {
    let loaded = match ctx.load() {
        Ok(l) => l,
        Err(c) => return c,
    };
    match format {
        "dot" => out!("{}", iac_render::graph::dot(&loaded.graph)),
        "mermaid" => out!("{}", iac_render::graph::mermaid(&loaded.graph)),
        other => {
            ctx.reporter.error(&format!("-format {other:?}: use dot or mermaid"));
            return 1;
        }
    }
    0
}

async fn import(ctx: &Ctx, vars: VarArgs, lock: LockArgs, address: String, id: String) -> u8 {
    let addr = match address.parse() {
        Ok(a) => a,
        Err(e) => {
            ctx.reporter.error(&format!("{e}"));
            return 1;
        }
    };
    let loaded = match ctx.load() {
        Ok(l) => l,
        Err(c) => return c,
    };
    let env = match ctx.env(Some(&loaded), Some(&lock)) {
        Ok(e) => e,
        Err(c) => return c,
    };
    match ops::import(&ctx.dir, &env, addr, id.clone(), cli_vars(&vars, true)).await {
        Ok(()) => {
            outln!("{address}: imported {id:?}.\n\nThe object is now managed by iac.");
            0
        }
        Err(e) => ctx.fail(&e, Some(&loaded)),
    }
}

pub fn is_interactive() -> bool {
    std::io::stdin().is_terminal()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn var_flags_keep_their_command_line_order() {
        let args = ["plan", "-var", "a=1", "--var-file=x.tfvars", "-var=b=2", "-var-file", "-var", "-target=t", "--", "-var=c"].map(String::from);
        assert_eq!(var_flag_order(args.into_iter()), Some(vec![false, true, false, true]));
        let v = VarArgs { var: vec!["a=1".into(), "b=2".into()], var_file: vec!["x.tfvars".into(), "-var".into()] };
        assert_eq!(
            cli_vars(&v, false),
            vec![CliVar::File("x.tfvars".into()), CliVar::File("-var".into()), CliVar::Var("a=1".into()), CliVar::Var("b=2".into())]
        );
    }
}
