terraform {
  required_version = ">= 1.9.8, < 2.0"
}

variable "should_enable_private_endpoint" {
  type    = bool
  default = true
}
