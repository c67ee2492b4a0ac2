//! Reading the files a user names: regular files only, opened without blocking, read bounded.
//!
//! A FIFO given as `--signoff` would block `open` until a writer came; `/dev/zero` (or a
//! symlink to it) given as evidence would be read until memory ran out. So every file the
//! tool reads goes through [`read_regular`]: it opens with `O_NONBLOCK` (a FIFO opens at once
//! instead of waiting for a writer), checks the *opened handle* with `fstat` (no race between
//! a check of the path and the open), refuses anything but a regular file, and reads at most
//! `limit` bytes (`take(limit + 1)` tells "exactly the limit" from "more").
//!
//! The limits, per kind of file, sit well above anything real and below what would hurt:

use std::io::Read;
use std::path::{Path, PathBuf};

/// Checklists: the built-in one is ~100 KB; a 10 MB checklist (tests/it/hostile_inputs.rs)
/// still loads.
pub const MAX_CHECKLIST: u64 = 64 << 20;
/// Sign-offs (`--signoff`, `attest --previous`, `diff OLD NEW`): one answer per item of the
/// largest checklist; a 10 MB sign-off still gets its parse error.
pub const MAX_SIGNOFF: u64 = 64 << 20;
/// Attestations (`verify --attestation`): the Markdown `attest` writes for the same.
pub const MAX_ATTESTATION: u64 = 64 << 20;
/// Evidence files (`check --evidence-dir`): what `az … -o json` prints; the same bound as an
/// ARM response body.
pub const MAX_EVIDENCE: u64 = 16 << 20;
/// Templates (`attest --template`): read up to this, then the template loader refuses more
/// than its own 1 MiB with the size in the message.
pub const MAX_TEMPLATE: u64 = 16 << 20;
/// Terraform files (`*.tf`, `*.tfvars`, `.terraform/terraform.tfstate`).
pub const MAX_TERRAFORM: u64 = 16 << 20;
/// The full-screen wizard's remembered position (a few hundred bytes of JSON); a larger
/// one is ignored like an unreadable one.
pub const MAX_POSITION: u64 = 1 << 20;

/// Why a file could not be read; displays as `cannot read PATH: REASON`.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read {}: {}", path.display(), self.reason())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read {}: {}", path.display(), self.reason())]
    NotRegular { path: PathBuf, kind: &'static str },
    #[error("cannot read {}: {}", path.display(), self.reason())]
    TooLarge { path: PathBuf, limit: u64 },
}

impl ReadError {
    /// Why, without the file's name (for messages that name it already).
    pub fn reason(&self) -> String {
        match self {
            Self::Io { source, .. } => source.to_string(),
            Self::NotRegular { kind, .. } => {
                format!("it is {kind}, not a regular file; readiness reads only regular files")
            }
            Self::TooLarge { limit, .. } => {
                format!("it is larger than {limit} bytes, the most readiness reads of such a file")
            }
        }
    }

    pub fn path(&self) -> &Path {
        let (Self::Io { path, .. } | Self::NotRegular { path, .. } | Self::TooLarge { path, .. }) =
            self;
        path
    }

    /// `cannot read WHAT PATH: REASON`, e.g. `cannot read template t.md: …`.
    pub fn naming(&self, what: &str) -> String {
        format!(
            "cannot read {what} {}: {}",
            self.path().display(),
            self.reason()
        )
    }

    /// The file (or a directory on its path) does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
    }
}

/// What a file that is not regular is, in words.
pub fn kind_of(file_type: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if file_type.is_char_device() {
            return "a character device";
        }
        if file_type.is_block_device() {
            return "a block device";
        }
        if file_type.is_socket() {
            return "a socket";
        }
    }
    if file_type.is_dir() {
        "a directory"
    } else if file_type.is_symlink() {
        "a symbolic link"
    } else if file_type.is_file() {
        "a regular file"
    } else {
        "a special file"
    }
}

/// The whole of a regular file of at most `limit` bytes (symlinks are followed; what they
/// point at must be a regular file).
pub fn read_regular(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let io = |source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    let file = options.open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if !meta.file_type().is_file() {
        return Err(ReadError::NotRegular {
            path: path.to_path_buf(),
            kind: kind_of(meta.file_type()),
        });
    }
    let mut bytes = Vec::with_capacity(meta.len().min(limit) as usize);
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge {
            path: path.to_path_buf(),
            limit,
        });
    }
    Ok(bytes)
}

/// [`read_regular`] for text: invalid UTF-8 becomes U+FFFD (callers that report the
/// position of bad UTF-8 use [`read_regular`] and decode themselves).
pub fn read_text_lossy(path: &Path, limit: u64) -> Result<String, ReadError> {
    let bytes = read_regular(path, limit)?;
    Ok(match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}

/// [`read_regular`] for text that must be UTF-8, as `std::fs::read_to_string` requires.
pub fn read_text(path: &Path, limit: u64) -> Result<String, ReadError> {
    let bytes = read_regular(path, limit)?;
    String::from_utf8(bytes).map_err(|_| ReadError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regular_files_are_read_and_others_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.txt");
        std::fs::write(&file, "12345").unwrap();
        assert_eq!(read_regular(&file, 5).unwrap(), b"12345");
        assert!(matches!(
            read_regular(&file, 4),
            Err(ReadError::TooLarge { limit: 4, .. })
        ));
        assert!(matches!(
            read_regular(dir.path(), 4),
            Err(ReadError::NotRegular { .. })
        ));
        assert!(
            read_regular(&dir.path().join("missing"), 4)
                .unwrap_err()
                .is_not_found()
        );
        #[cfg(unix)]
        {
            let e = read_regular(Path::new("/dev/zero"), 4).unwrap_err();
            assert_eq!(
                e.to_string(),
                "cannot read /dev/zero: it is a character device, not a regular file; readiness reads only regular files"
            );
        }
    }
}
