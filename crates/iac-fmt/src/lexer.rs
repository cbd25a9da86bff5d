//! A whitespace-discarding HCL lexer.
//!
//! It turns source text into [`Token`]s whose texts, concatenated, give back
//! the source minus inter-token whitespace. It never fails: it is run only on
//! input that `hcl-edit` has already accepted, and anything unexpected
//! becomes an [`Kind::Invalid`] token that is emitted verbatim.
//!
//! Heredocs are captured as a single opaque token, so their bodies are never
//! touched. Line comments exclude their newline but keep their trailing
//! whitespace, and block comments are kept whole, as `terraform fmt` keeps
//! both byte for byte.

use crate::token::{Kind, Token};

/// What the lexer is currently inside of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// A `{` ... `}` in expression context.
    Brace,
    /// A `${` / `%{` sequence in a template; ends at `}` / `~}`.
    Interp,
    /// The literal part of a quoted template; ends at `"`.
    Quoted,
}

pub(crate) fn lex(src: &str) -> Vec<Token<'_>> {
    let mut lx = Lexer { src, pos: 0, modes: Vec::new(), out: Vec::new() };
    lx.run();
    lx.out
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    modes: Vec<Mode>,
    out: Vec<Token<'a>>,
}

impl<'a> Lexer<'a> {
    fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    fn push(&mut self, kind: Kind, len: usize) {
        let text = &self.src[self.pos..self.pos + len];
        self.out.push(Token { kind, text, spaces: 0 });
        self.pos += len;
    }

    fn run(&mut self) {
        while self.pos < self.src.len() {
            if self.modes.last() == Some(&Mode::Quoted) {
                self.quoted();
            } else {
                self.expr();
            }
        }
    }

    /// One step inside a quoted template.
    fn quoted(&mut self) {
        let rest = self.rest();
        if rest.starts_with('"') {
            self.modes.pop();
            return self.push(Kind::CQuote, 1);
        }
        if rest.starts_with('\n') || rest.starts_with("\r\n") {
            // Unterminated string: leave template mode and carry on.
            self.modes.pop();
            return;
        }
        for opener in ["${", "%{"] {
            if rest.starts_with(opener) {
                let kind = if opener == "${" { Kind::TemplateInterp } else { Kind::TemplateControl };
                let len = if rest[2..].starts_with('~') { 3 } else { 2 };
                self.modes.push(Mode::Interp);
                return self.push(kind, len);
            }
        }
        let len = quoted_literal_len(rest);
        self.push(Kind::QuotedLit, len.max(1).min(rest.len()));
    }

    /// One step in expression context.
    fn expr(&mut self) {
        let rest = self.rest();
        let Some(c) = rest.chars().next() else { return };
        match c {
            ' ' | '\t' | '\r' if !rest.starts_with("\r\n") => self.pos += 1,
            '\n' => self.push(Kind::Newline, 1),
            '\r' => self.push(Kind::Newline, 2),
            '#' => self.line_comment(),
            '/' if rest.starts_with("//") => self.line_comment(),
            '/' if rest.starts_with("/*") => {
                let len = rest.find("*/").map_or(rest.len(), |i| i + 2);
                self.push(Kind::BlockComment, len)
            }
            '"' => {
                self.modes.push(Mode::Quoted);
                self.push(Kind::OQuote, 1)
            }
            '<' if rest.starts_with("<<") && heredoc_len(rest).is_some() => {
                let len = heredoc_len(rest).unwrap_or(rest.len());
                self.push(Kind::Heredoc, len)
            }
            '{' => {
                self.modes.push(Mode::Brace);
                self.push(Kind::OBrace, 1)
            }
            '~' if rest.starts_with("~}") && self.modes.last() == Some(&Mode::Interp) => {
                self.modes.pop();
                self.push(Kind::TemplateSeqEnd, 2)
            }
            '}' => match self.modes.pop() {
                Some(Mode::Interp) => self.push(Kind::TemplateSeqEnd, 1),
                _ => self.push(Kind::CBrace, 1),
            },
            c if c.is_ascii_digit() => self.push(Kind::NumberLit, number_len(rest)),
            c if c.is_alphabetic() || c == '_' => {
                let len = rest.char_indices().find(|&(_, c)| !(c.is_alphanumeric() || c == '_' || c == '-')).map_or(rest.len(), |(i, _)| i);
                self.push(Kind::Ident, len)
            }
            _ => {
                let (kind, len) = punctuation(rest).unwrap_or((Kind::Invalid, c.len_utf8()));
                self.push(kind, len)
            }
        }
    }

    fn line_comment(&mut self) {
        let rest = self.rest();
        let mut end = rest.find('\n').unwrap_or(rest.len());
        if rest[..end].ends_with('\r') && end < rest.len() {
            end -= 1; // leave `\r\n` whole for the newline token
        }
        // The newline becomes its own token.
        self.push(Kind::LineComment, end);
    }
}

/// The bytes of whitespace after the last token of `src` (none when it
/// ends with a newline or a comment): `terraform fmt` keeps that many
/// spaces before the end of the file, as hclwrite's end-of-file token does.
pub(crate) fn trailing_whitespace(src: &str, tokens: &[Token<'_>]) -> usize {
    let end = tokens.last().map_or(0, |t| t.text.as_ptr() as usize - src.as_ptr() as usize + t.text.len());
    src.len() - end
}

/// Length of the literal run at the start of `rest` inside a quoted template.
fn quoted_literal_len(rest: &str) -> usize {
    let bytes = rest.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' | b'\n' => break,
            b'\r' if bytes.get(i + 1) == Some(&b'\n') => break,
            b'\\' => i += 2,
            b'$' | b'%' if bytes.get(i + 1) == Some(&bytes[i]) && bytes.get(i + 2) == Some(&b'{') => i += 3,
            b'$' | b'%' if bytes.get(i + 1) == Some(&b'{') => break,
            _ => i += 1,
        }
    }
    // Never split a UTF-8 sequence (an escape may have skipped into one).
    let mut i = i.min(rest.len());
    while !rest.is_char_boundary(i) {
        i += 1;
    }
    i
}

fn number_len(rest: &str) -> usize {
    let b = rest.as_bytes();
    let digits = |from: usize| b[from..].iter().take_while(|c| c.is_ascii_digit()).count();
    let mut i = digits(0);
    if b.get(i) == Some(&b'.') && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
        i += 1 + digits(i + 1);
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(b.get(i + 1), Some(b'+' | b'-')));
        let exp = digits(i + 1 + sign);
        if exp > 0 {
            i += 1 + sign + exp;
        }
    }
    i
}

/// If `rest` starts a heredoc (`<<ID` or `<<-ID` then a newline), the byte
/// length of the whole heredoc through its closing marker (exclusive of the
/// newline after it). An unterminated heredoc runs to the end of input.
fn heredoc_len(rest: &str) -> Option<usize> {
    let after = rest.strip_prefix("<<")?;
    let after = after.strip_prefix('-').unwrap_or(after);
    let id_len = after.char_indices().find(|&(_, c)| !(c.is_alphanumeric() || c == '_' || c == '-')).map_or(after.len(), |(i, _)| i);
    if id_len == 0 {
        return None;
    }
    let id = &after[..id_len];
    let header = rest.len() - after.len() + id_len;
    let eol = if rest[header..].starts_with('\n') {
        1
    } else if rest[header..].starts_with("\r\n") {
        2
    } else {
        return None;
    };
    let mut line_start = header + eol;
    while line_start < rest.len() {
        let line_end = rest[line_start..].find('\n').map_or(rest.len(), |i| line_start + i);
        let line = &rest[line_start..line_end];
        if line.trim() == id {
            return Some(line_start + line.trim_end().len());
        }
        line_start = line_end + 1;
    }
    Some(rest.len())
}

fn punctuation(rest: &str) -> Option<(Kind, usize)> {
    const TABLE: &[(&str, Kind)] = &[
        ("...", Kind::Ellipsis),
        ("==", Kind::EqualOp),
        ("!=", Kind::NotEqual),
        ("<=", Kind::LessThanEq),
        (">=", Kind::GreaterThanEq),
        ("&&", Kind::And),
        ("||", Kind::Or),
        ("=>", Kind::FatArrow),
        ("::", Kind::DoubleColon),
        ("=", Kind::Equal),
        ("<", Kind::LessThan),
        (">", Kind::GreaterThan),
        ("!", Kind::Bang),
        ("+", Kind::Plus),
        ("-", Kind::Minus),
        ("*", Kind::Star),
        ("/", Kind::Slash),
        ("%", Kind::Percent),
        (".", Kind::Dot),
        (",", Kind::Comma),
        ("?", Kind::Question),
        (":", Kind::Colon),
        ("[", Kind::OBrack),
        ("]", Kind::CBrack),
        ("(", Kind::OParen),
        (")", Kind::CParen),
    ];
    TABLE.iter().find(|(p, _)| rest.starts_with(p)).map(|&(p, k)| (k, p.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<(Kind, &str)> {
        lex(src).into_iter().map(|t| (t.kind, t.text)).collect()
    }

    #[test]
    fn template_braces_are_tracked() {
        let toks = kinds(r#"a = "x${ {b = 1}.b }y""#);
        assert_eq!(toks[2], (Kind::OQuote, "\""));
        assert!(toks.contains(&(Kind::TemplateSeqEnd, "}")));
        assert!(toks.contains(&(Kind::CBrace, "}")));
        assert_eq!(toks.last(), Some(&(Kind::CQuote, "\"")));
    }

    #[test]
    fn heredoc_is_one_token() {
        let toks = kinds("a = <<-EOT\n  x ${ y }\n  EOT\nb = 1\n");
        assert_eq!(toks[2], (Kind::Heredoc, "<<-EOT\n  x ${ y }\n  EOT"));
        assert_eq!(toks[3].0, Kind::Newline);
    }

    #[test]
    fn escapes_stay_literal() {
        let toks = kinds(r#""a\"$${b}%%{c}""#);
        assert_eq!(toks[1], (Kind::QuotedLit, r#"a\"$${b}%%{c}"#));
    }
}
