//! Path functions (abspath, basename, dirname, pathexpand): string
//! manipulation with Go's `path/filepath` rules on Unix, as Terraform has
//! them. None of them reads a file; `abspath` and `pathexpand` read only the
//! working directory and `$HOME`.

use iac_core::Value;

use crate::args::{fail, string, FnResult};
use crate::FunctionContext;

/// Lexical cleaning as Go's `filepath.Clean`: one separator at a time, no
/// `.` elements, `..` resolved against what precedes it, `.` for nothing.
pub(crate) fn clean(path: &str) -> String {
    if path.is_empty() {
        return ".".into();
    }
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            p => parts.push(p),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

/// Go's `filepath.Base`: the last element, trailing separators ignored.
fn base(path: &str) -> String {
    if path.is_empty() {
        return ".".into();
    }
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/".into();
    }
    trimmed.rsplit('/').next().unwrap_or(trimmed).to_string()
}

/// Go's `filepath.Dir`: everything before the last separator, cleaned.
fn dir(path: &str) -> String {
    let cut = path.rfind('/').map_or(0, |i| i + 1);
    clean(&path[..cut])
}

pub(crate) fn basename(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    Ok(Value::String(base(&string(&args, 0)?)))
}

pub(crate) fn dirname(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    Ok(Value::String(dir(&string(&args, 0)?)))
}

/// abspath(path): relative paths are taken from the process's working
/// directory (Terraform's, after `-chdir`), then cleaned; no symlink is resolved.
pub(crate) fn abspath(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    let path = string(&args, 0)?;
    if path.starts_with('/') {
        return Ok(Value::String(clean(&path)));
    }
    let cwd = match std::env::current_dir() {
        Ok(d) => d,
        Err(e) => return fail(format!("cannot read the working directory: {e}")),
    };
    Ok(Value::String(clean(&format!("{}/{path}", cwd.display()))))
}

/// pathexpand(path): a leading `~` or `~/` becomes the home directory;
/// `~user` is refused, as Terraform does.
pub(crate) fn pathexpand(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    let path = string(&args, 0)?;
    let Some(rest) = path.strip_prefix('~') else { return Ok(Value::String(path)) };
    if !rest.is_empty() && !rest.starts_with('/') {
        return fail("cannot expand user-specific home dir");
    }
    let home = match std::env::var("HOME") {
        Ok(h) if !h.is_empty() => h,
        _ => return fail("cannot expand ~: HOME is not set"),
    };
    // Go joins with filepath.Join, which cleans the result.
    Ok(Value::String(if rest.is_empty() { home } else { clean(&format!("{home}{rest}")) }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_base_and_dir_follow_go() {
        for (p, want) in [("", "."), ("/", "/"), ("a//b/./c/..", "a/b"), ("/../a", "/a"), ("../../a", "../../a"), ("a/..", ".")] {
            assert_eq!(clean(p), want, "clean {p:?}");
        }
        for (p, want) in [("/a/b/c.txt", "c.txt"), ("c", "c"), ("/a/b/", "b"), ("", "."), ("///", "/"), ("a//b//", "b")] {
            assert_eq!(base(p), want, "base {p:?}");
        }
        for (p, want) in [("/a/b/c.txt", "/a/b"), ("c", "."), ("/a/b/", "/a/b"), ("a/b", "a"), ("/", "/"), ("a//b//c", "a/b"), ("./a", ".")] {
            assert_eq!(dir(p), want, "dir {p:?}");
        }
    }
}
