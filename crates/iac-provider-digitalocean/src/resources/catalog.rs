//! Data sources over what the account and DigitalOcean offer, with
//! upstream's names: `digitalocean_vpc` (by id, by name, or a region's
//! default VPC), and `digitalocean_regions` and `digitalocean_sizes` with
//! upstream's `filter` and `sort` blocks.

use std::cmp::Ordering;

use iac_provider_sdk::prelude::*;
use serde_json::Value as Json;

use crate::error::DoError;
use crate::values::*;
use crate::DigitalOcean;

/// `data.digitalocean_vpc`'s arguments and attributes.
#[derive(Model, Debug, Default)]
pub struct VpcDataModel {
    /// exactly one of id, name and region (its default VPC)
    #[sdk(optional, computed)]
    id: Option<String>,
    #[sdk(optional, computed)]
    name: Option<String>,
    #[sdk(optional, computed)]
    region: Option<String>,
    #[sdk(computed)]
    description: Option<String>,
    #[sdk(computed)]
    ip_range: Option<String>,
    #[sdk(computed)]
    urn: Option<String>,
    #[sdk(computed)]
    default: Option<bool>,
    #[sdk(computed)]
    created_at: Option<String>,
}

/// The `digitalocean_vpc` data source.
pub struct VpcData;

#[async_trait]
impl DataSource<DigitalOcean> for VpcData {
    type Model = VpcDataModel;
    const TYPE: &'static str = "digitalocean_vpc";

    async fn read(&self, cx: &Ctx<'_, DigitalOcean>, c: VpcDataModel) -> Result<VpcDataModel, DoError> {
        let (api, addr) = (&cx.provider.api, cx.addr);
        let invalid = |message: String| DoError::Invalid { addr: addr.to_string(), message };
        let given = [c.id.is_some(), c.name.is_some(), c.region.is_some()].iter().filter(|g| **g).count();
        if given != 1 {
            return Err(invalid("exactly one of id, name and region must be set".into()));
        }
        let all = api.list_vpcs().await.map_err(DoError::api(&addr))?;
        let found = if let Some(id) = &c.id {
            all.into_iter().find(|v| v["id"] == id.as_str()).ok_or_else(|| invalid(format!("no VPC with id {id:?}")))?
        } else if let Some(name) = &c.name {
            all.into_iter().find(|v| v["name"] == name.as_str()).ok_or_else(|| invalid(format!("no VPC named {name:?}")))?
        } else {
            let region = c.region.clone().unwrap_or_default();
            all.into_iter()
                .find(|v| v["region"] == region.as_str() && v["default"] == true)
                .ok_or_else(|| invalid(format!("no default VPC in region {region:?} (DigitalOcean makes it with the region's first member)")))?
        };
        Ok(VpcDataModel {
            id: s(&found["id"]),
            name: s(&found["name"]),
            region: s(&found["region"]),
            description: s(&found["description"]),
            ip_range: s(&found["ip_range"]),
            urn: s(&found["urn"]),
            default: found["default"].as_bool(),
            created_at: s(&found["created_at"]),
        })
    }
}

/// A `filter` block: items whose `key` matches one of `values` (all of them with `all`).
#[derive(Model, Debug, Clone, Default)]
pub struct Filter {
    #[sdk(required)]
    pub key: String,
    #[sdk(required)]
    pub values: Vec<String>,
    #[sdk(optional, default = false)]
    pub all: bool,
    /// exact (default) or substring
    #[sdk(optional, default = "exact")]
    pub match_by: String,
}

/// A `sort` block.
#[derive(Model, Debug, Clone, Default)]
pub struct Sort {
    #[sdk(required)]
    pub key: String,
    /// asc (default) or desc
    #[sdk(optional, default = "asc")]
    pub direction: String,
}

/// The texts an item's field holds (each element of a list).
fn texts(v: &Json) -> Vec<String> {
    match v {
        Json::Array(a) => a.iter().flat_map(texts).collect(),
        Json::String(s) => vec![s.clone()],
        Json::Null => Vec::new(),
        other => vec![other.to_string()],
    }
}

/// Filters, then sorts, API items as upstream's list data sources do.
fn select(addr: &str, items: Vec<Json>, filters: &[Filter], sorts: &[Sort], keys: &[&str]) -> Result<Vec<Json>, DoError> {
    for k in filters.iter().map(|f| &f.key).chain(sorts.iter().map(|s| &s.key)) {
        if !keys.contains(&k.as_str()) {
            return Err(DoError::Invalid { addr: addr.to_string(), message: format!("{k:?} is not one of {}", keys.join(", ")) });
        }
    }
    let mut out: Vec<Json> = items
        .into_iter()
        .filter(|item| {
            filters.iter().all(|f| {
                let have = texts(&item[f.key.as_str()]);
                let hit = |want: &String| have.iter().any(|h| if f.match_by == "substring" { h.contains(want.as_str()) } else { h == want });
                if f.all {
                    f.values.iter().all(hit)
                } else {
                    f.values.iter().any(hit)
                }
            })
        })
        .collect();
    for s in sorts.iter().rev() {
        out.sort_by(|a, b| {
            let (x, y) = (&a[s.key.as_str()], &b[s.key.as_str()]);
            let o = match (x.as_f64(), y.as_f64()) {
                (Some(p), Some(q)) => p.partial_cmp(&q).unwrap_or(Ordering::Equal),
                _ => texts(x).join(",").cmp(&texts(y).join(",")),
            };
            if s.direction == "desc" {
                o.reverse()
            } else {
                o
            }
        });
    }
    Ok(out)
}

/// One region.
#[derive(Model, Debug, Clone, Default)]
pub struct Region {
    #[sdk(computed)]
    pub slug: String,
    #[sdk(computed)]
    pub name: String,
    #[sdk(computed)]
    pub sizes: Vec<String>,
    #[sdk(computed)]
    pub features: Vec<String>,
    #[sdk(computed)]
    pub available: bool,
}

/// `data.digitalocean_regions`.
#[derive(Model, Debug, Default)]
pub struct RegionsModel {
    #[sdk(computed)]
    id: Option<String>,
    #[sdk(block)]
    filter: Vec<Filter>,
    #[sdk(block)]
    sort: Vec<Sort>,
    #[sdk(computed)]
    regions: Option<Vec<Region>>,
}

/// The `digitalocean_regions` data source.
pub struct RegionsData;

#[async_trait]
impl DataSource<DigitalOcean> for RegionsData {
    type Model = RegionsModel;
    const TYPE: &'static str = "digitalocean_regions";

    async fn read(&self, cx: &Ctx<'_, DigitalOcean>, c: RegionsModel) -> Result<RegionsModel, DoError> {
        let items = cx.provider.api.client.list_all("/v2/regions", "regions").await.map_err(DoError::api(&cx.addr))?;
        let picked = select(cx.addr, items, &c.filter, &c.sort, &["slug", "name", "sizes", "features", "available"])?;
        let regions = picked
            .iter()
            .map(|r| Region {
                slug: text(&r["slug"]),
                name: text(&r["name"]),
                sizes: texts(&r["sizes"]),
                features: texts(&r["features"]),
                available: r["available"].as_bool().unwrap_or(false),
            })
            .collect();
        Ok(RegionsModel { id: Some("regions".into()), filter: c.filter, sort: c.sort, regions: Some(regions) })
    }
}

/// One Droplet size.
#[derive(Model, Debug, Clone, Default)]
pub struct Size {
    #[sdk(computed)]
    pub slug: String,
    #[sdk(computed)]
    pub memory: i64,
    #[sdk(computed)]
    pub vcpus: i64,
    #[sdk(computed)]
    pub disk: i64,
    #[sdk(computed)]
    pub transfer: f64,
    #[sdk(computed)]
    pub price_monthly: f64,
    #[sdk(computed)]
    pub price_hourly: f64,
    #[sdk(computed)]
    pub regions: Vec<String>,
    #[sdk(computed)]
    pub available: bool,
    #[sdk(computed)]
    pub description: String,
}

/// `data.digitalocean_sizes`.
#[derive(Model, Debug, Default)]
pub struct SizesModel {
    #[sdk(computed)]
    id: Option<String>,
    #[sdk(block)]
    filter: Vec<Filter>,
    #[sdk(block)]
    sort: Vec<Sort>,
    #[sdk(computed)]
    sizes: Option<Vec<Size>>,
}

/// The `digitalocean_sizes` data source.
pub struct SizesData;

#[async_trait]
impl DataSource<DigitalOcean> for SizesData {
    type Model = SizesModel;
    const TYPE: &'static str = "digitalocean_sizes";

    async fn read(&self, cx: &Ctx<'_, DigitalOcean>, c: SizesModel) -> Result<SizesModel, DoError> {
        let items = cx.provider.api.client.list_all("/v2/sizes", "sizes").await.map_err(DoError::api(&cx.addr))?;
        let keys = ["slug", "memory", "vcpus", "disk", "transfer", "price_monthly", "price_hourly", "regions", "available", "description"];
        let picked = select(cx.addr, items, &c.filter, &c.sort, &keys)?;
        let num = |v: &Json| v.as_f64().unwrap_or(0.0);
        let sizes = picked
            .iter()
            .map(|z| Size {
                slug: text(&z["slug"]),
                memory: n(&z["memory"]).unwrap_or(0),
                vcpus: n(&z["vcpus"]).unwrap_or(0),
                disk: n(&z["disk"]).unwrap_or(0),
                transfer: num(&z["transfer"]),
                price_monthly: num(&z["price_monthly"]),
                price_hourly: num(&z["price_hourly"]),
                regions: texts(&z["regions"]),
                available: z["available"].as_bool().unwrap_or(false),
                description: text(&z["description"]),
            })
            .collect();
        Ok(SizesModel { id: Some("sizes".into()), filter: c.filter, sort: c.sort, sizes: Some(sizes) })
    }
}
