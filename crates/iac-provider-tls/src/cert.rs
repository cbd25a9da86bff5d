//! `tls_self_signed_cert`, `tls_cert_request` and `tls_locally_signed_cert`:
//! created once and kept in state. A certificate is "gone" once it is
//! within `early_renewal_hours` of its end (`ready_for_renewal`), and the
//! next plan replaces it, as upstream; `early_renewal_hours` changes in
//! place, every other argument replaces.

use iac_provider_sdk::prelude::*;
use iac_provider_sdk::AttrPath;
use rand_core::{OsRng, RngCore};

use crate::keys::{self, PublicKey};
use crate::timefmt;
use crate::x509::{self, Issuer, Name, Sans, Template};
use crate::{Error, Tls};

/// The `subject` block.
#[derive(Model, Debug, Clone, Default)]
pub struct SubjectModel {
    /// Distinguished name: `O`
    #[sdk(optional, force_new)]
    organization: Option<String>,
    /// Distinguished name: `CN`
    #[sdk(optional, force_new)]
    common_name: Option<String>,
    /// Distinguished name: `OU`
    #[sdk(optional, force_new)]
    organizational_unit: Option<String>,
    /// Distinguished name: `STREET`
    #[sdk(optional, force_new)]
    street_address: Option<Vec<String>>,
    /// Distinguished name: `L`
    #[sdk(optional, force_new)]
    locality: Option<String>,
    /// Distinguished name: `ST`
    #[sdk(optional, force_new)]
    province: Option<String>,
    /// Distinguished name: `C`
    #[sdk(optional, force_new)]
    country: Option<String>,
    /// Distinguished name: `PC`
    #[sdk(optional, force_new)]
    postal_code: Option<String>,
    /// Distinguished name: `SERIALNUMBER`
    #[sdk(optional, force_new)]
    serial_number: Option<String>,
    /// ASN.1 Object Identifier (OID): `1.2.840.113549.1.9.1`
    #[sdk(optional, force_new)]
    email_address: Option<String>,
}

impl SubjectModel {
    /// The name upstream builds: every attribute the block sets (an empty
    /// string too, except for the common name and serial number).
    fn to_name(&self) -> Name {
        let one = |v: &Option<String>| v.iter().cloned().collect::<Vec<_>>();
        Name {
            country: one(&self.country),
            province: one(&self.province),
            locality: one(&self.locality),
            street_address: self.street_address.clone().unwrap_or_default(),
            postal_code: one(&self.postal_code),
            organization: one(&self.organization),
            organizational_unit: one(&self.organizational_unit),
            common_name: self.common_name.clone().unwrap_or_default(),
            serial_number: self.serial_number.clone().unwrap_or_default(),
            email_address: self.email_address.clone(),
        }
    }
}

fn subject_name(subject: &[SubjectModel]) -> Name {
    subject.first().map(SubjectModel::to_name).unwrap_or_default()
}

fn sans(dns: &Option<Vec<String>>, ips: &Option<Vec<String>>, uris: &Option<Vec<String>>) -> Result<Sans, Error> {
    Ok(Sans {
        dns_names: dns.clone().unwrap_or_default(),
        ip_addresses: x509::parse_ips(&ips.clone().unwrap_or_default()).map_err(Error::Invalid)?,
        uris: uris.clone().unwrap_or_default(),
    })
}

/// The checks upstream's validators make on the arguments the
/// certificate types share.
fn validate_common(config: &Value) -> Vec<(AttrPath, String)> {
    let mut out = Vec::new();
    let number = |k: &str| config.get(k).and_then(|v| if let Value::Number(n) = v.unmarked() { Some(n.to_f64()) } else { None });
    for (k, min) in [("validity_period_hours", 0.0), ("early_renewal_hours", 0.0), ("max_path_length", -1.0)] {
        if let Some(n) = number(k) {
            if n < min {
                out.push((AttrPath::attr(k), format!("value must be at least {min}, got: {n}")));
            }
        }
    }
    let names = x509::allowed_use_names();
    if let Some(uses) = config.get("allowed_uses").and_then(Value::as_list) {
        for u in uses.iter().filter_map(Value::as_str) {
            if !names.contains(&u) {
                out.push((AttrPath::attr("allowed_uses"), format!("value must be one of: [\"{}\"], got: {u:?}", names.join("\" \""))));
            }
        }
    }
    for k in ["ip_addresses", "uris"] {
        if config.get(k).and_then(Value::as_list).is_some_and(|l| l.iter().any(|v| v.as_str() == Some(""))) {
            out.push((AttrPath::attr(k), "string length must be at least 1".into()));
        }
    }
    out
}

fn number(v: Option<&Value>) -> Option<i64> {
    match v.map(Value::unmarked) {
        Some(Value::Number(n)) => Some(n.to_f64() as i64),
        _ => None,
    }
}

/// `ready_for_renewal` as upstream plans it: true when the validity is zero
/// or the early renewal period covers all of it.
fn renewal_from_durations(validity_hours: Option<i64>, early_hours: Option<i64>) -> bool {
    // An unknown validity counts as zero, as the framework reads it.
    let validity = validity_hours.unwrap_or(0);
    validity == 0 || early_hours.is_some_and(|e| e >= validity)
}

/// Whether a certificate ending at `end` (RFC 3339) is within its early
/// renewal period now.
fn due(end: &str, early_hours: i64) -> Result<bool, Error> {
    let end = timefmt::parse_rfc3339(end).ok_or_else(|| Error::Invalid(format!("Failed to parse data from string: {end}")))?;
    Ok(timefmt::now().0 >= end - early_hours * 3600)
}

/// The planning all certificates share: `ready_for_renewal`, and a
/// replacement once the certificate is due for renewal.
fn plan_renewal(planned: &mut Value, replace: &mut Vec<AttrPath>) -> Result<(), Error> {
    let Value::Map(m) = planned else { return Ok(()) };
    let validity = number(m.get("validity_period_hours"));
    let early = number(m.get("early_renewal_hours"));
    m.insert("ready_for_renewal".into(), Value::Bool(renewal_from_durations(validity, early)));
    if let Some(end) = m.get("validity_end_time").and_then(Value::as_str) {
        if due(end, early.unwrap_or(0))? {
            tracing::info!("Certificate is ready for early renewal");
            m.insert("ready_for_renewal".into(), Value::Unknown);
            replace.push(AttrPath::attr("ready_for_renewal"));
        }
    }
    Ok(())
}

/// What a read reports: a certificate due for renewal says so.
fn read_renewal(end: &Option<String>, early: Option<i64>, ready: &mut Option<bool>) -> Result<(), Error> {
    if let Some(end) = end {
        if due(end, early.unwrap_or(0))? {
            *ready = Some(true);
        }
    }
    Ok(())
}

/// What creating a certificate yields.
struct Issued {
    id: String,
    cert_pem: String,
    start: String,
    end: String,
}

/// The arguments of a new certificate that the configuration gives.
struct CertArgs<'a> {
    validity_period_hours: i64,
    allowed_uses: &'a [String],
    is_ca: bool,
    max_path_length: Option<i64>,
    set_subject_key_id: bool,
    set_authority_key_id: bool,
}

/// Issues a certificate for `subject`/`public`, signed by `issuer` (the
/// certificate itself when `issuer` is None).
fn issue(
    subject: Name,
    sans: Sans,
    public: &PublicKey,
    args: &CertArgs<'_>,
    key: &keys::PrivateKey,
    issuer: Option<&x509::Certificate>,
) -> Result<Issued, Error> {
    let (now, nanos) = timefmt::now();
    let end = now + args.validity_period_hours * 3600;
    let mut serial = [0u8; 16];
    OsRng.fill_bytes(&mut serial);
    if args.is_ca && subject.is_empty() {
        return Err(Error::Invalid(
            "Invalid Certificate Subject: Must contain at least one Distinguished Name when creating Certificate Authority (CA)".into(),
        ));
    }
    let subject_key_id = (args.is_ca || args.set_subject_key_id).then(|| public.subject_key_id());
    let authority_key_id = if args.set_authority_key_id {
        // Self-signed: the authority is the certificate itself.
        match &subject_key_id {
            Some(id) => Some(id.clone()),
            None => return Err(Error::Invalid("Invalid Certificate Authority: Could not determine Authority Key Identifier".into())),
        }
    } else {
        None
    };
    let template = Template {
        subject,
        sans,
        not_before: now,
        not_after: end,
        serial,
        allowed_uses: args.allowed_uses.to_vec(),
        is_ca: args.is_ca,
        max_path_length: args.max_path_length,
        subject_key_id,
        authority_key_id,
    };
    let self_subject;
    let parent = match issuer {
        Some(ca) => Issuer { subject_der: &ca.subject_der, subject_key_id: ca.subject_key_id.as_deref(), key },
        None => {
            self_subject = template.subject.to_der();
            Issuer { subject_der: &self_subject, subject_key_id: template.subject_key_id.as_deref(), key }
        }
    };
    let der_bytes = x509::create_certificate(&template, public, &parent).map_err(|e| Error::Invalid(format!("Failed to create certificate: {e}")))?;
    Ok(Issued {
        id: x509::Certificate::parse(&der_bytes).map(|c| c.serial_decimal).map_err(Error::Invalid)?,
        cert_pem: crate::pem::encode("CERTIFICATE", &der_bytes),
        start: timefmt::rfc3339_nano(now, nanos),
        end: timefmt::rfc3339_nano(end, nanos),
    })
}

fn parse_key(pem: &str, what: &str) -> Result<keys::PrivateKey, Error> {
    keys::parse_private_pem(pem).map_err(|e| Error::Invalid(format!("Failed to parse {what}private key PEM: {e}")))
}

/// `tls_self_signed_cert`'s attributes.
#[derive(Model, Debug, Clone, Default)]
pub struct SelfSignedCertModel {
    /// Private key in PEM (RFC 1421) format, that the certificate will belong to.
    #[sdk(required, sensitive, force_new)]
    private_key_pem: String,
    /// Number of hours, after initial issuing, that the certificate will remain valid for.
    #[sdk(required, force_new)]
    validity_period_hours: i64,
    /// List of key usages allowed for the issued certificate (RFC 5280 key usages and extended key usages).
    #[sdk(required, force_new)]
    allowed_uses: Vec<String>,
    /// List of DNS names for which a certificate is being requested (i.e. certificate subjects).
    #[sdk(optional, force_new)]
    dns_names: Option<Vec<String>>,
    /// List of IP addresses for which a certificate is being requested (i.e. certificate subjects).
    #[sdk(optional, force_new)]
    ip_addresses: Option<Vec<String>>,
    /// List of URIs for which a certificate is being requested (i.e. certificate subjects).
    #[sdk(optional, force_new)]
    uris: Option<Vec<String>>,
    /// The resource will consider the certificate to have expired the given number of hours before its actual expiry time (default: `0`).
    #[sdk(optional, computed, default = 0i64)]
    early_renewal_hours: Option<i64>,
    /// Is the generated certificate representing a Certificate Authority (CA) (default: `false`).
    #[sdk(optional, computed, force_new, default = false)]
    is_ca_certificate: Option<bool>,
    /// Maximum number of intermediate certificates that may follow this certificate in a valid certification path.
    #[sdk(optional, computed, force_new)]
    max_path_length: Option<i64>,
    /// Should the generated certificate include a subject key identifier (default: `false`).
    #[sdk(optional, computed, force_new, default = false)]
    set_subject_key_id: Option<bool>,
    /// Should the generated certificate include an authority key identifier (default: `false`).
    #[sdk(optional, computed, force_new, default = false)]
    set_authority_key_id: Option<bool>,
    /// The subject for which a certificate is being requested.
    #[sdk(block, force_new, max_items = 1)]
    subject: Vec<SubjectModel>,
    /// Certificate data in PEM (RFC 1421) format.
    #[sdk(computed)]
    cert_pem: Option<String>,
    /// Is the certificate either expired (i.e. beyond the `validity_period_hours`) or ready for an early renewal (i.e. within the `early_renewal_hours`)?
    #[sdk(computed)]
    ready_for_renewal: Option<bool>,
    /// The time after which the certificate is valid, expressed as an RFC3339 timestamp.
    #[sdk(computed)]
    validity_start_time: Option<String>,
    /// The time until which the certificate is invalid, expressed as an RFC3339 timestamp.
    #[sdk(computed)]
    validity_end_time: Option<String>,
    /// Name of the algorithm used when generating the private key provided in `private_key_pem`.
    #[sdk(computed)]
    key_algorithm: Option<String>,
    /// Unique identifier for this resource: the certificate serial number.
    #[sdk(computed)]
    id: Option<String>,
}

/// The `tls_self_signed_cert` resource type.
pub struct SelfSignedCert;

#[async_trait]
impl Resource<Tls> for SelfSignedCert {
    type Model = SelfSignedCertModel;
    const TYPE: &'static str = "tls_self_signed_cert";

    fn validate(&self, config: &Value) -> Vec<(AttrPath, String)> {
        validate_common(config)
    }

    async fn modify_plan(&self, _cx: &Ctx<'_, Tls>, _prior: Option<&Value>, planned: &mut Value, replace: &mut Vec<AttrPath>) -> Result<(), Error> {
        plan_renewal(planned, replace)
    }

    async fn create(&self, _cx: &Ctx<'_, Tls>, mut m: SelfSignedCertModel) -> Result<SelfSignedCertModel, Error> {
        let key = parse_key(&m.private_key_pem, "")?;
        let args = OwnedArgs {
            validity_period_hours: m.validity_period_hours,
            allowed_uses: m.allowed_uses.clone(),
            is_ca: m.is_ca_certificate.unwrap_or(false),
            max_path_length: m.max_path_length,
            set_subject_key_id: m.set_subject_key_id.unwrap_or(false),
            set_authority_key_id: m.set_authority_key_id.unwrap_or(false),
        };
        let sans = sans(&m.dns_names, &m.ip_addresses, &m.uris)?;
        let subject = subject_name(&m.subject);
        let k = key.clone();
        let issued = tokio::task::spawn_blocking(move || issue(subject, sans, &k.public(), &args.borrow(), &k, None))
            .await
            .map_err(|e| Error::Invalid(e.to_string()))??;
        m.key_algorithm = Some(key.algorithm().as_str().into());
        m.early_renewal_hours.get_or_insert(0);
        m.is_ca_certificate.get_or_insert(false);
        m.set_subject_key_id.get_or_insert(false);
        m.set_authority_key_id.get_or_insert(false);
        m.ready_for_renewal.get_or_insert_with(|| renewal_from_durations(Some(m.validity_period_hours), m.early_renewal_hours));
        m.id = Some(issued.id);
        m.cert_pem = Some(issued.cert_pem);
        m.validity_start_time = Some(issued.start);
        m.validity_end_time = Some(issued.end);
        Ok(m)
    }

    async fn read(&self, _cx: &Ctx<'_, Tls>, mut m: SelfSignedCertModel) -> Result<Option<SelfSignedCertModel>, Error> {
        read_renewal(&m.validity_end_time, m.early_renewal_hours, &mut m.ready_for_renewal)?;
        Ok(Some(m))
    }

    async fn delete(&self, _cx: &Ctx<'_, Tls>, _prior: SelfSignedCertModel) -> Result<(), Error> {
        Ok(())
    }

    /// As upstream: the certificate lives only in state.
    async fn import(&self, _cx: &Ctx<'_, Tls>, _id: &str) -> Result<Option<SelfSignedCertModel>, Error> {
        Err(Error::Invalid("tls_self_signed_cert does not support import".into()))
    }
}

/// Owned certificate arguments, to move onto a blocking thread.
struct OwnedArgs {
    validity_period_hours: i64,
    allowed_uses: Vec<String>,
    is_ca: bool,
    max_path_length: Option<i64>,
    set_subject_key_id: bool,
    set_authority_key_id: bool,
}

impl OwnedArgs {
    fn borrow(&self) -> CertArgs<'_> {
        CertArgs {
            validity_period_hours: self.validity_period_hours,
            allowed_uses: &self.allowed_uses,
            is_ca: self.is_ca,
            max_path_length: self.max_path_length,
            set_subject_key_id: self.set_subject_key_id,
            set_authority_key_id: self.set_authority_key_id,
        }
    }
}

/// `tls_cert_request`'s attributes.
#[derive(Model, Debug, Clone, Default)]
pub struct CertRequestModel {
    /// Private key in PEM (RFC 1421) format, that the certificate will belong to.
    #[sdk(required, sensitive, force_new)]
    private_key_pem: String,
    /// List of DNS names for which a certificate is being requested (i.e. certificate subjects).
    #[sdk(optional, force_new)]
    dns_names: Option<Vec<String>>,
    /// List of IP addresses for which a certificate is being requested (i.e. certificate subjects).
    #[sdk(optional, force_new)]
    ip_addresses: Option<Vec<String>>,
    /// List of URIs for which a certificate is being requested (i.e. certificate subjects).
    #[sdk(optional, force_new)]
    uris: Option<Vec<String>>,
    /// The subject for which a certificate is being requested.
    #[sdk(block, force_new, max_items = 1)]
    subject: Vec<SubjectModel>,
    /// Name of the algorithm used when generating the private key provided in `private_key_pem`.
    #[sdk(computed)]
    key_algorithm: Option<String>,
    /// The certificate request data in PEM (RFC 1421) format.
    #[sdk(computed)]
    cert_request_pem: Option<String>,
    /// Unique identifier for this resource: hexadecimal representation of the SHA1 checksum of the resource.
    #[sdk(computed)]
    id: Option<String>,
}

/// The `tls_cert_request` resource type.
pub struct CertRequest;

#[async_trait]
impl Resource<Tls> for CertRequest {
    type Model = CertRequestModel;
    const TYPE: &'static str = "tls_cert_request";

    fn validate(&self, config: &Value) -> Vec<(AttrPath, String)> {
        validate_common(config)
    }

    async fn create(&self, _cx: &Ctx<'_, Tls>, mut m: CertRequestModel) -> Result<CertRequestModel, Error> {
        let key = parse_key(&m.private_key_pem, "")?;
        let sans = sans(&m.dns_names, &m.ip_addresses, &m.uris)?;
        let subject = subject_name(&m.subject);
        let k = key.clone();
        let der_bytes = tokio::task::spawn_blocking(move || x509::create_request(&subject, &sans, &k))
            .await
            .map_err(|e| Error::Invalid(e.to_string()))?
            .map_err(|e| Error::Invalid(format!("Error creating certificate request: {e}")))?;
        m.key_algorithm = Some(key.algorithm().as_str().into());
        m.cert_request_pem = Some(crate::pem::encode("CERTIFICATE REQUEST", &der_bytes));
        m.id = Some(keys::hash_for_state(&der_bytes));
        Ok(m)
    }

    async fn read(&self, _cx: &Ctx<'_, Tls>, current: CertRequestModel) -> Result<Option<CertRequestModel>, Error> {
        Ok(Some(current))
    }

    async fn delete(&self, _cx: &Ctx<'_, Tls>, _prior: CertRequestModel) -> Result<(), Error> {
        Ok(())
    }

    /// As upstream: the request lives only in state.
    async fn import(&self, _cx: &Ctx<'_, Tls>, _id: &str) -> Result<Option<CertRequestModel>, Error> {
        Err(Error::Invalid("tls_cert_request does not support import".into()))
    }
}

/// `tls_locally_signed_cert`'s attributes.
#[derive(Model, Debug, Clone, Default)]
pub struct LocallySignedCertModel {
    /// Certificate data of the Certificate Authority (CA) in PEM (RFC 1421) format.
    #[sdk(required, force_new)]
    ca_cert_pem: String,
    /// Private key of the Certificate Authority (CA) used to sign the certificate, in PEM (RFC 1421) format.
    #[sdk(required, sensitive, force_new)]
    ca_private_key_pem: String,
    /// Certificate request data in PEM (RFC 1421) format.
    #[sdk(required, force_new)]
    cert_request_pem: String,
    /// Number of hours, after initial issuing, that the certificate will remain valid for.
    #[sdk(required, force_new)]
    validity_period_hours: i64,
    /// List of key usages allowed for the issued certificate (RFC 5280 key usages and extended key usages).
    #[sdk(required, force_new)]
    allowed_uses: Vec<String>,
    /// Is the generated certificate representing a Certificate Authority (CA) (default: `false`).
    #[sdk(optional, computed, force_new, default = false)]
    is_ca_certificate: Option<bool>,
    /// Maximum number of intermediate certificates that may follow this certificate in a valid certification path.
    #[sdk(optional, computed, force_new)]
    max_path_length: Option<i64>,
    /// The resource will consider the certificate to have expired the given number of hours before its actual expiry time (default: `0`).
    #[sdk(optional, computed, default = 0i64)]
    early_renewal_hours: Option<i64>,
    /// Should the generated certificate include a subject key identifier (default: `false`).
    #[sdk(optional, computed, force_new, default = false)]
    set_subject_key_id: Option<bool>,
    /// Certificate data in PEM (RFC 1421) format.
    #[sdk(computed)]
    cert_pem: Option<String>,
    /// Is the certificate either expired (i.e. beyond the `validity_period_hours`) or ready for an early renewal (i.e. within the `early_renewal_hours`)?
    #[sdk(computed)]
    ready_for_renewal: Option<bool>,
    /// The time after which the certificate is valid, expressed as an RFC3339 timestamp.
    #[sdk(computed)]
    validity_start_time: Option<String>,
    /// The time until which the certificate is invalid, expressed as an RFC3339 timestamp.
    #[sdk(computed)]
    validity_end_time: Option<String>,
    /// Name of the algorithm used when generating the private key provided in `ca_private_key_pem`.
    #[sdk(computed)]
    ca_key_algorithm: Option<String>,
    /// Unique identifier for this resource: the certificate serial number.
    #[sdk(computed)]
    id: Option<String>,
}

/// The `tls_locally_signed_cert` resource type.
pub struct LocallySignedCert;

#[async_trait]
impl Resource<Tls> for LocallySignedCert {
    type Model = LocallySignedCertModel;
    const TYPE: &'static str = "tls_locally_signed_cert";

    fn validate(&self, config: &Value) -> Vec<(AttrPath, String)> {
        validate_common(config)
    }

    async fn modify_plan(&self, _cx: &Ctx<'_, Tls>, _prior: Option<&Value>, planned: &mut Value, replace: &mut Vec<AttrPath>) -> Result<(), Error> {
        plan_renewal(planned, replace)
    }

    async fn create(&self, _cx: &Ctx<'_, Tls>, mut m: LocallySignedCertModel) -> Result<LocallySignedCertModel, Error> {
        let request = x509::parse_request_pem(&m.cert_request_pem).map_err(|e| Error::Invalid(format!("Failed to parse certificate request PEM: {e}")))?;
        let ca_key = parse_key(&m.ca_private_key_pem, "CA ")?;
        let ca = x509::Certificate::parse_pem(&m.ca_cert_pem).map_err(|e| Error::Invalid(format!("Failed to parse CA certificate PEM: {e}")))?;
        if !ca.is_ca {
            tracing::warn!(
                "Potentially Invalid Certificate Authority: Certificate provided as Authority does not appear to be a valid Certificate Authority. The resulting certificate might fail certificate validation."
            );
        }
        let args = OwnedArgs {
            validity_period_hours: m.validity_period_hours,
            allowed_uses: m.allowed_uses.clone(),
            is_ca: m.is_ca_certificate.unwrap_or(false),
            max_path_length: m.max_path_length,
            set_subject_key_id: m.set_subject_key_id.unwrap_or(false),
            set_authority_key_id: false,
        };
        let k = ca_key.clone();
        let issued = tokio::task::spawn_blocking(move || issue(request.subject, request.sans, &request.public, &args.borrow(), &k, Some(&ca)))
            .await
            .map_err(|e| Error::Invalid(e.to_string()))??;
        m.ca_key_algorithm = Some(ca_key.algorithm().as_str().into());
        m.early_renewal_hours.get_or_insert(0);
        m.is_ca_certificate.get_or_insert(false);
        m.set_subject_key_id.get_or_insert(false);
        m.ready_for_renewal.get_or_insert_with(|| renewal_from_durations(Some(m.validity_period_hours), m.early_renewal_hours));
        m.id = Some(issued.id);
        m.cert_pem = Some(issued.cert_pem);
        m.validity_start_time = Some(issued.start);
        m.validity_end_time = Some(issued.end);
        Ok(m)
    }

    async fn read(&self, _cx: &Ctx<'_, Tls>, mut m: LocallySignedCertModel) -> Result<Option<LocallySignedCertModel>, Error> {
        read_renewal(&m.validity_end_time, m.early_renewal_hours, &mut m.ready_for_renewal)?;
        Ok(Some(m))
    }

    async fn delete(&self, _cx: &Ctx<'_, Tls>, _prior: LocallySignedCertModel) -> Result<(), Error> {
        Ok(())
    }

    /// As upstream: the certificate lives only in state.
    async fn import(&self, _cx: &Ctx<'_, Tls>, _id: &str) -> Result<Option<LocallySignedCertModel>, Error> {
        Err(Error::Invalid("tls_locally_signed_cert does not support import".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renewal_rules_are_upstreams() {
        assert!(renewal_from_durations(Some(0), Some(0)), "a zero validity is always due");
        assert!(renewal_from_durations(Some(10), Some(10)), "early renewal covering all of it");
        assert!(!renewal_from_durations(Some(10), Some(3)));
        assert!(due("2000-01-01T00:00:00Z", 0).expect("parses"));
        assert!(!due("2999-01-01T00:00:00Z", 3).expect("parses"));
        assert!(due("2999-01-01T00:00:00Z", 24 * 365 * 2000).expect("parses"), "early renewal reaching back to now");
    }
}
