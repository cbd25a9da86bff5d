//! What a run is asked to do: plan or apply ([`Phase`]) and the options of
//! a plan ([`RunOptions`]: mode, refresh, targets, replacements,
//! parallelism, imports, validation only).

use iac_core::address::{InstanceAddr, Target};
use iac_core::plan::PlanMode;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Plan,
    Apply,
}

#[derive(Clone, Debug)]
pub struct RunOptions {
    pub mode: PlanMode,
    pub refresh: bool,
    pub targets: Vec<Target>,
    pub replace: Vec<InstanceAddr>,
    pub parallelism: usize,
    /// `iac import ADDR ID`: imports beyond the stack's import blocks.
    pub extra_imports: Vec<(InstanceAddr, String)>,
    /// `iac validate`: check configuration only; no provider is configured,
    /// unknown count/for_each are tolerated.
    pub validate_only: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            mode: PlanMode::Normal,
            refresh: true,
            targets: Vec::new(),
            replace: Vec::new(),
            parallelism: 10,
            extra_imports: Vec::new(),
            validate_only: false,
        }
    }
}
