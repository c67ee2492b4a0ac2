//! `--output DIR`: one sign-off per cluster at `DIR/<subscription>/<resource group>/<cluster>.toml`
//! with `[target]` filled and the automatic results recorded, for each team to complete with
//! the wizard.
//!
//! An existing sign-off keeps its answers, layout, comments and signature; only empty
//! `[target]` fields are filled and the automatic results replaced. A file that does not
//! parse (or names another checklist) is never overwritten: it is reported and left alone.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::judge::{self, Documents, Related, Resource};
use super::query::Kind;
use crate::checklist::Checklist;
use crate::engine::{AutoStatus, CheckStatus};
use crate::signoff::{AutoRecord, ChecklistRef, SignOff, store};

pub struct Writer {
    dir: PathBuf,
    checklist: Arc<Checklist>,
    now: jiff::Timestamp,
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
        }
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

    /// Writes (or updates) the cluster's sign-off; on refusal, the path and why.
    pub fn write(
        &self,
        cluster: &Resource,
        related: &Related,
        docs: &Documents,
        statuses: &[AutoStatus],
    ) -> Result<PathBuf, (PathBuf, String)> {
        let path = Self::path_for(
            &self.dir,
            &cluster.subscription,
            &cluster.resource_group,
            &cluster.name,
        );
        let fail = |message: String| (path.clone(), message);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| fail(format!("cannot create {}: {e}", parent.display())))?;
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
        let known: std::collections::HashSet<&str> =
            self.checklist.items.iter().map(|i| i.id.as_str()).collect();
        signoff.items.retain(|id, _| known.contains(id.as_str()));
        signoff.auto.retain(|id, _| known.contains(id.as_str()));
        signoff.checklist = ChecklistRef {
            id: self.checklist.id.clone(),
            version: self.checklist.version.clone(),
            sha256: self.checklist.sha256.clone(),
        };
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
        // The engine's results, with what was observed, as `check --record` stores them.
        let results = crate::engine::evaluate(&self.checklist, &judge::engine_documents(docs));
        debug_assert_eq!(
            results.iter().map(|r| r.status).collect::<Vec<_>>(),
            statuses,
            "fleet verdicts differ from the engine's for {}",
            cluster.id
        );
        for result in &results {
            if result
                .checks
                .iter()
                .any(|c| c.status != CheckStatus::Skipped)
            {
                signoff
                    .auto
                    .insert(result.id.clone(), AutoRecord::from_result(result, self.now));
            }
        }
        store::save(&path, previous.as_deref(), &signoff).map_err(|e| fail(e.to_string()))?;
        Ok(path)
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
