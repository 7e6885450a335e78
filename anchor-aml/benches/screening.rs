//! Screening benchmark: loads OFAC SDN (advanced XML) + OFAC consolidated + UN + UK from
//! `../shared/data/sanctions`, builds the index and screens the evaluation customers on one
//! thread. Run with `cargo bench -p anchor-aml --bench screening`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs, clippy::print_stdout)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anchor_aml::{
    load_list, parse_ofac_advanced, read_input, EntityKind, Gender, ListFormat, PartialDate, ScreeningConfig,
    ScreeningIndex, ScreeningSubject, SourceList,
};

fn rss_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with(field)).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// CPU time (user + system) consumed by this process so far, from `/proc/self/stat` (clock ticks
/// of 10 ms). Wall-clock figures on a shared machine include time spent waiting for the CPU.
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let rest = s.rsplit(')').next()?.to_owned();
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let utime: f64 = fields.get(11)?.parse().ok()?;
            let stime: f64 = fields.get(12)?.parse().ok()?;
            Some((utime + stime) / 100.0)
        })
        .unwrap_or(0.0)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/sanctions");
    if !dir.is_dir() {
        eprintln!("SKIPPED: sanctions data folder {} not found", dir.display());
        return;
    }
    let rss_start = rss_kib("VmRSS:");

    // Full SDN import: decompress + parse, and parse alone from memory.
    let sdn_path = dir.join("ofac/sdn_advanced/sdn_advanced_2025-11-19.xml.bz2");
    let t = Instant::now();
    let raw = read_input(&sdn_path).unwrap();
    let decompress = t.elapsed();
    let t = Instant::now();
    let sdn = parse_ofac_advanced(&raw, SourceList::OfacSdn).unwrap();
    let parse = t.elapsed();
    println!(
        "full SDN advanced XML: {} MB, bzip2 decompression {:.2} s, parse {:.2} s ({} entities)",
        raw.len() / 1_000_000,
        decompress.as_secs_f64(),
        parse.as_secs_f64(),
        sdn.entities.len()
    );
    drop(raw);

    let mut entities = sdn.entities;
    let t = Instant::now();
    for (format, list, path) in [
        (ListFormat::OfacLegacyCsv, SourceList::OfacConsolidated, "ofac/non_sdn_consolidated_2025-12-19"),
        (ListFormat::UnXml, SourceList::UnSecurityCouncil, "un/un_consolidated_2026-02-27.xml"),
        (ListFormat::UkCsv, SourceList::UkSanctionsList, "uk/fcdo_uk_sanctions_list_summary_2025-08-11.csv"),
    ] {
        entities.extend(load_list(format, list, &dir.join(path)).unwrap().list.entities);
    }
    println!("OFAC consolidated + UN + UK import: {:.3} s", t.elapsed().as_secs_f64());
    let rss_entities = rss_kib("VmRSS:");

    let t = Instant::now();
    let index = ScreeningIndex::build(entities);
    let build = t.elapsed();
    let rss_index = rss_kib("VmRSS:");
    println!(
        "index build: {:.2} s for {} entities / {} names; RSS {} MB at start, {} MB with entities, {} MB with index (index ≈ {} MB)",
        build.as_secs_f64(),
        index.entities().len(),
        index.name_count(),
        rss_start / 1024,
        rss_entities / 1024,
        rss_index / 1024,
        rss_index.saturating_sub(rss_entities) / 1024
    );

    // Queries: 100,000 synthetic customers and the 683 damaged UN persons.
    let mut subjects = Vec::new();
    for file in [
        "eval/yente/negatives_global.csv",
        "eval/yente/negatives_us.csv",
        "eval/yente/positives_un_treated.csv",
    ] {
        let mut reader = csv::Reader::from_path(dir.join(file)).unwrap();
        for r in reader.records() {
            let r = r.unwrap();
            subjects.push(ScreeningSubject {
                names: vec![r[0].to_owned()],
                kind: Some(EntityKind::Person),
                birth_date: PartialDate::parse(&r[5]),
                countries: Some(r[7].to_owned()).filter(|s| !s.is_empty()).into_iter().collect(),
                gender: Gender::parse(&r[4]),
            });
        }
    }
    let config = ScreeningConfig::default();
    // Warm-up.
    for s in subjects.iter().take(2_000) {
        std::hint::black_box(index.screen(s, &config));
    }
    let mut times = Vec::with_capacity(subjects.len());
    let mut hits = 0usize;
    let cpu_start = cpu_seconds();
    let t = Instant::now();
    for s in &subjects {
        let start = Instant::now();
        let h = index.screen(s, &config);
        times.push(start.elapsed());
        hits += usize::from(!h.is_empty());
    }
    let total = t.elapsed();
    let cpu = cpu_seconds() - cpu_start;
    times.sort();
    println!(
        "name screening, 1 thread, {} customers: {:.0} screens/s, p50 {:.1} µs, p90 {:.1} µs, p99 {:.1} µs, max {:.1} µs ({} with hits)",
        subjects.len(),
        subjects.len() as f64 / total.as_secs_f64(),
        percentile(&times, 0.5).as_secs_f64() * 1e6,
        percentile(&times, 0.9).as_secs_f64() * 1e6,
        percentile(&times, 0.99).as_secs_f64() * 1e6,
        times.last().map_or(0.0, |d| d.as_secs_f64() * 1e6),
        hits
    );
    if cpu > 0.0 {
        println!(
            "name screening per CPU-second (excludes time waiting for the CPU): {:.0} screens/s ({:.1} µs CPU per screen)",
            subjects.len() as f64 / cpu,
            cpu * 1e6 / subjects.len() as f64
        );
    }
    let address = index
        .entities()
        .iter()
        .flat_map(|e| e.crypto_addresses.iter())
        .next()
        .map(|c| c.address.clone())
        .unwrap_or_default();
    let t = Instant::now();
    let n = 100_000;
    for _ in 0..n {
        std::hint::black_box(index.screen_address(std::hint::black_box(&address)));
    }
    println!("address screening: {:.2} µs per lookup", t.elapsed().as_secs_f64() * 1e6 / n as f64);
    println!("peak RSS {} MB", rss_kib("VmHWM:") / 1024);
}
