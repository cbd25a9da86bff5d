//! Leading indentation (`formatIndent` in hclwrite).
//!
//! Each line is indented two spaces per open bracket level. A line with a net
//! increase of open brackets pushes one level (remembering how many brackets
//! it opened); a line with a net decrease pops levels until the closed
//! brackets are accounted for, before being indented itself. This tolerates
//! brackets that open and close asymmetrically across lines.

use crate::lines::{net_brackets, Line};
use crate::token::Token;

pub(crate) fn apply(tokens: &mut [Token<'_>], lines: &[Line]) {
    let mut indents: Vec<i32> = Vec::new();
    for line in lines {
        let whole = line.lead.start..line.comment.end;
        if whole.is_empty() {
            continue;
        }
        // Brackets in the trailing comment cell never count.
        let net = net_brackets(&tokens[line.lead.start..line.assign.end]);
        if net > 0 {
            tokens[whole.start].spaces = 2 * indents.len();
            indents.push(net);
            continue;
        }
        let mut closed = -net;
        while closed > 0 {
            let Some(top) = indents.last_mut() else { break };
            if closed >= *top {
                closed -= *top;
                indents.pop();
            } else {
                *top -= closed;
                closed = 0;
            }
        }
        tokens[whole.start].spaces = 2 * indents.len();
    }
}
