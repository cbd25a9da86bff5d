//! `iac drift -unmanaged` against moto and the EKS layer: after a stack is
//! applied, exactly the objects made out of band are reported (EKS
//! clusters, node groups — also one added by hand to the managed cluster —,
//! S3 buckets, VPCs, subnets, IAM roles), never what AWS makes itself (the
//! default VPC and subnets, service-linked roles) nor buckets of another
//! region; a filter file hides what it names; a type list narrows a listing.

use crate::common;

use std::sync::Arc;

use aws_sdk_ec2::types::{ResourceType, Tag, TagSpecification};
use aws_sdk_eks::types::{NodegroupScalingConfig, VpcConfigRequest};
use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
use common::*;
use iac_core::provider::{CloudObject, ConfigureRequest, Provider, ProviderContext, ProviderFactory};
use iac_core::Value;
use iac_engine::ops;
use iac_engine::unmanaged::IgnoreList;
use iac_provider_aws::AwsFactory;

const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

const STACK: &str = r#"
resource "aws_vpc" "net" {
  cidr_block = "10.10.0.0/16"
  tags = {
    Name = "managed-net"
  }
}

resource "aws_subnet" "a" {
  vpc_id            = aws_vpc.net.id
  cidr_block        = "10.10.1.0/24"
  availability_zone = "us-east-1a"
}

resource "aws_subnet" "b" {
  vpc_id            = aws_vpc.net.id
  cidr_block        = "10.10.2.0/24"
  availability_zone = "us-east-1b"
}

resource "aws_iam_role" "eks" {
  name               = "managed-eks"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Principal = { Service = "eks.amazonaws.com" }, Action = "sts:AssumeRole" }] })
}

resource "aws_eks_cluster" "c" {
  name     = "managed"
  role_arn = aws_iam_role.eks.arn
  vpc_config {
    subnet_ids = [aws_subnet.a.id, aws_subnet.b.id]
  }
}

resource "aws_eks_node_group" "workers" {
  cluster_name    = aws_eks_cluster.c.name
  node_group_name = "workers"
  node_role_arn   = aws_iam_role.eks.arn
  subnet_ids      = [aws_subnet.a.id]
  scaling_config {
    desired_size = 1
    min_size     = 1
    max_size     = 2
  }
}

resource "aws_s3_bucket" "logs" {
  bucket = "managed-logs"
}
"#;

fn named(type_: ResourceType, name: &str) -> TagSpecification {
    TagSpecification::builder().resource_type(type_).tags(Tag::builder().key("Name").value(name).build()).build()
}

fn report(objects: &[CloudObject]) -> Vec<String> {
    let mut v: Vec<String> = objects.iter().map(|o| format!("{} {} {}", o.type_, o.id, o.name)).collect();
    v.sort();
    v
}

async fn provider(endpoint: &str) -> Arc<dyn Provider> {
    let config = Value::map([("region", Value::from("us-east-1"))]);
    AwsFactory::with_env(aws_env(endpoint))
        .configure(ConfigureRequest { config, context: ProviderContext { stack_id: "inventory".into(), stack_dir: std::env::temp_dir() } })
        .await
        .unwrap()
}

#[test]
fn exactly_the_objects_made_out_of_band_are_reported() {
    let moto = iac_testkit::services::Moto::start();
    rt().block_on(async {
        let layer = iac_eks_sim_layer::start(&moto.endpoint(), iac_eks_sim_layer::Behaviour { transition_reads: 0, ..Default::default() }).await.unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let env = env(tmp.path(), &layer.url());
        let st = write_stack(tmp.path(), &format!("{PROVIDER}{STACK}"));
        apply(&st, &env, plan(&st, &env).await).await;
        let sdk = sdk(&layer.url()).await;

        // Out of band: a network, a role, a cluster with a node group, a node
        // group on the managed cluster, and a bucket.
        let vpc = sdk
            .ec2
            .create_vpc()
            .cidr_block("10.20.0.0/16")
            .tag_specifications(named(ResourceType::Vpc, "by-hand-net"))
            .send()
            .await
            .unwrap()
            .vpc()
            .and_then(|v| v.vpc_id())
            .unwrap()
            .to_string();
        let subnet = |cidr: &'static str, az: &'static str, name: &'static str| {
            sdk.ec2.create_subnet().vpc_id(&vpc).cidr_block(cidr).availability_zone(az).tag_specifications(named(ResourceType::Subnet, name)).send()
        };
        let sa = subnet("10.20.1.0/24", "us-east-1a", "by-hand-a").await.unwrap().subnet().and_then(|s| s.subnet_id()).unwrap().to_string();
        let sb = subnet("10.20.2.0/24", "us-east-1b", "by-hand-b").await.unwrap().subnet().and_then(|s| s.subnet_id()).unwrap().to_string();
        let role = sdk
            .iam
            .create_role()
            .role_name("by-hand-eks")
            .assume_role_policy_document(TRUST)
            .send()
            .await
            .unwrap()
            .role()
            .map(|r| r.arn().to_string())
            .unwrap();
        sdk.eks
            .create_cluster()
            .name("by-hand")
            .role_arn(&role)
            .resources_vpc_config(VpcConfigRequest::builder().subnet_ids(&sa).subnet_ids(&sb).build())
            .send()
            .await
            .unwrap();
        let scaling = NodegroupScalingConfig::builder().min_size(1).max_size(1).desired_size(1).build();
        for (cluster, group) in [("by-hand", "by-hand-workers"), ("managed", "extra")] {
            sdk.eks
                .create_nodegroup()
                .cluster_name(cluster)
                .nodegroup_name(group)
                .node_role(&role)
                .subnets(&sa)
                .scaling_config(scaling.clone())
                .send()
                .await
                .unwrap();
        }
        sdk.s3.create_bucket().bucket("by-hand-data").send().await.unwrap();
        // AWS's own objects and another region's bucket: never reported.
        sdk.iam.create_service_linked_role().aws_service_name("autoscaling.amazonaws.com").send().await.unwrap();
        let eu = CreateBucketConfiguration::builder().location_constraint(BucketLocationConstraint::EuWest1).build();
        sdk.s3.create_bucket().bucket("by-hand-in-eu").create_bucket_configuration(eu).send().await.unwrap();
        assert!(sdk.ec2.describe_vpcs().send().await.unwrap().vpcs().iter().any(|v| v.is_default() == Some(true)), "moto has a default VPC to skip");

        let loaded = ops::load(&st, &env.registry).map_err(|(e, _)| e).unwrap();
        let mut r = ops::drift(&loaded, &env, Vec::new(), 4, true).await.expect("drift");
        assert!(r.drift.is_empty(), "{:?}", r.drift);
        let mut alone = ops::DriftReport {
            unmanaged: r.unmanaged.clone(),
            known_ids: r.known_ids.clone(),
            drift: Vec::new(),
            managed_types: Default::default(),
            duration: Default::default(),
            checked_at_unix: 0,
        };
        ops::settle_unmanaged(&mut [&mut alone], &IgnoreList::default());
        let expected = vec![
            "aws_eks_cluster by-hand by-hand".to_string(),
            "aws_eks_node_group by-hand:by-hand-workers by-hand-workers".to_string(),
            "aws_eks_node_group managed:extra extra".to_string(),
            "aws_iam_role by-hand-eks by-hand-eks".to_string(),
            "aws_s3_bucket by-hand-data by-hand-data".to_string(),
            format!("aws_subnet {sa} by-hand-a"),
            format!("aws_subnet {sb} by-hand-b"),
            format!("aws_vpc {vpc} by-hand-net"),
        ];
        let mut expected_sorted = expected.clone();
        expected_sorted.sort();
        assert_eq!(report(&alone.unmanaged), expected_sorted);
        assert!(alone.has_drift(), "unmanaged objects count as drift");

        // A filter file hides the hand-made bucket and node groups by name.
        let ignore = IgnoreList::parse("aws_s3_bucket by-hand-*\naws_eks_node_group *:extra\n").unwrap();
        ops::settle_unmanaged(&mut [&mut r], &ignore);
        let kept: Vec<String> = expected_sorted.iter().filter(|l| !l.starts_with("aws_s3_bucket") && !l.contains(":extra")).cloned().collect();
        assert_eq!(report(&r.unmanaged), kept);

        // A type list narrows the listing (managed objects are listed too: the engine filters them).
        let p = provider(&layer.url()).await;
        let groups = p.list_objects(&["aws_eks_node_group".to_string(), "aws_s3_bucket".to_string()]).await.unwrap();
        assert_eq!(
            report(&groups),
            [
                "aws_eks_node_group by-hand:by-hand-workers by-hand-workers",
                "aws_eks_node_group managed:extra extra",
                "aws_eks_node_group managed:workers workers",
                "aws_s3_bucket by-hand-data by-hand-data",
                "aws_s3_bucket managed-logs managed-logs"
            ]
        );
    });
}
