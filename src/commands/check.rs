//! `readiness check`: every automatic check, without the wizard.

use std::io::IsTerminal;

use serde_json::json;

use crate::checklist::{Checklist, Phase};
use crate::cli::{CheckArgs, Global, OutputFormat};
use crate::engine::{self, AutoStatus, CheckStatus, Progress, Report, SourceConfig};
use crate::exit::{Exit, Failure};
use crate::session::Session;
use crate::signoff::{self, Target};
use crate::term;

use super::{clock, load_checklist};

/// Runs the engine on a fresh runtime, with progress on stderr when it is a terminal.
pub fn run_engine(
    checklist: &Checklist,
    config: &SourceConfig,
    timeout: u64,
) -> Result<Report, Failure> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failure::internal(format!("cannot start the async runtime: {e}")))?;
    let now = clock()?.now();
    let result = runtime.block_on(async {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let show = std::io::stderr().is_terminal();
        let printer = tokio::spawn(async move {
            while let Some(event) = rx.recv().await {
                if show {
                    print_progress(&event);
                }
            }
        });
        let result =
            engine::run_within(engine::run_bound(timeout), checklist, config, now, Some(tx)).await;
        if result.is_ok() {
            let _ = printer.await;
        }
        result
    });
    // A run cut off by the bound may still hold a worker thread (a rule still evaluating):
    // do not wait for it.
    runtime.shutdown_background();
    match result {
        Err(e @ engine::RunError::TooSlow(_)) => Err(Failure {
            exit: Exit::CouldNotCheck,
            message: e.to_string(),
        }),
        Err(engine::RunError::Engine(e @ engine::EngineError::Internal(_))) => {
            Err(Failure::internal(e.to_string()))
        }
        Err(engine::RunError::Engine(e)) => Err(Failure::usage(e.to_string())),
        Ok(report) => Ok(report),
    }
}

fn print_progress(event: &Progress) {
    match event {
        Progress::Discovering => crate::errln!("Listing the resource group…"),
        Progress::Discovered { documents } => crate::errln!("Reading {documents} Azure documents…"),
        // The report at the end lists every verdict.
        Progress::Fetching(_) | Progress::Evaluated(_) => {}
        Progress::Fetched { source, ok } => {
            crate::errln!("  {} {source}", if *ok { "✔" } else { "⚠" })
        }
    }
}

pub fn check(g: &Global, args: &CheckArgs) -> Result<Exit, Failure> {
    let checklist = load_checklist(g.checklist.as_deref())?;
    let remembered = match signoff::store::load(&g.signoff)? {
        Some(l) => l.signoff.target,
        None => Target::default(),
    };
    let config = {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Failure::internal(format!("cannot start the async runtime: {e}")))?;
        runtime.block_on(engine::configure(&(&args.sources).into(), &remembered))?
    };
    if let Some(why) = &config.arm_skipped_because
        && config.evidence_dir.is_none()
        && args.format == OutputFormat::Text
    {
        crate::errln!("note: Azure checks are skipped: {why}");
    }
    let report = run_engine(&checklist, &config, args.sources.azure.timeout)?;

    if args.record {
        record(g, &checklist, &report)?;
    } else if g.signoff_given
        && let Some(d) = &report.deployment
    {
        // The contract: an explicit --signoff learns the discovered target.
        let mut session = Session::open(checklist.clone(), &g.signoff, clock()?)?;
        session.record_auto(Vec::new(), Some(session_target_from(d)))?;
    }
    let inputs = crate::report::Inputs {
        checklist: &checklist,
        items: &report.items,
        checked_at: report.checked_at,
    };
    match args.format {
        OutputFormat::Json => term::out_exact(&(report_json(&checklist, &report) + "\n")),
        OutputFormat::Junit => {
            term::out_exact(&crate::report::junit(inputs).map_err(Failure::internal)?)
        }
        OutputFormat::Sarif => {
            let cwd = std::env::current_dir().unwrap_or_default();
            let locate = |c: &crate::verdict::CheckResult| locate_in_file(&config, c);
            term::out_exact(&crate::report::sarif(inputs, &g.signoff, &cwd, &locate));
        }
        OutputFormat::Text => term::out(&report_text(&checklist, &report, g)),
    }
    Ok(if report.summary.fail > 0 {
        Exit::Failed
    } else if report.summary.error > 0 {
        Exit::CouldNotCheck
    } else {
        Exit::Ok
    })
}

/// The file (and line) a SARIF result of a Terraform check points at; ARM checks have none.
fn locate_in_file(
    config: &SourceConfig,
    check: &crate::verdict::CheckResult,
) -> Option<crate::report::Artifact> {
    let source = crate::checklist::DocumentSource::parse(check.source)?;
    if !check.source.starts_with("terraform:") {
        return None;
    }
    let names: Vec<&str> = check
        .observed
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let dir = std::path::Path::new(&check.resource);
    let (path, line) = crate::sources::terraform::locate(dir, &config.var_files, source, &names)
        .unwrap_or_else(|| (dir.to_path_buf(), None));
    Some(crate::report::Artifact { path, line })
}

/// Stores each item's automatic result (and the discovered target) in the sign-off.
fn record(g: &Global, checklist: &Checklist, report: &Report) -> Result<(), Failure> {
    let mut session = Session::open(checklist.clone(), &g.signoff, clock()?)?;
    let records = signoff::auto_records(&report.items, report.checked_at);
    let discovered = report.deployment.clone();
    session.record_auto(
        records,
        discovered.map(|d| {
            let mut t = session_target_from(&d);
            t.name = None;
            t
        }),
    )?;
    for item in &checklist.items {
        if signoff::contradicted(
            session.signoff.items.get(&item.id),
            session.signoff.auto.get(&item.id),
        ) {
            crate::errln!(
                "⚠ {}: answered pass, but the automatic check now fails — review it in the wizard",
                item.id
            );
        }
    }
    crate::errln!("Recorded the automatic results in {}.", g.signoff.display());
    Ok(())
}

fn session_target_from(d: &crate::sources::azure::discovery::Deployment) -> Target {
    Target {
        subscription: Some(d.subscription.clone()),
        resource_group: Some(d.resource_group.clone()),
        cluster: d.cluster.as_ref().map(|r| r.name.clone()),
        key_vault: d.key_vault.as_ref().map(|r| r.name.clone()),
        registry: d.registry.as_ref().map(|r| r.name.clone()),
        ..Target::default()
    }
}

fn target_json(report: &Report) -> serde_json::Value {
    match &report.deployment {
        Some(d) => json!({
            "subscription": d.subscription,
            "resource_group": d.resource_group,
            "cluster": d.cluster.as_ref().map(|r| &r.id),
            "key_vault": d.key_vault.as_ref().map(|r| &r.id),
            "registry": d.registry.as_ref().map(|r| &r.id),
            "identities": d.identities.iter().map(|r| &r.id).collect::<Vec<_>>(),
        }),
        None => json!({}),
    }
}

/// The pinned `readiness.check/v1` document.
pub fn report_json(checklist: &Checklist, report: &Report) -> String {
    let items: Vec<_> = report
        .items
        .iter()
        .map(|i| {
            json!({
                "id": i.id,
                "phase": i.phase.as_str(),
                "status": i.status,
                "checks": i.checks.iter().map(|c| json!({
                    "source": c.source,
                    "resource": c.resource,
                    "expect": c.expect,
                    "observed": c.observed,
                    "status": c.status,
                    "cause": c.cause,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let doc = json!({
        "schema": "readiness.check/v1",
        "checklist": {"id": checklist.id, "version": checklist.version, "sha256": checklist.sha256},
        "target": target_json(report),
        "items": items,
        "summary": report.summary,
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

fn report_text(checklist: &Checklist, report: &Report, _g: &Global) -> String {
    let mut out = String::new();
    if let Some(d) = &report.deployment {
        out.push_str(&format!(
            "Deployment: subscription {}, resource group {}\n",
            d.subscription, d.resource_group
        ));
        for (kind, r) in [
            ("cluster", &d.cluster),
            ("key vault", &d.key_vault),
            ("registry", &d.registry),
        ] {
            if let Some(r) = r {
                out.push_str(&format!("  {kind}: {}\n", r.name));
            }
        }
    }
    let mut details_shown = std::collections::HashSet::new();
    let mut skipped_in_all = 0;
    for &phase in Phase::ALL {
        out.push_str(&format!("\n{}\n", phase.label()));
        let (mut manual, mut skipped) = (0, std::collections::BTreeMap::<&str, usize>::new());
        for result in report.items.iter().filter(|i| i.phase == phase) {
            if result.skipped() {
                let cause = result.skip_causes().next().unwrap_or("no source for it");
                *skipped.entry(cause).or_default() += 1;
                skipped_in_all += 1;
                continue;
            }
            if result.status == AutoStatus::Manual {
                manual += 1;
                continue;
            }
            let title = checklist.item(&result.id).map_or("", |i| i.title.as_str());
            out.push_str(&format!(
                "  {:<10} {:<34} {title}\n",
                result.status.label(),
                result.id
            ));
            for c in &result.checks {
                match c.status {
                    CheckStatus::Fail => {
                        out.push_str(&format!("      ✖ {} ({})\n", c.explain, c.source));
                        out.push_str(&format!(
                            "        observed: {}\n",
                            crate::report::compact(&c.observed)
                        ));
                    }
                    CheckStatus::Error => push_cause(
                        &mut out,
                        c.source,
                        c.cause.as_deref().unwrap_or("error"),
                        &mut details_shown,
                    ),
                    _ => {}
                }
            }
        }
        for (cause, n) in skipped {
            out.push_str(&format!("  {n} automatic item(s) skipped: {cause}\n"));
        }
        if manual > 0 {
            out.push_str(&format!(
                "  {manual} item(s) without an automatic check (answer them in the wizard)\n"
            ));
        }
    }
    let s = report.summary;
    // `manual` counts the skipped items too (as the JSON does); the text says how many.
    let of_which = if skipped_in_all > 0 {
        format!(" ({skipped_in_all} of them automatic, skipped)")
    } else {
        String::new()
    };
    out.push_str(&format!(
        "\nSummary: {} pass · {} fail · {} error · {} manual{of_which}\n",
        s.pass, s.fail, s.error, s.manual
    ));
    out
}

/// An error's cause under its check: the first line beside the source, further lines (an
/// Azure credential chain explains itself over several) indented beneath it, and only the
/// first time: when sign-in fails, every Azure check fails for the same reason.
fn push_cause<'a>(
    out: &mut String,
    source: &str,
    cause: &'a str,
    details_shown: &mut std::collections::HashSet<&'a str>,
) {
    let (first, details) = cause.split_once('\n').unwrap_or((cause, ""));
    out.push_str(&format!("      ⚠ {source}: {first}\n"));
    let details = details.trim_end();
    if details.is_empty() {
        return;
    }
    if details_shown.insert(details) {
        for line in details.lines() {
            out.push_str(&format!("          {line}\n"));
        }
    } else {
        out.push_str("          (the same details as above)\n");
    }
}

#[cfg(test)]
mod tests {
    use super::push_cause;

    #[test]
    fn a_cause_explained_over_several_lines_is_explained_once() {
        let sign_in = "could not get an Azure token: several credentials failed:\n\
                       AzureCliCredential: az not found on PATH\n\
                       AzureDeveloperCliCredential: azd not found on PATH\n";
        let mut out = String::new();
        let mut shown = std::collections::HashSet::new();
        push_cause(&mut out, "arm:aks", sign_in, &mut shown);
        push_cause(&mut out, "arm:key-vault", sign_in, &mut shown);
        push_cause(
            &mut out,
            "terraform",
            "main.tf:3:1: unexpected token",
            &mut shown,
        );
        assert_eq!(
            out,
            "      ⚠ arm:aks: could not get an Azure token: several credentials failed:\n\
             \x20         AzureCliCredential: az not found on PATH\n\
             \x20         AzureDeveloperCliCredential: azd not found on PATH\n\
             \x20     ⚠ arm:key-vault: could not get an Azure token: several credentials failed:\n\
             \x20         (the same details as above)\n\
             \x20     ⚠ terraform: main.tf:3:1: unexpected token\n"
        );
    }
}
