# Argo CD: the root app-of-apps (bootstrapped once with kubectl; it syncs every child
# Application of this cluster), Argo CD managing itself from its Helm chart (Cognito OIDC login,
# RBAC mapping the admin groups to role:admin) and the platform AppProject.

locals {
  apps_path = "${var.path_prefix}${var.apps_dir}"
  rbac      = join("\n", [for g in var.admin_groups : "g, ${g}, role:admin"])
  values = {
    global = { domain = "argocd.${var.domain}" }
    configs = {
      cm = {
        url = "https://argocd.${var.domain}"
        "oidc.config" = yamlencode({
          name            = "Cognito"
          issuer          = var.oidc_issuer
          clientID        = var.oidc_client_id
          clientSecret    = "$oidc.cognito.clientSecret"
          requestedScopes = ["openid", "profile", "email"]
        })
      }
      rbac = {
        "policy.default" = "role:readonly"
        "policy.csv"     = local.rbac
        scopes           = "[cognito:groups]"
      }
    }
    server = { ingress = { enabled = true, hostname = "argocd.${var.domain}" } }
  }
}

resource "gitops_app_of_apps" "root" {
  name            = "root"
  project         = "default"
  source_path     = local.apps_path
  repo_url        = var.repo_url
  target_revision = var.branch
  path            = "${var.path_prefix}root/application-root.yaml"
}

resource "argocd_project" "platform" {
  metadata = { name = "platform", namespace = "argocd" }
  spec = {
    description              = "Platform components of ${var.cluster_name}"
    sourceRepos              = ["*"]
    destinations             = [{ server = "https://kubernetes.default.svc", namespace = "*" }]
    clusterResourceWhitelist = [{ group = "*", kind = "*" }]
  }
  path = "${local.apps_path}/appproject-platform.yaml"
}

resource "argocd_application" "argocd" {
  metadata = {
    name        = "argocd"
    namespace   = "argocd"
    annotations = { "argocd.argoproj.io/sync-wave" = "-5" }
  }
  spec = {
    project = "default"
    source = {
      repoURL        = "https://argoproj.github.io/argo-helm"
      chart          = "argo-cd"
      targetRevision = var.chart_version
      helm           = { values = yamlencode(local.values) }
    }
    destination = { server = "https://kubernetes.default.svc", namespace = "argocd" }
    syncPolicy  = { automated = { prune = false, selfHeal = true } }
  }
  path = "${local.apps_path}/application-argocd.yaml"
}

# The fleet's hub: one ApplicationSet whose Git directory generator finds every cluster's
# Applications directory (clusters/<name>/<apps_dir>) and makes a root Application for it.
resource "argocd_application_set" "fleet" {
  count    = var.fleet ? 1 : 0
  metadata = { name = "fleet", namespace = "argocd" }
  spec = {
    generators = [{
      git = {
        repoURL     = var.repo_url
        revision    = var.branch
        directories = [{ path = "*/*/${var.apps_dir}" }]
      }
    }]
    template = {
      metadata = { name = "{{path[1]}}-root" }
      spec = {
        project     = "default"
        source      = { repoURL = var.repo_url, targetRevision = var.branch, path = "{{path}}" }
        destination = { server = "https://kubernetes.default.svc", namespace = "argocd" }
        syncPolicy  = { automated = { prune = true, selfHeal = true } }
      }
    }
  }
  path = "fleet/applicationset-fleet.yaml"
}
