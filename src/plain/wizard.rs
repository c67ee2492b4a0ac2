//! The plain wizard's flow: target, then every pending item phase by phase, then sign and
//! attest. Each answer is saved the moment it is confirmed.

use std::path::PathBuf;

use jiff::civil::Date;

use super::{PromptError, Prompter};
use crate::checklist::Item;
use crate::session::{
    AnswerInput, Session, SessionError, check_expiry, contradicts, suggested_expiry,
};
use crate::signoff::Status;
use crate::validity::Freshness;

/// Runs the automatic checks for a target (the engine behind `readiness check`).
pub type RunChecks =
    Box<dyn FnMut(&crate::signoff::Target) -> Result<crate::engine::Report, String>>;

pub struct WizardOptions {
    /// Ask again about items that already have an answer.
    pub revisit: bool,
    /// Recorded as `answered_by`.
    pub author: String,
    /// Where the attestation is written when the operator asks for it.
    pub attestation_path: PathBuf,
    /// Automatic checks to run once the target is known (None: manual answers only).
    pub checks: Option<RunChecks>,
}

#[derive(Debug, PartialEq)]
pub enum WizardEnd {
    /// Walked to the end.
    Finished {
        signed: bool,
        attestation: Option<PathBuf>,
    },
    /// Stopped early (Ctrl-C, Esc or "stop here"); everything confirmed is saved.
    Stopped { answered_this_run: usize },
}

#[derive(Debug, thiserror::Error)]
pub enum WizardError {
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error("{0}")]
    Prompt(String),
    #[error(transparent)]
    Attest(#[from] crate::attest::WriteError),
}

/// What a step of the flow produced: go on, or stop because the operator asked to.
enum Flow<T> {
    Go(T),
    Stop,
}

fn ask<T>(r: Result<T, PromptError>) -> Result<Flow<T>, WizardError> {
    match r {
        Ok(v) => Ok(Flow::Go(v)),
        Err(PromptError::Interrupted) => Ok(Flow::Stop),
        Err(PromptError::Failed(m)) => Err(WizardError::Prompt(m)),
    }
}

macro_rules! go {
    ($e:expr, $stop:expr) => {
        match ask($e)? {
            Flow::Go(v) => v,
            Flow::Stop => return Ok($stop),
        }
    };
}

const STATUS_CHOICES: [&str; 6] = [
    "✔ pass",
    "✖ fail",
    "– not applicable",
    "≈ risk accepted (needs justification and expiry)",
    "→ skip for now",
    "■ stop here (everything answered is saved)",
];

pub fn run(
    session: &mut Session,
    p: &mut dyn Prompter,
    opts: &mut WizardOptions,
) -> Result<WizardEnd, WizardError> {
    let stopped = |n| WizardEnd::Stopped {
        answered_this_run: n,
    };
    p.say(&format!(
        "readiness — {} (version {}, {} items)\nSign-off file: {}\nEvery answer is saved when you confirm it; Ctrl-C stops and the next run resumes.\n",
        session.checklist.title,
        session.checklist.version,
        session.checklist.items.len(),
        session.path.display()
    ));

    if let Flow::Stop = ask_target(session, p)? {
        return Ok(stopped(0));
    }
    if let Some(checks) = opts.checks.as_mut() {
        run_checks(session, p, checks)?;
    }

    rerun_summary(session, p);
    let pending: Vec<Item> = session.pending(opts.revisit).into_iter().cloned().collect();
    if pending.is_empty() {
        p.say("Every item already has an answer (use --revisit to go through them again).");
    }
    let mut answered = 0;
    for (n, item) in pending.iter().enumerate() {
        show_item(session, p, item, n + 1, pending.len());
        let previous = session.signoff.items.get(&item.id).cloned();
        let auto = session.signoff.auto.get(&item.id).map(|r| r.status);
        // Start on the previous answer, else on what the automatic check found.
        let draft = crate::session::AnswerDraft::start(
            &session.checklist,
            previous.as_ref(),
            auto,
            session.clock.today(),
        );
        let start = Status::ALL
            .iter()
            .position(|s| *s == draft.status)
            .unwrap_or(0);
        let choices: Vec<String> = STATUS_CHOICES.iter().map(|s| s.to_string()).collect();
        let choice = go!(p.select("Status", &choices, start), stopped(answered));
        let status = match choice {
            0..=3 => Status::ALL[choice],
            4 => continue,
            _ => return Ok(stopped(answered)),
        };
        let mut input = AnswerInput {
            status: Some(status),
            by: opts.author.clone(),
            ..AnswerInput::default()
        };
        input.note = go!(
            p.text(
                "Note (optional)",
                &draft.note,
                Some("what you observed or decided")
            ),
            stopped(answered)
        );
        let evidence = go!(
            p.text(
                "Evidence (optional)",
                &draft.evidence,
                Some("links or paths, separated by commas")
            ),
            stopped(answered)
        );
        input.evidence = crate::session::split_list(&evidence);
        if let Some(auto) = auto.filter(|a| contradicts(*a, status)) {
            let old = draft.override_reason.clone();
            let question = format!(
                "The automatic check says {}; why is the answer {}? (required)",
                auto.label(),
                status.mark()
            );
            loop {
                let reason = go!(
                    p.text(&question, &old, Some("kept beside the automatic result")),
                    stopped(answered)
                );
                if !reason.trim().is_empty() {
                    input.override_reason = Some(reason);
                    break;
                }
                p.say("Overriding the automatic result needs a reason.");
            }
        }
        if status == Status::RiskAccepted {
            match ask_risk(session, p, previous.as_ref())? {
                Flow::Go((justification, expires)) => {
                    input.justification = Some(justification);
                    input.expires = Some(expires);
                }
                Flow::Stop => return Ok(stopped(answered)),
            }
        }
        let recorded = session.record(&item.id, input)?;
        answered += 1;
        p.say(&format!("Saved: {} {}.", status.mark(), item.id));
        if recorded.signature_cleared {
            p.say("The earlier signature covered different answers, so it was removed; sign again at the end.");
        }
    }

    let open = session.open_count();
    p.say(&format!(
        "\n{} of {} items answered; {open} open.",
        session.checklist.items.len() - open,
        session.checklist.items.len()
    ));
    // Skipped answers that lapsed or changed keep `verify --fresh` failing: say so.
    let stale: Vec<&str> = session
        .checklist
        .items
        .iter()
        .filter(|i| session.freshness(i).needs_review())
        .map(|i| i.id.as_str())
        .collect();
    if !stale.is_empty() {
        p.say(&format!(
            "{} answer{} still need{} review (lapsed, expired, changed or reopened): {}.",
            stale.len(),
            if stale.len() == 1 { "" } else { "s" },
            if stale.len() == 1 { "s" } else { "" },
            stale.join(", ")
        ));
    }
    let signed = go!(ask_sign(session, p, opts, open), stopped(answered));
    let write = go!(
        p.confirm(
            &format!(
                "Write the attestation to {}?",
                opts.attestation_path.display()
            ),
            true
        ),
        stopped(answered)
    );
    let attestation = if write {
        crate::attest::write(
            &session.checklist,
            &session.path,
            &session.signoff,
            session.clock.now(),
            &opts.attestation_path,
        )?;
        p.say(&format!(
            "Attestation written to {}.",
            opts.attestation_path.display()
        ));
        Some(opts.attestation_path.clone())
    } else {
        None
    };
    Ok(WizardEnd::Finished {
        signed,
        attestation,
    })
}

fn ask_target(session: &mut Session, p: &mut dyn Prompter) -> Result<Flow<()>, WizardError> {
    let current = session.signoff.target.clone();
    let mut target = current.clone();
    let questions = [
        ("name", "Deployment name", "e.g. robotics-prod-westeurope"),
        ("environment", "Environment", "dev, staging, prod, …"),
        ("subscription", "Azure subscription id", "optional"),
        ("resource_group", "Resource group", "optional"),
        ("cluster", "AKS cluster name", "optional"),
    ];
    for (field, message, help) in questions {
        let old = current.field(field).cloned().unwrap_or_default();
        let value = match ask(p.text(message, &old, Some(help)))? {
            Flow::Go(v) => v,
            Flow::Stop => return Ok(Flow::Stop),
        };
        if let Some(slot) = target.field_mut(field) {
            *slot = Some(value.trim().to_string()).filter(|v| !v.is_empty());
        }
    }
    if target != current || session.signoff.checklist.id.is_empty() {
        session.set_target(target)?;
    }
    Ok(Flow::Go(()))
}

fn show_item(session: &Session, p: &mut dyn Prompter, item: &Item, n: usize, total: usize) {
    let severity = item.severity.map(|s| format!(" · {s}")).unwrap_or_default();
    let auto = if item.is_automated() {
        " · auto-checkable"
    } else {
        ""
    };
    let card = super::card::item_card(
        item,
        &super::card::CardParts {
            signoff: &session.signoff,
            standing: session.freshness(item).standing(session.clock.today()),
            rules: false,
        },
    );
    p.say(&format!(
        "\n── [{n}/{total}] {} · {}{severity}{auto} ──\n{card}",
        item.phase.label(),
        item.category,
    ));
}

/// On a rerun: what carries forward, what needs review, what the checklist dropped.
fn rerun_summary(session: &Session, p: &mut dyn Prompter) {
    if session.signoff.items.is_empty() {
        return;
    }
    let mut carried = 0;
    let mut review = Vec::new();
    for item in &session.checklist.items {
        match session.freshness(item) {
            Freshness::Valid { .. } => carried += 1,
            f if f.needs_review() => review.push(format!("  {} — {}", item.id, f.describe())),
            _ => {}
        }
    }
    let mut text = format!(
        "Rerun: {carried} answer(s) carried forward, {} need review.",
        review.len()
    );
    if !review.is_empty() {
        text.push_str(" Those come first:\n");
        text.push_str(&review.join("\n"));
    }
    let old_version = &session.signoff.checklist.version;
    if !old_version.is_empty() && *old_version != session.checklist.version {
        text.push_str(&format!(
            "\nThe checklist changed from version {old_version} to {}; answers carry over by item id.",
            session.checklist.version
        ));
    }
    let removed = session.removed();
    if !removed.is_empty() {
        text.push_str(&format!(
            "\nNo longer in the checklist (their answers are dropped at the next save): {}",
            removed.join(", ")
        ));
    }
    p.say(&format!("{text}\n"));
}

/// Runs the automatic checks once and records their results, so every item shows its
/// evidence. A failure to run is reported and the wizard carries on with manual answers.
fn run_checks(
    session: &mut Session,
    p: &mut dyn Prompter,
    checks: &mut RunChecks,
) -> Result<(), WizardError> {
    p.say("Running the automatic checks…");
    match checks(&session.signoff.target) {
        Ok(report) => {
            let records = crate::signoff::auto_records(&report.items, report.checked_at);
            p.say(&checks_summary(&report));
            session.record_auto(records, None)?;
        }
        Err(message) => p.say(&format!(
            "The automatic checks could not run: {message}\nCarrying on with manual answers.\n"
        )),
    }
    Ok(())
}

/// One line of counts, then why any automatic item was skipped: "68 manual" alone would hide
/// that `--offline` or a missing `--terraform-dir` left automatic items to the operator.
fn checks_summary(report: &crate::engine::Report) -> String {
    let skipped: Vec<&crate::engine::ItemResult> =
        report.items.iter().filter(|i| i.skipped()).collect();
    let causes: std::collections::BTreeSet<&str> =
        skipped.iter().flat_map(|i| i.skip_causes()).collect();
    let s = report.summary;
    let mut text = format!(
        "Automatic checks: {} pass · {} fail · {} could not check",
        s.pass, s.fail, s.error
    );
    if !skipped.is_empty() {
        text.push_str(&format!(" · {} skipped", skipped.len()));
    }
    text.push_str(&format!(" · {} manual.\n", s.manual - skipped.len()));
    for cause in causes {
        text.push_str(&format!("  skipped: {cause}\n"));
    }
    text
}

fn ask_risk(
    session: &Session,
    p: &mut dyn Prompter,
    previous: Option<&crate::signoff::Answer>,
) -> Result<Flow<(String, Date)>, WizardError> {
    let old = previous
        .and_then(|a| a.justification.clone())
        .unwrap_or_default();
    let justification = loop {
        let j = match ask(p.text(
            "Justification (required)",
            &old,
            Some("why the risk is acceptable, and who owns it"),
        ))? {
            Flow::Go(j) => j,
            Flow::Stop => return Ok(Flow::Stop),
        };
        if !j.trim().is_empty() {
            break j;
        }
        p.say("A risk acceptance needs a justification.");
    };
    let today = session.clock.today();
    let max = session.checklist.max_risk_acceptance_days;
    let suggested = suggested_expiry(&session.checklist, previous, today);
    let help = format!("YYYY-MM-DD, after today and at most {max} days away");
    loop {
        let text = match ask(p.text("Expires on", &suggested, Some(&help)))? {
            Flow::Go(t) => t,
            Flow::Stop => return Ok(Flow::Stop),
        };
        match text.trim().parse::<Date>() {
            Ok(date) => match check_expiry(&session.checklist, date, today) {
                Ok(()) => return Ok(Flow::Go((justification, date))),
                Err(e) => p.say(&format!("{e}.")),
            },
            Err(_) => p.say(&format!("{:?} is not a date; use YYYY-MM-DD.", text.trim())),
        }
    }
}

fn ask_sign(
    session: &mut Session,
    p: &mut dyn Prompter,
    opts: &WizardOptions,
    open: usize,
) -> Result<bool, PromptError> {
    let question = if open == 0 {
        "Sign the sign-off now?".to_string()
    } else {
        format!("Sign the sign-off now, with {open} items still open?")
    };
    if !p.confirm(&question, open == 0)? {
        return Ok(false);
    }
    let old = session.signoff.signoff.clone();
    let default_name = old.as_ref().map_or(opts.author.clone(), |s| s.name.clone());
    let default_role = old.as_ref().map(|s| s.role.clone()).unwrap_or_default();
    loop {
        let name = p.text("Your name", &default_name, None)?;
        let role = p.text(
            "Your role",
            &default_role,
            Some("e.g. platform owner, security lead"),
        )?;
        match session.sign(&name, &role) {
            Ok(()) => {
                p.say(&format!("Signed by {} ({}).", name.trim(), role.trim()));
                return Ok(true);
            }
            Err(SessionError::Input(m)) => p.say(&m),
            Err(e) => return Err(PromptError::Failed(e.to_string())),
        }
    }
}
