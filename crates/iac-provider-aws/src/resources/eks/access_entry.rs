//! `aws_eks_access_entry`: Kubernetes groups and user name update in place;
//! the cluster, principal and type force replacement.

use async_trait::async_trait;
use iac_core::schema::{Attribute, ResourceSchema};
use iac_core::Value;

use super::*;
use crate::error::absent;
use crate::resources::Resource;
use crate::schema_util::*;
use crate::values::*;

pub struct AccessEntry;

fn value(e: &aws_sdk_eks::types::AccessEntry) -> Value {
    let cluster = e.cluster_name().unwrap_or_default();
    let principal = e.principal_arn().unwrap_or_default();
    Value::map([
        ("id", Value::String(format!("{cluster}:{principal}"))),
        ("access_entry_arn", opt(e.access_entry_arn())),
        ("cluster_name", Value::from(cluster)),
        ("principal_arn", Value::from(principal)),
        ("kubernetes_groups", str_set(e.kubernetes_groups().iter().cloned())),
        ("type", opt(e.r#type())),
        ("user_name", opt(e.username())),
        ("created_at", date(e.created_at())),
        ("modified_at", date(e.modified_at())),
        ("tags_all", tags_value(e.tags())),
    ])
}

async fn describe(cx: &Cx<'_>, cluster: &str, principal: &str) -> Result<Option<aws_sdk_eks::types::AccessEntry>, AwsError> {
    Ok(absent(cx.c.eks.describe_access_entry().cluster_name(cluster).principal_arn(principal).send().await.map_err(sdk(cx.addr)))?
        .and_then(|o| o.access_entry().cloned()))
}

fn names(v: &Value) -> (String, String) {
    (get_str(v, "cluster_name").unwrap_or_default().to_string(), get_str(v, "principal_arn").unwrap_or_default().to_string())
}

#[async_trait]
impl Resource for AccessEntry {
    fn schema(&self) -> ResourceSchema {
        ResourceSchema {
            version: 0,
            block: tagged(id())
                .attr("access_entry_arn", Attribute::computed(Str))
                .attr("cluster_name", Attribute::required(Str).force_new())
                .attr("principal_arn", Attribute::required(Str).force_new())
                .attr("kubernetes_groups", Attribute::optional_computed(set_of(Str)))
                .attr("type", Attribute::optional_computed(Str).force_new())
                .attr("user_name", Attribute::optional_computed(Str))
                .attr("created_at", Attribute::computed(Str))
                .attr("modified_at", Attribute::computed(Str)),
        }
    }

    fn defaults(&self) -> Vec<(&'static str, Value)> {
        vec![("type", Value::from("STANDARD"))]
    }

    fn refine(&self, _addr: &str, prior: Option<&Value>, planned: &mut Value) -> Result<(), AwsError> {
        if prior.is_some_and(|p| p.get("kubernetes_groups") != planned.get("kubernetes_groups") || p.get("user_name") != planned.get("user_name")) {
            set(planned, "modified_at", Value::Unknown);
        }
        Ok(())
    }

    async fn create(&self, cx: &Cx<'_>, p: &Value) -> Result<Value, AwsError> {
        let (cluster, principal) = names(p);
        let out =
            cx.c.eks
                .create_access_entry()
                .cluster_name(&cluster)
                .principal_arn(&principal)
                .set_kubernetes_groups(p.get("kubernetes_groups").filter(|g| g.is_wholly_known() && !g.is_null()).map(|_| get_strs(p, "kubernetes_groups")))
                .set_username(get_str(p, "user_name").map(str::to_string))
                .set_type(get_str(p, "type").map(str::to_string))
                .set_tags(Some(eks_tags(p, &cx.owner)))
                .client_request_token(request_token(&cx.owner))
                .send()
                .await
                .map_err(sdk(cx.addr))?;
        out.access_entry().map(value).ok_or_else(|| cx.invalid("CreateAccessEntry returned no entry"))
    }

    async fn update(&self, cx: &Cx<'_>, prior: &Value, p: &Value) -> Result<Value, AwsError> {
        let (cluster, principal) = names(prior);
        if prior.get("kubernetes_groups") != p.get("kubernetes_groups") || prior.get("user_name") != p.get("user_name") {
            cx.c.eks
                .update_access_entry()
                .cluster_name(&cluster)
                .principal_arn(&principal)
                .set_kubernetes_groups(Some(get_strs(p, "kubernetes_groups")))
                .set_username(get_str(p, "user_name").map(str::to_string))
                .send()
                .await
                .map_err(sdk(cx.addr))?;
        }
        if let Some(arn) = get_str(prior, "access_entry_arn") {
            update_tags(cx, arn, prior, p).await?;
        }
        describe(cx, &cluster, &principal).await?.map(|e| value(&e)).ok_or_else(|| cx.invalid("the access entry vanished during its update"))
    }

    async fn read(&self, cx: &Cx<'_>, current: &Value) -> Result<Option<Value>, AwsError> {
        let id = get_str(current, "id").unwrap_or_default();
        let (cluster, principal) = split_id(cx, id)?;
        Ok(describe(cx, cluster, principal).await?.map(|e| value(&e)))
    }

    async fn delete(&self, cx: &Cx<'_>, prior: &Value) -> Result<(), AwsError> {
        let (cluster, principal) = names(prior);
        absent(cx.c.eks.delete_access_entry().cluster_name(&cluster).principal_arn(&principal).send().await.map_err(sdk(cx.addr)))?;
        Ok(())
    }

    async fn recover(&self, cx: &Cx<'_>, planned: &Value) -> Result<Option<Value>, AwsError> {
        let (cluster, principal) = names(planned);
        Ok(describe(cx, &cluster, &principal).await?.filter(|e| e.tags().is_some_and(|t| t.get(crate::tags::OWNER_TAG) == Some(&cx.owner))).map(|e| value(&e)))
    }
}
