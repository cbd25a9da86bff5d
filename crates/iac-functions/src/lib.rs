//! The built-in function library of the iac stack language: Terraform's
//! functions (`merge`, `format`, `cidrsubnet`, `jsonencode`, ...) with
//! Terraform's semantics over [`iac_core::Value`], including how unknown and
//! sensitive marks flow from arguments to results.
//!
//! This crate owns the name → function table ([`call`], [`exists`],
//! [`names`]), argument conversion and checking, and mark propagation. The
//! expression evaluator (in `iac-lang`) calls into it; `try` and `can` are
//! only *named* here, as they need lazy evaluation the evaluator does itself.
//!
//! Architecture Invariant: this crate does no IO except reading files under
//! [`FunctionContext::base_dir`] (in `files.rs` only: `file()`,
//! `fileexists()`, `templatefile()`, `fileset()`, the `filebase64`/
//! `filemd5`/`filesha*` family), the clock, the random source and the
//! working directory/`$HOME` (`abspath`, `pathexpand`). It must not depend
//! on the parser or the engine: it depends on `iac-core` only, templates
//! are rendered through a callback.

#![deny(missing_docs)]

mod args;
mod collections;
mod conversion;
mod crypto;
mod encoding;
mod files;
mod format;
mod marks;
mod network;
mod numeric;
mod paths;
mod regexfns;
mod registry;
mod strings;
mod time;
mod yaml;

use iac_core::Value;

/// What functions need from the evaluator.
pub struct FunctionContext<'a> {
    /// Directory relative paths in file()/templatefile()/fileexists() resolve against (path.module).
    pub base_dir: &'a std::path::Path,
    /// Renders a template string with the given variables (an object Value); supplied by the evaluator, used by templatefile() and templatestring().
    pub render_template: &'a dyn Fn(&str, &Value) -> Result<Value, String>,
    /// True while planning: the impure functions (`uuid`, `timestamp`,
    /// `bcrypt`) then give unknown values, as in Terraform, so that a plan
    /// never pins a value apply would compute differently.
    pub planning: bool,
    /// What `plantimestamp()` returns (RFC 3339): the time the plan was made.
    pub plan_timestamp: &'a str,
}

pub use conversion::{primitive_to_string, set_elements, unify_pair};
pub use regexfns::capture_groups;
pub use registry::{Param, Returns, SigType, Signature};

/// The current time in the form `plantimestamp()` gives (RFC 3339, UTC, to
/// the second), for callers that fix a run's plan time.
pub fn now_timestamp() -> String {
    time::now_rfc3339()
}

/// Why a call failed. `index` in [`FunctionError::Argument`] is 0-based and
/// is displayed 1-based ("argument 1" is the first argument).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FunctionError {
    /// No built-in function has this name.
    #[error("call to unknown function {0:?}")]
    UnknownFunction(String),
    /// The call has fewer arguments than the function has parameters
    /// (HCL's "Not enough function arguments"; the message is its detail).
    #[error("Function {function:?} expects{} {expects} argument(s). Missing value for {missing:?}.", if *variadic { " at least" } else { "" })]
    NotEnoughArguments {
        /// The function called.
        function: String,
        /// How many parameters it has.
        expects: usize,
        /// Whether more arguments may follow those (a variadic parameter).
        variadic: bool,
        /// The first parameter the call gives no value for.
        missing: &'static str,
    },
    /// The call has more arguments than a function without a variadic
    /// parameter takes (HCL's "Too many function arguments").
    #[error("Function {function:?} expects only {expects} argument(s).")]
    TooManyArguments {
        /// The function called.
        function: String,
        /// How many parameters it has.
        expects: usize,
    },
    /// One argument is wrong.
    #[error("{function}: argument {}: {message}", index + 1)]
    Argument {
        /// The function called.
        function: String,
        /// Which argument, from 0.
        index: usize,
        /// Terraform's name for the parameter it is for (`"inputMap"`;
        /// a variadic parameter's for every argument after the positional
        /// ones), as HCL's detail names it.
        parameter: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// The arguments are acceptable but the function cannot produce a result.
    #[error("{function}: {message}")]
    Failed {
        /// The function called.
        function: String,
        /// Why it failed.
        message: String,
    },
}

/// Calls the built-in function `name` with already evaluated arguments.
///
/// Marks: a wholly unknown argument gives an unknown result; a sensitive
/// argument makes the result sensitive (structural functions such as
/// `merge` or `lookup` keep element-level marks where they are instead).
pub fn call(name: &str, args: Vec<Value>, ctx: &FunctionContext) -> Result<Value, FunctionError> {
    registry::call(name, args, ctx)
}

/// True when `name` is a function of the language (including `try` and `can`,
/// which the evaluator implements itself).
pub fn exists(name: &str) -> bool {
    registry::NAMES.contains(&name)
}

/// Every function name, sorted.
pub fn names() -> &'static [&'static str] {
    registry::NAMES
}

/// The signature of the function `name` (its parameters' names and types,
/// its result's type), as Terraform 1.11.4 declares it; None for no such
/// function.
pub fn signature(name: &str) -> Option<&'static Signature> {
    registry::signature(name)
}
