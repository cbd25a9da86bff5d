//! The safety net: checking that formatting preserved the document.
//!
//! Both texts are parsed and compared structurally. hcl-edit's equality
//! already ignores decor (whitespace and comments around nodes); this module
//! additionally erases the few raw-whitespace fields that equality does
//! compare and the bare/quoted distinction of block labels.

use hcl_edit::expr::{Array, FuncArgs, Object};
use hcl_edit::parser::parse_body;
use hcl_edit::structure::{BlockLabel, Body};
use hcl_edit::template::{ElseTemplateExpr, EndforTemplateExpr, EndifTemplateExpr, ForTemplateExpr, IfTemplateExpr};
use hcl_edit::visit_mut::{self, VisitMut};
use hcl_edit::Decorated;

/// Whether two texts parse to the same document once formatting is erased
/// (the tests use this same check on every fixture).
pub fn same_structure_text(a: &str, b: &str) -> bool {
    match parse_body(a) {
        Ok(body) => same_structure(&body, b),
        Err(_) => false,
    }
}

/// Whether `formatted` parses to the same structure as `original`.
pub(crate) fn same_structure(original: &Body, formatted: &str) -> bool {
    let Ok(mut after) = parse_body(formatted) else {
        return false;
    };
    let mut before = original.clone();
    Normalize.visit_body_mut(&mut before);
    Normalize.visit_body_mut(&mut after);
    before == after
}

struct Normalize;

impl VisitMut for Normalize {
    fn visit_block_label_mut(&mut self, node: &mut BlockLabel) {
        if let BlockLabel::Ident(ident) = node {
            *node = BlockLabel::String(Decorated::new(ident.as_str().to_owned()));
        }
    }

    fn visit_array_mut(&mut self, node: &mut Array) {
        node.set_trailing("");
        visit_mut::visit_array_mut(self, node);
    }

    fn visit_object_mut(&mut self, node: &mut Object) {
        node.set_trailing("");
        visit_mut::visit_object_mut(self, node);
    }

    fn visit_func_args_mut(&mut self, node: &mut FuncArgs) {
        node.set_trailing("");
        visit_mut::visit_func_args_mut(self, node);
    }

    fn visit_if_template_expr_mut(&mut self, node: &mut IfTemplateExpr) {
        node.set_preamble("");
        visit_mut::visit_if_template_expr_mut(self, node);
    }

    fn visit_else_template_expr_mut(&mut self, node: &mut ElseTemplateExpr) {
        node.set_preamble("");
        node.set_trailing("");
        visit_mut::visit_else_template_expr_mut(self, node);
    }

    fn visit_endif_template_expr_mut(&mut self, node: &mut EndifTemplateExpr) {
        node.set_preamble("");
        node.set_trailing("");
    }

    fn visit_for_template_expr_mut(&mut self, node: &mut ForTemplateExpr) {
        node.set_preamble("");
        visit_mut::visit_for_template_expr_mut(self, node);
    }

    fn visit_endfor_template_expr_mut(&mut self, node: &mut EndforTemplateExpr) {
        node.set_preamble("");
        node.set_trailing("");
    }
}
