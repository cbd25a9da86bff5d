//! `aws_security_group`: name (or `name_prefix`), description and VPC force
//! replacement; tags and the inline `ingress`/`egress` rules update in
//! place. The inline rules are upstream's attributes written as blocks
//! (sets of objects, optional and computed): left out, the group keeps
//! whatever rules it has (`aws_security_group_rule` and the per-rule
//! resources add theirs) and state leaves them null, so those rules'
//! changes are no drift of the group (an import reads them all); written,
//! they are exactly the group's rules, and
//! `ingress = []` removes them all. The allow-all egress rule AWS adds to a
//! new group is removed, as Terraform does. `revoke_rules_on_delete`
//! revokes the group's rules first (to break cycles between groups).

use aws_sdk_ec2::types::{IpPermission, IpRange, ResourceType};
use iac_provider_sdk::prelude::*;

use super::permissions::{canonical_rule, changes, gather, permission, rules_of, Atom, SgRule};
use super::*;
use crate::error::absent;
use crate::resources::naming::{name_from, prefix_of};
use crate::resources::{id_of, Timeouts};
use crate::Aws;

#[derive(Model, Debug, Clone, Default)]
pub struct SecurityGroupModel {
    #[sdk(computed)]
    id: Option<String>,
    #[sdk(computed)]
    arn: Option<String>,
    #[sdk(optional, computed, force_new)]
    name: Option<String>,
    /// a name made of this prefix and a unique suffix
    #[sdk(optional, computed, force_new)]
    name_prefix: Option<String>,
    #[sdk(optional, computed, force_new, default = "Managed by Terraform")]
    description: Option<String>,
    #[sdk(optional, computed, force_new)]
    vpc_id: Option<String>,
    #[sdk(optional, computed, local, default = false)]
    revoke_rules_on_delete: Option<bool>,
    #[sdk(computed)]
    owner_id: Option<String>,
    /// the inbound rules (blocks or a list); left out, the group's rules as they are
    #[sdk(optional, computed, set)]
    ingress: Option<Vec<SgRule>>,
    /// the outbound rules (blocks or a list); left out, the group's rules as they are
    #[sdk(optional, computed, set)]
    egress: Option<Vec<SgRule>>,
    #[sdk(flatten)]
    tags: Tags,
    #[sdk(block, local, max_items = 1)]
    timeouts: Option<Timeouts>,
}

pub struct SecurityGroup;

/// Revokes and authorizes atoms of one direction.
async fn apply_atoms(cx: &Cx<'_>, id: &str, egress: bool, revoke: &[Atom], authorize: &[Atom]) -> Result<(), AwsError> {
    let ec2 = &cx.c().ec2;
    if !revoke.is_empty() {
        let perms: Vec<IpPermission> = revoke.iter().map(permission).collect();
        let r = if egress {
            ec2.revoke_security_group_egress().group_id(id).set_ip_permissions(Some(perms)).send().await.map(|_| ()).map_err(sdk(cx.addr))
        } else {
            ec2.revoke_security_group_ingress().group_id(id).set_ip_permissions(Some(perms)).send().await.map(|_| ()).map_err(sdk(cx.addr))
        };
        absent(r)?;
    }
    if !authorize.is_empty() {
        let perms: Vec<IpPermission> = authorize.iter().map(permission).collect();
        if egress {
            ec2.authorize_security_group_egress().group_id(id).set_ip_permissions(Some(perms)).send().await.map_err(sdk(cx.addr))?;
        } else {
            ec2.authorize_security_group_ingress().group_id(id).set_ip_permissions(Some(perms)).send().await.map_err(sdk(cx.addr))?;
        }
    }
    Ok(())
}

/// Brings the inline rules from `old` to `new` (None: not managed here).
async fn sync_rules(cx: &Cx<'_>, id: &str, egress: bool, old: &Option<Vec<SgRule>>, new: &Option<Vec<SgRule>>) -> Result<(), AwsError> {
    let Some(new) = new else { return Ok(()) };
    let (revoke, authorize) = changes(old.as_deref().unwrap_or_default(), new, id);
    apply_atoms(cx, id, egress, &revoke, &authorize).await
}

#[async_trait]
impl Resource<Aws> for SecurityGroup {
    type Model = SecurityGroupModel;
    const TYPE: &'static str = "aws_security_group";

    fn canonical_config(&self, config: &mut Value) {
        let Value::Map(m) = config else { return };
        for k in ["ingress", "egress"] {
            if let Some(Value::List(items)) = m.get_mut(k) {
                items.iter_mut().for_each(canonical_rule);
                *items = iac_provider_sdk::schema::set_normalize(std::mem::take(items)).into();
            }
        }
    }

    /// An import reads the group's rules too.
    fn import_stub(&self, id: &str) -> Value {
        Value::map([("id", Value::from(id)), ("ingress", Value::List(Vec::new().into())), ("egress", Value::List(Vec::new().into()))])
    }

    async fn create(&self, cx: &Cx<'_>, p: SecurityGroupModel) -> Result<SecurityGroupModel, AwsError> {
        let name = name_from(cx, &p.name, &p.name_prefix);
        let out = cx
            .c()
            .ec2
            .create_security_group()
            .group_name(&name)
            .description(p.description.as_deref().unwrap_or("Managed by Terraform"))
            .set_vpc_id(p.vpc_id.clone())
            .tag_specifications(tag_spec(cx, ResourceType::SecurityGroup, &p.tags))
            .send()
            .await
            .map_err(sdk(cx.addr))?;
        let id = out.group_id().ok_or_else(|| cx.invalid("CreateSecurityGroup returned no id"))?.to_string();
        let all = IpPermission::builder().ip_protocol("-1").ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build()).build();
        absent(cx.c().ec2.revoke_security_group_egress().group_id(&id).ip_permissions(all).send().await.map_err(sdk(cx.addr)))?;
        sync_rules(cx, &id, false, &None, &p.ingress).await?;
        sync_rules(cx, &id, true, &None, &p.egress).await?;
        self.read(cx, SecurityGroupModel { id: Some(id.clone()), ..p })
            .await?
            .ok_or_else(|| cx.invalid(format!("security group {id} vanished after its create")))
    }

    async fn update(&self, cx: &Cx<'_>, prior: SecurityGroupModel, p: SecurityGroupModel) -> Result<SecurityGroupModel, AwsError> {
        let id = id_of(cx, &prior.id)?;
        // Rules the configuration starts to manage are made exactly the
        // written ones: what the group has now is what they change from.
        let starts = (prior.ingress.is_none() && p.ingress.is_some()) || (prior.egress.is_none() && p.egress.is_some());
        let live =
            if starts { self.read(cx, SecurityGroupModel { ingress: Some(Vec::new()), egress: Some(Vec::new()), ..prior.clone() }).await? } else { None };
        let old_ingress = prior.ingress.clone().or_else(|| live.as_ref().and_then(|l| l.ingress.clone()));
        let old_egress = prior.egress.clone().or_else(|| live.as_ref().and_then(|l| l.egress.clone()));
        if old_ingress != p.ingress {
            sync_rules(cx, id, false, &old_ingress, &p.ingress).await?;
        }
        if old_egress != p.egress {
            sync_rules(cx, id, true, &old_egress, &p.egress).await?;
        }
        update_tags(cx, id, &prior.tags, &p.tags).await?;
        self.read(cx, p).await?.ok_or_else(|| cx.invalid(format!("security group {id} vanished during its update")))
    }

    async fn read(&self, cx: &Cx<'_>, current: SecurityGroupModel) -> Result<Option<SecurityGroupModel>, AwsError> {
        let id = id_of(cx, &current.id)?;
        let Some(out) = absent(cx.c().ec2.describe_security_groups().group_ids(id).send().await.map_err(sdk(cx.addr)))? else { return Ok(None) };
        let Some(g) = out.security_groups().first() else { return Ok(None) };
        let owner = g.owner_id().unwrap_or_default();
        let name = g.group_name().unwrap_or_default();
        // Reported only where the configuration manages them (a list, even
        // empty, in state): left out, the rules are other resources'
        // (aws_security_group_rule, the per-rule types), and their changes
        // are no drift of the group.
        let ingress = current.ingress.as_ref().map(|known| rules_of(gather(g.ip_permissions(), owner), known, id));
        let egress = current.egress.as_ref().map(|known| rules_of(gather(g.ip_permissions_egress(), owner), known, id));
        Ok(Some(SecurityGroupModel {
            id: Some(id.to_string()),
            arn: Some(g.security_group_arn().map(str::to_string).unwrap_or_else(|| arn(cx, owner, "security-group", id))),
            name: Some(name.to_string()),
            name_prefix: Some(prefix_of(name)),
            description: g.description().map(str::to_string),
            vpc_id: g.vpc_id().map(str::to_string),
            revoke_rules_on_delete: current.revoke_rules_on_delete,
            owner_id: Some(owner.to_string()),
            ingress,
            egress,
            tags: tags_of(g.tags()),
            timeouts: current.timeouts,
        }))
    }

    async fn delete(&self, cx: &Cx<'_>, prior: SecurityGroupModel) -> Result<(), AwsError> {
        let id = id_of(cx, &prior.id)?;
        if prior.revoke_rules_on_delete == Some(true) {
            if let Some(out) = absent(cx.c().ec2.describe_security_groups().group_ids(id).send().await.map_err(sdk(cx.addr)))? {
                if let Some(g) = out.security_groups().first() {
                    if !g.ip_permissions().is_empty() {
                        cx.c()
                            .ec2
                            .revoke_security_group_ingress()
                            .group_id(id)
                            .set_ip_permissions(Some(g.ip_permissions().to_vec()))
                            .send()
                            .await
                            .map_err(sdk(cx.addr))?;
                    }
                    if !g.ip_permissions_egress().is_empty() {
                        cx.c()
                            .ec2
                            .revoke_security_group_egress()
                            .group_id(id)
                            .set_ip_permissions(Some(g.ip_permissions_egress().to_vec()))
                            .send()
                            .await
                            .map_err(sdk(cx.addr))?;
                    }
                }
            }
        }
        delete_retrying(cx, "the security group's users to go", || async {
            cx.c().ec2.delete_security_group().group_id(id).send().await.map_err(sdk(cx.addr)).map(|_| ())
        })
        .await
    }

    async fn recover(&self, cx: &Cx<'_>, planned: SecurityGroupModel) -> Result<Option<SecurityGroupModel>, AwsError> {
        let out = cx.c().ec2.describe_security_groups().filters(owner_filter(cx)).send().await.map_err(sdk(cx.addr))?;
        match out.security_groups().first().and_then(|g| g.group_id()) {
            Some(id) => self.read(cx, SecurityGroupModel { id: Some(id.to_string()), ..planned }).await,
            None => Ok(None),
        }
    }
}
