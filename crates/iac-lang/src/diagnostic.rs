//! Diagnostics: problems in a stack, each with a span when one is known.
//! Rendering (carets, colours) is the CLI's job; this is plain data.

use crate::source::{SourceMap, Span};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub summary: String,
    pub detail: String,
    pub span: Option<Span>,
    /// Further places that explain the problem (each step of a cycle).
    /// Boxed, as `values` and `address`, to keep every evaluation's error
    /// type small.
    pub related: Box<Vec<(Span, String)>>,
    /// What the references in the expression it is about were (Terraform's
    /// expression values, `local.one is 1`; see [`crate::expr_values`]).
    /// Boxed: every evaluation returns a `Result<_, Diagnostic>`, kept small.
    pub values: Box<ExprValues>,
    /// What the problem belongs to, as Terraform names it beside the source
    /// (`with provider["registry.terraform.io/hashicorp/aws"],`; the JSON
    /// UI's `address`): a provider configuration's own errors.
    pub address: Option<Box<String>>,
}

/// A diagnostic's expression values, in order (a slice to read).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExprValues(pub Vec<ExprValue>);

impl std::ops::Deref for ExprValues {
    type Target = [ExprValue];
    fn deref(&self) -> &[ExprValue] {
        &self.0
    }
}

/// One of Terraform's expression values: a reference and what it was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExprValue {
    /// The reference as written (`local.obj["c"].d`).
    pub traversal: String,
    /// What it was (`is "e"`).
    pub statement: String,
}

impl Diagnostic {
    pub fn error(summary: impl Into<String>, span: Option<Span>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            summary: summary.into(),
            detail: String::new(),
            span,
            related: Box::default(),
            values: Box::default(),
            address: None,
        }
    }
    pub fn warning(summary: impl Into<String>, span: Option<Span>) -> Diagnostic {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::error(summary, span) }
    }
    pub fn with_detail(mut self, detail: impl Into<String>) -> Diagnostic {
        self.detail = detail.into();
        self
    }
    pub fn with_values(mut self, values: Vec<ExprValue>) -> Diagnostic {
        self.values = Box::new(ExprValues(values));
        self
    }
    pub fn with_address(mut self, address: impl Into<String>) -> Diagnostic {
        self.address = Some(Box::new(address.into()));
        self
    }
    pub fn with_related(mut self, span: Span, label: impl Into<String>) -> Diagnostic {
        self.related.push((span, label.into()));
        self
    }
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Plain-text rendering: `file:line:col: error: summary`, the source line,
    /// and a caret line under the span. Used in tests and `-no-color` output.
    pub fn render(&self, sources: &SourceMap) -> String {
        let mut out = String::new();
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        match &self.span {
            Some(span) => out.push_str(&format!("{}: {}: {}\n", sources.locate(span), sev, self.summary)),
            None => out.push_str(&format!("{}: {}\n", sev, self.summary)),
        }
        if let Some(span) = &self.span {
            out.push_str(&caret_lines(sources, span, ""));
        }
        for v in self.values.iter() {
            out.push_str(&format!("  {} {}\n", v.traversal, v.statement));
        }
        if !self.detail.is_empty() {
            for line in self.detail.lines() {
                out.push_str(&format!("  {line}\n"));
            }
        }
        for (span, label) in self.related.iter() {
            out.push_str(&format!("  {}: {}\n", sources.locate(span), label));
            out.push_str(&caret_lines(sources, span, "  "));
        }
        out
    }
}

fn caret_lines(sources: &SourceMap, span: &Span, indent: &str) -> String {
    let file = sources.get(span.file);
    let (line, col) = file.line_col(span.range.start);
    let Some(text) = file.text.lines().nth(line - 1) else { return String::new() };
    let width = file.text.get(span.range.clone()).map(|s| s.lines().next().unwrap_or("").chars().count()).unwrap_or(1).max(1);
    let width = width.min(text.chars().count().saturating_sub(col - 1).max(1));
    format!("{indent}{:>5} | {}\n{indent}      | {}{}\n", line, text, " ".repeat(col - 1), "^".repeat(width))
}

/// Collected diagnostics of one run.
#[derive(Clone, Debug, Default)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }
    pub fn extend(&mut self, ds: impl IntoIterator<Item = Diagnostic>) {
        self.0.extend(ds);
    }
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }
    pub fn render(&self, sources: &SourceMap) -> String {
        self.0.iter().map(|d| d.render(sources)).collect::<Vec<_>>().join("\n")
    }
}
