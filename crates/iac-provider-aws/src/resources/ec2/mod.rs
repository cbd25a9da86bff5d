//! EC2 networking resources, and what they share: tag specifications on
//! create, tag updates, lookups by the ownership tag, and retries while a
//! dependency is being released.

pub mod eip;
pub mod igw;
pub mod launch_template;
pub mod lookup;
pub mod nat;
pub mod permissions;
pub mod route;
pub mod route_table;
pub mod security_group;
pub mod sg_legacy_rule;
pub mod sg_rule;
pub mod subnet;
pub mod tag;
pub mod vpc;
pub mod vpc_endpoint;

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_ec2::types::{Filter, ResourceType, Tag, TagSpecification};

use super::{AwsCx, Cx, Tags};
use crate::error::{sdk, AwsError};
use crate::tags::OWNER_TAG;

/// How long a delete keeps retrying while AWS says a dependency still holds the object.
pub const DEPENDENCY_WAIT: Duration = Duration::from_secs(15 * 60);
pub const DEPENDENCY_CODES: &[&str] =
    &["DependencyViolation", "InvalidIPAddress.InUse", "AuthFailure.AddressNotOwned", "Gateway.NotAttached", "IncorrectState"];

pub fn sdk_tags(m: &BTreeMap<String, String>) -> Vec<Tag> {
    m.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()
}

/// The tag specification of a create: `tags_all` and the ownership tag.
pub fn tag_spec(cx: &Cx<'_>, rt: ResourceType, tags: &Tags) -> TagSpecification {
    TagSpecification::builder().resource_type(rt).set_tags(Some(sdk_tags(&tags.desired(&cx.owner())))).build()
}

/// The raw tags of an object, as reads report them.
pub fn tags_of(t: &[Tag]) -> Tags {
    Tags::from_aws(t.iter().filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or("").to_string()))).collect())
}

/// Brings the object's tags from `prior` to `planned`.
pub async fn update_tags(cx: &Cx<'_>, id: &str, prior: &Tags, planned: &Tags) -> Result<(), AwsError> {
    let (put, remove) = planned.diff(prior, &cx.owner());
    if !remove.is_empty() {
        let keys = remove.iter().map(|k| Tag::builder().key(k).build()).collect();
        cx.c().ec2.delete_tags().resources(id).set_tags(Some(keys)).send().await.map_err(sdk(cx.addr))?;
    }
    if !put.is_empty() {
        cx.c().ec2.create_tags().resources(id).set_tags(Some(sdk_tags(&put))).send().await.map_err(sdk(cx.addr))?;
    }
    Ok(())
}

pub fn filter(name: &str, value: impl Into<String>) -> Filter {
    Filter::builder().name(name).values(value).build()
}

/// The filter that finds what this instance created.
pub fn owner_filter(cx: &Cx<'_>) -> Filter {
    filter(&format!("tag:{OWNER_TAG}"), cx.owner())
}

pub fn arn(cx: &Cx<'_>, owner: &str, kind: &str, id: &str) -> String {
    format!("arn:aws:ec2:{}:{owner}:{kind}/{id}", cx.c().region)
}

/// Deletes with retries while a dependency still holds the object.
pub async fn delete_retrying<F, Fut>(cx: &Cx<'_>, what: &str, op: F) -> Result<(), AwsError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), AwsError>>,
{
    crate::wait::retry_while(cx.addr, what, DEPENDENCY_CODES, cx.poll(), DEPENDENCY_WAIT, op).await
}
