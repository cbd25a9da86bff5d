output "namespace" {
  value = var.namespace
}

output "objects" {
  value       = keys(kubernetes_manifests.install.objects)
  description = "The installed objects, as apiVersion/kind/namespace/name."
}

output "root_app" {
  value = kubernetes_manifest.root_app.manifest.metadata.name
}
