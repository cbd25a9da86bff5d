//! `aws_eip`: an Elastic IP in the VPC domain; tags update in place.
//! Releasing waits while a NAT gateway being deleted still holds it.

use async_trait::async_trait;
use aws_sdk_ec2::types::{DomainType, ResourceType};
use iac_core::schema::{Attribute, ResourceSchema};
use iac_core::Value;

use super::*;
use crate::error::absent;
use crate::resources::{Cx, Resource};
use crate::schema_util::*;
use crate::values::*;

pub struct Eip;

#[async_trait]
impl Resource for Eip {
    fn schema(&self) -> ResourceSchema {
        ResourceSchema {
            version: 0,
            block: tagged(id())
                .attr("allocation_id", Attribute::computed(Str))
                .attr("association_id", Attribute::computed(Str))
                .attr("public_ip", Attribute::computed(Str))
                .attr("domain", Attribute::optional_computed(Str).force_new())
                .attr("network_border_group", Attribute::optional_computed(Str).force_new()),
        }
    }

    fn defaults(&self) -> Vec<(&'static str, Value)> {
        vec![("domain", Value::from("vpc"))]
    }

    async fn create(&self, cx: &Cx<'_>, p: &Value) -> Result<Value, AwsError> {
        let out =
            cx.c.ec2
                .allocate_address()
                .domain(DomainType::from(get_str(p, "domain").unwrap_or("vpc")))
                .set_network_border_group(get_str(p, "network_border_group").map(str::to_string))
                .tag_specifications(tag_spec(cx, ResourceType::ElasticIp, p))
                .send()
                .await
                .map_err(sdk(cx.addr))?;
        let id = out.allocation_id().ok_or_else(|| cx.invalid("AllocateAddress returned no allocation id"))?.to_string();
        let mut v = p.clone();
        set(&mut v, "id", Value::from(id.as_str()));
        self.read(cx, &v).await?.ok_or_else(|| cx.invalid(format!("address {id} vanished after its create")))
    }

    async fn update(&self, cx: &Cx<'_>, prior: &Value, p: &Value) -> Result<Value, AwsError> {
        let id = id_of(cx, prior)?;
        update_tags(cx, id, prior, p).await?;
        self.read(cx, p).await?.ok_or_else(|| cx.invalid(format!("address {id} vanished during its update")))
    }

    async fn read(&self, cx: &Cx<'_>, current: &Value) -> Result<Option<Value>, AwsError> {
        let id = id_of(cx, current)?;
        let Some(out) = absent(cx.c.ec2.describe_addresses().allocation_ids(id).send().await.map_err(sdk(cx.addr)))? else { return Ok(None) };
        let Some(a) = out.addresses().first() else { return Ok(None) };
        Ok(Some(Value::map([
            ("id", Value::from(id)),
            ("allocation_id", opt(a.allocation_id())),
            ("association_id", opt(a.association_id())),
            ("public_ip", opt(a.public_ip())),
            ("domain", opt(a.domain().map(|d| d.as_str()))),
            ("network_border_group", opt(a.network_border_group()).or_else_known(current.get("network_border_group"))),
            ("tags_all", tags_value(a.tags())),
        ])))
    }

    async fn delete(&self, cx: &Cx<'_>, prior: &Value) -> Result<(), AwsError> {
        let id = id_of(cx, prior)?;
        crate::wait::retry_while(cx.addr, "the address to be released by its NAT gateway", DEPENDENCY_CODES, cx.poll(), DEPENDENCY_WAIT, || async {
            cx.c.ec2.release_address().allocation_id(id).send().await.map_err(sdk(cx.addr)).map(|_| ())
        })
        .await
    }

    fn import_stub(&self, id: &str) -> Value {
        Value::map([("id", Value::from(id))])
    }

    async fn recover(&self, cx: &Cx<'_>, planned: &Value) -> Result<Option<Value>, AwsError> {
        let out = cx.c.ec2.describe_addresses().filters(owner_filter(cx)).send().await.map_err(sdk(cx.addr))?;
        match out.addresses().first().and_then(|a| a.allocation_id()) {
            Some(id) => {
                let mut v = planned.clone();
                set(&mut v, "id", Value::from(id));
                self.read(cx, &v).await
            }
            None => Ok(None),
        }
    }
}

trait OrElseKnown {
    fn or_else_known(self, fallback: Option<&Value>) -> Value;
}

impl OrElseKnown for Value {
    /// Null from AWS keeps a known current value (fields some APIs omit).
    fn or_else_known(self, fallback: Option<&Value>) -> Value {
        match (&self, fallback) {
            (Value::Null, Some(f)) if f.is_wholly_known() => f.clone(),
            _ => self,
        }
    }
}
