variable "domains" {
  type        = list(string)
  description = "Domains served by the cluster: one hosted zone each"
}

variable "mainzoneid" {
  type        = string
  description = "ID of the parent Route53 zone that delegates to the domains' zones"
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every zone"
  default     = {}
}
