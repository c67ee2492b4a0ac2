//! `readiness attest --format oscal`: the sign-off as an OSCAL **assessment-results** document
//! (JSON, OSCAL 1.0.6, the NIST model FedRAMP uses), validated against the official schema in
//! `tests/it/oscal.rs`.
//!
//! - One result: its `start` and `end` span the evidence (answers, automatic results,
//!   signature), its description is the go-live verdict, `reviewed-controls` includes the
//!   whole checklist, and the signature is its attestation.
//! - Observations: one per item with recorded automatic results (methods `TEST`, one
//!   `relevant-evidence` per check with its verdict and observed value, `collected` = the
//!   check time) and one per manual answer (`EXAMINE` with evidence links, else `INTERVIEW`;
//!   who as an origin actor party, `collected` = the answer time, the note as description,
//!   evidence entries as `links`).
//! - Findings (`not-satisfied`, target `objective-id` = the item) for every failing, open and
//!   risk-accepted item, related to that item's observations; risks for risk acceptances
//!   (`deviation-approved` while the acceptance holds, `open` once expired, `deadline` = the end
//!   of its last day, the justification as the statement).
//! - UUIDs are v5 from [`NAMESPACE`] and names like `<checklist id>/<item id>/observation`
//!   (`@<target name>` appended when the sign-off names its deployment), so a rerun on the same
//!   answers diffs only where something changed; everything is sorted by item id; the same
//!   inputs and clock give the same bytes.
//!
//! Operator text is kept exact in the fields OSCAL types as free text (descriptions, remarks,
//! statements, link text). Fields OSCAL restricts to a single trimmed line (party names, prop
//! values) get it on one line, runs of whitespace and control characters folded to one space.
//! `<`, `>`, `&`, U+2028 and U+2029 are written as `\u` escapes, so the document can be
//! embedded in HTML or JavaScript as it is.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::Serialize;
use uuid::Uuid;

use crate::checklist::{Checklist, Item};
use crate::signoff::{Answer, AutoRecord, Mark, SignOff, Status};
use crate::validity::{self, Freshness};

/// The OSCAL version of the schema the output is validated against (tests/data/schemas).
pub const OSCAL_VERSION: &str = "1.0.6";
/// The UUID v5 namespace of every UUID in the document. Fixed: changing it changes them all.
pub const NAMESPACE: Uuid = Uuid::from_u128(0x9ca8_24d7_50c2_41ce_94e6_77c4_53a4_c978);
/// The namespace of readiness' own prop names (OSCAL asks for one on names it does not define).
pub const PROP_NS: &str = "urn:readiness:oscal";

#[derive(Debug, thiserror::Error)]
pub enum OscalError {
    /// A time the OSCAL date-time type cannot hold (it takes the years 2000–2999 here).
    #[error("{what} {value} cannot be written in OSCAL, which takes dates in the years 2000–2999")]
    Time { what: String, value: String },
}

/// What the document is rendered from besides the checklist and sign-off.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    /// The sign-off file's exact text (its sha256 goes into the back matter).
    pub signoff_text: &'a str,
    /// The sign-off's file name, as the back matter links it.
    pub signoff_name: &'a str,
    pub now: Timestamp,
}

/// The OSCAL assessment-results JSON document, pretty-printed, ending with a newline.
pub fn render(
    checklist: &Checklist,
    signoff: &SignOff,
    inputs: Inputs<'_>,
) -> Result<String, OscalError> {
    let doc = Document {
        assessment_results: build(checklist, signoff, inputs)?,
    };
    let json = serde_json::to_string_pretty(&doc).unwrap_or_default();
    let mut out = String::with_capacity(json.len() + 64);
    for c in json.chars() {
        match c {
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('\n');
    Ok(out)
}

struct Ids<'a> {
    checklist: &'a str,
    target: Option<&'a str>,
}

impl Ids<'_> {
    /// The v5 UUID of `<checklist id>/<path>` (with `@<target name>`).
    fn uuid(&self, path: &str) -> String {
        let mut name = format!("{}/{path}", self.checklist);
        if let Some(t) = self.target {
            name.push('@');
            name.push_str(t);
        }
        Uuid::new_v5(&NAMESPACE, name.as_bytes()).to_string()
    }

    fn item(&self, item_id: &str, kind: &str) -> String {
        self.uuid(&format!("{item_id}/{kind}"))
    }

    fn party(&self, kind: &str, name: &str) -> String {
        self.uuid(&format!("party/{kind}/{name}"))
    }
}

fn build(
    checklist: &Checklist,
    signoff: &SignOff,
    inputs: Inputs<'_>,
) -> Result<AssessmentResults, OscalError> {
    let ids = Ids {
        checklist: &checklist.id,
        target: signoff.target.name.as_deref(),
    };
    let today = inputs.now.to_zoned(TimeZone::UTC).date();
    let verdict = crate::go_live::verdict(checklist, signoff, today);
    let signoff_sha256 = super::sha256_hex(inputs.signoff_text.as_bytes());

    let mut items: Vec<&Item> = checklist.items.iter().collect();
    items.sort_by(|a, b| a.id.cmp(&b.id));

    let mut operators: Vec<&str> = items
        .iter()
        .filter_map(|i| signoff.items.get(&i.id))
        .map(|a| a.answered_by.as_str())
        .collect();
    operators.sort_unstable();
    operators.dedup();

    let mut parties: Vec<Party> = operators
        .iter()
        .map(|name| Party {
            uuid: ids.party("operator", name),
            kind: "person",
            name: one_line(name),
            props: Vec::new(),
            remarks: Some(format!("Answered checklist items as: {name}")),
        })
        .collect();
    let mut roles = Vec::new();
    let mut responsible = Vec::new();
    if !operators.is_empty() {
        roles.push(Role {
            id: "operator",
            title: "Operator",
            description: "Answered checklist items in the readiness sign-off.",
        });
        responsible.push(ResponsibleParty {
            role_id: "operator",
            party_uuids: operators.iter().map(|n| ids.party("operator", n)).collect(),
        });
    }
    let signer_uuid = signoff.signoff.as_ref().map(|s| {
        let uuid = ids.party("signer", &s.name);
        let mut props = vec![prop("role", &s.role)];
        props.extend(s.principal.as_deref().map(|p| prop("ssh-principal", p)));
        props.extend(
            s.key_fingerprint
                .as_deref()
                .map(|k| prop("ssh-key-fingerprint", k)),
        );
        parties.push(Party {
            uuid: uuid.clone(),
            kind: "person",
            name: one_line(&s.name),
            props: props.into_iter().flatten().collect(),
            remarks: Some(format!("Signed the sign-off as: {} ({})", s.name, s.role)),
        });
        roles.push(Role {
            id: "signer",
            title: "Signer",
            description: "Signed the readiness sign-off.",
        });
        responsible.push(ResponsibleParty {
            role_id: "signer",
            party_uuids: vec![uuid.clone()],
        });
        uuid
    });

    let tool_uuid = ids.uuid("tool");
    let mut observations = Vec::new();
    let mut findings = Vec::new();
    let mut risks = Vec::new();
    let mut times: Vec<Timestamp> = Vec::new();
    for item in &items {
        let answer = signoff.items.get(&item.id);
        let auto = signoff.auto.get(&item.id);
        let freshness = validity::assess(checklist, item, signoff, today);
        let mut related = Vec::new();
        if let Some(record) = auto {
            times.push(record.checked_at);
            let obs = auto_observation(&ids, item, record, &tool_uuid)?;
            related.push(obs.uuid.clone());
            observations.push(obs);
        }
        if let Some(answer) = answer {
            times.push(answer.answered_at);
            let obs = answer_observation(checklist, &ids, item, answer, freshness)?;
            related.push(obs.uuid.clone());
            observations.push(obs);
        }
        let mark = signoff.mark(&item.id);
        let mut related_risks = Vec::new();
        if let Some(answer) = answer.filter(|a| a.status == Status::RiskAccepted) {
            let risk = risk(&ids, item, answer, freshness, &related)?;
            related_risks.push(RiskRef {
                risk_uuid: risk.uuid.clone(),
            });
            risks.push(risk);
        }
        if matches!(mark, Mark::Fail | Mark::Open | Mark::RiskAccepted) {
            findings.push(finding(&ids, item, answer, mark, &related, related_risks));
        }
    }
    if let Some(s) = &signoff.signoff {
        times.push(s.signed_at);
    }
    let start = times.iter().min().copied().unwrap_or(inputs.now);
    let end = times.iter().max().copied().unwrap_or(inputs.now);

    let mut metadata_props = vec![
        prop("checklist-id", &checklist.id),
        prop("checklist-version", &checklist.version),
    ];
    for field in crate::signoff::Target::FIELDS {
        if let Some(value) = signoff.target.field(field) {
            metadata_props.push(prop(&format!("target-{}", field.replace('_', "-")), value));
        }
    }
    let checklist_resource = ids.uuid("checklist");
    Ok(AssessmentResults {
        uuid: ids.uuid("assessment-results"),
        metadata: Metadata {
            title: format!("Go-live readiness: {}", checklist.title),
            last_modified: time("the render time", inputs.now)?,
            version: signoff_sha256.clone(),
            oscal_version: OSCAL_VERSION,
            props: metadata_props.into_iter().flatten().collect(),
            roles,
            parties,
            responsible_parties: responsible,
            remarks: format!(
                "Rendered by {} {} from the sign-off whose sha256 is the version above.",
                env!("CARGO_PKG_NAME"),
                env!("CARGO_PKG_VERSION")
            ),
        },
        import_ap: ImportAp {
            href: format!("#{checklist_resource}"),
            remarks: "readiness has no OSCAL assessment plan: its checklist (in the back matter) \
                      is the plan, each item an objective.",
        },
        results: vec![AssessmentResult {
            uuid: ids.uuid("result"),
            title: format!(
                "Go-live readiness of {}",
                signoff.target.name.as_deref().unwrap_or(&checklist.title)
            ),
            description: verdict.markdown(),
            start: time("the first answer or check", start)?,
            end: time("the last answer, check or signature", end)?,
            props: vec![
                prop(
                    "go-live",
                    if verdict.ready() {
                        "ready"
                    } else {
                        "not-ready"
                    },
                ),
                prop("failing", &verdict.failing.to_string()),
                prop("open", &verdict.open.to_string()),
                prop("risks-accepted", &verdict.risks_accepted.to_string()),
                prop("lapsed", &verdict.lapsed.to_string()),
            ]
            .into_iter()
            .flatten()
            .collect(),
            local_definitions: LocalDefinitions {
                components: vec![Component {
                    uuid: tool_uuid,
                    kind: "software",
                    title: env!("CARGO_PKG_NAME"),
                    description: "The go-live readiness tool, whose automatic checks read the \
                                  deployment's Azure resources, Terraform and evidence files.",
                    status: State {
                        state: "operational",
                    },
                }],
            },
            reviewed_controls: ReviewedControls {
                control_selections: vec![ControlSelection {
                    include_all: IncludeAll {},
                }],
                remarks: format!(
                    "Every item of the checklist {} version {} ({} items); each item is an \
                     objective, its id the finding's target.",
                    checklist.id,
                    checklist.version,
                    checklist.items.len()
                ),
            },
            attestations: vec![attestation(signoff, signer_uuid, &verdict)],
            observations,
            risks,
            findings,
        }],
        back_matter: BackMatter {
            resources: vec![
                Resource {
                    uuid: checklist_resource,
                    title: checklist.title.clone(),
                    description: format!(
                        "The readiness checklist {} version {}: the objectives assessed.",
                        checklist.id, checklist.version
                    ),
                    props: [
                        prop("checklist-id", &checklist.id),
                        prop("checklist-version", &checklist.version),
                        prop("checklist-sha256", &checklist.sha256),
                    ]
                    .into_iter()
                    .flatten()
                    .collect(),
                    rlinks: Vec::new(),
                },
                Resource {
                    uuid: ids.uuid("signoff"),
                    title: "Sign-off".to_string(),
                    description: "The sign-off file these results were rendered from, byte for \
                                  byte."
                        .to_string(),
                    props: Vec::new(),
                    rlinks: vec![Rlink {
                        href: href(inputs.signoff_name),
                        media_type: "application/toml",
                        hashes: vec![Hash {
                            algorithm: "SHA-256",
                            value: signoff_sha256,
                        }],
                    }],
                },
            ],
        },
    })
}

fn auto_observation(
    ids: &Ids<'_>,
    item: &Item,
    record: &AutoRecord,
    tool_uuid: &str,
) -> Result<Observation, OscalError> {
    use crate::verdict::CheckStatus;
    let evidence = record
        .checks
        .iter()
        .filter(|c| c.status != CheckStatus::Skipped)
        .map(|c| {
            let description = match (c.status, &c.cause) {
                (CheckStatus::Error, cause) => format!(
                    "could not check {} {}: {}",
                    c.source,
                    c.resource,
                    cause.as_deref().unwrap_or("unknown cause")
                ),
                (status, _) => format!(
                    "{}: {} {}: expected {}; observed {}",
                    status.as_str(),
                    c.source,
                    c.resource,
                    c.expect,
                    c.observed
                ),
            };
            Evidence {
                description,
                props: [
                    prop("check-status", c.status.as_str()),
                    prop("source", &c.source),
                ]
                .into_iter()
                .flatten()
                .collect(),
            }
        })
        .collect();
    Ok(Observation {
        uuid: ids.item(&item.id, "automatic"),
        title: format!("Automatic checks: {}", item.title),
        description: format!(
            "The automatic checks of item {} found: {}.",
            item.id,
            record.status.as_str()
        ),
        props: [
            prop("item-id", &item.id),
            prop("automatic-status", record.status.as_str()),
        ]
        .into_iter()
        .flatten()
        .collect(),
        links: Vec::new(),
        methods: vec!["TEST"],
        origins: vec![Origin {
            actors: vec![Actor {
                kind: "tool",
                actor_uuid: tool_uuid.to_string(),
                role_id: None,
            }],
        }],
        relevant_evidence: evidence,
        collected: time(
            &format!("checked_at of item {}", item.id),
            record.checked_at,
        )?,
        expires: None,
        remarks: None,
    })
}

fn answer_observation(
    checklist: &Checklist,
    ids: &Ids<'_>,
    item: &Item,
    answer: &Answer,
    freshness: Freshness,
) -> Result<Observation, OscalError> {
    let until = validity::valid_until(checklist, item, answer);
    let links: Vec<Link> = answer
        .evidence
        .iter()
        .map(|e| Link {
            href: href(e),
            rel: "evidence",
            text: e.clone(),
        })
        .collect();
    Ok(Observation {
        uuid: ids.item(&item.id, "observation"),
        title: item.title.clone(),
        description: if answer.note.is_empty() {
            format!("Answered {} without a note.", answer.status)
        } else {
            answer.note.clone()
        },
        props: [
            prop("item-id", &item.id),
            prop("status", answer.status.as_str()),
            prop("freshness", &freshness.word().replace(' ', "-")),
            item.severity.and_then(|s| prop("severity", s.as_str())),
        ]
        .into_iter()
        .flatten()
        .collect(),
        methods: vec![if links.is_empty() {
            "INTERVIEW"
        } else {
            "EXAMINE"
        }],
        links,
        origins: vec![operator_origin(ids, &answer.answered_by)],
        relevant_evidence: Vec::new(),
        collected: time(
            &format!("answered_at of item {}", item.id),
            answer.answered_at,
        )?,
        expires: Some(end_of_day(
            &format!("the revalidation date of item {}", item.id),
            until,
        )?),
        remarks: answer
            .override_reason
            .as_ref()
            .map(|r| format!("Differs from the automatic result because: {r}")),
    })
}

fn risk(
    ids: &Ids<'_>,
    item: &Item,
    answer: &Answer,
    freshness: Freshness,
    related: &[String],
) -> Result<Risk, OscalError> {
    let expired = matches!(freshness, Freshness::RiskExpired { .. });
    Ok(Risk {
        uuid: ids.item(&item.id, "risk"),
        title: item.title.clone(),
        description: match answer.expires {
            Some(d) if expired => format!(
                "Risk accepted for item {} through {d}; the acceptance has expired.",
                item.id
            ),
            Some(d) => format!("Risk accepted for item {} through {d}.", item.id),
            None => format!("Risk accepted for item {}.", item.id),
        },
        statement: answer.justification.clone().unwrap_or_default(),
        props: prop("item-id", &item.id).into_iter().collect(),
        status: if expired {
            "open"
        } else {
            "deviation-approved"
        },
        origins: vec![operator_origin(ids, &answer.answered_by)],
        deadline: answer
            .expires
            .map(|d| end_of_day(&format!("expires of item {}", item.id), d))
            .transpose()?,
        related_observations: observation_refs(related),
    })
}

fn finding(
    ids: &Ids<'_>,
    item: &Item,
    answer: Option<&Answer>,
    mark: Mark,
    related: &[String],
    related_risks: Vec<RiskRef>,
) -> Finding {
    let description = match (mark, answer) {
        (Mark::Fail, Some(a)) => {
            format!("Answered fail by {} at {}.", a.answered_by, a.answered_at)
        }
        (Mark::RiskAccepted, Some(a)) => format!(
            "Not satisfied; risk accepted by {} at {}{}.",
            a.answered_by,
            a.answered_at,
            a.expires
                .map(|d| format!(", through {d}"))
                .unwrap_or_default()
        ),
        _ => "Not answered yet.".to_string(),
    };
    Finding {
        uuid: ids.item(&item.id, "finding"),
        title: item.title.clone(),
        description,
        props: [prop("item-id", &item.id), prop("status", mark.key())]
            .into_iter()
            .flatten()
            .collect(),
        target: Target {
            kind: "objective-id",
            target_id: token(&item.id),
            status: TargetStatus {
                state: "not-satisfied",
                reason: if mark == Mark::Fail { "fail" } else { "other" },
            },
        },
        related_observations: observation_refs(related),
        related_risks,
    }
}

fn attestation(
    signoff: &SignOff,
    signer_uuid: Option<String>,
    verdict: &crate::go_live::Verdict,
) -> Attestation {
    let prose = match &signoff.signoff {
        None => "Not signed.".to_string(),
        Some(s) => {
            let ssh = match (&s.principal, &s.key_fingerprint) {
                (_, None) => "Unsigned: signed by name only, without an SSH signature.".to_string(),
                (Some(p), Some(k)) => format!(
                    "SSH signature by {p} (key {k}) over the sign-off, in the `.sig` file beside it."
                ),
                (None, Some(k)) => {
                    format!(
                        "SSH signature (key {k}) over the sign-off, in the `.sig` file beside it."
                    )
                }
            };
            let scope = if verdict.ready() {
                ""
            } else {
                " The signature records the answers as they stand, not a go-live approval."
            };
            format!(
                "Signed off by {} ({}) at {}. {ssh}{scope}",
                s.name, s.role, s.signed_at
            )
        }
    };
    Attestation {
        responsible_parties: signer_uuid
            .map(|u| {
                vec![ResponsibleParty {
                    role_id: "signer",
                    party_uuids: vec![u],
                }]
            })
            .unwrap_or_default(),
        parts: vec![Part {
            name: "signoff",
            title: "Sign-off",
            prose,
        }],
    }
}

/// Who gave an answer, as an observation's or risk's origin.
fn operator_origin(ids: &Ids<'_>, answered_by: &str) -> Origin {
    Origin {
        actors: vec![Actor {
            kind: "party",
            actor_uuid: ids.party("operator", answered_by),
            role_id: Some("operator"),
        }],
    }
}

fn observation_refs(uuids: &[String]) -> Vec<ObservationRef> {
    uuids
        .iter()
        .map(|u| ObservationRef {
            observation_uuid: u.clone(),
        })
        .collect()
}

/// An OSCAL date-time, or why the value cannot be one.
fn time(what: &str, t: Timestamp) -> Result<String, OscalError> {
    let year = t.to_zoned(TimeZone::UTC).year();
    if (2000..=2999).contains(&year) {
        Ok(t.to_string())
    } else {
        Err(OscalError::Time {
            what: what.to_string(),
            value: t.to_string(),
        })
    }
}

/// The last second of `day` (UTC): a date that holds "through" a day ends there.
fn end_of_day(what: &str, day: jiff::civil::Date) -> Result<String, OscalError> {
    let end = day
        .at(23, 59, 59, 0)
        .to_zoned(TimeZone::UTC)
        .map(|z| z.timestamp())
        .map_err(|_| OscalError::Time {
            what: what.to_string(),
            value: day.to_string(),
        })?;
    time(what, end)
}

/// `text` as OSCAL's single-line string (`^\S(.*\S)?$`): runs of whitespace and control
/// characters as one space, trimmed; `None` when nothing is left.
pub fn one_line(text: &str) -> Option<String> {
    let separator = |c: char| c.is_whitespace() || c.is_control() || c == '\u{feff}';
    let words: Vec<&str> = text.split(separator).filter(|w| !w.is_empty()).collect();
    (!words.is_empty()).then(|| words.join(" "))
}

fn prop(name: &str, value: &str) -> Option<Prop> {
    one_line(value).map(|value| Prop {
        name: name.to_string(),
        ns: PROP_NS,
        value,
    })
}

/// An item id as an OSCAL token (`^(\p{L}|_)(\p{L}|\p{N}|[.\-_])*$`): checklist ids are
/// lower-case letters, digits, `.`, `-` and `_`, and may start with a digit, which a token may
/// not; those get a leading `_` (no checklist id starts with one, so none collide).
pub fn token(item_id: &str) -> String {
    if item_id.starts_with(|c: char| c.is_ascii_digit()) {
        format!("_{item_id}")
    } else {
        item_id.to_string()
    }
}

/// An evidence entry (or file name) as a URI reference: the entry itself when it already is
/// one (a URL, a relative path), else every byte but letters, digits, `-._~` and `/`
/// percent-encoded, so the link text keeps the exact entry and the href always parses.
pub fn href(text: &str) -> String {
    if is_plain_uri_reference(text) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() * 3);
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A conservative test for an RFC 3986 URI reference: only characters a URI may hold as they
/// are, `%` always followed by two hex digits, one `#` at most, a `:` before the first `/`,
/// `?` or `#` only after a valid scheme, and an authority (after `//`) of at most one `@` and a
/// numeric port. `[` and `]` (IPv6 literals) are left to the encoded form.
fn is_plain_uri_reference(text: &str) -> bool {
    let bytes = text.as_bytes();
    let allowed = |b: u8| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?#%".contains(&b);
    if !bytes.iter().all(|&b| allowed(b)) || text.matches('#').count() > 1 {
        return false;
    }
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'%'
            && !(bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
        {
            return false;
        }
    }
    let first_end = text.find(['/', '?', '#']).unwrap_or(text.len());
    let rest = match text[..first_end].find(':') {
        Some(colon) => {
            let scheme = &text[..colon];
            let valid = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
            if !valid {
                return false;
            }
            &text[colon + 1..]
        }
        None => text,
    };
    if let Some(after) = rest.strip_prefix("//") {
        let authority = &after[..after.find(['/', '?', '#']).unwrap_or(after.len())];
        if authority.matches('@').count() > 1 {
            return false;
        }
        let host_port = authority.rsplit('@').next().unwrap_or_default();
        if let Some((_, port)) = host_port.split_once(':')
            && !port.bytes().all(|b| b.is_ascii_digit())
        {
            return false;
        }
    }
    true
}

// The document, field for field in OSCAL's order; empty lists are left out (OSCAL arrays
// hold at least one entry).

#[derive(Serialize)]
struct Document {
    #[serde(rename = "assessment-results")]
    assessment_results: AssessmentResults,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct AssessmentResults {
    uuid: String,
    metadata: Metadata,
    import_ap: ImportAp,
    results: Vec<AssessmentResult>,
    back_matter: BackMatter,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Metadata {
    title: String,
    last_modified: String,
    version: String,
    oscal_version: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    props: Vec<Prop>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    roles: Vec<Role>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    parties: Vec<Party>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    responsible_parties: Vec<ResponsibleParty>,
    remarks: String,
}

#[derive(Serialize)]
struct Prop {
    name: String,
    ns: &'static str,
    value: String,
}

#[derive(Serialize)]
struct Role {
    id: &'static str,
    title: &'static str,
    description: &'static str,
}

#[derive(Serialize)]
struct Party {
    uuid: String,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    props: Vec<Prop>,
    #[serde(skip_serializing_if = "Option::is_none")]
    remarks: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct ResponsibleParty {
    role_id: &'static str,
    party_uuids: Vec<String>,
}

#[derive(Serialize)]
struct ImportAp {
    href: String,
    remarks: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct AssessmentResult {
    uuid: String,
    title: String,
    description: String,
    start: String,
    end: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    props: Vec<Prop>,
    local_definitions: LocalDefinitions,
    reviewed_controls: ReviewedControls,
    attestations: Vec<Attestation>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    observations: Vec<Observation>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    risks: Vec<Risk>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    findings: Vec<Finding>,
}

#[derive(Serialize)]
struct LocalDefinitions {
    components: Vec<Component>,
}

#[derive(Serialize)]
struct Component {
    uuid: String,
    #[serde(rename = "type")]
    kind: &'static str,
    title: &'static str,
    description: &'static str,
    status: State,
}

#[derive(Serialize)]
struct State {
    state: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct ReviewedControls {
    control_selections: Vec<ControlSelection>,
    remarks: String,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct ControlSelection {
    include_all: IncludeAll,
}

#[derive(Serialize)]
struct IncludeAll {}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Attestation {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    responsible_parties: Vec<ResponsibleParty>,
    parts: Vec<Part>,
}

#[derive(Serialize)]
struct Part {
    name: &'static str,
    title: &'static str,
    prose: String,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Observation {
    uuid: String,
    title: String,
    description: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    props: Vec<Prop>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    links: Vec<Link>,
    methods: Vec<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    origins: Vec<Origin>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    relevant_evidence: Vec<Evidence>,
    collected: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    remarks: Option<String>,
}

#[derive(Serialize)]
struct Link {
    href: String,
    rel: &'static str,
    text: String,
}

#[derive(Serialize)]
struct Origin {
    actors: Vec<Actor>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Actor {
    #[serde(rename = "type")]
    kind: &'static str,
    actor_uuid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    role_id: Option<&'static str>,
}

#[derive(Serialize)]
struct Evidence {
    description: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    props: Vec<Prop>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Risk {
    uuid: String,
    title: String,
    description: String,
    statement: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    props: Vec<Prop>,
    status: &'static str,
    origins: Vec<Origin>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deadline: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_observations: Vec<ObservationRef>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Finding {
    uuid: String,
    title: String,
    description: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    props: Vec<Prop>,
    target: Target,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_observations: Vec<ObservationRef>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_risks: Vec<RiskRef>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Target {
    #[serde(rename = "type")]
    kind: &'static str,
    target_id: String,
    status: TargetStatus,
}

#[derive(Serialize)]
struct TargetStatus {
    state: &'static str,
    reason: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct ObservationRef {
    observation_uuid: String,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct RiskRef {
    risk_uuid: String,
}

#[derive(Serialize)]
struct BackMatter {
    resources: Vec<Resource>,
}

#[derive(Serialize)]
struct Resource {
    uuid: String,
    title: String,
    description: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    props: Vec<Prop>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    rlinks: Vec<Rlink>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Rlink {
    href: String,
    media_type: &'static str,
    hashes: Vec<Hash>,
}

#[derive(Serialize)]
struct Hash {
    algorithm: &'static str,
    value: String,
}
