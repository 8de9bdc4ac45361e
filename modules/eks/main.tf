# An EKS cluster: its IAM role and the nodes' IAM role with the AWS managed policies, node groups
# for CPU, GPU (GPU AMI, tainted nvidia.com/gpu) and optionally spot, the OIDC provider for IRSA,
# and the admin principals as access entries.

locals {
  node_groups = merge(
    { cpu = merge(var.cpu_node_group, { ami_type = "AL2_x86_64", capacity_type = "ON_DEMAND" }) },
    var.spot_node_group == null ? {} : { spot = merge(var.spot_node_group, { ami_type = "AL2_x86_64", capacity_type = "SPOT" }) },
  )
  node_policies = { for k in ["worker", "cni", "registry"] : k => var.managed_policy_arns[k] }
}

resource "aws_iam_role" "cluster" {
  name = "${var.cluster_name}-cluster"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "eks.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "cluster" {
  role       = aws_iam_role.cluster.name
  policy_arn = var.managed_policy_arns["cluster"]
}

resource "aws_iam_role" "node" {
  name = "${var.cluster_name}-node"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ec2.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "node" {
  for_each   = local.node_policies
  role       = aws_iam_role.node.name
  policy_arn = each.value
}

resource "aws_eks_cluster" "this" {
  name     = var.cluster_name
  role_arn = aws_iam_role.cluster.arn
  version  = var.kubernetes_version
  vpc_config {
    subnet_ids = var.subnet_ids
  }
  tags       = var.tags
  depends_on = [aws_iam_role_policy_attachment.cluster]
}

resource "aws_eks_node_group" "this" {
  for_each        = local.node_groups
  cluster_name    = aws_eks_cluster.this.name
  node_group_name = each.key
  node_role_arn   = aws_iam_role.node.arn
  subnet_ids      = var.subnet_ids
  ami_type        = each.value.ami_type
  capacity_type   = each.value.capacity_type
  instance_types  = each.value.instance_types
  labels          = { "sakk.dev/node-group" = each.key }
  scaling_config {
    desired_size = each.value.desired_size
    max_size     = each.value.max_size
    min_size     = each.value.min_size
  }
  tags       = var.tags
  depends_on = [aws_iam_role_policy_attachment.node]
}

# GPU nodes: the EKS GPU AMI, and taints (by default nvidia.com/gpu) so only pods tolerating
# them land there.
resource "aws_eks_node_group" "gpu" {
  count           = var.gpu_node_group == null ? 0 : 1
  cluster_name    = aws_eks_cluster.this.name
  node_group_name = "gpu"
  node_role_arn   = aws_iam_role.node.arn
  subnet_ids      = var.subnet_ids
  ami_type        = "AL2_x86_64_GPU"
  capacity_type   = "ON_DEMAND"
  instance_types  = var.gpu_node_group.instance_types
  labels          = { "sakk.dev/node-group" = "gpu", "nvidia.com/gpu.present" = "true" }
  scaling_config {
    desired_size = var.gpu_node_group.desired_size
    max_size     = var.gpu_node_group.max_size
    min_size     = var.gpu_node_group.min_size
  }
  dynamic "taint" {
    for_each = var.gpu_taints
    content {
      key    = taint.value.key
      value  = taint.value.value
      effect = taint.value.effect
    }
  }
  tags       = var.tags
  depends_on = [aws_iam_role_policy_attachment.node]
}

resource "aws_iam_openid_connect_provider" "this" {
  url             = aws_eks_cluster.this.identity[0].oidc[0].issuer
  client_id_list  = ["sts.amazonaws.com"]
  thumbprint_list = [var.oidc_thumbprint]
  tags            = var.tags
}

resource "aws_eks_access_entry" "admin" {
  for_each      = var.access_entries ? { for a in var.admin_arns : a.username => a } : {}
  cluster_name  = aws_eks_cluster.this.name
  principal_arn = each.value.userarn
  # EKS refuses groups starting with "system:"; cluster-admin comes from the access policy.
  kubernetes_groups = [for g in each.value.groups : g if length(regexall("^system:", g)) == 0]
  type              = "STANDARD"
  user_name         = each.value.username
}
