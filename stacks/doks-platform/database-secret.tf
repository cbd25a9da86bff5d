# The database's connection details, handed to the cluster as a Secret the
# application mounts (envFrom): the pool's private URI and its parts, and
# the cluster's CA certificate. The values stay sensitive end to end: plans
# show them as (sensitive value), and the object kept in state leaves a
# Secret's data out.

data "digitalocean_database_ca" "postgres" {
  cluster_id = digitalocean_database_cluster.postgres.id
}

resource "kubernetes_manifest" "database_credentials" {
  manifest = {
    apiVersion = "v1"
    kind       = "Secret"
    type       = "Opaque"
    metadata = {
      name      = "app-database"
      namespace = "default"
      labels = {
        "app.kubernetes.io/managed-by" = "iac"
      }
    }
    data = {
      DATABASE_URL = base64encode(digitalocean_database_connection_pool.app.private_uri)
      PGHOST       = base64encode(digitalocean_database_connection_pool.app.private_host)
      PGPORT       = base64encode(tostring(digitalocean_database_connection_pool.app.port))
      PGDATABASE   = base64encode(digitalocean_database_connection_pool.app.name)
      PGUSER       = base64encode(digitalocean_database_user.app.name)
      PGPASSWORD   = base64encode(digitalocean_database_user.app.password)
      PGSSLMODE    = base64encode("require")
      "ca.crt"     = base64encode(data.digitalocean_database_ca.postgres.certificate)
    }
  }
}
