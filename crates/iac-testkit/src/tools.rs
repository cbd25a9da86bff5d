//! Finding the real programs the tests run against (moto, helm, kubectl,
//! actionlint, PostgreSQL). `scripts/install-tools` installs them into the
//! project-local `.tools/` folder; a test that needs one fails, never skips,
//! when it is missing, so a green run always means the test ran.

use std::path::{Path, PathBuf};

/// The folder `scripts/install-tools` fills: `$IAC_TOOLS_DIR`, else
/// `<workspace>/.tools`.
pub fn tools_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("IAC_TOOLS_DIR") {
        return PathBuf::from(dir);
    }
    workspace_root().join(".tools")
}

/// The workspace root (the testkit lives at `<root>/crates/iac-testkit`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("workspace root")
}

/// Where a tool is, looked up in `.tools/bin`, `.tools/venv/bin`, Debian's
/// PostgreSQL folders, then `PATH`.
pub fn find_tool(name: &str) -> Option<PathBuf> {
    let tools = tools_dir();
    let mut dirs = vec![tools.join("bin"), tools.join("venv/bin")];
    dirs.extend(postgres_bin_dirs());
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    dirs.into_iter().map(|d| d.join(name)).find(|p| is_executable(p))
}

/// Like [`find_tool`], but a missing tool fails the test with what to run.
pub fn tool(name: &str) -> PathBuf {
    find_tool(name).unwrap_or_else(|| panic!("`{name}` is not installed: run `bash scripts/install-tools` (looked in {} and PATH)", tools_dir().display()))
}

/// The machine image's filesystem mirror of Terraform provider plugins
/// (hashicorp/aws 5.100.0), as `../shared/tools/terraform-mirror` prints
/// it; a missing script or directory fails the test.
pub fn terraform_mirror() -> PathBuf {
    let script = workspace_root().join("../shared/tools/terraform-mirror");
    let out =
        std::process::Command::new(&script).output().unwrap_or_else(|e| panic!("{}: {e} (the machine image's Terraform mirror is required)", script.display()));
    assert!(out.status.success(), "{} failed: {}", script.display(), String::from_utf8_lossy(&out.stderr));
    let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    assert!(dir.is_dir(), "{} printed {}, which is not a directory", script.display(), dir.display());
    dir
}

/// Debian installs the server under /usr/lib/postgresql/<major>/bin; the
/// newest major comes first.
fn postgres_bin_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok().map(|major| (major, e.path().join("bin"))))
        .collect();
    dirs.sort_by_key(|d| std::cmp::Reverse(d.0));
    dirs.into_iter().map(|(_, d)| d).collect()
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    p.metadata().map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_program_on_path_and_reports_a_missing_one() {
        assert!(find_tool("sh").is_some());
        assert!(find_tool("no-such-tool-iac-testkit").is_none());
        let err = std::panic::catch_unwind(|| tool("no-such-tool-iac-testkit")).unwrap_err();
        let msg = err.downcast_ref::<String>().unwrap();
        assert!(msg.contains("scripts/install-tools"), "{msg}");
    }
}
