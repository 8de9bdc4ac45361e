# Kubeflow as Argo CD Applications of the kubeflow/manifests kustomize paths at a pinned tag,
# ordered by sync waves; cert-manager ClusterIssuers (Let's Encrypt, Route53 DNS-01),
# external-dns and cluster-autoscaler, each with an IRSA role.
#
# components-<tag>.tsv is a copy of ../shared/data/kubeflow-components-26.03.tsv (the paths of
# https://github.com/kubeflow/manifests at tag 26.03 that hold a kustomization.yaml).

locals {
  tsv_lines = [for l in split("\n", file("${path.module}/components-${var.manifests_tag}.tsv")) : trimspace(l)]
  tsv_rows  = [for l in local.tsv_lines : split("\t", l) if l != "" && substr(l, 0, 1) != "#"]
  components = {
    for r in local.tsv_rows : r[0] => { path = r[1], namespace = r[2], wave = r[3] }
  }
  sync_policy = {
    automated   = { prune = true, selfHeal = true }
    syncOptions = ["CreateNamespace=true", "ServerSideApply=true"]
  }
  irsa = {
    "external-dns" = {
      namespace = "external-dns"
      policy = jsonencode({
        Version = "2012-10-17"
        Statement = [
          { Effect = "Allow", Action = ["route53:ChangeResourceRecordSets"], Resource = var.zone_arns },
          { Effect = "Allow", Action = ["route53:ListHostedZones", "route53:ListResourceRecordSets", "route53:ListTagsForResource"], Resource = ["*"] },
        ]
      })
    }
    "cert-manager" = {
      namespace = "cert-manager"
      policy = jsonencode({
        Version = "2012-10-17"
        Statement = [
          { Effect = "Allow", Action = ["route53:GetChange"], Resource = ["arn:aws:route53:::change/*"] },
          { Effect = "Allow", Action = ["route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets"], Resource = var.zone_arns },
          { Effect = "Allow", Action = ["route53:ListHostedZonesByName"], Resource = ["*"] },
        ]
      })
    }
    "cluster-autoscaler" = {
      namespace = "kube-system"
      policy = jsonencode({
        Version = "2012-10-17"
        Statement = [{
          Effect = "Allow"
          Action = [
            "autoscaling:DescribeAutoScalingGroups", "autoscaling:DescribeAutoScalingInstances",
            "autoscaling:DescribeLaunchConfigurations", "autoscaling:DescribeTags",
            "autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup",
            "ec2:DescribeLaunchTemplateVersions", "ec2:DescribeInstanceTypes", "eks:DescribeNodegroup",
          ]
          Resource = ["*"]
        }]
      })
    }
  }
  helm_apps = {
    "external-dns" = {
      repo    = "https://kubernetes-sigs.github.io/external-dns"
      chart   = "external-dns"
      version = "1.15.0"
      values = {
        provider      = { name = "aws" }
        domainFilters = [var.domain]
        txtOwnerId    = var.cluster_name
        serviceAccount = {
          name        = "external-dns"
          annotations = { "eks.amazonaws.com/role-arn" = module.irsa["external-dns"].role_arn }
        }
      }
    }
    "cluster-autoscaler" = {
      repo    = "https://kubernetes.github.io/autoscaler"
      chart   = "cluster-autoscaler"
      version = "9.43.2"
      values = {
        awsRegion     = var.aws_region
        autoDiscovery = { clusterName = var.cluster_name }
        rbac = {
          serviceAccount = {
            name        = "cluster-autoscaler"
            annotations = { "eks.amazonaws.com/role-arn" = module.irsa["cluster-autoscaler"].role_arn }
          }
        }
      }
    }
  }
}

module "irsa" {
  source            = "../irsa"
  for_each          = local.irsa
  name              = "${var.cluster_name}-${each.key}"
  oidc_provider_arn = var.oidc_provider_arn
  oidc_issuer       = var.oidc_issuer
  namespace         = each.value.namespace
  service_account   = each.key
  policy            = each.value.policy
  tags              = var.tags
}

resource "argocd_application" "component" {
  for_each = local.components
  metadata = {
    name        = "kubeflow-${each.key}"
    namespace   = "argocd"
    annotations = { "argocd.argoproj.io/sync-wave" = each.value.wave }
    labels      = { "app.kubernetes.io/part-of" = "kubeflow" }
  }
  spec = {
    project = var.project
    source = {
      repoURL        = var.manifests_repo
      targetRevision = var.manifests_tag
      path           = each.value.path
    }
    destination = { server = "https://kubernetes.default.svc", namespace = each.value.namespace }
    syncPolicy  = local.sync_policy
  }
  path = "${var.apps_path}/kubeflow-${each.key}.yaml"
}

resource "argocd_application" "addon" {
  for_each = local.helm_apps
  metadata = {
    name        = each.key
    namespace   = "argocd"
    annotations = { "argocd.argoproj.io/sync-wave" = "-4" }
  }
  spec = {
    project = var.project
    source = {
      repoURL        = each.value.repo
      chart          = each.value.chart
      targetRevision = each.value.version
      helm           = { values = yamlencode(each.value.values) }
    }
    destination = { server = "https://kubernetes.default.svc", namespace = local.irsa[each.key].namespace }
    syncPolicy  = local.sync_policy
  }
  path = "${var.apps_path}/addon-${each.key}.yaml"
}

resource "gitops_manifest" "cluster_issuer" {
  for_each = {
    "letsencrypt-prod"    = "https://acme-v02.api.letsencrypt.org/directory"
    "letsencrypt-staging" = "https://acme-staging-v02.api.letsencrypt.org/directory"
  }
  manifest = {
    apiVersion = "cert-manager.io/v1"
    kind       = "ClusterIssuer"
    metadata = {
      name        = each.key
      annotations = { "argocd.argoproj.io/sync-wave" = "-2" }
    }
    spec = {
      acme = {
        email               = var.cert_manager_email
        server              = each.value
        privateKeySecretRef = { name = "${each.key}-account-key" }
        solvers = [{
          selector = { dnsZones = [var.domain] }
          dns01    = { route53 = { region = var.aws_region, hostedZoneID = var.zone_id } }
        }]
      }
    }
  }
  path = "${var.apps_path}/clusterissuer-${each.key}.yaml"
}
