//! What the attestation template sees: plain data built from the checklist and sign-off,
//! in checklist order, with nothing that varies between runs but the clock.

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::Serialize;

use crate::checklist::{Checklist, Phase};
use crate::signoff::{Mark, SignOff, Status, Target};

#[derive(Debug, Serialize)]
pub struct Context {
    /// `**Ready for go-live**: …` or `**Not ready for go-live**: …` (see [`crate::verdict`]),
    /// as of the render time.
    pub verdict: String,
    /// Whether the verdict is ready.
    pub ready: bool,
    pub tool: Tool,
    pub generated_at: String,
    pub checklist: ChecklistInfo,
    pub target: Target,
    pub operators: Vec<String>,
    pub first_answer: Option<String>,
    pub last_answer: Option<String>,
    pub signoff: Option<SignatureInfo>,
    pub marks: Vec<MarkInfo>,
    pub summary: Vec<SummaryRow>,
    pub total: SummaryRow,
    pub phases: Vec<PhaseInfo>,
    pub open_actions: Vec<ItemInfo>,
    pub accepted_risks: Vec<ItemInfo>,
    /// Item id → status key, embedded so `verify` can say which answer changed.
    pub statuses_json: String,
    pub signoff_sha256: String,
    /// The first day an answer stops holding.
    pub next_due: Option<String>,
    /// Set with `attest --previous`.
    pub previous: Option<PreviousInfo>,
}

#[derive(Debug, Serialize)]
pub struct PreviousInfo {
    /// Review period: from the previous sign-off's date to this one's.
    pub period_from: String,
    pub period_to: String,
    /// Markdown already escaped by the diff renderer.
    pub changes_markdown: String,
}

#[derive(Debug, Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

#[derive(Debug, Serialize)]
pub struct ChecklistInfo {
    pub id: String,
    pub title: String,
    pub version: String,
    pub sha256: String,
}

#[derive(Debug, Serialize)]
pub struct SignatureInfo {
    pub name: String,
    pub role: String,
    pub signed_at: String,
    /// Set with `sign --key`: who the SSH signature in `<signoff>.sig` is by, and its key.
    pub principal: Option<String>,
    pub key_fingerprint: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MarkInfo {
    pub key: &'static str,
    pub glyph: &'static str,
    pub word: &'static str,
}

impl From<Mark> for MarkInfo {
    fn from(m: Mark) -> Self {
        Self {
            key: m.key(),
            glyph: m.glyph(),
            word: m.word(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct SummaryRow {
    pub label: String,
    /// Counts in the order of `marks`.
    pub counts: Vec<usize>,
    pub total: usize,
}

#[derive(Debug, Serialize)]
pub struct PhaseInfo {
    pub key: &'static str,
    pub label: &'static str,
    pub items: Vec<ItemInfo>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ItemInfo {
    pub id: String,
    pub title: String,
    pub phase: &'static str,
    pub category: String,
    pub severity: Option<&'static str>,
    pub automated: bool,
    pub mark: MarkInfo,
    pub note: String,
    pub evidence: Vec<String>,
    pub answered_by: Option<String>,
    pub answered_at: Option<String>,
    pub justification: Option<String>,
    pub expires: Option<String>,
    /// The last recorded automatic result, when there is one.
    pub auto: Option<AutoInfo>,
    /// The answer says pass but the latest automatic result fails.
    pub contradicted: bool,
    /// Why the answer differs from the automatic result shown when answering.
    pub override_reason: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AutoInfo {
    /// Glyph and word, e.g. `✖ fail`.
    pub label: &'static str,
    pub checked_at: String,
    /// One line per check: verdict, what it means or why it could not run, what was observed.
    pub findings: Vec<String>,
}

const OBSERVED_MAX: usize = 240;

pub fn auto_info(item: &crate::checklist::Item, record: &crate::signoff::AutoRecord) -> AutoInfo {
    use crate::verdict::CheckStatus;
    let findings = record
        .checks
        .iter()
        .filter(|c| c.status != CheckStatus::Skipped)
        .map(|c| {
            let explain = item
                .checks
                .iter()
                .find(|k| k.expect.text() == c.expect)
                .map_or(c.expect.as_str(), |k| k.explain.as_str());
            let mut observed: String = c.observed.chars().take(OBSERVED_MAX).collect();
            if c.observed.chars().count() > OBSERVED_MAX {
                observed.push('…');
            }
            match c.status {
                CheckStatus::Pass => format!("✔ {}: observed {observed}", c.source),
                CheckStatus::Fail => format!("✖ {explain} ({}) observed {observed}", c.source),
                _ => format!(
                    "⚠ {}: could not check: {}",
                    c.source,
                    c.cause.as_deref().unwrap_or("unknown cause")
                ),
            }
        })
        .collect();
    AutoInfo {
        label: record.status.label(),
        checked_at: format_time(record.checked_at),
        findings,
    }
}

/// `2026-11-27 10:00 UTC`: readable, and the same on every machine.
pub fn format_time(t: Timestamp) -> String {
    t.to_zoned(TimeZone::UTC)
        .strftime("%Y-%m-%d %H:%M UTC")
        .to_string()
}

pub fn build(
    checklist: &Checklist,
    signoff: &SignOff,
    signoff_sha256: &str,
    now: Timestamp,
    previous: Option<&SignOff>,
) -> Context {
    let marks: Vec<Mark> = vec![
        Mark::Pass,
        Mark::Fail,
        Mark::RiskAccepted,
        Mark::NotApplicable,
        Mark::Open,
    ];
    let mut phases = Vec::new();
    let mut summary = Vec::new();
    let mut totals = vec![0; marks.len()];
    let mut open_actions = Vec::new();
    let mut accepted_risks = Vec::new();
    let mut statuses: BTreeMap<String, String> = BTreeMap::new();

    for &phase in Phase::ALL {
        let mut counts = vec![0; marks.len()];
        let mut items = Vec::new();
        for item in checklist.items_in(phase) {
            let answer = signoff.items.get(&item.id);
            let mark = signoff.mark(&item.id);
            if let Some(i) = marks.iter().position(|m| *m == mark) {
                counts[i] += 1;
                totals[i] += 1;
            }
            statuses.insert(item.id.clone(), mark.key().to_string());
            let info = ItemInfo {
                id: item.id.clone(),
                title: item.title.clone(),
                phase: phase.label(),
                category: item.category.clone(),
                severity: item.severity.map(|s| s.as_str()),
                automated: item.is_automated(),
                mark: mark.into(),
                note: answer.map(|a| a.note.clone()).unwrap_or_default(),
                evidence: answer.map(|a| a.evidence.clone()).unwrap_or_default(),
                answered_by: answer.map(|a| a.answered_by.clone()),
                answered_at: answer.map(|a| format_time(a.answered_at)),
                justification: answer.and_then(|a| a.justification.clone()),
                expires: answer.and_then(|a| a.expires).map(|d| d.to_string()),
                auto: signoff.auto.get(&item.id).map(|r| auto_info(item, r)),
                contradicted: crate::signoff::contradicted(answer, signoff.auto.get(&item.id)),
                override_reason: answer.and_then(|a| a.override_reason.clone()),
            };
            match answer.map(|a| a.status) {
                None | Some(Status::Fail) => open_actions.push((
                    crate::signoff::open_action_rank(item.severity, mark),
                    info.clone(),
                )),
                Some(Status::RiskAccepted) => accepted_risks.push(info.clone()),
                _ => {}
            }
            items.push(info);
        }
        summary.push(SummaryRow {
            label: phase.label().to_string(),
            total: counts.iter().sum(),
            counts,
        });
        phases.push(PhaseInfo {
            key: phase.as_str(),
            label: phase.label(),
            items,
        });
    }
    // Accepted risks soonest-expiring first: that is what a reviewer acts on.
    accepted_risks.sort_by(|a, b| a.expires.cmp(&b.expires).then(a.id.cmp(&b.id)));

    statuses.insert(
        super::verify::SIGNATURE_KEY.to_string(),
        super::verify::signature_summary(signoff),
    );
    let mut operators: Vec<String> = signoff
        .items
        .values()
        .map(|a| a.answered_by.clone())
        .collect();
    operators.sort();
    operators.dedup();
    let times = signoff.items.values().map(|a| a.answered_at);

    let verdict = crate::go_live::verdict(checklist, signoff, now.to_zoned(TimeZone::UTC).date());
    Context {
        verdict: verdict.markdown(),
        ready: verdict.ready(),
        tool: Tool {
            name: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
        },
        generated_at: format_time(now),
        checklist: ChecklistInfo {
            id: checklist.id.clone(),
            title: checklist.title.clone(),
            version: checklist.version.clone(),
            sha256: checklist.sha256.clone(),
        },
        target: signoff.target.clone(),
        operators,
        first_answer: times.clone().min().map(format_time),
        last_answer: times.max().map(format_time),
        signoff: signoff.signoff.as_ref().map(|s| SignatureInfo {
            name: s.name.clone(),
            role: s.role.clone(),
            signed_at: format_time(s.signed_at),
            principal: s.principal.clone(),
            key_fingerprint: s.key_fingerprint.clone(),
        }),
        marks: marks.into_iter().map(MarkInfo::from).collect(),
        summary,
        total: SummaryRow {
            label: "All phases".to_string(),
            total: totals.iter().sum(),
            counts: totals,
        },
        phases,
        open_actions: {
            open_actions.sort_by_key(|(rank, _)| *rank);
            open_actions.into_iter().map(|(_, info)| info).collect()
        },
        accepted_risks,
        // Inside an HTML comment: no character of a name may close it.
        statuses_json: serde_json::to_string(&statuses)
            .unwrap_or_default()
            .replace('<', "\\u003c")
            .replace('>', "\\u003e")
            .replace('&', "\\u0026"),
        signoff_sha256: signoff_sha256.to_string(),
        next_due: crate::validity::next_due(checklist, signoff).map(|d| d.to_string()),
        previous: previous.map(|old| {
            let today = now.to_zoned(TimeZone::UTC).date();
            PreviousInfo {
                period_from: crate::diff::reference_date(old)
                    .map_or("—".to_string(), |d| d.to_string()),
                period_to: crate::diff::reference_date(signoff)
                    .unwrap_or(today)
                    .to_string(),
                changes_markdown: crate::diff::diff(checklist, old, signoff, today).to_markdown(),
            }
        }),
    }
}
