//! SSH signatures over the sign-off, cross-checked both ways with the real `ssh-keygen`
//! (CI installs it when missing): `readiness sign --key` → `ssh-keygen -Y verify`, and
//! `ssh-keygen -Y sign` → `readiness verify --signers`, with ed25519 and ECDSA P-256 keys.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use predicates::str::contains;

use crate::common::{self, small};

const SIGNOFF: &str = "readiness-signoff.toml";
const SIG: &str = "readiness-signoff.toml.sig";

fn ssh_keygen(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
    use std::io::Write;
    let mut child = Command::new("ssh-keygen")
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ssh-keygen is installed (.ci/run installs openssh-client)");
    let input = child.stdin.take().expect("stdin");
    if let Some(bytes) = stdin {
        let mut input = input;
        input.write_all(bytes).expect("writes");
    }
    child.wait_with_output().expect("ssh-keygen runs")
}

/// A key pair `name`/`name.pub` in `dir`, made by ssh-keygen; returns its SHA256 fingerprint.
fn keygen(dir: &Path, name: &str, kind: &str) -> String {
    let mut args = vec!["-q", "-t", kind, "-N", "", "-C", name, "-f", name];
    if kind == "ecdsa" {
        args.extend(["-b", "256"]);
    }
    assert!(ssh_keygen(dir, &args, None).status.success());
    let listed = ssh_keygen(dir, &["-l", "-f", &format!("{name}.pub")], None);
    String::from_utf8_lossy(&listed.stdout)
        .split_whitespace()
        .nth(1)
        .expect("fingerprint")
        .to_string()
}

fn public(dir: &Path, name: &str) -> String {
    let text = std::fs::read_to_string(dir.join(format!("{name}.pub"))).unwrap();
    text.split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

fn allowed(dir: &Path, lines: &[String]) {
    std::fs::write(dir.join("allowed_signers"), lines.join("\n") + "\n").unwrap();
}

fn answered(dir: &Path) {
    small(dir)
        .args(["answer", "net.private", "--status", "pass"])
        .assert()
        .success();
}

fn sign_with(dir: &Path, key: &str, principal: &str) {
    small(dir)
        .args(["sign", "--name", "Ada Lovelace", "--role", "platform owner"])
        .args(["--key", key, "--principal", principal])
        .assert()
        .success()
        .stderr(contains("SSH signature (SHA256:"));
}

/// An answered sign-off in `dir`, signed by `readiness sign --key ada` (a `kind` key made
/// here) as ada@contoso.com, who alone is in `allowed_signers`; returns ada's fingerprint.
fn signed_by_ada(dir: &Path, kind: &str) -> String {
    let fingerprint = keygen(dir, "ada", kind);
    allowed(dir, &[format!("ada@contoso.com {}", public(dir, "ada"))]);
    answered(dir);
    sign_with(dir, "ada", "ada@contoso.com");
    fingerprint
}

/// `ssh-keygen -Y sign -f KEY -n readiness-signoff readiness-signoff.toml`: writes `SIG`.
fn stock_sign(dir: &Path, key: &str) {
    let made = ssh_keygen(
        dir,
        &["-Y", "sign", "-f", key, "-n", "readiness-signoff", SIGNOFF],
        None,
    );
    assert!(made.status.success(), "{made:?}");
}

/// The README's command for reviewers without readiness, exactly.
fn stock_verify(dir: &Path, principal: &str, sig: &str) -> Output {
    Command::new("sh")
        .current_dir(dir)
        .arg("-c")
        .arg(format!(
            "ssh-keygen -Y verify -f allowed_signers -I {principal} -n readiness-signoff -s {sig} < {SIGNOFF}"
        ))
        .output()
        .expect("sh runs")
}

fn verify(dir: &Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    small(dir)
        .args(["verify", "--signers", "allowed_signers"])
        .args(extra)
        .assert()
}

#[test]
fn a_signature_by_readiness_sign_verifies_with_stock_ssh_keygen_and_readiness() {
    for kind in ["ed25519", "ecdsa"] {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let fingerprint = signed_by_ada(d, kind);

        let signoff = std::fs::read_to_string(d.join(SIGNOFF)).unwrap();
        assert!(
            signoff.contains("principal = \"ada@contoso.com\""),
            "{signoff}"
        );
        assert!(
            signoff.contains(&format!("key_fingerprint = \"{fingerprint}\"")),
            "{signoff}"
        );
        let sig = std::fs::read_to_string(d.join(SIG)).unwrap();
        assert!(sig.starts_with("-----BEGIN SSH SIGNATURE-----\n"), "{sig}");

        let stock = stock_verify(d, "ada@contoso.com", SIG);
        assert!(
            stock.status.success(),
            "{kind}: {}",
            String::from_utf8_lossy(&stock.stderr)
        );
        assert!(
            String::from_utf8_lossy(&stock.stdout)
                .contains("Good \"readiness-signoff\" signature for ada@contoso.com"),
            "{kind}"
        );

        verify(d, &[]).success().stdout(contains(format!(
            "signature {SIG} by ada@contoso.com (key {fingerprint})"
        )));
        let json = common::stdout_of(small(d).args([
            "verify",
            "--signers",
            "allowed_signers",
            "--format",
            "json",
        ]));
        let doc: serde_json::Value = serde_json::from_str(&json).expect("json");
        assert_eq!(doc["schema"], "readiness.verify/v1");
        assert_eq!(doc["ok"], true);
        assert!(doc["checked"][0].as_str().unwrap().contains(&fingerprint));

        let md = common::stdout_of(small(d).arg("attest"));
        assert!(
            md.contains(&format!(
                "| SSH signature | ada@contoso.com, key {fingerprint} |"
            )),
            "{md}"
        );
        assert!(!md.contains("**unsigned**"), "{md}");
        // The render record's canonical signature names the key, so verify compares it too.
        let record = md
            .lines()
            .find(|l| l.starts_with("<!-- readiness:render "))
            .expect("render record");
        assert!(
            record.contains(&format!("with SSH key {fingerprint} as ada@contoso.com")),
            "{record}"
        );
    }
}

#[test]
fn a_signature_by_ssh_keygen_verifies_with_readiness() {
    for kind in ["ed25519", "ecdsa"] {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let fingerprint = keygen(d, "ada", kind);
        allowed(d, &[format!("ada@contoso.com {}", public(d, "ada"))]);
        answered(d);
        small(d)
            .args(["sign", "--name", "Ada", "--role", "owner"])
            .assert()
            .success()
            .stderr(contains("by name only, without an SSH signature"));
        let md = common::stdout_of(small(d).arg("attest"));
        assert!(md.contains("**unsigned**"), "{md}");
        verify(d, &[])
            .code(1)
            .stdout(contains(format!("no signature: {SIG} is missing")));

        stock_sign(d, "ada");
        verify(d, &[]).success().stdout(contains(format!(
            "signature {SIG} by ada@contoso.com (key {fingerprint})"
        )));
    }
}

#[test]
fn a_one_byte_change_to_the_signoff_fails_both_verifiers() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    signed_by_ada(d, "ed25519");
    let path = d.join(SIGNOFF);
    let mut bytes = std::fs::read(&path).unwrap();
    let at = bytes.iter().position(|&b| b == b'A').expect("an A in Ada");
    bytes[at] = b'B';
    std::fs::write(&path, &bytes).unwrap();

    assert!(!stock_verify(d, "ada@contoso.com", SIG).status.success());
    verify(d, &[]).code(1).stdout(contains(format!(
        "{SIG} does not match the sign-off: bad signature, or the file changed after it was signed"
    )));
}

#[test]
fn wrong_namespace_unknown_principal_or_key_and_validity_windows_fail_with_their_reason() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    signed_by_ada(d, "ed25519");
    keygen(d, "eve", "ecdsa");
    let ada = public(d, "ada");

    let cases = [
        (
            format!("bob@contoso.com {ada}"),
            "principal \"ada@contoso.com\" is not in allowed_signers",
        ),
        (
            format!("ada@contoso.com {}", public(d, "eve")),
            "is not listed for \"ada@contoso.com\" in allowed_signers",
        ),
        (
            format!("ada@contoso.com namespaces=\"git\" {ada}"),
            "allowed_signers:1 allows key SHA256:",
        ),
        (
            format!("ada@contoso.com valid-before=\"20260101Z\" {ada}"),
            "has expired (valid-before 2026-01-01T00:00:00Z)",
        ),
        (
            format!("ada@contoso.com valid-after=\"20990101Z\" {ada}"),
            "is not valid yet (valid-after 2099-01-01T00:00:00Z)",
        ),
    ];
    for (line, reason) in cases {
        allowed(d, std::slice::from_ref(&line));
        verify(d, &[]).code(1).stdout(contains(reason));
        assert!(
            !stock_verify(d, "ada@contoso.com", SIG).status.success(),
            "ssh-keygen agrees that {line:?} does not allow the signature"
        );
    }

    // A valid signature, by a key the file lists for ada, but not the key [signoff] names.
    allowed(d, &[format!("ada@contoso.com {}", public(d, "eve"))]);
    let by_eve = ssh_keygen(
        d,
        &["-Y", "sign", "-f", "eve", "-n", "readiness-signoff"],
        Some(&std::fs::read(d.join(SIGNOFF)).unwrap()),
    );
    std::fs::write(d.join(SIG), &by_eve.stdout).unwrap();
    verify(d, &[])
        .code(1)
        .stdout(contains("but the [signoff] block names key SHA256:"));

    // The right line, but a signature made for git's namespace.
    allowed(d, &[format!("ada@contoso.com {ada}")]);
    let git = ssh_keygen(
        d,
        &["-Y", "sign", "-f", "ada", "-n", "git"],
        Some(&std::fs::read(d.join(SIGNOFF)).unwrap()),
    );
    std::fs::write(d.join(SIG), &git.stdout).unwrap();
    verify(d, &[]).code(1).stdout(contains(format!(
        "{SIG} was made for namespace \"git\", not \"readiness-signoff\""
    )));
    assert!(!stock_verify(d, "ada@contoso.com", SIG).status.success());
}

#[test]
fn require_two_passes_only_with_a_countersignature_by_another_principal() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    signed_by_ada(d, "ed25519");
    let bob_fingerprint = keygen(d, "bob", "ecdsa");
    allowed(
        d,
        &[
            format!("ada@contoso.com {}", public(d, "ada")),
            format!(
                "bob@contoso.com namespaces=\"readiness-signoff\" {}",
                public(d, "bob")
            ),
        ],
    );
    verify(d, &["--require", "2"]).code(1).stdout(contains(
        "2 valid signature(s) by distinct principals required, found 1",
    ));

    let before = std::fs::read(d.join(SIGNOFF)).unwrap();
    small(d)
        .args(["approve", "--key", "bob", "--principal", "bob@contoso.com"])
        .assert()
        .success();
    assert_eq!(std::fs::read(d.join(SIGNOFF)).unwrap(), before, "unchanged");
    let countersig = "readiness-signoff.toml.bob@contoso.com.sig";
    assert!(
        stock_verify(d, "bob@contoso.com", countersig)
            .status
            .success()
    );
    verify(d, &["--require", "2"])
        .success()
        .stdout(contains(format!(
            "countersignature {countersig} by bob@contoso.com (key {bob_fingerprint})"
        )));

    // A second signature by the same principal does not count twice.
    small(d)
        .args(["approve", "--key", "ada", "--principal", "ada@contoso.com"])
        .assert()
        .success();
    verify(d, &["--require", "3"]).code(1).stdout(contains(
        "3 valid signature(s) by distinct principals required, found 2",
    ));

    // Signing again as another role changes the bytes: the old countersignatures no longer
    // cover them and are removed, said so.
    small(d)
        .args(["sign", "--name", "Ada Lovelace", "--role", "CISO"])
        .args(["--key", "ada", "--principal", "ada@contoso.com"])
        .assert()
        .success()
        .stderr(contains(format!("Removed {countersig}")));
    assert!(!d.join(countersig).exists());
    verify(d, &["--require", "2"]).code(1);
}

#[test]
fn an_unsigned_sign_removes_a_signature_that_no_longer_covers_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    signed_by_ada(d, "ed25519");
    small(d)
        .args(["sign", "--name", "Ada", "--role", "owner"])
        .assert()
        .success()
        .stderr(contains(format!("Removed {SIG}")));
    assert!(!d.join(SIG).exists());
    let signoff = std::fs::read_to_string(d.join(SIGNOFF)).unwrap();
    assert!(!signoff.contains("key_fingerprint"), "{signoff}");
}

#[test]
fn a_passphrase_key_signs_through_ssh_keygen_and_no_key_material_is_shown_or_stored() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(
        ssh_keygen(
            d,
            &["-q", "-t", "ed25519", "-N", "s3cret-pass", "-f", "ada"],
            None
        )
        .status
        .success()
    );
    let askpass = d.join("askpass");
    std::fs::write(&askpass, "#!/bin/sh\necho s3cret-pass\n").unwrap();
    std::fs::set_permissions(
        &askpass,
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .unwrap();
    allowed(d, &[format!("ada@contoso.com {}", public(d, "ada"))]);
    answered(d);
    let out = small(d)
        .args(["sign", "--name", "Ada", "--role", "owner"])
        .args(["--key", "ada", "--principal", "ada@contoso.com"])
        .env("SSH_ASKPASS", &askpass)
        .env("SSH_ASKPASS_REQUIRE", "force")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(stock_verify(d, "ada@contoso.com", SIG).status.success());
    verify(d, &[]).success();

    // Neither the key's body nor the passphrase reaches any output or written file.
    let key = std::fs::read_to_string(d.join("ada")).unwrap();
    let body: Vec<&str> = key.lines().filter(|l| !l.starts_with("-----")).collect();
    let shown = [
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        std::fs::read_to_string(d.join(SIGNOFF)).unwrap(),
        std::fs::read_to_string(d.join(SIG)).unwrap(),
        common::stdout_of(small(d).arg("attest")),
    ];
    for text in &shown {
        assert!(!text.contains("s3cret-pass"));
        for line in &body {
            assert!(!text.contains(line), "key material in output");
        }
    }
}

/// An ssh-agent of this test's own, on a socket in `dir`; killed when dropped.
struct Agent(std::process::Child);

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_public_key_signs_through_ssh_agent() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let fingerprint = keygen(d, "ada", "ed25519");
    allowed(d, &[format!("ada@contoso.com {}", public(d, "ada"))]);
    answered(d);
    let socket = d.join("agent.sock");
    let _agent = Agent(
        Command::new("ssh-agent")
            .arg("-D")
            .arg("-a")
            .arg(&socket)
            .stdout(Stdio::null())
            .spawn()
            .expect("ssh-agent runs"),
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !socket.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let added = Command::new("ssh-add")
        .current_dir(d)
        .arg("ada")
        .env("SSH_AUTH_SOCK", &socket)
        .output()
        .unwrap();
    assert!(added.status.success(), "{added:?}");
    // The private key leaves the disk: only the agent has it now.
    std::fs::remove_file(d.join("ada")).unwrap();

    small(d)
        .args(["sign", "--name", "Ada", "--role", "owner"])
        .args(["--key", "ada.pub", "--principal", "ada@contoso.com"])
        .env("SSH_AUTH_SOCK", &socket)
        .assert()
        .success();
    assert!(stock_verify(d, "ada@contoso.com", SIG).status.success());
    verify(d, &[]).success().stdout(contains(format!(
        "signature {SIG} by ada@contoso.com (key {fingerprint})"
    )));
}

#[test]
fn unusable_keys_principals_and_allowed_signers_lines_are_bad_input_naming_them() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    keygen(d, "ada", "ed25519");
    answered(d);
    std::fs::write(d.join("garbage"), "not a key\n").unwrap();
    let sign = |key: &str, principal: &str| {
        small(d)
            .args(["sign", "--name", "Ada", "--role", "owner"])
            .args(["--key", key, "--principal", principal])
            .env_remove("SSH_AUTH_SOCK")
            .assert()
    };
    sign("garbage", "ada@contoso.com")
        .code(2)
        .stderr(contains("garbage is not an OpenSSH private key"));
    sign("ada.pub", "ada@contoso.com").code(2).stderr(contains(
        "ada.pub is a public key: --key takes the private key file",
    ));
    // RSA (and P-384/P-521) would each need another crate: refused before anything is
    // written, and an RSA signature is reported as one readiness cannot check.
    keygen(d, "rita", "rsa");
    sign("rita", "rita@contoso.com").code(2).stderr(contains(
        "rita is a ssh-rsa key; readiness signs and verifies ed25519",
    ));
    sign("ada", "../../etc/x")
        .code(2)
        .stderr(contains("is not a plain name"));
    small(d)
        .args(["sign", "--name", "Ada", "--role", "owner", "--key", "ada"])
        .assert()
        .code(2);
    assert!(
        !std::fs::read_to_string(d.join(SIGNOFF))
            .unwrap()
            .contains("[signoff]"),
        "nothing signed"
    );
    small(d)
        .args(["approve", "--key", "ada", "--principal", "bob@contoso.com"])
        .assert()
        .code(2)
        .stderr(contains("nothing to approve"));
    // The principal names the countersignature's file: it cannot point out of the directory.
    small(d)
        .args([
            "approve",
            "--key",
            "ada",
            "--principal",
            "bob/../../../evil",
        ])
        .assert()
        .code(2)
        .stderr(contains("is not a plain name"));

    allowed(d, &[format!("rita@contoso.com {}", public(d, "rita"))]);
    stock_sign(d, "rita");
    verify(d, &[])
        .code(1)
        .stdout(contains(format!("{SIG} is signed with a ssh-rsa key")));

    sign_with(d, "ada", "ada@contoso.com");
    let ada = public(d, "ada");
    for (text, expected) in [
        (
            "# ok\nada@contoso.com\n".to_string(),
            "allowed_signers:2: missing key",
        ),
        (
            format!("*@contoso.com cert-authority {ada}\n"),
            "allowed_signers:1: cert-authority lines",
        ),
        (
            format!("ada@contoso.com valid-before=\"tomorrow\" {ada}\n"),
            "allowed_signers:1: \"tomorrow\" is not a time",
        ),
    ] {
        std::fs::write(d.join("allowed_signers"), text).unwrap();
        verify(d, &[]).code(2).stderr(contains(expected));
    }
}

#[test]
fn the_attestation_shows_a_fingerprint_without_a_principal_without_a_gap() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let fingerprint = signed_by_ada(d, "ed25519");
    let path = d.join(SIGNOFF);
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("principal = \"ada@contoso.com\"\n", "")).unwrap();
    let md = common::stdout_of(small(d).arg("attest"));
    assert!(
        md.contains(&format!("with an SSH signature (key {fingerprint})")),
        "{md}"
    );
    assert!(
        md.contains(&format!("| SSH signature | key {fingerprint} |")),
        "{md}"
    );
}

#[test]
fn a_principal_from_allowed_signers_is_shown_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    keygen(d, "ada", "ed25519");
    allowed(
        d,
        &[format!(
            "ada\u{1b}]0;pwned\u{7}@contoso.com {}",
            public(d, "ada")
        )],
    );
    answered(d);
    small(d)
        .args(["sign", "--name", "Ada", "--role", "owner"])
        .assert()
        .success();
    stock_sign(d, "ada");
    let out = small(d)
        .args(["verify", "--signers", "allowed_signers"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        !stdout.contains('\u{1b}') && !stdout.contains('\u{7}'),
        "{stdout:?}"
    );
    assert!(
        stdout.contains("by ada\\x1b]0;pwned\\x07@contoso.com"),
        "{stdout}"
    );
}
