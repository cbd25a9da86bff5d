//! Where an attribute path of an evaluated body was written: the source
//! span a provider's diagnostic about `ingress[1].from_port` points at, as
//! Terraform elaborates an attribute diagnostic against the configuration
//! body. The walk follows arguments, nested blocks (by position among the
//! blocks of that type, or by label), and object and tuple expressions; it
//! stops at the deepest element written in the configuration (a `dynamic`
//! block, a computed attribute left unset), so the span is never wider than
//! what the path can be traced to.

use hcl_edit::expr::{Expression, ObjectKey};
use hcl_edit::repr::Span as _;
use hcl_edit::structure::{Body, Structure};
use iac_core::path::{AttrPath, PathStep};

use crate::source::{FileId, Span};

/// The span of the deepest element of `path` found in `body` (a body of
/// file `file`), or None when not even its first step is written there.
pub fn path_span(body: &Body, file: FileId, path: &AttrPath) -> Option<Span> {
    let span = |r: Option<std::ops::Range<usize>>| r.map(|range| Span { file, range });
    let mut steps = path.0.iter().peekable();
    let mut body = body;
    let mut found: Option<Span> = None;
    loop {
        let Some(PathStep::Attr(name)) = steps.next() else { return found };
        if let Some(attr) = body.iter().find_map(|s| s.as_attribute().filter(|a| a.key.as_str() == name)) {
            let mut expr = &attr.value;
            let mut at = span(expr.span()).or(found);
            for step in steps.by_ref() {
                let next = match (expr, step) {
                    (Expression::Object(o), PathStep::Attr(k) | PathStep::Key(k)) => {
                        o.iter().find(|(key, _)| key_text(key).as_deref() == Some(k.as_str())).map(|(_, v)| v.expr())
                    }
                    (Expression::Array(a), PathStep::Index(i)) => a.iter().nth(*i),
                    _ => None,
                };
                let Some(next) = next else { break };
                expr = next;
                at = span(expr.span()).or(at);
            }
            return at;
        }
        // Nested blocks of this type, written directly (not `dynamic`).
        let blocks: Vec<_> = body.iter().filter_map(Structure::as_block).filter(|b| b.ident.as_str() == name).collect();
        let block = match steps.peek() {
            Some(PathStep::Index(i)) => {
                steps.next();
                blocks.get(*i).copied()
            }
            Some(PathStep::Key(k)) => {
                steps.next();
                blocks.iter().copied().find(|b| b.labels.first().is_some_and(|l| l.as_str() == k.as_str()))
            }
            _ => blocks.first().copied(),
        };
        let Some(block) = block else {
            // A dynamic block of that type, else the deepest element found.
            let dynamic = body
                .iter()
                .filter_map(Structure::as_block)
                .find(|b| b.ident.as_str() == "dynamic" && b.labels.first().is_some_and(|l| l.as_str() == name.as_str()));
            return dynamic.and_then(|b| span(b.span())).or(found);
        };
        found = span(block.span()).or(found);
        body = &block.body;
    }
}

fn key_text(key: &ObjectKey) -> Option<String> {
    match key {
        ObjectKey::Ident(i) => Some(i.as_str().to_string()),
        ObjectKey::Expression(Expression::Variable(v)) => Some(v.as_str().to_string()),
        ObjectKey::Expression(Expression::String(s)) => Some(s.as_str().to_string()),
        ObjectKey::Expression(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_at(src: &str, path: &[PathStep]) -> Option<String> {
        let body: Body = src.parse().expect("parses");
        path_span(&body, FileId(0), &AttrPath(path.to_vec())).map(|s| src[s.range].to_string())
    }

    fn attr(s: &str) -> PathStep {
        PathStep::Attr(s.into())
    }

    const SRC: &str = r#"
name = "x"
tags = { Team = "a", "Cost-Center" = "b" }
ports = [80, 443]
ingress {
  from_port = 1
}
ingress {
  from_port = 2
  cidr_blocks = ["10.0.0.0/8"]
}
setting "one" {
  value = "v"
}
dynamic "egress" {
  for_each = [1]
  content {
    to_port = 3
  }
}
"#;

    #[test]
    fn arguments_and_their_elements() {
        assert_eq!(text_at(SRC, &[attr("name")]).as_deref(), Some("\"x\""));
        assert_eq!(text_at(SRC, &[attr("tags"), PathStep::Key("Team".into())]).as_deref(), Some("\"a\""));
        assert_eq!(text_at(SRC, &[attr("tags"), PathStep::Key("Cost-Center".into())]).as_deref(), Some("\"b\""));
        assert_eq!(text_at(SRC, &[attr("ports"), PathStep::Index(1)]).as_deref(), Some("443"));
        // An element not written: the whole argument.
        assert_eq!(text_at(SRC, &[attr("ports"), PathStep::Index(7)]).as_deref(), Some("[80, 443]"));
    }

    #[test]
    fn nested_blocks_by_position_and_label() {
        assert_eq!(text_at(SRC, &[attr("ingress"), PathStep::Index(1), attr("from_port")]).as_deref(), Some("2"));
        assert_eq!(text_at(SRC, &[attr("ingress"), PathStep::Index(1), attr("cidr_blocks"), PathStep::Index(0)]).as_deref(), Some("\"10.0.0.0/8\""));
        assert_eq!(text_at(SRC, &[attr("setting"), PathStep::Key("one".into()), attr("value")]).as_deref(), Some("\"v\""));
        // An attribute the block leaves unset: the block.
        let block = text_at(SRC, &[attr("ingress"), PathStep::Index(0), attr("to_port")]).unwrap();
        assert!(block.starts_with("ingress {") && block.contains("from_port = 1") && !block.contains("from_port = 2"), "{block}");
    }

    #[test]
    fn dynamic_blocks_and_missing_arguments() {
        let dynamic = text_at(SRC, &[attr("egress"), PathStep::Index(0), attr("to_port")]).unwrap();
        assert!(dynamic.starts_with("dynamic \"egress\""), "{dynamic}");
        assert_eq!(text_at(SRC, &[attr("arn")]), None);
        assert_eq!(text_at(SRC, &[]), None);
    }
}
