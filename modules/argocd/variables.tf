variable "cluster_name" {
  type        = string
  description = "Name of the cluster"
}

variable "domain" {
  type        = string
  description = "The cluster's domain: Argo CD is served at argocd.<domain>"
}

variable "repo_url" {
  type        = string
  description = "The GitOps repository Argo CD syncs from"
}

variable "branch" {
  type        = string
  description = "The branch Argo CD tracks"
}

variable "path_prefix" {
  type        = string
  description = "This cluster's directory in the GitOps repository (empty or ending in /)"
  default     = ""
}

variable "apps_dir" {
  type        = string
  description = "Directory (under path_prefix) of the child Applications the root app-of-apps syncs"
}

variable "oidc_issuer" {
  type        = string
  description = "OIDC issuer (the Cognito user pool)"
}

variable "oidc_client_id" {
  type        = string
  description = "OIDC client ID of Argo CD (its secret stays in the cluster as $oidc.cognito.clientSecret)"
}

variable "admin_groups" {
  type        = list(string)
  description = "Groups mapped to Argo CD's role:admin"
  default     = ["masters", "administrators"]
}

variable "chart_version" {
  type        = string
  description = "Version of the argo-cd Helm chart"
  default     = "7.7.11"
}

variable "fleet" {
  type        = bool
  description = "Also commit the fleet's ApplicationSet: a root Application per <cluster>/<apps_dir> directory of the repository"
  default     = false
}
