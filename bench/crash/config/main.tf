# The crash campaign's configuration (bench/crash/run): 77 resources over every AWS resource type
# of sakk that moto serves, with the dependencies of a real platform. `replace = true` forces
# replacements: the main VPC's cidr_block changes (its IGW, subnets, NAT gateway, route tables
# and associations hang off it), and the "app" Route53 zone (create_before_destroy, 6 records)
# gets a new name.
#
# Not here (moto 5.2 does not serve them, see README.md): aws_eks_addon, aws_eks_access_entry.

terraform {
  backend "s3" {}
}

variable "endpoint" {
  type        = string
  description = "The AWS endpoint of the provider: moto, or the fault proxy in front of it"
}

variable "replace" {
  type    = bool
  default = false
}

variable "prefix" {
  type    = string
  default = "crash"
}

provider "aws" {
  region = "us-east-1"
  endpoints {
    s3         = var.endpoint
    dynamodb   = var.endpoint
    iam        = var.endpoint
    ec2        = var.endpoint
    eks        = var.endpoint
    route53    = var.endpoint
    cognitoidp = var.endpoint
    sts        = var.endpoint
  }
  default_tags {
    tags = { ManagedBy = "sakk-crash" }
  }
}

locals {
  p        = var.prefix
  main_net = var.replace ? "10.20.0.0/16" : "10.10.0.0/16"
  azs      = ["us-east-1a", "us-east-1b"]
  app_zone = var.replace ? "app2.${local.p}.test" : "app.${local.p}.test"
}

# --- the main VPC (replaced by `replace = true`) ------------------------------------------------

resource "aws_vpc" "main" {
  cidr_block           = local.main_net
  enable_dns_hostnames = true
  tags                 = { Name = "${local.p}-main" }
}

resource "aws_subnet" "public" {
  count                   = 2
  vpc_id                  = aws_vpc.main.id
  cidr_block              = cidrsubnet(aws_vpc.main.cidr_block, 8, count.index)
  availability_zone       = local.azs[count.index]
  map_public_ip_on_launch = true
  tags                    = { Name = "${local.p}-public-${count.index}" }
}

resource "aws_subnet" "private" {
  count             = 2
  vpc_id            = aws_vpc.main.id
  cidr_block        = cidrsubnet(aws_vpc.main.cidr_block, 8, count.index + 10)
  availability_zone = local.azs[count.index]
  tags              = { Name = "${local.p}-private-${count.index}" }
}

resource "aws_internet_gateway" "main" {
  vpc_id = aws_vpc.main.id
  tags   = { Name = "${local.p}-main" }
}

# Two addresses: the replaced NAT gateway takes the other one (moto keeps an address associated
# with a deleted NAT gateway, so the new gateway could not take the same one there).
resource "aws_eip" "nat" {
  for_each = toset(["a", "b"])
  domain   = "vpc"
  tags     = { Name = "${local.p}-nat-${each.key}" }
}

resource "aws_nat_gateway" "main" {
  subnet_id     = aws_subnet.public[0].id
  allocation_id = aws_eip.nat[var.replace ? "b" : "a"].id
  tags          = { Name = "${local.p}-nat" }
  depends_on    = [aws_internet_gateway.main]
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.main.id
  tags   = { Name = "${local.p}-public" }
}

resource "aws_route" "internet" {
  route_table_id         = aws_route_table.public.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.main.id
}

resource "aws_route_table_association" "public" {
  count          = 2
  subnet_id      = aws_subnet.public[count.index].id
  route_table_id = aws_route_table.public.id
}

resource "aws_route_table" "private" {
  vpc_id = aws_vpc.main.id
  tags   = { Name = "${local.p}-private" }
}

resource "aws_route" "nat" {
  route_table_id         = aws_route_table.private.id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.main.id
}

resource "aws_route_table_association" "private" {
  count          = 2
  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private.id
}

resource "aws_security_group" "web" {
  name        = "${local.p}-web"
  description = "web tier"
  vpc_id      = aws_vpc.main.id
  ingress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
  tags = { Name = "${local.p}-web" }
}

resource "aws_security_group" "db" {
  name        = "${local.p}-db"
  description = "database tier, reachable from the web tier"
  vpc_id      = aws_vpc.main.id
  ingress {
    from_port       = 5432
    to_port         = 5432
    protocol        = "tcp"
    security_groups = [aws_security_group.web.id]
  }
  tags = { Name = "${local.p}-db" }
}

# --- the EKS VPC (not replaced) -----------------------------------------------------------------

resource "aws_vpc" "eks" {
  cidr_block = "10.30.0.0/16"
  tags       = { Name = "${local.p}-eks" }
}

resource "aws_subnet" "eks" {
  count             = 2
  vpc_id            = aws_vpc.eks.id
  cidr_block        = cidrsubnet(aws_vpc.eks.cidr_block, 4, count.index)
  availability_zone = local.azs[count.index]
  tags              = { Name = "${local.p}-eks-${count.index}" }
}

resource "aws_security_group" "eks" {
  name        = "${local.p}-eks-nodes"
  description = "EKS nodes"
  vpc_id      = aws_vpc.eks.id
  ingress {
    from_port = 0
    to_port   = 0
    protocol  = "-1"
    self      = true
  }
  tags = { Name = "${local.p}-eks-nodes" }
}

# --- S3 -----------------------------------------------------------------------------------------

locals {
  buckets = toset(["logs", "artifacts", "data"])
}

resource "aws_s3_bucket" "b" {
  for_each      = local.buckets
  bucket        = "${local.p}-${each.key}-bucket"
  force_destroy = true
  tags          = { Name = "${local.p}-${each.key}" }
}

resource "aws_s3_bucket_versioning" "b" {
  for_each = aws_s3_bucket.b
  bucket   = each.value.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "b" {
  for_each = aws_s3_bucket.b
  bucket   = each.value.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_public_access_block" "b" {
  for_each                = aws_s3_bucket.b
  bucket                  = each.value.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

# --- DynamoDB -----------------------------------------------------------------------------------

resource "aws_dynamodb_table" "t" {
  for_each     = toset(["sessions", "orders", "events", "audit"])
  name         = "${local.p}-${each.key}"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "pk"
  attribute {
    name = "pk"
    type = "S"
  }
  tags = { Name = "${local.p}-${each.key}" }
}

# --- IAM ----------------------------------------------------------------------------------------

locals {
  role_principals = {
    app     = "ec2.amazonaws.com"
    ci      = "codebuild.amazonaws.com"
    cluster = "eks.amazonaws.com"
    node    = "ec2.amazonaws.com"
  }
  attachments = {
    "app-app"         = { role = "app", policy = "app" }
    "ci-ci"           = { role = "ci", policy = "ci" }
    "ci-app"          = { role = "ci", policy = "app" }
    "cluster-cluster" = { role = "cluster", policy = "cluster" }
    "node-node"       = { role = "node", policy = "node" }
  }
}

resource "aws_iam_role" "r" {
  for_each = local.role_principals
  name     = "${local.p}-${each.key}"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = each.value }
      Action    = "sts:AssumeRole"
    }]
  })
  tags = { Name = "${local.p}-${each.key}" }
}

resource "aws_iam_policy" "p" {
  for_each = local.role_principals
  name     = "${local.p}-${each.key}"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["s3:GetObject", "dynamodb:GetItem"]
      Resource = "*"
    }]
  })
}

resource "aws_iam_role_policy_attachment" "a" {
  for_each   = local.attachments
  role       = aws_iam_role.r[each.value.role].name
  policy_arn = aws_iam_policy.p[each.value.policy].arn
}

# --- EKS ----------------------------------------------------------------------------------------

resource "aws_eks_cluster" "main" {
  name     = "${local.p}-cluster"
  role_arn = aws_iam_role.r["cluster"].arn
  version  = "1.29"
  vpc_config {
    subnet_ids = aws_subnet.eks[*].id
  }
  depends_on = [aws_iam_role_policy_attachment.a["cluster-cluster"]]
}

resource "aws_eks_node_group" "cpu" {
  cluster_name    = aws_eks_cluster.main.name
  node_group_name = "cpu"
  node_role_arn   = aws_iam_role.r["node"].arn
  subnet_ids      = aws_subnet.eks[*].id
  instance_types  = ["m5.large"]
  scaling_config {
    desired_size = 1
    max_size     = 2
    min_size     = 1
  }
  depends_on = [aws_iam_role_policy_attachment.a["node-node"]]
}

resource "aws_iam_openid_connect_provider" "eks" {
  url             = aws_eks_cluster.main.identity[0].oidc[0].issuer
  client_id_list  = ["sts.amazonaws.com"]
  thumbprint_list = ["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"]
}

# --- Route53 ------------------------------------------------------------------------------------

# Renamed by `replace = true`: a new zone first (create_before_destroy), its records moved.
resource "aws_route53_zone" "app" {
  name          = local.app_zone
  force_destroy = true
  tags          = { Name = "${local.p}-app" }
  lifecycle {
    create_before_destroy = true
  }
}

locals {
  app_records = {
    www = { type = "A", records = ["10.10.0.10"] }
    api = { type = "A", records = ["10.10.0.11"] }
    app = { type = "CNAME", records = ["www.${local.app_zone}"] }
    txt = { type = "TXT", records = ["v=crash"] }
    mx  = { type = "MX", records = ["10 mail.${local.app_zone}"] }
    svc = { type = "AAAA", records = ["fd00::1"] }
  }
}

resource "aws_route53_record" "app" {
  for_each = local.app_records
  zone_id  = aws_route53_zone.app.zone_id
  name     = "${each.key}.${local.app_zone}"
  type     = each.value.type
  ttl      = 60
  records  = each.value.records
}

resource "aws_route53_zone" "internal" {
  name          = "internal.${local.p}.test"
  force_destroy = true
  tags          = { Name = "${local.p}-internal" }
}

resource "aws_route53_record" "internal" {
  for_each = { db = "10.10.10.5", cache = "10.10.10.6" }
  zone_id  = aws_route53_zone.internal.zone_id
  name     = "${each.key}.internal.${local.p}.test"
  type     = "A"
  ttl      = 300
  records  = [each.value]
}

# --- Cognito ------------------------------------------------------------------------------------

locals {
  users = {
    alice = "admins"
    bob   = "readers"
    carol = "readers"
  }
}

resource "aws_cognito_user_pool" "main" {
  name = "${local.p}-pool"
  tags = { Name = "${local.p}-pool" }
}

resource "aws_cognito_user_pool_domain" "main" {
  domain       = "${local.p}-auth"
  user_pool_id = aws_cognito_user_pool.main.id
}

resource "aws_cognito_user_pool_client" "c" {
  for_each                             = { argocd = "https://argocd.${local.app_zone}/auth/callback", kubeflow = "https://kubeflow.${local.app_zone}/oauth2/idpresponse" }
  name                                 = each.key
  user_pool_id                         = aws_cognito_user_pool.main.id
  generate_secret                      = true
  callback_urls                        = [each.value]
  allowed_oauth_flows                  = ["code"]
  allowed_oauth_scopes                 = ["openid", "email"]
  allowed_oauth_flows_user_pool_client = true
  supported_identity_providers         = ["COGNITO"]
}

resource "aws_cognito_user_group" "g" {
  for_each     = toset(["admins", "readers"])
  name         = each.key
  user_pool_id = aws_cognito_user_pool.main.id
}

resource "aws_cognito_user" "u" {
  for_each     = local.users
  user_pool_id = aws_cognito_user_pool.main.id
  username     = each.key
  attributes = {
    email = "${each.key}@${local.p}.test"
  }
}

resource "aws_cognito_user_in_group" "m" {
  for_each     = local.users
  user_pool_id = aws_cognito_user_pool.main.id
  group_name   = aws_cognito_user_group.g[each.value].name
  username     = aws_cognito_user.u[each.key].username
}

output "vpc_id" { value = aws_vpc.main.id }
output "app_zone_id" { value = aws_route53_zone.app.zone_id }
output "pool_id" { value = aws_cognito_user_pool.main.id }
