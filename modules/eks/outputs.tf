output "cluster_name" {
  description = "Name of the cluster"
  value       = aws_eks_cluster.this.name
}

output "cluster_arn" {
  description = "ARN of the cluster"
  value       = aws_eks_cluster.this.arn
}

output "cluster_endpoint" {
  description = "Endpoint of the Kubernetes API"
  value       = aws_eks_cluster.this.endpoint
}

output "oidc_provider_arn" {
  description = "ARN of the IAM OIDC provider (for IRSA trust policies)"
  value       = aws_iam_openid_connect_provider.this.arn
}

output "oidc_issuer" {
  description = "The OIDC issuer without https:// (the condition key prefix of IRSA trust policies)"
  value       = replace(aws_eks_cluster.this.identity[0].oidc[0].issuer, "https://", "")
}

output "node_role_arn" {
  description = "ARN of the nodes' IAM role"
  value       = aws_iam_role.node.arn
}

output "node_groups" {
  description = "Names of the node groups"
  value       = concat(keys(aws_eks_node_group.this), aws_eks_node_group.gpu[*].node_group_name)
}
