//! Source files and spans: every diagnostic points at file:line:col.

use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Span {
    pub file: FileId,
    pub range: Range<usize>,
}

#[derive(Debug)]
pub struct SourceFile {
    /// Path as shown to users (relative to where iac runs when possible).
    pub name: String,
    pub path: PathBuf,
    pub text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    pub fn new(name: String, path: PathBuf, text: String) -> SourceFile {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        SourceFile { name, path, text, line_starts }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line];
        let col = self.text.get(start..offset).map(|s| s.chars().count()).unwrap_or(offset - start);
        (line + 1, col + 1)
    }
}

/// All source files of a stack (root module and child modules).
#[derive(Debug, Default, Clone)]
pub struct SourceMap {
    files: Vec<Arc<SourceFile>>,
}

impl SourceMap {
    pub fn add(&mut self, file: SourceFile) -> FileId {
        self.files.push(Arc::new(file));
        FileId(self.files.len() as u32 - 1)
    }
    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }
    pub fn files(&self) -> impl Iterator<Item = &SourceFile> {
        self.files.iter().map(|f| f.as_ref())
    }
    /// `file:line:col` of a span's start.
    pub fn locate(&self, span: &Span) -> String {
        let f = self.get(span.file);
        let (l, c) = f.line_col(span.range.start);
        format!("{}:{}:{}", f.name, l, c)
    }
    /// The source text under a span.
    pub fn snippet(&self, span: &Span) -> &str {
        self.get(span.file).text.get(span.range.clone()).unwrap_or("")
    }
}

/// Terraform's snippet context (HCL's `ContextString`): the header of the
/// top-level block holding byte `offset` of `text`, as `resource "a" "b"`
/// (labels quoted), or None outside any block or when the file does not parse.
pub fn context_string(text: &str, offset: usize) -> Option<String> {
    use hcl_edit::structure::{BlockLabel, Structure};
    use hcl_edit::Span as _;
    let body = hcl_edit::parser::parse_body(text).ok()?;
    let found = body.iter().find_map(|s| match s {
        Structure::Block(b) if b.span().is_some_and(|r| r.contains(&offset)) => {
            let mut header = b.ident.as_str().to_string();
            for l in &b.labels {
                let label = match l {
                    BlockLabel::Ident(i) => i.as_str(),
                    BlockLabel::String(s) => s.as_str(),
                };
                header.push(' ');
                header.push_str(&serde_json::Value::String(label.to_string()).to_string());
            }
            Some(header)
        }
        _ => None,
    });
    found
}

#[cfg(test)]
mod tests {
    use super::context_string;

    #[test]
    fn context_is_the_enclosing_top_level_block_header() {
        let text = "variable \"v\" {}\n\nresource \"terraform_data\" \"a\" {\n  input = var.v\n  lifecycle {\n    create_before_destroy = true\n  }\n}\n";
        let at = |needle: &str| text.find(needle).unwrap();
        assert_eq!(context_string(text, at("var.v")).as_deref(), Some("resource \"terraform_data\" \"a\""));
        assert_eq!(context_string(text, at("create_before")).as_deref(), Some("resource \"terraform_data\" \"a\""), "nested blocks name the outer one");
        assert_eq!(context_string(text, at("{}")).as_deref(), Some("variable \"v\""));
        assert_eq!(context_string(text, at("\n\nresource") + 1), None, "between blocks");
        assert_eq!(context_string("resource {", 3), None, "a file that does not parse");
    }
}
