//! Git packages, fetched by the `git` program as go-getter does (so the
//! user's git configuration, SSH keys and credential helpers apply):
//! `?ref=` names a tag, a branch or a commit, `?depth=N` makes a shallow
//! clone of that ref.

use std::path::Path;
use std::process::Command;

use super::{take_query, ModuleError};

pub(super) fn clone(url_with_query: &str, dest: &Path) -> Result<(), ModuleError> {
    let (url, reference) = take_query(url_with_query, "ref");
    let (url, depth) = take_query(&url, "depth");
    // Other parameters (sshkey) are not supported: say so rather than ignore them.
    if let Some((_, q)) = url.split_once('?') {
        return Err(ModuleError::Unsupported { what: format!("git source parameters {q:?}") });
    }
    let depth = match depth.as_deref() {
        None | Some("") => None,
        Some(d) => Some(d.parse::<u32>().map_err(|_| ModuleError::Git { url: url.clone(), why: format!("depth {d:?} is not a number") })?),
    };
    let reference = reference.filter(|r| !r.is_empty());
    // A commit cannot be asked for with --branch: clone, then check it out.
    let commit = reference.as_deref().filter(|r| r.len() >= 7 && r.len() <= 40 && r.bytes().all(|b| b.is_ascii_hexdigit()));
    let mut args: Vec<String> = vec!["clone".into(), "--quiet".into()];
    if commit.is_none() {
        if let Some(d) = depth {
            args.extend(["--depth".into(), d.to_string()]);
        }
        if let Some(r) = &reference {
            args.extend(["--branch".into(), r.clone()]);
        }
    }
    args.extend(["--".into(), url.clone(), dest.display().to_string()]);
    let out = run(&args, None, &url)?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        if let Some(r) = &reference {
            if stderr.contains("not found in upstream") || stderr.contains("Could not find remote branch") {
                return Err(ModuleError::GitRefNotFound { url, reference: r.clone() });
            }
        }
        return Err(ModuleError::Git { url, why: first_fatal(&stderr) });
    }
    if let Some(c) = commit {
        let out = run(&["checkout".into(), "--quiet".into(), c.to_string()], Some(dest), &url)?;
        if !out.status.success() {
            return Err(ModuleError::GitRefNotFound { url, reference: c.to_string() });
        }
    }
    Ok(())
}

fn run(args: &[String], dir: Option<&Path>, url: &str) -> Result<std::process::Output, ModuleError> {
    tracing::debug!(?args, "git");
    let mut c = Command::new("git");
    c.args(args).env("GIT_TERMINAL_PROMPT", "0").stdin(std::process::Stdio::null());
    if let Some(d) = dir {
        c.current_dir(d);
    }
    c.output().map_err(|e| ModuleError::Git { url: url.to_string(), why: format!("cannot run git: {e}") })
}

/// git's first fatal message ("'...' does not appear to be a git
/// repository"); what follows is generic advice.
fn first_fatal(stderr: &str) -> String {
    let lines = stderr.lines().map(str::trim);
    let fatal = lines.clone().find_map(|l| l.strip_prefix("fatal: ")).or_else(|| lines.clone().find(|l| !l.is_empty()));
    fatal.unwrap_or("git failed").to_string()
}
