//! The only functions that touch the filesystem: file(), fileexists(),
//! templatefile(), the filebase64/filemd5/filesha* family and fileset(),
//! reading files relative to the context's base directory. templatestring()
//! lives here too, as it shares templatefile's rendering path.

use std::path::PathBuf;

use base64::Engine as _;
use iac_core::Value;
use md5::Digest as _;

use crate::args::{arg_err, fail, map, string, FnResult};
use crate::FunctionContext;

fn resolve(ctx: &FunctionContext, path: &str) -> PathBuf {
    let p = std::path::Path::new(path);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        ctx.base_dir.join(p)
    }
}

fn read(ctx: &FunctionContext, path: &str) -> Result<String, crate::args::Fail> {
    String::from_utf8(read_bytes(ctx, path)?).or_else(|_| {
        fail(format!(
            "contents of {path} are not valid UTF-8; use the filebase64 function to obtain the Base64 encoded contents or the other file functions (e.g. filemd5, filesha256) to obtain file hashing results instead"
        ))
    })
}

fn read_bytes(ctx: &FunctionContext, path: &str) -> Result<Vec<u8>, crate::args::Fail> {
    match std::fs::read(resolve(ctx, path)) {
        Ok(bytes) => Ok(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => fail(format!(
            "no file exists at {path:?}; this function works only with files that are distributed as part of the configuration source code, so if this file will be created by a resource in this configuration you must instead obtain this result from an attribute of that resource"
        )),
        Err(e) => fail(format!("failed to read {path:?}: {e}")),
    }
}

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The file's bytes through `f`, for the filebase64/hash family.
fn with_file(args: &[Value], ctx: &FunctionContext, f: impl Fn(&[u8]) -> String) -> FnResult {
    let path = string(args, 0)?;
    Ok(Value::String(f(&read_bytes(ctx, &path)?)))
}

pub(crate) fn filebase64(args: Vec<Value>, ctx: &FunctionContext) -> FnResult {
    with_file(&args, ctx, |b| B64.encode(b))
}

pub(crate) fn filemd5(args: Vec<Value>, ctx: &FunctionContext) -> FnResult {
    with_file(&args, ctx, |b| hex(&md5::Md5::digest(b)))
}

pub(crate) fn filesha1(args: Vec<Value>, ctx: &FunctionContext) -> FnResult {
    with_file(&args, ctx, |b| hex(&sha1::Sha1::digest(b)))
}

pub(crate) fn filesha256(args: Vec<Value>, ctx: &FunctionContext) -> FnResult {
    with_file(&args, ctx, |b| hex(&sha2::Sha256::digest(b)))
}

pub(crate) fn filesha512(args: Vec<Value>, ctx: &FunctionContext) -> FnResult {
    with_file(&args, ctx, |b| hex(&sha2::Sha512::digest(b)))
}

pub(crate) fn filebase64sha256(args: Vec<Value>, ctx: &FunctionContext) -> FnResult {
    with_file(&args, ctx, |b| B64.encode(sha2::Sha256::digest(b)))
}

pub(crate) fn filebase64sha512(args: Vec<Value>, ctx: &FunctionContext) -> FnResult {
    with_file(&args, ctx, |b| B64.encode(sha2::Sha512::digest(b)))
}

/// A glob pattern as a regular expression over `/`-separated relative
/// paths: `*` and `?` stay within one path element, `**` spans elements,
/// `[...]` is a class (`[!...]` or `[^...]` negated), `{a,b}` alternatives.
fn glob_regex(pattern: &str) -> Result<regex::Regex, String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut re = String::from("^");
    let mut i = 0;
    let mut depth = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '*' if chars.get(i + 1) == Some(&'*') => {
                if chars.get(i + 2) == Some(&'/') {
                    re.push_str("(?:.*/)?");
                    i += 3;
                } else {
                    re.push_str(".*");
                    i += 2;
                }
                continue;
            }
            '*' => re.push_str("[^/]*"),
            '?' => re.push_str("[^/]"),
            '[' => {
                let Some(end) = chars[i + 1..].iter().position(|c| *c == ']').map(|p| p + i + 1) else {
                    return Err("syntax error in pattern".into());
                };
                let mut class: String = chars[i + 1..end].iter().collect();
                if let Some(rest) = class.strip_prefix('!') {
                    class = format!("^{rest}");
                }
                re.push('[');
                re.push_str(&class.replace('\\', "\\\\").replace('[', "\\["));
                re.push(']');
                i = end;
            }
            '{' => {
                depth += 1;
                re.push_str("(?:");
            }
            '}' if depth > 0 => {
                depth -= 1;
                re.push(')');
            }
            ',' if depth > 0 => re.push('|'),
            '\\' if i + 1 < chars.len() => {
                i += 1;
                re.push_str(&regex::escape(&chars[i].to_string()));
            }
            other => re.push_str(&regex::escape(&other.to_string())),
        }
        i += 1;
    }
    if depth != 0 {
        return Err("syntax error in pattern".into());
    }
    re.push('$');
    regex::Regex::new(&re).map_err(|e| e.to_string())
}

/// Every regular file under `dir`, as `/`-separated paths relative to `root`.
fn walk_files(root: &std::path::Path, dir: &std::path::Path, out: &mut Vec<String>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let p = entry.path();
        let ft = std::fs::metadata(&p)?.file_type();
        if ft.is_dir() {
            walk_files(root, &p, out)?;
        } else if ft.is_file() {
            if let Ok(rel) = p.strip_prefix(root) {
                out.push(rel.to_string_lossy().replace(std::path::MAIN_SEPARATOR, "/"));
            }
        }
    }
    Ok(())
}

/// fileset(path, pattern): the regular files under `path` matching the
/// glob, relative to `path`, as a sorted set of strings.
pub(crate) fn fileset(args: Vec<Value>, ctx: &FunctionContext) -> FnResult {
    let path = string(&args, 0)?;
    let pattern = string(&args, 1)?;
    let re = glob_regex(&pattern).or_else(|e| fail(format!("failed to glob pattern {pattern:?}: {e}")))?;
    let root = resolve(ctx, &path);
    let mut files = Vec::new();
    if root.is_dir() {
        walk_files(&root, &root, &mut files).or_else(|e| fail(format!("failed to glob pattern {pattern:?}: {e}")))?;
    }
    let mut matched: Vec<String> = files.into_iter().filter(|f| re.is_match(f)).collect();
    matched.sort();
    matched.dedup();
    Ok(Value::set(matched.into_iter().map(Value::String).collect()))
}

pub(crate) fn file(args: Vec<Value>, ctx: &FunctionContext) -> FnResult {
    let path = string(&args, 0)?;
    Ok(Value::String(read(ctx, &path)?))
}

pub(crate) fn fileexists(args: Vec<Value>, ctx: &FunctionContext) -> FnResult {
    let path = string(&args, 0)?;
    match std::fs::metadata(resolve(ctx, &path)) {
        Ok(m) if m.is_file() => Ok(Value::Bool(true)),
        Ok(_) => fail(format!("{path} is not a regular file")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Value::Bool(false)),
        Err(e) => fail(format!("failed to stat {path}: {e}")),
    }
}

fn valid_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(char::is_alphabetic) && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

/// templatefile(path, vars): reads the template and has the evaluator render it.
pub(crate) fn templatefile(args: Vec<Value>, ctx: &FunctionContext) -> FnResult {
    let path = string(&args, 0)?;
    let vars = map(&args, 1)?;
    if let Some(bad) = vars.keys().find(|k| !valid_identifier(k)) {
        return arg_err(
            1,
            format!("invalid template variable name {bad:?}: must start with a letter, followed by zero or more letters, digits, and underscores"),
        );
    }
    let template = read(ctx, &path)?;
    (ctx.render_template)(&template, &args[1]).or_else(|m| fail(format!("failed to render {path}: {m}")))
}

/// templatestring(template, vars): renders a template held in a string
/// (the evaluator checks that the argument is a reference, as Terraform
/// requires, so a template is never built from untrusted interpolation).
pub(crate) fn templatestring(args: Vec<Value>, ctx: &FunctionContext) -> FnResult {
    let template = string(&args, 0)?;
    let vars = map(&args, 1)?;
    if let Some(bad) = vars.keys().find(|k| !valid_identifier(k)) {
        return arg_err(
            1,
            format!("invalid template variable name {bad:?}: must start with a letter, followed by zero or more letters, digits, and underscores"),
        );
    }
    (ctx.render_template)(&template, &args[1]).or_else(|m| fail(format!("failed to render template: {m}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        let m = |p: &str, f: &str| glob_regex(p).unwrap().is_match(f);
        assert!(m("files/**", "files/sub/a.json"));
        assert!(m("**/*.json", "a.json"));
        assert!(m("**/*.json", "x/y/a.json"));
        assert!(!m("*.txt", "sub/a.txt"));
        assert!(m("sub/[a-c].{json,yaml}", "sub/b.yaml"));
        assert!(!m("sub/[a-c].{json,yaml}", "sub/d.json"));
        assert!(m("?.txt", "a.txt"));
        assert!(!m("[!a].txt", "a.txt"));
    }
}
