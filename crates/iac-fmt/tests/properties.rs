//! Property-style tests: formatting never panics, never changes what a
//! document means, and is idempotent, on every prefix of every fixture.

use crate::common;

use common::{fixture_names, read_fixture, same_structure};
use iac_fmt::{format_source, FormatError};

#[test]
fn structure_check_detects_semantic_changes() {
    // Guard the guard: the comparison used below must notice real changes.
    assert!(same_structure("a = 1\n", "a   =   1\n"));
    assert!(same_structure("resource x y {}\n", "resource \"x\" \"y\" {}\n"));
    assert!(!same_structure("a = 1\n", "a = 2\n"));
    assert!(!same_structure("a = \"x y\"\n", "a = \"x  y\"\n"));
    assert!(!same_structure("a = [1, 2]\n", "a = [2, 1]\n"));
    assert!(!same_structure("a = 1 # note\n", "a = 1\n"));
    assert!(!same_structure("b {\n  c = 1\n}\n", "b {}\nc = 1\n"));
}

#[test]
fn formatting_preserves_structure_of_every_fixture() {
    for name in fixture_names() {
        for file in [format!("{name}.in.tf"), format!("{name}.out.tf")] {
            let src = read_fixture(&file);
            let out = format_source(&file, &src).unwrap();
            assert!(same_structure(&src, &out), "{file}: structure changed");
        }
    }
}

#[test]
fn every_prefix_formats_without_panic_and_idempotently() {
    for name in fixture_names() {
        let src = read_fixture(&format!("{name}.in.tf"));
        for (end, _) in src.char_indices().chain([(src.len(), ' ')]) {
            let prefix = &src[..end];
            match format_source("prefix.tf", prefix) {
                Ok(once) => {
                    let twice = format_source("prefix.tf", &once).unwrap_or_else(|e| panic!("{name}[..{end}]: output no longer parses: {e}"));
                    assert_eq!(twice, once, "{name}[..{end}]: not idempotent");
                    assert!(same_structure(prefix, &once), "{name}[..{end}]: structure changed");
                }
                Err(FormatError::Syntax { line, col, .. }) => {
                    assert!(line >= 1 && col >= 1, "{name}[..{end}]: bad location");
                }
            }
        }
    }
}

#[test]
fn odd_inputs_do_not_panic() {
    let inputs = [
        "",
        " ",
        "\n\n",
        "\r\n",
        "#",
        "# c",
        "/*",
        "/* x */",
        "a = <<EOT\n",
        "a = <<EOT\nx\n",
        "a = \"${",
        "a = \"\\",
        "a = \"é\\é\"\n",
        "a = {\n",
        "}",
        "a = [1,\n",
        "a = 1\r\nb = 2\r\n",
        "a = <<-EOT\r\n  x\r\n  EOT\r\n",
        "\u{feff}a = 1\n",
        "a = \"${\"${\"x\"}\"}\"\n",
        "a = \"%{ for x in y }${x}%{ endfor }\"\n",
        "x = a.0.b\n",
        "x = 1e5 + 2.5E-3\n",
        "a\t=\t1\n",
        "b {\n\tc = 1\n}\n",
    ];
    for src in inputs {
        if let Ok(out) = format_source("odd.tf", src) {
            assert_eq!(format_source("odd.tf", &out).ok().as_deref(), Some(out.as_str()), "{src:?}");
            assert!(same_structure(src, &out), "{src:?} -> {out:?}");
        }
    }
}

#[test]
fn syntax_errors_carry_one_based_location() {
    let err = format_source("main.tf", "a = 1\nb = = 2\n").unwrap_err();
    let FormatError::Syntax { file, line, col, message } = &err;
    assert_eq!(file, "main.tf");
    assert_eq!(*line, 2);
    assert!(*col >= 1);
    assert!(!message.is_empty());
    assert!(err.to_string().starts_with("main.tf:2:"), "{err}");
}

#[test]
fn empty_and_blank_sources_keep_their_lines() {
    // As terraform fmt: blank lines stay, the spaces on them go.
    assert_eq!(format_source("e.tf", "").unwrap(), "");
    assert_eq!(format_source("e.tf", "\n\n  \n").unwrap(), "\n\n\n");
}

#[test]
fn crlf_line_endings_are_kept() {
    let src = "a=1\r\nbb = 2 # c   \r\n/* x  \r\n y */\r\n\r\n\r\n";
    let out = format_source("crlf.tf", src).unwrap();
    assert_eq!(out, "a  = 1\r\nbb = 2 # c   \r\n/* x  \r\n y */\r\n\r\n\r\n");
    assert_eq!(format_source("crlf.tf", &out).unwrap(), out);
}

#[test]
fn trailing_whitespace_is_trimmed_outside_comments_and_heredocs() {
    let src = "a = 1   \n# note   \nb = <<EOT\nkeep   \nEOT\n";
    let out = format_source("ws.tf", src).unwrap();
    assert_eq!(out, "a = 1\n# note   \nb = <<EOT\nkeep   \nEOT\n");
}
