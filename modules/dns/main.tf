# A Route53 hosted zone per domain, delegated from the parent zone (mainzoneid) by NS records.

resource "aws_route53_zone" "this" {
  for_each      = toset(var.domains)
  name          = each.key
  force_destroy = true
  tags          = var.tags
}

resource "aws_route53_record" "delegation" {
  for_each = aws_route53_zone.this
  zone_id  = var.mainzoneid
  name     = each.key
  type     = "NS"
  ttl      = 300
  records  = each.value.name_servers
}
