//! Data-driven formatter tests: every `fixtures/<name>.in.tf` must format to
//! `fixtures/<name>.out.tf`, and formatting the expected output must leave it
//! unchanged.

use crate::common;

use common::{fixture_names, read_fixture, same_structure};
use iac_fmt::format_source;

fn check(name: &str) {
    let input = read_fixture(&format!("{name}.in.tf"));
    let expected = read_fixture(&format!("{name}.out.tf"));

    let formatted = format_source(name, &input).expect("fixture input parses");
    assert_eq!(formatted, expected, "format({name}.in.tf) != {name}.out.tf");

    let again = format_source(name, &expected).expect("fixture output parses");
    assert_eq!(again, expected, "formatting {name}.out.tf is not idempotent");

    assert!(same_structure(&input, &formatted), "formatting {name} changed the document's structure");
}

macro_rules! fixtures {
    ($($name:ident),+ $(,)?) => {
        $(#[test] fn $name() { check(stringify!($name)); })+

        /// Every fixture on disk has a test above, so none is silently skipped.
        #[test]
        fn every_fixture_is_listed() {
            let listed = [$(stringify!($name)),+];
            for name in fixture_names() {
                assert!(listed.contains(&name.as_str()), "fixture {name} has no test");
            }
        }
    };
}

fixtures!(
    misaligned_attributes,
    nested_indentation,
    comments,
    blank_lines,
    heredoc,
    for_expressions,
    multiline_arrays,
    realistic,
    already_formatted,
    bare_labels,
    templates,
    missing_final_newline,
    trailing_blank_lines,
    comment_whitespace,
    crlf_end,
);

#[test]
fn already_formatted_input_is_unchanged() {
    let input = read_fixture("already_formatted.in.tf");
    assert_eq!(format_source("f.tf", &input).unwrap(), input);
}
