output "zone_ids" {
  description = "Hosted zone ID per domain"
  value       = { for d, z in aws_route53_zone.this : d => z.zone_id }
}

output "zone_arns" {
  description = "Hosted zone ARNs (for the external-dns and cert-manager policies)"
  value       = [for z in aws_route53_zone.this : z.arn]
}

output "name_servers" {
  description = "Name servers per domain"
  value       = { for d, z in aws_route53_zone.this : d => z.name_servers }
}
