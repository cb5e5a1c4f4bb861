//! What keeps the local runner local: it serves the demo agents' keys, every ticket
//! (`/dev/state`), customers' media and a WhatsApp simulator without sign-in, so it refuses
//! to listen beyond loopback, to reach real AWS by accident, and to fall back to the public local
//! secrets against a real table; and it answers only requests addressed to it (the Host header,
//! against DNS rebinding) and `/dev` writes only from its own pages (JSON, same origin).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Json, Response};
use helpdesk::platform::config::Env;
use serde_json::json;

/// The flags of `serve` that lift a refusal, each on purpose.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ServeFlags {
    /// `--aws`: the handlers over the AWS endpoints of the environment.
    pub aws: bool,
    /// `--allow-remote`: listen on a non-loopback address although `/dev`, the simulator and
    /// the demo keys are served without sign-in.
    pub allow_remote: bool,
    /// `--real-aws`: `--aws` without `AWS_ENDPOINT_URL`, i.e. against the AWS account of the
    /// credentials in the environment.
    pub real_aws: bool,
    /// `--demo-agents`: with `--aws`, add the demo agents to the table and sign them in with
    /// their demo keys (in memory they always are).
    pub demo_agents: bool,
}

impl ServeFlags {
    pub fn from_args(args: &[String]) -> Self {
        let has = |name: &str| args.iter().any(|a| a == name);
        Self {
            aws: has("--aws"),
            allow_remote: has("--allow-remote"),
            real_aws: has("--real-aws"),
            demo_agents: has("--demo-agents"),
        }
    }
}

/// Why the runner will not start as asked; each message names the setting or flag that changes it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error(
        "refusing to listen on {0}: this runner serves every ticket (/dev/state), the demo agents' keys (/dev/demo-keys), customers' media and the WhatsApp simulator without sign-in, so it listens on loopback only (e.g. --listen 127.0.0.1:8080); pass --allow-remote if everyone who can reach {0} may see all of that"
    )]
    NotLoopback(SocketAddr),
    #[error(
        "refusing --aws without AWS_ENDPOINT_URL: the runner would use the real AWS account of your credentials (its table, its queues, its customers' messages); point AWS_ENDPOINT_URL at an emulator (e.g. http://127.0.0.1:4566), or pass --real-aws if that account is what you mean"
    )]
    NoEndpoint,
    #[error(
        "refusing --aws without {0}: the local default is public (it is in the source), and anyone could sign webhooks or verify the subscription for this table; set {0} to a value of your own (the simulator uses it too)"
    )]
    PublicSecret(&'static str),
    #[error(
        "refusing --real-aws with the simulated WhatsApp: the queue consumers would take real customers' messages off the queues and answer them into the simulator; set WHATSAPP_API_BASE_URL and WHATSAPP_ACCESS_TOKEN, or HELPDESK_LOCAL_CONSUMERS=off to serve without consumers"
    )]
    ConsumersIntoSimulator,
    #[error(
        "refusing --demo-agents with --real-aws: it would add maria, tom and alex to a real table with the public keys demo-maria (a supervisor), demo-tom and demo-alex; add real agents through the agent API"
    )]
    DemoAgentsOnRealAws,
}

/// Loopback only, unless `--allow-remote`.
pub fn check_listen(addr: SocketAddr, flags: ServeFlags) -> Result<(), Refusal> {
    if addr.ip().is_loopback() || flags.allow_remote {
        Ok(())
    } else {
        Err(Refusal::NotLoopback(addr))
    }
}

/// `--aws` reaches an emulator unless `--real-aws`, with secrets of the user's own, and never
/// answers real customers into the simulator or seeds demo agents into a real table.
pub fn check_aws(env: &Env, flags: ServeFlags) -> Result<(), Refusal> {
    if !flags.aws {
        return Ok(());
    }
    let set = |name: &str| env.get(name).is_some_and(|v| !v.trim().is_empty());
    if !flags.real_aws && !set("AWS_ENDPOINT_URL") {
        return Err(Refusal::NoEndpoint);
    }
    for name in [
        helpdesk::platform::config::WHATSAPP_APP_SECRET,
        helpdesk::platform::config::WHATSAPP_VERIFY_TOKEN,
    ] {
        if !set(name) {
            return Err(Refusal::PublicSecret(name));
        }
    }
    if flags.real_aws {
        if flags.demo_agents {
            return Err(Refusal::DemoAgentsOnRealAws);
        }
        let consumers = env.get(crate::consumers::HELPDESK_LOCAL_CONSUMERS) != Some("off");
        if consumers && !set(helpdesk::platform::config::WHATSAPP_API_BASE_URL) {
            return Err(Refusal::ConsumersIntoSimulator);
        }
    }
    Ok(())
}

/// The requests the runner answers: addressed to its own address (Host), and `/dev` writes from
/// its own pages or a command line (JSON, same origin).
#[derive(Debug, Clone)]
pub struct RequestGuard {
    port: u16,
    /// Host names (lower case, IPv6 in brackets) this runner is reached at; `None` accepts any
    /// (`--allow-remote`: the names it is reached by are not known here).
    hosts: Option<Vec<String>>,
}

impl RequestGuard {
    /// For a runner listening on `addr`: loopback names, and the address itself.
    pub fn for_listener(addr: SocketAddr, flags: ServeFlags) -> Self {
        let hosts = (!flags.allow_remote).then(|| {
            let mut hosts: Vec<String> = ["localhost", "127.0.0.1", "[::1]"]
                .iter()
                .map(|h| (*h).to_owned())
                .collect();
            let own = match addr.ip() {
                IpAddr::V4(ip) => ip.to_string(),
                IpAddr::V6(ip) => format!("[{ip}]"),
            };
            if !hosts.contains(&own) {
                hosts.push(own);
            }
            hosts
        });
        Self {
            port: addr.port(),
            hosts,
        }
    }

    /// Whether `host` (a Host header) names this runner.
    pub fn accepts_host(&self, host: &str) -> bool {
        let Some(hosts) = &self.hosts else {
            return true;
        };
        let host = host.trim().to_ascii_lowercase();
        let (name, port) = match host.rsplit_once(':') {
            // "[::1]" has colons inside the brackets and no port after them.
            Some((name, port)) if !port.ends_with(']') => match port.parse::<u16>() {
                Ok(port) => (name.to_owned(), port),
                Err(_) => return false,
            },
            _ => (host.clone(), 80),
        };
        port == self.port && hosts.contains(&name)
    }

    /// Checks one request; `Err` is the answer to give instead.
    pub fn check(&self, method: &Method, path: &str, headers: &HeaderMap) -> Result<(), Turned> {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("");
        if !self.accepts_host(host) {
            return Err(refuse(
                StatusCode::MISDIRECTED_REQUEST,
                "wrong_host",
                format!(
                    "this runner answers requests addressed to it (e.g. Host 127.0.0.1:{}), not {host:?}",
                    self.port
                ),
            ));
        }
        let write = !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
        if write && path.starts_with("/dev/") {
            let json = headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(';').next())
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
            if !json {
                return Err(refuse(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "json_required",
                    "a /dev write needs Content-Type: application/json".into(),
                ));
            }
            if let Some(origin) = headers.get(header::ORIGIN) {
                let same = origin
                    .to_str()
                    .ok()
                    .and_then(|o| o.strip_prefix("http://"))
                    .is_some_and(|o| o.eq_ignore_ascii_case(host));
                if !same {
                    return Err(refuse(
                        StatusCode::FORBIDDEN,
                        "cross_origin",
                        "a /dev write is accepted from this runner's own pages only".into(),
                    ));
                }
            }
            let site = headers
                .get("sec-fetch-site")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("none");
            if !matches!(site, "same-origin" | "none") {
                return Err(refuse(
                    StatusCode::FORBIDDEN,
                    "cross_origin",
                    "a /dev write is accepted from this runner's own pages only".into(),
                ));
            }
        }
        Ok(())
    }
}

/// A request the guard turns away: the status and what to say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Turned {
    pub status: StatusCode,
    pub error: &'static str,
    pub message: String,
}

impl IntoResponse for Turned {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(json!({ "error": self.error, "message": self.message })),
        )
            .into_response()
    }
}

fn refuse(status: StatusCode, error: &'static str, message: String) -> Turned {
    Turned {
        status,
        error,
        message,
    }
}

/// The guard as an axum middleware (`middleware::from_fn_with_state`).
pub async fn guard(
    State(guard): State<Arc<RequestGuard>>,
    request: Request,
    next: Next,
) -> Response {
    match guard.check(request.method(), request.uri().path(), request.headers()) {
        Ok(()) => next.run(request).await,
        Err(turned) => turned.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env::from_pairs(pairs.iter().copied())
    }

    const EMULATOR: &[(&str, &str)] = &[
        ("AWS_ENDPOINT_URL", "http://127.0.0.1:4566"),
        ("WHATSAPP_APP_SECRET", "mine"),
        ("WHATSAPP_VERIFY_TOKEN", "mine-too"),
    ];

    fn aws() -> ServeFlags {
        ServeFlags {
            aws: true,
            ..ServeFlags::default()
        }
    }

    #[test]
    fn a_non_loopback_listen_address_is_refused_unless_allowed_on_purpose() {
        let lan: SocketAddr = "0.0.0.0:8080".parse().unwrap();
        let err = check_listen(lan, ServeFlags::default()).unwrap_err();
        assert!(err.to_string().contains("--allow-remote"), "{err}");
        assert!(err.to_string().contains("/dev/demo-keys"), "{err}");
        assert!(check_listen("192.168.1.5:8080".parse().unwrap(), ServeFlags::default()).is_err());
        let allowed = ServeFlags {
            allow_remote: true,
            ..ServeFlags::default()
        };
        assert_eq!(check_listen(lan, allowed), Ok(()));
        assert_eq!(
            check_listen("127.0.0.1:8080".parse().unwrap(), ServeFlags::default()),
            Ok(())
        );
        assert_eq!(
            check_listen("[::1]:8080".parse().unwrap(), ServeFlags::default()),
            Ok(())
        );
    }

    #[test]
    fn aws_mode_needs_an_explicit_endpoint_unless_real_aws_is_asked_for() {
        let no_endpoint = env(&EMULATOR[1..]);
        let err = check_aws(&no_endpoint, aws()).unwrap_err();
        assert_eq!(err, Refusal::NoEndpoint);
        assert!(err.to_string().contains("--real-aws"), "{err}");
        assert_eq!(check_aws(&env(EMULATOR), aws()), Ok(()));
        assert_eq!(
            check_aws(&no_endpoint, ServeFlags::default()),
            Ok(()),
            "in memory"
        );
    }

    #[test]
    fn aws_mode_never_falls_back_to_the_public_local_secrets() {
        for missing in ["WHATSAPP_APP_SECRET", "WHATSAPP_VERIFY_TOKEN"] {
            let pairs: Vec<(&str, &str)> = EMULATOR
                .iter()
                .copied()
                .filter(|(k, _)| *k != missing)
                .collect();
            let err = check_aws(&env(&pairs), aws()).unwrap_err();
            assert!(err.to_string().contains(missing), "{err}");
        }
    }

    #[test]
    fn real_aws_neither_answers_customers_into_the_simulator_nor_seeds_demo_agents() {
        let real = ServeFlags {
            aws: true,
            real_aws: true,
            ..ServeFlags::default()
        };
        let secrets = env(&EMULATOR[1..]);
        assert_eq!(
            check_aws(&secrets, real),
            Err(Refusal::ConsumersIntoSimulator)
        );
        let mut pairs = EMULATOR[1..].to_vec();
        pairs.push(("HELPDESK_LOCAL_CONSUMERS", "off"));
        assert_eq!(check_aws(&env(&pairs), real), Ok(()));
        pairs.pop();
        pairs.push(("WHATSAPP_API_BASE_URL", "https://graph.facebook.com"));
        assert_eq!(check_aws(&env(&pairs), real), Ok(()));
        let with_demo = ServeFlags {
            demo_agents: true,
            ..real
        };
        assert_eq!(
            check_aws(&env(&pairs), with_demo),
            Err(Refusal::DemoAgentsOnRealAws)
        );
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

    fn status(r: Result<(), Turned>) -> Option<u16> {
        r.err().map(|r| r.status.as_u16())
    }

    #[test]
    fn only_requests_addressed_to_the_runner_are_answered() {
        let g =
            RequestGuard::for_listener("127.0.0.1:8080".parse().unwrap(), ServeFlags::default());
        for host in [
            "127.0.0.1:8080",
            "localhost:8080",
            "LOCALHOST:8080",
            "[::1]:8080",
        ] {
            assert!(g.accepts_host(host), "{host}");
        }
        // A DNS-rebound name, another port, no Host.
        for host in [
            "evil.example:8080",
            "127.0.0.1:9090",
            "localhost",
            "",
            "127.0.0.1:x",
        ] {
            assert!(!g.accepts_host(host), "{host}");
        }
        let get =
            |host: &str| status(g.check(&Method::GET, "/dev/state", &headers(&[("host", host)])));
        assert_eq!(get("rebound.example:8080"), Some(421));
        assert_eq!(get("127.0.0.1:8080"), None);
        let open = RequestGuard::for_listener(
            "0.0.0.0:8080".parse().unwrap(),
            ServeFlags {
                allow_remote: true,
                ..ServeFlags::default()
            },
        );
        assert!(open.accepts_host("helpdesk.lan:8080"));
    }

    #[test]
    fn dev_writes_need_json_from_the_same_origin() {
        let g =
            RequestGuard::for_listener("127.0.0.1:8080".parse().unwrap(), ServeFlags::default());
        let post = |pairs: &[(&str, &str)]| {
            let mut all = vec![("host", "127.0.0.1:8080")];
            all.extend_from_slice(pairs);
            status(g.check(&Method::POST, "/dev/simulator/messages", &headers(&all)))
        };
        // A cross-site form or `fetch` with text/plain (no preflight) is refused...
        assert_eq!(post(&[("content-type", "text/plain")]), Some(415));
        assert_eq!(post(&[]), Some(415));
        assert_eq!(
            post(&[
                ("content-type", "application/json"),
                ("origin", "http://evil.example")
            ]),
            Some(403)
        );
        assert_eq!(
            post(&[
                ("content-type", "application/json"),
                ("sec-fetch-site", "cross-site")
            ]),
            Some(403)
        );
        // ...the runner's own pages and the command line are not.
        assert_eq!(
            post(&[
                ("content-type", "application/json; charset=utf-8"),
                ("origin", "http://127.0.0.1:8080"),
                ("sec-fetch-site", "same-origin"),
            ]),
            None
        );
        assert_eq!(post(&[("content-type", "application/json")]), None);
        // Reads and the API are not /dev writes.
        assert_eq!(
            status(g.check(
                &Method::POST,
                "/api/tickets/x/reply",
                &headers(&[("host", "127.0.0.1:8080")])
            )),
            None
        );
    }
}
