//! `--output DIR`: one sign-off per cluster at `DIR/<subscription>/<resource group>/<cluster>.toml`
//! with `[target]` filled and the automatic results recorded, for each team to complete with
//! the wizard.
//!
//! An existing sign-off keeps its answers, layout, comments and signature; only empty
//! `[target]` fields are filled and the automatic results replaced. A file that does not
//! parse (or names another checklist) is never overwritten: it is reported and left alone.
//!
//! Names are sanitised into path components, so two clusters can map to one file (`aks:prod`
//! and `aks_prod`). Each file belongs to the cluster its `[target]` names (or that claimed it
//! first in this run); another cluster gets the next free `NAME-2.toml`, `NAME-3.toml` …, with
//! a warning naming both. A symlink under DIR (a subdirectory or a file) is never written
//! through: that cluster's sign-off is refused.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::kind::Kind;
use super::model::Resource;
use super::related::Related;
use crate::checklist::Checklist;
use crate::signoff::{SignOff, store};
use crate::verdict::ItemResult;

pub struct Writer {
    dir: PathBuf,
    checklist: Arc<Checklist>,
    now: jiff::Timestamp,
    /// Files written in this run → the cluster (ARM id, name) each belongs to.
    claimed: Mutex<HashMap<PathBuf, (String, String)>>,
}

/// A sign-off written, and a warning when its name had to be disambiguated.
pub struct Written {
    pub path: PathBuf,
    pub warning: Option<String>,
}

/// A path component from a name Azure gave (never a separator, never `.` or `..`).
fn component(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| match c {
            '/' | '\\' | ':' => '_',
            c if c.is_control() => '_',
            c => c,
        })
        .collect();
    match cleaned.trim() {
        "" | "." | ".." => format!("_{cleaned}"),
        _ => cleaned,
    }
}

impl Writer {
    pub fn new(dir: PathBuf, checklist: Arc<Checklist>, now: jiff::Timestamp) -> Self {
        Self {
            dir,
            checklist,
            now,
            claimed: Mutex::new(HashMap::new()),
        }
    }

    /// `DIR/<subscription>/<resource group>`, created a directory at a time: a component that
    /// is a symlink (or not a directory) is refused, never followed.
    fn make_directory(&self, cluster: &Resource) -> Result<(), (PathBuf, String)> {
        std::fs::create_dir_all(&self.dir)
            .map_err(|e| (self.dir.clone(), format!("cannot create it: {e}")))?;
        let mut at = self.dir.clone();
        for part in [&cluster.subscription, &cluster.resource_group] {
            at.push(component(part));
            match std::fs::symlink_metadata(&at) {
                Ok(meta) if meta.file_type().is_symlink() => {
                    return Err((at, "it is a symbolic link; readiness does not write through one out of --output, so this cluster's sign-off was not written".to_string()));
                }
                Ok(meta) if meta.is_dir() => {}
                Ok(meta) => {
                    return Err((
                        at,
                        format!(
                            "it is {}, not a directory",
                            crate::fsread::kind_of(meta.file_type())
                        ),
                    ));
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    std::fs::create_dir(&at)
                        .or_else(|e| match e.kind() {
                            // Another page's cluster created it a moment ago.
                            std::io::ErrorKind::AlreadyExists if at.is_dir() => Ok(()),
                            _ => Err(e),
                        })
                        .map_err(|e| (at.clone(), format!("cannot create it: {e}")))?;
                }
                Err(e) => return Err((at, format!("cannot inspect it: {e}"))),
            }
        }
        Ok(())
    }

    /// The file for `cluster`: [`Self::path_for`], or `NAME-2.toml` … beside it when that one
    /// belongs to another cluster (claimed in this run, or named in its `[target]`).
    fn claim(&self, cluster: &Resource) -> (PathBuf, Option<String>) {
        let first = Self::path_for(
            &self.dir,
            &cluster.subscription,
            &cluster.resource_group,
            &cluster.name,
        );
        let stem = component(&cluster.name);
        let mut claimed = self.claimed.lock().unwrap_or_else(|e| e.into_inner());
        let mut owner_of_first = None;
        let mut n = 0u64;
        loop {
            n += 1;
            let path = match n {
                1 => first.clone(),
                n => first.with_file_name(format!("{stem}-{n}.toml")),
            };
            let owner = match claimed.get(&path) {
                Some((id, name)) => (id != &cluster.id).then(|| name.clone()),
                None => Self::target_elsewhere(&path, cluster),
            };
            match owner {
                Some(other) => {
                    if n == 1 {
                        owner_of_first = Some(other);
                    }
                }
                None => {
                    claimed.insert(path.clone(), (cluster.id.clone(), cluster.name.clone()));
                    let warning = owner_of_first.map(|other| {
                        format!(
                            "clusters {other:?} and {:?} both map to {}; {:?} is written to {}",
                            cluster.name,
                            first.display(),
                            cluster.name,
                            path.display()
                        )
                    });
                    return (path, warning);
                }
            }
        }
    }

    /// The cluster an existing sign-off's `[target]` names, when that is not `cluster`.
    fn target_elsewhere(path: &Path, cluster: &Resource) -> Option<String> {
        let loaded = store::load(path).ok()??;
        let t = &loaded.signoff.target;
        let named = t.cluster.as_ref()?;
        let same = named == &cluster.name
            && t.subscription
                .as_ref()
                .is_none_or(|s| s == &cluster.subscription)
            && t.resource_group
                .as_ref()
                .is_none_or(|g| g == &cluster.resource_group);
        (!same).then(|| named.clone())
    }

    pub fn path_for(
        dir: &Path,
        subscription: &str,
        resource_group: &str,
        cluster: &str,
    ) -> PathBuf {
        dir.join(component(subscription))
            .join(component(resource_group))
            .join(format!("{}.toml", component(cluster)))
    }

    /// The checklist the sign-offs follow (and the clusters written are judged by).
    pub fn checklist(&self) -> &Checklist {
        &self.checklist
    }

    /// Writes (or updates) the cluster's sign-off with `results`; on refusal, the path and
    /// why.
    pub fn write(
        &self,
        cluster: &Resource,
        related: &Related,
        results: &[ItemResult],
    ) -> Result<Written, (PathBuf, String)> {
        self.make_directory(cluster)?;
        let (path, warning) = self.claim(cluster);
        let fail = |message: String| (path.clone(), message);
        if std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(fail("it is a symbolic link; readiness does not write through one out of --output, so this cluster's sign-off was not written".to_string()));
        }
        // A team may be answering in this file right now: read and save under the lock.
        let _lock = store::UpdateLock::acquire(&path);
        let loaded = store::load(&path).map_err(|e| fail(e.to_string()))?;
        let (previous, mut signoff) = match loaded {
            Some(l) => (Some(l.text), l.signoff),
            None => (None, SignOff::default()),
        };
        if !signoff.checklist.id.is_empty() && signoff.checklist.id != self.checklist.id {
            return Err(fail(format!(
                "it is a sign-off for checklist {:?}, not {:?}; it was left unchanged",
                signoff.checklist.id, self.checklist.id
            )));
        }
        // As every save through a session does: the file follows the loaded checklist.
        crate::signoff::follow_checklist(&mut signoff, &self.checklist);
        let only = |names: Vec<String>| match names.as_slice() {
            [one] => Some(one.clone()),
            _ => None,
        };
        let t = &mut signoff.target;
        for (slot, value) in [
            (&mut t.name, Some(cluster.name.clone())),
            (&mut t.subscription, Some(cluster.subscription.clone())),
            (&mut t.resource_group, Some(cluster.resource_group.clone())),
            (&mut t.cluster, Some(cluster.name.clone())),
            (&mut t.key_vault, only(related.names(Kind::Vaults, cluster))),
            (
                &mut t.registry,
                only(related.names(Kind::Registries, cluster)),
            ),
        ] {
            if slot.is_none() {
                *slot = value.filter(|v| !v.is_empty());
            }
        }
        // The engine's results, with what was observed, recorded as `check --record` does.
        signoff
            .auto
            .extend(crate::signoff::auto_records(results, self.now));
        store::save(&path, previous.as_deref(), &signoff).map_err(|e| fail(e.to_string()))?;
        Ok(Written { path, warning })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_never_leave_the_directory() {
        let dir = Path::new("/out");
        assert_eq!(
            Writer::path_for(dir, "sub", "rg-1", "aks-1"),
            Path::new("/out/sub/rg-1/aks-1.toml")
        );
        let odd = Writer::path_for(dir, "..", "a/b", ".");
        assert_eq!(odd, Path::new("/out/_../a_b/_..toml"));
        assert!(
            odd.components()
                .all(|c| !matches!(c, std::path::Component::ParentDir))
        );
    }
}
