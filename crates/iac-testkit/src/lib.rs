//! Test support shared by every crate's tests: fixtures, helpers, the real
//! local servers tests run against ([`services`]: moto, PostgreSQL), where the
//! installed tools are ([`tools`]), receivers for what iac pushes out
//! ([`recorder`]: any HTTP request, e.g. Pushgateway metrics; [`otlp`]: OTLP
//! trace exports, decoded), a module registry ([`registry`]: Terraform's
//! module registry protocol over tar.gz packages), a provider registry
//! ([`provider_registry`]: the provider registry protocol over releases the
//! test builds and signs), and the conformance suites that each
//! implementation of an extension trait must pass. It is a dev-dependency
//! only; non-test code never depends on it.

pub mod conformance;
pub mod leaks;
pub mod otlp;
pub mod provider_registry;
pub mod recorder;
pub mod registry;
pub mod services;
pub mod tools;
