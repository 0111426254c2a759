//! Puts simulated Twilio call summaries (the demo generator's, one CloudEvent per record) into
//! a Kinesis stream, creating it first if needed: a way to try `callwatch kinesis` against a
//! local Kinesis (kinesalite) without a Twilio account.
//!
//! ```text
//! cd tests/kinesis && npm ci --omit=optional && npx kinesalite --port 4567 &
//! AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x AWS_REGION=us-east-1 \
//!   cargo run --example kinesis_put -- http://127.0.0.1:4567 calls 20
//! callwatch kinesis calls --endpoint-url http://127.0.0.1:4567 --from trim-horizon
//! ```

use aws_config::BehaviorVersion;
use aws_sdk_kinesis::primitives::Blob;
use callwatch::demo::generator::CallGenerator;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(endpoint), Some(stream)) = (args.next(), args.next()) else {
        anyhow::bail!("usage: kinesis_put ENDPOINT_URL STREAM [CALLS] [SEED]");
    };
    let count: usize = args.next().map_or(Ok(10), |n| n.parse())?;
    let seed: u64 = args.next().map_or(Ok(1), |n| n.parse())?;
    let config = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(&endpoint)
        .load()
        .await;
    let client = aws_sdk_kinesis::Client::new(&config);
    if client
        .describe_stream_summary()
        .stream_name(&stream)
        .send()
        .await
        .is_err()
    {
        client
            .create_stream()
            .stream_name(&stream)
            .shard_count(2)
            .send()
            .await?;
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
    let mut generator = CallGenerator::new(seed);
    let started = time::OffsetDateTime::now_utc() - time::Duration::minutes(10);
    for i in 0..count {
        let call = generator.next_call(None, started + time::Duration::seconds(i as i64 * 7));
        for event in &call.events {
            client
                .put_record()
                .stream_name(&stream)
                .partition_key(&call.call_sid)
                .data(Blob::new(serde_json::to_vec(&event.event)?))
                .send()
                .await?;
        }
        println!("{} ({} records)", call.call_sid, call.events.len());
    }
    Ok(())
}
