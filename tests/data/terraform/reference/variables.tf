# Root-module variables modelled on the reference architecture's main stack
# (infrastructure/terraform/variables.tf), with the same security defaults.

variable "environment" {
  description = "Environment name, e.g. dev or prod. No default: every deployment sets it."
  type        = string
}

variable "resource_prefix" {
  description = "Prefix for resource names."
  type        = string
}

variable "location" {
  description = "Azure region."
  type        = string
  default     = "westus3"
}

variable "instance" {
  type    = string
  default = "001"
}

variable "resource_tags" {
  # Not a literal default. Terraform itself rejects function calls here ("Function calls not
  # allowed"); readiness reports the variable as null instead of failing.
  description = "Tags for every resource."
  type        = map(string)
  default     = tomap({ project = "physical-ai-toolchain" })
}

variable "should_enable_private_aks_cluster" {
  description = "Private AKS API server."
  type        = bool
  default     = true
}

variable "should_enable_private_endpoint" {
  description = "Private endpoints and private DNS zones for the data services."
  type        = bool
  default     = true
}

variable "should_enable_public_network_access" {
  description = "Public network access for Key Vault, storage, ACR, Azure ML, PostgreSQL, Redis and monitoring."
  type        = bool
  default     = true
}

variable "should_enable_nat_gateway" {
  type    = bool
  default = true
}

variable "nat_gateway_zones" {
  type    = list(string)
  default = ["1"]
}

variable "should_enable_microsoft_defender" {
  type    = bool
  default = false
}

variable "should_enable_purge_protection" {
  description = "Key Vault purge protection; cannot be turned off once on."
  type        = bool
  default     = false
}

variable "should_enable_storage_shared_access_key" {
  type    = bool
  default = false
}

variable "should_add_current_user_key_vault_admin" {
  type    = bool
  default = true
}

variable "aml_managed_network_isolation_mode" {
  type    = string
  default = "AllowOnlyApprovedOutbound"

  validation {
    condition     = contains(["Disabled", "AllowInternetOutbound", "AllowOnlyApprovedOutbound"], var.aml_managed_network_isolation_mode)
    error_message = "Must be Disabled, AllowInternetOutbound or AllowOnlyApprovedOutbound."
  }
}

variable "should_enable_aml_diagnostic_logs" {
  type    = bool
  default = false
}

variable "should_deploy_ampls" {
  type    = bool
  default = true
}

variable "aml_compute_clusters" {
  description = "Azure ML compute clusters by name."
  type = map(object({
    vm_size                   = string
    max_nodes                 = optional(number, 1)
    node_public_ip_enabled    = optional(bool, false)
    ssh_public_access_enabled = optional(bool, false)
    identity_type             = optional(string, "UserAssigned")
  }))
  default = {}
}

variable "osmo_config" {
  type = object({
    should_enable_identity   = bool
    should_federate_identity = bool
    should_create_secret     = bool
    control_plane_namespace  = string
    operator_namespace       = string
    workflows_namespace      = string
  })
  default = {
    should_enable_identity   = true
    should_federate_identity = true
    should_create_secret     = true
    control_plane_namespace  = "osmo-control-plane"
    operator_namespace       = "osmo-operator"
    workflows_namespace      = "osmo-workflows"
  }
}

variable "virtual_network_config" {
  type = object({
    address_space           = string
    subnet_main             = string
    subnet_private_endpoint = string
    subnet_vm               = string
    subnet_resolver         = string
    subnet_aks              = string
    subnet_aks_pod          = string
  })
  default = {
    address_space           = "10.0.0.0/16"
    subnet_main             = "10.0.1.0/24"
    subnet_private_endpoint = "10.0.2.0/24"
    subnet_vm               = "10.0.4.0/24"
    subnet_resolver         = "10.0.9.0/28"
    subnet_aks              = "10.0.5.0/24"
    subnet_aks_pod          = "10.0.6.0/24"
  }
}
