//! Public URL discovery for `listen --tunnel`: ask a running ngrok agent (its local API), or
//! start `ngrok` / `cloudflared` as a child process and read the URL it prints. A child started
//! here is stopped when `listen` ends ([`TunnelProcess::stop`], and `kill_on_drop` otherwise).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::process::Stdio;
use std::time::Duration;

use serde::Deserialize;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};

/// The ngrok agent API when `--ngrok-api` is not given.
pub const DEFAULT_NGROK_API: &str = "http://127.0.0.1:4040";

/// How long a started tunnel program may take to print its URL.
pub const START_TIMEOUT: Duration = Duration::from_secs(30);

/// How many of a failed program's last output lines the error shows.
const KEPT_LINES: usize = 6;

/// Which tunnel `--tunnel` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TunnelKind {
    /// A running agent's API, or `ngrok http PORT` started by callwatch.
    Ngrok,
    /// A quick tunnel (`cloudflared tunnel --url …`) started by callwatch.
    Cloudflared,
}

/// A public URL found for the listener.
#[derive(Debug)]
pub struct Discovered {
    /// The tunnel's public base URL, e.g. `https://abc.ngrok-free.app` (no path).
    pub base_url: String,
    /// Where it came from, for the header: "ngrok agent API", "cloudflared (started by callwatch)".
    pub source: String,
    /// The tunnel program callwatch started, if it started one.
    pub process: Option<TunnelProcess>,
}

impl Discovered {
    /// The public URL for an events path: the base URL followed by `events_path`.
    pub fn public_url(&self, events_path: &str) -> String {
        format!("{}{events_path}", self.base_url.trim_end_matches('/'))
    }
}

/// Why no public URL could be found; each says what to do instead.
#[derive(Debug, thiserror::Error)]
pub enum TunnelError {
    /// The program is not on `PATH`.
    #[error(
        "`{program}` was not found on PATH: install it, or start a tunnel yourself and pass \
         --public-url https://<tunnel>/events"
    )]
    NotInstalled {
        /// `ngrok` or `cloudflared`.
        program: &'static str,
    },
    /// The program could not be started for another reason.
    #[error("cannot start `{program}`: {source}")]
    Spawn {
        /// `ngrok` or `cloudflared`.
        program: &'static str,
        /// The OS error.
        source: std::io::Error,
    },
    /// The program ended before printing a URL.
    #[error("`{program}` exited ({status}) before printing a public URL{}", last_lines(.output))]
    Exited {
        /// `ngrok` or `cloudflared`.
        program: &'static str,
        /// Its exit status, as text.
        status: String,
        /// Its last output lines.
        output: Vec<String>,
    },
    /// The program printed no URL in time.
    #[error("`{program}` printed no public URL within {} s{}", .waited.as_secs(), last_lines(.output))]
    Timeout {
        /// `ngrok` or `cloudflared`.
        program: &'static str,
        /// How long callwatch waited.
        waited: Duration,
        /// Its last output lines.
        output: Vec<String>,
    },
    /// The ngrok agent answers, but none of its tunnels forwards to the listener.
    #[error(
        "the ngrok agent at {api} has no https tunnel to port {port} ({}): start `ngrok http \
         {port}`, or pass --public-url",
        describe_tunnels(.tunnels)
    )]
    NoMatchingTunnel {
        /// The tunnels URL asked.
        api: String,
        /// The listener's port.
        port: u16,
        /// `public_url → addr` of each tunnel the agent has.
        tunnels: Vec<String>,
    },
    /// The ngrok agent answered something that is not its tunnel list.
    #[error("the ngrok agent API at {api} answered, but not with a tunnel list: {detail}")]
    AgentApi {
        /// The tunnels URL asked.
        api: String,
        /// What was wrong.
        detail: String,
    },
}

fn last_lines(output: &[String]) -> String {
    if output.is_empty() {
        String::new()
    } else {
        format!("; its last output:\n  {}", output.join("\n  "))
    }
}

fn describe_tunnels(tunnels: &[String]) -> String {
    if tunnels.is_empty() {
        "it has no tunnels".to_owned()
    } else {
        format!("it has {}", tunnels.join(", "))
    }
}

/// One tunnel of the ngrok agent API's `GET /api/tunnels`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct AgentTunnel {
    /// The tunnel's name (`command_line` for `ngrok http PORT`).
    #[serde(default)]
    pub name: String,
    /// The public URL, e.g. `https://abc.ngrok-free.app`.
    #[serde(default)]
    pub public_url: String,
    /// `https`, `http`, `tcp` or `tls`.
    #[serde(default)]
    pub proto: String,
    /// Where it forwards to.
    #[serde(default)]
    pub config: AgentTunnelConfig,
}

/// The `config` object of an agent tunnel.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct AgentTunnelConfig {
    /// The upstream address: `http://localhost:8080`, `localhost:8080` or `8080`.
    #[serde(default)]
    pub addr: String,
}

#[derive(Debug, Deserialize)]
struct AgentTunnels {
    tunnels: Vec<AgentTunnel>,
}

/// The tunnel-list URL for an `--ngrok-api` value: a base (`http://127.0.0.1:4040`), the API
/// root (`…/api`) or the list itself (`…/api/tunnels`).
pub fn ngrok_tunnels_url(api: &str) -> String {
    let api = api.trim_end_matches('/');
    if api.ends_with("/api/tunnels") {
        api.to_owned()
    } else if api.ends_with("/api") {
        format!("{api}/tunnels")
    } else {
        format!("{api}/api/tunnels")
    }
}

/// The address a tunnel should forward to: the bound address, with a wildcard bind
/// (`0.0.0.0`, `::`) replaced by loopback.
pub fn local_target(bound: SocketAddr) -> SocketAddr {
    let ip = match bound.ip() {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, bound.port())
}

/// The host and port an ngrok `config.addr` forwards to (`http://localhost:8080`,
/// `localhost:8080`, `8080`, `https://localhost` → 443).
fn upstream_of(addr: &str) -> Option<(String, u16)> {
    let addr = addr.trim();
    if let Ok(port) = addr.parse::<u16>() {
        return Some(("localhost".to_owned(), port));
    }
    let (scheme, rest) = match addr.split_once("://") {
        Some((scheme, rest)) => (Some(scheme.to_ascii_lowercase()), rest),
        None => (None, addr),
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let (host, port) = if let Some(stripped) = authority.strip_prefix('[') {
        let (host, after) = stripped.split_once(']')?;
        (host, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    let port = match port {
        Some(p) => p.parse().ok()?,
        None if scheme.as_deref() == Some("https") => 443,
        None => 80,
    };
    Some((host.to_owned(), port))
}

/// The https tunnel forwarding to `local` (by port; the host must be loopback or the bound
/// address, unless the listener is bound to every address). Loopback targets win.
pub fn pick_ngrok_tunnel(tunnels: &[AgentTunnel], bound: SocketAddr) -> Option<&AgentTunnel> {
    let wildcard = bound.ip().is_unspecified();
    let is_https = |t: &AgentTunnel| {
        t.proto.eq_ignore_ascii_case("https") || t.public_url.starts_with("https://")
    };
    let candidates = tunnels.iter().filter(|t| is_https(t)).filter_map(|t| {
        let (host, port) = upstream_of(&t.config.addr)?;
        let loopback = is_loopback_name(&host);
        let ours = loopback || wildcard || host.parse::<IpAddr>().ok() == Some(bound.ip());
        (port == bound.port() && ours).then_some((t, loopback))
    });
    let mut best: Option<(&AgentTunnel, bool)> = None;
    for (tunnel, loopback) in candidates {
        if best.is_none_or(|(_, best_loopback)| loopback && !best_loopback) {
            best = Some((tunnel, loopback));
        }
    }
    best.map(|(tunnel, _)| tunnel)
}

fn is_loopback_name(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Asks the ngrok agent API for its tunnels. `Ok(None)` when nothing answers there (no agent
/// running); an error when something answers but not with a tunnel list.
pub async fn ngrok_agent_tunnels(
    client: &reqwest::Client,
    tunnels_url: &str,
) -> Result<Option<Vec<AgentTunnel>>, TunnelError> {
    let response = match client.get(tunnels_url).send().await {
        Ok(response) => response,
        Err(_) => return Ok(None),
    };
    let api_error = |detail: String| TunnelError::AgentApi {
        api: tunnels_url.to_owned(),
        detail,
    };
    if !response.status().is_success() {
        return Err(api_error(format!("HTTP {}", response.status())));
    }
    let body = response
        .bytes()
        .await
        .map_err(|e| api_error(format!("reading the answer: {e}")))?;
    let list: AgentTunnels = serde_json::from_slice(&body).map_err(|e| api_error(e.to_string()))?;
    Ok(Some(list.tunnels))
}

/// `--tunnel ngrok`: the running agent's https tunnel to `bound`'s port, or — when no agent
/// answers at `api` — `ngrok http ADDR` started as a child.
pub async fn ngrok(api: &str, bound: SocketAddr) -> Result<Discovered, TunnelError> {
    let client = api_client();
    let tunnels_url = ngrok_tunnels_url(api);
    if let Some(tunnels) = ngrok_agent_tunnels(&client, &tunnels_url).await? {
        return match pick_ngrok_tunnel(&tunnels, bound) {
            Some(tunnel) => Ok(Discovered {
                base_url: tunnel.public_url.clone(),
                source: "ngrok agent API".to_owned(),
                process: None,
            }),
            // A second agent would fail on most plans (one session at a time): say what to do.
            None => Err(TunnelError::NoMatchingTunnel {
                api: tunnels_url,
                port: bound.port(),
                tunnels: tunnels
                    .iter()
                    .map(|t| format!("{} → {}", t.public_url, t.config.addr))
                    .collect(),
            }),
        };
    }
    let target = local_target(bound);
    let args = [
        "http".to_owned(),
        target.to_string(),
        "--log".to_owned(),
        "stdout".to_owned(),
        "--log-format".to_owned(),
        "json".to_owned(),
    ];
    let started = StartedProgram::spawn("ngrok", &args)?;
    started
        .wait_for_url(START_TIMEOUT, |line, state| {
            match parse_ngrok_log_line(line) {
                NgrokLog::TunnelUrl(url) => Some(url),
                NgrokLog::WebAddr(addr) => {
                    state.poll_url = Some(ngrok_tunnels_url(&format!("http://{addr}")));
                    None
                }
                NgrokLog::Other => None,
            }
        })
        .await
        .map(|(base_url, process)| Discovered {
            base_url,
            source: "ngrok (started by callwatch)".to_owned(),
            process: Some(process),
        })
}

/// `--tunnel cloudflared`: starts a quick tunnel to `bound` and reads its URL.
pub async fn cloudflared(bound: SocketAddr) -> Result<Discovered, TunnelError> {
    let target = format!("http://{}", local_target(bound));
    let args = ["tunnel".to_owned(), "--url".to_owned(), target];
    let started = StartedProgram::spawn("cloudflared", &args)?;
    started
        .wait_for_url(START_TIMEOUT, |line, _| parse_cloudflared_line(line))
        .await
        .map(|(base_url, process)| Discovered {
            base_url,
            source: "cloudflared (started by callwatch)".to_owned(),
            process: Some(process),
        })
}

/// What one line of `ngrok --log stdout --log-format json` tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NgrokLog {
    /// `{"msg":"started tunnel","url":"https://…"}`: the public URL (https only).
    TunnelUrl(String),
    /// `{"msg":"starting web service","addr":"127.0.0.1:4040"}`: where its API listens.
    WebAddr(String),
    /// Anything else.
    Other,
}

/// Reads one ngrok log line (JSON, or logfmt `msg="started tunnel" … url=https://…`).
pub fn parse_ngrok_log_line(line: &str) -> NgrokLog {
    let line = line.trim();
    if line.starts_with('{') {
        let Ok(value) = serde_json::from_str::<serde_json::Value>(line) else {
            return NgrokLog::Other;
        };
        let field = |name: &str| value.get(name).and_then(|v| v.as_str()).unwrap_or("");
        return match field("msg") {
            "started tunnel" if field("url").starts_with("https://") => {
                NgrokLog::TunnelUrl(field("url").to_owned())
            }
            "starting web service" if !field("addr").is_empty() => {
                NgrokLog::WebAddr(field("addr").to_owned())
            }
            _ => NgrokLog::Other,
        };
    }
    let logfmt_value = |key: &str| {
        line.split_whitespace()
            .find_map(|pair| pair.strip_prefix(key))
            .map(|v| v.trim_matches('"').to_owned())
    };
    if line.contains("msg=\"started tunnel\"")
        && let Some(url) = logfmt_value("url=").filter(|u| u.starts_with("https://"))
    {
        return NgrokLog::TunnelUrl(url);
    }
    if line.contains("msg=\"starting web service\"")
        && let Some(addr) = logfmt_value("addr=")
    {
        return NgrokLog::WebAddr(addr);
    }
    NgrokLog::Other
}

/// The `https://<name>.trycloudflare.com` URL in a line of cloudflared's output (it prints it
/// in a box on stderr). `api.trycloudflare.com`, which appears in its errors, is not one.
pub fn parse_cloudflared_line(line: &str) -> Option<String> {
    line.split(|c: char| c.is_whitespace() || matches!(c, '|' | '"' | '\'' | '<' | '>'))
        .filter_map(|token| token.strip_prefix("https://"))
        .map(|host| host.trim_end_matches('/'))
        .find(|host| {
            host.strip_suffix(".trycloudflare.com").is_some_and(|name| {
                !name.is_empty()
                    && name != "api"
                    && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            })
        })
        .map(|host| format!("https://{host}"))
}

fn api_client() -> reqwest::Client {
    // The agent API is local: never through a proxy, and quick to answer or not there at all.
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(3))
        .build()
        .unwrap_or_else(|_| reqwest::Client::new())
}

/// A tunnel program callwatch started; stopped by [`TunnelProcess::stop`] or when dropped.
#[derive(Debug)]
pub struct TunnelProcess {
    program: &'static str,
    child: Child,
}

impl TunnelProcess {
    /// `ngrok` or `cloudflared`.
    pub fn program(&self) -> &'static str {
        self.program
    }

    /// The OS process id, while it runs.
    pub fn id(&self) -> Option<u32> {
        self.child.id()
    }

    /// Kills the program and waits (briefly) until it is gone.
    pub async fn stop(mut self) {
        let _ = self.child.start_kill();
        let _ = tokio::time::timeout(Duration::from_secs(3), self.child.wait()).await;
    }
}

/// Per-program state the line parser may set while waiting.
#[derive(Default)]
struct WaitState {
    /// A tunnel-list URL to poll (ngrok's API, once it says where it listens).
    poll_url: Option<String>,
}

/// A freshly spawned program whose output is read line by line.
struct StartedProgram {
    program: &'static str,
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl StartedProgram {
    fn spawn(program: &'static str, args: &[String]) -> Result<Self, TunnelError> {
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|source| match source.kind() {
                std::io::ErrorKind::NotFound => TunnelError::NotInstalled { program },
                _ => TunnelError::Spawn { program, source },
            })?;
        let (tx, lines) = mpsc::channel(256);
        if let Some(stdout) = child.stdout.take() {
            tokio::spawn(forward_lines(stdout, tx.clone()));
        }
        if let Some(stderr) = child.stderr.take() {
            tokio::spawn(forward_lines(stderr, tx));
        }
        Ok(Self {
            program,
            child,
            lines,
        })
    }

    /// Reads output until `parse` finds the URL (or a polled agent API reports it), the
    /// program exits, or `timeout` passes. On failure the program is killed.
    async fn wait_for_url(
        mut self,
        timeout: Duration,
        mut parse: impl FnMut(&str, &mut WaitState) -> Option<String>,
    ) -> Result<(String, TunnelProcess), TunnelError> {
        let deadline = Instant::now() + timeout;
        let mut state = WaitState::default();
        let mut recent: Vec<String> = Vec::new();
        let client = api_client();
        let mut poll = tokio::time::interval(Duration::from_millis(300));
        let mut output_open = true;
        let found = loop {
            tokio::select! {
                line = self.lines.recv(), if output_open => {
                    let Some(line) = line else {
                        output_open = false;
                        continue;
                    };
                    if let Some(url) = parse(&line, &mut state) {
                        break Some(url);
                    }
                    if !line.trim().is_empty() {
                        if recent.len() == KEPT_LINES {
                            recent.remove(0);
                        }
                        recent.push(line);
                    }
                }
                _ = poll.tick(), if state.poll_url.is_some() => {
                    let url = state.poll_url.as_deref().unwrap_or_default();
                    if let Ok(Some(tunnels)) = ngrok_agent_tunnels(&client, url).await
                        && let Some(t) = tunnels.iter().find(|t| t.public_url.starts_with("https://"))
                    {
                        break Some(t.public_url.clone());
                    }
                }
                status = self.child.wait(), if !output_open => {
                    let status = status.map_or_else(|e| e.to_string(), |s| s.to_string());
                    return Err(TunnelError::Exited { program: self.program, status, output: recent });
                }
                () = sleep_until(deadline) => break None,
            }
        };
        match found {
            Some(url) => Ok((
                url,
                TunnelProcess {
                    program: self.program,
                    child: self.child,
                },
            )),
            None => {
                let _ = self.child.start_kill();
                let _ = self.child.wait().await;
                Err(TunnelError::Timeout {
                    program: self.program,
                    waited: timeout,
                    output: recent,
                })
            }
        }
    }
}

/// Sends each line of `stream` to `tx`; once nobody listens, keeps reading and discards, so
/// that the program never blocks on a full pipe.
async fn forward_lines(stream: impl AsyncRead + Unpin, tx: mpsc::Sender<String>) {
    let mut lines = BufReader::new(stream).lines();
    let mut listening = true;
    while let Ok(Some(line)) = lines.next_line().await {
        if listening && tx.send(line).await.is_err() {
            listening = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tunnel(public_url: &str, proto: &str, addr: &str) -> AgentTunnel {
        AgentTunnel {
            name: "command_line".into(),
            public_url: public_url.into(),
            proto: proto.into(),
            config: AgentTunnelConfig { addr: addr.into() },
        }
    }

    fn sock(s: &str) -> SocketAddr {
        s.parse().expect("socket address")
    }

    #[test]
    fn agent_api_answer_parses() {
        // The shape of ngrok's documented example answer, trimmed.
        let body = r#"{"tunnels":[{"name":"command_line","uri":"/api/tunnels/command_line",
            "public_url":"https://d95211d2.ngrok.app","proto":"https",
            "config":{"addr":"http://localhost:8080","inspect":true},
            "metrics":{"conns":{"count":0}}}],"uri":"/api/tunnels"}"#;
        let list: AgentTunnels = serde_json::from_str(body).expect("parses");
        assert_eq!(
            list.tunnels,
            [tunnel(
                "https://d95211d2.ngrok.app",
                "https",
                "http://localhost:8080"
            )]
        );
    }

    #[test]
    fn picks_the_https_tunnel_to_our_port() {
        let tunnels = [
            tunnel("http://a.ngrok.app", "http", "http://localhost:8080"),
            tunnel("https://other.ngrok.app", "https", "http://localhost:3000"),
            tunnel("https://lan.ngrok.app", "https", "http://192.168.1.9:8080"),
            tunnel("https://ours.ngrok.app", "https", "localhost:8080"),
        ];
        let picked = pick_ngrok_tunnel(&tunnels, sock("127.0.0.1:8080"));
        assert_eq!(
            picked.map(|t| t.public_url.as_str()),
            Some("https://ours.ngrok.app")
        );
        assert_eq!(pick_ngrok_tunnel(&tunnels, sock("127.0.0.1:9999")), None);
        // Bound to every address: a LAN target with our port is ours too, loopback preferred.
        let lan_only = [tunnels[2].clone()];
        assert!(pick_ngrok_tunnel(&lan_only, sock("0.0.0.0:8080")).is_some());
        assert!(pick_ngrok_tunnel(&lan_only, sock("127.0.0.1:8080")).is_none());
        let bare_port = [tunnel("https://p.ngrok.app", "https", "8080")];
        assert!(pick_ngrok_tunnel(&bare_port, sock("127.0.0.1:8080")).is_some());
    }

    #[test]
    fn upstream_forms() {
        let cases = [
            ("http://localhost:8080", Some(("localhost", 8080))),
            ("localhost:8080", Some(("localhost", 8080))),
            ("8080", Some(("localhost", 8080))),
            ("https://localhost", Some(("localhost", 443))),
            ("http://[::1]:8080", Some(("::1", 8080))),
            ("http://localhost:abc", None),
        ];
        for (addr, expected) in cases {
            let got = upstream_of(addr);
            assert_eq!(
                got.as_ref().map(|(h, p)| (h.as_str(), *p)),
                expected,
                "{addr}"
            );
        }
    }

    #[test]
    fn tunnels_url_forms() {
        for api in [
            "http://127.0.0.1:4040",
            "http://127.0.0.1:4040/",
            "http://127.0.0.1:4040/api",
            "http://127.0.0.1:4040/api/tunnels",
        ] {
            assert_eq!(ngrok_tunnels_url(api), "http://127.0.0.1:4040/api/tunnels");
        }
    }

    #[test]
    fn ngrok_log_lines() {
        let started = r#"{"addr":"http://localhost:8080","lvl":"info","msg":"started tunnel","name":"command_line","obj":"tunnels","t":"2026-09-30T02:40:01Z","url":"https://ab12.ngrok-free.app"}"#;
        assert_eq!(
            parse_ngrok_log_line(started),
            NgrokLog::TunnelUrl("https://ab12.ngrok-free.app".into())
        );
        // Newer agents log `addr` as an object.
        let object_addr = r#"{"t":"x","lvl":"info","msg":"started tunnel","addr":{"Scheme":"http","Host":"127.0.0.1:9700"},"url":"https://94b1.ngrok-free.app"}"#;
        assert_eq!(
            parse_ngrok_log_line(object_addr),
            NgrokLog::TunnelUrl("https://94b1.ngrok-free.app".into())
        );
        let web =
            r#"{"addr":"127.0.0.1:4040","lvl":"info","msg":"starting web service","obj":"web"}"#;
        assert_eq!(
            parse_ngrok_log_line(web),
            NgrokLog::WebAddr("127.0.0.1:4040".into())
        );
        let logfmt = r#"t=2026-09-30T02:40:01+0000 lvl=info msg="started tunnel" obj=tunnels name=command_line addr=http://localhost:8080 url=https://cd34.ngrok-free.app"#;
        assert_eq!(
            parse_ngrok_log_line(logfmt),
            NgrokLog::TunnelUrl("https://cd34.ngrok-free.app".into())
        );
        let http_only = r#"{"msg":"started tunnel","url":"http://ab12.ngrok.io"}"#;
        assert_eq!(parse_ngrok_log_line(http_only), NgrokLog::Other);
        assert_eq!(parse_ngrok_log_line("not json {"), NgrokLog::Other);
    }

    #[test]
    fn cloudflared_lines() {
        let boxed = "2026-09-30T02:32:21Z INF |  https://rider-sunny-feet-hq.trycloudflare.com                                 |";
        assert_eq!(
            parse_cloudflared_line(boxed).as_deref(),
            Some("https://rider-sunny-feet-hq.trycloudflare.com")
        );
        let error = r#"2026-09-30T02:32:21Z ERR Error unmarshaling QuickTunnel response: failed to request quick Tunnel: Post "https://api.trycloudflare.com/tunnel": dial tcp"#;
        assert_eq!(parse_cloudflared_line(error), None);
        let thanks = "INF Thank you for trying Cloudflare Tunnel. ... https://developers.cloudflare.com/cloudflare-one/connections/connect-apps";
        assert_eq!(parse_cloudflared_line(thanks), None);
        assert_eq!(parse_cloudflared_line("https://.trycloudflare.com"), None);
    }

    #[test]
    fn wildcard_binds_forward_to_loopback() {
        assert_eq!(local_target(sock("0.0.0.0:8080")), sock("127.0.0.1:8080"));
        assert_eq!(local_target(sock("[::]:8080")), sock("[::1]:8080"));
        assert_eq!(local_target(sock("10.0.0.2:8080")), sock("10.0.0.2:8080"));
    }

    #[test]
    fn discovered_joins_the_events_path() {
        let d = Discovered {
            base_url: "https://abc.trycloudflare.com/".into(),
            source: "x".into(),
            process: None,
        };
        assert_eq!(
            d.public_url("/events"),
            "https://abc.trycloudflare.com/events"
        );
    }
}
