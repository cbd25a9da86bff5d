//! An OTLP/HTTP trace receiver on `127.0.0.1:<free port>` (built on
//! [`crate::recorder`]): it accepts `POST /v1/traces` with protobuf bodies,
//! as OpenTelemetry exporters send them, and decodes the spans so tests can
//! check names, attributes and parent links.

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use prost::Message;

use crate::recorder::Recorder;

/// One received span, flattened.
#[derive(Clone, Debug, PartialEq)]
pub struct Span {
    pub name: String,
    pub trace_id: Vec<u8>,
    pub span_id: Vec<u8>,
    /// Empty for a root span.
    pub parent_span_id: Vec<u8>,
    /// Attributes as text (strings as they are, other values formatted).
    pub attributes: Vec<(String, String)>,
    /// The resource's `service.name`.
    pub service: String,
}

impl Span {
    pub fn attr(&self, key: &str) -> Option<&str> {
        self.attributes.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
    pub fn is_root(&self) -> bool {
        self.parent_span_id.is_empty()
    }
}

pub struct OtlpReceiver {
    recorder: Recorder,
}

impl OtlpReceiver {
    pub fn start() -> OtlpReceiver {
        OtlpReceiver { recorder: Recorder::start(200) }
    }

    /// The base URL for `OTEL_EXPORTER_OTLP_ENDPOINT` ("http://127.0.0.1:PORT").
    pub fn endpoint(&self) -> String {
        self.recorder.url()
    }

    /// Every span received so far. Panics on a request that is not an OTLP
    /// protobuf trace export: that is a bug in the exporter's setup.
    pub fn spans(&self) -> Vec<Span> {
        let mut out = Vec::new();
        for req in self.recorder.requests() {
            assert_eq!((req.method.as_str(), req.path.as_str()), ("POST", "/v1/traces"), "not an OTLP trace export");
            assert_eq!(req.header("content-type"), Some("application/x-protobuf"), "OTLP/HTTP with protobuf bodies");
            let export = ExportTraceServiceRequest::decode(req.body.as_slice()).unwrap_or_else(|e| panic!("not an OTLP protobuf trace export: {e}"));
            for rs in export.resource_spans {
                let service = rs
                    .resource
                    .iter()
                    .flat_map(|r| &r.attributes)
                    .find(|kv| kv.key == "service.name")
                    .and_then(|kv| kv.value.as_ref())
                    .map(text)
                    .unwrap_or_default();
                for ss in rs.scope_spans {
                    for s in ss.spans {
                        out.push(Span {
                            name: s.name,
                            trace_id: s.trace_id,
                            span_id: s.span_id,
                            parent_span_id: s.parent_span_id,
                            attributes: s.attributes.into_iter().map(|kv| (kv.key, kv.value.as_ref().map(text).unwrap_or_default())).collect(),
                            service: service.clone(),
                        });
                    }
                }
            }
        }
        out
    }
}

fn text(v: &opentelemetry_proto::tonic::common::v1::AnyValue) -> String {
    match &v.value {
        Some(AnyValue::StringValue(s)) => s.clone(),
        Some(AnyValue::BoolValue(b)) => b.to_string(),
        Some(AnyValue::IntValue(i)) => i.to_string(),
        Some(AnyValue::DoubleValue(d)) => d.to_string(),
        Some(other) => format!("{other:?}"),
        None => String::new(),
    }
}
