//! The one list of a provider's resource types and data sources, and the
//! type erasure that lets one list hold types with different models.

use std::collections::BTreeMap;

use async_trait::async_trait;
use iac_core::schema::{Block, ProviderSchema, ResourceSchema};
use iac_core::{AttrPath, Value};

use crate::model::{Model, Rules};
use crate::provider::Configured;
use crate::resource::{Ctx, DataSource, Ephemeral, Resource};

/// A resource type behind its name, working on attribute values.
#[async_trait]
pub(crate) trait AnyResource<P: Configured>: Send + Sync {
    fn schema(&self) -> &ResourceSchema;
    fn rules(&self) -> &Rules;
    fn validate(&self, config: &Value) -> Vec<(AttrPath, String)>;
    fn canonical_config(&self, config: &mut Value);
    async fn modify_plan(&self, cx: &Ctx<'_, P>, prior: Option<&Value>, planned: &mut Value, replace: &mut Vec<AttrPath>) -> Result<(), P::Error>;
    async fn create(&self, cx: &Ctx<'_, P>, planned: &Value) -> Result<Value, P::Error>;
    async fn update(&self, cx: &Ctx<'_, P>, prior: &Value, planned: &Value) -> Result<Value, P::Error>;
    async fn read(&self, cx: &Ctx<'_, P>, current: Value) -> Result<Option<Value>, P::Error>;
    async fn delete(&self, cx: &Ctx<'_, P>, prior: Value) -> Result<(), P::Error>;
    fn import_stub(&self, id: &str) -> Value;
    async fn import(&self, cx: &Ctx<'_, P>, id: &str) -> Result<Option<Value>, P::Error>;
    async fn recover(&self, cx: &Ctx<'_, P>, planned: &Value) -> Result<Option<Value>, P::Error>;
}

struct Typed<R> {
    r: R,
    schema: ResourceSchema,
    rules: Rules,
}

#[async_trait]
impl<P: Configured, R: Resource<P>> AnyResource<P> for Typed<R> {
    fn schema(&self) -> &ResourceSchema {
        &self.schema
    }
    fn rules(&self) -> &Rules {
        &self.rules
    }
    fn validate(&self, config: &Value) -> Vec<(AttrPath, String)> {
        self.r.validate(config)
    }
    fn canonical_config(&self, config: &mut Value) {
        self.r.canonical_config(config)
    }
    async fn modify_plan(&self, cx: &Ctx<'_, P>, prior: Option<&Value>, planned: &mut Value, replace: &mut Vec<AttrPath>) -> Result<(), P::Error> {
        self.r.modify_plan(cx, prior, planned, replace).await
    }
    async fn create(&self, cx: &Ctx<'_, P>, planned: &Value) -> Result<Value, P::Error> {
        let m = R::Model::from_value(planned)?;
        Ok(self.r.create(cx, m).await?.into_value())
    }
    async fn update(&self, cx: &Ctx<'_, P>, prior: &Value, planned: &Value) -> Result<Value, P::Error> {
        let (old, new) = (R::Model::from_value(prior)?, R::Model::from_value(planned)?);
        Ok(self.r.update(cx, old, new).await?.into_value())
    }
    async fn read(&self, cx: &Ctx<'_, P>, current: Value) -> Result<Option<Value>, P::Error> {
        let m = R::Model::from_owned(current)?;
        Ok(self.r.read(cx, m).await?.map(Model::into_value))
    }
    async fn delete(&self, cx: &Ctx<'_, P>, prior: Value) -> Result<(), P::Error> {
        let m = R::Model::from_owned(prior)?;
        self.r.delete(cx, m).await
    }
    fn import_stub(&self, id: &str) -> Value {
        self.r.import_stub(id)
    }
    async fn import(&self, cx: &Ctx<'_, P>, id: &str) -> Result<Option<Value>, P::Error> {
        Ok(self.r.import(cx, id).await?.map(Model::into_value))
    }
    async fn recover(&self, cx: &Ctx<'_, P>, planned: &Value) -> Result<Option<Value>, P::Error> {
        let m = R::Model::from_value(planned)?;
        Ok(self.r.recover(cx, m).await?.map(Model::into_value))
    }
}

/// A data source behind its name, working on attribute values.
#[async_trait]
pub(crate) trait AnyDataSource<P: Configured>: Send + Sync {
    fn schema(&self) -> &ResourceSchema;
    async fn read(&self, cx: &Ctx<'_, P>, config: &Value) -> Result<Value, P::Error>;
}

struct TypedData<D> {
    d: D,
    schema: ResourceSchema,
}

#[async_trait]
impl<P: Configured, D: DataSource<P>> AnyDataSource<P> for TypedData<D> {
    fn schema(&self) -> &ResourceSchema {
        &self.schema
    }
    async fn read(&self, cx: &Ctx<'_, P>, config: &Value) -> Result<Value, P::Error> {
        let m = D::Model::from_value(config)?;
        Ok(self.d.read(cx, m).await?.into_value())
    }
}

/// An ephemeral resource type behind its name, working on attribute values.
#[async_trait]
pub(crate) trait AnyEphemeral<P: Configured>: Send + Sync {
    fn schema(&self) -> &ResourceSchema;
    async fn open(&self, cx: &Ctx<'_, P>, config: &Value) -> Result<Value, P::Error>;
}

struct TypedEphemeral<E> {
    e: E,
    schema: ResourceSchema,
    rules: Rules,
}

#[async_trait]
impl<P: Configured, E: Ephemeral<P>> AnyEphemeral<P> for TypedEphemeral<E> {
    fn schema(&self) -> &ResourceSchema {
        &self.schema
    }
    async fn open(&self, cx: &Ctx<'_, P>, config: &Value) -> Result<Value, P::Error> {
        let mut config = config.clone();
        crate::plan::apply_defaults(&mut config, &self.rules);
        let m = E::Model::from_value(&config)?;
        Ok(self.e.open(cx, m).await?.to_value())
    }
}

/// A provider's resource types, data sources and ephemeral resource types:
/// its one registration list.
pub struct Types<P> {
    pub(crate) resources: BTreeMap<&'static str, Box<dyn AnyResource<P>>>,
    pub(crate) data_sources: BTreeMap<&'static str, Box<dyn AnyDataSource<P>>>,
    pub(crate) ephemerals: BTreeMap<&'static str, Box<dyn AnyEphemeral<P>>>,
}

impl<P: Configured> Default for Types<P> {
    fn default() -> Self {
        Types { resources: BTreeMap::new(), data_sources: BTreeMap::new(), ephemerals: BTreeMap::new() }
    }
}

impl<P: Configured> Types<P> {
    /// An empty list.
    pub fn new() -> Types<P> {
        Types::default()
    }

    /// Registers a resource type. Panics on a name registered twice: that
    /// is a programming error a provider's first test finds.
    pub fn resource<R: Resource<P>>(mut self, r: R) -> Types<P> {
        let typed = Typed { schema: ResourceSchema { version: R::VERSION, block: R::Model::block() }, rules: R::Model::rules(), r };
        assert!(self.resources.insert(R::TYPE, Box::new(typed)).is_none(), "resource type {} registered twice", R::TYPE);
        self
    }

    /// Registers a data source. Panics on a name registered twice.
    pub fn data_source<D: DataSource<P>>(mut self, d: D) -> Types<P> {
        let typed = TypedData { schema: ResourceSchema { version: 0, block: D::Model::block() }, d };
        assert!(self.data_sources.insert(D::TYPE, Box::new(typed)).is_none(), "data source {} registered twice", D::TYPE);
        self
    }

    /// Registers an ephemeral resource type. Panics on a name registered twice.
    pub fn ephemeral<E: Ephemeral<P>>(mut self, e: E) -> Types<P> {
        let typed = TypedEphemeral { schema: ResourceSchema { version: 0, block: E::Model::block() }, rules: E::Model::rules(), e };
        assert!(self.ephemerals.insert(E::TYPE, Box::new(typed)).is_none(), "ephemeral resource type {} registered twice", E::TYPE);
        self
    }

    /// The provider's schema: its `provider` block and every registered type.
    pub fn schema(&self, provider: Block) -> ProviderSchema {
        ProviderSchema {
            provider,
            resources: self.resources.iter().map(|(k, r)| (k.to_string(), r.schema().clone())).collect(),
            data_sources: self.data_sources.iter().map(|(k, d)| (k.to_string(), d.schema().clone())).collect(),
            ephemeral_resources: self.ephemerals.iter().map(|(k, e)| (k.to_string(), e.schema().clone())).collect(),
        }
    }

    /// The registered resource type names, sorted.
    pub fn resource_types(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.resources.keys().copied()
    }

    /// The registered data source names, sorted.
    pub fn data_source_types(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.data_sources.keys().copied()
    }
}
