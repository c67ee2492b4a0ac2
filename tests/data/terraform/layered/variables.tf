variable "from_default" {
  default = "variables.tf"
}

variable "from_tfvars" {
  default = "variables.tf"
}

variable "from_tfvars_json" {
  default = "variables.tf"
}

variable "from_auto" {
  default = "variables.tf"
}

variable "from_auto_json" {
  default = "variables.tf"
}

variable "from_var_file" {
  default = "variables.tf"
}
