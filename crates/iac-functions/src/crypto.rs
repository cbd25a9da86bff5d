//! UUIDs and password hashing: uuid, uuidv5, bcrypt. `uuid` and `bcrypt`
//! are random, so like Terraform they give an unknown value while planning
//! and a fresh value when applying.

use iac_core::Value;
use sha1::Digest as _;

use crate::args::{fail, integer, number, string, FnResult};
use crate::FunctionContext;

fn random_bytes<const N: usize>() -> Result<[u8; N], crate::args::Fail> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).or_else(|e| fail(format!("cannot read random bytes: {e}")))?;
    Ok(buf)
}

fn format_uuid(b: &[u8; 16]) -> String {
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

fn parse_uuid(s: &str) -> Option<[u8; 16]> {
    let hex: String = s.chars().filter(|c| *c != '-').collect();
    let shaped = s.len() == 36 && [8, 13, 18, 23].iter().all(|&i| s.as_bytes()[i] == b'-');
    if !shaped || hex.len() != 32 {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

/// uuid(): 16 random bytes in UUID form. Terraform's generator sets no
/// version or variant bits, so neither does this one.
pub(crate) fn uuid(_: Vec<Value>, ctx: &FunctionContext) -> FnResult {
    if ctx.planning {
        return Ok(Value::Unknown);
    }
    Ok(Value::String(format_uuid(&random_bytes::<16>()?)))
}

/// uuidv5(namespace, name): RFC 4122 name-based UUID (SHA-1); the namespace
/// is `dns`, `url`, `oid`, `x500` or a UUID.
pub(crate) fn uuidv5(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    let ns = string(&args, 0)?;
    let name = string(&args, 1)?;
    let known = match ns.as_str() {
        "dns" => Some("6ba7b810-9dad-11d1-80b4-00c04fd430c8"),
        "url" => Some("6ba7b811-9dad-11d1-80b4-00c04fd430c8"),
        "oid" => Some("6ba7b812-9dad-11d1-80b4-00c04fd430c8"),
        "x500" => Some("6ba7b814-9dad-11d1-80b4-00c04fd430c8"),
        _ => None,
    };
    let Some(space) = parse_uuid(known.unwrap_or(&ns)) else {
        let why = if ns.len() != 36 { format!("invalid UUID length: {}", ns.len()) } else { "invalid UUID format".to_string() };
        return fail(format!("uuidv5() doesn't support namespace {ns} ({why})"));
    };
    let mut h = sha1::Sha1::new();
    h.update(space);
    h.update(name.as_bytes());
    let digest = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    Ok(Value::String(format_uuid(&b)))
}

/// bcrypt(string, cost = 10): `$2a$` hashes as Go's x/crypto writes them;
/// a cost below 4 means the default, above 31 is an error.
pub(crate) fn bcrypt(args: Vec<Value>, ctx: &FunctionContext) -> FnResult {
    let password = string(&args, 0)?;
    for i in 1..args.len() {
        number(&args, i)?;
    }
    // Unknown while planning, as Terraform makes it: its own checks wait
    // for the apply.
    if ctx.planning {
        return Ok(Value::Unknown);
    }
    let mut cost = if args.len() > 1 { integer(&args, 1)? } else { 10 };
    if args.len() > 2 {
        return fail("bcrypt() takes no more than two arguments");
    }
    if cost > 31 {
        return fail(format!("error occured generating password crypto/bcrypt: cost {cost} is outside allowed range (4,31)"));
    }
    if cost < 4 {
        cost = 10;
    }
    let salt = random_bytes::<16>()?;
    match bcrypt::hash_with_salt(password.as_bytes(), cost as u32, salt) {
        Ok(parts) => Ok(Value::String(parts.format_for_version(bcrypt::Version::TwoA))),
        Err(e) => fail(format!("error occured generating password {e}")),
    }
}

/// The DER body of the first PEM block, with its label.
fn pem_block(text: &str) -> Option<(String, Vec<u8>)> {
    use base64::Engine as _;
    let start = text.find("-----BEGIN ")?;
    let rest = &text[start + 11..];
    let label_end = rest.find("-----")?;
    let label = rest[..label_end].to_string();
    let body = &rest[label_end + 5..];
    let end = body.find(&format!("-----END {label}-----"))?;
    // Encrypted PEM blocks carry headers ("Proc-Type: ..."); those are refused below.
    if body[..end].contains(':') {
        return None;
    }
    let b64: String = body[..end].chars().filter(|c| !c.is_whitespace()).collect();
    let der = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
    Some((label, der))
}

fn der_len(n: usize) -> Vec<u8> {
    if n < 0x80 {
        return vec![n as u8];
    }
    let bytes: Vec<u8> = n.to_be_bytes().into_iter().skip_while(|b| *b == 0).collect();
    let mut out = vec![0x80 | bytes.len() as u8];
    out.extend(bytes);
    out
}

fn der(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    out.extend(der_len(body.len()));
    out.extend_from_slice(body);
    out
}

/// Wraps a PKCS #1 RSAPrivateKey in a PKCS #8 PrivateKeyInfo (version 0,
/// rsaEncryption with NULL parameters), the form the RSA library reads.
fn pkcs1_to_pkcs8(pkcs1: &[u8]) -> Vec<u8> {
    const RSA_ALGORITHM: &[u8] = &[0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00];
    let mut body = vec![0x02, 0x01, 0x00];
    body.extend_from_slice(RSA_ALGORITHM);
    body.extend(der(0x04, pkcs1));
    der(0x30, &body)
}

/// rsadecrypt(ciphertext, privatekey): base64 ciphertext, RSA PKCS #1 v1.5,
/// with a PEM private key (PKCS #1 `RSA PRIVATE KEY` or PKCS #8 `PRIVATE KEY`).
pub(crate) fn rsadecrypt(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    use base64::Engine as _;
    let s = string(&args, 0)?;
    let key = string(&args, 1)?;
    let Ok(ciphertext) = base64::engine::general_purpose::STANDARD.decode(s.as_bytes()) else {
        return fail(format!("failed to decode input {s:?}: cipher text must be base64-encoded"));
    };
    let pkcs8 = match pem_block(&key) {
        Some((label, der)) if label == "RSA PRIVATE KEY" => pkcs1_to_pkcs8(&der),
        Some((label, der)) if label == "PRIVATE KEY" => der,
        Some((label, _)) => return fail(format!("failed to parse key: ssh: unsupported key type {label:?}")),
        None => return fail("failed to parse key: ssh: no key found"),
    };
    let plain = match aws_lc_rs::rsa::PrivateDecryptingKey::from_pkcs8(&pkcs8) {
        Ok(private) => decrypt_with_aws_lc(private, &ciphertext)?,
        // aws-lc reads 2048- to 8192-bit keys only; Go's crypto/rsa, which
        // Terraform uses, also takes smaller ones (1024 bits is common in
        // old key pairs), so the rsa crate reads those. Its decryption is
        // not constant-time (RUSTSEC-2023-0071): only keys aws-lc refuses
        // take this path.
        Err(e) => match <rsa::RsaPrivateKey as rsa::pkcs8::DecodePrivateKey>::from_pkcs8_der(&pkcs8) {
            Ok(private) => match private.decrypt(rsa::Pkcs1v15Encrypt, &ciphertext) {
                Ok(plain) => plain,
                Err(_) => return fail("failed to decrypt: crypto/rsa: decryption error"),
            },
            Err(_) => return fail(format!("failed to parse key: {e}")),
        },
    };
    match String::from_utf8(plain) {
        Ok(text) => Ok(Value::String(text)),
        Err(_) => fail("the decrypted text is not valid UTF-8"),
    }
}

/// PKCS #1 v1.5 decryption with a key aws-lc reads (2048 to 8192 bits).
fn decrypt_with_aws_lc(private: aws_lc_rs::rsa::PrivateDecryptingKey, ciphertext: &[u8]) -> Result<Vec<u8>, crate::args::Fail> {
    let size = private.key_size_bytes();
    let Ok(decrypting) = aws_lc_rs::rsa::Pkcs1PrivateDecryptingKey::new(private) else {
        return fail("failed to parse key: not an RSA key");
    };
    let mut out = vec![0u8; size];
    match decrypting.decrypt(ciphertext, &mut out) {
        Ok(plain) => Ok(plain.to_vec()),
        Err(_) => fail("failed to decrypt: crypto/rsa: decryption error"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_parsing() {
        assert!(parse_uuid("6ba7b810-9dad-11d1-80b4-00c04fd430c8").is_some());
        assert!(parse_uuid("6ba7b8109dad11d180b400c04fd430c8").is_none());
        assert!(parse_uuid("nope").is_none());
        let b = parse_uuid("6ba7b810-9dad-11d1-80b4-00c04fd430c8").unwrap();
        assert_eq!(format_uuid(&b), "6ba7b810-9dad-11d1-80b4-00c04fd430c8");
    }
}
