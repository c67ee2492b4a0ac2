//! Loading and saving the sign-off file.
//!
//! Saves are atomic: the new text goes to a temporary file in the same directory, is flushed
//! to disk, then renamed over the old one, so a crash leaves either the old or the new file,
//! never half of one. A file that does not parse is never overwritten.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::SignOff;
use crate::diag::Diagnostics;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Not a regular file, or larger than [`crate::fsread::MAX_SIGNOFF`].
    #[error("{0}")]
    Unreadable(crate::fsread::ReadError),
    #[error("cannot save {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{n} problem(s) in the sign-off file (it was not changed; fix it or move it away, then run again):\n{0}", n = .0.0.len())]
    Invalid(Diagnostics),
    #[error(
        "{0} is a symbolic link; readiness only writes regular files (point --signoff at the real file)"
    )]
    Symlink(PathBuf),
}

/// The sign-off as found on disk: its exact text (for digests and comment-preserving
/// rewrites) and its parsed content.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub text: String,
    pub signoff: SignOff,
}

/// Reads the sign-off; `Ok(None)` when the file does not exist yet.
pub fn load(path: &Path) -> Result<Option<Loaded>, StoreError> {
    refuse_symlink(path)?;
    let bytes = match crate::fsread::read_regular(path, crate::fsread::MAX_SIGNOFF) {
        Ok(bytes) => bytes,
        Err(e) if e.is_not_found() => return Ok(None),
        Err(crate::fsread::ReadError::Io { source, .. }) => {
            return Err(StoreError::Read {
                path: path.to_path_buf(),
                source,
            });
        }
        Err(e) => return Err(StoreError::Unreadable(e)),
    };
    let name = path.display().to_string();
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let source = crate::diag::SourceText::new(
                name,
                String::from_utf8_lossy(e.as_bytes()).into_owned(),
            );
            return Err(StoreError::Invalid(Diagnostics(vec![
                source.diagnostic(Some(at..at), "the file is not valid UTF-8"),
            ])));
        }
    };
    let signoff = super::parse(&name, &text).map_err(StoreError::Invalid)?;
    Ok(Some(Loaded { text, signoff }))
}

/// Renders and atomically writes the sign-off, preserving what it can of `previous`.
/// Returns the text written.
pub fn save(path: &Path, previous: Option<&str>, signoff: &SignOff) -> Result<String, StoreError> {
    refuse_symlink(path)?;
    let text = super::render(previous, signoff);
    write_atomic(path, text.as_bytes()).map_err(|source| StoreError::Write {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(text)
}

/// Reads the current file, applies `change`, and saves: each save starts from what is on
/// disk, and the read and the save hold [`UpdateLock`], so an answer another `readiness`
/// process records at the same moment is not lost.
pub fn update<T>(
    path: &Path,
    change: impl FnOnce(&mut SignOff) -> T,
) -> Result<(SignOff, T), StoreError> {
    update_then(path, change, |_| ()).map(|(signoff, result, ())| (signoff, result))
}

/// [`update`], then `after` with the exact text written, still holding the lock (so no other
/// `readiness` save comes between: `sign --key` signs these very bytes).
pub fn update_then<T, A>(
    path: &Path,
    change: impl FnOnce(&mut SignOff) -> T,
    after: impl FnOnce(&str) -> A,
) -> Result<(SignOff, T, A), StoreError> {
    let _lock = UpdateLock::acquire(path);
    let loaded = load(path)?;
    let (previous, mut signoff) = match loaded {
        Some(l) => (Some(l.text), l.signoff),
        None => (None, SignOff::default()),
    };
    let result = change(&mut signoff);
    let text = save(path, previous.as_deref(), &signoff)?;
    let after = after(&text);
    Ok((signoff, result, after))
}

/// An exclusive advisory lock (`flock`) on the directory of a sign-off, held from reading
/// it to renaming the new text over it: two processes saving the same file (the wizard and a
/// scheduled `check --record`, say) take turns instead of one overwriting the other's answer.
/// The directory, not the file, because every save replaces the file's inode and the first
/// save creates it. The kernel drops the lock when the process dies, so none goes stale.
/// Best effort: where the directory cannot be opened or locked, saving goes on unlocked.
pub struct UpdateLock {
    /// Kept open for as long as the lock is held; closing it releases the lock.
    _held: Option<std::fs::File>,
}

impl UpdateLock {
    /// Waits until no other process holds the lock for `path`'s directory.
    pub fn acquire(path: &Path) -> Self {
        let dir = parent_dir(path);
        let locked = std::fs::File::open(&dir).and_then(|handle| {
            handle.lock()?;
            Ok(handle)
        });
        match locked {
            Ok(handle) => Self {
                _held: Some(handle),
            },
            Err(e) => {
                tracing::debug!("saving {} without a lock: {e}", path.display());
                Self { _held: None }
            }
        }
    }
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn refuse_symlink(path: &Path) -> Result<(), StoreError> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => Err(StoreError::Symlink(path.to_path_buf())),
        _ => Ok(()),
    }
}

/// Temp file in the same directory, fsync, rename, fsync the directory.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = parent_dir(path);
    let mut tmp = tempfile::Builder::new()
        .prefix(".readiness-")
        .suffix(".tmp")
        .tempfile_in(&dir)
        .map_err(|e| {
            // Name the directory: tempfile's message ends with the random temporary name
            // (" at path …"), which means nothing to the user.
            let text = e.to_string();
            let why = text.split(" at path ").next().unwrap_or(&text);
            std::io::Error::new(
                e.kind(),
                format!("cannot create a temporary file in {}: {why}", dir.display()),
            )
        })?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    if let Ok(meta) = std::fs::metadata(path) {
        // Keep the permissions the user gave the file.
        tmp.as_file().set_permissions(meta.permissions())?;
    }
    stall_for_crash_test();
    tmp.persist(path).map_err(|e| e.error)?;
    #[cfg(unix)]
    if let Ok(d) = std::fs::File::open(&dir) {
        // Make the rename itself durable.
        let _ = d.sync_all();
    }
    Ok(())
}

/// Test hook: with `READINESS_TEST_STALL_SAVE` set, a save stops after the temporary file is
/// written and before it replaces the sign-off, and says so on stderr, so a test can kill
/// the process at the worst moment and check that the last good file survived.
/// Only in a build with the `test-hooks` feature: the release binary has no such hook.
fn stall_for_crash_test() {
    #[cfg(feature = "test-hooks")]
    if std::env::var_os("READINESS_TEST_STALL_SAVE").is_some() {
        crate::errln!("readiness-test: save stalled before rename");
        loop {
            std::thread::park();
        }
    }
}
