//! The core model of iac: resource addresses, values carrying unknown and
//! sensitive marks, provider schemas, plans, state and its journal, and the
//! two extension traits, [`provider::Provider`] and [`backend::StateBackend`].
//!
//! Architecture Invariant: this crate does no IO (no files, no network, no
//! clock reads beyond what callers pass in) and depends on no parser, no
//! runtime and no concrete provider or backend. Everything else in the
//! workspace depends on it; it depends on nothing of ours.

pub mod address;
pub mod backend;
pub mod journal;
pub mod json;
pub mod number;
pub mod path;
pub mod plan;
pub mod provider;
pub mod remote_state;
pub mod schema;
pub mod seq;
pub mod state;
pub mod time;
pub mod value;

pub use address::{InstanceAddr, InstanceKey, Mode, ModulePath, ResourceAddr};
pub use number::Number;
pub use path::{AttrPath, PathStep};
pub use seq::{Seq, SeqKind};
pub use value::{MapKind, Value, ValueMap};
