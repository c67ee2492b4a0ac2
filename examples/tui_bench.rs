//! Speed of the full-screen wizard, measured in a pseudo-terminal with the built-in
//! checklist (68 items) and `--offline`:
//!
//! - start → first complete frame (process spawn to the overview's last line on screen),
//! - keypress → redrawn frame (key written to the pty until the new frame is on screen,
//!   on the overview and in a phase's list),
//! - peak memory (VmHWM from /proc/<pid>/status, Linux).
//!
//! ```sh
//! cargo build --release && cargo run --release --example tui_bench [-- STARTS KEYS]
//! READINESS_BENCH_CHECKLIST=big.toml READINESS_BENCH_SIGNOFF=answers.toml \
//!     cargo run --release --example tui_bench                                 # a big checklist
//! ```
//!
//! The binary is `target/<profile>/readiness` beside this example, or `READINESS_BIN`.
//! Targets (issue 4): first frame ≤ 100 ms, keypress ≤ 16 ms, peak ≤ 50 MB.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, PtySize, native_pty_system};

/// A checklist file to use instead of the built-in one (e.g. a generated 10,000-item one).
const CHECKLIST_ENV: &str = "READINESS_BENCH_CHECKLIST";

/// A sign-off to start from instead of none (copied, never changed).
const SIGNOFF_ENV: &str = "READINESS_BENCH_SIGNOFF";

const COLS: u16 = 100;
const ROWS: u16 = 30;

fn binary() -> PathBuf {
    if let Some(p) = std::env::var_os("READINESS_BIN") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("current exe");
    // target/<profile>/examples/tui_bench → target/<profile>/readiness
    exe.parent()
        .and_then(|d| d.parent())
        .map(|d| d.join("readiness"))
        .expect("target directory")
}

struct Session {
    child: Box<dyn Child + Send + Sync>,
    /// Output chunks, read on their own thread so waits can have a deadline.
    output: std::sync::mpsc::Receiver<Vec<u8>>,
    writer: Box<dyn Write + Send>,
    parser: vt100::Parser,
    _dir: tempfile::TempDir,
    _master: Box<dyn portable_pty::MasterPty + Send>,
}

impl Session {
    /// Starts the wizard; returns it and the time to its first complete frame.
    fn start(bin: &PathBuf) -> (Self, Duration) {
        let dir = tempfile::tempdir().expect("tempdir");
        let pty = native_pty_system()
            .openpty(PtySize {
                rows: ROWS,
                cols: COLS,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("openpty");
        if let Some(signoff) = std::env::var_os(SIGNOFF_ENV) {
            std::fs::copy(signoff, dir.path().join("signoff.toml")).expect("copy the sign-off");
        }
        let mut cmd = CommandBuilder::new(bin);
        if let Some(checklist) = std::env::var_os(CHECKLIST_ENV) {
            cmd.arg("--checklist");
            cmd.arg(checklist);
        }
        cmd.args(["--signoff"]);
        cmd.arg(dir.path().join("signoff.toml"));
        cmd.args(["run", "--offline"]);
        cmd.cwd(dir.path());
        cmd.env("TERM", "xterm-256color");
        cmd.env("USER", "bench");
        cmd.env("HOME", dir.path());
        cmd.env("XDG_STATE_HOME", dir.path().join("state"));
        cmd.env("READINESS_NOW", "2026-11-27T10:00:00Z");
        cmd.env_remove("NO_COLOR");
        let started = Instant::now();
        let child = pty.slave.spawn_command(cmd).expect("spawn readiness");
        drop(pty.slave);
        let mut reader = pty.master.try_clone_reader().expect("reader");
        let writer = pty.master.take_writer().expect("writer");
        let (tx, output) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 1 << 16];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        let mut session = Self {
            child,
            output,
            writer,
            parser: vt100::Parser::new(
                std::num::NonZeroU16::new(ROWS).expect("rows"),
                std::num::NonZeroU16::new(COLS).expect("cols"),
                0,
            ),
            _dir: dir,
            _master: pty.master,
        };
        session.read_until(|s| {
            let text = s.contents();
            text.contains("Ongoing maintenance") && text.contains("q quit")
        });
        (session, started.elapsed())
    }

    /// Reads output until the screen satisfies `done` (at most 10 s).
    fn read_until(&mut self, done: impl Fn(&vt100::Screen) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !done(self.parser.screen()) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.output.recv_timeout(left) {
                Ok(chunk) => self.parser.process(&chunk),
                Err(_) => panic!(
                    "the expected screen did not come; it shows:\n{}",
                    self.parser.screen().contents()
                ),
            }
        }
    }

    /// Writes a key and times it until the screen satisfies `done`.
    fn key(&mut self, key: &str, done: impl Fn(&vt100::Screen) -> bool) -> Duration {
        let t = Instant::now();
        self.writer.write_all(key.as_bytes()).expect("write key");
        self.writer.flush().expect("flush");
        self.read_until(done);
        t.elapsed()
    }

    fn peak_kb(&self) -> Option<u64> {
        let pid = self.child.process_id()?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }

    fn quit(mut self) {
        let _ = self.writer.write_all(b"q");
        let _ = self.writer.flush();
        let end = Instant::now() + Duration::from_secs(5);
        while Instant::now() < end {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = self.child.kill();
    }
}

fn selected_line(s: &vt100::Screen) -> String {
    let (row, _) = s.cursor_position();
    s.contents()
        .lines()
        .nth(usize::from(row))
        .unwrap_or_default()
        .to_string()
}

/// The row of the list's selection marker, when exactly one row has it.
fn row_of_marker(s: &vt100::Screen) -> Option<u16> {
    let rows: Vec<u16> = s
        .contents()
        .lines()
        .enumerate()
        .filter(|(_, l)| l.starts_with("│▸"))
        .map(|(n, _)| u16::try_from(n).unwrap_or(u16::MAX))
        .collect();
    match rows.as_slice() {
        [row] => Some(*row),
        _ => None,
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn summary(mut v: Vec<Duration>) -> String {
    v.sort();
    let at = |q: f64| v[((v.len() as f64 - 1.0) * q).round() as usize];
    format!(
        "median {:.1} ms, p95 {:.1} ms, max {:.1} ms ({} samples)",
        ms(at(0.5)),
        ms(at(0.95)),
        ms(at(1.0)),
        v.len()
    )
}

fn main() {
    let mut args = std::env::args().skip(1);
    let starts: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10);
    let keys: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100);
    let bin = binary();
    assert!(
        bin.exists(),
        "{} not found: run `cargo build --release` first (or set READINESS_BIN)",
        bin.display()
    );

    let mut first_frames = Vec::new();
    for _ in 0..starts {
        let (s, first) = Session::start(&bin);
        first_frames.push(first);
        s.quit();
    }

    let (mut s, _) = Session::start(&bin);
    let mut key_times = Vec::new();
    // The overview: move between the first two phases. A frame is complete when the marker
    // is on the new phase only and the cursor sits on it (it is placed last).
    let phases = ["▸ Before deployment", "▸ During operation"];
    for n in 0..keys / 2 {
        let (key, to, from) = if n % 2 == 0 {
            ("j", phases[1], phases[0])
        } else {
            ("k", phases[0], phases[1])
        };
        key_times.push(s.key(key, |screen| {
            selected_line(screen).contains(to) && !screen.contents().contains(from)
        }));
    }
    if keys / 2 % 2 == 1 {
        s.key("k", |screen| selected_line(screen).contains(phases[0]));
    }
    // The first phase's list: move the selection down and up between two rows.
    s.key("\r", |screen| {
        screen.contents().contains("items · filter: all") && row_of_marker(screen).is_some()
    });
    let top = row_of_marker(s.parser.screen()).expect("a selected row");
    for n in 0..keys - keys / 2 {
        let (key, row) = if n % 2 == 0 {
            ("j", top + 1)
        } else {
            ("k", top)
        };
        key_times.push(s.key(key, |screen| {
            row_of_marker(screen) == Some(row) && screen.cursor_position().0 == row
        }));
    }
    let peak = s.peak_kb();
    s.quit();

    let checklist = std::env::var(CHECKLIST_ENV)
        .map(|p| format!("checklist {p}"))
        .unwrap_or_else(|_| "built-in checklist (68 items)".to_string());
    println!("readiness full-screen wizard, {checklist}, --offline, {COLS}×{ROWS} pty");
    println!("binary: {}", bin.display());
    println!(
        "start → first complete frame: {}   (target ≤ 100 ms)",
        summary(first_frames)
    );
    println!(
        "keypress → redrawn frame:     {}   (target ≤ 16 ms)",
        summary(key_times)
    );
    match peak {
        Some(kb) => println!(
            "peak memory (VmHWM):          {:.1} MB   (target ≤ 50 MB)",
            kb as f64 / 1024.0
        ),
        None => println!("peak memory (VmHWM):          not available (needs /proc)"),
    }
}
