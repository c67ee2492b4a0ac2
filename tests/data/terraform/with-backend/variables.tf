variable "should_enable_public_network_access" {
  type    = bool
  default = false
}
