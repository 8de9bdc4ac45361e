terraform {
  backend s3 {}
}
module "sak_kubeflow" {
  source = "../../modules/platform"   # SAKK had: git::https://github.com/provectus/sak-kubeflow.git?ref=init
  cluster_name = "simple"
  owner      = "github-repo-owner"
  repository = "github-repo-name"
  branch     = "branch-name"
  mainzoneid = "id-of-route53-zone"
  domains = ["sandbox.some.domain.local"]
  admin_arns = [
    {
      userarn  = "arn:aws:iam::<aws-account-id>:user/<username>"
      username = "<username>"
      groups   = ["system:masters"]
    }
  ]
  cert_manager_email = "info@some.domain.local"
  cognito_users = [
    { email = "qa@some.domain.local", username = "qa", group = "masters" },
    { email = "developer@some.domain.local", username = "developer" }
  ]
  argo_path_prefix = "examples/simple/"
  argo_apps_dir    = "argocd-applications"
}
