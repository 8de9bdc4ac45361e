output "url" {
  description = "Where the Kubeflow dashboard is served"
  value       = "https://kubeflow.${var.domain}"
}

output "components" {
  description = "Kubeflow component -> kubeflow/manifests path"
  value       = { for k, c in local.components : k => c.path }
}

output "irsa_role_arns" {
  description = "IRSA roles of external-dns, cert-manager and cluster-autoscaler"
  value       = { for k, m in module.irsa : k => m.role_arn }
}
