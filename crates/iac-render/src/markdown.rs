//! Plans as pull-request comments, in the conventions reviewers know from
//! Atlantis and tfcmt: a one-line summary, a caution block naming what is
//! destroyed or replaced, the changes grouped by action, the full plan in a
//! collapsible `diff` block, warnings, drift, and errors with diagnostics.
//!
//! A body longer than a comment may be (GitHub: 65,536 characters) is split
//! into numbered parts, each valid Markdown on its own: a code block cut in
//! two is closed and reopened, and `<details>` stays balanced. Values come
//! only through the human renderer without colour, which never shows a
//! sensitive value.

use std::fmt::Write;

use iac_core::plan::{Action, Plan, PlanMode};
use iac_lang::diagnostic::Diagnostic;
use iac_lang::source::SourceMap;

use crate::human::{render_plan, Style};
use iac_engine::error::EngineError;

/// GitHub refuses comment bodies of 65,536 characters or more.
pub const GITHUB_COMMENT_LIMIT: usize = 65_535;

/// The hidden first line of every part, which CI uses to find the comment
/// it posted before and update it instead of adding another.
pub const DEFAULT_MARKER: &str = "iac-plan";

#[derive(Clone, Debug)]
pub struct Options {
    /// Most characters in one part (a comment body).
    pub max_chars: usize,
    /// Name in the hidden `<!-- marker part i/n -->` line.
    pub marker: String,
}

impl Default for Options {
    fn default() -> Self {
        Options { max_chars: GITHUB_COMMENT_LIMIT, marker: DEFAULT_MARKER.into() }
    }
}

/// What happened to one stack: a plan (with its warnings), or a failure.
pub enum Outcome<'a> {
    Planned { plan: &'a Plan, warnings: &'a [Diagnostic], sources: &'a SourceMap },
    Failed { error: &'a EngineError, sources: &'a SourceMap },
}

/// One stack of a (possibly multi-stack) comment.
pub struct Section<'a> {
    /// How the stack is named in headings (its directory, as given).
    pub name: &'a str,
    pub outcome: Outcome<'a>,
}

/// The comment for one or more stacks, as one or more parts.
pub fn plan_comment(sections: &[Section<'_>], opts: &Options) -> Vec<String> {
    let mut doc = Doc::default();
    if sections.len() > 1 {
        overview(&mut doc, sections);
    }
    for s in sections {
        section(&mut doc, s, sections.len() > 1);
    }
    doc.split(opts)
}

/// The counts of the summary line: the plan's own `Plan:` line's
/// ([`crate::ui::Summary`]: a replacement is one add and one destroy, an
/// import counts as one whatever else it does), so the comment, the diff
/// in it, the text plan and `-json` agree; and how many of them are
/// replacements, which the line names.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub add: usize,
    pub change: usize,
    pub destroy: usize,
    pub import: usize,
    pub replace: usize,
}

impl Counts {
    pub fn of(plan: &Plan) -> Counts {
        let s = crate::ui::Summary::of(plan);
        Counts { add: s.add, change: s.change, destroy: s.remove, import: s.import, replace: plan.count(Action::Replace) }
    }
    pub fn line(&self) -> String {
        let import = if self.import > 0 { format!("{} to import, ", self.import) } else { String::new() };
        let mut line = format!("{import}{} to add, {} to change, {} to destroy", self.add, self.change, self.destroy);
        if self.replace > 0 {
            let _ = write!(line, " (including {} replacement{})", self.replace, if self.replace == 1 { "" } else { "s" });
        }
        line
    }
}

fn overview(doc: &mut Doc, sections: &[Section<'_>]) {
    let failed = sections.iter().filter(|s| matches!(s.outcome, Outcome::Failed { .. })).count();
    let changed = sections.iter().filter(|s| matches!(s.outcome, Outcome::Planned { plan, .. } if plan.has_changes())).count();
    let mut t = format!("## iac plan: {} stacks, {changed} with changes", sections.len());
    if failed > 0 {
        let _ = write!(t, ", {failed} failed");
    }
    t.push_str("\n\n| stack | result |\n| --- | --- |\n");
    for s in sections {
        let result = match &s.outcome {
            Outcome::Failed { .. } => ":x: failed".to_string(),
            Outcome::Planned { plan, .. } if plan.mode == PlanMode::RefreshOnly => format!("{} drifted", plan.drift.len()),
            Outcome::Planned { plan, .. } if !plan.has_changes() => "no changes".to_string(),
            Outcome::Planned { plan, .. } => Counts::of(plan).line(),
        };
        let _ = writeln!(t, "| {} | {} |", cell(&code(s.name)), result);
    }
    t.push('\n');
    doc.text(t);
}

fn section(doc: &mut Doc, s: &Section<'_>, multi: bool) {
    let heading = if multi { format!("### {}\n\n", code(s.name)) } else { format!("## iac plan: {}\n\n", code(s.name)) };
    doc.text(heading);
    match &s.outcome {
        Outcome::Failed { error, sources } => {
            doc.text(":x: **The plan failed.**\n\n".to_string());
            errors(doc, error, sources);
        }
        Outcome::Planned { plan, warnings, sources } => {
            planned(doc, plan);
            let warns: Vec<&Diagnostic> = warnings.iter().filter(|d| !d.is_error()).collect();
            if !warns.is_empty() {
                doc.text("#### Warnings\n\n".to_string());
                for w in warns {
                    doc.code_block("Warning", "text", w.render(sources).lines().map(str::to_string).collect(), false);
                }
            }
        }
    }
}

fn planned(doc: &mut Doc, plan: &Plan) {
    let counts = Counts::of(plan);
    if plan.mode == PlanMode::RefreshOnly {
        doc.text(if plan.drift.is_empty() {
            "**No drift.** The infrastructure matches the state.\n\n".into()
        } else {
            format!("**Refresh-only plan:** {} object(s) changed outside iac.\n\n", plan.drift.len())
        });
    } else if !plan.has_changes() {
        doc.text("**No changes.** The infrastructure matches the configuration.\n\n".into());
    } else {
        doc.text(format!("**Plan:** {}.\n\n", counts.line()));
    }
    alert(doc, plan);
    groups(doc, plan);
    drift(doc, plan);
    if plan.has_changes() || !plan.drift.is_empty() {
        let full = render_plan(plan, Style { color: false });
        doc.code_block("Full plan", "diff", full.lines().map(diff_line).collect(), true);
    }
}

/// Most addresses named in the caution block; all of them are in the groups below.
const ALERT_NAMES: usize = 30;

fn alert(doc: &mut Doc, plan: &Plan) {
    let risky: Vec<_> = plan.changes.iter().filter(|c| matches!(c.action, Action::Delete | Action::Replace)).collect();
    if risky.is_empty() {
        return;
    }
    let destroys = risky.iter().any(|c| c.action == Action::Delete);
    let kind = if destroys { "CAUTION" } else { "WARNING" };
    let (d, r) = (plan.count(Action::Delete), plan.count(Action::Replace));
    let what = match (d, r) {
        (0, r) => format!("replaces {r} resource(s)"),
        (d, 0) => format!("destroys {d} resource(s)"),
        (d, r) => format!("destroys {d} and replaces {r} resource(s)"),
    };
    let mut t = format!("> [!{kind}]\n> This plan {what}:\n");
    for c in risky.iter().take(ALERT_NAMES) {
        let verb = if c.action == Action::Delete { "destroyed" } else { "replaced" };
        let _ = writeln!(t, "> - {} ({verb})", code(&c.addr.to_string()));
    }
    if risky.len() > ALERT_NAMES {
        let _ = writeln!(t, "> - ... and {} more (listed below)", risky.len() - ALERT_NAMES);
    }
    t.push('\n');
    doc.text(t);
}

fn groups(doc: &mut Doc, plan: &Plan) {
    for action in [Action::Delete, Action::Replace, Action::Update, Action::Create, Action::Import, Action::Read, Action::Forget] {
        let title = action.title();
        let of: Vec<_> = plan.changes.iter().filter(|c| c.action == action).collect();
        if of.is_empty() {
            continue;
        }
        doc.text(format!("#### {title} ({})\n\n", of.len()));
        for c in of {
            let mut line = format!("- {}", code(&c.addr.to_string()));
            if let Some(prev) = &c.prev_addr {
                let _ = write!(line, " (moved from {})", code(&prev.to_string()));
            }
            if action == Action::Forget {
                line.push_str(": left as it is, no longer managed (`destroy = false`)");
            } else if let Some(reason) = c.reason.as_deref().filter(|r| !r.is_empty() && action != Action::Create) {
                let _ = write!(line, ": {}", escape(&iac_core::plan::reason::describe(reason, &c.replace_paths)));
            }
            line.push('\n');
            doc.text(line);
        }
        doc.text("\n".into());
    }
    let moved: Vec<_> = plan.changes.iter().filter(|c| c.action == Action::NoOp && c.prev_addr.is_some()).collect();
    if !moved.is_empty() {
        doc.text(format!("#### Move ({})\n\n", moved.len()));
        for c in moved {
            doc.text(format!("- {} to {}\n", code(&c.prev_addr.as_ref().map(|p| p.to_string()).unwrap_or_default()), code(&c.addr.to_string())));
        }
        doc.text("\n".into());
    }
    let outputs: Vec<_> = plan.outputs.iter().filter(|o| o.action != Action::NoOp).collect();
    if !outputs.is_empty() {
        doc.text(format!("#### Outputs ({})\n\n", outputs.len()));
        for o in outputs {
            doc.text(format!("- {} ({})\n", code(&o.name), o.action.output_done()));
        }
        doc.text("\n".into());
    }
}

fn drift(doc: &mut Doc, plan: &Plan) {
    if plan.drift.is_empty() {
        return;
    }
    doc.text(format!("#### Drift noticed during refresh ({})\n\n", plan.drift.len()));
    for d in &plan.drift {
        let line = if d.action == Action::Delete {
            format!("- {} was deleted outside iac\n", code(&d.addr.to_string()))
        } else {
            format!("- {} changed outside iac: {}\n", code(&d.addr.to_string()), crate::drift::markdown_changes(d).join(", "))
        };
        doc.text(line);
    }
    doc.text("\n".into());
}

fn errors(doc: &mut Doc, error: &EngineError, sources: &SourceMap) {
    let Some((diags, sources)) = error.diagnostics(sources) else {
        doc.code_block("Error", "text", error.to_string().lines().map(str::to_string).collect(), true);
        return;
    };
    let mut diags: Vec<&Diagnostic> = diags.iter().collect();
    diags.sort_by_key(|d| d.span.as_ref().map_or((u32::MAX, usize::MAX), |s| (s.file.0, s.range.start)));
    let n = diags.iter().filter(|d| d.is_error()).count();
    doc.text(format!("#### Errors ({n})\n\n"));
    for d in diags {
        let title = if d.is_error() { "Error" } else { "Warning" };
        doc.code_block(title, "text", d.render(sources).lines().map(str::to_string).collect(), true);
    }
}

/// tfcmt's convention: the sign moves to the first column so GitHub's
/// `diff` highlighting colours the line; `~` (update) becomes `!`.
fn diff_line(line: &str) -> String {
    let trimmed = line.trim_start();
    let indent = &line[..line.len() - trimmed.len()];
    match trimmed.chars().next() {
        Some(c @ ('+' | '-')) => format!("{c}{indent}{}", &trimmed[1..]),
        Some('~') => format!("!{indent}{}", &trimmed[1..]),
        _ if line.is_empty() => String::new(),
        _ => format!(" {line}"),
    }
}

/// Inline code that survives backticks inside (CommonMark: a longer fence, padded).
pub(super) fn code(s: &str) -> String {
    let longest = longest_run(s, '`');
    if longest == 0 {
        return format!("`{s}`");
    }
    let fence = "`".repeat(longest + 1);
    format!("{fence} {s} {fence}")
}

fn longest_run(s: &str, ch: char) -> usize {
    let (mut best, mut cur) = (0, 0);
    for c in s.chars() {
        cur = if c == ch { cur + 1 } else { 0 };
        best = best.max(cur);
    }
    best
}

/// A fenced code block whose fence is longer than any run of backticks in
/// `text`, so the text cannot close it early.
pub(super) fn fenced(lang: &str, text: &str) -> String {
    let fence = "`".repeat((longest_run(text, '`') + 1).max(3));
    format!("{fence}{lang}\n{}\n{fence}\n", text.trim_end_matches('\n'))
}

/// A table cell: one line, pipes escaped (also inside code spans, as GFM wants).
pub(super) fn cell(s: &str) -> String {
    s.lines().next().unwrap_or("").replace('|', "\\|")
}

/// Text from configuration (a reason) cannot inject HTML or Markdown structure.
pub(super) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' => out.push(' '),
            '*' | '_' | '`' | '[' | ']' | '\\' | '|' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// A document as blocks the splitter may cut between (text) or inside (code, by line).
#[derive(Default)]
struct Doc {
    blocks: Vec<Block>,
}

enum Block {
    Text(String),
    Code { summary: String, lang: &'static str, lines: Vec<String>, open: bool },
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

impl Doc {
    fn text(&mut self, t: String) {
        self.blocks.push(Block::Text(t));
    }

    /// A fenced code block inside `<details>`, collapsed or open.
    fn code_block(&mut self, summary: &str, lang: &'static str, lines: Vec<String>, collapsed: bool) {
        self.blocks.push(Block::Code { summary: summary.to_string(), lang, lines, open: !collapsed });
    }

    /// Lays the blocks out into parts of at most `opts.max_chars` characters.
    fn split(self, opts: &Options) -> Vec<String> {
        // The header of a part ("<!-- marker part 12/34 -->" and a visible
        // "Part 12 of 34" line) is written last, when the count is known.
        let reserve = chars(&header(&opts.marker, 9999, 9999));
        let budget = opts.max_chars.saturating_sub(reserve).max(256);
        let mut parts: Vec<String> = Vec::new();
        let mut cur = String::new();
        let mut len = 0usize;
        let flush = |parts: &mut Vec<String>, cur: &mut String, len: &mut usize| {
            if !cur.is_empty() {
                parts.push(std::mem::take(cur));
                *len = 0;
            }
        };
        for block in self.blocks {
            match block {
                Block::Text(t) => {
                    for piece in cut(&t, budget) {
                        let n = chars(&piece);
                        if len + n > budget {
                            flush(&mut parts, &mut cur, &mut len);
                        }
                        cur.push_str(&piece);
                        len += n;
                    }
                }
                Block::Code { summary, lang, lines, open } => {
                    let longest = lines.iter().map(|l| longest_run(l, '`')).max().unwrap_or(0);
                    let fence = "`".repeat((longest + 1).max(3));
                    let attr = if open { " open" } else { "" };
                    let opening = |continued: bool| {
                        let more = if continued { " (continued)" } else { "" };
                        format!("<details{attr}><summary>{summary}{more}</summary>\n\n{fence}{lang}\n")
                    };
                    let closing = format!("{fence}\n\n</details>\n\n");
                    let (open_len, close_len) = (chars(&opening(true)), chars(&closing));
                    // A line too long for any part is shortened (with a note): it cannot be split validly.
                    let room = budget.saturating_sub(open_len + close_len + 1);
                    let first = lines.first().map(|l| chars(l).min(room) + 1).unwrap_or(0);
                    if len + open_len + close_len + first > budget {
                        flush(&mut parts, &mut cur, &mut len);
                    }
                    let o = opening(false);
                    len += chars(&o);
                    cur.push_str(&o);
                    for line in lines {
                        let line = if chars(&line) > room { shorten(&line, room) } else { line };
                        let n = chars(&line) + 1;
                        if len + n + close_len > budget {
                            cur.push_str(&closing);
                            flush(&mut parts, &mut cur, &mut len);
                            let o = opening(true);
                            len += chars(&o);
                            cur.push_str(&o);
                        }
                        cur.push_str(&line);
                        cur.push('\n');
                        len += n;
                    }
                    cur.push_str(&closing);
                    len += close_len;
                }
            }
        }
        flush(&mut parts, &mut cur, &mut len);
        if parts.is_empty() {
            parts.push(String::new());
        }
        let total = parts.len();
        parts
            .into_iter()
            .enumerate()
            .map(|(i, body)| format!("{}{}", header(&opts.marker, i + 1, total), body.trim_end_matches('\n').to_string() + "\n"))
            .collect()
    }
}

fn header(marker: &str, i: usize, n: usize) -> String {
    if n == 1 {
        format!("<!-- {marker} part {i}/{n} -->\n")
    } else {
        format!("<!-- {marker} part {i}/{n} -->\n**Part {i} of {n}**\n\n")
    }
}

/// Cuts text longer than `budget` at line ends (and, for a single huge line, anywhere).
fn cut(t: &str, budget: usize) -> Vec<String> {
    if chars(t) <= budget {
        return vec![t.to_string()];
    }
    let mut out = Vec::new();
    for line in t.split_inclusive('\n') {
        if chars(line) <= budget {
            out.push(line.to_string());
        } else {
            out.push(shorten(line, budget.saturating_sub(1)) + "\n");
        }
    }
    out
}

fn shorten(line: &str, max: usize) -> String {
    const NOTE: &str = " ... (line shortened)";
    let keep = max.saturating_sub(NOTE.len());
    let mut s: String = line.chars().take(keep).collect();
    s.push_str(NOTE);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn balanced(part: &str) -> Result<(), String> {
        let opens = part.matches("<details").count();
        let closes = part.matches("</details>").count();
        if opens != closes {
            return Err(format!("{opens} <details> but {closes} </details>"));
        }
        let mut fence: Option<String> = None;
        for line in part.lines() {
            let ticks: String = line.chars().take_while(|c| *c == '`').collect();
            match &fence {
                None if ticks.len() >= 3 => fence = Some(ticks),
                Some(f) if ticks == *f && line.trim() == f.as_str() => fence = None,
                _ => {}
            }
        }
        match fence {
            Some(f) => Err(format!("code fence {f} left open")),
            None => Ok(()),
        }
    }

    #[test]
    fn long_code_blocks_split_into_valid_parts() {
        let mut doc = Doc::default();
        doc.text("# title\n\n".into());
        let lines: Vec<String> = (0..500).map(|i| format!("+ line {i} with ``` inside")).collect();
        doc.code_block("Full plan", "diff", lines, true);
        doc.text("after\n".into());
        let opts = Options { max_chars: 2000, marker: "m".into() };
        let parts = doc.split(&opts);
        assert!(parts.len() > 5, "{} parts", parts.len());
        let n = parts.len();
        for (i, p) in parts.iter().enumerate() {
            assert!(chars(p) <= 2000, "part {i} has {} chars", chars(p));
            assert!(p.starts_with(&format!("<!-- m part {}/{n} -->\n", i + 1)), "{p}");
            balanced(p).unwrap_or_else(|e| panic!("part {i}: {e}\n{p}"));
        }
        let all = parts.concat();
        for i in 0..500 {
            assert!(all.contains(&format!("+ line {i} with")), "line {i} lost");
        }
        assert!(parts[1].contains("(continued)"));
        assert!(parts.last().unwrap().contains("after"));
    }

    #[test]
    fn short_documents_are_one_part_without_a_visible_header() {
        let mut doc = Doc::default();
        doc.text("hello\n".into());
        let parts = doc.split(&Options::default());
        assert_eq!(parts, vec!["<!-- iac-plan part 1/1 -->\nhello\n".to_string()]);
    }

    #[test]
    fn lines_too_long_for_a_part_are_shortened_not_broken() {
        let mut doc = Doc::default();
        doc.code_block("x", "text", vec!["y".repeat(5000)], true);
        let parts = doc.split(&Options { max_chars: 1000, marker: "m".into() });
        for p in &parts {
            assert!(chars(p) <= 1000);
            balanced(p).unwrap();
        }
        assert!(parts[0].contains("(line shortened)"));
    }

    #[test]
    fn signs_move_to_the_first_column() {
        assert_eq!(diff_line("  + resource \"a\" \"b\" {"), "+   resource \"a\" \"b\" {");
        assert_eq!(diff_line("      ~ x = 1 -> 2"), "!       x = 1 -> 2");
        assert_eq!(diff_line("-/+ resource"), "-/+ resource");
        assert_eq!(diff_line("    }"), "     }");
        assert_eq!(diff_line(""), "");
    }

    #[test]
    fn inline_code_and_text_are_escaped() {
        assert_eq!(code("a.b"), "`a.b`");
        assert_eq!(code("a[\"`x`\"]"), "`` a[\"`x`\"] ``");
        assert_eq!(escape("<b>*x*</b>"), "&lt;b&gt;\\*x\\*&lt;/b&gt;");
        assert_eq!(cell(&code("a[\"x|y\"]")), "`a[\"x\\|y\"]`");
        assert_eq!(fenced("text", "a\n```\nb\n"), "````text\na\n```\nb\n````\n");
    }
}
