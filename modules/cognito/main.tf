# The Cognito user pool behind Argo CD and Kubeflow: the pool, its domain auth.<domain>, an OIDC
# client each for Argo CD and Kubeflow, groups from the users' group values, users, memberships.

locals {
  users  = { for u in var.users : u.username => merge({ group = "read-only" }, u) }
  groups = distinct(concat([for u in local.users : u.group], var.extra_groups))
  clients = {
    argocd   = "https://argocd.${var.domain}/auth/callback"
    kubeflow = "https://kubeflow.${var.domain}/oauth2/idpresponse"
  }
}

resource "aws_cognito_user_pool" "this" {
  name                     = var.cluster_name
  username_attributes      = ["email"]
  auto_verified_attributes = ["email"]
  tags                     = var.tags
}

resource "aws_cognito_user_pool_domain" "this" {
  domain          = "auth.${var.domain}"
  certificate_arn = var.certificate_arn
  user_pool_id    = aws_cognito_user_pool.this.id
}

resource "aws_cognito_user_pool_client" "this" {
  for_each                             = local.clients
  name                                 = each.key
  user_pool_id                         = aws_cognito_user_pool.this.id
  generate_secret                      = true
  callback_urls                        = [each.value]
  allowed_oauth_flows                  = ["code"]
  allowed_oauth_scopes                 = ["openid", "email", "profile"]
  allowed_oauth_flows_user_pool_client = true
  supported_identity_providers         = ["COGNITO"]
}

resource "aws_cognito_user_group" "this" {
  for_each     = toset(local.groups)
  name         = each.key
  user_pool_id = aws_cognito_user_pool.this.id
}

resource "aws_cognito_user" "this" {
  for_each     = local.users
  user_pool_id = aws_cognito_user_pool.this.id
  username     = each.value.email
  attributes = {
    email          = each.value.email
    email_verified = "true"
  }
}

resource "aws_cognito_user_in_group" "this" {
  for_each     = local.users
  user_pool_id = aws_cognito_user_pool.this.id
  group_name   = aws_cognito_user_group.this[each.value.group].name
  username     = aws_cognito_user.this[each.key].username
}
