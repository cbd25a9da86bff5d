//! One test binary for the end-to-end tests: linking one binary per file
//! cost CI a few hundred megabytes and seconds each. `eks_platform` stays
//! its own binary because it points the process's trust store (SSL_CERT_FILE)
//! at a test CA.

mod apply_ci;
mod apply_state;
mod aws_policy_document;
mod aws_services_diff;
mod broken;
mod cli;
mod create_before_destroy;
mod destroy_order;
mod diagnostics_diff;
mod digitalocean;
mod doks_cluster;
mod doks_platform;
mod drift;
mod ephemeral_diff;
mod fuzz;
mod hardening;
mod lang_diff;
mod markdown;
mod modules_init;
mod native_providers;
mod plan;
mod platform_support;
mod plugin_aws;
mod plugin_python;
mod providers_registry;
mod remote_state;
mod remote_state_diff;
mod support;
mod telemetry;
mod tf_formats;
mod tf_migrate;
mod tidy;
mod workflows;
