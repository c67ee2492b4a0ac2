//! How long answers hold: each answer is valid for its item's `revalidate_days` (an answer
//! given on day 0 holds through day N and lapses on day N+1); a risk acceptance holds through
//! its `expires` date. An answer to an item whose content changed since, or a pass that a
//! fresh automatic fail contradicts, needs review too.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::Serialize;

use crate::checklist::{Checklist, Item};
use crate::signoff::{Answer, SignOff, Status};

/// Where one item stands on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum Freshness {
    /// Never answered.
    Open,
    /// Answered and still holding, through `until`.
    Valid { answered: Date, until: Date },
    /// The answer stopped holding after `until`.
    Lapsed { answered: Date, until: Date },
    /// The risk acceptance ran out after `expires`.
    RiskExpired { answered: Date, expires: Date },
    /// The item's title, guidance or rules changed since it was answered.
    Changed { answered: Date },
    /// Answered pass, but the latest automatic check fails.
    Reopened { answered: Date },
}

impl Freshness {
    /// Must be answered again before the sign-off is fresh.
    pub fn needs_review(self) -> bool {
        matches!(
            self,
            Freshness::Lapsed { .. }
                | Freshness::RiskExpired { .. }
                | Freshness::Changed { .. }
                | Freshness::Reopened { .. }
        )
    }

    /// A short reason, for listings: "lapsed on 2027-02-26 (answered 2026-11-28)".
    pub fn describe(self) -> String {
        match self {
            Freshness::Open => "not answered".to_string(),
            Freshness::Valid { answered, until } => {
                format!("valid through {until} (answered {answered})")
            }
            Freshness::Lapsed { answered, until } => {
                format!(
                    "lapsed on {} (answered {answered}, valid through {until})",
                    next_day(until)
                )
            }
            Freshness::RiskExpired { answered, expires } => {
                format!(
                    "risk acceptance expired on {} (accepted {answered}, through {expires})",
                    next_day(expires)
                )
            }
            Freshness::Changed { answered } => {
                format!("the item changed since it was answered on {answered}")
            }
            Freshness::Reopened { answered } => {
                format!("answered pass on {answered}, but the automatic check now fails")
            }
        }
    }

    /// One line for the wizards: a valid answer's age and how long it holds, or why it must
    /// be reviewed; `None` when there is no answer.
    pub fn standing(self, today: Date) -> Option<String> {
        match self {
            Freshness::Open => None,
            Freshness::Valid { answered, until } => Some(format!(
                "Carried from {answered} ({}), valid through {until}",
                days_ago(answered, today)
            )),
            review => Some(format!("Needs review: {}", review.describe())),
        }
    }

    /// A short cell for listings: `↻ lapsed` when the answer needs review, else its age.
    pub fn badge(self, today: Date) -> String {
        match self {
            Freshness::Open => String::new(),
            Freshness::Valid { answered, .. } => match (today - answered).get_days() {
                0 => "today".to_string(),
                days => format!("{days}d ago"),
            },
            Freshness::RiskExpired { .. } => "↻ expired".to_string(),
            review => format!("↻ {}", review.word()),
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Freshness::Open => "open",
            Freshness::Valid { .. } => "valid",
            Freshness::Lapsed { .. } => "lapsed",
            Freshness::RiskExpired { .. } => "risk expired",
            Freshness::Changed { .. } => "changed",
            Freshness::Reopened { .. } => "reopened",
        }
    }
}

/// "today", "1 day ago", "118 days ago".
pub fn days_ago(day: Date, today: Date) -> String {
    match (today - day).get_days() {
        0 => "today".to_string(),
        1 => "1 day ago".to_string(),
        n => format!("{n} days ago"),
    }
}

fn next_day(d: Date) -> Date {
    d.tomorrow().unwrap_or(d)
}

pub fn answer_date(answer: &Answer) -> Date {
    answer.answered_at.to_zoned(TimeZone::UTC).date()
}

/// The last day an answer holds.
pub fn valid_until(checklist: &Checklist, item: &Item, answer: &Answer) -> Date {
    if answer.status == Status::RiskAccepted
        && let Some(expires) = answer.expires
    {
        return expires;
    }
    let days = item.revalidate_days.unwrap_or(checklist.revalidate_days);
    answer_date(answer)
        .checked_add(jiff::Span::new().days(i64::from(days)))
        .unwrap_or(Date::MAX)
}

/// Where `item` stands on `today`.
pub fn assess(checklist: &Checklist, item: &Item, signoff: &SignOff, today: Date) -> Freshness {
    let Some(answer) = signoff.items.get(&item.id) else {
        return Freshness::Open;
    };
    let answered = answer_date(answer);
    if answer
        .item_sha256
        .as_deref()
        .is_some_and(|sha| sha != item.content_sha256())
    {
        return Freshness::Changed { answered };
    }
    if crate::signoff::contradicted(Some(answer), signoff.auto.get(&item.id))
        && signoff
            .auto
            .get(&item.id)
            .is_some_and(|a| a.checked_at >= answer.answered_at)
    {
        return Freshness::Reopened { answered };
    }
    let until = valid_until(checklist, item, answer);
    match (answer.status, today > until) {
        (Status::RiskAccepted, true) => Freshness::RiskExpired {
            answered,
            expires: until,
        },
        (_, true) => Freshness::Lapsed { answered, until },
        (_, false) => Freshness::Valid { answered, until },
    }
}

/// Every item of the checklist, in checklist order, with where it stands.
pub fn assess_all<'c>(
    checklist: &'c Checklist,
    signoff: &SignOff,
    today: Date,
) -> Vec<(&'c Item, Freshness)> {
    checklist
        .items
        .iter()
        .map(|i| (i, assess(checklist, i, signoff, today)))
        .collect()
}

/// Answers in the sign-off whose item is no longer in the checklist.
pub fn removed_items<'s>(checklist: &Checklist, signoff: &'s SignOff) -> Vec<&'s str> {
    signoff
        .items
        .keys()
        .chain(signoff.auto.keys())
        .filter(|id| checklist.item(id).is_none())
        .map(String::as_str)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// The earliest day an answer stops holding: when the next review is due.
pub fn next_due(checklist: &Checklist, signoff: &SignOff) -> Option<Date> {
    checklist
        .items
        .iter()
        .filter_map(|item| {
            signoff
                .items
                .get(&item.id)
                .map(|a| valid_until(checklist, item, a))
        })
        .min()
        .map(next_day)
}

/// Why a sign-off is not fresh today (empty when it is): open and lapsed items, expired
/// risk acceptances, changed items, contradicted passes, and a missing signature.
pub fn staleness(checklist: &Checklist, signoff: &SignOff, today: Date) -> Vec<(String, String)> {
    let mut reasons: Vec<(String, String)> = assess_all(checklist, signoff, today)
        .into_iter()
        .filter(|(_, f)| *f == Freshness::Open || f.needs_review())
        .map(|(item, f)| (item.id.clone(), f.describe()))
        .collect();
    if signoff.signoff.is_none() {
        reasons.push(("sign-off".to_string(), "not signed".to_string()));
    }
    reasons
}

/// What `readiness answer` and `readiness sign` would have refused, found in a sign-off
/// edited by hand: answers or a signature dated after `now`, a risk acceptance running longer
/// than the checklist allows from the day it was given, an answer without a well-formed
/// `item_sha256`, and a signature older than an answer it claims to cover.
pub fn forgeries(
    checklist: &Checklist,
    signoff: &SignOff,
    now: jiff::Timestamp,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (id, answer) in &signoff.items {
        let mut say = |why: String| out.push((id.clone(), why));
        if answer.answered_at > now {
            say(format!(
                "answered_at {} is in the future (now is {now}); `readiness answer` records the time an answer is given",
                answer.answered_at
            ));
        }
        match answer.item_sha256.as_deref() {
            None if checklist.item(id).is_some() => say(
                "item_sha256 is missing: the answer does not record which text of the item it answers"
                    .to_string(),
            ),
            Some(sha)
                if !(sha.len() == 64
                    && sha
                        .chars()
                        .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))) =>
            {
                say(format!("item_sha256 {sha:?} is not 64 lowercase hex digits"))
            }
            _ => {}
        }
        if answer.status == Status::RiskAccepted {
            let max_days = checklist.max_risk_acceptance_days;
            let given = answer_date(answer);
            let latest = given
                .checked_add(jiff::Span::new().days(i64::from(max_days)))
                .unwrap_or(Date::MAX);
            match answer.expires {
                None => say("the risk acceptance has no expiry date".to_string()),
                Some(expires) if expires > latest => say(format!(
                    "the risk acceptance runs to {expires}, more than the checklist's {max_days} days from {given} when it was given (latest {latest})"
                )),
                _ => {}
            }
        }
    }
    if let Some(sig) = &signoff.signoff {
        if sig.signed_at > now {
            out.push((
                "sign-off".to_string(),
                format!(
                    "signed_at {} is in the future (now is {now})",
                    sig.signed_at
                ),
            ));
        }
        if let Some((id, later)) = signoff
            .items
            .iter()
            .filter(|(_, a)| a.answered_at > sig.signed_at)
            .max_by_key(|(_, a)| a.answered_at)
        {
            out.push((
                "sign-off".to_string(),
                format!(
                    "signed at {}, before the answer to {id} given at {}: the signature cannot cover that answer (answering removes it)",
                    sig.signed_at, later.answered_at
                ),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_day_and_describe() {
        let d: Date = "2027-02-28".parse().unwrap();
        assert_eq!(next_day(d).to_string(), "2027-03-01");
        let f = Freshness::Lapsed {
            answered: "2026-11-27".parse().unwrap(),
            until: "2027-02-25".parse().unwrap(),
        };
        assert_eq!(
            f.describe(),
            "lapsed on 2027-02-26 (answered 2026-11-27, valid through 2027-02-25)"
        );
        assert!(f.needs_review());
        assert!(!Freshness::Open.needs_review());
    }
}
