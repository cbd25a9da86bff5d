//! [`SdkProvider`]: a configured provider and its list of types, served as
//! the engine's [`Provider`]. Lookups by type name happen here, once.

use std::sync::Arc;

use async_trait::async_trait;
use iac_core::provider::*;
use iac_core::schema::Block;
use iac_core::{AttrPath, Value};

use crate::model::DecodeError;
use crate::resource::Ctx;
use crate::types::{AnyResource, Types};

/// A configured provider built on the SDK: its clients and settings, and
/// the provider-wide rules its types share.
#[async_trait]
pub trait Configured: Send + Sync + Sized + 'static {
    /// The provider's error type; a model that does not decode is one.
    type Error: From<DecodeError> + Into<ProviderError> + std::fmt::Display + Send + Sync + 'static;

    /// The provider's name, for messages (`aws`).
    const NAME: &'static str;

    /// Whether the upstream provider this one replaces is built on
    /// Terraform's legacy plugin SDK, whose state holds Go's zero values for
    /// arguments left out (the `zero` module). Providers built on the plugin
    /// framework (the random provider, ...) tell null from `{}` and `""`.
    const LEGACY_SDK_STATE: bool = false;

    /// How many operations may run at once (None: the engine's limit).
    fn max_concurrency(&self) -> Option<usize> {
        None
    }

    /// Provider-wide planning rules applied to a configuration before the
    /// default plan (AWS: `tags_all` from the provider's `default_tags`).
    fn prepare_config(&self, _block: &Block, _config: &mut Value) {}

    /// Provider-wide shaping of what create, update, read and recover
    /// return, given the value they started from (AWS: the API's tags split
    /// into `tags` and `tags_all`). A provider whose shaping looks at that
    /// value says so in [`Configured::finish_read_uses_current`] too.
    fn finish_read(&self, _block: &Block, _current: &Value, _read: &mut Value) {}

    /// Whether [`Configured::finish_read`] looks at the current value a
    /// read starts from, for a type with this block. When false (the
    /// default, right for the default `finish_read`), a read moves the
    /// current value into the type's model instead of copying it (the
    /// refresh of every resource in a plan paid that copy), and
    /// `finish_read` of a read sees only the type's `local` attributes of it.
    fn finish_read_uses_current(&self, _block: &Block) -> bool {
        false
    }

    /// Whether two texts of a `json` attribute are the same document to the
    /// provider's API (then the planned text is the prior one). The
    /// default: [`crate::json_equal`]. An API that rewrites documents (IAM
    /// writes a one-element list as its element) says more.
    fn json_equal(a: &str, b: &str) -> bool {
        crate::json_equal(a, b)
    }

    /// Whether an error means the object is already gone (a delete of it is
    /// then done).
    fn is_gone(_e: &Self::Error) -> bool {
        false
    }

    /// Lists cloud objects for `iac drift -unmanaged`.
    async fn list_objects(&self, _types: &[String]) -> Result<Vec<CloudObject>, ProviderError> {
        Err(ProviderError::Unsupported("listing cloud objects".into()))
    }
}

/// A configured provider serving its registered types to the engine.
pub struct SdkProvider<P> {
    provider: P,
    types: Arc<Types<P>>,
}

impl<P: Configured> SdkProvider<P> {
    /// Serves `types` with `provider`'s clients and settings.
    pub fn new(provider: P, types: Arc<Types<P>>) -> SdkProvider<P> {
        SdkProvider { provider, types }
    }

    /// The configured provider.
    pub fn inner(&self) -> &P {
        &self.provider
    }

    fn resource(&self, t: &str) -> Result<&dyn AnyResource<P>, ProviderError> {
        self.types.resources.get(t).map(|r| r.as_ref()).ok_or_else(|| ProviderError::Unsupported(format!("the {} provider has no resource type {t}", P::NAME)))
    }

    fn cx<'a>(&'a self, addr: &'a str, private: Option<&'a serde_json::Value>) -> Ctx<'a, P> {
        Ctx::new(&self.provider, addr, private)
    }

    /// A result in the type's shape: local attributes carried over from
    /// `current`, then the provider's own shaping.
    fn finish(&self, r: &dyn AnyResource<P>, current: &Value, mut read: Value) -> Value {
        if let Value::Map(m) = &mut read {
            for k in &r.rules().local {
                m.insert(k.to_string(), current.get(k).cloned().unwrap_or(Value::Null));
            }
        }
        self.provider.finish_read(&r.schema().block, current, &mut read);
        read
    }
}

fn err<E: Into<ProviderError>>(e: E) -> ProviderError {
    e.into()
}

#[async_trait]
impl<P: Configured> Provider for SdkProvider<P> {
    fn max_concurrency(&self) -> Option<usize> {
        self.provider.max_concurrency()
    }

    fn validate_resource(&self, type_: &str, config: &Value) -> Vec<(AttrPath, String)> {
        self.types.resources.get(type_).map(|r| r.validate(config)).unwrap_or_default()
    }

    async fn plan_change(&self, req: PlanChangeRequest) -> Result<PlanChangeResponse, ProviderError> {
        let r = self.resource(&req.type_)?;
        let addr = req.addr.to_string();
        let cx = self.cx(&addr, req.private.as_ref()).with_config(&req.config);
        let mut resp = crate::plan::plan(r, &cx, req.prior.as_ref(), &req.config).await.map_err(err)?;
        resp.private = cx.take_kept().or_else(|| req.private.clone());
        Ok(resp)
    }

    async fn apply_change(&self, req: ApplyChangeRequest) -> Result<ApplyChangeResponse, ProviderError> {
        let r = self.resource(&req.type_)?;
        let addr = req.addr.to_string();
        let cx = self.cx(&addr, req.private.as_ref()).with_config(&req.config);
        let v = match &req.prior {
            None => r.create(&cx, &req.planned).await,
            Some(prior) => r.update(&cx, prior, &req.planned).await,
        }
        .map_err(err)?;
        Ok(ApplyChangeResponse { new_state: self.finish(r, &req.planned, v), private: cx.take_kept() })
    }

    async fn read(&self, req: ReadRequest) -> Result<Option<Value>, ProviderError> {
        let r = self.resource(&req.type_)?;
        let addr = req.addr.to_string();
        // What `finish` needs of the current value, kept before the value
        // moves into the model: all of it, or only the local attributes.
        let kept = if self.provider.finish_read_uses_current(&r.schema().block) {
            req.current.clone()
        } else {
            Value::Map(r.rules().local.iter().filter_map(|k| Some((k.to_string(), req.current.get(k)?.clone()))).collect())
        };
        let v = r.read(&self.cx(&addr, req.private.as_ref()), req.current).await.map_err(err)?;
        Ok(v.map(|v| self.finish(r, &kept, v)))
    }

    async fn delete(&self, req: DeleteRequest) -> Result<(), ProviderError> {
        let r = self.resource(&req.type_)?;
        let addr = req.addr.to_string();
        match r.delete(&self.cx(&addr, req.private.as_ref()), req.prior).await {
            Err(e) if P::is_gone(&e) => Ok(()),
            other => other.map_err(err),
        }
    }

    async fn import(&self, req: ImportRequest) -> Result<Value, ProviderError> {
        let r = self.resource(&req.type_)?;
        let addr = req.addr.to_string();
        let stub = r.import_stub(&req.id);
        match r.import(&self.cx(&addr, None), &req.id).await.map_err(err)? {
            Some(v) => {
                let mut v = self.finish(r, &stub, v);
                // Configuration-only attributes of an imported object take
                // their defaults, as a configuration that leaves them out.
                if let Value::Map(m) = &mut v {
                    for (k, d) in &r.rules().defaults {
                        if r.rules().local.contains(k) && m.get(*k).is_none_or(Value::is_null) {
                            m.insert(k.to_string(), d.clone());
                        }
                    }
                }
                Ok(v)
            }
            None => Err(ProviderError::InvalidConfig(format!("{addr}: cannot import {:?}: no such {} exists", req.id, req.type_))),
        }
    }

    async fn read_data(&self, req: ReadDataRequest) -> Result<Value, ProviderError> {
        let d = self
            .types
            .data_sources
            .get(req.type_.as_str())
            .ok_or_else(|| ProviderError::Unsupported(format!("the {} provider has no data source {}", P::NAME, req.type_)))?;
        let addr = req.addr.to_string();
        d.read(&self.cx(&addr, None), &req.config).await.map_err(err)
    }

    async fn recover(&self, req: RecoverRequest) -> Result<Option<Value>, ProviderError> {
        let Ok(r) = self.resource(&req.type_) else { return Ok(None) };
        let addr = req.addr.to_string();
        let found = r.recover(&self.cx(&addr, None), &req.planned).await.map_err(err)?;
        if found.is_some() {
            tracing::info!(addr, "found the object an interrupted create made");
        }
        Ok(found.map(|v| self.finish(r, &req.planned, v)))
    }

    async fn list_objects(&self, types: &[String]) -> Result<Vec<CloudObject>, ProviderError> {
        self.provider.list_objects(types).await
    }

    async fn open_ephemeral(&self, req: OpenEphemeralRequest) -> Result<OpenEphemeralResponse, ProviderError> {
        let e = self
            .types
            .ephemerals
            .get(req.type_.as_str())
            .ok_or_else(|| ProviderError::Unsupported(format!("the {} provider has no ephemeral resource type {}", P::NAME, req.type_)))?;
        let addr = req.addr.to_string();
        let value = e.open(&self.cx(&addr, None), &req.config).await.map_err(err)?;
        Ok(OpenEphemeralResponse { value, renew_at: None, private: None })
    }
}
