# SAKK's input variables (Swiss Army Kube for Kubeflow), kept with the same names and types so a
# SAKK main.tf runs unchanged. The module body comes with the module-library issue.

variable "cluster_name" {
  type        = string
  description = "Name of the EKS cluster; also prefixes every resource name"
}

variable "owner" {
  type        = string
  description = "Owner (user or organisation) of the GitOps repository on GitHub"
}

variable "repository" {
  type        = string
  description = "Name of the GitOps repository Argo CD syncs from"
}

variable "branch" {
  type        = string
  description = "Branch of the GitOps repository"
}

variable "mainzoneid" {
  type        = string
  description = "ID of the parent Route53 zone the cluster's domains are delegated from"
}

variable "domains" {
  type        = list(string)
  description = "Domains served by the cluster (Argo CD, Kubeflow, auth)"
}

variable "admin_arns" {
  type = list(object({
    userarn  = string
    username = string
    groups   = list(string)
  }))
  description = "IAM users mapped into the cluster as administrators"
  default     = []
}

variable "cert_manager_email" {
  type        = string
  description = "Contact e-mail for Let's Encrypt certificates issued by cert-manager"
}

variable "cognito_users" {
  type        = list(map(string))
  description = "Cognito users: email, username and optional group (default read-only)"
  default     = []
}

variable "argo_path_prefix" {
  type        = string
  description = "Path prefix inside the GitOps repository for this cluster's manifests"
  default     = ""
}

variable "argo_apps_dir" {
  type        = string
  description = "Directory (under argo_path_prefix) that holds the generated Argo CD Applications"
  default     = "argocd-applications"
}
