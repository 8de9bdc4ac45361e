variable "name" {
  type        = string
  description = "Name of the IAM role (and of its policy)"
}

variable "oidc_provider_arn" {
  type        = string
  description = "ARN of the cluster's IAM OIDC provider"
}

variable "oidc_issuer" {
  type        = string
  description = "The cluster's OIDC issuer without https://"
}

variable "namespace" {
  type        = string
  description = "Namespace of the service account"
}

variable "service_account" {
  type        = string
  description = "Name of the service account that may assume the role"
}

variable "policy" {
  type        = string
  description = "IAM policy document (JSON) granted to the role"
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource"
  default     = {}
}
