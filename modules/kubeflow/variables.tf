variable "cluster_name" {
  type        = string
  description = "Name of the cluster"
}

variable "aws_region" {
  type        = string
  description = "AWS region (cert-manager's Route53 solver, cluster-autoscaler)"
}

variable "domain" {
  type        = string
  description = "The cluster's domain: Kubeflow is served at kubeflow.<domain>"
}

variable "zone_id" {
  type        = string
  description = "Route53 zone of the domain (external-dns, cert-manager DNS-01)"
}

variable "zone_arns" {
  type        = list(string)
  description = "ARNs of the zones external-dns and cert-manager may change"
}

variable "cert_manager_email" {
  type        = string
  description = "Let's Encrypt contact e-mail"
}

variable "apps_path" {
  type        = string
  description = "Directory of the child Applications in the GitOps repository"
}

variable "project" {
  type        = string
  description = "AppProject of the platform Applications"
  default     = "platform"
}

variable "manifests_repo" {
  type        = string
  description = "The kubeflow/manifests repository"
  default     = "https://github.com/kubeflow/manifests"
}

variable "manifests_tag" {
  type        = string
  description = "The pinned tag of kubeflow/manifests (components-<tag>.tsv lists its paths)"
  default     = "26.03"
}

variable "oidc_provider_arn" {
  type        = string
  description = "ARN of the cluster's IAM OIDC provider"
}

variable "oidc_issuer" {
  type        = string
  description = "The cluster's OIDC issuer without https://"
}

variable "tags" {
  type        = map(string)
  description = "Tags of the IAM resources"
  default     = {}
}
