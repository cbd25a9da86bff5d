//! Writing Markdown reports (plan comments): to standard output, or as one
//! file per part for CI to post as comments.

use std::path::{Path, PathBuf};

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
        print!("{}", parts.join("\n"));
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
