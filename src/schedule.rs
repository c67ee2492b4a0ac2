//! What comes due when: answers and risk acceptances that lapse within a window, as a list
//! for a scheduled job or as calendar entries.

use icalendar::{Calendar, Component, Event, Property};
use jiff::civil::Date;
use serde::Serialize;

use crate::checklist::Checklist;
use crate::signoff::{SignOff, Status};
use crate::validity::{self, Freshness};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Due {
    pub id: String,
    pub title: String,
    /// The first day the answer no longer holds.
    pub due: Date,
    /// `answer` or `risk-acceptance`.
    pub kind: &'static str,
    /// Already past (lapsed or expired).
    pub overdue: bool,
    pub answered_by: String,
}

impl Due {
    /// What happens on `due`, in the tense the day calls for.
    pub fn what(&self) -> &'static str {
        match (self.kind == "risk-acceptance", self.overdue) {
            (true, false) => "risk acceptance expires",
            (true, true) => "risk acceptance expired",
            (false, false) => "answer lapses",
            (false, true) => "answer lapsed",
        }
    }
}

/// Answers that stop holding by `today + within_days`, soonest first (overdue ones too).
pub fn due_within(
    checklist: &Checklist,
    signoff: &SignOff,
    today: Date,
    within_days: u32,
) -> Vec<Due> {
    let horizon = today
        .checked_add(jiff::Span::new().days(i64::from(within_days)))
        .unwrap_or(Date::MAX);
    let mut out: Vec<Due> = checklist
        .items
        .iter()
        .filter_map(|item| {
            let answer = signoff.items.get(&item.id)?;
            if matches!(
                validity::assess(checklist, item, signoff, today),
                Freshness::Changed { .. }
            ) {
                return None;
            }
            let until = validity::valid_until(checklist, item, answer);
            let due = until.tomorrow().unwrap_or(until);
            (due <= horizon).then(|| Due {
                id: item.id.clone(),
                title: item.title.clone(),
                due,
                kind: if answer.status == Status::RiskAccepted {
                    "risk-acceptance"
                } else {
                    "answer"
                },
                overdue: due <= today,
                answered_by: answer.answered_by.clone(),
            })
        })
        .collect();
    out.sort_by(|a, b| a.due.cmp(&b.due).then(a.id.cmp(&b.id)));
    out
}

/// A TEXT value as RFC 5545 allows it before escaping: every line break (CRLF, CR, LF)
/// becomes LF, and other control characters (which TEXT may not hold) become spaces.
fn plain_text(text: &str) -> String {
    text.replace("\r\n", "\n")
        .chars()
        .map(|c| match c {
            '\r' => '\n',
            '\n' | '\t' => c,
            c if c.is_control() => ' ',
            c => c,
        })
        .collect()
}

/// RFC 5545 §3.3.11 escaping of a TEXT value already through [`plain_text`] (`\\`, `\;`,
/// `\,`, line breaks as `\n`).
/// The icalendar crate does this for the properties it knows are TEXT (SUMMARY, DESCRIPTION,
/// UID, X-…) but not for NAME (RFC 7986), and never for CR.
fn escaped_text(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace('\n', "\\n")
}

/// An iCalendar file with one all-day entry per due review. UIDs are stable, so importing a
/// newer file updates entries instead of duplicating them. Names from the sign-off and the
/// checklist are escaped: a target name cannot add lines (or events) of its own.
pub fn to_ics(dues: &[Due], deployment: &str, now: jiff::Timestamp) -> String {
    let stamp = now.strftime("%Y%m%dT%H%M%SZ").to_string();
    let name = plain_text(&format!("readiness reviews: {deployment}"));
    let deployment = plain_text(deployment);
    let mut calendar = Calendar::new();
    calendar.append_property(Property::new("NAME", escaped_text(&name)));
    calendar.append_property(Property::new("X-WR-CALNAME", &name));
    for d in dues {
        let what = d.what();
        let event = Event::new()
            .uid(&plain_text(&format!("{}-{}@readiness", d.id, d.due)))
            .summary(&plain_text(&format!(
                "readiness: re-review {} ({what})",
                d.id
            )))
            .description(&plain_text(&format!(
                "{}\nDeployment: {deployment}\nLast answered by {}.",
                d.title, d.answered_by
            )))
            .append_property(Property::new("DTSTAMP", &stamp))
            .append_property(
                Property::new("DTSTART", d.due.strftime("%Y%m%d").to_string())
                    .add_parameter("VALUE", "DATE")
                    .done(),
            )
            .done();
        calendar.push(event);
    }
    calendar.done().to_string()
}
