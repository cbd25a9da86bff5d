//! IAM: `aws_iam_role` (the trust policy compared as JSON, not as text),
//! `aws_iam_role_policy_attachment` and `aws_iam_openid_connect_provider`
//! (for EKS IRSA). IAM names are global; recovery looks a role up by its
//! name and adopts it only when it carries this instance's ownership tag.

use std::collections::BTreeMap;

use aws_sdk_iam::types::Tag;
use iac_provider_sdk::prelude::*;
use iac_provider_sdk::AttrPath;

use super::naming::{name_from, prefix_of};
use super::{name_or_stable, AwsCx, Cx, Tags};
use crate::error::{absent, sdk, AwsError};
use crate::tags::OWNER_TAG;
use crate::values::{get_str, json_equal, keep_equivalent_json, set};
use crate::Aws;

pub(crate) fn iam_tags(m: &BTreeMap<String, String>) -> Vec<Tag> {
    m.iter().filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok()).collect()
}

pub(crate) fn tags_of(t: &[Tag]) -> Tags {
    Tags::from_aws(t.iter().map(|t| (t.key().to_string(), t.value().to_string())).collect())
}

pub(crate) fn owned_by(t: &[Tag], owner: &str) -> bool {
    t.iter().any(|t| t.key() == OWNER_TAG && t.value() == owner)
}

/// A policy document that is not JSON is refused before any change. (A
/// new text that means what the prior one did is no change: the `json`
/// attributes' rule, with IAM's idea of "the same", [`crate::Aws`]'s `json_equal`.)
pub(crate) fn check_policy(cx: &Cx<'_>, planned: &Value, key: &str) -> Result<(), AwsError> {
    match get_str(planned, key) {
        Some(text) if serde_json::from_str::<serde_json::Value>(text).is_err() => Err(cx.invalid(format!("{key} is not valid JSON"))),
        _ => Ok(()),
    }
}

/// The configured document when the API's copy means the same, else the API's copy.
pub(crate) fn configured_or(current: &str, from_aws: &str) -> String {
    keep_equivalent_json(Some(current).filter(|c| !c.is_empty()), from_aws)
}

pub(crate) fn decode_policy(s: &str) -> String {
    percent_encoding::percent_decode_str(s).decode_utf8().map(|c| c.into_owned()).unwrap_or_else(|_| s.to_string())
}

#[derive(Model, Debug, Clone, Default)]
pub struct RoleModel {
    #[sdk(computed)]
    id: Option<String>,
    #[sdk(computed)]
    arn: Option<String>,
    #[sdk(computed)]
    unique_id: Option<String>,
    #[sdk(computed)]
    create_date: Option<String>,
    #[sdk(optional, computed, force_new)]
    name: Option<String>,
    /// a name made of this prefix and a unique suffix
    #[sdk(optional, computed, force_new)]
    name_prefix: Option<String>,
    #[sdk(optional, computed, force_new, default = "/")]
    path: Option<String>,
    /// compared as JSON
    #[sdk(required, json)]
    assume_role_policy: String,
    /// the role's inline policies, exactly (blocks or a list); left out, as they are
    #[sdk(optional, computed, set)]
    inline_policy: Option<Vec<InlinePolicy>>,
    /// the managed policies attached to the role, exactly; left out, as they are
    #[sdk(optional, computed, set)]
    managed_policy_arns: Option<Vec<String>>,
    #[sdk(optional)]
    description: Option<String>,
    #[sdk(optional, computed, default = 3600.0)]
    max_session_duration: Option<i32>,
    #[sdk(optional)]
    permissions_boundary: Option<String>,
    #[sdk(optional, computed, local, default = false)]
    force_detach_policies: Option<bool>,
    #[sdk(flatten)]
    tags: Tags,
}

/// One inline policy of a role.
#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct InlinePolicy {
    #[sdk(optional)]
    name: String,
    /// compared as JSON
    #[sdk(optional)]
    policy: String,
}

pub struct Role;

/// The role's inline policies (documents as `known` wrote them when they mean the same).
async fn inline_policies(cx: &Cx<'_>, role: &str, known: &[InlinePolicy]) -> Result<Vec<InlinePolicy>, AwsError> {
    let iam = &cx.c().iam;
    let mut out = Vec::new();
    let mut marker = None;
    loop {
        let page = iam.list_role_policies().role_name(role).set_marker(marker.take()).send().await.map_err(sdk(cx.addr))?;
        for name in page.policy_names() {
            let doc = iam.get_role_policy().role_name(role).policy_name(name).send().await.map_err(sdk(cx.addr))?;
            let text = decode_policy(doc.policy_document());
            let configured = known.iter().find(|k| k.name == *name).map(|k| k.policy.as_str()).unwrap_or_default();
            out.push(InlinePolicy { name: name.clone(), policy: configured_or(configured, &text) });
        }
        match page.marker() {
            Some(m) if page.is_truncated() => marker = Some(m.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

async fn attached_policies(cx: &Cx<'_>, role: &str) -> Result<Vec<String>, AwsError> {
    let mut out = Vec::new();
    let mut marker = None;
    loop {
        let page = cx.c().iam.list_attached_role_policies().role_name(role).set_marker(marker.take()).send().await.map_err(sdk(cx.addr))?;
        out.extend(page.attached_policies().iter().filter_map(|p| p.policy_arn()).map(str::to_string));
        match page.marker() {
            Some(m) if page.is_truncated() => marker = Some(m.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

/// Makes the role's inline policies exactly `want` (an empty block, as
/// upstream, means none).
async fn sync_inline(cx: &Cx<'_>, role: &str, have: &[InlinePolicy], want: &[InlinePolicy]) -> Result<(), AwsError> {
    let want: Vec<&InlinePolicy> = want.iter().filter(|p| !p.name.is_empty()).collect();
    for p in have.iter().filter(|h| !want.iter().any(|w| w.name == h.name)) {
        absent(cx.c().iam.delete_role_policy().role_name(role).policy_name(&p.name).send().await.map_err(sdk(cx.addr)))?;
    }
    for p in want {
        if !have.iter().any(|h| h.name == p.name && json_equal(&h.policy, &p.policy)) {
            cx.c().iam.put_role_policy().role_name(role).policy_name(&p.name).policy_document(&p.policy).send().await.map_err(sdk(cx.addr))?;
        }
    }
    Ok(())
}

/// Makes the role's attached managed policies exactly `want`.
async fn sync_managed(cx: &Cx<'_>, role: &str, have: &[String], want: &[String]) -> Result<(), AwsError> {
    for arn in have.iter().filter(|a| !want.contains(a)) {
        absent(cx.c().iam.detach_role_policy().role_name(role).policy_arn(arn).send().await.map_err(sdk(cx.addr)))?;
    }
    for arn in want.iter().filter(|a| !have.contains(a)) {
        cx.c().iam.attach_role_policy().role_name(role).policy_arn(arn).send().await.map_err(sdk(cx.addr))?;
    }
    Ok(())
}

#[async_trait]
impl Resource<Aws> for Role {
    type Model = RoleModel;
    const TYPE: &'static str = "aws_iam_role";

    fn canonical_config(&self, config: &mut Value) {
        let Value::Map(m) = config else { return };
        if let Some(Value::List(items)) = m.get_mut("inline_policy") {
            for p in items.iter_mut() {
                if let Value::Map(p) = p {
                    for k in ["name", "policy"] {
                        if p.get(k).is_none_or(Value::is_null) {
                            p.insert(k.to_string(), Value::from(""));
                        }
                    }
                }
            }
            *items = iac_provider_sdk::schema::set_normalize(std::mem::take(items)).into();
        }
    }

    async fn modify_plan(&self, cx: &Cx<'_>, prior: Option<&Value>, planned: &mut Value, _replace: &mut Vec<AttrPath>) -> Result<(), AwsError> {
        check_policy(cx, planned, "assume_role_policy")?;
        // An inline policy that means what the prior one meant keeps its text.
        if let (Some(Value::List(old)), Value::Map(m)) = (prior.and_then(|p| p.get("inline_policy")), &mut *planned) {
            if let Some(Value::List(new)) = m.get_mut("inline_policy") {
                for n in new.iter_mut() {
                    let (Some(name), Some(text)) = (n.get("name").and_then(Value::as_str), n.get("policy").and_then(Value::as_str)) else { continue };
                    if let Some(o) = old.iter().find(|o| o.get("name").and_then(Value::as_str) == Some(name)) {
                        if let Some(ot) = o.get("policy").and_then(Value::as_str).filter(|ot| *ot != text && json_equal(ot, text)) {
                            let ot = ot.to_string();
                            crate::values::set(n, "policy", Value::from(ot));
                        }
                    }
                }
                *new = iac_provider_sdk::schema::set_normalize(std::mem::take(new)).into();
            }
        }
        Ok(())
    }

    /// An import reads the role's inline and attached policies too.
    fn import_stub(&self, id: &str) -> Value {
        Value::map([("id", Value::from(id)), ("inline_policy", Value::List(Vec::new().into())), ("managed_policy_arns", Value::List(Vec::new().into()))])
    }

    async fn create(&self, cx: &Cx<'_>, p: RoleModel) -> Result<RoleModel, AwsError> {
        let name = name_from(cx, &p.name, &p.name_prefix);
        cx.c()
            .iam
            .create_role()
            .role_name(&name)
            .path(p.path.as_deref().unwrap_or("/"))
            .assume_role_policy_document(&p.assume_role_policy)
            .set_description(p.description.clone())
            .set_max_session_duration(p.max_session_duration)
            .set_permissions_boundary(p.permissions_boundary.clone())
            .set_tags(Some(iam_tags(&p.tags.desired(&cx.owner()))))
            .send()
            .await
            .map_err(sdk(cx.addr))?;
        if let Some(want) = &p.inline_policy {
            sync_inline(cx, &name, &[], want).await?;
        }
        if let Some(want) = &p.managed_policy_arns {
            sync_managed(cx, &name, &[], want).await?;
        }
        self.read(cx, RoleModel { id: Some(name.clone()), ..p }).await?.ok_or_else(|| cx.invalid(format!("role {name} vanished after its create")))
    }

    async fn update(&self, cx: &Cx<'_>, prior: RoleModel, p: RoleModel) -> Result<RoleModel, AwsError> {
        let name = prior.id.as_deref().unwrap_or_default();
        let iam = &cx.c().iam;
        if !json_equal(&prior.assume_role_policy, &p.assume_role_policy) {
            iam.update_assume_role_policy().role_name(name).policy_document(&p.assume_role_policy).send().await.map_err(sdk(cx.addr))?;
        }
        if prior.description != p.description || prior.max_session_duration != p.max_session_duration {
            iam.update_role()
                .role_name(name)
                .description(p.description.as_deref().unwrap_or(""))
                .set_max_session_duration(p.max_session_duration)
                .send()
                .await
                .map_err(sdk(cx.addr))?;
        }
        if prior.permissions_boundary != p.permissions_boundary {
            match &p.permissions_boundary {
                Some(b) => iam.put_role_permissions_boundary().role_name(name).permissions_boundary(b).send().await.map(|_| ()).map_err(sdk(cx.addr))?,
                None => iam.delete_role_permissions_boundary().role_name(name).send().await.map(|_| ()).map_err(sdk(cx.addr))?,
            }
        }
        if let Some(want) = p.inline_policy.as_ref().filter(|w| Some(*w) != prior.inline_policy.as_ref()) {
            let have = inline_policies(cx, name, prior.inline_policy.as_deref().unwrap_or_default()).await?;
            sync_inline(cx, name, &have, want).await?;
        }
        if let Some(want) = p.managed_policy_arns.as_ref().filter(|w| Some(*w) != prior.managed_policy_arns.as_ref()) {
            let have = attached_policies(cx, name).await?;
            sync_managed(cx, name, &have, want).await?;
        }
        let (put, remove) = p.tags.diff(&prior.tags, &cx.owner());
        if !remove.is_empty() {
            iam.untag_role().role_name(name).set_tag_keys(Some(remove)).send().await.map_err(sdk(cx.addr))?;
        }
        if !put.is_empty() {
            iam.tag_role().role_name(name).set_tags(Some(iam_tags(&put))).send().await.map_err(sdk(cx.addr))?;
        }
        self.read(cx, p).await?.ok_or_else(|| cx.invalid(format!("role {name} vanished during its update")))
    }

    async fn read(&self, cx: &Cx<'_>, current: RoleModel) -> Result<Option<RoleModel>, AwsError> {
        let name = current.id.as_deref().or(current.name.as_deref()).unwrap_or_default();
        let Some(out) = absent(cx.c().iam.get_role().role_name(name).send().await.map_err(sdk(cx.addr)))? else { return Ok(None) };
        let Some(r) = out.role() else { return Ok(None) };
        let policy = decode_policy(r.assume_role_policy_document().unwrap_or(""));
        // Reported only where the configuration manages them (a list, even
        // empty, in state): left out, they are other resources' business
        // (attachments, aws_iam_role_policy), and their changes are no drift.
        let inline = match &current.inline_policy {
            Some(known) => Some(inline_policies(cx, r.role_name(), known).await?),
            None => None,
        };
        let managed = match &current.managed_policy_arns {
            Some(_) => Some(attached_policies(cx, r.role_name()).await?),
            None => None,
        };
        Ok(Some(RoleModel {
            id: Some(r.role_name().to_string()),
            name: Some(r.role_name().to_string()),
            name_prefix: Some(prefix_of(r.role_name())),
            inline_policy: inline,
            managed_policy_arns: managed,
            arn: Some(r.arn().to_string()),
            unique_id: Some(r.role_id().to_string()),
            create_date: Some(crate::values::rfc3339(r.create_date())),
            path: Some(r.path().to_string()),
            assume_role_policy: configured_or(&current.assume_role_policy, &policy),
            description: r.description().filter(|d| !d.is_empty()).map(str::to_string),
            max_session_duration: r.max_session_duration(),
            permissions_boundary: r.permissions_boundary().and_then(|b| b.permissions_boundary_arn()).map(str::to_string),
            force_detach_policies: current.force_detach_policies,
            tags: tags_of(r.tags()),
        }))
    }

    async fn delete(&self, cx: &Cx<'_>, prior: RoleModel) -> Result<(), AwsError> {
        let name = prior.id.as_deref().unwrap_or_default();
        let iam = &cx.c().iam;
        // The policies this role manages go with it, as upstream's do.
        for p in prior.inline_policy.iter().flatten().filter(|p| !p.name.is_empty()) {
            absent(iam.delete_role_policy().role_name(name).policy_name(&p.name).send().await.map_err(sdk(cx.addr)))?;
        }
        for arn in prior.managed_policy_arns.iter().flatten() {
            absent(iam.detach_role_policy().role_name(name).policy_arn(arn).send().await.map_err(sdk(cx.addr)))?;
        }
        if prior.force_detach_policies == Some(true) {
            let attached = iam.list_attached_role_policies().role_name(name).send().await.map_err(sdk(cx.addr))?;
            for p in attached.attached_policies() {
                if let Some(arn) = p.policy_arn() {
                    iam.detach_role_policy().role_name(name).policy_arn(arn).send().await.map_err(sdk(cx.addr))?;
                }
            }
            let inline = iam.list_role_policies().role_name(name).send().await.map_err(sdk(cx.addr))?;
            for p in inline.policy_names() {
                iam.delete_role_policy().role_name(name).policy_name(p).send().await.map_err(sdk(cx.addr))?;
            }
        }
        iam.delete_role().role_name(name).send().await.map_err(sdk(cx.addr))?;
        Ok(())
    }

    async fn recover(&self, cx: &Cx<'_>, planned: RoleModel) -> Result<Option<RoleModel>, AwsError> {
        if planned.name.is_none() && planned.name_prefix.is_some() {
            // A prefixed name is new on every try: nothing to find by name.
            return Ok(None);
        }
        let name = name_or_stable(cx, &planned.name);
        let Some(out) = absent(cx.c().iam.get_role().role_name(&name).send().await.map_err(sdk(cx.addr)))? else { return Ok(None) };
        if !out.role().is_some_and(|r| owned_by(r.tags(), &cx.owner())) {
            return Ok(None);
        }
        self.read(cx, RoleModel { id: Some(name), ..planned }).await
    }
}

#[derive(Model, Debug, Clone, Default)]
pub struct RolePolicyAttachmentModel {
    #[sdk(computed)]
    id: Option<String>,
    #[sdk(required, force_new)]
    role: String,
    #[sdk(required, force_new)]
    policy_arn: String,
}

pub struct RolePolicyAttachment;

#[async_trait]
impl Resource<Aws> for RolePolicyAttachment {
    type Model = RolePolicyAttachmentModel;
    const TYPE: &'static str = "aws_iam_role_policy_attachment";

    async fn create(&self, cx: &Cx<'_>, p: RolePolicyAttachmentModel) -> Result<RolePolicyAttachmentModel, AwsError> {
        cx.c().iam.attach_role_policy().role_name(&p.role).policy_arn(&p.policy_arn).send().await.map_err(sdk(cx.addr))?;
        Ok(RolePolicyAttachmentModel { id: Some(format!("{}/{}", p.role, p.policy_arn)), ..p })
    }

    async fn update(&self, cx: &Cx<'_>, _prior: RolePolicyAttachmentModel, _p: RolePolicyAttachmentModel) -> Result<RolePolicyAttachmentModel, AwsError> {
        Err(cx.invalid("a policy attachment is replaced, never updated"))
    }

    async fn read(&self, cx: &Cx<'_>, current: RolePolicyAttachmentModel) -> Result<Option<RolePolicyAttachmentModel>, AwsError> {
        let id = current.id.as_deref().unwrap_or_default();
        // The role and policy in state (upstream's state keeps its own id,
        // a generated unique name, which is kept as it is); an import has
        // only its ROLE/POLICY_ARN id.
        let (role, arn) = if !current.role.is_empty() && !current.policy_arn.is_empty() {
            (current.role.as_str(), current.policy_arn.as_str())
        } else {
            id.split_once('/').ok_or_else(|| cx.invalid(format!("{id:?} is not ROLE/POLICY_ARN")))?
        };
        let mut marker = None;
        loop {
            let req = cx.c().iam.list_attached_role_policies().role_name(role).set_marker(marker.clone());
            let Some(out) = absent(req.send().await.map_err(sdk(cx.addr)))? else { return Ok(None) };
            if out.attached_policies().iter().any(|p| p.policy_arn() == Some(arn)) {
                return Ok(Some(RolePolicyAttachmentModel { id: Some(id.to_string()), role: role.to_string(), policy_arn: arn.to_string() }));
            }
            match out.marker() {
                Some(m) if out.is_truncated() => marker = Some(m.to_string()),
                _ => return Ok(None),
            }
        }
    }

    async fn delete(&self, cx: &Cx<'_>, prior: RolePolicyAttachmentModel) -> Result<(), AwsError> {
        cx.c().iam.detach_role_policy().role_name(&prior.role).policy_arn(&prior.policy_arn).send().await.map_err(sdk(cx.addr))?;
        Ok(())
    }

    async fn recover(&self, cx: &Cx<'_>, planned: RolePolicyAttachmentModel) -> Result<Option<RolePolicyAttachmentModel>, AwsError> {
        let id = format!("{}/{}", planned.role, planned.policy_arn);
        self.read(cx, RolePolicyAttachmentModel { id: Some(id), ..RolePolicyAttachmentModel::default() }).await
    }
}

#[derive(Model, Debug, Clone, Default)]
pub struct OpenIdConnectProviderModel {
    #[sdk(computed)]
    id: Option<String>,
    #[sdk(computed)]
    arn: Option<String>,
    /// Stored as IAM reports it, without `https://` (upstream's state);
    /// configured with it.
    #[sdk(required, force_new)]
    url: String,
    #[sdk(required, set)]
    client_id_list: Vec<String>,
    #[sdk(optional, computed)]
    thumbprint_list: Option<Vec<String>>,
    #[sdk(flatten)]
    tags: Tags,
}

pub struct OpenIdConnectProvider;

fn strip_scheme(u: &str) -> &str {
    u.strip_prefix("https://").unwrap_or(u)
}

#[async_trait]
impl Resource<Aws> for OpenIdConnectProvider {
    type Model = OpenIdConnectProviderModel;
    const TYPE: &'static str = "aws_iam_openid_connect_provider";

    /// Upstream's check: the issuer is an https URL.
    fn validate(&self, config: &Value) -> Vec<(AttrPath, String)> {
        match get_str(config, "url") {
            Some(u) if !u.starts_with("https://") => vec![(AttrPath::attr("url"), format!("url {u:?} must start with https://"))],
            _ => Vec::new(),
        }
    }

    /// The URL as IAM reports it and upstream stores it: without its
    /// scheme (upstream's diff suppression calls the two equal), so state
    /// moves between upstream and iac without a replacement.
    fn canonical_config(&self, config: &mut Value) {
        if let Some(u) = get_str(config, "url").filter(|u| u.starts_with("https://")) {
            let bare = strip_scheme(u).to_string();
            set(config, "url", Value::from(bare));
        }
    }

    async fn create(&self, cx: &Cx<'_>, p: OpenIdConnectProviderModel) -> Result<OpenIdConnectProviderModel, AwsError> {
        let out = cx
            .c()
            .iam
            .create_open_id_connect_provider()
            .url(format!("https://{}", strip_scheme(&p.url)))
            .set_client_id_list(Some(p.client_id_list.clone()))
            .set_thumbprint_list(p.thumbprint_list.clone())
            .set_tags(Some(iam_tags(&p.tags.desired(&cx.owner()))))
            .send()
            .await
            .map_err(sdk(cx.addr))?;
        let arn = out.open_id_connect_provider_arn().ok_or_else(|| cx.invalid("CreateOpenIDConnectProvider returned no ARN"))?;
        self.read(cx, OpenIdConnectProviderModel { id: Some(arn.to_string()), ..p })
            .await?
            .ok_or_else(|| cx.invalid(format!("{arn} vanished after its create")))
    }

    async fn update(&self, cx: &Cx<'_>, prior: OpenIdConnectProviderModel, p: OpenIdConnectProviderModel) -> Result<OpenIdConnectProviderModel, AwsError> {
        let arn = prior.id.as_deref().unwrap_or_default();
        let iam = &cx.c().iam;
        let (old, new) = (&prior.client_id_list, &p.client_id_list);
        for c in new.iter().filter(|c| !old.contains(c)) {
            iam.add_client_id_to_open_id_connect_provider().open_id_connect_provider_arn(arn).client_id(c).send().await.map_err(sdk(cx.addr))?;
        }
        for c in old.iter().filter(|c| !new.contains(c)) {
            iam.remove_client_id_from_open_id_connect_provider().open_id_connect_provider_arn(arn).client_id(c).send().await.map_err(sdk(cx.addr))?;
        }
        if let Some(thumbprints) = p.thumbprint_list.as_ref().filter(|t| prior.thumbprint_list.as_ref() != Some(*t)) {
            iam.update_open_id_connect_provider_thumbprint()
                .open_id_connect_provider_arn(arn)
                .set_thumbprint_list(Some(thumbprints.clone()))
                .send()
                .await
                .map_err(sdk(cx.addr))?;
        }
        let (put, remove) = p.tags.diff(&prior.tags, &cx.owner());
        if !remove.is_empty() {
            iam.untag_open_id_connect_provider().open_id_connect_provider_arn(arn).set_tag_keys(Some(remove)).send().await.map_err(sdk(cx.addr))?;
        }
        if !put.is_empty() {
            iam.tag_open_id_connect_provider().open_id_connect_provider_arn(arn).set_tags(Some(iam_tags(&put))).send().await.map_err(sdk(cx.addr))?;
        }
        self.read(cx, p).await?.ok_or_else(|| cx.invalid(format!("{arn} vanished during its update")))
    }

    async fn read(&self, cx: &Cx<'_>, current: OpenIdConnectProviderModel) -> Result<Option<OpenIdConnectProviderModel>, AwsError> {
        let arn = current.id.as_deref().unwrap_or_default();
        let Some(out) = absent(cx.c().iam.get_open_id_connect_provider().open_id_connect_provider_arn(arn).send().await.map_err(sdk(cx.addr)))? else {
            return Ok(None);
        };
        Ok(Some(OpenIdConnectProviderModel {
            id: Some(arn.to_string()),
            arn: Some(arn.to_string()),
            url: strip_scheme(out.url().unwrap_or_default()).to_string(),
            client_id_list: out.client_id_list().to_vec(),
            thumbprint_list: Some(out.thumbprint_list().to_vec()),
            tags: tags_of(out.tags()),
        }))
    }

    async fn delete(&self, cx: &Cx<'_>, prior: OpenIdConnectProviderModel) -> Result<(), AwsError> {
        let arn = prior.id.as_deref().unwrap_or_default();
        cx.c().iam.delete_open_id_connect_provider().open_id_connect_provider_arn(arn).send().await.map_err(sdk(cx.addr))?;
        Ok(())
    }

    async fn recover(&self, cx: &Cx<'_>, planned: OpenIdConnectProviderModel) -> Result<Option<OpenIdConnectProviderModel>, AwsError> {
        let want = strip_scheme(&planned.url).to_string();
        let list = cx.c().iam.list_open_id_connect_providers().send().await.map_err(sdk(cx.addr))?;
        for e in list.open_id_connect_provider_list() {
            let Some(arn) = e.arn() else { continue };
            if let Some(out) = absent(cx.c().iam.get_open_id_connect_provider().open_id_connect_provider_arn(arn).send().await.map_err(sdk(cx.addr)))? {
                if out.url().map(strip_scheme) == Some(want.as_str()) && owned_by(out.tags(), &cx.owner()) {
                    return self.read(cx, OpenIdConnectProviderModel { id: Some(arn.to_string()), ..planned }).await;
                }
            }
        }
        Ok(None)
    }
}
