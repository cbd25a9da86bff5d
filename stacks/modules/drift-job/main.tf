# The scheduled drift check, running inside the platform it watches: a
# CronJob that runs `iac drift` over every stack in its image, with the
# state backend's and providers' credentials from a Secret, pushing the
# metrics to a Pushgateway so Grafana can alert on iac_drift_detected == 1
# or iac_drift_check_success == 0. Drift itself (exit 2) is reported through
# the metrics; the Job fails only when a check could not run (exit 1).

resource "kubernetes_manifest" "namespace" {
  manifest = {
    apiVersion = "v1"
    kind       = "Namespace"
    metadata   = { name = var.namespace }
  }
}

resource "kubernetes_manifest" "credentials" {
  count = length(var.credentials) > 0 ? 1 : 0
  manifest = {
    apiVersion = "v1"
    kind       = "Secret"
    metadata   = { name = var.credentials_secret, namespace = var.namespace }
    type       = "Opaque"
    stringData = var.credentials
  }
  depends_on = [kubernetes_manifest.namespace]
}

locals {
  env = concat(
    [{ name = "PUSHGATEWAY_URL", value = var.pushgateway_url }],
    var.otlp_endpoint == "" ? [] : [{ name = "OTEL_EXPORTER_OTLP_ENDPOINT", value = var.otlp_endpoint }],
  )
}

resource "kubernetes_manifest" "cronjob" {
  manifest = {
    apiVersion = "batch/v1"
    kind       = "CronJob"
    metadata = {
      name      = "iac-drift"
      namespace = var.namespace
      labels    = { "app.kubernetes.io/name" = "iac-drift" }
    }
    spec = {
      schedule                   = var.schedule
      concurrencyPolicy          = "Forbid"
      successfulJobsHistoryLimit = 3
      failedJobsHistoryLimit     = 3
      jobTemplate = {
        spec = {
          backoffLimit          = 0
          activeDeadlineSeconds = 1800
          template = {
            metadata = { labels = { "app.kubernetes.io/name" = "iac-drift" } }
            spec = {
              restartPolicy   = "Never"
              securityContext = { runAsNonRoot = true, runAsUser = 65532 }
              containers = [{
                name       = "drift"
                image      = var.image
                workingDir = var.stacks_dir
                command    = ["/bin/sh", "-c"]
                args       = ["iac drift -no-color -lock-timeout 5m -format text -push \"$PUSHGATEWAY_URL\" ./*/; code=$?; if [ \"$code\" -eq 1 ]; then exit 1; fi; exit 0"]
                env        = local.env
                envFrom    = [{ secretRef = { name = var.credentials_secret } }]
                resources = {
                  requests = { cpu = "100m", memory = "256Mi" }
                  limits   = { memory = "1Gi" }
                }
                securityContext = {
                  allowPrivilegeEscalation = false
                  capabilities             = { drop = ["ALL"] }
                }
              }]
            }
          }
        }
      }
    }
  }
  depends_on = [kubernetes_manifest.namespace]
}
