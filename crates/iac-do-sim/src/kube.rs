//! Cluster access: the kubeconfig YAML and the credentials object, both
//! pointing at the configured Kubernetes API address.

use serde_json::{json, Value};

use crate::model::Cluster;

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub fn base64(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A stand-in CA certificate (PEM, base64-encoded as the API sends it).
pub fn fake_ca(cluster_id: &str) -> String {
    let pem = format!("-----BEGIN CERTIFICATE-----\nU0lNVUxBVEVELUNBLXtjbHVzdGVyX2lkfQ=={cluster_id}\n-----END CERTIFICATE-----\n");
    base64(pem.as_bytes())
}

pub fn kubeconfig(c: &Cluster, server: &str) -> String {
    let ctx = c.context_name();
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    certificate-authority-data: {ca}\n    server: {server}\n  name: {ctx}\ncontexts:\n- context:\n    cluster: {ctx}\n    user: {ctx}-admin\n  name: {ctx}\ncurrent-context: {ctx}\nusers:\n- name: {ctx}-admin\n  user:\n    token: {token}\n",
        ca = c.ca,
        token = c.token,
    )
}

pub fn credentials(c: &Cluster, server: &str) -> Value {
    json!({"server": server, "certificate_authority_data": c.ca, "client_certificate_data": null, "client_key_data": null, "token": c.token, "expires_at": c.token_expires_at})
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_matches_rfc4648_vectors() {
        assert_eq!(super::base64(b""), "");
        assert_eq!(super::base64(b"f"), "Zg==");
        assert_eq!(super::base64(b"fo"), "Zm8=");
        assert_eq!(super::base64(b"foobar"), "Zm9vYmFy");
    }
}
