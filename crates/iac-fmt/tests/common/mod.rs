//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

use hcl_edit::expr::{Array, FuncArgs, Object};
use hcl_edit::parser::parse_body;
use hcl_edit::structure::BlockLabel;
use hcl_edit::template::{
    ElseTemplateExpr, EndforTemplateExpr, EndifTemplateExpr, ForTemplateExpr, IfTemplateExpr,
};
use hcl_edit::visit_mut::{self, VisitMut};
use hcl_edit::Decorated;

pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

pub fn read_fixture(file: &str) -> String {
    let path = fixtures_dir().join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Names `<name>` of all `<name>.in.tf` fixtures, sorted.
pub fn fixture_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(fixtures_dir())
        .expect("fixtures dir")
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            name.strip_suffix(".in.tf").map(str::to_owned)
        })
        .collect();
    names.sort();
    names
}

/// Whether `a` and `b` parse to the same document once all formatting is
/// erased: hcl-edit's `==` ignores decor (whitespace and comments around
/// nodes), and [`Erase`] blanks the raw whitespace fields it does compare.
/// On top of that, the two texts must have the same non-whitespace
/// characters once label quotes are ignored, so no comment can go missing.
pub fn same_structure(a: &str, b: &str) -> bool {
    let (Ok(mut x), Ok(mut y)) = (parse_body(a), parse_body(b)) else {
        return false;
    };
    Erase.visit_body_mut(&mut x);
    Erase.visit_body_mut(&mut y);
    let visible = |s: &str| {
        s.chars()
            .filter(|c| !c.is_whitespace() && *c != '"')
            .collect::<String>()
    };
    x == y && visible(a) == visible(b)
}

struct Erase;

impl VisitMut for Erase {
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
