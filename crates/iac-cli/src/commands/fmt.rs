//! `iac fmt`: canonical style for *.tf, *.hcl and *.tfvars files.

use std::path::{Path, PathBuf};

use super::Ctx;

fn collect(dir: &Path, recursive: bool, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if p.is_dir() {
            if recursive && !name.starts_with('.') && name != "target" && name != "node_modules" {
                collect(&p, recursive, out);
            }
        } else if name.ends_with(".tf") || name.ends_with(".hcl") || name.ends_with(".tfvars") {
            out.push(p);
        }
    }
}

/// Exit codes as terraform fmt: 0 fine, 3 with -check when files need
/// formatting, 2 on syntax errors.
pub fn run(ctx: &Ctx, check: bool, diff: bool, recursive: bool, paths: Vec<PathBuf>) -> u8 {
    let mut files = Vec::new();
    let roots = if paths.is_empty() { vec![ctx.dir.clone()] } else { paths };
    for p in roots {
        if p.is_dir() {
            collect(&p, recursive, &mut files);
        } else {
            files.push(p);
        }
    }
    let mut unformatted = false;
    let mut failed = false;
    for f in files {
        let src = match std::fs::read_to_string(&f) {
            Ok(s) => s,
            Err(e) => {
                ctx.reporter.error(&format!("cannot read {}: {e}", f.display()));
                failed = true;
                continue;
            }
        };
        let name = f.display().to_string();
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
        outln!("{name}");
        if diff {
            let d = similar::TextDiff::from_lines(&src, &out);
            out!("{}", d.unified_diff().header(&format!("old/{name}"), &format!("new/{name}")));
        }
        if !check {
            if let Err(e) = std::fs::write(&f, out) {
                ctx.reporter.error(&format!("cannot write {name}: {e}"));
                failed = true;
            }
        }
    }
    if failed {
        2
    } else if check && unformatted {
        3
    } else {
        0
    }
}
