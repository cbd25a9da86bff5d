//! `aws_ec2_tag`: one tag on an EC2 object another configuration (or
//! AWS, as EKS does on its subnets) manages. The value changes in place;
//! the object and key force replacement. The id is upstream's
//! `RESOURCE_ID,KEY`.

use aws_sdk_ec2::types::Tag;
use iac_provider_sdk::prelude::*;

use super::*;
use crate::error::absent;
use crate::Aws;

#[derive(Model, Debug, Clone, Default)]
pub struct Ec2TagModel {
    #[sdk(computed)]
    id: Option<String>,
    #[sdk(required, force_new)]
    resource_id: String,
    #[sdk(required, force_new)]
    key: String,
    #[sdk(required)]
    value: String,
}

pub struct Ec2Tag;

async fn put(cx: &Cx<'_>, m: &Ec2TagModel) -> Result<(), AwsError> {
    cx.c().ec2.create_tags().resources(&m.resource_id).tags(Tag::builder().key(&m.key).value(&m.value).build()).send().await.map_err(sdk(cx.addr))?;
    Ok(())
}

#[async_trait]
impl Resource<Aws> for Ec2Tag {
    type Model = Ec2TagModel;
    const TYPE: &'static str = "aws_ec2_tag";

    fn import_stub(&self, id: &str) -> Value {
        let (resource, key) = id.split_once(',').unwrap_or((id, ""));
        Value::map([("id", Value::from(id)), ("resource_id", Value::from(resource)), ("key", Value::from(key))])
    }

    async fn create(&self, cx: &Cx<'_>, p: Ec2TagModel) -> Result<Ec2TagModel, AwsError> {
        put(cx, &p).await?;
        self.read(cx, p).await?.ok_or_else(|| cx.invalid("the tag vanished after its create"))
    }

    async fn update(&self, cx: &Cx<'_>, _prior: Ec2TagModel, p: Ec2TagModel) -> Result<Ec2TagModel, AwsError> {
        put(cx, &p).await?;
        self.read(cx, p).await?.ok_or_else(|| cx.invalid("the tag vanished during its update"))
    }

    async fn read(&self, cx: &Cx<'_>, current: Ec2TagModel) -> Result<Option<Ec2TagModel>, AwsError> {
        let req = cx.c().ec2.describe_tags().filters(filter("resource-id", &current.resource_id)).filters(filter("key", &current.key));
        let Some(out) = absent(req.send().await.map_err(sdk(cx.addr)))? else { return Ok(None) };
        let Some(t) = out.tags().iter().find(|t| t.key() == Some(current.key.as_str())) else { return Ok(None) };
        Ok(Some(Ec2TagModel { id: Some(format!("{},{}", current.resource_id, current.key)), value: t.value().unwrap_or_default().to_string(), ..current }))
    }

    async fn delete(&self, cx: &Cx<'_>, prior: Ec2TagModel) -> Result<(), AwsError> {
        let t = Tag::builder().key(&prior.key).value(&prior.value).build();
        absent(cx.c().ec2.delete_tags().resources(&prior.resource_id).tags(t).send().await.map_err(sdk(cx.addr)))?;
        Ok(())
    }
}
