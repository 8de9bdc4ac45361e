# A fleet: three clusters (dev, staging, prod) in three regions from one map, each with its own
# tenants, all delegated from one parent DNS zone and synced by Argo CD from one GitOps
# repository. An ApplicationSet on the hub (prod; a Git directory generator over
# clusters/*/argocd-applications) gives every cluster's root Application from one manifest.

terraform {
  backend "s3" {}
}

variable "mainzoneid" {
  type        = string
  description = "ID of the shared parent Route53 zone"
}

variable "parent_domain" {
  type        = string
  description = "Name of the shared parent zone"
  default     = "fleet.example.com"
}

variable "gitops_repository" {
  type        = string
  description = "The one GitOps repository of the fleet"
  default     = "https://github.com/example-org/fleet-gitops"
}

variable "eks_access_entries" {
  type        = bool
  description = "Map the admins with EKS access entries (false in moto, which lacks the API)"
  default     = true
}

variable "managed_policy_arns" {
  type        = map(string)
  description = "AWS managed policies of the cluster and node roles (stand-ins in tests)"
  default = {
    cluster  = "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"
    worker   = "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"
    cni      = "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"
    registry = "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"
  }
}

variable "clusters" {
  type = map(object({
    region   = string
    vpc_cidr = string
    tenants  = map(object({ owner = string }))
  }))
  description = "The fleet: cluster -> its AWS region, VPC range and tenants"
  default = {
    dev = {
      region   = "us-west-2"
      vpc_cidr = "10.10.0.0/16"
      tenants = {
        alice = { owner = "alice@example.com" }
        bob   = { owner = "bob@example.com" }
        carol = { owner = "carol@example.com" }
      }
    }
    staging = {
      region   = "eu-west-1"
      vpc_cidr = "10.20.0.0/16"
      tenants = {
        alice = { owner = "alice@example.com" }
        ml-qa = { owner = "qa@example.com" }
      }
    }
    prod = {
      region   = "us-east-1"
      vpc_cidr = "10.30.0.0/16"
      tenants = {
        ranking = { owner = "ranking-lead@example.com" }
        fraud   = { owner = "fraud-lead@example.com" }
        vision  = { owner = "vision-lead@example.com" }
      }
    }
  }
}

module "cluster" {
  source   = "../../modules/platform"
  for_each = var.clusters

  cluster_name        = "fleet-${each.key}"
  aws_region          = each.value.region
  owner               = "example-org"
  repository          = "fleet-gitops"
  gitops_repository   = var.gitops_repository
  branch              = "main"
  mainzoneid          = var.mainzoneid
  domains             = ["${each.key}.${var.parent_domain}"]
  cert_manager_email  = "platform@example.com"
  vpc_cidr            = each.value.vpc_cidr
  tenants             = each.value.tenants
  managed_policy_arns = var.managed_policy_arns
  eks_access_entries  = var.eks_access_entries
  cognito_users = [
    { email = "platform@example.com", username = "platform", group = "masters" },
  ]
  argo_path_prefix = "clusters/${each.key}/"
  argo_apps_dir    = "argocd-applications"
  # The hub's Argo CD also gets the fleet's ApplicationSet (one root Application per cluster).
  application_set = each.key == "prod"
}

output "clusters" {
  description = "Per cluster: name, Argo CD and Kubeflow URLs, GitOps path"
  value = {
    for k, c in module.cluster : k => {
      cluster_name = c.cluster_name
      argocd_url   = c.argocd_url
      kubeflow_url = c.kubeflow_url
      gitops_path  = c.gitops_path
    }
  }
}
