//! `iac init`'s module step: walks the module calls level by level (the
//! root, then each installed module) and hands each to
//! `iac_install::modules`, reporting failures as diagnostics on the call's
//! `source` or `version` line.

use std::collections::{BTreeMap, VecDeque};

use iac_install::modules::{Call, ModuleInstaller, Options, Outcome, Source};
use iac_lang::diagnostic::{Diagnostic, Diagnostics};
use iac_lang::modsource::ModuleSource;
use iac_lang::source::SourceMap;

use super::Ctx;

/// Installs every module the stack calls; Err carries the exit status.
pub fn install(ctx: &Ctx, upgrade: bool) -> Result<(), u8> {
    let env: BTreeMap<String, String> = std::env::vars().collect();
    let fail = |e: &dyn std::fmt::Display| {
        ctx.reporter.error(&e.to_string());
        1u8
    };
    let cli = iac_install::cliconfig::CliConfig::load(&env).map_err(|e| fail(&e))?;
    let mut installer = ModuleInstaller::new(&ctx.dir, Options { upgrade, cli, env }).map_err(|e| fail(&e))?;
    let mut sources = SourceMap::default();
    let mut diags = Diagnostics::default();
    let mut lines = Vec::new();
    // (call path, directory relative to the stack)
    let mut queue: VecDeque<(Vec<String>, String)> = VecDeque::from([(Vec::new(), ".".to_string())]);
    while let Some((path, dir)) = queue.pop_front() {
        // The root stays `./main.tf` in diagnostics, not `././main.tf`.
        let module_dir = if dir == "." { ctx.dir.clone() } else { ctx.dir.join(&dir) };
        let module = iac_lang::load::load_module_dir(&module_dir, path.clone(), &mut sources, &mut diags);
        for (name, call) in &module.module_calls {
            let source_span = call.source_span.clone().unwrap_or_else(|| call.span.clone());
            let mut child = path.clone();
            child.push(name.clone());
            if child.len() > 32 {
                diags.push(Diagnostic::error("modules nested more than 32 deep (a module that calls itself?)", Some(source_span)));
                continue;
            }
            let parsed = match ModuleSource::parse(&call.source) {
                Ok(p) => p,
                Err(why) => {
                    diags.push(Diagnostic::error(format!("module {name:?}: invalid source: {why}"), Some(source_span)));
                    continue;
                }
            };
            // The loader already reported a version on a non-registry source.
            if call.version.is_some() && !matches!(parsed, ModuleSource::Registry(_)) {
                continue;
            }
            let source_text = parsed.to_string();
            let source = match parsed {
                ModuleSource::Local(p) => Source::Local(p),
                ModuleSource::Registry(r) => Source::Registry { host: r.host, namespace: r.namespace, name: r.name, provider: r.provider, subdir: r.subdir },
                ModuleSource::Remote(r) => Source::Remote { package: r.package, subdir: r.subdir },
            };
            let request = Call { key: child.join("."), source, source_text, version: call.version.as_ref().map(|(v, _)| v.clone()), parent_dir: dir.clone() };
            match installer.install(&request) {
                Ok((record, outcome)) => {
                    let how = match outcome {
                        Outcome::Local => String::new(),
                        Outcome::Downloaded => {
                            format!(" (downloaded {}{})", record.source, record.version.as_ref().map(|v| format!(" {v}")).unwrap_or_default())
                        }
                        Outcome::Reused => " (already installed)".to_string(),
                    };
                    lines.push(format!("- {} in {}{how}", record.key, record.dir));
                    queue.push_back((child, record.dir));
                }
                Err(e) => {
                    let span = match (&call.version, e.concerns_version()) {
                        (Some((_, vspan)), true) => vspan.clone(),
                        _ => source_span,
                    };
                    diags.push(Diagnostic::error(format!("module {name:?}: {e}"), Some(span)));
                }
            }
        }
    }
    // The manifest records what did install, so a later init reuses it.
    installer.finish().map_err(|e| fail(&e))?;
    if !lines.is_empty() {
        outln!("Initializing modules:");
        for l in &lines {
            outln!("{l}");
        }
    }
    if diags.has_errors() {
        ctx.reporter.diagnostics(&diags.0, &sources);
        return Err(1);
    }
    Ok(())
}
