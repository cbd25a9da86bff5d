# A DigitalOcean Kubernetes platform: a VPC, a DOKS cluster whose default
# pool autoscales from 3 nodes, and a second pool for workloads; the data
# layer in database.tf, Spaces, DNS, firewall and project in saas.tf.
#
# Against the simulator (no account needed):
#   cargo run -p iac-do-sim -- --listen 127.0.0.1:8080 &
#   DIGITALOCEAN_TOKEN=sim iac -chdir=stacks/doks-platform plan -var api_endpoint=http://127.0.0.1:8080

terraform {
  required_version = ">= 0.1.0"

  # State lives in the repository's state/ folder by default. For a team, or
  # CI runners that share nothing but the state, choose one remote backend
  # (then run `iac init -migrate-state` to move the existing state over):
  #
  # backend "s3" {
  #   bucket               = "acme-iac-state"   # versioning on: it is the history
  #   key                  = "doks-platform/terraform.tfstate"
  #   region               = "eu-west-1"
  #   encrypt              = true               # SSE-S3; or kms_key_id = "..."
  #   # endpoint = "https://s3.example.internal"  use_path_style = true  (MinIO, Ceph)
  # }
  #
  # backend "pg" {
  #   schema_name = "doks_platform"            # one schema per stack
  #   # conn_str from PG_CONN_STR, or -backend-config=conn_str=... at init
  # }
  #
  # Either way, IAC_STATE_KEY (or IAC_STATE_PASSPHRASE) encrypts the state
  # and saved plans before they leave this machine.
}

variable "api_endpoint" {
  type        = string
  description = "The DigitalOcean API; point it at iac-do-sim for the demo"
  default     = "https://api.digitalocean.com"
}

variable "spaces_endpoint" {
  type        = string
  default     = "https://{{.Region}}.digitaloceanspaces.com"
  description = "Spaces' S3 endpoint ({{.Region}} stands for the bucket's region); the demo points it at moto"
}

variable "region" {
  type    = string
  default = "nyc1"
}

variable "name" {
  type    = string
  default = "platform"
}

variable "poll_interval_ms" {
  type    = number
  default = 5000
}

provider "digitalocean" {
  api_endpoint     = var.api_endpoint
  poll_interval_ms = var.poll_interval_ms
  spaces_endpoint  = var.spaces_endpoint
}

data "digitalocean_kubernetes_versions" "current" {
  version_prefix = "1.31."
}

resource "digitalocean_vpc" "platform" {
  name        = "${var.name}-vpc"
  region      = var.region
  ip_range    = "10.100.0.0/20"
  description = "network of the ${var.name} cluster"
}

resource "digitalocean_kubernetes_cluster" "platform" {
  name          = var.name
  region        = var.region
  version       = data.digitalocean_kubernetes_versions.current.latest_version
  vpc_uuid      = digitalocean_vpc.platform.id
  auto_upgrade  = true
  surge_upgrade = true
  tags          = ["platform", "managed-by-iac"]

  maintenance_policy {
    start_time = "04:00"
    day        = "sunday"
  }

  node_pool {
    name       = "system"
    size       = "s-2vcpu-4gb"
    auto_scale = true
    node_count = 3
    min_nodes  = 3
    max_nodes  = 6
    labels = {
      role = "system"
    }
  }
}

resource "digitalocean_kubernetes_node_pool" "workloads" {
  cluster_id = digitalocean_kubernetes_cluster.platform.id
  name       = "workloads"
  size       = "s-4vcpu-8gb"
  node_count = 2
  labels = {
    role = "workloads"
  }
  taint {
    key    = "workloads"
    value  = "true"
    effect = "NoSchedule"
  }
}

output "endpoint" {
  value = digitalocean_kubernetes_cluster.platform.endpoint
}

output "kubeconfig" {
  value     = digitalocean_kubernetes_cluster.platform.kube_config[0].raw_config
  sensitive = true
}

output "cluster_version" {
  value = digitalocean_kubernetes_cluster.platform.version
}
