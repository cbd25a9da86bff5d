//! `aws_iam_instance_profile` (the role EC2 instances and EKS nodes run
//! as: the role changes in place, the name and path force replacement)
//! and `data.aws_iam_role` (a role by name).

use std::collections::BTreeMap;

use iac_provider_sdk::prelude::*;

use super::iam::{decode_policy, iam_tags, owned_by, tags_of};
use super::naming::{name_from, prefix_of};
use super::{AwsCx, Cx, Tags};
use crate::error::{absent, sdk, AwsError};
use crate::tags::OWNER_TAG;
use crate::Aws;

fn date(d: &aws_smithy_types::DateTime) -> String {
    crate::values::rfc3339(d)
}

#[derive(Model, Debug, Clone, Default)]
pub struct InstanceProfileModel {
    #[sdk(computed)]
    id: Option<String>,
    #[sdk(computed)]
    arn: Option<String>,
    #[sdk(computed)]
    create_date: Option<String>,
    #[sdk(optional, computed, force_new)]
    name: Option<String>,
    /// a name made of this prefix and a unique suffix
    #[sdk(optional, computed, force_new)]
    name_prefix: Option<String>,
    #[sdk(optional, computed, force_new, default = "/")]
    path: Option<String>,
    /// the role's name
    #[sdk(optional)]
    role: Option<String>,
    #[sdk(computed)]
    unique_id: Option<String>,
    #[sdk(flatten)]
    tags: Tags,
}

pub struct InstanceProfile;

async fn set_role(cx: &Cx<'_>, profile: &str, old: Option<&str>, new: Option<&str>) -> Result<(), AwsError> {
    if old == new {
        return Ok(());
    }
    let iam = &cx.c().iam;
    if let Some(r) = old {
        absent(iam.remove_role_from_instance_profile().instance_profile_name(profile).role_name(r).send().await.map_err(sdk(cx.addr)))?;
    }
    if let Some(r) = new {
        iam.add_role_to_instance_profile().instance_profile_name(profile).role_name(r).send().await.map_err(sdk(cx.addr))?;
    }
    Ok(())
}

#[async_trait]
impl Resource<Aws> for InstanceProfile {
    type Model = InstanceProfileModel;
    const TYPE: &'static str = "aws_iam_instance_profile";

    async fn create(&self, cx: &Cx<'_>, p: InstanceProfileModel) -> Result<InstanceProfileModel, AwsError> {
        let name = name_from(cx, &p.name, &p.name_prefix);
        cx.c()
            .iam
            .create_instance_profile()
            .instance_profile_name(&name)
            .path(p.path.as_deref().unwrap_or("/"))
            .set_tags(Some(iam_tags(&p.tags.desired(&cx.owner()))))
            .send()
            .await
            .map_err(sdk(cx.addr))?;
        set_role(cx, &name, None, p.role.as_deref()).await?;
        self.read(cx, InstanceProfileModel { id: Some(name.clone()), ..p })
            .await?
            .ok_or_else(|| cx.invalid(format!("instance profile {name} vanished after its create")))
    }

    async fn update(&self, cx: &Cx<'_>, prior: InstanceProfileModel, p: InstanceProfileModel) -> Result<InstanceProfileModel, AwsError> {
        let name = prior.id.clone().unwrap_or_default();
        set_role(cx, &name, prior.role.as_deref(), p.role.as_deref()).await?;
        let iam = &cx.c().iam;
        let (put, remove) = p.tags.diff(&prior.tags, &cx.owner());
        if !remove.is_empty() {
            iam.untag_instance_profile().instance_profile_name(&name).set_tag_keys(Some(remove)).send().await.map_err(sdk(cx.addr))?;
        }
        if !put.is_empty() {
            iam.tag_instance_profile().instance_profile_name(&name).set_tags(Some(iam_tags(&put))).send().await.map_err(sdk(cx.addr))?;
        }
        self.read(cx, p).await?.ok_or_else(|| cx.invalid(format!("instance profile {name} vanished during its update")))
    }

    async fn read(&self, cx: &Cx<'_>, current: InstanceProfileModel) -> Result<Option<InstanceProfileModel>, AwsError> {
        let name = current.id.as_deref().or(current.name.as_deref()).unwrap_or_default();
        let Some(out) = absent(cx.c().iam.get_instance_profile().instance_profile_name(name).send().await.map_err(sdk(cx.addr)))? else {
            return Ok(None);
        };
        let Some(ip) = out.instance_profile() else { return Ok(None) };
        let n = ip.instance_profile_name();
        Ok(Some(InstanceProfileModel {
            id: Some(n.to_string()),
            arn: Some(ip.arn().to_string()),
            create_date: Some(date(ip.create_date())),
            name: Some(n.to_string()),
            name_prefix: Some(prefix_of(n)),
            path: Some(ip.path().to_string()),
            role: ip.roles().first().map(|r| r.role_name().to_string()),
            unique_id: Some(ip.instance_profile_id().to_string()),
            tags: tags_of(ip.tags()),
        }))
    }

    async fn delete(&self, cx: &Cx<'_>, prior: InstanceProfileModel) -> Result<(), AwsError> {
        let name = prior.id.as_deref().unwrap_or_default();
        // Every role goes first (AWS refuses to delete a profile that has one).
        if let Some(out) = absent(cx.c().iam.get_instance_profile().instance_profile_name(name).send().await.map_err(sdk(cx.addr)))? {
            for r in out.instance_profile().map(|p| p.roles()).unwrap_or_default() {
                set_role(cx, name, Some(r.role_name()), None).await?;
            }
        }
        cx.c().iam.delete_instance_profile().instance_profile_name(name).send().await.map_err(sdk(cx.addr))?;
        Ok(())
    }

    async fn recover(&self, cx: &Cx<'_>, planned: InstanceProfileModel) -> Result<Option<InstanceProfileModel>, AwsError> {
        let Some(name) = planned.name.clone() else { return Ok(None) };
        let Some(out) = absent(cx.c().iam.get_instance_profile().instance_profile_name(&name).send().await.map_err(sdk(cx.addr)))? else {
            return Ok(None);
        };
        if !out.instance_profile().is_some_and(|p| owned_by(p.tags(), &cx.owner())) {
            return Ok(None);
        }
        self.read(cx, InstanceProfileModel { id: Some(name), ..planned }).await
    }
}

#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct RoleLastUsed {
    #[sdk(computed)]
    last_used_date: Option<String>,
    #[sdk(computed)]
    region: Option<String>,
}

#[derive(Model, Debug, Clone, Default)]
pub struct RoleDataModel {
    #[sdk(optional, computed)]
    id: Option<String>,
    #[sdk(required)]
    name: String,
    #[sdk(computed)]
    arn: Option<String>,
    #[sdk(computed)]
    assume_role_policy: Option<String>,
    #[sdk(computed)]
    create_date: Option<String>,
    #[sdk(computed)]
    description: Option<String>,
    #[sdk(computed)]
    max_session_duration: Option<i64>,
    #[sdk(computed)]
    path: Option<String>,
    #[sdk(computed)]
    permissions_boundary: Option<String>,
    #[sdk(computed)]
    role_last_used: Vec<RoleLastUsed>,
    #[sdk(optional, computed)]
    tags: Option<BTreeMap<String, String>>,
    #[sdk(computed)]
    unique_id: Option<String>,
}

/// `data.aws_iam_role`.
pub struct RoleData;

#[async_trait]
impl DataSource<Aws> for RoleData {
    type Model = RoleDataModel;
    const TYPE: &'static str = "aws_iam_role";

    async fn read(&self, cx: &Cx<'_>, c: RoleDataModel) -> Result<RoleDataModel, AwsError> {
        let out = cx.c().iam.get_role().role_name(&c.name).send().await.map_err(sdk(cx.addr))?;
        let r = out.role().ok_or_else(|| cx.invalid(format!("reading IAM Role ({}): not found", c.name)))?;
        let last = r.role_last_used();
        let mut tags: BTreeMap<String, String> = r.tags().iter().map(|t| (t.key().to_string(), t.value().to_string())).collect();
        tags.remove(OWNER_TAG);
        Ok(RoleDataModel {
            id: Some(r.role_name().to_string()),
            name: r.role_name().to_string(),
            arn: Some(r.arn().to_string()),
            assume_role_policy: Some(decode_policy(r.assume_role_policy_document().unwrap_or_default())),
            create_date: Some(date(r.create_date())),
            description: Some(r.description().unwrap_or_default().to_string()),
            max_session_duration: r.max_session_duration().map(i64::from),
            path: Some(r.path().to_string()),
            permissions_boundary: Some(r.permissions_boundary().and_then(|b| b.permissions_boundary_arn()).unwrap_or_default().to_string()),
            role_last_used: vec![RoleLastUsed {
                last_used_date: Some(last.and_then(|l| l.last_used_date()).map(date).unwrap_or_default()),
                region: Some(last.and_then(|l| l.region()).unwrap_or_default().to_string()),
            }],
            tags: Some(tags),
            unique_id: Some(r.role_id().to_string()),
        })
    }
}
