# SAKK's root module. The AWS resources (network, EKS, DNS, Cognito) and the GitOps manifests
# (Argo CD, Kubeflow, tenants) come with the module-library issue; what is here is the naming and
# the addresses every part of the platform derives from the five SAKK variables.

locals {
  domain      = var.domains[0]
  gitops_repo = "https://github.com/${var.owner}/${var.repository}"
  gitops_path = "${trimsuffix(var.argo_path_prefix, "/")}${var.argo_path_prefix == "" ? "" : "/"}${var.argo_apps_dir}"
  admin_users = [for a in var.admin_arns : a.username]
  user_groups = distinct([for u in var.cognito_users : lookup(u, "group", "read-only")])
}
