//! Import and recovery, for every resource type a platform uses. A stack is
//! applied; then each object is dropped from state and imported again by
//! the id it had, and the next plan must be empty (every attribute reads
//! back as configured, attributes AWS does not report take their defaults).
//! Or each object's create is made to look interrupted (the state holds
//! only the intent, as after a crash): the next run must find the object
//! by its ownership tag or name and adopt it, never create a second one.

use crate::common;

use common::*;

const STACK: &str = r#"
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_subnet" "a" {
  vpc_id            = aws_vpc.main.id
  cidr_block        = "10.0.1.0/24"
  availability_zone = "us-east-1a"
}

resource "aws_internet_gateway" "gw" {
  vpc_id = aws_vpc.main.id
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.main.id
  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.gw.id
  }
}

resource "aws_route_table_association" "a" {
  subnet_id      = aws_subnet.a.id
  route_table_id = aws_route_table.public.id
}

resource "aws_eip" "nat" {
  domain = "vpc"
}

resource "aws_nat_gateway" "nat" {
  allocation_id = aws_eip.nat.id
  subnet_id     = aws_subnet.a.id
}

resource "aws_security_group" "sg" {
  name   = "sg"
  vpc_id = aws_vpc.main.id
}

resource "aws_vpc_security_group_ingress_rule" "in" {
  security_group_id = aws_security_group.sg.id
  ip_protocol       = "tcp"
  from_port         = 22
  to_port           = 22
  cidr_ipv4         = "10.0.0.0/8"
}

resource "aws_vpc_security_group_egress_rule" "out" {
  security_group_id = aws_security_group.sg.id
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_iam_role" "r" {
  name               = "imported"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Principal = { Service = "eks.amazonaws.com" }, Action = "sts:AssumeRole" }] })
}

resource "aws_iam_role_policy_attachment" "r" {
  role       = aws_iam_role.r.name
  policy_arn = "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"
}

resource "aws_iam_policy" "p" {
  name        = "imported"
  description = "imported by its ARN"
  policy      = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = ["ec2:DescribeInstances"], Resource = "*" }] })
  tags = {
    purpose = "import"
  }
}

resource "aws_iam_role_policy" "inline" {
  role   = aws_iam_role.r.name
  name   = "inline"
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "s3:ListBucket", Resource = "*" }] })
}

resource "aws_iam_openid_connect_provider" "oidc" {
  url             = "https://oidc.example.com/id/ABC"
  client_id_list  = ["sts.amazonaws.com"]
  thumbprint_list = ["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"]
}

resource "aws_s3_bucket" "b" {
  bucket = "imported-bucket"
}

resource "aws_s3_bucket_versioning" "b" {
  bucket = aws_s3_bucket.b.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_public_access_block" "b" {
  bucket            = aws_s3_bucket.b.id
  block_public_acls = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "b" {
  bucket = aws_s3_bucket.b.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "aws:kms"
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "b" {
  bucket = aws_s3_bucket.b.id
  rule {
    id     = "uploads"
    status = "Enabled"
    abort_incomplete_multipart_upload {
      days_after_initiation = 2
    }
  }
}

resource "aws_s3_bucket_policy" "b" {
  bucket = aws_s3_bucket.b.id
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Principal = { AWS = "arn:aws:iam::111122223333:root" }, Action = ["s3:GetObject"], Resource = "arn:aws:s3:::imported-bucket/*" }] })
}

resource "aws_eks_addon" "dns" {
  cluster_name = aws_eks_cluster.c.name
  addon_name   = "coredns"
}

resource "aws_eks_cluster" "c" {
  name     = "imported"
  role_arn = aws_iam_role.r.arn
  vpc_config {
    subnet_ids = [aws_subnet.a.id, "subnet-other"]
  }
}

resource "aws_eks_node_group" "n" {
  cluster_name    = aws_eks_cluster.c.name
  node_group_name = "n"
  node_role_arn   = aws_iam_role.r.arn
  subnet_ids      = [aws_subnet.a.id]
  scaling_config {
    desired_size = 1
    min_size     = 1
    max_size     = 2
  }
}

resource "aws_eks_access_entry" "e" {
  cluster_name  = aws_eks_cluster.c.name
  principal_arn = aws_iam_role.r.arn
}
"#;

#[test]
fn every_resource_type_is_imported_by_its_id_and_matches_its_configuration() {
    let moto = iac_testkit::services::Moto::start();
    rt().block_on(async {
        let layer = iac_eks_sim_layer::start(&moto.endpoint(), iac_eks_sim_layer::Behaviour { transition_reads: 0, ..Default::default() }).await.unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let env = env(tmp.path(), &layer.url());
        let st = write_stack(tmp.path(), &format!("{PROVIDER}{STACK}"));
        apply(&st, &env, plan(&st, &env).await).await;
        let state = iac_engine::ops::read_state(env.backend.as_ref()).await.unwrap();
        let objects: Vec<(String, String)> = state
            .resources
            .iter()
            .filter(|(a, _)| !a.to_string().starts_with("data."))
            .map(|(a, i)| (a.to_string(), i.value().get("id").and_then(|v| v.as_str()).unwrap().to_string()))
            .collect();
        assert_eq!(objects.len(), 25, "{objects:?}");
        for (addr, id) in &objects {
            iac_engine::ops::edit_state(&env, "forget", |s| {
                s.resources.remove(&addr.parse().unwrap());
                Ok(())
            })
            .await
            .unwrap();
            iac_engine::ops::import(&st, &env, addr.parse().unwrap(), id.clone(), Vec::new()).await.unwrap_or_else(|e| panic!("import {addr} {id}: {e:?}"));
            let p = plan(&st, &env).await;
            assert!(
                changes(&p).is_empty(),
                "after importing {addr} as {id:?}: {:?}\n{:#?}",
                changes(&p),
                p.changes.iter().filter(|c| c.addr.to_string() == *addr).map(|c| (&c.before, &c.after)).collect::<Vec<_>>()
            );
        }
    });
}

#[test]
fn every_interrupted_create_is_adopted_instead_of_repeated() {
    let moto = iac_testkit::services::Moto::start();
    rt().block_on(async {
        let layer = iac_eks_sim_layer::start(&moto.endpoint(), iac_eks_sim_layer::Behaviour { transition_reads: 0, ..Default::default() }).await.unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let env = env(tmp.path(), &layer.url());
        let aws = sdk(&layer.url()).await;
        let st = write_stack(tmp.path(), &format!("{PROVIDER}{STACK}"));
        apply(&st, &env, plan(&st, &env).await).await;
        let state = iac_engine::ops::read_state(env.backend.as_ref()).await.unwrap();
        let objects: Vec<String> = state.resources.keys().map(|a| a.to_string()).filter(|a| !a.starts_with("data.")).collect();
        for addr in &objects {
            let before = state_attr(&env, addr, "id").await;
            // What a crash between "create requested" and "create recorded" leaves:
            // the intent, pending in the snapshot, and no object in state.
            let backend = env.backend.as_ref();
            let mut loaded = iac_engine::statemgr::load(backend).await.unwrap();
            let key = addr.parse().unwrap();
            let inst = loaded.state.resources.remove(&key).unwrap();
            let mut planned = inst.value();
            if let iac_core::Value::Map(m) = &mut planned {
                for k in ["id", "arn"] {
                    if m.contains_key(k) {
                        m.insert(k.into(), iac_core::Value::Unknown);
                    }
                }
            }
            loaded.pending.push(iac_core::journal::PendingIntent {
                addr: key,
                action: iac_core::plan::Action::Create,
                provider: inst.provider.clone(),
                planned,
            });
            iac_engine::statemgr::snapshot(backend, &mut loaded.state, &loaded.pending).await.unwrap();
            let p = plan(&st, &env).await;
            assert!(changes(&p).is_empty(), "{addr}: the interrupted create is adopted: {:?}", changes(&p));
            apply(&st, &env, p).await;
            assert_eq!(state_attr(&env, addr, "id").await, before, "{addr}: the same object");
        }
        assert_eq!(aws.vpcs().await.len(), 1, "no second VPC");
        assert_eq!(aws.s3.list_buckets().send().await.unwrap().buckets().len(), 1, "no second bucket");
        assert_eq!(
            aws.iam.list_policies().scope(aws_sdk_iam::types::PolicyScopeType::Local).send().await.unwrap().policies().len(),
            1,
            "no second managed policy"
        );
        assert_eq!(aws.eks.list_clusters().send().await.unwrap().clusters().len(), 1, "no second cluster");
        let sgs =
            aws.ec2.describe_security_groups().filters(aws_sdk_ec2::types::Filter::builder().name("group-name").values("sg").build()).send().await.unwrap();
        assert_eq!(sgs.security_groups().len(), 1, "no second security group");
    });
}
