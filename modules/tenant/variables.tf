variable "name" {
  type        = string
  description = "Tenant name: the Kubeflow Profile and its namespace"
}

variable "owner" {
  type        = string
  description = "E-mail of the Profile's owner (a Cognito user)"
}

variable "cluster_name" {
  type        = string
  description = "Name of the cluster (prefixes the role and the bucket)"
}

variable "quota" {
  type        = map(string)
  description = "ResourceQuota hard limits of the namespace"
  default     = { cpu = "8", memory = "32Gi", "requests.nvidia.com/gpu" = "1", persistentvolumeclaims = "10" }
}

variable "user_pool_id" {
  type        = string
  description = "Cognito user pool the tenant's group lives in"
}

variable "oidc_provider_arn" {
  type        = string
  description = "ARN of the cluster's IAM OIDC provider"
}

variable "oidc_issuer" {
  type        = string
  description = "The cluster's OIDC issuer without https://"
}

variable "apps_path" {
  type        = string
  description = "Directory of the cluster's child Applications in the GitOps repository"
}

variable "repo_url" {
  type        = string
  description = "The GitOps repository (the tenant's AppProject may deploy from it)"
}

variable "tags" {
  type        = map(string)
  description = "Tags of the AWS resources"
  default     = {}
}
