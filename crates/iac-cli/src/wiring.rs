//! The one place that chooses concrete providers and state backends.

use std::path::Path;
use std::sync::Arc;

use iac_core::backend::StateBackend;
use iac_engine::providers::Registry;
use iac_lang::config::Backend;

pub fn registry() -> Registry {
    let mut r = Registry::new();
    for f in iac_provider_builtin::factories() {
        r.register(f);
    }
    r.register(Arc::new(iac_provider_digitalocean::DigitalOceanFactory::from_env()));
    r
}

/// The stack's backend: `terraform { backend "local" { path = "..." } }`, or
/// the default local state under the repository's `state/` folder.
pub fn backend(stack_dir: &Path, configured: Option<&Backend>, overrides: &[(String, String)]) -> Result<Arc<dyn StateBackend>, String> {
    let Some(b) = configured else {
        return Ok(Arc::new(iac_state_local::LocalBackend::new(iac_engine::ops::default_state_dir(stack_dir))));
    };
    match b.type_.as_str() {
        "local" => {
            let path = overrides.iter().find(|(k, _)| k == "path").map(|(_, v)| v.clone()).or_else(|| b.settings.get("path").and_then(|v| v.as_str()).map(str::to_string));
            let dir = match path {
                Some(p) => stack_dir.join(p),
                None => iac_engine::ops::default_state_dir(stack_dir),
            };
            Ok(Arc::new(iac_state_local::LocalBackend::new(dir)))
        }
        other => Err(format!("backend {other:?} is not available in this build (available: local)")),
    }
}
