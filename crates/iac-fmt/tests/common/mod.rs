//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

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
/// erased (the library's own check, which `tests/properties.rs` proves
/// catches changed values, strings, order, comments and moved attributes),
/// and the two texts have the same non-whitespace characters once label
/// quotes are ignored, so no comment can go missing.
pub fn same_structure(a: &str, b: &str) -> bool {
    let visible = |s: &str| s.chars().filter(|c| !c.is_whitespace() && *c != '"').collect::<String>();
    iac_fmt::same_structure_text(a, b) && visible(a) == visible(b)
}
