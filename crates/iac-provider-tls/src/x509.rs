//! Certificates and certificate requests as Go's `crypto/x509` builds and
//! reads them: distinguished names (Go's attribute order and string types,
//! and its `Name.String` form), extensions in Go's order with Go's
//! criticality, and the facts `tls_certificate` reports.

use std::net::IpAddr;

use sha1::Digest as _;

use crate::der::{self, Item, Reader};
use crate::keys::{PrivateKey, PublicKey};
use crate::pem;
use crate::timefmt;

const OID_CN: &[u64] = &[2, 5, 4, 3];
const OID_SERIAL: &[u64] = &[2, 5, 4, 5];
const OID_C: &[u64] = &[2, 5, 4, 6];
const OID_L: &[u64] = &[2, 5, 4, 7];
const OID_ST: &[u64] = &[2, 5, 4, 8];
const OID_STREET: &[u64] = &[2, 5, 4, 9];
const OID_O: &[u64] = &[2, 5, 4, 10];
const OID_OU: &[u64] = &[2, 5, 4, 11];
const OID_POSTAL: &[u64] = &[2, 5, 4, 17];
const OID_EMAIL: &[u64] = &[1, 2, 840, 113549, 1, 9, 1];
const OID_EXT_KEY_USAGE: &[u64] = &[2, 5, 29, 15];
const OID_EXT_EXT_KEY_USAGE: &[u64] = &[2, 5, 29, 37];
const OID_EXT_BASIC_CONSTRAINTS: &[u64] = &[2, 5, 29, 19];
const OID_EXT_SKID: &[u64] = &[2, 5, 29, 14];
const OID_EXT_AKID: &[u64] = &[2, 5, 29, 35];
const OID_EXT_SAN: &[u64] = &[2, 5, 29, 17];
const OID_EXTENSION_REQUEST: &[u64] = &[1, 2, 840, 113549, 1, 9, 14];

/// A distinguished name as Go's `pkix.Name` holds it: the typed fields,
/// and extra attributes (here only `emailAddress`) written after them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Name {
    pub country: Vec<String>,
    pub province: Vec<String>,
    pub locality: Vec<String>,
    pub street_address: Vec<String>,
    pub postal_code: Vec<String>,
    pub organization: Vec<String>,
    pub organizational_unit: Vec<String>,
    pub common_name: String,
    pub serial_number: String,
    pub email_address: Option<String>,
}

impl Name {
    pub fn is_empty(&self) -> bool {
        *self == Name::default()
    }

    /// Go's `ToRDNSequence` order: one RDN per field (several values make a
    /// multi-valued RDN), then the extra attributes, each in its own RDN.
    pub fn to_der(&self) -> Vec<u8> {
        let mut rdns = Vec::new();
        let mut add = |oid: &[u64], values: &[String]| {
            if !values.is_empty() {
                let atvs: Vec<Vec<u8>> = values.iter().map(|v| der::seq(&[der::oid(oid), der::go_string(v)])).collect();
                rdns.push(der::set_of(&atvs));
            }
        };
        add(OID_C, &self.country);
        add(OID_ST, &self.province);
        add(OID_L, &self.locality);
        add(OID_STREET, &self.street_address);
        add(OID_POSTAL, &self.postal_code);
        add(OID_O, &self.organization);
        add(OID_OU, &self.organizational_unit);
        if !self.common_name.is_empty() {
            add(OID_CN, std::slice::from_ref(&self.common_name));
        }
        if !self.serial_number.is_empty() {
            add(OID_SERIAL, std::slice::from_ref(&self.serial_number));
        }
        if let Some(email) = &self.email_address {
            rdns.push(der::set_of(&[der::seq(&[der::oid(OID_EMAIL), der::tlv(der::IA5_STRING, email.as_bytes())])]));
        }
        der::seq(&rdns)
    }
}

/// An attribute value as Go reads it into an `interface{}`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum AttrValue {
    Str(String),
    /// Anything else, as encoded.
    Other(Vec<u8>),
}

type Rdns = Vec<Vec<(Vec<u64>, AttrValue)>>;

/// The RDNs of an encoded Name.
fn parse_rdns(name: Item<'_>) -> Option<Rdns> {
    let mut out = Vec::new();
    let mut r = name.reader();
    while !r.is_empty() {
        let set = r.expect(der::SET)?;
        let mut atvs = Vec::new();
        let mut sr = set.reader();
        while !sr.is_empty() {
            let atv = sr.expect(der::SEQUENCE)?;
            let mut ar = atv.reader();
            let oid = ar.expect(der::OID)?.oid()?;
            let v = ar.next()?;
            let value = match v.tag {
                der::PRINTABLE_STRING | der::UTF8_STRING | der::IA5_STRING | der::NUMERIC_STRING | der::T61_STRING => {
                    AttrValue::Str(String::from_utf8_lossy(v.content).into_owned())
                }
                der::BMP_STRING => {
                    let units: Vec<u16> = v.content.chunks(2).filter(|c| c.len() == 2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect();
                    AttrValue::Str(String::from_utf16_lossy(&units))
                }
                _ => AttrValue::Other(v.raw.to_vec()),
            };
            atvs.push((oid, value));
        }
        out.push(atvs);
    }
    Some(out)
}

/// Go's `FillFromRDNSequence`: string values of the known attributes.
fn fill(rdns: &Rdns) -> Name {
    let mut n = Name::default();
    for (oid, v) in rdns.iter().flatten() {
        let AttrValue::Str(s) = v else { continue };
        if s.is_empty() {
            continue;
        }
        let s = s.clone();
        match oid.as_slice() {
            OID_CN => n.common_name = s,
            OID_SERIAL => n.serial_number = s,
            OID_C => n.country.push(s),
            OID_L => n.locality.push(s),
            OID_ST => n.province.push(s),
            OID_STREET => n.street_address.push(s),
            OID_O => n.organization.push(s),
            OID_OU => n.organizational_unit.push(s),
            OID_POSTAL => n.postal_code.push(s),
            _ => {}
        }
    }
    n
}

/// Go's `pkix.Name.String()` of a parsed name: the known attributes in
/// Go's order, reversed, then the others (as `OID=#hex`), RFC 2253 escaping.
fn name_string(rdns: &Rdns) -> String {
    let known: [&[u64]; 9] = [OID_CN, OID_SERIAL, OID_C, OID_L, OID_ST, OID_STREET, OID_O, OID_OU, OID_POSTAL];
    let mut seq: Rdns = rdns.iter().flatten().filter(|(o, _)| !known.contains(&o.as_slice())).map(|atv| vec![atv.clone()]).collect();
    let n = fill(rdns);
    let mut add = |oid: &[u64], values: &[String]| {
        if !values.is_empty() {
            seq.push(values.iter().map(|v| (oid.to_vec(), AttrValue::Str(v.clone()))).collect());
        }
    };
    add(OID_C, &n.country);
    add(OID_ST, &n.province);
    add(OID_L, &n.locality);
    add(OID_STREET, &n.street_address);
    add(OID_POSTAL, &n.postal_code);
    add(OID_O, &n.organization);
    add(OID_OU, &n.organizational_unit);
    if !n.common_name.is_empty() {
        add(OID_CN, std::slice::from_ref(&n.common_name));
    }
    if !n.serial_number.is_empty() {
        add(OID_SERIAL, std::slice::from_ref(&n.serial_number));
    }
    let type_name = |oid: &[u64]| match oid {
        OID_C => Some("C"),
        OID_O => Some("O"),
        OID_OU => Some("OU"),
        OID_CN => Some("CN"),
        OID_SERIAL => Some("SERIALNUMBER"),
        OID_L => Some("L"),
        OID_ST => Some("ST"),
        OID_STREET => Some("STREET"),
        OID_POSTAL => Some("POSTALCODE"),
        _ => None,
    };
    let mut s = String::new();
    for (i, rdn) in seq.iter().rev().enumerate() {
        if i > 0 {
            s.push(',');
        }
        for (j, (oid, value)) in rdn.iter().enumerate() {
            if j > 0 {
                s.push('+');
            }
            let Some(t) = type_name(oid) else {
                let encoded = match value {
                    AttrValue::Str(v) => der::go_string(v),
                    AttrValue::Other(raw) => raw.clone(),
                };
                s.push_str(&format!("{}=#{}", oid_string(oid), crate::keys::hex(&encoded)));
                continue;
            };
            let AttrValue::Str(v) = value else { continue };
            s.push_str(t);
            s.push('=');
            let chars: Vec<char> = v.chars().collect();
            for (k, c) in chars.iter().enumerate() {
                let escape = match c {
                    ',' | '+' | '"' | '\\' | '<' | '>' | ';' => true,
                    ' ' => k == 0 || k == chars.len() - 1,
                    '#' => k == 0,
                    _ => false,
                };
                if escape {
                    s.push('\\');
                }
                s.push(*c);
            }
        }
    }
    s
}

fn oid_string(arcs: &[u64]) -> String {
    arcs.iter().map(u64::to_string).collect::<Vec<_>>().join(".")
}

/// Key usages (the KeyUsage bit string) by `allowed_uses` name.
const KEY_USAGES: [(&str, u16); 9] = [
    ("digital_signature", 1 << 0),
    ("content_commitment", 1 << 1),
    ("key_encipherment", 1 << 2),
    ("data_encipherment", 1 << 3),
    ("key_agreement", 1 << 4),
    ("cert_signing", 1 << 5),
    ("crl_signing", 1 << 6),
    ("encipher_only", 1 << 7),
    ("decipher_only", 1 << 8),
];

/// Extended key usages by `allowed_uses` name.
const EXT_KEY_USAGES: [(&str, &[u64]); 14] = [
    ("any_extended", &[2, 5, 29, 37, 0]),
    ("server_auth", &[1, 3, 6, 1, 5, 5, 7, 3, 1]),
    ("client_auth", &[1, 3, 6, 1, 5, 5, 7, 3, 2]),
    ("code_signing", &[1, 3, 6, 1, 5, 5, 7, 3, 3]),
    ("email_protection", &[1, 3, 6, 1, 5, 5, 7, 3, 4]),
    ("ipsec_end_system", &[1, 3, 6, 1, 5, 5, 7, 3, 5]),
    ("ipsec_tunnel", &[1, 3, 6, 1, 5, 5, 7, 3, 6]),
    ("ipsec_user", &[1, 3, 6, 1, 5, 5, 7, 3, 7]),
    ("timestamping", &[1, 3, 6, 1, 5, 5, 7, 3, 8]),
    ("ocsp_signing", &[1, 3, 6, 1, 5, 5, 7, 3, 9]),
    ("microsoft_server_gated_crypto", &[1, 3, 6, 1, 4, 1, 311, 10, 3, 3]),
    ("netscape_server_gated_crypto", &[2, 16, 840, 1, 113730, 4, 1]),
    ("microsoft_commercial_code_signing", &[1, 3, 6, 1, 4, 1, 311, 2, 1, 22]),
    ("microsoft_kernel_code_signing", &[1, 3, 6, 1, 4, 1, 311, 61, 1, 1]),
];

/// Every `allowed_uses` value, sorted (the validator's list).
pub fn allowed_use_names() -> Vec<&'static str> {
    let mut v: Vec<&str> = KEY_USAGES.iter().map(|(n, _)| *n).chain(EXT_KEY_USAGES.iter().map(|(n, _)| *n)).collect();
    v.sort();
    v
}

/// Subject alternative names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sans {
    pub dns_names: Vec<String>,
    pub ip_addresses: Vec<IpAddr>,
    pub uris: Vec<String>,
}

impl Sans {
    fn is_empty(&self) -> bool {
        self.dns_names.is_empty() && self.ip_addresses.is_empty() && self.uris.is_empty()
    }

    /// The GeneralNames, DNS names first, then IPs (IPv4 in 4 bytes), URIs.
    fn to_der(&self) -> Vec<u8> {
        let mut names = Vec::new();
        for d in &self.dns_names {
            names.push(der::tlv(der::ctx(2, false), d.as_bytes()));
        }
        for ip in &self.ip_addresses {
            let bytes = match ip {
                IpAddr::V4(v4) => v4.octets().to_vec(),
                IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                    Some(v4) => v4.octets().to_vec(),
                    None => v6.octets().to_vec(),
                },
            };
            names.push(der::tlv(der::ctx(7, false), &bytes));
        }
        for u in &self.uris {
            names.push(der::tlv(der::ctx(6, false), u.as_bytes()));
        }
        der::seq(&names)
    }

    /// Reads GeneralNames (other kinds are skipped).
    fn parse(value: &[u8]) -> Option<Sans> {
        let seq = der::parse(value).filter(|i| i.tag == der::SEQUENCE)?;
        let mut out = Sans::default();
        let mut r = seq.reader();
        while let Some(n) = r.next() {
            match n.tag {
                t if t == der::ctx(2, false) => out.dns_names.push(String::from_utf8_lossy(n.content).into_owned()),
                t if t == der::ctx(7, false) => match n.content.len() {
                    4 => out.ip_addresses.push(IpAddr::from(<[u8; 4]>::try_from(n.content).ok()?)),
                    16 => out.ip_addresses.push(IpAddr::from(<[u8; 16]>::try_from(n.content).ok()?)),
                    _ => return None,
                },
                t if t == der::ctx(6, false) => out.uris.push(String::from_utf8_lossy(n.content).into_owned()),
                _ => {}
            }
        }
        Some(out)
    }
}

/// Parses `ip_addresses` as Go's `net.ParseIP`.
pub fn parse_ips(ips: &[String]) -> Result<Vec<IpAddr>, String> {
    ips.iter().map(|s| s.parse::<IpAddr>().map_err(|_| format!("Invalid IP address: Failed to parse {s:?}"))).collect()
}

fn extension(oid: &[u64], critical: bool, value: &[u8]) -> Vec<u8> {
    let mut items = vec![der::oid(oid)];
    if critical {
        items.push(der::boolean(true));
    }
    items.push(der::octet_string(value));
    der::seq(&items)
}

/// What a new certificate says, beyond its issuer.
pub struct Template {
    pub subject: Name,
    pub sans: Sans,
    pub not_before: i64,
    pub not_after: i64,
    pub serial: [u8; 16],
    pub allowed_uses: Vec<String>,
    pub is_ca: bool,
    /// A `pathLenConstraint`, written only when positive (Go's zero means none).
    pub max_path_length: Option<i64>,
    pub subject_key_id: Option<Vec<u8>>,
    pub authority_key_id: Option<Vec<u8>>,
}

/// The parent of a new certificate: its subject (as encoded) and key id.
pub struct Issuer<'a> {
    pub subject_der: &'a [u8],
    pub subject_key_id: Option<&'a [u8]>,
    pub key: &'a PrivateKey,
}

/// Creates a certificate as Go's `x509.CreateCertificate` does: version 3,
/// the extensions in Go's order (key usage, extended key usage, basic
/// constraints, subject and authority key identifiers, alternative names).
/// Returns its DER.
pub fn create_certificate(t: &Template, public: &PublicKey, issuer: &Issuer<'_>) -> Result<Vec<u8>, String> {
    let subject = t.subject.to_der();
    let mut exts = Vec::new();
    let mut ku: u16 = 0;
    let mut ekus: Vec<&[u64]> = Vec::new();
    for u in &t.allowed_uses {
        if let Some((_, bit)) = KEY_USAGES.iter().find(|(n, _)| n == u) {
            ku |= bit;
        }
        if let Some((_, oid)) = EXT_KEY_USAGES.iter().find(|(n, _)| n == u) {
            ekus.push(oid);
        }
    }
    if ku != 0 {
        let bytes = [(ku as u8).reverse_bits(), ((ku >> 8) as u8).reverse_bits()];
        let used = if bytes[1] != 0 { &bytes[..] } else { &bytes[..1] };
        let last = used[used.len() - 1];
        exts.push(extension(OID_EXT_KEY_USAGE, true, &der::bit_string_unused(used, last.trailing_zeros() as u8)));
    }
    if !ekus.is_empty() {
        exts.push(extension(OID_EXT_EXT_KEY_USAGE, false, &der::seq(&ekus.iter().map(|o| der::oid(o)).collect::<Vec<_>>())));
    }
    let path_len = t.max_path_length.filter(|n| *n > 0);
    if path_len.is_some() && !t.is_ca {
        return Err("x509: only CAs are allowed to specify MaxPathLen".into());
    }
    let mut bc = Vec::new();
    if t.is_ca {
        bc.push(der::boolean(true));
    }
    if let Some(n) = path_len {
        bc.push(der::int(n));
    }
    exts.push(extension(OID_EXT_BASIC_CONSTRAINTS, true, &der::seq(&bc)));
    if let Some(skid) = &t.subject_key_id {
        exts.push(extension(OID_EXT_SKID, false, &der::octet_string(skid)));
    }
    // As Go: a certificate whose issuer differs from its subject names the
    // issuer's key; a self-signed one only when asked.
    let akid = match issuer.subject_key_id {
        Some(id) if issuer.subject_der != subject.as_slice() => Some(id.to_vec()),
        _ => t.authority_key_id.clone(),
    };
    if let Some(akid) = akid {
        exts.push(extension(OID_EXT_AKID, false, &der::seq(&[der::tlv(der::ctx(0, false), &akid)])));
    }
    if !t.sans.is_empty() {
        exts.push(extension(OID_EXT_SAN, t.subject.is_empty(), &t.sans.to_der()));
    }
    let sig_alg = issuer.key.signature_algorithm();
    let tbs = der::seq(&[
        der::explicit(0, &der::int(2)),
        der::uint(&t.serial),
        sig_alg.clone(),
        issuer.subject_der.to_vec(),
        der::seq(&[timefmt::asn1_time(t.not_before), timefmt::asn1_time(t.not_after)]),
        subject,
        public.spki(),
        der::explicit(3, &der::seq(&exts)),
    ]);
    let sig = issuer.key.sign(&tbs)?;
    Ok(der::seq(&[tbs, sig_alg, der::bit_string(&sig)]))
}

/// Creates a certificate request as Go's `x509.CreateCertificateRequest`
/// does: the alternative names, if any, in an extensionRequest attribute.
pub fn create_request(subject: &Name, sans: &Sans, key: &PrivateKey) -> Result<Vec<u8>, String> {
    let mut attrs = Vec::new();
    if !sans.is_empty() {
        let ext = der::seq(&[der::oid(OID_EXT_SAN), der::octet_string(&sans.to_der())]);
        attrs.push(der::seq(&[der::oid(OID_EXTENSION_REQUEST), der::set_of(&[der::seq(&[ext])])]));
    }
    let info = der::seq(&[der::int(0), subject.to_der(), key.public().spki(), der::tlv(der::ctx(0, true), &attrs.concat())]);
    let sig = key.sign(&info)?;
    Ok(der::seq(&[info, key.signature_algorithm(), der::bit_string(&sig)]))
}

/// What a locally signed certificate takes from a request.
pub struct Request {
    pub subject: Name,
    pub sans: Sans,
    pub public: PublicKey,
}

/// Reads a `CERTIFICATE REQUEST` PEM.
pub fn parse_request_pem(text: &str) -> Result<Request, String> {
    let der_bytes = decode_pem_of(text, "CERTIFICATE REQUEST")?;
    let bad = || "failed to parse certificate request: x509: malformed certificate request".to_string();
    let csr = der::parse(&der_bytes).filter(|i| i.tag == der::SEQUENCE).ok_or_else(bad)?;
    let info = csr.reader().expect(der::SEQUENCE).ok_or_else(bad)?;
    let mut r = info.reader();
    r.expect(der::INTEGER).ok_or_else(bad)?;
    let subject = fill(&parse_rdns(r.expect(der::SEQUENCE).ok_or_else(bad)?).ok_or_else(bad)?);
    let spki = r.expect(der::SEQUENCE).ok_or_else(bad)?;
    let public = PublicKey::from_spki(spki.raw).map_err(|e| format!("failed to parse certificate request: {e}"))?;
    let mut sans = Sans::default();
    if let Some(attrs) = r.next_if(der::ctx(0, true)) {
        let mut ar = attrs.reader();
        while let Some(attr) = ar.next() {
            let mut a = attr.reader();
            if a.expect(der::OID).and_then(|o| o.oid()).as_deref() != Some(OID_EXTENSION_REQUEST) {
                continue;
            }
            let set = a.expect(der::SET).ok_or_else(bad)?;
            let mut sr = set.reader();
            while let Some(exts) = sr.next() {
                for (oid, _, value) in parse_extensions(exts).ok_or_else(bad)? {
                    if oid == OID_EXT_SAN {
                        sans = Sans::parse(value).ok_or_else(bad)?;
                    }
                }
            }
        }
    }
    Ok(Request { subject, sans, public })
}

/// An extension: its OID, whether it is critical, its value.
type Extension<'a> = (Vec<u64>, bool, &'a [u8]);

fn parse_extensions<'a>(seq: Item<'a>) -> Option<Vec<Extension<'a>>> {
    let mut out = Vec::new();
    let mut r = seq.reader();
    while !r.is_empty() {
        let ext = r.expect(der::SEQUENCE)?;
        let mut e = ext.reader();
        let oid = e.expect(der::OID)?.oid()?;
        let critical = e.next_if(der::BOOLEAN).is_some_and(|b| b.content.first().is_some_and(|v| *v != 0));
        let value = e.expect(der::OCTET_STRING)?.content;
        out.push((oid, critical, value));
    }
    Some(out)
}

/// The first PEM block, which must be of type `label`.
fn decode_pem_of(text: &str, label: &str) -> Result<Vec<u8>, String> {
    match pem::decode_first(text) {
        None => Err(format!("failed to decode PEM of expected type {label:?} from bytes")),
        Some((got, _)) if got != label => Err(format!("invalid PEM type - expected {label:?}, got {got:?}")),
        Some((_, der_bytes)) => Ok(der_bytes),
    }
}

/// A parsed certificate: the facts upstream reports about one.
#[derive(Debug, Clone)]
pub struct Certificate {
    pub der: Vec<u8>,
    pub subject_der: Vec<u8>,
    pub subject_key_id: Option<Vec<u8>>,
    pub is_ca: bool,
    /// Go's `MaxPathLen`: -1 for basic constraints without a limit, 0
    /// without basic constraints.
    pub max_path_length: i64,
    pub version: i64,
    pub serial_decimal: String,
    pub signature_algorithm: String,
    pub public_key_algorithm: String,
    pub issuer: String,
    pub subject: String,
    pub not_before: i64,
    pub not_after: i64,
}

impl Certificate {
    /// Reads a certificate's DER.
    pub fn parse(der_bytes: &[u8]) -> Result<Certificate, String> {
        let bad = |what: &str| format!("x509: malformed certificate ({what})");
        let cert = der::parse(der_bytes).filter(|i| i.tag == der::SEQUENCE).ok_or_else(|| bad("structure"))?;
        let mut cr = cert.reader();
        let tbs = cr.expect(der::SEQUENCE).ok_or_else(|| bad("tbs"))?;
        let outer_alg = cr.expect(der::SEQUENCE).ok_or_else(|| bad("signature algorithm"))?;
        let mut r = tbs.reader();
        let version = match r.next_if(der::ctx(0, true)) {
            Some(v) => der::parse(v.content).and_then(|i| i.int()).ok_or_else(|| bad("version"))? + 1,
            None => 1,
        };
        let serial = r.expect(der::INTEGER).ok_or_else(|| bad("serial number"))?;
        r.expect(der::SEQUENCE).ok_or_else(|| bad("signature"))?;
        let issuer = r.expect(der::SEQUENCE).ok_or_else(|| bad("issuer"))?;
        let validity = r.expect(der::SEQUENCE).ok_or_else(|| bad("validity"))?;
        let subject = r.expect(der::SEQUENCE).ok_or_else(|| bad("subject"))?;
        let spki = r.expect(der::SEQUENCE).ok_or_else(|| bad("public key"))?;
        let mut vr = validity.reader();
        let time = |vr: &mut Reader<'_>| vr.next().and_then(|t| timefmt::parse_asn1_time(t.tag, t.content)).ok_or_else(|| bad("validity"));
        let not_before = time(&mut vr)?;
        let not_after = time(&mut vr)?;
        let (mut is_ca, mut max_path_length, mut subject_key_id) = (false, 0, None);
        while let Some(item) = r.next() {
            if item.tag != der::ctx(3, true) {
                continue;
            }
            let exts = der::parse(item.content).ok_or_else(|| bad("extensions"))?;
            for (oid, _, value) in parse_extensions(exts).ok_or_else(|| bad("extensions"))? {
                if oid == OID_EXT_BASIC_CONSTRAINTS {
                    let seq = der::parse(value).filter(|i| i.tag == der::SEQUENCE).ok_or_else(|| bad("basic constraints"))?;
                    let mut b = seq.reader();
                    is_ca = b.next_if(der::BOOLEAN).is_some_and(|v| v.content.first().is_some_and(|x| *x != 0));
                    max_path_length = b.next_if(der::INTEGER).and_then(|i| i.int()).unwrap_or(-1);
                } else if oid == OID_EXT_SKID {
                    subject_key_id = der::parse(value).filter(|i| i.tag == der::OCTET_STRING).map(|i| i.content.to_vec());
                }
            }
        }
        let alg_oid = outer_alg.reader().expect(der::OID).and_then(|o| o.oid()).unwrap_or_default();
        let pk_oid = spki.reader().expect(der::SEQUENCE).and_then(|a| a.reader().expect(der::OID)).and_then(|o| o.oid()).unwrap_or_default();
        Ok(Certificate {
            der: der_bytes.to_vec(),
            subject_der: subject.raw.to_vec(),
            subject_key_id,
            is_ca,
            max_path_length,
            version,
            serial_decimal: decimal(serial.content),
            signature_algorithm: signature_algorithm_name(&alg_oid, outer_alg),
            public_key_algorithm: match pk_oid.as_slice() {
                [1, 2, 840, 113549, 1, 1, 1] => "RSA",
                [1, 2, 840, 10040, 4, 1] => "DSA",
                [1, 2, 840, 10045, 2, 1] => "ECDSA",
                [1, 3, 101, 112] => "Ed25519",
                _ => "0",
            }
            .to_string(),
            issuer: parse_rdns(issuer).map(|r| name_string(&r)).unwrap_or_default(),
            subject: parse_rdns(subject).map(|r| name_string(&r)).unwrap_or_default(),
            not_before,
            not_after,
        })
    }

    /// The first block of `text`, which must be a `CERTIFICATE`.
    pub fn parse_pem(text: &str) -> Result<Certificate, String> {
        let der_bytes = decode_pem_of(text, "CERTIFICATE")?;
        Certificate::parse(&der_bytes).map_err(|e| format!("failed to parse certificate: {e}"))
    }

    /// Hex SHA-1 of the DER (the OIDC thumbprint EKS stacks use).
    pub fn sha1_fingerprint(&self) -> String {
        crate::keys::hex(&sha1::Sha1::digest(&self.der))
    }

    pub fn pem(&self) -> String {
        pem::encode("CERTIFICATE", &self.der)
    }
}

/// Go's `SignatureAlgorithm.String()` for an AlgorithmIdentifier.
fn signature_algorithm_name(oid: &[u64], alg: Item<'_>) -> String {
    let name = match oid {
        [1, 2, 840, 113549, 1, 1, 2] => "MD2-RSA",
        [1, 2, 840, 113549, 1, 1, 4] => "MD5-RSA",
        [1, 2, 840, 113549, 1, 1, 5] | [1, 3, 14, 3, 2, 29] => "SHA1-RSA",
        [1, 2, 840, 113549, 1, 1, 11] => "SHA256-RSA",
        [1, 2, 840, 113549, 1, 1, 12] => "SHA384-RSA",
        [1, 2, 840, 113549, 1, 1, 13] => "SHA512-RSA",
        [1, 2, 840, 10040, 4, 3] => "DSA-SHA1",
        [2, 16, 840, 1, 101, 3, 4, 3, 2] => "DSA-SHA256",
        [1, 2, 840, 10045, 4, 1] => "ECDSA-SHA1",
        [1, 2, 840, 10045, 4, 3, 2] => "ECDSA-SHA256",
        [1, 2, 840, 10045, 4, 3, 3] => "ECDSA-SHA384",
        [1, 2, 840, 10045, 4, 3, 4] => "ECDSA-SHA512",
        [1, 3, 101, 112] => "Ed25519",
        [1, 2, 840, 113549, 1, 1, 10] => {
            // RSASSA-PSS: the hash is named in the parameters.
            let sha = |n: u64| {
                let hash = der::oid(&[2, 16, 840, 1, 101, 3, 4, 2, n]);
                alg.content.windows(hash.len()).any(|w| w == hash.as_slice())
            };
            if sha(1) {
                "SHA256-RSAPSS"
            } else if sha(2) {
                "SHA384-RSAPSS"
            } else if sha(3) {
                "SHA512-RSAPSS"
            } else {
                "0"
            }
        }
        _ => "0",
    };
    name.to_string()
}

/// The decimal form of a (non-negative) INTEGER's content.
fn decimal(content: &[u8]) -> String {
    let mut digits: Vec<u8> = vec![0];
    for &byte in content {
        let mut carry = u32::from(byte);
        for d in digits.iter_mut() {
            let v = u32::from(*d) * 256 + carry;
            *d = (v % 10) as u8;
            carry = v / 10;
        }
        while carry > 0 {
            digits.push((carry % 10) as u8);
            carry /= 10;
        }
    }
    while digits.len() > 1 && digits.last() == Some(&0) {
        digits.pop();
    }
    digits.iter().rev().map(|d| char::from(b'0' + d)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_print_as_go() {
        let n = Name {
            common_name: "example.com".into(),
            organization: vec!["ACME Examples, Inc".into()],
            country: vec!["US".into()],
            email_address: Some("admin@example.com".into()),
            ..Name::default()
        };
        let der_bytes = n.to_der();
        let rdns = parse_rdns(der::parse(&der_bytes).expect("a name")).expect("RDNs");
        assert_eq!(name_string(&rdns), "CN=example.com,O=ACME Examples\\, Inc,C=US,1.2.840.113549.1.9.1=#0c1161646d696e406578616d706c652e636f6d");
        assert_eq!(fill(&rdns), Name { email_address: None, ..n }, "parsing keeps the known attributes only");
    }

    #[test]
    fn decimal_serials() {
        assert_eq!(decimal(&[0]), "0");
        assert_eq!(decimal(&[1, 0]), "256");
        assert_eq!(decimal(&[0xff; 16]), "340282366920938463463374607431768211455");
    }
}
