# What runs in the cluster, in the same apply: the kubernetes and helm
# providers are configured from the cluster's kube_config as soon as it
# exists (fresh credentials on every run), then the core components and
# Argo CD, which takes the applications over by GitOps. `iac destroy`
# removes them in reverse.
#
# Charts come from their repositories. Offline (the demo), point them at
# the vendored charts (or switch the observability ones off):
#   -var keda_chart=../../../shared/fixtures/charts/keda-2.20.2
#   -var kro_chart=../../../shared/fixtures/charts/kro-0.9.3
#   -var kube_prometheus_stack_chart=../../../shared/fixtures/charts/kube-prometheus-stack-88.5.3
#   -var opentelemetry_collector_chart=../../../shared/fixtures/charts/opentelemetry-collector-0.170.0
#   (or -var enable_kube_prometheus_stack=false -var enable_opentelemetry_collector=false)
#
# Argo CD's root Application syncs the repository's GitOps tree
# (gitops/root: the platform's application templates, then the
# applications, one file each in gitops/apps/).

variable "keda_chart" {
  type        = string
  default     = "keda"
  description = "KEDA's chart: a name in its repository, or a local chart directory"
}

variable "enable_kube_prometheus_stack" {
  type    = bool
  default = true
}

variable "kube_prometheus_stack_chart" {
  type        = string
  default     = "kube-prometheus-stack"
  description = "kube-prometheus-stack's chart: a name in its repository, or a local chart directory"
}

variable "grafana_admin_password" {
  type        = string
  default     = null
  sensitive   = true
  description = "Grafana's admin password (kube-prometheus-stack), from your secret store (TF_VAR_grafana_admin_password). Set it: without it the chart makes a new random one at every render, which every plan shows as a change."
}

variable "enable_opentelemetry_collector" {
  type    = bool
  default = true
}

variable "opentelemetry_collector_chart" {
  type        = string
  default     = "opentelemetry-collector"
  description = "The OpenTelemetry collector's chart: a name in its repository, or a local chart directory"
}

variable "enable_kro" {
  type        = bool
  default     = true
  description = "Install kro, which expands the GitOps tree's applications (WebApp) into their objects"
}

variable "kro_chart" {
  type        = string
  default     = "oci://registry.k8s.io/kro/charts/kro"
  description = "kro's chart: its OCI reference, or a local chart directory"
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
  type        = string
  default     = "gitops/root"
  description = "Folder of the root app-of-apps in the repository: the Applications of the GitOps tree"
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
  kube_prometheus_stack   = { enabled = var.enable_kube_prometheus_stack, chart = var.kube_prometheus_stack_chart, grafana_admin_password = var.grafana_admin_password }
  opentelemetry_collector = { enabled = var.enable_opentelemetry_collector, chart = var.opentelemetry_collector_chart }
  kro                     = { enabled = var.enable_kro, chart = var.kro_chart }

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
