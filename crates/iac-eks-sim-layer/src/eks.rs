//! The EKS API subset, served from memory with AWS's shapes: clusters, node
//! groups, add-ons (and the versions on offer), access entries and their
//! access policies, Pod Identity associations, the Kubernetes versions on
//! offer, updates and tags. Objects pass through
//! their transitional statuses (CREATING, UPDATING, DELETING) for a
//! configurable number of reads before they settle, and a cluster can be
//! told to land in FAILED with health issues.

use std::collections::BTreeMap;

use serde_json::{json, Value as Json};

/// How the layer behaves; changed at run time with `POST /_layer/config`.
#[derive(Clone, Debug, PartialEq)]
pub struct Behaviour {
    /// Reads an object stays CREATING/UPDATING/DELETING (and an update InProgress).
    pub transition_reads: u32,
    /// Clusters with these names end their create in FAILED.
    pub fail_clusters: Vec<String>,
    /// The version a cluster gets when the create names none.
    pub default_version: String,
    /// The AWS account id in ARNs.
    pub account_id: String,
    /// The next this-many EKS requests are refused with ThrottlingException.
    pub throttle_next: u32,
    /// The Kubernetes API new clusters report as `endpoint` (e.g. a local
    /// test API at `http://127.0.0.1:PORT`), so a stack can configure its
    /// kubernetes provider from the cluster; `None` reports an EKS-shaped URL.
    pub kube_api: Option<String>,
    /// Where new clusters' OIDC issuers live: `{oidc_issuer}/id/{ID}` (e.g.
    /// a local HTTPS server at `https://127.0.0.1:PORT`), so a stack can
    /// read the issuer's certificate (`data "tls_certificate"`) for its
    /// OIDC provider's thumbprint; `None` reports an EKS-shaped URL.
    pub oidc_issuer: Option<String>,
}

impl Default for Behaviour {
    fn default() -> Behaviour {
        Behaviour {
            transition_reads: 2,
            fail_clusters: Vec::new(),
            default_version: "1.31".into(),
            account_id: "123456789012".into(),
            throttle_next: 0,
            kube_api: None,
            oidc_issuer: None,
        }
    }
}

impl Behaviour {
    /// The behaviour a `POST /_sim/config` body asks for; fields it leaves
    /// out keep their defaults.
    pub fn from_json(j: &Json) -> Behaviour {
        let d = Behaviour::default();
        Behaviour {
            transition_reads: j["transition_reads"].as_u64().map(|n| n as u32).unwrap_or(d.transition_reads),
            fail_clusters: j["fail_clusters"].as_array().map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect()).unwrap_or_default(),
            default_version: j["default_version"].as_str().map(str::to_string).unwrap_or(d.default_version),
            account_id: j["account_id"].as_str().map(str::to_string).unwrap_or(d.account_id),
            throttle_next: j["throttle_next"].as_u64().map(|n| n as u32).unwrap_or(0),
            kube_api: j["kube_api"].as_str().map(str::to_string),
            oidc_issuer: j["oidc_issuer"].as_str().map(str::to_string),
        }
    }
}

/// An object and the status it settles into after its transition.
#[derive(Clone, Debug)]
struct Tracked {
    doc: Json,
    reads_left: u32,
    /// Status after the transition; None: the object is gone (a delete).
    settles_to: Option<String>,
}

impl Tracked {
    fn new(doc: Json, reads: u32, settles_to: &str) -> Tracked {
        Tracked { doc, reads_left: reads, settles_to: Some(settles_to.into()) }
    }
    fn status(&self) -> &str {
        self.doc["status"].as_str().unwrap_or("")
    }
}

/// Everything the layer holds: its behaviour and the EKS objects it serves.
#[derive(Default)]
pub struct State {
    /// How the layer behaves (transitions, failures, throttling).
    pub behaviour: Behaviour,
    clusters: BTreeMap<String, Tracked>,
    nodegroups: BTreeMap<(String, String), Tracked>,
    addons: BTreeMap<(String, String), Tracked>,
    access_entries: BTreeMap<(String, String), Json>,
    /// Access policies associated with an entry: (cluster, principal) → policies.
    access_policies: BTreeMap<(String, String), Vec<Json>>,
    /// Pod Identity associations: (cluster, association id) → association.
    pod_identities: BTreeMap<(String, String), Json>,
    updates: BTreeMap<String, Tracked>,
}

/// The Kubernetes versions the layer offers, newest first: (version, status, default).
const CLUSTER_VERSIONS: &[(&str, &str, bool)] = &[
    ("1.33", "STANDARD_SUPPORT", false),
    ("1.32", "STANDARD_SUPPORT", true),
    ("1.31", "STANDARD_SUPPORT", false),
    ("1.30", "EXTENDED_SUPPORT", false),
    ("1.29", "EXTENDED_SUPPORT", false),
];

/// The add-on versions the layer offers, newest first; the second of each is the default.
const ADDON_VERSIONS: &[(&str, &[&str])] = &[
    ("coredns", &["v1.11.4-eksbuild.2", "v1.11.3-eksbuild.2", "v1.11.1-eksbuild.1"]),
    ("kube-proxy", &["v1.31.3-eksbuild.2", "v1.31.2-eksbuild.3", "v1.30.6-eksbuild.3"]),
    ("vpc-cni", &["v1.19.2-eksbuild.1", "v1.19.0-eksbuild.1", "v1.18.6-eksbuild.1"]),
    ("aws-ebs-csi-driver", &["v1.38.1-eksbuild.2", "v1.37.0-eksbuild.1"]),
    ("eks-pod-identity-agent", &["v1.3.4-eksbuild.1", "v1.3.2-eksbuild.2"]),
];

/// A response: status code and body; errors carry `x-amzn-ErrorType`.
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// The JSON body.
    pub body: Json,
    /// The error's type, for the `x-amzn-ErrorType` header.
    pub error_type: Option<&'static str>,
}

fn ok(body: Json) -> Reply {
    Reply { status: 200, body, error_type: None }
}

fn err(status: u16, kind: &'static str, message: impl Into<String>) -> Reply {
    Reply { status, body: json!({ "message": message.into() }), error_type: Some(kind) }
}

fn not_found(what: &str) -> Reply {
    err(404, "ResourceNotFoundException", format!("No {what} found."))
}

fn now() -> f64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0)
}

fn hex(n: usize) -> String {
    (0..n).map(|_| char::from(b"0123456789ABCDEF"[fastrand::usize(..16)])).collect()
}

fn uuid() -> String {
    format!("{}-{}-{}-{}-{}", hex(8), hex(4), hex(4), hex(4), hex(12)).to_lowercase()
}

fn minor(v: &str) -> Option<(u32, u32)> {
    let mut it = v.split('.');
    Some((it.next()?.parse().ok()?, it.next()?.parse().ok()?))
}

/// One read of a tracked object: counts the transition down, settles it.
/// Returns None when it has gone.
fn observe(t: &mut Tracked) -> Option<Json> {
    if t.reads_left > 0 {
        t.reads_left -= 1;
        return Some(t.doc.clone());
    }
    match &t.settles_to {
        Some(s) => {
            t.doc["status"] = json!(s);
            Some(t.doc.clone())
        }
        None => None,
    }
}

fn tags_of(body: &Json) -> Json {
    if body["tags"].is_object() {
        body["tags"].clone()
    } else {
        json!({})
    }
}

impl State {
    /// An empty layer that behaves as `behaviour` says.
    pub fn new(behaviour: Behaviour) -> State {
        State { behaviour, ..State::default() }
    }

    /// Names of every object the layer holds (for "nothing is left" checks).
    pub fn inventory(&self) -> Vec<String> {
        let mut v: Vec<String> = self.clusters.keys().map(|c| format!("cluster {c}")).collect();
        v.extend(self.nodegroups.keys().map(|(c, n)| format!("nodegroup {c}/{n}")));
        v.extend(self.addons.keys().map(|(c, n)| format!("addon {c}/{n}")));
        v.extend(self.access_entries.keys().map(|(c, p)| format!("access entry {c}/{p}")));
        v.extend(
            self.access_policies
                .iter()
                .flat_map(|((c, p), l)| l.iter().map(move |a| format!("access policy {c}/{p}/{}", a["policyArn"].as_str().unwrap_or("")))),
        );
        v.extend(self.pod_identities.keys().map(|(c, a)| format!("pod identity association {c}/{a}")));
        v
    }

    /// Sets a cluster's scaling or tags "by hand" (out-of-band changes in tests).
    pub fn edit_nodegroup(&mut self, cluster: &str, name: &str, f: impl FnOnce(&mut Json)) -> bool {
        match self.nodegroups.get_mut(&(cluster.to_string(), name.to_string())) {
            Some(t) => {
                f(&mut t.doc);
                true
            }
            None => false,
        }
    }

    /// Changes a cluster's document "by hand"; false when there is no such cluster.
    pub fn edit_cluster(&mut self, name: &str, f: impl FnOnce(&mut Json)) -> bool {
        match self.clusters.get_mut(name) {
            Some(t) => {
                f(&mut t.doc);
                true
            }
            None => false,
        }
    }

    fn reads(&self) -> u32 {
        self.behaviour.transition_reads
    }

    fn new_update(&mut self, kind: &str, params: Vec<(&str, String)>) -> Json {
        let id = uuid();
        let doc = json!({
            "id": id,
            "status": "InProgress",
            "type": kind,
            "params": params.into_iter().map(|(t, v)| json!({"type": t, "value": v})).collect::<Vec<_>>(),
            "createdAt": now(),
            "errors": [],
        });
        self.updates.insert(id, Tracked::new(doc.clone(), self.reads(), "Successful"));
        doc
    }

    /// The cluster, read once (transition counted).
    fn cluster(&mut self, name: &str) -> Option<Json> {
        let t = self.clusters.get_mut(name)?;
        match observe(t) {
            Some(d) => Some(d),
            None => {
                self.clusters.remove(name);
                None
            }
        }
    }

    fn cluster_active(&mut self, name: &str) -> Result<Json, Reply> {
        let c = self.cluster(name).ok_or_else(|| not_found(&format!("cluster found for name: {name}")))?;
        if c["status"] != "ACTIVE" {
            return Err(err(409, "ResourceInUseException", format!("Cluster {name} is {}, not ACTIVE", c["status"].as_str().unwrap_or(""))));
        }
        Ok(c)
    }

    /// Serves one EKS request.
    pub fn handle(&mut self, method: &str, path: &str, query: &str, body: &Json, region: &str) -> Reply {
        if self.behaviour.throttle_next > 0 {
            self.behaviour.throttle_next -= 1;
            return err(429, "ThrottlingException", "Rate exceeded");
        }
        let segs: Vec<String> = path.trim_matches('/').split('/').map(|s| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned()).collect();
        let s: Vec<&str> = segs.iter().map(String::as_str).collect();
        match (method, s.as_slice()) {
            ("POST", ["clusters"]) => self.create_cluster(body, region),
            ("GET", ["clusters"]) => ok(json!({ "clusters": self.clusters.keys().collect::<Vec<_>>() })),
            ("GET", ["clusters", name]) => match self.cluster(name) {
                Some(c) => ok(json!({ "cluster": c })),
                None => not_found(&format!("cluster found for name: {name}")),
            },
            ("DELETE", ["clusters", name]) => self.delete_cluster(name),
            ("POST", ["clusters", name, "updates"]) => self.update_cluster_version(name, body),
            ("POST", ["clusters", name, "update-config"]) => self.update_cluster_config(name, body),
            ("GET", ["clusters", name, "updates", id]) => self.describe_update(name, id),
            ("POST", ["clusters", name, "node-groups"]) => self.create_nodegroup(name, body, region),
            ("GET", ["clusters", name, "node-groups"]) => {
                ok(json!({ "nodegroups": self.nodegroups.keys().filter(|(c, _)| c == name).map(|(_, n)| n).collect::<Vec<_>>() }))
            }
            ("GET", ["clusters", name, "node-groups", ng]) => self.read_tracked(Kind::Nodegroup, name, ng),
            ("DELETE", ["clusters", name, "node-groups", ng]) => self.delete_tracked(Kind::Nodegroup, name, ng),
            ("POST", ["clusters", name, "node-groups", ng, "update-config"]) => self.update_nodegroup_config(name, ng, body),
            ("POST", ["clusters", name, "node-groups", ng, "update-version"]) => self.update_nodegroup_version(name, ng, body),
            ("POST", ["clusters", name, "addons"]) => self.create_addon(name, body, region),
            ("GET", ["clusters", name, "addons"]) => ok(json!({ "addons": self.addons.keys().filter(|(c, _)| c == name).map(|(_, n)| n).collect::<Vec<_>>() })),
            ("GET", ["clusters", name, "addons", a]) => self.read_tracked(Kind::Addon, name, a),
            ("DELETE", ["clusters", name, "addons", a]) => self.delete_tracked(Kind::Addon, name, a),
            ("POST", ["clusters", name, "addons", a, "update"]) => self.update_addon(name, a, body),
            ("POST", ["clusters", name, "access-entries"]) => self.create_access_entry(name, body, region),
            ("GET", ["clusters", name, "access-entries"]) => {
                ok(json!({ "accessEntries": self.access_entries.keys().filter(|(c, _)| c == name).map(|(_, p)| p).collect::<Vec<_>>() }))
            }
            ("GET", ["clusters", name, "access-entries", p]) => match self.access_entries.get(&(name.to_string(), p.to_string())) {
                Some(e) => ok(json!({ "accessEntry": e })),
                None => not_found(&format!("access entry for principal {p}")),
            },
            ("POST", ["clusters", name, "access-entries", p]) => self.update_access_entry(name, p, body),
            ("DELETE", ["clusters", name, "access-entries", p]) => match self.access_entries.remove(&(name.to_string(), p.to_string())) {
                Some(_) => ok(json!({})),
                None => not_found(&format!("access entry for principal {p}")),
            },
            ("POST", ["clusters", name, "access-entries", p, "access-policies"]) => self.associate_access_policy(name, p, body),
            ("GET", ["clusters", name, "access-entries", p, "access-policies"]) => {
                if !self.access_entries.contains_key(&(name.to_string(), p.to_string())) {
                    return not_found(&format!("access entry for principal {p}"));
                }
                let list = self.access_policies.get(&(name.to_string(), p.to_string())).cloned().unwrap_or_default();
                ok(json!({ "clusterName": name, "principalArn": p, "associatedAccessPolicies": list }))
            }
            ("DELETE", ["clusters", name, "access-entries", p, "access-policies", policy]) => {
                let key = (name.to_string(), p.to_string());
                let list = self.access_policies.entry(key.clone()).or_default();
                let before = list.len();
                list.retain(|a| a["policyArn"] != *policy);
                let gone = list.len() == before;
                if list.is_empty() {
                    self.access_policies.remove(&key);
                }
                if gone {
                    return not_found(&format!("access policy {policy} for principal {p}"));
                }
                ok(json!({}))
            }
            ("POST", ["clusters", name, "pod-identity-associations"]) => self.create_pod_identity(name, body, region),
            ("GET", ["clusters", name, "pod-identity-associations"]) => {
                let param = |k: &str| {
                    query
                        .split('&')
                        .find_map(|kv| kv.strip_prefix(&format!("{k}=")))
                        .map(|v| percent_encoding::percent_decode_str(v).decode_utf8_lossy().into_owned())
                };
                let (ns, sa) = (param("namespace"), param("serviceAccount"));
                let list: Vec<Json> = self
                    .pod_identities
                    .iter()
                    .filter(|((c, _), a)| {
                        c == name && ns.as_deref().is_none_or(|n| a["namespace"] == n) && sa.as_deref().is_none_or(|s| a["serviceAccount"] == s)
                    })
                    .map(|(_, a)| {
                        json!({
                            "clusterName": a["clusterName"], "namespace": a["namespace"], "serviceAccount": a["serviceAccount"],
                            "associationArn": a["associationArn"], "associationId": a["associationId"],
                        })
                    })
                    .collect();
                ok(json!({ "associations": list }))
            }
            ("GET", ["clusters", name, "pod-identity-associations", id]) => match self.pod_identities.get(&(name.to_string(), id.to_string())) {
                Some(a) => ok(json!({ "association": a })),
                None => not_found(&format!("pod identity association {id}")),
            },
            ("POST", ["clusters", name, "pod-identity-associations", id]) => match self.pod_identities.get_mut(&(name.to_string(), id.to_string())) {
                Some(a) => {
                    if let Some(r) = body["roleArn"].as_str() {
                        a["roleArn"] = json!(r);
                    }
                    a["modifiedAt"] = json!(now());
                    ok(json!({ "association": a.clone() }))
                }
                None => not_found(&format!("pod identity association {id}")),
            },
            ("DELETE", ["clusters", name, "pod-identity-associations", id]) => match self.pod_identities.remove(&(name.to_string(), id.to_string())) {
                Some(a) => ok(json!({ "association": a })),
                None => not_found(&format!("pod identity association {id}")),
            },
            ("POST", ["clusters", name, "encryption-config", "associate"]) => self.associate_encryption(name, body),
            ("GET", ["addons", "supported-versions"]) => self.addon_versions(query),
            ("GET", ["cluster-versions"]) => self.cluster_versions(query),
            ("POST", ["tags", arn @ ..]) => self.tag(&arn.join("/"), |t| {
                if let Some(m) = body["tags"].as_object() {
                    for (k, v) in m {
                        t[k] = v.clone();
                    }
                }
            }),
            ("DELETE", ["tags", arn @ ..]) => {
                let keys: Vec<String> = query
                    .split('&')
                    .filter_map(|kv| kv.strip_prefix("tagKeys="))
                    .map(|k| percent_encoding::percent_decode_str(k).decode_utf8_lossy().into_owned())
                    .collect();
                self.tag(&arn.join("/"), |t| {
                    if let Some(m) = t.as_object_mut() {
                        for k in &keys {
                            m.remove(k);
                        }
                    }
                })
            }
            ("GET", ["tags", arn @ ..]) => {
                let arn = arn.join("/");
                match self.docs_mut().find(|d| {
                    d["arn"] == arn.as_str()
                        || d["nodegroupArn"] == arn.as_str()
                        || d["addonArn"] == arn.as_str()
                        || d["accessEntryArn"] == arn.as_str()
                        || d["associationArn"] == arn.as_str()
                }) {
                    Some(d) => ok(json!({ "tags": d["tags"].clone() })),
                    None => not_found(&format!("resource {arn}")),
                }
            }
            _ => err(404, "NotImplemented", format!("the EKS layer does not serve {method} {path}")),
        }
    }

    fn docs_mut(&mut self) -> impl Iterator<Item = &mut Json> {
        self.clusters
            .values_mut()
            .map(|t| &mut t.doc)
            .chain(self.nodegroups.values_mut().map(|t| &mut t.doc))
            .chain(self.addons.values_mut().map(|t| &mut t.doc))
            .chain(self.access_entries.values_mut())
            .chain(self.pod_identities.values_mut())
    }

    fn tag(&mut self, arn: &str, f: impl FnOnce(&mut Json)) -> Reply {
        match self
            .docs_mut()
            .find(|d| d["arn"] == arn || d["nodegroupArn"] == arn || d["addonArn"] == arn || d["accessEntryArn"] == arn || d["associationArn"] == arn)
        {
            Some(d) => {
                if !d["tags"].is_object() {
                    d["tags"] = json!({});
                }
                f(&mut d["tags"]);
                ok(json!({}))
            }
            None => not_found(&format!("resource {arn}")),
        }
    }

    fn create_cluster(&mut self, b: &Json, region: &str) -> Reply {
        let Some(name) = b["name"].as_str() else { return err(400, "InvalidParameterException", "name is required") };
        if self.clusters.contains_key(name) {
            return err(409, "ResourceInUseException", format!("Cluster already exists with name: {name}"));
        }
        let Some(role) = b["roleArn"].as_str() else { return err(400, "InvalidParameterException", "roleArn is required") };
        let vpc = &b["resourcesVpcConfig"];
        if vpc["subnetIds"].as_array().is_none_or(|s| s.len() < 2) {
            return err(400, "InvalidParameterException", "Subnets specified must be in at least two different AZs");
        }
        let version = b["version"].as_str().unwrap_or(&self.behaviour.default_version).to_string();
        if minor(&version).is_none() {
            return err(400, "InvalidParameterException", format!("unsupported Kubernetes version {version}"));
        }
        let access = &b["accessConfig"];
        let id = hex(32);
        let doc = json!({
            "name": name,
            "arn": format!("arn:aws:eks:{region}:{}:cluster/{name}", self.behaviour.account_id),
            "createdAt": now(),
            "version": version,
            "endpoint": self.behaviour.kube_api.clone().unwrap_or_else(|| format!("https://{id}.gr7.{region}.eks.amazonaws.com")),
            "roleArn": role,
            "resourcesVpcConfig": {
                "subnetIds": vpc["subnetIds"].clone(),
                "securityGroupIds": vpc["securityGroupIds"].as_array().cloned().unwrap_or_default(),
                "clusterSecurityGroupId": format!("sg-{}", hex(17).to_lowercase()),
                "endpointPublicAccess": vpc["endpointPublicAccess"].as_bool().unwrap_or(true),
                "endpointPrivateAccess": vpc["endpointPrivateAccess"].as_bool().unwrap_or(false),
                "publicAccessCidrs": vpc["publicAccessCidrs"].as_array().cloned().unwrap_or_else(|| vec![json!("0.0.0.0/0")]),
            },
            "kubernetesNetworkConfig": {
                "serviceIpv4Cidr": b["kubernetesNetworkConfig"]["serviceIpv4Cidr"].as_str().unwrap_or("172.20.0.0/16"),
                "ipFamily": b["kubernetesNetworkConfig"]["ipFamily"].as_str().unwrap_or("ipv4"),
            },
            "logging": { "clusterLogging": log_setups(&enabled_logs(&b["logging"], &[])) },
            "encryptionConfig": b["encryptionConfig"].as_array().cloned().unwrap_or_default(),
            "identity": { "oidc": { "issuer": match &self.behaviour.oidc_issuer {
                Some(base) => format!("{}/id/{id}", base.trim_end_matches('/')),
                None => format!("https://oidc.eks.{region}.amazonaws.com/id/{id}"),
            } } },
            "status": "CREATING",
            "certificateAuthority": { "data": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUMvakNDQWVhZ0F3SUJBZ0lCQURBTkJna3Foa2lHOXcwQkFRc0ZBREFWTVJNd0VRWURWUVFERXdwcmRXSmwKY201bGRHVnpNQjRYRFRJd01ERXdNVEF3TURBd01Gb1hEVE13TURFd01UQXdNREF3TUZvd0ZURVRNQkVHQTFVRQpBeE1LYTNWaVpYSnVaWFJsY3pDQ0FTSXdEUVlKS29aSWh2Y05BUUVCQlFBRGdnRVBBRENDQVFvQ2dnRUJBTUlHCi0tLS0tRU5EIENFUlRJRklDQVRFLS0tLS0K" },
            "platformVersion": "eks.1",
            "tags": tags_of(b),
            "health": { "issues": [] },
            "accessConfig": {
                "authenticationMode": access["authenticationMode"].as_str().unwrap_or("CONFIG_MAP"),
                "bootstrapClusterCreatorAdminPermissions": access["bootstrapClusterCreatorAdminPermissions"].as_bool().unwrap_or(true),
            },
        });
        let fail = self.behaviour.fail_clusters.iter().any(|f| f == name);
        let mut t = Tracked::new(doc.clone(), self.reads(), if fail { "FAILED" } else { "ACTIVE" });
        if fail {
            t.doc["health"] =
                json!({ "issues": [{ "code": "Ec2SubnetNotFound", "message": "The subnet ID does not exist", "resourceIds": vpc["subnetIds"].clone() }] });
        }
        self.clusters.insert(name.to_string(), t);
        ok(json!({ "cluster": doc }))
    }

    fn delete_cluster(&mut self, name: &str) -> Reply {
        if self.nodegroups.keys().any(|(c, _)| c == name) {
            return err(409, "ResourceInUseException", "Cluster has nodegroups attached");
        }
        let reads = self.reads();
        let Some(t) = self.clusters.get_mut(name) else { return not_found(&format!("cluster found for name: {name}")) };
        t.doc["status"] = json!("DELETING");
        t.reads_left = reads;
        t.settles_to = None;
        let doc = t.doc.clone();
        self.addons.retain(|(c, _), _| c != name);
        self.access_entries.retain(|(c, _), _| c != name);
        self.access_policies.retain(|(c, _), _| c != name);
        self.pod_identities.retain(|(c, _), _| c != name);
        ok(json!({ "cluster": doc }))
    }

    fn set_updating(&mut self, name: &str) {
        let reads = self.reads();
        if let Some(t) = self.clusters.get_mut(name) {
            t.doc["status"] = json!("UPDATING");
            t.reads_left = reads;
            t.settles_to = Some("ACTIVE".into());
        }
    }

    fn update_cluster_version(&mut self, name: &str, b: &Json) -> Reply {
        let c = match self.cluster_active(name) {
            Ok(c) => c,
            Err(e) => return e,
        };
        let (Some(want), Some(have)) = (b["version"].as_str().and_then(minor), c["version"].as_str().and_then(minor)) else {
            return err(400, "InvalidParameterException", "version is required");
        };
        if want.0 != have.0 || want.1 != have.1 + 1 {
            return err(
                400,
                "InvalidParameterException",
                format!("Unsupported Kubernetes minor version update from {}.{} to {}.{}", have.0, have.1, want.0, want.1),
            );
        }
        let v = format!("{}.{}", want.0, want.1);
        if let Some(t) = self.clusters.get_mut(name) {
            t.doc["version"] = json!(v);
            t.doc["platformVersion"] = json!("eks.1");
        }
        self.set_updating(name);
        let u = self.new_update("VersionUpdate", vec![("Version", v), ("PlatformVersion", "eks.1".into())]);
        ok(json!({ "update": u }))
    }

    fn update_cluster_config(&mut self, name: &str, b: &Json) -> Reply {
        if let Err(e) = self.cluster_active(name) {
            return e;
        }
        let mut params = Vec::new();
        let kind;
        {
            let t = self.clusters.get_mut(name).expect("checked above");
            if let Some(v) = b["resourcesVpcConfig"].as_object().filter(|v| v.contains_key("subnetIds") || v.contains_key("securityGroupIds")) {
                kind = "VpcConfigUpdate";
                if v.get("subnetIds").and_then(Json::as_array).is_some_and(|s| s.len() < 2) {
                    return err(400, "InvalidParameterException", "Subnets specified must be in at least two different AZs");
                }
                for (k, param) in [("subnetIds", "Subnets"), ("securityGroupIds", "SecurityGroups")] {
                    if let Some(x) = v.get(k) {
                        t.doc["resourcesVpcConfig"][k] = x.clone();
                        params.push((param, x.to_string()));
                    }
                }
            } else if b["logging"].is_object() {
                kind = "LoggingUpdate";
                let current: Vec<String> = enabled_logs(&t.doc["logging"], &[]);
                let logs = enabled_logs(&b["logging"], &current);
                t.doc["logging"] = json!({ "clusterLogging": log_setups(&logs) });
                params.push(("ClusterLogging", b["logging"].to_string()));
            } else if b["kubernetesNetworkConfig"].is_object() {
                kind = "AutoModeUpdate";
                t.doc["kubernetesNetworkConfig"]["elasticLoadBalancing"] = b["kubernetesNetworkConfig"]["elasticLoadBalancing"].clone();
                params.push(("KubernetesNetworkConfig", b["kubernetesNetworkConfig"].to_string()));
            } else if let Some(v) = b["resourcesVpcConfig"].as_object() {
                kind = "EndpointAccessUpdate";
                for (k, param) in [
                    ("endpointPublicAccess", "EndpointPublicAccess"),
                    ("endpointPrivateAccess", "EndpointPrivateAccess"),
                    ("publicAccessCidrs", "PublicAccessCidrs"),
                ] {
                    if let Some(x) = v.get(k) {
                        t.doc["resourcesVpcConfig"][k] = x.clone();
                        params.push((param, x.to_string()));
                    }
                }
            } else if let Some(m) = b["accessConfig"]["authenticationMode"].as_str() {
                kind = "AccessConfigUpdate";
                t.doc["accessConfig"]["authenticationMode"] = json!(m);
                params.push(("AuthenticationMode", m.to_string()));
            } else {
                return err(400, "InvalidParameterException", "no changes needed");
            }
        }
        self.set_updating(name);
        let u = self.new_update(kind, params);
        ok(json!({ "update": u }))
    }

    fn describe_update(&mut self, _name: &str, id: &str) -> Reply {
        match self.updates.get_mut(id) {
            Some(t) => ok(json!({ "update": observe(t) })),
            None => not_found(&format!("update found for id: {id}")),
        }
    }

    fn create_nodegroup(&mut self, cluster: &str, b: &Json, region: &str) -> Reply {
        let c = match self.cluster_active(cluster) {
            Ok(c) => c,
            Err(e) => return e,
        };
        let Some(name) = b["nodegroupName"].as_str() else { return err(400, "InvalidParameterException", "nodegroupName is required") };
        let key = (cluster.to_string(), name.to_string());
        if self.nodegroups.contains_key(&key) {
            return err(409, "ResourceInUseException", format!("NodeGroup already exists with name {name} and cluster name {cluster}"));
        }
        let s = &b["scalingConfig"];
        let (lo, hi, d) = (s["minSize"].as_i64().unwrap_or(1), s["maxSize"].as_i64().unwrap_or(2), s["desiredSize"].as_i64().unwrap_or(1));
        if lo > hi || d < lo || d > hi {
            return err(400, "InvalidParameterException", "Minimum capacity, desired capacity and maximum capacity are inconsistent");
        }
        let version = b["version"].as_str().map(str::to_string).unwrap_or_else(|| c["version"].as_str().unwrap_or("").to_string());
        let doc = json!({
            "nodegroupName": name,
            "nodegroupArn": format!("arn:aws:eks:{region}:{}:nodegroup/{cluster}/{name}/{}", self.behaviour.account_id, uuid()),
            "clusterName": cluster,
            "version": version,
            "releaseVersion": format!("{version}.0-20240101"),
            "createdAt": now(),
            "modifiedAt": now(),
            "status": "CREATING",
            "capacityType": b["capacityType"].as_str().unwrap_or("ON_DEMAND"),
            "scalingConfig": { "minSize": lo, "maxSize": hi, "desiredSize": d },
            "instanceTypes": b["instanceTypes"].as_array().cloned().unwrap_or_else(|| vec![json!("t3.medium")]),
            "subnets": b["subnets"].clone(),
            "amiType": b["amiType"].as_str().unwrap_or("AL2023_x86_64_STANDARD"),
            "nodeRole": b["nodeRole"].clone(),
            "labels": if b["labels"].is_object() { b["labels"].clone() } else { json!({}) },
            "taints": b["taints"].as_array().cloned().unwrap_or_default(),
            "diskSize": b["diskSize"].as_i64().unwrap_or(20),
            "health": { "issues": [] },
            "updateConfig": if b["updateConfig"].is_object() { b["updateConfig"].clone() } else { json!({ "maxUnavailable": 1 }) },
            "resources": { "autoScalingGroups": [{ "name": format!("eks-{name}-{}", uuid()) }] },
            "tags": tags_of(b),
        });
        let mut doc = doc;
        if b["launchTemplate"].is_object() {
            let lt = &b["launchTemplate"];
            let id = lt["id"].as_str().map(str::to_string).unwrap_or_else(|| format!("lt-{}", hex(17).to_lowercase()));
            let name = lt["name"].as_str().map(str::to_string).unwrap_or_else(|| format!("eks-{}", uuid()));
            doc["launchTemplate"] = json!({ "id": id, "name": name, "version": lt["version"].as_str().unwrap_or("1") });
            // With a launch template, the disk size and AMI come from it.
            doc.as_object_mut().map(|m| m.remove("diskSize"));
        }
        if b["remoteAccess"].is_object() {
            doc["remoteAccess"] = b["remoteAccess"].clone();
            doc["resources"]["remoteAccessSecurityGroup"] = json!(format!("sg-{}", hex(17).to_lowercase()));
        }
        self.nodegroups.insert(key, Tracked::new(doc.clone(), self.reads(), "ACTIVE"));
        ok(json!({ "nodegroup": doc }))
    }

    fn update_nodegroup_config(&mut self, cluster: &str, name: &str, b: &Json) -> Reply {
        let reads = self.reads();
        let Some(t) = self.nodegroups.get_mut(&(cluster.to_string(), name.to_string())) else {
            return not_found(&format!("node group found for name: {name}"));
        };
        if t.status() != "ACTIVE" && t.reads_left == 0 && t.settles_to.as_deref() == Some("ACTIVE") {
            t.doc["status"] = json!("ACTIVE");
        }
        if t.status() != "ACTIVE" {
            return err(409, "ResourceInUseException", format!("Nodegroup {name} is {}, not ACTIVE", t.status()));
        }
        let mut params = Vec::new();
        if b["scalingConfig"].is_object() {
            for (k, param) in [("minSize", "MinSize"), ("maxSize", "MaxSize"), ("desiredSize", "DesiredSize")] {
                if let Some(v) = b["scalingConfig"].get(k) {
                    t.doc["scalingConfig"][k] = v.clone();
                    params.push((param, v.to_string()));
                }
            }
        }
        if let Some(m) = b["labels"]["addOrUpdateLabels"].as_object() {
            for (k, v) in m {
                t.doc["labels"][k] = v.clone();
            }
            params.push(("LabelsToAdd", b["labels"]["addOrUpdateLabels"].to_string()));
        }
        if let Some(r) = b["labels"]["removeLabels"].as_array() {
            for k in r.iter().filter_map(Json::as_str) {
                t.doc["labels"].as_object_mut().map(|m| m.remove(k));
            }
        }
        if b["taints"].is_object() {
            let mut taints: Vec<Json> = t.doc["taints"].as_array().cloned().unwrap_or_default();
            for r in b["taints"]["removeTaints"].as_array().into_iter().flatten() {
                taints.retain(|x| !(x["key"] == r["key"] && x["effect"] == r["effect"]));
            }
            for a in b["taints"]["addOrUpdateTaints"].as_array().into_iter().flatten() {
                taints.retain(|x| !(x["key"] == a["key"] && x["effect"] == a["effect"]));
                taints.push(a.clone());
            }
            t.doc["taints"] = json!(taints);
            params.push(("TaintsToAdd", b["taints"].to_string()));
        }
        if b["updateConfig"].is_object() {
            t.doc["updateConfig"] = b["updateConfig"].clone();
            params.push(("MaxUnavailable", b["updateConfig"].to_string()));
        }
        t.doc["status"] = json!("UPDATING");
        t.doc["modifiedAt"] = json!(now());
        t.reads_left = reads;
        t.settles_to = Some("ACTIVE".into());
        let u = self.new_update("ConfigUpdate", params);
        ok(json!({ "update": u }))
    }

    fn update_nodegroup_version(&mut self, cluster: &str, name: &str, b: &Json) -> Reply {
        let cluster_version = self.clusters.get(cluster).and_then(|c| c.doc["version"].as_str().map(str::to_string)).unwrap_or_default();
        let reads = self.reads();
        let Some(t) = self.nodegroups.get_mut(&(cluster.to_string(), name.to_string())) else {
            return not_found(&format!("node group found for name: {name}"));
        };
        if b["launchTemplate"].is_object() {
            let lt = &b["launchTemplate"];
            if t.doc["launchTemplate"].is_null() {
                return err(400, "InvalidParameterException", "A launch template can only be updated for a node group created with one");
            }
            let version = lt["version"].as_str().unwrap_or("1").to_string();
            t.doc["launchTemplate"]["version"] = json!(version);
            t.doc["status"] = json!("UPDATING");
            t.reads_left = reads;
            t.settles_to = Some("ACTIVE".into());
            let u = self.new_update("VersionUpdate", vec![("LaunchTemplateVersion", version)]);
            return ok(json!({ "update": u }));
        }
        let v = b["version"].as_str().map(str::to_string).unwrap_or(cluster_version.clone());
        if minor(&v) > minor(&cluster_version) {
            return err(400, "InvalidParameterException", format!("Nodegroup version {v} cannot be newer than the cluster's {cluster_version}"));
        }
        t.doc["version"] = json!(v);
        t.doc["releaseVersion"] = json!(format!("{v}.0-20240101"));
        t.doc["status"] = json!("UPDATING");
        t.reads_left = reads;
        t.settles_to = Some("ACTIVE".into());
        let u = self.new_update("VersionUpdate", vec![("Version", v)]);
        ok(json!({ "update": u }))
    }

    fn create_addon(&mut self, cluster: &str, b: &Json, region: &str) -> Reply {
        if let Err(e) = self.cluster_active(cluster) {
            return e;
        }
        let Some(name) = b["addonName"].as_str() else { return err(400, "InvalidParameterException", "addonName is required") };
        let key = (cluster.to_string(), name.to_string());
        if self.addons.contains_key(&key) {
            return err(409, "ResourceInUseException", format!("Addon already exists with name: {name}"));
        }
        let mut doc = json!({
            "addonName": name,
            "clusterName": cluster,
            "status": "CREATING",
            "addonVersion": b["addonVersion"].as_str().unwrap_or("v1.0.0-eksbuild.1"),
            "health": { "issues": [] },
            "addonArn": format!("arn:aws:eks:{region}:{}:addon/{cluster}/{name}/{}", self.behaviour.account_id, uuid()),
            "createdAt": now(),
            "modifiedAt": now(),
            "tags": tags_of(b),
        });
        for k in ["serviceAccountRoleArn", "configurationValues"] {
            if let Some(v) = b[k].as_str() {
                doc[k] = json!(v);
            }
        }
        self.addons.insert(key, Tracked::new(doc.clone(), self.reads(), "ACTIVE"));
        ok(json!({ "addon": doc }))
    }

    fn update_addon(&mut self, cluster: &str, name: &str, b: &Json) -> Reply {
        let reads = self.reads();
        let Some(t) = self.addons.get_mut(&(cluster.to_string(), name.to_string())) else { return not_found(&format!("addon found for name: {name}")) };
        let mut params = Vec::new();
        for (k, p) in [("addonVersion", "AddonVersion"), ("serviceAccountRoleArn", "ServiceAccountRoleArn"), ("configurationValues", "ConfigurationValues")] {
            if let Some(v) = b[k].as_str() {
                if v.is_empty() {
                    t.doc.as_object_mut().map(|m| m.remove(k));
                } else {
                    t.doc[k] = json!(v);
                }
                params.push((p, v.to_string()));
            }
        }
        t.doc["status"] = json!("UPDATING");
        t.doc["modifiedAt"] = json!(now());
        t.reads_left = reads;
        t.settles_to = Some("ACTIVE".into());
        let u = self.new_update("AddonUpdate", params);
        ok(json!({ "update": u }))
    }

    fn create_access_entry(&mut self, cluster: &str, b: &Json, region: &str) -> Reply {
        if let Err(e) = self.cluster_active(cluster) {
            return e;
        }
        let Some(p) = b["principalArn"].as_str() else { return err(400, "InvalidParameterException", "principalArn is required") };
        let key = (cluster.to_string(), p.to_string());
        if self.access_entries.contains_key(&key) {
            return err(409, "ResourceInUseException", format!("The specified access entry resource is already in use on this cluster: {p}"));
        }
        let doc = json!({
            "clusterName": cluster,
            "principalArn": p,
            "kubernetesGroups": b["kubernetesGroups"].as_array().cloned().unwrap_or_default(),
            "accessEntryArn": format!("arn:aws:eks:{region}:{}:access-entry/{cluster}/role/{}", self.behaviour.account_id, uuid()),
            "createdAt": now(),
            "modifiedAt": now(),
            "tags": tags_of(b),
            "username": b["username"].as_str().map(str::to_string).unwrap_or_else(|| format!("{p}/{{{{SessionName}}}}")),
            "type": b["type"].as_str().unwrap_or("STANDARD"),
        });
        self.access_entries.insert(key, doc.clone());
        ok(json!({ "accessEntry": doc }))
    }

    fn update_access_entry(&mut self, cluster: &str, p: &str, b: &Json) -> Reply {
        let Some(e) = self.access_entries.get_mut(&(cluster.to_string(), p.to_string())) else { return not_found(&format!("access entry for principal {p}")) };
        if b["kubernetesGroups"].is_array() {
            e["kubernetesGroups"] = b["kubernetesGroups"].clone();
        }
        if let Some(u) = b["username"].as_str() {
            e["username"] = json!(u);
        }
        e["modifiedAt"] = json!(now());
        ok(json!({ "accessEntry": e.clone() }))
    }

    fn associate_access_policy(&mut self, cluster: &str, p: &str, b: &Json) -> Reply {
        let key = (cluster.to_string(), p.to_string());
        if !self.access_entries.contains_key(&key) {
            return not_found(&format!("access entry for principal {p}"));
        }
        let Some(policy) = b["policyArn"].as_str() else { return err(400, "InvalidParameterException", "policyArn is required") };
        let scope = &b["accessScope"];
        match scope["type"].as_str() {
            Some("cluster") => {}
            Some("namespace") if scope["namespaces"].as_array().is_some_and(|n| !n.is_empty()) => {}
            _ => return err(400, "InvalidParameterException", "accessScope: type cluster, or namespace with namespaces"),
        }
        let list = self.access_policies.entry(key).or_default();
        let associated_at = list.iter().find(|a| a["policyArn"] == policy).map(|a| a["associatedAt"].clone()).unwrap_or_else(|| json!(now()));
        list.retain(|a| a["policyArn"] != policy);
        let mut stored_scope = json!({ "type": scope["type"] });
        if let Some(ns) = scope["namespaces"].as_array().filter(|n| !n.is_empty()) {
            stored_scope["namespaces"] = json!(ns);
        }
        let a = json!({ "policyArn": policy, "accessScope": stored_scope, "associatedAt": associated_at, "modifiedAt": now() });
        list.push(a.clone());
        ok(json!({ "clusterName": cluster, "principalArn": p, "associatedAccessPolicy": a }))
    }

    fn create_pod_identity(&mut self, cluster: &str, b: &Json, region: &str) -> Reply {
        if let Err(e) = self.cluster_active(cluster) {
            return e;
        }
        let (Some(ns), Some(sa), Some(role)) = (b["namespace"].as_str(), b["serviceAccount"].as_str(), b["roleArn"].as_str()) else {
            return err(400, "InvalidParameterException", "namespace, serviceAccount and roleArn are required");
        };
        if self.pod_identities.iter().any(|((c, _), a)| c == cluster && a["namespace"] == ns && a["serviceAccount"] == sa) {
            return err(409, "ResourceInUseException", "Association already exists");
        }
        let id = format!("a-{}", hex(17).to_lowercase());
        let a = json!({
            "clusterName": cluster,
            "namespace": ns,
            "serviceAccount": sa,
            "roleArn": role,
            "associationArn": format!("arn:aws:eks:{region}:{}:podidentityassociation/{cluster}/{id}", self.behaviour.account_id),
            "associationId": id,
            "tags": tags_of(b),
            "createdAt": now(),
            "modifiedAt": now(),
        });
        self.pod_identities.insert((cluster.to_string(), id), a.clone());
        ok(json!({ "association": a }))
    }

    fn associate_encryption(&mut self, name: &str, b: &Json) -> Reply {
        if let Err(e) = self.cluster_active(name) {
            return e;
        }
        let t = self.clusters.get_mut(name).expect("checked above");
        if t.doc["encryptionConfig"].as_array().is_some_and(|e| !e.is_empty()) {
            return err(400, "InvalidRequestException", "Encryption is already enabled on the cluster");
        }
        t.doc["encryptionConfig"] = b["encryptionConfig"].clone();
        self.set_updating(name);
        let u = self.new_update("AssociateEncryptionConfig", vec![("EncryptionConfig", b["encryptionConfig"].to_string())]);
        ok(json!({ "update": u }))
    }

    fn addon_versions(&self, query: &str) -> Reply {
        let param = |k: &str| {
            query.split('&').find_map(|kv| kv.strip_prefix(&format!("{k}="))).map(|v| percent_encoding::percent_decode_str(v).decode_utf8_lossy().into_owned())
        };
        let (name, k8s) = (param("addonName"), param("kubernetesVersion"));
        let k8s = k8s.unwrap_or_else(|| self.behaviour.default_version.clone());
        let addons: Vec<Json> = ADDON_VERSIONS
            .iter()
            .filter(|(n, _)| name.as_deref().is_none_or(|w| w == *n))
            .map(|(n, versions)| {
                let versions: Vec<Json> = versions
                    .iter()
                    .enumerate()
                    .map(|(i, v)| {
                        json!({
                            "addonVersion": v,
                            "architecture": ["amd64", "arm64"],
                            "compatibilities": [{ "clusterVersion": k8s, "platformVersions": ["*"], "defaultVersion": i == 1 }],
                            "requiresConfiguration": false,
                        })
                    })
                    .collect();
                json!({ "addonName": n, "type": "networking", "addonVersions": versions, "publisher": "eks", "owner": "aws" })
            })
            .collect();
        ok(json!({ "addons": addons }))
    }

    fn cluster_versions(&self, query: &str) -> Reply {
        let params: Vec<(String, String)> = query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), percent_encoding::percent_decode_str(v).decode_utf8_lossy().into_owned()))
            .collect();
        let param = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let only: Vec<String> = params.iter().filter(|(n, _)| n == "clusterVersions").map(|(_, v)| v.clone()).collect();
        let default_only = param("defaultOnly").as_deref() == Some("true");
        let status = param("versionStatus");
        let versions: Vec<Json> = CLUSTER_VERSIONS
            .iter()
            .filter(|(v, s, d)| (!default_only || *d) && (only.is_empty() || only.iter().any(|o| o == v)) && status.as_deref().is_none_or(|w| w == *s))
            .map(|(v, s, d)| {
                json!({
                    "clusterVersion": v,
                    "clusterType": "eks",
                    "defaultPlatformVersion": "eks.1",
                    "defaultVersion": d,
                    "releaseDate": 1_700_000_000.0,
                    "endOfStandardSupportDate": 1_800_000_000.0,
                    "endOfExtendedSupportDate": 1_850_000_000.0,
                    "status": if *s == "EXTENDED_SUPPORT" { "extended-support" } else { "standard-support" },
                    "versionStatus": s,
                    "kubernetesPatchVersion": format!("{v}.0"),
                })
            })
            .collect();
        ok(json!({ "clusterVersions": versions }))
    }

    fn read_tracked(&mut self, kind: Kind, cluster: &str, name: &str) -> Reply {
        let key = (cluster.to_string(), name.to_string());
        let map = match kind {
            Kind::Nodegroup => &mut self.nodegroups,
            Kind::Addon => &mut self.addons,
        };
        let Some(t) = map.get_mut(&key) else { return not_found(&format!("{} found for name: {name}", kind.noun())) };
        match observe(t) {
            Some(d) => ok(json!({ kind.field(): d })),
            None => {
                map.remove(&key);
                not_found(&format!("{} found for name: {name}", kind.noun()))
            }
        }
    }

    fn delete_tracked(&mut self, kind: Kind, cluster: &str, name: &str) -> Reply {
        let reads = self.reads();
        let map = match kind {
            Kind::Nodegroup => &mut self.nodegroups,
            Kind::Addon => &mut self.addons,
        };
        let Some(t) = map.get_mut(&(cluster.to_string(), name.to_string())) else { return not_found(&format!("{} found for name: {name}", kind.noun())) };
        t.doc["status"] = json!("DELETING");
        t.reads_left = reads;
        t.settles_to = None;
        ok(json!({ kind.field(): t.doc.clone() }))
    }
}

/// The log types a `logging` request leaves enabled, starting from `current`.
fn enabled_logs(logging: &Json, current: &[String]) -> Vec<String> {
    let mut on: Vec<String> = current.to_vec();
    for setup in logging["clusterLogging"].as_array().into_iter().flatten() {
        let types = setup["types"].as_array().into_iter().flatten().filter_map(Json::as_str);
        if setup["enabled"].as_bool() == Some(true) {
            on.extend(types.map(str::to_string));
        } else {
            let off: Vec<&str> = types.collect();
            on.retain(|t| !off.contains(&t.as_str()));
        }
    }
    on.sort();
    on.dedup();
    on
}

/// `clusterLogging` as EKS reports it: the enabled types, then the rest disabled.
fn log_setups(on: &[String]) -> Json {
    const ALL: &[&str] = &["api", "audit", "authenticator", "controllerManager", "scheduler"];
    let off: Vec<&str> = ALL.iter().copied().filter(|t| !on.iter().any(|o| o == t)).collect();
    let mut v = Vec::new();
    if !on.is_empty() {
        v.push(json!({ "types": on, "enabled": true }));
    }
    if !off.is_empty() {
        v.push(json!({ "types": off, "enabled": false }));
    }
    json!(v)
}

#[derive(Clone, Copy)]
enum Kind {
    Nodegroup,
    Addon,
}

impl Kind {
    fn field(self) -> &'static str {
        match self {
            Kind::Nodegroup => "nodegroup",
            Kind::Addon => "addon",
        }
    }
    fn noun(self) -> &'static str {
        match self {
            Kind::Nodegroup => "node group",
            Kind::Addon => "addon",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn create(s: &mut State, name: &str) {
        let r = s.handle("POST", "/clusters", "", &json!({"name": name, "roleArn": "arn:aws:iam::123456789012:role/r", "version": "1.30", "resourcesVpcConfig": {"subnetIds": ["subnet-a", "subnet-b"]}}), "us-east-1");
        assert_eq!(r.status, 200);
    }

    fn status(s: &mut State, name: &str) -> (u16, String) {
        let r = s.handle("GET", &format!("/clusters/{name}"), "", &Json::Null, "us-east-1");
        (r.status, r.body["cluster"]["status"].as_str().unwrap_or("").to_string())
    }

    #[test]
    fn clusters_pass_through_creating_and_deleting() {
        let mut s = State::new(Behaviour { transition_reads: 2, ..Behaviour::default() });
        create(&mut s, "c");
        assert_eq!(status(&mut s, "c"), (200, "CREATING".into()));
        assert_eq!(status(&mut s, "c"), (200, "CREATING".into()));
        assert_eq!(status(&mut s, "c"), (200, "ACTIVE".into()));
        assert_eq!(s.handle("DELETE", "/clusters/c", "", &Json::Null, "us-east-1").status, 200);
        assert_eq!(status(&mut s, "c"), (200, "DELETING".into()));
        assert_eq!(status(&mut s, "c"), (200, "DELETING".into()));
        assert_eq!(status(&mut s, "c").0, 404);
        assert!(s.inventory().is_empty());
    }

    #[test]
    fn version_updates_go_one_minor_step_and_are_tracked() {
        let mut s = State::new(Behaviour { transition_reads: 0, ..Behaviour::default() });
        create(&mut s, "c");
        status(&mut s, "c");
        let skip = s.handle("POST", "/clusters/c/updates", "", &json!({"version": "1.32"}), "us-east-1");
        assert_eq!((skip.status, skip.error_type), (400, Some("InvalidParameterException")));
        let up = s.handle("POST", "/clusters/c/updates", "", &json!({"version": "1.31"}), "us-east-1");
        assert_eq!(up.status, 200);
        let id = up.body["update"]["id"].as_str().unwrap().to_string();
        let d = s.handle("GET", &format!("/clusters/c/updates/{id}"), "", &Json::Null, "us-east-1");
        assert_eq!(d.body["update"]["status"], "Successful");
    }

    #[test]
    fn clusters_report_the_configured_kube_api_as_endpoint() {
        let mut s = State::new(Behaviour { transition_reads: 0, kube_api: Some("http://127.0.0.1:6443".into()), ..Behaviour::default() });
        create(&mut s, "c");
        let r = s.handle("GET", "/clusters/c", "", &Json::Null, "us-east-1");
        assert_eq!(r.body["cluster"]["endpoint"], "http://127.0.0.1:6443");
        let mut plain = State::new(Behaviour { transition_reads: 0, ..Behaviour::default() });
        create(&mut plain, "c");
        let r = plain.handle("GET", "/clusters/c", "", &Json::Null, "us-east-1");
        assert!(r.body["cluster"]["endpoint"].as_str().unwrap().ends_with(".gr7.us-east-1.eks.amazonaws.com"), "{}", r.body["cluster"]["endpoint"]);
        assert_eq!(Behaviour::from_json(&json!({"kube_api": "http://127.0.0.1:1"})).kube_api.as_deref(), Some("http://127.0.0.1:1"));
    }

    #[test]
    fn clusters_issuers_live_under_the_configured_oidc_issuer() {
        let mut s = State::new(Behaviour { transition_reads: 0, oidc_issuer: Some("https://127.0.0.1:8443/".into()), ..Behaviour::default() });
        create(&mut s, "c");
        let r = s.handle("GET", "/clusters/c", "", &Json::Null, "us-east-1");
        let issuer = r.body["cluster"]["identity"]["oidc"]["issuer"].as_str().unwrap().to_string();
        let id = issuer.strip_prefix("https://127.0.0.1:8443/id/").unwrap_or_else(|| panic!("{issuer}"));
        assert_eq!(id.len(), 32, "{issuer}");
        let mut plain = State::new(Behaviour { transition_reads: 0, ..Behaviour::default() });
        create(&mut plain, "c");
        let r = plain.handle("GET", "/clusters/c", "", &Json::Null, "us-east-1");
        assert!(r.body["cluster"]["identity"]["oidc"]["issuer"].as_str().unwrap().starts_with("https://oidc.eks.us-east-1.amazonaws.com/id/"));
        assert_eq!(Behaviour::from_json(&json!({"oidc_issuer": "https://127.0.0.1:1"})).oidc_issuer.as_deref(), Some("https://127.0.0.1:1"));
    }

    #[test]
    fn a_failing_cluster_lands_in_failed_with_health_issues() {
        let mut s = State::new(Behaviour { transition_reads: 1, fail_clusters: vec!["bad".into()], ..Behaviour::default() });
        create(&mut s, "bad");
        assert_eq!(status(&mut s, "bad").1, "CREATING");
        let r = s.handle("GET", "/clusters/bad", "", &Json::Null, "us-east-1");
        assert_eq!(r.body["cluster"]["status"], "FAILED");
        assert_eq!(r.body["cluster"]["health"]["issues"][0]["code"], "Ec2SubnetNotFound");
    }
}
