//! The sign-off survives whatever happens to the process writing it: SIGKILL at any moment
//! (at least 200 kills, at moments varied by a seeded generator), a read-only directory, a
//! full disk (a file-size limit), and a sign-off replaced by a symbolic link. After each, the
//! file parses and holds every answer whose command succeeded; the failures say what is
//! wrong and change nothing.
#![cfg(unix)]

use crate::common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use readiness::signoff::{SignOff, Status};

const SIGNOFF: &str = "readiness-signoff.toml";
const IDS: [&str; 6] = common::SMALL_IDS;
const STATUSES: [(&str, Status); 3] = [
    ("pass", Status::Pass),
    ("fail", Status::Fail),
    ("not-applicable", Status::NotApplicable),
];

/// xorshift64*: the kill moments are pseudo-random but the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The real binary in `dir`, clock and user pinned, nothing inherited that changes saving.
fn readiness(dir: &Path) -> Command {
    readiness_from(
        &assert_cmd::cargo::cargo_bin("readiness"),
        &common::small_checklist(),
        dir,
    )
}

/// [`readiness`] with the binary and checklist at other paths.
fn readiness_from(bin: &Path, checklist: &Path, dir: &Path) -> Command {
    let mut cmd = Command::new(bin);
    cmd.current_dir(dir)
        .env_remove("READINESS_TEST_STALL_SAVE")
        .env_remove("READINESS_USER")
        .env("READINESS_NOW", common::NOW)
        .env("USER", "alice")
        .env("NO_COLOR", "1")
        .arg("--checklist")
        .arg(checklist)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

fn note_of(round: u32) -> String {
    // Quotes, a newline and non-ASCII, so a torn write could not pass for a valid string.
    format!("round {round}: \"quoted\" — second line follows\nline 2 of round {round}")
}

fn round_of(note: &str) -> Option<u32> {
    note.strip_prefix("round ")?.split(':').next()?.parse().ok()
}

fn read(dir: &Path) -> Option<(Vec<u8>, SignOff)> {
    let path = dir.join(SIGNOFF);
    let bytes = std::fs::read(&path).ok()?;
    let text = String::from_utf8(bytes.clone()).expect("the sign-off is UTF-8");
    let parsed = readiness::signoff::parse(SIGNOFF, &text)
        .unwrap_or_else(|e| panic!("the sign-off does not parse after a kill:\n{e}\n{text}"));
    Some((bytes, parsed))
}

/// Every confirmed answer (item → round) is in the file, or a later attempt replaced it;
/// every answer in the file is one that some round really sent.
fn check_holds(
    dir: &Path,
    confirmed: &BTreeMap<&str, u32>,
    sent: &BTreeMap<u32, (&str, Status)>,
) -> Option<Vec<u8>> {
    let Some((bytes, s)) = read(dir) else {
        assert!(
            confirmed.is_empty(),
            "the sign-off is gone but answers were confirmed"
        );
        return None;
    };
    for (id, answer) in &s.items {
        let round = round_of(&answer.note)
            .unwrap_or_else(|| panic!("{id}: a note no round sent: {:?}", answer.note));
        let (sent_id, sent_status) = sent[&round];
        assert_eq!((sent_id, sent_status), (id.as_str(), answer.status));
        assert_eq!(answer.note, note_of(round), "{id}: the note is not intact");
    }
    for (id, round) in confirmed {
        let answer = s
            .items
            .get(*id)
            .unwrap_or_else(|| panic!("the answer to {id} (round {round}) is lost"));
        let found = round_of(&answer.note).expect("checked above");
        assert!(
            found >= *round,
            "{id}: round {round} returned success, but the file holds round {found}"
        );
    }
    Some(bytes)
}

/// Files in `dir` other than the sign-off (a SIGKILL can leave a temporary file behind).
fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != SIGNOFF)
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Moment {
    /// Right after spawn: usually before anything was read.
    AtSpawn,
    /// After a pseudo-random busy-wait (µs): anywhere in the run.
    After(u64),
    /// After the first byte of stderr: the command reports only once the answer is saved.
    FirstOutput,
    /// Stopped by the test hook after the temporary file is complete and before the rename.
    Stalled,
    /// Not killed: the command runs to its end.
    Never,
}

#[test]
fn sigkill_at_any_moment_never_loses_a_confirmed_answer_nor_tears_the_file() {
    const KILLS: usize = 200;
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng(0x005e_ed0f_c4a5);
    let mut confirmed: BTreeMap<&str, u32> = BTreeMap::new();
    let mut sent: BTreeMap<u32, (&str, Status)> = BTreeMap::new();
    let (mut kills, mut killed_before_save, mut killed_after_save) = (0, 0, 0);
    let started = Instant::now();
    let mut round = 0u32;
    while kills < KILLS {
        round += 1;
        assert!(round < 2000, "only {kills} kills in {round} rounds");
        let id = IDS[rng.below(IDS.len() as u64) as usize];
        let (word, status) = STATUSES[rng.below(3) as usize];
        let moment = match rng.below(100) {
            0..15 => Moment::AtSpawn,
            15..35 => Moment::FirstOutput,
            35..45 => Moment::Stalled,
            45..55 => Moment::Never,
            // Spawning takes 5–10 ms and a whole `answer` about 30 ms in a debug build.
            _ => Moment::After(rng.below(40_000)),
        };
        sent.insert(round, (id, status));
        let before = std::fs::read(dir.path().join(SIGNOFF)).ok();

        let mut cmd = readiness(dir.path());
        cmd.args(["answer", id, "--status", word, "--note", &note_of(round)]);
        if moment == Moment::Stalled {
            cmd.env("READINESS_TEST_STALL_SAVE", "1");
        }
        let mut child = cmd.spawn().unwrap();
        let mut stderr = child.stderr.take().unwrap();
        let mut reported_saved = false;
        match moment {
            Moment::AtSpawn | Moment::Never => {}
            Moment::After(micros) => {
                let until = Instant::now() + Duration::from_micros(micros);
                while Instant::now() < until {
                    std::hint::spin_loop();
                }
            }
            Moment::FirstOutput => {
                let mut first = [0u8; 1];
                if stderr.read(&mut first).unwrap() == 1 {
                    // "Recorded …": printed only after the atomic save.
                    reported_saved = first[0] == b'R';
                }
            }
            Moment::Stalled => {
                let mut line = String::new();
                BufReader::new(&mut stderr).read_line(&mut line).unwrap();
                assert!(line.contains("save stalled before rename"), "{line}");
            }
        }
        if moment != Moment::Never {
            let _ = child.kill(); // SIGKILL; fails only when the process already ended
        }
        let exit = child.wait().unwrap();
        let mut rest = String::new();
        let _ = stderr.read_to_string(&mut rest);

        if exit.success() {
            confirmed.insert(id, round);
        } else {
            assert_eq!(
                exit.signal(),
                Some(libc::SIGKILL),
                "round {round} ({moment:?}) ended with {exit}: {rest}"
            );
            kills += 1;
        }
        if reported_saved {
            // The command said it recorded the answer: it must be there, kill or not.
            confirmed.insert(id, round);
        }
        let after = check_holds(dir.path(), &confirmed, &sent);
        if moment == Moment::Stalled {
            assert_eq!(
                after, before,
                "a save stopped before its rename changed the file"
            );
        }
        if !exit.success() {
            let holds_this_round = read(dir.path())
                .and_then(|(_, s)| s.items.get(id).map(|a| a.note == note_of(round)))
                .unwrap_or(false);
            if holds_this_round {
                killed_after_save += 1;
            } else {
                killed_before_save += 1;
            }
        }
        for name in leftovers(dir.path()) {
            assert!(
                name.starts_with(".readiness-") && name.ends_with(".tmp"),
                "unexpected file {name}"
            );
        }
    }
    eprintln!(
        "{kills} kills in {round} rounds ({:.1} s): {killed_before_save} before the save took effect, {killed_after_save} after; {} temporary files left by kills",
        started.elapsed().as_secs_f64(),
        leftovers(dir.path()).len()
    );
    // The moments really varied: kills landed on both sides of the rename.
    assert!(killed_before_save >= 20, "{killed_before_save}");
    assert!(killed_after_save >= 5, "{killed_after_save}");
    assert!(confirmed.len() >= 3, "{confirmed:?}");

    // After all that, the next save works and keeps everything.
    let status = readiness(dir.path())
        .args([
            "answer",
            "gov.advisor",
            "--status",
            "pass",
            "--note",
            &note_of(round + 1),
        ])
        .status()
        .unwrap();
    assert!(status.success());
    sent.insert(round + 1, ("gov.advisor", Status::Pass));
    confirmed.insert("gov.advisor", round + 1);
    check_holds(dir.path(), &confirmed, &sent);
}

/// Runs `readiness` with `args` and a hook applied in the child before exec.
fn run_restricted(
    dir: &Path,
    args: &[&str],
    restrict: impl FnMut() -> std::io::Result<()> + Send + Sync + 'static,
) -> (Option<i32>, String) {
    restricted(readiness(dir), args, restrict)
}

/// Runs `cmd` with `args` and a hook applied in the child before exec.
fn restricted(
    mut cmd: Command,
    args: &[&str],
    restrict: impl FnMut() -> std::io::Result<()> + Send + Sync + 'static,
) -> (Option<i32>, String) {
    cmd.args(args);
    // SAFETY: the hook only calls async-signal-safe libc functions (setrlimit, signal,
    // setgroups, setgid, setuid).
    unsafe {
        cmd.pre_exec(restrict);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A directory with one recorded answer, and the sign-off's bytes.
fn answered_once() -> (tempfile::TempDir, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let ok = readiness(dir.path())
        .args([
            "answer",
            "net.private",
            "--status",
            "pass",
            "--note",
            "kept",
        ])
        .status()
        .unwrap();
    assert!(ok.success());
    let bytes = std::fs::read(dir.path().join(SIGNOFF)).unwrap();
    (dir, bytes)
}

fn assert_unchanged(dir: &Path, before: &[u8]) {
    assert_eq!(
        std::fs::read(dir.join(SIGNOFF)).unwrap(),
        before,
        "the sign-off changed"
    );
    assert_eq!(leftovers(dir), Vec::<String>::new(), "files left behind");
}

#[test]
fn a_read_only_directory_is_a_clear_error_and_nothing_changes() {
    let (dir, before) = answered_once();
    let path = dir.path().to_path_buf();
    // New sign-offs are created 0600; readable by all here, so only writing is refused.
    std::fs::set_permissions(path.join(SIGNOFF), std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o555)).unwrap();
    // Root ignores permissions, so as root the command runs as `nobody`, for whom the
    // directory is readable and not writable. `nobody` may not reach the build's binary or
    // the checklist (a checkout under a 0700 directory): it runs copies anyone can read.
    let root = unsafe { libc::geteuid() } == 0;
    let kit = tempfile::tempdir().unwrap();
    let cmd = if root {
        std::fs::set_permissions(kit.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let (bin, checklist) = (kit.path().join("readiness"), kit.path().join("small.toml"));
        // A hard link, not a copy: a copy is written through a descriptor that a fork in
        // another test thread can hold open, and exec of it then fails (ETXTBSY).
        let built = assert_cmd::cargo::cargo_bin("readiness");
        if std::fs::hard_link(&built, &bin).is_err() {
            std::fs::copy(&built, &bin).unwrap();
        }
        std::fs::copy(common::small_checklist(), &checklist).unwrap();
        std::fs::set_permissions(&checklist, std::fs::Permissions::from_mode(0o644)).unwrap();
        readiness_from(&bin, &checklist, &path)
    } else {
        readiness(&path)
    };
    let (code, stderr) = restricted(
        cmd,
        &[
            "answer",
            "gov.assessment",
            "--status",
            "fail",
            "--note",
            "lost?",
        ],
        move || {
            if root {
                // SAFETY: plain syscalls in the child before exec.
                unsafe {
                    if libc::setgroups(0, std::ptr::null()) != 0
                        || libc::setgid(65534) != 0
                        || libc::setuid(65534) != 0
                    {
                        return Err(std::io::Error::last_os_error());
                    }
                }
            }
            Ok(())
        },
    );
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "cannot save {SIGNOFF}: cannot create a temporary file in .: Permission denied"
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_unchanged(&path, &before);
}

#[test]
fn a_full_disk_is_a_clear_error_and_nothing_changes() {
    let (dir, before) = answered_once();
    // A file-size limit below the new sign-off's size: writing past it fails with EFBIG
    // (SIGXFSZ, which would kill the process instead, is ignored), as on a full disk.
    let limit = before.len() as u64 + 64;
    let long_note = "n".repeat(4096);
    let (code, stderr) = run_restricted(
        dir.path(),
        &[
            "answer",
            "gov.assessment",
            "--status",
            "pass",
            "--note",
            &long_note,
        ],
        move || {
            let rlimit = libc::rlimit {
                rlim_cur: limit,
                rlim_max: limit,
            };
            // SAFETY: plain syscalls in the child before exec.
            unsafe {
                libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
                if libc::setrlimit(libc::RLIMIT_FSIZE, &rlimit) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        },
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("cannot save {SIGNOFF}: File too large")),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_unchanged(dir.path(), &before);

    // The same for the attestation written with --output: nothing half-written is left.
    let (code, stderr) = run_restricted(
        dir.path(),
        &["attest", "--output", "attestation.md"],
        move || {
            let rlimit = libc::rlimit {
                rlim_cur: 512,
                rlim_max: 512,
            };
            // SAFETY: as above.
            unsafe {
                libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
                if libc::setrlimit(libc::RLIMIT_FSIZE, &rlimit) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        },
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("cannot write attestation.md: File too large"),
        "{stderr}"
    );
    assert_unchanged(dir.path(), &before);
}

#[test]
fn a_signoff_replaced_by_a_symlink_is_refused_by_every_command_and_nothing_changes() {
    let (dir, _) = answered_once();
    // The link points at a valid sign-off elsewhere, so only the link is the problem.
    let outside = tempfile::tempdir().unwrap();
    let elsewhere: PathBuf = outside.path().join("other-signoff.toml");
    std::fs::rename(dir.path().join(SIGNOFF), &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, dir.path().join(SIGNOFF)).unwrap();
    let target_before = std::fs::read(&elsewhere).unwrap();
    let commands: [&[&str]; 6] = [
        &["answer", "gov.assessment", "--status", "pass"],
        &["target", "--name", "robots-prod"],
        &["sign", "--name", "Dana", "--role", "owner"],
        &["check", "--offline", "--record"],
        &["attest", "--output", "attestation.md"],
        &["verify", "--attestation", "attestation.md"],
    ];
    for args in commands {
        let out = readiness(dir.path()).args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(&format!("{SIGNOFF} is a symbolic link")),
            "{args:?}: {stderr}"
        );
        assert_eq!(
            std::fs::read(&elsewhere).unwrap(),
            target_before,
            "{args:?}"
        );
        let link = std::fs::symlink_metadata(dir.path().join(SIGNOFF)).unwrap();
        assert!(link.file_type().is_symlink(), "{args:?} replaced the link");
        assert_eq!(
            std::fs::read_link(dir.path().join(SIGNOFF)).unwrap(),
            elsewhere
        );
        assert_eq!(leftovers(dir.path()), Vec::<String>::new(), "{args:?}");
    }
}
