# The data layer: a managed PostgreSQL cluster in the platform's VPC, the
# application's database, user and connection pool, and trusted sources that
# let only the Kubernetes cluster connect. The connection details reach the
# cluster as a Secret (database-secret.tf); every password and URI is
# sensitive from the API to the Secret.
#
# A bigger size or more nodes resize the cluster in place (a standby node
# with database_nodes = 2); a new postgres_version upgrades it (never down).

variable "database_size" {
  type        = string
  default     = "db-s-1vcpu-2gb"
  description = "Node size of the PostgreSQL cluster"
}

variable "database_nodes" {
  type        = number
  default     = 1
  description = "Nodes of the PostgreSQL cluster (2 or 3 add standbys)"
}

variable "postgres_version" {
  type    = string
  default = "17"
}

resource "digitalocean_database_cluster" "postgres" {
  name                 = "${var.name}-pg"
  engine               = "pg"
  version              = var.postgres_version
  size                 = var.database_size
  region               = var.region
  node_count           = var.database_nodes
  private_network_uuid = digitalocean_vpc.platform.id
  tags                 = ["platform", "managed-by-iac"]

  maintenance_window {
    day  = "sunday"
    hour = "03:00"
  }
}

resource "digitalocean_database_db" "app" {
  cluster_id = digitalocean_database_cluster.postgres.id
  name       = "app"
}

resource "digitalocean_database_user" "app" {
  cluster_id = digitalocean_database_cluster.postgres.id
  name       = "app"
}

# PgBouncer in front of the database: the application connects here.
resource "digitalocean_database_connection_pool" "app" {
  cluster_id = digitalocean_database_cluster.postgres.id
  name       = "app"
  mode       = "transaction"
  size       = 20
  db_name    = digitalocean_database_db.app.name
  user       = digitalocean_database_user.app.name
}

# Only the Kubernetes cluster's nodes may connect.
resource "digitalocean_database_firewall" "postgres" {
  cluster_id = digitalocean_database_cluster.postgres.id

  rule {
    type  = "k8s"
    value = digitalocean_kubernetes_cluster.platform.id
  }
}

output "database_host" {
  value       = digitalocean_database_connection_pool.app.private_host
  description = "Where the application connects (the pool, inside the VPC)"
}

output "database_uri" {
  value     = digitalocean_database_connection_pool.app.private_uri
  sensitive = true
}
