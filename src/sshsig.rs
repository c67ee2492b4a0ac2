//! SSH signatures over the sign-off: the SSHSIG format of `ssh-keygen -Y sign` and git's SSH
//! signing, in the namespace [`NAMESPACE`], over the sign-off file's exact bytes.
//!
//! Files, beside the sign-off: `<signoff>.sig` is the signer's (`readiness sign --key`),
//! `<signoff>.<principal>.sig` each reviewer's countersignature (`readiness approve`). Each
//! holds one armored signature, so stock `ssh-keygen -Y verify -s FILE` reads any of them.
//!
//! Signing happens in-process with an unencrypted OpenSSH key file; a key that is protected
//! by a passphrase or lives on a hardware token, and a public key whose private half is in
//! ssh-agent, are handed to `ssh-keygen -Y sign`, which asks for the passphrase, the touch or
//! the agent itself. Verification is always in-process. No key
//! material is ever printed: messages name the key file and its public fingerprint only.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use jiff::Timestamp;
use ssh_key::{Algorithm, EcdsaCurve, HashAlg, LineEnding, PrivateKey, PublicKey, SshSig};

use crate::exit::Failure;

/// The SSHSIG namespace of sign-off signatures (`ssh-keygen -Y … -n readiness-signoff`).
pub const NAMESPACE: &str = "readiness-signoff";

/// Key files, signature files and allowed_signers files are small; read no more than this.
const MAX_FILE: u64 = 1 << 20;

/// `<signoff>.sig`: the signer's signature.
pub fn signer_path(signoff: &Path) -> PathBuf {
    with_suffix(signoff, ".sig")
}

/// `<signoff>.<principal>.sig`: a reviewer's countersignature.
pub fn approval_path(signoff: &Path, principal: &str) -> PathBuf {
    with_suffix(signoff, &format!(".{principal}.sig"))
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

/// The countersignatures beside the sign-off, as (principal, file), sorted by principal.
pub fn approvals(signoff: &Path) -> Vec<(String, PathBuf)> {
    let Some(name) = signoff.file_name().and_then(|n| n.to_str()) else {
        return Vec::new();
    };
    let dir = match signoff.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let prefix = format!("{name}.");
    let mut found: Vec<(String, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let file = e.file_name().into_string().ok()?;
            let principal = file.strip_prefix(&prefix)?.strip_suffix(".sig")?;
            valid_principal(principal)
                .is_ok()
                .then(|| (principal.to_string(), approval_path(signoff, principal)))
        })
        .collect();
    found.sort();
    found
}

/// A principal names a file (`<signoff>.<principal>.sig`) and is matched against
/// allowed_signers patterns, so it is a plain name: letters, digits and `@ . _ + -`.
pub fn valid_principal(principal: &str) -> Result<(), String> {
    let plain = |c: char| c.is_ascii_alphanumeric() || "@._+-".contains(c);
    if principal.is_empty()
        || principal.len() > 254
        || principal.starts_with(['.', '-'])
        || !principal.chars().all(plain)
    {
        return Err(format!(
            "principal {principal:?} is not a plain name (letters, digits, @ . _ + -, e.g. ada@contoso.com)"
        ));
    }
    Ok(())
}

/// The key types readiness verifies (and so signs with): ed25519 and ECDSA P-256, also on a
/// hardware token. RSA and the larger curves would each bring in another crate.
fn supported(algorithm: &Algorithm) -> bool {
    matches!(
        algorithm,
        Algorithm::Ed25519
            | Algorithm::SkEd25519
            | Algorithm::SkEcdsaSha2NistP256
            | Algorithm::Ecdsa {
                curve: EcdsaCurve::NistP256
            }
    )
}

const SUPPORTED: &str = "readiness signs and verifies ed25519 and ECDSA P-256 keys (`ssh-keygen -t ed25519`, or `-t ecdsa -b 256`)";

fn refuse_unsupported(path: &Path, algorithm: &Algorithm) -> Result<(), Failure> {
    if supported(algorithm) {
        return Ok(());
    }
    Err(Failure::bad_input(format!(
        "{} is a {algorithm} key; {SUPPORTED}",
        path.display()
    )))
}

/// A signing key: its file, public fingerprint, and whether readiness can use it itself.
pub struct SigningKey {
    path: PathBuf,
    /// `None` for a public key whose private half is in ssh-agent.
    key: Option<PrivateKey>,
    pub fingerprint: String,
}

impl SigningKey {
    /// Reads an OpenSSH private key file (`ssh-keygen -t ed25519`), or a public key whose
    /// private half ssh-agent holds (`SSH_AUTH_SOCK`). Exit 2 when it is neither; its
    /// content is never shown.
    pub fn load(path: &Path) -> Result<Self, Failure> {
        let text = crate::fsread::read_text(path, MAX_FILE)
            .map_err(|e| Failure::bad_input(e.naming("key")))?;
        if let Ok(public) = PublicKey::from_openssh(text.trim()) {
            if std::env::var_os("SSH_AUTH_SOCK").is_none_or(|s| s.is_empty()) {
                return Err(Failure::bad_input(format!(
                    "{} is a public key: --key takes the private key file (the one without .pub), or a public key whose private half is in ssh-agent, but SSH_AUTH_SOCK is not set",
                    path.display()
                )));
            }
            refuse_unsupported(path, &public.algorithm())?;
            return Ok(SigningKey {
                path: path.to_path_buf(),
                key: None,
                fingerprint: public.fingerprint(HashAlg::Sha256).to_string(),
            });
        }
        let key = PrivateKey::from_openssh(text.trim()).map_err(|_| {
            Failure::bad_input(format!(
                "{} is not an OpenSSH private key: make one with `ssh-keygen -t ed25519`",
                path.display()
            ))
        })?;
        refuse_unsupported(path, &key.algorithm())?;
        Ok(SigningKey {
            path: path.to_path_buf(),
            fingerprint: key.fingerprint(HashAlg::Sha256).to_string(),
            key: Some(key),
        })
    }

    /// The armored signature over `message`. An unencrypted key signs here; a passphrase,
    /// hardware or ssh-agent key goes through `ssh-keygen -Y sign`, which asks for the
    /// passphrase or touch itself.
    pub fn sign(&self, message: &[u8]) -> Result<String, Failure> {
        let key = match &self.key {
            Some(key) if !key.is_encrypted() && !is_hardware(key) => key,
            _ => return self.sign_with_ssh_keygen(message),
        };
        let failed = |e: ssh_key::Error| {
            Failure::bad_input(format!(
                "cannot sign with {} ({}): {e}",
                self.path.display(),
                key.algorithm()
            ))
        };
        let sig = key
            .sign(NAMESPACE, HashAlg::Sha512, message)
            .map_err(failed)?;
        sig.to_pem(LineEnding::LF).map_err(failed)
    }

    fn sign_with_ssh_keygen(&self, message: &[u8]) -> Result<String, Failure> {
        use std::io::Write;
        let mut child = Command::new("ssh-keygen")
            .args(["-q", "-Y", "sign", "-n", NAMESPACE, "-f"])
            .arg(&self.path)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| {
                Failure::bad_input(format!(
                    "{} needs a passphrase, a hardware token or ssh-agent, so ssh-keygen signs with it, but ssh-keygen could not be run: {e}",
                    self.path.display()
                ))
            })?;
        let written = child.stdin.take().map(|mut s| s.write_all(message));
        let output = child
            .wait_with_output()
            .map_err(|e| Failure::bad_input(format!("ssh-keygen -Y sign did not finish: {e}")))?;
        let armored = String::from_utf8(output.stdout).unwrap_or_default();
        if !output.status.success()
            || !matches!(written, Some(Ok(())))
            || SshSig::from_pem(armored.trim()).is_err()
        {
            return Err(Failure::bad_input(format!(
                "ssh-keygen -Y sign -f {} failed ({}); nothing was signed",
                self.path.display(),
                output.status
            )));
        }
        Ok(armored)
    }
}

fn is_hardware(key: &PrivateKey) -> bool {
    let public = key.public_key();
    public.key_data().is_sk_ed25519() || public.key_data().is_sk_ecdsa_p256()
}

/// Writes a signature file atomically, replacing only a regular file.
pub fn write(path: &Path, armored: &str) -> Result<(), Failure> {
    if std::fs::symlink_metadata(path).is_ok_and(|m| !m.file_type().is_file()) {
        return Err(Failure::bad_input(format!(
            "{} is not a regular file; readiness writes signatures only to regular files",
            path.display()
        )));
    }
    crate::signoff::store::write_atomic(path, armored.as_bytes())
        .map_err(|e| Failure::bad_input(format!("cannot write {}: {e}", path.display())))
}

/// One line of an OpenSSH allowed_signers file (see ssh-keygen(1), ALLOWED SIGNERS).
#[derive(Debug)]
pub struct AllowedSigner {
    pub line: usize,
    /// A pattern-list: `ada@contoso.com,*@ops.contoso.com,!eve@contoso.com`.
    pub principals: String,
    pub namespaces: Option<String>,
    pub valid_after: Option<Timestamp>,
    pub valid_before: Option<Timestamp>,
    pub key: PublicKey,
}

/// Parses an allowed_signers file; a malformed or `cert-authority` line is an error naming
/// file:line (exit 2).
pub fn parse_allowed_signers(name: &str, text: &str) -> Result<Vec<AllowedSigner>, String> {
    let mut signers = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let at = |what: String| format!("{name}:{line}: {what}");
        let rest = raw.trim_start_matches([' ', '\t']);
        if rest.is_empty() || rest.starts_with('#') {
            continue;
        }
        let (principals, rest) = token(rest).map_err(|e| at(e.into()))?;
        let principals = principals.trim_matches('"').to_string();
        let rest = rest.trim_start_matches([' ', '\t']);
        let (options, key_text) = match PublicKey::from_openssh(rest.trim_end()) {
            Ok(_) => ("", rest),
            Err(_) => {
                let (options, after) = token(rest).map_err(|e| at(e.into()))?;
                (options, after.trim_start_matches([' ', '\t']))
            }
        };
        if key_text.trim().is_empty() {
            return Err(at("missing key".into()));
        }
        let key = PublicKey::from_openssh(key_text.trim_end()).map_err(|_| {
            at("not a public key (expected `principals [options] keytype base64`)".into())
        })?;
        let mut signer = AllowedSigner {
            line,
            principals,
            namespaces: None,
            valid_after: None,
            valid_before: None,
            key,
        };
        for option in split_options(options).map_err(|e| at(e.into()))? {
            let (option_name, value) = match option.split_once('=') {
                Some((n, v)) => (n, Some(v.trim_matches('"'))),
                None => (option.as_str(), None),
            };
            match (option_name.to_ascii_lowercase().as_str(), value) {
                ("cert-authority", None) => {
                    return Err(at(
                        "cert-authority lines (signers vouched for by a certificate) are not supported by readiness; list each signer's own key".into(),
                    ));
                }
                ("namespaces", Some(v)) => signer.namespaces = Some(v.to_string()),
                ("valid-after", Some(v)) => {
                    signer.valid_after = Some(parse_time(v).map_err(&at)?);
                }
                ("valid-before", Some(v)) => {
                    signer.valid_before = Some(parse_time(v).map_err(&at)?);
                }
                _ => return Err(at(format!("unsupported option {option:?}"))),
            }
        }
        signers.push(signer);
    }
    Ok(signers)
}

/// The first whitespace-delimited token (double quotes may hold spaces) and the rest.
fn token(text: &str) -> Result<(&str, &str), &'static str> {
    let mut quoted = false;
    for (i, c) in text.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ' ' | '\t' if !quoted => return Ok((&text[..i], &text[i..])),
            _ => {}
        }
    }
    if quoted {
        Err("unterminated quote")
    } else {
        Ok((text, ""))
    }
}

fn split_options(options: &str) -> Result<Vec<String>, &'static str> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in options.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            ',' if !quoted => out.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    if quoted {
        return Err("unterminated quote in options");
    }
    if !current.is_empty() {
        out.push(current);
    }
    if out.iter().any(String::is_empty) {
        return Err("empty option");
    }
    Ok(out)
}

/// `YYYYMMDD`, `YYYYMMDDHHMM` or `YYYYMMDDHHMMSS`, with a trailing `Z` for UTC; without it
/// the system's time zone, as ssh-keygen reads it.
fn parse_time(text: &str) -> Result<Timestamp, String> {
    let bad = || format!("{text:?} is not a time (YYYYMMDD[HHMM[SS]][Z])");
    let (digits, utc) = match text.strip_suffix(['Z', 'z']) {
        Some(d) => (d, true),
        None => (text, false),
    };
    if !digits.bytes().all(|b| b.is_ascii_digit()) || ![8, 12, 14].contains(&digits.len()) {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| digits.get(r).map_or(Ok(0), str::parse::<i16>);
    let (year, month, day) = (num(0..4), num(4..6), num(6..8));
    let (hour, minute, second) = (num(8..10), num(10..12), num(12..14));
    let (Ok(year), Ok(month), Ok(day), Ok(hour), Ok(minute), Ok(second)) =
        (year, month, day, hour, minute, second)
    else {
        return Err(bad());
    };
    let civil = jiff::civil::DateTime::new(
        year,
        month as i8,
        day as i8,
        hour as i8,
        minute as i8,
        second as i8,
        0,
    )
    .map_err(|_| bad())?;
    let zone = if utc {
        jiff::tz::TimeZone::UTC
    } else {
        jiff::tz::TimeZone::system()
    };
    civil
        .to_zoned(zone)
        .map(|z| z.timestamp())
        .map_err(|_| bad())
}

/// OpenSSH's `match_pattern_list`: a comma-separated list of `*`/`?` patterns, where a
/// matching `!pattern` refuses.
fn matches_pattern_list(name: &str, list: &str) -> bool {
    let mut matched = false;
    for pattern in list.split(',') {
        match pattern.strip_prefix('!') {
            Some(negated) if glob(name.as_bytes(), negated.as_bytes()) => return false,
            Some(_) => {}
            None => matched |= glob(name.as_bytes(), pattern.as_bytes()),
        }
    }
    matched
}

fn glob(name: &[u8], pattern: &[u8]) -> bool {
    match (pattern.split_first(), name.split_first()) {
        (None, _) => name.is_empty(),
        (Some((b'*', rest)), _) => (0..=name.len()).any(|i| glob(&name[i..], rest)),
        (Some((b'?', rest)), Some((_, name_rest))) => glob(name_rest, rest),
        (Some((p, rest)), Some((n, name_rest))) if p == n => glob(name_rest, rest),
        _ => false,
    }
}

/// Whether the signature file is an SSHSIG over other bytes than `message` (a stale
/// countersignature); false when it cannot be read or parsed (left for `verify` to report).
pub fn covers_other_bytes(path: &Path, message: &[u8]) -> bool {
    let Ok(text) = crate::fsread::read_text(path, MAX_FILE) else {
        return false;
    };
    let Ok(sig) = SshSig::from_pem(text.trim()) else {
        return false;
    };
    PublicKey::from(sig.public_key().clone())
        .verify(sig.namespace(), message, &sig)
        .is_err()
}

/// A signature that holds: whose, with which key, in which file.
#[derive(Debug, Clone)]
pub struct Verified {
    pub path: PathBuf,
    pub principal: String,
    pub fingerprint: String,
}

/// Checks one signature file over `message`: an SSHSIG in [`NAMESPACE`], by a key that
/// `signers` lists for `principal` (any principal listed for the key when `None`), for this
/// namespace, valid at `now`. The error is the reason, for `verify`'s problems.
pub fn check(
    path: &Path,
    principal: Option<&str>,
    message: &[u8],
    signers: &[AllowedSigner],
    signers_name: &str,
    now: Timestamp,
) -> Result<Verified, String> {
    let shown = path.display();
    let text = crate::fsread::read_text(path, MAX_FILE).map_err(|e| {
        if e.is_not_found() {
            format!("no signature: {shown} is missing (sign with `readiness sign --key`)")
        } else {
            e.naming("signature")
        }
    })?;
    let sig = SshSig::from_pem(text.trim())
        .map_err(|e| format!("{shown} is not an SSH signature ({e})"))?;
    let key = PublicKey::from(sig.public_key().clone());
    let fingerprint = key.fingerprint(HashAlg::Sha256).to_string();
    if sig.namespace() != NAMESPACE {
        return Err(format!(
            "{shown} was made for namespace {:?}, not {NAMESPACE:?} (key {fingerprint})",
            sig.namespace()
        ));
    }
    if !supported(&key.algorithm()) {
        return Err(format!(
            "{shown} is signed with a {} key (key {fingerprint}), which readiness cannot check: {SUPPORTED}; stock `ssh-keygen -Y verify` can",
            key.algorithm()
        ));
    }
    if key.verify(NAMESPACE, message, &sig).is_err() {
        return Err(format!(
            "{shown} does not match the sign-off: bad signature, or the file changed after it was signed (key {fingerprint})"
        ));
    }
    let for_principal: Vec<&AllowedSigner> = signers
        .iter()
        .filter(|s| principal.is_none_or(|p| matches_pattern_list(p, &s.principals)))
        .collect();
    let who = principal.map_or_else(|| "any principal".to_string(), |p| format!("{p:?}"));
    if principal.is_some() && for_principal.is_empty() {
        return Err(format!(
            "{shown}: principal {who} is not in {signers_name} (key {fingerprint})"
        ));
    }
    let with_key: Vec<&AllowedSigner> = for_principal
        .into_iter()
        .filter(|s| s.key.key_data() == key.key_data())
        .collect();
    if with_key.is_empty() {
        return Err(format!(
            "{shown}: key {fingerprint} is not listed for {who} in {signers_name}"
        ));
    }
    let mut reasons = Vec::new();
    for signer in with_key {
        let at = format!("{signers_name}:{}", signer.line);
        if let Some(namespaces) = &signer.namespaces
            && !matches_pattern_list(NAMESPACE, namespaces)
        {
            reasons.push(format!(
                "{at} allows key {fingerprint} only for namespaces {namespaces:?}, not {NAMESPACE:?}"
            ));
        } else if let Some(after) = signer.valid_after.filter(|t| now < *t) {
            reasons.push(format!(
                "{at}: key {fingerprint} is not valid yet (valid-after {after})"
            ));
        } else if let Some(before) = signer.valid_before.filter(|t| now >= *t) {
            reasons.push(format!(
                "{at}: key {fingerprint} has expired (valid-before {before})"
            ));
        } else {
            return Ok(Verified {
                path: path.to_path_buf(),
                principal: principal.unwrap_or(&signer.principals).to_string(),
                fingerprint,
            });
        }
    }
    Err(format!("{shown}: {}", reasons.join("; ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA3JO6S++UhPnPp7YiQSb7zeL8KKJ4kg7X6qw/mD6Bs8";

    #[test]
    fn allowed_signers_lines_with_options_quotes_and_comments_parse() {
        let text = format!(
            "# reviewers\n\nada@contoso.com {KEY} ada\n\"bob@contoso.com,*@ops.contoso.com\" namespaces=\"git,readiness-signoff\",valid-after=\"20260101Z\",valid-before=20270101000000Z {KEY}\n"
        );
        let signers = parse_allowed_signers("as", &text).expect("parses");
        assert_eq!(signers.len(), 2);
        assert_eq!(signers[0].line, 3);
        assert_eq!(signers[1].principals, "bob@contoso.com,*@ops.contoso.com");
        assert_eq!(
            signers[1].namespaces.as_deref(),
            Some("git,readiness-signoff")
        );
        assert_eq!(
            signers[1].valid_before.unwrap().to_string(),
            "2027-01-01T00:00:00Z"
        );
    }

    #[test]
    fn malformed_and_cert_authority_lines_name_file_and_line() {
        for (text, expected) in [
            ("ada@contoso.com\n".to_string(), "as:1: missing key"),
            ("\nada@contoso.com ssh-ed25519 AAAA\n".to_string(), "as:2:"),
            (format!("a cert-authority {KEY}\n"), "as:1: cert-authority"),
            (format!("a valid-before=\"2026\" {KEY}\n"), "as:1: \"2026\""),
            (format!("a frobnicate {KEY}\n"), "as:1: unsupported option"),
            (format!("\"a {KEY}\n"), "as:1: unterminated"),
        ] {
            let err = parse_allowed_signers("as", &text).expect_err(&text);
            assert!(err.contains(expected), "{err:?} for {text:?}");
        }
    }

    #[test]
    fn principal_patterns_match_as_openssh_does() {
        assert!(matches_pattern_list("ada@contoso.com", "ada@contoso.com"));
        assert!(matches_pattern_list(
            "ada@contoso.com",
            "bob@x,*@contoso.com"
        ));
        assert!(!matches_pattern_list(
            "ada@contoso.com",
            "*@contoso.com,!ada@*"
        ));
        assert!(matches_pattern_list("readiness-signoff", "git,readiness-*"));
        assert!(!matches_pattern_list("readiness-signoff", "git"));
        assert!(matches_pattern_list("ab", "a?"));
        assert!(!matches_pattern_list("abc", "a?"));
    }

    #[test]
    fn principals_that_could_leave_the_directory_or_act_as_patterns_are_refused() {
        for bad in [
            "",
            "../x",
            "a/b",
            "a*",
            "-x",
            ".x",
            "a,b",
            "a b",
            "a\u{202e}",
        ] {
            assert!(valid_principal(bad).is_err(), "{bad:?}");
        }
        assert!(valid_principal("ada.lovelace+review@contoso.com").is_ok());
    }
}
