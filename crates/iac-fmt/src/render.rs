//! Turning formatted tokens back into text.

use crate::token::{Kind, Token};

/// Concatenates the tokens with their computed spacing. Line endings (`\n`
/// or `\r\n`) are kept as written, block comments lose trailing whitespace
/// on each line, and the result ends with exactly one line ending (the
/// file's first one decides which) or is empty when there is nothing but
/// whitespace.
pub(crate) fn render(tokens: &[Token<'_>]) -> String {
    let mut out = String::new();
    for tok in tokens {
        match tok.kind {
            Kind::Newline => out.push_str(tok.text),
            Kind::BlockComment => {
                push_spaces(&mut out, tok.spaces);
                for line in tok.text.split_inclusive('\n') {
                    let body = line.trim_end();
                    out.push_str(body);
                    out.push_str(line[body.len()..].trim_start_matches([' ', '\t']));
                }
            }
            _ => {
                push_spaces(&mut out, tok.spaces);
                out.push_str(tok.text);
            }
        }
    }
    let keep = out.trim_end().len();
    out.truncate(keep);
    if !out.is_empty() {
        let eol = tokens.iter().find(|t| t.kind == Kind::Newline).map_or("\n", |t| t.text);
        out.push_str(eol);
    }
    out
}

fn push_spaces(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}
