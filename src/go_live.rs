//! The one-line verdict a reviewer acts on: ready for go-live or not, and why, in the same
//! words in the attestation, `readiness status` and the wizard's Review screen.
//!
//! Ready means: no item failing, none open, no answer lapsed (or needing review because its
//! item changed or an automatic check now contradicts it), no risk acceptance expired, and
//! the sign-off signed. Pure: it reads the checklist, the sign-off and a date, nothing else.

use jiff::civil::Date;

use crate::checklist::Checklist;
use crate::signoff::{SignOff, Status};
use crate::validity::{self, Freshness};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub total: usize,
    pub answered: usize,
    pub failing: usize,
    pub open: usize,
    /// Risk acceptances still holding.
    pub risks_accepted: usize,
    /// The soonest expiry among the risk acceptances still holding.
    pub first_risk_expiry: Option<Date>,
    /// Answers past their revalidation date.
    pub lapsed: usize,
    /// Risk acceptances past their expiry.
    pub risks_expired: usize,
    /// Answers whose item changed, or that an automatic check now contradicts.
    pub to_review: usize,
    pub signed: bool,
}

/// Where the sign-off stands on `today`.
pub fn verdict(checklist: &Checklist, signoff: &SignOff, today: Date) -> Verdict {
    let mut v = Verdict {
        total: checklist.items.len(),
        answered: 0,
        failing: 0,
        open: 0,
        risks_accepted: 0,
        first_risk_expiry: None,
        lapsed: 0,
        risks_expired: 0,
        to_review: 0,
        signed: signoff.signoff.is_some(),
    };
    for (item, freshness) in validity::assess_all(checklist, signoff, today) {
        let Some(answer) = signoff.items.get(&item.id) else {
            v.open += 1;
            continue;
        };
        v.answered += 1;
        if answer.status == Status::Fail {
            v.failing += 1;
        }
        match freshness {
            Freshness::Lapsed { .. } => v.lapsed += 1,
            Freshness::RiskExpired { .. } => v.risks_expired += 1,
            Freshness::Changed { .. } | Freshness::Reopened { .. } => v.to_review += 1,
            Freshness::Valid { until, .. } if answer.status == Status::RiskAccepted => {
                v.risks_accepted += 1;
                v.first_risk_expiry = Some(v.first_risk_expiry.map_or(until, |d| d.min(until)));
            }
            _ => {}
        }
    }
    v
}

impl Verdict {
    pub fn ready(&self) -> bool {
        self.failing == 0
            && self.open == 0
            && self.lapsed == 0
            && self.risks_expired == 0
            && self.to_review == 0
            && self.signed
    }

    /// "Ready for go-live" or "Not ready for go-live".
    pub fn headline(&self) -> &'static str {
        if self.ready() {
            "Ready for go-live"
        } else {
            "Not ready for go-live"
        }
    }

    /// The counts behind the headline.
    pub fn detail(&self) -> String {
        let risks = match (self.risks_accepted, self.first_risk_expiry) {
            (0, _) | (_, None) => format!("{} risks accepted", self.risks_accepted),
            (1, Some(d)) => format!("1 risk accepted (expires {d})"),
            (n, Some(d)) => format!("{n} risks accepted (the first expires {d})"),
        };
        if self.ready() {
            return format!(
                "{} of {} answered, 0 failing, {risks}",
                self.answered, self.total
            );
        }
        let mut parts = vec![
            format!("{} failing", self.failing),
            format!("{} open", self.open),
            risks,
            format!("{} lapsed", self.lapsed),
        ];
        if self.risks_expired > 0 {
            parts.push(format!(
                "{} risk acceptance{} expired",
                self.risks_expired,
                if self.risks_expired == 1 { "" } else { "s" }
            ));
        }
        if self.to_review > 0 {
            parts.push(format!(
                "{} to review (item changed or contradicted by an automatic check)",
                self.to_review
            ));
        }
        if !self.signed {
            parts.push("not signed".to_string());
        }
        parts.join(", ")
    }

    /// `Not ready for go-live: 2 failing, …` for a terminal.
    pub fn line(&self) -> String {
        format!("{}: {}", self.headline(), self.detail())
    }

    /// `**Not ready for go-live**: 2 failing, …` for the attestation (nothing here comes from
    /// a file but numbers and dates).
    pub fn markdown(&self) -> String {
        format!("**{}**: {}", self.headline(), self.detail())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signoff::{Answer, Signature};

    fn checklist() -> Checklist {
        crate::checklist::load_file(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/checklists/small.toml"
        )))
        .expect("the small checklist loads")
    }

    fn at(text: &str) -> jiff::Timestamp {
        text.parse().unwrap()
    }

    fn answer(c: &Checklist, id: &str, status: Status, when: &str) -> Answer {
        Answer {
            status,
            note: String::new(),
            evidence: Vec::new(),
            answered_by: "alice".into(),
            answered_at: at(when),
            justification: (status == Status::RiskAccepted).then(|| "later".to_string()),
            expires: (status == Status::RiskAccepted).then(|| "2027-01-15".parse().unwrap()),
            item_sha256: c.item(id).map(|i| i.content_sha256().to_string()),
            override_reason: None,
        }
    }

    fn all_passing(c: &Checklist, when: &str) -> SignOff {
        let mut s = SignOff::default();
        for item in &c.items {
            s.items
                .insert(item.id.clone(), answer(c, &item.id, Status::Pass, when));
        }
        s.signoff = Some(Signature {
            name: "Dana".into(),
            role: "owner".into(),
            signed_at: at(when),
            principal: None,
            key_fingerprint: None,
        });
        s
    }

    /// Every item passing but the first, a risk acceptance through 2027-01-15; signed.
    fn all_passing_with_one_risk(c: &Checklist) -> SignOff {
        let mut s = all_passing(c, "2026-11-27T10:00:00Z");
        let id = c.items[0].id.clone();
        let risk = answer(c, &id, Status::RiskAccepted, "2026-11-27T10:00:00Z");
        s.items.insert(id, risk);
        s
    }

    fn today() -> Date {
        "2026-11-27".parse().unwrap()
    }

    #[test]
    fn everything_answered_and_signed_is_ready() {
        let c = checklist();
        let s = all_passing_with_one_risk(&c);
        let v = verdict(&c, &s, today());
        assert!(v.ready(), "{v:?}");
        assert_eq!(
            v.markdown(),
            format!(
                "**Ready for go-live**: {n} of {n} answered, 0 failing, 1 risk accepted (expires 2027-01-15)",
                n = c.items.len()
            )
        );
    }

    #[test]
    fn open_failing_or_unsigned_is_not_ready() {
        let c = checklist();
        let mut s = all_passing(&c, "2026-11-27T10:00:00Z");
        let (a, b) = (c.items[0].id.clone(), c.items[1].id.clone());
        s.items.remove(&a);
        s.items.insert(
            b.clone(),
            answer(&c, &b, Status::Fail, "2026-11-27T10:00:00Z"),
        );
        s.signoff = None;
        let v = verdict(&c, &s, today());
        assert!(!v.ready());
        assert_eq!(
            v.line(),
            "Not ready for go-live: 1 failing, 1 open, 0 risks accepted, 0 lapsed, not signed"
        );
        // Signing alone does not make it ready.
        s.signoff = all_passing(&c, "2026-11-27T10:00:00Z").signoff;
        assert!(!verdict(&c, &s, today()).ready());
    }

    #[test]
    fn a_lapsed_answer_is_not_ready() {
        let c = checklist();
        let s = all_passing(&c, "2025-01-01T10:00:00Z");
        let v = verdict(&c, &s, today());
        assert!(!v.ready());
        assert_eq!(v.lapsed, c.items.len());
        assert!(
            v.line()
                .starts_with("Not ready for go-live: 0 failing, 0 open, 0 risks accepted, ")
        );
        assert!(v.line().ends_with(&format!("{} lapsed", c.items.len())));
    }

    #[test]
    fn an_expired_risk_acceptance_is_not_ready() {
        let c = checklist();
        let s = all_passing_with_one_risk(&c);
        let v = verdict(&c, &s, "2027-01-16".parse().unwrap());
        assert!(!v.ready());
        assert_eq!(v.risks_expired, 1);
        assert_eq!(
            v.line(),
            "Not ready for go-live: 0 failing, 0 open, 0 risks accepted, 0 lapsed, 1 risk acceptance expired"
        );
        // The day before it expires it still holds.
        assert!(verdict(&c, &s, "2027-01-15".parse().unwrap()).ready());
    }
}
