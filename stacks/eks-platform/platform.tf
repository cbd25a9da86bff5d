# What runs in the cluster, in the same apply: the kubernetes and helm
# providers are configured from the EKS cluster (endpoint and CA) and a
# fresh token from data.aws_eks_cluster_auth on every run, then the core
# components (KEDA and Karpenter, its controller on an IAM role assumed
# through the cluster's OIDC provider) and Argo CD, which takes the
# applications over by GitOps. `iac destroy` removes them in reverse.
#
# Charts come from their repositories. Offline (the demo), point them at
# the vendored charts (or switch the ones you do not want off):
#   -var keda_chart=../../../shared/fixtures/charts/keda-2.20.2
#   -var kro_chart=../../../shared/fixtures/charts/kro-0.9.3
#   -var kube_prometheus_stack_chart=../../../shared/fixtures/charts/kube-prometheus-stack-88.5.3
#   -var opentelemetry_collector_chart=../../../shared/fixtures/charts/opentelemetry-collector-0.170.0
#   -var karpenter_chart=../../../shared/fixtures/charts/karpenter-1.14.1
#   (or -var enable_kube_prometheus_stack=false -var enable_opentelemetry_collector=false
#   -var enable_karpenter=false)
#
# Argo CD's root Application syncs the repository's GitOps tree
# (gitops/root: the platform's application templates, then the
# applications, one file each in gitops/apps/).
# Karpenter's IAM role and interruption queue are made either way: they are
# AWS infrastructure, ready for a controller installed later (by Argo CD,
# for instance).

variable "keda_chart" {
  type        = string
  default     = "keda"
  description = "KEDA's chart: a name in its repository, or a local chart directory"
}

variable "enable_kube_prometheus_stack" {
  type    = bool
  default = true
}

variable "kube_prometheus_stack_chart" {
  type        = string
  default     = "kube-prometheus-stack"
  description = "kube-prometheus-stack's chart: a name in its repository, or a local chart directory"
}

variable "grafana_admin_password" {
  type        = string
  default     = null
  sensitive   = true
  description = "Grafana's admin password (kube-prometheus-stack), from your secret store (TF_VAR_grafana_admin_password). Set it: without it the chart makes a new random one at every render, which every plan shows as a change."
}

variable "enable_opentelemetry_collector" {
  type    = bool
  default = true
}

variable "opentelemetry_collector_chart" {
  type        = string
  default     = "opentelemetry-collector"
  description = "The OpenTelemetry collector's chart: a name in its repository, or a local chart directory"
}

variable "enable_kro" {
  type        = bool
  default     = true
  description = "Install kro, which expands the GitOps tree's applications (WebApp) into their objects"
}

variable "kro_chart" {
  type        = string
  default     = "oci://registry.k8s.io/kro/charts/kro"
  description = "kro's chart: its OCI reference, or a local chart directory"
}

variable "enable_karpenter" {
  type        = bool
  default     = true
  description = "Install Karpenter's chart (with its CRDs), then a default EC2NodeClass and NodePool"
}

variable "karpenter_chart" {
  type        = string
  default     = "oci://public.ecr.aws/karpenter/karpenter"
  description = "Karpenter's chart: its OCI reference, or a local chart directory"
}

variable "karpenter_controller_policy_arns" {
  type        = list(string)
  default     = []
  description = "IAM policies the Karpenter controller's role gets besides its own"
}

variable "enable_drift_job" {
  type    = bool
  default = true
}

variable "drift_job_image" {
  type        = string
  default     = "registry.example.com/platform/iac-stacks:latest"
  description = "Image with the iac binary and this repository's stacks, for the drift CronJob"
}

variable "argocd_repo_url" {
  type        = string
  default     = "https://github.com/example/platform-apps.git"
  description = "Git repository of the app-of-apps Argo CD syncs"
}

variable "argocd_repo_path" {
  type        = string
  default     = "gitops/root"
  description = "Folder of the root app-of-apps in the repository: the Applications of the GitOps tree"
}

variable "argocd_revision" {
  type    = string
  default = "main"
}

locals {
  # The issuer without its scheme, as IAM names the OIDC provider's claims.
  oidc_issuer         = trimprefix(aws_iam_openid_connect_provider.cluster.url, "https://")
  karpenter_namespace = "kube-system"
  karpenter_account   = "karpenter"
}

# IRSA: only the Karpenter service account, with tokens for STS, may
# assume this role through the cluster's OIDC provider.
data "aws_iam_policy_document" "karpenter_controller_assume" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [aws_iam_openid_connect_provider.cluster.arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.oidc_issuer}:sub"
      values   = ["system:serviceaccount:${local.karpenter_namespace}:${local.karpenter_account}"]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.oidc_issuer}:aud"
      values   = ["sts.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "karpenter_controller" {
  name               = "${var.name}-karpenter-controller"
  assume_role_policy = data.aws_iam_policy_document.karpenter_controller_assume.json
}

locals {
  # What Karpenter's controller acts on, scoped as Karpenter v1's documented
  # controller policy scopes it: objects it launches carry the cluster's
  # ownership tag and a nodepool tag, and it may only change or delete those.
  karpenter_partition  = data.aws_partition.current.partition
  karpenter_region     = var.region
  karpenter_account_id = data.aws_caller_identity.current.account_id
  karpenter_cluster    = var.name
  karpenter_owned      = "kubernetes.io/cluster/${var.name}"
  karpenter_ec2        = "arn:${local.karpenter_partition}:ec2:${local.karpenter_region}"
  karpenter_profiles   = "arn:${local.karpenter_partition}:iam::${local.karpenter_account_id}:instance-profile/*"
  # What Karpenter's launches create, and tag as they create it.
  karpenter_launched = [for kind in ["fleet", "instance", "volume", "network-interface", "launch-template", "spot-instances-request"] : "${local.karpenter_ec2}:*:${kind}/*"]
}

data "aws_iam_policy_document" "karpenter_controller" {
  statement {
    sid     = "AllowScopedEC2InstanceAccessActions"
    actions = ["ec2:RunInstances", "ec2:CreateFleet"]
    resources = [
      "${local.karpenter_ec2}::image/*",
      "${local.karpenter_ec2}::snapshot/*",
      "${local.karpenter_ec2}:*:security-group/*",
      "${local.karpenter_ec2}:*:subnet/*",
      "${local.karpenter_ec2}:*:capacity-reservation/*",
    ]
  }
  statement {
    sid       = "AllowScopedEC2LaunchTemplateAccessActions"
    actions   = ["ec2:RunInstances", "ec2:CreateFleet"]
    resources = ["${local.karpenter_ec2}:*:launch-template/*"]
    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/${local.karpenter_owned}"
      values   = ["owned"]
    }
    condition {
      test     = "StringLike"
      variable = "aws:ResourceTag/karpenter.sh/nodepool"
      values   = ["*"]
    }
  }
  statement {
    sid       = "AllowScopedEC2InstanceActionsWithTags"
    actions   = ["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"]
    resources = local.karpenter_launched
    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/${local.karpenter_owned}"
      values   = ["owned"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/eks:eks-cluster-name"
      values   = [local.karpenter_cluster]
    }
    condition {
      test     = "StringLike"
      variable = "aws:RequestTag/karpenter.sh/nodepool"
      values   = ["*"]
    }
  }
  statement {
    sid       = "AllowScopedResourceCreationTagging"
    actions   = ["ec2:CreateTags"]
    resources = local.karpenter_launched
    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/${local.karpenter_owned}"
      values   = ["owned"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/eks:eks-cluster-name"
      values   = [local.karpenter_cluster]
    }
    condition {
      test     = "StringEquals"
      variable = "ec2:CreateAction"
      values   = ["RunInstances", "CreateFleet", "CreateLaunchTemplate"]
    }
    condition {
      test     = "StringLike"
      variable = "aws:RequestTag/karpenter.sh/nodepool"
      values   = ["*"]
    }
  }
  statement {
    sid       = "AllowScopedResourceTagging"
    actions   = ["ec2:CreateTags"]
    resources = ["${local.karpenter_ec2}:*:instance/*"]
    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/${local.karpenter_owned}"
      values   = ["owned"]
    }
    condition {
      test     = "StringLike"
      variable = "aws:ResourceTag/karpenter.sh/nodepool"
      values   = ["*"]
    }
    condition {
      test     = "StringEqualsIfExists"
      variable = "aws:RequestTag/eks:eks-cluster-name"
      values   = [local.karpenter_cluster]
    }
    condition {
      test     = "ForAllValues:StringEquals"
      variable = "aws:TagKeys"
      values   = ["eks:eks-cluster-name", "karpenter.sh/nodeclaim", "Name"]
    }
  }
  statement {
    sid     = "AllowScopedDeletion"
    actions = ["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"]
    resources = [
      "${local.karpenter_ec2}:*:instance/*",
      "${local.karpenter_ec2}:*:launch-template/*",
    ]
    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/${local.karpenter_owned}"
      values   = ["owned"]
    }
    condition {
      test     = "StringLike"
      variable = "aws:ResourceTag/karpenter.sh/nodepool"
      values   = ["*"]
    }
  }
  statement {
    sid = "AllowRegionalReadActions"
    actions = [
      "ec2:DescribeAvailabilityZones",
      "ec2:DescribeImages",
      "ec2:DescribeInstances",
      "ec2:DescribeInstanceTypeOfferings",
      "ec2:DescribeInstanceTypes",
      "ec2:DescribeLaunchTemplates",
      "ec2:DescribeSecurityGroups",
      "ec2:DescribeSpotPriceHistory",
      "ec2:DescribeSubnets",
    ]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "aws:RequestedRegion"
      values   = [local.karpenter_region]
    }
  }
  statement {
    sid       = "AllowSSMReadActions"
    actions   = ["ssm:GetParameter"]
    resources = ["arn:${local.karpenter_partition}:ssm:${local.karpenter_region}::parameter/aws/service/*"]
  }
  statement {
    sid       = "AllowPricingReadActions"
    actions   = ["pricing:GetProducts"]
    resources = ["*"]
  }
  statement {
    sid       = "AllowInterruptionQueueActions"
    actions   = ["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"]
    resources = [aws_sqs_queue.karpenter_interruption.arn]
  }
  statement {
    sid       = "AllowPassingInstanceRole"
    actions   = ["iam:PassRole"]
    resources = [aws_iam_role.nodes.arn]
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ec2.amazonaws.com", "ec2.amazonaws.com.cn"]
    }
  }
  # The EC2NodeClass names the node role; Karpenter makes instance profiles for it.
  statement {
    sid       = "AllowScopedInstanceProfileCreationActions"
    actions   = ["iam:CreateInstanceProfile"]
    resources = [local.karpenter_profiles]
    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/${local.karpenter_owned}"
      values   = ["owned"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/eks:eks-cluster-name"
      values   = [local.karpenter_cluster]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/topology.kubernetes.io/region"
      values   = [local.karpenter_region]
    }
    condition {
      test     = "StringLike"
      variable = "aws:RequestTag/karpenter.k8s.aws/ec2nodeclass"
      values   = ["*"]
    }
  }
  statement {
    sid       = "AllowScopedInstanceProfileTagActions"
    actions   = ["iam:TagInstanceProfile"]
    resources = [local.karpenter_profiles]
    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/${local.karpenter_owned}"
      values   = ["owned"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/topology.kubernetes.io/region"
      values   = [local.karpenter_region]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/${local.karpenter_owned}"
      values   = ["owned"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/eks:eks-cluster-name"
      values   = [local.karpenter_cluster]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/topology.kubernetes.io/region"
      values   = [local.karpenter_region]
    }
    condition {
      test     = "StringLike"
      variable = "aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass"
      values   = ["*"]
    }
    condition {
      test     = "StringLike"
      variable = "aws:RequestTag/karpenter.k8s.aws/ec2nodeclass"
      values   = ["*"]
    }
  }
  statement {
    sid       = "AllowScopedInstanceProfileActions"
    actions   = ["iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile", "iam:DeleteInstanceProfile"]
    resources = [local.karpenter_profiles]
    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/${local.karpenter_owned}"
      values   = ["owned"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/topology.kubernetes.io/region"
      values   = [local.karpenter_region]
    }
    condition {
      test     = "StringLike"
      variable = "aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass"
      values   = ["*"]
    }
  }
  statement {
    sid       = "AllowInstanceProfileReadActions"
    actions   = ["iam:GetInstanceProfile"]
    resources = [local.karpenter_profiles]
  }
  statement {
    sid       = "AllowAPIServerEndpointDiscovery"
    actions   = ["eks:DescribeCluster"]
    resources = ["arn:${local.karpenter_partition}:eks:${local.karpenter_region}:${local.karpenter_account_id}:cluster/${local.karpenter_cluster}"]
  }
}

resource "aws_iam_policy" "karpenter_controller" {
  name        = "${var.name}-karpenter-controller"
  description = "Karpenter v1 controller for cluster ${var.name}"
  policy      = data.aws_iam_policy_document.karpenter_controller.json
}

resource "aws_iam_role_policy_attachment" "karpenter_controller_own" {
  role       = aws_iam_role.karpenter_controller.name
  policy_arn = aws_iam_policy.karpenter_controller.arn
}

resource "aws_iam_role_policy_attachment" "karpenter_controller" {
  for_each   = toset(var.karpenter_controller_policy_arns)
  role       = aws_iam_role.karpenter_controller.name
  policy_arn = each.key
}

provider "kubernetes" {
  host                   = aws_eks_cluster.platform.endpoint
  token                  = data.aws_eks_cluster_auth.platform.token
  cluster_ca_certificate = base64decode(aws_eks_cluster.platform.certificate_authority[0].data)
  poll_interval_ms       = 200
}

provider "helm" {
  poll_interval_ms = 200
  kubernetes {
    host                   = aws_eks_cluster.platform.endpoint
    token                  = data.aws_eks_cluster_auth.platform.token
    cluster_ca_certificate = base64decode(aws_eks_cluster.platform.certificate_authority[0].data)
  }
}

module "core_components" {
  source = "../modules/core-components"

  keda                    = { chart = var.keda_chart }
  kube_prometheus_stack   = { enabled = var.enable_kube_prometheus_stack, chart = var.kube_prometheus_stack_chart, grafana_admin_password = var.grafana_admin_password }
  opentelemetry_collector = { enabled = var.enable_opentelemetry_collector, chart = var.opentelemetry_collector_chart }
  kro                     = { enabled = var.enable_kro, chart = var.kro_chart }
  karpenter = {
    enabled             = var.enable_karpenter
    chart               = var.karpenter_chart
    namespace           = local.karpenter_namespace
    cluster_name        = aws_eks_cluster.platform.name
    cluster_endpoint    = aws_eks_cluster.platform.endpoint
    controller_role_arn = aws_iam_role.karpenter_controller.arn
    node_role           = aws_iam_role.nodes.name
    # Interruption handling (karpenter.tf).
    values = [yamlencode({ settings = { interruptionQueue = aws_sqs_queue.karpenter_interruption.name } })]
  }

  # Workloads need the node group's nodes; Karpenter's controller, its permissions.
  depends_on = [aws_eks_node_group.general, aws_iam_role_policy_attachment.karpenter_controller_own]
}

module "argocd" {
  source = "../modules/argocd-bootstrap"

  repo_url        = var.argocd_repo_url
  repo_path       = var.argocd_repo_path
  target_revision = var.argocd_revision

  depends_on = [module.core_components]
}

# The scheduled drift check, as a CronJob in the cluster (metrics to the
# Pushgateway). Its image holds iac and these stacks; credentials come from
# the iac-drift-credentials Secret, managed outside this stack.
module "drift_job" {
  source = "../modules/drift-job"
  count  = var.enable_drift_job ? 1 : 0

  image = var.drift_job_image

  depends_on = [module.core_components]
}

output "karpenter_controller_role_arn" {
  value = aws_iam_role.karpenter_controller.arn
}

output "argocd_objects" {
  value       = length(module.argocd.objects)
  description = "How many objects the Argo CD install manifest holds"
}

output "core_releases" {
  value = module.core_components.releases
}
