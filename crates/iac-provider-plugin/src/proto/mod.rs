//! Generated from `proto/*.proto` by `codegen/regenerate.sh`; do not edit.
#![allow(clippy::all, dead_code, missing_docs, unreachable_pub)]

pub mod plugin {
    include!("plugin.rs");
}
pub mod tfplugin5 {
    include!("tfplugin5.rs");
}
pub mod tfplugin6 {
    include!("tfplugin6.rs");
}
