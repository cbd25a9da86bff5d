//! One test binary for this crate's integration tests (see ARCHITECTURE.md);
//! `tls_certificate` stays its own, as it sets the process's SSL_CERT_FILE.

mod support;
mod tls;
mod upstream_fixtures;
