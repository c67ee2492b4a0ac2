# No backend block: Terraform keeps state in a local terraform.tfstate.
terraform {
  required_version = ">= 1.9.8, < 2.0"

  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = ">= 4.51.0, < 5.0.0"
    }
    azuread = {
      source  = "hashicorp/azuread"
      version = ">= 3.0.2"
    }
    azapi = {
      source  = "azure/azapi"
      version = ">= 2.3.0"
    }
  }
}

provider "azurerm" {
  features {}
  storage_use_azuread = true
}
