from_auto      = "10-network.auto.tfvars"
from_auto_json = "10-network.auto.tfvars"
from_var_file  = "10-network.auto.tfvars"
not_declared   = ["set", "anyway"]
