output "cluster_name" {
  value = module.sak_kubeflow.cluster_name
}

output "argocd_url" {
  value = module.sak_kubeflow.argocd_url
}

output "kubeflow_url" {
  value = module.sak_kubeflow.kubeflow_url
}

output "gitops" {
  value = "${module.sak_kubeflow.gitops_repository}/${module.sak_kubeflow.gitops_path}"
}

output "cognito_groups" {
  value = module.sak_kubeflow.cognito_groups
}

output "gitops_path" {
  value = module.sak_kubeflow.gitops_path
}
