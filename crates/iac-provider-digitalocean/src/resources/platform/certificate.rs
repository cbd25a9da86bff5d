//! `digitalocean_certificate` and its data source. As upstream's v1 schema
//! has it, a certificate is known by its name (`id` is the name; `uuid` the
//! API's ID, which changes when a Let's Encrypt certificate renews).
//! Everything forces replacement. A `custom` certificate takes a private key,
//! a leaf certificate and an optional chain, which the API never reports
//! back: state keeps their SHA-1 digests, as upstream's does (its
//! StateFunc), so no key is stored, states move between the two, and a new
//! PEM is a new digest (a replacement); the create sends the PEMs of the
//! configuration. Its `domains` are what the certificate names, not an
//! argument. A `lets_encrypt` one takes
//! `domains` (of domains DigitalOcean's DNS serves) and is waited for until
//! it is `verified`. A certificate a load balancer still uses cannot be
//! deleted: the delete tries again until the balancer lets go of it, within
//! `timeouts.delete`.

use std::collections::BTreeSet;

use iac_core::Value;
use iac_provider_sdk::prelude::*;
use iac_provider_sdk::AttrPath;
use serde_json::{json, Value as Json};

use super::super::timeouts::{waits_within, CreateDeleteTimeouts};
use crate::api::Api;
use crate::error::DoError;
use crate::values::*;
use crate::DigitalOcean;

/// `digitalocean_certificate`'s attributes.
#[derive(Model, Debug, Clone, Default)]
pub struct CertificateModel {
    /// the certificate's name
    #[sdk(computed)]
    pub id: Option<String>,
    /// the API's ID (a Let's Encrypt certificate gets a new one when it renews)
    #[sdk(computed)]
    pub uuid: Option<String>,
    #[sdk(required, force_new)]
    pub name: String,
    /// PEM; `custom` only (state keeps its SHA-1)
    #[sdk(optional, sensitive, force_new)]
    pub private_key: Option<String>,
    /// PEM; `custom` only (state keeps its SHA-1)
    #[sdk(optional, force_new)]
    pub leaf_certificate: Option<String>,
    /// PEM; `custom` only (state keeps its SHA-1)
    #[sdk(optional, force_new)]
    pub certificate_chain: Option<String>,
    /// the names a `lets_encrypt` certificate is issued for
    #[sdk(optional, force_new)]
    pub domains: Option<BTreeSet<String>>,
    /// custom or lets_encrypt
    #[sdk(optional, force_new, default = "custom", name = "type")]
    pub kind: Option<String>,
    #[sdk(computed)]
    pub state: Option<String>,
    #[sdk(computed)]
    pub not_after: Option<String>,
    #[sdk(computed)]
    pub sha1_fingerprint: Option<String>,
    #[sdk(block, local)]
    pub timeouts: Option<CreateDeleteTimeouts>,
}

fn dns_names(c: &Json) -> Option<BTreeSet<String>> {
    let set: BTreeSet<String> =
        c["dns_names"].as_array().into_iter().flatten().filter_map(Json::as_str).filter(|n| !n.is_empty()).map(str::to_string).collect();
    Some(set).filter(|s| !s.is_empty())
}

/// The arguments whose SHA-1 state keeps.
const PEMS: [&str; 3] = ["private_key", "leaf_certificate", "certificate_chain"];

/// What state keeps of a PEM: its SHA-1, in lowercase hex (upstream's `HashStringStateFunc`).
pub fn pem_digest(pem: &str) -> String {
    use sha1::Digest as _;
    hex::encode(sha1::Sha1::digest(pem.as_bytes()))
}

fn is_digest(t: &str) -> bool {
    t.len() == 40 && t.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A digest stays; a PEM (in a state written before digests were kept) becomes its digest.
fn digest_of(v: &Option<String>) -> Option<String> {
    v.as_ref().map(|t| if is_digest(t) { t.clone() } else { pem_digest(t) })
}

impl CertificateModel {
    /// `configured` supplies what the API never reports (the PEMs' digests).
    fn from_api(c: &Json, configured: &CertificateModel) -> CertificateModel {
        let kind = text(&c["type"]);
        CertificateModel {
            id: s(&c["name"]),
            uuid: s(&c["id"]),
            name: text(&c["name"]),
            private_key: digest_of(&configured.private_key),
            leaf_certificate: digest_of(&configured.leaf_certificate),
            certificate_chain: digest_of(&configured.certificate_chain),
            // A custom certificate's names come from the certificate, not the configuration.
            domains: if kind == "custom" { configured.domains.clone() } else { dns_names(c) },
            kind: Some(kind),
            state: s(&c["state"]),
            not_after: s(&c["not_after"]),
            sha1_fingerprint: s(&c["sha1_fingerprint"]),
            timeouts: configured.timeouts.clone(),
        }
    }
}

/// The certificate named `name`, from the account's list.
pub(crate) async fn by_name(api: &Api, name: &str) -> Result<Option<Json>, crate::client::ApiError> {
    Ok(api.client.list_all("/v2/certificates", "certificates").await?.into_iter().find(|c| c["name"] == name))
}

/// Whether a delete was refused because a load balancer uses the certificate.
fn in_use(e: &crate::client::ApiError) -> bool {
    e.status() == Some(403) && {
        let text = e.to_string();
        text.contains("not in use") || text.contains("used by one or more load balancers")
    }
}

/// The `digitalocean_certificate` resource type.
pub struct Certificate;

#[async_trait]
impl Resource<DigitalOcean> for Certificate {
    type Model = CertificateModel;
    const TYPE: &'static str = "digitalocean_certificate";

    /// The PEMs as state keeps them: their digests (upstream's StateFunc),
    /// so a new PEM is a replacement and the same one no change.
    fn canonical_config(&self, config: &mut Value) {
        for k in PEMS {
            if let Some(pem) = get_str(config, k).filter(|p| !p.is_empty()) {
                let digest = pem_digest(pem);
                set(config, k, Value::from(digest));
            }
        }
    }

    async fn modify_plan(&self, cx: &Ctx<'_, DigitalOcean>, prior: Option<&Value>, planned: &mut Value, _replace: &mut Vec<AttrPath>) -> Result<(), DoError> {
        keep_absent_timeouts(prior, planned);
        let invalid = |m: &str| DoError::Invalid { addr: cx.addr.to_string(), message: m.to_string() };
        let given = |k: &str| planned.get(k).is_some_and(|v| !v.is_null());
        match get_str(planned, "type") {
            Some("lets_encrypt") => {
                if ["private_key", "leaf_certificate", "certificate_chain"].iter().any(|k| given(k)) {
                    return Err(invalid(
                        "`domains` conflicts with `private_key`, `leaf_certificate` and `certificate_chain`: a lets_encrypt certificate takes only domains",
                    ));
                }
                if !given("domains") {
                    return Err(invalid("`domains` is required for when type is `lets_encrypt`"));
                }
            }
            Some(_) => {
                let known = |k: &str| planned.get(k).is_some_and(|v| v.is_unknown());
                if !given("private_key") && !known("private_key") {
                    return Err(invalid("`private_key` is required for when type is `custom` or empty"));
                }
                if !given("leaf_certificate") && !known("leaf_certificate") {
                    return Err(invalid("`leaf_certificate` is required for when type is `custom` or empty"));
                }
                if given("domains") {
                    return Err(invalid("`domains` conflicts with `private_key` and `leaf_certificate`: a custom certificate's names are its own"));
                }
                // The names the certificate holds are read back; they are not an argument.
                if let Some(p) = prior {
                    set(planned, "domains", p.get("domains").cloned().unwrap_or(Value::Null));
                }
            }
            None => {}
        }
        Ok(())
    }

    async fn create(&self, cx: &Ctx<'_, DigitalOcean>, planned: CertificateModel) -> Result<CertificateModel, DoError> {
        let (api, addr) = (&cx.provider.api, cx.addr);
        let kind = planned.kind.clone().unwrap_or_else(|| "custom".into());
        let mut body = json!({"name": planned.name, "type": kind});
        // The plan holds digests; the PEMs themselves are the configuration's.
        for k in PEMS {
            if planned.to_value().get(k).is_none_or(Value::is_null) {
                continue;
            }
            let Some(pem) = cx.config.and_then(|c| c.get(k)).and_then(|v| v.unmarked().as_str()) else {
                return Err(DoError::Invalid { addr: addr.to_string(), message: format!("{k}: the configuration's PEM is needed to create the certificate") });
            };
            body[k] = json!(pem);
        }
        if let Some(d) = &planned.domains {
            body["dns_names"] = json!(d);
        }
        let c = super::super::create_or_adopt(
            addr,
            &api.waits,
            api.client_retries(),
            || api.create_object("/v2/certificates", "certificate", &body),
            || by_name(api, &planned.name),
        )
        .await?;
        let id = text(&c["id"]);
        let waits = waits_within(api, planned.timeouts.as_ref().and_then(|t| t.create.as_deref()));
        let c = crate::wait::until(&waits, addr, "the certificate to be verified", || async {
            match api.get_object(&format!("/v2/certificates/{id}"), "certificate").await.map_err(DoError::api(&addr))? {
                Some(c) if c["state"] == "verified" => Ok(Some(c)),
                Some(c) if c["state"] == "error" => Err(DoError::Invalid { addr: addr.to_string(), message: "the certificate could not be issued".into() }),
                Some(_) => Ok(None),
                None => Err(DoError::Invalid { addr: addr.to_string(), message: format!("certificate {id} disappeared while being issued") }),
            }
        })
        .await?;
        Ok(CertificateModel::from_api(&c, &planned))
    }

    async fn update(&self, _cx: &Ctx<'_, DigitalOcean>, _prior: CertificateModel, planned: CertificateModel) -> Result<CertificateModel, DoError> {
        // Every argument forces replacement; only `timeouts` changes in place.
        Ok(planned)
    }

    /// From the run's list of certificates (one list read serves a refresh).
    async fn read(&self, cx: &Ctx<'_, DigitalOcean>, current: CertificateModel) -> Result<Option<CertificateModel>, DoError> {
        let name = current.id.clone().unwrap_or(current.name.clone());
        let c = cx.provider.api.certificate_by_name_cached(&name).await.map_err(DoError::api(&cx.addr))?;
        Ok(c.map(|c| CertificateModel::from_api(&c, &current)))
    }

    async fn delete(&self, cx: &Ctx<'_, DigitalOcean>, prior: CertificateModel) -> Result<(), DoError> {
        let (api, addr) = (&cx.provider.api, cx.addr);
        let Some(c) = by_name(api, &prior.name).await.map_err(DoError::api(&addr))? else { return Ok(()) };
        let path = format!("/v2/certificates/{}", text(&c["id"]));
        let waits = waits_within(api, prior.timeouts.as_ref().and_then(|t| t.delete.as_deref()));
        crate::wait::until(&waits, addr, "the load balancers to let go of the certificate", || async {
            match api.delete_object(&path).await {
                Ok(()) => Ok(Some(())),
                Err(e) if in_use(&e) => {
                    tracing::debug!(addr, "a load balancer still uses the certificate: trying again");
                    Ok(None)
                }
                Err(e) => Err(DoError::Api { addr: addr.to_string(), source: Box::new(e) }),
            }
        })
        .await
    }

    /// By name, as upstream.
    async fn import(&self, cx: &Ctx<'_, DigitalOcean>, id: &str) -> Result<Option<CertificateModel>, DoError> {
        match by_name(&cx.provider.api, id).await.map_err(DoError::api(&cx.addr))? {
            Some(c) => Ok(Some(CertificateModel::from_api(&c, &CertificateModel::default()))),
            None => Err(DoError::Invalid { addr: cx.addr.to_string(), message: format!("no certificate named {id:?}") }),
        }
    }

    async fn recover(&self, cx: &Ctx<'_, DigitalOcean>, planned: CertificateModel) -> Result<Option<CertificateModel>, DoError> {
        if planned.name.is_empty() {
            return Ok(None);
        }
        let c = by_name(&cx.provider.api, &planned.name).await.map_err(DoError::api(&cx.addr))?;
        Ok(c.map(|c| CertificateModel::from_api(&c, &planned)))
    }
}

/// `data.digitalocean_certificate`'s argument and attributes.
#[derive(Model, Debug, Default)]
pub struct CertificateDataModel {
    #[sdk(required)]
    pub name: String,
    #[sdk(computed)]
    pub id: Option<String>,
    #[sdk(computed)]
    pub uuid: Option<String>,
    #[sdk(computed, name = "type")]
    pub kind: Option<String>,
    #[sdk(computed)]
    pub state: Option<String>,
    #[sdk(computed)]
    pub domains: Option<BTreeSet<String>>,
    #[sdk(computed)]
    pub not_after: Option<String>,
    #[sdk(computed)]
    pub sha1_fingerprint: Option<String>,
}

/// The `digitalocean_certificate` data source.
pub struct CertificateData;

#[async_trait]
impl DataSource<DigitalOcean> for CertificateData {
    type Model = CertificateDataModel;
    const TYPE: &'static str = "digitalocean_certificate";

    async fn read(&self, cx: &Ctx<'_, DigitalOcean>, config: CertificateDataModel) -> Result<CertificateDataModel, DoError> {
        let Some(c) = cx.provider.api.certificate_by_name_cached(&config.name).await.map_err(DoError::api(&cx.addr))? else {
            return Err(DoError::Invalid { addr: cx.addr.to_string(), message: format!("certificate {:?} not found", config.name) });
        };
        Ok(CertificateDataModel {
            id: s(&c["name"]),
            name: text(&c["name"]),
            uuid: s(&c["id"]),
            kind: s(&c["type"]),
            state: s(&c["state"]),
            domains: Some(dns_names(&c).unwrap_or_default()),
            not_after: s(&c["not_after"]),
            sha1_fingerprint: s(&c["sha1_fingerprint"]),
        })
    }
}
