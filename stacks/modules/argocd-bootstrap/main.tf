# Argo CD, bootstrapped: its namespace, the pinned install manifests
# (server-side applied: the ApplicationSet CRD is too large for client-side
# apply), a wait until its Deployments and StatefulSet are ready, then the
# root "app of apps" Application that hands the cluster over to GitOps.

resource "kubernetes_manifest" "namespace" {
  manifest = {
    apiVersion = "v1"
    kind       = "Namespace"
    metadata = {
      name   = var.namespace
      labels = { "app.kubernetes.io/part-of" = "argocd" }
    }
  }
}

resource "kubernetes_manifests" "install" {
  files            = [coalesce(var.install_manifest, "${path.module}/manifests/install-${var.argocd_version}.yaml")]
  namespace        = var.namespace
  wait_for_rollout = true

  # The install is iac's: a hand edit of its fields is drift, and the next
  # apply takes the fields back instead of failing on the conflict.
  field_manager {
    force_conflicts = var.force_conflicts
  }

  timeouts {
    create = var.install_timeout
    update = var.install_timeout
  }

  depends_on = [kubernetes_manifest.namespace]
}

resource "kubernetes_manifest" "root_app" {
  manifest = {
    apiVersion = "argoproj.io/v1alpha1"
    kind       = "Application"
    metadata = {
      name      = var.root_app_name
      namespace = var.namespace
    }
    spec = {
      project = "default"
      source = {
        repoURL        = var.repo_url
        path           = var.repo_path
        targetRevision = var.target_revision
      }
      destination = {
        server    = "https://kubernetes.default.svc"
        namespace = var.namespace
      }
      syncPolicy = {
        automated   = { prune = true, selfHeal = true }
        syncOptions = ["CreateNamespace=true", "ServerSideApply=true"]
      }
    }
  }

  # Synced and Healthy before the apply reports success, when asked.
  wait {
    rollout = var.wait_for_root_app
  }

  depends_on = [kubernetes_manifests.install]
}
