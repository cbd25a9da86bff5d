//! The provider block against moto: two aliased providers in two regions,
//! an assumed role, errors naming the address and AWS's code, recovery of
//! an interrupted create by the ownership tag, and import by id.

use crate::common;

use std::sync::Arc;

use common::*;
use iac_core::provider::*;
use iac_core::{InstanceAddr, Value};
use iac_provider_aws::AwsFactory;

#[test]
fn two_aliased_providers_create_in_their_own_regions() {
    let moto = iac_testkit::services::Moto::start();
    rt().block_on(async {
        let tmp = tempfile::tempdir().unwrap();
        let env = env(tmp.path(), &moto.endpoint());
        let text = format!(
            "{PROVIDER}\nprovider \"aws\" {{\n  alias  = \"west\"\n  region = \"us-west-2\"\n}}\n\nresource \"aws_vpc\" \"east\" {{\n  cidr_block = \"10.1.0.0/16\"\n}}\n\nresource \"aws_vpc\" \"west\" {{\n  provider   = aws.west\n  cidr_block = \"10.2.0.0/16\"\n}}\n"
        );
        let st = write_stack(tmp.path(), &text);
        apply(&st, &env, plan(&st, &env).await).await;
        assert!(state_str(&env, "aws_vpc.east", "arn").await.starts_with("arn:aws:ec2:us-east-1:"));
        assert!(state_str(&env, "aws_vpc.west", "arn").await.starts_with("arn:aws:ec2:us-west-2:"));
        // The west VPC is in us-west-2 only; default tags belong to the provider block that sets them.
        let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-west-2"))
            .credentials_provider(aws_credential_types::Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "t"))
            .endpoint_url(moto.endpoint())
            .load()
            .await;
        let west = aws_sdk_ec2::Client::new(&conf);
        let id = state_str(&env, "aws_vpc.west", "id").await;
        let found = west.describe_vpcs().vpc_ids(&id).send().await.unwrap();
        assert!(found.vpcs()[0].tags().iter().all(|t| t.key() != Some("team")));
        let east = sdk(&moto.endpoint()).await;
        assert!(!east.vpcs().await.contains(&id));
        let again = plan(&st, &env).await;
        assert!(changes(&again).is_empty(), "{:?}", changes(&again));
        destroy(&st, &env).await;
        assert!(east.vpcs().await.is_empty());
    });
}

#[test]
fn an_assumed_role_is_who_the_provider_acts_as() {
    let moto = iac_testkit::services::Moto::start();
    rt().block_on(async {
        let aws = sdk(&moto.endpoint()).await;
        let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}"#;
        let role = aws.iam.create_role().role_name("deployer").assume_role_policy_document(policy).send().await.unwrap();
        let arn = role.role().unwrap().arn().to_string();
        let tmp = tempfile::tempdir().unwrap();
        let env = env(tmp.path(), &moto.endpoint());
        let text = format!(
            "provider \"aws\" {{\n  region = \"us-east-1\"\n  assume_role {{\n    role_arn     = \"{arn}\"\n    session_name = \"ci-run\"\n  }}\n}}\n\ndata \"aws_caller_identity\" \"me\" {{}}\n\noutput \"arn\" {{\n  value = data.aws_caller_identity.me.arn\n}}\n"
        );
        let st = write_stack(tmp.path(), &text);
        let p = plan(&st, &env).await;
        let out = p.outputs.iter().find(|o| o.name == "arn").unwrap();
        let who = out.after.as_str().unwrap();
        assert!(who.contains(":assumed-role/deployer/ci-run"), "{who}");
    });
}

#[test]
fn errors_name_the_address_and_the_aws_error_code() {
    let moto = iac_testkit::services::Moto::start();
    rt().block_on(async {
        let tmp = tempfile::tempdir().unwrap();
        let env = env(tmp.path(), &moto.endpoint());
        let text = format!("{PROVIDER}\nresource \"aws_vpc\" \"main\" {{\n  cidr_block = \"10.0.0.0/16\"\n}}\n\nresource \"aws_subnet\" \"outside\" {{\n  vpc_id     = aws_vpc.main.id\n  cidr_block = \"192.168.0.0/24\"\n}}\n");
        let st = write_stack(tmp.path(), &text);
        let p = plan(&st, &env).await;
        let err = iac_engine::ops::apply(&st, &env, p, 10).await.expect_err("a subnet outside its VPC fails");
        let text = format!("{err}: {err:?}");
        assert!(text.contains("aws_subnet.outside"), "{text}");
        assert!(text.contains("InvalidSubnet.Range"), "{text}");
        // The VPC, independent of the failure, was created and recorded.
        assert!(state_str(&env, "aws_vpc.main", "id").await.starts_with("vpc-"));
    });
}

async fn provider(endpoint: &str, stack_id: &str) -> Arc<dyn Provider> {
    let f = AwsFactory::with_env(aws_env(endpoint));
    let config = Value::map([("region", Value::from("us-east-1")), ("poll_interval_ms", Value::number(20.0))]);
    f.configure(ConfigureRequest { config, context: ProviderContext { stack_id: stack_id.into(), stack_dir: std::env::temp_dir() } }).await.unwrap()
}

async fn create(p: &dyn Provider, type_: &str, addr: &InstanceAddr, config: Value) -> Value {
    let planned =
        p.plan_change(PlanChangeRequest { type_: type_.into(), addr: addr.clone(), prior: None, config: config.clone(), private: None }).await.unwrap().planned;
    p.apply_change(ApplyChangeRequest { type_: type_.into(), addr: addr.clone(), prior: None, planned, config, private: None }).await.unwrap().new_state
}

#[test]
fn recover_finds_what_an_interrupted_create_made_by_its_ownership_tag() {
    let moto = iac_testkit::services::Moto::start();
    rt().block_on(async {
        let p = provider(&moto.endpoint(), "stack-a").await;
        let vpc_addr: InstanceAddr = "aws_vpc.main".parse().unwrap();
        let vpc_cfg = Value::map([("cidr_block", Value::from("10.0.0.0/16")), ("tags", Value::map([("Name", Value::from("m"))]))]);
        let vpc = create(p.as_ref(), "aws_vpc", &vpc_addr, vpc_cfg.clone()).await;
        let vpc_id = vpc.get("id").unwrap().clone();
        let sg_addr: InstanceAddr = "aws_security_group.nodes".parse().unwrap();
        let sg = create(p.as_ref(), "aws_security_group", &sg_addr, Value::map([("vpc_id", vpc_id.clone())])).await;
        let eip_addr: InstanceAddr = "aws_eip.nat[\"a\"]".parse().unwrap();
        let eip = create(p.as_ref(), "aws_eip", &eip_addr, Value::map([("domain", Value::from("vpc"))])).await;

        // The run "crashed" after these creates: the next run knows only what it planned.
        for (type_, addr, made) in [("aws_vpc", &vpc_addr, &vpc), ("aws_security_group", &sg_addr, &sg), ("aws_eip", &eip_addr, &eip)] {
            let found = p.recover(RecoverRequest { type_: type_.into(), addr: addr.clone(), planned: made.clone() }).await.unwrap();
            assert_eq!(found.as_ref().and_then(|f| f.get("id")), made.get("id"), "{addr}");
            assert_eq!(found.as_ref(), Some(made), "{addr}: the adopted object reads as the created one");
        }
        // IAM names are global: a role is adopted by name only when it carries the ownership tag.
        let role_addr: InstanceAddr = "aws_iam_role.deployer".parse().unwrap();
        let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
        let role =
            create(p.as_ref(), "aws_iam_role", &role_addr, Value::map([("name", Value::from("deployer")), ("assume_role_policy", Value::from(policy))])).await;
        let found = p.recover(RecoverRequest { type_: "aws_iam_role".into(), addr: role_addr.clone(), planned: role.clone() }).await.unwrap();
        assert_eq!(found.as_ref().and_then(|f| f.get("arn")), role.get("arn"));
        let aws = sdk(&moto.endpoint()).await;
        aws.iam.create_role().role_name("someone-elses").assume_role_policy_document(policy).send().await.unwrap();
        let mut theirs = role.clone();
        if let Value::Map(m) = &mut theirs {
            m.insert("name".into(), Value::from("someone-elses"));
        }
        assert_eq!(
            p.recover(RecoverRequest { type_: "aws_iam_role".into(), addr: role_addr, planned: theirs }).await.unwrap(),
            None,
            "a role this instance did not create is not adopted"
        );
        // Another address, or the same address in another stack, owns nothing.
        let other: InstanceAddr = "aws_vpc.other".parse().unwrap();
        assert_eq!(p.recover(RecoverRequest { type_: "aws_vpc".into(), addr: other, planned: vpc.clone() }).await.unwrap(), None);
        let elsewhere = provider(&moto.endpoint(), "stack-b").await;
        assert_eq!(elsewhere.recover(RecoverRequest { type_: "aws_vpc".into(), addr: vpc_addr.clone(), planned: vpc.clone() }).await.unwrap(), None);
        // A deleted object is gone for refresh.
        p.delete(DeleteRequest { type_: "aws_security_group".into(), addr: sg_addr.clone(), prior: sg.clone(), private: None }).await.unwrap();
        assert_eq!(p.read(ReadRequest { type_: "aws_security_group".into(), addr: sg_addr.clone(), current: sg.clone(), private: None }).await.unwrap(), None);
        // Deleting what is already gone succeeds.
        p.delete(DeleteRequest { type_: "aws_security_group".into(), addr: sg_addr, prior: sg, private: None }).await.unwrap();
    });
}

#[test]
fn objects_made_elsewhere_are_imported_by_id_and_match_their_configuration() {
    let moto = iac_testkit::services::Moto::start();
    rt().block_on(async {
        let aws = sdk(&moto.endpoint()).await;
        let made = aws
            .ec2
            .create_vpc()
            .cidr_block("10.9.0.0/16")
            .tag_specifications(aws_sdk_ec2::types::TagSpecification::builder().resource_type(aws_sdk_ec2::types::ResourceType::Vpc).tags(aws_sdk_ec2::types::Tag::builder().key("Name").value("legacy").build()).build())
            .send()
            .await
            .unwrap();
        let id = made.vpc().unwrap().vpc_id().unwrap().to_string();
        let tmp = tempfile::tempdir().unwrap();
        let env = env(tmp.path(), &moto.endpoint());
        let text = String::from("provider \"aws\" {\n  region = \"us-east-1\"\n}\n\nresource \"aws_vpc\" \"legacy\" {\n  cidr_block = \"10.9.0.0/16\"\n  tags = {\n    Name = \"legacy\"\n  }\n}\n");
        let st = write_stack(tmp.path(), &text);
        // A wrong id is a clear error.
        let err = iac_engine::ops::import(&st, &env, "aws_vpc.legacy".parse().unwrap(), "vpc-0000000".into(), Vec::new()).await.unwrap_err();
        let text = format!("{err:?}");
        assert!(text.contains("vpc-0000000") && text.contains("no such aws_vpc"), "{text}");
        iac_engine::ops::import(&st, &env, "aws_vpc.legacy".parse().unwrap(), id.clone(), Vec::new()).await.unwrap();
        assert_eq!(state_str(&env, "aws_vpc.legacy", "id").await, id);
        let p = plan(&st, &env).await;
        assert!(changes(&p).is_empty(), "an imported object that matches its configuration: {:?}", changes(&p));
    });
}
