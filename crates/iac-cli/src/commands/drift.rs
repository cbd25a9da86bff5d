//! `iac drift [DIR...]`: a refresh-only plan of each stack, reported as
//! drift in text, Markdown, JSON or Prometheus form, to stdout, a file, or
//! a Pushgateway. Exits 0 when nothing drifted, 2 when something did, 1 when
//! a stack could not be checked.

use std::path::PathBuf;

use iac_engine::ops::{self, DriftReport};
use iac_engine::unmanaged::IgnoreList;
use iac_render::drift::{self as render, StackDrift};

use super::{cli_vars, comment, Ctx};
use crate::args::{LockArgs, VarArgs};

pub struct DriftArgs {
    pub vars: VarArgs,
    pub lock: LockArgs,
    pub format: String,
    pub out: Option<PathBuf>,
    pub push: Option<String>,
    pub unmanaged: bool,
    pub unmanaged_ignore: Option<PathBuf>,
    pub parallelism: usize,
    pub dirs: Vec<PathBuf>,
}

struct Checked {
    name: String,
    result: Result<DriftReport, String>,
}

async fn check(ctx: &Ctx, a: &DriftArgs, dir: PathBuf) -> Checked {
    let name = comment::stack_name(&dir);
    // As with -chdir: path.module and relative paths mean what they do when the stack is applied.
    let stack = match comment::open_stack(ctx, &dir, &a.lock) {
        Ok(s) => s,
        Err((e, sources)) => return Checked { name, result: Err(plain_error(&e, &sources)) },
    };
    let (loaded, env) = (&stack.loaded, &stack.env);
    match ops::drift(loaded, env, cli_vars(&a.vars, true), a.parallelism, a.unmanaged).await {
        Ok(r) => {
            ctx.reporter.diagnostics(&loaded.warnings, &loaded.stack.sources);
            Checked { name, result: Ok(r) }
        }
        Err(e) => {
            ctx.fail(&e, Some(loaded));
            Checked { name, result: Err(plain_error(&e, &loaded.stack.sources)) }
        }
    }
}

/// An engine error as plain text for reports (diagnostics rendered without colour).
fn plain_error(e: &iac_engine::EngineError, sources: &iac_lang::source::SourceMap) -> String {
    e.render_plain(sources).join("\n")
}

pub async fn run(ctx: &Ctx, a: DriftArgs) -> u8 {
    if !matches!(a.format.as_str(), "text" | "markdown" | "json" | "prometheus") {
        ctx.reporter.error(&format!("-format {:?}: use text, markdown, json or prometheus", a.format));
        return 1;
    }
    let ignore = match &a.unmanaged_ignore {
        None => IgnoreList::default(),
        Some(path) => match std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))
            .and_then(|t| IgnoreList::parse(&t).map_err(|e| format!("{}: {e}", path.display())))
        {
            Ok(list) => list,
            Err(e) => {
                ctx.reporter.error(&e);
                return 1;
            }
        },
    };
    let dirs = if a.dirs.is_empty() { vec![ctx.dir.clone()] } else { a.dirs.clone() };
    let mut checked = Vec::with_capacity(dirs.len());
    for dir in dirs {
        checked.push(check(ctx, &a, dir).await);
    }
    if a.unmanaged {
        let mut reports: Vec<&mut DriftReport> = checked.iter_mut().filter_map(|c| c.result.as_mut().ok()).collect();
        ops::settle_unmanaged(&mut reports, &ignore);
    }
    let stacks: Vec<StackDrift<'_>> = checked.iter().map(|c| StackDrift { name: &c.name, result: c.result.as_ref().map_err(String::clone) }).collect();
    let report = match a.format.as_str() {
        "markdown" => render::markdown(&stacks),
        "json" => format!("{}\n", serde_json::to_string_pretty(&render::json(&stacks)).unwrap_or_default()),
        "prometheus" => render::prometheus(&stacks),
        _ => render::text(&stacks),
    };
    let mut code = super::plan_apply::combine_exit_codes(checked.iter().map(|c| match &c.result {
        Err(_) => 1,
        Ok(r) if r.has_drift() => 2,
        Ok(_) => 0,
    }));
    match &a.out {
        Some(path) => {
            if let Err(e) = std::fs::write(path, &report) {
                ctx.reporter.error(&format!("cannot write {}: {e}", path.display()));
                code = 1;
            }
        }
        None => out!("{report}"),
    }
    if let Some(url) = &a.push {
        for s in &stacks {
            if let Err(e) = push(url, s).await {
                ctx.reporter.error(&format!("pushing the metrics of {} to {url}: {e}", s.name));
                code = 1;
            }
        }
    }
    code
}

/// The Pushgateway's URL of a stack's group. A label value that is not a
/// plain path segment is sent base64-encoded (`stack@base64/...`), as the
/// Pushgateway documents.
pub fn group_url(base: &str, stack: &str) -> String {
    use base64::Engine;
    let base = base.trim_end_matches('/');
    let plain = !stack.is_empty() && stack.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')) && stack != "." && stack != "..";
    if plain {
        format!("{base}/metrics/job/iac_drift/stack/{stack}")
    } else {
        format!("{base}/metrics/job/iac_drift/stack@base64/{}", base64::engine::general_purpose::URL_SAFE.encode(stack))
    }
}

/// PUT replaces the group's metrics, so a type that stopped drifting drops out.
async fn push(url: &str, stack: &StackDrift<'_>) -> Result<(), String> {
    let body = render::prometheus(std::slice::from_ref(stack));
    let client = reqwest::Client::builder().timeout(std::time::Duration::from_secs(30)).build().map_err(|e| e.to_string())?;
    let resp = client
        .put(group_url(url, stack.name))
        .header(reqwest::header::CONTENT_TYPE, "text/plain; version=0.0.4")
        .body(body)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !resp.status().is_success() {
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        return Err(format!("{status}: {}", text.trim()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::group_url;

    #[test]
    fn group_urls_encode_label_values_that_are_not_path_segments() {
        assert_eq!(group_url("http://pg:9091/", "net"), "http://pg:9091/metrics/job/iac_drift/stack/net");
        assert_eq!(group_url("http://pg:9091", "stacks/a"), "http://pg:9091/metrics/job/iac_drift/stack@base64/c3RhY2tzL2E=");
    }
}
