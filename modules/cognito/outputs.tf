output "user_pool_id" {
  description = "ID of the user pool"
  value       = aws_cognito_user_pool.this.id
}

output "issuer_url" {
  description = "OIDC issuer of the pool"
  value       = "https://${aws_cognito_user_pool.this.endpoint}"
}

output "client_ids" {
  description = "OIDC client IDs: argocd, kubeflow (the secrets stay in AWS; never in Git)"
  value       = { for k, c in aws_cognito_user_pool_client.this : k => c.id }
}

output "auth_domain" {
  description = "The pool's domain"
  value       = aws_cognito_user_pool_domain.this.domain
}

output "groups" {
  description = "Names of the groups"
  value       = sort(keys(aws_cognito_user_group.this))
}
