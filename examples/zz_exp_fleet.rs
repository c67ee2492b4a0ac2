use std::sync::Arc;
use jmespath::{Variable, Rcvar, Runtime, Context};
use jmespath::functions::{ArgumentType, CustomFunction, Signature};
use serde::Deserialize;
use readiness::checklist::{self, DocumentSource};
fn main() {
    let c = checklist::builtin().unwrap();
    let mut rt = Runtime::new(); rt.register_builtin_functions();
    rt.register_function("lower", Box::new(CustomFunction::new(Signature::new(vec![ArgumentType::Any], None), Box::new(|args: &[Rcvar], _ctx: &mut Context<'_>| Ok(match args[0].as_string() { Some(s) => Arc::new(Variable::String(s.to_lowercase())), None => Arc::new(Variable::Null)})))));
    let asts: Vec<(DocumentSource, String, jmespath::ast::Ast)> = c.items.iter().flat_map(|i| i.checks.iter()).map(|ch| (ch.source, ch.expect.text().to_string(), jmespath::parse(ch.expect.text()).unwrap())).collect();
    let text = std::fs::read_to_string("tests/data/arm/hardened/managed-cluster.json").unwrap();
    let kvt = std::fs::read_to_string("tests/data/arm/hardened/key-vault.json").unwrap();
    let acrt = std::fs::read_to_string("tests/data/arm/hardened/registry.json").unwrap();
    let t = std::time::Instant::now();
    let mut p = 0;
    for _ in 0..5000 {
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let kv: serde_json::Value = serde_json::from_str(&kvt).unwrap();
        let acr: serde_json::Value = serde_json::from_str(&acrt).unwrap();
        let parse = t.elapsed();
        let _ = parse;
        let docs = [ (DocumentSource::ArmAks, Arc::new(Variable::deserialize(v).unwrap())), (DocumentSource::ArmKeyVault, Arc::new(Variable::deserialize(kv).unwrap())), (DocumentSource::ArmRegistry, Arc::new(Variable::deserialize(acr).unwrap()))];
        for (src, txt, ast) in &asts {
            if let Some((_, d)) = docs.iter().find(|(s, _)| s == src) {
                let mut ctx = Context::new(txt, &rt);
                let r = jmespath::interpret(d, ast, &mut ctx).unwrap();
                if *r == Variable::Bool(true) { p += 1; }
            }
        }
    }
    println!("{p} fast {:?}", t.elapsed());
    let t = std::time::Instant::now();
    for _ in 0..5000 { let _v: serde_json::Value = serde_json::from_str(&text).unwrap(); let _v: serde_json::Value = serde_json::from_str(&kvt).unwrap(); let _v: serde_json::Value = serde_json::from_str(&acrt).unwrap();}
    println!("parse only {:?} ({} bytes)", t.elapsed(), text.len()+kvt.len()+acrt.len());
}
