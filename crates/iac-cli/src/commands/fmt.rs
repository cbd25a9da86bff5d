//! `iac fmt`: canonical style for the files `terraform fmt` formats
//! (`*.tf`, `*.tfvars`, `*.tftest.hcl`, `*.tfmock.hcl`), with its flags,
//! listing and exit codes: 0 fine, 3 with -check when a file needs
//! formatting, 2 on a syntax error or a path that cannot be formatted.

use std::io::Read as _;
use std::path::{Component, Path, PathBuf};

use super::Ctx;

/// The extensions terraform fmt formats; any other file named on the
/// command line is refused.
const EXTENSIONS: &[&str] = &[".tf", ".tfvars", ".tftest.hcl", ".tfmock.hcl"];

/// `-check`, `-diff`, `-recursive`, `-list`, `-write` as terraform fmt has them.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub check: bool,
    pub diff: bool,
    pub recursive: bool,
    pub list: bool,
    pub write: bool,
}

fn formattable(name: &str) -> bool {
    EXTENSIONS.iter().any(|e| name.ends_with(e))
}

/// Terraform's ignored names: hidden files and directories, editor
/// backups (`x~`) and Emacs lock files (`#x#`).
fn ignored(name: &str) -> bool {
    name.starts_with('.') || name.ends_with('~') || (name.starts_with('#') && name.ends_with('#'))
}

fn collect(dir: &Path, recursive: bool, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if ignored(name) {
            continue;
        }
        if p.is_dir() {
            if recursive {
                collect(&p, recursive, out);
            }
        } else if formattable(name) {
            out.push(p);
        }
    }
}

/// `..` and `.` resolved without touching the file system (Go's `filepath.Clean`).
fn clean(p: &Path) -> PathBuf {
    let mut out: Vec<Component> = Vec::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.last(), Some(Component::Normal(_))) => {
                out.pop();
            }
            Component::ParentDir if matches!(out.last(), Some(Component::RootDir)) => {}
            other => out.push(other),
        }
    }
    out.iter().collect()
}

/// The name terraform fmt shows for a file: relative to the working
/// directory (`sub/x.tf`, `../x.tf`), as Go's `filepath.Rel` gives it.
fn display(cwd: Option<&Path>, p: &Path) -> String {
    let Some(cwd) = cwd else { return p.display().to_string() };
    let abs = clean(&cwd.join(p));
    let (a, b): (Vec<_>, Vec<_>) = (cwd.components().collect(), abs.components().collect());
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut rel = PathBuf::new();
    for _ in common..a.len() {
        rel.push("..");
    }
    for c in &b[common..] {
        rel.push(c);
    }
    if rel.as_os_str().is_empty() {
        ".".to_string()
    } else {
        rel.display().to_string()
    }
}

pub fn run(ctx: &Ctx, opts: Options, paths: Vec<PathBuf>) -> u8 {
    if paths.len() == 1 && paths[0] == Path::new("-") {
        return stdin(ctx, opts);
    }
    let cwd = std::env::current_dir().ok().map(|d| clean(&d));
    let mut files = Vec::new();
    let mut failed = false;
    let roots = if paths.is_empty() { vec![ctx.dir.clone()] } else { paths };
    for p in roots {
        if p.is_dir() {
            collect(&p, opts.recursive, &mut files);
        } else if !p.exists() {
            ctx.reporter.error(&format!("No file or directory at {}", p.display()));
            failed = true;
        } else if formattable(&p.to_string_lossy()) {
            files.push(p);
        } else {
            ctx.reporter.error("Only .tf, .tfvars, .tftest.hcl and .tfmock.hcl files can be formatted");
            failed = true;
        }
    }
    let mut unformatted = false;
    for f in files {
        let src = match std::fs::read_to_string(&f) {
            Ok(s) => s,
            Err(e) => {
                ctx.reporter.error(&format!("cannot read {}: {e}", f.display()));
                failed = true;
                continue;
            }
        };
        let name = display(cwd.as_deref(), &f);
        let out = match iac_fmt::format_source(&name, &src) {
            Ok(o) => o,
            Err(e) => {
                ctx.reporter.error(&e.to_string());
                failed = true;
                continue;
            }
        };
        if out == src {
            continue;
        }
        unformatted = true;
        if opts.list {
            outln!("{name}");
        }
        if opts.diff {
            out!("{}", unified_diff(&src, &out, &name));
        }
        if opts.write && !opts.check {
            if let Err(e) = std::fs::write(&f, out) {
                ctx.reporter.error(&format!("cannot write {name}: {e}"));
                failed = true;
            }
        }
    }
    exit_code(failed, opts.check && unformatted)
}

fn exit_code(failed: bool, check_failed: bool) -> u8 {
    if failed {
        2
    } else if check_failed {
        3
    } else {
        0
    }
}

/// `iac fmt -`: standard input to standard output; with -check nothing is
/// printed and the exit code says whether it was formatted.
fn stdin(ctx: &Ctx, opts: Options) -> u8 {
    let mut src = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut src) {
        ctx.reporter.error(&format!("cannot read standard input: {e}"));
        return 2;
    }
    let out = match iac_fmt::format_source("<stdin>", &src) {
        Ok(o) => o,
        Err(e) => {
            ctx.reporter.error(&e.to_string());
            return 2;
        }
    };
    if opts.check {
        return exit_code(false, out != src);
    }
    if opts.diff {
        if out != src {
            out!("{}", unified_diff(&src, &out, "<stdin>"));
        }
    } else {
        out!("{out}");
    }
    0
}

/// What terraform fmt -diff prints (`diff -u` with `old/NAME`, `new/NAME` labels).
fn unified_diff(old: &str, new: &str, name: &str) -> String {
    let d = similar::TextDiff::from_lines(old, new);
    d.unified_diff().missing_newline_hint(true).header(&format!("old/{name}"), &format!("new/{name}")).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_shown_relative_to_the_working_directory() {
        let cwd = Path::new("/w/a");
        assert_eq!(display(Some(cwd), Path::new("./t.tf")), "t.tf");
        assert_eq!(display(Some(cwd), Path::new("sub/t.tf")), "sub/t.tf");
        assert_eq!(display(Some(cwd), Path::new("../a/t.tf")), "t.tf");
        assert_eq!(display(Some(cwd), Path::new("/w/a/sub/t.tf")), "sub/t.tf");
        assert_eq!(display(Some(cwd), Path::new("/w/b/t.tf")), "../b/t.tf");
    }

    #[test]
    fn ignored_and_formattable_names_are_terraforms() {
        assert!(ignored(".terraform") && ignored("x.tf~") && ignored("#x.tf#"));
        assert!(formattable("a.tf") && formattable("a.tfvars") && formattable("a.tftest.hcl") && formattable("a.tfmock.hcl"));
        assert!(!formattable(".terraform.lock.hcl.bak") && !formattable("a.hcl") && !formattable("a.tf.json"));
    }
}
