variable "should_enable_private_endpoint" {
  type    = bool
  default = true
}

variable "should_enable_public_network_access" {
  type    = bool
  default = = false
}
