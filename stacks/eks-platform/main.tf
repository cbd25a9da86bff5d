# An EKS platform: a VPC over two availability zones with public and
# private subnets and a NAT gateway, the IAM roles EKS needs with AWS's
# managed policies (documents from aws_iam_policy_document), an OIDC
# provider for IRSA (its thumbprint read from the issuer by tls_certificate),
# the cluster (control-plane logs to a CloudWatch log group, secrets
# encrypted with a KMS key of the stack), a managed node group of 3 whose
# desired size an autoscaler owns, and an S3 bucket for artifacts
# (versioned, encrypted, not public). karpenter.tf adds Karpenter's
# interruption queue and the EventBridge rules feeding it; platform.tf what
# runs in the cluster (KEDA, Karpenter, Argo CD), in the same apply.
#
# Against moto, the EKS layer and the Kubernetes test API (no account
# needed), as tests/eks_platform.rs runs it:
#   MOTO_IAM_LOAD_MANAGED_POLICIES=true moto_server -H 127.0.0.1 -p 5055 &
#   iac-kube-sim --listen 127.0.0.1:6443 &
#   iac-eks-sim-layer --upstream http://127.0.0.1:5055 --listen 127.0.0.1:4566 \
#     --kube-api http://127.0.0.1:6443 --oidc-issuer https://127.0.0.1:8443 &
#   (and an HTTPS server on 127.0.0.1:8443 whose CA SSL_CERT_FILE names, for
#   data.tls_certificate.oidc: scripts/demo starts one with openssl)
#   AWS_ENDPOINT_URL=http://127.0.0.1:4566 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test \
#     iac --chdir stacks/eks-platform apply -var poll_interval_ms=200 (and the
#     offline switches in platform.tf)

terraform {
  required_version = ">= 0.1.0"
}

variable "region" {
  type    = string
  default = "us-east-1"
}

variable "name" {
  type    = string
  default = "platform"
}

variable "cluster_version" {
  type    = string
  default = "1.30"
}

variable "node_instance_types" {
  type    = list(string)
  default = ["t3.large"]
}

variable "node_max_size" {
  type    = number
  default = 6
}

variable "node_labels" {
  type = map(string)
  default = {
    role = "general"
  }
}

variable "poll_interval_ms" {
  type    = number
  default = 10000
}

provider "aws" {
  region           = var.region
  poll_interval_ms = var.poll_interval_ms

  default_tags {
    tags = {
      platform   = var.name
      managed-by = "iac"
    }
  }
}

data "aws_availability_zones" "available" {
  state = "available"
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  azs = slice(data.aws_availability_zones.available.names, 0, 2)
}
