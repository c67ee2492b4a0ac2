//! The runtime around [`update`]: the terminal's lifecycle, input, signals, the automatic
//! checks in tokio tasks, and the effects. The store effects (saves, signing, the
//! attestation) run through the [`Session`] on a worker thread that owns it, so a save
//! waiting for another process's lock never stops keys or redraws.
//!
//! The terminal is restored on every way out: normal exit and errors (a guard restores on
//! drop), panics — in the UI thread or a background task — (a hook restores, reports and
//! exits), and SIGTERM / SIGHUP / SIGINT (they arrive as messages and end the loop). Ctrl-Z
//! restores it too, stops the process, and takes the terminal back on `fg`.

use std::collections::VecDeque;
use std::io::{BufWriter, Stdout, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossterm::event::{self, Event, KeyEventKind};
use crossterm::terminal::{EnterAlternateScreen, LeaveAlternateScreen};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

use super::resume;
use super::state::{ChecksFailed, Config, Effect, Msg, State, TestPanic, update};
use super::theme::ColorChoice;
use super::view;
use crate::checklist::Checklist;
use crate::engine::{self, EngineError, RunError};
use crate::exit::Failure;
use crate::session::Session;
use crate::signoff::Status;
use crate::sources::azure::discovery::DiscoveryError;

/// What the full-screen wizard needs beyond the session.
pub struct Options {
    pub author: String,
    pub attestation_path: PathBuf,
    pub sources: engine::SourceSpec,
    pub color: ColorChoice,
    /// `--revisit`: carried answers are offered for review too.
    pub revisit: bool,
}

/// How the wizard ended.
#[derive(Debug)]
pub struct Outcome {
    pub answered_this_run: usize,
    /// The signal that ended it, if one did.
    pub stopped_by: Option<String>,
    pub log_path: Option<PathBuf>,
}

type Backend = CrosstermBackend<BufWriter<Stdout>>;

/// Whether raw mode and the alternate screen are on (so restoring happens once).
static TERMINAL_ACTIVE: AtomicBool = AtomicBool::new(false);

/// Store effects sent to the worker and not finished, so the panic hook tells the truth.
static STORE_IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

/// Leaves raw mode and the alternate screen and shows the cursor. Safe to call twice and
/// from the panic hook.
pub fn restore_terminal() {
    if TERMINAL_ACTIVE.swap(false, Ordering::SeqCst) {
        let _ = crossterm::terminal::disable_raw_mode();
        let _ = crossterm::execute!(
            std::io::stdout(),
            crossterm::event::DisableBracketedPaste,
            LeaveAlternateScreen,
            crossterm::cursor::Show
        );
    }
}

/// Owns the terminal; dropping it restores the terminal.
struct TerminalGuard {
    terminal: Terminal<Backend>,
}

/// Raw mode, the alternate screen cleared, and a fresh `Terminal` whose first draw paints
/// every cell. Restores the terminal again if any step fails.
fn open_terminal() -> std::io::Result<Terminal<Backend>> {
    crossterm::terminal::enable_raw_mode()?;
    TERMINAL_ACTIVE.store(true, Ordering::SeqCst);
    // A plain clear: `Terminal::clear` would ask the terminal for the cursor position.
    // Bracketed paste: a pasted note arrives whole, so its newlines cannot submit a form.
    let started = crossterm::execute!(
        std::io::stdout(),
        EnterAlternateScreen,
        crossterm::event::EnableBracketedPaste,
        crossterm::terminal::Clear(crossterm::terminal::ClearType::All)
    )
    .and_then(|()| {
        Terminal::new(CrosstermBackend::new(BufWriter::with_capacity(
            1 << 16,
            std::io::stdout(),
        )))
    });
    if started.is_err() {
        restore_terminal();
    }
    started
}

impl TerminalGuard {
    fn enter() -> std::io::Result<Self> {
        open_terminal().map(|terminal| Self { terminal })
    }
}

/// Ctrl-Z: give the shell its screen back and stop as the shell's job control expects;
/// on `fg` (SIGCONT) the wizard takes the terminal again and repaints everything.
#[cfg(unix)]
fn suspend(terminal: &mut Terminal<Backend>) -> std::io::Result<()> {
    let _ = terminal.backend_mut().flush();
    restore_terminal();
    crate::outln!("readiness is suspended; every confirmed answer is saved. `fg` brings it back.");
    tracing::info!("suspended");
    signal_hook::low_level::raise(signal_hook::consts::SIGTSTP)?;
    // Here again once continued (at once where nothing does job control).
    *terminal = open_terminal()?;
    tracing::info!("resumed");
    Ok(())
}

#[cfg(not(unix))]
fn suspend(_terminal: &mut Terminal<Backend>) -> std::io::Result<()> {
    Ok(())
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        let _ = self.terminal.backend_mut().flush();
        restore_terminal();
    }
}

/// A panic anywhere (this thread or a tokio worker) restores the terminal, says where the
/// work is, and exits: the screen is never left garbled.
fn install_panic_hook(signoff: PathBuf, log: Option<PathBuf>) {
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal();
        tracing::error!("panic: {info}");
        crate::errln!("readiness stopped because of a bug: {info}");
        if STORE_IN_FLIGHT.load(Ordering::SeqCst) == 0 {
            crate::errln!(
                "Every answer you confirmed is saved in {}.",
                signoff.display()
            );
        } else {
            crate::errln!(
                "The last answer you confirmed was still waiting to be saved and may not be in {}; check it there.",
                signoff.display()
            );
        }
        if let Some(log) = &log {
            crate::errln!("The log is {}.", log.display());
        }
        std::process::exit(101);
    }));
}

/// Logs go to a file (never to the screen): `<state dir>/readiness.log`, filtered by
/// `READINESS_LOG` (default `readiness=info`).
fn init_logging(
    dir: Option<&Path>,
) -> (
    Option<tracing_appender::non_blocking::WorkerGuard>,
    Option<PathBuf>,
) {
    let dir = dir.map_or_else(|| std::env::temp_dir().join("readiness"), Path::to_path_buf);
    if std::fs::create_dir_all(&dir).is_err()
        || private_log_file(&dir.join("readiness.log")).is_err()
    {
        return (None, None);
    }
    let Ok(appender) = tracing_appender::rolling::RollingFileAppender::builder()
        .rotation(tracing_appender::rolling::Rotation::NEVER)
        .filename_prefix("readiness")
        .filename_suffix("log")
        .build(&dir)
    else {
        return (None, None);
    };
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = tracing_subscriber::EnvFilter::try_from_env("READINESS_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("readiness=info"));
    let installed = tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init()
        .is_ok();
    if installed {
        (Some(guard), Some(dir.join("readiness.log")))
    } else {
        (None, None)
    }
}

/// The log records what the wizard did and what went wrong: only its owner
/// may read it. Created here, mode 0600, before the appender opens it (the appender would
/// create it with the umask's mode); an existing log is narrowed to 0600 too.
fn private_log_file(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let file = options.mode(0o600).open(path)?;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    #[cfg(not(unix))]
    options.open(path)?;
    Ok(())
}

/// Forced panics for the end-to-end tests; only in a build with the `test-hooks` feature.
#[cfg(feature = "test-hooks")]
fn test_panic() -> Option<TestPanic> {
    match std::env::var("READINESS_TEST_PANIC").as_deref() {
        Ok("render") => Some(TestPanic::Render),
        Ok("task") => Some(TestPanic::Task),
        _ => None,
    }
}

#[cfg(not(feature = "test-hooks"))]
fn test_panic() -> Option<TestPanic> {
    None
}

/// Keys and resizes from the terminal, on their own thread (crossterm reads block).
fn spawn_input(tx: Sender<Msg>, stop: Arc<AtomicBool>) {
    std::thread::spawn(move || {
        while !stop.load(Ordering::SeqCst) {
            match event::poll(Duration::from_millis(200)) {
                Ok(false) => continue,
                Ok(true) => {}
                Err(e) => {
                    tracing::error!("reading the terminal failed: {e}");
                    let _ = tx.send(Msg::Signal("a terminal read error".into()));
                    return;
                }
            }
            let msg = match event::read() {
                Ok(Event::Key(key)) if key.kind == KeyEventKind::Press => Msg::Key(key),
                Ok(Event::Resize(w, h)) => Msg::Resize(w, h),
                Ok(Event::Paste(text)) => Msg::Paste(text),
                Ok(_) => continue,
                Err(e) => {
                    tracing::error!("reading the terminal failed: {e}");
                    Msg::Signal("a terminal read error".into())
                }
            };
            if tx.send(msg).is_err() {
                return;
            }
        }
    });
}

/// What tells one version of the file from another: every save renames a new file into
/// place, so the inode changes even when the time and size do not.
type FileStamp = (u64, Option<std::time::SystemTime>, u64);

fn file_stamp(path: &Path) -> Option<FileStamp> {
    let meta = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(&meta);
    #[cfg(not(unix))]
    let inode = 0;
    Some((inode, meta.modified().ok(), meta.len()))
}

/// SIGTERM, SIGHUP and SIGINT become a message, so the loop ends and restores the terminal.
/// The handlers are registered before this returns.
#[cfg(unix)]
fn spawn_signals(runtime: &tokio::runtime::Runtime, tx: Sender<Msg>) {
    use tokio::signal::unix::{SignalKind, signal};
    let _entered = runtime.enter();
    let (Ok(mut term), Ok(mut hup), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::hangup()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::warn!("could not install the signal handlers");
        return;
    };
    runtime.spawn(async move {
        let name = tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = hup.recv() => "SIGHUP",
            _ = int.recv() => "SIGINT",
        };
        let _ = tx.send(Msg::Signal(name.into()));
    });
}

#[cfg(not(unix))]
fn spawn_signals(_runtime: &tokio::runtime::Runtime, _tx: Sender<Msg>) {}

/// Runs the automatic checks (every item, or one) in a task that reports through `tx`, on
/// the target the wizard shows (the sign-off as last saved or read from disk).
fn spawn_checks(
    runtime: &tokio::runtime::Runtime,
    tx: Sender<Msg>,
    state: &State,
    sources: &engine::SourceSpec,
    run: u64,
    only: Option<String>,
) -> tokio::task::JoinHandle<()> {
    let mut checklist: Checklist = state.checklist.clone();
    if let Some(id) = &only {
        checklist.items.retain(|i| i.id == *id);
    }
    let target = state.signoff.target.clone();
    let sources = sources.clone();
    let now = state.clock.now();
    runtime.spawn(async move {
        let config = match engine::configure(&sources, &target).await {
            Ok(c) => c,
            Err(e) => {
                let _ = tx.send(Msg::ChecksDone {
                    run,
                    result: Err(ChecksFailed {
                        message: e.to_string(),
                        clusters: Vec::new(),
                    }),
                });
                return;
            }
        };
        let _ = tx.send(Msg::ChecksConfigured {
            run,
            skipped_because: config.arm_skipped_because.clone(),
        });
        let (progress_tx, mut progress_rx) = tokio::sync::mpsc::unbounded_channel();
        let forward = {
            let tx = tx.clone();
            tokio::spawn(async move {
                while let Some(progress) = progress_rx.recv().await {
                    let _ = tx.send(Msg::CheckProgress { run, progress });
                }
            })
        };
        let outcome = engine::run_within(
            engine::run_bound(sources.azure.timeout),
            &checklist,
            &config,
            now,
            Some(progress_tx),
        )
        .await;
        if outcome.is_ok() {
            let _ = forward.await;
        }
        let failed =
            |message: String, clusters: Vec<String>| Err(ChecksFailed { message, clusters });
        let result = match outcome {
            Err(e @ RunError::TooSlow(_)) => failed(e.to_string(), Vec::new()),
            Err(RunError::Engine(EngineError::Discovery(e))) => {
                let clusters = match &e {
                    DiscoveryError::Ambiguous {
                        flag, candidates, ..
                    } if *flag == "--cluster" => candidates.clone(),
                    _ => Vec::new(),
                };
                failed(e.to_string(), clusters)
            }
            Err(RunError::Engine(e)) => failed(e.to_string(), Vec::new()),
            Ok(report) => Ok(report),
        };
        tracing::info!(run, ok = result.is_ok(), "automatic checks finished");
        let _ = tx.send(Msg::ChecksDone { run, result });
    })
}

/// The sign-off's own thread. It owns the [`Session`], runs the store effects one after
/// another, in the order they were sent, and reports each as its message; between them it
/// looks at the file once a second and, when someone else changed it, reads it again and
/// reports [`Msg::SignoffOnDisk`]. Reading on the thread that saves means a stale read never
/// wins over a save. A save waiting for another process's lock waits here, not in the loop.
struct Store {
    jobs: Sender<Effect>,
    thread: JoinHandle<()>,
}

impl Store {
    fn spawn(session: Session, tx: Sender<Msg>) -> std::io::Result<Self> {
        let (jobs, inbox) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("readiness-store".into())
            .spawn(move || store_worker(session, &inbox, &tx))?;
        Ok(Self { jobs, thread })
    }

    fn run(&self, effect: Effect) {
        STORE_IN_FLIGHT.fetch_add(1, Ordering::SeqCst);
        if self.jobs.send(effect).is_err() {
            // Only after a panic on the worker, which ends the process anyway.
            tracing::error!("the store worker is gone");
        }
    }

    /// Waits until every effect sent has run.
    fn finish(self) {
        drop(self.jobs);
        let _ = self.thread.join();
    }
}

fn store_worker(mut session: Session, inbox: &Receiver<Effect>, tx: &Sender<Msg>) {
    let every = Duration::from_secs(1);
    // The file as this wizard last saw or wrote it, to tell others' saves from its own.
    let mut seen = file_stamp(&session.path);
    let mut next_look = Instant::now() + every;
    loop {
        if Instant::now() >= next_look {
            next_look = Instant::now() + every;
            let now = file_stamp(&session.path);
            if now != seen {
                seen = now;
                let _ = tx.send(Msg::SignoffOnDisk(reread(&mut session)));
            }
        }
        match inbox.recv_timeout(next_look.saturating_duration_since(Instant::now())) {
            Ok(effect) => {
                let report = execute(effect, &mut session);
                STORE_IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
                // Our own save needs no second reading: its result is in the report.
                seen = file_stamp(&session.path);
                // The loop may be gone (quitting); the effect has run all the same.
                if let Some(msg) = report {
                    let _ = tx.send(msg);
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            // Every effect sent has run: the wizard is closing.
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// Executes one store effect through the session; the result comes back as a message.
fn execute(effect: Effect, session: &mut Session) -> Option<Msg> {
    match effect {
        Effect::SaveAnswer { item, input } => {
            let status = input.status.unwrap_or(Status::Pass);
            let result = session
                .record(&item, input)
                .map(|r| (session.signoff.clone(), r.signature_cleared))
                .map_err(|e| e.to_string());
            tracing::info!(%item, %status, ok = result.is_ok(), "answer");
            Some(Msg::AnswerSaved {
                item,
                status,
                result,
            })
        }
        Effect::SetTarget(target) => Some(Msg::TargetSaved(
            session
                .set_target(target)
                .map(|r| (session.signoff.clone(), r.signature_cleared))
                .map_err(|e| e.to_string()),
        )),
        Effect::Sign { name, role } => Some(Msg::Signed(
            session
                .sign(&name, &role)
                .map(|()| session.signoff.clone())
                .map_err(|e| e.to_string()),
        )),
        Effect::WriteAttestation(path) => Some(Msg::AttestationWritten(
            crate::attest::write(
                &session.checklist,
                &session.path,
                &session.signoff,
                session.clock.now(),
                &path,
            )
            .map(|()| std::path::absolute(&path).unwrap_or(path))
            .map_err(|e| e.to_string()),
        )),
        Effect::RecordAuto(records) => Some(Msg::AutoRecorded(
            session
                .record_auto(records, None)
                .map(|()| session.signoff.clone())
                .map_err(|e| e.to_string()),
        )),
        // Handled by the loop, never sent here.
        Effect::RunChecks { .. } | Effect::Suspend | Effect::Quit => None,
    }
}

/// The sign-off as it is on disk now, kept in the session too, so checks started from now
/// on read the target as it is there.
fn reread(session: &mut Session) -> Result<crate::signoff::SignOff, String> {
    let signoff = match crate::signoff::store::load(&session.path) {
        Ok(Some(loaded)) => loaded.signoff,
        // Moved away: the next answer starts a new file, as on a first run.
        Ok(None) => crate::signoff::SignOff::default(),
        Err(e) => return Err(e.to_string()),
    };
    session.signoff = signoff.clone();
    Ok(signoff)
}

/// Runs the full-screen wizard until the operator quits.
pub fn run(session: Session, options: Options) -> Result<Outcome, Failure> {
    let state_dir = resume::state_dir();
    let (_log_guard, log_path) = init_logging(state_dir.as_deref());
    tracing::info!(signoff = %session.path.display(), "full-screen wizard starting");
    let color = options
        .color
        .enabled(std::env::var_os("NO_COLOR").as_deref());
    crossterm::style::force_color_output(color);
    let position_file = state_dir
        .as_deref()
        .map(|d| resume::file_for(d, &session.path));
    let resume_at = position_file
        .as_deref()
        .and_then(|f| resume::load(f, &session.path, &session.checklist));
    let config = Config {
        author: options.author.clone(),
        signoff_path: session.path.clone(),
        attestation_path: options.attestation_path.clone(),
        color,
        offline: options.sources.offline,
        log_path: log_path.clone(),
        revisit: options.revisit,
    };
    let mut state = State::new(
        session.checklist.clone(),
        session.signoff.clone(),
        session.clock,
        config,
        resume_at,
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("readiness-checks")
        .enable_all()
        .build()
        .map_err(|e| Failure::internal(format!("cannot start the async runtime: {e}")))?;
    let (tx, rx) = std::sync::mpsc::channel::<Msg>();
    spawn_signals(&runtime, tx.clone());

    let signoff_path = session.path.clone();
    install_panic_hook(signoff_path.clone(), log_path.clone());
    let store = Store::spawn(session, tx.clone())
        .map_err(|e| Failure::internal(format!("cannot start the store worker: {e}")))?;
    let result = TerminalGuard::enter()
        .map_err(|e| format!("cannot open the terminal: {e}"))
        .and_then(|mut guard| {
            let stop = Arc::new(AtomicBool::new(false));
            spawn_input(tx.clone(), stop.clone());
            let result = event_loop(
                &mut guard.terminal,
                &mut state,
                &store,
                &runtime,
                (&tx, &rx),
                &options.sources,
                position_file.as_deref(),
            );
            stop.store(true, Ordering::SeqCst);
            if let Some(file) = &position_file {
                let _ = resume::save(file, &signoff_path, &state.position());
            }
            // Dropping the guard restores the terminal.
            drop(guard);
            result.map_err(|e| format!("the terminal failed: {e}"))
        });
    // A quit waits in the loop for every save; a failing terminal may leave one waiting.
    if state.saving.pending > 0 {
        crate::errln!("readiness: waiting for the last answer to be saved…");
    }
    store.finish();
    // The default panic report again, now that the terminal is restored.
    let _ = std::panic::take_hook();
    runtime.shutdown_background();
    tracing::info!(
        answered = state.answered_this_run,
        "full-screen wizard closed"
    );
    result.map_err(Failure::internal)?;
    Ok(Outcome {
        answered_this_run: state.answered_this_run,
        stopped_by: state.stopped_by.clone(),
        log_path,
    })
}

fn event_loop(
    terminal: &mut Terminal<Backend>,
    state: &mut State,
    store: &Store,
    runtime: &tokio::runtime::Runtime,
    (tx, rx): (&Sender<Msg>, &Receiver<Msg>),
    sources: &engine::SourceSpec,
    position_file: Option<&Path>,
) -> std::io::Result<()> {
    let size = terminal.size()?;
    state.size = (size.width, size.height);
    let test_panic = test_panic();
    let mut last_position = state.position();
    let mut checks: Option<tokio::task::JoinHandle<()>> = None;
    let mut seen_key = false;
    let tick = Duration::from_millis(100);
    let mut next_tick = Instant::now() + tick;
    let mut ticking = false;

    let mut queue = VecDeque::new();
    draw(terminal, state, &mut queue)?;
    queue.push_back(Msg::Start);
    loop {
        if state.ticking() && !ticking {
            // A save just started waiting: its ticks count from now.
            next_tick = Instant::now() + tick;
        }
        ticking = state.ticking();
        if queue.is_empty() {
            if ticking && Instant::now() >= next_tick {
                queue.push_back(Msg::Tick);
                next_tick = Instant::now() + tick;
            } else {
                let msg = if ticking {
                    match rx.recv_timeout(next_tick.saturating_duration_since(Instant::now())) {
                        Ok(m) => m,
                        Err(RecvTimeoutError::Timeout) => continue,
                        Err(RecvTimeoutError::Disconnected) => return Ok(()),
                    }
                } else {
                    match rx.recv() {
                        Ok(m) => m,
                        Err(_) => return Ok(()),
                    }
                };
                queue.push_back(msg);
                queue.extend(rx.try_iter());
            }
        }
        while let Some(msg) = queue.pop_front() {
            if matches!(msg, Msg::Key(_)) && !seen_key {
                seen_key = true;
                match test_panic {
                    Some(TestPanic::Render) => state.panic_in_render = true,
                    Some(TestPanic::Task) => {
                        runtime.spawn(async {
                            panic!("test hook: a forced panic in a background task")
                        });
                    }
                    None => {}
                }
            }
            for effect in update(state, msg) {
                match effect {
                    Effect::Quit => return Ok(()),
                    Effect::Suspend => {
                        suspend(terminal)?;
                        // The terminal may have been resized while the wizard was stopped.
                        let size = terminal.size()?;
                        queue.push_back(Msg::Resize(size.width, size.height));
                    }
                    Effect::RunChecks { run, only } => {
                        // Single flight: a new run replaces the one in progress.
                        if let Some(previous) = checks.take() {
                            previous.abort();
                        }
                        checks = Some(spawn_checks(runtime, tx.clone(), state, sources, run, only));
                    }
                    store_effect => store.run(store_effect),
                }
            }
        }
        let position = state.position();
        if position != last_position {
            if let Some(file) = position_file {
                let _ = resume::save(file, &state.config.signoff_path, &position);
            }
            last_position = position;
        }
        draw(terminal, state, &mut queue)?;
    }
}

/// Draws a frame. What it measured goes back to `update` (when it changed), so the screens
/// keep their viewport from the last frame and keys never call render code.
fn draw(
    terminal: &mut Terminal<Backend>,
    state: &State,
    queue: &mut VecDeque<Msg>,
) -> std::io::Result<()> {
    let mut measured = None;
    terminal.draw(|f| measured = Some(view::draw(state, f)))?;
    if let Some(viewport) = measured.filter(|v| *v != state.viewport) {
        queue.push_back(Msg::Layout(viewport));
    }
    Ok(())
}
