//! Encoding and hashing functions: JSON and YAML in both directions,
//! base64, and the hex/base64 digests (md5, sha1, sha256, sha512).

use base64::Engine as _;
use iac_core::value::format_number;
use iac_core::Value;
use md5::Digest as _;

use crate::args::{arg_err, get, string, FnResult};
use crate::FunctionContext;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn base64encode(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    Ok(Value::String(B64.encode(string(&args, 0)?)))
}

pub(crate) fn base64decode(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    let s = string(&args, 0)?;
    // Go's decoder, which Terraform uses, skips line breaks.
    let cleaned: String = s.chars().filter(|c| *c != '\n' && *c != '\r').collect();
    let bytes = match B64.decode(cleaned.as_bytes()) {
        Ok(b) => b,
        Err(_) => return arg_err(0, format!("failed to decode base64 data {s:?}")),
    };
    match String::from_utf8(bytes) {
        Ok(s) => Ok(Value::String(s)),
        Err(_) => arg_err(0, "the result of decoding the provided string is not valid UTF-8"),
    }
}

pub(crate) fn md5(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    Ok(Value::String(hex(&md5::Md5::digest(string(&args, 0)?.as_bytes()))))
}

pub(crate) fn sha1(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    Ok(Value::String(hex(&sha1::Sha1::digest(string(&args, 0)?.as_bytes()))))
}

pub(crate) fn sha256(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    Ok(Value::String(hex(&sha2::Sha256::digest(string(&args, 0)?.as_bytes()))))
}

pub(crate) fn sha512(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    Ok(Value::String(hex(&sha2::Sha512::digest(string(&args, 0)?.as_bytes()))))
}

pub(crate) fn base64sha256(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    Ok(Value::String(B64.encode(sha2::Sha256::digest(string(&args, 0)?.as_bytes()))))
}

pub(crate) fn base64sha512(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    Ok(Value::String(B64.encode(sha2::Sha512::digest(string(&args, 0)?.as_bytes()))))
}

/// Compact JSON with sorted keys; like Terraform (Go), `<`, `>`, `&`,
/// U+2028 and U+2029 are written as \u escapes.
pub(crate) fn jsonencode(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    let json = get(&args, 0).to_json();
    let text = json.to_string();
    let mut out = String::with_capacity(text.len());
    // These characters can only occur inside JSON strings, so escaping them
    // everywhere in the text is safe.
    for c in text.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    Ok(Value::String(out))
}

pub(crate) fn jsondecode(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    let s = string(&args, 0)?;
    match serde_json::from_str::<serde_json::Value>(&s) {
        Ok(j) => Ok(Value::from_json(&j)),
        Err(e) => arg_err(0, format!("invalid JSON: {e}")),
    }
}

pub(crate) fn yamldecode(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    let s = string(&args, 0)?;
    let mut y: serde_norway::Value = match serde_norway::from_str(&s) {
        Ok(y) => y,
        Err(e) => return arg_err(0, format!("invalid YAML: {e}")),
    };
    if let Err(e) = y.apply_merge() {
        return arg_err(0, format!("invalid YAML: {e}"));
    }
    from_yaml(y).or_else(|m| arg_err(0, m))
}

fn from_yaml(y: serde_norway::Value) -> Result<Value, String> {
    use serde_norway::Value as Y;
    Ok(match y {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => match n.as_f64() {
            Some(f) if f.is_finite() => Value::Number(f),
            _ => return Err(format!("cannot represent the YAML number {n} as a number")),
        },
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::List(items.into_iter().map(from_yaml).collect::<Result<_, _>>()?),
        Y::Mapping(m) => {
            let mut out = iac_core::ValueMap::new();
            for (k, v) in m {
                let key = match k {
                    Y::String(s) => s,
                    Y::Bool(b) => b.to_string(),
                    Y::Number(n) => match n.as_f64() {
                        Some(f) => format_number(f),
                        None => n.to_string(),
                    },
                    Y::Null => "null".to_string(),
                    _ => return Err("YAML mapping keys must be strings, numbers, bools or null".into()),
                };
                out.insert(key, from_yaml(v)?);
            }
            Value::Map(out)
        }
        Y::Tagged(t) => from_yaml(t.value)?,
    })
}

/// Block-style YAML as Terraform's yamlencode writes it: strings double
/// quoted (multi-line ones as literal blocks), sequences inside mappings
/// not indented, plain top-level scalars closed with "...".
pub(crate) fn yamlencode(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    let v = get(&args, 0);
    let mut out = String::new();
    match v {
        Value::List(items) if !items.is_empty() => yaml_list(items, 0, false, &mut out),
        Value::Map(m) if !m.is_empty() => yaml_map(m, 0, false, &mut out),
        Value::Null | Value::Bool(_) | Value::Number(_) => {
            out.push_str(&yaml_scalar(v, 2));
            out.push_str("...\n");
        }
        Value::String(_) => {
            let text = yaml_scalar(v, 2);
            out.push_str(&text);
            // A literal block keeping its trailing newlines leaves the
            // document open, so libyaml closes it explicitly.
            if text.starts_with('|') && text.lines().next().is_some_and(|l| l.ends_with('+')) {
                out.push_str("...\n");
            }
        }
        other => out.push_str(&yaml_scalar(other, 2)),
    }
    Ok(Value::String(out))
}

fn pad(out: &mut String, indent: usize) {
    out.extend(std::iter::repeat_n(' ', indent));
}

/// One scalar (or empty collection), including its final newline.
/// `indent` is the indentation of literal block lines.
fn yaml_scalar(v: &Value, indent: usize) -> String {
    match v.unmarked() {
        Value::Null | Value::Unknown => "null\n".into(),
        Value::Bool(b) => format!("{b}\n"),
        Value::Number(n) if n.is_infinite() => if *n > 0.0 { "+.Inf\n" } else { "-.Inf\n" }.into(),
        Value::Number(n) => format!("{}\n", format_number(*n)),
        Value::String(s) if s.contains('\n') && literal_allowed(s) => literal(s, indent),
        Value::String(s) => format!("{}\n", double_quoted(s)),
        Value::List(_) => "[]\n".into(),
        Value::Map(_) => "{}\n".into(),
        Value::Sensitive(_) => "null\n".into(),
    }
}

fn is_block(v: &Value) -> bool {
    match v.unmarked() {
        Value::List(l) => !l.is_empty(),
        Value::Map(m) => !m.is_empty(),
        _ => false,
    }
}

fn yaml_map(m: &iac_core::ValueMap, indent: usize, first_inline: bool, out: &mut String) {
    for (i, (k, v)) in m.iter().enumerate() {
        if !(i == 0 && first_inline) {
            pad(out, indent);
        }
        out.push_str(&double_quoted(k));
        out.push(':');
        match v.unmarked() {
            Value::Map(child) if is_block(v) => {
                out.push('\n');
                yaml_map(child, indent + 2, false, out);
            }
            Value::List(child) if is_block(v) => {
                out.push('\n');
                yaml_list(child, indent, false, out);
            }
            _ => {
                out.push(' ');
                out.push_str(&yaml_scalar(v, indent + 2));
            }
        }
    }
}

fn yaml_list(items: &[Value], indent: usize, first_inline: bool, out: &mut String) {
    for (i, item) in items.iter().enumerate() {
        if !(i == 0 && first_inline) {
            pad(out, indent);
        }
        out.push_str("- ");
        match item.unmarked() {
            Value::Map(child) if is_block(item) => yaml_map(child, indent + 2, true, out),
            Value::List(child) if is_block(item) => yaml_list(child, indent + 2, true, out),
            _ => out.push_str(&yaml_scalar(item, indent + 2)),
        }
    }
}

/// libyaml's printable set; anything else forces double quotes.
fn printable(c: char) -> bool {
    matches!(c, '\n' | '\u{20}'..='\u{7e}' | '\u{85}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
        && c != '\u{feff}'
}

/// Whether libyaml can write the string as a literal block.
fn literal_allowed(s: &str) -> bool {
    !s.ends_with(' ') && !s.contains(" \n") && s.chars().all(|c| printable(c) && c != '\u{85}' && c != '\u{2028}' && c != '\u{2029}')
}

fn literal(s: &str, indent: usize) -> String {
    let mut out = String::from("|");
    if s.starts_with(' ') || s.starts_with('\n') {
        out.push('2');
    }
    if !s.ends_with('\n') {
        out.push('-');
    } else if s == "\n" || s.ends_with("\n\n") {
        out.push('+');
    }
    out.push('\n');
    let mut line_start = true;
    for c in s.chars() {
        if c == '\n' {
            out.push('\n');
            line_start = true;
        } else {
            if line_start {
                pad(&mut out, indent);
                line_start = false;
            }
            out.push(c);
        }
    }
    if !s.ends_with('\n') {
        out.push('\n');
    }
    out
}

fn double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\0' => out.push_str("\\0"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{b}' => out.push_str("\\v"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '\u{1b}' => out.push_str("\\e"),
            '\u{85}' => out.push_str("\\N"),
            '\u{a0}' => out.push_str("\\_"),
            '\u{2028}' => out.push_str("\\L"),
            '\u{2029}' => out.push_str("\\P"),
            c if !printable(c) => {
                let n = c as u32;
                if n <= 0xff {
                    out.push_str(&format!("\\x{n:02X}"));
                } else if n <= 0xffff {
                    out.push_str(&format!("\\u{n:04X}"));
                } else {
                    out.push_str(&format!("\\U{n:08X}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
