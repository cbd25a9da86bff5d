# What runs in the cluster, in the same apply: the kubernetes and helm
# providers are configured from the cluster's kube_config as soon as it
# exists (fresh credentials on every run), then the core components and
# Argo CD, which takes the applications over by GitOps. `iac destroy`
# removes them in reverse.
#
# Charts come from their repositories. Offline (the demo), point KEDA at
# the vendored chart and switch the others off:
#   -var keda_chart=../../../shared/fixtures/charts/keda-2.20.2
#   -var enable_kube_prometheus_stack=false -var enable_opentelemetry_collector=false

variable "keda_chart" {
  type        = string
  default     = "keda"
  description = "KEDA's chart: a name in its repository, or a local chart directory"
}

variable "enable_kube_prometheus_stack" {
  type    = bool
  default = true
}

variable "enable_opentelemetry_collector" {
  type    = bool
  default = true
}

variable "enable_drift_job" {
  type    = bool
  default = true
}

variable "drift_job_image" {
  type        = string
  default     = "registry.example.com/platform/iac-stacks:latest"
  description = "Image with the iac binary and this repository's stacks, for the drift CronJob"
}

variable "argocd_repo_url" {
  type        = string
  default     = "https://github.com/example/platform-apps.git"
  description = "Git repository of the app-of-apps Argo CD syncs"
}

variable "argocd_repo_path" {
  type    = string
  default = "apps"
}

variable "argocd_revision" {
  type    = string
  default = "main"
}

locals {
  kube = digitalocean_kubernetes_cluster.platform.kube_config[0]
}

provider "kubernetes" {
  host                   = local.kube.host
  token                  = local.kube.token
  cluster_ca_certificate = base64decode(local.kube.cluster_ca_certificate)
  poll_interval_ms       = 200
}

provider "helm" {
  poll_interval_ms = 200
  kubernetes {
    host                   = local.kube.host
    token                  = local.kube.token
    cluster_ca_certificate = base64decode(local.kube.cluster_ca_certificate)
  }
}

module "core_components" {
  source = "../modules/core-components"

  keda                    = { chart = var.keda_chart }
  kube_prometheus_stack   = { enabled = var.enable_kube_prometheus_stack }
  opentelemetry_collector = { enabled = var.enable_opentelemetry_collector }

  # Workloads need the worker pool's nodes.
  depends_on = [digitalocean_kubernetes_node_pool.workloads]
}

module "argocd" {
  source = "../modules/argocd-bootstrap"

  repo_url        = var.argocd_repo_url
  repo_path       = var.argocd_repo_path
  target_revision = var.argocd_revision

  depends_on = [module.core_components]
}

# The scheduled drift check, as a CronJob in the cluster (metrics to the
# Pushgateway). Its image holds iac and these stacks; credentials come from
# the iac-drift-credentials Secret, managed outside this stack.
module "drift_job" {
  source = "../modules/drift-job"
  count  = var.enable_drift_job ? 1 : 0

  image = var.drift_job_image

  depends_on = [module.core_components]
}

output "argocd_objects" {
  value       = length(module.argocd.objects)
  description = "How many objects the Argo CD install manifest holds"
}

output "core_releases" {
  value = module.core_components.releases
}
