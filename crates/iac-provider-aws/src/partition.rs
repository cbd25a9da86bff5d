//! Facts about AWS partitions and regions that need no API call: which
//! partition a region is in, its DNS suffix, the region's description and
//! EC2 endpoint, and service principal names. They back the data sources
//! `aws_partition`, `aws_region` and `aws_service_principal`.

/// An AWS partition (`aws`, `aws-cn`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    /// Its id (`aws-cn`).
    pub id: &'static str,
    /// The DNS suffix of its endpoints (`amazonaws.com.cn`).
    pub dns_suffix: &'static str,
    /// The reverse DNS prefix (`cn.com.amazonaws`).
    pub reverse_dns_prefix: &'static str,
}

const AWS: Partition = Partition { id: "aws", dns_suffix: "amazonaws.com", reverse_dns_prefix: "com.amazonaws" };
const AWS_CN: Partition = Partition { id: "aws-cn", dns_suffix: "amazonaws.com.cn", reverse_dns_prefix: "cn.com.amazonaws" };
const AWS_US_GOV: Partition = Partition { id: "aws-us-gov", dns_suffix: "amazonaws.com", reverse_dns_prefix: "com.amazonaws" };
const AWS_ISO: Partition = Partition { id: "aws-iso", dns_suffix: "c2s.ic.gov", reverse_dns_prefix: "gov.ic.c2s" };
const AWS_ISO_B: Partition = Partition { id: "aws-iso-b", dns_suffix: "sc2s.sgov.gov", reverse_dns_prefix: "gov.sgov.sc2s" };
const AWS_ISO_E: Partition = Partition { id: "aws-iso-e", dns_suffix: "cloud.adc-e.uk", reverse_dns_prefix: "uk.adc-e.cloud" };
const AWS_ISO_F: Partition = Partition { id: "aws-iso-f", dns_suffix: "csp.hci.ic.gov", reverse_dns_prefix: "gov.ic.hci.csp" };

/// The partition of a region, by its name's prefix (regions not yet known
/// to this table still land in the right partition).
pub fn partition_of(region: &str) -> Partition {
    if region.starts_with("cn-") {
        AWS_CN
    } else if region.starts_with("us-gov-") {
        AWS_US_GOV
    } else if region.starts_with("us-isob-") {
        AWS_ISO_B
    } else if region.starts_with("us-iso-") {
        AWS_ISO
    } else if region.starts_with("eu-isoe-") {
        AWS_ISO_E
    } else if region.starts_with("us-isof-") {
        AWS_ISO_F
    } else {
        AWS
    }
}

/// The regions and their descriptions, as AWS names them.
const REGIONS: &[(&str, &str)] = &[
    ("af-south-1", "Africa (Cape Town)"),
    ("ap-east-1", "Asia Pacific (Hong Kong)"),
    ("ap-east-2", "Asia Pacific (Taipei)"),
    ("ap-northeast-1", "Asia Pacific (Tokyo)"),
    ("ap-northeast-2", "Asia Pacific (Seoul)"),
    ("ap-northeast-3", "Asia Pacific (Osaka)"),
    ("ap-south-1", "Asia Pacific (Mumbai)"),
    ("ap-south-2", "Asia Pacific (Hyderabad)"),
    ("ap-southeast-1", "Asia Pacific (Singapore)"),
    ("ap-southeast-2", "Asia Pacific (Sydney)"),
    ("ap-southeast-3", "Asia Pacific (Jakarta)"),
    ("ap-southeast-4", "Asia Pacific (Melbourne)"),
    ("ap-southeast-5", "Asia Pacific (Malaysia)"),
    ("ap-southeast-7", "Asia Pacific (Thailand)"),
    ("ca-central-1", "Canada (Central)"),
    ("ca-west-1", "Canada West (Calgary)"),
    ("eu-central-1", "Europe (Frankfurt)"),
    ("eu-central-2", "Europe (Zurich)"),
    ("eu-north-1", "Europe (Stockholm)"),
    ("eu-south-1", "Europe (Milan)"),
    ("eu-south-2", "Europe (Spain)"),
    ("eu-west-1", "Europe (Ireland)"),
    ("eu-west-2", "Europe (London)"),
    ("eu-west-3", "Europe (Paris)"),
    ("il-central-1", "Israel (Tel Aviv)"),
    ("me-central-1", "Middle East (UAE)"),
    ("me-south-1", "Middle East (Bahrain)"),
    ("mx-central-1", "Mexico (Central)"),
    ("sa-east-1", "South America (Sao Paulo)"),
    ("us-east-1", "US East (N. Virginia)"),
    ("us-east-2", "US East (Ohio)"),
    ("us-west-1", "US West (N. California)"),
    ("us-west-2", "US West (Oregon)"),
    ("cn-north-1", "China (Beijing)"),
    ("cn-northwest-1", "China (Ningxia)"),
    ("us-gov-east-1", "AWS GovCloud (US-East)"),
    ("us-gov-west-1", "AWS GovCloud (US-West)"),
    ("us-iso-east-1", "US ISO East"),
    ("us-iso-west-1", "US ISO WEST"),
    ("us-isob-east-1", "US ISOB East (Ohio)"),
    ("eu-isoe-west-1", "EU ISOE West"),
    ("us-isof-east-1", "US ISOF EAST"),
    ("us-isof-south-1", "US ISOF SOUTH"),
];

/// A known region's description; None for a region this table lacks.
pub fn region_description(region: &str) -> Option<&'static str> {
    REGIONS.iter().find(|(name, _)| *name == region).map(|(_, d)| *d)
}

/// The region's EC2 endpoint host (what `aws_region.endpoint` reports).
pub fn ec2_endpoint(region: &str) -> String {
    format!("ec2.{region}.{}", partition_of(region).dns_suffix)
}

/// The region whose EC2 endpoint host is `endpoint`.
pub fn region_of_endpoint(endpoint: &str) -> Option<&'static str> {
    REGIONS.iter().map(|(name, _)| *name).find(|name| ec2_endpoint(name) == endpoint)
}

/// The suffix of a service's principal in a region's partition: services
/// in isolated and China partitions mostly keep `amazonaws.com`; a few use
/// the partition's own DNS suffix.
pub fn service_principal_suffix(service: &str, region: &str) -> &'static str {
    let p = partition_of(region);
    let own = match p.id {
        "aws-iso" => ["cloudhsm", "config", "logs", "workspaces"].contains(&service),
        "aws-iso-b" => ["dms", "logs"].contains(&service),
        "aws-cn" => ["codedeploy", "elasticmapreduce", "logs"].contains(&service),
        _ => false,
    };
    if own && !service.is_empty() {
        p.dns_suffix
    } else {
        "amazonaws.com"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_follow_region_prefixes() {
        assert_eq!(partition_of("eu-west-1").id, "aws");
        assert_eq!(partition_of("cn-northwest-1").dns_suffix, "amazonaws.com.cn");
        assert_eq!(partition_of("us-gov-west-1").id, "aws-us-gov");
        assert_eq!(partition_of("us-isob-east-1").id, "aws-iso-b");
    }

    #[test]
    fn endpoints_and_principals() {
        assert_eq!(ec2_endpoint("cn-north-1"), "ec2.cn-north-1.amazonaws.com.cn");
        assert_eq!(region_of_endpoint("ec2.ap-southeast-2.amazonaws.com"), Some("ap-southeast-2"));
        assert_eq!(service_principal_suffix("logs", "cn-north-1"), "amazonaws.com.cn");
        assert_eq!(service_principal_suffix("eks", "cn-north-1"), "amazonaws.com");
        assert_eq!(region_description("us-east-1"), Some("US East (N. Virginia)"));
    }
}
