//! EC2 data sources that find one object (or a list) by filters, as
//! upstream's do: `aws_vpc`, `aws_subnet`, `aws_subnets` and `aws_ami`.
//! Arguments become EC2 filters (`cidr_block` is `cidr`, `tags` are
//! `tag:KEY` filters), `filter {}` blocks are passed as written, and a
//! singular data source that finds none or several is an error with
//! upstream's words.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{Filter, Image, Tag};
use iac_provider_sdk::prelude::*;

use super::{arn, filter};
use crate::error::{sdk, AwsError};
use crate::resources::{AwsCx, Cx};
use crate::tags::OWNER_TAG;
use crate::Aws;

/// A `filter { name, values }` block.
#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct FilterBlock {
    #[sdk(required)]
    pub name: String,
    #[sdk(required, set)]
    pub values: Vec<String>,
}

/// The `timeouts { read }` block of a data source.
#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct ReadTimeout {
    /// a duration such as 20m
    #[sdk(optional)]
    pub read: Option<String>,
}

/// EC2 filters from named arguments (left out when unset or empty),
/// `filter {}` blocks and `tags` (one `tag:KEY` filter each).
pub fn filters(named: &[(&str, Option<String>)], blocks: &[FilterBlock], tags: Option<&BTreeMap<String, String>>) -> Option<Vec<Filter>> {
    let mut out: Vec<Filter> = named.iter().filter_map(|(n, v)| v.as_ref().filter(|v| !v.is_empty()).map(|v| filter(n, v.clone()))).collect();
    out.extend(blocks.iter().map(|b| Filter::builder().name(&b.name).set_values(Some(b.values.clone())).build()));
    for (k, v) in tags.into_iter().flatten() {
        out.push(filter(&format!("tag:{k}"), v.clone()));
    }
    Some(out).filter(|f| !f.is_empty())
}

/// An object's tags as a data source reports them (the ownership tag left out).
pub fn tag_map(t: &[Tag]) -> BTreeMap<String, String> {
    t.iter().filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or("").to_string()))).filter(|(k, _)| k != OWNER_TAG).collect()
}

/// Exactly one match, or upstream's error for none or several.
fn single<T>(cx: &Cx<'_>, what: &str, mut found: Vec<T>) -> Result<T, AwsError> {
    match found.len() {
        0 => Err(cx.invalid(format!("no matching {what} found"))),
        1 => Ok(found.remove(0)),
        _ => Err(cx.invalid(format!("multiple {what}s matched; use additional constraints to reduce matches to a single {what}"))),
    }
}

fn s(x: Option<&str>) -> Option<String> {
    x.map(str::to_string)
}

#[derive(Model, Debug, Clone, Default)]
pub struct CidrAssociation {
    #[sdk(computed)]
    association_id: Option<String>,
    #[sdk(computed)]
    cidr_block: Option<String>,
    #[sdk(computed)]
    state: Option<String>,
}

#[derive(Model, Debug, Clone, Default)]
pub struct VpcDataModel {
    #[sdk(optional, computed)]
    id: Option<String>,
    #[sdk(computed)]
    arn: Option<String>,
    #[sdk(optional, computed)]
    cidr_block: Option<String>,
    #[sdk(computed)]
    cidr_block_associations: Vec<CidrAssociation>,
    /// find the region's default VPC
    #[sdk(optional, computed)]
    default: Option<bool>,
    #[sdk(optional, computed)]
    dhcp_options_id: Option<String>,
    #[sdk(computed)]
    enable_dns_hostnames: Option<bool>,
    #[sdk(computed)]
    enable_dns_support: Option<bool>,
    #[sdk(computed)]
    enable_network_address_usage_metrics: Option<bool>,
    #[sdk(computed)]
    instance_tenancy: Option<String>,
    #[sdk(computed)]
    ipv6_association_id: Option<String>,
    #[sdk(computed)]
    ipv6_cidr_block: Option<String>,
    #[sdk(computed)]
    main_route_table_id: Option<String>,
    #[sdk(computed)]
    owner_id: Option<String>,
    #[sdk(optional, computed)]
    state: Option<String>,
    #[sdk(optional, computed)]
    tags: Option<BTreeMap<String, String>>,
    #[sdk(block, set)]
    filter: Vec<FilterBlock>,
    #[sdk(block)]
    timeouts: Option<ReadTimeout>,
}

/// `data.aws_vpc`.
pub struct VpcData;

async fn vpc_attribute(cx: &Cx<'_>, id: &str, name: aws_sdk_ec2::types::VpcAttributeName) -> Result<Option<bool>, AwsError> {
    use aws_sdk_ec2::types::VpcAttributeName as N;
    let out = cx.c().ec2.describe_vpc_attribute().vpc_id(id).attribute(name.clone()).send().await.map_err(sdk(cx.addr))?;
    Ok(match name {
        N::EnableDnsHostnames => out.enable_dns_hostnames().and_then(|a| a.value()),
        N::EnableDnsSupport => out.enable_dns_support().and_then(|a| a.value()),
        _ => out.enable_network_address_usage_metrics().and_then(|a| a.value()),
    })
}

/// Whether the VPC counts network address usage; false where the API
/// does not answer for it (older emulators).
pub async fn address_usage_metrics(cx: &Cx<'_>, id: &str) -> Result<bool, AwsError> {
    match vpc_attribute(cx, id, aws_sdk_ec2::types::VpcAttributeName::EnableNetworkAddressUsageMetrics).await {
        Ok(v) => Ok(v.unwrap_or(false)),
        Err(e) if e.has_code(&["InvalidParameterValue", "InvalidRequest", "UnsupportedOperation"]) => Ok(false),
        Err(e) => Err(e),
    }
}

#[async_trait]
impl DataSource<Aws> for VpcData {
    type Model = VpcDataModel;
    const TYPE: &'static str = "aws_vpc";

    async fn read(&self, cx: &Cx<'_>, c: VpcDataModel) -> Result<VpcDataModel, AwsError> {
        use aws_sdk_ec2::types::VpcAttributeName as N;
        let named = [
            ("cidr", c.cidr_block.clone()),
            ("dhcp-options-id", c.dhcp_options_id.clone()),
            // false does not filter, as upstream: Terraform cannot tell it from unset.
            ("isDefault", c.default.filter(|d| *d).map(|_| "true".to_string())),
            ("state", c.state.clone()),
        ];
        let out = cx
            .c()
            .ec2
            .describe_vpcs()
            .set_vpc_ids(c.id.clone().map(|i| vec![i]))
            .set_filters(filters(&named, &c.filter, c.tags.as_ref()))
            .send()
            .await
            .map_err(sdk(cx.addr))?;
        let vpc = single(cx, "EC2 VPC", out.vpcs().to_vec())?;
        let id = vpc.vpc_id().unwrap_or_default().to_string();
        let owner = vpc.owner_id().unwrap_or_default();
        let main =
            cx.c().ec2.describe_route_tables().filters(filter("vpc-id", &id)).filters(filter("association.main", "true")).send().await.map_err(sdk(cx.addr))?;
        let ipv6 = vpc.ipv6_cidr_block_association_set().first();
        Ok(VpcDataModel {
            arn: Some(arn(cx, owner, "vpc", &id)),
            cidr_block: s(vpc.cidr_block()),
            cidr_block_associations: vpc
                .cidr_block_association_set()
                .iter()
                .map(|a| CidrAssociation {
                    association_id: s(a.association_id()),
                    cidr_block: s(a.cidr_block()),
                    state: a.cidr_block_state().and_then(|st| st.state()).map(|st| st.as_str().to_string()),
                })
                .collect(),
            default: vpc.is_default(),
            dhcp_options_id: s(vpc.dhcp_options_id()),
            enable_dns_hostnames: vpc_attribute(cx, &id, N::EnableDnsHostnames).await?,
            enable_dns_support: vpc_attribute(cx, &id, N::EnableDnsSupport).await?,
            enable_network_address_usage_metrics: Some(address_usage_metrics(cx, &id).await?),
            instance_tenancy: vpc.instance_tenancy().map(|t| t.as_str().to_string()),
            ipv6_association_id: ipv6.and_then(|a| a.association_id()).map(str::to_string),
            ipv6_cidr_block: ipv6.and_then(|a| a.ipv6_cidr_block()).map(str::to_string),
            main_route_table_id: main.route_tables().first().and_then(|r| r.route_table_id()).map(str::to_string),
            owner_id: Some(owner.to_string()),
            state: vpc.state().map(|st| st.as_str().to_string()),
            tags: Some(tag_map(vpc.tags())),
            id: Some(id),
            filter: c.filter,
            timeouts: c.timeouts,
        })
    }
}

#[derive(Model, Debug, Clone, Default)]
pub struct SubnetDataModel {
    #[sdk(optional, computed)]
    id: Option<String>,
    #[sdk(computed)]
    arn: Option<String>,
    #[sdk(computed)]
    assign_ipv6_address_on_creation: Option<bool>,
    #[sdk(optional, computed)]
    availability_zone: Option<String>,
    #[sdk(optional, computed)]
    availability_zone_id: Option<String>,
    #[sdk(computed)]
    available_ip_address_count: Option<i64>,
    #[sdk(optional, computed)]
    cidr_block: Option<String>,
    #[sdk(computed)]
    customer_owned_ipv4_pool: Option<String>,
    #[sdk(optional, computed)]
    default_for_az: Option<bool>,
    #[sdk(computed)]
    enable_dns64: Option<bool>,
    #[sdk(computed)]
    enable_lni_at_device_index: Option<i64>,
    #[sdk(computed)]
    enable_resource_name_dns_a_record_on_launch: Option<bool>,
    #[sdk(computed)]
    enable_resource_name_dns_aaaa_record_on_launch: Option<bool>,
    #[sdk(optional, computed)]
    ipv6_cidr_block: Option<String>,
    #[sdk(computed)]
    ipv6_cidr_block_association_id: Option<String>,
    #[sdk(computed)]
    ipv6_native: Option<bool>,
    #[sdk(computed)]
    map_customer_owned_ip_on_launch: Option<bool>,
    #[sdk(computed)]
    map_public_ip_on_launch: Option<bool>,
    #[sdk(computed)]
    outpost_arn: Option<String>,
    #[sdk(computed)]
    owner_id: Option<String>,
    #[sdk(computed)]
    private_dns_hostname_type_on_launch: Option<String>,
    #[sdk(optional, computed)]
    state: Option<String>,
    #[sdk(optional, computed)]
    tags: Option<BTreeMap<String, String>>,
    #[sdk(optional, computed)]
    vpc_id: Option<String>,
    #[sdk(block, set)]
    filter: Vec<FilterBlock>,
    #[sdk(block)]
    timeouts: Option<ReadTimeout>,
}

/// `data.aws_subnet`.
pub struct SubnetData;

#[async_trait]
impl DataSource<Aws> for SubnetData {
    type Model = SubnetDataModel;
    const TYPE: &'static str = "aws_subnet";

    async fn read(&self, cx: &Cx<'_>, c: SubnetDataModel) -> Result<SubnetDataModel, AwsError> {
        let named = [
            ("availabilityZone", c.availability_zone.clone()),
            ("availabilityZoneId", c.availability_zone_id.clone()),
            ("cidrBlock", c.cidr_block.clone()),
            ("defaultForAz", c.default_for_az.filter(|d| *d).map(|d| d.to_string())),
            ("ipv6-cidr-block-association.ipv6-cidr-block", c.ipv6_cidr_block.clone()),
            ("state", c.state.clone()),
            ("vpc-id", c.vpc_id.clone()),
        ];
        let out = cx
            .c()
            .ec2
            .describe_subnets()
            .set_subnet_ids(c.id.clone().map(|i| vec![i]))
            .set_filters(filters(&named, &c.filter, c.tags.as_ref()))
            .send()
            .await
            .map_err(sdk(cx.addr))?;
        let sn = single(cx, "EC2 Subnet", out.subnets().to_vec())?;
        let f = super::subnet::Facts::of(&sn);
        let id = sn.subnet_id().unwrap_or_default().to_string();
        let owner = sn.owner_id().unwrap_or_default();
        Ok(SubnetDataModel {
            arn: Some(sn.subnet_arn().map(str::to_string).unwrap_or_else(|| arn(cx, owner, "subnet", &id))),
            assign_ipv6_address_on_creation: Some(f.assign_ipv6_address_on_creation),
            availability_zone: s(sn.availability_zone()),
            availability_zone_id: s(sn.availability_zone_id()),
            available_ip_address_count: sn.available_ip_address_count().map(i64::from),
            cidr_block: s(sn.cidr_block()),
            customer_owned_ipv4_pool: Some(f.customer_owned_ipv4_pool),
            default_for_az: sn.default_for_az(),
            enable_dns64: Some(f.enable_dns64),
            enable_lni_at_device_index: Some(f.enable_lni_at_device_index),
            enable_resource_name_dns_a_record_on_launch: Some(f.dns_a),
            enable_resource_name_dns_aaaa_record_on_launch: Some(f.dns_aaaa),
            ipv6_cidr_block: Some(f.ipv6_cidr_block),
            ipv6_cidr_block_association_id: Some(f.ipv6_cidr_block_association_id),
            ipv6_native: Some(f.ipv6_native),
            map_customer_owned_ip_on_launch: Some(f.map_customer_owned_ip_on_launch),
            map_public_ip_on_launch: Some(sn.map_public_ip_on_launch().unwrap_or(false)),
            outpost_arn: Some(f.outpost_arn),
            owner_id: Some(owner.to_string()),
            private_dns_hostname_type_on_launch: Some(f.private_dns_hostname_type_on_launch),
            state: sn.state().map(|st| st.as_str().to_string()),
            tags: Some(tag_map(sn.tags())),
            vpc_id: s(sn.vpc_id()),
            id: Some(id),
            filter: c.filter,
            timeouts: c.timeouts,
        })
    }
}

#[derive(Model, Debug, Clone, Default)]
pub struct SubnetsDataModel {
    /// the region
    #[sdk(optional, computed)]
    id: Option<String>,
    #[sdk(computed)]
    ids: Vec<String>,
    #[sdk(optional, computed)]
    tags: Option<BTreeMap<String, String>>,
    #[sdk(block, set)]
    filter: Vec<FilterBlock>,
    #[sdk(block)]
    timeouts: Option<ReadTimeout>,
}

/// `data.aws_subnets`: the ids of every subnet the filters match.
pub struct SubnetsData;

#[async_trait]
impl DataSource<Aws> for SubnetsData {
    type Model = SubnetsDataModel;
    const TYPE: &'static str = "aws_subnets";

    async fn read(&self, cx: &Cx<'_>, c: SubnetsDataModel) -> Result<SubnetsDataModel, AwsError> {
        let mut ids = Vec::new();
        let mut token = None;
        loop {
            let out = cx
                .c()
                .ec2
                .describe_subnets()
                .set_filters(filters(&[], &c.filter, c.tags.as_ref()))
                .set_next_token(token.take())
                .send()
                .await
                .map_err(sdk(cx.addr))?;
            ids.extend(out.subnets().iter().filter_map(|s| s.subnet_id()).map(str::to_string));
            match out.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => break,
            }
        }
        Ok(SubnetsDataModel { id: Some(cx.c().region.clone()), ids, tags: c.tags, filter: c.filter, timeouts: c.timeouts })
    }
}

#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct AmiBlockDevice {
    #[sdk(computed)]
    device_name: Option<String>,
    #[sdk(computed)]
    ebs: Option<BTreeMap<String, String>>,
    #[sdk(computed)]
    no_device: Option<String>,
    #[sdk(computed)]
    virtual_name: Option<String>,
}

#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct ProductCode {
    #[sdk(computed)]
    product_code_id: Option<String>,
    #[sdk(computed)]
    product_code_type: Option<String>,
}

#[derive(Model, Debug, Clone, Default)]
pub struct AmiDataModel {
    #[sdk(optional, computed)]
    id: Option<String>,
    #[sdk(computed)]
    architecture: Option<String>,
    #[sdk(computed)]
    arn: Option<String>,
    #[sdk(computed, set)]
    block_device_mappings: Vec<AmiBlockDevice>,
    #[sdk(computed)]
    boot_mode: Option<String>,
    #[sdk(computed)]
    creation_date: Option<String>,
    #[sdk(computed)]
    deprecation_time: Option<String>,
    #[sdk(computed)]
    description: Option<String>,
    #[sdk(computed)]
    ena_support: Option<bool>,
    #[sdk(optional)]
    executable_users: Option<Vec<String>>,
    #[sdk(computed)]
    hypervisor: Option<String>,
    #[sdk(computed)]
    image_id: Option<String>,
    #[sdk(computed)]
    image_location: Option<String>,
    #[sdk(computed)]
    image_owner_alias: Option<String>,
    #[sdk(computed)]
    image_type: Option<String>,
    #[sdk(computed)]
    imds_support: Option<String>,
    #[sdk(optional)]
    include_deprecated: Option<bool>,
    #[sdk(computed)]
    kernel_id: Option<String>,
    #[sdk(computed)]
    last_launched_time: Option<String>,
    /// the newest of several matches (else several are an error)
    #[sdk(optional)]
    most_recent: Option<bool>,
    #[sdk(computed)]
    name: Option<String>,
    /// a regular expression the name must match (applied after the API's filters)
    #[sdk(optional)]
    name_regex: Option<String>,
    #[sdk(computed)]
    owner_id: Option<String>,
    #[sdk(optional)]
    owners: Option<Vec<String>>,
    #[sdk(computed)]
    platform: Option<String>,
    #[sdk(computed)]
    platform_details: Option<String>,
    #[sdk(computed, set)]
    product_codes: Vec<ProductCode>,
    #[sdk(computed)]
    public: Option<bool>,
    #[sdk(computed)]
    ramdisk_id: Option<String>,
    #[sdk(computed)]
    root_device_name: Option<String>,
    #[sdk(computed)]
    root_device_type: Option<String>,
    #[sdk(computed)]
    root_snapshot_id: Option<String>,
    #[sdk(computed)]
    sriov_net_support: Option<String>,
    #[sdk(computed)]
    state: Option<String>,
    #[sdk(computed)]
    state_reason: Option<BTreeMap<String, String>>,
    #[sdk(optional, computed)]
    tags: Option<BTreeMap<String, String>>,
    #[sdk(computed)]
    tpm_support: Option<String>,
    #[sdk(optional)]
    uefi_data: Option<String>,
    #[sdk(computed)]
    usage_operation: Option<String>,
    #[sdk(computed)]
    virtualization_type: Option<String>,
    #[sdk(block, set)]
    filter: Vec<FilterBlock>,
    #[sdk(block)]
    timeouts: Option<ReadTimeout>,
}

/// `data.aws_ami`: one image by owners, filters and a name pattern.
pub struct AmiData;

fn ebs_map(e: &aws_sdk_ec2::types::EbsBlockDevice) -> BTreeMap<String, String> {
    let n = |v: Option<i32>| v.unwrap_or(0).to_string();
    [
        ("delete_on_termination", e.delete_on_termination().unwrap_or(false).to_string()),
        ("encrypted", e.encrypted().unwrap_or(false).to_string()),
        ("iops", n(e.iops())),
        ("snapshot_id", e.snapshot_id().unwrap_or_default().to_string()),
        ("throughput", n(e.throughput())),
        ("volume_size", n(e.volume_size())),
        ("volume_type", e.volume_type().map(|t| t.as_str()).unwrap_or_default().to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

impl AmiDataModel {
    fn from_image(cx: &Cx<'_>, i: &Image, c: AmiDataModel) -> AmiDataModel {
        let id = i.image_id().unwrap_or_default().to_string();
        let root = i.root_device_name();
        let root_snapshot = i
            .block_device_mappings()
            .iter()
            .find(|b| root.is_some() && b.device_name() == root)
            .and_then(|b| b.ebs())
            .and_then(|e| e.snapshot_id())
            .unwrap_or_default();
        let reason = match i.state_reason() {
            Some(r) => [("code", r.code().unwrap_or_default()), ("message", r.message().unwrap_or_default())],
            None => [("code", "UNSET"), ("message", "UNSET")],
        };
        let e = |x: Option<&str>| Some(x.unwrap_or_default().to_string());
        AmiDataModel {
            architecture: i.architecture().map(|a| a.as_str().to_string()),
            arn: Some(format!("arn:{}:ec2:{}::image/{id}", crate::partition::partition_of(cx.provider.region()).id, cx.c().region)),
            block_device_mappings: i
                .block_device_mappings()
                .iter()
                .map(|b| AmiBlockDevice {
                    device_name: e(b.device_name()),
                    ebs: b.ebs().map(ebs_map),
                    no_device: e(b.no_device()),
                    virtual_name: e(b.virtual_name()),
                })
                .collect(),
            boot_mode: e(i.boot_mode().map(|b| b.as_str())),
            creation_date: s(i.creation_date()),
            deprecation_time: e(i.deprecation_time()),
            description: e(i.description()),
            ena_support: Some(i.ena_support().unwrap_or(false)),
            hypervisor: i.hypervisor().map(|h| h.as_str().to_string()),
            image_id: Some(id.clone()),
            image_location: s(i.image_location()),
            image_owner_alias: e(i.image_owner_alias()),
            image_type: i.image_type().map(|t| t.as_str().to_string()),
            imds_support: e(i.imds_support().map(|m| m.as_str())),
            kernel_id: e(i.kernel_id()),
            last_launched_time: e(i.last_launched_time()),
            name: s(i.name()),
            owner_id: s(i.owner_id()),
            platform: e(i.platform().map(|p| p.as_str())),
            platform_details: e(i.platform_details()),
            product_codes: i
                .product_codes()
                .iter()
                .map(|p| ProductCode { product_code_id: s(p.product_code_id()), product_code_type: p.product_code_type().map(|t| t.as_str().to_string()) })
                .collect(),
            public: Some(i.public().unwrap_or(false)),
            ramdisk_id: e(i.ramdisk_id()),
            root_device_name: e(root),
            root_device_type: i.root_device_type().map(|t| t.as_str().to_string()),
            root_snapshot_id: Some(root_snapshot.to_string()),
            sriov_net_support: e(i.sriov_net_support()),
            state: i.state().map(|st| st.as_str().to_string()),
            state_reason: Some(reason.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()),
            tags: Some(tag_map(i.tags())),
            tpm_support: e(i.tpm_support().map(|t| t.as_str())),
            usage_operation: e(i.usage_operation()),
            virtualization_type: i.virtualization_type().map(|v| v.as_str().to_string()),
            id: Some(id),
            ..c
        }
    }
}

#[async_trait]
impl DataSource<Aws> for AmiData {
    type Model = AmiDataModel;
    const TYPE: &'static str = "aws_ami";

    async fn read(&self, cx: &Cx<'_>, c: AmiDataModel) -> Result<AmiDataModel, AwsError> {
        let regex = match &c.name_regex {
            Some(r) => Some(regex::Regex::new(r).map_err(|e| cx.invalid(format!("name_regex: {e}")))?),
            None => None,
        };
        let mut images = Vec::new();
        let mut token = None;
        loop {
            let out = cx
                .c()
                .ec2
                .describe_images()
                .set_owners(c.owners.clone().filter(|o| !o.is_empty()))
                .set_executable_users(c.executable_users.clone().filter(|u| !u.is_empty()))
                .set_include_deprecated(c.include_deprecated)
                .set_filters(filters(&[], &c.filter, c.tags.as_ref()))
                .set_next_token(token.take())
                .send()
                .await
                .map_err(sdk(cx.addr))?;
            images.extend(out.images().iter().cloned());
            match out.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => break,
            }
        }
        if let Some(r) = &regex {
            images.retain(|i| i.name().is_some_and(|n| !n.is_empty() && r.is_match(n)));
        }
        if images.is_empty() {
            return Err(cx.invalid("Your query returned no results. Please change your search criteria and try again."));
        }
        if images.len() > 1 {
            if c.most_recent != Some(true) {
                return Err(
                    cx.invalid("Your query returned more than one result. Please try a more specific search criteria, or set `most_recent` attribute to true.")
                );
            }
            // Newest first; ISO 8601 times of one format sort as text.
            images.sort_by(|a, b| b.creation_date().unwrap_or_default().cmp(a.creation_date().unwrap_or_default()));
        }
        let image = images.remove(0);
        Ok(AmiDataModel::from_image(cx, &image, c))
    }
}
