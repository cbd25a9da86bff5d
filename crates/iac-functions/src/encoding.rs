//! Encoding and hashing functions: JSON and YAML in both directions,
//! base64, and the hex/base64 digests (md5, sha1, sha256, sha512).

use base64::Engine as _;
use iac_core::Value;
use md5::Digest as _;

use crate::args::{arg_err, fail, get, string, FnResult};
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
    let mut text = String::new();
    write_json(get(&args, 0), &mut text);
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

/// Compact JSON of a value. Numbers are written in plain decimal, never
/// with an exponent (`1e21` is `1000000000000000000000`, `-0` stays `-0`),
/// as Terraform writes them.
fn write_json(v: &Value, out: &mut String) {
    match v.unmarked() {
        Value::Null | Value::Unknown => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) if n.is_finite() => out.push_str(&format!("{n}")),
        Value::Number(_) => out.push_str("null"),
        Value::String(s) => out.push_str(&serde_json::Value::String(s.clone()).to_string()),
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out);
            }
            out.push(']');
        }
        Value::Map(m) => {
            out.push('{');
            for (i, (k, item)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::Value::String(k.clone()).to_string());
                out.push(':');
                write_json(item, out);
            }
            out.push('}');
        }
        Value::Sensitive(inner) => write_json(inner, out),
    }
}

pub(crate) fn jsondecode(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    let s = string(&args, 0)?;
    match serde_json::from_str::<serde_json::Value>(&s) {
        Ok(j) => Ok(Value::from_json(&j)),
        Err(e) => fail(format!("invalid JSON: {e}")),
    }
}

/// yamldecode(string): one YAML document, plain scalars resolved with the
/// YAML 1.1 rules Terraform uses (see `yaml.rs`).
pub(crate) fn yamldecode(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    let s = string(&args, 0)?;
    crate::yaml::decode(&s).or_else(|m| fail(format!("invalid YAML: {m}")))
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
            out.push_str(&yaml_scalar(v, 2, 0));
            out.push_str("...\n");
        }
        Value::String(_) => {
            let text = yaml_scalar(v, 2, 0);
            out.push_str(&text);
            // A literal block keeping its trailing newlines leaves the
            // document open, so libyaml closes it explicitly.
            if text.starts_with('|') && text.lines().next().is_some_and(|l| l.ends_with('+')) {
                out.push_str("...\n");
            }
        }
        other => out.push_str(&yaml_scalar(other, 2, 0)),
    }
    Ok(Value::String(out))
}

fn pad(out: &mut String, indent: usize) {
    out.extend(std::iter::repeat_n(' ', indent));
}

/// One scalar (or empty collection), including its final newline.
/// `indent` is the indentation of literal block lines and of folded
/// continuation lines; `column` is where the scalar starts on its line.
fn yaml_scalar(v: &Value, indent: usize, column: usize) -> String {
    match v.unmarked() {
        Value::Null | Value::Unknown => "null\n".into(),
        Value::Bool(b) => format!("{b}\n"),
        Value::Number(n) if !n.is_finite() && !n.is_nan() => if n.is_negative() { "-.Inf\n" } else { "+.Inf\n" }.into(),
        Value::Number(n) => format!("{n}\n"),
        Value::String(s) if s.contains('\n') && literal_allowed(s) => literal(s, indent),
        Value::String(s) => format!("{}\n", fold(&double_quoted(s), indent, column)),
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
                let column = indent + double_quoted(k).chars().count() + 2;
                out.push_str(&yaml_scalar(v, indent + 2, column));
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
            _ => out.push_str(&yaml_scalar(item, indent + 2, indent + 2)),
        }
    }
}

/// libyaml's printable set; anything else forces double quotes.
fn printable(c: char) -> bool {
    matches!(c, '\n' | '\u{20}'..='\u{7e}' | '\u{85}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..) && c != '\u{feff}'
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

/// Folds a double-quoted scalar as libyaml does (best width 80): a space
/// that follows a non-space, once the line is past column 80, becomes a
/// line break and indentation (a backslash keeps a following space), never
/// at the first or last character of the value.
fn fold(quoted: &str, indent: usize, start_column: usize) -> String {
    const BEST_WIDTH: usize = 80;
    let chars: Vec<char> = quoted.chars().collect();
    let mut out = String::with_capacity(quoted.len() + 8);
    let mut column = start_column;
    let mut spaces = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        // Spaces are never escaped, so a space here is a space of the value;
        // 0 and len - 1 are the quotes, 1 and len - 2 the value's ends.
        if c == ' ' {
            if !spaces && column > BEST_WIDTH && i != 1 && i + 2 != chars.len() {
                out.push('\n');
                pad(&mut out, indent);
                column = indent;
                if chars.get(i + 1) == Some(&' ') {
                    out.push('\\');
                    column += 1;
                }
            } else {
                out.push(c);
                column += 1;
            }
            spaces = true;
        } else {
            out.push(c);
            column += 1;
            spaces = false;
        }
        i += 1;
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

/// base64gzip(string): gzip of the UTF-8 bytes, then base64, framed as Go's
/// writer frames it (Terraform flushes, then closes): a header with no name
/// or time and OS 255, the deflate data ending in a sync flush and an empty
/// final stored block, then CRC-32 and length. The compressed blocks come
/// from a different compressor than Go's, so long inputs may compress to
/// other (equally valid) bytes.
pub(crate) fn base64gzip(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    use std::io::Write as _;
    let s = string(&args, 0)?;
    let deflate = || -> std::io::Result<Vec<u8>> {
        let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(s.as_bytes())?;
        enc.flush()?;
        // The encoder's own finish would add a final fixed-Huffman block; Go
        // closes with an empty final stored block instead.
        Ok(std::mem::take(enc.get_mut()))
    };
    let body = match deflate() {
        Ok(b) => b,
        Err(e) => return crate::args::fail(format!("failed to compress: {e}")),
    };
    let mut crc = flate2::Crc::new();
    crc.update(s.as_bytes());
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    out.extend(body);
    out.extend([0x01, 0x00, 0x00, 0xff, 0xff]);
    out.extend(crc.sum().to_le_bytes());
    out.extend((s.len() as u32).to_le_bytes());
    Ok(Value::String(B64.encode(out)))
}

/// csvdecode(string): RFC 4180 as Go's encoding/csv reads it; the first
/// row names the attributes, every row must have as many fields.
pub(crate) fn csvdecode(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    let s = string(&args, 0)?;
    let rows = parse_csv(&s).or_else(crate::args::fail)?;
    let mut rows = rows.into_iter();
    let Some((_, header)) = rows.next() else { return crate::args::fail("missing header line") };
    let mut out = Vec::new();
    for (line, row) in rows {
        if row.len() != header.len() {
            return crate::args::fail(format!("CSV parse error on line {line}: wrong number of fields"));
        }
        out.push(Value::Map(header.iter().cloned().zip(row.into_iter().map(Value::String)).collect()));
    }
    // Terraform types the result list(object(...)).
    Ok(Value::list(out))
}

/// Records with the line each starts on. Blank lines are skipped, `\r\n`
/// ends a record like `\n`, quoted fields may hold separators, newlines
/// and `""` for a quote.
fn parse_csv(s: &str) -> Result<Vec<(usize, Vec<String>)>, String> {
    let mut records = Vec::new();
    let mut chars = s.chars().peekable();
    let mut line = 1;
    while chars.peek().is_some() {
        if matches!(chars.peek(), Some('\n')) {
            chars.next();
            line += 1;
            continue;
        }
        if chars.peek() == Some(&'\r') {
            chars.next();
            if chars.peek() == Some(&'\n') {
                chars.next();
                line += 1;
                continue;
            }
        }
        let start = line;
        let mut fields = Vec::new();
        loop {
            let mut field = String::new();
            if chars.peek() == Some(&'"') {
                chars.next();
                loop {
                    match chars.next() {
                        None => return Err(format!("CSV parse error on line {start}: extraneous or missing \" in quoted-field")),
                        Some('"') if chars.peek() == Some(&'"') => {
                            chars.next();
                            field.push('"');
                        }
                        Some('"') => break,
                        Some('\r') if chars.peek() == Some(&'\n') => {}
                        Some(c) => {
                            if c == '\n' {
                                line += 1;
                            }
                            field.push(c);
                        }
                    }
                }
                if !matches!(chars.peek(), None | Some(',') | Some('\n') | Some('\r')) {
                    return Err(format!("CSV parse error on line {line}: extraneous or missing \" in quoted-field"));
                }
            } else {
                while let Some(&c) = chars.peek() {
                    if c == ',' || c == '\n' || c == '\r' {
                        break;
                    }
                    if c == '"' {
                        return Err(format!("CSV parse error on line {line}: bare \" in non-quoted-field"));
                    }
                    field.push(c);
                    chars.next();
                }
            }
            fields.push(field);
            match chars.next() {
                Some(',') => continue,
                Some('\r') => {
                    if chars.peek() == Some(&'\n') {
                        chars.next();
                    }
                    line += 1;
                    break;
                }
                Some('\n') => {
                    line += 1;
                    break;
                }
                _ => break,
            }
        }
        records.push((start, fields));
    }
    Ok(records)
}

/// A character encoding Terraform's text functions accept, by IANA name
/// or alias (case-insensitive).
enum TextEncoding {
    Utf8,
    /// Big-endian with a byte order mark when encoding, as Go's IANA "UTF-16".
    Utf16Bom,
    Utf16Be,
    Utf16Le,
    /// ISO-8859-1 itself (the WHATWG label maps it to windows-1252).
    Latin1,
    Other(&'static encoding_rs::Encoding, &'static str),
}

fn text_encoding(name: &str, index: usize) -> Result<TextEncoding, crate::args::Fail> {
    let lower = name.to_ascii_lowercase();
    Ok(match lower.as_str() {
        "utf-8" | "utf8" | "csutf8" => TextEncoding::Utf8,
        "utf-16" | "csutf16" => TextEncoding::Utf16Bom,
        "utf-16be" | "csutf16be" => TextEncoding::Utf16Be,
        "utf-16le" | "csutf16le" => TextEncoding::Utf16Le,
        "iso-8859-1" | "iso_8859-1" | "iso_8859-1:1987" | "latin1" | "l1" | "ibm819" | "cp819" | "csisolatin1" | "iso-ir-100" => TextEncoding::Latin1,
        _ => match encoding_rs::Encoding::for_label_no_replacement(lower.as_bytes()) {
            Some(e) if e != encoding_rs::UTF_16LE && e != encoding_rs::UTF_16BE => TextEncoding::Other(e, e.name()),
            _ => return arg_err(index, format!("{name:?} is not a supported IANA encoding name or alias in this Terraform version")),
        },
    })
}

/// textencodebase64(string, encoding)
pub(crate) fn textencodebase64(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    let s = string(&args, 0)?;
    let name = string(&args, 1)?;
    let unrepresentable = |enc: &str| arg_err(0, format!("the given string contains characters that cannot be represented in {enc}"));
    let bytes: Vec<u8> = match text_encoding(&name, 1)? {
        TextEncoding::Utf8 => s.into_bytes(),
        TextEncoding::Utf16Bom => [0xFE, 0xFF].into_iter().chain(s.encode_utf16().flat_map(u16::to_be_bytes)).collect(),
        TextEncoding::Utf16Be => s.encode_utf16().flat_map(u16::to_be_bytes).collect(),
        TextEncoding::Utf16Le => s.encode_utf16().flat_map(u16::to_le_bytes).collect(),
        TextEncoding::Latin1 => match s.chars().map(|c| u8::try_from(u32::from(c)).ok()).collect::<Option<Vec<u8>>>() {
            Some(b) => b,
            None => return unrepresentable("ISO_8859-1:1987"),
        },
        TextEncoding::Other(enc, label) => {
            let (out, _, had_errors) = enc.encode(&s);
            if had_errors {
                return unrepresentable(label);
            }
            out.into_owned()
        }
    };
    Ok(Value::String(B64.encode(bytes)))
}

/// textdecodebase64(source, encoding)
pub(crate) fn textdecodebase64(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    let src = string(&args, 0)?;
    let name = string(&args, 1)?;
    let enc = text_encoding(&name, 1)?;
    let bytes = match B64.decode(src.as_bytes()) {
        Ok(b) => b,
        Err(base64::DecodeError::InvalidByte(at, _)) | Err(base64::DecodeError::InvalidLastSymbol(at, _)) => {
            return arg_err(0, format!("the given value is has an invalid base64 symbol at offset {at}"))
        }
        Err(_) => return arg_err(0, "the given value has an invalid length for base64"),
    };
    let undefined = |label: &str| arg_err(0, format!("the given string contains symbols that are not defined for {label}"));
    let utf16 = |b: &[u8], be: bool, label: &str| -> Result<String, crate::args::Fail> {
        if !b.len().is_multiple_of(2) {
            return undefined(label);
        }
        let units = b.chunks(2).map(|c| if be { u16::from_be_bytes([c[0], c[1]]) } else { u16::from_le_bytes([c[0], c[1]]) });
        char::decode_utf16(units).collect::<Result<String, _>>().or_else(|_| undefined(label))
    };
    let text = match enc {
        TextEncoding::Utf8 => String::from_utf8(bytes).or_else(|_| undefined("UTF-8"))?,
        TextEncoding::Utf16Bom => match bytes.as_slice() {
            [0xFF, 0xFE, rest @ ..] => utf16(rest, false, "UTF-16")?,
            [0xFE, 0xFF, rest @ ..] => utf16(rest, true, "UTF-16")?,
            rest => utf16(rest, true, "UTF-16")?,
        },
        TextEncoding::Utf16Be => utf16(&bytes, true, "UTF-16BE")?,
        TextEncoding::Utf16Le => utf16(&bytes, false, "UTF-16LE")?,
        TextEncoding::Latin1 => bytes.iter().map(|b| char::from(*b)).collect(),
        TextEncoding::Other(e, label) => match e.decode_without_bom_handling_and_without_replacement(&bytes) {
            Some(t) => t.into_owned(),
            None => undefined(label)?,
        },
    };
    Ok(Value::String(text))
}
