//! Intra-line spacing (`formatSpaces` / `spaceAfterToken` in hclwrite).
//!
//! Decides, for each pair of neighbouring tokens within a cell, whether they
//! are separated by one space or none.

use crate::lines::Line;
use crate::token::{Kind, Token};

pub(crate) fn apply(tokens: &mut [Token<'_>], lines: &[Line]) {
    for line in lines {
        space_cell(tokens, line.lead.clone());
        if line.has_assign() {
            space_cell(tokens, line.assign.clone());
            // The `=` is always separated from what it assigns to; the
            // alignment pass may widen this later.
            tokens[line.assign.start].spaces = 1;
        }
    }
}

fn space_cell(tokens: &mut [Token<'_>], cell: std::ops::Range<usize>) {
    for i in cell.start..cell.end.saturating_sub(1) {
        let before = (i > cell.start).then(|| &tokens[i - 1]);
        let space = space_after(&tokens[i], before, tokens[i + 1].kind);
        tokens[i + 1].spaces = usize::from(space);
    }
}

/// Whether a space belongs between `subject` and `after`; `before` is the
/// token preceding `subject` in the same cell, if any.
fn space_after(subject: &Token<'_>, before: Option<&Token<'_>>, after: Kind) -> bool {
    use Kind::*;
    let before_kind = before.map(|t| t.kind);
    match (subject.kind, after) {
        (_, Newline) => false,
        (Ident, OParen) => false,
        (Ident, DoubleColon) | (DoubleColon, Ident) => false,
        (Dot, _) | (_, Dot) => false,
        (_, Comma) | (_, Ellipsis) => false,
        (Comma, _) => true,
        (QuotedLit | OQuote, _) | (_, QuotedLit | CQuote) => false,
        // `for x in [a, b]`: `in` is a keyword here, not a value to index.
        (Ident, _) if subject.text == "in" && before_kind == Some(Ident) => true,
        (Ident | NumberLit, OBrack) => false,
        (s, OBrack) if s.bracket_change() < 0 => false,
        (Bang, _) => false,
        (Minus, _) => !before_kind.is_none_or(starts_operand),
        (OBrace, CBrace) => false,
        (OBrace, _) | (_, CBrace) => true,
        (TemplateInterp | TemplateControl, OBrace) => true,
        (CBrace, TemplateSeqEnd) => true,
        (TemplateSeqEnd, TemplateInterp | TemplateControl) => false,
        (s, _) if s.bracket_change() > 0 => false,
        (_, a) if a.bracket_change() < 0 => false,
        _ => true,
    }
}

/// Whether a `-` following a token of this kind must be a negation (so no
/// space goes after it).
fn starts_operand(before: Kind) -> bool {
    use Kind::*;
    matches!(
        before,
        OParen
            | OBrace
            | OBrack
            | Equal
            | Colon
            | Comma
            | Question
            | Plus
            | Star
            | Slash
            | Percent
            | Minus
            | EqualOp
            | NotEqual
            | GreaterThan
            | GreaterThanEq
            | LessThan
            | LessThanEq
            | And
            | Or
            | Bang
    )
}
