//! `aws_security_group`: name, description and VPC force replacement; tags
//! update in place. Rules are separate resources
//! (`aws_vpc_security_group_ingress_rule` / `_egress_rule`), so the
//! allow-all egress rule AWS adds to a new group is removed, as Terraform
//! does. `revoke_rules_on_delete` revokes the group's rules first (to break
//! cycles between groups).

use async_trait::async_trait;
use aws_sdk_ec2::types::{IpPermission, IpRange, ResourceType};
use iac_core::schema::{Attribute, ResourceSchema};
use iac_core::Value;

use super::*;
use crate::error::absent;
use crate::resources::{Cx, Resource};
use crate::schema_util::*;
use crate::values::*;

pub struct SecurityGroup;

#[async_trait]
impl Resource for SecurityGroup {
    fn schema(&self) -> ResourceSchema {
        ResourceSchema {
            version: 0,
            block: tagged(id())
                .attr("arn", Attribute::computed(Str))
                .attr("name", Attribute::optional_computed(Str).force_new())
                .attr("description", Attribute::optional_computed(Str).force_new())
                .attr("vpc_id", Attribute::optional_computed(Str).force_new())
                .attr("revoke_rules_on_delete", Attribute::optional_computed(Bool))
                .attr("owner_id", Attribute::computed(Str)),
        }
    }

    fn defaults(&self) -> Vec<(&'static str, Value)> {
        vec![("description", Value::from("Managed by Terraform")), ("revoke_rules_on_delete", Value::Bool(false))]
    }

    fn local_attrs(&self) -> &'static [&'static str] {
        &["revoke_rules_on_delete"]
    }

    async fn create(&self, cx: &Cx<'_>, p: &Value) -> Result<Value, AwsError> {
        let name = get_str(p, "name").map(str::to_string).unwrap_or_else(|| crate::resources::stable_name(&cx.owner));
        let out =
            cx.c.ec2
                .create_security_group()
                .group_name(&name)
                .description(get_str(p, "description").unwrap_or("Managed by Terraform"))
                .set_vpc_id(get_str(p, "vpc_id").map(str::to_string))
                .tag_specifications(tag_spec(cx, ResourceType::SecurityGroup, p))
                .send()
                .await
                .map_err(sdk(cx.addr))?;
        let id = out.group_id().ok_or_else(|| cx.invalid("CreateSecurityGroup returned no id"))?.to_string();
        let all = IpPermission::builder().ip_protocol("-1").ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build()).build();
        absent(cx.c.ec2.revoke_security_group_egress().group_id(&id).ip_permissions(all).send().await.map_err(sdk(cx.addr)))?;
        let mut v = p.clone();
        set(&mut v, "id", Value::from(id.as_str()));
        self.read(cx, &v).await?.ok_or_else(|| cx.invalid(format!("security group {id} vanished after its create")))
    }

    async fn update(&self, cx: &Cx<'_>, prior: &Value, p: &Value) -> Result<Value, AwsError> {
        let id = id_of(cx, prior)?;
        update_tags(cx, id, prior, p).await?;
        self.read(cx, p).await?.ok_or_else(|| cx.invalid(format!("security group {id} vanished during its update")))
    }

    async fn read(&self, cx: &Cx<'_>, current: &Value) -> Result<Option<Value>, AwsError> {
        let id = id_of(cx, current)?;
        let Some(out) = absent(cx.c.ec2.describe_security_groups().group_ids(id).send().await.map_err(sdk(cx.addr)))? else { return Ok(None) };
        let Some(g) = out.security_groups().first() else { return Ok(None) };
        let owner = g.owner_id().unwrap_or_default();
        Ok(Some(Value::map([
            ("id", Value::from(id)),
            ("arn", g.security_group_arn().map(Value::from).unwrap_or_else(|| arn(cx, owner, "security-group", id))),
            ("name", opt(g.group_name())),
            ("description", opt(g.description())),
            ("vpc_id", opt(g.vpc_id())),
            ("owner_id", Value::from(owner)),
            ("tags_all", tags_value(g.tags())),
        ])))
    }

    async fn delete(&self, cx: &Cx<'_>, prior: &Value) -> Result<(), AwsError> {
        let id = id_of(cx, prior)?;
        if get_bool(prior, "revoke_rules_on_delete") == Some(true) {
            if let Some(out) = absent(cx.c.ec2.describe_security_groups().group_ids(id).send().await.map_err(sdk(cx.addr)))? {
                if let Some(g) = out.security_groups().first() {
                    if !g.ip_permissions().is_empty() {
                        cx.c.ec2
                            .revoke_security_group_ingress()
                            .group_id(id)
                            .set_ip_permissions(Some(g.ip_permissions().to_vec()))
                            .send()
                            .await
                            .map_err(sdk(cx.addr))?;
                    }
                    if !g.ip_permissions_egress().is_empty() {
                        cx.c.ec2
                            .revoke_security_group_egress()
                            .group_id(id)
                            .set_ip_permissions(Some(g.ip_permissions_egress().to_vec()))
                            .send()
                            .await
                            .map_err(sdk(cx.addr))?;
                    }
                }
            }
        }
        crate::wait::retry_while(cx.addr, "the security group's users to go", DEPENDENCY_CODES, cx.poll(), DEPENDENCY_WAIT, || async {
            cx.c.ec2.delete_security_group().group_id(id).send().await.map_err(sdk(cx.addr)).map(|_| ())
        })
        .await
    }

    async fn recover(&self, cx: &Cx<'_>, planned: &Value) -> Result<Option<Value>, AwsError> {
        let out = cx.c.ec2.describe_security_groups().filters(owner_filter(cx)).send().await.map_err(sdk(cx.addr))?;
        match out.security_groups().first().and_then(|g| g.group_id()) {
            Some(id) => {
                let mut v = planned.clone();
                set(&mut v, "id", Value::from(id));
                self.read(cx, &v).await
            }
            None => Ok(None),
        }
    }
}
