//! Turning formatted tokens back into text.

use crate::token::{Kind, Token};

/// Concatenates the tokens with their computed spacing, then `trailing`
/// spaces (the whitespace the source had after its last token). As
/// `terraform fmt`: line endings (`\n` or `\r\n`) and comments are kept
/// as written, blank lines at the start and the end of the file stay, and
/// no final line ending is added or removed.
pub(crate) fn render(tokens: &[Token<'_>], trailing: usize) -> String {
    let mut out = String::new();
    for tok in tokens {
        if tok.kind != Kind::Newline {
            push_spaces(&mut out, tok.spaces);
        }
        out.push_str(tok.text);
    }
    push_spaces(&mut out, trailing);
    out
}

fn push_spaces(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}
