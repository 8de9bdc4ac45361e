# SAKK's root module: SAKK's variables (plus region, zones and tenants) to a multi-tenant
# Kubeflow platform on EKS. AWS: network, EKS, DNS, Cognito. GitOps (committed to the
# repository Argo CD syncs): Argo CD, Kubeflow and the tenants, under argo_path_prefix.

locals {
  domain      = var.domains[0]
  gitops_repo = var.gitops_repository != null ? var.gitops_repository : "https://github.com/${var.owner}/${var.repository}"
  path_prefix = var.argo_path_prefix == "" ? "" : "${trimsuffix(var.argo_path_prefix, "/")}/"
  gitops_path = "${local.path_prefix}${var.argo_apps_dir}"
  admin_users = [for a in var.admin_arns : a.username]
  user_groups = distinct([for u in var.cognito_users : lookup(u, "group", "read-only")])
  zones       = length(var.availability_zones) > 0 ? var.availability_zones : slice(data.aws_availability_zones.available.names, 0, 2)
  tags        = { "sakk.dev/cluster" = var.cluster_name }
}

provider "aws" {
  region = var.aws_region
}

provider "gitops" {
  repository = local.gitops_repo
  branch     = var.branch
}

data "aws_availability_zones" "available" {
  state = "available"
}

module "network" {
  source             = "../network"
  name               = var.cluster_name
  cidr               = var.vpc_cidr
  availability_zones = local.zones
  tags               = local.tags
}

module "eks" {
  source              = "../eks"
  cluster_name        = var.cluster_name
  subnet_ids          = module.network.private_subnet_ids
  admin_arns          = var.admin_arns
  managed_policy_arns = var.managed_policy_arns
  access_entries      = var.eks_access_entries
  spot_node_group     = var.spot_node_group
  tags                = local.tags
}

module "dns" {
  source     = "../dns"
  domains    = var.domains
  mainzoneid = var.mainzoneid
  tags       = local.tags
}

module "cognito" {
  source          = "../cognito"
  cluster_name    = var.cluster_name
  domain          = local.domain
  certificate_arn = var.auth_certificate_arn
  users           = var.cognito_users
  tags            = local.tags
}

module "argocd" {
  source         = "../argocd"
  cluster_name   = var.cluster_name
  domain         = local.domain
  repo_url       = local.gitops_repo
  branch         = var.branch
  path_prefix    = local.path_prefix
  apps_dir       = var.argo_apps_dir
  oidc_issuer    = module.cognito.issuer_url
  oidc_client_id = module.cognito.client_ids["argocd"]
  fleet          = var.application_set
}

module "kubeflow" {
  source             = "../kubeflow"
  cluster_name       = var.cluster_name
  aws_region         = var.aws_region
  domain             = local.domain
  zone_id            = module.dns.zone_ids[local.domain]
  zone_arns          = module.dns.zone_arns
  cert_manager_email = var.cert_manager_email
  apps_path          = module.argocd.apps_path
  project            = module.argocd.project
  oidc_provider_arn  = module.eks.oidc_provider_arn
  oidc_issuer        = module.eks.oidc_issuer
  tags               = local.tags
}

module "tenant" {
  source            = "../tenant"
  for_each          = var.tenants
  name              = each.key
  owner             = each.value.owner
  cluster_name      = var.cluster_name
  quota             = var.tenant_quota
  user_pool_id      = module.cognito.user_pool_id
  oidc_provider_arn = module.eks.oidc_provider_arn
  oidc_issuer       = module.eks.oidc_issuer
  apps_path         = module.argocd.apps_path
  repo_url          = local.gitops_repo
  tags              = local.tags
}
