//! `aws_eks_cluster`. A version change goes through UpdateClusterVersion one
//! minor version at a time (EKS refuses bigger steps and any downgrade);
//! endpoint access, public CIDRs and the authentication mode go through
//! UpdateClusterConfig; tags through TagResource. The name, role, subnets
//! and security groups force replacement. Creates carry a client request
//! token and wait for ACTIVE; a cluster that lands in FAILED is reported
//! with its health issues.

use async_trait::async_trait;
use aws_sdk_eks::types::{AuthenticationMode, ClusterStatus, CreateAccessConfigRequest, UpdateAccessConfigRequest, VpcConfigRequest};
use iac_core::schema::{Attribute, Block, ResourceSchema};
use iac_core::Value;

use super::*;
use crate::error::absent;
use crate::resources::Resource;
use crate::schema_util::*;
use crate::values::*;
use crate::wait;

pub struct Cluster;

/// `1.31` → (1, 31).
pub fn parse_version(v: &str) -> Option<(u32, u32)> {
    let mut it = v.split('.');
    Some((it.next()?.parse().ok()?, it.next()?.parse().ok()?))
}

/// The minor versions to pass through from `from` to `to` (excluding `from`).
pub fn upgrade_path(from: &str, to: &str) -> Option<Vec<String>> {
    let (a, b) = (parse_version(from)?, parse_version(to)?);
    if a.0 != b.0 || b.1 < a.1 {
        return None;
    }
    Some((a.1 + 1..=b.1).map(|m| format!("{}.{m}", a.0)).collect())
}

pub fn vpc_config_block() -> Block {
    Block::default()
        .attr("subnet_ids", Attribute::required(set_of(Str)).force_new())
        .attr("security_group_ids", Attribute::optional(set_of(Str)).force_new())
        .attr("endpoint_public_access", Attribute::optional_computed(Bool))
        .attr("endpoint_private_access", Attribute::optional_computed(Bool))
        .attr("public_access_cidrs", Attribute::optional_computed(set_of(Str)))
        .attr("cluster_security_group_id", Attribute::computed(Str))
        .attr("vpc_id", Attribute::computed(Str))
}

fn access_config_block() -> Block {
    Block::default()
        .attr("authentication_mode", Attribute::optional_computed(Str))
        .attr("bootstrap_cluster_creator_admin_permissions", Attribute::optional_computed(Bool).force_new())
}

pub fn cluster_value(c: &aws_sdk_eks::types::Cluster, current: &Value) -> Value {
    let vpc = c.resources_vpc_config();
    let sgs = vpc.map(|v| v.security_group_ids().to_vec()).unwrap_or_default();
    let vpc_config = Value::map([
        ("subnet_ids", str_set(vpc.map(|v| v.subnet_ids().to_vec()).unwrap_or_default())),
        // Null when none, as configured without any.
        (
            "security_group_ids",
            if sgs.is_empty() && block0(current, "vpc_config").and_then(|b| b.get("security_group_ids")).is_none_or(Value::is_null) {
                Value::Null
            } else {
                str_set(sgs)
            },
        ),
        ("endpoint_public_access", Value::Bool(vpc.map(|v| v.endpoint_public_access()).unwrap_or(true))),
        ("endpoint_private_access", Value::Bool(vpc.map(|v| v.endpoint_private_access()).unwrap_or(false))),
        ("public_access_cidrs", str_set(vpc.map(|v| v.public_access_cidrs().to_vec()).unwrap_or_default())),
        ("cluster_security_group_id", opt(vpc.and_then(|v| v.cluster_security_group_id()))),
        ("vpc_id", opt(vpc.and_then(|v| v.vpc_id()))),
    ]);
    let prior_bootstrap = block0(current, "access_config").and_then(|a| a.get("bootstrap_cluster_creator_admin_permissions")).cloned();
    let access = c.access_config().map(|a| {
        Value::map([
            ("authentication_mode", opt(a.authentication_mode().map(|m| m.as_str()))),
            (
                "bootstrap_cluster_creator_admin_permissions",
                a.bootstrap_cluster_creator_admin_permissions().map(Value::Bool).or(prior_bootstrap.clone()).unwrap_or(Value::Bool(true)),
            ),
        ])
    });
    Value::map([
        ("id", opt(c.name())),
        ("name", opt(c.name())),
        ("arn", opt(c.arn())),
        ("role_arn", opt(c.role_arn())),
        ("version", opt(c.version())),
        ("platform_version", opt(c.platform_version())),
        ("status", opt(c.status().map(|s| s.as_str()))),
        ("endpoint", opt(c.endpoint())),
        ("created_at", date(c.created_at())),
        ("certificate_authority", Value::List(vec![Value::map([("data", opt(c.certificate_authority().and_then(|a| a.data())))])])),
        (
            "identity",
            Value::List(vec![Value::map([(
                "oidc",
                Value::List(vec![Value::map([("issuer", opt(c.identity().and_then(|i| i.oidc()).and_then(|o| o.issuer())))])]),
            )])]),
        ),
        ("vpc_config", Value::List(vec![vpc_config])),
        ("access_config", Value::List(access.into_iter().collect())),
        ("tags_all", tags_value(c.tags())),
    ])
}

fn health(c: &aws_sdk_eks::types::Cluster) -> String {
    let issues: Vec<String> = c
        .health()
        .map(|h| {
            h.issues()
                .iter()
                .map(|i| format!("{}: {} ({})", i.code().map(|c| c.as_str()).unwrap_or("?"), i.message().unwrap_or(""), i.resource_ids().join(", ")))
                .collect()
        })
        .unwrap_or_default();
    if issues.is_empty() {
        "no health issues reported".into()
    } else {
        issues.join("; ")
    }
}

pub async fn describe(cx: &Cx<'_>, name: &str) -> Result<Option<aws_sdk_eks::types::Cluster>, AwsError> {
    Ok(absent(cx.c.eks.describe_cluster().name(name).send().await.map_err(sdk(cx.addr)))?.and_then(|o| o.cluster().cloned()))
}

/// Waits until the cluster is ACTIVE; FAILED is an error naming its health issues.
pub async fn wait_active(cx: &Cx<'_>, name: &str, limit: std::time::Duration) -> Result<aws_sdk_eks::types::Cluster, AwsError> {
    wait::until(cx.addr, &format!("cluster {name} to become ACTIVE"), cx.poll(), limit, || async {
        let c = describe(cx, name).await?.ok_or_else(|| cx.invalid(format!("cluster {name} vanished while being waited for")))?;
        match c.status() {
            Some(ClusterStatus::Active) => Ok(Some(c)),
            Some(ClusterStatus::Failed) => Err(AwsError::Failed { addr: cx.addr.to_string(), message: format!("cluster {name} is FAILED: {}", health(&c)) }),
            _ => Ok(None),
        }
    })
    .await
}

fn timeout_of(v: &Value, op: &str) -> std::time::Duration {
    wait::timeout(
        v,
        op,
        match op {
            "create" => CLUSTER_CREATE,
            "update" => CLUSTER_UPDATE,
            _ => CLUSTER_DELETE,
        },
    )
}

#[async_trait]
impl Resource for Cluster {
    fn schema(&self) -> ResourceSchema {
        ResourceSchema {
            version: 0,
            block: timeouts(
                tagged(id())
                    .attr("name", Attribute::required(Str).force_new())
                    .attr("role_arn", Attribute::required(Str).force_new())
                    .attr("version", Attribute::optional_computed(Str).describe("upgraded one minor version at a time; never downgraded"))
                    .attr("bootstrap_self_managed_addons", Attribute::optional_computed(Bool).force_new())
                    .attr("arn", Attribute::computed(Str))
                    .attr("endpoint", Attribute::computed(Str))
                    .attr("platform_version", Attribute::computed(Str))
                    .attr("status", Attribute::computed(Str))
                    .attr("created_at", Attribute::computed(Str))
                    .attr("certificate_authority", Attribute::computed(list_of(obj(&[("data", Str)]))))
                    .attr("identity", Attribute::computed(list_of(obj(&[("oidc", list_of(obj(&[("issuer", Str)])))]))))
                    .block("vpc_config", one_required(vpc_config_block()))
                    .block("access_config", one(access_config_block())),
                &["create", "update", "delete"],
            ),
        }
    }

    fn defaults(&self) -> Vec<(&'static str, Value)> {
        vec![("bootstrap_self_managed_addons", Value::Bool(true))]
    }

    fn local_attrs(&self) -> &'static [&'static str] {
        &["bootstrap_self_managed_addons"]
    }

    fn refine(&self, addr: &str, prior: Option<&Value>, planned: &mut Value) -> Result<(), AwsError> {
        // access_config is optional and computed: left out, it is what EKS chose.
        if planned.get("access_config").and_then(Value::as_list).is_some_and(|l| l.is_empty()) {
            set(planned, "access_config", prior.and_then(|p| p.get("access_config")).cloned().unwrap_or(Value::Unknown));
        }
        if let (Some(have), Some(want)) = (prior.and_then(|p| get_str(p, "version")), get_str(planned, "version")) {
            if have != want {
                if upgrade_path(have, want).is_none() {
                    return Err(AwsError::invalid(
                        addr,
                        format!("version {want} cannot follow {have}: EKS upgrades one minor version at a time and never downgrades"),
                    ));
                }
                // Upgrading changes the platform version and passes through UPDATING.
                set(planned, "platform_version", Value::Unknown);
            }
        }
        Ok(())
    }

    async fn create(&self, cx: &Cx<'_>, p: &Value) -> Result<Value, AwsError> {
        let name = get_str(p, "name").unwrap_or_default();
        let vpc = block0(p, "vpc_config").cloned().unwrap_or(Value::Null);
        let vpc_req = VpcConfigRequest::builder()
            .set_subnet_ids(Some(get_strs(&vpc, "subnet_ids")))
            .set_security_group_ids(Some(get_strs(&vpc, "security_group_ids")))
            .set_endpoint_public_access(get_bool(&vpc, "endpoint_public_access"))
            .set_endpoint_private_access(get_bool(&vpc, "endpoint_private_access"))
            .set_public_access_cidrs(
                vpc.get("public_access_cidrs").filter(|v| v.is_wholly_known() && !v.is_null()).map(|_| get_strs(&vpc, "public_access_cidrs")),
            )
            .build();
        let access = block0(p, "access_config").filter(|a| a.is_wholly_known()).map(|a| {
            CreateAccessConfigRequest::builder()
                .set_authentication_mode(get_str(a, "authentication_mode").map(AuthenticationMode::from))
                .set_bootstrap_cluster_creator_admin_permissions(get_bool(a, "bootstrap_cluster_creator_admin_permissions"))
                .build()
        });
        cx.c.eks
            .create_cluster()
            .name(name)
            .role_arn(get_str(p, "role_arn").unwrap_or_default())
            .set_version(get_str(p, "version").map(str::to_string))
            .resources_vpc_config(vpc_req)
            .set_access_config(access)
            .set_bootstrap_self_managed_addons(get_bool(p, "bootstrap_self_managed_addons"))
            .set_tags(Some(eks_tags(p, &cx.owner)))
            .client_request_token(request_token(&cx.owner))
            .send()
            .await
            .map_err(sdk(cx.addr))?;
        let c = wait_active(cx, name, timeout_of(p, "create")).await?;
        Ok(cluster_value(&c, p))
    }

    async fn update(&self, cx: &Cx<'_>, prior: &Value, p: &Value) -> Result<Value, AwsError> {
        let name = get_str(prior, "name").unwrap_or_default();
        let limit = timeout_of(p, "update");
        if let (Some(have), Some(want)) = (get_str(prior, "version"), get_str(p, "version")) {
            let path = upgrade_path(have, want).ok_or_else(|| cx.invalid(format!("version {want} cannot follow {have}")))?;
            for step in path {
                tracing::info!(addr = cx.addr, from = have, to = %step, "upgrading the cluster");
                let out = cx.c.eks.update_cluster_version().name(name).version(&step).send().await.map_err(sdk(cx.addr))?;
                if let Some(id) = out.update().and_then(|u| u.id()) {
                    wait_update(cx, name, None, None, id, limit).await?;
                }
                wait_active(cx, name, limit).await?;
            }
        }
        let (old_vpc, new_vpc) = (block0(prior, "vpc_config").cloned().unwrap_or(Value::Null), block0(p, "vpc_config").cloned().unwrap_or(Value::Null));
        let access_changed = |k: &str| get_bool(&old_vpc, k) != get_bool(&new_vpc, k) && get_bool(&new_vpc, k).is_some();
        let cidrs_changed = old_vpc.get("public_access_cidrs") != new_vpc.get("public_access_cidrs")
            && new_vpc.get("public_access_cidrs").is_some_and(|v| v.is_wholly_known() && !v.is_null());
        if access_changed("endpoint_public_access") || access_changed("endpoint_private_access") || cidrs_changed {
            let req = VpcConfigRequest::builder()
                .set_endpoint_public_access(get_bool(&new_vpc, "endpoint_public_access"))
                .set_endpoint_private_access(get_bool(&new_vpc, "endpoint_private_access"))
                .set_public_access_cidrs(if cidrs_changed { Some(get_strs(&new_vpc, "public_access_cidrs")) } else { None })
                .build();
            let out = cx.c.eks.update_cluster_config().name(name).resources_vpc_config(req).send().await.map_err(sdk(cx.addr))?;
            if let Some(id) = out.update().and_then(|u| u.id()) {
                wait_update(cx, name, None, None, id, limit).await?;
            }
            wait_active(cx, name, limit).await?;
        }
        let mode = |v: &Value| block0(v, "access_config").and_then(|a| get_str(a, "authentication_mode")).map(str::to_string);
        if let Some(m) = mode(p).filter(|m| Some(m) != mode(prior).as_ref()) {
            let out =
                cx.c.eks
                    .update_cluster_config()
                    .name(name)
                    .access_config(UpdateAccessConfigRequest::builder().authentication_mode(AuthenticationMode::from(m.as_str())).build())
                    .send()
                    .await
                    .map_err(sdk(cx.addr))?;
            if let Some(id) = out.update().and_then(|u| u.id()) {
                wait_update(cx, name, None, None, id, limit).await?;
            }
            wait_active(cx, name, limit).await?;
        }
        if let Some(arn) = get_str(prior, "arn") {
            update_tags(cx, arn, prior, p).await?;
        }
        let c = describe(cx, name).await?.ok_or_else(|| cx.invalid(format!("cluster {name} vanished during its update")))?;
        Ok(cluster_value(&c, p))
    }

    async fn read(&self, cx: &Cx<'_>, current: &Value) -> Result<Option<Value>, AwsError> {
        let name = get_str(current, "id").or_else(|| get_str(current, "name")).unwrap_or_default();
        Ok(describe(cx, name).await?.filter(|c| c.status() != Some(&ClusterStatus::Deleting)).map(|c| cluster_value(&c, current)))
    }

    async fn delete(&self, cx: &Cx<'_>, prior: &Value) -> Result<(), AwsError> {
        let name = get_str(prior, "name").unwrap_or_default();
        if absent(cx.c.eks.delete_cluster().name(name).send().await.map_err(sdk(cx.addr)))?.is_none() {
            return Ok(());
        }
        wait::until(cx.addr, &format!("cluster {name} to be deleted"), cx.poll(), timeout_of(prior, "delete"), || async {
            match describe(cx, name).await? {
                None => Ok(Some(())),
                Some(c) if c.status() == Some(&ClusterStatus::Failed) => {
                    Err(AwsError::Failed { addr: cx.addr.to_string(), message: format!("cluster {name} is FAILED while deleting: {}", health(&c)) })
                }
                Some(_) => Ok(None),
            }
        })
        .await
    }

    async fn recover(&self, cx: &Cx<'_>, planned: &Value) -> Result<Option<Value>, AwsError> {
        let name = get_str(planned, "name").unwrap_or_default();
        let Some(c) = describe(cx, name).await? else { return Ok(None) };
        if c.tags().is_none_or(|t| t.get(crate::tags::OWNER_TAG) != Some(&cx.owner)) {
            return Ok(None);
        }
        let c = wait_active(cx, name, timeout_of(planned, "create")).await?;
        Ok(Some(cluster_value(&c, planned)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upgrades_go_one_minor_version_at_a_time() {
        assert_eq!(upgrade_path("1.29", "1.31"), Some(vec!["1.30".to_string(), "1.31".to_string()]));
        assert_eq!(upgrade_path("1.30", "1.30"), Some(vec![]));
        assert_eq!(upgrade_path("1.31", "1.30"), None, "no downgrades");
        assert_eq!(upgrade_path("1.31", "2.0"), None);
        assert_eq!(upgrade_path("latest", "1.30"), None);
    }
}
