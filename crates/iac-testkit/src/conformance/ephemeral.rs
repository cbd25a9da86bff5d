//! The conformance suite's part for ephemeral resource types (`ephemeral
//! "TYPE" "NAME"`), which have no state to plan against: for each type,
//! through the provider as the engine calls it,
//!
//! - opening a valid configuration returns a wholly known value that
//!   conforms to the type's schema;
//! - renewing (with the private data the open gave) and closing are accepted;
//! - opening an invalid configuration is refused with an error (the
//!   diagnostic the engine shows), not a value;
//!
//! and through the engine's `ops` layer, a stack using the type plans and
//! applies with no change and no state of the ephemeral instance, and plans
//! nothing afterwards.

use std::path::Path;

use iac_core::address::{InstanceAddr, InstanceKey, LocalResourceAddr, Mode, ModulePath};
use iac_core::provider::{CloseEphemeralRequest, ConfigureRequest, OpenEphemeralRequest, ProviderContext, RenewEphemeralRequest};
use iac_core::Value;
use iac_engine::ops::{self, Env};

use iac_core::plan::PlanMode;

use super::provider::{apply, conforms, plan};

/// One ephemeral resource type's scenario.
pub struct EphemeralCase {
    /// The provider's name in the registry (`random`).
    pub provider: String,
    /// The `provider` block's configuration (wholly known).
    pub provider_config: Value,
    pub type_: String,
    /// A configuration the type opens (attributes not given are null).
    pub config: Value,
    /// A configuration the type must refuse.
    pub bad_config: Value,
    /// A stack's `main.tf` that declares an `ephemeral` block of the type.
    pub main_tf: String,
}

/// Runs an ephemeral case with `env` (its registry holds the provider) in
/// `dir`, an empty directory.
pub async fn run_ephemeral(case: &EphemeralCase, dir: &Path, env: &Env) {
    let what = format!("ephemeral {}", case.type_);
    let factory = env.registry.get(&case.provider).unwrap_or_else(|| panic!("{what}: provider {:?} is not registered", case.provider));
    let schema = factory.schema().ephemeral_resources.get(&case.type_).unwrap_or_else(|| panic!("{what}: the provider has no such ephemeral type"));
    let context = ProviderContext { stack_id: "conformance".into(), stack_dir: dir.to_path_buf() };
    let provider = factory
        .configure(ConfigureRequest { config: case.provider_config.clone(), context })
        .await
        .unwrap_or_else(|e| panic!("{what}: configuring the provider failed: {e}"));
    let addr: InstanceAddr = LocalResourceAddr::new(Mode::Ephemeral, &case.type_, "conformance").in_module(&ModulePath::root()).instance(InstanceKey::None);
    // As the engine hands a configuration over: every attribute, null when not set.
    let full = |config: &Value| -> Value {
        let mut m = config.as_map().cloned().unwrap_or_default();
        for name in schema.block.attributes.keys() {
            if m.get(name).is_none() {
                m.insert(name.clone(), Value::Null);
            }
        }
        Value::Map(m)
    };
    let open = |config: &Value| OpenEphemeralRequest { type_: case.type_.clone(), addr: addr.clone(), config: full(config) };

    let opened = provider.open_ephemeral(open(&case.config)).await.unwrap_or_else(|e| panic!("{what}: opening a valid configuration failed: {e}"));
    let value = opened.value.unmark_deep().0;
    assert!(value.is_wholly_known(), "{what}: the opened value has unknown parts: {value}");
    let problems = conforms(&schema.block, &value, &addr.to_string());
    assert!(problems.is_empty(), "{what}: the opened value does not conform to the schema:\n{}", problems.join("\n"));
    let renewed = provider
        .renew_ephemeral(RenewEphemeralRequest { type_: case.type_.clone(), addr: addr.clone(), private: opened.private.clone() })
        .await
        .unwrap_or_else(|e| panic!("{what}: renewing failed: {e}"));
    provider
        .close_ephemeral(CloseEphemeralRequest { type_: case.type_.clone(), addr: addr.clone(), private: renewed.private.or(opened.private) })
        .await
        .unwrap_or_else(|e| panic!("{what}: closing failed: {e}"));
    let refused = provider.open_ephemeral(open(&case.bad_config)).await;
    assert!(refused.is_err(), "{what}: an invalid configuration was opened: {:?}", refused.map(|r| r.value));

    std::fs::write(dir.join("main.tf"), &case.main_tf).expect("writing the stack");
    let p = plan(dir, env, PlanMode::Normal, &what).await;
    assert!(p.changes.iter().all(|c| c.addr.resource.mode != Mode::Ephemeral), "{what}: the plan records a change of an ephemeral instance");
    apply(dir, env, p, 1, &what).await;
    let state = ops::read_state(env.backend.as_ref()).await.expect("state reads");
    assert!(state.resources.keys().all(|a| a.resource.mode != Mode::Ephemeral), "{what}: state holds an ephemeral instance");
    let again = plan(dir, env, PlanMode::Normal, &what).await;
    assert!(
        !again.has_changes(),
        "{what}: a plan after apply has changes: {:?}",
        again.changes.iter().map(|c| (c.action, c.addr.to_string())).collect::<Vec<_>>()
    );
}
