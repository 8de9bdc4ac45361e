//! `sakk fmt`: Terraform's canonical formatting.
