variable "name" {
  type        = string
  description = "Cluster name: names the VPC and tags the subnets for the cluster"
}

variable "cidr" {
  type        = string
  description = "CIDR block of the VPC"
  default     = "10.0.0.0/16"
}

variable "availability_zones" {
  type        = list(string)
  description = "Availability zones: one public and one private subnet in each"
}

variable "single_nat_gateway" {
  type        = bool
  description = "One NAT gateway for all private subnets (false: one per availability zone)"
  default     = true
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource"
  default     = {}
}
