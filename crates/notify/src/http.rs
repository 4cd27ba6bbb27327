//! The HTTP client of the delivery worker: one for the worker's life, so that connections to
//! a receiver are reused, with the address check in its DNS resolver.
//!
//! A webhook URL is checked twice: by name and literal address when it is saved and again
//! before each delivery ([`domain::notification::parse_webhook_url`]; a literal IP never
//! reaches a resolver), and by the addresses its host name resolves to each time the client
//! opens a connection ([`GuardedResolver`]): only public addresses are handed to the
//! connector, so DNS cannot point a delivery at an internal address after the check — the
//! connection goes to exactly the addresses that were checked. No proxy is used (a proxy would
//! connect to the name itself, unchecked), and redirects are not followed.

use std::net::SocketAddr;
use std::sync::Arc;

use domain::notification::is_internal;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::DeliveryConfig;

/// The worker's client: timeouts from `config`, no proxy, no redirects, the guarded resolver.
pub fn client(config: &DeliveryConfig) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .timeout(config.timeout)
        .connect_timeout(config.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(Arc::new(GuardedResolver { allow_private: config.allow_private }))
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))
}

/// Resolves a host name with the system resolver and hands on only its public addresses
/// (all of them when private addresses are allowed). The error says which name failed, never
/// what it resolved to: `last_error` is shown to workspace admins, and an internal host's
/// address is none of their business.
#[derive(Debug, Clone, Copy)]
pub struct GuardedResolver {
    pub allow_private: bool,
}

#[derive(Debug)]
struct Refused(String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

impl GuardedResolver {
    /// The addresses a delivery to `host` may connect to.
    pub async fn lookup(self, host: &str) -> Result<Vec<SocketAddr>, String> {
        let found: Vec<SocketAddr> =
            tokio::net::lookup_host((host, 0)).await.map_err(|_| format!("cannot resolve {host}"))?.collect();
        if found.is_empty() {
            return Err(format!("{host} resolves to no address"));
        }
        if self.allow_private {
            return Ok(found);
        }
        let public: Vec<SocketAddr> = found.into_iter().filter(|a| !is_internal(a.ip())).collect();
        if public.is_empty() {
            return Err(format!("{host} resolves to an internal address: refused"));
        }
        Ok(public)
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let resolver = *self;
        Box::pin(async move {
            match resolver.lookup(name.as_str()).await {
                Ok(addrs) => Ok(Box::new(addrs.into_iter()) as Addrs),
                Err(message) => Err(Box::new(Refused(message)) as Box<dyn std::error::Error + Send + Sync>),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::TcpListener;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    /// A receiver on a loopback port counting the connections it accepts; answers 204.
    fn receiver() -> (u16, Arc<AtomicUsize>) {
        answering(|| "HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n".to_owned())
    }

    /// A receiver on a loopback port counting the connections it accepts; answers `answer()`.
    fn answering(answer: impl Fn() -> String + Send + 'static) -> (u16, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = accepted.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                count.fetch_add(1, Ordering::SeqCst);
                let mut buf = [0u8; 4096];
                let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
                let _ = stream.read(&mut buf);
                let _ = stream.write_all(answer().as_bytes());
            }
        });
        (port, accepted)
    }

    fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
        let mut cause = e;
        while let Some(next) = cause.source() {
            cause = next;
        }
        cause.to_string()
    }

    #[tokio::test]
    async fn internal_names_are_refused_without_saying_where_they_point() {
        let strict = GuardedResolver { allow_private: false };
        let error = strict.lookup("localhost").await.unwrap_err();
        assert_eq!(error, "localhost resolves to an internal address: refused");
        assert!(!error.contains("127.0.0.1") && !error.contains("::1"), "{error}");
        let lax = GuardedResolver { allow_private: true };
        let addrs = lax.lookup("localhost").await.unwrap();
        assert!(addrs.iter().all(|a| a.ip().is_loopback()), "{addrs:?}");
    }

    /// The client itself goes through the guard: a request to a name that resolves to a
    /// loopback receiver never connects, and its error does not reveal the address.
    #[tokio::test]
    async fn the_client_connects_only_to_checked_addresses() {
        let (port, accepted) = receiver();
        let strict = client(&DeliveryConfig::default()).unwrap();
        let error = strict.post(format!("http://localhost:{port}/hook")).send().await.unwrap_err();
        let cause = root_cause(&error);
        assert_eq!(cause, "localhost resolves to an internal address: refused");
        assert_eq!(accepted.load(Ordering::SeqCst), 0, "the receiver was reached");

        let lax = client(&DeliveryConfig { allow_private: true, ..DeliveryConfig::default() }).unwrap();
        let answer = lax.post(format!("http://localhost:{port}/hook")).send().await.unwrap();
        assert_eq!(answer.status(), 204);
        assert_eq!(accepted.load(Ordering::SeqCst), 1);
    }

    /// A redirect is an answer, not an order: the client never follows one (it would go
    /// where nobody checked, and the receiver is told to answer 2xx).
    #[tokio::test]
    async fn redirects_are_not_followed() {
        let (target, reached) = receiver();
        let (port, _) = answering(move || {
            format!(
                "HTTP/1.1 307 Temporary Redirect\r\nlocation: http://127.0.0.1:{target}/\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            )
        });
        let lax = client(&DeliveryConfig { allow_private: true, ..DeliveryConfig::default() }).unwrap();
        let answer = lax.post(format!("http://127.0.0.1:{port}/hook")).send().await.unwrap();
        assert_eq!(answer.status(), 307);
        assert_eq!(reached.load(Ordering::SeqCst), 0, "the redirect was followed");
    }

    /// The client ignores `HTTP_PROXY`: run in a child process of this test binary with the
    /// variable pointing at a listener standing in for a proxy, which must see no connection.
    #[test]
    fn proxies_from_the_environment_are_ignored() {
        if std::env::var_os("NOTIFY_PROXY_CHILD").is_some() {
            return;
        }
        let proxy = TcpListener::bind("127.0.0.1:0").unwrap();
        let proxy_url = format!("http://{}", proxy.local_addr().unwrap());
        let output = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "http::tests::child_delivers_directly", "--nocapture", "--include-ignored"])
            .env("NOTIFY_PROXY_CHILD", "1")
            .env("HTTP_PROXY", &proxy_url)
            .env("http_proxy", &proxy_url)
            .env("ALL_PROXY", &proxy_url)
            .env_remove("NO_PROXY")
            .env_remove("no_proxy")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
        assert!(stdout.contains("1 passed"), "the child test did not run: {stdout}");
        proxy.set_nonblocking(true).unwrap();
        assert!(proxy.accept().is_err(), "the delivery went through the proxy");
    }

    #[tokio::test]
    #[ignore = "run by proxies_from_the_environment_are_ignored with HTTP_PROXY set"]
    async fn child_delivers_directly() {
        assert!(std::env::var_os("HTTP_PROXY").is_some());
        let (port, accepted) = receiver();
        let lax = client(&DeliveryConfig { allow_private: true, ..DeliveryConfig::default() }).unwrap();
        let answer = lax.post(format!("http://127.0.0.1:{port}/hook")).send().await.unwrap();
        assert_eq!(answer.status(), 204);
        assert_eq!(accepted.load(Ordering::SeqCst), 1);
    }
}
