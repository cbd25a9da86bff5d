//! `aws_launch_template` with the settings EKS node groups and
//! autoscaling use: image, instance type, user data, key, security groups,
//! block devices, metadata options, instance profile, network interfaces,
//! tag specifications, monitoring, CPU and credit options, placement,
//! private DNS names, maintenance, enclave and hibernation options. A
//! change to any of them makes a new version (CreateLaunchTemplateVersion):
//! `latest_version` moves, and with `update_default_version` the default
//! follows; `default_version` may also be set by hand. Reads describe the
//! latest version, as upstream does. Upstream's "boolean strings"
//! (`encrypted = "true"`) are kept as strings. Not here yet (refused as
//! unknown blocks): instance requirements, market options, capacity
//! reservations, licenses, elastic GPUs and inference accelerators.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{
    CreditSpecificationRequest, HostnameType, InstanceType, LaunchTemplateAutoRecoveryState, LaunchTemplateBlockDeviceMappingRequest,
    LaunchTemplateCpuOptionsRequest, LaunchTemplateEbsBlockDeviceRequest, LaunchTemplateEnclaveOptionsRequest, LaunchTemplateHibernationOptionsRequest,
    LaunchTemplateHttpTokensState, LaunchTemplateIamInstanceProfileSpecificationRequest, LaunchTemplateInstanceMaintenanceOptionsRequest,
    LaunchTemplateInstanceMetadataEndpointState, LaunchTemplateInstanceMetadataOptionsRequest, LaunchTemplateInstanceMetadataProtocolIpv6,
    LaunchTemplateInstanceMetadataTagsState, LaunchTemplateInstanceNetworkInterfaceSpecificationRequest, LaunchTemplatePlacementRequest,
    LaunchTemplatePrivateDnsNameOptionsRequest, LaunchTemplateTagSpecificationRequest, LaunchTemplatesMonitoringRequest, PrivateIpAddressSpecification,
    RequestLaunchTemplateData, ResourceType, ResponseLaunchTemplateData, ShutdownBehavior, Tenancy, VolumeType,
};
use iac_provider_sdk::prelude::*;
use iac_provider_sdk::AttrPath;

use super::*;
use crate::error::absent;
use crate::resources::id_of;
use crate::resources::naming::{name_from, prefix_of};
use crate::values::set;
use crate::Aws;

#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct Ebs {
    /// "true" or "false"
    #[sdk(optional)]
    delete_on_termination: Option<String>,
    /// "true" or "false"
    #[sdk(optional)]
    encrypted: Option<String>,
    #[sdk(optional, computed)]
    iops: Option<i64>,
    #[sdk(optional)]
    kms_key_id: Option<String>,
    #[sdk(optional)]
    snapshot_id: Option<String>,
    #[sdk(optional, computed)]
    throughput: Option<i64>,
    #[sdk(optional, computed)]
    volume_initialization_rate: Option<i64>,
    #[sdk(optional, computed)]
    volume_size: Option<i64>,
    #[sdk(optional, computed)]
    volume_type: Option<String>,
}

#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct BlockDevice {
    #[sdk(optional)]
    device_name: Option<String>,
    #[sdk(optional)]
    no_device: Option<String>,
    #[sdk(optional)]
    virtual_name: Option<String>,
    #[sdk(block, max_items = 1)]
    ebs: Vec<Ebs>,
}

#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct InstanceProfile {
    #[sdk(optional)]
    arn: Option<String>,
    #[sdk(optional)]
    name: Option<String>,
}

#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct MetadataOptions {
    /// enabled or disabled
    #[sdk(optional, computed)]
    http_endpoint: Option<String>,
    #[sdk(optional, computed)]
    http_protocol_ipv6: Option<String>,
    #[sdk(optional, computed)]
    http_put_response_hop_limit: Option<i64>,
    /// optional or required (IMDSv2)
    #[sdk(optional, computed)]
    http_tokens: Option<String>,
    #[sdk(optional, computed)]
    instance_metadata_tags: Option<String>,
}

#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct NetworkInterface {
    #[sdk(optional)]
    associate_carrier_ip_address: Option<String>,
    #[sdk(optional)]
    associate_public_ip_address: Option<String>,
    #[sdk(optional)]
    delete_on_termination: Option<String>,
    #[sdk(optional)]
    description: Option<String>,
    #[sdk(optional)]
    device_index: Option<i64>,
    #[sdk(optional)]
    interface_type: Option<String>,
    #[sdk(optional)]
    ipv4_address_count: Option<i64>,
    #[sdk(optional, set)]
    ipv4_addresses: Option<Vec<String>>,
    #[sdk(optional)]
    ipv4_prefix_count: Option<i64>,
    #[sdk(optional, set)]
    ipv4_prefixes: Option<Vec<String>>,
    #[sdk(optional)]
    ipv6_address_count: Option<i64>,
    #[sdk(optional, set)]
    ipv6_addresses: Option<Vec<String>>,
    #[sdk(optional)]
    ipv6_prefix_count: Option<i64>,
    #[sdk(optional, set)]
    ipv6_prefixes: Option<Vec<String>>,
    #[sdk(optional)]
    network_card_index: Option<i64>,
    #[sdk(optional)]
    network_interface_id: Option<String>,
    #[sdk(optional)]
    primary_ipv6: Option<String>,
    #[sdk(optional)]
    private_ip_address: Option<String>,
    #[sdk(optional, set)]
    security_groups: Option<Vec<String>>,
    #[sdk(optional)]
    subnet_id: Option<String>,
}

#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct TagSpecification {
    /// instance, volume, network-interface, spot-instances-request, ...
    #[sdk(optional)]
    resource_type: Option<String>,
    #[sdk(optional)]
    tags: Option<BTreeMap<String, String>>,
}

#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct Monitoring {
    #[sdk(optional)]
    enabled: Option<bool>,
}

#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct CpuOptions {
    #[sdk(optional)]
    amd_sev_snp: Option<String>,
    #[sdk(optional)]
    core_count: Option<i64>,
    #[sdk(optional)]
    threads_per_core: Option<i64>,
}

#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct CreditSpecification {
    /// standard or unlimited
    #[sdk(optional)]
    cpu_credits: Option<String>,
}

#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct Placement {
    #[sdk(optional)]
    affinity: Option<String>,
    #[sdk(optional)]
    availability_zone: Option<String>,
    #[sdk(optional)]
    group_name: Option<String>,
    #[sdk(optional)]
    host_id: Option<String>,
    #[sdk(optional)]
    host_resource_group_arn: Option<String>,
    #[sdk(optional)]
    partition_number: Option<i64>,
    #[sdk(optional)]
    spread_domain: Option<String>,
    #[sdk(optional)]
    tenancy: Option<String>,
}

#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct PrivateDnsNameOptions {
    #[sdk(optional)]
    enable_resource_name_dns_a_record: Option<bool>,
    #[sdk(optional)]
    enable_resource_name_dns_aaaa_record: Option<bool>,
    #[sdk(optional)]
    hostname_type: Option<String>,
}

#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct MaintenanceOptions {
    #[sdk(optional)]
    auto_recovery: Option<String>,
}

#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct EnclaveOptions {
    #[sdk(optional)]
    enabled: Option<bool>,
}

#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct HibernationOptions {
    #[sdk(required)]
    configured: bool,
}

#[derive(Model, Debug, Clone, Default)]
pub struct LaunchTemplateModel {
    #[sdk(computed)]
    id: Option<String>,
    #[sdk(computed)]
    arn: Option<String>,
    #[sdk(optional, computed, force_new)]
    name: Option<String>,
    #[sdk(optional, computed, force_new)]
    name_prefix: Option<String>,
    /// the description of each new version
    #[sdk(optional)]
    description: Option<String>,
    /// the version instances launch from unless told otherwise
    #[sdk(optional, computed)]
    default_version: Option<i64>,
    #[sdk(computed)]
    latest_version: Option<i64>,
    /// make each new version the default
    #[sdk(optional)]
    update_default_version: Option<bool>,
    #[sdk(optional)]
    disable_api_stop: Option<bool>,
    #[sdk(optional)]
    disable_api_termination: Option<bool>,
    /// "true" or "false"
    #[sdk(optional)]
    ebs_optimized: Option<String>,
    #[sdk(optional)]
    image_id: Option<String>,
    #[sdk(optional)]
    instance_initiated_shutdown_behavior: Option<String>,
    #[sdk(optional)]
    instance_type: Option<String>,
    #[sdk(optional)]
    kernel_id: Option<String>,
    #[sdk(optional)]
    key_name: Option<String>,
    #[sdk(optional)]
    ram_disk_id: Option<String>,
    #[sdk(optional, set)]
    security_group_names: Option<Vec<String>>,
    /// base64, as launched instances receive it
    #[sdk(optional)]
    user_data: Option<String>,
    #[sdk(optional, set)]
    vpc_security_group_ids: Option<Vec<String>>,
    #[sdk(block)]
    block_device_mappings: Vec<BlockDevice>,
    #[sdk(block, max_items = 1)]
    iam_instance_profile: Vec<InstanceProfile>,
    #[sdk(block, max_items = 1)]
    metadata_options: Vec<MetadataOptions>,
    #[sdk(block)]
    network_interfaces: Vec<NetworkInterface>,
    #[sdk(block)]
    tag_specifications: Vec<TagSpecification>,
    #[sdk(block, max_items = 1)]
    monitoring: Vec<Monitoring>,
    #[sdk(block, max_items = 1)]
    cpu_options: Vec<CpuOptions>,
    #[sdk(block, max_items = 1)]
    credit_specification: Vec<CreditSpecification>,
    #[sdk(block, max_items = 1)]
    placement: Vec<Placement>,
    #[sdk(block, max_items = 1)]
    private_dns_name_options: Vec<PrivateDnsNameOptions>,
    #[sdk(block, max_items = 1)]
    maintenance_options: Vec<MaintenanceOptions>,
    #[sdk(block, max_items = 1)]
    enclave_options: Vec<EnclaveOptions>,
    #[sdk(block, max_items = 1)]
    hibernation_options: Vec<HibernationOptions>,
    #[sdk(flatten)]
    tags: Tags,
}

/// Attributes that are not part of a version's data.
const NOT_DATA: &[&str] = &["id", "arn", "name", "name_prefix", "default_version", "latest_version", "update_default_version", "tags", "tags_all"];

fn sbool(v: &Option<String>) -> Option<bool> {
    v.as_deref().filter(|s| !s.is_empty()).and_then(|s| s.parse().ok())
}

fn bstr(v: Option<bool>) -> Option<String> {
    v.map(|b| b.to_string())
}

fn int(v: Option<i64>) -> Option<i32> {
    v.and_then(|n| i32::try_from(n).ok())
}

fn nonempty(v: &Option<String>) -> Option<String> {
    v.clone().filter(|s| !s.is_empty())
}

impl LaunchTemplateModel {
    fn data(&self) -> RequestLaunchTemplateData {
        let mut d = RequestLaunchTemplateData::builder()
            .set_disable_api_stop(self.disable_api_stop)
            .set_disable_api_termination(self.disable_api_termination)
            .set_ebs_optimized(sbool(&self.ebs_optimized))
            .set_image_id(nonempty(&self.image_id))
            .set_instance_initiated_shutdown_behavior(nonempty(&self.instance_initiated_shutdown_behavior).map(|s| ShutdownBehavior::from(s.as_str())))
            .set_instance_type(nonempty(&self.instance_type).map(|s| InstanceType::from(s.as_str())))
            .set_kernel_id(nonempty(&self.kernel_id))
            .set_key_name(nonempty(&self.key_name))
            .set_ram_disk_id(nonempty(&self.ram_disk_id))
            .set_security_groups(self.security_group_names.clone().filter(|v| !v.is_empty()))
            .set_security_group_ids(self.vpc_security_group_ids.clone().filter(|v| !v.is_empty()))
            .set_user_data(nonempty(&self.user_data));
        for b in &self.block_device_mappings {
            let ebs = b.ebs.first().map(|e| {
                LaunchTemplateEbsBlockDeviceRequest::builder()
                    .set_delete_on_termination(sbool(&e.delete_on_termination))
                    .set_encrypted(sbool(&e.encrypted))
                    .set_iops(int(e.iops).filter(|n| *n > 0))
                    .set_kms_key_id(nonempty(&e.kms_key_id))
                    .set_snapshot_id(nonempty(&e.snapshot_id))
                    .set_throughput(int(e.throughput).filter(|n| *n > 0))
                    .set_volume_initialization_rate(int(e.volume_initialization_rate).filter(|n| *n > 0))
                    .set_volume_size(int(e.volume_size).filter(|n| *n > 0))
                    .set_volume_type(nonempty(&e.volume_type).map(|s| VolumeType::from(s.as_str())))
                    .build()
            });
            d = d.block_device_mappings(
                LaunchTemplateBlockDeviceMappingRequest::builder()
                    .set_device_name(nonempty(&b.device_name))
                    .set_no_device(nonempty(&b.no_device))
                    .set_virtual_name(nonempty(&b.virtual_name))
                    .set_ebs(ebs)
                    .build(),
            );
        }
        if let Some(p) = self.iam_instance_profile.first() {
            d = d.iam_instance_profile(
                LaunchTemplateIamInstanceProfileSpecificationRequest::builder().set_arn(nonempty(&p.arn)).set_name(nonempty(&p.name)).build(),
            );
        }
        if let Some(m) = self.metadata_options.first() {
            d = d.metadata_options(
                LaunchTemplateInstanceMetadataOptionsRequest::builder()
                    .set_http_endpoint(nonempty(&m.http_endpoint).map(|s| LaunchTemplateInstanceMetadataEndpointState::from(s.as_str())))
                    .set_http_protocol_ipv6(nonempty(&m.http_protocol_ipv6).map(|s| LaunchTemplateInstanceMetadataProtocolIpv6::from(s.as_str())))
                    .set_http_put_response_hop_limit(int(m.http_put_response_hop_limit).filter(|n| *n > 0))
                    .set_http_tokens(nonempty(&m.http_tokens).map(|s| LaunchTemplateHttpTokensState::from(s.as_str())))
                    .set_instance_metadata_tags(nonempty(&m.instance_metadata_tags).map(|s| LaunchTemplateInstanceMetadataTagsState::from(s.as_str())))
                    .build(),
            );
        }
        for n in &self.network_interfaces {
            let ips: Vec<PrivateIpAddressSpecification> =
                n.ipv4_addresses.iter().flatten().map(|a| PrivateIpAddressSpecification::builder().private_ip_address(a).primary(false).build()).collect();
            let mut b = LaunchTemplateInstanceNetworkInterfaceSpecificationRequest::builder()
                .set_associate_carrier_ip_address(sbool(&n.associate_carrier_ip_address))
                .set_associate_public_ip_address(sbool(&n.associate_public_ip_address))
                .set_delete_on_termination(sbool(&n.delete_on_termination))
                .set_description(nonempty(&n.description))
                .set_device_index(int(n.device_index))
                .set_interface_type(nonempty(&n.interface_type))
                .set_secondary_private_ip_address_count(int(n.ipv4_address_count).filter(|c| *c > 0))
                .set_private_ip_addresses(Some(ips).filter(|v| !v.is_empty()))
                .set_ipv4_prefix_count(int(n.ipv4_prefix_count).filter(|c| *c > 0))
                .set_ipv6_address_count(int(n.ipv6_address_count).filter(|c| *c > 0))
                .set_ipv6_prefix_count(int(n.ipv6_prefix_count).filter(|c| *c > 0))
                .set_network_card_index(int(n.network_card_index))
                .set_network_interface_id(nonempty(&n.network_interface_id))
                .set_primary_ipv6(sbool(&n.primary_ipv6))
                .set_private_ip_address(nonempty(&n.private_ip_address))
                .set_groups(n.security_groups.clone().filter(|v| !v.is_empty()))
                .set_subnet_id(nonempty(&n.subnet_id));
            for p in n.ipv4_prefixes.iter().flatten() {
                b = b.ipv4_prefixes(aws_sdk_ec2::types::Ipv4PrefixSpecificationRequest::builder().ipv4_prefix(p).build());
            }
            for a in n.ipv6_addresses.iter().flatten() {
                b = b.ipv6_addresses(aws_sdk_ec2::types::InstanceIpv6AddressRequest::builder().ipv6_address(a).build());
            }
            for p in n.ipv6_prefixes.iter().flatten() {
                b = b.ipv6_prefixes(aws_sdk_ec2::types::Ipv6PrefixSpecificationRequest::builder().ipv6_prefix(p).build());
            }
            d = d.network_interfaces(b.build());
        }
        for t in &self.tag_specifications {
            let tags = t.tags.as_ref().map(sdk_tags);
            d = d.tag_specifications(
                LaunchTemplateTagSpecificationRequest::builder().set_resource_type(t.resource_type.as_deref().map(ResourceType::from)).set_tags(tags).build(),
            );
        }
        if let Some(m) = self.monitoring.first() {
            d = d.monitoring(LaunchTemplatesMonitoringRequest::builder().set_enabled(m.enabled).build());
        }
        if let Some(c) = self.cpu_options.first() {
            d = d.cpu_options(
                LaunchTemplateCpuOptionsRequest::builder()
                    .set_core_count(int(c.core_count).filter(|n| *n > 0))
                    .set_threads_per_core(int(c.threads_per_core).filter(|n| *n > 0))
                    .set_amd_sev_snp(nonempty(&c.amd_sev_snp).map(|s| aws_sdk_ec2::types::AmdSevSnpSpecification::from(s.as_str())))
                    .build(),
            );
        }
        if let Some(c) = self.credit_specification.first() {
            d = d.credit_specification(CreditSpecificationRequest::builder().set_cpu_credits(nonempty(&c.cpu_credits)).build());
        }
        if let Some(p) = self.placement.first() {
            d = d.placement(
                LaunchTemplatePlacementRequest::builder()
                    .set_affinity(nonempty(&p.affinity))
                    .set_availability_zone(nonempty(&p.availability_zone))
                    .set_group_name(nonempty(&p.group_name))
                    .set_host_id(nonempty(&p.host_id))
                    .set_host_resource_group_arn(nonempty(&p.host_resource_group_arn))
                    .set_partition_number(int(p.partition_number).filter(|n| *n > 0))
                    .set_spread_domain(nonempty(&p.spread_domain))
                    .set_tenancy(nonempty(&p.tenancy).map(|s| Tenancy::from(s.as_str())))
                    .build(),
            );
        }
        if let Some(o) = self.private_dns_name_options.first() {
            d = d.private_dns_name_options(
                LaunchTemplatePrivateDnsNameOptionsRequest::builder()
                    .set_enable_resource_name_dns_a_record(o.enable_resource_name_dns_a_record)
                    .set_enable_resource_name_dns_aaaa_record(o.enable_resource_name_dns_aaaa_record)
                    .set_hostname_type(nonempty(&o.hostname_type).map(|s| HostnameType::from(s.as_str())))
                    .build(),
            );
        }
        if let Some(m) = self.maintenance_options.first() {
            d = d.maintenance_options(
                LaunchTemplateInstanceMaintenanceOptionsRequest::builder()
                    .set_auto_recovery(nonempty(&m.auto_recovery).map(|s| LaunchTemplateAutoRecoveryState::from(s.as_str())))
                    .build(),
            );
        }
        if let Some(e) = self.enclave_options.first() {
            d = d.enclave_options(LaunchTemplateEnclaveOptionsRequest::builder().set_enabled(e.enabled).build());
        }
        if let Some(h) = self.hibernation_options.first() {
            d = d.hibernation_options(LaunchTemplateHibernationOptionsRequest::builder().configured(h.configured).build());
        }
        d.build()
    }

    /// The version's data as a read reports it; `current` for what the API
    /// leaves out (the order of block devices and interfaces it keeps).
    fn with_data(mut self, d: &ResponseLaunchTemplateData) -> LaunchTemplateModel {
        let s = |x: Option<&str>| x.filter(|v| !v.is_empty()).map(str::to_string);
        let n = |x: Option<i32>| x.map(i64::from);
        let list = |v: &[String]| Some(v.to_vec()).filter(|v| !v.is_empty());
        self.disable_api_stop = d.disable_api_stop().or(self.disable_api_stop.map(|_| false));
        self.disable_api_termination = d.disable_api_termination().or(self.disable_api_termination.map(|_| false));
        self.ebs_optimized = bstr(d.ebs_optimized());
        self.image_id = s(d.image_id());
        self.instance_initiated_shutdown_behavior = s(d.instance_initiated_shutdown_behavior().map(|b| b.as_str()));
        self.instance_type = s(d.instance_type().map(|t| t.as_str()));
        self.kernel_id = s(d.kernel_id());
        self.key_name = s(d.key_name());
        self.ram_disk_id = s(d.ram_disk_id());
        self.security_group_names = list(d.security_groups());
        self.user_data = s(d.user_data());
        self.vpc_security_group_ids = list(d.security_group_ids());
        self.block_device_mappings = d
            .block_device_mappings()
            .iter()
            .map(|b| BlockDevice {
                device_name: s(b.device_name()),
                no_device: s(b.no_device()),
                virtual_name: s(b.virtual_name()),
                ebs: b
                    .ebs()
                    .map(|e| Ebs {
                        delete_on_termination: bstr(e.delete_on_termination()),
                        encrypted: bstr(e.encrypted()),
                        iops: Some(n(e.iops()).unwrap_or(0)),
                        kms_key_id: s(e.kms_key_id()),
                        snapshot_id: s(e.snapshot_id()),
                        throughput: Some(n(e.throughput()).unwrap_or(0)),
                        volume_initialization_rate: Some(n(e.volume_initialization_rate()).unwrap_or(0)),
                        volume_size: Some(n(e.volume_size()).unwrap_or(0)),
                        volume_type: Some(e.volume_type().map(|t| t.as_str().to_string()).unwrap_or_default()),
                    })
                    .into_iter()
                    .collect(),
            })
            .collect();
        self.iam_instance_profile = d.iam_instance_profile().map(|p| InstanceProfile { arn: s(p.arn()), name: s(p.name()) }).into_iter().collect();
        self.metadata_options = d
            .metadata_options()
            .map(|m| MetadataOptions {
                http_endpoint: Some(m.http_endpoint().map(|x| x.as_str().to_string()).unwrap_or_default()),
                http_protocol_ipv6: Some(m.http_protocol_ipv6().map(|x| x.as_str().to_string()).unwrap_or_default()),
                http_put_response_hop_limit: Some(n(m.http_put_response_hop_limit()).unwrap_or(0)),
                http_tokens: Some(m.http_tokens().map(|x| x.as_str().to_string()).unwrap_or_default()),
                instance_metadata_tags: Some(m.instance_metadata_tags().map(|x| x.as_str().to_string()).unwrap_or_default()),
            })
            .into_iter()
            .collect();
        self.network_interfaces = d
            .network_interfaces()
            .iter()
            .map(|i| NetworkInterface {
                associate_carrier_ip_address: bstr(i.associate_carrier_ip_address()),
                associate_public_ip_address: bstr(i.associate_public_ip_address()),
                delete_on_termination: bstr(i.delete_on_termination()),
                description: s(i.description()),
                device_index: n(i.device_index()),
                interface_type: s(i.interface_type()),
                ipv4_address_count: n(i.secondary_private_ip_address_count()),
                ipv4_addresses: list(&i.private_ip_addresses().iter().filter_map(|a| a.private_ip_address()).map(str::to_string).collect::<Vec<_>>()),
                ipv4_prefix_count: n(i.ipv4_prefix_count()),
                ipv4_prefixes: list(&i.ipv4_prefixes().iter().filter_map(|p| p.ipv4_prefix()).map(str::to_string).collect::<Vec<_>>()),
                ipv6_address_count: n(i.ipv6_address_count()),
                ipv6_addresses: list(&i.ipv6_addresses().iter().filter_map(|a| a.ipv6_address()).map(str::to_string).collect::<Vec<_>>()),
                ipv6_prefix_count: n(i.ipv6_prefix_count()),
                ipv6_prefixes: list(&i.ipv6_prefixes().iter().filter_map(|p| p.ipv6_prefix()).map(str::to_string).collect::<Vec<_>>()),
                network_card_index: n(i.network_card_index()),
                network_interface_id: s(i.network_interface_id()),
                primary_ipv6: bstr(i.primary_ipv6()),
                private_ip_address: s(i.private_ip_address()),
                security_groups: list(i.groups()),
                subnet_id: s(i.subnet_id()),
            })
            .collect();
        self.tag_specifications = d
            .tag_specifications()
            .iter()
            // The template's own tags are not part of its data (an emulator may report them there).
            .filter(|t| t.resource_type().is_none_or(|r| r.as_str() != "launch-template"))
            .map(|t| TagSpecification {
                resource_type: t.resource_type().map(|r| r.as_str().to_string()),
                tags: Some(t.tags().iter().filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or("").to_string()))).collect())
                    .filter(|m: &BTreeMap<_, _>| !m.is_empty()),
            })
            .collect();
        self.monitoring = d.monitoring().map(|m| Monitoring { enabled: m.enabled() }).into_iter().collect();
        self.cpu_options = d
            .cpu_options()
            .map(|c| CpuOptions {
                amd_sev_snp: s(c.amd_sev_snp().map(|a| a.as_str())),
                core_count: n(c.core_count()),
                threads_per_core: n(c.threads_per_core()),
            })
            .into_iter()
            .collect();
        self.credit_specification = d.credit_specification().map(|c| CreditSpecification { cpu_credits: s(c.cpu_credits()) }).into_iter().collect();
        self.placement = d
            .placement()
            .map(|p| Placement {
                affinity: s(p.affinity()),
                availability_zone: s(p.availability_zone()),
                group_name: s(p.group_name()),
                host_id: s(p.host_id()),
                host_resource_group_arn: s(p.host_resource_group_arn()),
                partition_number: n(p.partition_number()),
                spread_domain: s(p.spread_domain()),
                tenancy: s(p.tenancy().map(|t| t.as_str())),
            })
            .into_iter()
            .collect();
        self.private_dns_name_options = d
            .private_dns_name_options()
            .map(|o| PrivateDnsNameOptions {
                enable_resource_name_dns_a_record: o.enable_resource_name_dns_a_record(),
                enable_resource_name_dns_aaaa_record: o.enable_resource_name_dns_aaaa_record(),
                hostname_type: s(o.hostname_type().map(|h| h.as_str())),
            })
            .into_iter()
            .collect();
        self.maintenance_options =
            d.maintenance_options().map(|m| MaintenanceOptions { auto_recovery: s(m.auto_recovery().map(|a| a.as_str())) }).into_iter().collect();
        self.enclave_options = d.enclave_options().map(|e| EnclaveOptions { enabled: e.enabled() }).into_iter().collect();
        self.hibernation_options = d.hibernation_options().map(|h| HibernationOptions { configured: h.configured().unwrap_or(false) }).into_iter().collect();
        self
    }
}

pub struct LaunchTemplate;

#[async_trait]
impl Resource<Aws> for LaunchTemplate {
    type Model = LaunchTemplateModel;
    const TYPE: &'static str = "aws_launch_template";

    async fn modify_plan(&self, cx: &Cx<'_>, prior: Option<&Value>, planned: &mut Value, _replace: &mut Vec<AttrPath>) -> Result<(), AwsError> {
        // A default_version the configuration sets (not the one read back).
        let dv = planned.get("default_version").filter(|v| !v.is_null() && !v.is_unknown());
        let set_here = dv.is_some() && prior.and_then(|p| p.get("default_version")) != dv;
        if set_here && planned.get("update_default_version") == Some(&Value::Bool(true)) {
            return Err(cx.invalid("default_version conflicts with update_default_version"));
        }
        let Some(prior) = prior else { return Ok(()) };
        let (Value::Map(old), Value::Map(new)) = (prior, &*planned) else { return Ok(()) };
        let data_changed = new.iter().any(|(k, v)| !NOT_DATA.contains(&k.as_str()) && old.get(k.as_str()) != Some(v));
        if data_changed {
            set(planned, "latest_version", Value::Unknown);
            if planned.get("update_default_version") == Some(&Value::Bool(true)) {
                set(planned, "default_version", Value::Unknown);
            }
        }
        Ok(())
    }

    async fn create(&self, cx: &Cx<'_>, p: LaunchTemplateModel) -> Result<LaunchTemplateModel, AwsError> {
        let name = name_from(cx, &p.name, &p.name_prefix);
        let out = cx
            .c()
            .ec2
            .create_launch_template()
            .launch_template_name(&name)
            .set_version_description(nonempty(&p.description))
            .launch_template_data(p.data())
            .tag_specifications(tag_spec(cx, ResourceType::LaunchTemplate, &p.tags))
            .send()
            .await
            .map_err(sdk(cx.addr))?;
        let id = out.launch_template().and_then(|t| t.launch_template_id()).ok_or_else(|| cx.invalid("CreateLaunchTemplate returned no id"))?.to_string();
        self.read(cx, LaunchTemplateModel { id: Some(id.clone()), ..p })
            .await?
            .ok_or_else(|| cx.invalid(format!("launch template {id} vanished after its create")))
    }

    async fn update(&self, cx: &Cx<'_>, prior: LaunchTemplateModel, p: LaunchTemplateModel) -> Result<LaunchTemplateModel, AwsError> {
        let id = id_of(cx, &prior.id)?;
        let ec2 = &cx.c().ec2;
        let mut latest = prior.latest_version;
        if p.latest_version.is_none() {
            let out = ec2
                .create_launch_template_version()
                .launch_template_id(id)
                .set_version_description(nonempty(&p.description))
                .launch_template_data(p.data())
                .send()
                .await
                .map_err(sdk(cx.addr))?;
            latest = out.launch_template_version().and_then(|v| v.version_number());
        }
        let default = if p.update_default_version == Some(true) { latest } else { p.default_version.filter(|d| Some(*d) != prior.default_version) };
        if let Some(v) = default.filter(|v| Some(*v) != prior.default_version) {
            ec2.modify_launch_template().launch_template_id(id).default_version(v.to_string()).send().await.map_err(sdk(cx.addr))?;
        }
        update_tags(cx, id, &prior.tags, &p.tags).await?;
        self.read(cx, p).await?.ok_or_else(|| cx.invalid(format!("launch template {id} vanished during its update")))
    }

    async fn read(&self, cx: &Cx<'_>, current: LaunchTemplateModel) -> Result<Option<LaunchTemplateModel>, AwsError> {
        let id = id_of(cx, &current.id)?.to_string();
        let Some(out) = absent(cx.c().ec2.describe_launch_templates().launch_template_ids(&id).send().await.map_err(sdk(cx.addr)))? else {
            return Ok(None);
        };
        let Some(t) = out.launch_templates().first() else { return Ok(None) };
        let latest = t.latest_version_number();
        let versions = cx
            .c()
            .ec2
            .describe_launch_template_versions()
            .launch_template_id(&id)
            .versions(latest.map(|v| v.to_string()).unwrap_or_else(|| "$Latest".into()))
            .send()
            .await
            .map_err(sdk(cx.addr))?;
        let version = versions.launch_template_versions().first();
        let name = t.launch_template_name().unwrap_or_default().to_string();
        let owner = t.created_by().and_then(|c| c.split(':').nth(4)).unwrap_or_default().to_string();
        let m = LaunchTemplateModel {
            arn: Some(format!("arn:aws:ec2:{}:{owner}:launch-template/{id}", cx.c().region)),
            name_prefix: Some(prefix_of(&name)),
            name: Some(name),
            description: version.and_then(|v| v.version_description()).filter(|d| !d.is_empty()).map(str::to_string),
            default_version: t.default_version_number(),
            latest_version: latest,
            tags: tags_of(t.tags()),
            id: Some(id),
            ..current
        };
        Ok(Some(match version.and_then(|v| v.launch_template_data()) {
            Some(d) => m.with_data(d),
            None => m,
        }))
    }

    /// `update_default_version` is configuration-only: an import takes it
    /// as set when the default version is the latest.
    async fn import(&self, cx: &Cx<'_>, id: &str) -> Result<Option<LaunchTemplateModel>, AwsError> {
        let stub = LaunchTemplateModel { id: Some(id.to_string()), ..LaunchTemplateModel::default() };
        Ok(self.read(cx, stub).await?.map(|mut m| {
            m.update_default_version = Some(m.default_version.is_some() && m.default_version == m.latest_version);
            m
        }))
    }

    async fn delete(&self, cx: &Cx<'_>, prior: LaunchTemplateModel) -> Result<(), AwsError> {
        let id = id_of(cx, &prior.id)?;
        absent(cx.c().ec2.delete_launch_template().launch_template_id(id).send().await.map_err(sdk(cx.addr)))?;
        Ok(())
    }

    async fn recover(&self, cx: &Cx<'_>, planned: LaunchTemplateModel) -> Result<Option<LaunchTemplateModel>, AwsError> {
        let out = cx.c().ec2.describe_launch_templates().filters(owner_filter(cx)).send().await.map_err(sdk(cx.addr))?;
        match out.launch_templates().first().and_then(|t| t.launch_template_id()) {
            Some(id) => self.read(cx, LaunchTemplateModel { id: Some(id.to_string()), ..planned }).await,
            None => Ok(None),
        }
    }
}
