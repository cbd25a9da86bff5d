# Around the cluster and the database, what a SaaS platform needs on
# DigitalOcean: Spaces buckets for the application's assets (public, CORS
# for the web app, temporary uploads expiring) and for backups (private,
# versioned, old versions expiring), the product's domain with the
# application's record, a cloud firewall in front of the cluster's nodes
# (their `k8s:<cluster id>` tag), and a project that groups it all in the
# console.
#
# Spaces buckets go through Spaces' S3 API with the Spaces keys from
# SPACES_ACCESS_KEY_ID / SPACES_SECRET_ACCESS_KEY; var.spaces_endpoint
# (main.tf) points it elsewhere (the demo and tests: moto's S3 standing in
# for Spaces).

variable "spaces_region" {
  type    = string
  default = "nyc3"
}

variable "domain" {
  type        = string
  default     = "saas-platform.example"
  description = "The product's DNS zone, hosted by DigitalOcean"
}

variable "ingress_ip" {
  type        = string
  default     = "203.0.113.10"
  description = "The public address of the ingress load balancer the application's record points at"
}

resource "digitalocean_spaces_bucket" "assets" {
  name   = "${var.name}-assets"
  region = var.spaces_region
  acl    = "public-read"

  cors_rule {
    allowed_methods = ["GET", "HEAD"]
    allowed_origins = ["https://app.${var.domain}"]
    max_age_seconds = 3600
  }

  lifecycle_rule {
    id      = "expire-uploads"
    prefix  = "uploads/tmp/"
    enabled = true
    expiration {
      days = 7
    }
  }
}

resource "digitalocean_spaces_bucket" "backups" {
  name   = "${var.name}-backups"
  region = var.spaces_region

  versioning {
    enabled = true
  }

  lifecycle_rule {
    id                                     = "old-versions"
    enabled                                = true
    abort_incomplete_multipart_upload_days = 1
    noncurrent_version_expiration {
      days = 30
    }
  }
}

resource "digitalocean_domain" "product" {
  name = var.domain
}

resource "digitalocean_record" "app" {
  domain = digitalocean_domain.product.id
  type   = "A"
  name   = "app"
  value  = var.ingress_ip
  ttl    = 300
}

resource "digitalocean_firewall" "nodes" {
  name = "${var.name}-nodes"
  tags = ["k8s:${digitalocean_kubernetes_cluster.platform.id}"]

  inbound_rule {
    protocol         = "tcp"
    port_range       = "443"
    source_addresses = ["0.0.0.0/0", "::/0"]
  }
  inbound_rule {
    protocol         = "tcp"
    port_range       = "1-65535"
    source_addresses = [digitalocean_vpc.platform.ip_range]
  }
  outbound_rule {
    protocol              = "tcp"
    port_range            = "1-65535"
    destination_addresses = ["0.0.0.0/0", "::/0"]
  }
  outbound_rule {
    protocol              = "udp"
    port_range            = "53"
    destination_addresses = ["0.0.0.0/0", "::/0"]
  }
}

resource "digitalocean_project" "platform" {
  name        = var.name
  description = "The ${var.name} SaaS platform"
  purpose     = "Web Application"
  environment = "production"
  resources = [
    digitalocean_kubernetes_cluster.platform.urn,
    digitalocean_database_cluster.postgres.urn,
    digitalocean_spaces_bucket.assets.urn,
    digitalocean_spaces_bucket.backups.urn,
    digitalocean_domain.product.urn,
  ]
}

output "assets_bucket" {
  value = digitalocean_spaces_bucket.assets.bucket_domain_name
}

output "app_fqdn" {
  value = digitalocean_record.app.fqdn
}
