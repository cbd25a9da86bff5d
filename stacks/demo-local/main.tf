terraform {
  required_version = ">= 1.5"
}

variable "environment" {
  type        = string
  default     = "dev"
  description = "Name of the environment."

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be dev, staging or prod."
  }
}

variable "services" {
  type = map(object({
    replicas = number
    port     = optional(number, 8080)
  }))
  default = {
    api    = { replicas = 2 }
    worker = { replicas = 1, port = 9090 }
  }
}

locals {
  common_tags = {
    environment = var.environment
    managed_by  = "iac"
  }
}

resource "terraform_data" "network" {
  input = {
    name = "net-${var.environment}"
    cidr = cidrsubnet("10.0.0.0/8", 8, 1)
    tags = local.common_tags
  }
}

resource "terraform_data" "service" {
  for_each = var.services
  input = {
    name     = each.key
    replicas = each.value.replicas
    port     = each.value.port
    network  = terraform_data.network.id
    tags     = merge(local.common_tags, { service = each.key })
  }
}

resource "local_file" "inventory" {
  filename = "${path.module}/out/inventory.json"
  content = jsonencode({
    network  = terraform_data.network.output.name
    services = { for k, s in terraform_data.service : k => s.output.port }
  })
}

output "network_id" {
  value = terraform_data.network.id
}

output "service_ports" {
  value = { for k, s in terraform_data.service : k => s.output.port }
}
