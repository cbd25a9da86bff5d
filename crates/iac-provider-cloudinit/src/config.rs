//! `cloudinit_config`: renders its `part` blocks into one multi-part MIME
//! document (`rendered`, whose CRC-32 is the `id`). The data source renders
//! on every read. The resource (deprecated upstream in favour of the data
//! source) renders once, on create; every argument replaces it, and reads
//! and updates change nothing, as upstream.

use iac_provider_sdk::prelude::*;
use iac_provider_sdk::AttrPath;

use crate::mime::{id_of, render, Options, Part};
use crate::{Cloudinit, Error};

const DEFAULT_CONTENT_TYPE: &str = "text/plain";
const DEFAULT_BOUNDARY: &str = "MIMEBOUNDARY";

/// A `part` block of the data source.
#[derive(Model, Debug, Clone, Default)]
pub struct PartModel {
    /// A MIME-style content type to report in the header for the part. Defaults to `text/plain`.
    #[sdk(optional, computed)]
    content_type: Option<String>,
    /// Body content for the part.
    #[sdk(required)]
    content: String,
    /// A filename to report in the header for the part.
    #[sdk(optional)]
    filename: Option<String>,
    /// A value for the `X-Merge-Type` header of the part, to control cloud-init merging behavior.
    #[sdk(optional)]
    merge_type: Option<String>,
}

/// The `cloudinit_config` data source's attributes.
#[derive(Model, Debug, Clone, Default)]
pub struct ConfigDataModel {
    /// A file added to the configuration; parts appear in the order written.
    #[sdk(block, min_items = 1)]
    part: Vec<PartModel>,
    /// Whether to gzip the `rendered` output. Defaults to `true`.
    #[sdk(optional, computed)]
    gzip: Option<bool>,
    /// Whether to base64-encode the `rendered` output. Defaults to `true`, and cannot be disabled if gzip is `true`.
    #[sdk(optional, computed)]
    base64_encode: Option<bool>,
    /// The boundary between parts. Defaults to `MIMEBOUNDARY`.
    #[sdk(optional, computed)]
    boundary: Option<String>,
    /// The final rendered multi-part cloud-init config.
    #[sdk(computed)]
    rendered: Option<String>,
    /// CRC-32 checksum of `rendered`.
    #[sdk(computed)]
    id: Option<String>,
}

/// A `part` block of the resource.
#[derive(Model, Debug, Clone, Default)]
pub struct ResourcePartModel {
    /// A MIME-style content type to report in the header for the part. Defaults to `text/plain`.
    #[sdk(optional, computed, force_new, default = DEFAULT_CONTENT_TYPE)]
    content_type: Option<String>,
    /// Body content for the part.
    #[sdk(required, force_new)]
    content: String,
    /// A filename to report in the header for the part.
    #[sdk(optional, force_new)]
    filename: Option<String>,
    /// A value for the `X-Merge-Type` header of the part, to control cloud-init merging behavior.
    #[sdk(optional, force_new)]
    merge_type: Option<String>,
}

/// The `cloudinit_config` resource's attributes.
#[derive(Model, Debug, Clone, Default)]
pub struct ConfigResourceModel {
    /// A file added to the configuration; parts appear in the order written.
    #[sdk(block, min_items = 1, force_new)]
    part: Vec<ResourcePartModel>,
    /// Whether to gzip the `rendered` output. Defaults to `true`.
    #[sdk(optional, computed, force_new, default = true)]
    gzip: Option<bool>,
    /// Whether to base64-encode the `rendered` output. Defaults to `true`, and cannot be disabled if gzip is `true`.
    #[sdk(optional, computed, force_new, default = true)]
    base64_encode: Option<bool>,
    /// The boundary between parts. Defaults to `MIMEBOUNDARY`.
    #[sdk(optional, computed, force_new, default = DEFAULT_BOUNDARY)]
    boundary: Option<String>,
    /// The final rendered multi-part cloud-init config.
    #[sdk(computed)]
    rendered: Option<String>,
    /// CRC-32 checksum of `rendered`.
    #[sdk(computed)]
    id: Option<String>,
}

fn content_type(t: &Option<String>) -> String {
    t.clone().filter(|t| !t.is_empty()).unwrap_or_else(|| DEFAULT_CONTENT_TYPE.to_string())
}

fn options(gzip: Option<bool>, base64_encode: Option<bool>, boundary: &Option<String>) -> Result<Options, Error> {
    let o = Options {
        gzip: gzip.unwrap_or(true),
        base64_encode: base64_encode.unwrap_or(true),
        boundary: boundary.clone().unwrap_or_else(|| DEFAULT_BOUNDARY.into()),
    };
    check(&o)?;
    Ok(o)
}

fn check(o: &Options) -> Result<(), Error> {
    if o.gzip && !o.base64_encode {
        return Err(Error::Invalid("base64_encode: Expected base64_encode to be set to true when gzip is true.".into()));
    }
    if o.boundary.is_empty() {
        return Err(Error::Invalid("boundary: string length must be at least 1".into()));
    }
    Ok(())
}

fn rendered(o: &Options, parts: &[Part]) -> Result<(String, String), Error> {
    if parts.iter().any(|p| p.content_type.is_empty()) {
        return Err(Error::Invalid("part.content_type: string length must be at least 1".into()));
    }
    let r = render(o, parts).map_err(|e| Error::Invalid(format!("Unable to render cloudinit config to MIME multi-part file: {e}")))?;
    Ok((id_of(&r), r))
}

/// The `cloudinit_config` data source.
pub struct ConfigData;

#[async_trait]
impl DataSource<Cloudinit> for ConfigData {
    type Model = ConfigDataModel;
    const TYPE: &'static str = "cloudinit_config";

    async fn read(&self, _cx: &Ctx<'_, Cloudinit>, mut m: ConfigDataModel) -> Result<ConfigDataModel, Error> {
        let o = options(m.gzip, m.base64_encode, &m.boundary)?;
        if m.part.iter().any(|p| p.content_type.as_deref() == Some("")) {
            return Err(Error::Invalid("part.content_type: string length must be at least 1".into()));
        }
        for p in &mut m.part {
            p.content_type = Some(content_type(&p.content_type));
        }
        let parts: Vec<Part> = m
            .part
            .iter()
            .map(|p| Part {
                content_type: content_type(&p.content_type),
                content: p.content.clone(),
                filename: p.filename.clone().unwrap_or_default(),
                merge_type: p.merge_type.clone().unwrap_or_default(),
            })
            .collect();
        let (id, r) = rendered(&o, &parts)?;
        m.gzip = Some(o.gzip);
        m.base64_encode = Some(o.base64_encode);
        m.boundary = Some(o.boundary);
        m.rendered = Some(r);
        m.id = Some(id);
        Ok(m)
    }
}

/// The deprecated `cloudinit_config` resource.
pub struct ConfigResource;

#[async_trait]
impl Resource<Cloudinit> for ConfigResource {
    type Model = ConfigResourceModel;
    const TYPE: &'static str = "cloudinit_config";

    fn validate(&self, config: &Value) -> Vec<(AttrPath, String)> {
        let flag = |k: &str| {
            config.get(k).and_then(|v| match v.unmarked() {
                Value::Bool(b) => Some(Some(*b)),
                Value::Null => Some(None),
                _ => None,
            })
        };
        let mut out = Vec::new();
        // Unknown values are checked once known, at apply.
        if let (Some(g), Some(b)) = (flag("gzip"), flag("base64_encode")) {
            if g.unwrap_or(true) && !b.unwrap_or(true) {
                out.push((AttrPath::attr("base64_encode"), "Expected base64_encode to be set to true when gzip is true.".into()));
            }
        }
        let parts = config.get("part").and_then(Value::as_list).unwrap_or_default();
        if parts.iter().any(|p| p.get("content_type").and_then(Value::as_str) == Some("")) {
            out.push((AttrPath::attr("part"), "content_type: string length must be at least 1".into()));
        }
        if config.get("boundary").and_then(Value::as_str) == Some("") {
            out.push((AttrPath::attr("boundary"), "string length must be at least 1".into()));
        }
        out
    }

    async fn create(&self, _cx: &Ctx<'_, Cloudinit>, mut m: ConfigResourceModel) -> Result<ConfigResourceModel, Error> {
        let o = options(m.gzip, m.base64_encode, &m.boundary)?;
        if m.part.iter().any(|p| p.content_type.as_deref() == Some("")) {
            return Err(Error::Invalid("part.content_type: string length must be at least 1".into()));
        }
        let parts: Vec<Part> = m
            .part
            .iter_mut()
            .map(|p| {
                let t = content_type(&p.content_type);
                p.content_type = Some(t.clone());
                Part {
                    content_type: t,
                    content: p.content.clone(),
                    filename: p.filename.clone().unwrap_or_default(),
                    merge_type: p.merge_type.clone().unwrap_or_default(),
                }
            })
            .collect();
        let (id, r) = rendered(&o, &parts)?;
        m.rendered = Some(r);
        m.id = Some(id);
        Ok(m)
    }

    async fn read(&self, _cx: &Ctx<'_, Cloudinit>, current: ConfigResourceModel) -> Result<Option<ConfigResourceModel>, Error> {
        Ok(Some(current))
    }

    async fn delete(&self, _cx: &Ctx<'_, Cloudinit>, _prior: ConfigResourceModel) -> Result<(), Error> {
        Ok(())
    }

    /// Upstream cannot import it (the rendering lives only in state).
    async fn import(&self, _cx: &Ctx<'_, Cloudinit>, _id: &str) -> Result<Option<ConfigResourceModel>, Error> {
        Err(Error::Invalid("cloudinit_config does not support import".into()))
    }
}
