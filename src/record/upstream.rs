//! The proxy's way upstream: hyper's own HTTP/1.1 client over plain TCP or rustls, one
//! upstream connection per client connection, made when its first request comes and kept
//! while the client's connection stays open (no pool, no lock, no URL parse per request).
//!
//! TLS trusts what the API client trusts: the bundled web roots, the platform's (or
//! `SSL_CERT_FILE` / `SSL_CERT_DIR`'s, read by `rustls-native-certs`) and `--cacert`.

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::HeaderValue;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;

/// How long a TCP connection and its TLS handshake may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Where requests go: the upstream's address, the `Host` they carry, the path prefix.
pub struct Target {
    host: HostAddr,
    port: u16,
    /// The `Host` header of every request (the port only when it is not the scheme's).
    pub authority: HeaderValue,
    /// The upstream URL's path without its trailing `/` (`""` for none), put before each
    /// request's path.
    pub prefix: String,
    tls: Option<(tokio_rustls::TlsConnector, ServerName<'static>)>,
}

enum HostAddr {
    Ip(IpAddr),
    Name(String),
}

impl Target {
    /// The target of an upstream URL (`http` or `https`; the command checked it already).
    pub fn new(url: &reqwest::Url, cacert: Option<&Path>) -> anyhow::Result<Target> {
        let https = match url.scheme() {
            "https" => true,
            "http" => false,
            s => anyhow::bail!("upstream scheme {s} is not http or https"),
        };
        let port = url
            .port_or_known_default()
            .ok_or_else(|| anyhow::anyhow!("upstream URL has no port"))?;
        let host_str = url.host_str().unwrap_or_default();
        if host_str.is_empty() {
            anyhow::bail!("upstream URL has no host");
        }
        let bare = host_str.trim_start_matches('[').trim_end_matches(']');
        let (host, sni) = match bare.parse::<IpAddr>() {
            Ok(ip) => (HostAddr::Ip(ip), ServerName::from(ip)),
            Err(_) => (
                HostAddr::Name(bare.to_string()),
                ServerName::try_from(bare.to_string())
                    .map_err(|e| anyhow::anyhow!("upstream host {bare}: {e}"))?,
            ),
        };
        let authority = match url.port() {
            Some(p) => format!("{host_str}:{p}"),
            None => host_str.to_string(),
        };
        let tls = if https {
            let config = client_config(cacert)?;
            Some((tokio_rustls::TlsConnector::from(Arc::new(config)), sni))
        } else {
            None
        };
        Ok(Target {
            host,
            port,
            authority: HeaderValue::from_str(&authority)?,
            prefix: url.path().trim_end_matches('/').to_string(),
            tls,
        })
    }

    /// Opens a connection upstream; its driving task runs until the returned sender is
    /// dropped (or the upstream closes it).
    pub async fn connect<B>(&self) -> Result<SendRequest<B>, String>
    where
        B: Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        let open = async {
            let tcp = match &self.host {
                HostAddr::Ip(ip) => TcpStream::connect(SocketAddr::new(*ip, self.port)).await,
                HostAddr::Name(n) => TcpStream::connect((n.as_str(), self.port)).await,
            }
            .map_err(|e| format!("tcp connect error: {e}"))?;
            let _ = tcp.set_nodelay(true);
            match &self.tls {
                None => handshake(tcp).await,
                Some((c, name)) => {
                    let tls = c
                        .connect(name.clone(), tcp)
                        .await
                        .map_err(|e| format!("tls handshake failed: {e}"))?;
                    handshake(tls).await
                }
            }
        };
        match tokio::time::timeout(CONNECT_TIMEOUT, open).await {
            Ok(r) => r,
            Err(_) => Err(format!(
                "tcp connect error: timed out after {}s",
                CONNECT_TIMEOUT.as_secs()
            )),
        }
    }
}

async fn handshake<T, B>(io: T) -> Result<SendRequest<B>, String>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    let (send, conn) = http1::Builder::new()
        .handshake(TokioIo::new(io))
        .await
        .map_err(|e| format!("http handshake failed: {e}"))?;
    tokio::spawn(async move {
        // Its errors reach the request in flight (a cut-off body, a failed send).
        let _ = conn.await;
    });
    Ok(send)
}

/// The TLS settings reqwest's rustls client used: TLS 1.2 and 1.3 with ring, ALPN
/// `http/1.1`, the bundled roots, the platform's and `--cacert`'s.
fn client_config(cacert: Option<&Path>) -> anyhow::Result<rustls::ClientConfig> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    // Native stores often hold a few certificates rustls cannot parse: they are skipped.
    for cert in rustls_native_certs::load_native_certs().certs {
        let _ = roots.add(cert);
    }
    if let Some(path) = cacert {
        let bytes = std::fs::read(path)
            .map_err(|e| anyhow::anyhow!("--cacert: cannot read {}: {e}", path.display()))?;
        for cert in CertificateDer::pem_slice_iter(&bytes) {
            let cert = cert.map_err(|e| {
                anyhow::anyhow!(
                    "--cacert: {} is not a PEM certificate bundle: {e}",
                    path.display()
                )
            })?;
            roots
                .add(cert)
                .map_err(|e| anyhow::anyhow!("--cacert: {}: {e}", path.display()))?;
        }
    }
    let provider = rustls::crypto::CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()));
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(rustls::ALL_VERSIONS)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// Sends on the client connection's upstream connection, opening one when there is none or
/// it was closed. A request a reused connection could not take (the upstream closed it as
/// it idled) goes once more on a new one: it was not sent.
pub async fn send<B>(
    target: &Target,
    conn: &Upstream<B>,
    mut req: Request<B>,
) -> Result<Response<Incoming>, String>
where
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    let mut held = conn.lock().unwrap_or_else(|e| e.into_inner()).take();
    loop {
        let ready = match held.take() {
            Some(mut s) => s.ready().await.is_ok().then_some(s),
            None => None,
        };
        let reused = ready.is_some();
        let mut sender = match ready {
            Some(s) => s,
            None => target.connect().await?,
        };
        match sender.try_send_request(req).await {
            Ok(resp) => {
                // Ready again once this answer's body is read through.
                *conn.lock().unwrap_or_else(|e| e.into_inner()) = Some(sender);
                return Ok(resp);
            }
            Err(mut e) => match e.take_message() {
                Some(r) if reused => req = r,
                _ => return Err(error_chain(e.error())),
            },
        }
    }
}

/// True when a proxy for outgoing requests is set in the environment (reqwest's variables,
/// either case).
pub fn proxy_configured() -> bool {
    ["HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY"].iter().any(|v| {
        [v.to_string(), v.to_ascii_lowercase()]
            .iter()
            .any(|v| std::env::var_os(v).is_some_and(|x| !x.is_empty()))
    })
}

pub fn path_and_query(uri: &hyper::Uri) -> &str {
    uri.path_and_query().map_or("/", |p| p.as_str())
}

/// A request's path (and query) under the upstream's path prefix, in origin form (a client
/// that sent the absolute form has its path sent only).
pub fn upstream_uri(prefix: &str, uri: &hyper::Uri) -> Result<hyper::Uri, hyper::http::Error> {
    let pq = path_and_query(uri);
    if prefix.is_empty() {
        if uri.scheme().is_none() && uri.authority().is_none() {
            return Ok(uri.clone());
        }
        return hyper::Uri::builder().path_and_query(pq).build();
    }
    let mut s = String::with_capacity(prefix.len() + pq.len());
    s.push_str(prefix);
    s.push_str(pq);
    Ok(hyper::Uri::try_from(s)?)
}

/// A client connection's upstream connection, when it has one.
pub type Upstream<B> = Mutex<Option<SendRequest<B>>>;

/// An error and its causes on one line, keys removed.
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(c) = src {
        let m = c.to_string();
        if !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        src = c.source();
    }
    crate::redact::keys(&s)
}

/// The request body as reqwest takes it (`Sync`; reached through `get_mut`, never locked).
pub struct SyncBody<B>(pub Mutex<B>);

impl<B: Body + Unpin> Body for SyncBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<B::Data>, B::Error>>> {
        let inner = self
            .get_mut()
            .0
            .get_mut()
            .unwrap_or_else(|e| e.into_inner());
        Pin::new(inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.0.lock().map(|b| b.is_end_stream()).unwrap_or(false)
    }

    fn size_hint(&self) -> SizeHint {
        self.0.lock().map(|b| b.size_hint()).unwrap_or_default()
    }
}

/// The upstream's answer body: from hyper's client (`Left`), or from reqwest through a proxy
/// (`Right`).
pub type UpBody = http_body_util::Either<Incoming, reqwest::Body>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_go_under_the_upstream_prefix_in_origin_form() {
        let u = |prefix: &str, uri: &str| {
            upstream_uri(prefix, &uri.parse::<hyper::Uri>().unwrap())
                .unwrap()
                .to_string()
        };
        assert_eq!(u("", "/v1/messages?beta=true"), "/v1/messages?beta=true");
        assert_eq!(u("", "http://proxy.example/v1/messages"), "/v1/messages");
        assert_eq!(
            u("/gateway", "/v1/messages?beta=true"),
            "/gateway/v1/messages?beta=true"
        );
        assert_eq!(u("/gateway", "/"), "/gateway/");
    }

    fn target(url: &str) -> Target {
        Target::new(&reqwest::Url::parse(url).unwrap(), None).unwrap()
    }

    #[test]
    fn host_header_and_prefix() {
        let t = target("https://api.anthropic.com");
        assert_eq!(t.authority, "api.anthropic.com");
        assert_eq!(t.prefix, "");
        assert_eq!(t.port, 443);
        assert!(t.tls.is_some());
        let t = target("http://127.0.0.1:8080/gateway/");
        assert_eq!(t.authority, "127.0.0.1:8080");
        assert_eq!(t.prefix, "/gateway");
        assert!(t.tls.is_none());
        let t = target("http://[::1]:9000/a/b");
        assert_eq!(t.authority, "[::1]:9000");
        assert_eq!(t.prefix, "/a/b");
        assert!(matches!(t.host, HostAddr::Ip(ip) if ip.is_loopback()));
        // The scheme's own port is not named.
        let t = target("http://example.com:80");
        assert_eq!(t.authority, "example.com");
        assert_eq!(t.port, 80);
    }

    #[tokio::test]
    async fn a_closed_port_is_a_connect_error() {
        let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = free.local_addr().unwrap();
        drop(free);
        let t = target(&format!("http://{addr}"));
        let e = t
            .connect::<http_body_util::Empty<bytes::Bytes>>()
            .await
            .unwrap_err();
        assert!(e.starts_with("tcp connect error"), "{e}");
    }

    #[tokio::test]
    async fn a_plain_http_server_is_no_tls_server() {
        // Something that answers TCP but speaks no TLS: the handshake fails with a message.
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move {
            use tokio::io::AsyncWriteExt;
            if let Ok((mut s, _)) = l.accept().await {
                let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n").await;
            }
        });
        let t = target(&format!("https://localhost:{}", addr.port()));
        let e = t
            .connect::<http_body_util::Empty<bytes::Bytes>>()
            .await
            .unwrap_err();
        assert!(e.starts_with("tls"), "{e}");
    }
}
