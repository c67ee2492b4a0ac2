terraform {
  required_version = ">= 1.9.8, < 2.0"

  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = ">= 4.51.0, < 5.0.0"
    }
  }

  backend "azurerm" {
    resource_group_name  = "rg-robotics-tfstate-001"
    storage_account_name = "strobotics1tfstate"
    container_name       = "tfstate"
    key                  = "robotics-prod.terraform.tfstate"
    use_azuread_auth     = true
  }
}
