//! `kubernetes_manifests`: a set of objects from YAML text (`content`),
//! files, or a directory, applied and tracked as one resource (see
//! [`crate::sets`]).

use std::collections::BTreeMap;
use std::path::Path;

use iac_core::{AttrPath, Value};
use iac_provider_sdk::prelude::*;
use serde_json::Value as Json;

use super::*;
use crate::error::{KubeError, Result};
use crate::object::parse_documents;
use crate::readiness::WaitFor;
use crate::sets;
use crate::{Context, Kubernetes};

/// `kubernetes_manifests`' attributes.
#[derive(Model, Debug, Clone, Default)]
pub struct ManifestsModel {
    /// the resource's address
    #[sdk(computed)]
    pub id: Option<String>,
    /// multi-document YAML
    #[sdk(optional)]
    pub content: Option<String>,
    /// YAML files, relative to the stack
    #[sdk(optional)]
    pub files: Option<Vec<String>>,
    /// a directory of *.yaml / *.yml / *.json files, in name order
    #[sdk(optional)]
    pub dir: Option<String>,
    /// for namespaced objects that have none (default "default")
    #[sdk(optional)]
    pub namespace: Option<String>,
    /// set by the provider: each object as YAML, keyed by apiVersion/kind/namespace/name
    #[sdk(optional, computed)]
    pub objects: Option<BTreeMap<String, String>>,
    /// wait for Deployments, StatefulSets, DaemonSets to roll out and Jobs to complete (default true)
    #[sdk(optional)]
    pub wait_for_rollout: Option<bool>,
    /// wait for LoadBalancer Services to have an address
    #[sdk(optional)]
    pub wait_for_load_balancer: Option<bool>,
    /// wait for Argo CD Applications to be Synced and Healthy
    #[sdk(optional)]
    pub wait_for_applications: Option<bool>,
    #[sdk(block, max_items = 1)]
    pub field_manager: Option<FieldManager>,
    #[sdk(block, max_items = 1)]
    pub timeouts: Option<Timeouts>,
}

/// The source attributes: at least one must be set.
const SOURCES: [&str; 3] = ["content", "files", "dir"];

impl ManifestsModel {
    fn namespace(&self) -> String {
        non_empty(&self.namespace).unwrap_or("default").to_string()
    }

    /// The objects of the configured sources, each with where it came from.
    pub fn load_sources(&self, stack_dir: &Path) -> Result<Vec<(Json, String)>> {
        let mut out = Vec::new();
        let mut any = false;
        if let Some(text) = &self.content {
            any = true;
            out.extend(parse_documents(text, "content")?.into_iter().map(|o| (o, "content".to_string())));
        }
        let resolve = |p: &str| if Path::new(p).is_relative() { stack_dir.join(p) } else { Path::new(p).to_path_buf() };
        for f in self.files.iter().flatten() {
            any = true;
            let path = resolve(f);
            let text = std::fs::read_to_string(&path).map_err(|e| KubeError::Manifest(format!("reading {}: {e}", path.display())))?;
            out.extend(parse_documents(&text, f)?.into_iter().map(|o| (o, f.to_string())));
        }
        if let Some(d) = non_empty(&self.dir) {
            any = true;
            let dir = resolve(d);
            let mut entries: Vec<_> = std::fs::read_dir(&dir)
                .map_err(|e| KubeError::Manifest(format!("reading directory {}: {e}", dir.display())))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "yaml" || x == "yml" || x == "json"))
                .collect();
            entries.sort();
            for path in entries {
                let text = std::fs::read_to_string(&path).map_err(|e| KubeError::Manifest(format!("reading {}: {e}", path.display())))?;
                let name = path.display().to_string();
                out.extend(parse_documents(&text, &name)?.into_iter().map(|o| (o, name.clone())));
            }
        }
        if !any {
            return Err(KubeError::Config("kubernetes_manifests needs objects: set content, files or dir".into()));
        }
        Ok(out)
    }

    /// The planned set, resolved now if the plan could not (a CRD from elsewhere).
    async fn desired(&self, cx: &Context) -> Result<sets::Desired> {
        if let Some(planned) = self.objects.as_ref().filter(|o| !sets::has_secrets(o)) {
            return desired_from_objects(planned);
        }
        let objs = self.load_sources(&cx.stack_dir)?;
        let kinds: Vec<String> = objs.iter().map(|(o, _)| format!("{}/{}", o["apiVersion"].as_str().unwrap_or(""), o["kind"].as_str().unwrap_or(""))).collect();
        sets::resolve(Some(&cx.cluster), objs, &self.namespace()).await?.ok_or_else(|| {
            KubeError::UnknownKind(format!("some kinds are not served by the cluster and no CRD in the set defines them (kinds: {})", kinds.join(", ")))
        })
    }

    async fn apply(mut self, cx: &Ctx<'_, Kubernetes>, prior: Option<&ManifestsModel>) -> Result<ManifestsModel> {
        let k = &cx.provider.cx;
        let d = self.desired(k).await?;
        let wait = WaitFor {
            rollout: self.wait_for_rollout.unwrap_or(true),
            load_balancer: self.wait_for_load_balancer.unwrap_or(false),
            applications: self.wait_for_applications.unwrap_or(false),
        };
        let opts = set_options(SetConfig { field_manager: &self.field_manager, timeouts: &self.timeouts, wait }, prior.is_none())?;
        let prior = prior.map(|p| tracked(&p.objects)).unwrap_or_default();
        let h = sets::apply_set(&k.cluster, &prior, &d, &hashes(cx.private), &opts).await?;
        cx.keep_private(hashes_private(&h));
        self.objects = Some(sets::rendered(&d));
        Ok(self)
    }
}

/// The `kubernetes_manifests` resource type.
pub struct Manifests;

#[async_trait]
impl Resource<Kubernetes> for Manifests {
    type Model = ManifestsModel;
    const TYPE: &'static str = "kubernetes_manifests";

    fn validate(&self, config: &Value) -> Vec<(AttrPath, String)> {
        let mut out = Vec::new();
        if config.get("objects").is_some_and(|o| !o.is_null()) {
            out.push((AttrPath::attr("objects"), "is set by the provider; list objects in content, files or dir".to_string()));
        }
        if SOURCES.iter().all(|k| config.get(k).is_none_or(Value::is_null)) {
            out.push((AttrPath::root(), "set content, files or dir".to_string()));
        }
        out
    }

    /// The objects, rendered now when the sources and their kinds are known.
    async fn modify_plan(&self, cx: &Ctx<'_, Kubernetes>, _prior: Option<&Value>, planned: &mut Value, _replace: &mut Vec<AttrPath>) -> Result<()> {
        let k = &cx.provider.cx;
        let sources_known = SOURCES.iter().all(|s| planned.get(s).is_none_or(Value::is_wholly_known));
        let objects = if sources_known {
            let m = ManifestsModel::from_value(planned)?;
            match sets::resolve(Some(&k.cluster), m.load_sources(&k.stack_dir)?, &m.namespace()).await? {
                Some(d) => objects_value(&sets::rendered(&d)),
                None => Value::Unknown,
            }
        } else {
            Value::Unknown
        };
        set(planned, "objects", objects);
        set(planned, "id", Value::from(cx.addr));
        Ok(())
    }

    async fn create(&self, cx: &Ctx<'_, Kubernetes>, planned: ManifestsModel) -> Result<ManifestsModel> {
        planned.apply(cx, None).await
    }

    async fn update(&self, cx: &Ctx<'_, Kubernetes>, prior: ManifestsModel, planned: ManifestsModel) -> Result<ManifestsModel> {
        planned.apply(cx, Some(&prior)).await
    }

    async fn read(&self, cx: &Ctx<'_, Kubernetes>, mut current: ManifestsModel) -> Result<Option<ManifestsModel>> {
        let t = tracked(&current.objects);
        if t.is_empty() {
            return Ok(Some(current));
        }
        let (manager, _) = field_manager(&current.field_manager);
        let fresh = sets::read_set(&cx.provider.cx.cluster, &t, &hashes(cx.private), &manager).await?;
        if fresh.is_empty() {
            // Every object is gone: so is the set.
            return Ok(None);
        }
        current.objects = Some(fresh);
        Ok(Some(current))
    }

    async fn delete(&self, cx: &Ctx<'_, Kubernetes>, prior: ManifestsModel) -> Result<()> {
        let timeout = timeout(&prior.timeouts, "delete", DEFAULT_DELETE_TIMEOUT)?;
        sets::delete_set(&cx.provider.cx.cluster, &tracked(&prior.objects), timeout).await
    }

    async fn import(&self, _cx: &Ctx<'_, Kubernetes>, _id: &str) -> Result<Option<ManifestsModel>> {
        Err(refuse_import(<Self as Resource<Kubernetes>>::TYPE))
    }
}
