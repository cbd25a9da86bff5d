//! Where a pod may run, with the upstream provider's schemas: `affinity`
//! (node affinity, pod affinity and pod anti-affinity), `toleration` and
//! `topology_spread_constraint`, as the pod spec's objects and back.
//! Attributes with an upstream default are always sent, so reading them
//! back gives the planned value.

use iac_provider_sdk::prelude::*;
use serde_json::{json, Value as Json};

use super::kinds::{read_selector, selector_json, LabelSelector};
use super::*;
use crate::error::Result;

/// A `match_expressions` block of a node selector term (node labels).
#[derive(Model, Debug, Clone, Default)]
pub struct NodeSelectorRequirement {
    #[sdk(optional)]
    pub key: Option<String>,
    /// In, NotIn, Exists, DoesNotExist, Gt or Lt
    #[sdk(optional)]
    pub operator: Option<String>,
    #[sdk(optional, set)]
    pub values: Vec<String>,
}

/// A `match_fields` block of a node selector term (node fields).
#[derive(Model, Debug, Clone, Default)]
pub struct NodeFieldRequirement {
    #[sdk(required)]
    pub key: String,
    #[sdk(required)]
    pub operator: String,
    #[sdk(optional, set)]
    pub values: Vec<String>,
}

/// A `node_selector_term` or `preference` block.
#[derive(Model, Debug, Clone, Default)]
pub struct NodeSelectorTerm {
    #[sdk(block)]
    pub match_expressions: Vec<NodeSelectorRequirement>,
    /// a change replaces the object, as upstream
    #[sdk(block, force_new)]
    pub match_fields: Vec<NodeFieldRequirement>,
}

/// Node affinity's `required_during_scheduling_ignored_during_execution` block.
#[derive(Model, Debug, Clone, Default)]
pub struct NodeSelector {
    /// the terms are ORed
    #[sdk(block)]
    pub node_selector_term: Vec<NodeSelectorTerm>,
}

/// Node affinity's `preferred_during_scheduling_ignored_during_execution` block.
#[derive(Model, Debug, Clone, Default)]
pub struct PreferredSchedulingTerm {
    /// 1-100
    #[sdk(required)]
    pub weight: i64,
    #[sdk(block, min_items = 1, max_items = 1)]
    pub preference: Vec<NodeSelectorTerm>,
}

/// The `node_affinity` block.
#[derive(Model, Debug, Clone, Default)]
pub struct NodeAffinity {
    #[sdk(block, max_items = 1)]
    pub required_during_scheduling_ignored_during_execution: Vec<NodeSelector>,
    #[sdk(block)]
    pub preferred_during_scheduling_ignored_during_execution: Vec<PreferredSchedulingTerm>,
}

/// A pod affinity term: pods matching the selectors, in the namespaces
/// named or selected, on nodes of the same topology domain.
#[derive(Model, Debug, Clone, Default)]
pub struct PodAffinityTerm {
    #[sdk(block)]
    pub label_selector: Vec<LabelSelector>,
    #[sdk(block)]
    pub namespace_selector: Vec<LabelSelector>,
    /// default: the pod's own namespace
    #[sdk(optional, set)]
    pub namespaces: Vec<String>,
    /// e.g. kubernetes.io/hostname or topology.kubernetes.io/zone
    #[sdk(required)]
    pub topology_key: String,
}

/// A `preferred_during_scheduling_ignored_during_execution` block of pod (anti-)affinity.
#[derive(Model, Debug, Clone, Default)]
pub struct WeightedPodAffinityTerm {
    /// 1-100
    #[sdk(required)]
    pub weight: i64,
    #[sdk(block, min_items = 1, max_items = 1)]
    pub pod_affinity_term: Vec<PodAffinityTerm>,
}

/// The `pod_affinity` or `pod_anti_affinity` block.
#[derive(Model, Debug, Clone, Default)]
pub struct PodAffinity {
    #[sdk(block)]
    pub required_during_scheduling_ignored_during_execution: Vec<PodAffinityTerm>,
    #[sdk(block)]
    pub preferred_during_scheduling_ignored_during_execution: Vec<WeightedPodAffinityTerm>,
}

/// A pod spec's `affinity` block.
#[derive(Model, Debug, Clone, Default)]
pub struct Affinity {
    #[sdk(block, max_items = 1)]
    pub node_affinity: Vec<NodeAffinity>,
    #[sdk(block, max_items = 1)]
    pub pod_affinity: Vec<PodAffinity>,
    #[sdk(block, max_items = 1)]
    pub pod_anti_affinity: Vec<PodAffinity>,
}

/// A `toleration` block.
#[derive(Model, Debug, Clone, Default)]
pub struct Toleration {
    /// NoSchedule, PreferNoSchedule or NoExecute (default: every effect)
    #[sdk(optional)]
    pub effect: Option<String>,
    /// the taint's key (default: every key, with operator Exists)
    #[sdk(optional)]
    pub key: Option<String>,
    /// Equal (default) or Exists
    #[sdk(optional, default = "Equal")]
    pub operator: Option<String>,
    /// how long a NoExecute taint is tolerated, in seconds (default: for ever)
    #[sdk(optional)]
    pub toleration_seconds: Option<String>,
    #[sdk(optional)]
    pub value: Option<String>,
}

/// A `topology_spread_constraint` block.
#[derive(Model, Debug, Clone, Default)]
pub struct TopologySpreadConstraint {
    #[sdk(block)]
    pub label_selector: Vec<LabelSelector>,
    /// pod label keys whose values pick the pods spreading is counted over
    #[sdk(optional, set)]
    pub match_label_keys: Vec<String>,
    /// default 1
    #[sdk(optional, default = 1i64)]
    pub max_skew: Option<i64>,
    #[sdk(optional)]
    pub min_domains: Option<i64>,
    /// Honor or Ignore
    #[sdk(optional)]
    pub node_affinity_policy: Option<String>,
    /// Honor or Ignore
    #[sdk(optional)]
    pub node_taints_policy: Option<String>,
    #[sdk(optional)]
    pub topology_key: Option<String>,
    /// DoNotSchedule (default) or ScheduleAnyway
    #[sdk(optional, default = "DoNotSchedule")]
    pub when_unsatisfiable: Option<String>,
}

fn requirements_json<'a>(reqs: impl Iterator<Item = (Option<&'a str>, Option<&'a str>, &'a [String])>) -> Json {
    Json::Array(reqs.map(|(key, operator, values)| object([("key", json!(key)), ("operator", json!(operator)), ("values", json!(values))])).collect())
}

fn term_json(t: &NodeSelectorTerm) -> Json {
    object([
        ("matchExpressions", requirements_json(t.match_expressions.iter().map(|e| (e.key.as_deref(), e.operator.as_deref(), e.values.as_slice())))),
        ("matchFields", requirements_json(t.match_fields.iter().map(|e| (Some(e.key.as_str()), Some(e.operator.as_str()), e.values.as_slice())))),
    ])
}

fn read_term(j: &Json) -> NodeSelectorTerm {
    let items = |k: &str| j[k].as_array().cloned().unwrap_or_default();
    NodeSelectorTerm {
        match_expressions: items("matchExpressions")
            .iter()
            .map(|e| NodeSelectorRequirement { key: text(&e["key"]), operator: text(&e["operator"]), values: sorted_strings(&e["values"]) })
            .collect(),
        match_fields: items("matchFields")
            .iter()
            .map(|e| NodeFieldRequirement {
                key: text(&e["key"]).unwrap_or_default(),
                operator: text(&e["operator"]).unwrap_or_default(),
                values: sorted_strings(&e["values"]),
            })
            .collect(),
    }
}

/// A selector block list (upstream's are lists) as the API's one selector.
fn first_selector(s: &[LabelSelector]) -> Json {
    s.first().map(selector_json).unwrap_or(Json::Null)
}

fn read_selectors(j: &Json) -> Vec<LabelSelector> {
    if j.is_object() {
        vec![read_selector(j)]
    } else {
        Vec::new()
    }
}

fn pod_term_json(t: &PodAffinityTerm) -> Json {
    object([
        ("labelSelector", first_selector(&t.label_selector)),
        ("namespaceSelector", first_selector(&t.namespace_selector)),
        ("namespaces", json!(t.namespaces)),
        ("topologyKey", json!(t.topology_key)),
    ])
}

fn read_pod_term(j: &Json) -> PodAffinityTerm {
    PodAffinityTerm {
        label_selector: read_selectors(&j["labelSelector"]),
        namespace_selector: read_selectors(&j["namespaceSelector"]),
        namespaces: sorted_strings(&j["namespaces"]),
        topology_key: text(&j["topologyKey"]).unwrap_or_default(),
    }
}

const REQUIRED: &str = "requiredDuringSchedulingIgnoredDuringExecution";
const PREFERRED: &str = "preferredDuringSchedulingIgnoredDuringExecution";

fn pod_affinity_json(p: &PodAffinity) -> Json {
    let preferred = p
        .preferred_during_scheduling_ignored_during_execution
        .iter()
        .map(|w| object([("podAffinityTerm", w.pod_affinity_term.first().map(pod_term_json).unwrap_or(Json::Null)), ("weight", json!(w.weight))]))
        .collect();
    object([
        (REQUIRED, Json::Array(p.required_during_scheduling_ignored_during_execution.iter().map(pod_term_json).collect())),
        (PREFERRED, Json::Array(preferred)),
    ])
}

fn read_pod_affinity(j: &Json) -> Vec<PodAffinity> {
    if !j.is_object() {
        return Vec::new();
    }
    let items = |k: &str| j[k].as_array().cloned().unwrap_or_default();
    vec![PodAffinity {
        required_during_scheduling_ignored_during_execution: items(REQUIRED).iter().map(read_pod_term).collect(),
        preferred_during_scheduling_ignored_during_execution: items(PREFERRED)
            .iter()
            .map(|w| WeightedPodAffinityTerm {
                weight: w["weight"].as_i64().unwrap_or_default(),
                pod_affinity_term: if w["podAffinityTerm"].is_object() { vec![read_pod_term(&w["podAffinityTerm"])] } else { Vec::new() },
            })
            .collect(),
    }]
}

/// The pod spec's `affinity`.
pub fn affinity_json(a: &Affinity) -> Json {
    let node = a.node_affinity.first().map(|n| {
        let required = n
            .required_during_scheduling_ignored_during_execution
            .first()
            .map(|r| object([("nodeSelectorTerms", Json::Array(r.node_selector_term.iter().map(term_json).collect()))]));
        let preferred = n
            .preferred_during_scheduling_ignored_during_execution
            .iter()
            .map(|p| object([("preference", p.preference.first().map(term_json).unwrap_or(Json::Null)), ("weight", json!(p.weight))]))
            .collect();
        object([(REQUIRED, required.unwrap_or(Json::Null)), (PREFERRED, Json::Array(preferred))])
    });
    object([
        ("nodeAffinity", node.unwrap_or(Json::Null)),
        ("podAffinity", a.pod_affinity.first().map(pod_affinity_json).unwrap_or(Json::Null)),
        ("podAntiAffinity", a.pod_anti_affinity.first().map(pod_affinity_json).unwrap_or(Json::Null)),
    ])
}

/// The `affinity` block from the pod spec's object.
pub fn read_affinity(j: &Json) -> Vec<Affinity> {
    if !j.is_object() {
        return Vec::new();
    }
    let n = &j["nodeAffinity"];
    let node_affinity = if n.is_object() {
        let r = &n[REQUIRED];
        vec![NodeAffinity {
            required_during_scheduling_ignored_during_execution: if r.is_object() {
                vec![NodeSelector { node_selector_term: r["nodeSelectorTerms"].as_array().into_iter().flatten().map(read_term).collect() }]
            } else {
                Vec::new()
            },
            preferred_during_scheduling_ignored_during_execution: n[PREFERRED]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| PreferredSchedulingTerm {
                    weight: p["weight"].as_i64().unwrap_or_default(),
                    preference: if p["preference"].is_object() { vec![read_term(&p["preference"])] } else { Vec::new() },
                })
                .collect(),
        }]
    } else {
        Vec::new()
    };
    vec![Affinity { node_affinity, pod_affinity: read_pod_affinity(&j["podAffinity"]), pod_anti_affinity: read_pod_affinity(&j["podAntiAffinity"]) }]
}

/// The pod spec's `tolerations`.
pub fn tolerations_json(ts: &[Toleration]) -> Result<Json> {
    let items: Result<Vec<Json>> = ts
        .iter()
        .map(|t| {
            Ok(object([
                ("effect", json!(non_empty(&t.effect))),
                ("key", json!(non_empty(&t.key))),
                ("operator", json!(non_empty(&t.operator).unwrap_or("Equal"))),
                ("tolerationSeconds", int_text("toleration_seconds", &t.toleration_seconds)?),
                ("value", json!(non_empty(&t.value))),
            ]))
        })
        .collect();
    Ok(Json::Array(items?))
}

pub fn read_tolerations(j: &Json) -> Vec<Toleration> {
    j.as_array()
        .into_iter()
        .flatten()
        .map(|t| Toleration {
            effect: text(&t["effect"]),
            key: text(&t["key"]),
            operator: text(&t["operator"]),
            toleration_seconds: read_int_text(&t["tolerationSeconds"]),
            value: text(&t["value"]),
        })
        .collect()
}

/// The pod spec's `topologySpreadConstraints`.
pub fn spread_json(cs: &[TopologySpreadConstraint]) -> Json {
    Json::Array(
        cs.iter()
            .map(|c| {
                object([
                    ("labelSelector", first_selector(&c.label_selector)),
                    ("matchLabelKeys", json!(c.match_label_keys)),
                    ("maxSkew", json!(c.max_skew.unwrap_or(1))),
                    ("minDomains", json!(c.min_domains.filter(|n| *n != 0))),
                    ("nodeAffinityPolicy", json!(non_empty(&c.node_affinity_policy))),
                    ("nodeTaintsPolicy", json!(non_empty(&c.node_taints_policy))),
                    ("topologyKey", json!(non_empty(&c.topology_key))),
                    ("whenUnsatisfiable", json!(non_empty(&c.when_unsatisfiable).unwrap_or("DoNotSchedule"))),
                ])
            })
            .collect(),
    )
}

pub fn read_spread(j: &Json) -> Vec<TopologySpreadConstraint> {
    j.as_array()
        .into_iter()
        .flatten()
        .map(|c| TopologySpreadConstraint {
            label_selector: read_selectors(&c["labelSelector"]),
            match_label_keys: sorted_strings(&c["matchLabelKeys"]),
            max_skew: c["maxSkew"].as_i64(),
            min_domains: c["minDomains"].as_i64(),
            node_affinity_policy: text(&c["nodeAffinityPolicy"]),
            node_taints_policy: text(&c["nodeTaintsPolicy"]),
            topology_key: text(&c["topologyKey"]),
            when_unsatisfiable: text(&c["whenUnsatisfiable"]),
        })
        .collect()
}
