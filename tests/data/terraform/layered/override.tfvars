from_var_file = "override.tfvars"
