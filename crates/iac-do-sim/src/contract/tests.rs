//! Tests of the OpenAPI contract checker on hand-made exchanges.

use super::*;

fn contract() -> Contract {
    Contract::load(&default_spec_path()).expect("the OpenAPI document beside the workspace")
}

fn ex(method: &str, path: &str, req: &str, status: u16, body: &str) -> Exchange {
    Exchange {
        method: method.into(),
        path: path.into(),
        query: String::new(),
        request_body: req.into(),
        request_content_type: (!req.is_empty()).then(|| "application/json".into()),
        status,
        response_headers: vec![
            ("ratelimit-limit".into(), "250".into()),
            ("ratelimit-remaining".into(), "249".into()),
            ("ratelimit-reset".into(), "1700000000".into()),
        ],
        response_content_type: (!body.is_empty()).then(|| "application/json".into()),
        response_body: body.into(),
    }
}

const VPC: &str = r#"{"vpc":{"id":"5a4981aa-9653-4bd1-bef5-d6bff52042e4","urn":"do:vpc:5a4981aa-9653-4bd1-bef5-d6bff52042e4","name":"env.prod","description":"","region":"nyc1","ip_range":"10.10.10.0/24","default":false,"created_at":"2020-03-13T19:20:47Z"}}"#;

#[test]
fn a_conforming_exchange_has_no_violations() {
    let c = contract();
    let e = ex("POST", "/v2/vpcs", r#"{"name":"env.prod","region":"nyc1","ip_range":"10.10.10.0/24"}"#, 201, VPC);
    assert_eq!(c.check(&e), Vec::<Violation>::new());
}

#[test]
fn wrong_types_missing_fields_and_unknown_fields_are_caught() {
    let c = contract();
    let bad = VPC.replace(r#""default":false"#, r#""default":"no""#).replace(r#""name":"env.prod""#, r#""name":"bad name!","vpc_id":"x""#);
    let v = c.check(&ex("GET", "/v2/vpcs/5a4981aa-9653-4bd1-bef5-d6bff52042e4", "", 200, &bad));
    let at: Vec<&str> = v.iter().map(|v| v.at.as_str()).collect();
    assert!(at.contains(&"body.vpc.default"), "{v:?}");
    assert!(at.contains(&"body.vpc.name"), "pattern: {v:?}");
    assert!(at.contains(&"body.vpc.vpc_id"), "undeclared: {v:?}");
    let missing = c.check(&ex("POST", "/v2/vpcs", r#"{"name":"x"}"#, 201, VPC));
    assert!(missing.iter().any(|v| v.at == "body.region" && v.side == "request"), "{missing:?}");
}

#[test]
fn read_only_fields_in_requests_and_bad_parameters_are_caught() {
    let c = contract();
    let body = r#"{"id":"5a4981aa-9653-4bd1-bef5-d6bff52042e4","name":"c","region":"nyc1","version":"1.31.1-do.5","node_pools":[{"name":"p","size":"s-1vcpu-2gb","count":1}]}"#;
    let v = c.check(&ex("POST", "/v2/kubernetes/clusters", body, 500, r#"{"id":"server_error","message":"x"}"#));
    assert_eq!(v.len(), 1, "{v:?}");
    assert!(v[0].message.contains("readOnly"));
    let mut e = ex("GET", "/v2/vpcs", "", 200, r#"{"vpcs":[],"links":{},"meta":{"total":0}}"#);
    e.query = "per_page=500&colour=red".into();
    let v = c.check(&e);
    assert!(v.iter().any(|v| v.at == "query.per_page"), "{v:?}");
    assert!(v.iter().any(|v| v.at == "query.colour"), "{v:?}");
    let nope = c.check(&ex("GET", "/v2/droplets", "", 200, "{}"));
    assert_eq!(nope[0].at, "path");
}

#[test]
fn missing_rate_limit_headers_and_bodies_on_204_are_caught() {
    let c = contract();
    let mut e = ex("DELETE", "/v2/vpcs/5a4981aa-9653-4bd1-bef5-d6bff52042e4", "", 204, "");
    e.response_headers.clear();
    let v = c.check(&e);
    assert_eq!(v.len(), 3, "{v:?}");
    let e = ex("DELETE", "/v2/vpcs/5a4981aa-9653-4bd1-bef5-d6bff52042e4", "", 204, "{}");
    assert!(c.check(&e).iter().any(|v| v.at == "body"));
}

#[test]
fn the_platform_contract_holds_databases_and_bounds_beyond_64_bits() {
    let c = contract();
    // group_concat_max_len's maximum is 18446744073709552000 in the document.
    let mysql =
        |n: &str| ex("PATCH", "/v2/databases/5a4981aa-9653-4bd1-bef5-d6bff52042e4/config", &format!(r#"{{"config":{{"group_concat_max_len":{n}}}}}"#), 200, "");
    assert_eq!(c.check(&mysql("1024")), Vec::<Violation>::new());
    let text = c.doc.to_string();
    let at = text.find("group_concat_max_len").expect("the MySQL configuration");
    assert!(text[at..at + 400].contains(r#""maximum":1.8446744073709552e+19"#), "the bound is kept, as the nearest float: {}", &text[at..at + 400]);
    let body = r#"{"name":"db","engine":"pg","version":"16","region":"nyc1","size":"db-s-1vcpu-1gb","num_nodes":1}"#;
    let v = c.check(&ex("POST", "/v2/databases", body, 500, r#"{"id":"server_error","message":"x"}"#));
    assert_eq!(v, Vec::<Violation>::new());
}

/// The simulator's load balancers, certificates and registry, as the store
/// answers them, keep to the document.
#[test]
fn the_edge_answers_keep_to_the_contract() {
    use crate::store::Store;
    use serde_json::json;
    let c = contract();
    let cfg = crate::SimConfig::fast();
    let now = std::time::Instant::now();
    let mut s = Store::default();
    let mut all = Vec::new();
    let mut push = |method: &str, path: &str, req: &serde_json::Value, status: u16, body: &serde_json::Value| {
        let req = if req.is_null() { String::new() } else { req.to_string() };
        let body = if body.is_null() { String::new() } else { body.to_string() };
        all.push(ex(method, path, &req, status, &body));
    };
    let pem = json!({"name": "web-cert", "type": "custom", "private_key": "-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----",
        "leaf_certificate": "-----BEGIN CERTIFICATE-----\ny\n-----END CERTIFICATE-----", "certificate_chain": "-----BEGIN CERTIFICATE-----\nz\n-----END CERTIFICATE-----"});
    let cert = s.create_certificate(&pem, now, &cfg).unwrap();
    push("POST", "/v2/certificates", &pem, 201, &json!({"certificate": cert}));
    let lb_req = json!({"name": "web", "region": "fra1", "size_unit": 2, "tag": "web",
        "forwarding_rules": [{"entry_protocol": "https", "entry_port": 443, "target_protocol": "http", "target_port": 80, "certificate_id": cert["id"], "tls_passthrough": false}],
        "health_check": {"protocol": "tcp", "port": 22, "check_interval_seconds": 10, "response_timeout_seconds": 5, "unhealthy_threshold": 3, "healthy_threshold": 5},
        "sticky_sessions": {"type": "cookies", "cookie_name": "lb", "cookie_ttl_seconds": 300},
        "firewall": {"allow": ["cidr:10.0.0.0/8"], "deny": ["ip:192.0.2.1"]}, "network_stack": "DUALSTACK",
        "disable_lets_encrypt_dns_records": false, "redirect_http_to_https": true});
    let lb = s.create_load_balancer(&lb_req, now, &cfg).unwrap();
    push("POST", "/v2/load_balancers", &lb_req, 202, &json!({"load_balancer": lb}));
    let id = lb["id"].as_str().unwrap().to_string();
    push("GET", &format!("/v2/load_balancers/{id}"), &json!(null), 200, &json!({"load_balancer": s.load_balancer_json(&id).unwrap()}));
    let list = crate::pagination::page("load_balancers", s.list_load_balancers(), "", "http://x", "/v2/load_balancers");
    push("GET", "/v2/load_balancers", &json!(null), 200, &list);
    let certs = crate::pagination::page("certificates", s.list_certificates("name=web-cert"), "", "http://x", "/v2/certificates");
    push("GET", "/v2/certificates", &json!(null), 200, &certs);
    let reg_req = json!({"name": "saas", "subscription_tier_slug": "basic", "region": "fra1"});
    let reg = s.create_registry(&reg_req).unwrap();
    push("POST", "/v2/registries", &reg_req, 201, &json!({"registry": reg}));
    push("GET", "/v2/registries/subscription", &json!(null), 200, &json!({"subscription": s.subscription().unwrap()}));
    let sub_req = json!({"tier_slug": "professional"});
    push("POST", "/v2/registries/subscription", &sub_req, 200, &json!({"subscription": s.update_subscription(&sub_req).unwrap()}));
    let creds = s.docker_credentials("expiry_seconds=3600&read_write=true").unwrap();
    push("GET", "/v2/registry/docker-credentials", &json!(null), 200, &creds);
    push("DELETE", &format!("/v2/load_balancers/{id}"), &json!(null), 204, &json!(null));
    let at = all.len() - 2;
    all[at].query = "expiry_seconds=3600&read_write=true".into();
    let v = c.check_all(&all);
    assert_eq!(v, Vec::<Violation>::new());
}
