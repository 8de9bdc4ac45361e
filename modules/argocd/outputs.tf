output "url" {
  description = "Where Argo CD is served"
  value       = "https://argocd.${var.domain}"
}

output "apps_path" {
  description = "Directory of the child Applications in the GitOps repository"
  value       = local.apps_path
}

output "root_path" {
  description = "File of the root app-of-apps (apply it once with kubectl to bootstrap)"
  value       = gitops_app_of_apps.root.path
}

output "project" {
  description = "The platform AppProject"
  value       = argocd_project.platform.metadata.name
}
