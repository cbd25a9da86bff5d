//! `aws_eks_cluster`. A version change goes through UpdateClusterVersion one
//! minor version at a time (EKS refuses bigger steps and any downgrade);
//! subnets and security groups, endpoint access, public CIDRs, the
//! authentication mode, control-plane log types and load balancing (of
//! auto mode) go through UpdateClusterConfig; envelope encryption is added
//! in place (AssociateEncryptionConfig) but never removed (that replaces
//! the cluster); tags go through TagResource. The name, role, the service
//! CIDR and the IP family force replacement. Creates carry a client
//! request token and wait for ACTIVE; a cluster that lands in FAILED is
//! reported with its health issues.

use aws_sdk_eks::types::{
    AuthenticationMode, ClusterStatus, CreateAccessConfigRequest, ElasticLoadBalancing, EncryptionConfig as AwsEncryptionConfig, IpFamily,
    KubernetesNetworkConfigRequest, LogSetup, LogType, Logging, Provider, UpdateAccessConfigRequest, VpcConfigRequest,
};
use iac_provider_sdk::prelude::*;
use iac_provider_sdk::AttrPath;

use super::*;
use crate::error::absent;
use crate::resources::{timeout, Timeouts};
use crate::values::{get_str, set};
use crate::{wait, Aws};

#[derive(Model, Debug, Clone, Default)]
pub struct ClusterModel {
    #[sdk(computed)]
    pub(super) id: Option<String>,
    #[sdk(required, force_new)]
    pub(super) name: String,
    #[sdk(required, force_new)]
    pub(super) role_arn: String,
    /// upgraded one minor version at a time; never downgraded
    #[sdk(optional, computed)]
    pub(super) version: Option<String>,
    #[sdk(optional, computed, force_new, local, default = true)]
    bootstrap_self_managed_addons: Option<bool>,
    #[sdk(computed)]
    pub(super) arn: Option<String>,
    /// the id of a local cluster on an Outpost ("" elsewhere)
    #[sdk(computed)]
    pub(super) cluster_id: Option<String>,
    /// control-plane log types sent to CloudWatch Logs (api, audit, authenticator, controllerManager, scheduler)
    #[sdk(optional, set)]
    pub(super) enabled_cluster_log_types: Option<Vec<String>>,
    /// force version updates past pod disruption budgets (node groups; kept for configurations)
    #[sdk(optional, local)]
    force_update_version: Option<bool>,
    #[sdk(computed)]
    pub(super) endpoint: Option<String>,
    #[sdk(computed)]
    pub(super) platform_version: Option<String>,
    #[sdk(computed)]
    pub(super) status: Option<String>,
    #[sdk(computed)]
    pub(super) created_at: Option<String>,
    #[sdk(computed)]
    pub(super) certificate_authority: Vec<CertificateAuthority>,
    #[sdk(computed)]
    pub(super) identity: Vec<Identity>,
    #[sdk(block, min_items = 1, max_items = 1)]
    pub(super) vpc_config: Vec<VpcConfig>,
    #[sdk(block, max_items = 1)]
    pub(super) access_config: Vec<AccessConfig>,
    /// envelope encryption of Kubernetes secrets with a KMS key
    #[sdk(block, max_items = 1)]
    pub(super) encryption_config: Vec<EncryptionConfig>,
    /// the service CIDR and IP family; left out, what EKS chose
    #[sdk(block, max_items = 1)]
    pub(super) kubernetes_network_config: Vec<NetworkConfig>,
    #[sdk(flatten)]
    pub(super) tags: Tags,
    #[sdk(block, local, max_items = 1)]
    timeouts: Option<Timeouts>,
}

#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct CertificateAuthority {
    #[sdk(computed)]
    data: Option<String>,
}

#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct Identity {
    #[sdk(computed)]
    oidc: Vec<Oidc>,
}

#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct Oidc {
    #[sdk(computed)]
    issuer: Option<String>,
}

#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct EncryptionConfig {
    /// what is encrypted: ["secrets"]
    #[sdk(required, set)]
    resources: Vec<String>,
    #[sdk(block, min_items = 1, max_items = 1)]
    provider: Vec<KeyProvider>,
}

#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct KeyProvider {
    #[sdk(required)]
    key_arn: String,
}

#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct NetworkConfig {
    /// ipv4 or ipv6
    #[sdk(optional, computed, force_new)]
    ip_family: Option<String>,
    #[sdk(optional, computed, force_new)]
    service_ipv4_cidr: Option<String>,
    #[sdk(computed)]
    service_ipv6_cidr: Option<String>,
    #[sdk(block, max_items = 1)]
    elastic_load_balancing: Vec<LoadBalancing>,
}

#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct LoadBalancing {
    #[sdk(optional)]
    enabled: Option<bool>,
}

#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct VpcConfig {
    #[sdk(required, set)]
    subnet_ids: Vec<String>,
    #[sdk(optional, set)]
    security_group_ids: Option<Vec<String>>,
    #[sdk(optional, computed)]
    endpoint_public_access: Option<bool>,
    #[sdk(optional, computed)]
    endpoint_private_access: Option<bool>,
    #[sdk(optional, computed, set)]
    public_access_cidrs: Option<Vec<String>>,
    #[sdk(computed)]
    cluster_security_group_id: Option<String>,
    #[sdk(computed)]
    vpc_id: Option<String>,
}

#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct AccessConfig {
    #[sdk(optional, computed)]
    authentication_mode: Option<String>,
    #[sdk(optional, computed, force_new)]
    bootstrap_cluster_creator_admin_permissions: Option<bool>,
}

pub struct Cluster;

/// Logging that enables `on` (and disables `off`, those not in `on`).
fn logging(on: &[String], off: &[String]) -> Logging {
    let types = |v: Vec<&String>| v.into_iter().map(|t| LogType::from(t.as_str())).collect::<Vec<_>>();
    let mut setups = vec![LogSetup::builder().set_types(Some(types(on.iter().collect()))).enabled(true).build()];
    let disabled: Vec<&String> = off.iter().filter(|t| !on.contains(t)).collect();
    if !disabled.is_empty() {
        setups.push(LogSetup::builder().set_types(Some(types(disabled))).enabled(false).build());
    }
    Logging::builder().set_cluster_logging(Some(setups)).build()
}

impl ClusterModel {
    /// `resources` is deprecated in EKS's model (all API data is encrypted);
    /// upstream's schema still has it.
    #[allow(deprecated)]
    fn encryption_configs(&self) -> Vec<AwsEncryptionConfig> {
        self.encryption_config
            .iter()
            .map(|e| {
                AwsEncryptionConfig::builder()
                    .set_resources(Some(e.resources.clone()))
                    .set_provider(e.provider.first().map(|p| Provider::builder().key_arn(&p.key_arn).build()))
                    .build()
            })
            .collect()
    }
}

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

impl ClusterModel {
    /// The cluster as EKS describes it; `current` is what it was (for what
    /// EKS leaves out: security groups configured as none, the bootstrap
    /// permission).
    #[allow(deprecated)]
    pub fn from_aws(c: &aws_sdk_eks::types::Cluster, current: &ClusterModel) -> ClusterModel {
        let s = |x: Option<&str>| x.map(str::to_string);
        let vpc = c.resources_vpc_config();
        let sgs = vpc.map(|v| v.security_group_ids().to_vec()).unwrap_or_default();
        let configured_sgs = current.vpc_config.first().is_some_and(|v| v.security_group_ids.is_some());
        let vpc_config = VpcConfig {
            subnet_ids: vpc.map(|v| v.subnet_ids().to_vec()).unwrap_or_default(),
            // None when there are none, as configured without any.
            security_group_ids: if sgs.is_empty() && !configured_sgs { None } else { Some(sgs) },
            endpoint_public_access: Some(vpc.map(|v| v.endpoint_public_access()).unwrap_or(true)),
            endpoint_private_access: Some(vpc.map(|v| v.endpoint_private_access()).unwrap_or(false)),
            public_access_cidrs: Some(vpc.map(|v| v.public_access_cidrs().to_vec()).unwrap_or_default()),
            cluster_security_group_id: s(vpc.and_then(|v| v.cluster_security_group_id())),
            vpc_id: s(vpc.and_then(|v| v.vpc_id())),
        };
        let prior_bootstrap = current.access_config.first().and_then(|a| a.bootstrap_cluster_creator_admin_permissions);
        let access = c.access_config().map(|a| AccessConfig {
            authentication_mode: a.authentication_mode().map(|m| m.as_str().to_string()),
            bootstrap_cluster_creator_admin_permissions: Some(a.bootstrap_cluster_creator_admin_permissions().or(prior_bootstrap).unwrap_or(true)),
        });
        let logs: Vec<String> = c
            .logging()
            .map(|l| l.cluster_logging().iter().filter(|s| s.enabled() == Some(true)).flat_map(|s| s.types().iter().map(|t| t.as_str().to_string())).collect())
            .unwrap_or_default();
        let network = c.kubernetes_network_config().map(|n| NetworkConfig {
            ip_family: n.ip_family().map(|f| f.as_str().to_string()),
            service_ipv4_cidr: n.service_ipv4_cidr().map(str::to_string),
            service_ipv6_cidr: Some(n.service_ipv6_cidr().unwrap_or_default().to_string()),
            elastic_load_balancing: n.elastic_load_balancing().map(|e| LoadBalancing { enabled: e.enabled() }).into_iter().collect(),
        });
        ClusterModel {
            id: s(c.name()),
            name: c.name().unwrap_or_default().to_string(),
            role_arn: c.role_arn().unwrap_or_default().to_string(),
            version: s(c.version()),
            bootstrap_self_managed_addons: current.bootstrap_self_managed_addons,
            arn: s(c.arn()),
            cluster_id: Some(c.id().unwrap_or_default().to_string()),
            // Configured as none, none: not an empty set.
            enabled_cluster_log_types: if logs.is_empty() && current.enabled_cluster_log_types.is_none() { None } else { Some(logs) },
            force_update_version: current.force_update_version,
            encryption_config: c
                .encryption_config()
                .iter()
                .map(|e| EncryptionConfig {
                    resources: e.resources().to_vec(),
                    provider: e.provider().map(|p| KeyProvider { key_arn: p.key_arn().unwrap_or_default().to_string() }).into_iter().collect(),
                })
                .collect(),
            kubernetes_network_config: network.into_iter().collect(),
            endpoint: s(c.endpoint()),
            platform_version: s(c.platform_version()),
            status: c.status().map(|st| st.as_str().to_string()),
            created_at: date(c.created_at()),
            certificate_authority: vec![CertificateAuthority { data: s(c.certificate_authority().and_then(|a| a.data())) }],
            identity: vec![Identity { oidc: vec![Oidc { issuer: s(c.identity().and_then(|i| i.oidc()).and_then(|o| o.issuer())) }] }],
            vpc_config: vec![vpc_config],
            access_config: access.into_iter().collect(),
            tags: tags_of(c.tags()),
            timeouts: current.timeouts.clone(),
        }
    }
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
    Ok(absent(cx.c().eks.describe_cluster().name(name).send().await.map_err(sdk(cx.addr)))?.and_then(|o| o.cluster().cloned()))
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

fn timeout_of(t: &Option<Timeouts>, op: &str) -> std::time::Duration {
    timeout(
        t,
        op,
        match op {
            "create" => CLUSTER_CREATE,
            "update" => CLUSTER_UPDATE,
            _ => CLUSTER_DELETE,
        },
    )
}

/// Follows a cluster update, then waits until the cluster is ACTIVE again.
async fn settle(cx: &Cx<'_>, name: &str, update: Option<&aws_sdk_eks::types::Update>, limit: std::time::Duration) -> Result<(), AwsError> {
    if let Some(id) = update.and_then(|u| u.id()) {
        wait_update(cx, name, None, None, id, limit).await?;
    }
    wait_active(cx, name, limit).await.map(|_| ())
}

#[async_trait]
impl Resource<Aws> for Cluster {
    type Model = ClusterModel;
    const TYPE: &'static str = "aws_eks_cluster";

    async fn modify_plan(&self, cx: &Cx<'_>, prior: Option<&Value>, planned: &mut Value, replace: &mut Vec<AttrPath>) -> Result<(), AwsError> {
        // access_config is optional and computed: left out, it is what EKS chose.
        for block in ["access_config", "kubernetes_network_config"] {
            if planned.get(block).and_then(Value::as_list).is_some_and(|l| l.is_empty()) {
                set(planned, block, prior.and_then(|p| p.get(block)).cloned().unwrap_or(Value::Unknown));
            }
        }
        // Envelope encryption is added in place but never removed or changed.
        let had = prior.and_then(|p| p.get("encryption_config")).and_then(Value::as_list).is_some_and(|l| !l.is_empty());
        if had && prior.and_then(|p| p.get("encryption_config")) != planned.get("encryption_config") {
            replace.push(AttrPath::attr("encryption_config"));
        }
        if let (Some(have), Some(want)) = (prior.and_then(|p| get_str(p, "version")), get_str(planned, "version")) {
            if have != want {
                if upgrade_path(have, want).is_none() {
                    return Err(cx.invalid(format!("version {want} cannot follow {have}: EKS upgrades one minor version at a time and never downgrades")));
                }
                // Upgrading changes the platform version and passes through UPDATING.
                set(planned, "platform_version", Value::Unknown);
            }
        }
        Ok(())
    }

    async fn create(&self, cx: &Cx<'_>, p: ClusterModel) -> Result<ClusterModel, AwsError> {
        let vpc = p.vpc_config.first().cloned().unwrap_or_default();
        let vpc_req = VpcConfigRequest::builder()
            .set_subnet_ids(Some(vpc.subnet_ids))
            .set_security_group_ids(Some(vpc.security_group_ids.unwrap_or_default()))
            .set_endpoint_public_access(vpc.endpoint_public_access)
            .set_endpoint_private_access(vpc.endpoint_private_access)
            .set_public_access_cidrs(vpc.public_access_cidrs)
            .build();
        // Each value the configuration sets is sent; one left to EKS (unknown
        // in the plan, so None here) is left out of the request alone.
        let access = p.access_config.first().filter(|a| a.authentication_mode.is_some() || a.bootstrap_cluster_creator_admin_permissions.is_some()).map(|a| {
            CreateAccessConfigRequest::builder()
                .set_authentication_mode(a.authentication_mode.as_deref().map(AuthenticationMode::from))
                .set_bootstrap_cluster_creator_admin_permissions(a.bootstrap_cluster_creator_admin_permissions)
                .build()
        });
        let network = p.kubernetes_network_config.first().map(|n| {
            KubernetesNetworkConfigRequest::builder()
                .set_service_ipv4_cidr(n.service_ipv4_cidr.clone())
                .set_ip_family(n.ip_family.as_deref().map(IpFamily::from))
                .set_elastic_load_balancing(n.elastic_load_balancing.first().map(|e| ElasticLoadBalancing::builder().set_enabled(e.enabled).build()))
                .build()
        });
        cx.c()
            .eks
            .create_cluster()
            .name(&p.name)
            .role_arn(&p.role_arn)
            .set_version(p.version.clone())
            .resources_vpc_config(vpc_req)
            .set_access_config(access)
            .set_kubernetes_network_config(network)
            .set_encryption_config(Some(p.encryption_configs()).filter(|e| !e.is_empty()))
            .set_logging(p.enabled_cluster_log_types.as_ref().filter(|t| !t.is_empty()).map(|t| logging(t, &[])))
            .set_bootstrap_self_managed_addons(p.bootstrap_self_managed_addons)
            .set_tags(Some(eks_tags(cx, &p.tags)))
            .client_request_token(request_token(&cx.owner()))
            .send()
            .await
            .map_err(sdk(cx.addr))?;
        let c = wait_active(cx, &p.name, timeout_of(&p.timeouts, "create")).await?;
        Ok(ClusterModel::from_aws(&c, &p))
    }

    async fn update(&self, cx: &Cx<'_>, prior: ClusterModel, p: ClusterModel) -> Result<ClusterModel, AwsError> {
        let name = prior.name.as_str();
        let eks = &cx.c().eks;
        let limit = timeout_of(&p.timeouts, "update");
        if let (Some(have), Some(want)) = (&prior.version, &p.version) {
            let path = upgrade_path(have, want).ok_or_else(|| cx.invalid(format!("version {want} cannot follow {have}")))?;
            for step in path {
                tracing::info!(addr = cx.addr, from = have, to = %step, "upgrading the cluster");
                let out = eks.update_cluster_version().name(name).version(&step).send().await.map_err(sdk(cx.addr))?;
                settle(cx, name, out.update(), limit).await?;
            }
        }
        let (old_vpc, new_vpc) = (prior.vpc_config.first().cloned().unwrap_or_default(), p.vpc_config.first().cloned().unwrap_or_default());
        let access_changed = |old: Option<bool>, new: Option<bool>| old != new && new.is_some();
        let cidrs_changed = new_vpc.public_access_cidrs.is_some() && old_vpc.public_access_cidrs != new_vpc.public_access_cidrs;
        if access_changed(old_vpc.endpoint_public_access, new_vpc.endpoint_public_access)
            || access_changed(old_vpc.endpoint_private_access, new_vpc.endpoint_private_access)
            || cidrs_changed
        {
            let req = VpcConfigRequest::builder()
                .set_endpoint_public_access(new_vpc.endpoint_public_access)
                .set_endpoint_private_access(new_vpc.endpoint_private_access)
                .set_public_access_cidrs(if cidrs_changed { new_vpc.public_access_cidrs.clone() } else { None })
                .build();
            let out = eks.update_cluster_config().name(name).resources_vpc_config(req).send().await.map_err(sdk(cx.addr))?;
            settle(cx, name, out.update(), limit).await?;
        }
        if old_vpc.subnet_ids != new_vpc.subnet_ids || old_vpc.security_group_ids != new_vpc.security_group_ids {
            let req = VpcConfigRequest::builder()
                .set_subnet_ids(Some(new_vpc.subnet_ids.clone()))
                .set_security_group_ids(Some(new_vpc.security_group_ids.clone().unwrap_or_default()))
                .build();
            let out = eks.update_cluster_config().name(name).resources_vpc_config(req).send().await.map_err(sdk(cx.addr))?;
            settle(cx, name, out.update(), limit).await?;
        }
        let (old_logs, new_logs) = (prior.enabled_cluster_log_types.clone().unwrap_or_default(), p.enabled_cluster_log_types.clone().unwrap_or_default());
        if old_logs != new_logs {
            let out = eks.update_cluster_config().name(name).logging(logging(&new_logs, &old_logs)).send().await.map_err(sdk(cx.addr))?;
            settle(cx, name, out.update(), limit).await?;
        }
        if prior.encryption_config.is_empty() && !p.encryption_config.is_empty() {
            let out =
                eks.associate_encryption_config().cluster_name(name).set_encryption_config(Some(p.encryption_configs())).send().await.map_err(sdk(cx.addr))?;
            settle(cx, name, out.update(), limit).await?;
        }
        let elb = |m: &ClusterModel| m.kubernetes_network_config.first().and_then(|n| n.elastic_load_balancing.first().and_then(|e| e.enabled));
        if let Some(enabled) = elb(&p).filter(|e| Some(*e) != elb(&prior)) {
            let network = KubernetesNetworkConfigRequest::builder().elastic_load_balancing(ElasticLoadBalancing::builder().enabled(enabled).build()).build();
            let out = eks.update_cluster_config().name(name).kubernetes_network_config(network).send().await.map_err(sdk(cx.addr))?;
            settle(cx, name, out.update(), limit).await?;
        }
        let mode = |m: &ClusterModel| m.access_config.first().and_then(|a| a.authentication_mode.clone());
        if let Some(m) = mode(&p).filter(|m| Some(m) != mode(&prior).as_ref()) {
            let access = UpdateAccessConfigRequest::builder().authentication_mode(AuthenticationMode::from(m.as_str())).build();
            let out = eks.update_cluster_config().name(name).access_config(access).send().await.map_err(sdk(cx.addr))?;
            settle(cx, name, out.update(), limit).await?;
        }
        if let Some(arn) = &prior.arn {
            update_tags(cx, arn, &prior.tags, &p.tags).await?;
        }
        let c = describe(cx, name).await?.ok_or_else(|| cx.invalid(format!("cluster {name} vanished during its update")))?;
        Ok(ClusterModel::from_aws(&c, &p))
    }

    async fn read(&self, cx: &Cx<'_>, current: ClusterModel) -> Result<Option<ClusterModel>, AwsError> {
        let name = current.id.as_deref().unwrap_or(current.name.as_str());
        Ok(describe(cx, name).await?.filter(|c| c.status() != Some(&ClusterStatus::Deleting)).map(|c| ClusterModel::from_aws(&c, &current)))
    }

    async fn delete(&self, cx: &Cx<'_>, prior: ClusterModel) -> Result<(), AwsError> {
        let name = prior.name.as_str();
        if absent(cx.c().eks.delete_cluster().name(name).send().await.map_err(sdk(cx.addr)))?.is_none() {
            return Ok(());
        }
        wait::until(cx.addr, &format!("cluster {name} to be deleted"), cx.poll(), timeout_of(&prior.timeouts, "delete"), || async {
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

    async fn recover(&self, cx: &Cx<'_>, planned: ClusterModel) -> Result<Option<ClusterModel>, AwsError> {
        let Some(c) = describe(cx, &planned.name).await? else { return Ok(None) };
        if !owned(cx, c.tags()) {
            return Ok(None);
        }
        let c = wait_active(cx, &planned.name, timeout_of(&planned.timeouts, "create")).await?;
        Ok(Some(ClusterModel::from_aws(&c, &planned)))
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
