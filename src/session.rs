//! One operator session over a checklist and a sign-off file: the logic every front end
//! (the `answer` command, the plain wizard, the full-screen wizard) drives.
//!
//! Every change is validated here, then written to disk at once (atomic, re-read first).

use std::path::{Path, PathBuf};

use jiff::civil::Date;

use crate::checklist::{Checklist, Item, Phase};
use crate::clock::Clock;
use crate::signoff::store::{self, StoreError};
use crate::signoff::{Answer, SignOff, Signature, Status, Target};
use crate::validity::{self, Freshness};
use crate::verdict::AutoStatus;

/// What the operator says about one item, before validation.
#[derive(Debug, Clone, Default)]
pub struct AnswerInput {
    pub status: Option<Status>,
    pub note: String,
    pub evidence: Vec<String>,
    pub justification: Option<String>,
    pub expires: Option<Date>,
    pub by: String,
    /// Required when the status contradicts the automatic result shown to the operator.
    pub override_reason: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum AnswerError {
    #[error("unknown item id {id:?}{}", suggestion(.suggestions))]
    UnknownItem {
        id: String,
        suggestions: Vec<String>,
    },
    #[error("a status is required")]
    MissingStatus,
    #[error("a risk acceptance needs a justification (--justification)")]
    MissingJustification,
    #[error("a risk acceptance needs an expiry date (--expires YYYY-MM-DD)")]
    MissingExpiry,
    #[error(
        "the expiry date {expires} is not after today ({today}); a risk acceptance must end in the future"
    )]
    ExpiryNotInFuture { expires: Date, today: Date },
    #[error(
        "the expiry date {expires} is more than {max_days} days away; the checklist allows risk acceptances until {latest} at the latest"
    )]
    ExpiryTooFar {
        expires: Date,
        latest: Date,
        max_days: u32,
    },
    #[error("--justification and --expires only apply to a risk-accepted answer")]
    RiskFieldsWithoutRisk,
    #[error("who answered is unknown: pass --by NAME (or set READINESS_USER)")]
    MissingAuthor,
    #[error("an evidence entry is empty")]
    EmptyEvidence,
}

fn suggestion(ids: &[String]) -> String {
    if ids.is_empty() {
        "; `readiness checklist list` shows every id".to_string()
    } else {
        format!(
            "; did you mean {}?",
            ids.iter()
                .map(|i| format!("`{i}`"))
                .collect::<Vec<_>>()
                .join(" or ")
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error(transparent)]
    Answer(#[from] AnswerError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "{path} was answered against checklist {found:?}, but checklist {loaded:?} is loaded; pass the matching --checklist or use another --signoff"
    )]
    OtherChecklist {
        path: PathBuf,
        found: String,
        loaded: String,
    },
    #[error("{0}")]
    Input(String),
}

/// The item with this id, or the error that names the closest ids.
pub fn known_item<'c>(checklist: &'c Checklist, item_id: &str) -> Result<&'c Item, AnswerError> {
    checklist
        .item(item_id)
        .ok_or_else(|| AnswerError::UnknownItem {
            id: item_id.to_string(),
            suggestions: checklist
                .suggest(item_id)
                .into_iter()
                .map(String::from)
                .collect(),
        })
}

/// Checks an answer against the item and the checklist's rules, giving the record to store.
pub fn validate_answer(
    checklist: &Checklist,
    item_id: &str,
    input: AnswerInput,
    clock: &Clock,
) -> Result<Answer, AnswerError> {
    let item = known_item(checklist, item_id)?;
    let status = input.status.ok_or(AnswerError::MissingStatus)?;
    let by = input.by.trim().to_string();
    if by.is_empty() {
        return Err(AnswerError::MissingAuthor);
    }
    if input.evidence.iter().any(|e| e.trim().is_empty()) {
        return Err(AnswerError::EmptyEvidence);
    }
    let justification = input
        .justification
        .map(|j| j.trim().to_string())
        .filter(|j| !j.is_empty());
    if status == Status::RiskAccepted {
        if justification.is_none() {
            return Err(AnswerError::MissingJustification);
        }
        let expires = input.expires.ok_or(AnswerError::MissingExpiry)?;
        check_expiry(checklist, expires, clock.today())?;
    } else if justification.is_some() || input.expires.is_some() {
        return Err(AnswerError::RiskFieldsWithoutRisk);
    }
    Ok(Answer {
        status,
        note: input.note.trim().to_string(),
        evidence: input
            .evidence
            .into_iter()
            .map(|e| e.trim().to_string())
            .collect(),
        answered_by: by,
        answered_at: clock.now(),
        justification,
        expires: input.expires,
        item_sha256: Some(item.content_sha256().to_string()),
        override_reason: input
            .override_reason
            .map(|r| r.trim().to_string())
            .filter(|r| !r.is_empty()),
    })
}

/// A risk acceptance ends after today and no later than the checklist's maximum.
pub fn check_expiry(checklist: &Checklist, expires: Date, today: Date) -> Result<(), AnswerError> {
    if expires <= today {
        return Err(AnswerError::ExpiryNotInFuture { expires, today });
    }
    let max_days = checklist.max_risk_acceptance_days;
    let latest = today
        .checked_add(jiff::Span::new().days(i64::from(max_days)))
        .unwrap_or(Date::MAX);
    if expires > latest {
        return Err(AnswerError::ExpiryTooFar {
            expires,
            latest,
            max_days,
        });
    }
    Ok(())
}

/// The expiry date a risk-acceptance form starts on: the previous one while it is still
/// ahead, else 90 days out (or the checklist's maximum when that is shorter).
/// An answer as both wizards open it: the previous answer's status and texts, else what the
/// automatic result suggests (a failing check starts the answer as a fail, anything else as
/// a pass), and the suggested risk-acceptance expiry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerDraft {
    pub status: Status,
    pub note: String,
    /// Evidence as it is typed: links or paths separated by commas ([`split_list`]).
    pub evidence: String,
    pub override_reason: String,
    pub justification: String,
    pub expires: String,
    /// The automatic result the answer is weighed against.
    pub auto: Option<AutoStatus>,
}

impl AnswerDraft {
    pub fn start(
        checklist: &Checklist,
        previous: Option<&Answer>,
        auto: Option<AutoStatus>,
        today: Date,
    ) -> Self {
        let status = previous.map(|a| a.status).unwrap_or(match auto {
            Some(AutoStatus::Fail) => Status::Fail,
            _ => Status::Pass,
        });
        let text = |f: fn(&Answer) -> Option<String>| previous.and_then(f).unwrap_or_default();
        AnswerDraft {
            status,
            note: text(|a| Some(a.note.clone())),
            evidence: text(|a| Some(a.evidence.join(", "))),
            override_reason: text(|a| a.override_reason.clone()),
            justification: text(|a| a.justification.clone()),
            expires: suggested_expiry(checklist, previous, today),
            auto,
        }
    }
}

pub fn suggested_expiry(checklist: &Checklist, previous: Option<&Answer>, today: Date) -> String {
    let max = checklist.max_risk_acceptance_days;
    previous
        .and_then(|a| a.expires)
        .filter(|d| *d > today)
        .or_else(|| {
            today
                .checked_add(jiff::Span::new().days(i64::from(max.min(90))))
                .ok()
        })
        .map(|d| d.to_string())
        .unwrap_or_default()
}

/// An answer contradicts the automatic result when one says pass and the other fail; the
/// operator must then say why (`override_reason`). Both wizards ask by this rule.
pub fn contradicts(auto: AutoStatus, status: Status) -> bool {
    matches!(
        (auto, status),
        (AutoStatus::Fail, Status::Pass) | (AutoStatus::Pass, Status::Fail)
    )
}

/// Who is answering, for `answered_by` when `--by` is not given: the
/// environment first, then git's `user.name` (the sign-off lives in git), then
/// the operating-system account — containers and CI runners often leave `USER`
/// unset, and the wizard must still open.
pub fn default_author() -> Option<String> {
    let non_blank = |v: String| Some(v.trim().to_string()).filter(|v| !v.is_empty());
    ["READINESS_USER", "USER", "USERNAME", "LOGNAME"]
        .iter()
        .find_map(|k| std::env::var(k).ok().and_then(non_blank))
        .or_else(|| git_user_name().and_then(non_blank))
        .or_else(|| whoami::username().ok().and_then(non_blank))
}

fn git_user_name() -> Option<String> {
    let out = std::process::Command::new("git")
        .args(["config", "--get", "user.name"])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8(out.stdout).ok())
        .flatten()
}

/// What recording changed, for the front end to tell the operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recorded {
    /// The sign-off had been signed; the new answer voids the signature.
    pub signature_cleared: bool,
}

pub struct Session {
    pub checklist: Checklist,
    pub path: PathBuf,
    pub signoff: SignOff,
    pub clock: Clock,
}

impl Session {
    /// Opens the sign-off at `path` (a missing file is a new, empty sign-off; nothing is
    /// written until the first change).
    pub fn open(checklist: Checklist, path: &Path, clock: Clock) -> Result<Self, SessionError> {
        let signoff = store::load(path)?.map(|l| l.signoff).unwrap_or_default();
        if !signoff.checklist.id.is_empty() && signoff.checklist.id != checklist.id {
            return Err(SessionError::OtherChecklist {
                path: path.to_path_buf(),
                found: signoff.checklist.id,
                loaded: checklist.id,
            });
        }
        Ok(Self {
            checklist,
            path: path.to_path_buf(),
            signoff,
            clock,
        })
    }

    /// Re-reads the file, applies the change and saves; keeps `self.signoff` in step.
    /// Saving also migrates the file to the loaded checklist: it records that checklist's
    /// version and digest and drops answers to items it no longer has (see [`Self::removed`]).
    fn change<T>(&mut self, f: impl FnOnce(&mut SignOff) -> T) -> Result<T, SessionError> {
        self.change_then(f, |_| ()).map(|(result, ())| result)
    }

    /// [`Self::change`], then `after` with the exact text saved, under the same lock.
    fn change_then<T, A>(
        &mut self,
        f: impl FnOnce(&mut SignOff) -> T,
        after: impl FnOnce(&str) -> A,
    ) -> Result<(T, A), SessionError> {
        let checklist = &self.checklist;
        let (signoff, result, after) = store::update_then(
            &self.path,
            |s| {
                crate::signoff::follow_checklist(s, checklist);
                f(s)
            },
            after,
        )?;
        self.signoff = signoff;
        Ok((result, after))
    }

    /// Validates and saves one answer.
    pub fn record(&mut self, item_id: &str, input: AnswerInput) -> Result<Recorded, SessionError> {
        self.record_all(vec![(item_id.to_string(), input)])
    }

    /// Validates every answer, then saves them in one write: all of them, or none when any
    /// is refused.
    pub fn record_all(
        &mut self,
        answers: Vec<(String, AnswerInput)>,
    ) -> Result<Recorded, SessionError> {
        let answers = answers
            .into_iter()
            .map(|(id, input)| {
                validate_answer(&self.checklist, &id, input, &self.clock).map(|a| (id, a))
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.change(move |s| {
            s.items.extend(answers);
            Recorded {
                signature_cleared: s.signoff.take().is_some(),
            }
        })
    }

    /// Sets the target; a signature over a different target no longer holds.
    pub fn set_target(&mut self, target: Target) -> Result<Recorded, SessionError> {
        self.change(move |s| {
            let changed = s.target != target;
            s.target = target;
            Recorded {
                signature_cleared: changed && s.signoff.take().is_some(),
            }
        })
    }

    /// Stores automatic results, and fills the target fields the operator left empty with
    /// what discovery found.
    pub fn record_auto(
        &mut self,
        records: Vec<(String, crate::signoff::AutoRecord)>,
        discovered: Option<Target>,
    ) -> Result<(), SessionError> {
        self.change(move |s| {
            for (id, record) in records {
                s.auto.insert(id, record);
            }
            if let Some(found) = discovered {
                for field in Target::FIELDS {
                    let value = found.field(field).cloned();
                    if let Some(slot) = s.target.field_mut(field)
                        && value.is_some()
                        && slot.as_ref() != value.as_ref()
                    {
                        *slot = value;
                    }
                }
            }
        })
    }

    pub fn sign(&mut self, name: &str, role: &str) -> Result<(), SessionError> {
        self.sign_then(name, role, None, |_| ())
    }

    /// Writes the `[signoff]` block (with the SSH `identity`, principal and key
    /// fingerprint, when given), then calls `after` with the exact text saved while the
    /// file is still locked: `sign --key` signs those bytes.
    pub fn sign_then<A>(
        &mut self,
        name: &str,
        role: &str,
        identity: Option<(String, String)>,
        after: impl FnOnce(&str) -> A,
    ) -> Result<A, SessionError> {
        let (name, role) = (name.trim().to_string(), role.trim().to_string());
        if name.is_empty() || role.is_empty() {
            return Err(SessionError::Input(
                "signing needs a non-empty name and role".into(),
            ));
        }
        let signed_at = self.clock.now();
        let (principal, key_fingerprint) = identity.unzip();
        self.change_then(
            move |s| {
                s.signoff = Some(Signature {
                    name,
                    role,
                    signed_at,
                    principal,
                    key_fingerprint,
                })
            },
            after,
        )
        .map(|((), after)| after)
    }

    /// Items to ask about, in phase order: answers that need review (lapsed, expired,
    /// changed, contradicted) first, then unanswered items; with `revisit`, then every
    /// other item too.
    pub fn pending(&self, revisit: bool) -> Vec<&Item> {
        let today = self.clock.today();
        let ordered: Vec<(&Item, Freshness)> = Phase::ALL
            .iter()
            .flat_map(|&p| self.checklist.items_in(p))
            .map(|i| {
                (
                    i,
                    validity::assess(&self.checklist, i, &self.signoff, today),
                )
            })
            .collect();
        let review = ordered.iter().filter(|(_, f)| f.needs_review());
        let rest = ordered
            .iter()
            .filter(|(_, f)| !f.needs_review() && (revisit || *f == Freshness::Open));
        review.chain(rest).map(|(i, _)| *i).collect()
    }

    /// Where an item stands today.
    pub fn freshness(&self, item: &Item) -> Freshness {
        validity::assess(&self.checklist, item, &self.signoff, self.clock.today())
    }

    /// Answers in the file to items the loaded checklist no longer has (dropped at the next save).
    pub fn removed(&self) -> Vec<String> {
        validity::removed_items(&self.checklist, &self.signoff)
            .into_iter()
            .map(String::from)
            .collect()
    }

    /// Items with no answer yet.
    pub fn open_count(&self) -> usize {
        self.checklist
            .items
            .iter()
            .filter(|i| !self.signoff.items.contains_key(&i.id))
            .count()
    }
}

/// Reasons a sign-off does not hold against a checklist (empty when it does).
pub fn consistency_problems(checklist: &Checklist, signoff: &SignOff) -> Vec<String> {
    let mut problems = Vec::new();
    if let Some(other) = other_checklist(checklist, signoff) {
        problems.push(other);
        return problems;
    }
    if signoff.checklist.sha256 != checklist.sha256 {
        problems.push(format!(
            "the sign-off was answered against checklist {} version {} (sha256 {}), but the loaded checklist is version {} (sha256 {}); rerun the wizard to review the changes",
            signoff.checklist.id,
            signoff.checklist.version,
            short(&signoff.checklist.sha256),
            checklist.version,
            short(&checklist.sha256)
        ));
    }
    for id in signoff.items.keys() {
        if checklist.item(id).is_none() {
            problems.push(format!(
                "the sign-off answers {id:?}, which is not an item of the checklist"
            ));
        }
    }
    problems
}

/// Evidence as the operator types it in either wizard: `a, b ,c` → `["a", "b", "c"]`,
/// dropping empty entries.
pub fn split_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

/// When the sign-off was answered against another checklist than the one loaded: why.
pub fn other_checklist(checklist: &Checklist, signoff: &SignOff) -> Option<String> {
    (signoff.checklist.id != checklist.id).then(|| {
        format!(
            "the sign-off names checklist {:?}, but checklist {:?} was loaded",
            signoff.checklist.id, checklist.id
        )
    })
}

fn short(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}
