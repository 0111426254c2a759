use std::time::Instant;
use callwatch::demo::generator::{CallGenerator, delivery_body};
use callwatch::twilio::cloudevent::{DeliveredEvent, parse_delivery};
use miniz_oxide::deflate::core::{CompressorOxide, compress, create_comp_flags_from_zip_params, TDEFLFlush};
fn main() {
    let mut g = CallGenerator::new(1);
    let start = time::OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
    let mut sums = vec![];
    for i in 0..300 { let c = g.next_call(None, start + time::Duration::seconds(i)); for e in &c.events { let b = delivery_body(std::slice::from_ref(&e.event)); for d in parse_delivery(&b).unwrap() { if let DeliveredEvent::CallSummary(s) = d { sums.push(s.summary) } } } }
    let n = sums.len() as u32;
    let t = Instant::now(); let mut jsons = vec![];
    for s in &sums { let mut v = serde_json::to_value(s).unwrap(); jsons.push(serde_json::to_vec(&v).unwrap()); let _ = &mut v; }
    println!("to_value+to_vec {:?}/summary, avg json {}", t.elapsed()/n, jsons.iter().map(|j| j.len()).sum::<usize>()/jsons.len());
    let t = Instant::now(); for s in &sums { let _ = serde_json::to_vec(s).unwrap(); } println!("to_vec direct {:?}", t.elapsed()/n);
    for level in [1u8, 3, 6] {
        let t = Instant::now(); let mut tot = 0; for j in &jsons { tot += miniz_oxide::deflate::compress_to_vec(j, level).len(); } println!("compress_to_vec level {level}: {:?} avg {}", t.elapsed()/n, tot/jsons.len());
        let flags = create_comp_flags_from_zip_params(level.into(), 0, 0);
        let mut c = CompressorOxide::new(flags);
        let t = Instant::now(); let mut tot = 0; let mut out = vec![0u8; 16384];
        for j in &jsons { c.reset(); let (_, _, n) = compress(&mut c, j, &mut out, TDEFLFlush::Finish); tot += n; } println!("reused level {level}: {:?} avg {}", t.elapsed()/n, tot/jsons.len());
    }
    let t = Instant::now(); for s in &sums { let _ = callwatch::calls::core::PackedSummary::pack(s); } println!("pack {:?}", t.elapsed()/n);
}
