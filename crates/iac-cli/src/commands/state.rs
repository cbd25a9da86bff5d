//! `iac show`, `iac output`, `iac state …`, `iac force-unlock`.

use std::path::PathBuf;

use iac_core::address::{InstanceAddr, Target};
use iac_core::json::{Json, Map};
use iac_engine::ops;
use iac_engine::EngineError;
use iac_render::human::{inline, render_plan, Style};

use super::Ctx;
use crate::args::StateCommand;

async fn current_state(ctx: &Ctx) -> Result<iac_core::state::State, u8> {
    let env = ctx.env(None, None)?;
    ops::read_state(env.backend.as_ref()).await.map_err(|e| ctx.fail(&e, None))
}

/// Full provider source addresses from the stack's `required_providers`
/// (defaults when the stack cannot be read: state is shown without it).
pub fn provider_sources(ctx: &Ctx) -> std::collections::BTreeMap<String, String> {
    let (stack, _) = iac_lang::load::load_stack(&ctx.dir);
    iac_lang::tfconfig::provider_sources(&stack.root)
}

/// `iac show [-json [-show-sensitive]] [PLAN]`; `json` holds the JSON options.
pub async fn show(ctx: &Ctx, json: Option<iac_render::json::Options>, file: Option<PathBuf>) -> u8 {
    if let Some(f) = file {
        let plan = match super::plan_apply::read_plan(&f) {
            Ok(p) => p,
            Err(e) => {
                ctx.reporter.error(&e);
                return 1;
            }
        };
        if let Some(opts) = json {
            // One line, as Terraform prints it.
            outln!("{}", iac_render::json::plan_json(&plan, opts).to_text());
        } else {
            out!("{}", render_plan(&plan, Style { color: ctx.color }));
        }
        return 0;
    }
    let state = match current_state(ctx).await {
        Ok(s) => s,
        Err(c) => return c,
    };
    if let Some(opts) = json {
        outln!("{}", iac_render::json::state_json(&state, &provider_sources(ctx), opts).to_text());
        return 0;
    }
    if state.is_empty() {
        outln!("The state is empty.");
        return 0;
    }
    for (addr, inst) in &state.resources {
        outln!("# {addr}:");
        let kw = if addr.resource.mode == iac_core::address::Mode::Data { "data" } else { "resource" };
        outln!("{kw} {:?} {:?} {}\n", addr.resource.type_, addr.resource.name, inline(&inst.value(), 0));
    }
    if !state.outputs.is_empty() {
        outln!("Outputs:\n");
        for (k, o) in &state.outputs {
            let v = o.value.clone().mark_if(o.sensitive);
            outln!("{k} = {}", inline(&v, 0));
        }
    }
    0
}

pub async fn output(ctx: &Ctx, json: bool, raw: bool, name: Option<String>) -> u8 {
    let state = match current_state(ctx).await {
        Ok(s) => s,
        Err(c) => return c,
    };
    match name {
        Some(n) => {
            let Some(o) = state.outputs.get(&n) else {
                ctx.reporter.error(&format!("no output named {n:?} (outputs: {})", state.outputs.keys().cloned().collect::<Vec<_>>().join(", ")));
                return 1;
            };
            if raw {
                match &o.value {
                    iac_core::Value::String(s) => out!("{s}"),
                    iac_core::Value::Number(n) => out!("{n}"),
                    iac_core::Value::Bool(b) => out!("{b}"),
                    _ => {
                        ctx.reporter.error("-raw works only for strings, numbers and bools; use -json");
                        return 1;
                    }
                }
            } else if json {
                outln!("{}", Json::from_value(&o.value).to_text());
            } else {
                outln!("{}", inline(&o.value.clone().mark_if(o.sensitive && !raw), 0));
            }
        }
        None => {
            if json {
                let all: Map = state
                    .outputs
                    .iter()
                    .map(|(k, o)| {
                        let value = Json::from_value(&o.value);
                        let type_ = iac_render::json::output_type_json(o);
                        (k.clone(), Json::Object(Map::from_iter([("sensitive", Json::Bool(o.sensitive)), ("type", type_), ("value", value)])))
                    })
                    .collect();
                outln!("{}", Json::Object(all).to_text_pretty());
            } else {
                for (k, o) in &state.outputs {
                    outln!("{k} = {}", inline(&o.value.clone().mark_if(o.sensitive), 0));
                }
            }
        }
    }
    0
}

pub async fn state(ctx: &Ctx, cmd: StateCommand) -> u8 {
    match cmd {
        StateCommand::List { addresses } => {
            let state = match current_state(ctx).await {
                Ok(s) => s,
                Err(c) => return c,
            };
            let filters: Vec<Target> = addresses.iter().filter_map(|a| a.parse().ok()).collect();
            for addr in state.resources.keys() {
                if filters.is_empty() || filters.iter().any(|f| f.contains(addr)) {
                    outln!("{addr}");
                }
            }
            0
        }
        StateCommand::Show { address } => {
            let state = match current_state(ctx).await {
                Ok(s) => s,
                Err(c) => return c,
            };
            let addr: InstanceAddr = match address.parse() {
                Ok(a) => a,
                Err(e) => {
                    ctx.reporter.error(&e.to_string());
                    return 1;
                }
            };
            match state.resources.get(&addr) {
                Some(inst) => {
                    outln!("# {addr}:\nresource {:?} {:?} {}", addr.resource.type_, addr.resource.name, inline(&inst.value(), 0));
                    0
                }
                None => {
                    ctx.reporter.error(&format!("no instance {addr} in state"));
                    1
                }
            }
        }
        StateCommand::Pull { version: Some(id), .. } => {
            let env = match ctx.env(None, None) {
                Ok(e) => e,
                Err(c) => return c,
            };
            match env.backend.load_version(&id).await {
                Ok(bytes) => {
                    outln!("{}", String::from_utf8_lossy(&bytes));
                    0
                }
                Err(e) => ctx.fail(&EngineError::State(e), None),
            }
        }
        StateCommand::History { json } => history(ctx, json).await,
        StateCommand::Rekey { lock } => rekey(ctx, &lock).await,
        StateCommand::Pull { version: None, raw } => {
            let env = match ctx.env(None, None) {
                Ok(e) => e,
                Err(c) => return c,
            };
            match ops::read_state(env.backend.as_ref()).await {
                Ok(s) if raw => {
                    outln!("{}", String::from_utf8_lossy(&s.to_bytes()));
                    0
                }
                Ok(s) => {
                    let v4 = iac_render::tfstate::to_v4(&s, &provider_sources(ctx), &env.registry);
                    outln!("{}", v4.to_text_pretty());
                    0
                }
                Err(e) => ctx.fail(&e, None),
            }
        }
        StateCommand::Push { lock, force, file } => push(ctx, &lock, force, &file).await,
        StateCommand::Mv { lock, source, destination } => {
            let (from, to) = match (source.parse::<Target>(), destination.parse::<Target>()) {
                (Ok(f), Ok(t)) => (f, t),
                (Err(e), _) | (_, Err(e)) => {
                    ctx.reporter.error(&e.to_string());
                    return 1;
                }
            };
            let env = match ctx.env(None, Some(&lock)) {
                Ok(e) => e,
                Err(c) => return c,
            };
            let r = ops::edit_state(&env, "state mv", |s| {
                let olds: Vec<InstanceAddr> = s.resources.keys().filter(|a| from.contains(a)).cloned().collect();
                if olds.is_empty() {
                    return Err(EngineError::Invalid(format!("nothing in state matches {from}")));
                }
                let mut moved = Vec::new();
                for old in olds {
                    let Some(new) = from.relocate(&to, &old) else {
                        return Err(EngineError::Invalid(format!("cannot move {from} to {to}: both must be modules, resources, or instances")));
                    };
                    if old.resource.type_ != new.resource.type_ {
                        return Err(EngineError::Invalid(format!("cannot move {old} to {new}: the resource types differ")));
                    }
                    if s.resources.contains_key(&new) {
                        return Err(EngineError::Invalid(format!("{new} already exists in state")));
                    }
                    let inst = s.resources.remove(&old).expect("listed above");
                    s.resources.insert(new.clone(), inst);
                    moved.push((old, new));
                }
                Ok(moved)
            })
            .await;
            match r {
                Ok(moved) => {
                    for (o, n) in moved {
                        outln!("Moved {o} to {n}");
                    }
                    0
                }
                Err(e) => ctx.fail(&e, None),
            }
        }
        StateCommand::Rm { lock, addresses } => {
            let targets: Vec<Target> = match addresses.iter().map(|a| a.parse()).collect::<Result<_, _>>() {
                Ok(t) => t,
                Err(e) => {
                    ctx.reporter.error(&format!("{e}"));
                    return 1;
                }
            };
            let env = match ctx.env(None, Some(&lock)) {
                Ok(e) => e,
                Err(c) => return c,
            };
            let r = ops::edit_state(&env, "state rm", |s| {
                let gone: Vec<InstanceAddr> = s.resources.keys().filter(|a| targets.iter().any(|t| t.contains(a))).cloned().collect();
                if gone.is_empty() {
                    return Err(EngineError::Invalid("nothing in state matches the given addresses".into()));
                }
                for a in &gone {
                    s.resources.remove(a);
                }
                Ok(gone)
            })
            .await;
            match r {
                Ok(gone) => {
                    for a in &gone {
                        outln!("Removed {a}");
                    }
                    outln!("Successfully removed {} resource instance(s).", gone.len());
                    0
                }
                Err(e) => ctx.fail(&e, None),
            }
        }
    }
}

/// `iac state push FILE`: as Terraform, a state of another lineage or an
/// older serial is refused unless -force; the pushed state keeps at least
/// its serial.
async fn push(ctx: &Ctx, lock: &crate::args::LockArgs, force: bool, file: &std::path::Path) -> u8 {
    let bytes = match std::fs::read(file) {
        Ok(b) => b,
        Err(e) => {
            ctx.reporter.error(&format!("cannot read {}: {e}", file.display()));
            return 1;
        }
    };
    let env = match ctx.env(None, Some(lock)) {
        Ok(e) => e,
        Err(c) => return c,
    };
    let mut pushed = match iac_render::tfstate::from_v4(&bytes, &env.registry) {
        Ok(s) => s,
        Err(e) => {
            ctx.reporter.error(&format!("{}: {e}", file.display()));
            return 1;
        }
    };
    pushed.pending.clear();
    let r = ops::edit_state(&env, "state push", |s| {
        let has_state = !s.is_empty() || s.serial > 0;
        if has_state && !force {
            if s.lineage != pushed.lineage {
                return Err(EngineError::Invalid(format!(
                    "cannot push a state of lineage {} over lineage {} (a different state): use -force to replace it anyway",
                    pushed.lineage, s.lineage
                )));
            }
            if pushed.serial < s.serial {
                return Err(EngineError::Invalid(format!(
                    "cannot push serial {} over the newer serial {}: use -force to replace it anyway",
                    pushed.serial, s.serial
                )));
            }
        }
        // The snapshot adds one to the serial: keep at least the pushed one, and move forward.
        let serial = pushed.serial.max(s.serial + 1).saturating_sub(1);
        // A forced push of another lineage keeps the backend's lineage: backends
        // refuse to change it under a running history (their guard against mixing states).
        let lineage = if has_state { s.lineage.clone() } else { pushed.lineage.clone() };
        *s = std::mem::replace(&mut pushed, iac_core::state::State::new(String::new()));
        s.serial = serial;
        s.lineage = lineage;
        Ok(s.resources.len())
    })
    .await;
    match r {
        Ok(n) => {
            outln!("State pushed from {} ({n} resource instances).", file.display());
            0
        }
        Err(e) => ctx.fail(&e, None),
    }
}

/// `iac state history`: the backend's versions, newest first.
async fn history(ctx: &Ctx, json: bool) -> u8 {
    let env = match ctx.env(None, None) {
        Ok(e) => e,
        Err(c) => return c,
    };
    let versions = match env.backend.history().await {
        Ok(v) => v,
        Err(e) => return ctx.fail(&EngineError::State(e), None),
    };
    if json {
        outln!("{}", serde_json::to_string_pretty(&versions).unwrap_or_default());
        return 0;
    }
    if versions.is_empty() {
        outln!("No state versions in {}.", env.backend.describe());
        return 0;
    }
    let width = versions.iter().map(|v| v.id.len()).max().unwrap_or(2).max(2);
    outln!("{:<width$}  {:>6}  {:<20}  {:>10}  LINEAGE", "ID", "SERIAL", "CREATED", "BYTES");
    for v in &versions {
        outln!("{:<width$}  {:>6}  {:<20}  {:>10}  {}", v.id, v.serial, v.created, v.size, v.lineage);
    }
    0
}

/// `iac state rekey`: rewrites the state (journal folded in) as a new
/// snapshot sealed with the current key.
async fn rekey(ctx: &Ctx, lock: &crate::args::LockArgs) -> u8 {
    let keys = match crate::wiring::state_keys() {
        Ok(k) => k,
        Err(e) => {
            ctx.reporter.error(&e);
            return 1;
        }
    };
    if !keys.seals() {
        ctx.reporter.error("iac state rekey: set IAC_STATE_KEY or IAC_STATE_PASSPHRASE to the new key (and IAC_STATE_OLD_KEY or IAC_STATE_OLD_PASSPHRASE to the current one, if the state is encrypted)");
        return 1;
    }
    let env = match ctx.env(None, Some(lock)) {
        Ok(e) => e,
        Err(c) => return c,
    };
    match ops::edit_state(&env, "state rekey", |s| Ok(s.serial + 1)).await {
        Ok(serial) => {
            // The backend's keyring is its own; a raw key's id is fixed, a passphrase's is shown in `state pull` errors.
            let id = keys.sealing_key_id().map(|id| format!(" under key id {id}")).unwrap_or_default();
            outln!("State re-encrypted{id} as serial {serial}. Versions in history keep the key they were written with.");
            0
        }
        Err(e) => ctx.fail(&e, None),
    }
}

pub async fn force_unlock(ctx: &Ctx, id: String) -> u8 {
    let env = match ctx.env(None, None) {
        Ok(e) => e,
        Err(c) => return c,
    };
    match env.backend.force_unlock(&id).await {
        Ok(()) => {
            outln!("iac state has been successfully unlocked.");
            0
        }
        Err(e) => ctx.fail(&EngineError::State(e), None),
    }
}
