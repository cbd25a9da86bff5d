//! The provider's resource types and data sources, each a typed model plus
//! create, read, update and delete on the provider SDK, registered in one
//! list ([`types`]); and what they share: the operation's context (clients,
//! settings, the ownership tag), `tags`/`tags_all`, `timeouts`, and names
//! for objects configured without one. The planning and reading rules all
//! types share (defaults, `tags_all` from `default_tags`, tags split back,
//! configuration-only attributes carried through reads, deletes of objects
//! already gone) are the SDK's, with [`crate::Aws`]'s hooks.

pub mod data;
pub mod ec2;
pub mod eks;
pub mod events;
pub mod iam;
pub mod iam_policy;
pub mod iam_profile;
pub mod kms;
pub mod logs;
pub mod meta;
pub mod naming;
pub mod s3;
pub mod s3_object;
pub mod sqs;
pub mod ssm;
mod svc;

use std::collections::BTreeMap;
use std::time::Duration;

use iac_provider_sdk::prelude::*;

use crate::clients::Clients;
use crate::error::AwsError;
use crate::tags::{self, OWNER_TAG};
use crate::Aws;

/// Every resource type and data source of the provider, one line each.
pub fn types() -> Types<Aws> {
    Types::new()
        .resource(ec2::vpc::Vpc)
        .resource(ec2::subnet::Subnet)
        .resource(ec2::igw::InternetGateway)
        .resource(ec2::route_table::RouteTable)
        .resource(ec2::route_table::Association)
        .resource(ec2::eip::Eip)
        .resource(ec2::nat::NatGateway)
        .resource(ec2::security_group::SecurityGroup)
        .resource(ec2::sg_rule::INGRESS)
        .resource(ec2::sg_rule::EGRESS)
        .resource(ec2::sg_legacy_rule::LegacyRule)
        .resource(ec2::launch_template::LaunchTemplate)
        .resource(ec2::route::Route)
        .resource(ec2::vpc_endpoint::VpcEndpoint)
        .resource(ec2::tag::Ec2Tag)
        .resource(iam_profile::InstanceProfile)
        .resource(s3::OwnershipControls)
        .resource(s3_object::Object)
        .resource(iam::Role)
        .resource(iam::RolePolicyAttachment)
        .resource(iam::OpenIdConnectProvider)
        .resource(iam_policy::Policy)
        .resource(iam_policy::RolePolicy)
        .resource(eks::cluster::Cluster)
        .resource(eks::node_group::NodeGroup)
        .resource(eks::addon::Addon)
        .resource(eks::access_entry::AccessEntry)
        .resource(eks::access_policy::AccessPolicy)
        .resource(eks::pod_identity::PodIdentity)
        .resource(s3::Bucket)
        .resource(s3::Versioning)
        .resource(s3::Encryption)
        .resource(s3::PublicAccessBlock)
        .resource(s3::Lifecycle)
        .resource(s3::Policy)
        .resource(logs::LogGroup)
        .resource(sqs::Queue)
        .resource(sqs::QueuePolicy)
        .resource(events::Rule)
        .resource(events::Target)
        .resource(kms::Key)
        .resource(kms::Alias)
        .data_source(data::AvailabilityZones)
        .data_source(data::CallerIdentity)
        .data_source(ec2::lookup::VpcData)
        .data_source(ec2::lookup::SubnetData)
        .data_source(ec2::lookup::SubnetsData)
        .data_source(ec2::lookup::AmiData)
        .data_source(iam_profile::RoleData)
        .data_source(eks::data::ClusterData)
        .data_source(eks::data::ClusterAuth)
        .data_source(eks::data::AddonVersionData)
        .data_source(eks::data::ClusterVersionsData)
        .data_source(meta::PartitionData)
        .data_source(meta::RegionData)
        .data_source(meta::ServicePrincipalData)
        .data_source(meta::PolicyDocumentData)
        .data_source(ssm::ParameterData)
        .data_source(ssm::AuthorizationTokenData)
}

/// What an operation on one object sees.
pub type Cx<'a> = Ctx<'a, Aws>;

/// The configured provider's parts, as an operation uses them.
pub trait AwsCx {
    /// The SDK clients.
    fn c(&self) -> &Clients;
    /// The ownership tag's value for this object.
    fn owner(&self) -> String;
    /// How often waiters poll.
    fn poll(&self) -> Duration;
    /// An error about this object's configuration.
    fn invalid(&self, message: impl Into<String>) -> AwsError;
}

impl AwsCx for Cx<'_> {
    fn c(&self) -> &Clients {
        &self.provider.clients
    }
    fn owner(&self) -> String {
        tags::owner_value(&self.provider.stack_id, self.addr)
    }
    fn poll(&self) -> Duration {
        self.provider.settings.poll_interval
    }
    fn invalid(&self, message: impl Into<String>) -> AwsError {
        AwsError::invalid(self.addr, message)
    }
}

/// `tags` and `tags_all`, which every taggable type has. Reads report the
/// object's tags as AWS has them in `tags_all`; [`crate::Aws`]'s
/// `finish_read` splits them into the two.
#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct Tags {
    #[sdk(optional)]
    pub tags: Option<BTreeMap<String, String>>,
    /// tags with the provider's default_tags
    #[sdk(computed)]
    pub tags_all: Option<BTreeMap<String, String>>,
}

impl Tags {
    /// The object's tags as AWS reports them.
    pub fn from_aws(all: BTreeMap<String, String>) -> Tags {
        Tags { tags: None, tags_all: Some(all) }
    }

    /// The tags to put on the object: `tags_all` plus the ownership tag.
    pub fn desired(&self, owner: &str) -> BTreeMap<String, String> {
        let mut t = self.tags_all.clone().unwrap_or_default();
        t.insert(OWNER_TAG.to_string(), owner.to_string());
        t
    }

    /// What to add or change, and which keys to remove, to go from `prior`'s tags to these.
    pub fn diff(&self, prior: &Tags, owner: &str) -> (BTreeMap<String, String>, Vec<String>) {
        tags::diff(&prior.desired(owner), &self.desired(owner))
    }
}

/// The `timeouts { create, update, delete }` block.
#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct Timeouts {
    /// a duration such as 30m or 1h
    #[sdk(optional)]
    pub create: Option<String>,
    /// a duration such as 30m or 1h
    #[sdk(optional)]
    pub update: Option<String>,
    /// a duration such as 30m or 1h
    #[sdk(optional)]
    pub delete: Option<String>,
}

/// The limit for `op` ("create", "update", "delete") from a `timeouts`
/// block, else `default`.
pub fn timeout(t: &Option<Timeouts>, op: &str, default: Duration) -> Duration {
    let set = t.as_ref().and_then(|t| match op {
        "create" => t.create.as_deref(),
        "update" => t.update.as_deref(),
        _ => t.delete.as_deref(),
    });
    set.and_then(crate::values::parse_duration).unwrap_or(default)
}

/// An id from the state, or an error saying it is missing.
pub fn id_of<'a>(cx: &Cx<'_>, id: &'a Option<String>) -> Result<&'a str, AwsError> {
    id.as_deref().filter(|s| !s.is_empty()).ok_or_else(|| cx.invalid("the object has no id in state"))
}

/// A name for an object configured without one: the same for the same
/// instance on every run, so `recover` can look a half-made create up by it.
pub fn stable_name(owner: &str) -> String {
    // FNV-1a: fixed forever, unlike std's DefaultHasher, so a newer binary
    // still finds what an older one made.
    let h = owner.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3));
    format!("iac-{h:016x}")
}

/// The configured name, or the stable one.
pub fn name_or_stable(cx: &Cx<'_>, name: &Option<String>) -> String {
    name.clone().unwrap_or_else(|| stable_name(&cx.owner()))
}

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

    #[test]
    fn timeouts_come_from_the_block_else_the_default() {
        let t = Some(Timeouts { create: Some("1h30m".into()), ..Timeouts::default() });
        assert_eq!(timeout(&t, "create", Duration::from_secs(1)), Duration::from_secs(5400));
        assert_eq!(timeout(&t, "delete", Duration::from_secs(1)), Duration::from_secs(1));
        assert_eq!(timeout(&None, "update", Duration::from_secs(7)), Duration::from_secs(7));
    }
}
