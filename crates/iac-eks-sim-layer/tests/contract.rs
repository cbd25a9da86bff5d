//! The contract checker against botocore's EKS model (installed by
//! scripts/install-tools): AWS-shaped exchanges pass, and each kind of
//! deviation is caught, so a passing check means something.

use iac_eks_sim_layer::contract::{find_eks_model, Model};
use iac_eks_sim_layer::eks::{Behaviour, State};
use iac_eks_sim_layer::Exchange;
use serde_json::{json, Value as Json};

fn model() -> Model {
    let venv = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.tools/venv");
    Model::load(&find_eks_model(&venv).expect("botocore's EKS model: run scripts/install-tools")).unwrap()
}

fn served(s: &mut State, method: &str, path: &str, request: Json) -> Exchange {
    let r = s.handle(method, path, "", &request, "us-east-1");
    Exchange { method: method.into(), path: path.into(), query: String::new(), request, status: r.status, response: r.body }
}

#[test]
fn every_answer_of_the_layer_has_the_models_shape() {
    let m = model();
    let mut s = State::new(Behaviour { transition_reads: 0, ..Behaviour::default() });
    let mut xs = vec![served(
        &mut s,
        "POST",
        "/clusters",
        json!({"name": "c", "roleArn": "arn:aws:iam::1:role/r", "version": "1.30", "resourcesVpcConfig": {"subnetIds": ["subnet-a", "subnet-b"]}, "accessConfig": {"authenticationMode": "API"}, "tags": {"a": "b"}}),
    )];
    xs.push(served(&mut s, "GET", "/clusters/c", Json::Null));
    xs.push(served(&mut s, "POST", "/clusters/c/updates", json!({"version": "1.31"})));
    let id = xs.last().unwrap().response["update"]["id"].as_str().unwrap().to_string();
    xs.push(served(&mut s, "GET", &format!("/clusters/c/updates/{id}"), Json::Null));
    xs.push(served(&mut s, "POST", "/clusters/c/update-config", json!({"resourcesVpcConfig": {"endpointPrivateAccess": true}})));
    xs.push(served(&mut s, "POST", "/clusters/c/node-groups", json!({"nodegroupName": "n", "nodeRole": "arn:aws:iam::1:role/n", "subnets": ["subnet-a"], "scalingConfig": {"minSize": 1, "maxSize": 3, "desiredSize": 2}, "taints": [{"key": "k", "value": "v", "effect": "NO_SCHEDULE"}], "labels": {"a": "b"}})));
    xs.push(served(&mut s, "GET", "/clusters/c/node-groups/n", Json::Null));
    xs.push(served(
        &mut s,
        "POST",
        "/clusters/c/node-groups/n/update-config",
        json!({"scalingConfig": {"desiredSize": 3}, "labels": {"addOrUpdateLabels": {"x": "y"}, "removeLabels": ["a"]}}),
    ));
    xs.push(served(&mut s, "POST", "/clusters/c/node-groups/n/update-version", json!({"version": "1.31"})));
    xs.push(served(&mut s, "POST", "/clusters/c/addons", json!({"addonName": "vpc-cni", "addonVersion": "v1.18.0-eksbuild.1"})));
    xs.push(served(&mut s, "GET", "/clusters/c/addons/vpc-cni", Json::Null));
    xs.push(served(&mut s, "POST", "/clusters/c/addons/vpc-cni/update", json!({"addonVersion": "v1.19.0-eksbuild.1"})));
    xs.push(served(&mut s, "POST", "/clusters/c/access-entries", json!({"principalArn": "arn:aws:iam::1:role/admin", "kubernetesGroups": ["g"]})));
    xs.push(served(&mut s, "GET", "/clusters/c/access-entries/arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fadmin", Json::Null));
    xs.push(served(&mut s, "GET", "/clusters/c/node-groups", Json::Null));
    xs.push(served(&mut s, "GET", "/clusters/nope", Json::Null));
    xs.push(served(&mut s, "DELETE", "/clusters/c/node-groups/n", Json::Null));
    assert!(
        xs.iter().all(|x| x.status == 200 || x.path == "/clusters/nope"),
        "{:?}",
        xs.iter().map(|x| (x.path.clone(), x.status, x.response.clone())).collect::<Vec<_>>()
    );
    let problems = m.check_all(&xs);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn deviations_from_the_model_are_reported() {
    let m = model();
    let x = |method: &str, path: &str, request: Json, response: Json| Exchange {
        method: method.into(),
        path: path.into(),
        query: String::new(),
        request,
        status: 200,
        response,
    };
    let cases = [
        (x("GET", "/clusters/c", Json::Null, json!({"cluster": {"name": "c", "statuz": "ACTIVE"}})), "not a member of Cluster"),
        (x("GET", "/clusters/c", Json::Null, json!({"cluster": {"name": "c", "status": "RUNNING"}})), "is not one of ClusterStatus's values"),
        (x("GET", "/clusters/c", Json::Null, json!({"cluster": {"createdAt": "yesterday"}})), "expected epoch seconds"),
        (x("GET", "/clusters/c/node-groups/n", Json::Null, json!({"nodegroup": {"scalingConfig": {"minSize": "1"}}})), "expected an integer"),
        (x("POST", "/clusters", json!({"name": "c", "cluster": "x"}), json!({})), "not a member of CreateClusterRequest"),
        (x("PATCH", "/clusters/c", Json::Null, json!({})), "no EKS operation"),
    ];
    for (ex, want) in cases {
        let p = m.check(&ex);
        assert!(p.iter().any(|p| p.contains(want)), "{want:?} not reported for {ex:?}: {p:?}");
    }
    assert_eq!(m.operation("GET", "/clusters/c/updates/u-1").as_deref(), Some("DescribeUpdate"));
    assert_eq!(m.operation("POST", "/clusters/c/updates").as_deref(), Some("UpdateClusterVersion"));
    assert_eq!(m.operation("DELETE", "/tags/arn%3Aaws%3Aeks%3Aus-east-1%3A1%3Acluster%2Fc").as_deref(), Some("UntagResource"));
}
