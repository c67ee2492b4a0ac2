//! The resource kinds a fleet run queries, with their ARM type and Resource Graph query.

/// The resource kinds the fleet queries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Clusters,
    Vaults,
    Registries,
    Identities,
}

impl Kind {
    /// The ARM type, lower case as Resource Graph stores it.
    pub fn resource_type(self) -> &'static str {
        match self {
            Kind::Clusters => "microsoft.containerservice/managedclusters",
            Kind::Vaults => "microsoft.keyvault/vaults",
            Kind::Registries => "microsoft.containerregistry/registries",
            Kind::Identities => "microsoft.managedidentity/userassignedidentities",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Kind::Clusters => "AKS clusters",
            Kind::Vaults => "key vaults",
            Kind::Registries => "container registries",
            Kind::Identities => "user-assigned identities",
        }
    }

    /// The KQL. Rows keep the ARM shape (`identity`, `sku`, `properties` as a GET returns
    /// them) so the checklist's rules apply unchanged; `order by id` keeps paging stable.
    pub fn query(self) -> String {
        let columns = match self {
            Kind::Identities => "id, name, type, subscriptionId, resourceGroup",
            _ => {
                "id, name, type, location, subscriptionId, resourceGroup, identity, sku, properties"
            }
        };
        format!(
            "Resources\n| where type =~ '{}'\n| project {columns}\n| order by id asc",
            self.resource_type()
        )
    }
}
