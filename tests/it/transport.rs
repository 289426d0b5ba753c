//! Transport conventions, against servers on 127.0.0.1:
//!
//! - a local HTTPS server whose certificate is signed by a private CA made in the test
//!   (rcgen): `limits` trusts it through `SSL_CERT_FILE` or `--cacert`, and without either
//!   fails with exit 3 and a TLS hint;
//! - `ANTHROPIC_AUTH_TOKEN` is sent as `Authorization: Bearer` and wins over
//!   `ANTHROPIC_API_KEY`, as in Claude Code;
//! - `ANTHROPIC_CUSTOM_HEADERS` reaches the server on every request.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::Full;
use hyper::body::Bytes;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ADMIN_KEY: &str = "sk-ant-admin01-TRANSPORT-0a1b2c3d4e5f-never-print";
const API_KEY: &str = "sk-ant-api03-TRANSPORT-9f8e7d6c5b4a-never-print";
const TOKEN: &str = "wif-token-TRANSPORT-77aa88bb99cc-never-print";

/// Headers of every request the HTTPS server saw: (path, lower-case name, value).
type Seen = Arc<Mutex<Vec<(String, String, String)>>>;

struct Pki {
    _dir: tempfile::TempDir,
    ca_pem: PathBuf,
    /// The directory holding only the CA, for SSL_CERT_DIR.
    ca_dir: PathBuf,
    chain: Vec<rustls::pki_types::CertificateDer<'static>>,
    key: rustls::pki_types::PrivateKeyDer<'static>,
}

/// A private CA and a server certificate for 127.0.0.1 and localhost signed by it.
fn pki() -> Pki {
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "claude-429 test private CA");
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_key = KeyPair::generate().unwrap();
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);

    let mut leaf =
        CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()]).unwrap();
    leaf.distinguished_name
        .push(DnType::CommonName, "claude-429 test server");
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let leaf_key = KeyPair::generate().unwrap();
    let leaf_cert = leaf.signed_by(&leaf_key, &issuer).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let ca_dir = dir.path().join("certs");
    std::fs::create_dir(&ca_dir).unwrap();
    let ca_pem = dir.path().join("private-ca.pem");
    std::fs::write(&ca_pem, ca_cert.pem()).unwrap();
    std::fs::write(ca_dir.join("private-ca.pem"), ca_cert.pem()).unwrap();
    Pki {
        _dir: dir,
        ca_pem,
        ca_dir,
        chain: vec![leaf_cert.der().clone()],
        key: rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()),
    }
}

fn org_limits() -> Value {
    let text =
        std::fs::read_to_string(crate::common::fixture("limits/org_rate_limits.json")).unwrap();
    json!({"data": serde_json::from_str::<Value>(&text).unwrap(), "next_page": null})
}

/// An HTTPS server on 127.0.0.1 serving the Rate Limits API listing, recording headers.
struct HttpsServer {
    addr: SocketAddr,
    seen: Seen,
    rt: Option<tokio::runtime::Runtime>,
}

impl Drop for HttpsServer {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

fn https_server(pki: &Pki) -> HttpsServer {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(pki.chain.clone(), pki.key.clone_key())
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let seen: Seen = Arc::default();
    let body = Bytes::from(org_limits().to_string());
    let seen2 = seen.clone();
    rt.spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let acceptor = acceptor.clone();
            let seen = seen2.clone();
            let body = body.clone();
            tokio::spawn(async move {
                // A client that does not trust the CA aborts the handshake: nothing to serve.
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let service = hyper::service::service_fn(move |req: hyper::Request<_>| {
                    let seen = seen.clone();
                    let body = body.clone();
                    async move {
                        let p = req.uri().path().to_string();
                        for (k, v) in req.headers() {
                            seen.lock().unwrap().push((
                                p.clone(),
                                k.as_str().to_string(),
                                v.to_str().unwrap_or("").to_string(),
                            ));
                        }
                        let resp = if p == "/v1/organizations/rate_limits" {
                            hyper::Response::builder()
                                .header("content-type", "application/json")
                                .body(Full::new(body))
                        } else {
                            hyper::Response::builder()
                                .status(404)
                                .body(Full::new(Bytes::from_static(b"{}")))
                        };
                        Ok::<_, Infallible>(resp.unwrap())
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    HttpsServer {
        addr,
        seen,
        rt: Some(rt),
    }
}

struct Run {
    code: i32,
    out: String,
    err: String,
}

/// The binary with no ANTHROPIC_* or TLS variables from the shell.
fn claude(base: &str) -> assert_cmd::Command {
    let mut c = crate::common::bin();
    c.env("ANTHROPIC_BASE_URL", base)
        .timeout(Duration::from_secs(60));
    c
}

fn run(mut c: assert_cmd::Command) -> Run {
    let o = c.output().expect("runs");
    let r = Run {
        code: o.status.code().unwrap_or(-1),
        out: String::from_utf8_lossy(&o.stdout).into_owned(),
        err: String::from_utf8_lossy(&o.stderr).into_owned(),
    };
    for s in [ADMIN_KEY, API_KEY, TOKEN] {
        assert!(
            !r.out.contains(s) && !r.err.contains(s),
            "a secret was printed\n{}\n{}",
            r.out,
            r.err
        );
    }
    r
}

fn limits(server: &HttpsServer) -> assert_cmd::Command {
    let mut c = claude(&format!("https://127.0.0.1:{}", server.addr.port()));
    c.env("ANTHROPIC_ADMIN_KEY", ADMIN_KEY)
        .args(["limits", "--json", "--max-retries", "0"]);
    c
}

fn assert_limits_listed(r: &Run) {
    assert_eq!(r.code, 0, "stdout:\n{}\nstderr:\n{}", r.out, r.err);
    let v: Value = serde_json::from_str(&r.out).unwrap();
    let groups = v["groups"].as_array().unwrap();
    assert!(
        groups.iter().any(|g| g["group_id"] == "rlg_01SONNET"),
        "{}",
        r.out
    );
}

#[test]
fn limits_trusts_a_private_ca_from_ssl_cert_file() {
    let pki = pki();
    let server = https_server(&pki);
    let mut c = limits(&server);
    c.env("SSL_CERT_FILE", &pki.ca_pem);
    assert_limits_listed(&run(c));
}

#[test]
fn limits_trusts_a_private_ca_from_ssl_cert_dir() {
    let pki = pki();
    let server = https_server(&pki);
    let mut c = limits(&server);
    c.env("SSL_CERT_DIR", &pki.ca_dir);
    assert_limits_listed(&run(c));
}

#[test]
fn limits_trusts_a_private_ca_from_cacert() {
    let pki = pki();
    let server = https_server(&pki);
    let mut c = limits(&server);
    c.arg("--cacert").arg(&pki.ca_pem);
    assert_limits_listed(&run(c));
}

#[test]
fn untrusted_certificate_exits_3_with_a_tls_hint() {
    let pki = pki();
    let server = https_server(&pki);
    let r = run(limits(&server));
    eprintln!("{}", r.err);
    assert_eq!(r.code, 3, "stdout:\n{}\nstderr:\n{}", r.out, r.err);
    assert!(r.out.is_empty(), "{}", r.out);
    assert!(r.err.contains("TLS failure"), "{}", r.err);
    assert!(
        r.err
            .contains("hint: the server's certificate is not trusted"),
        "{}",
        r.err
    );
    assert!(
        r.err.contains("SSL_CERT_FILE") && r.err.contains("--cacert"),
        "{}",
        r.err
    );
    // The request never reached the server.
    assert!(server.seen.lock().unwrap().is_empty());
}

#[test]
fn cacert_that_is_not_a_certificate_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let bogus = dir.path().join("ca.pem");
    std::fs::write(&bogus, "not a certificate").unwrap();
    let mut c = claude("https://127.0.0.1:9");
    c.env("ANTHROPIC_ADMIN_KEY", ADMIN_KEY)
        .args(["limits", "--cacert"])
        .arg(&bogus);
    let r = run(c);
    assert_eq!(r.code, 2, "{}", r.err);
    assert!(r.err.contains("no PEM certificate"), "{}", r.err);
}

#[test]
fn custom_headers_reach_the_https_server() {
    let pki = pki();
    let server = https_server(&pki);
    let mut c = limits(&server);
    c.env("SSL_CERT_FILE", &pki.ca_pem).env(
        "ANTHROPIC_CUSTOM_HEADERS",
        "X-Gateway-Team: infra\nX-Trace-Id: trace-42\n\nnot a header line",
    );
    let r = run(c);
    assert_limits_listed(&r);
    assert!(
        r.err.contains("ANTHROPIC_CUSTOM_HEADERS line 4"),
        "{}",
        r.err
    );
    let seen = server.seen.lock().unwrap();
    let has = |n: &str, v: &str| seen.iter().any(|(_, k, x)| k == n && x == v);
    assert!(has("x-gateway-team", "infra"), "{seen:?}");
    assert!(has("x-trace-id", "trace-42"), "{seen:?}");
    assert!(has("x-api-key", ADMIN_KEY));
}

// ---------------------------------------------------------------------------------------
// probe: ANTHROPIC_AUTH_TOKEN and custom headers (plain HTTP on 127.0.0.1).

fn ok_answer() -> ResponseTemplate {
    let mut t = ResponseTemplate::new(200)
        .set_body_json(
            json!({"id": "msg_01", "type": "message", "role": "assistant",
            "model": "claude-sonnet-4-5", "content": [{"type": "text", "text": "Hi"}],
            "stop_reason": "max_tokens", "usage": {"input_tokens": 9, "output_tokens": 1}}),
        )
        .insert_header("request-id", "req_transport01");
    let reset = (chrono::Utc::now() + chrono::Duration::seconds(5))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    for (name, l, r) in [
        ("requests", 4000, 3999),
        ("input-tokens", 2_000_000, 1_999_000),
        ("output-tokens", 400_000, 400_000),
        ("tokens", 2_000_000, 1_999_000),
    ] {
        t = t
            .insert_header(format!("anthropic-ratelimit-{name}-limit"), l.to_string())
            .insert_header(
                format!("anthropic-ratelimit-{name}-remaining"),
                r.to_string(),
            )
            .insert_header(format!("anthropic-ratelimit-{name}-reset"), reset.as_str());
    }
    t
}

async fn messages_server() -> MockServer {
    let s = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .respond_with(ok_answer())
        .mount(&s)
        .await;
    s
}

async fn probe_headers(s: &MockServer) -> Vec<reqwest::header::HeaderMap> {
    s.received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.url.path() == "/v1/messages")
        .map(|r| {
            let mut h = reqwest::header::HeaderMap::new();
            for (k, v) in r.headers.iter() {
                if let (Ok(k), Ok(v)) = (
                    reqwest::header::HeaderName::from_bytes(k.as_str().as_bytes()),
                    reqwest::header::HeaderValue::from_bytes(v.as_bytes()),
                ) {
                    h.append(k, v);
                }
            }
            h
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn probe_with_only_an_auth_token_sends_bearer() {
    let s = messages_server().await;
    let mut c = claude(&s.uri());
    c.env("ANTHROPIC_AUTH_TOKEN", TOKEN)
        .env("ANTHROPIC_CUSTOM_HEADERS", "X-Gateway-Team: infra")
        .args(["probe", "--model", "claude-sonnet-4-5", "--json"]);
    let r = tokio::task::spawn_blocking(move || run(c)).await.unwrap();
    assert_eq!(r.code, 0, "stdout:\n{}\nstderr:\n{}", r.out, r.err);
    let reqs = probe_headers(&s).await;
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0]["authorization"], format!("Bearer {TOKEN}").as_str());
    assert!(reqs[0].get("x-api-key").is_none());
    assert_eq!(reqs[0]["x-gateway-team"], "infra");
    assert_eq!(reqs[0]["anthropic-version"], "2023-06-01");
}

#[tokio::test(flavor = "multi_thread")]
async fn auth_token_wins_over_api_key_as_in_claude_code() {
    let s = messages_server().await;
    let mut c = claude(&s.uri());
    c.env("ANTHROPIC_AUTH_TOKEN", TOKEN)
        .env("ANTHROPIC_API_KEY", API_KEY)
        .args(["probe", "--model", "claude-sonnet-4-5"]);
    let r = tokio::task::spawn_blocking(move || run(c)).await.unwrap();
    assert_eq!(r.code, 0, "stdout:\n{}\nstderr:\n{}", r.out, r.err);
    let reqs = probe_headers(&s).await;
    assert_eq!(reqs[0]["authorization"], format!("Bearer {TOKEN}").as_str());
    assert!(reqs[0].get("x-api-key").is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn api_key_file_wins_over_the_auth_token() {
    let s = messages_server().await;
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("key");
    std::fs::write(&key_file, API_KEY).unwrap();
    let mut c = claude(&s.uri());
    c.env("ANTHROPIC_AUTH_TOKEN", TOKEN)
        .args(["probe", "--model", "claude-sonnet-4-5", "--api-key-file"])
        .arg(&key_file);
    let r = tokio::task::spawn_blocking(move || run(c)).await.unwrap();
    assert_eq!(r.code, 0, "stdout:\n{}\nstderr:\n{}", r.out, r.err);
    let reqs = probe_headers(&s).await;
    assert_eq!(reqs[0]["x-api-key"], API_KEY);
    assert!(reqs[0].get("authorization").is_none());
}

#[test]
fn dry_run_shows_the_bearer_header_without_the_token() {
    let mut c = claude("http://127.0.0.1:9");
    c.env("ANTHROPIC_AUTH_TOKEN", TOKEN).args([
        "probe",
        "--dry-run",
        "--model",
        "claude-sonnet-4-5",
    ]);
    let r = run(c);
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(
        r.out
            .contains("authorization: Bearer <redacted: from ANTHROPIC_AUTH_TOKEN>"),
        "{}",
        r.out
    );
    assert!(!r.out.contains("x-api-key"), "{}", r.out);
}

// ---------------------------------------------------------------------------------------
// `record`'s upstream client trusts the same roots as the API client.

/// `record` in front of the private-CA HTTPS server, as the built binary; `extra` adds flags
/// or environment (`--cacert FILE` / `SSL_CERT_FILE`). Returns the child and its address.
fn start_record(
    server: &HttpsServer,
    dir: &Path,
    flags: &[&str],
    env: &[(&str, &Path)],
) -> (std::process::Child, String) {
    let mut c = crate::common::std_bin();
    for (k, v) in env {
        c.env(k, v);
    }
    let mut child = c
        .args(["record", "--listen", "127.0.0.1:0", "--upstream"])
        .arg(format!("https://127.0.0.1:{}", server.addr.port()))
        .arg("--out")
        .arg(dir)
        .args(flags)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let line = crate::common::server::first_stderr_line(&mut child);
    assert!(line.contains("listening on"), "{line}");
    let addr = line.trim().rsplit("http://").next().unwrap().to_string();
    (child, format!("http://{addr}"))
}

fn stop(mut child: std::process::Child) {
    let pid = child.id().to_string();
    let _ = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status();
    let _ = child.wait();
}

#[test]
fn record_upstream_trusts_a_private_ca_from_cacert_and_ssl_cert_file() {
    let pki = pki();
    let server = https_server(&pki);
    let tmp = tempfile::tempdir().unwrap();
    let ca = pki.ca_pem.to_str().unwrap();
    for (i, (flags, env)) in [
        (vec!["--cacert", ca], vec![]),
        (vec![], vec![("SSL_CERT_FILE", pki.ca_pem.as_path())]),
    ]
    .into_iter()
    .enumerate()
    {
        let (child, base) = start_record(&server, &tmp.path().join(format!("ok{i}")), &flags, &env);
        let r = run(limits_via(&base));
        stop(child);
        assert_limits_listed(&r);
    }
    assert!(
        server
            .seen
            .lock()
            .unwrap()
            .iter()
            .any(|(p, k, _)| p == "/v1/organizations/rate_limits" && k == "x-api-key")
    );
}

#[test]
fn record_upstream_without_the_ca_answers_502() {
    let pki = pki();
    let server = https_server(&pki);
    let tmp = tempfile::tempdir().unwrap();
    let (child, base) = start_record(&server, &tmp.path().join("rec"), &[], &[]);
    let r = run(limits_via(&base));
    stop(child);
    assert_eq!(r.code, 3, "stdout:\n{}\nstderr:\n{}", r.out, r.err);
    assert!(r.err.contains("502"), "{}", r.err);
}

#[test]
fn record_cacert_that_is_not_a_certificate_is_a_usage_error() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.pem");
    std::fs::write(&bad, "not a certificate").unwrap();
    let r = run({
        let mut c = claude("http://127.0.0.1:9");
        c.args(["record", "--cacert"]).arg(&bad);
        c
    });
    assert_eq!(r.code, 2, "{}", r.err);
}

fn limits_via(base: &str) -> assert_cmd::Command {
    let mut c = claude(base);
    c.env("ANTHROPIC_ADMIN_KEY", ADMIN_KEY)
        .args(["limits", "--json", "--max-retries", "0"]);
    c
}
