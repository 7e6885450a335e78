//! `lists import`, `lists update` and `lists status` ([`ListsCommand`]), `audit verify` and
//! `audit export` ([`AuditCommand`]), and `aml scan`, `aml status` and `aml cases`
//! ([`AmlCommand`]): the commands an anchor binary gets by adding them to
//! `Anchor::commands`.

use anchor_core::clock::unix_now;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anchor_core::cli::{open, CliExtension};
use anchor_core::net::{self, OutboundBuilder, Redirects, Trust};
use clap::{Arg, ArgAction, ArgMatches, Command};

use crate::audit::{write_audit_records, AuditTrail, AuditVerdict, ExportFormat};
use crate::error::{Error, Result};
use crate::monitor::{
    AmlMonitor, CaseFilter, CaseStatus, CaseSummary, MonitorStats, ScanKind, ScanProgress, ScanStatus,
    ScanSummary,
};
use crate::store::{ImportOutcome, ListStore, StoredVersion};
use anchor_screening::parse_custom_csv;
use anchor_screening::SourceList;
use anchor_screening::{load_list, read_input, ListFormat, LoadedList};
use anchor_screening::{ImportPolicy, ListVersion};

/// Largest list file `lists update` downloads (the decompressed size is capped by
/// [`anchor_screening::MAX_DECOMPRESSED_BYTES`]).
pub(crate) const MAX_DOWNLOAD_BYTES: u64 = 512 * 1024 * 1024;

/// The official download address of each list (overridable with `--url`).
pub fn official_url(source: &SourceList) -> Option<&'static str> {
    Some(match source {
        SourceList::OfacSdn => {
            "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/SDN_ADVANCED.XML"
        }
        SourceList::OfacConsolidated => {
            "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/CONS_ADVANCED.XML"
        }
        SourceList::UnSecurityCouncil => "https://scsanctions.un.org/resources/xml/en/consolidated.xml",
        SourceList::UkSanctionsList => "https://sanctionslist.fcdo.gov.uk/docs/UK-Sanctions-List.csv",
        SourceList::EuFinancialSanctions => {
            "https://webgate.ec.europa.eu/fsd/fsf/public/files/xmlFullSanctionsList_1_1/content?token=dG9rZW4tMjAxNw"
        }
        SourceList::Custom(_) => return None,
    })
}

/// Parses a `--source` value: `ofac-sdn`, `ofac-cons`, `un`, `uk`, `eu` or `custom:NAME`.
pub fn parse_source(text: &str) -> std::result::Result<SourceList, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "ofac-sdn" | "sdn" => Ok(SourceList::OfacSdn),
        "ofac-cons" | "ofac-consolidated" => Ok(SourceList::OfacConsolidated),
        "un" => Ok(SourceList::UnSecurityCouncil),
        "uk" => Ok(SourceList::UkSanctionsList),
        "eu" => Ok(SourceList::EuFinancialSanctions),
        other => match other.strip_prefix("custom:") {
            Some(name) if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') => {
                Ok(SourceList::Custom(name.to_string()))
            }
            _ => Err(format!(
                "unknown list `{text}`; use ofac-sdn, ofac-cons, un, uk, eu or custom:NAME (letters, digits, - and _)"
            )),
        },
    }
}

/// How a list file is read: one of the official formats, or the anchor's own CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum InputFormat {
    Official(ListFormat),
    CustomCsv,
}

/// The input format for `source`, from `--format` or guessed from the list and the file name.
fn format_for(
    source: &SourceList,
    path: &Path,
    explicit: Option<&str>,
) -> std::result::Result<InputFormat, String> {
    if let Some(format) = explicit {
        return match format {
            "advanced-xml" => Ok(InputFormat::Official(ListFormat::OfacAdvancedXml)),
            "legacy-csv" => Ok(InputFormat::Official(ListFormat::OfacLegacyCsv)),
            "un-xml" => Ok(InputFormat::Official(ListFormat::UnXml)),
            "uk-csv" => Ok(InputFormat::Official(ListFormat::UkCsv)),
            "eu-xml" => Ok(InputFormat::Official(ListFormat::EuXml)),
            "custom-csv" => Ok(InputFormat::CustomCsv),
            other => Err(format!(
                "unknown format `{other}`; use advanced-xml, legacy-csv, un-xml, uk-csv, eu-xml or custom-csv"
            )),
        };
    }
    let name = path.file_name().map(|name| name.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    Ok(InputFormat::Official(match source {
        SourceList::OfacSdn | SourceList::OfacConsolidated => {
            if path.is_dir() || name.contains(".csv") || name.ends_with(".zip") && !name.contains("xml") {
                ListFormat::OfacLegacyCsv
            } else {
                ListFormat::OfacAdvancedXml
            }
        }
        SourceList::UnSecurityCouncil => ListFormat::UnXml,
        SourceList::UkSanctionsList => ListFormat::UkCsv,
        SourceList::EuFinancialSanctions => ListFormat::EuXml,
        SourceList::Custom(_) => return Ok(InputFormat::CustomCsv),
    }))
}

/// Reads and parses a list file (or legacy CSV set) into a list with its version record, the
/// format chosen from the list and the file name as `lists import` does.
pub fn load_source(source: &SourceList, path: &Path) -> Result<LoadedList> {
    let format = format_for(source, path, None).map_err(Error::Config)?;
    load_with(source, path, format)
}

fn load_with(source: &SourceList, path: &Path, format: InputFormat) -> Result<LoadedList> {
    match (format, source) {
        (InputFormat::Official(format), _) => Ok(load_list(format, source.clone(), path)?),
        (InputFormat::CustomCsv, SourceList::Custom(name)) => {
            let bytes = read_input(path)?;
            let list = parse_custom_csv(&bytes, name)?;
            let version = ListVersion::of(&list, &[&bytes]);
            Ok(LoadedList { list, version })
        }
        (InputFormat::CustomCsv, other) => {
            Err(Error::Config(format!("{other} is an official list; custom-csv is for custom:NAME lists")))
        }
    }
}

/// The `lists` command group.
#[derive(Debug, Clone, Copy, Default)]
pub struct ListsCommand;

impl CliExtension for ListsCommand {
    fn command(&self) -> Command {
        let source = Arg::new("source").long("source").value_name("LIST").help(
            "ofac-sdn, ofac-cons, un, uk, eu, or custom:NAME for the anchor's own CSV of names and addresses",
        );
        Command::new("lists")
            .about("Sanctions lists: import, update from the official sources, status")
            .subcommand_required(true)
            .subcommand(
                Command::new("import")
                    .about("Import a list file (also .bz2 or .zip); refused if empty, truncated or much smaller")
                    .arg(source.clone().required(true))
                    .arg(Arg::new("file").long("file").value_name("PATH").required(true).value_parser(clap::value_parser!(PathBuf)))
                    .arg(Arg::new("format").long("format").value_name("FORMAT").help(
                        "advanced-xml, legacy-csv, un-xml, uk-csv, eu-xml or custom-csv (default: from the list and file name)",
                    )),
            )
            .subcommand(
                Command::new("update")
                    .about("Download lists from their official addresses and import them")
                    .arg(source.action(ArgAction::Append).help("Lists to update (default: ofac-sdn, ofac-cons, un, uk)"))
                    .arg(Arg::new("url").long("url").value_name("URL").help("Download from this address instead (one --source only)")),
            )
            .subcommand(Command::new("status").about("Active version of each list, and recent imports"))
    }

    fn run(&self, matches: &ArgMatches, config_file: Option<&Path>) -> std::result::Result<(), String> {
        let (settings, database) = open(config_file)?;
        database.migrate(&Default::default()).map_err(|err| err.to_string())?;
        let store = ListStore::new(database);
        match matches.subcommand() {
            Some(("import", args)) => {
                let source =
                    parse_source(args.get_one::<String>("source").map(String::as_str).unwrap_or_default())?;
                let path = args.get_one::<PathBuf>("file").cloned().unwrap_or_default();
                let format =
                    format_for(&source, &path, args.get_one::<String>("format").map(String::as_str))?;
                import(&store, &source, &path, format)
            }
            Some(("update", args)) => {
                let sources: Vec<SourceList> = match args.get_many::<String>("source") {
                    Some(values) => {
                        values.map(|value| parse_source(value)).collect::<std::result::Result<_, _>>()?
                    }
                    None => vec![
                        SourceList::OfacSdn,
                        SourceList::OfacConsolidated,
                        SourceList::UnSecurityCouncil,
                        SourceList::UkSanctionsList,
                    ],
                };
                let url = args.get_one::<String>("url").cloned();
                if url.is_some() && sources.len() != 1 {
                    return Err("--url needs exactly one --source".into());
                }
                let mut failures = Vec::new();
                for source in &sources {
                    let address = match url.clone().or_else(|| official_url(source).map(str::to_string)) {
                        Some(address) => address,
                        None => {
                            failures
                                .push(format!("{source}: no official address; use `lists import` or --url"));
                            continue;
                        }
                    };
                    let result = download(&address, settings.local_mode)
                        .map_err(|err| err.to_string())
                        .and_then(|file| {
                            let format = format_for(source, Path::new(&address_file_name(&address)), None)?;
                            import(&store, source, file.path(), format)
                        });
                    if let Err(message) = result {
                        failures.push(message);
                    }
                }
                if failures.is_empty() {
                    Ok(())
                } else {
                    notify_update_failure(&settings, &store, &failures);
                    Err(failures.join("\n"))
                }
            }
            Some(("status", _)) => status(&store).map_err(|err| err.to_string()),
            _ => Err("use `lists import`, `lists update` or `lists status`".into()),
        }
    }
}

/// Queues a `ListUpdateFailed` notification for the compliance officer (delivered by the
/// server's background worker from the outbox) when notifications are configured.
fn notify_update_failure(settings: &anchor_core::Settings, store: &ListStore, failures: &[String]) {
    let config = crate::notify::NotifierConfig::from_settings(&settings.aml);
    if config.smtp_url.is_none() && config.webhook_url.is_none() {
        return;
    }
    let notification = crate::notify::Notification {
        kind: crate::notify::NotificationKind::ListUpdateFailed,
        subject_line: format!("Sanctions list update failed ({} problem(s))", failures.len()),
        text: format!(
            "`lists update` could not update every list; the previous versions stay active.\n\n{}",
            failures.join("\n")
        ),
        details: serde_json::json!({ "failures": failures }),
    };
    let queued = crate::notify::Notifier::new(store.database().clone(), config).and_then(|notifier| {
        store
            .database()
            .run_blocking(|conn| {
                notifier
                    .enqueue_in(conn, &notification, None)
                    .map_err(|err| anchor_core::db::DbError::Unavailable(err.to_string()))
            })
            .map_err(crate::error::Error::from)
    });
    if let Err(err) = queued {
        eprintln!("warning: the compliance officer could not be notified of the failure: {err}");
    }
}

/// The `audit` command group.
#[derive(Debug, Clone, Copy, Default)]
pub struct AuditCommand;

impl CliExtension for AuditCommand {
    fn command(&self) -> Command {
        let time = |name: &'static str, help: &'static str| {
            Arg::new(name)
                .long(name)
                .value_name("UNIX_SECONDS")
                .value_parser(clap::value_parser!(i64))
                .help(help)
        };
        Command::new("audit")
            .about("The hash-chained compliance audit trail")
            .subcommand_required(true)
            .subcommand(
                Command::new("verify").about(
                    "Check every record and every signed checkpoint; name the first edited, deleted or \
                     reordered record, a cut tail, a re-hashed chain or a forged checkpoint",
                ),
            )
            .subcommand(
                Command::new("export")
                    .about("Sign a checkpoint of the head, then print the records (ending with it) as CSV or JSON")
                    .arg(
                        Arg::new("format")
                            .long("format")
                            .value_parser(["csv", "json"])
                            .default_value("json")
                            .help("csv or json"),
                    )
                    .arg(time("from", "Only records at or after this time"))
                    .arg(time("to", "Only records at or before this time")),
            )
    }

    fn run(&self, matches: &ArgMatches, config_file: Option<&Path>) -> std::result::Result<(), String> {
        let (settings, database) = open(config_file)?;
        database.migrate(&Default::default()).map_err(|err| err.to_string())?;
        // The anchor's own key signs the checkpoints and is the one they are checked against.
        let trail = AuditTrail::signed(database, settings.signing_key.clone());
        match matches.subcommand() {
            Some(("verify", _)) => match trail.verify().map_err(|err| err.to_string())? {
                AuditVerdict::Intact { records, head, checkpoints } => {
                    println!(
                        "audit trail intact: {records} records, head {head}, {checkpoints} signed checkpoint(s) \
                         verified against SIGNING_KEY {}",
                        settings.signing_key.public_key()
                    );
                    Ok(())
                }
                AuditVerdict::Broken { seq, problem } => {
                    Err(format!("audit trail BROKEN at record {seq}: {problem}"))
                }
            },
            Some(("export", args)) => {
                let from = args.get_one::<i64>("from").copied();
                let to = args.get_one::<i64>("to").copied();
                // A fresh signed head first: an export that reaches the present ends with it.
                trail.checkpoint("export (cli)", unix_now()).map_err(|err| err.to_string())?;
                let records = trail.records(from, to).map_err(|err| err.to_string())?;
                let format = match args.get_one::<String>("format").map(String::as_str) {
                    Some("csv") => ExportFormat::Csv,
                    _ => ExportFormat::Json,
                };
                write_audit_records(&records, format, &mut std::io::stdout().lock())
            }
            _ => Err("use `audit verify` or `audit export`".into()),
        }
    }
}

/// The `aml` command group: `aml scan` (a full rescan now, in this process, with a progress bar),
/// `aml status` (the monitor's statistics) and `aml cases` (the officer's queue).
#[derive(Debug, Clone, Copy, Default)]
pub struct AmlCommand;

/// How often `aml scan --wait` looks at a scan another instance holds.
const WAIT_POLL: Duration = Duration::from_secs(2);

impl CliExtension for AmlCommand {
    fn command(&self) -> Command {
        Command::new("aml")
            .about("AML monitoring: rescan now, statistics, cases")
            .subcommand_required(true)
            .subcommand(
                Command::new("scan")
                    .about(
                        "Rescreen every subject now in this process (resuming an interrupted scan first), with a progress bar",
                    )
                    .arg(
                        Arg::new("wait")
                            .long("wait")
                            .action(ArgAction::SetTrue)
                            .help("When another live instance holds a scan, wait until it finishes or its lease expires instead of exiting"),
                    )
                    .arg(
                        Arg::new("requested-by")
                            .long("requested-by")
                            .value_name("NAME")
                            .default_value("cli")
                            .help("Who asks for the scan (recorded in the audit trail)"),
                    ),
            )
            .subcommand(Command::new("status").about("Subjects, scans, cases, frozen accounts and lists"))
            .subcommand(
                Command::new("cases")
                    .about("Cases, highest score first")
                    .arg(
                        Arg::new("status")
                            .long("status")
                            .value_parser(["open", "cleared", "confirmed"])
                            .help("Only cases with this status"),
                    )
                    .arg(
                        Arg::new("limit")
                            .long("limit")
                            .value_parser(clap::value_parser!(i64).range(1..=1000))
                            .default_value("100")
                            .help("At most this many"),
                    ),
            )
    }

    fn run(&self, matches: &ArgMatches, config_file: Option<&Path>) -> std::result::Result<(), String> {
        let (settings, database) = open(config_file)?;
        database.migrate(&Default::default()).map_err(|err| err.to_string())?;
        let monitor = AmlMonitor::from_settings(&settings, database).map_err(|err| err.to_string())?;
        run_aml(&monitor, matches)
    }
}

/// Runs an `aml` subcommand on an opened monitor.
fn run_aml(monitor: &AmlMonitor, matches: &ArgMatches) -> std::result::Result<(), String> {
    match matches.subcommand() {
        Some(("scan", args)) => {
            let requested_by = args.get_one::<String>("requested-by").map_or("cli", String::as_str);
            scan_now(monitor, requested_by, args.get_flag("wait"))
        }
        Some(("status", _)) => {
            let stats = monitor.stats().map_err(|err| err.to_string())?;
            print!("{}", stats_text(&stats));
            Ok(())
        }
        Some(("cases", args)) => {
            let filter = CaseFilter {
                status: args.get_one::<String>("status").and_then(|status| CaseStatus::parse(status)),
                subject_id: None,
                limit: args.get_one::<i64>("limit").copied(),
            };
            let cases = monitor.cases(&filter).map_err(|err| err.to_string())?;
            print!("{}", cases_text(&cases));
            Ok(())
        }
        _ => Err("use `aml scan`, `aml status` or `aml cases`".into()),
    }
}

/// `aml scan`: runs what is waiting (an interrupted or queued scan); unless that was a full
/// rescan, queues a manual one and runs it. A scan another live instance holds is reported, and
/// waited for with `--wait`.
fn scan_now(monitor: &AmlMonitor, requested_by: &str, wait: bool) -> std::result::Result<(), String> {
    let error = |err: Error| err.to_string();
    if monitor.has_claimable_scan(unix_now()).map_err(error)? {
        println!("resuming the scans that are waiting");
        let done = run_scans_with_progress(monitor)?;
        if done.iter().any(|scan| scan.kind != ScanKind::Delta) {
            return Ok(());
        }
    }
    let held = monitor.scans(50).map_err(error)?.into_iter().find(|scan| {
        scan.status == ScanStatus::Running && scan.lease_owner.as_deref() != Some(monitor.instance())
    });
    if let Some(scan) = held {
        let owner = scan.lease_owner.clone().unwrap_or_default();
        if !wait {
            return Err(format!(
                "scan {} ({}) is being run by the live instance {owner}: {} of {} subjects screened. \
                 Let it finish (`aml status`), or run `aml scan --wait` to wait for it and take over if its lease expires.",
                scan.id,
                kind_name(scan.kind),
                scan.screened,
                scan.subjects_total
            ));
        }
        println!("scan {} is being run by the live instance {owner}; waiting for it", scan.id);
        return wait_for_scan(monitor, scan.id);
    }
    let id = monitor.request_scan(requested_by).map_err(error)?;
    println!("queued scan {id}");
    let done = run_scans_with_progress(monitor)?;
    if !done.iter().any(|scan| scan.id == id) {
        return Err(format!(
            "scan {id} was taken by another instance; follow it with `aml status` or GET /admin/aml/scans/{id}"
        ));
    }
    Ok(())
}

/// Follows a scan another instance holds until it completes (done), fails (error), or its lease
/// expires (then this process resumes it).
fn wait_for_scan(monitor: &AmlMonitor, id: i64) -> std::result::Result<(), String> {
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(progress_style());
    loop {
        let scan = monitor.scan(id).map_err(|err| err.to_string())?;
        bar.set_length(scan.subjects_total.max(scan.screened).max(0) as u64);
        bar.set_position(scan.screened.max(0) as u64);
        bar.set_message(format!("scan {id} (other instance) · {} with hits", scan.hits));
        match scan.status {
            ScanStatus::Completed => {
                bar.finish_and_clear();
                println!("{}", scan_summary_line(&scan, None));
                return Ok(());
            }
            ScanStatus::Failed => {
                bar.finish_and_clear();
                return Err(format!(
                    "scan {id} failed: {}",
                    scan.last_error.as_deref().unwrap_or("no error recorded")
                ));
            }
            ScanStatus::Queued | ScanStatus::Running => {}
        }
        if monitor.has_claimable_scan(unix_now()).map_err(|err| err.to_string())? {
            bar.finish_and_clear();
            println!("the lease of scan {id} expired; resuming it here");
            run_scans_with_progress(monitor)?;
            return Ok(());
        }
        std::thread::sleep(WAIT_POLL);
    }
}

fn progress_style() -> indicatif::ProgressStyle {
    indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} subjects ({per_sec}, eta {eta})")
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> ")
}

/// Runs every claimable scan with a progress bar per scan, then prints one summary line each.
fn run_scans_with_progress(monitor: &AmlMonitor) -> std::result::Result<Vec<ScanSummary>, String> {
    let mut current: Option<(i64, indicatif::ProgressBar)> = None;
    let mut timings: Vec<(i64, Instant, Instant)> = Vec::new();
    let mut previous_event = Instant::now();
    let mut on_batch = |progress: &ScanProgress| {
        let now = Instant::now();
        if current.as_ref().map(|(id, _)| *id) != Some(progress.scan_id) {
            if let Some((_, bar)) = current.take() {
                bar.finish_and_clear();
            }
            let bar = indicatif::ProgressBar::new(progress.total.max(0) as u64);
            bar.set_style(progress_style());
            current = Some((progress.scan_id, bar));
            timings.push((progress.scan_id, previous_event, now));
        }
        if let Some((_, bar)) = &current {
            bar.set_length(progress.total.max(progress.screened).max(0) as u64);
            bar.set_position(progress.screened.max(0) as u64);
            bar.set_message(format!("scan {} · {} with hits", progress.scan_id, progress.hits));
        }
        if let Some(timing) = timings.last_mut() {
            timing.2 = now;
        }
        previous_event = now;
    };
    let outcome = monitor.run_due_scans(&mut on_batch);
    if let Some((_, bar)) = current.take() {
        bar.finish_and_clear();
    }
    let done = outcome.map_err(|err| format!("scan failed: {err}"))?;
    for scan in &done {
        let elapsed = timings.iter().find(|(id, _, _)| *id == scan.id).map(|(_, start, end)| *end - *start);
        println!("{}", scan_summary_line(scan, elapsed));
    }
    if done.is_empty() {
        println!("no scan was waiting to run");
    }
    Ok(done)
}

fn kind_name(kind: ScanKind) -> &'static str {
    match kind {
        ScanKind::Full => "full",
        ScanKind::Delta => "delta",
        ScanKind::Manual => "manual",
    }
}

/// `scan 7 (manual) completed: 1000 subjects screened, 3 with hits, in 12.4 s`.
fn scan_summary_line(scan: &ScanSummary, elapsed: Option<Duration>) -> String {
    let duration = match (elapsed, scan.started_at, scan.finished_at) {
        (Some(elapsed), _, _) => format!("{:.1} s", elapsed.as_secs_f64()),
        (None, Some(started), Some(finished)) => format!("{} s", finished - started),
        _ => "unknown time".to_string(),
    };
    format!(
        "scan {} ({}) completed: {} subjects screened, {} with hits, in {duration}",
        scan.id,
        kind_name(scan.kind),
        scan.screened,
        scan.hits
    )
}

/// `aml status` as text.
fn stats_text(stats: &MonitorStats) -> String {
    let when = |at: Option<i64>| at.map_or_else(|| "never".to_string(), timestamp);
    let mut text = String::new();
    let mut line = |line: String| {
        text.push_str(&line);
        text.push('\n');
    };
    line(format!("subjects monitored:  {}", stats.subjects));
    line(format!("cases:               {} open, {} in total", stats.cases_open, stats.cases_total));
    line(format!("frozen accounts:     {}", stats.frozen_accounts));
    line(format!(
        "scans:               {} completed, {} failed (of the last 50); {} subject screenings in total",
        stats.scans_completed, stats.scans_failed, stats.screenings_total
    ));
    line(format!("last scan:           {}", when(stats.last_scan_at)));
    line(format!("next full scan:      {}", timestamp(stats.next_scan_at)));
    match &stats.current_scan {
        Some(scan) if stats.running => line(format!(
            "running:             scan {} ({}), {} of {} screened, held by {}",
            scan.id,
            kind_name(scan.kind),
            scan.screened,
            scan.subjects_total,
            scan.lease_owner.as_deref().unwrap_or("nobody")
        )),
        _ => line("running:             no".to_string()),
    }
    for error in &stats.errors {
        line(format!(
            "error:               scan {} at {}: {}",
            error["scan_id"],
            when(error["at"].as_i64()),
            error["error"].as_str().unwrap_or("")
        ));
    }
    if stats.lists.is_empty() {
        line("lists:               none loaded; use `lists import` or `lists update`".to_string());
    }
    for list in &stats.lists {
        line(format!(
            "list:                {:<16} {} entities, published {}, imported {} days ago",
            list["list"].as_str().unwrap_or("?"),
            list["entities"],
            list["published_on"].as_str().unwrap_or("-"),
            list["age_days"]
        ));
    }
    let threshold = |name: &str| stats.engine["thresholds"][name].as_f64().unwrap_or(f64::NAN);
    line(format!(
        "engine:              {} (match from {:.2}, review from {:.2})",
        stats.engine["version"].as_str().unwrap_or("?"),
        threshold("match"),
        threshold("review")
    ));
    text
}

/// `aml cases` as a table.
fn cases_text(cases: &[CaseSummary]) -> String {
    if cases.is_empty() {
        return "no cases\n".to_string();
    }
    let mut text = format!(
        "{:>6}  {:<9}  {:<6}  {:>5}  {:<20}  {:<12}  {:>7}  {:<20}  {}\n",
        "case", "status", "hit", "score", "list", "entry", "subject", "opened", "listed name"
    );
    for case in cases {
        text.push_str(&format!(
            "{:>6}  {:<9}  {:<6}  {:>5.2}  {:<20}  {:<12}  {:>7}  {:<20}  {}\n",
            case.id,
            case.status.as_str(),
            case.decision,
            case.score,
            case.list,
            case.entry_id,
            case.subject_id,
            timestamp(case.opened_at),
            case.entry_name
        ));
    }
    text
}

fn import(
    store: &ListStore,
    source: &SourceList,
    path: &Path,
    format: InputFormat,
) -> std::result::Result<(), String> {
    let loaded = load_with(source, path, format).map_err(|err| err.to_string())?;
    let now = unix_now();
    match store.import(&loaded, &ImportPolicy::default(), now) {
        Ok(ImportOutcome::Unchanged { version }) => {
            println!(
                "{source}: unchanged (active version {} already holds this file)",
                short(&version.sha256)
            );
            Ok(())
        }
        Ok(ImportOutcome::Imported { version, diff }) => {
            println!(
                "{source}: imported version {} published {}: {} entities (+{} added, -{} removed, ~{} changed)",
                short(&version.sha256),
                version.published_on.as_deref().unwrap_or("(undated)"),
                version.entity_count,
                diff.added.len(),
                diff.removed.len(),
                diff.changed.len()
            );
            Ok(())
        }
        Err(err @ Error::Screening(anchor_screening::Error::ImportRefused { .. })) => {
            Err(format!("{err}; the previous version is kept"))
        }
        Err(err) => Err(err.to_string()),
    }
}

fn status(store: &ListStore) -> Result<()> {
    let active = store.active_versions()?;
    if active.is_empty() {
        println!("no list imported yet; use `lists import` or `lists update`");
    }
    for version in &active {
        print_version(version);
    }
    let refused: Vec<StoredVersion> =
        store.history()?.into_iter().filter(|version| version.status == "refused").take(5).collect();
    if !refused.is_empty() {
        println!("recently refused imports:");
        for version in &refused {
            println!(
                "  {} at {}: {}",
                version.source,
                timestamp(version.imported_at),
                version.refusal_reason.as_deref().unwrap_or("")
            );
        }
    }
    Ok(())
}

fn print_version(version: &StoredVersion) {
    println!(
        "{:<16} {} published {:<10} imported {}  {:>6} entities {:>6} names {:>4} addresses  (+{} -{} ~{})",
        version.source,
        short(&version.sha256),
        version.published_on.as_deref().unwrap_or("-"),
        timestamp(version.imported_at),
        version.entity_count,
        version.details.name_count,
        version.details.crypto_address_count,
        version.added,
        version.removed,
        version.changed
    );
}

fn short(sha256: &str) -> &str {
    sha256.get(..12).unwrap_or(sha256)
}

fn timestamp(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds, 0)
        .map(|time| time.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| seconds.to_string())
}

/// The last path segment of a URL, to guess the format from.
fn address_file_name(address: &str) -> String {
    address.split('?').next().unwrap_or_default().rsplit('/').next().unwrap_or_default().to_string()
}

/// Downloads `address` into a temporary file with a progress bar on the terminal, through core's
/// outbound client for URLs from outside: https only (http in `LOCAL_MODE`), public addresses only
/// outside `LOCAL_MODE` (IP literals included), redirects followed only to https URLs that pass
/// the same rule (the official servers may redirect to a storage host; a redirect never leaves
/// https, not even in `LOCAL_MODE`), a timeout, and a size cap.
pub(crate) fn download(address: &str, local_mode: bool) -> Result<tempfile::NamedTempFile> {
    let failed = |detail: String| Error::Download { url: address.to_string(), detail };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| failed(err.to_string()))?;
    runtime.block_on(async {
        let client = OutboundBuilder::new(
            local_mode,
            Trust::Remote,
            Duration::from_secs(600),
            "anchor-rs lists update",
        )
        .connect_timeout(Duration::from_secs(15))
        .redirects(Redirects::HttpsOnly)
        .build()
        .map_err(|err| failed(err.to_string()))?;
        let request = client.get(address).map_err(|err| match err {
            net::OutboundError::NotHttps => {
                failed("only https addresses are allowed (http in LOCAL_MODE)".into())
            }
            other => failed(format!("the address {other}")),
        })?;
        let mut response = request.send().await.map_err(|err| failed(net::describe(&err)))?;
        if !response.status().is_success() {
            return Err(failed(format!("HTTP {}", response.status())));
        }
        let total = response.content_length();
        if total.is_some_and(|length| length > MAX_DOWNLOAD_BYTES) {
            return Err(failed(format!("larger than {MAX_DOWNLOAD_BYTES} bytes")));
        }
        let bar = match total {
            Some(length) => indicatif::ProgressBar::new(length),
            None => indicatif::ProgressBar::new_spinner(),
        };
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{msg} [{bar:40}] {bytes}/{total_bytes} ({bytes_per_sec})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.set_message(address_file_name(address));
        let mut file = tempfile::NamedTempFile::new().map_err(|err| failed(err.to_string()))?;
        let mut received: u64 = 0;
        while let Some(chunk) = response.chunk().await.map_err(|err| failed(net::describe(&err)))? {
            received += chunk.len() as u64;
            if received > MAX_DOWNLOAD_BYTES {
                return Err(failed(format!("larger than {MAX_DOWNLOAD_BYTES} bytes")));
            }
            file.write_all(&chunk).map_err(|err| failed(err.to_string()))?;
            bar.set_position(received);
        }
        bar.finish_and_clear();
        file.flush().map_err(|err| failed(err.to_string()))?;
        Ok(file)
    })
}

#[cfg(test)]
mod tests;
