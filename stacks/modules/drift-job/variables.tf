variable "namespace" {
  type        = string
  default     = "iac"
  description = "Namespace the drift job runs in."
}

variable "image" {
  type        = string
  description = "An image holding the iac binary and this repository's stacks (your pipeline builds it)."
}

variable "stacks_dir" {
  type        = string
  default     = "/srv/stacks"
  description = "Where the stacks are inside the image; every directory below it is checked."
}

variable "schedule" {
  type        = string
  default     = "*/30 * * * *"
  description = "Cron schedule of the check."
}

variable "pushgateway_url" {
  type        = string
  default     = "http://prometheus-pushgateway.monitoring.svc:9091"
  description = "Prometheus Pushgateway the drift metrics go to (iac_drift_detected, iac_drift_resources, ...)."
}

variable "otlp_endpoint" {
  type        = string
  default     = ""
  description = "OpenTelemetry collector for the job's traces (empty: none)."
}

variable "credentials_secret" {
  type        = string
  default     = "iac-drift-credentials"
  description = "Secret whose keys become the job's environment: the state backend's and providers' credentials."
}

variable "credentials" {
  type        = map(string)
  default     = {}
  sensitive   = true
  description = "When set, the module creates credentials_secret from these values; leave empty when the Secret is managed elsewhere (External Secrets, Sealed Secrets)."
}
