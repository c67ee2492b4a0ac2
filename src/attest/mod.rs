//! The Markdown attestation reviewers read, rendered with tera, and its verification.

mod context;
pub mod escape;
pub mod oscal;
pub mod record;
pub mod template;
mod verify;

pub use context::{AutoInfo, Context, auto_info, build as build_context, format_time};
pub use verify::{Inputs as VerifyInputs, VerifyOutcome, verify};

use sha2::{Digest, Sha256};

/// The built-in template (`--template` overrides it).
pub const TEMPLATE: &str = include_str!("../../templates/attestation.md.tera");
/// The line that ties an attestation to the exact sign-off bytes it was rendered from.
pub const DIGEST_PREFIX: &str = "sha256 of sign-off: ";
/// Hidden marker carrying each item's status, so `verify` can name what changed.
pub const STATUSES_MARKER: &str = "<!-- readiness:statuses ";

#[derive(Debug, thiserror::Error)]
pub enum AttestError {
    #[error("template {name}: {detail}")]
    Template { name: String, detail: String },
}

/// Why [`write()`] wrote no attestation.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error(transparent)]
    Render(#[from] AttestError),
    #[error("cannot write the attestation to {}: {source}", .path.display())]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}

/// What both wizards' "write the attestation" does: renders the built-in attestation of the
/// sign-off at `signoff_path` (over the file's exact bytes, which `verify` will hash) and
/// writes it atomically to `path`.
pub fn write(
    checklist: &crate::checklist::Checklist,
    signoff_path: &std::path::Path,
    signoff: &crate::signoff::SignOff,
    now: jiff::Timestamp,
    path: &std::path::Path,
) -> Result<(), WriteError> {
    let text =
        crate::fsread::read_text(signoff_path, crate::fsread::MAX_SIGNOFF).unwrap_or_default();
    let markdown = attest(checklist, &text, signoff, now, None, None)?;
    crate::signoff::store::write_atomic(path, markdown.as_bytes()).map_err(|source| {
        WriteError::Io {
            path: path.to_path_buf(),
            source,
        }
    })
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Renders the attestation. `template_name` is used in error messages.
pub fn render(
    template_name: &str,
    template: &str,
    context: &Context,
) -> Result<String, AttestError> {
    render_with_limits(
        template_name,
        template,
        context,
        template::Limits::default(),
    )
}

/// [`render`] with explicit bounds on time and output (see [`template`]).
pub fn render_with_limits(
    template_name: &str,
    template: &str,
    context: &Context,
    limits: template::Limits,
) -> Result<String, AttestError> {
    let fail = |detail: String| AttestError::Template {
        name: template_name.to_string(),
        detail,
    };
    // A custom template is checked before tera parses it (see `template`).
    template::check_text(template).map_err(fail)?;
    let mut tera = tera::Tera::default();
    // Every `{{ … }}` goes through the Markdown escaper unless the template says `| safe`.
    tera.autoescape_on(vec![".md"]);
    tera.set_escape_fn(escape::markdown);
    tera.register_filter("link", link_filter);
    let cancelled = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    template::restrict(&mut tera, cancelled.clone());
    tera.add_raw_template("attestation.md", template)
        .map_err(|e| fail(error_chain(&e)))?;
    if let Ok(parsed) = tera.get_template("attestation.md") {
        template::check_tree(parsed).map_err(fail)?;
    }
    let ctx = tera::Context::from_serialize(context).map_err(|e| fail(error_chain(&e)))?;
    let rendered =
        template::render_bounded(tera, "attestation.md", ctx, limits, cancelled).map_err(fail)?;
    // A leading template comment leaves blank lines; the document starts at its title.
    let mut out = rendered.trim_start().to_string();
    if !out.ends_with('\n') {
        out.push('\n');
    }
    Ok(out)
}

/// `{{ entry | link | safe }}`: an evidence entry as a Markdown link (escaped inside).
fn link_filter(
    value: &tera::Value,
    _args: &std::collections::HashMap<String, tera::Value>,
) -> tera::Result<tera::Value> {
    let text = value
        .as_str()
        .ok_or_else(|| tera::Error::msg("the `link` filter takes a string"))?;
    Ok(tera::Value::String(escape::evidence_link(text)))
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        parts.push(s.to_string());
        source = s.source();
    }
    parts.join(": ")
}

/// The previous quarter's sign-off for `attest --previous`: its exact text (the attestation
/// records its sha256) and what it says.
#[derive(Debug, Clone, Copy)]
pub struct Previous<'a> {
    pub text: &'a str,
    pub signoff: &'a crate::signoff::SignOff,
}

/// Renders the attestation for a sign-off file's exact text. `template` is `(name, text)`;
/// `None` uses the built-in one. The document ends with the render record (see [`record`]).
pub fn attest(
    checklist: &crate::checklist::Checklist,
    signoff_text: &str,
    signoff: &crate::signoff::SignOff,
    now: jiff::Timestamp,
    template: Option<(&str, &str)>,
    previous: Option<Previous<'_>>,
) -> Result<String, AttestError> {
    let sha = sha256_hex(signoff_text.as_bytes());
    let context = build_context(checklist, signoff, &sha, now, previous.map(|p| p.signoff));
    let (name, text) = template.unwrap_or(("built-in attestation.md.tera", TEMPLATE));
    let mut out = render(name, text, &context)?;
    let record = record::Record {
        v: record::VERSION,
        tool: env!("CARGO_PKG_NAME").to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        template: if template.is_some() {
            record::CUSTOM
        } else {
            record::BUILT_IN
        }
        .to_string(),
        template_sha256: sha256_hex(text.as_bytes()),
        rendered_at: now.to_string(),
        signoff_sha256: sha,
        previous_sha256: previous.map(|p| sha256_hex(p.text.as_bytes())),
        canonical: record::canonical(checklist, signoff),
    };
    out.push_str(&record.line());
    Ok(out)
}
