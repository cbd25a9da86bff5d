//! IAM permission policies: the managed `aws_iam_policy` (its document is a
//! chain of versions; a change adds a new default version and, at IAM's
//! limit of five, prunes the oldest non-default one, as Terraform does) and
//! the inline `aws_iam_role_policy` (id `ROLE:NAME`). Both compare their
//! documents as JSON, not as text.

use aws_sdk_iam::types::{PolicyScopeType, PolicyVersion};
use iac_provider_sdk::prelude::*;
use iac_provider_sdk::AttrPath;

use super::iam::{check_policy, configured_or, decode_policy, iam_tags, owned_by, tags_of};
use super::{name_or_stable, AwsCx, Cx, Tags};
use crate::error::{absent, sdk, AwsError};
use crate::values::json_equal;
use crate::Aws;

/// IAM keeps at most this many versions of a managed policy.
const MAX_POLICY_VERSIONS: usize = 5;

/// The non-default version to delete to make room: the oldest by creation
/// date, then by version number (v2 before v10) for versions made in the same instant.
fn oldest_non_default(versions: &[PolicyVersion]) -> Option<String> {
    let number = |v: &PolicyVersion| v.version_id().and_then(|id| id.trim_start_matches('v').parse::<u64>().ok()).unwrap_or(u64::MAX);
    let created = |v: &PolicyVersion| v.create_date().map(|d| (d.secs(), d.subsec_nanos()));
    versions.iter().filter(|v| !v.is_default_version()).min_by_key(|v| (created(v), number(v))).and_then(|v| v.version_id().map(str::to_string))
}

#[derive(Model, Debug, Clone, Default)]
pub struct PolicyModel {
    #[sdk(computed)]
    id: Option<String>,
    #[sdk(computed)]
    arn: Option<String>,
    #[sdk(computed)]
    policy_id: Option<String>,
    #[sdk(optional, computed, force_new)]
    name: Option<String>,
    #[sdk(optional, computed, force_new, default = "/")]
    path: Option<String>,
    #[sdk(optional, force_new)]
    description: Option<String>,
    /// compared as JSON
    #[sdk(required, json)]
    policy: String,
    #[sdk(flatten)]
    tags: Tags,
}

pub struct Policy;

#[async_trait]
impl Resource<Aws> for Policy {
    type Model = PolicyModel;
    const TYPE: &'static str = "aws_iam_policy";

    async fn modify_plan(&self, cx: &Cx<'_>, _prior: Option<&Value>, planned: &mut Value, _replace: &mut Vec<AttrPath>) -> Result<(), AwsError> {
        check_policy(cx, planned, "policy")
    }

    async fn create(&self, cx: &Cx<'_>, p: PolicyModel) -> Result<PolicyModel, AwsError> {
        let name = name_or_stable(cx, &p.name);
        let out = cx
            .c()
            .iam
            .create_policy()
            .policy_name(&name)
            .path(p.path.as_deref().unwrap_or("/"))
            .policy_document(&p.policy)
            .set_description(p.description.clone())
            .set_tags(Some(iam_tags(&p.tags.desired(&cx.owner()))))
            .send()
            .await
            .map_err(sdk(cx.addr))?;
        let arn = out.policy().and_then(|p| p.arn()).ok_or_else(|| cx.invalid("CreatePolicy returned no ARN"))?;
        self.read(cx, PolicyModel { id: Some(arn.to_string()), ..p }).await?.ok_or_else(|| cx.invalid(format!("policy {arn} vanished after its create")))
    }

    async fn update(&self, cx: &Cx<'_>, prior: PolicyModel, p: PolicyModel) -> Result<PolicyModel, AwsError> {
        let arn = prior.id.as_deref().unwrap_or_default();
        let iam = &cx.c().iam;
        if !json_equal(&prior.policy, &p.policy) {
            let versions = iam.list_policy_versions().policy_arn(arn).send().await.map_err(sdk(cx.addr))?;
            if versions.versions().len() >= MAX_POLICY_VERSIONS {
                if let Some(oldest) = oldest_non_default(versions.versions()) {
                    tracing::debug!(addr = cx.addr, version = %oldest, "pruning the oldest policy version to make room");
                    iam.delete_policy_version().policy_arn(arn).version_id(oldest).send().await.map_err(sdk(cx.addr))?;
                }
            }
            iam.create_policy_version().policy_arn(arn).policy_document(&p.policy).set_as_default(true).send().await.map_err(sdk(cx.addr))?;
        }
        let (put, remove) = p.tags.diff(&prior.tags, &cx.owner());
        if !remove.is_empty() {
            iam.untag_policy().policy_arn(arn).set_tag_keys(Some(remove)).send().await.map_err(sdk(cx.addr))?;
        }
        if !put.is_empty() {
            iam.tag_policy().policy_arn(arn).set_tags(Some(iam_tags(&put))).send().await.map_err(sdk(cx.addr))?;
        }
        self.read(cx, p).await?.ok_or_else(|| cx.invalid(format!("policy {arn} vanished during its update")))
    }

    async fn read(&self, cx: &Cx<'_>, current: PolicyModel) -> Result<Option<PolicyModel>, AwsError> {
        let arn = current.id.as_deref().unwrap_or_default();
        if !arn.starts_with("arn:") {
            return Err(cx.invalid(format!("{arn:?} is not a policy ARN")));
        }
        let iam = &cx.c().iam;
        let Some(out) = absent(iam.get_policy().policy_arn(arn).send().await.map_err(sdk(cx.addr)))? else { return Ok(None) };
        let Some(p) = out.policy() else { return Ok(None) };
        let version = p.default_version_id().ok_or_else(|| cx.invalid(format!("policy {arn} has no default version")))?;
        let Some(v) = absent(iam.get_policy_version().policy_arn(arn).version_id(version).send().await.map_err(sdk(cx.addr)))? else { return Ok(None) };
        let document = decode_policy(v.policy_version().and_then(|v| v.document()).unwrap_or(""));
        let tags = iam.list_policy_tags().policy_arn(arn).send().await.map_err(sdk(cx.addr))?;
        Ok(Some(PolicyModel {
            id: Some(arn.to_string()),
            arn: Some(arn.to_string()),
            policy_id: p.policy_id().map(str::to_string),
            name: p.policy_name().map(str::to_string),
            path: p.path().map(str::to_string),
            description: p.description().filter(|d| !d.is_empty()).map(str::to_string),
            policy: configured_or(&current.policy, &document),
            tags: tags_of(tags.tags()),
        }))
    }

    async fn delete(&self, cx: &Cx<'_>, prior: PolicyModel) -> Result<(), AwsError> {
        let arn = prior.id.as_deref().unwrap_or_default();
        let iam = &cx.c().iam;
        // IAM refuses to delete a policy that still has non-default versions.
        let versions = iam.list_policy_versions().policy_arn(arn).send().await.map_err(sdk(cx.addr))?;
        for v in versions.versions().iter().filter(|v| !v.is_default_version()) {
            if let Some(id) = v.version_id() {
                iam.delete_policy_version().policy_arn(arn).version_id(id).send().await.map_err(sdk(cx.addr))?;
            }
        }
        iam.delete_policy().policy_arn(arn).send().await.map_err(sdk(cx.addr))?;
        Ok(())
    }

    async fn recover(&self, cx: &Cx<'_>, planned: PolicyModel) -> Result<Option<PolicyModel>, AwsError> {
        let name = name_or_stable(cx, &planned.name);
        let path = planned.path.as_deref().unwrap_or("/");
        let iam = &cx.c().iam;
        let mut marker = None;
        loop {
            let out = iam.list_policies().scope(PolicyScopeType::Local).path_prefix(path).set_marker(marker.clone()).send().await.map_err(sdk(cx.addr))?;
            if let Some(arn) = out.policies().iter().find(|p| p.policy_name() == Some(name.as_str())).and_then(|p| p.arn()) {
                let tags = iam.list_policy_tags().policy_arn(arn).send().await.map_err(sdk(cx.addr))?;
                if !owned_by(tags.tags(), &cx.owner()) {
                    return Ok(None);
                }
                return self.read(cx, PolicyModel { id: Some(arn.to_string()), ..planned }).await;
            }
            match out.marker() {
                Some(m) if out.is_truncated() => marker = Some(m.to_string()),
                _ => return Ok(None),
            }
        }
    }
}

#[derive(Model, Debug, Clone, Default)]
pub struct RolePolicyModel {
    #[sdk(computed)]
    id: Option<String>,
    #[sdk(required, force_new)]
    role: String,
    #[sdk(optional, computed, force_new)]
    name: Option<String>,
    /// compared as JSON
    #[sdk(required, json)]
    policy: String,
}

pub struct RolePolicy;

fn role_policy_id(cx: &Cx<'_>, id: &Option<String>) -> Result<(String, String), AwsError> {
    let id = id.as_deref().unwrap_or_default();
    id.split_once(':').map(|(r, n)| (r.to_string(), n.to_string())).ok_or_else(|| cx.invalid(format!("{id:?} is not ROLE:NAME")))
}

#[async_trait]
impl Resource<Aws> for RolePolicy {
    type Model = RolePolicyModel;
    const TYPE: &'static str = "aws_iam_role_policy";

    async fn modify_plan(&self, cx: &Cx<'_>, _prior: Option<&Value>, planned: &mut Value, _replace: &mut Vec<AttrPath>) -> Result<(), AwsError> {
        check_policy(cx, planned, "policy")
    }

    async fn create(&self, cx: &Cx<'_>, p: RolePolicyModel) -> Result<RolePolicyModel, AwsError> {
        let name = name_or_stable(cx, &p.name);
        let role = p.role.clone();
        cx.c().iam.put_role_policy().role_name(&role).policy_name(&name).policy_document(&p.policy).send().await.map_err(sdk(cx.addr))?;
        self.read(cx, RolePolicyModel { id: Some(format!("{role}:{name}")), ..p })
            .await?
            .ok_or_else(|| cx.invalid(format!("inline policy {name} of {role} vanished after its create")))
    }

    async fn update(&self, cx: &Cx<'_>, prior: RolePolicyModel, p: RolePolicyModel) -> Result<RolePolicyModel, AwsError> {
        let (role, name) = role_policy_id(cx, &prior.id)?;
        cx.c().iam.put_role_policy().role_name(&role).policy_name(&name).policy_document(&p.policy).send().await.map_err(sdk(cx.addr))?;
        self.read(cx, RolePolicyModel { id: prior.id, ..p })
            .await?
            .ok_or_else(|| cx.invalid(format!("inline policy {name} of {role} vanished during its update")))
    }

    async fn read(&self, cx: &Cx<'_>, current: RolePolicyModel) -> Result<Option<RolePolicyModel>, AwsError> {
        let (role, name) = role_policy_id(cx, &current.id)?;
        let req = cx.c().iam.get_role_policy().role_name(&role).policy_name(&name);
        let Some(out) = absent(req.send().await.map_err(sdk(cx.addr)))? else { return Ok(None) };
        let document = decode_policy(out.policy_document());
        Ok(Some(RolePolicyModel {
            id: Some(format!("{role}:{name}")),
            role: out.role_name().to_string(),
            name: Some(out.policy_name().to_string()),
            policy: configured_or(&current.policy, &document),
        }))
    }

    async fn delete(&self, cx: &Cx<'_>, prior: RolePolicyModel) -> Result<(), AwsError> {
        let (role, name) = role_policy_id(cx, &prior.id)?;
        cx.c().iam.delete_role_policy().role_name(role).policy_name(name).send().await.map_err(sdk(cx.addr))?;
        Ok(())
    }

    async fn recover(&self, cx: &Cx<'_>, planned: RolePolicyModel) -> Result<Option<RolePolicyModel>, AwsError> {
        let id = format!("{}:{}", planned.role, name_or_stable(cx, &planned.name));
        self.read(cx, RolePolicyModel { id: Some(id), ..planned }).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_types::DateTime;

    fn version(id: &str, secs: i64, default: bool) -> PolicyVersion {
        PolicyVersion::builder().version_id(id).create_date(DateTime::from_secs(secs)).is_default_version(default).build()
    }

    #[test]
    fn the_oldest_non_default_version_is_pruned() {
        // v1 is the oldest but the default; v10 and v2 were made in the same second.
        let versions = [version("v1", 10, true), version("v10", 20, false), version("v2", 20, false), version("v3", 30, false)];
        assert_eq!(oldest_non_default(&versions).as_deref(), Some("v2"));
        assert_eq!(oldest_non_default(&[version("v4", 40, false), version("v3", 50, false)]).as_deref(), Some("v4"), "by date before number");
        assert_eq!(oldest_non_default(&[version("v1", 10, true)]), None, "the default version is never pruned");
    }
}
