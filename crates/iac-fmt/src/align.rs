//! Vertical alignment (`formatCells` in hclwrite).
//!
//! Runs of consecutive lines that all have an `assign` cell get their `=`
//! lined up one column after the widest `lead`; then runs of consecutive
//! lines with a trailing comment get the comments lined up one column after
//! the widest `lead` + `assign`. Any line without such a cell (a blank line,
//! a comment-only line, a block header, a multi-line value) ends the run.

use std::ops::Range;

use crate::lines::Line;
use crate::token::{columns, Token};

pub(crate) fn apply(tokens: &mut [Token<'_>], lines: &[Line]) {
    align_runs(tokens, lines, Line::has_assign, |l| l.lead.clone(), |l| l.assign.start);
    align_runs(tokens, lines, Line::has_comment, |l| l.lead.start..l.assign.end, |l| l.comment.start);
}

fn align_runs(tokens: &mut [Token<'_>], lines: &[Line], member: fn(&Line) -> bool, prefix: impl Fn(&Line) -> Range<usize>, target: impl Fn(&Line) -> usize) {
    let mut i = 0;
    while i < lines.len() {
        if !member(&lines[i]) {
            i += 1;
            continue;
        }
        let run_end = (i..lines.len()).find(|&j| !member(&lines[j])).unwrap_or(lines.len());
        let run = &lines[i..run_end];
        let widest = run.iter().map(|l| columns(&tokens[prefix(l)])).max().unwrap_or(0);
        for l in run {
            let width = columns(&tokens[prefix(l)]);
            tokens[target(l)].spaces = widest - width + 1;
        }
        i = run_end;
    }
}
