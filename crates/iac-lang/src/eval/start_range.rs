//! Where HCL says an expression starts (its "start range"): what a
//! diagnostic about the expression as one value points at, such as a
//! function argument of the wrong type. A quoted string's is its text
//! without the quotes, an object's or tuple's its opening bracket, a call's
//! its name and opening parenthesis, an operation's or conditional's that
//! of its first operand; any other expression's is all of it.

use std::ops::Range;

use hcl_edit::expr::Expression;
use hcl_edit::repr::Span as _;
use hcl_edit::template::Element;

pub(super) fn start_range(e: &Expression) -> Option<Range<usize>> {
    let span = e.span()?;
    let opening = span.start..span.start + 1;
    let unquoted = span.start + 1..span.end.saturating_sub(1).max(span.start + 1);
    Some(match e {
        Expression::String(_) => unquoted,
        Expression::StringTemplate(t) => match t.iter().next() {
            Some(Element::Literal(text)) => text.span().unwrap_or(unquoted),
            _ => unquoted,
        },
        Expression::Array(_) | Expression::Object(_) | Expression::ForExpr(_) | Expression::UnaryOp(_) => opening,
        Expression::FuncCall(f) => match f.name.name.span() {
            Some(name) => span.start..name.end + 1,
            None => span,
        },
        Expression::BinaryOp(b) => start_range(&b.lhs_expr)?,
        Expression::Conditional(c) => start_range(&c.cond_expr)?,
        _ => span,
    })
}
