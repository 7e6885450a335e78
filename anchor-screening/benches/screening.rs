//! Screening benchmark: loads OFAC SDN (advanced XML) + OFAC consolidated + UN + UK from
//! `../shared/data/sanctions`, builds the index and screens the evaluation customers on one
//! thread, then the worst inputs the API accepts (see `hostile_names`). Run with
//! `cargo bench -p anchor-screening --bench screening`; `SCREENING_BENCH=hostile` runs only the
//! worst-input part.
#![allow(clippy::unwrap_used, reason = "a benchmark stops at its first failure, and the panic says where")]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anchor_screening::{
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

    let config = ScreeningConfig::default();
    hostile_names(&index, &config);
    if std::env::var("SCREENING_BENCH").as_deref() == Ok("hostile") {
        return;
    }

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

/// A small deterministic generator (xorshift64*), so every screened token is new: the index
/// memoises the expansions of tokens it has seen, and the worst case is a token it has not.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[(self.next() % from.len() as u64) as usize]
    }
}

/// A name part of exactly `chars` characters: words of `word` characters from `alphabet`
/// separated by single spaces.
fn name_part(rng: &mut Rng, alphabet: &[&str], chars: usize, word: usize) -> String {
    let mut out = String::new();
    let mut count = 0;
    while count < chars {
        if count > 0 && count % (word + 1) == word {
            out.push(' ');
        } else {
            out.push_str(rng.pick(alphabet));
        }
        count += 1;
    }
    out
}

/// Per-screen time of the worst inputs the API accepts: a SEP-12 person with every name field
/// at its limit (`first_name`, `additional_name`, `last_name` of 256 characters, screened as one
/// name, plus `card.holder_name`) in Latin letters (tokens of 63 bytes, the longest compared by
/// edit distance) and in Cyrillic letters that transliterate longest (щ → shch: 15 letters, 60
/// bytes), names of the most short tokens, common tokens repeated, and what the old 2,000
/// character limit let through. Every screen uses tokens not seen before.
fn hostile_names(index: &ScreeningIndex, config: &ScreeningConfig) {
    const PART: usize = 256;
    const LATIN: &[&str] = &[
        "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p", "q", "r", "s", "t",
        "u", "v", "w", "x", "y", "z",
    ];
    // Letters that transliterate to two to four Latin letters.
    const LONG_CYRILLIC: &[&str] = &["щ", "ш", "ч", "ж", "ю", "я", "ё", "ц", "х"];
    const CYRILLIC: &[&str] = &[
        "а", "б", "в", "г", "д", "е", "ж", "з", "и", "й", "к", "л", "м", "н", "о", "п", "р", "с", "т", "у",
        "ф", "х", "ц", "ч", "ш", "щ", "ы", "э", "ю", "я",
    ];
    type Case = (&'static str, Box<dyn Fn(&mut Rng) -> ScreeningSubject>);
    fn person(names: Vec<String>) -> ScreeningSubject {
        ScreeningSubject {
            names,
            kind: Some(EntityKind::Person),
            birth_date: PartialDate::parse("1970-01-01"),
            countries: vec!["RU".into()],
            gender: None,
        }
    }
    /// SEP-12: given, additional and family name screened as one name, and the card holder.
    fn sep12(rng: &mut Rng, alphabet: &[&str], chars: usize, word: usize) -> ScreeningSubject {
        let parts: Vec<String> = (0..3).map(|_| name_part(rng, alphabet, chars, word)).collect();
        person(vec![parts.join(" "), name_part(rng, alphabet, chars, word)])
    }
    let cases: Vec<Case> = vec![
        (
            "SEP-12 person, every name field 256 Latin letters, 63-byte tokens",
            Box::new(|rng| sep12(rng, LATIN, PART, 63)),
        ),
        (
            "SEP-12 person, every name field 256 Cyrillic letters, 60-byte tokens (щ, ш, ч…)",
            Box::new(|rng| sep12(rng, LONG_CYRILLIC, PART, 15)),
        ),
        (
            "SEP-12 person, every name field 256 Cyrillic letters, 8-letter words",
            Box::new(|rng| sep12(rng, CYRILLIC, PART, 8)),
        ),
        (
            "SEP-12 person, every name field 256 Latin letters, 4-letter words (most tokens)",
            Box::new(|rng| sep12(rng, LATIN, PART, 4)),
        ),
        (
            "SEP-3 sender, first/middle/last/company 256 Cyrillic letters each (60-byte tokens)",
            Box::new(|rng| {
                let parts: Vec<String> = (0..3).map(|_| name_part(rng, LONG_CYRILLIC, PART, 15)).collect();
                let company = name_part(rng, LONG_CYRILLIC, PART, 15);
                ScreeningSubject { names: vec![parts.join(" "), company], ..ScreeningSubject::default() }
            }),
        ),
        (
            "common tokens repeated (\"al mohammad ali\" x 16, \"al\" x 85)",
            Box::new(|_| {
                person(vec![
                    "al mohammad ali ".repeat(16).trim().to_string(),
                    "al ".repeat(85).trim().to_string(),
                ])
            }),
        ),
        (
            "old limit, no edge cap: 2,000 Cyrillic letters in one token (щ), 3 fields",
            Box::new(|_| person(vec![["щ".repeat(2_000), "щ".repeat(2_000), "щ".repeat(2_000)].join(" ")])),
        ),
        (
            "old limit, no edge cap: 2,000 Cyrillic letters per field in 15-letter words, 3 fields",
            Box::new(|rng| {
                let parts: Vec<String> = (0..3).map(|_| name_part(rng, LONG_CYRILLIC, 2_000, 15)).collect();
                person(vec![parts.join(" ")])
            }),
        ),
    ];
    println!("worst accepted inputs (each screen with tokens never seen before; 1 thread):");
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for (label, make) in &cases {
        let subjects: Vec<ScreeningSubject> = (0..500).map(|_| make(&mut rng)).collect();
        let mut times = Vec::with_capacity(subjects.len());
        let cpu_start = cpu_seconds();
        for subject in &subjects {
            let start = Instant::now();
            std::hint::black_box(index.screen(subject, config));
            times.push(start.elapsed());
        }
        let cpu = cpu_seconds() - cpu_start;
        times.sort();
        println!(
            "  {label}: wall p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; mean CPU {:.2} ms per screen",
            percentile(&times, 0.5).as_secs_f64() * 1e3,
            percentile(&times, 0.99).as_secs_f64() * 1e3,
            times.last().map_or(0.0, |d| d.as_secs_f64() * 1e3),
            cpu * 1e3 / subjects.len() as f64,
        );
    }
}
