output "cluster_endpoint" {
  value = aws_eks_cluster.platform.endpoint
}

output "cluster_version" {
  value = aws_eks_cluster.platform.version
}

output "oidc_provider_arn" {
  value = aws_iam_openid_connect_provider.cluster.arn
}

output "cluster_ca" {
  value = data.aws_eks_cluster.platform.certificate_authority[0].data
}

output "artifacts_bucket" {
  value = aws_s3_bucket.artifacts.id
}

output "karpenter_interruption_queue" {
  value = aws_sqs_queue.karpenter_interruption.name
}
