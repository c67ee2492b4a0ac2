//! Where the operator was, kept between runs in a small sidecar file — never in the sign-off:
//! `$XDG_STATE_HOME/readiness/positions/<hash>.json` (else `~/.local/state/readiness/…`),
//! keyed by the sign-off's canonical path. A missing, unreadable or stale file just starts
//! at the overview.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::state::Position;
use crate::checklist::{Checklist, Phase};

/// `$XDG_STATE_HOME/readiness`, else `$HOME/.local/state/readiness`.
pub fn state_dir() -> Option<PathBuf> {
    std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|h| !h.is_empty())
                .map(|h| PathBuf::from(h).join(".local").join("state"))
        })
        .map(|d| d.join("readiness"))
}

/// The sign-off's absolute path (its directory resolved; the file may not exist yet).
pub fn canonical(signoff: &Path) -> PathBuf {
    if let Ok(p) = std::fs::canonicalize(signoff) {
        return p;
    }
    let dir = signoff
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    match (std::fs::canonicalize(dir), signoff.file_name()) {
        (Ok(d), Some(name)) => d.join(name),
        _ => std::path::absolute(signoff).unwrap_or_else(|_| signoff.to_path_buf()),
    }
}

/// The position file for a sign-off.
pub fn file_for(state_dir: &Path, signoff: &Path) -> PathBuf {
    let key = canonical(signoff);
    let hash = crate::attest::sha256_hex(key.to_string_lossy().as_bytes());
    state_dir
        .join("positions")
        .join(format!("{}.json", &hash[..16]))
}

/// The remembered position, when the file exists, parses, names this sign-off and points
/// into this checklist.
pub fn load(file: &Path, signoff: &Path, checklist: &Checklist) -> Option<Position> {
    let text = crate::fsread::read_text(file, crate::fsread::MAX_POSITION).ok()?;
    let doc: Value = serde_json::from_str(&text).ok()?;
    if doc.get("signoff")?.as_str()? != canonical(signoff).to_string_lossy() {
        return None;
    }
    let phase = Phase::parse(doc.get("phase")?.as_str()?)?;
    let item = doc
        .get("item")
        .and_then(Value::as_str)
        .filter(|id| checklist.item(id).is_some_and(|i| i.phase == phase))
        .map(String::from);
    Some(Position { phase, item })
}

/// Writes the position (temporary file and rename; a lost position only costs a few keys).
pub fn save(file: &Path, signoff: &Path, position: &Position) -> std::io::Result<()> {
    let dir = file.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let doc = json!({
        "signoff": canonical(signoff).to_string_lossy(),
        "phase": position.phase.as_str(),
        "item": position.item,
    });
    let tmp = file.with_extension("json.tmp");
    std::fs::write(&tmp, format!("{doc}\n"))?;
    std::fs::rename(&tmp, file)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checklist() -> Checklist {
        crate::checklist::load_file(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/checklists/small.toml"),
        )
        .expect("small checklist")
    }

    #[test]
    fn a_saved_position_comes_back_for_the_same_signoff_only() {
        let dir = tempfile::tempdir().expect("tempdir");
        let signoff = dir.path().join("a.toml");
        let other = dir.path().join("b.toml");
        let file = file_for(dir.path(), &signoff);
        assert_ne!(file, file_for(dir.path(), &other));
        let position = Position {
            phase: Phase::DuringOperation,
            item: Some("k8s.netpol".into()),
        };
        save(&file, &signoff, &position).expect("saved");
        assert_eq!(load(&file, &signoff, &checklist()), Some(position));
        assert_eq!(load(&file, &other, &checklist()), None);
    }

    #[test]
    fn missing_corrupt_or_stale_files_give_nothing_or_the_phase() {
        let dir = tempfile::tempdir().expect("tempdir");
        let signoff = dir.path().join("a.toml");
        let file = file_for(dir.path(), &signoff);
        assert_eq!(load(&file, &signoff, &checklist()), None);
        std::fs::create_dir_all(file.parent().expect("parent")).expect("dir");
        std::fs::write(&file, "{not json").expect("write");
        assert_eq!(load(&file, &signoff, &checklist()), None);
        let stale = json!({
            "signoff": canonical(&signoff).to_string_lossy(),
            "phase": "ongoing-maintenance",
            "item": "no.such-item",
        });
        std::fs::write(&file, stale.to_string()).expect("write");
        assert_eq!(
            load(&file, &signoff, &checklist()),
            Some(Position {
                phase: Phase::OngoingMaintenance,
                item: None
            })
        );
    }
}
