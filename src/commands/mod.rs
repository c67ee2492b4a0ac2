//! One function per subcommand. Each returns the exit status or a [`Failure`] carrying the
//! message and its documented exit code.

use std::io::{IsTerminal, Write};
use std::path::Path;

use serde_json::json;

mod azure;
mod check;
mod fleet;
mod quarterly;
mod signatures;

pub use signatures::approve;

pub use quarterly::{diff, status};

pub use check::{check, report_json, run_engine};
pub use fleet::fleet;

use crate::attest;
use crate::checklist::{self, Checklist, Phase};
use crate::cli::{
    AnswerArgs, AttestArgs, ChecklistCommand, Global, ListFormat, RunArgs, SchemaFormat, SignArgs,
    StatusArg, TargetArgs, VerifyArgs,
};
use crate::clock::Clock;
use crate::exit::{Exit, Failure};
use crate::plain::{self, InquirePrompter, WizardEnd, WizardOptions};
use crate::session::{self, AnswerInput, Session, SessionError};
use crate::signoff::{Status, store};
use crate::term;

pub(crate) fn load_checklist(path: Option<&Path>) -> Result<Checklist, Failure> {
    match path {
        Some(p) => checklist::load_file(p).map_err(|d| {
            Failure::bad_input(format!(
                "{} problem(s) in checklist {}:\n{d}",
                d.0.len(),
                p.display()
            ))
        }),
        None => checklist::builtin().map_err(|d| {
            Failure::internal(format!("the built-in checklist is invalid (a bug):\n{d}"))
        }),
    }
}

pub(crate) fn clock() -> Result<Clock, Failure> {
    Clock::from_env().map_err(Failure::bad_input)
}

fn open_session(g: &Global) -> Result<Session, Failure> {
    let checklist = load_checklist(g.checklist.as_deref())?;
    Session::open(checklist, &g.signoff, clock()?).map_err(Failure::from)
}

fn author(by: Option<&str>) -> Result<String, Failure> {
    by.map(String::from)
        .or_else(session::default_author)
        .ok_or_else(|| {
            Failure::bad_input(
                "who is answering is unknown: pass --by NAME (or set READINESS_USER)",
            )
        })
}

pub fn run(g: &Global, args: &RunArgs) -> Result<Exit, Failure> {
    let mut session = open_session(g)?;
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        return Err(Failure::usage(
            "the wizard needs an interactive terminal (the full-screen one, and `readiness run --plain` too); in scripts use `readiness check` for the automatic checks, `readiness answer` to record answers and `readiness sign` to sign",
        ));
    }
    if !args.plain {
        let options = crate::tui::Options {
            author: author(args.by.as_deref())?,
            attestation_path: args.attestation.clone(),
            sources: (&args.sources).into(),
            color: args.color,
            revisit: args.revisit,
        };
        let outcome = crate::tui::run(session, options)?;
        if let Some(signal) = &outcome.stopped_by {
            crate::outln!("Stopped by {signal}.");
        }
        crate::outln!(
            "{} answer(s) recorded this run, all saved in {}; run `readiness` again to continue where you left off.",
            outcome.answered_this_run,
            g.signoff.display()
        );
        return Ok(Exit::Ok);
    }
    let checklist = session.checklist.clone();
    let sources = crate::engine::SourceSpec::from(&args.sources);
    let checks = move |target: &crate::signoff::Target| -> Result<crate::engine::Report, String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        let config = runtime
            .block_on(crate::engine::configure(&sources, target))
            .map_err(|e| e.to_string())?;
        run_engine(&checklist, &config, sources.azure.timeout).map_err(|f| f.message)
    };
    let options = WizardOptions {
        revisit: args.revisit,
        author: author(args.by.as_deref())?,
        attestation_path: args.attestation.clone(),
        checks: Some(Box::new(checks)),
    };
    let mut options = options;
    let end =
        plain::run(&mut session, &mut InquirePrompter, &mut options).map_err(|e| match e {
            plain::WizardError::Session(s) => Failure::from(s),
            other => Failure::bad_input(other.to_string()),
        })?;
    match end {
        WizardEnd::Stopped { answered_this_run } => crate::outln!(
            "\nStopped. {answered_this_run} answer(s) recorded this run, all saved in {}; run `readiness` again to continue.",
            g.signoff.display()
        ),
        WizardEnd::Finished { .. } => crate::outln!("\nDone. Sign-off: {}", g.signoff.display()),
    }
    Ok(Exit::Ok)
}

pub fn answer(g: &Global, args: &AnswerArgs) -> Result<Exit, Failure> {
    let mut session = open_session(g)?;
    let expires = args
        .expires
        .as_deref()
        .map(|text| {
            text.trim().parse::<jiff::civil::Date>().map_err(|_| {
                Failure::usage(format!("--expires {text:?} is not a date; use YYYY-MM-DD"))
            })
        })
        .transpose()?;
    let status = match args.status {
        StatusArg::Pass => Status::Pass,
        StatusArg::Fail => Status::Fail,
        StatusArg::NotApplicable => Status::NotApplicable,
        StatusArg::RiskAccepted => Status::RiskAccepted,
    };
    let input = AnswerInput {
        status: Some(status),
        note: args.note.clone(),
        evidence: args.evidence.clone(),
        justification: args.justification.clone(),
        expires,
        by: author(args.by.as_deref())?,
        override_reason: None,
    };
    let answers = args
        .items
        .iter()
        .map(|id| (id.clone(), input.clone()))
        .collect();
    let recorded = session.record_all(answers)?;
    crate::errln!(
        "Recorded {} for {} in {}.",
        status.mark(),
        args.items.join(", "),
        g.signoff.display()
    );
    if recorded.signature_cleared {
        crate::errln!(
            "The sign-off had been signed; the signature no longer covers these answers and was removed. Run `readiness sign` again."
        );
    }
    Ok(Exit::Ok)
}

pub fn target(g: &Global, args: &TargetArgs) -> Result<Exit, Failure> {
    let mut session = open_session(g)?;
    let given = args.given();
    if !given.is_empty() {
        let mut target = session.signoff.target.clone();
        for (field, value) in given {
            if let Some(slot) = target.field_mut(field) {
                *slot = Some(value.trim().to_string()).filter(|v| !v.is_empty());
            }
        }
        if session.set_target(target)?.signature_cleared {
            crate::errln!(
                "The sign-off had been signed for another target; the signature was removed. Run `readiness sign` again."
            );
        }
    }
    for field in crate::signoff::Target::FIELDS {
        crate::outln!(
            "{field:<15} {}",
            session
                .signoff
                .target
                .field(field)
                .map_or("—", String::as_str)
        );
    }
    Ok(Exit::Ok)
}

pub fn sign(g: &Global, args: &SignArgs) -> Result<Exit, Failure> {
    let mut session = open_session(g)?;
    if !g.signoff.exists() {
        return Err(Failure::bad_input(format!(
            "{} does not exist yet; answer the checklist before signing",
            g.signoff.display()
        )));
    }
    let key = signatures::signing_key(args.key.as_deref(), args.principal.as_deref())?;
    let identity = key
        .as_ref()
        .map(|(k, principal)| (principal.clone(), k.fingerprint.clone()));
    let said = session.sign_then(&args.name, &args.role, identity, |text| {
        signatures::after_sign(&g.signoff, key.as_ref().map(|(k, _)| k), text)
    })??;
    let open = session.open_count();
    crate::errln!(
        "Signed {} as {} ({}){}.",
        g.signoff.display(),
        args.name.trim(),
        args.role.trim(),
        if key.is_some() {
            ""
        } else {
            " — by name only, without an SSH signature (--key)"
        }
    );
    for line in said {
        crate::errln!("{line}");
    }
    if open > 0 {
        crate::errln!(
            "Note: {open} item(s) are still open; the attestation lists them under open actions."
        );
    }
    Ok(Exit::Ok)
}

pub(crate) fn read_signoff(path: &Path) -> Result<store::Loaded, Failure> {
    store::load(path)?.ok_or_else(|| {
        Failure::bad_input(format!(
            "{} does not exist; run `readiness` or `readiness answer` first, or pass --signoff PATH",
            path.display()
        ))
    })
}

pub fn attest(g: &Global, args: &AttestArgs) -> Result<Exit, Failure> {
    let checklist = load_checklist(g.checklist.as_deref())?;
    let loaded = read_signoff(&g.signoff)?;
    if let Some(p) = session::other_checklist(&checklist, &loaded.signoff) {
        return Err(Failure::bad_input(format!(
            "{p}; pass the matching --checklist"
        )));
    }
    let problems = session::consistency_problems(&checklist, &loaded.signoff);
    for p in &problems {
        crate::errln!("warning: {p}");
    }
    if args.format == crate::cli::AttestFormat::Oscal {
        return attest_oscal(g, args, &checklist, &loaded);
    }
    let template = read_template(args.template.as_deref())?;
    let previous = match &args.previous {
        Some(path) => Some(read_signoff(path)?),
        None => None,
    };
    let markdown = attest::attest(
        &checklist,
        &loaded.text,
        &loaded.signoff,
        clock()?.now(),
        template.as_ref().map(|(n, t)| (n.as_str(), t.as_str())),
        previous.as_ref().map(|p| attest::Previous {
            text: &p.text,
            signoff: &p.signoff,
        }),
    )
    .map_err(|e| Failure::bad_input(e.to_string()))?;
    if let Some(path) = write_output(args.output.as_deref(), &markdown, "the attestation")? {
        crate::errln!("Attestation written to {}.", path.display());
    }
    Ok(Exit::Ok)
}

/// `attest --format oscal`: the OSCAL assessment-results document.
fn attest_oscal(
    g: &Global,
    args: &AttestArgs,
    checklist: &Checklist,
    loaded: &store::Loaded,
) -> Result<Exit, Failure> {
    if args.template.is_some() || args.previous.is_some() {
        return Err(Failure::bad_input(
            "--template and --previous shape the Markdown attestation; `--format oscal` takes neither",
        ));
    }
    let name = g.signoff.file_name().map_or_else(
        || g.signoff.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let json = attest::oscal::render(
        checklist,
        &loaded.signoff,
        attest::oscal::Inputs {
            signoff_text: &loaded.text,
            signoff_name: &name,
            now: clock()?.now(),
        },
    )
    .map_err(|e| Failure::bad_input(e.to_string()))?;
    if let Some(path) = write_output(
        args.output.as_deref(),
        &json,
        "the OSCAL assessment results",
    )? {
        crate::errln!("OSCAL assessment results written to {}.", path.display());
    }
    Ok(Exit::Ok)
}

/// `--template PATH` as `(name, text)`.
fn read_template(path: Option<&Path>) -> Result<Option<(String, String)>, Failure> {
    path.map(|path| {
        Ok((
            path.display().to_string(),
            crate::fsread::read_text(path, crate::fsread::MAX_TEMPLATE)
                .map_err(|e| Failure::bad_input(e.naming("template")))?,
        ))
    })
    .transpose()
}

/// Writes a report to `-o PATH` (atomically), or to standard output without `-o` or with
/// `-o -`; returns the file written. Only a regular file is replaced: a device, FIFO,
/// symlink or directory is refused, and so is a file that is a sign-off or a checklist
/// (`what` names the report in that message).
pub(crate) fn write_output<'p>(
    path: Option<&'p Path>,
    text: &str,
    what: &str,
) -> Result<Option<&'p Path>, Failure> {
    let Some(path) = path.filter(|p| *p != Path::new("-")) else {
        let mut out = std::io::stdout().lock();
        crate::term::forgive_closed_pipe(out.write_all(text.as_bytes()).and_then(|()| out.flush()))
            .map_err(|e| Failure::bad_input(format!("cannot write to standard output: {e}")))?;
        return Ok(None);
    };
    refuse_to_replace(path, what)?;
    store::write_atomic(path, text.as_bytes())
        .map_err(|e| Failure::bad_input(format!("cannot write {}: {e}", path.display())))?;
    Ok(Some(path))
}

fn refuse_to_replace(path: &Path, what: &str) -> Result<(), Failure> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            return Err(Failure::bad_input(format!(
                "cannot write {}: {e}",
                path.display()
            )));
        }
    };
    if !meta.file_type().is_file() {
        return Err(Failure::bad_input(format!(
            "{} is {}; readiness writes {what} only to a regular file (or to standard output with `-o -`), so it was left alone",
            path.display(),
            crate::fsread::kind_of(meta.file_type())
        )));
    }
    // Unreadable or not UTF-8: not one of ours.
    let Ok(text) = crate::fsread::read_text(path, crate::fsread::MAX_SIGNOFF) else {
        return Ok(());
    };
    if let Some(kind) = readiness_file_kind(&text) {
        return Err(Failure::bad_input(format!(
            "{} is {kind}; refusing to overwrite it with {what}",
            path.display()
        )));
    }
    Ok(())
}

/// Whether TOML text is a sign-off or a checklist (even one with mistakes in it): both
/// carry `schema_version`; a sign-off names its `[checklist]`, a checklist has `items`.
fn readiness_file_kind(text: &str) -> Option<&'static str> {
    let doc = text.parse::<toml_edit::DocumentMut>().ok()?;
    if !doc.contains_key("schema_version") {
        return None;
    }
    if doc.contains_key("checklist") {
        Some("a sign-off")
    } else if doc.contains_key("items") || doc.contains_key("id") {
        Some("a checklist")
    } else {
        None
    }
}

pub fn verify(g: &Global, args: &VerifyArgs) -> Result<Exit, Failure> {
    let mut problems = Vec::new();
    let mut checked = Vec::new();
    if args.fresh {
        problems.extend(quarterly::freshness_problems(g)?);
        checked.push("fresh".to_string());
    }
    let attestation = match (&args.attestation, args.fresh || args.signers.is_some()) {
        (Some(path), _) => Some(path.clone()),
        (None, false) => Some(std::path::PathBuf::from("readiness-attestation.md")),
        (None, true) => None,
    };
    if let Some(path) = &attestation {
        let checklist = load_checklist(g.checklist.as_deref())?;
        let loaded = read_signoff(&g.signoff)?;
        let text = crate::fsread::read_text_lossy(path, crate::fsread::MAX_ATTESTATION)
            .map_err(|e| Failure::bad_input(e.naming("attestation")))?;
        let template = read_template(args.template.as_deref())?;
        let previous = match &args.previous {
            Some(path) => Some(read_signoff(path)?),
            None => None,
        };
        let inputs = attest::VerifyInputs {
            template: template.as_ref().map(|(n, t)| (n.as_str(), t.as_str())),
            previous: previous.as_ref().map(|p| attest::Previous {
                text: &p.text,
                signoff: &p.signoff,
            }),
        };
        let outcome = attest::verify(
            &text,
            loaded.text.as_bytes(),
            &loaded.signoff,
            &checklist,
            &inputs,
        );
        problems.extend(outcome.problems);
        let how = if outcome.notes.is_empty() {
            "every byte compared with a fresh rendering".to_string()
        } else {
            outcome.notes.join("; ")
        };
        checked.push(format!(
            "{} matches {} and its checklist {} {} ({how})",
            path.display(),
            g.signoff.display(),
            checklist.id,
            checklist.version
        ));
    }
    if let Some(signers) = &args.signers {
        signatures::verify(
            g,
            signers,
            args.require.unwrap_or(1),
            &mut checked,
            &mut problems,
        )?;
    }
    let ok = problems.is_empty();
    match args.format {
        ListFormat::Json => term::out_exact(
            &(serde_json::to_string_pretty(&json!({
                "schema": "readiness.verify/v1",
                "ok": ok,
                "signoff": g.signoff.display().to_string(),
                "checked": checked,
                "problems": problems,
            }))
            .unwrap_or_default()
                + "\n"),
        ),
        ListFormat::Text if ok => crate::outln!("verified: {}", checked.join("; ")),
        ListFormat::Text => {
            crate::outln!("verification failed for {}:", g.signoff.display());
            for p in &problems {
                crate::outln!("  ✖ {p}");
            }
        }
    }
    Ok(if ok { Exit::Ok } else { Exit::Failed })
}

pub fn checklist(g: &Global, command: &ChecklistCommand) -> Result<Exit, Failure> {
    match command {
        ChecklistCommand::Validate { path } => {
            let path = path.as_deref().or(g.checklist.as_deref());
            let c = load_checklist(path)?;
            let automated = c.items.iter().filter(|i| i.is_automated()).count();
            crate::outln!(
                "{}: valid — checklist {} version {}, {} items ({automated} with automatic checks)",
                c.origin,
                c.id,
                c.version,
                c.items.len()
            );
            Ok(Exit::Ok)
        }
        ChecklistCommand::List { path, format } => {
            let c = load_checklist(path.as_deref().or(g.checklist.as_deref()))?;
            match format {
                ListFormat::Json => term::out_exact(&(list_json(&c) + "\n")),
                ListFormat::Text => term::out(&list_text(&c)),
            }
            Ok(Exit::Ok)
        }
        ChecklistCommand::Show { id, format } => show_item(g, id, *format),
        ChecklistCommand::Schema => {
            term::out_exact(&checklist::json_schema());
            Ok(Exit::Ok)
        }
    }
}

/// `checklist show`: one item, with the sign-off's answer when there is a sign-off.
fn show_item(g: &Global, id: &str, format: ListFormat) -> Result<Exit, Failure> {
    let c = load_checklist(g.checklist.as_deref())?;
    let item = crate::session::known_item(&c, id).map_err(|e| Failure::bad_input(e.to_string()))?;
    let signoff = store::load(&g.signoff)?
        .map(|l| l.signoff)
        .unwrap_or_default();
    let today = clock()?.today();
    match format {
        ListFormat::Text => {
            let card = crate::plain::item_card(
                item,
                &crate::plain::CardParts {
                    signoff: &signoff,
                    standing: crate::validity::assess(&c, item, &signoff, today).standing(today),
                    rules: true,
                },
            );
            // Wrapped for a person at a terminal; whole lines for a pipe.
            // Escaped before wrapping, so the widths are the ones shown.
            let card = term::safe(&card);
            if std::io::stdout().is_terminal() {
                term::out(&crate::plain::wrap_for_terminal(&card));
            } else {
                term::out(&card);
            }
        }
        ListFormat::Json => term::out_exact(&(item_json(&c, item, &signoff) + "\n")),
    }
    Ok(Exit::Ok)
}

fn item_json(c: &Checklist, item: &checklist::Item, signoff: &crate::signoff::SignOff) -> String {
    let answer = signoff.items.get(&item.id).map(|a| {
        json!({
            "status": a.status.as_str(),
            "note": a.note,
            "evidence": a.evidence,
            "answered_by": a.answered_by,
            "answered_at": a.answered_at.to_string(),
            "expires": a.expires.map(|d| d.to_string()),
        })
    });
    let auto = signoff
        .auto
        .get(&item.id)
        .map(|r| json!({"status": r.status.as_str(), "checked_at": r.checked_at.to_string()}));
    let doc = json!({
        "schema": "readiness.item/v1",
        "id": item.id,
        "phase": item.phase.as_str(),
        "category": item.category,
        "title": item.title,
        "guidance": item.guidance,
        "severity": item.severity.map(|s| s.as_str()),
        "revalidate_days": item.revalidate_days.unwrap_or(c.revalidate_days),
        "references": item.references.iter().map(|r| json!({"title": r.title, "url": r.url})).collect::<Vec<_>>(),
        "checks": item.checks.iter().map(|k| json!({
            "source": k.source.as_str(),
            "expect": k.expect.text(),
            "observe": k.observe.as_ref().map(|o| o.text()),
            "explain": k.explain,
        })).collect::<Vec<_>>(),
        "answer": answer,
        "auto": auto,
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

pub fn schema(format: SchemaFormat) -> Result<Exit, Failure> {
    term::out_exact(&match format {
        SchemaFormat::Checklist => checklist::json_schema(),
        SchemaFormat::Signoff => crate::signoff::format::json_schema(),
    });
    Ok(Exit::Ok)
}

fn list_json(c: &Checklist) -> String {
    let items: Vec<_> = c
        .items
        .iter()
        .map(|i| {
            json!({
                "id": i.id,
                "phase": i.phase.as_str(),
                "category": i.category,
                "title": i.title,
                "severity": i.severity.map(|s| s.as_str()),
                "automated": i.is_automated(),
            })
        })
        .collect();
    let doc = json!({"id": c.id, "version": c.version, "title": c.title, "items": items});
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

fn list_text(c: &Checklist) -> String {
    let mut out = format!(
        "{} — version {} ({} items)\n",
        c.title,
        c.version,
        c.items.len()
    );
    for &phase in Phase::ALL {
        out.push_str(&format!("\n{}\n", phase.label()));
        for i in c.items_in(phase) {
            out.push_str(&format!(
                "  {:<34} {:<9} {:<8} {:<4} {}\n",
                i.id,
                i.category,
                i.severity.map_or("-", |s| s.as_str()),
                if i.is_automated() { "auto" } else { "" },
                i.title
            ));
        }
    }
    out
}

impl From<SessionError> for Failure {
    fn from(e: SessionError) -> Self {
        Failure::bad_input(e.to_string())
    }
}

impl From<store::StoreError> for Failure {
    fn from(e: store::StoreError) -> Self {
        Failure::bad_input(e.to_string())
    }
}
