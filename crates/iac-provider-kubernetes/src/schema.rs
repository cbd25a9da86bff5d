//! The providers' schemas, with Terraform's names (the kubernetes and helm
//! providers) so configurations port.

use iac_core::schema::{AttrType, Attribute, Block, NestedBlock, Nesting, ProviderSchema, ResourceSchema};

use AttrType::*;

fn single(block: Block) -> NestedBlock {
    NestedBlock { nesting: Nesting::Single, block, min_items: 0, max_items: Some(1), force_new: false }
}

fn list(block: Block) -> NestedBlock {
    NestedBlock { nesting: Nesting::List, block, min_items: 0, max_items: None, force_new: false }
}

/// The connection arguments of `provider "kubernetes"` and of helm's `kubernetes` block.
fn connection(b: Block) -> Block {
    b.attr("host", Attribute::optional(String).describe("the API server URL, e.g. digitalocean_kubernetes_cluster.x.kube_config[0].host; or KUBE_HOST"))
        .attr("cluster_ca_certificate", Attribute::optional(String).describe("PEM, or base64 of PEM as DigitalOcean and EKS hand it out"))
        .attr("client_certificate", Attribute::optional(String).describe("PEM or base64 of PEM"))
        .attr("client_key", Attribute::optional(String).sensitive().describe("PEM or base64 of PEM"))
        .attr("token", Attribute::optional(String).sensitive().describe("bearer token; or KUBE_TOKEN"))
        .attr("insecure", Attribute::optional(Bool).describe("skip verifying the server's certificate"))
        .attr("tls_server_name", Attribute::optional(String))
        .attr("config_path", Attribute::optional(String).describe("a kubeconfig file, used when host is not set; or KUBE_CONFIG_PATH"))
        .attr("config_context", Attribute::optional(String).describe("the kubeconfig context (default: its current context); or KUBE_CTX"))
}

fn tuning(b: Block) -> Block {
    b.attr("poll_interval_ms", Attribute::optional(Number).describe("how often readiness and deletion waits look again (default 1000)"))
        .attr("apply_concurrency", Attribute::optional(Number).describe("objects of one set applied at once (default 8)"))
}

pub fn kubernetes_provider_block() -> Block {
    tuning(connection(Block::default()))
}

pub fn helm_provider_block() -> Block {
    tuning(Block::default())
        .attr("helm_binary", Attribute::optional(String).describe("the helm executable (default: HELM_BINARY, else helm on PATH)"))
        .block("kubernetes", single(connection(Block::default())))
}

fn field_manager() -> NestedBlock {
    single(
        Block::default()
            .attr("name", Attribute::optional(String).describe("default \"iac\""))
            .attr("force_conflicts", Attribute::optional(Bool).describe("take over fields another manager owns instead of failing")),
    )
}

fn timeouts() -> NestedBlock {
    single(Block::default().attr("create", Attribute::optional(String)).attr("update", Attribute::optional(String)).attr("delete", Attribute::optional(String)))
}

fn set_waits(b: Block) -> Block {
    b.attr(
        "wait_for_rollout",
        Attribute::optional(Bool).describe("wait for Deployments, StatefulSets, DaemonSets to roll out and Jobs to complete (default true)"),
    )
    .attr("wait_for_load_balancer", Attribute::optional(Bool).describe("wait for LoadBalancer Services to have an address"))
    .attr("wait_for_applications", Attribute::optional(Bool).describe("wait for Argo CD Applications to be Synced and Healthy"))
}

fn objects_attr() -> Attribute {
    Attribute::optional_computed(Map(Box::new(String))).describe("set by the provider: each object as YAML, keyed by apiVersion/kind/namespace/name")
}

pub fn manifest() -> ResourceSchema {
    ResourceSchema {
        version: 0,
        block: Block::default()
            .attr("id", Attribute::computed(String).describe("apiVersion//kind//namespace//name, the import id"))
            .attr("manifest", Attribute::required(Any).describe("the object, as an HCL object (apiVersion, kind, metadata, ...)"))
            .attr("object", Attribute::computed(Any).describe("the object as the cluster has it"))
            .attr("wait_for_rollout", Attribute::optional(Bool).describe("wait for workloads to roll out (default true)"))
            .block("field_manager", field_manager())
            .block(
                "wait",
                single(
                    Block::default()
                        .attr("rollout", Attribute::optional(Bool))
                        .attr(
                            "fields",
                            Attribute::optional(Map(Box::new(String)))
                                .describe("field paths and regular expressions their values must match, e.g. {\"status.phase\" = \"^Running$\"}"),
                        )
                        .block("condition", list(Block::default().attr("type", Attribute::optional(String)).attr("status", Attribute::optional(String)))),
                ),
            )
            .block("timeouts", timeouts()),
    }
}

pub fn manifests() -> ResourceSchema {
    ResourceSchema {
        version: 0,
        block: set_waits(Block::default())
            .attr("id", Attribute::computed(String).describe("the resource's address"))
            .attr("content", Attribute::optional(String).describe("multi-document YAML"))
            .attr("files", Attribute::optional(List(Box::new(String))).describe("YAML files, relative to the stack"))
            .attr("dir", Attribute::optional(String).describe("a directory of *.yaml / *.yml / *.json files, in name order"))
            .attr("namespace", Attribute::optional(String).describe("for namespaced objects that have none (default \"default\")"))
            .attr("objects", objects_attr())
            .block("field_manager", field_manager())
            .block("timeouts", timeouts()),
    }
}

pub fn helm_release() -> ResourceSchema {
    ResourceSchema {
        version: 0,
        block: Block::default()
            .attr("id", Attribute::computed(String).describe("the release name"))
            .attr("name", Attribute::required(String).force_new())
            .attr("chart", Attribute::required(String).describe("a local chart directory or archive, or a chart name in `repository`"))
            .attr("repository", Attribute::optional(String).describe("the chart repository URL"))
            .attr("version", Attribute::optional(String).describe("the chart version (pin it)"))
            .attr("namespace", Attribute::optional(String).describe("default \"default\""))
            .attr("create_namespace", Attribute::optional(Bool))
            .attr("values", Attribute::optional(List(Box::new(String))).describe("values documents (YAML), later ones winning"))
            .attr("values_object", Attribute::optional(Any).describe("values as an HCL object, applied after `values`"))
            .attr("skip_crds", Attribute::optional(Bool).describe("leave out the chart's crds/ directory (default false: CRDs are included)"))
            .attr("kube_version", Attribute::optional(String).describe("the Kubernetes version the chart is rendered for"))
            .attr("wait", Attribute::optional(Bool).describe("wait for workloads to roll out (default true)"))
            .attr("timeout", Attribute::optional(Number).describe("seconds for the apply and the waits (default 300)"))
            .attr("force_conflicts", Attribute::optional(Bool).describe("take over fields other managers changed, as helm upgrade does (default true)"))
            .attr("objects", objects_attr())
            .attr("status", Attribute::computed(String))
            .block(
                "set",
                list(
                    Block::default()
                        .attr("name", Attribute::required(String))
                        .attr("value", Attribute::required(String))
                        .attr("type", Attribute::optional(String).describe("\"auto\" (default) or \"string\"")),
                ),
            )
            .block(
                "set_sensitive",
                list(
                    Block::default()
                        .attr("name", Attribute::required(String))
                        .attr("value", Attribute::required(String).sensitive())
                        .attr("type", Attribute::optional(String)),
                ),
            ),
    }
}

pub fn kubernetes_schema() -> ProviderSchema {
    let mut s = ProviderSchema { provider: kubernetes_provider_block(), ..ProviderSchema::default() };
    s.resources.insert("kubernetes_manifest".into(), manifest());
    s.resources.insert("kubernetes_manifests".into(), manifests());
    s
}

pub fn helm_schema() -> ProviderSchema {
    let mut s = ProviderSchema { provider: helm_provider_block(), ..ProviderSchema::default() };
    s.resources.insert("helm_release".into(), helm_release());
    s
}
