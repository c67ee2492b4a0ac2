//! What changed between two sign-offs (last quarter's and this one), for reviewers.
//! Unchanged items are not listed.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::Serialize;

use crate::checklist::Checklist;
use crate::signoff::{Answer, SignOff, Status, Target};
use crate::term::safe_line;
use crate::validity::{self, Freshness};

/// One item in a list of the diff.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Entry {
    pub id: String,
    pub title: String,
    /// What happened, in words: "✔ pass → ✖ fail", "expires 2027-01-05", …
    pub detail: String,
    /// The id is an item of the loaded checklist (and so a checked id); otherwise it came
    /// only from a sign-off file and is shown escaped and marked.
    #[serde(skip)]
    pub known: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FieldChange {
    pub field: &'static str,
    pub old: String,
    pub new: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AnswerChange {
    pub id: String,
    pub title: String,
    pub changes: Vec<FieldChange>,
    /// As [`Entry::known`].
    #[serde(skip)]
    pub known: bool,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Diff {
    pub old_checklist_version: String,
    pub new_checklist_version: String,
    pub newly_failing: Vec<Entry>,
    pub newly_passing: Vec<Entry>,
    pub changed_answers: Vec<AnswerChange>,
    pub lapsed: Vec<Entry>,
    pub renewed: Vec<Entry>,
    pub risks_added: Vec<Entry>,
    pub risks_removed: Vec<Entry>,
    pub risks_expiring: Vec<Entry>,
    pub items_added: Vec<Entry>,
    pub items_removed: Vec<Entry>,
    pub items_changed: Vec<Entry>,
    pub signoff_changes: Vec<String>,
}

/// Days ahead in which an expiring risk acceptance is called out.
pub const EXPIRING_WITHIN_DAYS: i64 = 30;

fn status_word(a: Option<&Answer>) -> String {
    a.map_or_else(|| "○ open".to_string(), |a| a.status.mark().to_string())
}

/// When a sign-off was last touched: its signature, else its latest answer.
pub fn reference_date(s: &SignOff) -> Option<Date> {
    s.signoff
        .as_ref()
        .map(|sig| sig.signed_at)
        .or_else(|| s.items.values().map(|a| a.answered_at).max())
        .map(|t| t.to_zoned(TimeZone::UTC).date())
}

pub fn diff(checklist: &Checklist, old: &SignOff, new: &SignOff, today: Date) -> Diff {
    let title = |id: &str| {
        checklist.item(id).map_or_else(
            || "(no longer in the checklist)".to_string(),
            |i| i.title.clone(),
        )
    };
    let entry = |id: &str, detail: String| Entry {
        id: id.to_string(),
        title: title(id),
        detail,
        known: checklist.item(id).is_some(),
    };
    let mut d = Diff {
        old_checklist_version: old.checklist.version.clone(),
        new_checklist_version: new.checklist.version.clone(),
        ..Diff::default()
    };
    let old_day = reference_date(old).unwrap_or(today);

    let ids: std::collections::BTreeSet<&String> = old
        .items
        .keys()
        .chain(new.items.keys())
        .chain(old.auto.keys())
        .chain(new.auto.keys())
        .collect();
    // Checklist order first, then ids no longer in it.
    let mut ordered: Vec<&String> = checklist
        .items
        .iter()
        .map(|i| &i.id)
        .filter(|id| ids.contains(id))
        .collect();
    ordered.extend(
        ids.iter()
            .copied()
            .filter(|id| checklist.item(id).is_none()),
    );

    for id in ordered {
        let (o, n) = (old.items.get(id), new.items.get(id));
        let (os, ns) = (o.map(|a| a.status), n.map(|a| a.status));
        let transition = format!("{} → {}", status_word(o), status_word(n));
        if ns == Some(Status::Fail) && os != Some(Status::Fail) {
            d.newly_failing.push(entry(id, transition.clone()));
        }
        if ns == Some(Status::Pass) && os != Some(Status::Pass) {
            d.newly_passing.push(entry(id, transition.clone()));
        }
        let (oa, na) = (
            old.auto.get(id).map(|a| a.status),
            new.auto.get(id).map(|a| a.status),
        );
        if na == Some(crate::verdict::AutoStatus::Fail)
            && oa != Some(crate::verdict::AutoStatus::Fail)
        {
            d.newly_failing
                .push(entry(id, "automatic check now fails".to_string()));
        }
        if let (Some(o), Some(n)) = (o, n) {
            let mut changes = Vec::new();
            if o.status != n.status {
                changes.push(FieldChange {
                    field: "status",
                    old: status_word(Some(o)),
                    new: status_word(Some(n)),
                });
            }
            if o.note != n.note {
                changes.push(FieldChange {
                    field: "note",
                    old: o.note.clone(),
                    new: n.note.clone(),
                });
            }
            if o.evidence != n.evidence {
                changes.push(FieldChange {
                    field: "evidence",
                    old: o.evidence.join(", "),
                    new: n.evidence.join(", "),
                });
            }
            if !changes.is_empty() {
                d.changed_answers.push(AnswerChange {
                    id: id.clone(),
                    title: title(id),
                    changes,
                    known: checklist.item(id).is_some(),
                });
            }
            if n.answered_at > o.answered_at && o.status == n.status {
                d.renewed.push(entry(
                    id,
                    format!(
                        "{} re-confirmed on {}",
                        n.status.mark(),
                        validity::answer_date(n)
                    ),
                ));
            }
            if o.item_sha256.is_some() && n.item_sha256.is_some() && o.item_sha256 != n.item_sha256
            {
                d.items_changed.push(entry(
                    id,
                    "the item's title, guidance or rules changed".to_string(),
                ));
            }
        }
        if let Some(item) = checklist.item(id) {
            let was = validity::assess(checklist, item, old, old_day);
            let now = validity::assess(checklist, item, new, today);
            if matches!(
                now,
                Freshness::Lapsed { .. } | Freshness::RiskExpired { .. }
            ) && matches!(was, Freshness::Valid { .. })
            {
                d.lapsed.push(entry(id, now.describe()));
            }
        }
        match (
            os == Some(Status::RiskAccepted),
            ns == Some(Status::RiskAccepted),
        ) {
            (false, true) => d.risks_added.push(entry(
                id,
                format!(
                    "expires {}",
                    n.and_then(|a| a.expires)
                        .map_or("—".to_string(), |e| e.to_string())
                ),
            )),
            (true, false) => d.risks_removed.push(entry(id, transition.clone())),
            _ => {}
        }
        if ns == Some(Status::RiskAccepted)
            && let Some(expires) = n.and_then(|a| a.expires)
        {
            let days = (expires - today).get_days();
            if (0..=EXPIRING_WITHIN_DAYS as i32).contains(&days) {
                d.risks_expiring
                    .push(entry(id, format!("expires {expires} (in {days} days)")));
            }
        }
        let in_old = old.items.contains_key(id) || old.auto.contains_key(id);
        let in_new = new.items.contains_key(id) || new.auto.contains_key(id);
        if checklist.item(id).is_none() && in_old {
            d.items_removed
                .push(entry(id, "removed from the checklist".to_string()));
        } else if in_new
            && !in_old
            && old.checklist.sha256 != new.checklist.sha256
            && !old.checklist.sha256.is_empty()
        {
            d.items_added.push(entry(
                id,
                format!("new in checklist version {}", new.checklist.version),
            ));
        }
    }
    d.signoff_changes = signoff_changes(old, new);
    d
}

fn signoff_changes(old: &SignOff, new: &SignOff) -> Vec<String> {
    let mut out = Vec::new();
    let describe = |s: &SignOff| {
        s.signoff.as_ref().map(|sig| {
            format!(
                "{} ({}) on {}",
                sig.name,
                sig.role,
                sig.signed_at.to_zoned(TimeZone::UTC).date()
            )
        })
    };
    match (describe(old), describe(new)) {
        (None, Some(n)) => out.push(format!("signed by {n}")),
        (Some(o), None) => out.push(format!("no longer signed (was signed by {o})")),
        (Some(o), Some(n)) if o != n => out.push(format!("signed by {n} (previously {o})")),
        _ => {}
    }
    if old.checklist.version != new.checklist.version && !old.checklist.version.is_empty() {
        out.push(format!(
            "checklist version {} → {}",
            old.checklist.version, new.checklist.version
        ));
    }
    for field in Target::FIELDS {
        let (o, n) = (old.target.field(field), new.target.field(field));
        if o != n {
            out.push(format!(
                "target {field}: {} → {}",
                o.map_or("—", String::as_str),
                n.map_or("—", String::as_str)
            ));
        }
    }
    out
}

/// Marks an id that is not an item of the loaded checklist.
pub const UNKNOWN_ID: &str = "(not in this checklist)";

/// An item for the text report: a checklist's id as it is, with its title; any other id (it
/// came only from a sign-off file) on one line, escaped for the terminal, and marked.
fn item_text(id: &str, title: &str, known: bool) -> (String, String) {
    if known {
        (id.to_string(), format!(" — {}", safe_line(title)))
    } else {
        (format!("{} {UNKNOWN_ID}", safe_line(id)), String::new())
    }
}

/// An item for the Markdown report: a checklist's id (checked to be `[a-z0-9._-]`) in a code
/// span, with its title escaped; any other id through the Markdown escaper, outside a code
/// span (where escapes would show), and marked.
fn item_markdown(id: &str, title: &str, known: bool) -> String {
    use crate::attest::escape::markdown as md;
    if known {
        format!("`{id}` {}", md(title))
    } else {
        format!("{} *{UNKNOWN_ID}*", md(id))
    }
}

impl Diff {
    pub fn is_empty(&self) -> bool {
        self.sections()
            .iter()
            .all(|(_, entries)| entries.is_empty())
            && self.changed_answers.is_empty()
            && self.signoff_changes.is_empty()
    }

    /// The entry lists, titled, in reading order.
    pub fn sections(&self) -> Vec<(&'static str, &Vec<Entry>)> {
        vec![
            ("Newly failing", &self.newly_failing),
            ("Newly passing", &self.newly_passing),
            ("Lapsed answers", &self.lapsed),
            ("Renewed answers", &self.renewed),
            ("Risk acceptances added", &self.risks_added),
            ("Risk acceptances removed", &self.risks_removed),
            (
                "Risk acceptances expiring within 30 days",
                &self.risks_expiring,
            ),
            ("Checklist items added", &self.items_added),
            ("Checklist items removed", &self.items_removed),
            ("Checklist items changed", &self.items_changed),
        ]
    }

    pub fn to_text(&self) -> String {
        if self.is_empty() {
            return "Nothing changed.\n".to_string();
        }
        let mut out = String::new();
        for (title, entries) in self.sections() {
            if entries.is_empty() {
                continue;
            }
            out.push_str(&format!("{title}:\n"));
            for e in entries {
                let (id, title) = item_text(&e.id, &e.title, e.known);
                out.push_str(&format!("  {id:<34} {}{title}\n", safe_line(&e.detail)));
            }
        }
        if !self.changed_answers.is_empty() {
            out.push_str("Changed answers:\n");
            for c in &self.changed_answers {
                let (id, title) = item_text(&c.id, &c.title, c.known);
                out.push_str(&format!("  {id}{title}\n"));
                for f in &c.changes {
                    out.push_str(&format!("      {}: {:?} → {:?}\n", f.field, f.old, f.new));
                }
            }
        }
        if !self.signoff_changes.is_empty() {
            out.push_str("Sign-off:\n");
            for s in &self.signoff_changes {
                out.push_str(&format!("  {}\n", safe_line(s)));
            }
        }
        out
    }

    /// Markdown for reviewers; operator text goes through the attestation's escaping.
    pub fn to_markdown(&self) -> String {
        use crate::attest::escape::markdown as md;
        if self.is_empty() {
            return "Nothing changed.\n".to_string();
        }
        let mut out = String::new();
        for (title, entries) in self.sections() {
            if entries.is_empty() {
                continue;
            }
            out.push_str(&format!(
                "**{title}**\n\n| Item | What changed |\n|---|---|\n"
            ));
            for e in entries {
                out.push_str(&format!(
                    "| {} | {} |\n",
                    item_markdown(&e.id, &e.title, e.known),
                    md(&e.detail)
                ));
            }
            out.push('\n');
        }
        if !self.changed_answers.is_empty() {
            out.push_str(
                "**Changed answers**\n\n| Item | Field | Before | After |\n|---|---|---|---|\n",
            );
            for c in &self.changed_answers {
                for f in &c.changes {
                    out.push_str(&format!(
                        "| {} | {} | {} | {} |\n",
                        item_markdown(&c.id, &c.title, c.known),
                        f.field,
                        md(&f.old),
                        md(&f.new)
                    ));
                }
            }
            out.push('\n');
        }
        if !self.signoff_changes.is_empty() {
            out.push_str("**Sign-off**\n\n");
            for s in &self.signoff_changes {
                out.push_str(&format!("- {}\n", md(s)));
            }
            out.push('\n');
        }
        out
    }

    pub fn to_json(&self) -> String {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        if let Some(o) = v.as_object_mut() {
            o.insert("schema".to_string(), "readiness.diff/v1".into());
            o.insert("unchanged".to_string(), self.is_empty().into());
        }
        serde_json::to_string_pretty(&v).unwrap_or_default()
    }
}
