//! `listen --tunnel`: the public URL read from a (fake) ngrok agent API on port 0, or from the
//! output of `ngrok` / `cloudflared` stand-in scripts put first on PATH, which callwatch starts
//! and stops again on exit. Neither real binary is needed.
#![cfg(unix)]

mod listen_process;

use std::convert::Infallible;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use callwatch::twilio::signature::{Algorithm, sign_json_delivery};
use http_body_util::Full;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use listen_process::{ListenProcess, callwatch, free_port};
use serde_json::json;

const TOKEN: &str = "tunnel-test-token";

/// A fake ngrok agent API answering `GET /api/tunnels` with `tunnels`; records the paths asked.
async fn fake_agent_api(tunnels: serde_json::Value) -> (u16, Arc<Mutex<Vec<String>>>) {
    let socket = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = socket.local_addr().expect("addr").port();
    let asked: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = Arc::clone(&asked);
    let body = Bytes::from(json!({ "tunnels": tunnels, "uri": "/api/tunnels" }).to_string());
    tokio::spawn(async move {
        while let Ok((stream, _)) = socket.accept().await {
            let (log, body) = (Arc::clone(&log), body.clone());
            let service = service_fn(move |req: Request<hyper::body::Incoming>| {
                log.lock().expect("lock").push(req.uri().path().to_owned());
                let mut resp = Response::new(Full::new(body.clone()));
                if req.uri().path() != "/api/tunnels" {
                    *resp.status_mut() = hyper::StatusCode::NOT_FOUND;
                }
                async move { Ok::<_, Infallible>(resp) }
            });
            tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (port, asked)
}

fn agent_tunnel(public_url: &str, addr: &str) -> serde_json::Value {
    json!({
        "name": "command_line",
        "uri": "/api/tunnels/command_line",
        "public_url": public_url,
        "proto": if public_url.starts_with("https") { "https" } else { "http" },
        "config": {"addr": addr, "inspect": true},
        "metrics": {"conns": {"count": 0}}
    })
}

/// Writes an executable `name` script into `dir`.
fn stand_in(dir: &Path, name: &str, script: &str) {
    let path = dir.join(name);
    std::fs::write(&path, script).expect("write stand-in");
    let mut perms = std::fs::metadata(&path).expect("metadata").permissions();
    perms.set_mode(0o755);
    std::fs::set_permissions(&path, perms).expect("chmod");
}

/// PATH with `dir` first.
fn path_with(dir: &Path) -> String {
    let old = std::env::var("PATH").unwrap_or_default();
    format!("{}:{old}", dir.display())
}

/// True while a process with this id exists.
fn alive(pid: &str) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
        || std::process::Command::new("kill")
            .args(["-0", pid])
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
}

fn wait_for_file(path: &PathBuf) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(text) = std::fs::read_to_string(path)
            && !text.trim().is_empty()
        {
            return text.trim().to_owned();
        }
        assert!(
            Instant::now() < deadline,
            "{} never written",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn assert_gone(pid: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while alive(pid) {
        assert!(
            Instant::now() < deadline,
            "the tunnel process {pid} is still running"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

// Multi-threaded: the fake agent must answer while the test thread waits for callwatch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ngrok_agent_api_gives_the_https_tunnel_to_our_port() {
    let port = free_port();
    let (api_port, asked) = fake_agent_api(json!([
        agent_tunnel(
            "https://someone-else.ngrok-free.app",
            "http://localhost:3000"
        ),
        agent_tunnel(
            "http://plain.ngrok-free.app",
            &format!("http://localhost:{port}")
        ),
        agent_tunnel(
            "https://ours.ngrok-free.app",
            &format!("http://localhost:{port}")
        ),
    ]))
    .await;
    let api = format!("http://127.0.0.1:{api_port}");
    let mut run = ListenProcess::start(
        &[
            "--port",
            &port.to_string(),
            "--auth-token",
            TOKEN,
            "--tunnel",
            "ngrok",
            "--ngrok-api",
            &api,
        ],
        &[],
    );
    assert_eq!(
        run.listening["public_url"],
        "https://ours.ngrok-free.app/events"
    );
    assert_eq!(run.listening["url_source"], "ngrok agent API");
    assert_eq!(asked.lock().expect("lock").as_slice(), ["/api/tunnels"]);

    // Deliveries are verified against the discovered URL.
    let body = br#"[{"specversion":"1.0","type":"com.twilio.eventstreams.test-event","source":"Sink","id":"AC1","data":{"test_id":"t-1"}}]"#;
    let (full, sig) = sign_json_delivery(
        TOKEN.as_bytes(),
        "https://ours.ngrok-free.app/events",
        body,
        Algorithm::HmacSha1,
    );
    let query = full.split_once('?').map_or("", |(_, q)| q);
    let status = listen_process::http_client()
        .post(format!("{}/events?{query}", run.base()))
        .header("x-twilio-signature", sig)
        .header("host", "ours.ngrok-free.app")
        .body(body.to_vec())
        .send()
        .await
        .expect("send")
        .status()
        .as_u16();
    assert_eq!(status, 200);
    assert_eq!(run.next_of_type("delivery")["verdict"], "ok");

    // The library call, on the same fake.
    let bound = format!("127.0.0.1:{port}").parse().expect("addr");
    let found = callwatch::tunnel::ngrok(&format!("{api}/api"), bound)
        .await
        .expect("found");
    assert_eq!(found.base_url, "https://ours.ngrok-free.app");
    assert!(found.process.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_without_our_tunnel_is_an_error_that_lists_its_tunnels() {
    let (api_port, _) = fake_agent_api(json!([agent_tunnel(
        "https://someone-else.ngrok-free.app",
        "http://localhost:3000"
    )]))
    .await;
    let port = free_port().to_string();
    let api = format!("http://127.0.0.1:{api_port}");
    let out = tokio::task::spawn_blocking(move || {
        callwatch()
            .args([
                "listen",
                "--output",
                "ndjson",
                "--port",
                &port,
                "--auth-token",
                TOKEN,
            ])
            .args(["--tunnel", "ngrok", "--ngrok-api", &api])
            .output()
            .expect("run")
    })
    .await
    .expect("join");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("has no https tunnel to port"), "{stderr}");
    assert!(
        stderr.contains("https://someone-else.ngrok-free.app → http://localhost:3000"),
        "{stderr}"
    );
    assert!(
        out.stdout.is_empty(),
        "no listening line when no URL was found"
    );
}

#[test]
fn ngrok_is_started_when_no_agent_answers_and_stopped_on_exit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let args_file = dir.path().join("ngrok.args");
    let pid_file = dir.path().join("ngrok.pid");
    stand_in(
        dir.path(),
        "ngrok",
        &format!(
            "#!/bin/sh\n\
             echo \"$@\" > '{args}'\n\
             echo $$ > '{pid}'\n\
             echo '{{\"lvl\":\"info\",\"msg\":\"no configuration paths supplied\",\"t\":\"2026-09-30T02:40:00Z\"}}'\n\
             echo '{{\"addr\":\"127.0.0.1:4041\",\"lvl\":\"info\",\"msg\":\"starting web service\",\"obj\":\"web\",\"t\":\"2026-09-30T02:40:00Z\"}}'\n\
             echo '{{\"addr\":\"http://localhost:8080\",\"lvl\":\"info\",\"msg\":\"started tunnel\",\"name\":\"command_line\",\"obj\":\"tunnels\",\"t\":\"2026-09-30T02:40:01Z\",\"url\":\"https://stand-in.ngrok-free.app\"}}'\n\
             exec sleep 300\n",
            args = args_file.display(),
            pid = pid_file.display()
        ),
    );
    // Nothing answers here: callwatch starts `ngrok` itself.
    let closed_api = format!("http://127.0.0.1:{}", free_port());
    let path = path_with(dir.path());
    let mut run = ListenProcess::start(
        &[
            "--port",
            "0",
            "--auth-token",
            TOKEN,
            "--tunnel",
            "ngrok",
            "--ngrok-api",
            &closed_api,
        ],
        &[("PATH", &path)],
    );
    assert_eq!(
        run.listening["public_url"],
        "https://stand-in.ngrok-free.app/events"
    );
    assert_eq!(run.listening["url_source"], "ngrok (started by callwatch)");
    let port = run.addr.rsplit(':').next().unwrap_or_default().to_owned();
    assert_eq!(
        wait_for_file(&args_file),
        format!("http 127.0.0.1:{port} --log stdout --log-format json")
    );
    let pid = wait_for_file(&pid_file);
    assert!(alive(&pid), "ngrok runs while callwatch listens");
    // stderr is read by a thread of its own: under load its line may come after stdout's.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !run
        .stderr()
        .contains("public URL https://stand-in.ngrok-free.app/events")
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(
        run.stderr()
            .contains("public URL https://stand-in.ngrok-free.app/events"),
        "{}",
        run.stderr()
    );

    run.wait_until_presenting("/events");
    let status = run.terminate();
    assert!(status.success(), "{status:?}: {}", run.stderr());
    assert_gone(&pid);
}

#[test]
fn cloudflared_quick_tunnel_is_started_and_stopped_on_exit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let args_file = dir.path().join("cloudflared.args");
    let pid_file = dir.path().join("cloudflared.pid");
    // What cloudflared prints (on stderr) for a quick tunnel.
    stand_in(
        dir.path(),
        "cloudflared",
        &format!(
            "#!/bin/sh\n\
             echo \"$@\" > '{args}'\n\
             echo $$ > '{pid}'\n\
             cat >&2 <<'EOF'\n\
2026-09-30T02:32:19Z INF Thank you for trying Cloudflare Tunnel. Doing so, without a Cloudflare account, is a quick way to experiment and try it out. If you intend to use Tunnels in production you should use a pre-created named tunnel by following: https://developers.cloudflare.com/cloudflare-one/connections/connect-apps\n\
2026-09-30T02:32:19Z INF Requesting new quick Tunnel on trycloudflare.com...\n\
2026-09-30T02:32:21Z INF +--------------------------------------------------------------------------------------------+\n\
2026-09-30T02:32:21Z INF |  Your quick Tunnel has been created! Visit it at (it may take some time to be reachable):  |\n\
2026-09-30T02:32:21Z INF |  https://rider-sunny-feet-hq.trycloudflare.com                                             |\n\
2026-09-30T02:32:21Z INF +--------------------------------------------------------------------------------------------+\n\
2026-09-30T02:32:21Z INF Registered tunnel connection connIndex=0 location=fra08 protocol=quic\n\
EOF\n\
             exec sleep 300\n",
            args = args_file.display(),
            pid = pid_file.display()
        ),
    );
    let path = path_with(dir.path());
    let mut run = ListenProcess::start(
        &[
            "--port",
            "0",
            "--auth-token",
            TOKEN,
            "--tunnel",
            "cloudflared",
            "--events-path",
            "/twilio",
        ],
        &[("PATH", &path)],
    );
    assert_eq!(
        run.listening["public_url"],
        "https://rider-sunny-feet-hq.trycloudflare.com/twilio"
    );
    assert_eq!(
        run.listening["url_source"],
        "cloudflared (started by callwatch)"
    );
    let port = run.addr.rsplit(':').next().unwrap_or_default().to_owned();
    assert_eq!(
        wait_for_file(&args_file),
        format!("tunnel --url http://127.0.0.1:{port}")
    );
    let pid = wait_for_file(&pid_file);
    assert!(alive(&pid));
    run.wait_until_presenting("/twilio");
    let status = run.terminate();
    assert!(status.success(), "{status:?}: {}", run.stderr());
    assert_gone(&pid);
}

#[test]
fn a_tunnel_program_that_fails_shows_its_last_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    stand_in(
        dir.path(),
        "ngrok",
        "#!/bin/sh\n\
         echo '{\"lvl\":\"eror\",\"msg\":\"failed to start tunnel\",\"err\":\"authentication failed: Usage of ngrok requires a verified account and authtoken.\"}'\n\
         echo 'ERROR:  authentication failed: Usage of ngrok requires a verified account and authtoken.' >&2\n\
         exit 1\n",
    );
    let out = callwatch()
        .args([
            "listen",
            "--output",
            "ndjson",
            "--port",
            "0",
            "--auth-token",
            TOKEN,
        ])
        .args([
            "--tunnel",
            "ngrok",
            "--ngrok-api",
            &format!("http://127.0.0.1:{}", free_port()),
        ])
        .env("PATH", path_with(dir.path()))
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("`ngrok` exited (exit status: 1) before printing a public URL"),
        "{stderr}"
    );
    assert!(
        stderr.contains("requires a verified account and authtoken"),
        "{stderr}"
    );
}

#[test]
fn a_missing_tunnel_program_says_what_to_do() {
    let empty = tempfile::tempdir().expect("tempdir");
    let out = callwatch()
        .args([
            "listen",
            "--output",
            "ndjson",
            "--port",
            "0",
            "--auth-token",
            TOKEN,
            "--tunnel",
            "cloudflared",
        ])
        .env("PATH", empty.path())
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("`cloudflared` was not found on PATH"),
        "{stderr}"
    );
    assert!(stderr.contains("--public-url"), "{stderr}");
}

#[test]
fn listen_without_a_url_source_explains_all_three() {
    let out = callwatch()
        .args(["listen", "--port", "0", "--auth-token", TOKEN])
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    for flag in [
        "--public-url",
        "--tunnel ngrok",
        "--tunnel cloudflared",
        "--trust-forwarded-headers",
    ] {
        assert!(stderr.contains(flag), "{flag} missing from: {stderr}");
    }
    // Two sources at once is a usage error too.
    let out = callwatch()
        .args(["listen", "--port", "0", "--auth-token", TOKEN])
        .args([
            "--public-url",
            "https://x.example/events",
            "--tunnel",
            "ngrok",
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let out = callwatch()
        .args([
            "listen",
            "--port",
            "0",
            "--auth-token",
            TOKEN,
            "--trust-forwarded-headers",
        ])
        .args(["--events-path", "events"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--events-path"));
}
