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

output "gitops_root_application" {
  description = "File of the root app-of-apps: kubectl apply it once to bootstrap Argo CD"
  value       = module.argocd.root_path
}

output "cluster_endpoint" {
  description = "Endpoint of the Kubernetes API"
  value       = module.eks.cluster_endpoint
}

output "name_servers" {
  description = "Name servers of the cluster's zones"
  value       = module.dns.name_servers
}

output "tenants" {
  description = "Tenant -> namespace, IRSA role and artifact bucket"
  value       = { for k, t in module.tenant : k => { namespace = t.namespace, role_arn = t.role_arn, bucket = t.bucket } }
}
