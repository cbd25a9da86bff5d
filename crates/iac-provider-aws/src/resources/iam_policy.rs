//! IAM permission policies: the managed `aws_iam_policy` (its document is a
//! chain of versions; a change adds a new default version and, at IAM's
//! limit of five, prunes the oldest non-default one, as Terraform does) and
//! the inline `aws_iam_role_policy` (id `ROLE:NAME`). Both compare their
//! documents as JSON, not as text.

use async_trait::async_trait;
use aws_sdk_iam::types::{PolicyScopeType, PolicyVersion};
use iac_core::schema::{Attribute, ResourceSchema};
use iac_core::Value;

use super::iam::{check_json, decode_policy, iam_tags, keep_prior_json, owned_by, tags_value};
use super::{Cx, Resource};
use crate::error::{absent, sdk, AwsError};
use crate::schema_util::*;
use crate::tags;
use crate::values::*;

pub struct Policy;
pub struct RolePolicy;

/// IAM keeps at most this many versions of a managed policy.
const MAX_POLICY_VERSIONS: usize = 5;

/// The non-default version to delete to make room: the oldest by creation
/// date, then by version number (v2 before v10) for versions made in the same instant.
fn oldest_non_default(versions: &[PolicyVersion]) -> Option<String> {
    let number = |v: &PolicyVersion| v.version_id().and_then(|id| id.trim_start_matches('v').parse::<u64>().ok()).unwrap_or(u64::MAX);
    let created = |v: &PolicyVersion| v.create_date().map(|d| (d.secs(), d.subsec_nanos()));
    versions.iter().filter(|v| !v.is_default_version()).min_by_key(|v| (created(v), number(v))).and_then(|v| v.version_id().map(str::to_string))
}

fn policy_name(cx: &Cx<'_>, p: &Value) -> String {
    get_str(p, "name").map(str::to_string).unwrap_or_else(|| crate::resources::stable_name(&cx.owner))
}

#[async_trait]
impl Resource for Policy {
    fn schema(&self) -> ResourceSchema {
        ResourceSchema {
            version: 0,
            block: tagged(id())
                .attr("arn", Attribute::computed(Str))
                .attr("policy_id", Attribute::computed(Str))
                .attr("name", Attribute::optional_computed(Str).force_new())
                .attr("path", Attribute::optional_computed(Str).force_new())
                .attr("description", Attribute::optional(Str).force_new())
                .attr("policy", Attribute::required(Str).describe("compared as JSON")),
        }
    }

    fn defaults(&self) -> Vec<(&'static str, Value)> {
        vec![("path", Value::from("/"))]
    }

    fn refine(&self, addr: &str, prior: Option<&Value>, planned: &mut Value) -> Result<(), AwsError> {
        check_json(addr, "policy", planned)?;
        keep_prior_json(prior, planned, "policy");
        Ok(())
    }

    async fn create(&self, cx: &Cx<'_>, p: &Value) -> Result<Value, AwsError> {
        let name = policy_name(cx, p);
        let out =
            cx.c.iam
                .create_policy()
                .policy_name(&name)
                .path(get_str(p, "path").unwrap_or("/"))
                .policy_document(get_str(p, "policy").unwrap_or_default())
                .set_description(get_str(p, "description").map(str::to_string))
                .set_tags(Some(iam_tags(&tags::desired(p, &cx.owner))))
                .send()
                .await
                .map_err(sdk(cx.addr))?;
        let arn = out.policy().and_then(|p| p.arn()).ok_or_else(|| cx.invalid("CreatePolicy returned no ARN"))?;
        let mut v = p.clone();
        set(&mut v, "id", Value::from(arn));
        self.read(cx, &v).await?.ok_or_else(|| cx.invalid(format!("policy {arn} vanished after its create")))
    }

    async fn update(&self, cx: &Cx<'_>, prior: &Value, p: &Value) -> Result<Value, AwsError> {
        let arn = get_str(prior, "id").unwrap_or_default();
        let (old, new) = (get_str(prior, "policy").unwrap_or(""), get_str(p, "policy").unwrap_or(""));
        if !json_equal(old, new) {
            let versions = cx.c.iam.list_policy_versions().policy_arn(arn).send().await.map_err(sdk(cx.addr))?;
            if versions.versions().len() >= MAX_POLICY_VERSIONS {
                if let Some(oldest) = oldest_non_default(versions.versions()) {
                    tracing::debug!(addr = cx.addr, version = %oldest, "pruning the oldest policy version to make room");
                    cx.c.iam.delete_policy_version().policy_arn(arn).version_id(oldest).send().await.map_err(sdk(cx.addr))?;
                }
            }
            cx.c.iam.create_policy_version().policy_arn(arn).policy_document(new).set_as_default(true).send().await.map_err(sdk(cx.addr))?;
        }
        let (put, remove) = tags::diff(&tags::desired(prior, &cx.owner), &tags::desired(p, &cx.owner));
        if !remove.is_empty() {
            cx.c.iam.untag_policy().policy_arn(arn).set_tag_keys(Some(remove)).send().await.map_err(sdk(cx.addr))?;
        }
        if !put.is_empty() {
            cx.c.iam.tag_policy().policy_arn(arn).set_tags(Some(iam_tags(&put))).send().await.map_err(sdk(cx.addr))?;
        }
        self.read(cx, p).await?.ok_or_else(|| cx.invalid(format!("policy {arn} vanished during its update")))
    }

    async fn read(&self, cx: &Cx<'_>, current: &Value) -> Result<Option<Value>, AwsError> {
        let arn = get_str(current, "id").unwrap_or_default();
        if !arn.starts_with("arn:") {
            return Err(cx.invalid(format!("{arn:?} is not a policy ARN")));
        }
        let Some(out) = absent(cx.c.iam.get_policy().policy_arn(arn).send().await.map_err(sdk(cx.addr)))? else { return Ok(None) };
        let Some(p) = out.policy() else { return Ok(None) };
        let version = p.default_version_id().ok_or_else(|| cx.invalid(format!("policy {arn} has no default version")))?;
        let Some(v) = absent(cx.c.iam.get_policy_version().policy_arn(arn).version_id(version).send().await.map_err(sdk(cx.addr)))? else { return Ok(None) };
        let document = decode_policy(v.policy_version().and_then(|v| v.document()).unwrap_or(""));
        let tags = cx.c.iam.list_policy_tags().policy_arn(arn).send().await.map_err(sdk(cx.addr))?;
        Ok(Some(Value::map([
            ("id", Value::from(arn)),
            ("arn", Value::from(arn)),
            ("policy_id", opt(p.policy_id())),
            ("name", opt(p.policy_name())),
            ("path", opt(p.path())),
            ("description", opt(p.description().filter(|d| !d.is_empty()))),
            ("policy", Value::String(keep_equivalent_json(get_str(current, "policy"), &document))),
            ("tags_all", tags_value(tags.tags())),
        ])))
    }

    async fn delete(&self, cx: &Cx<'_>, prior: &Value) -> Result<(), AwsError> {
        let arn = get_str(prior, "id").unwrap_or_default();
        // IAM refuses to delete a policy that still has non-default versions.
        let versions = cx.c.iam.list_policy_versions().policy_arn(arn).send().await.map_err(sdk(cx.addr))?;
        for v in versions.versions().iter().filter(|v| !v.is_default_version()) {
            if let Some(id) = v.version_id() {
                cx.c.iam.delete_policy_version().policy_arn(arn).version_id(id).send().await.map_err(sdk(cx.addr))?;
            }
        }
        cx.c.iam.delete_policy().policy_arn(arn).send().await.map_err(sdk(cx.addr))?;
        Ok(())
    }

    async fn recover(&self, cx: &Cx<'_>, planned: &Value) -> Result<Option<Value>, AwsError> {
        let name = policy_name(cx, planned);
        let path = get_str(planned, "path").unwrap_or("/");
        let mut marker = None;
        loop {
            let out = cx.c.iam.list_policies().scope(PolicyScopeType::Local).path_prefix(path).set_marker(marker.clone()).send().await.map_err(sdk(cx.addr))?;
            if let Some(arn) = out.policies().iter().find(|p| p.policy_name() == Some(name.as_str())).and_then(|p| p.arn()) {
                let tags = cx.c.iam.list_policy_tags().policy_arn(arn).send().await.map_err(sdk(cx.addr))?;
                if !owned_by(tags.tags(), &cx.owner) {
                    return Ok(None);
                }
                let mut v = planned.clone();
                set(&mut v, "id", Value::from(arn));
                return self.read(cx, &v).await;
            }
            match out.marker() {
                Some(m) if out.is_truncated() => marker = Some(m.to_string()),
                _ => return Ok(None),
            }
        }
    }
}

fn role_policy_id(cx: &Cx<'_>, v: &Value) -> Result<(String, String), AwsError> {
    let id = get_str(v, "id").unwrap_or_default();
    id.split_once(':').map(|(r, n)| (r.to_string(), n.to_string())).ok_or_else(|| cx.invalid(format!("{id:?} is not ROLE:NAME")))
}

#[async_trait]
impl Resource for RolePolicy {
    fn schema(&self) -> ResourceSchema {
        ResourceSchema {
            version: 0,
            block: id()
                .attr("role", Attribute::required(Str).force_new())
                .attr("name", Attribute::optional_computed(Str).force_new())
                .attr("policy", Attribute::required(Str).describe("compared as JSON")),
        }
    }

    fn refine(&self, addr: &str, prior: Option<&Value>, planned: &mut Value) -> Result<(), AwsError> {
        check_json(addr, "policy", planned)?;
        keep_prior_json(prior, planned, "policy");
        Ok(())
    }

    async fn create(&self, cx: &Cx<'_>, p: &Value) -> Result<Value, AwsError> {
        let (role, name) = (get_str(p, "role").unwrap_or_default(), policy_name(cx, p));
        cx.c.iam
            .put_role_policy()
            .role_name(role)
            .policy_name(&name)
            .policy_document(get_str(p, "policy").unwrap_or_default())
            .send()
            .await
            .map_err(sdk(cx.addr))?;
        let mut v = p.clone();
        set(&mut v, "id", Value::String(format!("{role}:{name}")));
        self.read(cx, &v).await?.ok_or_else(|| cx.invalid(format!("inline policy {name} of {role} vanished after its create")))
    }

    async fn update(&self, cx: &Cx<'_>, prior: &Value, p: &Value) -> Result<Value, AwsError> {
        let (role, name) = role_policy_id(cx, prior)?;
        cx.c.iam
            .put_role_policy()
            .role_name(&role)
            .policy_name(&name)
            .policy_document(get_str(p, "policy").unwrap_or_default())
            .send()
            .await
            .map_err(sdk(cx.addr))?;
        let mut v = p.clone();
        set(&mut v, "id", prior.get("id").cloned().unwrap_or(Value::Null));
        self.read(cx, &v).await?.ok_or_else(|| cx.invalid(format!("inline policy {name} of {role} vanished during its update")))
    }

    async fn read(&self, cx: &Cx<'_>, current: &Value) -> Result<Option<Value>, AwsError> {
        let (role, name) = role_policy_id(cx, current)?;
        let Some(out) = absent(cx.c.iam.get_role_policy().role_name(&role).policy_name(&name).send().await.map_err(sdk(cx.addr)))? else { return Ok(None) };
        let document = decode_policy(out.policy_document());
        Ok(Some(Value::map([
            ("id", Value::String(format!("{role}:{name}"))),
            ("role", Value::from(out.role_name())),
            ("name", Value::from(out.policy_name())),
            ("policy", Value::String(keep_equivalent_json(get_str(current, "policy"), &document))),
        ])))
    }

    async fn delete(&self, cx: &Cx<'_>, prior: &Value) -> Result<(), AwsError> {
        let (role, name) = role_policy_id(cx, prior)?;
        cx.c.iam.delete_role_policy().role_name(role).policy_name(name).send().await.map_err(sdk(cx.addr))?;
        Ok(())
    }

    async fn recover(&self, cx: &Cx<'_>, planned: &Value) -> Result<Option<Value>, AwsError> {
        let id = format!("{}:{}", get_str(planned, "role").unwrap_or_default(), policy_name(cx, planned));
        let mut v = planned.clone();
        set(&mut v, "id", Value::String(id));
        self.read(cx, &v).await
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
