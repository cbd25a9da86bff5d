//! The networking resources against moto, through the engine: a VPC over
//! two zones with public and private subnets, an internet gateway, a NAT
//! gateway with its Elastic IP, route tables with inline routes and their
//! associations, and a security group with separate rules. Applied, then
//! re-planned with no changes; changes made by hand are found and undone;
//! updates go in place or replace as AWS allows; destroy leaves nothing.

use crate::common;

use common::*;
use iac_core::plan::Action;
use iac_core::Value;

fn stack(extra_vpc_tag: &str, dns_hostnames: bool, sg_port: u16) -> String {
    format!(
        r#"{PROVIDER}
data "aws_availability_zones" "available" {{
  state = "available"
}}

resource "aws_vpc" "main" {{
  cidr_block           = "10.0.0.0/16"
  enable_dns_hostnames = {dns_hostnames}
  tags = {{
    Name = "main"{extra_vpc_tag}
  }}
}}

resource "aws_subnet" "public" {{
  count                   = 2
  vpc_id                  = aws_vpc.main.id
  cidr_block              = cidrsubnet(aws_vpc.main.cidr_block, 8, count.index)
  availability_zone       = data.aws_availability_zones.available.names[count.index]
  map_public_ip_on_launch = true
}}

resource "aws_subnet" "private" {{
  count             = 2
  vpc_id            = aws_vpc.main.id
  cidr_block        = cidrsubnet(aws_vpc.main.cidr_block, 8, count.index + 10)
  availability_zone = data.aws_availability_zones.available.names[count.index]
}}

resource "aws_internet_gateway" "gw" {{
  vpc_id = aws_vpc.main.id
}}

resource "aws_eip" "nat" {{
  domain = "vpc"
}}

resource "aws_nat_gateway" "nat" {{
  allocation_id = aws_eip.nat.id
  subnet_id     = aws_subnet.public[0].id
  depends_on    = [aws_internet_gateway.gw]
}}

resource "aws_route_table" "public" {{
  vpc_id = aws_vpc.main.id
  route {{
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.gw.id
  }}
}}

resource "aws_route_table" "private" {{
  vpc_id = aws_vpc.main.id
  route {{
    cidr_block     = "0.0.0.0/0"
    nat_gateway_id = aws_nat_gateway.nat.id
  }}
}}

resource "aws_route_table_association" "public" {{
  count          = 2
  subnet_id      = aws_subnet.public[count.index].id
  route_table_id = aws_route_table.public.id
}}

resource "aws_route_table_association" "private" {{
  count          = 2
  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private.id
}}

resource "aws_security_group" "nodes" {{
  name        = "nodes"
  description = "worker nodes"
  vpc_id      = aws_vpc.main.id
}}

resource "aws_vpc_security_group_ingress_rule" "https" {{
  security_group_id = aws_security_group.nodes.id
  ip_protocol       = "tcp"
  from_port         = {sg_port}
  to_port           = {sg_port}
  cidr_ipv4         = "10.0.0.0/16"
}}

resource "aws_vpc_security_group_egress_rule" "all" {{
  security_group_id = aws_security_group.nodes.id
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
}}

data "aws_caller_identity" "me" {{}}

output "account" {{
  value = data.aws_caller_identity.me.account_id
}}
"#
    )
}

#[test]
fn a_vpc_with_public_and_private_subnets_converges_detects_drift_and_is_destroyed() {
    let moto = iac_testkit::services::Moto::start();
    rt().block_on(async {
        let tmp = tempfile::tempdir().unwrap();
        let env = env(tmp.path(), &moto.endpoint());
        let aws = sdk(&moto.endpoint()).await;
        let st = write_stack(tmp.path(), &stack("", false, 443));

        let p = plan(&st, &env).await;
        assert_eq!(p.count(Action::Create), 17, "{:?}", changes(&p));
        apply(&st, &env, p).await;

        // Tags: configured, defaulted, and the ownership tag.
        let vpc = state_str(&env, "aws_vpc.main", "id").await;
        let tags = aws.tags_of(&vpc).await;
        assert_eq!(tags.get("Name").map(String::as_str), Some("main"));
        assert_eq!(tags.get("team").map(String::as_str), Some("platform"), "default_tags reach AWS");
        assert!(tags.get("iac:owner").is_some_and(|o| o.ends_with("/aws_vpc.main")), "{tags:?}");
        assert_eq!(state_attr(&env, "aws_vpc.main", "tags").await, Value::map([("Name", Value::from("main"))]));
        assert_eq!(state_attr(&env, "aws_vpc.main", "tags_all").await, Value::map([("Name", Value::from("main")), ("team", Value::from("platform"))]));
        // Routes point where configured.
        let nat = state_str(&env, "aws_nat_gateway.nat", "id").await;
        let routes = state_attr(&env, "aws_route_table.private", "route").await;
        assert_eq!(routes.as_list().unwrap().len(), 1);
        assert_eq!(routes.as_list().unwrap()[0].get("nat_gateway_id"), Some(&Value::from(nat.as_str())));
        assert_eq!(state_attr(&env, "aws_nat_gateway.nat", "public_ip").await, state_attr(&env, "aws_eip.nat", "public_ip").await);
        // The default allow-all egress rule is gone: only the configured rule remains.
        let sg = state_str(&env, "aws_security_group.nodes", "id").await;
        let rules =
            aws.ec2.describe_security_group_rules().filters(aws_sdk_ec2::types::Filter::builder().name("group-id").values(&sg).build()).send().await.unwrap();
        let egress: Vec<_> = rules.security_group_rules().iter().filter(|r| r.is_egress() == Some(true)).collect();
        assert_eq!(egress.len(), 1, "{egress:?}");

        let again = plan(&st, &env).await;
        assert!(changes(&again).is_empty(), "re-plan after apply: {:?}", changes(&again));

        // By hand: a tag changed, a subnet setting flipped, a rule revoked.
        aws.ec2.create_tags().resources(&vpc).tags(aws_sdk_ec2::types::Tag::builder().key("Name").value("renamed").build()).send().await.unwrap();
        let subnet = state_str(&env, "aws_subnet.public[1]", "id").await;
        aws.ec2
            .modify_subnet_attribute()
            .subnet_id(&subnet)
            .map_public_ip_on_launch(aws_sdk_ec2::types::AttributeBooleanValue::builder().value(false).build())
            .send()
            .await
            .unwrap();
        let rule = state_str(&env, "aws_vpc_security_group_ingress_rule.https", "id").await;
        aws.ec2.revoke_security_group_ingress().group_id(&sg).security_group_rule_ids(&rule).send().await.unwrap();
        let drift = plan(&st, &env).await;
        assert_eq!(
            changes(&drift),
            vec!["Create aws_vpc_security_group_ingress_rule.https", "Update aws_subnet.public[1]", "Update aws_vpc.main"],
            "{:?}",
            drift.drift
        );
        apply(&st, &env, drift).await;
        assert_eq!(aws.tags_of(&vpc).await.get("Name").map(String::as_str), Some("main"));
        let again = plan(&st, &env).await;
        assert!(changes(&again).is_empty(), "after undoing drift: {:?}", changes(&again));

        // In place: a new tag, DNS hostnames, a rule's port. Replace: nothing here.
        let st = write_stack(tmp.path(), &stack(",\n    env = \"dev\"", true, 8443));
        let up = plan(&st, &env).await;
        assert_eq!(changes(&up), vec!["Update aws_vpc.main", "Update aws_vpc_security_group_ingress_rule.https"]);
        apply(&st, &env, up).await;
        assert_eq!(state_str(&env, "aws_vpc.main", "id").await, vpc, "updated in place");
        assert_eq!(state_attr(&env, "aws_vpc.main", "enable_dns_hostnames").await, Value::Bool(true));
        assert_eq!(state_attr(&env, "aws_vpc_security_group_ingress_rule.https", "from_port").await, Value::number(8443.0));
        let again = plan(&st, &env).await;
        assert!(changes(&again).is_empty(), "after update: {:?}", changes(&again));

        destroy(&st, &env).await;
        assert!(aws.vpcs().await.is_empty(), "destroy leaves no VPC");
        let eips = aws.ec2.describe_addresses().send().await.unwrap();
        assert!(eips.addresses().is_empty(), "destroy releases the address");
        let nats = aws.ec2.describe_nat_gateways().send().await.unwrap();
        assert!(nats.nat_gateways().iter().all(|n| n.state().map(|s| s.as_str()) == Some("deleted")), "{nats:?}");
    });
}
