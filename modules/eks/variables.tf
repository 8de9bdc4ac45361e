variable "cluster_name" {
  type        = string
  description = "Name of the EKS cluster"
}

variable "kubernetes_version" {
  type        = string
  description = "Kubernetes version of the cluster"
  default     = "1.31"
}

variable "subnet_ids" {
  type        = list(string)
  description = "Private subnets of the cluster and its nodes"
}

variable "admin_arns" {
  type = list(object({
    userarn  = string
    username = string
    groups   = list(string)
  }))
  description = "IAM principals mapped into the cluster as administrators (EKS access entries)"
  default     = []
}

variable "managed_policy_arns" {
  type        = map(string)
  description = "ARNs of the AWS managed policies the cluster and node roles get (override with stand-ins where they do not exist, e.g. in moto)"
  default = {
    cluster  = "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"
    worker   = "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"
    cni      = "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"
    registry = "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"
  }
}

variable "cpu_node_group" {
  type = object({
    instance_types = list(string)
    min_size       = number
    max_size       = number
    desired_size   = number
  })
  description = "The on-demand CPU node group"
  default     = { instance_types = ["m5.xlarge"], min_size = 1, max_size = 5, desired_size = 2 }
}

variable "gpu_node_group" {
  type = object({
    instance_types = list(string)
    min_size       = number
    max_size       = number
    desired_size   = number
  })
  description = "The GPU node group (GPU AMI, tainted nvidia.com/gpu); null for none"
  default     = { instance_types = ["g5.xlarge"], min_size = 0, max_size = 2, desired_size = 0 }
}

variable "gpu_taints" {
  type = list(object({
    key    = string
    value  = string
    effect = string
  }))
  description = "Taints of the GPU nodes (effect NO_SCHEDULE, NO_EXECUTE or PREFER_NO_SCHEDULE); by default only pods tolerating nvidia.com/gpu land there"
  default     = [{ key = "nvidia.com/gpu", value = "true", effect = "NO_SCHEDULE" }]
}

variable "spot_node_group" {
  type = object({
    instance_types = list(string)
    min_size       = number
    max_size       = number
    desired_size   = number
  })
  description = "An optional spot CPU node group; null for none"
  default     = null
}

variable "oidc_thumbprint" {
  type        = string
  description = "Thumbprint of the OIDC issuer's root CA (the one EKS issuers use)"
  default     = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource"
  default     = {}
}

variable "access_entries" {
  type        = bool
  description = "Create EKS access entries for admin_arns (false where the API is missing, e.g. moto)"
  default     = true
}
