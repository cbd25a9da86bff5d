//! Progress of a run for the CLI to show ([`Event`], sent to an
//! [`EventSink`]), and the names actions have in traces and messages.

use std::sync::Arc;

use iac_core::address::InstanceAddr;
use iac_core::plan::Action;

/// Progress of an apply, for the CLI to show.
#[derive(Clone, Debug)]
pub enum Event {
    Start {
        addr: InstanceAddr,
        action: Action,
        /// The key of the deposed object being destroyed (a
        /// create-before-destroy replacement's old object), which
        /// Terraform names as it starts: `addr (deposed object KEY)`.
        deposed: Option<String>,
    },
    Done {
        addr: InstanceAddr,
        action: Action,
        elapsed_ms: u128,
        /// The object's `id` attribute after the operation (none after a
        /// delete), for the lines that name it (`[id=...]`).
        id: Option<String>,
    },
    Failed {
        addr: InstanceAddr,
        action: Action,
        message: String,
    },
    /// Waiting for the state lock (`-lock-timeout`): who holds it, how long
    /// this run has waited and will wait. Emitted at once, then at a steady
    /// interval ([`crate::statemgr::LockWait`]).
    LockWait {
        holder: iac_core::backend::LockInfo,
        waited: std::time::Duration,
        timeout: std::time::Duration,
    },
    /// An ephemeral resource instance being opened, renewed or closed
    /// (`elapsed_ms` None), or done with that (Some).
    Ephemeral {
        addr: InstanceAddr,
        op: EphemeralOp,
        elapsed_ms: Option<u128>,
    },
}

/// What is done to an ephemeral resource instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EphemeralOp {
    Open,
    Renew,
    Close,
}

impl EphemeralOp {
    /// Terraform's name of it in the JSON UI's `hook.action`.
    pub fn ui_name(self) -> &'static str {
        match self {
            EphemeralOp::Open => "open",
            EphemeralOp::Renew => "renew",
            EphemeralOp::Close => "close",
        }
    }

    /// Terraform's word for it in progress lines (`Opening...`).
    pub fn progressive(self) -> &'static str {
        match self {
            EphemeralOp::Open => "Opening",
            EphemeralOp::Renew => "Renewing",
            EphemeralOp::Close => "Closing",
        }
    }
}

pub type EventSink = Arc<dyn Fn(Event) + Send + Sync>;
