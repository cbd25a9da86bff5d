//! String functions (join, split, replace, substr, title, trim, ...).
//! "Character" means a grapheme cluster where Terraform counts characters.

use iac_core::Value;
use unicode_segmentation::UnicodeSegmentation;

use crate::args::{arg_err, fail, integer, list, string, to_string_value, type_name, FnResult};
use crate::regexfns::compile;
use crate::FunctionContext;

/// The largest padding indent() will add per line.
const MAX_INDENT: i64 = 1_024_000;

pub(crate) fn join(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    if args.len() < 2 {
        return fail("at least one list is required");
    }
    let sep = string(&args, 0)?;
    let many = args.len() > 2;
    let mut parts = Vec::new();
    for ai in 1..args.len() {
        for (ei, item) in list(&args, ai)?.iter().enumerate() {
            match item.unmarked() {
                Value::Null if many => return arg_err(ai, format!("element {ei} of list {ai} is null; cannot concatenate null values")),
                Value::Null => return arg_err(ai, format!("element {ei} is null; cannot concatenate null values")),
                other => match to_string_value(other) {
                    Some(s) => parts.push(s),
                    None => return arg_err(ai, format!("element {ei} is {}, not a string", type_name(other))),
                },
            }
        }
    }
    Ok(Value::String(parts.join(&sep)))
}

/// Splits like Go's strings.Split: an empty separator splits into characters.
pub(crate) fn split(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    let sep = string(&args, 0)?;
    let s = string(&args, 1)?;
    let parts: Vec<Value> = if sep.is_empty() {
        s.chars().map(|c| Value::String(c.to_string())).collect()
    } else {
        s.split(sep.as_str()).map(|p| Value::String(p.to_string())).collect()
    };
    Ok(Value::list(parts))
}

pub(crate) fn lower(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    Ok(Value::String(string(&args, 0)?.chars().map(go_lower).collect()))
}

pub(crate) fn upper(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    Ok(Value::String(string(&args, 0)?.chars().map(go_upper).collect()))
}

/// Go's `unicode.ToUpper`: the simple (one character) mapping, never a
/// special casing (`ß` stays `ß`, where Rust's full mapping gives `SS`).
pub(crate) fn go_upper(c: char) -> char {
    let mut it = c.to_uppercase();
    match (it.next(), it.next()) {
        (Some(u), None) => u,
        // Full mappings of several characters whose simple mapping is the
        // titlecase letter: Greek with ypogegrammeni (ᾳ → ᾼ, ᾀ → ᾈ).
        _ => match c as u32 {
            0x1F80..=0x1F87 | 0x1F90..=0x1F97 | 0x1FA0..=0x1FA7 => char::from_u32(c as u32 + 8).unwrap_or(c),
            0x1FB3 | 0x1FC3 | 0x1FF3 => char::from_u32(c as u32 + 9).unwrap_or(c),
            _ => c,
        },
    }
}

/// Go's `unicode.ToLower`: the simple mapping, without context (a final
/// capital sigma becomes σ, never ς).
pub(crate) fn go_lower(c: char) -> char {
    let mut it = c.to_lowercase();
    match (it.next(), it.next()) {
        (Some(l), None) => l,
        // İ's full mapping is i + combining dot; its simple mapping is i.
        _ if c == '\u{130}' => 'i',
        _ => c,
    }
}

/// Go's `unicode.ToTitle`: like upper case except for the digraphs that
/// have a titlecase form of their own (ǆ → ǅ).
fn go_title(c: char) -> char {
    match c as u32 {
        0x1C4..=0x1C6 => '\u{1C5}',
        0x1C7..=0x1C9 => '\u{1C8}',
        0x1CA..=0x1CC => '\u{1CB}',
        0x1F1..=0x1F3 => '\u{1F2}',
        0x1F80..=0x1FAF if (c as u32 & 0xF) >= 8 => c,
        0x1FBC | 0x1FCC | 0x1FFC => c,
        _ => go_upper(c),
    }
}

/// A substring wrapped in forward slashes is a regular expression, whose
/// captures the replacement can use as `$1` or `${name}`.
pub(crate) fn replace(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    let s = string(&args, 0)?;
    let sub = string(&args, 1)?;
    let rep = string(&args, 2)?;
    if sub.len() > 1 && sub.starts_with('/') && sub.ends_with('/') {
        let re = compile(&sub[1..sub.len() - 1]).or_else(|m| arg_err(1, m))?;
        return Ok(Value::String(re.replace_all(&s, rep.as_str()).into_owned()));
    }
    Ok(Value::String(s.replace(&sub, &rep)))
}

pub(crate) fn trimspace(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    Ok(Value::String(string(&args, 0)?.trim().to_string()))
}

pub(crate) fn trim(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    let s = string(&args, 0)?;
    let cutset = string(&args, 1)?;
    Ok(Value::String(s.trim_matches(|c| cutset.contains(c)).to_string()))
}

pub(crate) fn trimprefix(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    let s = string(&args, 0)?;
    let p = string(&args, 1)?;
    Ok(Value::String(s.strip_prefix(p.as_str()).unwrap_or(&s).to_string()))
}

pub(crate) fn trimsuffix(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    let s = string(&args, 0)?;
    let p = string(&args, 1)?;
    Ok(Value::String(s.strip_suffix(p.as_str()).unwrap_or(&s).to_string()))
}

/// substr(str, offset, length): a negative offset counts from the end, a
/// negative length takes the rest of the string.
pub(crate) fn substr(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    let s = string(&args, 0)?;
    let mut offset = integer(&args, 1)?;
    let length = integer(&args, 2)?;
    let g: Vec<&str> = s.graphemes(true).collect();
    let total = g.len() as i64;
    if offset < 0 {
        offset = offset.saturating_add(total).max(0);
    }
    if offset >= total || length == 0 {
        return Ok(Value::String(String::new()));
    }
    let end = if length < 0 { total } else { offset.saturating_add(length).min(total) };
    Ok(Value::String(g[offset as usize..end as usize].concat()))
}

pub(crate) fn strrev(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    let s = string(&args, 0)?;
    Ok(Value::String(s.graphemes(true).rev().collect()))
}

/// Go's strings.Title: upper-cases each letter that follows a separator.
pub(crate) fn title(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    fn separator(c: char) -> bool {
        if c.is_ascii() {
            return !(c.is_ascii_alphanumeric() || c == '_');
        }
        if c.is_alphanumeric() {
            return false;
        }
        c.is_whitespace()
    }
    let s = string(&args, 0)?;
    let mut out = String::with_capacity(s.len());
    let mut prev = ' ';
    for c in s.chars() {
        if separator(prev) {
            out.push(go_title(c));
        } else {
            out.push(c);
        }
        prev = c;
    }
    Ok(Value::String(out))
}

/// Removes every trailing newline (\n, \r\n or \r).
pub(crate) fn chomp(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    Ok(Value::String(string(&args, 0)?.trim_end_matches(['\r', '\n']).to_string()))
}

/// Adds `spaces` spaces after every newline (so to all lines but the first).
pub(crate) fn indent(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    let spaces = integer(&args, 0)?;
    let s = string(&args, 1)?;
    if spaces < 0 {
        return arg_err(0, "spaces must not be negative");
    }
    if spaces > MAX_INDENT {
        return arg_err(0, format!("spaces must not be more than {MAX_INDENT}"));
    }
    let pad = " ".repeat(spaces as usize);
    Ok(Value::String(s.replace('\n', &format!("\n{pad}"))))
}

pub(crate) fn startswith(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    Ok(Value::Bool(string(&args, 0)?.starts_with(string(&args, 1)?.as_str())))
}

pub(crate) fn endswith(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    Ok(Value::Bool(string(&args, 0)?.ends_with(string(&args, 1)?.as_str())))
}

pub(crate) fn strcontains(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    Ok(Value::Bool(string(&args, 0)?.contains(string(&args, 1)?.as_str())))
}

/// Go's url.QueryEscape: spaces become '+', unreserved characters stay.
pub(crate) fn urlencode(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    let s = string(&args, 0)?;
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    Ok(Value::String(out))
}
