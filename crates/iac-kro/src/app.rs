//! The application file: one `WebApp` instance, `apps/NAME.yaml` in the
//! GitOps tree. `iac app new` writes it with [`render`]; the Backstage
//! software template (`backstage/templates/webapp/`) writes the same bytes
//! from the same parameters, which a test checks.

use std::collections::BTreeMap;

use crate::rgd::{dns_label, Expanded};
use crate::{gitops, yaml_documents, Error};

/// What a developer says about a new application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppParams {
    /// The application's name (a DNS label): its objects' names.
    pub name: String,
    /// The namespace its objects go to.
    pub namespace: String,
    /// The container image, pinned to a tag or digest.
    pub image: String,
    /// The port it serves HTTP and `/metrics` on.
    pub port: u32,
    /// Replicas at rest; KEDA never scales below.
    pub replicas: u32,
    /// Most replicas KEDA scales to.
    pub max_replicas: u32,
    /// The business metric to scale on: a Prometheus series the application exports.
    pub metric: String,
    /// The metric's value one replica handles.
    pub metric_target: u32,
}

/// The defaults, the same as the ResourceGraphDefinition's and the Backstage template's.
pub mod defaults {
    /// Namespace of the applications.
    pub const NAMESPACE: &str = "apps";
    /// HTTP port.
    pub const PORT: u32 = 8080;
    /// Three replicas: one zone or node may go without the application going.
    pub const REPLICAS: u32 = 3;
    /// Upper bound of KEDA's scaling.
    pub const MAX_REPLICAS: u32 = 10;
    /// Per-replica value of the metric.
    pub const METRIC_TARGET: u32 = 100;
}

impl AppParams {
    /// Parameters with the defaults, for `name` and `image`; the metric
    /// defaults to `NAME_requests_in_flight` (with `-` as `_`).
    pub fn new(name: &str, image: &str) -> AppParams {
        AppParams {
            name: name.to_string(),
            namespace: defaults::NAMESPACE.to_string(),
            image: image.to_string(),
            port: defaults::PORT,
            replicas: defaults::REPLICAS,
            max_replicas: defaults::MAX_REPLICAS,
            metric: format!("{}_requests_in_flight", name.replace('-', "_")),
            metric_target: defaults::METRIC_TARGET,
        }
    }

    /// What is wrong with the parameters before any schema sees them
    /// (values the file could not hold as plain YAML).
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !dns_label(&self.name) {
            out.push(format!("name {:?}: must be a DNS label: lowercase letters, digits and '-', at most 63 characters", self.name));
        }
        if !dns_label(&self.namespace) {
            out.push(format!("namespace {:?}: must be a DNS label", self.namespace));
        }
        // The template's pattern, ^[a-zA-Z0-9][a-zA-Z0-9._:/@-]*$: what an image reference holds, and plain YAML.
        let image_ok = self.image.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
            && self.image.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '/' | '@' | '-'));
        if !image_ok {
            out.push(format!("image {:?}: must be an image reference such as ghcr.io/acme/shop:1.2.0", self.image));
        }
        let metric_ok = self.metric.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
            && self.metric.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':');
        if !metric_ok {
            out.push(format!("metric {:?}: must be a Prometheus metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)", self.metric));
        }
        out
    }
}

/// The application file.
pub fn render(p: &AppParams) -> String {
    format!(
        "# {name}: one application on the platform, a kro WebApp. kro expands it
# (gitops/platform/webapp-rgd.yaml) into a Deployment, a Service, a
# ServiceMonitor, a Grafana dashboard and a KEDA ScaledObject.
apiVersion: kro.run/v1alpha1
kind: WebApp
metadata:
  name: {name}
  namespace: {namespace}
spec:
  image: {image}
  port: {port}
  replicas: {replicas}
  maxReplicas: {max_replicas}
  metric: {metric}
  metricTarget: {metric_target}
",
        name = p.name,
        namespace = p.namespace,
        image = p.image,
        port = p.port,
        replicas = p.replicas,
        max_replicas = p.max_replicas,
        metric = p.metric,
        metric_target = p.metric_target,
    )
}

/// A new application's file, checked.
#[derive(Debug, Clone)]
pub struct NewApp {
    /// Where it goes in the tree: `apps/NAME.yaml`.
    pub path: String,
    /// Its text.
    pub text: String,
    /// The objects kro will expand it into.
    pub objects: Vec<Expanded>,
}

/// The application file for `params`, checked as the cluster would check
/// it: against the schema of the ResourceGraphDefinition of `kind` among
/// the tree's files (path → text), and expanded into its objects.
pub fn new_app(tree: &BTreeMap<String, String>, kind: &str, params: &AppParams) -> Result<NewApp, Error> {
    let ctx = format!("{kind} {:?}", params.name);
    let problems = params.problems();
    if !problems.is_empty() {
        return Err(Error::new(&ctx, problems));
    }
    let rgds = gitops::rgds(tree)?;
    let Some(rgd) = rgds.iter().find(|r| r.kind == kind) else {
        let known: Vec<&str> = rgds.iter().map(|r| r.kind.as_str()).collect();
        return Err(Error::new(&ctx, vec![format!("no ResourceGraphDefinition in the tree defines the kind {kind} (it defines: {})", known.join(", "))]));
    };
    let text = render(params);
    let doc = yaml_documents(&text).map_err(|e| Error::new(&ctx, vec![e]))?.remove(0);
    let objects = rgd.expand(&doc, &mut |e| Ok(e.object.clone()))?;
    Ok(NewApp { path: format!("apps/{}.yaml", params.name), text, objects })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_is_plain_yaml_of_the_parameters() {
        let p = AppParams::new("check-out", "ghcr.io/acme/checkout:1.4.0");
        let docs = crate::yaml_documents(&render(&p)).unwrap();
        assert_eq!(docs[0]["spec"]["metric"], "check_out_requests_in_flight");
        assert_eq!(docs[0]["spec"]["replicas"], 3);
        assert_eq!(docs[0]["metadata"]["namespace"], "apps");
        assert!(p.problems().is_empty());
        let bad = AppParams { image: "x y".into(), metric: "9x".into(), ..AppParams::new("Bad_Name", "") };
        assert_eq!(bad.problems().len(), 3);
    }
}
