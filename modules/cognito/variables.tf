variable "cluster_name" {
  type        = string
  description = "Name of the cluster: names the user pool"
}

variable "domain" {
  type        = string
  description = "The cluster's domain: the pool's domain is auth.<domain>, the clients call back to argocd.<domain> and kubeflow.<domain>"
}

variable "certificate_arn" {
  type        = string
  description = "ACM certificate (us-east-1) for the custom domain auth.<domain>; AWS requires one outside tests"
  default     = null
}

variable "users" {
  type        = list(map(string))
  description = "Users: email, username and optional group (default read-only)"
  default     = []
}

variable "extra_groups" {
  type        = list(string)
  description = "Groups created even when no user is in them (e.g. the tenants' groups)"
  default     = []
}

variable "tags" {
  type        = map(string)
  description = "Tags of the user pool"
  default     = {}
}
