locals {
  name_suffix = "${var.resource_prefix}-${var.environment}-${var.instance}"
  pe_enabled  = var.should_enable_private_endpoint
}

module "platform" {
  source = "./modules/platform"

  name_suffix                         = local.name_suffix
  location                            = var.location
  should_enable_private_endpoint      = local.pe_enabled
  should_enable_public_network_access = var.should_enable_public_network_access
  should_enable_purge_protection      = var.should_enable_purge_protection
  virtual_network_config              = var.virtual_network_config
  aml_compute_clusters                = var.aml_compute_clusters
}

module "sil" {
  source = "./modules/sil"

  name_suffix                       = local.name_suffix
  should_enable_private_aks_cluster = var.should_enable_private_aks_cluster
  should_enable_microsoft_defender  = var.should_enable_microsoft_defender
  subnet_id                         = module.platform.aks_subnet_id
}
