//! IAM: `aws_iam_role` (the trust policy compared as JSON, not as text),
//! `aws_iam_role_policy_attachment` and `aws_iam_openid_connect_provider`
//! (for EKS IRSA). IAM names are global; recovery looks a role up by its
//! name and adopts it only when it carries this instance's ownership tag.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_iam::types::Tag;
use iac_core::schema::{Attribute, ResourceSchema};
use iac_core::Value;

use super::{Cx, Resource};
use crate::error::{absent, sdk, AwsError};
use crate::schema_util::*;
use crate::tags::{self, OWNER_TAG};
use crate::values::*;

pub struct Role;
pub struct RolePolicyAttachment;
pub struct OpenIdConnectProvider;

pub(crate) fn iam_tags(m: &BTreeMap<String, String>) -> Vec<Tag> {
    m.iter().filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok()).collect()
}

pub(crate) fn tags_value(t: &[Tag]) -> Value {
    str_map(&t.iter().map(|t| (t.key().to_string(), t.value().to_string())).collect::<BTreeMap<_, _>>())
}

pub(crate) fn owned_by(t: &[Tag], owner: &str) -> bool {
    t.iter().any(|t| t.key() == OWNER_TAG && t.value() == owner)
}

pub(crate) fn check_json(addr: &str, key: &str, v: &Value) -> Result<(), AwsError> {
    match get_str(v, key) {
        Some(text) if serde_json::from_str::<serde_json::Value>(text).is_err() => Err(AwsError::invalid(addr, format!("{key} is not valid JSON"))),
        _ => Ok(()),
    }
}

/// Keeps the prior text of a policy when the configured one means the same.
pub fn keep_prior_json(prior: Option<&Value>, planned: &mut Value, key: &str) {
    if let (Some(old), Some(new)) = (prior.and_then(|p| get_str(p, key)), get_str(planned, key)) {
        if old != new && json_equal(old, new) {
            let old = old.to_string();
            set(planned, key, Value::String(old));
        }
    }
}

pub(crate) fn decode_policy(s: &str) -> String {
    percent_encoding::percent_decode_str(s).decode_utf8().map(|c| c.into_owned()).unwrap_or_else(|_| s.to_string())
}

#[async_trait]
impl Resource for Role {
    fn schema(&self) -> ResourceSchema {
        ResourceSchema {
            version: 0,
            block: tagged(id())
                .attr("arn", Attribute::computed(Str))
                .attr("unique_id", Attribute::computed(Str))
                .attr("create_date", Attribute::computed(Str))
                .attr("name", Attribute::optional_computed(Str).force_new())
                .attr("path", Attribute::optional_computed(Str).force_new())
                .attr("assume_role_policy", Attribute::required(Str).describe("compared as JSON"))
                .attr("description", Attribute::optional(Str))
                .attr("max_session_duration", Attribute::optional_computed(Number))
                .attr("permissions_boundary", Attribute::optional(Str))
                .attr("force_detach_policies", Attribute::optional_computed(Bool)),
        }
    }

    fn defaults(&self) -> Vec<(&'static str, Value)> {
        vec![("path", Value::from("/")), ("max_session_duration", Value::Number(3600.0)), ("force_detach_policies", Value::Bool(false))]
    }

    fn local_attrs(&self) -> &'static [&'static str] {
        &["force_detach_policies"]
    }

    fn refine(&self, addr: &str, prior: Option<&Value>, planned: &mut Value) -> Result<(), AwsError> {
        check_json(addr, "assume_role_policy", planned)?;
        keep_prior_json(prior, planned, "assume_role_policy");
        Ok(())
    }

    async fn create(&self, cx: &Cx<'_>, p: &Value) -> Result<Value, AwsError> {
        let name = get_str(p, "name").map(str::to_string).unwrap_or_else(|| crate::resources::stable_name(&cx.owner));
        cx.c.iam
            .create_role()
            .role_name(&name)
            .path(get_str(p, "path").unwrap_or("/"))
            .assume_role_policy_document(get_str(p, "assume_role_policy").unwrap_or_default())
            .set_description(get_str(p, "description").map(str::to_string))
            .set_max_session_duration(get_i32(p, "max_session_duration"))
            .set_permissions_boundary(get_str(p, "permissions_boundary").map(str::to_string))
            .set_tags(Some(iam_tags(&tags::desired(p, &cx.owner))))
            .send()
            .await
            .map_err(sdk(cx.addr))?;
        let mut v = p.clone();
        set(&mut v, "id", Value::from(name.as_str()));
        self.read(cx, &v).await?.ok_or_else(|| cx.invalid(format!("role {name} vanished after its create")))
    }

    async fn update(&self, cx: &Cx<'_>, prior: &Value, p: &Value) -> Result<Value, AwsError> {
        let name = get_str(prior, "id").unwrap_or_default();
        let (old_policy, new_policy) = (get_str(prior, "assume_role_policy").unwrap_or(""), get_str(p, "assume_role_policy").unwrap_or(""));
        if !json_equal(old_policy, new_policy) {
            cx.c.iam.update_assume_role_policy().role_name(name).policy_document(new_policy).send().await.map_err(sdk(cx.addr))?;
        }
        if prior.get("description") != p.get("description") || prior.get("max_session_duration") != p.get("max_session_duration") {
            cx.c.iam
                .update_role()
                .role_name(name)
                .description(get_str(p, "description").unwrap_or(""))
                .set_max_session_duration(get_i32(p, "max_session_duration"))
                .send()
                .await
                .map_err(sdk(cx.addr))?;
        }
        if prior.get("permissions_boundary") != p.get("permissions_boundary") {
            match get_str(p, "permissions_boundary") {
                Some(b) => cx.c.iam.put_role_permissions_boundary().role_name(name).permissions_boundary(b).send().await.map(|_| ()).map_err(sdk(cx.addr))?,
                None => cx.c.iam.delete_role_permissions_boundary().role_name(name).send().await.map(|_| ()).map_err(sdk(cx.addr))?,
            }
        }
        let (put, remove) = tags::diff(&tags::desired(prior, &cx.owner), &tags::desired(p, &cx.owner));
        if !remove.is_empty() {
            cx.c.iam.untag_role().role_name(name).set_tag_keys(Some(remove)).send().await.map_err(sdk(cx.addr))?;
        }
        if !put.is_empty() {
            cx.c.iam.tag_role().role_name(name).set_tags(Some(iam_tags(&put))).send().await.map_err(sdk(cx.addr))?;
        }
        self.read(cx, p).await?.ok_or_else(|| cx.invalid(format!("role {name} vanished during its update")))
    }

    async fn read(&self, cx: &Cx<'_>, current: &Value) -> Result<Option<Value>, AwsError> {
        let name = get_str(current, "id").or_else(|| get_str(current, "name")).unwrap_or_default();
        let Some(out) = absent(cx.c.iam.get_role().role_name(name).send().await.map_err(sdk(cx.addr)))? else { return Ok(None) };
        let Some(r) = out.role() else { return Ok(None) };
        let policy = decode_policy(r.assume_role_policy_document().unwrap_or(""));
        Ok(Some(Value::map([
            ("id", Value::from(r.role_name())),
            ("name", Value::from(r.role_name())),
            ("arn", Value::from(r.arn())),
            ("unique_id", Value::from(r.role_id())),
            ("create_date", Value::from(r.create_date().to_string())),
            ("path", Value::from(r.path())),
            ("assume_role_policy", Value::String(keep_equivalent_json(get_str(current, "assume_role_policy"), &policy))),
            ("description", opt(r.description().filter(|d| !d.is_empty()))),
            ("max_session_duration", num(r.max_session_duration())),
            ("permissions_boundary", opt(r.permissions_boundary().and_then(|b| b.permissions_boundary_arn()))),
            ("tags_all", tags_value(r.tags())),
        ])))
    }

    async fn delete(&self, cx: &Cx<'_>, prior: &Value) -> Result<(), AwsError> {
        let name = get_str(prior, "id").unwrap_or_default();
        if get_bool(prior, "force_detach_policies") == Some(true) {
            let attached = cx.c.iam.list_attached_role_policies().role_name(name).send().await.map_err(sdk(cx.addr))?;
            for p in attached.attached_policies() {
                if let Some(arn) = p.policy_arn() {
                    cx.c.iam.detach_role_policy().role_name(name).policy_arn(arn).send().await.map_err(sdk(cx.addr))?;
                }
            }
            let inline = cx.c.iam.list_role_policies().role_name(name).send().await.map_err(sdk(cx.addr))?;
            for p in inline.policy_names() {
                cx.c.iam.delete_role_policy().role_name(name).policy_name(p).send().await.map_err(sdk(cx.addr))?;
            }
        }
        cx.c.iam.delete_role().role_name(name).send().await.map_err(sdk(cx.addr))?;
        Ok(())
    }

    async fn recover(&self, cx: &Cx<'_>, planned: &Value) -> Result<Option<Value>, AwsError> {
        let name = get_str(planned, "name").map(str::to_string).unwrap_or_else(|| crate::resources::stable_name(&cx.owner));
        let Some(out) = absent(cx.c.iam.get_role().role_name(&name).send().await.map_err(sdk(cx.addr)))? else { return Ok(None) };
        if !out.role().is_some_and(|r| owned_by(r.tags(), &cx.owner)) {
            return Ok(None);
        }
        let mut v = planned.clone();
        set(&mut v, "id", Value::from(name.as_str()));
        self.read(cx, &v).await
    }
}

#[async_trait]
impl Resource for RolePolicyAttachment {
    fn schema(&self) -> ResourceSchema {
        ResourceSchema { version: 0, block: id().attr("role", Attribute::required(Str).force_new()).attr("policy_arn", Attribute::required(Str).force_new()) }
    }

    async fn create(&self, cx: &Cx<'_>, p: &Value) -> Result<Value, AwsError> {
        let (role, arn) = (get_str(p, "role").unwrap_or_default(), get_str(p, "policy_arn").unwrap_or_default());
        cx.c.iam.attach_role_policy().role_name(role).policy_arn(arn).send().await.map_err(sdk(cx.addr))?;
        Ok(Value::map([("id", Value::String(format!("{role}/{arn}"))), ("role", Value::from(role)), ("policy_arn", Value::from(arn))]))
    }

    async fn update(&self, cx: &Cx<'_>, _prior: &Value, _p: &Value) -> Result<Value, AwsError> {
        Err(cx.invalid("a policy attachment is replaced, never updated"))
    }

    async fn read(&self, cx: &Cx<'_>, current: &Value) -> Result<Option<Value>, AwsError> {
        let id = get_str(current, "id").unwrap_or_default();
        let (role, arn) = id.split_once('/').ok_or_else(|| cx.invalid(format!("{id:?} is not ROLE/POLICY_ARN")))?;
        let mut marker = None;
        loop {
            let Some(out) = absent(cx.c.iam.list_attached_role_policies().role_name(role).set_marker(marker.clone()).send().await.map_err(sdk(cx.addr)))?
            else {
                return Ok(None);
            };
            if out.attached_policies().iter().any(|p| p.policy_arn() == Some(arn)) {
                return Ok(Some(Value::map([("id", Value::from(id)), ("role", Value::from(role)), ("policy_arn", Value::from(arn))])));
            }
            match out.marker() {
                Some(m) if out.is_truncated() => marker = Some(m.to_string()),
                _ => return Ok(None),
            }
        }
    }

    async fn delete(&self, cx: &Cx<'_>, prior: &Value) -> Result<(), AwsError> {
        cx.c.iam
            .detach_role_policy()
            .role_name(get_str(prior, "role").unwrap_or_default())
            .policy_arn(get_str(prior, "policy_arn").unwrap_or_default())
            .send()
            .await
            .map_err(sdk(cx.addr))?;
        Ok(())
    }

    async fn recover(&self, cx: &Cx<'_>, planned: &Value) -> Result<Option<Value>, AwsError> {
        let id = format!("{}/{}", get_str(planned, "role").unwrap_or_default(), get_str(planned, "policy_arn").unwrap_or_default());
        self.read(cx, &Value::map([("id", Value::String(id))])).await
    }
}

fn strip_scheme(u: &str) -> &str {
    u.strip_prefix("https://").unwrap_or(u)
}

#[async_trait]
impl Resource for OpenIdConnectProvider {
    fn schema(&self) -> ResourceSchema {
        ResourceSchema {
            version: 0,
            block: tagged(id())
                .attr("arn", Attribute::computed(Str))
                .attr("url", Attribute::required(Str).force_new())
                .attr("client_id_list", Attribute::required(set_of(Str)))
                .attr("thumbprint_list", Attribute::optional_computed(list_of(Str))),
        }
    }

    fn refine(&self, addr: &str, _prior: Option<&Value>, planned: &mut Value) -> Result<(), AwsError> {
        match get_str(planned, "url") {
            Some(u) if !u.starts_with("https://") => Err(AwsError::invalid(addr, format!("url {u:?} must start with https://"))),
            _ => Ok(()),
        }
    }

    async fn create(&self, cx: &Cx<'_>, p: &Value) -> Result<Value, AwsError> {
        let thumbprints = get_strs(p, "thumbprint_list");
        let out =
            cx.c.iam
                .create_open_id_connect_provider()
                .url(get_str(p, "url").unwrap_or_default())
                .set_client_id_list(Some(get_strs(p, "client_id_list")))
                .set_thumbprint_list(if p.get("thumbprint_list").is_some_and(|t| t.is_wholly_known() && !t.is_null()) { Some(thumbprints) } else { None })
                .set_tags(Some(iam_tags(&tags::desired(p, &cx.owner))))
                .send()
                .await
                .map_err(sdk(cx.addr))?;
        let arn = out.open_id_connect_provider_arn().ok_or_else(|| cx.invalid("CreateOpenIDConnectProvider returned no ARN"))?;
        let mut v = p.clone();
        set(&mut v, "id", Value::from(arn));
        self.read(cx, &v).await?.ok_or_else(|| cx.invalid(format!("{arn} vanished after its create")))
    }

    async fn update(&self, cx: &Cx<'_>, prior: &Value, p: &Value) -> Result<Value, AwsError> {
        let arn = get_str(prior, "id").unwrap_or_default();
        let (old, new) = (get_strs(prior, "client_id_list"), get_strs(p, "client_id_list"));
        for c in new.iter().filter(|c| !old.contains(c)) {
            cx.c.iam.add_client_id_to_open_id_connect_provider().open_id_connect_provider_arn(arn).client_id(c).send().await.map_err(sdk(cx.addr))?;
        }
        for c in old.iter().filter(|c| !new.contains(c)) {
            cx.c.iam.remove_client_id_from_open_id_connect_provider().open_id_connect_provider_arn(arn).client_id(c).send().await.map_err(sdk(cx.addr))?;
        }
        if prior.get("thumbprint_list") != p.get("thumbprint_list") && p.get("thumbprint_list").is_some_and(Value::is_wholly_known) {
            cx.c.iam
                .update_open_id_connect_provider_thumbprint()
                .open_id_connect_provider_arn(arn)
                .set_thumbprint_list(Some(get_strs(p, "thumbprint_list")))
                .send()
                .await
                .map_err(sdk(cx.addr))?;
        }
        let (put, remove) = tags::diff(&tags::desired(prior, &cx.owner), &tags::desired(p, &cx.owner));
        if !remove.is_empty() {
            cx.c.iam.untag_open_id_connect_provider().open_id_connect_provider_arn(arn).set_tag_keys(Some(remove)).send().await.map_err(sdk(cx.addr))?;
        }
        if !put.is_empty() {
            cx.c.iam.tag_open_id_connect_provider().open_id_connect_provider_arn(arn).set_tags(Some(iam_tags(&put))).send().await.map_err(sdk(cx.addr))?;
        }
        self.read(cx, p).await?.ok_or_else(|| cx.invalid(format!("{arn} vanished during its update")))
    }

    async fn read(&self, cx: &Cx<'_>, current: &Value) -> Result<Option<Value>, AwsError> {
        let arn = get_str(current, "id").unwrap_or_default();
        let Some(out) = absent(cx.c.iam.get_open_id_connect_provider().open_id_connect_provider_arn(arn).send().await.map_err(sdk(cx.addr)))? else {
            return Ok(None);
        };
        let aws_url = out.url().unwrap_or_default();
        let url = match get_str(current, "url") {
            Some(u) if strip_scheme(u) == strip_scheme(aws_url) => u.to_string(),
            _ => format!("https://{}", strip_scheme(aws_url)),
        };
        Ok(Some(Value::map([
            ("id", Value::from(arn)),
            ("arn", Value::from(arn)),
            ("url", Value::String(url)),
            ("client_id_list", str_set(out.client_id_list().iter().cloned())),
            ("thumbprint_list", str_list(out.thumbprint_list().iter().cloned())),
            ("tags_all", tags_value(out.tags())),
        ])))
    }

    async fn delete(&self, cx: &Cx<'_>, prior: &Value) -> Result<(), AwsError> {
        cx.c.iam.delete_open_id_connect_provider().open_id_connect_provider_arn(get_str(prior, "id").unwrap_or_default()).send().await.map_err(sdk(cx.addr))?;
        Ok(())
    }

    async fn recover(&self, cx: &Cx<'_>, planned: &Value) -> Result<Option<Value>, AwsError> {
        let want = strip_scheme(get_str(planned, "url").unwrap_or_default()).to_string();
        let list = cx.c.iam.list_open_id_connect_providers().send().await.map_err(sdk(cx.addr))?;
        for e in list.open_id_connect_provider_list() {
            let Some(arn) = e.arn() else { continue };
            if let Some(out) = absent(cx.c.iam.get_open_id_connect_provider().open_id_connect_provider_arn(arn).send().await.map_err(sdk(cx.addr)))? {
                if out.url().map(strip_scheme) == Some(want.as_str()) && owned_by(out.tags(), &cx.owner) {
                    let mut v = planned.clone();
                    set(&mut v, "id", Value::from(arn));
                    return self.read(cx, &v).await;
                }
            }
        }
        Ok(None)
    }
}
