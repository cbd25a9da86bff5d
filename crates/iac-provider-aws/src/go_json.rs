//! JSON text as Terraform's AWS provider writes it into state: the document
//! decoded and encoded again by Go's `encoding/json` (object keys sorted,
//! no spaces, numbers as float64 prints them, `<`, `>` and `&` escaped
//! unless the attribute unescapes them, as EventBridge's `event_pattern`
//! does). Storing the same text lets state move between the native
//! provider and the plugin without a change.

use serde_json::Value as Json;

/// `text` re-encoded as Go does; None when it is not JSON.
pub fn normalize(text: &str, escape_html: bool) -> Option<String> {
    let v: Json = serde_json::from_str(text).ok()?;
    let mut out = String::with_capacity(text.len());
    write(&v, escape_html, &mut out);
    Some(out)
}

fn write(v: &Json, html: bool, out: &mut String) {
    match v {
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Number(n) => out.push_str(&go_number(n.as_f64().unwrap_or(0.0))),
        Json::String(s) => write_string(s, html, out),
        Json::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(x, html, out);
            }
            out.push(']');
        }
        Json::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(k, html, out);
                out.push(':');
                write(&m[k], html, out);
            }
            out.push('}');
        }
    }
}

fn write_string(s: &str, html: bool, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' if html => out.push_str(&format!("\\u{:04x}", c as u32)),
            '\u{2028}' | '\u{2029}' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A float64 as Go's encoder prints it: the shortest form, in exponent form
/// below 1e-6 and from 1e21 (`1e+21`, `1e-7`).
fn go_number(f: f64) -> String {
    let a = f.abs();
    if a != 0.0 && !(1e-6..1e21).contains(&a) {
        let s = format!("{f:e}");
        let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let (sign, digits) = exp.strip_prefix('-').map(|d| ("-", d)).unwrap_or(("+", exp));
        let digits = if sign == "+" && digits.len() < 2 { format!("0{digits}") } else { digits.to_string() };
        return format!("{mantissa}e{sign}{digits}");
    }
    if f.fract() == 0.0 && a < 1e21 {
        return format!("{}", f as i128);
    }
    format!("{f}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_re_encoded_as_go_does() {
        assert_eq!(normalize(r#"{ "source": ["aws.ec2"], "detail-type" : ["x"] }"#, false).as_deref(), Some(r#"{"detail-type":["x"],"source":["aws.ec2"]}"#));
        assert_eq!(normalize(r#"{"a":"<b>&"}"#, true).as_deref(), Some(r#"{"a":"\u003cb\u003e\u0026"}"#));
        assert_eq!(normalize(r#"{"a":"<b>&"}"#, false).as_deref(), Some(r#"{"a":"<b>&"}"#));
        assert_eq!(normalize(r#"{"n":[1, 1.0, 1.5, -0.25, 1e21, 1e-7, 123456789]}"#, true).as_deref(), Some(r#"{"n":[1,1,1.5,-0.25,1e+21,1e-7,123456789]}"#));
        assert_eq!(normalize(r#"{"z":{"b":1,"a":null},"a":[true,false]}"#, true).as_deref(), Some(r#"{"a":[true,false],"z":{"a":null,"b":1}}"#));
        assert_eq!(normalize("\"tab\\tand\\u0001\"", true).as_deref(), Some("\"tab\\tand\\u0001\""));
        assert_eq!(normalize("not json", true), None);
    }
}
