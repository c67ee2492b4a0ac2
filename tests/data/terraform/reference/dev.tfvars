# Dev / evaluation: Full Public mode. Not loaded automatically (not *.auto.tfvars).
environment     = "dev"
resource_prefix = "robotics"

should_enable_private_endpoint      = false
should_enable_private_aks_cluster   = false
should_enable_public_network_access = true
should_enable_microsoft_defender    = false

aml_compute_clusters = {
  gpu-dev = {
    vm_size                = "Standard_NC6s_v3"
    node_public_ip_enabled = true
  }
}
