//! `helm_release`: a chart rendered with the real `helm template` (local
//! path, or repository + chart + version), then applied and tracked like
//! `kubernetes_manifests`, so the plan shows which objects change. Helm's
//! own release records are not written: the objects are what iac tracks.

use std::collections::BTreeMap;
use std::time::Duration;

use iac_core::{AttrPath, Value};
use iac_provider_sdk::prelude::*;
use serde_json::json;

use super::*;
use crate::cluster::FIELD_MANAGER;
use crate::error::{KubeError, Result};
use crate::helm::{self, ChartRequest};
use crate::object::parse_documents;
use crate::readiness::WaitFor;
use crate::sets::{self, SetOptions};
use crate::{Context, Helm};

/// `helm_release`'s attributes.
#[derive(Model, Debug, Clone, Default)]
pub struct ReleaseModel {
    /// the release name
    #[sdk(computed)]
    pub id: Option<String>,
    #[sdk(required, force_new)]
    pub name: String,
    /// a local chart directory or archive, or a chart name in `repository`
    #[sdk(required)]
    pub chart: String,
    /// the chart repository URL
    #[sdk(optional)]
    pub repository: Option<String>,
    /// the chart version (pin it)
    #[sdk(optional)]
    pub version: Option<String>,
    /// default "default"
    #[sdk(optional)]
    pub namespace: Option<String>,
    #[sdk(optional)]
    pub create_namespace: Option<bool>,
    /// values documents (YAML), later ones winning
    #[sdk(optional)]
    pub values: Option<Vec<String>>,
    /// values as an HCL object, applied after `values`
    #[sdk(optional)]
    pub values_object: Option<Value>,
    /// leave out the chart's crds/ directory (default false: CRDs are included)
    #[sdk(optional)]
    pub skip_crds: Option<bool>,
    /// the Kubernetes version the chart is rendered for
    #[sdk(optional)]
    pub kube_version: Option<String>,
    /// wait for workloads to roll out (default true)
    #[sdk(optional)]
    pub wait: Option<bool>,
    /// seconds for the apply and the waits (default 300)
    #[sdk(optional)]
    pub timeout: Option<f64>,
    /// take over fields other managers changed, as helm upgrade does (default true)
    #[sdk(optional)]
    pub force_conflicts: Option<bool>,
    /// set by the provider: each object as YAML, keyed by apiVersion/kind/namespace/name
    #[sdk(optional, computed)]
    pub objects: Option<BTreeMap<String, String>>,
    #[sdk(computed)]
    pub status: Option<String>,
    #[sdk(block)]
    pub set: Vec<SetValue>,
    #[sdk(block)]
    pub set_sensitive: Vec<SensitiveValue>,
}

/// A `set` block: one value passed as `--set` (or `--set-string`).
#[derive(Model, Debug, Clone, Default)]
pub struct SetValue {
    #[sdk(required)]
    pub name: String,
    #[sdk(required)]
    pub value: String,
    /// "auto" (default) or "string"
    #[sdk(optional, name = "type")]
    pub kind: Option<String>,
}

/// A `set_sensitive` block: a `set` whose value is never shown.
#[derive(Model, Debug, Clone, Default)]
pub struct SensitiveValue {
    #[sdk(required)]
    pub name: String,
    #[sdk(required, sensitive)]
    pub value: String,
    #[sdk(optional, name = "type")]
    pub kind: Option<String>,
}

/// The attributes the provider sets: the rest is configuration.
const COMPUTED: [&str; 3] = ["id", "objects", "status"];

impl ReleaseModel {
    fn namespace(&self) -> String {
        non_empty(&self.namespace).unwrap_or("default").to_string()
    }

    fn chart_request(&self) -> ChartRequest {
        let mut values = self.values.clone().unwrap_or_default();
        if let Some(v) = self.values_object.as_ref().filter(|v| !v.is_null()) {
            values.push(helm::values_document(&v.to_json()));
        }
        let plain = self.set.iter().map(|s| (&s.name, &s.value, &s.kind));
        let sensitive = self.set_sensitive.iter().map(|s| (&s.name, &s.value, &s.kind));
        let set = plain.chain(sensitive).filter(|(n, _, _)| !n.is_empty()).map(|(n, v, t)| (n.clone(), v.clone(), t.as_deref() == Some("string"))).collect();
        ChartRequest {
            release: self.name.clone(),
            chart: self.chart.clone(),
            repository: non_empty(&self.repository).map(str::to_string),
            version: non_empty(&self.version).map(str::to_string),
            namespace: self.namespace(),
            values,
            set,
            include_crds: !self.skip_crds.unwrap_or(false),
            kube_version: non_empty(&self.kube_version).map(str::to_string),
        }
    }

    /// Renders the chart into the desired set (None: a kind is not known yet).
    async fn render(&self, cx: &Context) -> Result<Option<sets::Desired>> {
        let helm = helm::find_helm(cx.helm_binary.as_deref())?;
        let req = self.chart_request();
        let text = helm::template(&helm, &req, &cx.stack_dir).await?;
        let source = format!("chart {}", req.chart);
        let mut objs: Vec<_> = parse_documents(&text, &source)?.into_iter().map(|o| (o, source.clone())).collect();
        if self.create_namespace.unwrap_or(false) && !objs.iter().any(|(o, _)| o["kind"] == "Namespace" && o["metadata"]["name"] == req.namespace.as_str()) {
            objs.push((json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": req.namespace}}), "create_namespace".into()));
        }
        sets::resolve(Some(&cx.cluster), objs, &req.namespace).await
    }

    fn options(&self) -> SetOptions {
        let secs = self.timeout.unwrap_or(300.0).max(1.0);
        SetOptions {
            manager: FIELD_MANAGER.to_string(),
            // As `helm upgrade` does, the chart's fields win over hand edits.
            force: self.force_conflicts.unwrap_or(true),
            wait: WaitFor { rollout: self.wait.unwrap_or(true), load_balancer: false, applications: false },
            timeout: Duration::from_secs_f64(secs),
            delete_timeout: Duration::from_secs_f64(secs),
        }
    }

    async fn apply(mut self, cx: &Ctx<'_, Helm>, prior: Option<&ReleaseModel>) -> Result<ReleaseModel> {
        let k = &cx.provider.cx;
        let d = match self.objects.as_ref().filter(|o| !sets::has_secrets(o)) {
            Some(planned) => desired_from_objects(planned)?,
            None => self.render(k).await?.ok_or_else(|| {
                KubeError::UnknownKind(format!("chart {}: some rendered kinds are not served by the cluster and no CRD in the chart defines them", self.chart))
            })?,
        };
        let prior = prior.map(|p| tracked(&p.objects)).unwrap_or_default();
        let h = sets::apply_set(&k.cluster, &prior, &d, &hashes(cx.private), &self.options()).await?;
        cx.keep_private(hashes_private(&h));
        self.objects = Some(sets::rendered(&d));
        self.status = Some("deployed".into());
        Ok(self)
    }
}

/// The `helm_release` resource type.
pub struct HelmRelease;

#[async_trait]
impl Resource<Helm> for HelmRelease {
    type Model = ReleaseModel;
    const TYPE: &'static str = "helm_release";

    fn validate(&self, config: &Value) -> Vec<(AttrPath, String)> {
        let mut out = Vec::new();
        if config.get("objects").is_some_and(|o| !o.is_null()) {
            out.push((AttrPath::attr("objects"), "is set by the provider from the rendered chart".to_string()));
        }
        for s in config.get("set").and_then(Value::as_list).unwrap_or(&[]) {
            if let Some(t) = get_str(s, "type") {
                if t != "auto" && t != "string" {
                    out.push((AttrPath::attr("set"), format!("type must be \"auto\" or \"string\", got {t:?}")));
                }
            }
        }
        out
    }

    /// The chart rendered now (a missing helm is an error now, not halfway
    /// through an apply), when the configuration is known.
    async fn modify_plan(&self, cx: &Ctx<'_, Helm>, _prior: Option<&Value>, planned: &mut Value, _replace: &mut Vec<AttrPath>) -> Result<()> {
        let k = &cx.provider.cx;
        helm::find_helm(k.helm_binary.as_deref())?;
        let objects = if config_known(planned, &COMPUTED) {
            match ReleaseModel::from_value(planned)?.render(k).await? {
                Some(d) => objects_value(&sets::rendered(&d)),
                None => Value::Unknown,
            }
        } else {
            Value::Unknown
        };
        let name = get_str(planned, "name").unwrap_or_default().to_string();
        set(planned, "objects", objects);
        set(planned, "id", Value::from(name));
        set(planned, "status", Value::from("deployed"));
        Ok(())
    }

    async fn create(&self, cx: &Ctx<'_, Helm>, planned: ReleaseModel) -> Result<ReleaseModel> {
        planned.apply(cx, None).await
    }

    async fn update(&self, cx: &Ctx<'_, Helm>, prior: ReleaseModel, planned: ReleaseModel) -> Result<ReleaseModel> {
        planned.apply(cx, Some(&prior)).await
    }

    async fn read(&self, cx: &Ctx<'_, Helm>, mut current: ReleaseModel) -> Result<Option<ReleaseModel>> {
        let t = tracked(&current.objects);
        if t.is_empty() {
            return Ok(Some(current));
        }
        let fresh = sets::read_set(&cx.provider.cx.cluster, &t, &hashes(cx.private), FIELD_MANAGER).await?;
        if fresh.is_empty() {
            // Every object is gone: so is the set.
            return Ok(None);
        }
        current.objects = Some(fresh);
        Ok(Some(current))
    }

    async fn delete(&self, cx: &Ctx<'_, Helm>, prior: ReleaseModel) -> Result<()> {
        sets::delete_set(&cx.provider.cx.cluster, &tracked(&prior.objects), prior.options().delete_timeout).await
    }

    async fn import(&self, _cx: &Ctx<'_, Helm>, _id: &str) -> Result<Option<ReleaseModel>> {
        Err(refuse_import(<Self as Resource<Helm>>::TYPE))
    }
}
