output "releases" {
  value = concat(
    [for r in helm_release.keda : r.name],
    [for r in helm_release.kube_prometheus_stack : r.name],
    [for r in helm_release.opentelemetry_collector : r.name],
    [for r in helm_release.kro : r.name],
    [for r in helm_release.karpenter : r.name],
  )
  description = "The Helm releases installed."
}
