output "cronjob" {
  value       = "${var.namespace}/iac-drift"
  description = "The drift CronJob, as namespace/name."
}
