//! The provider SDK: what every native provider is built on, after
//! terraform-plugin-framework. A resource type is one typed model (a struct
//! deriving [`Model`], from which its schema and its conversion to and from
//! attribute values come) plus create, read, update and delete
//! ([`Resource`]); a data source is a model plus a read ([`DataSource`]);
//! an ephemeral resource type a model plus an open ([`Ephemeral`]).
//! Each provider registers its types in one list ([`Types`]), and
//! [`SdkProvider`] serves that list as an engine-facing
//! [`iac_core::provider::Provider`]: dispatch by type name, the shared
//! planning rules (defaults, replacement, JSON-equal documents, Go's zero
//! values in state from Terraform's plugin as arguments left out, computed
//! values unknown on replacement), configuration-only attributes carried
//! through reads, and "already gone" deletes treated as done.
//!
//! Architecture Invariant: depends on `iac-core` only (and its own derive
//! macro). It must never depend on the engine, the language crate, the CLI
//! or any provider: providers depend on it, not the other way round.

#![deny(missing_docs)]

mod factory;
pub mod model;
mod plan;
mod provider;
mod resource;
mod types;
mod zero;

pub use factory::{Configure, Factory};
pub use iac_core::schema;
pub use iac_core::{AttrPath, Value, ValueMap};
pub use iac_provider_sdk_derive::Model;
pub use model::{DecodeError, Field, Model};
pub use plan::json_equal;
pub use provider::{Configured, SdkProvider};
pub use resource::{Ctx, DataSource, Ephemeral, Resource};
pub use types::Types;

/// What a resource type's file needs, in one import.
pub mod prelude {
    pub use crate::{Configure, Configured, Ctx, DataSource, DecodeError, Ephemeral, Factory, Field, Model, Resource, Types, Value};
    pub use async_trait::async_trait;
}
