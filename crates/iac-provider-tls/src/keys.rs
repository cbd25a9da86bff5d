//! Private and public keys: generation, the encodings the upstream plugin
//! stores (PKCS#1, SEC 1 and PKCS#8 PEM, OpenSSH private keys, PKIX public
//! keys, `authorized_keys` lines and their fingerprints, byte for byte as
//! Go writes them), parsing what users hand in, and signing.

use base64::Engine as _;
use md5::Digest as _;
use p256::ecdsa::signature::hazmat::PrehashSigner;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use rand_core::{OsRng, RngCore};

use crate::der;
use crate::pem;

const OID_RSA: &[u64] = &[1, 2, 840, 113549, 1, 1, 1];
const OID_EC: &[u64] = &[1, 2, 840, 10045, 2, 1];
const OID_ED25519: &[u64] = &[1, 3, 101, 112];
const OID_SHA256_RSA: &[u64] = &[1, 2, 840, 113549, 1, 1, 11];
const OID_ECDSA_SHA256: &[u64] = &[1, 2, 840, 10045, 4, 3, 2];
const OID_ECDSA_SHA384: &[u64] = &[1, 2, 840, 10045, 4, 3, 3];
const OID_ECDSA_SHA512: &[u64] = &[1, 2, 840, 10045, 4, 3, 4];

/// A key algorithm, as the `algorithm` arguments name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    Rsa,
    Ecdsa,
    Ed25519,
}

impl Algorithm {
    pub const NAMES: [&'static str; 3] = ["RSA", "ECDSA", "ED25519"];

    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Rsa => "RSA",
            Algorithm::Ecdsa => "ECDSA",
            Algorithm::Ed25519 => "ED25519",
        }
    }

    pub fn parse(s: &str) -> Option<Algorithm> {
        match s {
            "RSA" => Some(Algorithm::Rsa),
            "ECDSA" => Some(Algorithm::Ecdsa),
            "ED25519" => Some(Algorithm::Ed25519),
            _ => None,
        }
    }
}

/// An ECDSA curve, as `ecdsa_curve` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Curve {
    P224,
    P256,
    P384,
    P521,
}

impl Curve {
    pub const NAMES: [&'static str; 4] = ["P224", "P256", "P384", "P521"];

    pub fn parse(s: &str) -> Option<Curve> {
        match s {
            "P224" => Some(Curve::P224),
            "P256" => Some(Curve::P256),
            "P384" => Some(Curve::P384),
            "P521" => Some(Curve::P521),
            _ => None,
        }
    }

    fn oid(self) -> &'static [u64] {
        match self {
            Curve::P224 => &[1, 3, 132, 0, 33],
            Curve::P256 => &[1, 2, 840, 10045, 3, 1, 7],
            Curve::P384 => &[1, 3, 132, 0, 34],
            Curve::P521 => &[1, 3, 132, 0, 35],
        }
    }

    fn from_oid(arcs: &[u64]) -> Option<Curve> {
        [Curve::P224, Curve::P256, Curve::P384, Curve::P521].into_iter().find(|c| c.oid() == arcs)
    }

    /// The curve's name in SSH (RFC 5656), which has no P-224.
    fn ssh_name(self) -> Option<&'static str> {
        match self {
            Curve::P224 => None,
            Curve::P256 => Some("nistp256"),
            Curve::P384 => Some("nistp384"),
            Curve::P521 => Some("nistp521"),
        }
    }

    fn from_ssh_name(name: &[u8]) -> Option<Curve> {
        [Curve::P256, Curve::P384, Curve::P521].into_iter().find(|c| c.ssh_name().map(str::as_bytes) == Some(name))
    }

    /// The length of a scalar (a private key) in bytes.
    fn scalar_len(self) -> usize {
        match self {
            Curve::P224 => 28,
            Curve::P256 => 32,
            Curve::P384 => 48,
            Curve::P521 => 66,
        }
    }
}

/// Runs `$body` with `$m` naming the curve's RustCrypto crate.
macro_rules! per_curve {
    ($curve:expr, $m:ident => $body:expr) => {
        match $curve {
            Curve::P224 => {
                use p224 as $m;
                $body
            }
            Curve::P256 => {
                use p256 as $m;
                $body
            }
            Curve::P384 => {
                use p384 as $m;
                $body
            }
            Curve::P521 => {
                use p521 as $m;
                $body
            }
        }
    };
}

/// An RSA private key's PKCS#1 integers, unsigned big-endian.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rsa {
    pub n: Vec<u8>,
    pub e: Vec<u8>,
    d: Vec<u8>,
    p: Vec<u8>,
    q: Vec<u8>,
    dp: Vec<u8>,
    dq: Vec<u8>,
    qinv: Vec<u8>,
}

/// A private key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrivateKey {
    Rsa(Rsa),
    /// The scalar (padded to the curve's length) and the uncompressed point.
    Ec {
        curve: Curve,
        d: Vec<u8>,
        point: Vec<u8>,
    },
    Ed25519 {
        seed: [u8; 32],
        public: [u8; 32],
    },
}

/// A public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicKey {
    Rsa {
        n: Vec<u8>,
        e: Vec<u8>,
    },
    /// The uncompressed point.
    Ec {
        curve: Curve,
        point: Vec<u8>,
    },
    Ed25519([u8; 32]),
}

fn err(what: impl std::fmt::Display) -> String {
    what.to_string()
}

/// Generates a key; `rsa_bits` and `curve` matter only to their algorithms.
pub fn generate(algorithm: Algorithm, rsa_bits: i64, curve: &str) -> Result<PrivateKey, String> {
    match algorithm {
        Algorithm::Rsa => generate_rsa(rsa_bits),
        Algorithm::Ecdsa => {
            let curve = Curve::parse(curve).ok_or_else(|| format!("invalid ECDSA curve; supported values are: [{}]", Curve::NAMES.join(" ")))?;
            let (d, point) = per_curve!(curve, m => {
                let sk = m::SecretKey::random(&mut OsRng);
                (sk.to_bytes().to_vec(), sk.public_key().to_encoded_point(false).as_bytes().to_vec())
            });
            Ok(PrivateKey::Ec { curve, d, point })
        }
        Algorithm::Ed25519 => {
            let sk = ed25519_dalek::SigningKey::generate(&mut OsRng);
            Ok(PrivateKey::Ed25519 { seed: sk.to_bytes(), public: sk.verifying_key().to_bytes() })
        }
    }
}

fn generate_rsa(bits: i64) -> Result<PrivateKey, String> {
    // As Go since 1.24: keys under 1024 bits are refused.
    if bits < 1024 {
        return Err(format!("crypto/rsa: {bits}-bit keys are insecure (see https://go.dev/pkg/crypto/rsa#hdr-Minimum_key_size)"));
    }
    use aws_lc_rs::encoding::AsDer as _;
    use aws_lc_rs::rsa::KeySize;
    let size = match bits {
        2048 => Some(KeySize::Rsa2048),
        3072 => Some(KeySize::Rsa3072),
        4096 => Some(KeySize::Rsa4096),
        8192 => Some(KeySize::Rsa8192),
        _ => None,
    };
    let pkcs1 = match size {
        Some(size) => {
            let kp = aws_lc_rs::rsa::KeyPair::generate(size).map_err(|e| format!("generating an RSA key: {e}"))?;
            let pkcs8 = kp.as_der().map_err(|e| format!("encoding an RSA key: {e}"))?;
            let info = der::parse(pkcs8.as_ref()).ok_or("an RSA key in PKCS#8 form")?;
            let mut r = info.reader();
            r.expect(der::INTEGER).ok_or("an RSA key in PKCS#8 form")?;
            r.expect(der::SEQUENCE).ok_or("an RSA key in PKCS#8 form")?;
            r.expect(der::OCTET_STRING).ok_or("an RSA key in PKCS#8 form")?.content.to_vec()
        }
        None => {
            use rsa::pkcs1::EncodeRsaPrivateKey as _;
            let key = rsa::RsaPrivateKey::new(&mut OsRng, bits as usize).map_err(|e| format!("generating an RSA key: {e}"))?;
            key.to_pkcs1_der().map_err(err)?.as_bytes().to_vec()
        }
    };
    parse_pkcs1(&pkcs1).map(PrivateKey::Rsa)
}

fn parse_pkcs1(der_bytes: &[u8]) -> Result<Rsa, String> {
    let bad = || "x509: failed to parse private key (use ParsePKCS8PrivateKey instead for this key format)".to_string();
    let seq = der::parse(der_bytes).filter(|i| i.tag == der::SEQUENCE).ok_or_else(bad)?;
    let mut r = seq.reader();
    let version = r.expect(der::INTEGER).and_then(|i| i.int()).ok_or_else(bad)?;
    if version != 0 {
        return Err("x509: unsupported private key version".into());
    }
    let mut next = || r.expect(der::INTEGER).and_then(|i| i.uint()).map(<[u8]>::to_vec).ok_or_else(bad);
    Ok(Rsa { n: next()?, e: next()?, d: next()?, p: next()?, q: next()?, dp: next()?, dq: next()?, qinv: next()? })
}

impl Rsa {
    fn pkcs1(&self) -> Vec<u8> {
        der::seq(&[
            der::int(0),
            der::uint(&self.n),
            der::uint(&self.e),
            der::uint(&self.d),
            der::uint(&self.p),
            der::uint(&self.q),
            der::uint(&self.dp),
            der::uint(&self.dq),
            der::uint(&self.qinv),
        ])
    }

    fn sign_sha256(&self, msg: &[u8]) -> Result<Vec<u8>, String> {
        let pkcs1 = self.pkcs1();
        if let Ok(kp) = aws_lc_rs::rsa::KeyPair::from_der(&pkcs1) {
            let mut sig = vec![0; kp.public_modulus_len()];
            kp.sign(&aws_lc_rs::signature::RSA_PKCS1_SHA256, &aws_lc_rs::rand::SystemRandom::new(), msg, &mut sig).map_err(|e| format!("signing: {e}"))?;
            return Ok(sig);
        }
        // Sizes aws-lc-rs does not sign with (under 2048 bits).
        let big = |b: &[u8]| rsa::BigUint::from_bytes_be(b);
        let key = rsa::RsaPrivateKey::from_components(big(&self.n), big(&self.e), big(&self.d), vec![big(&self.p), big(&self.q)]).map_err(err)?;
        // DigestInfo for SHA-256 (RFC 8017 9.2), then the digest.
        let mut info = vec![0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20];
        info.extend(sha2::Sha256::digest(msg));
        key.sign(rsa::Pkcs1v15Sign::new_unprefixed(), &info).map_err(err)
    }
}

/// Decodes a `PRIVATE KEY` (PKCS#8) structure.
fn parse_pkcs8(der_bytes: &[u8]) -> Result<PrivateKey, String> {
    let bad = || "x509: failed to parse private key".to_string();
    let seq = der::parse(der_bytes).filter(|i| i.tag == der::SEQUENCE).ok_or_else(bad)?;
    let mut r = seq.reader();
    r.expect(der::INTEGER).ok_or_else(bad)?;
    let alg = r.expect(der::SEQUENCE).ok_or_else(bad)?;
    let key = r.expect(der::OCTET_STRING).ok_or_else(bad)?.content;
    let mut a = alg.reader();
    let oid = a.expect(der::OID).and_then(|o| o.oid()).ok_or_else(bad)?;
    match oid.as_slice() {
        OID_RSA => parse_pkcs1(key).map(PrivateKey::Rsa).map_err(|e| format!("x509: failed to parse RSA private key embedded in PKCS#8: {e}")),
        OID_EC => {
            let curve = a.expect(der::OID).and_then(|o| o.oid()).and_then(|o| Curve::from_oid(&o)).ok_or("x509: unknown elliptic curve")?;
            parse_sec1(key, Some(curve)).map_err(|e| format!("x509: failed to parse EC private key embedded in PKCS#8: {e}"))
        }
        OID_ED25519 => {
            let inner = der::parse(key).filter(|i| i.tag == der::OCTET_STRING).ok_or("x509: invalid Ed25519 private key")?;
            let seed: [u8; 32] = inner.content.try_into().map_err(|_| "ed25519: bad private key length".to_string())?;
            let sk = ed25519_dalek::SigningKey::from_bytes(&seed);
            Ok(PrivateKey::Ed25519 { seed, public: sk.verifying_key().to_bytes() })
        }
        _ => Err(format!("x509: PKCS#8 wrapping contained private key with unknown algorithm: {}", oid_string(&oid))),
    }
}

/// Decodes an `EC PRIVATE KEY` (SEC 1) structure; `curve` is the PKCS#8
/// wrapper's when there is one.
fn parse_sec1(der_bytes: &[u8], curve: Option<Curve>) -> Result<PrivateKey, String> {
    let bad = || "x509: failed to parse EC private key".to_string();
    let seq = der::parse(der_bytes).filter(|i| i.tag == der::SEQUENCE).ok_or_else(bad)?;
    let mut r = seq.reader();
    if r.expect(der::INTEGER).and_then(|i| i.int()) != Some(1) {
        return Err("x509: unknown EC private key version".into());
    }
    let d = r.expect(der::OCTET_STRING).ok_or_else(bad)?.content;
    let named = r.next_if(der::ctx(0, true)).and_then(|p| der::parse(p.content)).and_then(|o| o.oid());
    let curve = match named {
        Some(o) => Curve::from_oid(&o).ok_or("x509: unknown elliptic curve")?,
        None => curve.ok_or("x509: unknown elliptic curve")?,
    };
    ec_from_scalar(curve, d)
}

fn ec_from_scalar(curve: Curve, d: &[u8]) -> Result<PrivateKey, String> {
    let len = curve.scalar_len();
    if d.len() > len {
        return Err("x509: invalid private key length".into());
    }
    let mut padded = vec![0u8; len - d.len()];
    padded.extend_from_slice(d);
    let point = per_curve!(curve, m => {
        let sk = m::SecretKey::from_slice(&padded).map_err(|_| "x509: invalid elliptic curve private key value".to_string())?;
        sk.public_key().to_encoded_point(false).as_bytes().to_vec()
    });
    Ok(PrivateKey::Ec { curve, d: padded, point })
}

fn oid_string(arcs: &[u64]) -> String {
    arcs.iter().map(u64::to_string).collect::<Vec<_>>().join(".")
}

/// Parses a private key in PEM as the upstream plugin does: the first
/// block, which must be `RSA PRIVATE KEY`, `EC PRIVATE KEY` or `PRIVATE KEY`.
pub fn parse_private_pem(text: &str) -> Result<PrivateKey, String> {
    let Some((label, body)) = pem::decode_first(text) else {
        return Err(format!("failed to decode PEM block: decoded bytes 0, undecoded {}", text.len()));
    };
    match label.as_str() {
        "RSA PRIVATE KEY" => parse_pkcs1(&body).map(PrivateKey::Rsa),
        "EC PRIVATE KEY" => parse_sec1(&body, None),
        "PRIVATE KEY" => parse_pkcs8(&body),
        "PUBLIC KEY" | "CERTIFICATE" | "CERTIFICATE REQUEST" => Err(format!("unable to determine parser for PEM preamble: {label}")),
        other => Err(format!("unsupported PEM preamble/type: {other}")),
    }
    .map_err(|e| match label.as_str() {
        "RSA PRIVATE KEY" | "EC PRIVATE KEY" | "PRIVATE KEY" => format!("failed to parse private key given PEM preamble '{label}': {e}"),
        _ => e,
    })
}

/// Parses a private key as Go's `ssh.ParseRawPrivateKey` does: an
/// unencrypted `OPENSSH PRIVATE KEY`, or one of the PEM forms.
pub fn parse_private_openssh(text: &str) -> Result<PrivateKey, String> {
    let Some((label, body)) = pem::decode_first(text) else { return Err("failed to parse openssh private key: ssh: no key found".into()) };
    let parsed = match label.as_str() {
        "OPENSSH PRIVATE KEY" => parse_openssh_body(&body),
        "RSA PRIVATE KEY" => parse_pkcs1(&body).map(PrivateKey::Rsa),
        "EC PRIVATE KEY" => parse_sec1(&body, None),
        "PRIVATE KEY" => parse_pkcs8(&body),
        other => Err(format!("ssh: unsupported key type {other:?}")),
    };
    parsed.map_err(|e| format!("failed to parse openssh private key: {e}"))
}

struct SshReader<'a>(&'a [u8]);

impl<'a> SshReader<'a> {
    fn u32(&mut self) -> Option<u32> {
        let (head, rest) = self.0.split_at_checked(4)?;
        self.0 = rest;
        Some(u32::from_be_bytes(head.try_into().ok()?))
    }
    fn string(&mut self) -> Option<&'a [u8]> {
        let n = self.u32()? as usize;
        let (head, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(head)
    }
    /// An mpint's magnitude (keys hold no negative numbers).
    fn mpint(&mut self) -> Option<Vec<u8>> {
        let s = self.string()?;
        Some(s.iter().copied().skip_while(|b| *b == 0).collect())
    }
}

fn parse_openssh_body(body: &[u8]) -> Result<PrivateKey, String> {
    let bad = || "ssh: malformed OpenSSH key".to_string();
    let rest = body.strip_prefix(b"openssh-key-v1\0").ok_or("ssh: invalid openssh private key format")?;
    let mut r = SshReader(rest);
    let cipher = r.string().ok_or_else(bad)?;
    let kdf = r.string().ok_or_else(bad)?;
    r.string().ok_or_else(bad)?;
    if cipher != b"none" || kdf != b"none" {
        return Err("this private key is passphrase protected".into());
    }
    if r.u32() != Some(1) {
        return Err("ssh: multi-key files are not supported".into());
    }
    r.string().ok_or_else(bad)?;
    let mut p = SshReader(r.string().ok_or_else(bad)?);
    let (c1, c2) = (p.u32().ok_or_else(bad)?, p.u32().ok_or_else(bad)?);
    if c1 != c2 {
        return Err("ssh: malformed OpenSSH key".into());
    }
    let kind = p.string().ok_or_else(bad)?;
    match kind {
        b"ssh-rsa" => {
            let (n, e, d, qinv, pp, q) = (p.mpint(), p.mpint(), p.mpint(), p.mpint(), p.mpint(), p.mpint());
            let (n, e, d, qinv, pp, q) =
                (n.ok_or_else(bad)?, e.ok_or_else(bad)?, d.ok_or_else(bad)?, qinv.ok_or_else(bad)?, pp.ok_or_else(bad)?, q.ok_or_else(bad)?);
            let big = |b: &[u8]| rsa::BigUint::from_bytes_be(b);
            let one = rsa::BigUint::from(1u8);
            let dp = (big(&d) % (big(&pp) - &one)).to_bytes_be();
            let dq = (big(&d) % (big(&q) - &one)).to_bytes_be();
            Ok(PrivateKey::Rsa(Rsa { n, e, d, p: pp, q, dp, dq, qinv }))
        }
        k if k.starts_with(b"ecdsa-sha2-") => {
            let curve = Curve::from_ssh_name(p.string().ok_or_else(bad)?).ok_or("ssh: unsupported curve")?;
            p.string().ok_or_else(bad)?;
            let d = p.mpint().ok_or_else(bad)?;
            ec_from_scalar(curve, &d)
        }
        b"ssh-ed25519" => {
            let public: [u8; 32] = p.string().and_then(|s| s.try_into().ok()).ok_or_else(bad)?;
            let private = p.string().filter(|s| s.len() == 64).ok_or_else(bad)?;
            let seed: [u8; 32] = private[..32].try_into().map_err(|_| bad())?;
            Ok(PrivateKey::Ed25519 { seed, public })
        }
        other => Err(format!("ssh: unhandled key type {:?}", String::from_utf8_lossy(other))),
    }
}

fn ssh_string(out: &mut Vec<u8>, b: &[u8]) {
    out.extend((b.len() as u32).to_be_bytes());
    out.extend_from_slice(b);
}

fn ssh_mpint(out: &mut Vec<u8>, magnitude: &[u8]) {
    let trimmed: Vec<u8> = magnitude.iter().copied().skip_while(|b| *b == 0).collect();
    let mut v = Vec::with_capacity(trimmed.len() + 1);
    if trimmed.first().is_some_and(|b| b & 0x80 != 0) {
        v.push(0);
    }
    v.extend(trimmed);
    ssh_string(out, &v);
}

impl PrivateKey {
    pub fn algorithm(&self) -> Algorithm {
        match self {
            PrivateKey::Rsa(_) => Algorithm::Rsa,
            PrivateKey::Ec { .. } => Algorithm::Ecdsa,
            PrivateKey::Ed25519 { .. } => Algorithm::Ed25519,
        }
    }

    pub fn public(&self) -> PublicKey {
        match self {
            PrivateKey::Rsa(k) => PublicKey::Rsa { n: k.n.clone(), e: k.e.clone() },
            PrivateKey::Ec { curve, point, .. } => PublicKey::Ec { curve: *curve, point: point.clone() },
            PrivateKey::Ed25519 { public, .. } => PublicKey::Ed25519(*public),
        }
    }

    /// SEC 1 `ECPrivateKey`; the curve named or not (PKCS#8 names it outside).
    fn sec1(curve: Curve, d: &[u8], point: &[u8], with_curve: bool) -> Vec<u8> {
        let mut items = vec![der::int(1), der::octet_string(d)];
        if with_curve {
            items.push(der::explicit(0, &der::oid(curve.oid())));
        }
        items.push(der::explicit(1, &der::bit_string(point)));
        der::seq(&items)
    }

    /// `private_key_pem`: PKCS#1 for RSA, SEC 1 for ECDSA, PKCS#8 for Ed25519.
    pub fn to_pem(&self) -> String {
        match self {
            PrivateKey::Rsa(k) => pem::encode("RSA PRIVATE KEY", &k.pkcs1()),
            PrivateKey::Ec { curve, d, point } => pem::encode("EC PRIVATE KEY", &Self::sec1(*curve, d, point, true)),
            PrivateKey::Ed25519 { .. } => self.to_pkcs8_pem(),
        }
    }

    /// PKCS#8, as Go's `MarshalPKCS8PrivateKey`.
    pub fn to_pkcs8(&self) -> Vec<u8> {
        let (alg, key) = match self {
            PrivateKey::Rsa(k) => (der::seq(&[der::oid(OID_RSA), der::null()]), k.pkcs1()),
            PrivateKey::Ec { curve, d, point } => (der::seq(&[der::oid(OID_EC), der::oid(curve.oid())]), Self::sec1(*curve, d, point, false)),
            PrivateKey::Ed25519 { seed, .. } => (der::seq(&[der::oid(OID_ED25519)]), der::octet_string(seed)),
        };
        der::seq(&[der::int(0), alg, der::octet_string(&key)])
    }

    /// `private_key_pem_pkcs8`.
    pub fn to_pkcs8_pem(&self) -> String {
        pem::encode("PRIVATE KEY", &self.to_pkcs8())
    }

    /// `private_key_openssh`, as Go's `ssh.MarshalPrivateKey` with an empty
    /// comment (a random check number, padding to 8 bytes); None for
    /// P-224, which SSH does not know.
    pub fn to_openssh_pem(&self) -> Option<String> {
        let public = self.public().ssh_blob()?;
        let check = OsRng.next_u32();
        let mut block = Vec::new();
        block.extend(check.to_be_bytes());
        block.extend(check.to_be_bytes());
        match self {
            PrivateKey::Rsa(k) => {
                ssh_string(&mut block, b"ssh-rsa");
                for part in [&k.n, &k.e, &k.d, &k.qinv, &k.p, &k.q] {
                    ssh_mpint(&mut block, part);
                }
            }
            PrivateKey::Ec { curve, d, point } => {
                let name = curve.ssh_name()?;
                ssh_string(&mut block, format!("ecdsa-sha2-{name}").as_bytes());
                ssh_string(&mut block, name.as_bytes());
                ssh_string(&mut block, point);
                ssh_mpint(&mut block, d);
            }
            PrivateKey::Ed25519 { seed, public } => {
                ssh_string(&mut block, b"ssh-ed25519");
                ssh_string(&mut block, public);
                let mut both = seed.to_vec();
                both.extend_from_slice(public);
                ssh_string(&mut block, &both);
            }
        }
        ssh_string(&mut block, b"");
        let mut pad = 1u8;
        while block.len() % 8 != 0 {
            block.push(pad);
            pad += 1;
        }
        let mut out = b"openssh-key-v1\0".to_vec();
        ssh_string(&mut out, b"none");
        ssh_string(&mut out, b"none");
        ssh_string(&mut out, b"");
        out.extend(1u32.to_be_bytes());
        ssh_string(&mut out, &public);
        ssh_string(&mut out, &block);
        Some(pem::encode("OPENSSH PRIVATE KEY", &out))
    }

    /// The AlgorithmIdentifier Go's `x509` signs with for this key:
    /// SHA-256 with RSA (PKCS #1 v1.5); ECDSA with SHA-256 (P-224, P-256),
    /// SHA-384 or SHA-512; pure Ed25519.
    pub fn signature_algorithm(&self) -> Vec<u8> {
        match self {
            PrivateKey::Rsa(_) => der::seq(&[der::oid(OID_SHA256_RSA), der::null()]),
            PrivateKey::Ec { curve: Curve::P224 | Curve::P256, .. } => der::seq(&[der::oid(OID_ECDSA_SHA256)]),
            PrivateKey::Ec { curve: Curve::P384, .. } => der::seq(&[der::oid(OID_ECDSA_SHA384)]),
            PrivateKey::Ec { curve: Curve::P521, .. } => der::seq(&[der::oid(OID_ECDSA_SHA512)]),
            PrivateKey::Ed25519 { .. } => der::seq(&[der::oid(OID_ED25519)]),
        }
    }

    /// Signs `msg` with [`PrivateKey::signature_algorithm`].
    pub fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, String> {
        match self {
            PrivateKey::Rsa(k) => k.sign_sha256(msg),
            PrivateKey::Ec { curve, d, .. } => {
                let digest = match curve {
                    Curve::P224 | Curve::P256 => sha2::Sha256::digest(msg).to_vec(),
                    Curve::P384 => sha2::Sha384::digest(msg).to_vec(),
                    Curve::P521 => sha2::Sha512::digest(msg).to_vec(),
                };
                Ok(per_curve!(*curve, m => {
                    let sk = m::ecdsa::SigningKey::from_slice(d).map_err(err)?;
                    let s: m::ecdsa::Signature = sk.sign_prehash(&digest).map_err(err)?;
                    s.to_der().as_bytes().to_vec()
                }))
            }
            PrivateKey::Ed25519 { seed, .. } => {
                use ed25519_dalek::Signer as _;
                Ok(ed25519_dalek::SigningKey::from_bytes(seed).sign(msg).to_bytes().to_vec())
            }
        }
    }
}

impl PublicKey {
    /// The PKIX `SubjectPublicKeyInfo`.
    pub fn spki(&self) -> Vec<u8> {
        match self {
            PublicKey::Rsa { n, e } => der::seq(&[der::seq(&[der::oid(OID_RSA), der::null()]), der::bit_string(&der::seq(&[der::uint(n), der::uint(e)]))]),
            PublicKey::Ec { curve, point } => der::seq(&[der::seq(&[der::oid(OID_EC), der::oid(curve.oid())]), der::bit_string(point)]),
            PublicKey::Ed25519(k) => der::seq(&[der::seq(&[der::oid(OID_ED25519)]), der::bit_string(k)]),
        }
    }

    /// Reads a `SubjectPublicKeyInfo` of a supported key type.
    pub fn from_spki(spki: &[u8]) -> Result<PublicKey, String> {
        let bad = || "x509: failed to parse public key".to_string();
        let seq = der::parse(spki).filter(|i| i.tag == der::SEQUENCE).ok_or_else(bad)?;
        let mut r = seq.reader();
        let alg = r.expect(der::SEQUENCE).ok_or_else(bad)?;
        let bits = r.expect(der::BIT_STRING).and_then(|b| b.bits()).ok_or_else(bad)?;
        let mut a = alg.reader();
        let oid = a.expect(der::OID).and_then(|o| o.oid()).ok_or_else(bad)?;
        match oid.as_slice() {
            OID_RSA => {
                let inner = der::parse(bits).filter(|i| i.tag == der::SEQUENCE).ok_or_else(bad)?;
                let mut ir = inner.reader();
                let n = ir.expect(der::INTEGER).and_then(|i| i.uint()).ok_or_else(bad)?.to_vec();
                let e = ir.expect(der::INTEGER).and_then(|i| i.uint()).ok_or_else(bad)?.to_vec();
                Ok(PublicKey::Rsa { n, e })
            }
            OID_EC => {
                let curve = a.expect(der::OID).and_then(|o| o.oid()).and_then(|o| Curve::from_oid(&o)).ok_or("x509: unsupported elliptic curve")?;
                if bits.first() != Some(&4) {
                    return Err("x509: failed to unmarshal elliptic curve point".into());
                }
                Ok(PublicKey::Ec { curve, point: bits.to_vec() })
            }
            OID_ED25519 => Ok(PublicKey::Ed25519(bits.try_into().map_err(|_| "x509: wrong Ed25519 public key size".to_string())?)),
            _ => Err("x509: unsupported public key type".into()),
        }
    }

    /// The SSH wire form; None for P-224.
    fn ssh_blob(&self) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        match self {
            PublicKey::Rsa { n, e } => {
                ssh_string(&mut out, b"ssh-rsa");
                ssh_mpint(&mut out, e);
                ssh_mpint(&mut out, n);
            }
            PublicKey::Ec { curve, point } => {
                let name = curve.ssh_name()?;
                ssh_string(&mut out, format!("ecdsa-sha2-{name}").as_bytes());
                ssh_string(&mut out, name.as_bytes());
                ssh_string(&mut out, point);
            }
            PublicKey::Ed25519(k) => {
                ssh_string(&mut out, b"ssh-ed25519");
                ssh_string(&mut out, k);
            }
        }
        Some(out)
    }

    /// What Go's x509 package computes a subject key identifier from with
    /// `generateSubjectKeyID`: the PKCS#1 key, the point, or (a quirk kept
    /// for identical certificates) the Ed25519 key as an OCTET STRING.
    pub fn subject_key_id(&self) -> Vec<u8> {
        let material = match self {
            PublicKey::Rsa { n, e } => der::seq(&[der::uint(n), der::uint(e)]),
            PublicKey::Ec { point, .. } => point.clone(),
            PublicKey::Ed25519(k) => der::octet_string(k),
        };
        sha1::Sha1::digest(material).to_vec()
    }
}

/// The public key attributes `tls_private_key` and `tls_public_key` share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicAttrs {
    /// Hex SHA-1 of the PKIX public key (trimmed as Go's `strings.TrimSpace`).
    pub id: String,
    pub public_key_pem: String,
    /// Empty for P-224, as upstream.
    pub public_key_openssh: String,
    pub public_key_fingerprint_md5: String,
    pub public_key_fingerprint_sha256: String,
}

/// Hex SHA-1 of `data` after Go's `strings.TrimSpace` (the upstream
/// plugin's `hashForState`, which trims even binary input).
pub fn hash_for_state(data: &[u8]) -> String {
    if data.is_empty() {
        return String::new();
    }
    hex(&sha1::Sha1::digest(go_trim_space(data)))
}

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Go's `strings.TrimSpace` on bytes: Unicode white space at both ends,
/// where invalid UTF-8 is never space.
fn go_trim_space(mut b: &[u8]) -> &[u8] {
    fn is_space(c: char) -> bool {
        matches!(c, '\t' | '\n' | '\u{0b}' | '\u{0c}' | '\r' | ' ' | '\u{85}' | '\u{a0}') || (c as u32 > 0xff && c.is_whitespace())
    }
    while let Some((_, n)) = first_char(b).filter(|(c, _)| is_space(*c)) {
        b = &b[n..];
    }
    while let Some((_, n)) = last_char(b).filter(|(c, _)| is_space(*c)) {
        b = &b[..b.len() - n];
    }
    b
}

fn first_char(b: &[u8]) -> Option<(char, usize)> {
    (1..=4.min(b.len())).find_map(|n| std::str::from_utf8(&b[..n]).ok().and_then(|s| s.chars().next()).map(|c| (c, n)))
}

fn last_char(b: &[u8]) -> Option<(char, usize)> {
    (1..=4.min(b.len())).find_map(|n| std::str::from_utf8(&b[b.len() - n..]).ok().and_then(|s| s.chars().next()).map(|c| (c, n)))
}

impl PublicKey {
    pub fn attrs(&self) -> PublicAttrs {
        let spki = self.spki();
        let (openssh, md5, sha256) = match self.ssh_blob() {
            Some(blob) => {
                let line = format!(
                    "{} {}\n",
                    String::from_utf8_lossy(&blob[4..4 + u32::from_be_bytes([blob[0], blob[1], blob[2], blob[3]]) as usize]),
                    base64::engine::general_purpose::STANDARD.encode(&blob)
                );
                let md5 = md5::Md5::digest(&blob).iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":");
                let sha = format!("SHA256:{}", base64::engine::general_purpose::STANDARD_NO_PAD.encode(sha2::Sha256::digest(&blob)));
                (line, md5, sha)
            }
            None => (String::new(), String::new(), String::new()),
        };
        PublicAttrs {
            id: hash_for_state(&spki),
            public_key_pem: pem::encode("PUBLIC KEY", &spki),
            public_key_openssh: openssh,
            public_key_fingerprint_md5: md5,
            public_key_fingerprint_sha256: sha256,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trim_space_is_gos() {
        assert_eq!(go_trim_space(b" \tab\r\n"), b"ab");
        assert_eq!(go_trim_space(&[0x30, 0x20]), &[0x30]);
        assert_eq!(go_trim_space(&[0x30, 0xc2, 0xa0]), &[0x30], "U+00A0 in UTF-8 is space");
        assert_eq!(go_trim_space(&[0x30, 0xa0]), &[0x30, 0xa0], "a lone 0xa0 is invalid UTF-8, not space");
    }

    #[test]
    fn keys_round_trip_through_their_encodings() {
        for (alg, curve) in
            [(Algorithm::Ecdsa, "P224"), (Algorithm::Ecdsa, "P256"), (Algorithm::Ecdsa, "P384"), (Algorithm::Ecdsa, "P521"), (Algorithm::Ed25519, "")]
        {
            let k = generate(alg, 2048, curve).expect("key");
            assert_eq!(parse_private_pem(&k.to_pem()).expect("own PEM"), k, "{curve}");
            assert_eq!(parse_private_pem(&k.to_pkcs8_pem()).expect("own PKCS#8"), k, "{curve}");
            match k.to_openssh_pem() {
                Some(ssh) => assert_eq!(parse_private_openssh(&ssh).expect("own OpenSSH"), k, "{curve}"),
                None => assert_eq!(curve, "P224", "only P-224 has no SSH form"),
            }
            assert_eq!(PublicKey::from_spki(&k.public().spki()).expect("own SPKI"), k.public());
            assert!(!k.sign(b"message").expect("signs").is_empty());
        }
        let attrs = generate(Algorithm::Ecdsa, 0, "P224").expect("key").public().attrs();
        assert_eq!((attrs.public_key_openssh.as_str(), attrs.public_key_fingerprint_md5.as_str()), ("", ""));
    }

    #[test]
    fn rsa_keys_of_any_size() {
        let k = generate(Algorithm::Rsa, 2048, "").expect("2048-bit key");
        assert_eq!(parse_private_pem(&k.to_pem()).expect("own PEM"), k);
        assert_eq!(parse_private_pem(&k.to_pkcs8_pem()).expect("own PKCS#8"), k);
        let ssh = k.to_openssh_pem().expect("RSA has an SSH form");
        assert_eq!(parse_private_openssh(&ssh).expect("own OpenSSH"), k);
        assert!(k.public().attrs().public_key_openssh.starts_with("ssh-rsa AAAA"));
        k.sign(b"message").expect("signs");
        assert!(generate(Algorithm::Rsa, 512, "").is_err(), "Go refuses keys under 1024 bits");
    }
}
