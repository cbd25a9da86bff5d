# Kubernetes secrets are encrypted with this key (envelope encryption).
resource "aws_kms_key" "eks" {
  description             = "EKS cluster ${var.name}: secrets"
  deletion_window_in_days = 7
  enable_key_rotation     = true
}

resource "aws_kms_alias" "eks" {
  name          = "alias/eks/${var.name}"
  target_key_id = aws_kms_key.eks.key_id
}

# EKS writes the control plane's logs here; made first, so that EKS does not
# make it (without retention) when the cluster starts logging.
resource "aws_cloudwatch_log_group" "cluster" {
  name              = "/aws/eks/${var.name}/cluster"
  retention_in_days = 30
}

resource "aws_eks_cluster" "platform" {
  name     = var.name
  role_arn = aws_iam_role.cluster.arn
  version  = var.cluster_version

  enabled_cluster_log_types = ["api", "audit", "authenticator"]

  encryption_config {
    resources = ["secrets"]
    provider {
      key_arn = aws_kms_key.eks.arn
    }
  }

  vpc_config {
    subnet_ids              = aws_subnet.private[*].id
    security_group_ids      = [aws_security_group.cluster.id]
    endpoint_private_access = true
    endpoint_public_access  = true
  }

  access_config {
    authentication_mode                         = "API_AND_CONFIG_MAP"
    bootstrap_cluster_creator_admin_permissions = true
  }

  timeouts {
    create = "30m"
    update = "60m"
    delete = "15m"
  }

  depends_on = [aws_iam_role_policy_attachment.cluster, aws_iam_role_policy_attachment.cluster_encryption, aws_cloudwatch_log_group.cluster]
}

resource "aws_eks_node_group" "general" {
  cluster_name    = aws_eks_cluster.platform.name
  node_group_name = "general"
  node_role_arn   = aws_iam_role.nodes.arn
  subnet_ids      = aws_subnet.private[*].id
  version         = aws_eks_cluster.platform.version
  instance_types  = var.node_instance_types
  capacity_type   = "ON_DEMAND"
  labels          = var.node_labels

  scaling_config {
    desired_size = 3
    min_size     = 3
    max_size     = var.node_max_size
  }

  update_config {
    max_unavailable = 1
  }

  taint {
    key    = "dedicated"
    value  = "general"
    effect = "PREFER_NO_SCHEDULE"
  }

  # The cluster autoscaler owns the desired size.
  lifecycle {
    ignore_changes = [scaling_config[0].desired_size]
  }

  depends_on = [aws_iam_role_policy_attachment.nodes]
}

# By id, known once the cluster exists, so the reads wait for it.
data "aws_eks_cluster" "platform" {
  name = aws_eks_cluster.platform.id
}

data "aws_eks_cluster_auth" "platform" {
  name = aws_eks_cluster.platform.id
}
