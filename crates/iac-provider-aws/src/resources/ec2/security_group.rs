//! `aws_security_group`: name, description and VPC force replacement; tags
//! update in place. Rules are separate resources
//! (`aws_vpc_security_group_ingress_rule` / `_egress_rule`), so the
//! allow-all egress rule AWS adds to a new group is removed, as Terraform
//! does. `revoke_rules_on_delete` revokes the group's rules first (to break
//! cycles between groups).

use aws_sdk_ec2::types::{IpPermission, IpRange, ResourceType};
use iac_provider_sdk::prelude::*;

use super::*;
use crate::error::absent;
use crate::resources::{id_of, name_or_stable};
use crate::Aws;

#[derive(Model, Debug, Clone, Default)]
pub struct SecurityGroupModel {
    #[sdk(computed)]
    id: Option<String>,
    #[sdk(computed)]
    arn: Option<String>,
    #[sdk(optional, computed, force_new)]
    name: Option<String>,
    #[sdk(optional, computed, force_new, default = "Managed by Terraform")]
    description: Option<String>,
    #[sdk(optional, computed, force_new)]
    vpc_id: Option<String>,
    #[sdk(optional, computed, local, default = false)]
    revoke_rules_on_delete: Option<bool>,
    #[sdk(computed)]
    owner_id: Option<String>,
    #[sdk(flatten)]
    tags: Tags,
}

pub struct SecurityGroup;

#[async_trait]
impl Resource<Aws> for SecurityGroup {
    type Model = SecurityGroupModel;
    const TYPE: &'static str = "aws_security_group";

    async fn create(&self, cx: &Cx<'_>, p: SecurityGroupModel) -> Result<SecurityGroupModel, AwsError> {
        let name = name_or_stable(cx, &p.name);
        let out = cx
            .c()
            .ec2
            .create_security_group()
            .group_name(&name)
            .description(p.description.as_deref().unwrap_or("Managed by Terraform"))
            .set_vpc_id(p.vpc_id.clone())
            .tag_specifications(tag_spec(cx, ResourceType::SecurityGroup, &p.tags))
            .send()
            .await
            .map_err(sdk(cx.addr))?;
        let id = out.group_id().ok_or_else(|| cx.invalid("CreateSecurityGroup returned no id"))?.to_string();
        let all = IpPermission::builder().ip_protocol("-1").ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build()).build();
        absent(cx.c().ec2.revoke_security_group_egress().group_id(&id).ip_permissions(all).send().await.map_err(sdk(cx.addr)))?;
        self.read(cx, SecurityGroupModel { id: Some(id.clone()), ..p })
            .await?
            .ok_or_else(|| cx.invalid(format!("security group {id} vanished after its create")))
    }

    async fn update(&self, cx: &Cx<'_>, prior: SecurityGroupModel, p: SecurityGroupModel) -> Result<SecurityGroupModel, AwsError> {
        let id = id_of(cx, &prior.id)?;
        update_tags(cx, id, &prior.tags, &p.tags).await?;
        self.read(cx, p).await?.ok_or_else(|| cx.invalid(format!("security group {id} vanished during its update")))
    }

    async fn read(&self, cx: &Cx<'_>, current: SecurityGroupModel) -> Result<Option<SecurityGroupModel>, AwsError> {
        let id = id_of(cx, &current.id)?;
        let Some(out) = absent(cx.c().ec2.describe_security_groups().group_ids(id).send().await.map_err(sdk(cx.addr)))? else { return Ok(None) };
        let Some(g) = out.security_groups().first() else { return Ok(None) };
        let owner = g.owner_id().unwrap_or_default();
        Ok(Some(SecurityGroupModel {
            id: Some(id.to_string()),
            arn: Some(g.security_group_arn().map(str::to_string).unwrap_or_else(|| arn(cx, owner, "security-group", id))),
            name: g.group_name().map(str::to_string),
            description: g.description().map(str::to_string),
            vpc_id: g.vpc_id().map(str::to_string),
            revoke_rules_on_delete: current.revoke_rules_on_delete,
            owner_id: Some(owner.to_string()),
            tags: tags_of(g.tags()),
        }))
    }

    async fn delete(&self, cx: &Cx<'_>, prior: SecurityGroupModel) -> Result<(), AwsError> {
        let id = id_of(cx, &prior.id)?;
        if prior.revoke_rules_on_delete == Some(true) {
            if let Some(out) = absent(cx.c().ec2.describe_security_groups().group_ids(id).send().await.map_err(sdk(cx.addr)))? {
                if let Some(g) = out.security_groups().first() {
                    if !g.ip_permissions().is_empty() {
                        cx.c()
                            .ec2
                            .revoke_security_group_ingress()
                            .group_id(id)
                            .set_ip_permissions(Some(g.ip_permissions().to_vec()))
                            .send()
                            .await
                            .map_err(sdk(cx.addr))?;
                    }
                    if !g.ip_permissions_egress().is_empty() {
                        cx.c()
                            .ec2
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
        delete_retrying(cx, "the security group's users to go", || async {
            cx.c().ec2.delete_security_group().group_id(id).send().await.map_err(sdk(cx.addr)).map(|_| ())
        })
        .await
    }

    async fn recover(&self, cx: &Cx<'_>, planned: SecurityGroupModel) -> Result<Option<SecurityGroupModel>, AwsError> {
        let out = cx.c().ec2.describe_security_groups().filters(owner_filter(cx)).send().await.map_err(sdk(cx.addr))?;
        match out.security_groups().first().and_then(|g| g.group_id()) {
            Some(id) => self.read(cx, SecurityGroupModel { id: Some(id.to_string()), ..planned }).await,
            None => Ok(None),
        }
    }
}
