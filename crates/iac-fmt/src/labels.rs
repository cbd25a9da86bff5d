//! Quoting bare block labels: `resource aws_vpc main {` becomes
//! `resource "aws_vpc" "main" {`, as `terraform fmt` does.
//!
//! The labels are found in the parsed tree (not by the lexer), so only real
//! block labels are touched.

use hcl_edit::structure::{BlockLabel, Body};
use hcl_edit::Span;

/// Returns `src` with every bare-identifier block label in `body` (the parse
/// of `src`) wrapped in double quotes.
pub(crate) fn quote_bare_labels(src: &str, body: &Body) -> String {
    let mut offsets = Vec::new();
    collect(body, &mut offsets);
    offsets.sort_unstable();
    let mut out = String::with_capacity(src.len() + 2 * offsets.len());
    let mut last = 0;
    for (start, end) in offsets {
        // Spans come from the parser of this very text; still, never slice
        // out of bounds or off a char boundary.
        if start < last || end > src.len() || !src.is_char_boundary(start) || !src.is_char_boundary(end) {
            continue;
        }
        out.push_str(&src[last..start]);
        out.push('"');
        out.push_str(&src[start..end]);
        out.push('"');
        last = end;
    }
    out.push_str(&src[last..]);
    out
}

fn collect(body: &Body, offsets: &mut Vec<(usize, usize)>) {
    for block in body.blocks() {
        for label in &block.labels {
            if let BlockLabel::Ident(ident) = label {
                if let Some(span) = ident.span() {
                    offsets.push((span.start, span.end));
                }
            }
        }
        collect(&block.body, offsets);
    }
}
