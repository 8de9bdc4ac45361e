# SAKK's input variables (Swiss Army Kube for Kubeflow), kept with the same names and types so a
# SAKK main.tf runs unchanged.

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

# Beyond SAKK's variables (all optional).

variable "aws_region" {
  type        = string
  description = "AWS region of the cluster"
  default     = "us-east-1"
}

variable "availability_zones" {
  type        = list(string)
  description = "Availability zones of the cluster's subnets (default: the region's first two)"
  default     = []
}

variable "vpc_cidr" {
  type        = string
  description = "CIDR block of the cluster's VPC"
  default     = "10.0.0.0/16"
}

variable "tenants" {
  type = map(object({
    owner = string
  }))
  description = "Kubeflow tenants by name: each gets a Profile, a Cognito group, an IRSA role, an S3 bucket and an AppProject"
  default     = {}
}

variable "tenant_quota" {
  type        = map(string)
  description = "ResourceQuota hard limits of every tenant namespace"
  default     = { cpu = "8", memory = "32Gi", "requests.nvidia.com/gpu" = "1", persistentvolumeclaims = "10" }
}

variable "gitops_repository" {
  type        = string
  description = "URL of the GitOps repository (default https://github.com/<owner>/<repository>)"
  default     = null
}

variable "managed_policy_arns" {
  type        = map(string)
  description = "AWS managed policies of the cluster and node roles (keys cluster, worker, cni, registry); override with stand-ins where they do not exist (moto)"
  default = {
    cluster  = "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"
    worker   = "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"
    cni      = "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"
    registry = "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"
  }
}

variable "spot_node_group" {
  type = object({
    instance_types = list(string)
    min_size       = number
    max_size       = number
    desired_size   = number
  })
  description = "An optional spot CPU node group"
  default     = null
}

variable "auth_certificate_arn" {
  type        = string
  description = "ACM certificate (us-east-1) of the Cognito custom domain auth.<domain>"
  default     = null
}

variable "eks_access_entries" {
  type        = bool
  description = "Map admin_arns into the cluster with EKS access entries (false where the API is missing, e.g. moto)"
  default     = true
}

variable "application_set" {
  type        = bool
  description = "This cluster is the fleet's hub: also commit the ApplicationSet that gives every clusters/*/<argo_apps_dir> a root Application"
  default     = false
}
