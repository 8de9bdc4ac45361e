output "cluster_name" {
  description = "Name of the EKS cluster"
  value       = var.cluster_name
}

output "argocd_url" {
  description = "Where Argo CD is served"
  value       = "https://argocd.${local.domain}"
}

output "kubeflow_url" {
  description = "Where the Kubeflow dashboard is served"
  value       = "https://kubeflow.${local.domain}"
}

output "gitops_repository" {
  description = "The Git repository Argo CD syncs from"
  value       = local.gitops_repo
}

output "gitops_path" {
  description = "Path of the generated Argo CD Applications inside the GitOps repository"
  value       = local.gitops_path
}

output "admin_users" {
  description = "IAM users mapped into the cluster as administrators"
  value       = local.admin_users
}

output "cognito_groups" {
  description = "Cognito groups created from the users' group values"
  value       = local.user_groups
}
