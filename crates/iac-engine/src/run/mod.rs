//! One walk of the configuration graph, shared by plan and apply.
//!
//! Plan: every node is evaluated in dependency order; resource nodes expand
//! count/for_each, refresh prior objects, and ask their provider to plan.
//! Apply: the same walk re-evaluates expressions (upstream values are now
//! known), and resource nodes carry out the saved plan's changes, journaling
//! each one. Deletes run afterwards in a second walk, in reverse dependency
//! order (see [`crate::delete_walk`]), after the forgets of `removed`
//! blocks (`forget`).
//!
//! One file per job: the run context and how nodes are dispatched
//! (`context`), what a run is asked (`options`) and tells (`event`), the
//! value nodes (`config_nodes`), provider configurations
//! (`provider_node`), resource nodes (`resource_node`) with count/for_each
//! (`expand`), `-target` (`targeting`) and recorded dependencies
//! (`dependencies`); planning one instance (`plan_instance`: its prior
//! object in `prior`, the choice of action in `action`, data sources in
//! `data_source`, import blocks with for_each in `import_for_each`),
//! ephemeral resources (`ephemeral`), applying one instance
//! (`apply_instance`), create before destroy and deposed objects (`cbd`),
//! custom conditions (`conditions`: preconditions and postconditions),
//! helpers on
//! object values (`object`), and the root outputs (`outputs`).

mod action;
mod apply_instance;
mod cbd;
mod checks;
mod conditions;
mod config_nodes;
mod context;
mod data_source;
mod dependencies;
mod destroy_first;
mod ephemeral;
mod event;
mod expand;
mod forget;
mod import_for_each;
mod object;
mod options;
mod orphans;
mod outcome;
mod outputs;
mod plan_instance;
mod prior;
mod provider_node;
mod resource_node;
mod targeting;

pub use action::{choose_action, ActionChoice, ActionInputs};
pub use checks::is_assertion_result;
pub(crate) use conditions::is_resource_condition_failure;
pub(crate) use context::lock;
pub use context::{Run, RunSetup};
pub use event::{EphemeralOp, Event, EventSink, ObjectLabel};
pub use expand::expand;
pub use object::{mark_sensitive, not_finite};
pub use options::{Phase, RunOptions};
pub use orphans::{plan_deletes, DeleteScope};
pub use outcome::RunOutcome;
pub use outputs::{output_changes, output_states};
pub(crate) use plan_instance::is_provider_validation_failure;
pub use resource_node::InstanceWork;
