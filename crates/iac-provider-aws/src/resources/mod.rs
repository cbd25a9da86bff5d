//! The resource protocol every AWS resource implements, and the planning,
//! tagging and reading rules they share: defaults AWS fills in, `tags_all`
//! from `default_tags`, attributes only the configuration holds (timeouts,
//! `force_destroy`) carried through reads, computed values unknown on
//! replacement, deletes of objects already gone treated as done.

pub mod data;
pub mod ec2;
pub mod eks;
pub mod iam;
pub mod iam_policy;
pub mod s3;

use std::collections::BTreeMap;

use async_trait::async_trait;
use iac_core::plan::default_plan;
use iac_core::provider::PlanChangeResponse;
use iac_core::schema::{Block, ResourceSchema};
use iac_core::Value;

use crate::clients::Clients;
use crate::error::AwsError;
use crate::settings::Settings;
use crate::tags;
use crate::values::set;

/// What an operation on one resource instance sees.
pub struct Cx<'a> {
    pub c: &'a Clients,
    pub s: &'a Settings,
    pub addr: &'a str,
    /// The ownership tag's value for this instance.
    pub owner: String,
}

impl Cx<'_> {
    pub fn poll(&self) -> std::time::Duration {
        self.s.poll_interval
    }
    pub fn invalid(&self, message: impl Into<String>) -> AwsError {
        AwsError::invalid(self.addr, message)
    }
}

#[async_trait]
pub trait Resource: Send + Sync {
    fn schema(&self) -> ResourceSchema;

    /// Values AWS uses for optional attributes left out, so that leaving one
    /// out is not a difference from what AWS reports.
    fn defaults(&self) -> Vec<(&'static str, Value)> {
        Vec::new()
    }

    /// Attributes that exist only in the configuration (AWS never reports
    /// them): reads carry them over from the current value.
    fn local_attrs(&self) -> &'static [&'static str] {
        &[]
    }

    /// Resource-specific planning after the shared rules (JSON-equal
    /// policies keep their text, validation of changes AWS refuses).
    fn refine(&self, _addr: &str, _prior: Option<&Value>, _planned: &mut Value) -> Result<(), AwsError> {
        Ok(())
    }

    async fn create(&self, cx: &Cx<'_>, planned: &Value) -> Result<Value, AwsError>;
    async fn update(&self, cx: &Cx<'_>, prior: &Value, planned: &Value) -> Result<Value, AwsError>;
    /// The object as AWS has it (with its tags, raw, in `tags_all`); None when gone.
    async fn read(&self, cx: &Cx<'_>, current: &Value) -> Result<Option<Value>, AwsError>;
    async fn delete(&self, cx: &Cx<'_>, prior: &Value) -> Result<(), AwsError>;

    /// The value to read an imported object from: its id.
    fn import_stub(&self, id: &str) -> Value {
        Value::map([("id", Value::from(id))])
    }

    /// Finds the object an interrupted create made (ownership tag or name).
    async fn recover(&self, _cx: &Cx<'_>, _planned: &Value) -> Result<Option<Value>, AwsError> {
        Ok(None)
    }
}

/// A name for an object configured without one: the same for the same
/// instance on every run, so `recover` can look a half-made create up by it.
pub fn stable_name(owner: &str) -> String {
    // FNV-1a: fixed forever, unlike std's DefaultHasher, so a newer binary
    // still finds what an older one made.
    let h = owner.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3));
    format!("iac-{h:016x}")
}

fn has_tags(block: &Block) -> bool {
    block.attributes.contains_key("tags_all")
}

/// Empty maps and lists at `keys` become null.
fn empty_to_null(v: &mut Value, keys: &[&str]) {
    if let Value::Map(m) = v {
        for k in keys {
            let empty = match m.get(*k).map(Value::unmarked) {
                Some(Value::Map(x)) => x.is_empty(),
                _ => false,
            };
            if empty {
                m.insert((*k).to_string(), Value::Null);
            }
        }
    }
}

/// Fills in `defaults` where `v` has null.
fn apply_defaults(v: &mut Value, defaults: Vec<(&'static str, Value)>) {
    if let Value::Map(m) = v {
        for (k, d) in defaults {
            if m.get(k).is_none_or(Value::is_null) {
                m.insert(k.to_string(), d);
            }
        }
    }
}

/// Every computed-only attribute becomes unknown (the object is replaced).
fn unknown_computed(block: &Block, v: Value) -> Value {
    let Value::Map(mut m) = v else { return v };
    for (name, a) in &block.attributes {
        if a.computed && !a.optional && name != "tags_all" {
            m.insert(name.clone(), Value::Unknown);
        }
    }
    Value::Map(m)
}

/// The shared planning rules, then the resource's own.
pub fn plan(r: &dyn Resource, s: &Settings, addr: &str, prior: Option<&Value>, config: &Value) -> Result<PlanChangeResponse, AwsError> {
    let schema = r.schema();
    let mut config = config.clone();
    apply_defaults(&mut config, r.defaults());
    if has_tags(&schema.block) {
        empty_to_null(&mut config, &["tags"]);
        let all = tags::planned_all(&s.default_tags, config.get("tags").unwrap_or(&Value::Null));
        set(&mut config, "tags_all", all);
    }
    let mut resp = default_plan(&schema, prior, &config);
    if !resp.requires_replace.is_empty() {
        resp.planned = unknown_computed(&schema.block, resp.planned);
    }
    r.refine(addr, if resp.requires_replace.is_empty() { prior } else { None }, &mut resp.planned)?;
    Ok(resp)
}

/// A read result in the resource's shape: tags split into `tags` and
/// `tags_all`, local attributes carried over from `current`.
pub fn finish_read(r: &dyn Resource, s: &Settings, current: &Value, mut read: Value) -> Value {
    let schema = r.schema();
    if has_tags(&schema.block) {
        let raw: BTreeMap<String, String> = crate::values::get_str_map(&read, "tags_all");
        let (own, all) = tags::from_aws(current, &raw, &s.default_tags);
        set(&mut read, "tags", own);
        set(&mut read, "tags_all", all);
    }
    for k in r.local_attrs() {
        set(&mut read, k, current.get(k).cloned().unwrap_or(Value::Null));
    }
    if schema.block.blocks.contains_key("timeouts") {
        set(&mut read, "timeouts", current.get("timeouts").cloned().unwrap_or(Value::Null));
    }
    // Only attributes of the schema, each present.
    let mut out = iac_core::ValueMap::new();
    for name in schema.block.attributes.keys().chain(schema.block.blocks.keys()) {
        let v = read.get(name).cloned().unwrap_or_else(|| {
            if schema.block.blocks.get(name).is_some_and(|b| b.nesting != iac_core::schema::Nesting::Single) {
                Value::List(Vec::new())
            } else {
                Value::Null
            }
        });
        out.insert(name.clone(), v);
    }
    Value::Map(out)
}

/// Values for local attributes of an imported object: their defaults.
pub fn import_defaults(r: &dyn Resource, mut v: Value) -> Value {
    let locals = r.local_attrs();
    apply_defaults(&mut v, r.defaults().into_iter().filter(|(k, _)| locals.contains(k)).collect());
    v
}

/// The resource behind a type name.
pub fn resource(type_: &str) -> Option<&'static dyn Resource> {
    Some(match type_ {
        "aws_vpc" => &ec2::vpc::Vpc,
        "aws_subnet" => &ec2::subnet::Subnet,
        "aws_internet_gateway" => &ec2::igw::InternetGateway,
        "aws_route_table" => &ec2::route_table::RouteTable,
        "aws_route_table_association" => &ec2::route_table::Association,
        "aws_eip" => &ec2::eip::Eip,
        "aws_nat_gateway" => &ec2::nat::NatGateway,
        "aws_security_group" => &ec2::security_group::SecurityGroup,
        "aws_vpc_security_group_ingress_rule" => &ec2::sg_rule::INGRESS,
        "aws_vpc_security_group_egress_rule" => &ec2::sg_rule::EGRESS,
        "aws_iam_role" => &iam::Role,
        "aws_iam_role_policy_attachment" => &iam::RolePolicyAttachment,
        "aws_iam_openid_connect_provider" => &iam::OpenIdConnectProvider,
        "aws_iam_policy" => &iam_policy::Policy,
        "aws_iam_role_policy" => &iam_policy::RolePolicy,
        "aws_eks_cluster" => &eks::cluster::Cluster,
        "aws_eks_node_group" => &eks::node_group::NodeGroup,
        "aws_eks_addon" => &eks::addon::Addon,
        "aws_eks_access_entry" => &eks::access_entry::AccessEntry,
        "aws_s3_bucket" => &s3::Bucket,
        "aws_s3_bucket_versioning" => &s3::Versioning,
        "aws_s3_bucket_server_side_encryption_configuration" => &s3::Encryption,
        "aws_s3_bucket_public_access_block" => &s3::PublicAccessBlock,
        "aws_s3_bucket_lifecycle_configuration" => &s3::Lifecycle,
        "aws_s3_bucket_policy" => &s3::Policy,
        _ => return None,
    })
}

pub const RESOURCE_TYPES: &[&str] = &[
    "aws_vpc",
    "aws_subnet",
    "aws_internet_gateway",
    "aws_route_table",
    "aws_route_table_association",
    "aws_eip",
    "aws_nat_gateway",
    "aws_security_group",
    "aws_vpc_security_group_ingress_rule",
    "aws_vpc_security_group_egress_rule",
    "aws_iam_role",
    "aws_iam_role_policy_attachment",
    "aws_iam_openid_connect_provider",
    "aws_iam_policy",
    "aws_iam_role_policy",
    "aws_eks_cluster",
    "aws_eks_node_group",
    "aws_eks_addon",
    "aws_eks_access_entry",
    "aws_s3_bucket",
    "aws_s3_bucket_versioning",
    "aws_s3_bucket_server_side_encryption_configuration",
    "aws_s3_bucket_public_access_block",
    "aws_s3_bucket_lifecycle_configuration",
    "aws_s3_bucket_policy",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_names_are_fixed_per_owner() {
        assert_eq!(stable_name("s/aws_security_group.a"), stable_name("s/aws_security_group.a"));
        assert_ne!(stable_name("s/aws_security_group.a"), stable_name("s/aws_security_group.b"));
        // Pinned: a change here would orphan objects made by earlier versions.
        assert_eq!(stable_name(""), "iac-cbf29ce484222325");
        assert!(stable_name("x").len() <= 32, "fits IAM, EKS and EC2 name limits");
    }
}
