//! [`Factory`]: the engine-facing [`ProviderFactory`] of a provider whose
//! configuration needs nothing but its `provider` block and the run's
//! context. Providers that read more (AWS: the process environment) write
//! their own factory around [`crate::Types`] and [`crate::SdkProvider`].

use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use iac_core::provider::{ConfigureRequest, Provider, ProviderError, ProviderFactory};
use iac_core::schema::{Block, ProviderSchema};

use crate::provider::{Configured, SdkProvider};
use crate::types::Types;

/// A provider that configures itself from its `provider` block.
#[async_trait]
pub trait Configure: Configured {
    /// The `provider "NAME" { ... }` block's schema.
    fn provider_block() -> Block {
        Block::default()
    }
    /// The provider's one list of types.
    fn types() -> Types<Self>;
    /// Builds the configured provider from its evaluated block.
    async fn configure(req: &ConfigureRequest) -> Result<Self, ProviderError>;
}

/// Registers a [`Configure`] provider under [`Configured::NAME`]; its list
/// and schema are built on first use.
pub struct Factory<P> {
    types: OnceLock<Arc<Types<P>>>,
    schema: OnceLock<ProviderSchema>,
}

impl<P: Configure> Default for Factory<P> {
    fn default() -> Self {
        Factory { types: OnceLock::new(), schema: OnceLock::new() }
    }
}

impl<P: Configure> Factory<P> {
    /// The factory, as the engine's registry takes it.
    pub fn shared() -> Arc<dyn ProviderFactory> {
        Arc::new(Factory::<P>::default())
    }

    fn types(&self) -> &Arc<Types<P>> {
        self.types.get_or_init(|| Arc::new(P::types()))
    }
}

#[async_trait]
impl<P: Configure> ProviderFactory for Factory<P> {
    fn name(&self) -> &str {
        P::NAME
    }
    fn schema(&self) -> &ProviderSchema {
        self.schema.get_or_init(|| self.types().schema(P::provider_block()))
    }
    async fn configure(&self, req: ConfigureRequest) -> Result<Arc<dyn Provider>, ProviderError> {
        let provider = P::configure(&req).await?;
        Ok(Arc::new(SdkProvider::new(provider, self.types().clone())))
    }
}
