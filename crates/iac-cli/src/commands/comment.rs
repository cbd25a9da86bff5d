//! What the commands over several stacks (`iac plan DIR...`, `iac drift
//! DIR...`) share: naming a stack, opening it in its own directory, and
//! writing Markdown reports (plan comments) to standard output or as one
//! file per part for CI to post as comments.

use std::path::{Path, PathBuf};

use iac_engine::ops::{Env, Loaded};
use iac_engine::EngineError;
use iac_lang::source::SourceMap;

use super::Ctx;
use crate::args::LockArgs;

/// One stack of a multi-stack command, loaded, with its environment, while
/// the process works in its directory (left when this is dropped).
pub struct OpenStack {
    pub loaded: Loaded,
    pub env: Env,
    // Declared last, so dropped last.
    _cwd: InStackDir,
}

/// Opens the stack in `dir`, reporting problems as they are found; on
/// failure, the error and the sources its diagnostics point into.
pub fn open_stack(ctx: &Ctx, dir: &Path, lock: &LockArgs) -> Result<OpenStack, (EngineError, SourceMap)> {
    let fail = |msg: String| {
        ctx.reporter.error(&msg);
        (EngineError::Invalid(msg), SourceMap::default())
    };
    if !dir.is_dir() {
        return Err(fail(format!("{} is not a directory", dir.display())));
    }
    let cwd = InStackDir::enter(dir).map_err(fail)?;
    let here = PathBuf::from(".");
    let registry = crate::wiring::registry(&here).map_err(fail)?;
    let loaded = super::load_checked(&here, &registry).map_err(|(e, sources)| {
        ctx.reporter.engine_error(&e, &sources);
        (e, sources)
    })?;
    let stack_ctx = Ctx { dir: here, reporter: crate::report::Reporter { color: ctx.color, json: ctx.reporter.json }, color: ctx.color };
    match stack_ctx.env(Some(&loaded), Some(lock)) {
        Ok(env) => Ok(OpenStack { loaded, env, _cwd: cwd }),
        // Already reported.
        Err(_) => Err((EngineError::Invalid("the state backend could not be opened".into()), loaded.stack.sources.clone())),
    }
}

/// How a stack directory is named in reports: as given on the command line
/// ("stacks/a"), or the directory's own name for ".".
pub fn stack_name(dir: &Path) -> String {
    let given = dir.to_string_lossy().trim_end_matches('/').trim_start_matches("./").to_string();
    if given.is_empty() || given == "." {
        return dir.canonicalize().ok().and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned())).unwrap_or_else(|| "stack".into());
    }
    given
}

/// Prints the parts (each starts with its hidden marker line), or writes
/// them as `DIR/part-N.md`, removing parts left from an earlier, longer report.
pub fn emit(parts: &[String], dir: Option<&PathBuf>) -> Result<(), String> {
    let Some(dir) = dir else {
        out!("{}", parts.join("\n"));
        return Ok(());
    };
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with("part-") && name.ends_with(".md") {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
    for (i, p) in parts.iter().enumerate() {
        let path = dir.join(format!("part-{}.md", i + 1));
        std::fs::write(&path, p).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}

/// While alive, the process works in a stack's directory, as with `-chdir`,
/// so `path.module`, relative -var-file and -out paths mean the same as when
/// that stack is planned or applied alone (`iac -chdir=DIR apply plan.bin`
/// then accepts the plan). Stacks are handled one after another, so
/// changing the process's directory is safe.
pub struct InStackDir {
    back: Option<PathBuf>,
}

impl InStackDir {
    pub fn enter(dir: &Path) -> Result<InStackDir, String> {
        let back = std::env::current_dir().map_err(|e| format!("current directory: {e}"))?;
        std::env::set_current_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        Ok(InStackDir { back: Some(back) })
    }
}

impl Drop for InStackDir {
    fn drop(&mut self) {
        if let Some(b) = self.back.take() {
            let _ = std::env::set_current_dir(b);
        }
    }
}
