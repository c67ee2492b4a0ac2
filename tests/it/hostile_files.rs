//! Hostile files (issue 16): FIFOs, devices and `/dev/zero` where a file is read; devices,
//! FIFOs, symlinks and sign-offs where one is written; a target name that forges calendar
//! entries; cluster names that collide once sanitised, and symlinks out of `fleet --output`.
//!
//! Every run that could hang without its guard has a deadline: the child is killed after it
//! and the test fails on the missing exit code instead of waiting forever.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use common::fake_arg::{ArgOptions, FakeArg, cluster_row, registry_row, template, vault_row};
use serde_json::Value;

const DEADLINE: Duration = Duration::from_secs(20);

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs `cmd`, killing it at [`DEADLINE`]; fails the test if it had to.
fn run(mut cmd: assert_cmd::Command, what: &str) -> Output {
    let started = Instant::now();
    let out = cmd.timeout(DEADLINE).output().expect("runs");
    assert!(
        out.status.code().is_some() && started.elapsed() < DEADLINE,
        "{what}: killed at the deadline (it hung); stderr: {}",
        stderr(&out)
    );
    out
}

fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
}

fn symlink(target: impl AsRef<Path>, link: &Path) {
    std::os::unix::fs::symlink(target, link).unwrap();
}

/// A scratch directory with a small sign-off (`readiness-signoff.toml`, one answer) and a
/// copy of it (`old.toml`).
fn answered() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = common::small(dir.path())
        .args(["answer", "net.private", "--status", "pass", "--note", "n"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    std::fs::copy(
        dir.path().join("readiness-signoff.toml"),
        dir.path().join("old.toml"),
    )
    .unwrap();
    write_attestation(dir.path());
    dir
}

/// `attest -o attestation.md` succeeds (replacing an earlier one).
fn write_attestation(dir: &Path) {
    let out = common::small(dir)
        .args(["attest", "-o", "attestation.md"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// Every file the tool reads, given as a FIFO, as `/dev/zero` through a symlink, and as
/// `/dev/null`: refused at once with exit 2 and a message naming the file.
#[test]
fn fifos_and_devices_given_as_input_files_are_refused_naming_them() {
    let dir = answered();
    let d = dir.path();
    mkfifo(&d.join("fifo"));
    symlink("/dev/zero", &d.join("zero"));
    type Args = fn(&str) -> Vec<String>;
    let commands: Vec<(&str, Args)> = vec![
        ("--signoff", |f| s(&["--signoff", f, "status"])),
        ("--checklist", |f| s(&["--checklist", f, "status"])),
        ("checklist validate", |f| s(&["checklist", "validate", f])),
        ("attest --template", |f| s(&["attest", "--template", f])),
        ("attest --previous", |f| s(&["attest", "--previous", f])),
        ("diff OLD", |f| s(&["diff", f, "readiness-signoff.toml"])),
        ("diff NEW", |f| s(&["diff", "old.toml", f])),
        ("verify --attestation", |f| {
            s(&["verify", "--attestation", f])
        }),
        ("sign --key", |f| {
            s(&[
                "sign",
                "--name",
                "n",
                "--role",
                "r",
                "--key",
                f,
                "--principal",
                "a@b",
            ])
        }),
        ("approve --key", |f| {
            s(&["approve", "--key", f, "--principal", "a@b"])
        }),
        ("verify --signers", |f| s(&["verify", "--signers", f])),
    ];
    for (what, args) in commands {
        for (file, kind) in [
            ("fifo", "a FIFO (named pipe), not a regular file"),
            ("zero", "a character device, not a regular file"),
            ("/dev/null", "a character device, not a regular file"),
        ] {
            // `--checklist FILE` in place of the small checklist; the rest use it.
            let mut cmd = match what {
                "--checklist" => common::readiness(d),
                _ => common::small(d),
            };
            cmd.args(args(file));
            let out = run(cmd, &format!("{what} {file}"));
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(2), "{what} {file}: {err}");
            assert!(err.contains(file), "{what} {file}: not named: {err}");
            // A sign-off may not be a symlink at all (it is saved by replacing it).
            let symlink_refused = file == "zero" && err.contains("zero is a symbolic link");
            assert!(
                err.contains(kind) || symlink_refused,
                "{what} {file}: {err}"
            );
        }
    }
    // Nothing replaced them.
    use std::os::unix::fs::FileTypeExt;
    assert!(
        std::fs::symlink_metadata(d.join("fifo"))
            .unwrap()
            .file_type()
            .is_fifo()
    );
}

fn s(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| a.to_string()).collect()
}

/// `check --evidence-dir` with `aks.json` a symlink to `/dev/zero` and `key-vault.json` a
/// FIFO: the checks that needed them are errors naming the file, the others still judged,
/// and all of it well within `--timeout`.
#[test]
fn evidence_that_is_dev_zero_or_a_fifo_makes_its_checks_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let evidence = dir.path().join("evidence");
    std::fs::create_dir(&evidence).unwrap();
    for entry in std::fs::read_dir(common::data("evidence/hardened")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), evidence.join(entry.file_name())).unwrap();
    }
    std::fs::remove_file(evidence.join("aks.json")).unwrap();
    symlink("/dev/zero", &evidence.join("aks.json"));
    std::fs::remove_file(evidence.join("key-vault.json")).unwrap();
    mkfifo(&evidence.join("key-vault.json"));
    let mut cmd = common::readiness(dir.path());
    cmd.args([
        "check",
        "--format",
        "json",
        "--timeout",
        "10",
        "--evidence-dir",
    ])
    .arg(&evidence);
    let out = run(cmd, "check --evidence-dir");
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let checks: Vec<&Value> = json["items"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|i| i["checks"].as_array().unwrap())
        .collect();
    for (source, file, kind) in [
        ("arm:aks", "aks.json", "a character device"),
        ("arm:key-vault", "key-vault.json", "a FIFO (named pipe)"),
        // The issuer these are judged against is read from aks.json.
        (
            "arm:identities/federated-credentials",
            "aks.json",
            "a character device",
        ),
    ] {
        let of: Vec<&&Value> = checks.iter().filter(|c| c["source"] == source).collect();
        assert!(!of.is_empty(), "no {source} checks");
        for c in of {
            assert_eq!(c["status"], "error", "{c}");
            let cause = c["cause"].as_str().unwrap_or_default();
            assert!(
                cause.contains(&evidence.join(file).display().to_string()) && cause.contains(kind),
                "{source}: {cause}"
            );
        }
    }
    let registry: Vec<&&Value> = checks
        .iter()
        .filter(|c| c["source"] == "arm:registry")
        .collect();
    assert!(
        registry.iter().all(|c| c["status"] == "pass"),
        "{registry:?}"
    );
}

/// A Terraform var file that is a FIFO is refused, naming it, instead of blocking.
#[test]
fn a_terraform_var_file_that_is_a_fifo_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let tf = dir.path().join("tf");
    std::fs::create_dir(&tf).unwrap();
    std::fs::write(tf.join("main.tf"), "variable \"x\" {\n  default = 1\n}\n").unwrap();
    mkfifo(&dir.path().join("vars.tfvars"));
    let mut cmd = common::readiness(dir.path());
    cmd.args(["check", "--format", "json", "--terraform-dir"])
        .arg(&tf)
        .args(["--var-file", "vars.tfvars"]);
    let out = run(cmd, "check --var-file FIFO");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("vars.tfvars: it is a FIFO (named pipe), not a regular file"),
        "{err}"
    );
}

/// Which kinds of not-regular-file stand at `-o`, made in `dir`; the character device only
/// where `mknod` is allowed (as root), else a note says it was skipped.
fn special_outputs(dir: &Path) -> Vec<(PathBuf, &'static str)> {
    let mut made = Vec::new();
    let fifo = dir.join("out.fifo");
    mkfifo(&fifo);
    made.push((fifo, "a FIFO (named pipe)"));
    let stdout_link = dir.join("out.fd1");
    symlink("/proc/self/fd/1", &stdout_link);
    made.push((stdout_link, "a symbolic link"));
    let null_link = dir.join("out.null");
    symlink("/dev/null", &null_link);
    made.push((null_link, "a symbolic link"));
    let subdir = dir.join("out.dir");
    std::fs::create_dir(&subdir).unwrap();
    made.push((subdir, "a directory"));
    let device = dir.join("out.dev");
    let c = std::ffi::CString::new(device.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid path; (1, 3) is /dev/null's device number.
    if unsafe { libc::mknod(c.as_ptr(), libc::S_IFCHR | 0o666, libc::makedev(1, 3)) } == 0 {
        made.push((device, "a character device"));
    } else {
        eprintln!("note: mknod is not permitted here; the character-device case is skipped");
    }
    made
}

fn file_type(path: &Path) -> std::fs::FileType {
    std::fs::symlink_metadata(path).unwrap().file_type()
}

/// `attest -o` and `status -o` replace only regular files: a FIFO, a device, a symlink (to
/// standard output or to /dev/null) or a directory is refused with exit 2 and left as it was.
#[test]
fn outputs_refuse_devices_fifos_symlinks_and_directories() {
    let dir = answered();
    let d = dir.path();
    for (path, kind) in special_outputs(d) {
        let before = file_type(&path);
        for (command, what) in [
            ("attest", "the attestation"),
            ("status", "the status report"),
        ] {
            let mut cmd = common::small(d);
            cmd.args([command, "-o"]).arg(&path);
            let out = run(cmd, &format!("{command} -o {}", path.display()));
            let err = stderr(&out);
            assert_eq!(
                out.status.code(),
                Some(2),
                "{command} {}: {err}",
                path.display()
            );
            assert!(
                err.contains(&format!(
                    "{} is {kind}; readiness writes {what} only to a regular file",
                    path.display()
                )),
                "{command}: {err}"
            );
            assert!(out.stdout.is_empty(), "{command}: wrote to standard output");
            assert_eq!(file_type(&path), before, "{} was replaced", path.display());
        }
    }
}

/// `-o -` is standard output (the same bytes as without `-o`); no file named `-` appears.
#[test]
fn dash_as_output_is_standard_output() {
    let dir = answered();
    let d = dir.path();
    for command in ["attest", "status"] {
        let plain = common::small(d).arg(command).output().unwrap();
        let dash = common::small(d)
            .args([command, "-o", "-"])
            .output()
            .unwrap();
        assert_eq!(dash.status.code(), Some(0), "{}", stderr(&dash));
        assert_eq!(dash.stdout, plain.stdout, "{command}");
        assert!(!dash.stdout.is_empty());
        assert!(!d.join("-").exists(), "{command} wrote a file named -");
    }
}

/// `attest -o readiness-signoff.toml` (or a checklist) is refused, and the file is unchanged;
/// an earlier attestation is still replaced.
#[test]
fn outputs_never_overwrite_a_signoff_or_a_checklist() {
    let dir = answered();
    let d = dir.path();
    std::fs::copy(common::small_checklist(), d.join("checklist.toml")).unwrap();
    // A sign-off with a mistake in it is still a sign-off.
    let broken = std::fs::read_to_string(d.join("old.toml")).unwrap() + "\nunknown_key = 1\n";
    std::fs::write(d.join("broken.toml"), &broken).unwrap();
    for (file, kind) in [
        ("readiness-signoff.toml", "a sign-off"),
        ("broken.toml", "a sign-off"),
        ("checklist.toml", "a checklist"),
    ] {
        let before = std::fs::read(d.join(file)).unwrap();
        for (command, what) in [
            ("attest", "the attestation"),
            ("status", "the status report"),
        ] {
            let out = common::small(d)
                .args([command, "-o", file])
                .output()
                .unwrap();
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(2), "{command} -o {file}: {err}");
            assert!(
                err.contains(&format!(
                    "{file} is {kind}; refusing to overwrite it with {what}"
                )),
                "{err}"
            );
            assert_eq!(
                std::fs::read(d.join(file)).unwrap(),
                before,
                "{file} changed"
            );
        }
    }
    write_attestation(d);
}

/// A target name carrying `\r\nBEGIN:VEVENT\r\n…` stays inside the calendar's NAME: exactly
/// one VEVENT per due review, and no CR that does not end a line.
#[test]
fn a_target_name_cannot_forge_calendar_entries() {
    let dir = answered();
    let d = dir.path();
    let forged = "prod\r\nBEGIN:VEVENT\r\nSUMMARY:forged; a, b\\\r\nEND:VEVENT\rX";
    let out = common::small(d)
        .args(["target", "--name", forged])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let json = common::small(d)
        .args(["status", "--within", "3650", "--format", "json"])
        .output()
        .unwrap();
    let due = serde_json::from_slice::<Value>(&json.stdout).unwrap()["due"]
        .as_array()
        .unwrap()
        .len();
    assert!(due >= 1, "nothing due");
    let out = common::small(d)
        .args(["status", "--within", "3650", "--format", "ics"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let ics = String::from_utf8(out.stdout).unwrap();
    assert_eq!(ics.matches("\r\nBEGIN:VEVENT\r\n").count(), due, "{ics}");
    assert_eq!(ics.matches("\r\nEND:VEVENT\r\n").count(), due, "{ics}");
    assert_eq!(
        ics.matches('\r').count(),
        ics.matches("\r\n").count(),
        "bare CR: {ics:?}"
    );
    assert!(!ics.contains("\r\nSUMMARY:forged"), "{ics}");
    let unfolded = ics.replace("\r\n ", "");
    let escaped = "readiness reviews: prod\\nBEGIN:VEVENT\\nSUMMARY:forged\\; a\\, b\\\\\\nEND:VEVENT\\nX\r\n";
    assert!(
        unfolded.contains(&format!("\r\nNAME:{escaped}")),
        "{unfolded}"
    );
    assert!(
        unfolded.contains(&format!("\r\nX-WR-CALNAME:{escaped}")),
        "{unfolded}"
    );
}

const SUB: &str = "aaaaaaaa-0000-4000-8000-00000000000a";

/// A fake Resource Graph holding one hardened deployment per `(resource group, cluster)`.
async fn fake_fleet(clusters: &[(&str, &str)]) -> FakeArg {
    let mut rows = Vec::new();
    for (rg, name) in clusters {
        rows.push(cluster_row(
            &template("cluster-hardened.json"),
            SUB,
            rg,
            name,
        ));
        let short: String = name.chars().filter(char::is_ascii_alphanumeric).collect();
        rows.push(vault_row(
            &template("vault-hardened.json"),
            SUB,
            rg,
            &format!("kv{short}"),
        ));
        rows.push(registry_row(
            &template("registry-hardened.json"),
            SUB,
            rg,
            &format!("acr{short}"),
        ));
    }
    FakeArg::start(rows, ArgOptions::default()).await
}

async fn fleet_to(dir: &Path, uri: &str, out: &Path) -> Output {
    let mut cmd = common::readiness(dir);
    cmd.args(common::fake_arm::fleet_args_for(uri, SUB))
        .args(["--format", "json", "--output"])
        .arg(out);
    tokio::task::spawn_blocking(move || run(cmd, "fleet --output"))
        .await
        .unwrap()
}

fn target_cluster(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    readiness::signoff::parse("signoff", &text)
        .unwrap()
        .target
        .cluster
        .unwrap()
}

/// `aks:prod` and `aks_prod` both sanitise to `aks_prod.toml`. A first run sees only
/// `aks_prod`; once `aks:prod` appears too (and is met first), both are kept: the file stays
/// with the cluster its `[target]` names, the newcomer gets `aks_prod-2.toml`, a warning names
/// both, and the next run puts each in the same file again. In `rg-new`, where both are new
/// in one run, the one met second gets the suffix.
#[tokio::test(flavor = "multi_thread")]
async fn fleet_output_keeps_clusters_whose_names_collide_once_sanitised() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("signoffs");
    let rg = out.join(SUB).join("rg");
    let toml_files = |rg: &Path| {
        let mut files: Vec<String> = std::fs::read_dir(rg)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".toml"))
            .collect();
        files.sort();
        files
    };
    let fake = fake_fleet(&[("rg", "aks_prod")]).await;
    let run = fleet_to(dir.path(), &fake.uri(), &out).await;
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    assert_eq!(toml_files(&rg), ["aks_prod.toml"]);

    let fake = fake_fleet(&[
        ("rg", "aks:prod"),
        ("rg", "aks_prod"),
        ("rg-new", "aks:prod"),
        ("rg-new", "aks_prod"),
    ])
    .await;
    for round in 1..=2 {
        let run = fleet_to(dir.path(), &fake.uri(), &out).await;
        let err = stderr(&run);
        assert_eq!(run.status.code(), Some(0), "round {round}: {err}");
        assert!(err.contains("Wrote 4 sign-off(s)"), "{err}");
        let warning = format!(
            "warning: clusters \"aks_prod\" and \"aks:prod\" both map to {}; \"aks:prod\" is written to {}",
            rg.join("aks_prod.toml").display(),
            rg.join("aks_prod-2.toml").display()
        );
        assert!(err.contains(&warning), "round {round}: {err}");
        assert_eq!(
            toml_files(&rg),
            ["aks_prod-2.toml", "aks_prod.toml"],
            "round {round}"
        );
        assert_eq!(
            target_cluster(&rg.join("aks_prod.toml")),
            "aks_prod",
            "round {round}"
        );
        assert_eq!(
            target_cluster(&rg.join("aks_prod-2.toml")),
            "aks:prod",
            "round {round}"
        );
        let new = out.join(SUB).join("rg-new");
        assert_eq!(
            toml_files(&new),
            ["aks_prod-2.toml", "aks_prod.toml"],
            "round {round}"
        );
        let mut both = [
            target_cluster(&new.join("aks_prod.toml")),
            target_cluster(&new.join("aks_prod-2.toml")),
        ];
        both.sort();
        assert_eq!(both, ["aks:prod", "aks_prod"], "round {round}");
    }
}

/// A subdirectory of `--output` that is a symlink out of it, and a sign-off entry that is a
/// symlink to a file outside: refused with a message, never written through.
#[tokio::test(flavor = "multi_thread")]
async fn fleet_output_never_follows_a_symlink_out_of_the_directory() {
    let fake = fake_fleet(&[("rg-a", "aks-a")]).await;
    let dir = tempfile::tempdir().unwrap();
    let outside = dir.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    let out = dir.path().join("signoffs");
    std::fs::create_dir(&out).unwrap();

    // Runs the fleet, which must refuse `link` and write nothing through it.
    let refused = async |link: &Path| {
        let run = fleet_to(dir.path(), &fake.uri(), &out).await;
        let err = stderr(&run);
        assert_eq!(run.status.code(), Some(2), "{err}");
        assert!(
            err.contains(&format!(
                "not written: {}: it is a symbolic link; readiness does not write through one out of --output",
                link.display()
            )),
            "{err}"
        );
        assert!(err.contains("Wrote 0 sign-off(s)"), "{err}");
    };

    // DIR/<subscription> → outside.
    symlink(&outside, &out.join(SUB));
    refused(&out.join(SUB)).await;
    assert_eq!(
        std::fs::read_dir(&outside).unwrap().count(),
        0,
        "written outside"
    );

    // DIR/<subscription>/<rg>/<cluster>.toml → a file outside.
    std::fs::remove_file(out.join(SUB)).unwrap();
    let rg = out.join(SUB).join("rg-a");
    std::fs::create_dir_all(&rg).unwrap();
    let victim = outside.join("victim.txt");
    std::fs::write(&victim, "keep me").unwrap();
    symlink(&victim, &rg.join("aks-a.toml"));
    refused(&rg.join("aks-a.toml")).await;
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
    assert!(file_type(&rg.join("aks-a.toml")).is_symlink());
}
