//! Reporting for people: diagnostics through miette (with the source line
//! and a caret under the span), engine errors, and warnings.

use std::sync::Arc;

use iac_engine::EngineError;
use iac_lang::diagnostic::{Diagnostic, Severity};
use iac_lang::source::SourceMap;
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource};

/// One diagnostic in miette's terms.
#[derive(Debug, thiserror::Error)]
#[error("{summary}")]
struct Spanned {
    summary: String,
    help: Option<String>,
    severity: miette::Severity,
    src: Option<NamedSource<Arc<String>>>,
    labels: Vec<LabeledSpan>,
    related: Vec<Spanned>,
}

impl miette::Diagnostic for Spanned {
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }
    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.help.as_ref().map(|h| Box::new(h) as Box<dyn std::fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.src.as_ref().map(|s| s as &dyn miette::SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.labels.clone().into_iter()))
        }
    }
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.related.is_empty() {
            None
        } else {
            Some(Box::new(self.related.iter().map(|r| r as &dyn miette::Diagnostic)))
        }
    }
}

fn spanned(d: &Diagnostic, sources: &SourceMap) -> Spanned {
    let (src, labels, loc) = match &d.span {
        Some(span) if (span.file.0 as usize) < sources.files().count() => {
            let f = sources.get(span.file);
            let len = span.range.end.saturating_sub(span.range.start).max(1).min(f.text.len().saturating_sub(span.range.start).max(0));
            (Some(NamedSource::new(f.name.clone(), Arc::new(f.text.clone()))), vec![LabeledSpan::new(Some("here".into()), span.range.start.min(f.text.len()), len)], Some(sources.locate(span)))
        }
        _ => (None, Vec::new(), None),
    };
    let summary = match loc {
        Some(l) => format!("{l}: {}", d.summary),
        None => d.summary.clone(),
    };
    let related = d
        .related
        .iter()
        .map(|(span, label)| spanned(&Diagnostic { severity: Severity::Warning, summary: label.clone(), detail: String::new(), span: Some(span.clone()), related: Vec::new() }, sources))
        .map(|mut s| {
            s.severity = miette::Severity::Advice;
            s
        })
        .collect();
    Spanned {
        summary,
        help: (!d.detail.is_empty()).then(|| d.detail.clone()),
        severity: if d.is_error() { miette::Severity::Error } else { miette::Severity::Warning },
        src,
        labels,
        related,
    }
}

pub struct Reporter {
    pub color: bool,
}

impl Reporter {
    fn handler(&self) -> GraphicalReportHandler {
        let theme = if self.color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
        GraphicalReportHandler::new_themed(theme).with_width(120)
    }

    pub fn diagnostics(&self, diags: &[Diagnostic], sources: &SourceMap) {
        // In source order (file, then position), whatever order the concurrent walk found them in.
        let mut diags: Vec<&Diagnostic> = diags.iter().collect();
        diags.sort_by_key(|d| d.span.as_ref().map_or((u32::MAX, usize::MAX), |s| (s.file.0, s.range.start)));
        for d in diags {
            let mut out = String::new();
            if self.handler().render_report(&mut out, &spanned(d, sources)).is_ok() {
                eprintln!("{out}");
            } else {
                eprintln!("{}", d.render(sources));
            }
        }
    }

    /// Reports an engine error; returns the exit code (always 1).
    pub fn engine_error(&self, e: &EngineError, sources: &SourceMap) -> u8 {
        match e {
            EngineError::Config(diags) | EngineError::Failed(diags) => {
                self.diagnostics(diags, sources);
                let n = diags.iter().filter(|d| d.is_error()).count();
                if matches!(e, EngineError::Failed(_)) {
                    eprintln!("error: {n} operation(s) failed; state records everything that finished");
                } else {
                    eprintln!("error: the stack has {n} error(s)");
                }
            }
            EngineError::Variables { diags, sources } => {
                self.diagnostics(diags, sources);
                eprintln!("error: the stack has {} error(s)", diags.iter().filter(|d| d.is_error()).count());
            }
            other => self.error(&other.to_string()),
        }
        1
    }

    pub fn error(&self, msg: &str) {
        let d = Diagnostic::error(msg, None);
        self.diagnostics(&[d], &SourceMap::default());
    }
}
