//! Benchmarks of the core (see docs/performance.md). Filled in by the hardening work.
fn main() {
    divan::main();
}

#[divan::bench]
fn load_builtin_checklist() -> readiness::checklist::Checklist {
    readiness::checklist::builtin().expect("valid")
}
