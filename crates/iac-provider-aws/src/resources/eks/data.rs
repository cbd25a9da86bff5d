//! Data sources `aws_eks_cluster` (the cluster's endpoint, CA and OIDC
//! issuer) and `aws_eks_cluster_auth` (a token for the Kubernetes API, made
//! fresh on every read, sensitive).

use async_trait::async_trait;
use iac_core::schema::{Attribute, Block, ResourceSchema};
use iac_core::Value;

use super::cluster::{cluster_value, describe};
use crate::error::AwsError;
use crate::resources::data::DataSource;
use crate::resources::Cx;
use crate::schema_util::*;
use crate::values::*;

pub struct ClusterData;
pub struct ClusterAuth;

pub fn data_source(type_: &str) -> Option<&'static dyn DataSource> {
    Some(match type_ {
        "aws_eks_cluster" => &ClusterData,
        "aws_eks_cluster_auth" => &ClusterAuth,
        _ => return None,
    })
}

#[async_trait]
impl DataSource for ClusterData {
    fn schema(&self) -> ResourceSchema {
        let vpc = obj(&[
            ("subnet_ids", set_of(Str)),
            ("security_group_ids", set_of(Str)),
            ("endpoint_public_access", Bool),
            ("endpoint_private_access", Bool),
            ("public_access_cidrs", set_of(Str)),
            ("cluster_security_group_id", Str),
            ("vpc_id", Str),
        ]);
        let mut b = Block::default().attr("name", Attribute::required(Str));
        for k in ["id", "arn", "role_arn", "version", "platform_version", "status", "endpoint", "created_at"] {
            b = b.attr(k, Attribute::computed(Str));
        }
        ResourceSchema {
            version: 0,
            block: b
                .attr("certificate_authority", Attribute::computed(list_of(obj(&[("data", Str)]))))
                .attr("identity", Attribute::computed(list_of(obj(&[("oidc", list_of(obj(&[("issuer", Str)])))]))))
                .attr("vpc_config", Attribute::computed(list_of(vpc)))
                .attr(
                    "access_config",
                    Attribute::computed(list_of(obj(&[("authentication_mode", Str), ("bootstrap_cluster_creator_admin_permissions", Bool)]))),
                )
                .attr("tags", Attribute::computed(map_of(Str))),
        }
    }

    async fn read(&self, cx: &Cx<'_>, config: &Value) -> Result<Value, AwsError> {
        let name = get_str(config, "name").unwrap_or_default();
        let c = describe(cx, name).await?.ok_or_else(|| cx.invalid(format!("no EKS cluster named {name:?}")))?;
        let mut v = cluster_value(&c, &Value::Null);
        let tags: std::collections::BTreeMap<String, String> = get_str_map(&v, "tags_all").into_iter().filter(|(k, _)| k != crate::tags::OWNER_TAG).collect();
        if let Value::Map(m) = &mut v {
            m.remove("tags_all");
            m.insert("tags".into(), str_map(&tags));
        }
        Ok(v)
    }
}

#[async_trait]
impl DataSource for ClusterAuth {
    fn schema(&self) -> ResourceSchema {
        ResourceSchema {
            version: 0,
            block: Block::default()
                .attr("id", Attribute::computed(Str))
                .attr("name", Attribute::required(Str))
                .attr("token", Attribute::computed(Str).ephemeral().describe("valid for 15 minutes; made fresh on every run and never stored")),
        }
    }

    async fn read(&self, cx: &Cx<'_>, config: &Value) -> Result<Value, AwsError> {
        let name = get_str(config, "name").unwrap_or_default();
        let creds = cx.c.credentials(cx.addr).await?;
        let token = crate::eks_token::token(&cx.c.sts_url(), &cx.c.region, name, creds, std::time::SystemTime::now())
            .map_err(|e| cx.invalid(format!("could not sign the token: {e}")))?;
        Ok(Value::map([("id", Value::from(name)), ("name", Value::from(name)), ("token", Value::String(token).into_sensitive())]))
    }
}
