//! AML enforcement cost (issue 7): what the frozen-account check adds to every SEP request.
//!
//! Loads 100,000 frozen accounts into a fresh, migrated SQLite database, opens the monitor (which
//! loads them into memory) and times `AmlMonitor::account_frozen` — the in-memory check behind
//! `ScreeningRegistry::is_frozen` that SEP-10, SEP-12 and SEP-3 routes call — for frozen and
//! non-frozen `G…` and `M…` accounts, on one thread and on two threads at once, and through the
//! async `ScreeningRegistry::is_frozen` the routes actually await. Needs no list data.
//!
//! ```sh
//! cargo bench -p anchor-aml --bench enforcement [-- --frozen 100000 --calls 2000000]
//! ```
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark stops at its first failure, and the panic says where"
)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use anchor_aml::{AmlMonitor, MonitorConfig};
use anchor_core::testing::sqlite_database;
use anchor_core::ScreeningRegistry;
use anchor_screening::ScreeningConfig;

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

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn key(&mut self) -> [u8; 32] {
        let mut bytes = [0u8; 32];
        for chunk in bytes.chunks_mut(8) {
            chunk.copy_from_slice(&self.next().to_le_bytes());
        }
        bytes
    }
}

fn g(key: [u8; 32]) -> String {
    stellar_strkey::ed25519::PublicKey(key).to_string().as_str().to_owned()
}

fn m(key: [u8; 32], id: u64) -> String {
    stellar_strkey::ed25519::MuxedAccount { ed25519: key, id }.to_string().as_str().to_owned()
}

/// Calls `account_frozen` `calls` times on each of `threads` threads, cycling through `accounts`;
/// returns (ns per call per thread, total calls per second, CPU ns per call).
fn measure(
    monitor: &AmlMonitor,
    accounts: &[String],
    expect: bool,
    calls: usize,
    threads: usize,
) -> (f64, f64, f64) {
    let cpu = cpu_seconds();
    let start = Instant::now();
    std::thread::scope(|scope| {
        for t in 0..threads {
            scope.spawn(move || {
                let n = accounts.len();
                let mut frozen = 0usize;
                for i in 0..calls {
                    let account = &accounts[(i + t * 7919) % n];
                    frozen += usize::from(monitor.account_frozen(black_box(account)).unwrap());
                }
                assert_eq!(frozen == calls, expect, "every answer is right");
            });
        }
    });
    let wall = start.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu;
    let total = (calls * threads) as f64;
    (wall * 1e9 / calls as f64, total / wall, cpu * 1e9 / total)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let frozen_count: usize = value("--frozen").map_or(100_000, |v| v.parse().expect("--frozen N"));
    let calls: usize = value("--calls").map_or(2_000_000, |v| v.parse().expect("--calls N"));
    println!(
        "AML enforcement benchmark: {frozen_count} frozen accounts, {calls} calls per case and thread, {} cores, load average {}",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        load_average()
    );

    let test_db = sqlite_database();
    let database = test_db.database();
    let mut rng = Rng(11);
    let frozen_keys: Vec<[u8; 32]> = (0..frozen_count).map(|_| rng.key()).collect();
    {
        use anchor_core::db::schema::aml_frozen_accounts::dsl as f;
        use diesel::prelude::*;
        // Row by row (the multi-backend connection has no batch insert), 1,000 per transaction.
        for chunk in frozen_keys.chunks(1000) {
            database
                .run_blocking(|conn| {
                    conn.transaction::<_, diesel::result::Error, _>(|conn| {
                        for key in chunk {
                            diesel::insert_into(f::aml_frozen_accounts)
                                .values((
                                    f::account.eq(g(*key)),
                                    f::subject_id.eq(None::<i64>),
                                    f::case_id.eq(None::<i64>),
                                    f::frozen_at.eq(0_i64),
                                    f::reason.eq("benchmark"),
                                ))
                                .execute(conn)?;
                        }
                        Ok(())
                    })?;
                    Ok(())
                })
                .unwrap();
        }
    }
    let config = MonitorConfig {
        screening: ScreeningConfig::default(),
        scan_interval: Duration::from_secs(86_400),
        batch_size: 1000,
        scan_lease: Duration::from_secs(60),
        // Long enough that the in-memory set does not go stale during the run.
        sync_interval: Duration::from_secs(3600),
        allowlist_expiry: Duration::from_secs(31_536_000),
        audit_retention_days: 2555,
        freeze_scope: Default::default(),
    };
    let t = Instant::now();
    let monitor = AmlMonitor::open(database, config, None).unwrap();
    println!(
        "AmlMonitor::open with {} frozen accounts in memory: {:.2} s",
        monitor.frozen_in_memory(),
        t.elapsed().as_secs_f64()
    );
    assert_eq!(monitor.frozen_in_memory(), frozen_count);

    // 4,096 distinct accounts per case, visited in turn, so the lookups touch the set's memory
    // as a real stream of requests would (not one hot bucket).
    let pool = 4096.min(frozen_count);
    let cases: Vec<(&str, Vec<String>, bool)> = vec![
        ("frozen G…", frozen_keys.iter().take(pool).map(|k| g(*k)).collect(), true),
        ("not frozen G…", (0..pool).map(|_| g(rng.key())).collect(), false),
        ("frozen M…", frozen_keys.iter().take(pool).map(|k| m(*k, rng.next())).collect(), true),
        ("not frozen M…", (0..pool).map(|_| m(rng.key(), rng.next())).collect(), false),
    ];

    println!("\n| account | 1 thread: ns/call | 2 threads: ns/call (each) | 2 threads: calls/s | CPU ns/call (2 threads) | load average |");
    println!("|---|---|---|---|---|---|");
    for (label, accounts, expect) in &cases {
        // Warm-up.
        measure(&monitor, accounts, *expect, calls / 10, 1);
        let (one, _, _) = measure(&monitor, accounts, *expect, calls, 1);
        let (two, rate, cpu) = measure(&monitor, accounts, *expect, calls, 2);
        println!("| {label} | {one:.0} | {two:.0} | {rate:.0} | {cpu:.0} | {} |", load_average());
    }

    // Through the async trait the routes await (`ctx.integrations().screening_registry()
    // .is_frozen(account).await`): adds the boxed future of `async_trait`.
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let registry: std::sync::Arc<dyn ScreeningRegistry> = std::sync::Arc::new(monitor.clone());
    println!("\nasync `ScreeningRegistry::is_frozen` (dyn, boxed future), one thread:");
    for (label, accounts, expect) in &cases {
        let n = accounts.len();
        let start = Instant::now();
        let frozen = runtime.block_on(async {
            let mut frozen = 0usize;
            for i in 0..calls {
                frozen += usize::from(registry.is_frozen(black_box(&accounts[i % n])).await.unwrap());
            }
            frozen
        });
        assert_eq!(frozen == calls, *expect);
        println!(
            "  {label}: {:.0} ns per call (load average {})",
            start.elapsed().as_secs_f64() * 1e9 / calls as f64,
            load_average()
        );
    }

    // What the G…/M… parsing costs by itself (the M… path converts to G… first).
    let muxed = &cases[2].1;
    let start = Instant::now();
    for i in 0..calls {
        black_box(
            stellar_strkey::ed25519::MuxedAccount::from_string(black_box(&muxed[i % muxed.len()])).unwrap(),
        );
    }
    println!(
        "\nfor comparison: parsing an M… account alone {:.0} ns; load average at the end {}",
        start.elapsed().as_secs_f64() * 1e9 / calls as f64,
        load_average()
    );
}
