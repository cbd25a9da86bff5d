//! `iac fmt`: rewrites stack files (Terraform-syntax HCL, `*.tf` / `*.hcl`)
//! in the canonical style of `terraform fmt`.
//!
//! This crate owns source-text formatting and nothing else. It depends only
//! on `hcl-edit` (for parsing, syntax errors and the structural safety check)
//! and must never depend on the evaluator, the engine or any provider:
//! formatting is a pure text-to-text function that needs no configuration
//! model.
//!
//! The pipeline ports HashiCorp's `hclwrite` formatter, which works on tokens
//! and only ever changes whitespace: `labels` quotes bare block labels,
//! `lexer` tokenises, `lines` splits tokens into lead/assign/comment
//! cells, `indent`, `spacing` and `align` decide the whitespace before
//! each token, and `render` writes the text back. Finally `verify`
//! re-parses the result; if the structure or any non-whitespace character
//! differs from the input, the input is returned unchanged rather than risk
//! altering its meaning.
//!
//! Deliberate differences from `terraform fmt`: heredoc bodies are kept
//! byte-for-byte (terraform respaces `${ ... }` inside them); expressions are
//! never rewritten (terraform unwraps `"${x}"` to `x` and turns legacy
//! `type = "string"` into `string`); comments between block labels are kept
//! (terraform drops them). Like terraform, comments are kept byte for byte
//! (trailing whitespace included) and the end of the file is left as it is
//! (no final newline added, trailing blank lines kept).

#![deny(missing_docs)]

mod align;
mod indent;
mod labels;
mod lexer;
mod lines;
mod render;
mod spacing;
mod token;
mod verify;

pub use verify::same_structure_text;

/// Why a source could not be formatted.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    /// The source is not valid HCL. `line` and `col` are 1-based.
    #[error("{file}:{line}:{col}: {message}")]
    Syntax {
        /// The file name given to [`format`].
        file: String,
        /// The line of the error, from 1.
        line: usize,
        /// The column of the error, from 1.
        col: usize,
        /// What is wrong there.
        message: String,
    },
}

/// Returns the canonically formatted text of `src`; `file_name` is used only
/// in error messages.
///
/// Idempotent: `format_source(f, &format_source(f, x)?)? == format_source(f, x)?`.
pub fn format_source(file_name: &str, src: &str) -> Result<String, FormatError> {
    let body = hcl_edit::parser::parse_body(src).map_err(|err| FormatError::Syntax {
        file: file_name.to_owned(),
        line: err.location().line(),
        col: err.location().column(),
        message: err.message().to_owned(),
    })?;

    let (labelled, formatted) = format_parsed(src, &body);
    if is_faithful(&labelled, &formatted, &body) {
        Ok(formatted)
    } else {
        Ok(src.to_owned())
    }
}

/// Runs the formatting passes over `src`, already parsed as `body`. Returns
/// the label-quoted input (the baseline for [`is_faithful`]) and the output.
fn format_parsed(src: &str, body: &hcl_edit::structure::Body) -> (String, String) {
    let labelled = labels::quote_bare_labels(src, body);
    let mut tokens = lexer::lex(&labelled);
    let trailing = lexer::trailing_whitespace(&labelled, &tokens);
    let lines = lines::split_lines(&tokens);
    indent::apply(&mut tokens, &lines);
    spacing::apply(&mut tokens, &lines);
    align::apply(&mut tokens, &lines);
    let formatted = render::render(&tokens, trailing);
    (labelled, formatted)
}

/// Whether `formatted` differs from `labelled` only in whitespace and still
/// parses to the same structure as `body`.
fn is_faithful(labelled: &str, formatted: &str, body: &hcl_edit::structure::Body) -> bool {
    let visible = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    visible(labelled) == visible(formatted) && verify::same_structure(body, formatted)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fallback in [`format_source`] hides formatter bugs from callers,
    /// so check directly that it never triggers on any parseable prefix of
    /// any fixture.
    #[test]
    fn safety_net_never_needed_on_fixture_prefixes() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let mut checked = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let src = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for (end, _) in src.char_indices().chain([(src.len(), ' ')]) {
                let prefix = &src[..end];
                let Ok(body) = hcl_edit::parser::parse_body(prefix) else {
                    continue;
                };
                let (labelled, formatted) = format_parsed(prefix, &body);
                assert!(is_faithful(&labelled, &formatted, &body), "unfaithful output for {prefix:?}:\n{formatted}");
                checked += 1;
            }
        }
        assert!(checked > 100);
    }

    #[test]
    fn safety_net_never_needed_on_tricky_inputs() {
        let inputs = [
            "a = 1\r\nbb = 2 # c\r\n/* x \r\n y */\r\n",
            "a\t=\t1\nb {\n\tc = 1\n}\n",
            "a = \"${\"${\"x\"}\"}\"\n",
            "a = \"%{ for x in y ~}${ x }%{~ endfor }\"\n",
            "a = \"${ {b = 1}.b }\"\n",
            "x = a.0.b + 1e5 - 2.5E-3\n",
            "a = <<-EOT\r\n  x ${ y }\r\n  EOT\r\n",
            "resource x y { # c\n  k = v\n}\n",
            "a = {for k, v in m : k => v...}\n",
            "a = provider::p::f( 1 )\n",
            "a = !b && -c > -1\n",
        ];
        for src in inputs {
            let body = hcl_edit::parser::parse_body(src).unwrap_or_else(|e| panic!("{src:?}: {e}"));
            let (labelled, formatted) = format_parsed(src, &body);
            assert!(is_faithful(&labelled, &formatted, &body), "{src:?} -> {formatted:?}");
        }
    }
}
