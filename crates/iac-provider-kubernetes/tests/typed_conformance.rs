//! The typed Kubernetes resources and data sources pass the provider
//! conformance suite against the fake API server, under their `_v1` names
//! and their upstream names without it: exact plans, wholly known state
//! that fits the schema, empty re-plans and refreshes, import by id,
//! destroy, and deletion out of band seen by refresh.

use crate::common;

use common::*;
use iac_core::plan::Action::{Create, Read, Update};
use iac_testkit::conformance::provider::{run, Case, Step};

fn v1(url: &str, color: &str, owner: &str) -> String {
    format!(
        r#"{providers}
resource "kubernetes_namespace_v1" "team" {{
  metadata {{
    name   = "team-a"
    labels = {{ team = "a" }}
  }}
}}

resource "kubernetes_config_map_v1" "settings" {{
  metadata {{
    name      = "settings"
    namespace = kubernetes_namespace_v1.team.metadata[0].name
  }}
  data = {{ color = "{color}" }}
}}

resource "kubernetes_secret_v1" "creds" {{
  metadata {{
    name        = "creds"
    namespace   = kubernetes_namespace_v1.team.metadata[0].name
    annotations = {{ "example.com/rotated" = "{color}" }}
  }}
  data = {{ password = "s3cret-{color}" }}
}}

resource "kubernetes_service_account_v1" "app" {{
  metadata {{
    name      = "app"
    namespace = kubernetes_namespace_v1.team.metadata[0].name
  }}
  image_pull_secret {{
    name = "regcred"
  }}
  automount_service_account_token = false
}}

resource "kubernetes_storage_class_v1" "fast" {{
  metadata {{
    name = "fast"
  }}
  storage_provisioner = "ebs.csi.aws.com"
  volume_binding_mode = "WaitForFirstConsumer"
  parameters          = {{ type = "gp3" }}
}}

resource "kubernetes_cluster_role_v1" "reader" {{
  metadata {{
    name = "reader"
  }}
  rule {{
    api_groups = [""]
    resources  = ["pods", "configmaps"]
    verbs      = ["get", "list"]
  }}
}}

resource "kubernetes_cluster_role_binding_v1" "reader" {{
  metadata {{
    name = "reader"
  }}
  role_ref {{
    kind = "ClusterRole"
    name = kubernetes_cluster_role_v1.reader.metadata[0].name
  }}
  subject {{
    kind      = "ServiceAccount"
    name      = kubernetes_service_account_v1.app.metadata[0].name
    namespace = "team-a"
  }}
}}

resource "kubernetes_labels" "settings" {{
  api_version = "v1"
  kind        = "ConfigMap"
  metadata {{
    name      = kubernetes_config_map_v1.settings.metadata[0].name
    namespace = "team-a"
  }}
  labels = {{ owner = "{owner}" }}
}}

resource "kubernetes_annotations" "settings" {{
  api_version = "v1"
  kind        = "ConfigMap"
  metadata {{
    name      = kubernetes_config_map_v1.settings.metadata[0].name
    namespace = "team-a"
  }}
  annotations = {{ "example.com/owner" = "{owner}" }}
}}

resource "kubernetes_config_map_v1_data" "extra" {{
  metadata {{
    name      = kubernetes_config_map_v1.settings.metadata[0].name
    namespace = "team-a"
  }}
  data = {{ extra = "from another team" }}
}}

resource "kubernetes_manifest" "web" {{
  manifest = {{
    apiVersion = "v1"
    kind       = "Service"
    metadata   = {{ name = "web", namespace = kubernetes_namespace_v1.team.metadata[0].name }}
    spec       = {{ selector = {{ app = "web" }}, ports = [{{ port = 80 }}] }}
  }}
}}

data "kubernetes_resource" "settings" {{
  api_version = "v1"
  kind        = "ConfigMap"
  metadata {{
    name      = element(split("/", kubernetes_config_map_v1.settings.id), 1)
    namespace = "team-a"
  }}
}}

data "kubernetes_namespace_v1" "team" {{
  metadata {{
    name = kubernetes_namespace_v1.team.id
  }}
}}

data "kubernetes_secret_v1" "creds" {{
  metadata {{
    name      = element(split("/", kubernetes_secret_v1.creds.id), 1)
    namespace = "team-a"
  }}
}}

data "kubernetes_config_map_v1" "settings" {{
  metadata {{
    name      = element(split("/", kubernetes_config_map_v1.settings.id), 1)
    namespace = "team-a"
  }}
}}

data "kubernetes_service_v1" "web" {{
  metadata {{
    name      = kubernetes_manifest.web.object.metadata.name
    namespace = "team-a"
  }}
}}

output "color" {{
  value = data.kubernetes_config_map_v1.settings.data.color
}}

output "password" {{
  value     = data.kubernetes_secret_v1.creds.data.password
  sensitive = true
}}

output "port" {{
  value = data.kubernetes_service_v1.web.spec[0].port[0].port
}}

output "kind" {{
  value = data.kubernetes_resource.settings.object.kind
}}

output "finalizers" {{
  value = data.kubernetes_namespace_v1.team.spec[0].finalizers
}}
"#,
        providers = providers(url)
    )
}

#[test]
fn typed_v1_resources_and_data_sources_conform() {
    rt().block_on(async {
        let sim = sim().await;
        let tmp = tempfile::tempdir().unwrap();
        let stack = tmp.path().join("stack");
        std::fs::create_dir_all(&stack).unwrap();
        let url = sim.url();
        let all = [
            ("kubernetes_namespace_v1.team", Create),
            ("kubernetes_config_map_v1.settings", Create),
            ("kubernetes_secret_v1.creds", Create),
            ("kubernetes_service_account_v1.app", Create),
            ("kubernetes_storage_class_v1.fast", Create),
            ("kubernetes_cluster_role_v1.reader", Create),
            ("kubernetes_cluster_role_binding_v1.reader", Create),
            ("kubernetes_labels.settings", Create),
            ("kubernetes_annotations.settings", Create),
            ("kubernetes_config_map_v1_data.extra", Create),
            ("kubernetes_manifest.web", Create),
            // Read at apply: they name objects the same apply makes.
            ("data.kubernetes_resource.settings", Read),
            ("data.kubernetes_namespace_v1.team", Read),
            ("data.kubernetes_secret_v1.creds", Read),
            ("data.kubernetes_config_map_v1.settings", Read),
            ("data.kubernetes_service_v1.web", Read),
        ];
        let case = Case {
            name: "kubernetes typed v1".into(),
            steps: vec![
                Step::new(v1(&url, "blue", "platform"), &all),
                Step::new(
                    v1(&url, "red", "apps"),
                    &[
                        ("kubernetes_config_map_v1.settings", Update),
                        ("kubernetes_secret_v1.creds", Update),
                        ("kubernetes_labels.settings", Update),
                        ("kubernetes_annotations.settings", Update),
                        // Read at apply again, after the objects they name
                        // change (Terraform's read_because_dependency_pending).
                        ("data.kubernetes_config_map_v1.settings", Read),
                        ("data.kubernetes_secret_v1.creds", Read),
                        ("data.kubernetes_resource.settings", Read),
                    ],
                ),
            ],
            imports: vec![
                ("kubernetes_namespace_v1.team".into(), "id".into()),
                ("kubernetes_config_map_v1.settings".into(), "id".into()),
                ("kubernetes_secret_v1.creds".into(), "id".into()),
                ("kubernetes_service_account_v1.app".into(), "id".into()),
                ("kubernetes_storage_class_v1.fast".into(), "id".into()),
                ("kubernetes_cluster_role_v1.reader".into(), "id".into()),
                ("kubernetes_cluster_role_binding_v1.reader".into(), "id".into()),
            ],
            parallelism: 4,
            remote_objects: true,
        };
        run(&case, &stack, &env(tmp.path())).await;
        sim.stop().await;
    });
}

fn legacy(url: &str, color: &str) -> String {
    format!(
        r#"{providers}
resource "kubernetes_namespace" "team" {{
  metadata {{
    name = "team-b"
  }}
  wait_for_default_service_account = false
}}

resource "kubernetes_config_map" "settings" {{
  metadata {{
    name      = "settings"
    namespace = kubernetes_namespace.team.metadata[0].name
  }}
  data = {{ color = "{color}" }}
}}

resource "kubernetes_secret" "creds" {{
  metadata {{
    generate_name = "creds-"
    namespace     = kubernetes_namespace.team.metadata[0].name
  }}
  binary_data = {{ key = base64encode("{color}") }}
}}

resource "kubernetes_service_account" "app" {{
  metadata {{
    name      = "app"
    namespace = kubernetes_namespace.team.metadata[0].name
  }}
}}

resource "kubernetes_storage_class" "slow" {{
  metadata {{
    name = "slow"
  }}
  storage_provisioner = "kubernetes.io/no-provisioner"
  reclaim_policy      = "Retain"
}}

resource "kubernetes_cluster_role" "aggregate" {{
  metadata {{
    name   = "aggregate"
    labels = {{ color = "{color}" }}
  }}
  aggregation_rule {{
    cluster_role_selectors {{
      match_labels = {{ "rbac.example.com/aggregate" = "true" }}
    }}
  }}
}}

resource "kubernetes_cluster_role_binding" "admins" {{
  metadata {{
    name = "admins"
  }}
  role_ref {{
    kind = "ClusterRole"
    name = "cluster-admin"
  }}
  subject {{
    kind = "Group"
    name = "platform-admins"
  }}
}}

resource "kubernetes_manifest" "web" {{
  manifest = {{
    apiVersion = "v1"
    kind       = "Service"
    metadata   = {{ name = "web", namespace = kubernetes_namespace.team.metadata[0].name }}
    spec       = {{ selector = {{ app = "web" }}, ports = [{{ port = 8080 }}] }}
  }}
}}

data "kubernetes_namespace" "team" {{
  metadata {{
    name = kubernetes_namespace.team.id
  }}
}}

data "kubernetes_secret" "creds" {{
  metadata {{
    name      = kubernetes_secret.creds.metadata[0].name
    namespace = "team-b"
  }}
}}

data "kubernetes_config_map" "settings" {{
  metadata {{
    name      = element(split("/", kubernetes_config_map.settings.id), 1)
    namespace = "team-b"
  }}
}}

data "kubernetes_service" "web" {{
  metadata {{
    name      = kubernetes_manifest.web.object.metadata.name
    namespace = "team-b"
  }}
}}

output "reads" {{
  value = [data.kubernetes_namespace.team.id, data.kubernetes_config_map.settings.data.color, data.kubernetes_service.web.spec[0].port[0].port]
}}

output "secret_type" {{
  value = data.kubernetes_secret.creds.type
}}
"#,
        providers = providers(url)
    )
}

#[test]
fn typed_resources_under_their_upstream_names_conform() {
    rt().block_on(async {
        let sim = sim().await;
        let tmp = tempfile::tempdir().unwrap();
        let stack = tmp.path().join("stack");
        std::fs::create_dir_all(&stack).unwrap();
        let url = sim.url();
        let case = Case {
            name: "kubernetes typed".into(),
            steps: vec![
                Step::new(
                    legacy(&url, "blue"),
                    &[
                        ("kubernetes_namespace.team", Create),
                        ("kubernetes_config_map.settings", Create),
                        ("kubernetes_secret.creds", Create),
                        ("kubernetes_service_account.app", Create),
                        ("kubernetes_storage_class.slow", Create),
                        ("kubernetes_cluster_role.aggregate", Create),
                        ("kubernetes_cluster_role_binding.admins", Create),
                        ("kubernetes_manifest.web", Create),
                        ("data.kubernetes_namespace.team", Read),
                        ("data.kubernetes_secret.creds", Read),
                        ("data.kubernetes_config_map.settings", Read),
                        ("data.kubernetes_service.web", Read),
                    ],
                ),
                Step::new(
                    legacy(&url, "red"),
                    &[
                        ("kubernetes_config_map.settings", Update),
                        ("kubernetes_secret.creds", Update),
                        ("kubernetes_cluster_role.aggregate", Update),
                        // Read at apply again, after the objects they name change.
                        ("data.kubernetes_config_map.settings", Read),
                        ("data.kubernetes_secret.creds", Read),
                    ],
                ),
            ],
            imports: vec![
                ("kubernetes_namespace.team".into(), "id".into()),
                ("kubernetes_config_map.settings".into(), "id".into()),
                ("kubernetes_service_account.app".into(), "id".into()),
                ("kubernetes_storage_class.slow".into(), "id".into()),
                ("kubernetes_cluster_role.aggregate".into(), "id".into()),
                ("kubernetes_cluster_role_binding.admins".into(), "id".into()),
            ],
            parallelism: 4,
            remote_objects: true,
        };
        run(&case, &stack, &env(tmp.path())).await;
        sim.stop().await;
    });
}

/// Deployments, services and ingresses under both names (`_v1` and
/// upstream's without it; Ingress only as `kubernetes_ingress_v1`). The
/// deployments' pods carry every kind of scheduling constraint (node
/// affinity required and preferred, pod affinity, pod anti-affinity,
/// tolerations, a topology spread constraint) and security contexts at
/// pod and container level, some left to upstream's defaults.
fn workloads(url: &str, tag: &str, replicas: u32, host: &str) -> String {
    let weight = replicas * 10;
    format!(
        r#"{providers}
resource "kubernetes_namespace_v1" "apps" {{
  metadata {{
    name = "apps"
  }}
}}

resource "kubernetes_deployment_v1" "web" {{
  metadata {{
    name      = "web"
    namespace = kubernetes_namespace_v1.apps.metadata[0].name
    labels    = {{ app = "web" }}
  }}
  spec {{
    replicas = "{replicas}"
    selector {{
      match_labels = {{ app = "web" }}
    }}
    strategy {{
      type = "RollingUpdate"
      rolling_update {{
        max_surge       = "1"
        max_unavailable = "0"
      }}
    }}
    template {{
      metadata {{
        labels      = {{ app = "web" }}
        annotations = {{ "example.com/scrape" = "true" }}
      }}
      spec {{
        service_account_name = "default"
        node_selector        = {{ "kubernetes.io/os" = "linux" }}
        affinity {{
          node_affinity {{
            required_during_scheduling_ignored_during_execution {{
              node_selector_term {{
                match_expressions {{
                  key      = "kubernetes.io/arch"
                  operator = "In"
                  values   = ["arm64", "amd64"]
                }}
              }}
            }}
            preferred_during_scheduling_ignored_during_execution {{
              weight = {weight}
              preference {{
                match_expressions {{
                  key      = "node.example.com/pool"
                  operator = "In"
                  values   = ["web"]
                }}
              }}
            }}
          }}
          pod_affinity {{
            preferred_during_scheduling_ignored_during_execution {{
              weight = 50
              pod_affinity_term {{
                topology_key = "topology.kubernetes.io/zone"
                label_selector {{
                  match_labels = {{ app = "cache" }}
                }}
              }}
            }}
          }}
          pod_anti_affinity {{
            required_during_scheduling_ignored_during_execution {{
              topology_key = "kubernetes.io/hostname"
              namespaces   = ["apps"]
              label_selector {{
                match_expressions {{
                  key      = "app"
                  operator = "In"
                  values   = ["web"]
                }}
              }}
            }}
          }}
        }}
        toleration {{
          key      = "dedicated"
          operator = "Equal"
          value    = "web"
          effect   = "NoSchedule"
        }}
        toleration {{
          key                = "node.kubernetes.io/unreachable"
          operator           = "Exists"
          effect             = "NoExecute"
          toleration_seconds = "300"
        }}
        topology_spread_constraint {{
          topology_key       = "topology.kubernetes.io/zone"
          when_unsatisfiable = "ScheduleAnyway"
          label_selector {{
            match_labels = {{ app = "web" }}
          }}
        }}
        security_context {{
          run_as_user         = "1000"
          run_as_group        = "3000"
          fs_group            = "2000"
          run_as_non_root     = true
          supplemental_groups = [5000, 4000]
          seccomp_profile {{
            type = "RuntimeDefault"
          }}
          sysctl {{
            name  = "net.ipv4.ip_local_port_range"
            value = "1024 65535"
          }}
        }}
        container {{
          name  = "web"
          image = "nginx:{tag}"
          args  = ["--port", "8080"]
          security_context {{
            allow_privilege_escalation = false
            read_only_root_filesystem  = true
            run_as_user                = "101"
            capabilities {{
              add  = ["NET_BIND_SERVICE"]
              drop = ["ALL"]
            }}
          }}
          port {{
            name           = "http"
            container_port = 8080
          }}
          port {{
            container_port = 9090
            protocol       = "TCP"
          }}
          env {{
            name  = "TAG"
            value = "{tag}"
          }}
          env {{
            name = "POD_NAMESPACE"
            value_from {{
              field_ref {{
                field_path = "metadata.namespace"
              }}
            }}
          }}
          env {{
            name = "PASSWORD"
            value_from {{
              secret_key_ref {{
                name = "creds"
                key  = "password"
              }}
            }}
          }}
          env_from {{
            config_map_ref {{
              name = "settings"
            }}
          }}
          resources {{
            limits   = {{ cpu = "500m", memory = "256Mi" }}
            requests = {{ cpu = "100m" }}
          }}
          readiness_probe {{
            http_get {{
              path = "/healthz"
              port = "http"
              http_header {{
                name  = "X-Probe"
                value = "ready"
              }}
            }}
            initial_delay_seconds = 2
          }}
          liveness_probe {{
            tcp_socket {{
              port = "8080"
            }}
            period_seconds = 20
          }}
          lifecycle {{
            post_start {{
              exec {{
                command = ["/bin/warm", "{tag}"]
              }}
            }}
            pre_stop {{
              http_get {{
                path = "/drain"
                port = "http"
              }}
            }}
          }}
          volume_mount {{
            name       = "config"
            mount_path = "/etc/web"
            read_only  = true
          }}
          volume_mount {{
            name       = "cache"
            mount_path = "/var/cache/web"
          }}
          volume_mount {{
            name       = "node-logs"
            mount_path = "/node/logs"
            read_only  = true
          }}
          volume_mount {{
            name       = "tls"
            mount_path = "/etc/tls"
            sub_path   = "certs"
          }}
        }}
        volume {{
          name = "config"
          config_map {{
            name         = "settings"
            default_mode = "0440"
            items {{
              key  = "color"
              path = "color.txt"
              mode = "0400"
            }}
          }}
        }}
        volume {{
          name = "cache"
          empty_dir {{}}
        }}
        volume {{
          name = "node-logs"
          host_path {{
            path = "/var/log"
            type = "Directory"
          }}
        }}
        volume {{
          name = "tls"
          secret {{
            secret_name = "web-tls"
          }}
        }}
      }}
    }}
  }}
}}

resource "kubernetes_deployment" "worker" {{
  metadata {{
    name      = "worker"
    namespace = kubernetes_namespace_v1.apps.metadata[0].name
  }}
  spec {{
    selector {{
      match_labels = {{ app = "worker" }}
    }}
    strategy {{
      type = "Recreate"
    }}
    template {{
      metadata {{
        labels = {{ app = "worker" }}
      }}
      spec {{
        toleration {{
          operator = "Exists"
        }}
        init_container {{
          name    = "migrate"
          image   = "registry.example/migrate:{tag}"
          command = ["/bin/migrate", "up"]
        }}
        container {{
          name              = "worker"
          image             = "registry.example/worker:1"
          image_pull_policy = "IfNotPresent"
          working_dir       = "/srv"
          security_context {{
            privileged = false
            seccomp_profile {{}}
          }}
          startup_probe {{
            exec {{
              command = ["/bin/ready"]
            }}
            failure_threshold = 30
          }}
          lifecycle {{
            pre_stop {{
              tcp_socket {{
                port = "7000"
              }}
            }}
          }}
        }}
      }}
    }}
  }}
}}

resource "kubernetes_service_v1" "web" {{
  metadata {{
    name      = "web"
    namespace = kubernetes_namespace_v1.apps.metadata[0].name
  }}
  spec {{
    selector = {{ app = "web" }}
    port {{
      name        = "http"
      port        = 80
      target_port = "http"
    }}
    port {{
      name        = "metrics"
      port        = 9090
      target_port = "9090"
    }}
  }}
}}

resource "kubernetes_service_v1" "public" {{
  metadata {{
    name      = "public"
    namespace = kubernetes_namespace_v1.apps.metadata[0].name
  }}
  spec {{
    type     = "LoadBalancer"
    selector = {{ app = "web" }}
    port {{
      port        = 443
      target_port = "8443"
    }}
  }}
}}

resource "kubernetes_service" "headless" {{
  metadata {{
    name      = "worker"
    namespace = kubernetes_namespace_v1.apps.metadata[0].name
  }}
  spec {{
    cluster_ip = "None"
    selector   = {{ app = "worker" }}
    port {{
      port = 7000
    }}
  }}
}}

resource "kubernetes_ingress_v1" "web" {{
  metadata {{
    name      = "web"
    namespace = kubernetes_namespace_v1.apps.metadata[0].name
  }}
  spec {{
    ingress_class_name = "nginx"
    default_backend {{
      service {{
        name = kubernetes_service_v1.web.metadata[0].name
        port {{
          number = 80
        }}
      }}
    }}
    rule {{
      host = "{host}"
      http {{
        path {{
          path      = "/"
          path_type = "Prefix"
          backend {{
            service {{
              name = kubernetes_service_v1.web.metadata[0].name
              port {{
                name = "http"
              }}
            }}
          }}
        }}
        path {{
          path = "/metrics"
          backend {{
            service {{
              name = kubernetes_service_v1.web.metadata[0].name
              port {{
                number = 9090
              }}
            }}
          }}
        }}
      }}
    }}
    tls {{
      hosts       = ["{host}"]
      secret_name = "web-tls"
    }}
  }}
}}

output "address" {{
  value = kubernetes_service_v1.public.status[0].load_balancer[0].ingress[0].ip
}}

output "cluster_ip" {{
  value = kubernetes_service_v1.web.spec[0].cluster_ip
}}
"#,
        providers = providers(url)
    )
}

#[test]
fn typed_workloads_conform() {
    rt().block_on(async {
        let sim = sim().await;
        let tmp = tempfile::tempdir().unwrap();
        let stack = tmp.path().join("stack");
        std::fs::create_dir_all(&stack).unwrap();
        let url = sim.url();
        let case = Case {
            name: "kubernetes typed workloads".into(),
            steps: vec![
                Step::new(
                    workloads(&url, "1.25", 2, "a.example.com"),
                    &[
                        ("kubernetes_namespace_v1.apps", Create),
                        ("kubernetes_deployment_v1.web", Create),
                        ("kubernetes_deployment.worker", Create),
                        ("kubernetes_service_v1.web", Create),
                        ("kubernetes_service_v1.public", Create),
                        ("kubernetes_service.headless", Create),
                        ("kubernetes_ingress_v1.web", Create),
                    ],
                ),
                Step::new(
                    workloads(&url, "1.27", 3, "b.example.com"),
                    &[("kubernetes_deployment_v1.web", Update), ("kubernetes_deployment.worker", Update), ("kubernetes_ingress_v1.web", Update)],
                ),
            ],
            imports: vec![
                ("kubernetes_deployment_v1.web".into(), "id".into()),
                ("kubernetes_deployment.worker".into(), "id".into()),
                ("kubernetes_service_v1.web".into(), "id".into()),
                ("kubernetes_service_v1.public".into(), "id".into()),
                ("kubernetes_service.headless".into(), "id".into()),
                ("kubernetes_ingress_v1.web".into(), "id".into()),
            ],
            parallelism: 4,
            remote_objects: true,
        };
        run(&case, &stack, &env(tmp.path())).await;
        sim.stop().await;
    });
}
