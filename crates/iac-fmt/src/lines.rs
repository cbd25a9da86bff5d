//! Splitting a token stream into lines of three cells
//! (`linesForFormat` in hclwrite).
//!
//! Each line is `lead`, then an optional `assign` cell (from an attribute's
//! `=` to the end of a balanced, single-line value), then an optional
//! `comment` cell (a trailing `#` / `//` comment). The alignment pass lines
//! up the `assign` and `comment` cells of neighbouring lines.

use std::ops::Range;

use crate::token::{Kind, Token};

/// One source line, as index ranges into the token vector. The ranges are
/// contiguous: `lead.end == assign.start` and `assign.end == comment.start`.
/// The terminating newline token (if any) is not part of any cell.
#[derive(Debug, Clone)]
pub(crate) struct Line {
    pub lead: Range<usize>,
    pub assign: Range<usize>,
    pub comment: Range<usize>,
}

impl Line {
    pub(crate) fn has_assign(&self) -> bool {
        !self.assign.is_empty()
    }

    pub(crate) fn has_comment(&self) -> bool {
        !self.comment.is_empty()
    }
}

pub(crate) fn split_lines(tokens: &[Token<'_>]) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut start = 0;
    for (i, tok) in tokens.iter().enumerate() {
        if tok.kind == Kind::Newline {
            lines.push(cells(tokens, start..i));
            start = i + 1;
        }
    }
    if start < tokens.len() {
        lines.push(cells(tokens, start..tokens.len()));
    }
    lines
}

fn cells(tokens: &[Token<'_>], range: Range<usize>) -> Line {
    let mut lead_end = range.end;
    let mut comment = range.end..range.end;
    if range.len() > 1 && tokens[range.end - 1].kind == Kind::LineComment {
        comment = range.end - 1..range.end;
        lead_end = range.end - 1;
    }
    let mut assign = lead_end..lead_end;
    let eq = (range.start + 1..lead_end).find(|&i| tokens[i].kind == Kind::Equal);
    if let Some(eq) = eq {
        if net_brackets(&tokens[eq..lead_end]) == 0 {
            assign = eq..lead_end;
            lead_end = eq;
        }
    }
    Line { lead: range.start..lead_end, assign, comment }
}

/// Sum of bracket changes over `tokens`. Heredocs are opaque tokens, so the
/// brackets in their bodies are never counted.
pub(crate) fn net_brackets(tokens: &[Token<'_>]) -> i32 {
    tokens.iter().map(|t| t.kind.bracket_change()).sum()
}
