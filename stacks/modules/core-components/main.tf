# The platform's core components, installed with helm_release: Helm's own
# releases (made by the real helm, so `helm list/history/rollback` see them),
# whose objects each plan shows.
#
# They are iac's, not Argo CD's: they come before anything Argo CD syncs
# (the kinds applications are written in: kro's ResourceGraphDefinition,
# KEDA's ScaledObject, the ServiceMonitor), some take values only this
# stack knows (Karpenter's IAM role and the cluster's endpoint), `iac drift`
# watches them with the cluster, and `iac destroy` removes them before the
# cluster. What changes at the pace of pull requests (the application
# template, the applications) is in the GitOps tree Argo CD syncs.

resource "helm_release" "keda" {
  count            = var.keda.enabled ? 1 : 0
  name             = "keda"
  chart            = var.keda.chart
  repository       = var.keda.repository
  version          = var.keda.version
  namespace        = var.keda.namespace
  create_namespace = true
  values           = var.keda.values
}

resource "helm_release" "kube_prometheus_stack" {
  count            = var.kube_prometheus_stack.enabled ? 1 : 0
  name             = "kube-prometheus-stack"
  chart            = var.kube_prometheus_stack.chart
  repository       = var.kube_prometheus_stack.repository
  version          = var.kube_prometheus_stack.version
  namespace        = var.kube_prometheus_stack.namespace
  create_namespace = true
  values           = local.kube_prometheus_stack_values
  timeout          = 900
}

locals {
  kube_prometheus_stack_values = concat(
    # Each application's dashboard ConfigMap (label grafana_dashboard=1, in
    # any namespace) goes to the Grafana folder its grafana_folder annotation
    # names, so applications' dashboard files never overwrite each other.
    [yamlencode({ grafana = { sidecar = { dashboards = { folderAnnotation = "grafana_folder", provider = { foldersFromFilesStructure = true } } } } })],
    var.kube_prometheus_stack.grafana_admin_password == null ? [] : [yamlencode({ grafana = { adminPassword = var.kube_prometheus_stack.grafana_admin_password } })],
    var.kube_prometheus_stack.values,
  )
}

resource "helm_release" "opentelemetry_collector" {
  count            = var.opentelemetry_collector.enabled ? 1 : 0
  name             = "opentelemetry-collector"
  chart            = var.opentelemetry_collector.chart
  repository       = var.opentelemetry_collector.repository
  version          = var.opentelemetry_collector.version
  namespace        = var.opentelemetry_collector.namespace
  create_namespace = true
  values = concat([yamlencode({
    mode  = var.opentelemetry_collector.mode
    image = { repository = "otel/opentelemetry-collector-k8s" }
  })], var.opentelemetry_collector.values)
}

# kro, from its OCI chart (or a local chart directory); its chart carries the
# ResourceGraphDefinition CRD.
resource "helm_release" "kro" {
  count            = var.kro.enabled ? 1 : 0
  name             = "kro"
  chart            = var.kro.chart
  version          = var.kro.version
  namespace        = var.kro.namespace
  create_namespace = true
  values           = var.kro.values
}

resource "helm_release" "karpenter" {
  count     = var.karpenter.enabled ? 1 : 0
  name      = "karpenter"
  chart     = var.karpenter.chart
  version   = var.karpenter.version
  namespace = var.karpenter.namespace
  values = concat([yamlencode({
    settings = {
      clusterName     = var.karpenter.cluster_name
      clusterEndpoint = var.karpenter.cluster_endpoint
    }
    serviceAccount = {
      annotations = { "eks.amazonaws.com/role-arn" = var.karpenter.controller_role_arn }
    }
  })], var.karpenter.values)
}

resource "kubernetes_manifest" "karpenter_node_class" {
  count = var.karpenter.enabled ? 1 : 0
  manifest = {
    apiVersion = "karpenter.k8s.aws/v1"
    kind       = "EC2NodeClass"
    metadata   = { name = "default" }
    spec = {
      role             = var.karpenter.node_role
      amiSelectorTerms = [{ alias = "al2023@latest" }]
      subnetSelectorTerms = [{
        tags = { "karpenter.sh/discovery" = var.karpenter.cluster_name }
      }]
      securityGroupSelectorTerms = [{
        tags = { "karpenter.sh/discovery" = var.karpenter.cluster_name }
      }]
    }
  }
  depends_on = [helm_release.karpenter]
}

resource "kubernetes_manifest" "karpenter_node_pool" {
  count = var.karpenter.enabled ? 1 : 0
  manifest = {
    apiVersion = "karpenter.sh/v1"
    kind       = "NodePool"
    metadata   = { name = "default" }
    spec = {
      template = {
        spec = {
          nodeClassRef = { group = "karpenter.k8s.aws", kind = "EC2NodeClass", name = "default" }
          requirements = [
            { key = "karpenter.k8s.aws/instance-family", operator = "In", values = var.karpenter.instance_families },
            { key = "karpenter.sh/capacity-type", operator = "In", values = var.karpenter.capacity_types },
          ]
        }
      }
      limits     = { cpu = var.karpenter.cpu_limit }
      disruption = { consolidationPolicy = "WhenEmptyOrUnderutilized", consolidateAfter = "1m" }
    }
  }
  depends_on = [kubernetes_manifest.karpenter_node_class]
}
