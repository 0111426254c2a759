//! scratch: the listener with a consumer that drops deliveries
use std::sync::Arc;
use callwatch::ingest::server::{Listener, PublicUrl, serve};
use callwatch::ingest::verdict::Judge;
use callwatch::twilio::signature::Secrets;
#[tokio::main]
async fn main() {
    let socket = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    println!("listening {}", socket.local_addr().unwrap());
    let (tx, mut rx) = tokio::sync::mpsc::channel(16384);
    let secrets = Secrets { auth_token: "bench-token".into(), shared_key_secret: None };
    let l = Arc::new(Listener::new(PublicUrl::Fixed("http://bench.local/events".into()), Judge::new(Some(secrets), 403), tx));
    tokio::spawn(async move { while let Some(d) = rx.recv().await { drop(d) } });
    serve(socket, l, std::future::pending()).await;
}
