# Each component: switchable, its chart version pinned, its values an input.
# `chart` is a chart name in `repository`, or a local chart directory (then
# set `repository = null`), which is how an offline run points at vendored
# charts.

variable "keda" {
  type = object({
    enabled    = optional(bool, true)
    chart      = optional(string, "keda")
    repository = optional(string, "https://kedacore.github.io/charts")
    version    = optional(string, "2.20.2")
    namespace  = optional(string, "keda")
    values     = optional(list(string), [])
  })
  default     = {}
  description = "KEDA, event-driven autoscaling."
}

variable "kube_prometheus_stack" {
  type = object({
    enabled    = optional(bool, true)
    chart      = optional(string, "kube-prometheus-stack")
    repository = optional(string, "https://prometheus-community.github.io/helm-charts")
    version    = optional(string, "88.5.3")
    namespace  = optional(string, "monitoring")
    values     = optional(list(string), [])
    # Without it the chart makes a new random password at every render,
    # which every plan would show as a change (and a saved plan would no
    # longer match at apply).
    grafana_admin_password = optional(string)
  })
  default     = {}
  description = "Prometheus, Alertmanager and Grafana."
}

variable "opentelemetry_collector" {
  type = object({
    enabled    = optional(bool, true)
    chart      = optional(string, "opentelemetry-collector")
    repository = optional(string, "https://open-telemetry.github.io/opentelemetry-helm-charts")
    version    = optional(string, "0.170.0")
    namespace  = optional(string, "observability")
    mode       = optional(string, "deployment")
    values     = optional(list(string), [])
  })
  default     = {}
  description = "The OpenTelemetry collector."
}

variable "kro" {
  type = object({
    enabled   = optional(bool, true)
    chart     = optional(string, "oci://registry.k8s.io/kro/charts/kro")
    version   = optional(string, "0.9.3")
    namespace = optional(string, "kro-system")
    values    = optional(list(string), [])
  })
  default     = {}
  description = "kro: the ResourceGraphDefinition API, which the GitOps tree's application template (gitops/platform/) is written in."
}

variable "karpenter" {
  type = object({
    enabled          = optional(bool, false)
    chart            = optional(string, "oci://public.ecr.aws/karpenter/karpenter")
    version          = optional(string, "1.14.1")
    namespace        = optional(string, "kube-system")
    cluster_name     = optional(string, "")
    cluster_endpoint = optional(string, "")
    # The controller's IAM role (IRSA through the cluster's OIDC provider)
    # and the role its nodes get, both made by the EKS stack.
    controller_role_arn = optional(string, "")
    node_role           = optional(string, "")
    instance_families   = optional(list(string), ["m6i", "m7i", "c7i"])
    capacity_types      = optional(list(string), ["on-demand", "spot"])
    cpu_limit           = optional(number, 200)
    values              = optional(list(string), [])
  })
  default     = {}
  description = "Karpenter, on EKS only: the controller, a default NodePool and EC2NodeClass."
}
