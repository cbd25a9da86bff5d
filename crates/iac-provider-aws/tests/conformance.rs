//! Every resource type and data source of the aws provider passes the
//! provider conformance suite against moto (and the EKS layer in front of
//! it for EKS and S3): exact plans for a create and an in-place edit,
//! read-back equal to what was written, import by id, deletion found by
//! refresh, destroy. Related types share a case: networking, IAM policies,
//! IAM identities (roles and OIDC providers), S3, EKS. The schema is
//! consistent.

use crate::common;

use common::*;
use iac_core::plan::Action::{self, Create, Update};
use iac_eks_sim_layer::Behaviour;
use iac_testkit::conformance::provider::{check_schema, run, Case, Step};

fn iam(actions: &str) -> String {
    format!(
        r#"{PROVIDER}
resource "aws_iam_role" "app" {{
  name               = "conformance"
  assume_role_policy = jsonencode({{ Version = "2012-10-17", Statement = [{{ Effect = "Allow", Principal = {{ Service = "ec2.amazonaws.com" }}, Action = "sts:AssumeRole" }}] }})
}}
resource "aws_iam_policy" "p" {{
  name   = "conformance"
  policy = jsonencode({{ Version = "2012-10-17", Statement = [{{ Effect = "Allow", Action = {actions}, Resource = "*" }}] }})
  tags = {{
    purpose = "conformance"
  }}
}}
resource "aws_iam_role_policy_attachment" "p" {{
  role       = aws_iam_role.app.name
  policy_arn = aws_iam_policy.p.arn
}}
resource "aws_iam_role_policy" "inline" {{
  role   = aws_iam_role.app.name
  name   = "inline"
  policy = jsonencode({{ Version = "2012-10-17", Statement = [{{ Effect = "Allow", Action = {actions}, Resource = "*" }}] }})
}}
"#
    )
}

#[test]
fn aws_schema_is_consistent() {
    let problems = check_schema(&iac_provider_aws::schema::provider_schema());
    assert!(problems.is_empty(), "{problems:?}");
}

#[test]
fn iam_policies_conform() {
    let moto = iac_testkit::services::Moto::start();
    rt().block_on(async {
        let tmp = tempfile::tempdir().unwrap();
        let stack = tmp.path().join("stack");
        std::fs::create_dir_all(&stack).unwrap();
        let all =
            [("aws_iam_role.app", Create), ("aws_iam_policy.p", Create), ("aws_iam_role_policy_attachment.p", Create), ("aws_iam_role_policy.inline", Create)];
        let case = Case {
            name: "aws iam".into(),
            steps: vec![
                Step::new(iam(r#""ec2:DescribeInstances""#), &all),
                Step::new(iam(r#"["ec2:DescribeInstances", "ec2:DescribeSubnets"]"#), &[("aws_iam_policy.p", Update), ("aws_iam_role_policy.inline", Update)]),
            ],
            // Every object, the role last-deleted: an import records what the
            // object references, so the destroy after it deletes the attachment
            // and the inline policy before the role.
            imports: vec![
                ("aws_iam_role.app".to_string(), "id".to_string()),
                ("aws_iam_policy.p".to_string(), "id".to_string()),
                ("aws_iam_role_policy_attachment.p".to_string(), "id".to_string()),
                ("aws_iam_role_policy.inline".to_string(), "id".to_string()),
            ],
            parallelism: 4,
            remote_objects: true,
        };
        run(&case, &stack, &env(tmp.path(), &moto.endpoint())).await;
        let aws = sdk(&moto.endpoint()).await;
        assert!(aws.iam.list_policies().scope(aws_sdk_iam::types::PolicyScopeType::Local).send().await.unwrap().policies().is_empty(), "destroy left a policy");
    });
}

/// Runs a case in a fresh directory against the services at `endpoint`.
async fn conform(name: &str, endpoint: &str, steps: Vec<Step>, imports: &[&str]) {
    let tmp = tempfile::tempdir().unwrap();
    let stack = tmp.path().join("stack");
    std::fs::create_dir_all(&stack).unwrap();
    let case =
        Case { name: name.into(), steps, imports: imports.iter().map(|a| (a.to_string(), "id".to_string())).collect(), parallelism: 4, remote_objects: true };
    run(&case, &stack, &env(tmp.path(), endpoint)).await;
}

/// Every address with the same action.
fn all(addrs: &[&'static str], action: Action) -> Vec<(&'static str, Action)> {
    addrs.iter().map(|a| (*a, action)).collect()
}

const NETWORK: &[&str] = &[
    "aws_vpc.main",
    "aws_subnet.public",
    "aws_subnet.private",
    "aws_internet_gateway.gw",
    "aws_route_table.public",
    "aws_route_table.private",
    "aws_route_table_association.public",
    "aws_eip.nat",
    "aws_nat_gateway.nat",
    "aws_security_group.nodes",
    "aws_vpc_security_group_ingress_rule.https",
    "aws_vpc_security_group_egress_rule.all",
];

/// A VPC over two zones; `edited` changes something of every type but the
/// private subnet and route table, each in place (the all-protocols egress
/// rule only its tags: moto's ModifySecurityGroupRules wants ports even
/// for protocol -1).
fn network(edited: bool) -> String {
    let (env, hostnames, public_ip, table, port) = if edited { ("dev", "true", "true", "private", 8443) } else { ("test", "false", "false", "public", 443) };
    format!(
        r#"{PROVIDER}
data "aws_availability_zones" "available" {{
  state = "available"
}}

data "aws_caller_identity" "me" {{}}

resource "aws_vpc" "main" {{
  cidr_block           = "10.0.0.0/16"
  enable_dns_hostnames = {hostnames}
  tags = {{
    Name    = "main"
    account = data.aws_caller_identity.me.account_id
    env     = "{env}"
  }}
}}

resource "aws_subnet" "public" {{
  vpc_id                  = aws_vpc.main.id
  cidr_block              = "10.0.1.0/24"
  availability_zone       = data.aws_availability_zones.available.names[0]
  map_public_ip_on_launch = {public_ip}
}}

resource "aws_subnet" "private" {{
  vpc_id            = aws_vpc.main.id
  cidr_block        = "10.0.2.0/24"
  availability_zone = data.aws_availability_zones.available.names[1]
}}

resource "aws_internet_gateway" "gw" {{
  vpc_id = aws_vpc.main.id
  tags = {{
    env = "{env}"
  }}
}}

resource "aws_route_table" "public" {{
  vpc_id = aws_vpc.main.id
  route {{
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.gw.id
  }}
  tags = {{
    env = "{env}"
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
  subnet_id      = aws_subnet.public.id
  route_table_id = aws_route_table.{table}.id
}}

resource "aws_eip" "nat" {{
  domain = "vpc"
  tags = {{
    env = "{env}"
  }}
}}

resource "aws_nat_gateway" "nat" {{
  allocation_id = aws_eip.nat.id
  subnet_id     = aws_subnet.public.id
  depends_on    = [aws_internet_gateway.gw]
  tags = {{
    env = "{env}"
  }}
}}

resource "aws_security_group" "nodes" {{
  name        = "nodes"
  description = "worker nodes"
  vpc_id      = aws_vpc.main.id
  tags = {{
    env = "{env}"
  }}
}}

resource "aws_vpc_security_group_ingress_rule" "https" {{
  security_group_id = aws_security_group.nodes.id
  ip_protocol       = "tcp"
  from_port         = {port}
  to_port           = {port}
  cidr_ipv4         = "10.0.0.0/16"
}}

resource "aws_vpc_security_group_egress_rule" "all" {{
  security_group_id = aws_security_group.nodes.id
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
  description       = "all"
  tags = {{
    env = "{env}"
  }}
}}
"#
    )
}

#[test]
fn networking_conforms() {
    let moto = iac_testkit::services::Moto::start();
    let edited: Vec<&str> = NETWORK.iter().copied().filter(|a| !a.ends_with(".private")).collect();
    let steps = vec![Step::new(network(false), &all(NETWORK, Create)), Step::new(network(true), &all(&edited, Update))];
    rt().block_on(conform("aws networking", &moto.endpoint(), steps, NETWORK));
}

/// A role and an OIDC provider (for IRSA); `edited` changes both in place
/// (not the client ids: moto has no AddClientIDToOpenIDConnectProvider).
fn identity(edited: bool) -> String {
    let (description, hours, thumbprint, purpose) = if edited {
        ("runs the app, and more", 7200, "06b25927c42a721631c1efd9431e648fa62e1e39", "irsa")
    } else {
        ("runs the app", 3600, "9e99a48a9960b14926bb7f3b02e22da2b0ab7280", "test")
    };
    format!(
        r#"{PROVIDER}
data "aws_partition" "current" {{}}
data "aws_region" "current" {{}}

data "aws_service_principal" "ec2" {{
  service_name = "ec2"
}}

# The trust policy as real stacks write it: computed by the data source.
data "aws_iam_policy_document" "trust" {{
  statement {{
    sid     = "Ec2In${{data.aws_partition.current.partition}}"
    actions = ["sts:AssumeRole"]
    principals {{
      type        = "Service"
      identifiers = [data.aws_service_principal.ec2.name]
    }}
    condition {{
      test     = "StringEquals"
      variable = "aws:RequestedRegion"
      values   = [data.aws_region.current.name]
    }}
  }}
}}

resource "aws_iam_role" "app" {{
  name                 = "conformance-identity"
  description          = "{description}"
  max_session_duration = {hours}
  assume_role_policy   = data.aws_iam_policy_document.trust.json
}}

resource "aws_iam_openid_connect_provider" "oidc" {{
  url             = "https://oidc.example.com/id/CONFORMANCE"
  client_id_list  = ["sts.amazonaws.com"]
  thumbprint_list = ["{thumbprint}"]
  tags = {{
    role    = aws_iam_role.app.name
    purpose = "{purpose}"
  }}
}}
"#
    )
}

#[test]
fn iam_identities_conform() {
    let moto = iac_testkit::services::Moto::start();
    let addrs = ["aws_iam_role.app", "aws_iam_openid_connect_provider.oidc"];
    let steps = vec![Step::new(identity(false), &all(&addrs, Create)), Step::new(identity(true), &all(&addrs, Update))];
    rt().block_on(conform("aws iam identities", &moto.endpoint(), steps, &addrs));
}

const S3: &[&str] = &[
    "aws_s3_bucket.data",
    "aws_s3_bucket_versioning.data",
    "aws_s3_bucket_server_side_encryption_configuration.data",
    "aws_s3_bucket_public_access_block.data",
    "aws_s3_bucket_lifecycle_configuration.data",
    "aws_s3_bucket_policy.data",
];

/// A bucket with every setting; `edited` changes each of them in place.
fn s3(edited: bool) -> String {
    let (purpose, versioning, algorithm, restrict, days, action) = if edited {
        ("archive", "Suspended", "aws:kms", "true", 30, r#"["s3:GetObject", "s3:ListBucket"]"#)
    } else {
        ("data", "Enabled", "AES256", "false", 7, r#""s3:GetObject""#)
    };
    format!(
        r#"{PROVIDER}
resource "aws_s3_bucket" "data" {{
  bucket = "iac-conformance-data"
  tags = {{
    purpose = "{purpose}"
  }}
}}

resource "aws_s3_bucket_versioning" "data" {{
  bucket = aws_s3_bucket.data.id
  versioning_configuration {{
    status = "{versioning}"
  }}
}}

resource "aws_s3_bucket_server_side_encryption_configuration" "data" {{
  bucket = aws_s3_bucket.data.id
  rule {{
    apply_server_side_encryption_by_default {{
      sse_algorithm = "{algorithm}"
    }}
  }}
}}

resource "aws_s3_bucket_public_access_block" "data" {{
  bucket                  = aws_s3_bucket.data.id
  block_public_acls       = true
  restrict_public_buckets = {restrict}
}}

resource "aws_s3_bucket_lifecycle_configuration" "data" {{
  bucket = aws_s3_bucket.data.id
  rule {{
    id     = "expire"
    status = "Enabled"
    filter {{
      prefix = "tmp/"
    }}
    expiration {{
      days = {days}
    }}
  }}
}}

resource "aws_s3_bucket_policy" "data" {{
  bucket = aws_s3_bucket.data.id
  policy = jsonencode({{ Version = "2012-10-17", Statement = [{{ Effect = "Allow", Principal = {{ AWS = "arn:aws:iam::111122223333:root" }}, Action = {action}, Resource = ["arn:aws:s3:::iac-conformance-data", "arn:aws:s3:::iac-conformance-data/*"] }}] }})
}}
"#
    )
}

#[test]
fn s3_conforms() {
    let moto = iac_testkit::services::Moto::start();
    rt().block_on(async {
        let layer = iac_eks_sim_layer::start(&moto.endpoint(), Behaviour::default()).await.unwrap();
        let steps = vec![Step::new(s3(false), &all(S3, Create)), Step::new(s3(true), &all(S3, Update))];
        conform("aws s3", &layer.url(), steps, S3).await;
    });
}

const EKS: &[&str] = &["aws_eks_cluster.c", "aws_eks_node_group.workers", "aws_eks_addon.dns", "aws_eks_access_entry.admins"];

/// A cluster with a node group, an add-on and an access entry, read back
/// through both EKS data sources (named by the cluster's id, so that they
/// are read once the cluster exists); `edited` changes each in place.
fn eks(edited: bool) -> String {
    let (private, team, max, addon, groups) = if edited {
        ("true", "apps", 4, "v1.11.3-eksbuild.2", r#"["platform-admins", "viewers"]"#)
    } else {
        ("false", "platform", 2, "v1.11.1-eksbuild.1", r#"["platform-admins"]"#)
    };
    format!(
        r#"{PROVIDER}
resource "aws_eks_cluster" "c" {{
  name     = "conformance"
  role_arn = "arn:aws:iam::123456789012:role/eks"
  version  = "1.31"
  vpc_config {{
    subnet_ids              = ["subnet-0a", "subnet-0b"]
    endpoint_private_access = {private}
  }}
  tags = {{
    team = "{team}"
  }}
}}

data "aws_eks_cluster" "c" {{
  name = aws_eks_cluster.c.id
}}

data "aws_eks_cluster_auth" "c" {{
  name = aws_eks_cluster.c.id
}}

resource "aws_eks_node_group" "workers" {{
  cluster_name    = aws_eks_cluster.c.name
  node_group_name = "workers"
  node_role_arn   = "arn:aws:iam::123456789012:role/nodes"
  subnet_ids      = ["subnet-0a"]
  tags = {{
    endpoint = data.aws_eks_cluster.c.endpoint
  }}
  scaling_config {{
    desired_size = 1
    min_size     = 1
    max_size     = {max}
  }}
}}

resource "aws_eks_addon" "dns" {{
  cluster_name  = aws_eks_cluster.c.name
  addon_name    = "coredns"
  addon_version = "{addon}"
}}

resource "aws_eks_access_entry" "admins" {{
  cluster_name      = data.aws_eks_cluster_auth.c.name
  principal_arn     = "arn:aws:iam::123456789012:role/admins"
  kubernetes_groups = {groups}
}}
"#
    )
}

#[test]
fn eks_conforms() {
    let moto = iac_testkit::services::Moto::start();
    rt().block_on(async {
        let layer = iac_eks_sim_layer::start(&moto.endpoint(), Behaviour { transition_reads: 0, ..Behaviour::default() }).await.unwrap();
        // The data sources name the cluster by its id, known once it exists: read at apply.
        let mut create = all(EKS, Create);
        create.extend([("data.aws_eks_cluster.c", Action::Read), ("data.aws_eks_cluster_auth.c", Action::Read)]);
        // Read at apply again when the cluster they name changes (Terraform's
        // read_because_dependency_pending).
        let mut update = all(EKS, Update);
        update.extend([("data.aws_eks_cluster.c", Action::Read), ("data.aws_eks_cluster_auth.c", Action::Read)]);
        let steps = vec![Step::new(eks(false), &create), Step::new(eks(true), &update)];
        conform("aws eks", &layer.url(), steps, EKS).await;
    });
}

/// Runs a case whose imports name their ids by attribute templates.
async fn conform_with(name: &str, endpoint: &str, steps: Vec<Step>, imports: &[(&str, &str)]) {
    let tmp = tempfile::tempdir().unwrap();
    let stack = tmp.path().join("stack");
    std::fs::create_dir_all(&stack).unwrap();
    let imports = imports.iter().map(|(a, id)| (a.to_string(), id.to_string())).collect();
    let case = Case { name: name.into(), steps, imports, parallelism: 4, remote_objects: true };
    run(&case, &stack, &env(tmp.path(), endpoint)).await;
}

const EC2_EXTRAS: &[&str] = &[
    "aws_vpc.main",
    "aws_subnet.a",
    "aws_security_group.web",
    "aws_security_group.db",
    "aws_security_group_rule.db_in",
    "aws_security_group_rule.db_out",
    "aws_launch_template.nodes",
    "aws_internet_gateway.gw",
    "aws_eip.nat",
    "aws_nat_gateway.nat",
    "aws_route_table.rt",
    "aws_route.default",
    "aws_vpc_endpoint.s3",
    "aws_ec2_tag.main",
];

/// The EC2 types that stacks port most (lookups by filter, inline and
/// legacy security group rules, launch templates, routes, endpoints, tags
/// on objects managed elsewhere); `edited` changes each in place but the
/// VPC, the gateways and the rule from a group. The legacy rules, the
/// route and the tag go on the VPC's default group and main table, which
/// this stack does not manage (rules or routes added to a managed group or
/// table show as its drift, as upstream's do), and the NAT gateway is a
/// private one (a public one's association would show as the address's
/// drift, as upstream's does).
fn ec2_extras(edited: bool) -> String {
    let (env, public, port, desc, itype, target, tag) = if edited {
        ("dev", "true", 8443, "to the peers, edited", "t3.large", "nat_gateway_id = aws_nat_gateway.nat.id", "2")
    } else {
        ("test", "false", 443, "to the peers", "t3.medium", "gateway_id     = aws_internet_gateway.gw.id", "1")
    };
    format!(
        r##"{PROVIDER}
data "aws_availability_zones" "zones" {{
  exclude_names = ["us-east-1f"]
  filter {{
    name   = "zone-type"
    values = ["availability-zone"]
  }}
}}

data "aws_ami" "al2" {{
  most_recent = true
  owners      = ["amazon"]
  filter {{
    name   = "name"
    values = ["amzn2-ami-*"]
  }}
}}

resource "aws_vpc" "main" {{
  cidr_block = "10.1.0.0/16"
  tags = {{
    Name = "extras"
  }}
}}

data "aws_vpc" "main" {{
  id = aws_vpc.main.id
}}

resource "aws_subnet" "a" {{
  vpc_id                  = aws_vpc.main.id
  cidr_block              = "10.1.1.0/24"
  availability_zone_id    = "use1-az1"
  map_public_ip_on_launch = {public}
  tags = {{
    tier = "private"
  }}
}}

data "aws_subnet" "a" {{
  id = aws_subnet.a.id
}}

data "aws_subnets" "private" {{
  filter {{
    name   = "vpc-id"
    values = [aws_subnet.a.vpc_id]
  }}
  tags = {{
    tier = "private"
  }}
}}

resource "aws_security_group" "web" {{
  name   = "web-extras"
  vpc_id = aws_vpc.main.id
  ingress {{
    from_port   = {port}
    to_port     = {port}
    protocol    = "tcp"
    cidr_blocks = ["10.1.0.0/16"]
  }}
  ingress {{
    from_port   = 8080
    to_port     = 8080
    protocol    = "6"
    self        = true
    description = "self"
  }}
  egress {{
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }}
  tags = {{
    env = "{env}"
  }}
}}

resource "aws_security_group" "db" {{
  name_prefix = "db-"
  vpc_id      = aws_vpc.main.id
  ingress     = []
  egress      = []
  tags = {{
    env = "{env}"
  }}
}}

resource "aws_security_group_rule" "db_in" {{
  type                     = "ingress"
  security_group_id        = aws_vpc.main.default_security_group_id
  from_port                = 5432
  to_port                  = 5432
  protocol                 = "tcp"
  source_security_group_id = aws_security_group.web.id
  description              = "from web"
}}

resource "aws_security_group_rule" "db_out" {{
  type              = "egress"
  security_group_id = aws_vpc.main.default_security_group_id
  from_port         = 0
  to_port           = 0
  protocol          = "all"
  cidr_blocks       = ["10.9.0.0/16"]
  description       = "{desc}"
}}

resource "aws_launch_template" "nodes" {{
  name_prefix            = "nodes-"
  image_id               = data.aws_ami.al2.id
  instance_type          = "{itype}"
  user_data              = base64encode("#!/bin/bash\necho hi")
  vpc_security_group_ids = [aws_security_group.web.id]
  update_default_version = true
  iam_instance_profile {{
    name = "nodes"
  }}
  block_device_mappings {{
    device_name = "/dev/xvda"
    ebs {{
      volume_size = 20
      volume_type = "gp3"
      encrypted   = "true"
    }}
  }}
  metadata_options {{
    http_tokens                 = "required"
    http_put_response_hop_limit = 2
  }}
  tag_specifications {{
    resource_type = "instance"
    tags = {{
      Name = "node"
    }}
  }}
  tags = {{
    role = "nodes"
  }}
}}

resource "aws_internet_gateway" "gw" {{
  vpc_id = aws_vpc.main.id
}}

resource "aws_eip" "nat" {{
  vpc = true
  tags = {{
    env = "{env}"
  }}
}}

resource "aws_nat_gateway" "nat" {{
  connectivity_type = "private"
  subnet_id         = aws_subnet.a.id
}}

resource "aws_route_table" "rt" {{
  vpc_id = aws_vpc.main.id
  route  = []
  tags = {{
    env = "{env}"
  }}
}}

resource "aws_route" "default" {{
  route_table_id         = aws_vpc.main.main_route_table_id
  destination_cidr_block = "0.0.0.0/0"
  {target}
}}

resource "aws_vpc_endpoint" "s3" {{
  vpc_id          = aws_vpc.main.id
  service_name    = "com.amazonaws.us-east-1.s3"
  route_table_ids = [aws_route_table.rt.id]
  tags = {{
    env = "{env}"
  }}
}}

resource "aws_ec2_tag" "main" {{
  resource_id = aws_vpc.main.main_route_table_id
  key         = "kubernetes.io/cluster/extras"
  value       = "{tag}"
}}
"##
    )
}

#[test]
fn ec2_extras_conform() {
    let moto = iac_testkit::services::Moto::start();
    let mut create = all(EC2_EXTRAS, Create);
    create.extend([("data.aws_vpc.main", Action::Read), ("data.aws_subnet.a", Action::Read), ("data.aws_subnets.private", Action::Read)]);
    // The rule from a group keeps its description: moto's
    // UpdateSecurityGroupRuleDescriptions* matches such rules by their old
    // description, so it never updates one (a CIDR rule's edit is tested).
    let unchanged = ["aws_vpc.main", "aws_internet_gateway.gw", "aws_nat_gateway.nat", "aws_security_group_rule.db_in"];
    let edited: Vec<&str> = EC2_EXTRAS.iter().copied().filter(|a| !unchanged.contains(a)).collect();
    // The lookups naming the edited subnet are read at apply again.
    let mut update = all(&edited, Update);
    update.extend([("data.aws_subnet.a", Action::Read), ("data.aws_subnets.private", Action::Read)]);
    let steps = vec![Step::new(ec2_extras(false), &create), Step::new(ec2_extras(true), &update)];
    let rule = "{security_group_id}_{type}_{protocol}_{from_port}_{to_port}";
    let db_in = format!("{rule}_{{source_security_group_id}}");
    let db_out = format!("{rule}_10.9.0.0/16");
    let mut imports: Vec<(&str, &str)> = EC2_EXTRAS.iter().map(|a| (*a, "id")).collect();
    for (a, id) in imports.iter_mut() {
        match *a {
            "aws_security_group_rule.db_in" => *id = &db_in,
            "aws_security_group_rule.db_out" => *id = &db_out,
            "aws_route.default" => *id = "{route_table_id}_{destination_cidr_block}",
            _ => {}
        }
    }
    rt().block_on(conform_with("aws ec2 extras", &moto.endpoint(), steps, &imports));
}

/// A role named by prefix with inline and managed policies, read back by
/// `data.aws_iam_role`, and an instance profile; `edited` changes both in place.
fn iam_extras(edited: bool) -> String {
    let (action, managed, env) = if edited {
        ("s3:ListBucket", r#"["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess", "arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess"]"#, "dev")
    } else {
        ("s3:GetObject", r#"["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]"#, "test")
    };
    format!(
        r#"{PROVIDER}
resource "aws_iam_role" "node" {{
  name_prefix         = "node-"
  assume_role_policy  = jsonencode({{ Version = "2012-10-17", Statement = [{{ Effect = "Allow", Principal = {{ Service = "ec2.amazonaws.com" }}, Action = "sts:AssumeRole" }}] }})
  managed_policy_arns = {managed}
  inline_policy {{
    name   = "read"
    policy = jsonencode({{ Version = "2012-10-17", Statement = [{{ Effect = "Allow", Action = "{action}", Resource = "*" }}] }})
  }}
}}

data "aws_iam_role" "node" {{
  name = aws_iam_role.node.name
}}

resource "aws_iam_instance_profile" "node" {{
  name = "iac-conformance-node"
  role = data.aws_iam_role.node.name
  tags = {{
    env = "{env}"
  }}
}}
"#
    )
}

#[test]
fn iam_extras_conform() {
    let moto = iac_testkit::services::Moto::start();
    let addrs = ["aws_iam_role.node", "aws_iam_instance_profile.node"];
    let mut create = all(&addrs, Create);
    create.push(("data.aws_iam_role.node", Action::Read));
    // The lookup naming the edited role is read at apply again.
    let mut update = all(&addrs, Update);
    update.push(("data.aws_iam_role.node", Action::Read));
    let steps = vec![Step::new(iam_extras(false), &create), Step::new(iam_extras(true), &update)];
    rt().block_on(conform("aws iam extras", &moto.endpoint(), steps, &addrs));
}

const S3_EXTRAS: &[&str] = &["aws_s3_bucket.b", "aws_s3_bucket_ownership_controls.b", "aws_s3_object.o"];

/// A bucket named by prefix, its ownership controls and an object;
/// `edited` changes each in place (the object's body: uploaded again).
fn s3_extras(edited: bool) -> String {
    let (purpose, ownership, n, kind) = if edited { ("archive", "BucketOwnerPreferred", 2, "settings") } else { ("data", "BucketOwnerEnforced", 1, "config") };
    format!(
        r#"{PROVIDER}
resource "aws_s3_bucket" "b" {{
  bucket_prefix = "iac-conformance-"
  tags = {{
    purpose = "{purpose}"
  }}
}}

resource "aws_s3_bucket_ownership_controls" "b" {{
  bucket = aws_s3_bucket.b.id
  rule {{
    object_ownership = "{ownership}"
  }}
}}

resource "aws_s3_object" "o" {{
  bucket       = aws_s3_bucket.b.id
  key          = "config/app.json"
  content      = jsonencode({{ a = {n} }})
  content_type = "application/json"
  metadata = {{
    owner = "platform"
  }}
  tags = {{
    kind = "{kind}"
  }}
}}
"#
    )
}

#[test]
fn s3_extras_conform() {
    let moto = iac_testkit::services::Moto::start();
    rt().block_on(async {
        let layer = iac_eks_sim_layer::start(&moto.endpoint(), Behaviour::default()).await.unwrap();
        let steps = vec![Step::new(s3_extras(false), &all(S3_EXTRAS, Create)), Step::new(s3_extras(true), &all(S3_EXTRAS, Update))];
        let imports = [("aws_s3_bucket.b", "id"), ("aws_s3_bucket_ownership_controls.b", "id"), ("aws_s3_object.o", "{bucket}/{key}")];
        conform_with("aws s3 extras", &layer.url(), steps, &imports).await;
    });
}

const EKS_EXTRAS: &[&str] = &[
    "aws_eks_cluster.c",
    "aws_eks_node_group.workers",
    "aws_eks_addon.dns",
    "aws_eks_access_entry.admins",
    "aws_eks_access_policy_association.admins",
    "aws_eks_pod_identity_association.app",
];

/// A cluster with control-plane logs, secrets encryption and its service
/// CIDR, a node group from a launch template, an add-on at the version
/// `data.aws_eks_addon_version` names, an access entry with an access
/// policy, a Pod Identity association, and the versions EKS offers.
/// `edited` moves the cluster to a third subnet and changes its log types
/// (in place, as upstream since 2023), moves the node group to a new
/// launch template version and the association to another role. An access
/// policy association has nothing to change in place: every argument
/// replaces it, as upstream.
fn eks_extras(edited: bool) -> String {
    let (subnets, logs, ltv, role) = if edited {
        (r#"["subnet-0a", "subnet-0b", "subnet-0c"]"#, r#"["api", "audit", "authenticator"]"#, "2", "app-v2")
    } else {
        (r#"["subnet-0a", "subnet-0b"]"#, r#"["api", "audit"]"#, "1", "app")
    };
    format!(
        r#"{PROVIDER}
data "aws_eks_cluster_versions" "offered" {{}}

data "aws_eks_addon_version" "dns" {{
  addon_name         = "coredns"
  kubernetes_version = "1.31"
}}

resource "aws_eks_cluster" "c" {{
  name                      = "extras"
  role_arn                  = "arn:aws:iam::123456789012:role/eks"
  version                   = "1.31"
  enabled_cluster_log_types = {logs}
  vpc_config {{
    subnet_ids = {subnets}
  }}
  access_config {{
    authentication_mode = "API"
  }}
  encryption_config {{
    resources = ["secrets"]
    provider {{
      key_arn = "arn:aws:kms:us-east-1:123456789012:key/0f0e0d0c-0b0a-0908-0706-050403020100"
    }}
  }}
  kubernetes_network_config {{
    service_ipv4_cidr = "10.100.0.0/16"
  }}
}}

resource "aws_eks_node_group" "workers" {{
  cluster_name    = aws_eks_cluster.c.name
  node_group_name = "workers"
  node_role_arn   = "arn:aws:iam::123456789012:role/nodes"
  subnet_ids      = ["subnet-0a"]
  scaling_config {{
    desired_size = 1
    min_size     = 1
    max_size     = 2
  }}
  launch_template {{
    id      = "lt-0123456789abcdef0"
    version = "{ltv}"
  }}
}}

resource "aws_eks_addon" "dns" {{
  cluster_name  = aws_eks_cluster.c.name
  addon_name    = "coredns"
  addon_version = data.aws_eks_addon_version.dns.version
}}

resource "aws_eks_access_entry" "admins" {{
  cluster_name  = aws_eks_cluster.c.name
  principal_arn = "arn:aws:iam::123456789012:role/admins"
}}

resource "aws_eks_access_policy_association" "admins" {{
  cluster_name  = aws_eks_cluster.c.name
  principal_arn = aws_eks_access_entry.admins.principal_arn
  policy_arn    = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
  access_scope {{
    type = "cluster"
  }}
}}

resource "aws_eks_pod_identity_association" "app" {{
  cluster_name    = aws_eks_cluster.c.name
  namespace       = "app"
  service_account = "app"
  role_arn        = "arn:aws:iam::123456789012:role/{role}"
}}
"#
    )
}

#[test]
fn eks_extras_conform() {
    let moto = iac_testkit::services::Moto::start();
    rt().block_on(async {
        let layer = iac_eks_sim_layer::start(&moto.endpoint(), Behaviour { transition_reads: 0, ..Behaviour::default() }).await.unwrap();
        let edited = ["aws_eks_cluster.c", "aws_eks_node_group.workers", "aws_eks_pod_identity_association.app"];
        let steps = vec![Step::new(eks_extras(false), &all(EKS_EXTRAS, Create)), Step::new(eks_extras(true), &all(&edited, Update))];
        let mut imports: Vec<(&str, &str)> = EKS_EXTRAS.iter().map(|a| (*a, "id")).collect();
        imports.retain(|(a, _)| *a != "aws_eks_pod_identity_association.app");
        imports.push(("aws_eks_pod_identity_association.app", "{cluster_name},{association_id}"));
        conform_with("aws eks extras", &layer.url(), steps, &imports).await;
    });
}
