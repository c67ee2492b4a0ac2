//! The full-screen wizard end to end: the real binary in a pseudo-terminal (portable-pty),
//! its screen parsed with vt100. Every wait polls the parsed screen against a deadline.
#![cfg(unix)]

use crate::common;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};

const COLS: u16 = 100;
const ROWS: u16 = 30;

/// Deadlines scale with `READINESS_TEST_TIMEOUT_SCALE` for slow CI machines.
fn deadline(seconds: u64) -> Duration {
    let scale = std::env::var("READINESS_TEST_TIMEOUT_SCALE")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(1)
        .max(1);
    Duration::from_secs(seconds * scale)
}

pub(crate) struct Pty {
    child: Box<dyn Child + Send + Sync>,
    writer: Box<dyn Write + Send>,
    master: Box<dyn MasterPty + Send>,
    parser: Arc<Mutex<vt100::Parser>>,
    raw: Arc<Mutex<Vec<u8>>>,
    /// The reader saw the end of the output (every process holding the terminal closed it).
    eof: Arc<std::sync::atomic::AtomicBool>,
    dir: PathBuf,
}

impl Pty {
    /// `readiness --checklist small.toml --signoff <dir>/signoff.toml run --offline <args>`.
    fn small(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Self {
        let signoff = dir.join("signoff.toml");
        let checklist = common::small_checklist();
        let mut all: Vec<String> = vec![
            "--checklist".into(),
            checklist.display().to_string(),
            "--signoff".into(),
            signoff.display().to_string(),
            "run".into(),
            "--offline".into(),
        ];
        all.extend(args.iter().map(|s| s.to_string()));
        Self::spawn(dir, &all, env)
    }

    pub(crate) fn spawn(dir: &Path, args: &[String], env: &[(&str, &str)]) -> Self {
        Self::spawn_program(dir, env!("CARGO_BIN_EXE_readiness"), args, env)
    }

    fn spawn_program(dir: &Path, program: &str, args: &[String], env: &[(&str, &str)]) -> Self {
        let pty = native_pty_system()
            .openpty(PtySize {
                rows: ROWS,
                cols: COLS,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("openpty");
        let mut cmd = CommandBuilder::new(program);
        cmd.args(args);
        cmd.cwd(dir);
        for key in [
            "NO_COLOR",
            "READINESS_TEST_PANIC",
            "READINESS_TEST_STALL_SAVE",
            "READINESS_USER",
            "READINESS_LOG",
            "AZURE_SUBSCRIPTION_ID",
        ] {
            cmd.env_remove(key);
        }
        cmd.env("TERM", "xterm-256color");
        cmd.env("READINESS_NOW", common::NOW);
        cmd.env("USER", "alice");
        cmd.env("HOME", dir);
        cmd.env("XDG_STATE_HOME", dir.join("state"));
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = pty.slave.spawn_command(cmd).expect("spawn readiness");
        drop(pty.slave);
        let mut reader = pty.master.try_clone_reader().expect("reader");
        let writer = pty.master.take_writer().expect("writer");
        let parser = Arc::new(Mutex::new(vt100::Parser::new(
            std::num::NonZeroU16::new(ROWS).expect("rows"),
            std::num::NonZeroU16::new(COLS).expect("cols"),
            0,
        )));
        let raw = Arc::new(Mutex::new(Vec::new()));
        let eof = Arc::new(std::sync::atomic::AtomicBool::new(false));
        {
            let (parser, raw, eof) = (parser.clone(), raw.clone(), eof.clone());
            std::thread::spawn(move || {
                let mut buf = [0u8; 8192];
                while let Ok(n) = reader.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    raw.lock().expect("raw").extend_from_slice(&buf[..n]);
                    parser.lock().expect("parser").process(&buf[..n]);
                }
                eof.store(true, std::sync::atomic::Ordering::SeqCst);
            });
        }
        Self {
            child,
            writer,
            master: pty.master,
            parser,
            raw,
            eof,
            dir: dir.to_path_buf(),
        }
    }

    fn screen(&self) -> String {
        self.parser.lock().expect("parser").screen().contents()
    }

    pub(crate) fn raw(&self) -> Vec<u8> {
        self.raw.lock().expect("raw").clone()
    }

    /// Waits until the screen satisfies `pred`; on timeout fails showing the screen.
    fn wait_until(&self, what: &str, pred: impl Fn(&vt100::Screen) -> bool) {
        let end = Instant::now() + deadline(15);
        loop {
            if pred(self.parser.lock().expect("parser").screen()) {
                return;
            }
            assert!(
                Instant::now() < end,
                "timed out waiting for {what}; the screen shows:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn wait_for(&self, text: &str) {
        self.wait_until(&format!("{text:?}"), |s| s.contents().contains(text));
    }

    /// Waits until one line of the screen holds every one of `parts` (a row of a list).
    fn wait_for_line(&self, what: &str, parts: &[&str]) {
        self.wait_until(what, |s| {
            s.contents()
                .lines()
                .any(|l| parts.iter().all(|p| l.contains(p)))
        });
    }

    /// Waits until `text` has been written to the terminal, on whichever screen.
    pub(crate) fn wait_for_output(&self, text: &str) {
        let end = Instant::now() + deadline(15);
        while !contains(&self.raw(), text.as_bytes()) {
            assert!(
                Instant::now() < end,
                "timed out waiting for output {text:?}; the screen shows:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    pub(crate) fn keys(&mut self, bytes: &str) {
        self.writer.write_all(bytes.as_bytes()).expect("write keys");
        self.writer.flush().expect("flush keys");
    }

    /// Waits for the process to exit and for the last of its output to be read.
    pub(crate) fn wait_exit(&mut self) -> portable_pty::ExitStatus {
        let end = Instant::now() + deadline(15);
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                while !self.eof.load(std::sync::atomic::Ordering::SeqCst) {
                    assert!(Instant::now() < end, "the output did not end");
                    std::thread::sleep(Duration::from_millis(5));
                }
                return status;
            }
            assert!(
                Instant::now() < end,
                "readiness did not exit; the screen shows:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn signoff(&self) -> readiness::signoff::SignOff {
        let text =
            std::fs::read_to_string(self.dir.join("signoff.toml")).expect("sign-off written");
        readiness::signoff::parse("signoff.toml", &text).expect("sign-off parses")
    }

    /// The overview is fully drawn (its last line, the hints, is there).
    fn resize(&self, cols: u16, rows: u16) {
        self.master
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("resize");
        self.parser.lock().expect("parser").screen_mut().set_size(
            std::num::NonZeroU16::new(rows).expect("rows"),
            std::num::NonZeroU16::new(cols).expect("cols"),
        );
    }

    /// `q`, and the wizard ends with success.
    fn quit(&mut self) {
        self.keys("q");
        let status = self.wait_exit();
        assert!(status.success(), "exit {status:?}");
    }

    fn wait_overview(&self) {
        self.wait_for("Before deployment");
        self.wait_for("q quit");
    }

    /// From the overview: open the first phase, its first item selected.
    fn open_the_first_phase(&mut self) {
        self.wait_overview();
        self.keys("\r");
        self.wait_for("The API server is private");
    }

    /// From the overview: open the first phase and record pass on its first item.
    fn pass_the_first_item(&mut self) {
        self.open_the_first_phase();
        self.keys("p");
        self.wait_for("Saved ✔ pass for net.private");
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn pressing_p_saves_the_answer_and_q_quits_restoring_the_terminal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut pty = Pty::small(dir.path(), &[], &[]);
    pty.pass_the_first_item();
    pty.keys("q");
    let status = pty.wait_exit();
    assert!(status.success(), "exit {status:?}");
    let saved = pty.signoff();
    let answer = saved
        .items
        .get("net.private")
        .expect("net.private answered");
    assert_eq!(answer.status, readiness::signoff::Status::Pass);
    assert_eq!(answer.answered_by, "alice");
    assert_eq!(saved.items.len(), 1);
    let raw = pty.raw();
    assert!(
        contains(&raw, b"\x1b[?1049h"),
        "entered the alternate screen"
    );
    assert!(contains(&raw, b"\x1b[?1049l"), "left the alternate screen");
    assert!(contains(&raw, b"\x1b[?25h"), "cursor shown again");
    pty.wait_for("1 answer(s) recorded this run");
}

#[test]
fn ctrl_z_stops_the_wizard_for_the_shell_and_fg_brings_it_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    // An operator's shell: `set -m` gives the wizard its own process group, so SIGTSTP
    // really stops it (148 = 128 + SIGTSTP) and `fg` continues it.
    let script = r#"set -m
"$0" --checklist "$1" --signoff "$2" run --offline
echo "wizard stopped: $?"
fg
echo "wizard ended: $?""#;
    let args: Vec<String> = [
        "--norc",
        "--noprofile",
        "-c",
        script,
        env!("CARGO_BIN_EXE_readiness"),
        &common::small_checklist().display().to_string(),
        &dir.path().join("signoff.toml").display().to_string(),
    ]
    .map(String::from)
    .to_vec();
    let mut pty = Pty::spawn_program(dir.path(), "bash", &args, &[]);
    pty.wait_overview();
    pty.keys("\x1a");
    // The shell's lines go to the main screen, which the wizard covers again once continued.
    pty.wait_for_output("wizard stopped: 148");
    let raw = String::from_utf8_lossy(&pty.raw()).into_owned();
    let stopped = raw.find("wizard stopped").expect("stopped");
    let suspended = raw
        .find("readiness is suspended")
        .expect("said it is suspended");
    let left = raw[..suspended]
        .rfind("\x1b[?1049l")
        .expect("left the alternate screen");
    let back = raw[stopped..]
        .find("\x1b[?1049h")
        .expect("took the terminal again after fg");
    assert!(
        left < suspended,
        "the message is printed on the shell's screen"
    );
    // Continued, it repaints everything and keys work.
    let repainted = &raw[stopped + back..];
    assert!(repainted.contains("\x1b[2J"), "cleared before repainting");
    pty.pass_the_first_item();
    pty.keys("q");
    pty.wait_for_output("wizard ended: 0");
    assert_eq!(
        pty.signoff().items["net.private"].status,
        readiness::signoff::Status::Pass
    );
}

#[test]
fn an_answer_recorded_by_another_process_shows_up_in_the_open_wizard() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut pty = Pty::small(dir.path(), &[], &[]);
    pty.pass_the_first_item();
    // A second `readiness` (a script, a colleague's scheduled run) answers another item.
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_readiness"))
        .current_dir(dir.path())
        .env("READINESS_NOW", common::NOW)
        .args(["--checklist"])
        .arg(common::small_checklist())
        .args(["--signoff", "signoff.toml", "answer", "gov.assessment"])
        .args(["--status", "fail", "--by", "bob"])
        .status()
        .expect("readiness answer runs");
    assert!(status.success());
    pty.wait_for("changed outside this wizard");
    pty.wait_for_line(
        "the other answer in the list",
        &["✖ fail", "A security assessment"],
    );
    // Both answers are in the file, and the wizard's next save keeps the other one.
    pty.keys("n");
    pty.wait_for("Saved – n/a for gov.assessment");
    pty.quit();
    let saved = pty.signoff();
    assert_eq!(
        saved.items["net.private"].status,
        readiness::signoff::Status::Pass
    );
    assert_eq!(saved.items["gov.assessment"].answered_by, "alice");
}

/// Another `readiness` in the middle of a save, holding the sign-off's lock: the test hook
/// stalls it after its temporary file is written and before the rename, as a scheduled
/// `check --record` holds the lock while it writes. Killing it releases the lock.
struct StalledSave {
    child: std::process::Child,
}

impl StalledSave {
    /// Starts `readiness answer gov.assessment` in `dir` and waits until it holds the lock.
    fn start(dir: &Path) -> Self {
        use std::io::BufRead;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_readiness"))
            .current_dir(dir)
            .env("READINESS_NOW", common::NOW)
            .env("READINESS_TEST_STALL_SAVE", "1")
            .args(["--checklist"])
            .arg(common::small_checklist())
            .args(["--signoff", "signoff.toml", "answer", "gov.assessment"])
            .args(["--status", "fail", "--by", "bob"])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("the other readiness starts");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr).lines() {
                let Ok(line) = line else { return };
                if line.contains("save stalled before rename") {
                    let _ = tx.send(());
                }
            }
        });
        let stalled = Self { child };
        rx.recv_timeout(deadline(15))
            .expect("the other readiness stalls inside its save, holding the lock");
        stalled
    }

    /// Kills it: the kernel drops its lock (its half-done save is never renamed).
    fn release(mut self) {
        self.child.kill().expect("kill the other readiness");
        self.child.wait().expect("wait for it");
    }
}

impl Drop for StalledSave {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_save_waiting_for_another_readiness_leaves_the_wizard_responsive() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut pty = Pty::small(dir.path(), &[], &[]);
    pty.open_the_first_phase();
    let other = StalledSave::start(dir.path());
    // The save waits for the lock; meanwhile keys move, open Help and close it.
    pty.keys("p");
    pty.keys("j");
    pty.wait_for_line("the second item selected", &["▸", "A security assessment"]);
    pty.keys("?");
    pty.wait_for("show this help");
    pty.keys("\x1b");
    pty.wait_until("the list again", |s| {
        let text = s.contents();
        !text.contains("show this help") && text.contains("Before deployment · 2 of 2 items")
    });
    pty.wait_for("saving… (waiting for another readiness to finish)");
    assert!(
        !dir.path().join("signoff.toml").exists(),
        "nothing is saved while the other readiness holds the lock"
    );
    // Quitting waits for the save, and says so.
    pty.keys("q");
    pty.wait_for("quits once it is saved");
    assert!(
        pty.child.try_wait().expect("try_wait").is_none(),
        "the wizard waits for its save"
    );
    other.release();
    let status = pty.wait_exit();
    assert!(status.success(), "exit {status:?}");
    let saved = pty.signoff();
    assert_eq!(
        saved.items["net.private"].status,
        readiness::signoff::Status::Pass
    );
    assert_eq!(saved.items["net.private"].answered_by, "alice");
    assert!(!saved.items.contains_key("gov.assessment"), "{saved:?}");
}

#[test]
fn a_multi_line_paste_lands_in_the_note_without_submitting_the_form() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut pty = Pty::small(dir.path(), &[], &[]);
    pty.open_the_first_phase();
    pty.keys("e");
    pty.wait_for("Answer · net.private");
    assert!(
        contains(&pty.raw(), b"\x1b[?2004h"),
        "bracketed paste was switched on"
    );
    // What a terminal sends for a paste while bracketed paste is on.
    pty.keys("\x1b[200~private endpoint only\r\nchecked in the portal\x1b[201~");
    pty.wait_for("private endpoint only checked in the portal");
    assert!(
        pty.screen().contains("Answer · net.private"),
        "{}",
        pty.screen()
    );
    pty.keys("\r");
    pty.wait_for("Saved");
    pty.quit();
    assert_eq!(
        pty.signoff().items["net.private"].note,
        "private endpoint only checked in the portal"
    );
    assert!(contains(&pty.raw(), b"\x1b[?2004l"), "and off again");
}

#[test]
fn reopening_resumes_on_the_same_phase_and_item() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let mut pty = Pty::small(dir.path(), &[], &[]);
        pty.wait_overview();
        // Second phase, its second item.
        pty.keys("j\r");
        pty.wait_for("During operation · 2 of 2 items");
        pty.keys("j");
        pty.wait_for_line("the second item selected", &["▸", "default-deny"]);
        pty.quit();
    }
    let mut pty = Pty::small(dir.path(), &[], &[]);
    pty.wait_for("During operation · 2 of 2 items");
    pty.wait_for_line("the same item selected", &["▸", "default-deny"]);
    // Esc goes back to the overview, on the same phase.
    pty.keys("\x1b");
    pty.wait_for_line("the overview on During operation", &["▸ During operation"]);
    pty.quit();
}

#[test]
fn a_corrupt_position_file_starts_at_the_overview() {
    let dir = tempfile::tempdir().expect("tempdir");
    let positions = dir.path().join("state/readiness/positions");
    std::fs::create_dir_all(&positions).expect("dir");
    let file = readiness::tui::resume::file_for(
        &dir.path().join("state/readiness"),
        &dir.path().join("signoff.toml"),
    );
    std::fs::write(&file, "{ not json").expect("write");
    let mut pty = Pty::small(dir.path(), &[], &[]);
    pty.wait_overview();
    assert!(pty.screen().contains("▸ Before deployment"));
    pty.quit();
}

#[test]
fn killing_the_process_keeps_every_confirmed_answer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut pty = Pty::small(dir.path(), &[], &[]);
    pty.open_the_first_phase();
    pty.keys("p");
    pty.wait_for("Saved ✔ pass for net.private");
    // The selection moved on to the next item.
    pty.keys("f");
    pty.wait_for("Saved ✖ fail for gov.assessment");
    pty.keys("l");
    pty.wait_for("During operation · 2 of 2 items");
    pty.keys("n");
    pty.wait_for("Saved – n/a for mon.audit-logs");
    // SIGKILL: no handler runs, nothing is flushed or restored.
    let pid = pty.child.process_id().expect("pid");
    let killed = std::process::Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let status = pty.wait_exit();
    assert!(!status.success());
    let saved = pty.signoff();
    let statuses: Vec<(&str, &str)> = saved
        .items
        .iter()
        .map(|(id, a)| (id.as_str(), a.status.as_str()))
        .collect();
    assert_eq!(
        statuses,
        [
            ("gov.assessment", "fail"),
            ("mon.audit-logs", "not-applicable"),
            ("net.private", "pass")
        ]
    );
}

/// Parameters of every SGR sequence (`ESC [ … m`) in the output.
fn sgr_params(raw: &[u8]) -> Vec<u32> {
    let mut out = Vec::new();
    let mut i = 0;
    while i + 1 < raw.len() {
        if raw[i] == 0x1b && raw[i + 1] == b'[' {
            let start = i + 2;
            let mut j = start;
            while j < raw.len() && (raw[j].is_ascii_digit() || raw[j] == b';' || raw[j] == b':') {
                j += 1;
            }
            if j < raw.len() && raw[j] == b'm' {
                let params = String::from_utf8_lossy(&raw[start..j]).to_string();
                out.extend(
                    params
                        .split([';', ':'])
                        .filter_map(|p| p.parse::<u32>().ok()),
                );
            }
            i = j;
        } else {
            i += 1;
        }
    }
    out
}

/// A colour is set: 30–38 and 40–48 (38/48 extended), 90–97 and 100–107. 39 and 49 only
/// reset to the default colour.
fn colour_params(raw: &[u8]) -> Vec<u32> {
    sgr_params(raw)
        .into_iter()
        .filter(|p| matches!(p, 30..=38 | 40..=48 | 90..=97 | 100..=107))
        .collect()
}

/// Opens the items, answers, opens the detail, the filter, the help and the answer form,
/// then quits: a tour that draws every kind of styled text.
fn tour(pty: &mut Pty) {
    pty.open_the_first_phase();
    pty.keys("p");
    pty.wait_for("Saved ✔ pass");
    pty.keys("/");
    pty.wait_for("Show items");
    // Esc alone: followed at once by another byte it reads as Alt+key.
    pty.keys("\x1b");
    pty.wait_until("the filter closed", |s| {
        !s.contents().contains("Show items")
    });
    pty.keys("\r");
    pty.wait_for("Automatic result");
    pty.keys("e");
    pty.wait_for("Answer · ");
    pty.keys("\x1b");
    pty.wait_until("the form closed", |s| !s.contents().contains("Answer · "));
    pty.keys("?");
    pty.wait_for("Everywhere");
    pty.keys("q");
    pty.wait_for("Automatic result");
    pty.quit();
}

#[test]
fn no_color_means_no_colour_escapes_and_colour_otherwise() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut pty = Pty::small(dir.path(), &[], &[("NO_COLOR", "1")]);
    tour(&mut pty);
    assert_eq!(colour_params(&pty.raw()), Vec::<u32>::new());

    // The same tour with colour: the check above can fail.
    let dir = tempfile::tempdir().expect("tempdir");
    let mut pty = Pty::small(dir.path(), &[], &[]);
    tour(&mut pty);
    assert!(!colour_params(&pty.raw()).is_empty(), "colour by default");

    let dir = tempfile::tempdir().expect("tempdir");
    let mut pty = Pty::small(dir.path(), &["--color", "always"], &[("NO_COLOR", "1")]);
    tour(&mut pty);
    assert!(
        !colour_params(&pty.raw()).is_empty(),
        "--color always wins over NO_COLOR"
    );
}

#[test]
fn color_never_means_no_colour_escapes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut pty = Pty::small(dir.path(), &["--color", "never"], &[]);
    tour(&mut pty);
    assert_eq!(colour_params(&pty.raw()), Vec::<u32>::new());
}

/// The terminal came back: the alternate screen was left after it was entered, the cursor
/// is shown, and the report is on the normal screen.
fn assert_restored(pty: &Pty) {
    let raw = pty.raw();
    let entered = raw
        .windows(8)
        .position(|w| w == b"\x1b[?1049h")
        .expect("alternate screen entered");
    let left = raw
        .windows(8)
        .rposition(|w| w == b"\x1b[?1049l")
        .expect("alternate screen left");
    assert!(left > entered);
    assert!(contains(&raw[left..], b"\x1b[?25h"), "cursor shown");
    let parser = pty.parser.lock().expect("parser");
    assert!(!parser.screen().alternate_screen());
    assert!(!parser.screen().hide_cursor());
}

#[test]
fn a_panic_while_drawing_restores_the_terminal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut pty = Pty::small(dir.path(), &[], &[("READINESS_TEST_PANIC", "render")]);
    pty.wait_overview();
    pty.keys("j");
    let status = pty.wait_exit();
    assert_eq!(status.exit_code(), 101);
    pty.wait_for("readiness stopped because of a bug");
    pty.wait_for("Every answer you confirmed is saved in");
    assert_restored(&pty);
}

#[test]
fn a_panic_in_a_background_task_restores_the_terminal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut pty = Pty::small(dir.path(), &[], &[("READINESS_TEST_PANIC", "task")]);
    pty.wait_overview();
    pty.keys("j");
    let status = pty.wait_exit();
    assert_eq!(status.exit_code(), 101);
    pty.wait_for("background task");
    assert_restored(&pty);
}

#[test]
fn sigterm_and_sighup_restore_the_terminal_and_keep_the_answers() {
    for signal in ["-TERM", "-HUP"] {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut pty = Pty::small(dir.path(), &[], &[]);
        pty.wait_overview();
        pty.keys("\rp");
        pty.wait_for("Saved ✔ pass for net.private");
        let pid = pty.child.process_id().expect("pid");
        let killed = std::process::Command::new("kill")
            .arg(signal)
            .arg(pid.to_string())
            .status()
            .expect("kill runs");
        assert!(killed.success());
        let status = pty.wait_exit();
        assert!(status.success(), "{signal}: exit {status:?}");
        pty.wait_for("Stopped by SIG");
        assert_restored(&pty);
        assert_eq!(pty.signoff().items.len(), 1);
    }
}

#[test]
fn a_small_terminal_shows_the_needed_size_and_the_wizard_returns_when_it_grows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut pty = Pty::small(dir.path(), &[], &[]);
    pty.wait_overview();
    pty.resize(40, 12);
    pty.wait_for("terminal too small (need 60×16)");
    pty.wait_for("now 40×12");
    // (That keys other than quit do nothing meanwhile is an update-function test: here a
    // key and the resize come from two sources, so their order is not the test's to pick.)
    pty.resize(COLS, ROWS);
    pty.wait_overview();
    assert!(pty.screen().contains("▸ Before deployment"));
    pty.quit();
}

#[test]
fn the_cursor_sits_on_the_selected_row() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut pty = Pty::small(dir.path(), &[], &[]);
    pty.wait_overview();
    pty.keys("\rj");
    pty.wait_until("the second row selected", |s| {
        let (row, _) = s.cursor_position();
        s.contents()
            .lines()
            .nth(usize::from(row))
            .is_some_and(|l| l.contains("▸") && l.contains("security assessment"))
    });
    pty.quit();
}

#[test]
fn without_a_terminal_run_exits_2_and_points_to_the_alternatives() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = common::small(dir.path()).arg("run").output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for needle in ["--plain", "readiness check", "readiness answer"] {
        assert!(stderr.contains(needle), "{needle} missing from {stderr}");
    }
}

#[test]
fn keyboard_only_from_target_to_signed_sign_off_and_verified_attestation() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut pty = Pty::small(
        dir.path(),
        &["--attestation", "attestation.md", "--by", "dana"],
        &[],
    );
    pty.wait_overview();
    pty.wait_for("set the deployment target");
    // Target: name and environment.
    pty.keys("t");
    pty.wait_for("Deployment target");
    pty.keys("robots-prod\tprod\r");
    pty.wait_for("Target saved.");
    // Every item, phase by phase; a risk acceptance with its justification and expiry.
    pty.keys("\r");
    pty.wait_for("Before deployment · 2 of 2 items");
    pty.keys("p");
    pty.wait_for("Saved ✔ pass for net.private");
    pty.keys("f");
    pty.wait_for("Saved ✖ fail for gov.assessment");
    pty.keys("l");
    pty.wait_for("During operation · 2 of 2 items");
    pty.keys("n");
    pty.wait_for("Saved – n/a for mon.audit-logs");
    pty.keys("a");
    pty.wait_for("Answer · k8s.netpol");
    pty.keys("OSMO 6.2 ships default-deny\r");
    pty.wait_for("Saved ≈ risk accepted for k8s.netpol");
    pty.keys("l");
    pty.wait_for("Ongoing maintenance · 2 of 2 items");
    pty.keys("e");
    pty.wait_for("Answer · iac.providers");
    pty.keys("renovate bot\t");
    pty.keys("https://example.org/pr/7, docs/providers.md\r");
    pty.wait_for("Saved ✔ pass for iac.providers");
    pty.keys("p");
    pty.wait_for("Saved ✔ pass for gov.advisor");
    // Review, sign, write the attestation.
    pty.keys("s");
    pty.wait_for("Review and sign");
    pty.keys("s");
    pty.wait_for("Your role");
    pty.keys("\tplatform owner\r");
    pty.wait_for("Signed by dana (platform owner)");
    pty.keys("w");
    pty.wait_for("Attestation written to");
    pty.quit();

    let saved = pty.signoff();
    assert_eq!(saved.items.len(), 6);
    assert_eq!(saved.target.name.as_deref(), Some("robots-prod"));
    let signature = saved.signoff.expect("signed");
    assert_eq!(
        (signature.name.as_str(), signature.role.as_str()),
        ("dana", "platform owner")
    );
    let risk = &saved.items["k8s.netpol"];
    assert_eq!(
        risk.justification.as_deref(),
        Some("OSMO 6.2 ships default-deny")
    );
    assert_eq!(risk.expires, Some("2027-02-25".parse().expect("date")));
    assert_eq!(
        saved.items["iac.providers"].evidence,
        ["https://example.org/pr/7", "docs/providers.md"]
    );
    assert!(dir.path().join("attestation.md").is_file());
    common::small(dir.path())
        .args([
            "--signoff",
            "signoff.toml",
            "verify",
            "--attestation",
            "attestation.md",
        ])
        .assert()
        .success();
}

/// Records `status` for `id` in `dir/signoff.toml` as of `at` (an RFC 3339 time).
fn answered_on(dir: &Path, id: &str, at: &str) {
    common::small(dir)
        .env("READINESS_NOW", at)
        .args([
            "--signoff",
            "signoff.toml",
            "answer",
            id,
            "--status",
            "pass",
        ])
        .assert()
        .success();
}

#[test]
fn a_quarterly_rerun_opens_on_the_lapsed_answer_and_revisit_offers_the_rest() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Today is 2026-11-27: k8s.netpol was answered 100 days ago (lapsed after 90),
    // mon.audit-logs 30 days ago (carried).
    answered_on(dir.path(), "k8s.netpol", "2026-08-19T10:00:00Z");
    answered_on(dir.path(), "mon.audit-logs", "2026-10-28T10:00:00Z");
    {
        let mut pty = Pty::small(dir.path(), &[], &[]);
        pty.wait_for("↻ 1 to review");
        assert!(
            pty.screen().contains("▸ During operation"),
            "{}",
            pty.screen()
        );
        pty.keys("\r");
        pty.wait_until("the lapsed answer listed first and selected", |s| {
            let text = s.contents();
            let rows: Vec<&str> = text.lines().filter(|l| l.contains("pass")).collect();
            rows.first().is_some_and(|l| {
                l.contains('▸') && l.contains("↻ lapsed") && l.contains("default-deny")
            }) && rows.get(1).is_some_and(|l| l.contains("30d ago"))
        });
        pty.keys("p");
        pty.wait_for("Saved ✔ pass for k8s.netpol");
        pty.quit();
        let renewed = &pty.signoff().items["k8s.netpol"];
        assert_eq!(renewed.answered_at.to_string(), common::NOW);
    }

    // With --revisit, the carried answer is offered again too (the wizard reopens on the
    // list it was left on).
    let mut pty = Pty::small(dir.path(), &["--revisit"], &[]);
    pty.wait_for_line(
        "the carried answer offered for revisiting",
        &["▸", "↻ revisit", "Audit logs"],
    );
    pty.quit();
}

/// The wizard's log (`$XDG_STATE_HOME/readiness/readiness.log`) is readable by its owner
/// only: created 0600, and an existing one left world-readable is narrowed to 0600.
#[cfg(unix)]
#[test]
fn the_log_file_is_created_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let log = dir
        .path()
        .join("state")
        .join("readiness")
        .join("readiness.log");
    let mode = || std::fs::metadata(&log).expect("log").permissions().mode() & 0o777;
    let mut pty = Pty::small(dir.path(), &[], &[]);
    pty.wait_overview();
    pty.quit();
    assert_eq!(mode(), 0o600, "created");
    std::fs::set_permissions(&log, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut pty = Pty::small(dir.path(), &[], &[]);
    pty.wait_overview();
    pty.quit();
    assert_eq!(mode(), 0o600, "narrowed");
}
