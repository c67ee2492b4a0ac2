//! Benchmarks of the core (see docs/performance.md, "Core"): checklist load and validation,
//! rule evaluation per document, attestation rendering, sign-off save.
//!
//! `cargo bench --bench core`

use std::sync::LazyLock;

use divan::Bencher;
use readiness::checklist::{Checklist, DocumentSource};
use readiness::signoff::{Answer, ChecklistRef, SignOff, Status};

fn main() {
    divan::main();
}

const NOW: &str = "2026-11-27T10:00:00Z";

/// A checklist of `n` items in the built-in format, every third with an automatic check.
fn generated_checklist_text(n: usize) -> String {
    let phases = [
        "before-deployment",
        "during-operation",
        "ongoing-maintenance",
    ];
    let mut text = String::from(
        "schema_version = 1\nid = \"generated\"\ntitle = \"Generated\"\nversion = \"1\"\n\n",
    );
    for i in 0..n {
        text.push_str(&format!(
            "[[items]]\nid = \"item.{i:05}\"\nphase = \"{}\"\ncategory = \"network\"\ntitle = \"Item {i} is hardened\"\nguidance = \"\"\"What to do for item {i}. Why it matters. How to check it by hand.\"\"\"\nseverity = \"high\"\nsources = [\"guide:row {i}\"]\n\n[[items.references]]\ntitle = \"Reference {i}\"\nurl = \"https://learn.microsoft.com/azure/aks/item-{i}\"\n\n",
            phases[i % 3]
        ));
        if i % 3 == 0 {
            text.push_str("[[items.checks]]\nsource = \"arm:aks\"\nexpect = \"properties.apiServerAccessProfile.enablePrivateCluster == `true`\"\nobserve = \"{enablePrivateCluster: properties.apiServerAccessProfile.enablePrivateCluster}\"\nexplain = \"The API server is public.\"\n\n");
        }
    }
    text
}

static TEXT_10K: LazyLock<String> = LazyLock::new(|| generated_checklist_text(10_000));

#[divan::bench]
fn load_builtin_checklist() -> Checklist {
    readiness::checklist::builtin().expect("valid")
}

#[divan::bench(sample_count = 20)]
fn load_checklist_10k_items() -> Checklist {
    readiness::checklist::load_str("generated.toml", &TEXT_10K).expect("valid")
}

/// Every rule (expect and observe) of the built-in checklist that reads `arm:aks`, over the
/// hardened test cluster (a real `managedClusters` GET, 208 lines): what the engine does
/// with one cluster document.
#[divan::bench]
fn evaluate_rules_on_cluster_document(bencher: Bencher) {
    let checklist = readiness::checklist::builtin().expect("valid");
    let document: serde_json::Value = serde_json::from_str(include_str!(
        "../tests/data/arm/hardened/managed-cluster.json"
    ))
    .expect("fixture");
    let checks: Vec<_> = checklist
        .items
        .iter()
        .flat_map(|i| i.checks.iter())
        .filter(|c| c.source == DocumentSource::ArmAks)
        .cloned()
        .collect();
    assert!(checks.len() >= 15, "{} checks", checks.len());
    bencher.bench_local(|| {
        let mut passed = 0;
        for check in &checks {
            passed += usize::from(check.expect.passes(&document) == Ok(true));
            if let Some(observe) = &check.observe {
                divan::black_box(observe.evaluate(&document).ok());
            }
        }
        passed
    });
}

/// A checklist of `n` items with every item answered (a note, two links, a risk acceptance
/// every fifth), and the sign-off's text.
fn answered(n: usize) -> (Checklist, String, SignOff) {
    let checklist = if n == 68 {
        readiness::checklist::builtin().expect("valid")
    } else {
        readiness::checklist::load_str("generated.toml", &generated_checklist_text(n))
            .expect("valid")
    };
    let now = NOW.parse().expect("time");
    let mut signoff = SignOff {
        checklist: ChecklistRef {
            id: checklist.id.clone(),
            version: checklist.version.clone(),
            sha256: checklist.sha256.clone(),
        },
        ..SignOff::default()
    };
    for (i, item) in checklist.items.iter().enumerate() {
        let risk = i % 5 == 4;
        signoff.items.insert(
            item.id.clone(),
            Answer {
                status: if risk {
                    Status::RiskAccepted
                } else {
                    Status::Pass
                },
                note: format!("Checked in the portal; see PR {i} | `config` <reviewed>"),
                evidence: vec![
                    format!("https://dev.azure.com/contoso/robotics/_git/infra/pullrequest/{i}"),
                    "docs/evidence/scan_1.sarif".to_string(),
                ],
                answered_by: "dana".to_string(),
                answered_at: now,
                justification: risk.then(|| "vendor fix ships next quarter".to_string()),
                expires: risk.then(|| jiff::civil::date(2027, 2, 26)),
                item_sha256: Some(item.content_sha256().to_string()),
                override_reason: None,
            },
        );
    }
    let text = readiness::signoff::render(None, &signoff);
    (checklist, text, signoff)
}

/// Context building and rendering with the built-in template (what `attest` does after
/// loading).
#[divan::bench(args = [10, 10_000], sample_count = 20)]
fn render_attestation(bencher: Bencher, items: usize) {
    let (checklist, text, signoff) = answered(items);
    let now = NOW.parse().expect("time");
    bencher.bench_local(|| {
        readiness::attest::attest(&checklist, &text, &signoff, now, None, None).expect("renders")
    });
}

/// Rendering the sign-off over its previous text and writing it atomically (temporary file,
/// fsync, rename, fsync of the directory): one confirmed answer. 68 items is the built-in
/// checklist fully answered.
#[divan::bench(args = [68, 10_000], sample_count = 20)]
fn save_signoff(bencher: Bencher, items: usize) {
    let (_, text, signoff) = answered(items);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("readiness-signoff.toml");
    std::fs::write(&path, &text).expect("write");
    bencher.bench_local(|| {
        readiness::signoff::store::save(&path, Some(&text), &signoff).expect("saves")
    });
}
