//! The Terraform source: fixture root modules under tests/data/terraform become the
//! `terraform:variables` and `terraform:backend` documents, and the built-in checklist's
//! Terraform rules give the verdicts the seed inventory (section 5c) expects on them.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use readiness::checklist::{self, DocumentSource};
use readiness::sources::terraform::{TerraformError, backend_document, variables_document};
use serde_json::{Value, json};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/terraform")
        .join(name)
}

fn reference_vars(var_files: &[&str]) -> Value {
    let dir = fixture("reference");
    let files: Vec<PathBuf> = var_files.iter().map(|f| dir.join(f)).collect();
    variables_document(&dir, &files).expect("reference module loads")
}

/// Whether every check of `item` that reads `source` passes on `doc`.
fn terraform_checks_pass(item: &str, source: DocumentSource, doc: &Value) -> bool {
    let list = checklist::builtin().expect("built-in checklist loads");
    let item = list
        .item(item)
        .unwrap_or_else(|| panic!("built-in checklist has no item {item}"));
    let checks: Vec<_> = item.checks.iter().filter(|c| c.source == source).collect();
    assert!(!checks.is_empty(), "{} has no {source} check", item.id);
    checks.iter().all(|check| {
        check.expect.passes(doc).unwrap_or_else(|e| {
            panic!(
                "{}: rule `{}` fails to evaluate: {e}",
                item.id,
                check.expect.text()
            )
        })
    })
}

fn vars_pass(item: &str, doc: &Value) -> bool {
    terraform_checks_pass(item, DocumentSource::TerraformVariables, doc)
}

// ---- terraform:variables ----

#[test]
fn reference_defaults_match_the_inventory() {
    let doc = reference_vars(&[]);
    for (name, value) in [
        ("should_enable_private_aks_cluster", json!(true)),
        ("should_enable_private_endpoint", json!(true)),
        ("should_enable_public_network_access", json!(true)),
        ("should_enable_nat_gateway", json!(true)),
        ("should_enable_microsoft_defender", json!(false)),
        ("should_enable_purge_protection", json!(false)),
        ("should_enable_storage_shared_access_key", json!(false)),
        (
            "aml_managed_network_isolation_mode",
            json!("AllowOnlyApprovedOutbound"),
        ),
        ("should_enable_aml_diagnostic_logs", json!(false)),
        ("should_deploy_ampls", json!(true)),
        ("aml_compute_clusters", json!({})),
        ("nat_gateway_zones", json!(["1"])),
        ("instance", json!("001")),
    ] {
        assert_eq!(doc[name], value, "{name}");
    }
    assert_eq!(doc["osmo_config"]["should_enable_identity"], json!(true));
    assert_eq!(
        doc["osmo_config"]["workflows_namespace"],
        json!("osmo-workflows")
    );
    assert_eq!(
        doc["virtual_network_config"]["address_space"],
        json!("10.0.0.0/16")
    );
    assert_eq!(
        doc["virtual_network_config"]["subnet_resolver"],
        json!("10.0.9.0/28")
    );
    // A function-call default is present as null; variables without a default are absent.
    assert_eq!(doc.get("resource_tags"), Some(&Value::Null));
    assert_eq!(doc.get("environment"), None);
    assert_eq!(doc.get("resource_prefix"), None);
}

#[test]
fn dev_and_prod_var_files_override_defaults_and_the_later_wins() {
    let dev = reference_vars(&["dev.tfvars"]);
    assert_eq!(dev["environment"], json!("dev"));
    assert_eq!(dev["should_enable_private_endpoint"], json!(false));
    assert_eq!(dev["should_enable_private_aks_cluster"], json!(false));
    assert_eq!(dev["should_enable_public_network_access"], json!(true));
    assert_eq!(
        dev["aml_compute_clusters"]["gpu-dev"]["node_public_ip_enabled"],
        json!(true)
    );
    assert_eq!(
        dev["should_enable_nat_gateway"],
        json!(true),
        "untouched default"
    );

    let prod = reference_vars(&["prod.tfvars"]);
    assert_eq!(prod["environment"], json!("prod"));
    assert_eq!(prod["should_enable_public_network_access"], json!(false));
    assert_eq!(prod["should_enable_microsoft_defender"], json!(true));
    assert_eq!(prod["should_enable_purge_protection"], json!(true));

    let dev_then_prod = reference_vars(&["dev.tfvars", "prod.tfvars"]);
    assert_eq!(dev_then_prod["environment"], json!("prod"));
    assert_eq!(dev_then_prod["should_enable_private_endpoint"], json!(true));
    // Set only by dev: kept.
    assert_eq!(
        dev_then_prod["aml_compute_clusters"]["gpu-dev"]["vm_size"],
        json!("Standard_NC6s_v3")
    );

    let prod_then_dev = reference_vars(&["prod.tfvars", "dev.tfvars"]);
    assert_eq!(prod_then_dev["environment"], json!("dev"));
    assert_eq!(
        prod_then_dev["should_enable_private_endpoint"],
        json!(false)
    );
    assert_eq!(
        prod_then_dev["should_enable_purge_protection"],
        json!(true),
        "set only by prod"
    );
}

#[test]
fn tfvars_and_auto_tfvars_are_layered_like_terraform() {
    let dir = fixture("layered");
    let doc = variables_document(&dir, &[]).unwrap();
    assert_eq!(
        doc,
        json!({
            "from_default": "variables.tf",
            "from_tfvars": "terraform.tfvars",
            "from_tfvars_json": "terraform.tfvars.json",
            "from_auto": "10-network.auto.tfvars",
            "from_auto_json": "20-security.auto.tfvars.json",
            "from_var_file": "20-security.auto.tfvars.json",
            "not_declared": ["set", "anyway"],
        })
    );
    let doc = variables_document(&dir, &[dir.join("override.tfvars")]).unwrap();
    assert_eq!(doc["from_var_file"], json!("override.tfvars"));
}

#[test]
fn syntax_error_names_file_line_and_column() {
    let err = variables_document(&fixture("broken"), &[]).unwrap_err();
    assert!(
        matches!(err, TerraformError::Syntax { line: 8, .. }),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(text.contains("broken/main.tf:8:"), "{text}");
    let err = backend_document(&fixture("broken")).unwrap_err();
    assert!(err.to_string().contains("broken/main.tf:8:"), "{err}");
}

#[test]
fn missing_directory_and_var_file_are_errors_naming_the_path() {
    let missing = fixture("no-such-module");
    for err in [
        variables_document(&missing, &[]).unwrap_err(),
        backend_document(&missing).unwrap_err(),
    ] {
        assert!(matches!(err, TerraformError::DirMissing { .. }), "{err:?}");
        assert!(err.to_string().contains("no-such-module"), "{err}");
    }

    let not_dir = fixture("reference/variables.tf");
    let err = variables_document(&not_dir, &[]).unwrap_err();
    assert!(
        matches!(err, TerraformError::NotADirectory { .. }),
        "{err:?}"
    );

    let var_file = fixture("reference/staging.tfvars");
    let err = variables_document(&fixture("reference"), &[var_file]).unwrap_err();
    assert!(
        matches!(err, TerraformError::VarFileMissing { .. }),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("reference/staging.tfvars"),
        "{err}"
    );
}

// ---- terraform:backend ----

#[test]
fn reference_module_has_no_backend() {
    let doc = backend_document(&fixture("reference")).unwrap();
    assert_eq!(doc["backend"], Value::Null);
    assert_eq!(doc["local_state_present"], json!(false));
    assert_eq!(doc["initialized_backend"], Value::Null);
}

#[test]
fn with_backend_module_reports_the_azurerm_block_and_initialized_backend() {
    let doc = backend_document(&fixture("with-backend")).unwrap();
    assert_eq!(
        doc["backend"],
        json!({
            "type": "azurerm",
            "settings": {
                "resource_group_name": "rg-robotics-tfstate-001",
                "storage_account_name": "strobotics1tfstate",
                "container_name": "tfstate",
                "key": "robotics-prod.terraform.tfstate",
                "use_azuread_auth": true,
            }
        })
    );
    assert_eq!(doc["local_state_present"], json!(false));
    assert_eq!(doc["initialized_backend"], json!("azurerm"));
}

#[test]
fn stray_state_module_has_local_state_and_no_backend() {
    let doc = backend_document(&fixture("stray-state")).unwrap();
    assert_eq!(doc["backend"], Value::Null);
    assert_eq!(doc["local_state_present"], json!(true));
    assert_eq!(doc["initialized_backend"], Value::Null);
}

/// Runs git in `dir` for test setup; a missing git fails the test loudly.
fn git(dir: &Path, args: &[&str]) {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=readiness test",
            "-c",
            "user.email=test@example.invalid",
        ])
        .args([
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .output()
        .expect("this test needs `git` on PATH (it is installed here and in CI)");
    assert!(
        output.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn git_fields(dir: &Path) -> (Value, Value) {
    let doc = backend_document(dir).unwrap();
    (
        doc["state_gitignored"].clone(),
        doc["state_tracked"].clone(),
    )
}

#[test]
fn git_ignore_and_tracking_of_state_files() {
    let repo = tempfile::tempdir().unwrap();
    let outside = Command::new("git")
        .arg("-C")
        .arg(repo.path())
        .args(["rev-parse", "--is-inside-work-tree"])
        .output()
        .expect("this test needs `git` on PATH (it is installed here and in CI)");
    assert!(
        !outside.status.success(),
        "the temporary directory {} is already inside a git work tree; point TMPDIR elsewhere",
        repo.path().display()
    );
    // Not a git work tree at all: both false.
    fs::write(repo.path().join("main.tf"), "terraform {}\n").unwrap();
    assert_eq!(git_fields(repo.path()), (json!(false), json!(false)));

    git(repo.path(), &["init", "-q"]);
    // A negation beats any global excludes file, so this is "not ignored" on every machine.
    fs::write(repo.path().join(".gitignore"), "!*.tfstate\n").unwrap();
    assert_eq!(git_fields(repo.path()), (json!(false), json!(false)));

    fs::write(repo.path().join(".gitignore"), "*.tfstate\n*.tfstate.*\n").unwrap();
    git(repo.path(), &["add", ".gitignore", "main.tf"]);
    git(repo.path(), &["commit", "-q", "-m", "module"]);
    assert_eq!(git_fields(repo.path()), (json!(true), json!(false)));

    // A backup state forced into the index is tracked even though the pattern ignores it.
    fs::write(repo.path().join("terraform.tfstate.backup"), "{}\n").unwrap();
    git(repo.path(), &["add", "-f", "terraform.tfstate.backup"]);
    assert_eq!(git_fields(repo.path()), (json!(true), json!(true)));

    // The module in a subdirectory: the fields are about that directory.
    let sub = repo.path().join("infra");
    fs::create_dir(&sub).unwrap();
    fs::write(sub.join("main.tf"), "terraform {}\n").unwrap();
    assert_eq!(git_fields(&sub), (json!(true), json!(false)));
    fs::write(sub.join("terraform.tfstate"), "{}\n").unwrap();
    git(repo.path(), &["add", "-f", "infra/terraform.tfstate"]);
    assert_eq!(git_fields(&sub), (json!(true), json!(true)));
}

// ---- the built-in checklist's Terraform rules (inventory 5c) ----

#[test]
fn checklist_verdicts_on_reference_defaults() {
    let doc = reference_vars(&[]);
    for id in [
        "net.public-access-disabled",
        "cmp.defender-for-containers",
        "sec.kv-purge-protection",
    ] {
        assert!(!vars_pass(id, &doc), "{id} should fail on the defaults");
    }
    for id in [
        "net.private-api-server",
        "net.nat-egress",
        "sec.storage-shared-key",
        "net.topology-mode",
        "net.private-endpoints",
    ] {
        assert!(vars_pass(id, &doc), "{id} should pass on the defaults");
    }
}

#[test]
fn checklist_verdicts_with_prod_tfvars() {
    let doc = reference_vars(&["prod.tfvars"]);
    for id in [
        "net.public-access-disabled",
        "cmp.defender-for-containers",
        "sec.kv-purge-protection",
        "net.private-api-server",
        "net.topology-mode",
    ] {
        assert!(vars_pass(id, &doc), "{id} should pass with prod.tfvars");
    }
}

#[test]
fn checklist_verdicts_with_dev_tfvars() {
    let doc = reference_vars(&["dev.tfvars"]);
    for id in [
        "net.private-api-server",
        "net.topology-mode",
        "net.private-endpoints",
    ] {
        assert!(!vars_pass(id, &doc), "{id} should fail with dev.tfvars");
    }
    // The dev compute cluster has a public node IP; the reference defaults have no clusters.
    let clusters = |doc: &Value| {
        let list = checklist::builtin().unwrap();
        let check = list
            .item("iac.review-tfvars")
            .unwrap()
            .checks
            .iter()
            .find(|c| c.expect.text().contains("aml_compute_clusters"))
            .expect("iac.review-tfvars has a compute-cluster check")
            .expect
            .clone();
        check.passes(doc).unwrap()
    };
    assert!(!clusters(&doc));
    assert!(clusters(&reference_vars(&[])));
}

#[test]
fn checklist_remote_state_backend_verdicts() {
    let backend = |name: &str| {
        let doc = backend_document(&fixture(name)).unwrap();
        terraform_checks_pass(
            "iac.remote-state-backend",
            DocumentSource::TerraformBackend,
            &doc,
        )
    };
    assert!(!backend("reference"), "no backend block");
    assert!(
        !backend("stray-state"),
        "no backend block and a local terraform.tfstate"
    );
    assert!(backend("with-backend"), "azurerm backend, no local state");
}

/// Where SARIF points for a Terraform check: the file and line that set the effective value,
/// in the precedence `variables_document` applies.
#[test]
fn locate_names_the_file_and_line_that_set_the_effective_value() {
    use readiness::sources::terraform::locate;
    let dir = fixture("layered");
    let var_file = dir.join("override.tfvars");
    let at = |name: &str, var_files: &[PathBuf]| {
        let (file, line) =
            locate(&dir, var_files, DocumentSource::TerraformVariables, &[name]).unwrap();
        (
            file.file_name().unwrap().to_string_lossy().into_owned(),
            line,
        )
    };
    assert_eq!(at("from_default", &[]), ("variables.tf".into(), Some(2)));
    assert_eq!(at("from_tfvars", &[]), ("terraform.tfvars".into(), Some(1)));
    assert_eq!(
        at("from_tfvars_json", &[]),
        ("terraform.tfvars.json".into(), Some(2))
    );
    assert_eq!(
        at("from_auto", &[]),
        ("10-network.auto.tfvars".into(), Some(1))
    );
    assert_eq!(
        at("from_auto_json", &[]),
        ("20-security.auto.tfvars.json".into(), Some(2))
    );
    assert_eq!(
        at("from_var_file", std::slice::from_ref(&var_file)),
        ("override.tfvars".into(), Some(1))
    );
    // Never declared nor set: the module's first file, without a line.
    assert_eq!(at("nowhere", &[]), ("variables.tf".into(), None));

    // The backend block; without one, the first file without a line.
    let (file, line) = locate(
        &fixture("with-backend"),
        &[],
        DocumentSource::TerraformBackend,
        &[],
    )
    .unwrap();
    assert_eq!(file.file_name().unwrap(), "versions.tf");
    assert_eq!(line, Some(11));
    let (file, line) = locate(
        &fixture("reference"),
        &[],
        DocumentSource::TerraformBackend,
        &[],
    )
    .unwrap();
    assert_eq!(
        (file.file_name().unwrap().to_str(), line),
        (Some("main.tf"), None)
    );
}
