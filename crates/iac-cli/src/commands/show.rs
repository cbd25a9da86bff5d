//! `iac show -format markdown plan.bin`: a saved plan as a pull-request
//! comment. The other forms of `show` are in `state.rs`.

use iac_lang::source::SourceMap;
use iac_render::markdown::{plan_comment, Options, Outcome, Section};

use super::{comment, Ctx};
use crate::args::ReportArgs;

pub enum Format {
    Human,
    Json,
    Markdown,
}

/// The format asked for with `-format` (or `-json`).
pub fn format(ctx: &Ctx, json: bool, report: &ReportArgs) -> Result<Format, u8> {
    match (report.format.as_deref(), json) {
        (None, false) | (Some("human"), false) => Ok(Format::Human),
        (None, true) | (Some("json"), _) => Ok(Format::Json),
        (Some("markdown"), false) => Ok(Format::Markdown),
        (Some(other), _) => {
            ctx.reporter.error(&format!("-format {other:?}: use human, json or markdown (and not with -json)"));
            Err(1)
        }
    }
}

pub fn markdown(ctx: &Ctx, report: &ReportArgs, file: Option<std::path::PathBuf>) -> u8 {
    let Some(file) = file else {
        ctx.reporter.error("show -format markdown needs a saved plan: iac show -format markdown PLAN_FILE");
        return 1;
    };
    let plan = match super::plan_apply::read_plan(&file) {
        Ok(p) => p,
        Err(e) => {
            ctx.reporter.error(&e);
            return 1;
        }
    };
    let sources = SourceMap::default();
    let name = comment::stack_name(&ctx.dir);
    let sections = [Section { name: &name, outcome: Outcome::Planned { plan: &plan, warnings: &[], sources: &sources } }];
    let parts = plan_comment(&sections, &Options::default());
    match comment::emit(&parts, report.markdown_dir.as_ref()) {
        Ok(()) => 0,
        Err(e) => {
            ctx.reporter.error(&e);
            1
        }
    }
}
