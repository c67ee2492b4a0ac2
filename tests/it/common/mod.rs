//! Helpers shared by the integration tests: run the real binary in a scratch directory
//! with a pinned clock and user.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;

pub const NOW: &str = "2026-11-27T10:00:00Z";

pub fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel)
}

pub fn small_checklist() -> PathBuf {
    data("checklists/small.toml")
}

/// `readiness` in `dir`, clock pinned to [`NOW`], answering as "alice".
pub fn readiness(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("readiness").expect("binary built");
    cmd.current_dir(dir)
        .env_remove("READINESS_USER")
        .env_remove("READINESS_TEST_STALL_SAVE")
        .env("READINESS_NOW", NOW)
        .env("USER", "alice")
        .env("NO_COLOR", "1");
    cmd
}

/// `readiness --checklist small.toml` in `dir`.
pub fn small(dir: &Path) -> Command {
    let mut cmd = readiness(dir);
    cmd.arg("--checklist").arg(small_checklist());
    cmd
}

pub fn stdout_of(cmd: &mut Command) -> String {
    let out = cmd.output().expect("runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs `cmd`: its exit code (-1 when killed by a signal) and standard output.
pub fn code_and_stdout(cmd: &mut Command) -> (i32, String) {
    let out = cmd.output().expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// `readiness sign` of the small checklist's sign-off in `dir` as Dana Reyes, platform owner.
pub fn sign(dir: &Path) {
    small(dir)
        .args(["sign", "--name", "Dana Reyes", "--role", "platform owner"])
        .assert()
        .success();
}

/// The ids of the small checklist, in its order.
pub const SMALL_IDS: [&str; 6] = [
    "net.private",
    "gov.assessment",
    "mon.audit-logs",
    "k8s.netpol",
    "iac.providers",
    "gov.advisor",
];

/// The `# expect: …` lines at the top of a corpus file.
pub fn expectations(path: &Path) -> Vec<String> {
    let text = String::from_utf8_lossy(&std::fs::read(path).expect("corpus file")).into_owned();
    text.lines()
        .filter_map(|l| l.strip_prefix("# expect: "))
        .map(|s| s.trim().to_string())
        .collect()
}

pub fn corpus(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(data(dir))
        .expect("corpus dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}
pub mod fake_arg;
pub mod fake_arm;
pub mod hostile;

/// Runs `cmd` to the end on tokio's blocking pool, so a fake server on the test's runtime
/// keeps answering meanwhile.
pub async fn output_off_runtime(mut cmd: Command) -> std::process::Output {
    tokio::task::spawn_blocking(move || cmd.output().expect("runs"))
        .await
        .expect("joins")
}
