//! The only functions that touch the filesystem: file(), fileexists() and
//! templatefile(), reading files relative to the context's base directory.

use std::path::PathBuf;

use iac_core::Value;

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
    match std::fs::read(resolve(ctx, path)) {
        Ok(bytes) => String::from_utf8(bytes).or_else(|_| {
            fail(format!(
                "contents of {path} are not valid UTF-8; use the filebase64 function to obtain the Base64 encoded contents or the other file functions (e.g. filemd5, filesha256) to obtain file hashing results instead"
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => fail(format!(
            "no file exists at {path:?}; this function works only with files that are distributed as part of the configuration source code, so if this file will be created by a resource in this configuration you must instead obtain this result from an attribute of that resource"
        )),
        Err(e) => fail(format!("failed to read {path:?}: {e}")),
    }
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
        return arg_err(1, format!("invalid template variable name {bad:?}: must start with a letter, followed by zero or more letters, digits, and underscores"));
    }
    let template = read(ctx, &path)?;
    (ctx.render_template)(&template, &args[1]).or_else(|m| fail(format!("failed to render {path}: {m}")))
}
