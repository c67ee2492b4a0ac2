//! The fleet report: the pinned `readiness.fleet/v1` JSON, and a text or Markdown matrix of
//! clusters × automatic items (glyph and word in the legend, never colour alone), the worst
//! items across the fleet and per-subscription totals. The Markdown uses plain pipe tables,
//! headings and lists only, so it renders the same on GitHub and Azure DevOps; every name
//! that comes from Azure goes through [`crate::attest::escape::markdown`].

use std::fmt::Write as _;
use std::io::Write;

use serde::Serialize;

use super::outcome::{ClusterVerdict, FleetReport, Totals, totals};
use crate::attest::escape;
use crate::checklist::Checklist;
use crate::engine::{AutoStatus, Summary};

pub const SCHEMA: &str = "readiness.fleet/v1";

#[derive(Serialize)]
struct JsonReport<'a> {
    schema: &'static str,
    checklist: JsonChecklist<'a>,
    clusters: Vec<JsonCluster<'a>>,
    summary: JsonSummary<'a>,
}

#[derive(Serialize)]
struct JsonChecklist<'a> {
    id: &'a str,
    version: &'a str,
    sha256: &'a str,
}

#[derive(Serialize)]
struct JsonCluster<'a> {
    id: &'a str,
    name: &'a str,
    subscription: &'a str,
    resource_group: &'a str,
    items: Vec<JsonItem<'a>>,
    summary: Summary,
}

#[derive(Serialize)]
struct JsonItem<'a> {
    id: &'a str,
    status: AutoStatus,
}

#[derive(Serialize)]
struct JsonTotals {
    clusters: usize,
    /// Clusters with no failing and no erring item.
    clusters_passing: usize,
    clusters_failing: usize,
    /// Clusters with errors but no failure.
    clusters_with_errors: usize,
    pass: usize,
    fail: usize,
    error: usize,
    manual: usize,
}

impl From<Totals> for JsonTotals {
    fn from(t: Totals) -> Self {
        Self {
            clusters: t.clusters,
            clusters_passing: t.passing,
            clusters_failing: t.failing,
            clusters_with_errors: t.with_errors,
            pass: t.items.pass,
            fail: t.items.fail,
            error: t.items.error,
            manual: t.items.manual,
        }
    }
}

#[derive(Serialize)]
struct JsonSubscription<'a> {
    id: &'a str,
    #[serde(flatten)]
    totals: JsonTotals,
}

#[derive(Serialize)]
struct JsonSummary<'a> {
    #[serde(flatten)]
    totals: JsonTotals,
    subscriptions: Vec<JsonSubscription<'a>>,
}

/// Writes the pinned `readiness.fleet/v1` document.
pub fn write_json(
    out: &mut impl Write,
    checklist: &Checklist,
    report: &FleetReport,
) -> std::io::Result<()> {
    let (all, by_sub) = totals(&report.clusters);
    let doc = JsonReport {
        schema: SCHEMA,
        checklist: JsonChecklist {
            id: &checklist.id,
            version: &checklist.version,
            sha256: &checklist.sha256,
        },
        clusters: report
            .clusters
            .iter()
            .map(|c| JsonCluster {
                id: &c.id,
                name: &c.name,
                subscription: &c.subscription,
                resource_group: &c.resource_group,
                items: checklist
                    .items
                    .iter()
                    .zip(&c.statuses)
                    .map(|(item, &status)| JsonItem {
                        id: &item.id,
                        status,
                    })
                    .collect(),
                summary: c.summary,
            })
            .collect(),
        summary: JsonSummary {
            totals: all.into(),
            subscriptions: by_sub
                .iter()
                .map(|(id, t)| JsonSubscription {
                    id,
                    totals: (*t).into(),
                })
                .collect(),
        },
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    out.write_all(b"\n")
}

pub fn json(checklist: &Checklist, report: &FleetReport) -> String {
    let mut out = Vec::new();
    let _ = write_json(&mut out, checklist, report);
    String::from_utf8(out).unwrap_or_default()
}

/// The items the fleet can judge automatically: those with an `arm:*` rule.
pub fn automatic_items(checklist: &Checklist) -> Vec<usize> {
    checklist
        .items
        .iter()
        .enumerate()
        .filter(|(_, item)| {
            item.checks
                .iter()
                .any(|c| c.source.as_str().starts_with("arm:"))
        })
        .map(|(i, _)| i)
        .collect()
}

/// Per item (index into the checklist): clusters failing, erring, passing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemCounts {
    pub item: usize,
    pub fail: usize,
    pub error: usize,
    pub pass: usize,
}

/// Items that fail or err somewhere, worst first (most failing clusters, then most erring).
pub fn worst_items(checklist: &Checklist, clusters: &[ClusterVerdict]) -> Vec<ItemCounts> {
    let mut counts: Vec<ItemCounts> = automatic_items(checklist)
        .into_iter()
        .map(|item| ItemCounts {
            item,
            fail: 0,
            error: 0,
            pass: 0,
        })
        .collect();
    for c in clusters {
        for n in counts.iter_mut() {
            match c.statuses.get(n.item) {
                Some(AutoStatus::Fail) => n.fail += 1,
                Some(AutoStatus::Error) => n.error += 1,
                Some(AutoStatus::Pass) => n.pass += 1,
                _ => {}
            }
        }
    }
    counts.retain(|n| n.fail + n.error > 0);
    counts.sort_by(|a, b| (b.fail, b.error, a.item).cmp(&(a.fail, a.error, b.item)));
    counts
}

const WORST_SHOWN: usize = 10;
const PROBLEMS_SHOWN: usize = 20;

fn glyph(status: AutoStatus) -> &'static str {
    match status {
        AutoStatus::Pass => "✔",
        AutoStatus::Fail => "✖",
        AutoStatus::Error => "⚠",
        AutoStatus::Manual => "○",
    }
}

const LEGEND: &str = "✔ pass · ✖ fail · ⚠ error · ○ manual (not judged automatically in this run)";

/// "✖ fail (2) · ⚠ error (1)", or "✔ pass".
fn result_words(s: &Summary) -> String {
    let mut parts = Vec::new();
    if s.fail > 0 {
        parts.push(format!("✖ fail ({})", s.fail));
    }
    if s.error > 0 {
        parts.push(format!("⚠ error ({})", s.error));
    }
    if parts.is_empty() {
        "✔ pass".to_string()
    } else {
        parts.join(" · ")
    }
}

fn headline(report: &FleetReport) -> (String, Totals, Vec<(String, Totals)>) {
    let (all, by_sub) = totals(&report.clusters);
    (
        format!(
            "Fleet readiness: {} AKS cluster(s) in {} subscription(s)",
            all.clusters,
            by_sub.len()
        ),
        all,
        by_sub,
    )
}

fn provenance(checklist: &Checklist, report: &FleetReport) -> String {
    format!(
        "Checklist {} version {} · read from Azure Resource Graph{} at {} (Resource Graph can lag Azure Resource Manager by a few minutes)",
        checklist.id,
        checklist.version,
        if report.deep {
            " and per-resource reads (--deep)"
        } else {
            ""
        },
        crate::attest::format_time(report.checked_at),
    )
}

fn cluster_counts(t: &Totals) -> String {
    format!(
        "✔ {} passing · ✖ {} failing · ⚠ {} could not be fully checked",
        t.passing, t.failing, t.with_errors
    )
}

/// Skipped sources grouped by reason: (sources, reason).
fn skipped_groups(report: &FleetReport) -> Vec<(Vec<&'static str>, &str)> {
    let mut groups: Vec<(Vec<&'static str>, &str)> = Vec::new();
    for (source, why) in &report.skipped_sources {
        match groups.iter_mut().find(|(_, w)| *w == why.as_str()) {
            Some((list, _)) => list.push(source.as_str()),
            None => groups.push((vec![source.as_str()], why.as_str())),
        }
    }
    groups
}

fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else {
        let mut t: String = text.chars().take(width.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// The plain-text report.
pub fn text(checklist: &Checklist, report: &FleetReport) -> String {
    let mut out = String::new();
    let (title, all, by_sub) = headline(report);
    let columns = automatic_items(checklist);
    let _ = writeln!(out, "{title}");
    let _ = writeln!(out, "{}", provenance(checklist, report));
    if report.clusters.is_empty() {
        let _ = writeln!(out, "\nNo AKS clusters in {}.", report.scope.describe());
        return out;
    }
    let _ = writeln!(out, "\nClusters: {}", cluster_counts(&all));

    let _ = writeln!(out, "\nPer subscription");
    let _ = writeln!(
        out,
        "  {:<38} {:>8} {:>10} {:>10} {:>9}",
        "Subscription", "Clusters", "✔ passing", "✖ failing", "⚠ errors"
    );
    for (sub, t) in by_sub
        .iter()
        .map(|(s, t)| (s.as_str(), t))
        .chain([("All", &all)])
    {
        let _ = writeln!(
            out,
            "  {:<38} {:>8} {:>10} {:>10} {:>9}",
            truncate(sub, 38),
            t.clusters,
            t.passing,
            t.failing,
            t.with_errors
        );
    }

    let worst = worst_items(checklist, &report.clusters);
    let _ = writeln!(out, "\nWorst items across the fleet");
    if worst.is_empty() {
        let _ = writeln!(out, "  none: no item fails or errs on any cluster");
    }
    for n in worst.iter().take(WORST_SHOWN) {
        let item = &checklist.items[n.item];
        let _ = writeln!(
            out,
            "  ✖ fail {:>5}  ⚠ error {:>5}  {:<34} {}",
            n.fail, n.error, item.id, item.title
        );
    }

    let _ = writeln!(out, "\nMatrix: {LEGEND}");
    let label_width = report
        .clusters
        .iter()
        .map(|c| c.resource_group.chars().count() + 1 + c.name.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(16, 56);
    let header: String = (1..=columns.len()).map(|n| format!("{n:>3}")).collect();
    let mut current: Option<String> = None;
    for c in &report.clusters {
        let key = c.subscription.to_ascii_lowercase();
        if current.as_deref() != Some(key.as_str()) {
            let _ = writeln!(out, "\nSubscription {}", c.subscription);
            let _ = writeln!(
                out,
                "  {:<label_width$}{header}   Result",
                "Resource group/cluster"
            );
            current = Some(key);
        }
        let label = truncate(&format!("{}/{}", c.resource_group, c.name), label_width);
        let cells: String = columns
            .iter()
            .map(|&i| format!("{:>3}", glyph(c.statuses[i])))
            .collect();
        let _ = writeln!(
            out,
            "  {label:<label_width$}{cells}   {}",
            result_words(&c.summary)
        );
    }

    let _ = writeln!(out, "\nItems");
    for (n, &i) in columns.iter().enumerate() {
        let item = &checklist.items[i];
        let _ = writeln!(out, "  {:>3}  {:<34} {}", n + 1, item.id, item.title);
    }

    write_problems_text(&mut out, report);
    for (sources, why) in skipped_groups(report) {
        let _ = writeln!(
            out,
            "\nNot read in this run: {} — {why}.",
            sources.join(", ")
        );
    }
    for w in &report.warnings {
        let _ = writeln!(out, "\nwarning: {w}");
    }
    let _ = writeln!(
        out,
        "\nSummary: {} cluster(s) · {} passing · {} failing · {} with errors · items {} pass · {} fail · {} error · {} manual",
        all.clusters,
        all.passing,
        all.failing,
        all.with_errors,
        all.items.pass,
        all.items.fail,
        all.items.error,
        all.items.manual
    );
    out
}

fn problem_lines(report: &FleetReport) -> (Vec<(&ClusterVerdict, &str)>, usize) {
    let with: Vec<&ClusterVerdict> = report
        .clusters
        .iter()
        .filter(|c| c.summary.error > 0 && !c.problems.is_empty())
        .collect();
    let lines = with
        .iter()
        .take(PROBLEMS_SHOWN)
        .map(|c| (*c, c.problems[0].as_str()))
        .collect();
    (lines, with.len().saturating_sub(PROBLEMS_SHOWN))
}

fn write_problems_text(out: &mut String, report: &FleetReport) {
    let (lines, more) = problem_lines(report);
    if lines.is_empty() {
        return;
    }
    let _ = writeln!(out, "\nCould not check");
    for (c, problem) in lines {
        let _ = writeln!(out, "  ⚠ {}/{}: {problem}", c.resource_group, c.name);
    }
    if more > 0 {
        let _ = writeln!(
            out,
            "  … and {more} more cluster(s) with errors (see --format json)"
        );
    }
}

/// An id in a code span, unless it holds what would break the span or the table.
fn code(text: &str) -> String {
    if text.contains(['`', '|', '\n', '\r']) || text.is_empty() {
        escape::markdown(text)
    } else {
        format!("`{text}`")
    }
}

/// The Markdown report.
pub fn markdown(checklist: &Checklist, report: &FleetReport) -> String {
    let mut out = String::new();
    let (title, all, by_sub) = headline(report);
    let columns = automatic_items(checklist);
    let _ = writeln!(out, "# {title}\n");
    let _ = writeln!(
        out,
        "{}\n",
        escape::markdown(&provenance(checklist, report))
    );
    if report.clusters.is_empty() {
        let _ = writeln!(
            out,
            "No AKS clusters in {}.",
            escape::markdown(&report.scope.describe())
        );
        return out;
    }
    let _ = writeln!(
        out,
        "**{}** of {} cluster(s).\n",
        cluster_counts(&all),
        all.clusters
    );

    let _ = writeln!(out, "## Per subscription\n");
    let _ = writeln!(
        out,
        "| Subscription | Clusters | ✔ passing | ✖ failing | ⚠ errors |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|");
    for (sub, t) in &by_sub {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            code(sub),
            t.clusters,
            t.passing,
            t.failing,
            t.with_errors
        );
    }
    let _ = writeln!(
        out,
        "| **All** | **{}** | **{}** | **{}** | **{}** |\n",
        all.clusters, all.passing, all.failing, all.with_errors
    );

    let _ = writeln!(out, "## Worst items across the fleet\n");
    let worst = worst_items(checklist, &report.clusters);
    if worst.is_empty() {
        let _ = writeln!(out, "No item fails or errs on any cluster.\n");
    } else {
        let _ = writeln!(out, "| Item | Title | ✖ fail | ⚠ error | ✔ pass |");
        let _ = writeln!(out, "|---|---|---:|---:|---:|");
        for n in worst.iter().take(WORST_SHOWN) {
            let item = &checklist.items[n.item];
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                code(&item.id),
                escape::markdown(&item.title),
                n.fail,
                n.error,
                n.pass
            );
        }
        out.push('\n');
    }

    let _ = writeln!(out, "## Matrix\n");
    let _ = writeln!(
        out,
        "Legend: {}. Columns are numbered as in the item list below.\n",
        escape::markdown(LEGEND)
    );
    let header: String = (1..=columns.len()).map(|n| format!(" {n} |")).collect();
    let align: String = columns.iter().map(|_| ":-:|").collect();
    let mut current: Option<String> = None;
    for c in &report.clusters {
        let key = c.subscription.to_ascii_lowercase();
        if current.as_deref() != Some(key.as_str()) {
            if current.is_some() {
                out.push('\n');
            }
            let _ = writeln!(out, "### Subscription {}\n", code(&c.subscription));
            let _ = writeln!(out, "| Cluster | Resource group |{header} Result |");
            let _ = writeln!(out, "|---|---|{align}---|");
            current = Some(key);
        }
        let cells: String = columns
            .iter()
            .map(|&i| format!(" {} |", glyph(c.statuses[i])))
            .collect();
        let _ = writeln!(
            out,
            "| {} | {} |{cells} {} |",
            escape::markdown(&c.name),
            escape::markdown(&c.resource_group),
            result_words(&c.summary)
        );
    }

    let _ = writeln!(out, "\n## Items\n");
    let _ = writeln!(out, "| # | Item | Title |");
    let _ = writeln!(out, "|---:|---|---|");
    for (n, &i) in columns.iter().enumerate() {
        let item = &checklist.items[i];
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            n + 1,
            code(&item.id),
            escape::markdown(&item.title)
        );
    }

    let (lines, more) = problem_lines(report);
    if !lines.is_empty() {
        let _ = writeln!(out, "\n## Could not check\n");
        for (c, problem) in lines {
            let _ = writeln!(
                out,
                "- ⚠ {}/{}: {}",
                escape::markdown(&c.resource_group),
                escape::markdown(&c.name),
                escape::markdown(problem)
            );
        }
        if more > 0 {
            let _ = writeln!(out, "- … and {more} more cluster(s) with errors");
        }
    }
    let groups = skipped_groups(report);
    if !groups.is_empty() || !report.warnings.is_empty() {
        let _ = writeln!(out, "\n## Not read in this run\n");
        for (sources, why) in groups {
            let list: Vec<String> = sources.iter().map(|s| code(s)).collect();
            let _ = writeln!(out, "- {}: {}", list.join(", "), escape::markdown(why));
        }
        for w in &report.warnings {
            let _ = writeln!(out, "- warning: {}", escape::markdown(w));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checklist::DocumentSource;
    use crate::fleet::{Scope, judge::summary_of};

    fn cluster(
        checklist: &Checklist,
        sub: &str,
        rg: &str,
        name: &str,
        faults: &[(&str, AutoStatus)],
    ) -> ClusterVerdict {
        let statuses: Vec<AutoStatus> = checklist
            .items
            .iter()
            .map(|item| {
                faults
                    .iter()
                    .find(|(id, _)| *id == item.id)
                    .map(|(_, s)| *s)
                    .unwrap_or(
                        if item
                            .checks
                            .iter()
                            .any(|c| c.source == DocumentSource::ArmAks)
                        {
                            AutoStatus::Pass
                        } else {
                            AutoStatus::Manual
                        },
                    )
            })
            .collect();
        ClusterVerdict {
            id: format!(
                "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ContainerService/managedClusters/{name}"
            ),
            name: name.into(),
            subscription: sub.into(),
            resource_group: rg.into(),
            summary: summary_of(&statuses),
            statuses,
            problems: if faults.iter().any(|(_, s)| *s == AutoStatus::Error) {
                vec!["not permitted (403)".into()]
            } else {
                vec![]
            },
        }
    }

    fn sample() -> (Checklist, FleetReport) {
        let checklist = crate::checklist::builtin().unwrap();
        let clusters = vec![
            cluster(&checklist, "sub-a", "rg-1", "aks-1", &[]),
            cluster(
                &checklist,
                "sub-a",
                "rg-2",
                "aks|2",
                &[("net.private-api-server", AutoStatus::Fail)],
            ),
            cluster(
                &checklist,
                "sub-b",
                "rg-3",
                "aks-3",
                &[("net.azure-cni", AutoStatus::Error)],
            ),
        ];
        let report = FleetReport {
            checked_at: "2026-11-27T10:00:00Z".parse().unwrap(),
            scope: Scope::Subscriptions(vec!["sub-a".into(), "sub-b".into()]),
            deep: false,
            clusters,
            skipped_sources: vec![(
                DocumentSource::ArmAksDiagnosticSettings,
                crate::fleet::NOT_IN_GRAPH.into(),
            )],
            warnings: vec![],
            signoffs: None,
        };
        (checklist, report)
    }

    #[test]
    fn json_has_exactly_the_pinned_keys() {
        let (checklist, report) = sample();
        let v: serde_json::Value = serde_json::from_str(&json(&checklist, &report)).unwrap();
        let keys =
            |v: &serde_json::Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        assert_eq!(keys(&v), ["checklist", "clusters", "schema", "summary"]);
        assert_eq!(v["schema"], SCHEMA);
        assert_eq!(keys(&v["checklist"]), ["id", "sha256", "version"]);
        let c = &v["clusters"][1];
        assert_eq!(
            keys(c),
            [
                "id",
                "items",
                "name",
                "resource_group",
                "subscription",
                "summary"
            ]
        );
        assert_eq!(keys(&c["items"][0]), ["id", "status"]);
        assert_eq!(keys(&c["summary"]), ["error", "fail", "manual", "pass"]);
        assert_eq!(c["items"].as_array().unwrap().len(), checklist.items.len());
        assert_eq!(v["summary"]["clusters"], 3);
        assert_eq!(v["summary"]["clusters_failing"], 1);
        assert_eq!(v["summary"]["clusters_with_errors"], 1);
        assert_eq!(v["summary"]["subscriptions"][0]["id"], "sub-a");
        assert_eq!(v["summary"]["subscriptions"][0]["clusters"], 2);
    }

    #[test]
    fn text_and_markdown_show_matrix_worst_items_and_totals() {
        let (checklist, report) = sample();
        let t = text(&checklist, &report);
        assert!(t.contains("✔ pass · ✖ fail · ⚠ error · ○ manual"), "{t}");
        assert!(t.contains("Worst items across the fleet"), "{t}");
        assert!(t.contains("net.private-api-server"), "{t}");
        assert!(t.contains("Subscription sub-b"), "{t}");
        assert!(t.contains("rg-3/aks-3: not permitted (403)"), "{t}");
        assert!(t.contains("--deep"), "{t}");

        let m = markdown(&checklist, &report);
        assert!(m.contains("## Per subscription"), "{m}");
        assert!(m.contains("| `sub-a` | 2 | 1 | 1 | 0 |"), "{m}");
        // A name with a pipe cannot break the table.
        assert!(m.contains("| aks&#124;2 | rg-2 |"), "{m}");
        let columns = automatic_items(&checklist).len();
        let row = m.lines().find(|l| l.starts_with("| aks-1 |")).unwrap();
        // Cluster, resource group, one cell per item, result: every row the same width.
        assert_eq!(row.matches(" |").count(), columns + 3, "{row}");
        let header = m.lines().find(|l| l.starts_with("| Cluster |")).unwrap();
        assert_eq!(header.matches('|').count(), row.matches('|').count());
    }
}
