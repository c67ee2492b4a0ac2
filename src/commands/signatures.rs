//! `sign --key`, `approve` and `verify --signers`: SSH signatures over the sign-off's exact
//! bytes (see [`crate::sshsig`] for the format and the files).

use std::path::Path;

use crate::cli::{ApproveArgs, Global};
use crate::exit::{Exit, Failure};
use crate::sshsig::{self, SigningKey};

/// The key and principal of `sign --key --principal`, checked before anything is written.
pub(super) fn signing_key(
    key: Option<&Path>,
    principal: Option<&str>,
) -> Result<Option<(SigningKey, String)>, Failure> {
    let (Some(key), Some(principal)) = (key, principal) else {
        return Ok(None);
    };
    sshsig::valid_principal(principal).map_err(Failure::usage)?;
    Ok(Some((SigningKey::load(key)?, principal.to_string())))
}

/// Called with the exact text `sign` saved, under the sign-off's lock: signs it to
/// `<signoff>.sig` (or, unsigned, removes a `.sig` that no longer covers the file), and
/// removes countersignatures over older bytes. Returns what to tell the operator.
pub(super) fn after_sign(
    signoff: &Path,
    key: Option<&SigningKey>,
    text: &str,
) -> Result<Vec<String>, Failure> {
    let mut said = Vec::new();
    let sig_path = sshsig::signer_path(signoff);
    match key {
        Some(key) => {
            let armored = key.sign(text.as_bytes()).map_err(|f| {
                // An older signature covers other bytes: it must not look like this one's.
                let _ = std::fs::remove_file(&sig_path);
                Failure::bad_input(format!(
                    "{}\nThe [signoff] block was written, but {} does not cover it; run `readiness sign` again.",
                    f.message,
                    sig_path.display()
                ))
            })?;
            sshsig::write(&sig_path, &armored)?;
            said.push(format!(
                "SSH signature ({}) written to {}.",
                key.fingerprint,
                sig_path.display()
            ));
        }
        None => {
            if std::fs::symlink_metadata(&sig_path).is_ok_and(|m| m.is_file())
                && std::fs::remove_file(&sig_path).is_ok()
            {
                said.push(format!(
                    "Removed {}: it signed the file as it was before, and this sign-off is unsigned.",
                    sig_path.display()
                ));
            }
        }
    }
    for (principal, path) in sshsig::approvals(signoff) {
        if sshsig::covers_other_bytes(&path, text.as_bytes()) && std::fs::remove_file(&path).is_ok()
        {
            said.push(format!(
                "Removed {}: {principal}'s countersignature covered the file as it was before; they can approve again.",
                path.display()
            ));
        }
    }
    Ok(said)
}

pub fn approve(g: &Global, args: &ApproveArgs) -> Result<Exit, Failure> {
    sshsig::valid_principal(&args.principal).map_err(Failure::usage)?;
    let key = SigningKey::load(&args.key)?;
    let _lock = crate::signoff::store::UpdateLock::acquire(&g.signoff);
    let loaded = super::read_signoff(&g.signoff)?;
    if loaded.signoff.signoff.is_none() {
        return Err(Failure::bad_input(format!(
            "{} is not signed off; there is nothing to approve yet (`readiness sign` first)",
            g.signoff.display()
        )));
    }
    let path = sshsig::approval_path(&g.signoff, &args.principal);
    let armored = key.sign(loaded.text.as_bytes())?;
    sshsig::write(&path, &armored)?;
    crate::errln!(
        "Approved {} as {} ({}): countersignature written to {}.",
        g.signoff.display(),
        args.principal,
        key.fingerprint,
        path.display()
    );
    Ok(Exit::Ok)
}

/// `verify --signers FILE [--require N]`: the signer's `.sig` and every countersignature
/// must be valid SSH signatures over the sign-off's bytes by principals FILE lists, and at
/// least `require` distinct principals must have signed.
pub(super) fn verify(
    g: &Global,
    signers_path: &Path,
    require: u32,
    checked: &mut Vec<String>,
    problems: &mut Vec<String>,
) -> Result<(), Failure> {
    let signers_name = signers_path.display().to_string();
    let text = crate::fsread::read_text(signers_path, crate::fsread::MAX_TEMPLATE)
        .map_err(|e| Failure::bad_input(e.naming("allowed signers file")))?;
    let signers =
        sshsig::parse_allowed_signers(&signers_name, &text).map_err(Failure::bad_input)?;
    let loaded = super::read_signoff(&g.signoff)?;
    let now = super::clock()?.now();
    let message = loaded.text.as_bytes();
    let signature = loaded.signoff.signoff.as_ref();
    if signature.is_none() {
        problems.push(format!("{} is not signed off", g.signoff.display()));
    }
    let signer_sig = sshsig::signer_path(&g.signoff);
    let principal = signature.and_then(|s| s.principal.as_deref());
    let mut files = vec![(principal.map(String::from), signer_sig)];
    files.extend(
        sshsig::approvals(&g.signoff)
            .into_iter()
            .map(|(p, path)| (Some(p), path)),
    );
    let mut principals = std::collections::BTreeSet::new();
    for (index, (principal, path)) in files.into_iter().enumerate() {
        match sshsig::check(
            &path,
            principal.as_deref(),
            message,
            &signers,
            &signers_name,
            now,
        ) {
            Ok(valid) => {
                let recorded = signature.and_then(|s| s.key_fingerprint.as_deref());
                if index == 0 && recorded.is_some_and(|r| r != valid.fingerprint) {
                    problems.push(format!(
                        "{} was made with key {}, but the [signoff] block names key {}",
                        path.display(),
                        valid.fingerprint,
                        recorded.unwrap_or_default()
                    ));
                    continue;
                }
                checked.push(format!(
                    "{} {} by {} (key {})",
                    if index == 0 {
                        "signature"
                    } else {
                        "countersignature"
                    },
                    valid.path.display(),
                    valid.principal,
                    valid.fingerprint
                ));
                principals.insert(valid.principal);
            }
            Err(reason) => problems.push(reason),
        }
    }
    if principals.len() < require as usize {
        problems.push(format!(
            "{require} valid signature(s) by distinct principals required, found {}",
            principals.len()
        ));
    }
    Ok(())
}
