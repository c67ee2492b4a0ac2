# Production: hardened per the deployment security guide.
environment     = "prod"
resource_prefix = "robotics"

should_enable_private_endpoint          = true
should_enable_private_aks_cluster       = true
should_enable_public_network_access     = false
should_enable_microsoft_defender        = true
should_enable_purge_protection          = true
should_add_current_user_key_vault_admin = true
