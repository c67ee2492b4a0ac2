//! Secrets and trust: a bearer token or client secret never reaches stdout, stderr, the
//! sign-off, the attestation or any file the tool writes (logs included); `--auth none` is
//! only for loopback endpoints; operator text never becomes raw HTML in the attestation.
//!
//! Every run here gets a scratch root with HOME, XDG_* and TMPDIR inside it, so whatever the
//! tool writes anywhere (the full-screen wizard's log goes to `$XDG_STATE_HOME/readiness/`)
//! lands where the test can read it all.

use crate::common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::{Arc, Mutex};

use common::fake_arm::{FakeArm, RG, SUB, check_args};
use wiremock::{Request, Respond, ResponseTemplate};

const TOKEN: &str = "tok-RECOGNISABLE-1234";
const SECRET: &str = "secret-RECOGNISABLE";

/// A scratch root: the working directory and every place a tool may keep state or logs.
struct Scratch {
    _root: tempfile::TempDir,
    root: PathBuf,
    work: PathBuf,
}

impl Scratch {
    fn new() -> Self {
        let root = tempfile::tempdir().unwrap();
        let path = root.path().to_path_buf();
        for d in ["work", "home", "state", "cache", "config", "tmp"] {
            std::fs::create_dir(path.join(d)).unwrap();
        }
        Scratch {
            work: path.join("work"),
            root: path,
            _root: root,
        }
    }

    /// The real binary with a clean environment pointing every state directory inside.
    fn readiness(&self) -> assert_cmd::Command {
        let mut cmd = assert_cmd::Command::cargo_bin("readiness").unwrap();
        cmd.env_clear()
            .current_dir(&self.work)
            .env("HOME", self.root.join("home"))
            .env("XDG_STATE_HOME", self.root.join("state"))
            .env("XDG_CACHE_HOME", self.root.join("cache"))
            .env("XDG_CONFIG_HOME", self.root.join("config"))
            .env("TMPDIR", self.root.join("tmp"))
            .env("READINESS_LOG", "trace")
            .env("RUST_LOG", "trace")
            .env("READINESS_NOW", common::NOW)
            .env("USER", "alice")
            .env("NO_COLOR", "1");
        cmd
    }

    /// Every file under the scratch root, with its bytes.
    fn files(&self) -> Vec<(PathBuf, Vec<u8>)> {
        fn walk(dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, out);
                } else {
                    out.push((path.clone(), std::fs::read(&path).unwrap()));
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.root, &mut out);
        out
    }

    fn assert_nowhere(&self, secret: &str, outputs: &[(String, Output)]) {
        let needle = secret.as_bytes();
        let found = |hay: &[u8]| hay.windows(needle.len()).any(|w| w == needle);
        for (what, out) in outputs {
            assert!(!found(&out.stdout), "{secret} in the stdout of {what}");
            assert!(!found(&out.stderr), "{secret} in the stderr of {what}");
        }
        let files = self.files();
        for (path, bytes) in &files {
            assert!(!found(bytes), "{secret} in {}", path.display());
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_bearer_token_is_sent_to_arm_and_never_shown_or_stored() {
    let scratch = Scratch::new();
    let fake = FakeArm::start("hardened").await;
    // One document answers 401 so a cause travels through every output too.
    fake.fault(
        &FakeArm::path_registry(),
        common::fake_arm::arm_response(401, "errors/401.json"),
        None,
    )
    .await;
    let uri = fake.uri();
    let mut outputs = Vec::new();
    let runs: Vec<(&str, Vec<String>)> = vec![
        (
            "answer",
            vec![
                "answer".into(),
                "net.private-api-server".into(),
                "--status".into(),
                "pass".into(),
            ],
        ),
        (
            "check --record",
            [check_args(&uri, true), vec!["--record".into()]].concat(),
        ),
        (
            "check --format json",
            [
                check_args(&uri, true),
                vec!["--format".into(), "json".into()],
            ]
            .concat(),
        ),
        (
            "attest --output",
            vec!["attest".into(), "--output".into(), "attestation.md".into()],
        ),
        ("attest", vec!["attest".into()]),
        (
            "verify",
            vec![
                "verify".into(),
                "--attestation".into(),
                "attestation.md".into(),
            ],
        ),
        ("status", vec!["status".into()]),
    ];
    for (what, args) in runs {
        let mut cmd = scratch.readiness();
        cmd.env(readiness::sources::azure::client::TEST_TOKEN_ENV, TOKEN)
            .args(&args);
        let out = common::output_off_runtime(cmd).await;
        assert!(
            !String::from_utf8_lossy(&out.stderr).contains("panicked"),
            "{what}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        outputs.push((what.to_string(), out));
    }
    // The runs did what they should: checks ran (the 401 makes it exit 3) and were recorded.
    assert_eq!(outputs[1].1.status.code(), Some(3), "{:?}", outputs[1].1);
    assert_eq!(outputs[3].1.status.code(), Some(0), "{:?}", outputs[3].1);
    let attestation = std::fs::read_to_string(scratch.work.join("attestation.md")).unwrap();
    assert!(
        attestation.contains("**Automatic:**"),
        "no automatic results attested"
    );
    assert!(
        attestation.contains("not signed in to Azure"),
        "the 401 cause is not attested"
    );

    // The token really was in play: every ARM request carried it.
    let requests = fake.server.received_requests().await.unwrap();
    assert!(requests.len() >= 8, "{} requests", requests.len());
    for r in &requests {
        assert_eq!(
            r.headers.get("authorization").and_then(|v| v.to_str().ok()),
            Some(format!("Bearer {TOKEN}").as_str()),
            "{}",
            r.url
        );
    }
    scratch.assert_nowhere(TOKEN, &outputs);
    scratch.assert_nowhere("RECOGNISABLE", &outputs);
}

/// A server (or proxy) that echoes the bearer token back in its 401 message.
struct EchoesToken;

impl Respond for EchoesToken {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let auth = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let body = serde_json::json!({"error": {
            "code": "InvalidAuthenticationToken",
            "message": format!("The access token is invalid. Received: {auth}"),
        }});
        ResponseTemplate::new(401).set_body_raw(body.to_string(), "application/json")
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_echoed_back_by_the_server_is_redacted_everywhere() {
    // Shaped like the JWTs Entra issues, so the redaction recognises it.
    let jwt =
        "eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.eyJSRUNPR05JU0FCTEUiOiJ5ZXMifQ.UkVDT0dOSVNBQkxFc2ln";
    let scratch = Scratch::new();
    let fake = FakeArm::start("hardened").await;
    wiremock::Mock::given(wiremock::matchers::any())
        .respond_with(EchoesToken)
        .with_priority(1)
        .mount(&fake.server)
        .await;
    let mut outputs = Vec::new();
    for (what, args) in [
        (
            "check --record",
            [check_args(&fake.uri(), true), vec!["--record".into()]].concat(),
        ),
        (
            "attest --output",
            vec!["attest".into(), "--output".into(), "attestation.md".into()],
        ),
    ] {
        let mut cmd = scratch.readiness();
        cmd.env(readiness::sources::azure::client::TEST_TOKEN_ENV, jwt)
            .args(&args);
        outputs.push((what.to_string(), common::output_off_runtime(cmd).await));
    }
    assert_eq!(outputs[0].1.status.code(), Some(3), "{:?}", outputs[0].1);
    let signoff = std::fs::read_to_string(scratch.work.join("readiness-signoff.toml")).unwrap();
    assert!(
        signoff.contains("Received: Bearer [redacted token]"),
        "the echoed token is not shown redacted:\n{signoff}"
    );
    scratch.assert_nowhere(jwt, &outputs);
    scratch.assert_nowhere("eyJ0eXAi", &outputs);
}

/// A local HTTPS proxy that records what it is asked to connect to and refuses, so the
/// credential's token request is attempted without leaving the machine.
fn refusing_proxy() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { break };
            let mut head = [0u8; 2048];
            let n = stream.read(&mut head).unwrap_or(0);
            let first = String::from_utf8_lossy(&head[..n])
                .lines()
                .next()
                .unwrap_or_default()
                .to_string();
            log.lock().unwrap().push(first);
            let _ = stream.write_all(b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n");
        }
    });
    (url, seen)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_secret_is_never_shown_and_a_failed_sign_in_is_could_not_check() {
    let scratch = Scratch::new();
    let (proxy, seen) = refusing_proxy();
    // A token only ever goes over https, so the endpoint is https on this machine; the
    // credential fails before any ARM request, and nothing listens there anyway.
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut args = check_args(&format!("https://127.0.0.1:{closed}"), true);
    args[2] = "sp".into();
    args.extend(["--record".into(), "--timeout".into(), "3".into()]);
    let mut cmd = scratch.readiness();
    cmd.env("AZURE_TENANT_ID", "00000000-0000-0000-0000-00000000c0de")
        .env("AZURE_CLIENT_ID", "11111111-1111-1111-1111-111111111111")
        .env("AZURE_CLIENT_SECRET", SECRET)
        .env("HTTPS_PROXY", &proxy)
        .args(&args);
    let check = common::output_off_runtime(cmd).await;
    let stderr = String::from_utf8_lossy(&check.stderr).into_owned();
    let stdout = String::from_utf8_lossy(&check.stdout).into_owned();
    assert_eq!(check.status.code(), Some(3), "{stderr}\n{stdout}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        stdout.contains("could not get an Azure token"),
        "the cause is not the credential:\n{stdout}"
    );
    // The secret was in play: the credential asked Entra ID for a token (through the local
    // proxy, which refused, so nothing left this machine).
    let asked = seen.lock().unwrap().clone();
    assert!(
        asked
            .iter()
            .any(|l| l.starts_with("CONNECT login.microsoftonline.com:443")),
        "{asked:?}"
    );

    // Over plain http the token is refused outright, before any credential is built.
    let mut args = check_args(&format!("http://127.0.0.1:{closed}"), true);
    args[2] = "sp".into();
    let mut cmd = scratch.readiness();
    cmd.env("AZURE_TENANT_ID", "00000000-0000-0000-0000-00000000c0de")
        .env("AZURE_CLIENT_ID", "11111111-1111-1111-1111-111111111111")
        .env("AZURE_CLIENT_SECRET", SECRET)
        .env("HTTPS_PROXY", &proxy)
        .args(&args);
    let plain = common::output_off_runtime(cmd).await;
    let stderr = String::from_utf8_lossy(&plain.stderr).into_owned();
    assert_eq!(plain.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("a bearer token is only ever sent over https"),
        "{stderr}"
    );

    let mut cmd = scratch.readiness();
    cmd.env("AZURE_CLIENT_SECRET", SECRET)
        .args(["attest", "--output", "attestation.md"]);
    let attest = common::output_off_runtime(cmd).await;
    assert_eq!(attest.status.code(), Some(0), "{attest:?}");
    let outputs = vec![
        ("check".to_string(), check),
        ("check over http".to_string(), plain),
        ("attest".to_string(), attest),
    ];
    scratch.assert_nowhere(SECRET, &outputs);
}

#[test]
fn a_template_cannot_copy_environment_variables_into_the_attestation() {
    let scratch = Scratch::new();
    scratch
        .readiness()
        .args(["answer", "net.private-api-server", "--status", "pass"])
        .assert()
        .success();
    std::fs::write(
        scratch.work.join("leak.md.tera"),
        "secret: {{ get_env(name=\"AZURE_CLIENT_SECRET\") }}\n",
    )
    .unwrap();
    let out = scratch
        .readiness()
        .env("AZURE_CLIENT_SECRET", SECRET)
        .args([
            "attest",
            "--template",
            "leak.md.tera",
            "--output",
            "attestation.md",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("`get_env` is not available"), "{stderr}");
    assert!(!scratch.work.join("attestation.md").exists());
    scratch.assert_nowhere(SECRET, &[("attest".to_string(), out)]);
}

#[test]
fn auth_none_is_refused_for_every_endpoint_off_this_machine() {
    let scratch = Scratch::new();
    for endpoint in [
        "https://management.azure.com",
        "http://127.0.0.1.nip.io:8080",
        "http://localhost.example.com",
        "http://127.0.0.1@example.com",
        "http://[::ffff:7f00:1]:8080",
        "http://0.0.0.0:8080",
        "http://10.0.0.1",
    ] {
        let out = scratch
            .readiness()
            .env(readiness::sources::azure::client::TEST_TOKEN_ENV, TOKEN)
            .args(["check", "--auth", "none", "--arm-endpoint", endpoint])
            .args(["--subscription", SUB, "--resource-group", RG])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{endpoint}: {stderr}");
        assert!(
            stderr.contains("only accepted for a loopback endpoint"),
            "{endpoint}: {stderr}"
        );
    }
}

#[test]
fn operator_text_never_becomes_raw_html_in_the_attestation() {
    let scratch = Scratch::new();
    let hostile =
        "<script>alert(1)</script><img src=x onerror=alert(1)> <!-- --> </td></tr> <b>bold</b>";
    let ok = |cmd: &mut assert_cmd::Command| {
        cmd.assert().success();
    };
    ok(scratch.readiness().args([
        "target",
        "--name",
        "<b>prod</b>",
        "--environment",
        "<i>p</i>",
    ]));
    ok(scratch
        .readiness()
        .args([
            "answer",
            "net.private-api-server",
            "--status",
            "pass",
            "--note",
            hostile,
        ])
        .args([
            "--evidence",
            "javascript:alert(1)",
            "--evidence",
            "https://example.org/\"><script>alert(1)</script>",
            "--evidence",
            "<a href=\"https://evil.example\">click</a>",
        ]));
    ok(scratch.readiness().args([
        "answer",
        "k8s.network-policies",
        "--status",
        "risk-accepted",
        "--justification",
        hostile,
        "--expires",
        "2027-01-31",
        "--by",
        "<svg onload=alert(1)>",
    ]));
    ok(scratch.readiness().args([
        "sign",
        "--name",
        "</td><script>x</script>",
        "--role",
        "<u>r</u>",
    ]));
    ok(scratch
        .readiness()
        .args(["attest", "--output", "attestation.md"]));

    let md = std::fs::read_to_string(scratch.work.join("attestation.md")).unwrap();
    // The only HTML in the attestation is what the tool writes itself: `<br>` and the hidden
    // statuses and render-record comments.
    for (n, line) in md.lines().enumerate() {
        let rest = line
            .strip_prefix(readiness::attest::STATUSES_MARKER)
            .or_else(|| line.strip_prefix(readiness::attest::record::RECORD_PREFIX))
            .map_or(line, |json| {
                assert!(
                    json.ends_with(" -->") && !json[..json.len() - 4].contains('<'),
                    "{line}"
                );
                ""
            });
        let rest = rest.replace("<br>", "");
        assert!(!rest.contains('<'), "line {}: raw HTML: {line}", n + 1);
    }
    for text in [
        "&lt;script&gt;",
        "&lt;img src=x onerror=alert(1)&gt;",
        "&lt;b&gt;prod&lt;/b&gt;",
        "&lt;svg onload=alert(1)&gt;",
    ] {
        assert!(
            md.contains(text),
            "{text} missing: the text itself must still be shown"
        );
    }
    // The sign-off keeps the operator's exact text, inside TOML strings only.
    let signoff_text =
        std::fs::read_to_string(scratch.work.join("readiness-signoff.toml")).unwrap();
    let signoff = readiness::signoff::parse("s", &signoff_text).unwrap();
    assert_eq!(signoff.items["net.private-api-server"].note, hostile);
    for line in signoff_text.lines().filter(|l| l.contains('<')) {
        let (key, value) = line.split_once(" = ").unwrap_or_else(|| panic!("{line}"));
        assert!(
            [
                "note",
                "justification",
                "answered_by",
                "name",
                "role",
                "environment",
                "evidence"
            ]
            .contains(&key.trim()),
            "{line}"
        );
        assert!(
            value.starts_with('"') || value.starts_with('[') || value.starts_with('\''),
            "{line}"
        );
    }
}

/// The full-screen wizard, which logs to `$XDG_STATE_HOME/readiness/readiness.log`, runs the
/// automatic checks with the token at start; with every log level on, nothing it writes or
/// draws holds the token.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn the_full_screen_wizard_and_its_log_never_hold_the_token() {
    use portable_pty::{CommandBuilder, PtySize, native_pty_system};
    use std::time::{Duration, Instant};

    let scratch = Scratch::new();
    let fake = FakeArm::start("hardened").await;
    let pty = native_pty_system()
        .openpty(PtySize {
            rows: 30,
            cols: 100,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_readiness"));
    cmd.env_clear();
    cmd.cwd(&scratch.work);
    for (k, v) in [
        ("HOME", scratch.root.join("home")),
        ("XDG_STATE_HOME", scratch.root.join("state")),
        ("TMPDIR", scratch.root.join("tmp")),
    ] {
        cmd.env(k, v);
    }
    cmd.env("TERM", "xterm-256color");
    cmd.env("READINESS_NOW", common::NOW);
    cmd.env("USER", "alice");
    cmd.env("READINESS_LOG", "trace");
    cmd.env(readiness::sources::azure::client::TEST_TOKEN_ENV, TOKEN);
    let mut args = check_args(&fake.uri(), true);
    args[0] = "run".into();
    cmd.args(&args);
    let mut child = pty.slave.spawn_command(cmd).unwrap();
    drop(pty.slave);
    let mut reader = pty.master.try_clone_reader().unwrap();
    let mut writer = pty.master.take_writer().unwrap();
    let screen = Arc::new(Mutex::new(Vec::new()));
    let sink = screen.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock().unwrap().extend_from_slice(&buf[..n]);
        }
    });

    // Wait (polling, against a deadline) until the checks have run and been logged.
    let log = scratch
        .root
        .join("state")
        .join("readiness")
        .join("readiness.log");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let logged = std::fs::read_to_string(&log).unwrap_or_default();
        if logged.contains("automatic checks finished") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the checks did not finish; log:\n{logged}\nscreen:\n{}",
            String::from_utf8_lossy(&screen.lock().unwrap())
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    writer.write_all(b"q").unwrap();
    writer.flush().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the wizard did not quit on q");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let requests = fake.server.received_requests().await.unwrap();
    assert!(requests.len() >= 8, "{} requests", requests.len());
    assert!(requests.iter().all(|r| {
        r.headers.get("authorization").and_then(|v| v.to_str().ok())
            == Some(format!("Bearer {TOKEN}").as_str())
    }));
    let drawn = screen.lock().unwrap().clone();
    assert!(
        !drawn.windows(TOKEN.len()).any(|w| w == TOKEN.as_bytes()),
        "the token was drawn on the screen"
    );
    let logged = std::fs::read_to_string(&log).unwrap();
    eprintln!(
        "{} log lines; {} mention the ARM endpoint",
        logged.lines().count(),
        logged.matches("127.0.0.1").count()
    );
    assert!(!logged.is_empty());
    scratch.assert_nowhere(TOKEN, &[]);
    scratch.assert_nowhere("RECOGNISABLE", &[]);
}
