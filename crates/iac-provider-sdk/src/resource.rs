//! What one resource type or data source implements: its model, and the
//! operations on one object, typed. Planning is shared (see `plan.rs`); a
//! type adds its own rules in [`Resource::modify_plan`].

use std::sync::Mutex;

use async_trait::async_trait;
use iac_core::{AttrPath, Value};

use crate::model::Model;
use crate::provider::Configured;

/// What an operation on one object sees: the configured provider (its
/// clients and settings), the object's address, the provider's private
/// data for the object, and (planning and applying) its configuration.
pub struct Ctx<'a, P> {
    /// The configured provider.
    pub provider: &'a P,
    /// The object's address (`module.net.aws_vpc.main`), for messages and
    /// ownership tags.
    pub addr: &'a str,
    /// The private data the engine keeps for the object (never shown; what
    /// the last apply kept with [`Ctx::keep_private`]); None when there is none.
    pub private: Option<&'a serde_json::Value>,
    /// The object's configuration as written, before the shared planning
    /// rules (a plan's and an apply's; None for other operations): what a
    /// type whose state keeps less than it is given (a digest, as
    /// Terraform's hashing `StateFunc`s keep) sends to the API, and whether
    /// an optional computed argument is set or carried from the prior state.
    pub config: Option<&'a Value>,
    kept: Mutex<Option<serde_json::Value>>,
}

impl<'a, P> Ctx<'a, P> {
    /// A context for an operation on the object at `addr`.
    pub fn new(provider: &'a P, addr: &'a str, private: Option<&'a serde_json::Value>) -> Ctx<'a, P> {
        Ctx { provider, addr, private, config: None, kept: Mutex::new(None) }
    }

    /// The same context with the object's configuration.
    pub fn with_config(mut self, config: &'a Value) -> Ctx<'a, P> {
        self.config = Some(config);
        self
    }

    /// Keeps private data with the object (a create or update's, or a
    /// plan's for its apply): the engine stores it and hands it back as
    /// [`Ctx::private`]. A plan passes the prior private data on, and an
    /// apply keeps none, unless this is called.
    pub fn keep_private(&self, v: serde_json::Value) {
        *self.kept.lock().unwrap_or_else(|p| p.into_inner()) = Some(v);
    }

    /// What [`Ctx::keep_private`] kept.
    pub(crate) fn take_kept(&self) -> Option<serde_json::Value> {
        self.kept.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

/// A managed resource type.
#[async_trait]
pub trait Resource<P: Configured>: Send + Sync + 'static {
    /// The attributes, typed.
    type Model: Model;

    /// The type's name (`aws_vpc`).
    const TYPE: &'static str;
    /// The schema version recorded in state.
    const VERSION: u64 = 0;

    /// Checks beyond the schema, before any change: messages per attribute.
    fn validate(&self, _config: &Value) -> Vec<(AttrPath, String)> {
        Vec::new()
    }

    /// Rewrites a configuration into the form the API reports, before any
    /// planning (after the declared defaults): Terraform's `StateFunc`s
    /// (protocol `6` is `tcp`) and the zero values a legacy SDK provider
    /// writes where a nested object leaves an attribute out. Replacement is
    /// then decided on the canonical form, so a spelling the API rewrites
    /// is no change.
    fn canonical_config(&self, _config: &mut Value) {}

    /// The type's own planning after the shared rules: `planned` may hold
    /// unknown values; `prior` is None for a create or a replacement. It may
    /// ask the API (a version offered) or run a program (a chart rendered).
    async fn modify_plan(&self, _cx: &Ctx<'_, P>, _prior: Option<&Value>, _planned: &mut Value, _replace: &mut Vec<AttrPath>) -> Result<(), P::Error> {
        Ok(())
    }

    /// Creates the object; `planned` has `None` where only the API can tell.
    async fn create(&self, cx: &Ctx<'_, P>, planned: Self::Model) -> Result<Self::Model, P::Error>;

    /// The object as the API has it; None when it is gone.
    async fn read(&self, cx: &Ctx<'_, P>, current: Self::Model) -> Result<Option<Self::Model>, P::Error>;

    /// Changes the object in place. The default, for types whose every
    /// argument forces replacement or whose in-place changes live in state
    /// only, takes the planned value as the new one.
    async fn update(&self, _cx: &Ctx<'_, P>, _prior: Self::Model, planned: Self::Model) -> Result<Self::Model, P::Error> {
        Ok(planned)
    }

    /// Deletes the object. An error the provider calls "gone" counts as done.
    async fn delete(&self, cx: &Ctx<'_, P>, prior: Self::Model) -> Result<(), P::Error>;

    /// The value an import reads from: the object's id.
    fn import_stub(&self, id: &str) -> Value {
        Value::map([("id", Value::from(id))])
    }

    /// Imports the object `id` names; None when there is no such object.
    /// The default reads from [`Resource::import_stub`]; a type whose ids
    /// need a search, or that cannot be imported, says so here.
    async fn import(&self, cx: &Ctx<'_, P>, id: &str) -> Result<Option<Self::Model>, P::Error> {
        let stub = Self::Model::from_value(&self.import_stub(id))?;
        self.read(cx, stub).await
    }

    /// Finds the object an interrupted create made (by ownership tag or
    /// name). The default: creates leave nothing to find.
    async fn recover(&self, _cx: &Ctx<'_, P>, _planned: Self::Model) -> Result<Option<Self::Model>, P::Error> {
        Ok(None)
    }
}

/// A data source.
#[async_trait]
pub trait DataSource<P: Configured>: Send + Sync + 'static {
    /// The arguments and attributes, typed.
    type Model: Model;

    /// The data source's name (`aws_region`, without `data.`).
    const TYPE: &'static str;

    /// Reads the data for a wholly known configuration.
    async fn read(&self, cx: &Ctx<'_, P>, config: Self::Model) -> Result<Self::Model, P::Error>;
}

/// An ephemeral resource type (`ephemeral "TYPE" "NAME" { ... }`): opened
/// by every run that needs its value, which never reaches state or plans.
#[async_trait]
pub trait Ephemeral<P: Configured>: Send + Sync + 'static {
    /// The arguments and attributes, typed.
    type Model: Model;

    /// The type's name (`random_password`, without `ephemeral.`).
    const TYPE: &'static str;

    /// Opens it for a wholly known configuration, with its defaults applied.
    async fn open(&self, cx: &Ctx<'_, P>, config: Self::Model) -> Result<Self::Model, P::Error>;
}
