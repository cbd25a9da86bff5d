//! `tls_private_key` (a key generated on create and kept in state; every
//! argument replaces it; schema version 1, as upstream) and the
//! `tls_public_key` data source (the public half of a given private key).

use iac_provider_sdk::prelude::*;
use iac_provider_sdk::AttrPath;

use crate::keys::{self, Algorithm, Curve, PrivateKey};
use crate::{Error, Tls};

/// `tls_private_key`'s attributes.
#[derive(Model, Debug, Clone, Default)]
pub struct PrivateKeyModel {
    /// Name of the algorithm to use when generating the private key: `RSA`, `ECDSA` or `ED25519`.
    #[sdk(required, force_new)]
    algorithm: String,
    /// When `algorithm` is `RSA`, the size of the generated RSA key, in bits (default: `2048`).
    #[sdk(optional, computed, force_new, default = 2048i64)]
    rsa_bits: Option<i64>,
    /// When `algorithm` is `ECDSA`, the name of the elliptic curve to use: `P224`, `P256`, `P384` or `P521` (default: `P224`).
    #[sdk(optional, computed, force_new, default = "P224")]
    ecdsa_curve: Option<String>,
    /// Private key data in PEM (RFC 1421) format.
    #[sdk(computed, sensitive)]
    private_key_pem: Option<String>,
    /// Private key data in OpenSSH PEM (RFC 4716) format.
    #[sdk(computed, sensitive)]
    private_key_openssh: Option<String>,
    /// Private key data in PKCS#8 PEM (RFC 5208) format.
    #[sdk(computed, sensitive)]
    private_key_pem_pkcs8: Option<String>,
    /// Public key data in PEM (RFC 1421) format.
    #[sdk(computed)]
    public_key_pem: Option<String>,
    /// The public key data in "Authorized Keys" format; empty for `ECDSA` with `P224`.
    #[sdk(computed)]
    public_key_openssh: Option<String>,
    /// The fingerprint of the public key data in OpenSSH MD5 hash format, e.g. `aa:bb:cc:...`.
    #[sdk(computed)]
    public_key_fingerprint_md5: Option<String>,
    /// The fingerprint of the public key data in OpenSSH SHA256 hash format, e.g. `SHA256:...`.
    #[sdk(computed)]
    public_key_fingerprint_sha256: Option<String>,
    /// Unique identifier for this resource: hexadecimal representation of the SHA1 checksum of the resource.
    #[sdk(computed)]
    id: Option<String>,
}

/// The `tls_private_key` resource type.
pub struct PrivateKeyResource;

#[async_trait]
impl Resource<Tls> for PrivateKeyResource {
    type Model = PrivateKeyModel;
    const TYPE: &'static str = "tls_private_key";
    const VERSION: u64 = 1;

    fn validate(&self, config: &Value) -> Vec<(AttrPath, String)> {
        let mut out = Vec::new();
        if let Some(a) = config.get("algorithm").and_then(Value::as_str) {
            if Algorithm::parse(a).is_none() {
                out.push((AttrPath::attr("algorithm"), format!("value must be one of: [\"{}\"], got: {a:?}", Algorithm::NAMES.join("\" \""))));
            }
        }
        if let Some(c) = config.get("ecdsa_curve").and_then(Value::as_str) {
            if Curve::parse(c).is_none() {
                out.push((AttrPath::attr("ecdsa_curve"), format!("value must be one of: [\"{}\"], got: {c:?}", Curve::NAMES.join("\" \""))));
            }
        }
        out
    }

    async fn create(&self, _cx: &Ctx<'_, Tls>, mut m: PrivateKeyModel) -> Result<PrivateKeyModel, Error> {
        let algorithm =
            Algorithm::parse(&m.algorithm).ok_or_else(|| Error::Invalid(format!("Invalid Key Algorithm: Key Algorithm {:?} is not supported", m.algorithm)))?;
        let bits = m.rsa_bits.unwrap_or(2048);
        let curve = m.ecdsa_curve.clone().unwrap_or_else(|| "P224".into());
        // RSA generation is slow: off the runtime's threads.
        let key = tokio::task::spawn_blocking(move || keys::generate(algorithm, bits, &curve))
            .await
            .map_err(|e| Error::Invalid(format!("Unable to generate Key from configuration: {e}")))?
            .map_err(|e| Error::Invalid(format!("Unable to generate Key from configuration: {e}")))?;
        fill(&mut m, &key);
        Ok(m)
    }

    async fn read(&self, _cx: &Ctx<'_, Tls>, current: PrivateKeyModel) -> Result<Option<PrivateKeyModel>, Error> {
        Ok(Some(current))
    }

    async fn delete(&self, _cx: &Ctx<'_, Tls>, _prior: PrivateKeyModel) -> Result<(), Error> {
        Ok(())
    }

    /// As upstream: the key lives only in state, there is nothing to import.
    async fn import(&self, _cx: &Ctx<'_, Tls>, _id: &str) -> Result<Option<PrivateKeyModel>, Error> {
        Err(Error::Invalid("tls_private_key does not support import".into()))
    }
}

fn fill(m: &mut PrivateKeyModel, key: &PrivateKey) {
    m.rsa_bits.get_or_insert(2048);
    m.ecdsa_curve.get_or_insert_with(|| "P224".into());
    m.private_key_pem = Some(key.to_pem());
    m.private_key_pem_pkcs8 = Some(key.to_pkcs8_pem());
    m.private_key_openssh = Some(key.to_openssh_pem().unwrap_or_default());
    let attrs = key.public().attrs();
    m.id = Some(attrs.id);
    m.public_key_pem = Some(attrs.public_key_pem);
    m.public_key_openssh = Some(attrs.public_key_openssh);
    m.public_key_fingerprint_md5 = Some(attrs.public_key_fingerprint_md5);
    m.public_key_fingerprint_sha256 = Some(attrs.public_key_fingerprint_sha256);
}

/// The `tls_public_key` data source's attributes.
#[derive(Model, Debug, Clone, Default)]
pub struct PublicKeyDataModel {
    /// The private key (in PEM (RFC 1421) format) to extract the public key from. Mutually exclusive with `private_key_openssh`.
    #[sdk(optional, sensitive)]
    private_key_pem: Option<String>,
    /// The private key (in OpenSSH PEM (RFC 4716) format) to extract the public key from. Mutually exclusive with `private_key_pem`.
    #[sdk(optional, sensitive)]
    private_key_openssh: Option<String>,
    /// The name of the algorithm used by the given private key: `RSA`, `ECDSA` or `ED25519`.
    #[sdk(computed)]
    algorithm: Option<String>,
    /// The public key, in PEM (RFC 1421) format.
    #[sdk(computed)]
    public_key_pem: Option<String>,
    /// The public key, in OpenSSH PEM (RFC 4716) format; empty for `ECDSA` with `P224`.
    #[sdk(computed)]
    public_key_openssh: Option<String>,
    /// The fingerprint of the public key data in OpenSSH MD5 hash format, e.g. `aa:bb:cc:...`.
    #[sdk(computed)]
    public_key_fingerprint_md5: Option<String>,
    /// The fingerprint of the public key data in OpenSSH SHA256 hash format, e.g. `SHA256:...`.
    #[sdk(computed)]
    public_key_fingerprint_sha256: Option<String>,
    /// Unique identifier for this data source: hexadecimal representation of the SHA1 checksum of the data source.
    #[sdk(computed)]
    id: Option<String>,
}

/// The `tls_public_key` data source.
pub struct PublicKeyData;

#[async_trait]
impl DataSource<Tls> for PublicKeyData {
    type Model = PublicKeyDataModel;
    const TYPE: &'static str = "tls_public_key";

    async fn read(&self, _cx: &Ctx<'_, Tls>, mut m: PublicKeyDataModel) -> Result<PublicKeyDataModel, Error> {
        let key = match (&m.private_key_pem, &m.private_key_openssh) {
            (Some(pem), None) => keys::parse_private_pem(pem),
            (None, Some(ssh)) => keys::parse_private_openssh(ssh),
            (Some(_), Some(_)) => {
                return Err(Error::Invalid("2 attributes specified when one (and only one) of [private_key_pem,private_key_openssh] is required".into()));
            }
            (None, None) => {
                return Err(Error::Invalid("No attribute specified when one (and only one) of [private_key_pem,private_key_openssh] is required".into()))
            }
        }
        .map_err(|e| Error::Invalid(format!("Unable to parse private key: {e}")))?;
        let attrs = key.public().attrs();
        m.algorithm = Some(key.algorithm().as_str().to_string());
        m.id = Some(attrs.id);
        m.public_key_pem = Some(attrs.public_key_pem);
        m.public_key_openssh = Some(attrs.public_key_openssh);
        m.public_key_fingerprint_md5 = Some(attrs.public_key_fingerprint_md5);
        m.public_key_fingerprint_sha256 = Some(attrs.public_key_fingerprint_sha256);
        Ok(m)
    }
}
