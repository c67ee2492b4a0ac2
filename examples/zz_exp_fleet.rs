use std::collections::BTreeMap;
use readiness::checklist::{self, DocumentSource};
use readiness::engine::{self, SourceDocuments};
use readiness::sources::azure::documents::Gathered;
fn main() {
    let c = checklist::builtin().unwrap();
    let aks: serde_json::Value = serde_json::from_str(&std::fs::read_to_string("tests/data/arm/hardened/managed-cluster.json").unwrap()).unwrap();
    let kv: serde_json::Value = serde_json::from_str(&std::fs::read_to_string("tests/data/arm/hardened/key-vault.json").unwrap()).unwrap();
    let acr: serde_json::Value = serde_json::from_str(&std::fs::read_to_string("tests/data/arm/hardened/registry.json").unwrap()).unwrap();
    let t = std::time::Instant::now();
    let mut n = 0;
    for _ in 0..5000 {
        let mut m = BTreeMap::new();
        m.insert(DocumentSource::ArmAks, SourceDocuments::Gathered(vec![Gathered{resource: "x".into(), outcome: Ok(aks.clone())}]));
        m.insert(DocumentSource::ArmKeyVault, SourceDocuments::Gathered(vec![Gathered{resource: "x".into(), outcome: Ok(kv.clone())}]));
        m.insert(DocumentSource::ArmRegistry, SourceDocuments::Gathered(vec![Gathered{resource: "x".into(), outcome: Ok(acr.clone())}]));
        let r = engine::evaluate(&c, &m);
        n += r.len();
    }
    println!("{n} {:?}", t.elapsed());
    let t = std::time::Instant::now();
    let mut p = 0;
    for _ in 0..5000 {
        for item in &c.items { for ch in &item.checks { if ch.source == DocumentSource::ArmAks { if ch.expect.passes(&aks).unwrap() { p+=1; } } } }
    }
    println!("{p} expect-only aks {:?}", t.elapsed());
}
