# One Kubeflow tenant: its Profile (owner, resource quota, an IRSA role through the
# AwsIamForServiceAccount plugin), a Cognito group, an S3 bucket for its artifacts readable and
# writable by the role, and an AppProject that may only deploy into its namespace.

locals {
  bucket = "${var.cluster_name}-${var.name}-artifacts"
}

resource "aws_s3_bucket" "artifacts" {
  bucket = local.bucket
  tags   = merge(var.tags, { "sakk.dev/tenant" = var.name })
}

module "irsa" {
  source            = "../irsa"
  name              = "${var.cluster_name}-tenant-${var.name}"
  oidc_provider_arn = var.oidc_provider_arn
  oidc_issuer       = var.oidc_issuer
  namespace         = var.name
  service_account   = "default-editor"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Effect = "Allow", Action = ["s3:ListBucket"], Resource = [aws_s3_bucket.artifacts.arn] },
      { Effect = "Allow", Action = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], Resource = ["${aws_s3_bucket.artifacts.arn}/*"] },
    ]
  })
  tags = var.tags
}

resource "aws_cognito_user_group" "tenant" {
  name         = "tenant-${var.name}"
  description  = "Members of the Kubeflow profile ${var.name}"
  user_pool_id = var.user_pool_id
}

resource "kubeflow_profile" "this" {
  metadata = { name = var.name }
  spec = {
    owner             = { kind = "User", name = var.owner }
    resourceQuotaSpec = { hard = var.quota }
    plugins = [{
      kind = "AwsIamForServiceAccount"
      spec = { awsIamRole = module.irsa.role_arn, annotateOnly = true }
    }]
  }
  path = "${var.apps_path}/profile-${var.name}.yaml"
}

resource "argocd_project" "tenant" {
  metadata = { name = "tenant-${var.name}", namespace = "argocd" }
  spec = {
    description                = "Workloads of the Kubeflow tenant ${var.name}"
    sourceRepos                = [var.repo_url]
    destinations               = [{ server = "https://kubernetes.default.svc", namespace = var.name }]
    clusterResourceWhitelist   = []
    namespaceResourceBlacklist = [{ group = "", kind = "ResourceQuota" }, { group = "", kind = "LimitRange" }]
  }
  path = "${var.apps_path}/appproject-tenant-${var.name}.yaml"
}
