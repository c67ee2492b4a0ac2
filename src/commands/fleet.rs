//! `readiness fleet`: every AKS cluster in many subscriptions, judged through Azure Resource
//! Graph with the checklist's rules. Progress, quota waits and warnings go to stderr; the
//! report (text, Markdown or the pinned JSON) to stdout.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::cli::{FleetArgs, FleetFormat, Global};
use crate::exit::{Exit, Failure};
use crate::fleet::{self, Event, FleetError, FleetOptions, Scope};
use crate::sources::azure::ReadLimits;

use super::{clock, load_checklist};

fn scope(args: &FleetArgs) -> Result<Scope, Failure> {
    if let Some(mg) = &args.management_group {
        let mg = mg.trim();
        if mg.is_empty() {
            return Err(Failure::usage("--management-group needs an id"));
        }
        return Ok(Scope::ManagementGroup(mg.to_string()));
    }
    if args.subscriptions.is_empty() {
        return Ok(Scope::Visible);
    }
    let mut subs: Vec<String> = Vec::new();
    for sub in &args.subscriptions {
        let sub = sub.trim();
        if sub.is_empty() {
            return Err(Failure::usage("--subscription needs an id"));
        }
        if !subs.iter().any(|s| s.eq_ignore_ascii_case(sub)) {
            subs.push(sub.to_string());
        }
    }
    Ok(Scope::Subscriptions(subs))
}

/// Prints the run's events on stderr; per-resource progress at most once a second.
struct Printer {
    last_deep: Mutex<Option<Instant>>,
}

impl Printer {
    fn event(&self, event: Event) {
        match event {
            Event::Subscriptions { count } => {
                crate::errln!("The credential sees {count} subscription(s).")
            }
            Event::Querying { kind, scope } => {
                crate::errln!(
                    "Querying Azure Resource Graph for {} in {scope}…",
                    kind.label()
                )
            }
            Event::Page {
                kind,
                page,
                rows_so_far,
                total,
            } => match total {
                Some(total) => crate::errln!(
                    "  {}: page {page}, {rows_so_far} of {total} row(s)",
                    kind.label()
                ),
                None => crate::errln!("  {}: page {page}, {rows_so_far} row(s)", kind.label()),
            },
            Event::QuotaWait { remaining, wait } => crate::errln!(
                "  Resource Graph quota nearly used ({remaining} left): waiting {} for it to reset",
                seconds(wait)
            ),
            Event::Throttled { wait } => crate::errln!(
                "  Resource Graph still throttling (429) after retries: waiting {} before trying again",
                seconds(wait)
            ),
            Event::DeepProgress { done, total } => {
                let mut last = self.last_deep.lock().unwrap_or_else(|e| e.into_inner());
                let finished = total.is_some_and(|t| done as u64 >= t);
                if finished || last.is_none_or(|t| t.elapsed() >= Duration::from_secs(1)) {
                    *last = Some(Instant::now());
                    match total {
                        Some(total) => crate::errln!(
                            "  --deep: per-resource documents read for {done} of {total} cluster(s)"
                        ),
                        None => {
                            crate::errln!(
                                "  --deep: per-resource documents read for {done} cluster(s)"
                            )
                        }
                    }
                }
            }
            Event::Warning(text) => crate::errln!("warning: {text}"),
        }
    }
}

fn seconds(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

fn failure(e: FleetError) -> Failure {
    match e {
        e @ FleetError::Setup(_) => Failure::usage(e.to_string()),
        e @ FleetError::Internal(_) => Failure::internal(e.to_string()),
        other => Failure {
            exit: Exit::CouldNotCheck,
            message: other.to_string(),
        },
    }
}

pub fn fleet(g: &Global, args: &FleetArgs) -> Result<Exit, Failure> {
    let checklist = Arc::new(load_checklist(g.checklist.as_deref())?);
    let arm = crate::engine::AzureSpec::from(&args.azure).options(ReadLimits::FLEET)?;
    let scope = scope(args)?;
    if let Some(dir) = &args.output
        && dir.exists()
        && !dir.is_dir()
    {
        return Err(Failure::usage(format!(
            "--output {}: not a directory",
            dir.display()
        )));
    }
    let options = FleetOptions {
        arm,
        scope,
        deep: args.deep,
        output: args.output.clone(),
        now: clock()?.now(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failure::internal(format!("cannot start the async runtime: {e}")))?;
    let printer = Printer {
        last_deep: Mutex::new(None),
    };
    let deadline = Duration::from_secs(args.deadline);
    let report = runtime.block_on(async {
        tokio::time::timeout(
            deadline,
            fleet::run(checklist.clone(), &options, &|e| printer.event(e)),
        )
        .await
    });
    runtime.shutdown_background();
    let report = report
        .map_err(|_| Failure {
            exit: Exit::CouldNotCheck,
            message: format!(
                "the fleet run did not finish within {} s (--deadline)",
                deadline.as_secs()
            ),
        })?
        .map_err(failure)?;

    let mut out = std::io::stdout().lock();
    let written = match args.format {
        FleetFormat::Json => fleet::report::write_json(&mut out, &checklist, &report),
        FleetFormat::Text => {
            out.write_all(crate::term::safe(&fleet::report::text(&checklist, &report)).as_bytes())
        }
        FleetFormat::Markdown => {
            out.write_all(fleet::report::markdown(&checklist, &report).as_bytes())
        }
    };
    crate::term::forgive_closed_pipe(written.and_then(|()| out.flush()))
        .map_err(|e| Failure::bad_input(format!("cannot write to standard output: {e}")))?;

    let mut refused = false;
    if let (Some(w), Some(dir)) = (&report.signoffs, &args.output) {
        crate::errln!(
            "Wrote {} sign-off(s) under {}, one per cluster: complete each with `readiness --signoff <file>`.",
            w.written,
            dir.display()
        );
        for warning in &w.warnings {
            crate::errln!("warning: {warning}");
        }
        for (path, why) in &w.refused {
            crate::errln!("✖ not written: {}: {why}", path.display());
        }
        refused = !w.refused.is_empty();
    }
    Ok(if refused {
        Exit::BadInput
    } else if report.any_fail() {
        Exit::Failed
    } else if report.any_error() {
        Exit::CouldNotCheck
    } else {
        Exit::Ok
    })
}
