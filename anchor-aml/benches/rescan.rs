//! AML monitoring benchmark (issue 7): a full rescreen of N synthetic customers against every
//! loaded list, through the real monitor (`AmlMonitor::request_scan` + `run_due_scans`) on a
//! fresh, migrated database.
//!
//! Lists: OFAC SDN (advanced XML) + OFAC consolidated + UN + UK from `../shared/data/sanctions`,
//! imported with `ListStore::import` (prints `SKIPPED` when the folder is absent). Customers: the
//! 100,000 non-listed people of `eval/yente/negatives_*` (name, date of birth, nationality), then,
//! beyond 100,000, names recombined from the same pools (first, middle and last names of one
//! script); each with a random Stellar `G…` account. K listed persons (exact primary name, listed
//! date of birth and nationality when published) are planted at random positions and must all be
//! found: the run exits non-zero with `FAIL` otherwise.
//!
//! ```sh
//! cargo bench -p anchor-aml --bench rescan                          # 100,000 customers, 100 planted
//! cargo bench -p anchor-aml --bench rescan -- --subjects 1000000    # 1,000 planted
//! cargo bench -p anchor-aml --bench rescan -- --batch-sizes 1000,5000   # then rescans per batch size
//! ```
//!
//! Options: `--subjects N`, `--planted K` (default N/1000, at least 10), `--batch-size B` (first
//! scan; default 1000 = `AML_BATCH_SIZE`), `--batch-sizes B1,B2,…` (extra rescans of the same
//! database, one per size), `--no-baseline` (skip the in-memory screening baseline), `--seed S`.
//! With `ANCHOR_BENCH_POSTGRES_URL` (an administrative URL) and a build with
//! `--features anchor-core/postgres`, the same run is repeated on a fresh PostgreSQL database.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark stops at its first failure, and the panic says where"
)]

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anchor_aml::{AmlMonitor, CaseFilter, ListStore, MonitorConfig, ScanProgress};
use anchor_core::integrations::sanctions::ScreeningSubject as Party;
use anchor_core::testing::{sqlite_database, test_databases, TestDatabase};
use anchor_core::{Database, Sensitive};
use anchor_screening::{
    load_list, Country, CountryRole, EntityKind, ImportPolicy, ListFormat, LoadedList, PartialDate,
    SanctionsEntity, ScreeningConfig, ScreeningIndex, ScreeningSubject, SourceList,
};

// ---------------------------------------------------------------------------------------------
// Measuring helpers.

fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with(field)).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Resets the process's peak resident set (VmHWM) to its current size, so the next read of
/// VmHWM is the peak of what follows. Returns whether the kernel accepted it.
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// CPU time (user + system) of this process so far, from `/proc/self/stat` (10 ms ticks).
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

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// Wall time, CPU time and load average of one timed phase.
struct Phase {
    wall: Duration,
    cpu: f64,
    load_before: String,
    load_after: String,
}

fn timed<T>(work: impl FnOnce() -> T) -> (T, Phase) {
    let load_before = load_average();
    let cpu = cpu_seconds();
    let start = Instant::now();
    let out = work();
    let wall = start.elapsed();
    let phase = Phase { wall, cpu: cpu_seconds() - cpu, load_before, load_after: load_average() };
    (out, phase)
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:.2} s wall, {:.2} s CPU (user+sys, {:.2} cores busy), load average {} → {}",
            self.wall.as_secs_f64(),
            self.cpu,
            self.cpu / self.wall.as_secs_f64().max(1e-9),
            self.load_before,
            self.load_after
        )
    }
}

// ---------------------------------------------------------------------------------------------
// Deterministic generator.

/// SplitMix64: small, fast, reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn account(&mut self) -> String {
        let mut bytes = [0u8; 32];
        for chunk in bytes.chunks_mut(8) {
            chunk.copy_from_slice(&self.next().to_le_bytes());
        }
        stellar_strkey::ed25519::PublicKey(bytes).to_string().as_str().to_owned()
    }

    fn date_of_birth(&mut self) -> String {
        format!("{}-{:02}-{:02}", 1940 + self.below(67), 1 + self.below(12), 1 + self.below(28))
    }
}

/// One row of the yente negatives.
struct Person {
    full: String,
    first: String,
    middle: String,
    last: String,
    dob: String,
    country: Option<String>,
}

/// Names of one script recombine with each other only (no Arabic first name with a Hangul
/// surname): the key is the Unicode block of the first letter, Latin scripts together.
fn script_key(name: &str) -> u32 {
    let c = name.chars().find(|c| c.is_alphabetic()).map_or(0, u32::from);
    if c < 0x250 {
        0
    } else {
        c >> 7
    }
}

struct Population {
    people: Vec<Person>,
    /// Indices into `people` per script.
    by_script: HashMap<u32, Vec<usize>>,
    scripts: Vec<u32>,
}

impl Population {
    fn load(dir: &Path) -> Population {
        let mut people = Vec::new();
        let mut iso = HashMap::new();
        for file in ["eval/yente/negatives_global.csv", "eval/yente/negatives_us.csv"] {
            let mut reader = csv::Reader::from_path(dir.join(file)).unwrap();
            for record in reader.records() {
                let r = record.unwrap();
                let country =
                    iso.entry(r[7].to_owned()).or_insert_with(|| Country::from_text(&r[7]).iso2).clone();
                people.push(Person {
                    full: r[0].to_owned(),
                    first: r[1].to_owned(),
                    middle: r[2].to_owned(),
                    last: r[3].to_owned(),
                    dob: r[5].to_owned(),
                    country,
                });
            }
        }
        let mut by_script: HashMap<u32, Vec<usize>> = HashMap::new();
        for (i, person) in people.iter().enumerate() {
            if !person.first.is_empty() && !person.last.is_empty() {
                by_script.entry(script_key(&person.full)).or_default().push(i);
            }
        }
        let mut scripts: Vec<u32> = by_script.keys().copied().collect();
        scripts.sort_unstable();
        Population { people, by_script, scripts }
    }
}

/// A planted listed person.
#[derive(Clone)]
struct Planted {
    name: String,
    list: String,
    entry_id: String,
    dob: Option<String>,
    country: Option<String>,
}

fn plant_of(entity: &SanctionsEntity) -> Planted {
    let dob = entity.birth_dates.first().map(|date| {
        let d = date.from;
        PartialDate::ymd(d.year, d.month.unwrap_or(1), d.day.unwrap_or(1)).to_string()
    });
    let country = entity
        .countries
        .iter()
        .filter(|link| matches!(link.role, CountryRole::Nationality | CountryRole::Citizenship))
        .chain(entity.countries.iter())
        .find_map(|link| link.country.iso2.clone());
    Planted {
        name: entity.names[0].full_name.clone(),
        list: entity.list.code(),
        entry_id: entity.source_id.clone(),
        dob,
        country,
    }
}

/// The customers: `(key, screening fields)`, generated lazily and reproducibly.
struct Customers<'a> {
    population: &'a Population,
    order: Vec<usize>,
    planted: &'a HashMap<usize, Planted>,
    rng: Rng,
    next: usize,
    total: usize,
}

/// One generated customer, also in the engine's form for the in-memory baseline.
struct Customer {
    key: String,
    name: String,
    dob: Option<String>,
    country: Option<String>,
    account: String,
}

impl Customer {
    fn party(&self) -> Party {
        let mut party = Party::named(self.name.clone());
        party.date_of_birth = self.dob.clone().map(Sensitive::new);
        party.country = self.country.clone();
        party.stellar_accounts = vec![self.account.clone()];
        party
    }

    fn engine(&self) -> ScreeningSubject {
        ScreeningSubject {
            names: vec![self.name.clone()],
            birth_date: self.dob.as_deref().and_then(PartialDate::parse),
            countries: self.country.iter().cloned().collect(),
            ..ScreeningSubject::default()
        }
    }
}

impl<'a> Customers<'a> {
    fn new(
        population: &'a Population,
        planted: &'a HashMap<usize, Planted>,
        total: usize,
        seed: u64,
    ) -> Self {
        let mut rng = Rng(seed);
        let mut order: Vec<usize> = (0..population.people.len()).collect();
        for i in (1..order.len()).rev() {
            order.swap(i, rng.below(i + 1));
        }
        Customers { population, order, planted, rng, next: 0, total }
    }
}

impl Iterator for Customers<'_> {
    type Item = Customer;

    fn next(&mut self) -> Option<Customer> {
        if self.next >= self.total {
            return None;
        }
        let i = self.next;
        self.next += 1;
        let account = self.rng.account();
        let key = format!("sep12:{account}");
        if let Some(plant) = self.planted.get(&i) {
            let dob = plant.dob.clone().or_else(|| Some(self.rng.date_of_birth()));
            return Some(Customer {
                key,
                name: plant.name.clone(),
                dob,
                country: plant.country.clone(),
                account,
            });
        }
        let pop = self.population;
        if i < self.order.len() {
            let person = &pop.people[self.order[i]];
            return Some(Customer {
                key,
                name: person.full.clone(),
                dob: Some(person.dob.clone()).filter(|d| !d.is_empty()),
                country: person.country.clone(),
                account,
            });
        }
        // Beyond the real rows: first (and sometimes middle) name of one person, surname of
        // another of the same script, a fresh date of birth.
        let script = pop.scripts[self.rng.below(pop.scripts.len())];
        let pool = &pop.by_script[&script];
        let a = &pop.people[pool[self.rng.below(pool.len())]];
        let b = &pop.people[pool[self.rng.below(pool.len())]];
        let middle = if self.rng.below(10) < 3 {
            let c = &pop.people[pool[self.rng.below(pool.len())]];
            if c.middle.is_empty() {
                c.first.clone()
            } else {
                c.middle.clone()
            }
        } else {
            String::new()
        };
        let name = [a.first.as_str(), middle.as_str(), b.last.as_str()]
            .iter()
            .filter(|part| !part.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" ");
        Some(Customer { key, name, dob: Some(self.rng.date_of_birth()), country: a.country.clone(), account })
    }
}

// ---------------------------------------------------------------------------------------------
// The run.

struct Options {
    subjects: usize,
    planted: usize,
    batch_size: u32,
    batch_sizes: Vec<u32>,
    baseline: bool,
    baseline_only: bool,
    seed: u64,
}

fn options() -> Options {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let subjects = value("--subjects").map_or(100_000, |v| v.replace('_', "").parse().expect("--subjects N"));
    let planted = value("--planted").map_or((subjects / 1000).max(10), |v| v.parse().expect("--planted K"));
    Options {
        subjects,
        planted: planted.min(subjects),
        batch_size: value("--batch-size").map_or(1000, |v| v.parse().expect("--batch-size B")),
        batch_sizes: value("--batch-sizes")
            .map(|v| v.split(',').map(|b| b.trim().parse().expect("--batch-sizes B1,B2")).collect())
            .unwrap_or_default(),
        baseline: !args.iter().any(|a| a == "--no-baseline"),
        baseline_only: args.iter().any(|a| a == "--baseline-only"),
        seed: value("--seed").map_or(7, |v| v.parse().expect("--seed S")),
    }
}

fn monitor_config(batch_size: u32) -> MonitorConfig {
    MonitorConfig {
        screening: ScreeningConfig::default(),
        scan_interval: Duration::from_secs(86_400),
        batch_size,
        scan_lease: Duration::from_secs(60),
        sync_interval: Duration::from_secs(5),
        allowlist_expiry: Duration::from_secs(31_536_000),
        audit_retention_days: 2555,
        freeze_scope: Default::default(),
    }
}

fn load_lists(dir: &Path) -> Vec<LoadedList> {
    [
        (
            ListFormat::OfacAdvancedXml,
            SourceList::OfacSdn,
            "ofac/sdn_advanced/sdn_advanced_2025-11-19.xml.bz2",
        ),
        (ListFormat::OfacLegacyCsv, SourceList::OfacConsolidated, "ofac/non_sdn_consolidated_2025-12-19"),
        (ListFormat::UnXml, SourceList::UnSecurityCouncil, "un/un_consolidated_2026-02-27.xml"),
        (ListFormat::UkCsv, SourceList::UkSanctionsList, "uk/fcdo_uk_sanctions_list_summary_2025-08-11.csv"),
    ]
    .into_iter()
    .map(|(format, list, path)| load_list(format, list, &dir.join(path)).unwrap())
    .collect()
}

/// `K` distinct listed persons (distinct primary names), drawn at random.
fn choose_planted(lists: &[LoadedList], k: usize, rng: &mut Rng) -> Vec<Planted> {
    let mut persons: Vec<&SanctionsEntity> = lists
        .iter()
        .flat_map(|l| l.list.entities.iter())
        .filter(|e| {
            e.kind == EntityKind::Person && !e.names.is_empty() && !e.names[0].full_name.trim().is_empty()
        })
        .collect();
    for i in (1..persons.len()).rev() {
        persons.swap(i, rng.below(i + 1));
    }
    let mut names = HashSet::new();
    persons
        .into_iter()
        .filter(|e| names.insert(e.names[0].full_name.to_lowercase()))
        .take(k)
        .map(plant_of)
        .collect()
}

/// Where each planted person goes: `position → planted`, reproducibly.
fn plant_positions(planted: &[Planted], opts: &Options) -> HashMap<usize, Planted> {
    let mut rng = Rng(opts.seed ^ 0x5eed);
    let mut positions = HashMap::new();
    while positions.len() < planted.len() {
        let at = rng.below(opts.subjects);
        if !positions.contains_key(&at) {
            positions.insert(at, planted[positions.len()].clone());
        }
    }
    positions
}

fn count_rows(database: &Database, table: &'static str) -> i64 {
    use anchor_core::db::schema::{aml_audit_log, aml_cases, aml_frozen_accounts, aml_subjects};
    use diesel::prelude::*;
    database
        .run_blocking(|conn| {
            Ok(match table {
                "cases" => aml_cases::table.count().get_result(conn)?,
                "frozen" => aml_frozen_accounts::table.count().get_result(conn)?,
                "subjects" => aml_subjects::table.count().get_result(conn)?,
                _ => aml_audit_log::table.count().get_result(conn)?,
            })
        })
        .unwrap()
}

fn subject_ids(database: &Database, keys: &[String]) -> HashMap<String, i64> {
    use anchor_core::db::schema::aml_subjects::dsl as s;
    use diesel::prelude::*;
    let mut out = HashMap::new();
    for chunk in keys.chunks(500) {
        let rows: Vec<(String, i64)> = database
            .run_blocking(|conn| {
                Ok(s::aml_subjects
                    .select((s::subject_key, s::id))
                    .filter(s::subject_key.eq_any(chunk))
                    .load(conn)?)
            })
            .unwrap();
        out.extend(rows);
    }
    out
}

/// Runs one full rescan; returns the phase and the scan's (screened, subjects with hits).
fn rescan(monitor: &AmlMonitor, label: &str) -> (Phase, i64, i64, u64) {
    let mut batches = 0u64;
    let mut last_report = Instant::now();
    let mut progress = |p: &ScanProgress| {
        batches += 1;
        if last_report.elapsed() > Duration::from_secs(10) {
            last_report = Instant::now();
            eprintln!("  … {label}: {}/{} screened, {} with hits", p.screened, p.total, p.hits);
        }
    };
    let (summaries, phase) = timed(|| {
        monitor.request_scan("benchmark").unwrap();
        monitor.run_due_scans(&mut progress).unwrap()
    });
    assert_eq!(summaries.len(), 1, "one scan ran");
    (phase, summaries[0].screened, summaries[0].hits, batches)
}

fn run_backend(
    test_db: &TestDatabase,
    dir: &Path,
    lists: Vec<LoadedList>,
    planted: &[Planted],
    opts: &Options,
) -> bool {
    println!("\n=== backend: {} ===", test_db.name);
    let database = test_db.database();
    let store = ListStore::new(database.clone());
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let (_, phase) = timed(|| {
        for loaded in &lists {
            store.import(loaded, &ImportPolicy::default(), now).unwrap();
        }
    });
    println!("lists stored in the database (ListStore::import ×{}): {phase}", lists.len());
    // The monitor loads its own copy from the database, as in production.
    drop(lists);

    let (monitor, phase) =
        timed(|| AmlMonitor::open(database.clone(), monitor_config(opts.batch_size), None).unwrap());
    println!("AmlMonitor::open (loads the active versions, builds the index): {phase}");

    // Customers, planted names at random positions.
    let population = Population::load(dir);
    let positions = plant_positions(planted, opts);
    let mut planted_keys: Vec<(String, String, Planted)> = Vec::new();
    let (enrolled, phase) = timed(|| {
        let customers =
            Customers::new(&population, &positions, opts.subjects, opts.seed).enumerate().map(|(i, c)| {
                if let Some(plant) = positions.get(&i) {
                    planted_keys.push((c.key.clone(), c.account.clone(), plant.clone()));
                }
                (c.key.clone(), c.party())
            });
        monitor.enrol_subjects(customers).unwrap()
    });
    println!(
        "enrolled {enrolled} customers ({} planted listed persons) with enrol_subjects (not part of the scan): {phase}; {:.0} subjects/s",
        planted_keys.len(),
        enrolled as f64 / phase.wall.as_secs_f64()
    );
    assert_eq!(enrolled, opts.subjects);
    drop(population);
    // As the background tick does before it runs a scan.
    monitor.sync_frozen().unwrap();

    // The full rescan.
    let rss_before = status_kib("VmRSS:");
    let reset = reset_peak_rss();
    let (phase, screened, hits, batches) = rescan(&monitor, "full rescan");
    let peak = status_kib("VmHWM:");
    let rate = screened as f64 / phase.wall.as_secs_f64();
    println!(
        "FULL RESCAN of {screened} subjects (batch size {}, {batches} batches): {phase}",
        opts.batch_size
    );
    println!(
        "  {rate:.0} subjects/s wall clock, {:.0} subjects per CPU-second; {:.1} µs CPU per subject",
        screened as f64 / phase.cpu.max(1e-9),
        phase.cpu * 1e6 / screened as f64
    );
    println!(
        "  resident memory: {} MB before the scan, peak during the scan {} MB{}",
        rss_before / 1024,
        peak / 1024,
        if reset { "" } else { " (VmHWM could not be reset: process-wide peak)" }
    );
    let cases = count_rows(&database, "cases");
    let frozen = count_rows(&database, "frozen");
    println!(
        "  subjects with hits {hits}; cases opened {cases}; frozen accounts {frozen} (in memory {}); audit records {}",
        monitor.frozen_in_memory(),
        count_rows(&database, "audit")
    );

    // Every planted name must be found.
    let keys: Vec<String> = planted_keys.iter().map(|(key, _, _)| key.clone()).collect();
    let ids = subject_ids(&database, &keys);
    let (mut exact, mut by_name, mut frozen_planted, mut stale) = (0, 0, 0, 0);
    let mut missed = Vec::new();
    for (key, account, plant) in &planted_keys {
        let filter = CaseFilter { subject_id: Some(ids[key]), ..CaseFilter::default() };
        let subject_cases = monitor.cases(&filter).unwrap();
        let on_entry = subject_cases.iter().any(|c| c.list == plant.list && c.entry_id == plant.entry_id);
        let on_name = subject_cases.iter().any(|c| c.entry_name.to_lowercase() == plant.name.to_lowercase());
        exact += usize::from(on_entry);
        by_name += usize::from(on_entry || on_name);
        // Enforcement right after the scan, as a SEP request would see it: `Err` means the
        // in-memory frozen set went stale during the scan and every request is refused.
        match monitor.account_frozen(account) {
            Ok(frozen) => frozen_planted += usize::from(frozen),
            Err(_) => stale += 1,
        }
        if !(on_entry || on_name) {
            missed.push(format!(
                "{} ({} {}, dob {:?}, country {:?}; {} other cases)",
                plant.name,
                plant.list,
                plant.entry_id,
                plant.dob,
                plant.country,
                subject_cases.len()
            ));
        }
    }
    let k = planted_keys.len();
    println!(
        "  planted listed persons found: {by_name}/{k} (case on the planted entry itself: {exact}/{k}); their accounts frozen: {frozen_planted}/{k}"
    );
    if stale > 0 {
        println!(
            "FAIL: account_frozen answered Err (frozen set stale: not refreshed for longer than max(10 × AML_SYNC_INTERVAL, 60 s)) right after the scan, {stale}/{k} checks; every SEP request would be refused"
        );
    }
    let ok = by_name == k && screened == opts.subjects as i64 && stale == 0;
    if !ok {
        println!(
            "FAIL: {} planted listed persons not found, screened {screened} of {}:",
            k - by_name,
            opts.subjects
        );
        for line in missed.iter().take(50) {
            println!("  missed: {line}");
        }
    }

    // Batch-size effect: rescans of the same database (cases and freezes already exist, as in
    // every nightly rescan after the first).
    for &size in &opts.batch_sizes {
        let monitor = AmlMonitor::open(database.clone(), monitor_config(size), None).unwrap();
        let (phase, screened, _, batches) = rescan(&monitor, &format!("rescan, batch {size}"));
        println!(
            "RESCAN (cases exist) batch size {size} ({batches} batches): {:.0} subjects/s; {phase}",
            screened as f64 / phase.wall.as_secs_f64()
        );
    }

    // Baseline: the same customers screened in memory with the engine alone, on as many threads
    // as the scanner uses, no database: what the scan would cost if the database were free.
    if opts.baseline {
        let index = ScreeningIndex::build(store.active_entities().unwrap());
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
        baseline(&index, dir, &positions, opts, threads, None);
    }
    ok
}

/// The same customers screened in memory with the engine alone, no database: what the scan would
/// cost if the database were free. `kind`: screen them as persons (the monitor does not say).
fn baseline(
    index: &ScreeningIndex,
    dir: &Path,
    positions: &HashMap<usize, Planted>,
    opts: &Options,
    threads: usize,
    kind: Option<EntityKind>,
) {
    let population = Population::load(dir);
    let config = ScreeningConfig::default();
    let mut customers = Customers::new(&population, positions, opts.subjects, opts.seed);
    let mut generate = Duration::ZERO;
    let mut with_hits = 0usize;
    let (_, phase) = timed(|| loop {
        let start = Instant::now();
        let chunk: Vec<(ScreeningSubject, String)> = customers
            .by_ref()
            .take(10_000)
            .map(|c| (ScreeningSubject { kind, ..c.engine() }, c.account))
            .collect();
        generate += start.elapsed();
        if chunk.is_empty() {
            break;
        }
        let part = chunk.len().div_ceil(threads);
        with_hits += std::thread::scope(|scope| {
            let handles: Vec<_> = chunk
                .chunks(part)
                .map(|slice| {
                    let config = &config;
                    scope.spawn(move || {
                        slice
                            .iter()
                            .filter(|(subject, account)| {
                                let mut hits = index.screen(subject, config);
                                hits.extend(index.screen_address(account));
                                !hits.is_empty()
                            })
                            .count()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).sum::<usize>()
        });
    });
    let screen_wall = phase.wall.saturating_sub(generate);
    println!(
        "BASELINE in-memory screening (no database) of the same {} customers, {threads} thread(s), kind {}: {:.2} s wall ({:.2} s more generating customers), {:.0} subjects/s, {:.1} µs CPU per subject; {phase}; {with_hits} with hits",
        opts.subjects,
        kind.map_or("unset (as the monitor screens)".to_string(), |k| format!("{k:?}")),
        screen_wall.as_secs_f64(),
        generate.as_secs_f64(),
        opts.subjects as f64 / screen_wall.as_secs_f64(),
        phase.cpu * 1e6 / opts.subjects as f64,
    );
}

fn main() {
    let opts = options();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/sanctions");
    if !dir.is_dir() {
        println!("SKIPPED: sanctions data folder {} not found", dir.display());
        return;
    }
    println!(
        "AML rescan benchmark: {} customers, {} planted, seed {}, {} cores, load average {}",
        opts.subjects,
        opts.planted,
        opts.seed,
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        load_average()
    );
    let (lists, phase) = timed(|| load_lists(&dir));
    println!(
        "lists parsed: {} entities ({}): {phase}",
        lists.iter().map(|l| l.list.entities.len()).sum::<usize>(),
        lists
            .iter()
            .map(|l| format!("{} {}", l.version.list.code(), l.list.entities.len()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut rng = Rng(opts.seed);
    let planted = choose_planted(&lists, opts.planted, &mut rng);
    assert_eq!(planted.len(), opts.planted, "enough listed persons to plant");

    if opts.baseline_only {
        // Engine alone: one and two threads, kind unset (as the monitor screens) and Person.
        let index = ScreeningIndex::build(lists.into_iter().flat_map(|l| l.list.entities));
        let positions = plant_positions(&planted, &opts);
        for threads in [1, 2] {
            for kind in [None, Some(EntityKind::Person)] {
                baseline(&index, &dir, &positions, &opts, threads, kind);
            }
        }
        return;
    }
    let mut databases = vec![sqlite_database()];
    if let Ok(url) = std::env::var("ANCHOR_BENCH_POSTGRES_URL") {
        std::env::set_var("ANCHOR_TEST_POSTGRES_URL", url);
        std::env::remove_var("ANCHOR_TEST_MYSQL_URL");
        databases.extend(test_databases().into_iter().filter(|db| db.name == "postgres"));
    }
    let mut ok = true;
    let mut lists = Some(lists);
    for test_db in &databases {
        let lists = lists.take().unwrap_or_else(|| load_lists(&dir));
        ok &= run_backend(test_db, &dir, lists, &planted, &opts);
    }
    println!("process peak RSS {} MB; load average {}", status_kib("VmHWM:") / 1024, load_average());
    if !ok {
        println!("FAIL");
        std::process::exit(1);
    }
}
