//! Reporting for people: diagnostics through miette (with the source line
//! and a caret under the span), engine errors, and warnings; or, under
//! `-json`, the same diagnostics as Terraform's machine-readable UI lines
//! on stdout.

use iac_engine::EngineError;
use iac_lang::diagnostic::Diagnostic;
use iac_lang::source::SourceMap;
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan};

/// One diagnostic in miette's terms.
#[derive(Debug, thiserror::Error)]
#[error("{summary}")]
struct Spanned {
    summary: String,
    help: Option<String>,
    severity: miette::Severity,
    src: Option<Excerpt>,
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

/// Widest source line shown, in characters. A longer line is cut to a
/// window around the highlight, with `…` where text was left out; the
/// position (`file:line:col`) stays exact. Terminals cannot show more, and
/// miette's renderer panics on columns past 65,535 (Rust's format width).
const MAX_COLUMNS: usize = 160;
/// Characters kept before the highlight when a line is cut.
const LEAD_COLUMNS: usize = 40;
/// Longest summary or help text shown, in characters (a message that quotes
/// a huge value keeps its start and end).
const MAX_MESSAGE: usize = 600;

/// The lines around a highlight, each cut to [`MAX_COLUMNS`], as the source
/// miette reads: line numbers and columns are those of the real file.
#[derive(Debug)]
struct Excerpt {
    name: String,
    text: String,
    /// Line number (0-based) in the file of the excerpt's first line.
    first_line: usize,
    /// Per excerpt line: real column minus excerpt column (characters cut
    /// from the line's start, less the `…` that replaced them).
    col_shift: Vec<usize>,
}

impl miette::SourceCode for Excerpt {
    fn read_span<'a>(&'a self, span: &miette::SourceSpan, before: usize, after: usize) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let inner = self.text.as_str().read_span(span, before, after)?;
        // miette counts columns in bytes; positions elsewhere are characters.
        let column = if before == 0 {
            let at = floor_boundary(&self.text, span.offset());
            let line_start = self.text[..at].rfind('\n').map_or(0, |p| p + 1);
            self.text[line_start..at].chars().count() + self.col_shift.get(inner.line()).copied().unwrap_or(0)
        } else {
            inner.column()
        };
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            inner.line() + self.first_line,
            column,
            inner.line_count(),
        )))
    }
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Columns a character takes on a terminal, near enough to bound a line:
/// a tab up to 4 (miette's tab width), wide scripts 2.
fn columns(c: char) -> usize {
    match c {
        '\t' => 4,
        c if matches!(c as u32, 0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x1F300..=0x1FAFF | 0x20000..=0x3FFFD) => {
            2
        }
        _ => 1,
    }
}

/// The byte offset about `n` columns before `i` (not before `floor`).
fn chars_back(s: &str, i: usize, n: usize, floor: usize) -> usize {
    let mut used = 0;
    let mut at = i;
    for (o, c) in s[floor..i].char_indices().rev() {
        used += columns(c);
        if used > n {
            break;
        }
        at = floor + o;
    }
    at
}

/// The byte offset about `n` columns after `i` (not past `ceil`).
fn chars_forward(s: &str, i: usize, n: usize, ceil: usize) -> usize {
    let mut used = 0;
    for (o, c) in s[i..ceil].char_indices() {
        used += columns(c);
        if used > n {
            return i + o;
        }
    }
    ceil
}

/// Builds the excerpt of `text` for the highlight `start..end` (bytes) and
/// the highlight's range within it.
fn excerpt(name: &str, text: &str, start: usize, end: usize) -> (Excerpt, std::ops::Range<usize>) {
    let start = floor_boundary(text, start);
    let end = floor_boundary(text, end.max(start));
    let line_start = |i: usize| text[..i].rfind('\n').map_or(0, |p| p + 1);
    let line_end = |i: usize| text[i..].find('\n').map_or(text.len(), |p| i + p);
    // One line of context each side, as miette shows.
    let first = line_start(start);
    let from = if first > 0 { line_start(first - 1) } else { 0 };
    let last_end = line_end(end);
    let to = if last_end < text.len() { line_end(last_end + 1) } else { last_end };
    let first_line = text[..from].bytes().filter(|&b| b == b'\n').count();

    let mut out = String::with_capacity((to - from).min(64 * 1024));
    let mut col_shift = Vec::new();
    let (mut new_start, mut new_end) = (None, None);
    let mut a = from;
    loop {
        let b = line_end(a).min(to);
        let line = &text[a..b];
        let o = out.len();
        let (ws, we) = if line.chars().map(columns).sum::<usize>() <= MAX_COLUMNS {
            (a, b)
        } else {
            // A window around the highlight's start on its line (or its end,
            // on the line where it ends), else the line's start.
            let anchor = if (a..=b).contains(&start) {
                start
            } else if (a..=b).contains(&end) {
                end
            } else {
                a
            };
            let ws = chars_back(text, anchor, LEAD_COLUMNS, a);
            (ws, chars_forward(text, ws, MAX_COLUMNS - 2, b))
        };
        let lead = if ws > a { "…" } else { "" };
        out.push_str(lead);
        out.push_str(&text[ws..we]);
        if we < b {
            out.push('…');
        }
        col_shift.push(text[a..ws].chars().count() - lead.chars().count());
        // Where a position on this line lands in the excerpt.
        let map = |p: usize| {
            if p < ws {
                o
            } else if p > we {
                out.len()
            } else {
                o + lead.len() + (p - ws)
            }
        };
        if new_start.is_none() && (a..=b).contains(&start) {
            new_start = Some(map(start));
        }
        if new_end.is_none() && (a..=b).contains(&end) {
            new_end = Some(map(end));
        }
        if b >= to {
            break;
        }
        out.push('\n');
        a = b + 1;
    }
    let s = new_start.unwrap_or(0);
    let e = new_end.unwrap_or(s).max(s);
    (Excerpt { name: name.to_string(), text: out, first_line, col_shift }, s..e)
}

/// `text` cut to [`MAX_MESSAGE`] characters, keeping its start and end.
fn bounded(text: &str) -> String {
    let n = text.chars().count();
    if n <= MAX_MESSAGE {
        return text.to_string();
    }
    let keep = MAX_MESSAGE / 2;
    let head: String = text.chars().take(keep).collect();
    let tail: String = text.chars().skip(n - keep).collect();
    format!("{head}… ({} characters not shown) …{tail}", n - 2 * keep)
}

fn spanned(d: &Diagnostic, sources: &SourceMap) -> Spanned {
    let (src, labels, loc) = match &d.span {
        Some(span) if (span.file.0 as usize) < sources.files().count() => {
            let f = sources.get(span.file);
            let (ex, range) = excerpt(&f.name, &f.text, span.range.start, span.range.end);
            // An empty span still marks the character under it (when there is one).
            let len = if range.is_empty() { ex.text[range.start..].chars().next().map_or(0, char::len_utf8) } else { range.len() };
            (Some(ex), vec![LabeledSpan::new(Some("here".into()), range.start, len)], Some(sources.locate(span)))
        }
        _ => (None, Vec::new(), None),
    };
    let summary = match loc {
        Some(l) => format!("{l}: {}", bounded(&d.summary)),
        None => bounded(&d.summary),
    };
    let related = d
        .related
        .iter()
        .map(|(span, label)| spanned(&Diagnostic::warning(label.clone(), Some(span.clone())), sources))
        .map(|mut s| {
            s.severity = miette::Severity::Advice;
            s
        })
        .collect();
    Spanned { summary, help: help(d), severity: if d.is_error() { miette::Severity::Error } else { miette::Severity::Warning }, src, labels, related }
}

/// What follows the source excerpt: what the problem belongs to (`with
/// provider["..."],` or `with aws_s3_bucket.b,`, as Terraform names it), Terraform's expression values
/// (under a rule, as Terraform draws them), then the detail.
fn help(d: &Diagnostic) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(address) = &d.address {
        parts.push(format!("with {address},"));
    }
    if !d.values.is_empty() {
        let lines: Vec<String> = d.values.iter().map(|v| format!("│ {} {}", v.traversal, v.statement)).collect();
        parts.push(bounded(&format!("├────────────────\n{}", lines.join("\n"))));
    }
    if !d.detail.is_empty() {
        parts.push(bounded(&d.detail));
    }
    (!parts.is_empty()).then(|| parts.join("\n\n"))
}

pub struct Reporter {
    pub color: bool,
    /// `-json`: diagnostics are `diagnostic` lines on stdout.
    pub json: bool,
}

/// The time now as Terraform's UI lines carry it (RFC 3339, UTC, microseconds).
pub fn ui_now() -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let secs = iac_core::time::rfc3339(now.as_secs());
    format!("{}.{:06}Z", secs.trim_end_matches('Z'), now.subsec_micros())
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
            if self.json {
                outln!("{}", iac_render::ui::diagnostic(d, sources, &ui_now()));
            } else {
                errln!("{}", self.render(d, sources));
            }
        }
    }

    /// One diagnostic as text, with the source excerpt.
    fn render(&self, d: &Diagnostic, sources: &SourceMap) -> String {
        let mut out = String::new();
        if self.handler().render_report(&mut out, &spanned(d, sources)).is_ok() {
            out
        } else {
            bounded(&d.render(sources))
        }
    }

    /// Reports an engine error; returns the exit code (always 1).
    pub fn engine_error(&self, e: &EngineError, sources: &SourceMap) -> u8 {
        match e {
            EngineError::Config(diags) | EngineError::Failed(diags) if self.json => self.diagnostics(diags, sources),
            EngineError::Variables { diags, sources } if self.json => self.diagnostics(diags, sources),
            EngineError::Errored { diags, sources, .. } if self.json => self.diagnostics(diags, sources),
            EngineError::Errored { diags, sources, .. } => {
                self.diagnostics(diags, sources);
                errln!("error: the stack has {} error(s)", diags.iter().filter(|d| d.is_error()).count());
            }
            EngineError::Config(diags) | EngineError::Failed(diags) => {
                self.diagnostics(diags, sources);
                let n = diags.iter().filter(|d| d.is_error()).count();
                if matches!(e, EngineError::Failed(_)) {
                    errln!("error: {n} operation(s) failed; state records everything that finished");
                } else {
                    errln!("error: the stack has {n} error(s)");
                }
            }
            EngineError::Variables { diags, sources } => {
                self.diagnostics(diags, sources);
                errln!("error: the stack has {} error(s)", diags.iter().filter(|d| d.is_error()).count());
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

#[cfg(test)]
mod tests {
    use super::*;
    use iac_lang::source::{SourceFile, Span};

    fn render(text: &str, range: std::ops::Range<usize>, summary: &str) -> (String, String) {
        let mut sources = SourceMap::default();
        let file = sources.add(SourceFile::new("main.tf".into(), "main.tf".into(), text.to_string()));
        let span = Span { file, range };
        let loc = sources.locate(&span);
        let d = Diagnostic::error(summary, Some(span));
        (Reporter { color: false, json: false }.render(&d, &sources), loc)
    }

    /// Every line fits a terminal, and the snippet header names the same
    /// position as the summary.
    fn check(out: &str, loc: &str) {
        for line in out.lines() {
            let width: usize = line.chars().map(columns).sum();
            assert!(width <= 200, "line of {width} columns: {line}");
        }
        assert!(out.contains(&format!("[{loc}]")), "header does not show {loc}: {out}");
    }

    #[test]
    fn a_highlight_past_column_65535_renders() {
        // miette panicked here: a format width past u16::MAX.
        let text = format!("locals {{ a = \"{}\" + 1 }}\n", "x".repeat(70_000));
        let at = text.find("+ 1").expect("operator") + 2;
        let (out, loc) = render(&text, at..at + 1, "left operand of +: a number is required");
        check(&out, &loc);
        assert_eq!(loc, "main.tf:1:70019");
        assert!(out.contains("…xxxx"), "the line is cut before the highlight: {out}");
        assert!(out.contains("\" + 1 }"), "the highlight itself is shown: {out}");
    }

    #[test]
    fn a_highlight_wider_than_65535_columns_renders() {
        let body = "x".repeat(140_000);
        let text = format!("locals {{ a = 1 + \"{body}\" }}\n");
        let start = text.find('"').expect("quote");
        let (out, loc) = render(&text, start..start + body.len() + 2, &format!("right operand of +: a number is required, and \"{body}\" is a string"));
        check(&out, &loc);
        assert!(out.contains("characters not shown"), "the summary is cut: {}", &out[..out.len().min(3000)]);
        assert!(out.len() < 10_000, "output of {} bytes", out.len());
    }

    #[test]
    fn long_lines_with_multibyte_characters_and_context_render() {
        let wide = "é漢\t".repeat(30_000);
        let text = format!("# {wide}\nlocals {{\n  a = \"{wide}\" + {wide}\n}}\n# {wide}\n");
        for needle in ["+ ", "locals", "}\n#"] {
            let at = text.rfind(needle).expect("needle");
            for len in [0, 1, 2, 70_000] {
                let mut end = (at + len).min(text.len());
                while !text.is_char_boundary(end) {
                    end += 1;
                }
                let (out, loc) = render(&text, at..end, "something is wrong");
                check(&out, &loc);
            }
        }
    }

    #[test]
    fn short_lines_are_shown_whole() {
        let text = "locals {\n  a = 1 + \"x\"\n}\n";
        let at = text.find("\"x\"").expect("string");
        let (out, loc) = render(text, at..at + 3, "right operand of +: a number is required");
        check(&out, &loc);
        assert_eq!(loc, "main.tf:2:11");
        assert!(out.contains(" 2 │   a = 1 + \"x\""), "{out}");
        assert!(!out.contains('…'), "{out}");
    }
}
