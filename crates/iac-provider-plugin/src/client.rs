//! The provider service over either protocol version, behind one type. The
//! messages iac uses are the same in versions 5 and 6 apart from call names
//! and nested attribute types, so one macro writes both implementations.

use iac_core::path::{AttrPath, PathStep};
use tonic::transport::Channel;

use crate::cty::CtyType;
use crate::process::MAX_MESSAGE_BYTES;
use crate::schema::{
    BlockNesting, FunctionParam, FunctionSig, NestedObject, ObjectNesting, PluginSchema, SchemaAttr, SchemaBlock, SchemaNested, ServerCaps, TypeSchema,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// A provider diagnostic, decoupled from the protocol version.
#[derive(Clone, Debug, PartialEq)]
pub struct Diag {
    pub severity: Severity,
    pub summary: String,
    pub detail: String,
    pub path: Option<AttrPath>,
}

/// A value on the wire: MessagePack normally, JSON from a few providers.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Dyn {
    pub msgpack: Vec<u8>,
    pub json: Vec<u8>,
}

impl Dyn {
    pub fn msgpack(b: Vec<u8>) -> Dyn {
        Dyn { msgpack: b, json: Vec::new() }
    }
}

pub struct Planned {
    pub planned: Option<Dyn>,
    pub requires_replace: Vec<AttrPath>,
    pub private: Vec<u8>,
    pub diags: Vec<Diag>,
    pub legacy: bool,
}

pub struct Applied {
    pub new_state: Option<Dyn>,
    pub private: Vec<u8>,
    pub diags: Vec<Diag>,
    pub legacy: bool,
}

pub struct Read {
    pub new_state: Option<Dyn>,
    pub private: Vec<u8>,
    pub diags: Vec<Diag>,
}

pub struct Imported {
    pub type_name: String,
    pub state: Option<Dyn>,
    pub private: Vec<u8>,
}

/// An opened ephemeral resource, as the plugin answered.
pub struct Opened {
    pub result: Option<Dyn>,
    pub renew_at: Option<std::time::SystemTime>,
    pub private: Option<Vec<u8>>,
    pub diags: Vec<Diag>,
}

fn system_time(seconds: i64, nanos: i32) -> Option<std::time::SystemTime> {
    let secs = u64::try_from(seconds).ok()?;
    Some(std::time::UNIX_EPOCH + std::time::Duration::new(secs, nanos.max(0) as u32))
}

/// A MoveResourceState request: an object of another type (or provider)
/// becoming one of this provider's, from its raw state.
#[derive(Clone, Debug)]
pub struct MoveState {
    pub source_provider_address: String,
    pub source_type_name: String,
    pub source_schema_version: i64,
    pub source_state_json: Vec<u8>,
    pub target_type_name: String,
    pub source_private: Vec<u8>,
}

/// The client of one plugin process.
#[derive(Clone)]
pub enum Rpc {
    V5(crate::proto::tfplugin5::provider_client::ProviderClient<Channel>),
    V6(crate::proto::tfplugin6::provider_client::ProviderClient<Channel>),
}

impl Rpc {
    pub fn new(protocol: u32, channel: Channel) -> Rpc {
        match protocol {
            5 => Rpc::V5(
                crate::proto::tfplugin5::provider_client::ProviderClient::new(channel)
                    .max_decoding_message_size(MAX_MESSAGE_BYTES)
                    .max_encoding_message_size(MAX_MESSAGE_BYTES),
            ),
            _ => Rpc::V6(
                crate::proto::tfplugin6::provider_client::ProviderClient::new(channel)
                    .max_decoding_message_size(MAX_MESSAGE_BYTES)
                    .max_encoding_message_size(MAX_MESSAGE_BYTES),
            ),
        }
    }
}

/// Calls the same-named function of the version module the client speaks.
macro_rules! dispatch {
    ($self:ident, $f:ident ( $($arg:expr),* )) => {
        match $self {
            Rpc::V5(c) => v5::$f(c.clone(), $($arg),*).await,
            Rpc::V6(c) => v6::$f(c.clone(), $($arg),*).await,
        }
    };
}

impl Rpc {
    pub async fn get_schema(&self) -> Result<(PluginSchema, Vec<Diag>), String> {
        dispatch!(self, get_schema())
    }
    pub async fn get_metadata(&self) -> Result<ServerCaps, tonic::Status> {
        dispatch!(self, get_metadata())
    }
    pub async fn validate_provider(&self, config: Dyn) -> Result<Vec<Diag>, tonic::Status> {
        dispatch!(self, validate_provider(config))
    }
    pub async fn validate_resource(&self, type_name: &str, config: Dyn) -> Result<Vec<Diag>, tonic::Status> {
        dispatch!(self, validate_resource(type_name, config))
    }
    pub async fn validate_data(&self, type_name: &str, config: Dyn) -> Result<Vec<Diag>, tonic::Status> {
        dispatch!(self, validate_data(type_name, config))
    }
    pub async fn configure(&self, terraform_version: &str, config: Dyn) -> Result<Vec<Diag>, tonic::Status> {
        dispatch!(self, configure(terraform_version, config))
    }
    pub async fn upgrade(&self, type_name: &str, version: i64, json: Vec<u8>) -> Result<(Option<Dyn>, Vec<Diag>), tonic::Status> {
        dispatch!(self, upgrade(type_name, version, json))
    }
    pub async fn read(&self, type_name: &str, current: Dyn, private: Vec<u8>) -> Result<Read, tonic::Status> {
        dispatch!(self, read(type_name, current, private))
    }
    pub async fn plan(&self, type_name: &str, prior: Dyn, proposed: Dyn, config: Dyn, private: Vec<u8>) -> Result<Planned, tonic::Status> {
        dispatch!(self, plan(type_name, prior, proposed, config, private))
    }
    pub async fn apply(&self, type_name: &str, prior: Dyn, planned: Dyn, config: Dyn, private: Vec<u8>) -> Result<Applied, tonic::Status> {
        dispatch!(self, apply(type_name, prior, planned, config, private))
    }
    pub async fn import(&self, type_name: &str, id: &str) -> Result<(Vec<Imported>, Vec<Diag>), tonic::Status> {
        dispatch!(self, import(type_name, id))
    }
    pub async fn read_data(&self, type_name: &str, config: Dyn) -> Result<(Option<Dyn>, Vec<Diag>), tonic::Status> {
        dispatch!(self, read_data(type_name, config))
    }
    /// Ok(Err((text, argument))) is the function's own error.
    pub async fn call_function(&self, name: &str, args: Vec<Dyn>) -> Result<Result<Option<Dyn>, (String, Option<i64>)>, tonic::Status> {
        dispatch!(self, call_function(name, args))
    }
    pub async fn move_state(&self, m: MoveState) -> Result<(Option<Dyn>, Vec<u8>, Vec<Diag>), tonic::Status> {
        dispatch!(self, move_state(m))
    }
    pub async fn validate_ephemeral(&self, type_name: &str, config: Dyn) -> Result<Vec<Diag>, tonic::Status> {
        dispatch!(self, validate_ephemeral(type_name, config))
    }
    pub async fn open_ephemeral(&self, type_name: &str, config: Dyn) -> Result<Opened, tonic::Status> {
        dispatch!(self, open_ephemeral(type_name, config))
    }
    pub async fn renew_ephemeral(
        &self,
        type_name: &str,
        private: Option<Vec<u8>>,
    ) -> Result<(Option<std::time::SystemTime>, Option<Vec<u8>>, Vec<Diag>), tonic::Status> {
        dispatch!(self, renew_ephemeral(type_name, private))
    }
    pub async fn close_ephemeral(&self, type_name: &str, private: Option<Vec<u8>>) -> Result<Vec<Diag>, tonic::Status> {
        dispatch!(self, close_ephemeral(type_name, private))
    }
    pub async fn stop(&self) -> Result<String, tonic::Status> {
        dispatch!(self, stop())
    }
}

fn nesting_of_block(n: i32) -> BlockNesting {
    match n {
        1 => BlockNesting::Single,
        2 => BlockNesting::List,
        3 => BlockNesting::Set,
        4 => BlockNesting::Map,
        5 => BlockNesting::Group,
        // INVALID: treat like a single block rather than fail the whole schema.
        _ => BlockNesting::Single,
    }
}

fn nesting_of_object(n: i32) -> ObjectNesting {
    match n {
        2 => ObjectNesting::List,
        3 => ObjectNesting::Set,
        4 => ObjectNesting::Map,
        _ => ObjectNesting::Single,
    }
}

/// The parts common to both versions; `$pb` is the generated module, the
/// other names are the calls and messages that differ between versions.
macro_rules! protocol {
    ($pb:ident;
     schema: $get_schema:ident;
     validate_provider: $vp:ident, $vp_mod:ident;
     validate_resource: $vr:ident, $vr_mod:ident;
     validate_data: $vd:ident, $vd_mod:ident;
     configure: $cf:ident, $cf_mod:ident;
     stop: $st:ident, $st_mod:ident;
     version: $version:expr) => {
        use super::*;
        use crate::proto::$pb as pb;

        pub type Client = pb::provider_client::ProviderClient<Channel>;

        fn dv(d: Dyn) -> Option<pb::DynamicValue> {
            Some(pb::DynamicValue { msgpack: d.msgpack, json: d.json })
        }

        fn from_dv(d: Option<pb::DynamicValue>) -> Option<Dyn> {
            d.map(|d| Dyn { msgpack: d.msgpack, json: d.json }).filter(|d| !(d.msgpack.is_empty() && d.json.is_empty()))
        }

        fn path(p: Option<pb::AttributePath>) -> Option<AttrPath> {
            let p = p?;
            let mut out = AttrPath::root();
            for step in p.steps {
                match step.selector {
                    Some(pb::attribute_path::step::Selector::AttributeName(n)) => out.0.push(PathStep::Attr(n)),
                    Some(pb::attribute_path::step::Selector::ElementKeyString(k)) => out.0.push(PathStep::Key(k)),
                    Some(pb::attribute_path::step::Selector::ElementKeyInt(i)) => out.0.push(PathStep::Index(i.max(0) as usize)),
                    None => {}
                }
            }
            Some(out)
        }

        fn diags(ds: Vec<pb::Diagnostic>) -> Vec<Diag> {
            ds.into_iter()
                .map(|d| Diag {
                    severity: if d.severity == pb::diagnostic::Severity::Warning as i32 { Severity::Warning } else { Severity::Error },
                    summary: d.summary,
                    detail: d.detail,
                    path: path(d.attribute),
                })
                .collect()
        }

        fn block(b: Option<pb::schema::Block>) -> Result<SchemaBlock, String> {
            let b = b.unwrap_or_default();
            let mut out = SchemaBlock { description: b.description, deprecated: b.deprecated, ..Default::default() };
            for a in b.attributes {
                let name = a.name.clone();
                out.attributes.insert(name.clone(), attribute(a).map_err(|e| format!("attribute {name:?}: {e}"))?);
            }
            for nb in b.block_types {
                let inner = block(nb.block).map_err(|e| format!("block {:?}: {e}", nb.type_name))?;
                out.blocks.insert(
                    nb.type_name,
                    SchemaNested {
                        nesting: nesting_of_block(nb.nesting),
                        block: inner,
                        min_items: nb.min_items.max(0) as u64,
                        max_items: nb.max_items.max(0) as u64,
                    },
                );
            }
            Ok(out)
        }

        fn plain_attribute(a: &pb::schema::Attribute) -> Result<SchemaAttr, String> {
            let ty = if a.r#type.is_empty() { CtyType::Dynamic } else { CtyType::from_json_bytes(&a.r#type).map_err(|e| e.message)? };
            Ok(SchemaAttr {
                ty,
                nested: None,
                required: a.required,
                optional: a.optional,
                computed: a.computed,
                sensitive: a.sensitive,
                write_only: a.write_only,
                deprecated: a.deprecated,
                description: a.description.clone(),
            })
        }

        fn param(p: pb::function::Parameter) -> Result<FunctionParam, String> {
            Ok(FunctionParam {
                ty: CtyType::from_json_bytes(&p.r#type).map_err(|e| format!("parameter {}: {}", p.name, e.message))?,
                name: p.name,
                allow_null: p.allow_null_value,
                allow_unknown: p.allow_unknown_values,
            })
        }

        fn function(f: pb::Function) -> Result<FunctionSig, String> {
            Ok(FunctionSig {
                params: f.parameters.into_iter().map(param).collect::<Result<_, _>>()?,
                variadic: f.variadic_parameter.map(param).transpose()?,
                returns: CtyType::from_json_bytes(&f.r#return.unwrap_or_default().r#type).map_err(|e| format!("return type: {}", e.message))?,
                summary: f.summary,
            })
        }

        fn type_schema(s: Option<pb::Schema>) -> Result<TypeSchema, String> {
            let s = s.unwrap_or_default();
            Ok(TypeSchema { version: s.version, block: block(s.block)? })
        }

        fn caps(c: Option<pb::ServerCapabilities>) -> ServerCaps {
            let c = c.unwrap_or_default();
            ServerCaps {
                plan_destroy: c.plan_destroy,
                get_provider_schema_optional: c.get_provider_schema_optional,
                move_resource_state: c.move_resource_state,
            }
        }

        pub async fn get_schema(mut c: Client) -> Result<(PluginSchema, Vec<Diag>), String> {
            let r = c.$get_schema(pb::get_provider_schema::Request {}).await.map_err(|s| s.message().to_string())?.into_inner();
            let mut out =
                PluginSchema { protocol: $version, provider: type_schema(r.provider)?, capabilities: caps(r.server_capabilities), ..Default::default() };
            for (name, s) in r.resource_schemas {
                let t = type_schema(Some(s)).map_err(|e| format!("resource type {name}: {e}"))?;
                out.resources.insert(name, t);
            }
            for (name, s) in r.data_source_schemas {
                let t = type_schema(Some(s)).map_err(|e| format!("data source {name}: {e}"))?;
                out.data_sources.insert(name, t);
            }
            for (name, s) in r.ephemeral_resource_schemas {
                let t = type_schema(Some(s)).map_err(|e| format!("ephemeral resource type {name}: {e}"))?;
                out.ephemeral_resources.insert(name, t);
            }
            for (name, f) in r.functions {
                let sig = function(f).map_err(|e| format!("function {name}: {e}"))?;
                out.functions.insert(name, sig);
            }
            Ok((out, diags(r.diagnostics)))
        }

        pub async fn get_metadata(mut c: Client) -> Result<ServerCaps, tonic::Status> {
            let r = c.get_metadata(pb::get_metadata::Request {}).await?.into_inner();
            Ok(caps(r.server_capabilities))
        }

        pub async fn validate_provider(mut c: Client, config: Dyn) -> Result<Vec<Diag>, tonic::Status> {
            let r = c.$vp(pb::$vp_mod::Request { config: dv(config) }).await?.into_inner();
            Ok(diags(r.diagnostics))
        }

        pub async fn validate_resource(mut c: Client, type_name: &str, config: Dyn) -> Result<Vec<Diag>, tonic::Status> {
            let r = c
                .$vr(pb::$vr_mod::Request {
                    type_name: type_name.to_string(),
                    config: dv(config),
                    client_capabilities: Some(pb::ClientCapabilities { write_only_attributes_allowed: true, ..Default::default() }),
                })
                .await?
                .into_inner();
            Ok(diags(r.diagnostics))
        }

        pub async fn validate_data(mut c: Client, type_name: &str, config: Dyn) -> Result<Vec<Diag>, tonic::Status> {
            let r = c.$vd(pb::$vd_mod::Request { type_name: type_name.to_string(), config: dv(config) }).await?.into_inner();
            Ok(diags(r.diagnostics))
        }

        pub async fn configure(mut c: Client, terraform_version: &str, config: Dyn) -> Result<Vec<Diag>, tonic::Status> {
            let r = c
                .$cf(pb::$cf_mod::Request {
                    terraform_version: terraform_version.to_string(),
                    config: dv(config),
                    client_capabilities: Some(pb::ClientCapabilities { write_only_attributes_allowed: true, ..Default::default() }),
                })
                .await?
                .into_inner();
            Ok(diags(r.diagnostics))
        }

        pub async fn upgrade(mut c: Client, type_name: &str, version: i64, json: Vec<u8>) -> Result<(Option<Dyn>, Vec<Diag>), tonic::Status> {
            let r = c
                .upgrade_resource_state(pb::upgrade_resource_state::Request {
                    type_name: type_name.to_string(),
                    version,
                    raw_state: Some(pb::RawState { json, flatmap: Default::default() }),
                })
                .await?
                .into_inner();
            Ok((from_dv(r.upgraded_state), diags(r.diagnostics)))
        }

        pub async fn read(mut c: Client, type_name: &str, current: Dyn, private: Vec<u8>) -> Result<Read, tonic::Status> {
            let r = c
                .read_resource(pb::read_resource::Request {
                    type_name: type_name.to_string(),
                    current_state: dv(current),
                    private,
                    provider_meta: None,
                    client_capabilities: Some(pb::ClientCapabilities { write_only_attributes_allowed: true, ..Default::default() }),
                })
                .await?
                .into_inner();
            Ok(Read { new_state: from_dv(r.new_state), private: r.private, diags: diags(r.diagnostics) })
        }

        pub async fn plan(mut c: Client, type_name: &str, prior: Dyn, proposed: Dyn, config: Dyn, private: Vec<u8>) -> Result<Planned, tonic::Status> {
            let r = c
                .plan_resource_change(pb::plan_resource_change::Request {
                    type_name: type_name.to_string(),
                    prior_state: dv(prior),
                    proposed_new_state: dv(proposed),
                    config: dv(config),
                    prior_private: private,
                    provider_meta: None,
                    client_capabilities: Some(pb::ClientCapabilities { write_only_attributes_allowed: true, ..Default::default() }),
                })
                .await?
                .into_inner();
            Ok(Planned {
                planned: from_dv(r.planned_state),
                requires_replace: r.requires_replace.into_iter().filter_map(|p| path(Some(p))).collect(),
                private: r.planned_private,
                diags: diags(r.diagnostics),
                legacy: r.legacy_type_system,
            })
        }

        pub async fn apply(mut c: Client, type_name: &str, prior: Dyn, planned: Dyn, config: Dyn, private: Vec<u8>) -> Result<Applied, tonic::Status> {
            let r = c
                .apply_resource_change(pb::apply_resource_change::Request {
                    type_name: type_name.to_string(),
                    prior_state: dv(prior),
                    planned_state: dv(planned),
                    config: dv(config),
                    planned_private: private,
                    provider_meta: None,
                })
                .await?
                .into_inner();
            Ok(Applied { new_state: from_dv(r.new_state), private: r.private, diags: diags(r.diagnostics), legacy: r.legacy_type_system })
        }

        pub async fn import(mut c: Client, type_name: &str, id: &str) -> Result<(Vec<Imported>, Vec<Diag>), tonic::Status> {
            let r = c
                .import_resource_state(pb::import_resource_state::Request {
                    type_name: type_name.to_string(),
                    id: id.to_string(),
                    client_capabilities: Some(pb::ClientCapabilities { write_only_attributes_allowed: true, ..Default::default() }),
                })
                .await?
                .into_inner();
            let imported = r.imported_resources.into_iter().map(|i| Imported { type_name: i.type_name, state: from_dv(i.state), private: i.private }).collect();
            Ok((imported, diags(r.diagnostics)))
        }

        pub async fn read_data(mut c: Client, type_name: &str, config: Dyn) -> Result<(Option<Dyn>, Vec<Diag>), tonic::Status> {
            let r = c
                .read_data_source(pb::read_data_source::Request {
                    type_name: type_name.to_string(),
                    config: dv(config),
                    provider_meta: None,
                    client_capabilities: Some(pb::ClientCapabilities { write_only_attributes_allowed: true, ..Default::default() }),
                })
                .await?
                .into_inner();
            Ok((from_dv(r.state), diags(r.diagnostics)))
        }

        pub async fn call_function(mut c: Client, name: &str, args: Vec<Dyn>) -> Result<Result<Option<Dyn>, (String, Option<i64>)>, tonic::Status> {
            let r = c
                .call_function(pb::call_function::Request { name: name.to_string(), arguments: args.into_iter().filter_map(dv).collect() })
                .await?
                .into_inner();
            Ok(match r.error {
                Some(e) => Err((e.text, e.function_argument)),
                None => Ok(from_dv(r.result)),
            })
        }

        pub async fn move_state(mut c: Client, m: MoveState) -> Result<(Option<Dyn>, Vec<u8>, Vec<Diag>), tonic::Status> {
            let r = c
                .move_resource_state(pb::move_resource_state::Request {
                    source_provider_address: m.source_provider_address,
                    source_type_name: m.source_type_name,
                    source_schema_version: m.source_schema_version,
                    source_state: Some(pb::RawState { json: m.source_state_json, flatmap: Default::default() }),
                    target_type_name: m.target_type_name,
                    source_private: m.source_private,
                })
                .await?
                .into_inner();
            Ok((from_dv(r.target_state), r.target_private, diags(r.diagnostics)))
        }

        pub async fn validate_ephemeral(mut c: Client, type_name: &str, config: Dyn) -> Result<Vec<Diag>, tonic::Status> {
            let r = c
                .validate_ephemeral_resource_config(pb::validate_ephemeral_resource_config::Request { type_name: type_name.to_string(), config: dv(config) })
                .await?
                .into_inner();
            Ok(diags(r.diagnostics))
        }

        pub async fn open_ephemeral(mut c: Client, type_name: &str, config: Dyn) -> Result<Opened, tonic::Status> {
            let r = c
                .open_ephemeral_resource(pb::open_ephemeral_resource::Request {
                    type_name: type_name.to_string(),
                    config: dv(config),
                    client_capabilities: Some(pb::ClientCapabilities { write_only_attributes_allowed: true, ..Default::default() }),
                })
                .await?
                .into_inner();
            Ok(Opened {
                result: from_dv(r.result),
                renew_at: r.renew_at.and_then(|t| system_time(t.seconds, t.nanos)),
                private: r.private,
                diags: diags(r.diagnostics),
            })
        }

        pub async fn renew_ephemeral(
            mut c: Client,
            type_name: &str,
            private: Option<Vec<u8>>,
        ) -> Result<(Option<std::time::SystemTime>, Option<Vec<u8>>, Vec<Diag>), tonic::Status> {
            let r = c.renew_ephemeral_resource(pb::renew_ephemeral_resource::Request { type_name: type_name.to_string(), private }).await?.into_inner();
            Ok((r.renew_at.and_then(|t| system_time(t.seconds, t.nanos)), r.private, diags(r.diagnostics)))
        }

        pub async fn close_ephemeral(mut c: Client, type_name: &str, private: Option<Vec<u8>>) -> Result<Vec<Diag>, tonic::Status> {
            let r = c.close_ephemeral_resource(pb::close_ephemeral_resource::Request { type_name: type_name.to_string(), private }).await?.into_inner();
            Ok(diags(r.diagnostics))
        }

        pub async fn stop(mut c: Client) -> Result<String, tonic::Status> {
            Ok(c.$st(pb::$st_mod::Request {}).await?.into_inner().error)
        }
    };
}

mod v5 {
    protocol!(tfplugin5;
        schema: get_schema;
        validate_provider: prepare_provider_config, prepare_provider_config;
        validate_resource: validate_resource_type_config, validate_resource_type_config;
        validate_data: validate_data_source_config, validate_data_source_config;
        configure: configure, configure;
        stop: stop, stop;
        version: 5);

    /// Version 5 has no nested attribute types.
    fn attribute(a: pb::schema::Attribute) -> Result<SchemaAttr, String> {
        plain_attribute(&a)
    }
}

mod v6 {
    protocol!(tfplugin6;
        schema: get_provider_schema;
        validate_provider: validate_provider_config, validate_provider_config;
        validate_resource: validate_resource_config, validate_resource_config;
        validate_data: validate_data_resource_config, validate_data_resource_config;
        configure: configure_provider, configure_provider;
        stop: stop_provider, stop_provider;
        version: 6);

    fn attribute(mut a: pb::schema::Attribute) -> Result<SchemaAttr, String> {
        let Some(obj) = a.nested_type.take() else { return plain_attribute(&a) };
        let mut attributes = std::collections::BTreeMap::new();
        for inner in obj.attributes {
            let name = inner.name.clone();
            attributes.insert(name.clone(), attribute(inner).map_err(|e| format!("{name}: {e}"))?);
        }
        // A nested attribute has no `type` of its own: it is implied.
        a.r#type.clear();
        Ok(plain_attribute(&a)?.with_nested(NestedObject { nesting: nesting_of_object(obj.nesting), attributes }))
    }

    #[cfg(test)]
    pub(super) fn block_for_test(b: Option<pb::schema::Block>) -> Result<SchemaBlock, String> {
        block(b)
    }
}

#[cfg(test)]
mod tests {
    use crate::cty::CtyType;
    use crate::proto::tfplugin6 as pb;
    use crate::schema::{BlockNesting, ObjectNesting};

    fn attr(name: &str, ty: &str, optional: bool, computed: bool) -> pb::schema::Attribute {
        pb::schema::Attribute { name: name.into(), r#type: ty.as_bytes().to_vec(), optional, computed, required: !optional && !computed, ..Default::default() }
    }

    #[test]
    fn protocol_6_nested_attribute_types_and_block_nesting_convert() {
        let rules = pb::schema::Attribute {
            name: "rules".into(),
            optional: true,
            nested_type: Some(pb::schema::Object {
                attributes: vec![attr("port", "\"number\"", false, false), attr("id", "\"string\"", false, true)],
                nesting: 3,
            }),
            ..Default::default()
        };
        let block = pb::schema::Block {
            attributes: vec![attr("name", "\"string\"", false, false), rules],
            block_types: vec![pb::schema::NestedBlock {
                type_name: "timeouts".into(),
                block: Some(Default::default()),
                nesting: 5,
                min_items: 0,
                max_items: 0,
            }],
            ..Default::default()
        };
        let b = super::v6::block_for_test(Some(block)).unwrap();
        let rules = &b.attributes["rules"];
        assert_eq!(rules.nested.as_ref().unwrap().nesting, ObjectNesting::Set);
        assert_eq!(rules.ty, CtyType::Set(Box::new(CtyType::Object([("id".to_string(), CtyType::String), ("port".to_string(), CtyType::Number)].into()))));
        assert_eq!(b.blocks["timeouts"].nesting, BlockNesting::Group);
        let core = b.to_core();
        assert_eq!(core.blocks["timeouts"].nesting, iac_core::schema::Nesting::Group);
        assert!(matches!(core.attributes["rules"].type_, iac_core::schema::AttrType::Set(_)));
    }
}
