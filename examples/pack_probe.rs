use std::time::Instant;
use callwatch::demo::generator::{CallGenerator, delivery_body};
use callwatch::twilio::cloudevent::{DeliveredEvent, parse_delivery};
fn main() {
    let fixture = std::fs::read("assets/twilio/fixtures/predicted-complete.json").unwrap();
    let DeliveredEvent::CallSummary(fx) = parse_delivery(&fixture).unwrap().remove(0) else { panic!() };
    let mut g = CallGenerator::new(99);
    let start = time::OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
    let mut dict = serde_json::to_vec(&fx.summary).unwrap();
    for i in 0..4 { let c = g.next_call(None, start + time::Duration::seconds(i)); let ev = c.events.last().unwrap(); let b = delivery_body(std::slice::from_ref(&ev.event)); if let DeliveredEvent::CallSummary(s) = parse_delivery(&b).unwrap().remove(0) { dict.extend(serde_json::to_vec(&s.summary).unwrap()); } }
    println!("dict {}", dict.len());
    let mut g = CallGenerator::new(1);
    let mut sums = vec![];
    for i in 0..300 { let c = g.next_call(None, start + time::Duration::seconds(i)); for e in &c.events { let b = delivery_body(std::slice::from_ref(&e.event)); for d in parse_delivery(&b).unwrap() { if let DeliveredEvent::CallSummary(s) = d { sums.push(s.summary) } } } }
    let n = sums.len() as u32;
    let t = Instant::now(); let mut tot=0; for s in &sums { let j = serde_json::to_vec(s).unwrap(); tot += lz4_flex::block::compress_prepend_size_with_dict(&j, &dict).len(); } println!("to_vec+lz4dict {:?} avg {}", t.elapsed()/n, tot/ sums.len());
    let jsons: Vec<_> = sums.iter().map(|s| serde_json::to_vec(s).unwrap()).collect();
    let t = Instant::now(); for s in &sums { std::hint::black_box(serde_json::to_vec(s).unwrap()); } println!("to_vec {:?}", t.elapsed()/n);
    for cut in [1500usize, 3000, 5000, 8314] { let d = &dict[dict.len()-cut..]; let t = Instant::now(); let mut tot=0; for j in &jsons { tot += lz4_flex::block::compress_prepend_size_with_dict(j, d).len(); } println!("lz4 dict {cut}: {:?} avg {}", t.elapsed()/n, tot/jsons.len()); }
    let t = Instant::now(); let mut tot=0; for s in &sums { let j = serde_json::to_vec(s).unwrap(); tot += lz4_flex::block::compress_prepend_size(&j).len(); } println!("to_vec+lz4 {:?} avg {}", t.elapsed()/n, tot/ sums.len());
    let t = Instant::now(); for s in &sums { let _ = callwatch::calls::core::PackedSummary::pack(s); } println!("pack {:?}", t.elapsed()/n);
    let packs: Vec<_> = sums.iter().map(|s| lz4_flex::block::compress_prepend_size_with_dict(&serde_json::to_vec(s).unwrap(), &dict)).collect();
    let t = Instant::now(); for p in &packs { let j = lz4_flex::block::decompress_size_prepended_with_dict(p, &dict).unwrap(); let s: callwatch::twilio::summary::CallSummary = serde_json::from_slice(&j).unwrap(); std::hint::black_box(s); } println!("unpack {:?}", t.elapsed()/n);
    for (s,p) in sums.iter().zip(&packs) { let j = lz4_flex::block::decompress_size_prepended_with_dict(p, &dict).unwrap(); let back: callwatch::twilio::summary::CallSummary = serde_json::from_slice(&j).unwrap(); assert_eq!(&back, s); }
    println!("roundtrip ok");
}
