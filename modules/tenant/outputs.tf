output "namespace" {
  description = "The tenant's namespace"
  value       = kubeflow_profile.this.metadata.name
}

output "role_arn" {
  description = "IRSA role of the tenant's default-editor service account"
  value       = module.irsa.role_arn
}

output "bucket" {
  description = "The tenant's artifact bucket"
  value       = aws_s3_bucket.artifacts.bucket
}

output "cognito_group" {
  description = "The tenant's Cognito group"
  value       = aws_cognito_user_group.tenant.name
}
