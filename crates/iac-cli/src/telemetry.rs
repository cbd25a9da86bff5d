//! Logging to stderr (`IAC_LOG`) and, when `OTEL_EXPORTER_OTLP_ENDPOINT`
//! (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set, tracing exported over
//! OTLP/HTTP with protobuf bodies: a root span per command, the engine's
//! spans (load, graph, plan/refresh, apply) and one per resource operation.
//! The engine only emits `tracing` spans; this module is the one place that
//! turns them into OpenTelemetry. Spans carry addresses, actions and
//! provider names, never values.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::filter::{EnvFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

/// Flushes and stops the exporter when the command ends.
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Sends the spans still buffered; call after the command finished and
    /// outside the async runtime (the exporter's HTTP client blocks).
    pub fn shutdown(self) {
        if let Some(p) = self.provider {
            if let Err(e) = p.shutdown() {
                errln!("warning: telemetry: could not send every span: {e}");
            }
        }
    }
}

/// Where spans go: the traces endpoint as OpenTelemetry's environment
/// variables define it (the generic endpoint gets `/v1/traces` appended).
pub fn traces_endpoint(env: &[(String, String)]) -> Option<String> {
    let get = |k: &str| env.iter().find(|(n, v)| n == k && !v.trim().is_empty()).map(|(_, v)| v.trim().to_string());
    if let Some(e) = get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") {
        return Some(e);
    }
    get("OTEL_EXPORTER_OTLP_ENDPOINT").map(|e| format!("{}/v1/traces", e.trim_end_matches('/')))
}

/// Warnings, except the AWS SDK's own about each step of its region and
/// credential chains (no IMDS off EC2, no profile file): when the chain
/// finds nothing, the provider's error says what to set.
const DEFAULT_LOG_FILTER: &str = "warn,aws_config=error";

/// Installs the global subscriber: stderr logs filtered by `IAC_LOG`
/// (default: warnings), and the OTLP exporter when an endpoint is set.
pub fn init(ansi: bool, env: &[(String, String)]) -> Telemetry {
    let log_filter = EnvFilter::try_from_env("IAC_LOG").unwrap_or_else(|_| EnvFilter::new(DEFAULT_LOG_FILTER));
    let fmt = tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_ansi(ansi).with_target(false).with_filter(log_filter);
    let Some(endpoint) = traces_endpoint(env) else {
        tracing_subscriber::registry().with(fmt).init();
        return Telemetry { provider: None };
    };
    let exporter = match opentelemetry_otlp::SpanExporter::builder().with_http().with_protocol(Protocol::HttpBinary).with_endpoint(endpoint.clone()).build() {
        Ok(e) => e,
        Err(e) => {
            tracing_subscriber::registry().with(fmt).init();
            tracing::warn!("telemetry disabled: cannot export to {endpoint}: {e}");
            return Telemetry { provider: None };
        }
    };
    let resource = opentelemetry_sdk::Resource::builder()
        .with_service_name("iac")
        .with_attribute(opentelemetry::KeyValue::new("service.version", env!("CARGO_PKG_VERSION")))
        .build();
    let provider = SdkTracerProvider::builder().with_batch_exporter(exporter).with_resource(resource).build();
    let tracer = provider.tracer("iac");
    // Spans of iac's own crates (info and above: commands, phases, resource
    // operations, provider API calls); dependencies' spans stay out.
    let spans = ["iac", "iac_engine", "iac_core", "iac_provider_digitalocean", "iac_provider_aws", "iac_provider_kubernetes"]
        .into_iter()
        .fold(Targets::new(), |t, target| t.with_target(target, tracing::Level::INFO));
    let otel = tracing_opentelemetry::layer().with_tracer(tracer).with_filter(spans);
    tracing_subscriber::registry().with(fmt).with(otel).init();
    Telemetry { provider: Some(provider) }
}

#[cfg(test)]
mod tests {
    use super::traces_endpoint;

    #[test]
    fn the_traces_endpoint_follows_opentelemetry_conventions() {
        let env = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<Vec<_>>();
        assert_eq!(traces_endpoint(&env(&[])), None);
        assert_eq!(traces_endpoint(&env(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318/")])), Some("http://c:4318/v1/traces".into()));
        assert_eq!(
            traces_endpoint(&env(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"), ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://t/x")])),
            Some("http://t/x".into())
        );
        assert_eq!(traces_endpoint(&env(&[("OTEL_EXPORTER_OTLP_ENDPOINT", " ")])), None);
    }
}
