//! `aws_eks_access_policy_association`: an EKS access policy
//! (AmazonEKSClusterAdminPolicy, ...) granted to an access entry's
//! principal, cluster-wide or in namespaces. Every argument forces
//! replacement. The id is upstream's `CLUSTER#PRINCIPAL#POLICY`.

use aws_sdk_eks::types::{AccessScope as AwsScope, AccessScopeType};
use iac_provider_sdk::prelude::*;

use super::*;
use crate::error::absent;
use crate::resources::Timeouts;
use crate::Aws;

#[derive(Model, Debug, Clone, Default, PartialEq)]
pub struct AccessScope {
    /// cluster or namespace
    #[sdk(required, name = "type")]
    kind: String,
    #[sdk(optional, set)]
    namespaces: Option<Vec<String>>,
}

#[derive(Model, Debug, Clone, Default)]
pub struct AccessPolicyModel {
    #[sdk(computed)]
    id: Option<String>,
    #[sdk(required, force_new)]
    cluster_name: String,
    #[sdk(required, force_new)]
    principal_arn: String,
    #[sdk(required, force_new)]
    policy_arn: String,
    #[sdk(computed)]
    associated_at: Option<String>,
    #[sdk(computed)]
    modified_at: Option<String>,
    #[sdk(block, min_items = 1, max_items = 1, force_new)]
    access_scope: Vec<AccessScope>,
    #[sdk(block, local, max_items = 1)]
    timeouts: Option<Timeouts>,
}

pub struct AccessPolicy;

const SEP: char = '#';

#[async_trait]
impl Resource<Aws> for AccessPolicy {
    type Model = AccessPolicyModel;
    const TYPE: &'static str = "aws_eks_access_policy_association";

    fn import_stub(&self, id: &str) -> Value {
        let parts: Vec<&str> = id.splitn(3, SEP).collect();
        let part = |i: usize| Value::from(parts.get(i).copied().unwrap_or_default());
        Value::map([("id", Value::from(id)), ("cluster_name", part(0)), ("principal_arn", part(1)), ("policy_arn", part(2))])
    }

    async fn create(&self, cx: &Cx<'_>, p: AccessPolicyModel) -> Result<AccessPolicyModel, AwsError> {
        let scope = p.access_scope.first().cloned().unwrap_or_default();
        let scope = AwsScope::builder().r#type(AccessScopeType::from(scope.kind.as_str())).set_namespaces(scope.namespaces.clone()).build();
        cx.c()
            .eks
            .associate_access_policy()
            .cluster_name(&p.cluster_name)
            .principal_arn(&p.principal_arn)
            .policy_arn(&p.policy_arn)
            .access_scope(scope)
            .send()
            .await
            .map_err(sdk(cx.addr))?;
        self.read(cx, p).await?.ok_or_else(|| cx.invalid("the access policy association vanished after its create"))
    }

    async fn read(&self, cx: &Cx<'_>, current: AccessPolicyModel) -> Result<Option<AccessPolicyModel>, AwsError> {
        let mut token = None;
        loop {
            let req = cx.c().eks.list_associated_access_policies().cluster_name(&current.cluster_name).principal_arn(&current.principal_arn);
            let Some(out) = absent(req.set_next_token(token.take()).send().await.map_err(sdk(cx.addr)))? else { return Ok(None) };
            if let Some(a) = out.associated_access_policies().iter().find(|a| a.policy_arn() == Some(current.policy_arn.as_str())) {
                let scope = a.access_scope().map(|s| AccessScope {
                    kind: s.r#type().map(|t| t.as_str().to_string()).unwrap_or_default(),
                    namespaces: Some(s.namespaces().to_vec()).filter(|n| !n.is_empty()),
                });
                return Ok(Some(AccessPolicyModel {
                    id: Some(format!("{}{SEP}{}{SEP}{}", current.cluster_name, current.principal_arn, current.policy_arn)),
                    // Upstream stores these two as Go prints a time, unlike EKS's other times.
                    associated_at: a.associated_at().map(crate::values::go_time_string),
                    modified_at: a.modified_at().map(crate::values::go_time_string),
                    access_scope: scope.into_iter().collect(),
                    ..current
                }));
            }
            match out.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => return Ok(None),
            }
        }
    }

    async fn delete(&self, cx: &Cx<'_>, prior: AccessPolicyModel) -> Result<(), AwsError> {
        let req = cx.c().eks.disassociate_access_policy().cluster_name(&prior.cluster_name).principal_arn(&prior.principal_arn).policy_arn(&prior.policy_arn);
        absent(req.send().await.map_err(sdk(cx.addr)))?;
        Ok(())
    }

    async fn recover(&self, cx: &Cx<'_>, planned: AccessPolicyModel) -> Result<Option<AccessPolicyModel>, AwsError> {
        self.read(cx, planned).await
    }
}
