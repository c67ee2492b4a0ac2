//! The quarterly routine: `diff`, `status`, `verify --fresh`.

use std::path::Path;

use serde_json::json;

use crate::cli::{DiffArgs, DiffFormat, Global, StatusArgs, StatusFormat};
use crate::exit::{Exit, Failure};
use crate::signoff::SignOff;
use crate::term;
use crate::{diff, schedule, validity};

use super::{clock, load_checklist, read_signoff};

fn load_named(path: &Path) -> Result<SignOff, Failure> {
    Ok(read_signoff(path)?.signoff)
}

pub fn diff(g: &Global, args: &DiffArgs) -> Result<Exit, Failure> {
    let checklist = load_checklist(g.checklist.as_deref())?;
    let (old, new) = (load_named(&args.old)?, load_named(&args.new)?);
    let d = diff::diff(&checklist, &old, &new, clock()?.today());
    match args.format {
        DiffFormat::Text => term::out(&d.to_text()),
        DiffFormat::Markdown => term::out_exact(&d.to_markdown()),
        DiffFormat::Json => term::out_exact(&(d.to_json() + "\n")),
    }
    Ok(Exit::Ok)
}

pub fn status(g: &Global, args: &StatusArgs) -> Result<Exit, Failure> {
    let checklist = load_checklist(g.checklist.as_deref())?;
    let signoff = read_signoff(&g.signoff)?.signoff;
    let clock = clock()?;
    let dues = schedule::due_within(&checklist, &signoff, clock.today(), args.within);
    let verdict = crate::go_live::verdict(&checklist, &signoff, clock.today());
    let deployment = signoff
        .target
        .name
        .clone()
        .unwrap_or_else(|| g.signoff.display().to_string());
    let text = match args.format {
        StatusFormat::Ics => schedule::to_ics(&dues, &deployment, clock.now()),
        StatusFormat::Json => {
            let doc = json!({
                "schema": "readiness.status/v1",
                "today": clock.today().to_string(),
                "within_days": args.within,
                "ready": verdict.ready(),
                "verdict": verdict.line(),
                "next_due": validity::next_due(&checklist, &signoff).map(|d| d.to_string()),
                "due": dues,
            });
            serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
        }
        StatusFormat::Text => {
            let mut out = format!("{}\n", verdict.line());
            if dues.is_empty() {
                out.push_str(&format!(
                    "Nothing lapses in the next {} days.\n",
                    args.within
                ));
            }
            for d in &dues {
                let when = if d.overdue {
                    format!("overdue since {}", d.due)
                } else {
                    format!("due {}", d.due)
                };
                out.push_str(&format!(
                    "{:<24} {:<34} {} — {}\n",
                    when,
                    d.id,
                    d.what(),
                    d.title
                ));
            }
            if let Some(next) = validity::next_due(&checklist, &signoff) {
                out.push_str(&format!("Next review due: {next}\n"));
            }
            out
        }
    };
    // The text report on a terminal shows outside text through the one sanitiser; a file
    // and the JSON and calendar formats keep it exact.
    let to_stdout = args
        .output
        .as_deref()
        .is_none_or(|p| p == std::path::Path::new("-"));
    let text = if to_stdout && args.format == StatusFormat::Text {
        term::safe(&text).into_owned()
    } else {
        text
    };
    if let Some(path) = super::write_output(args.output.as_deref(), &text, "the status report")? {
        crate::errln!("Written to {}.", path.display());
    }
    Ok(Exit::Ok)
}

/// `verify --fresh`: the reasons the sign-off is not fresh today.
pub fn freshness_problems(g: &Global) -> Result<Vec<String>, Failure> {
    let checklist = load_checklist(g.checklist.as_deref())?;
    let signoff = read_signoff(&g.signoff)?.signoff;
    let clock = clock()?;
    Ok(validity::forgeries(&checklist, &signoff, clock.now())
        .into_iter()
        .chain(validity::staleness(&checklist, &signoff, clock.today()))
        .map(|(id, why)| format!("{}: {why}", term::safe_line(&id)))
        .collect())
}
