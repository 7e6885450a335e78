//! `lists import`, `lists update` and `lists status` ([`ListsCommand`]), and `audit verify` and
//! `audit export` ([`AuditCommand`]): the commands an anchor binary gets by adding them to
//! `Anchor::commands`.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anchor_core::cli::{open, CliExtension};
use clap::{Arg, ArgAction, ArgMatches, Command};

use crate::audit::{AuditTrail, AuditVerdict};
use crate::custom::parse_custom_csv;
use crate::error::{Error, Result};
use crate::model::SourceList;
use crate::parse::{load_list, read_input, ListFormat, LoadedList};
use crate::store::{ImportOutcome, ListStore, StoredVersion};
use crate::version::{ImportPolicy, ListVersion};

/// Largest list file `lists update` downloads.
const MAX_DOWNLOAD_BYTES: u64 = 512 * 1024 * 1024;

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
        (InputFormat::Official(format), _) => load_list(format, source.clone(), path),
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
                    Err(failures.join("\n"))
                }
            }
            Some(("status", _)) => status(&store).map_err(|err| err.to_string()),
            _ => Err("use `lists import`, `lists update` or `lists status`".into()),
        }
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
                Command::new("verify")
                    .about("Check every record; name the first edited, deleted or reordered one"),
            )
            .subcommand(
                Command::new("export")
                    .about("Print the records as CSV or JSON")
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
        let (_settings, database) = open(config_file)?;
        database.migrate(&Default::default()).map_err(|err| err.to_string())?;
        let trail = AuditTrail::new(database);
        match matches.subcommand() {
            Some(("verify", _)) => match trail.verify().map_err(|err| err.to_string())? {
                AuditVerdict::Intact { records, head } => {
                    println!("audit trail intact: {records} records, head {head}");
                    Ok(())
                }
                AuditVerdict::Broken { seq, problem } => {
                    Err(format!("audit trail BROKEN at record {seq}: {problem}"))
                }
            },
            Some(("export", args)) => {
                let from = args.get_one::<i64>("from").copied();
                let to = args.get_one::<i64>("to").copied();
                let records = trail.records(from, to).map_err(|err| err.to_string())?;
                let mut out = std::io::stdout().lock();
                if args.get_one::<String>("format").map(String::as_str) == Some("csv") {
                    let mut writer = csv::Writer::from_writer(&mut out);
                    for record in &records {
                        writer.serialize(record).map_err(|err| err.to_string())?;
                    }
                    writer.flush().map_err(|err| err.to_string())
                } else {
                    serde_json::to_writer_pretty(&mut out, &records).map_err(|err| err.to_string())?;
                    writeln!(out).map_err(|err| err.to_string())
                }
            }
            _ => Err("use `audit verify` or `audit export`".into()),
        }
    }
}

fn import(
    store: &ListStore,
    source: &SourceList,
    path: &Path,
    format: InputFormat,
) -> std::result::Result<(), String> {
    let loaded = load_with(source, path, format).map_err(|err| err.to_string())?;
    let now = chrono::Utc::now().timestamp();
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
        Err(err @ Error::ImportRefused { .. }) => Err(format!("{err}; the previous version is kept")),
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

/// Downloads `address` into a temporary file with a progress bar on the terminal: https only
/// (http in `LOCAL_MODE`), a timeout, and a size cap.
fn download(address: &str, local_mode: bool) -> Result<tempfile::NamedTempFile> {
    let failed = |detail: String| Error::Download { url: address.to_string(), detail };
    let parsed = url::Url::parse(address).map_err(|err| failed(err.to_string()))?;
    if parsed.scheme() != "https" && !(local_mode && parsed.scheme() == "http") {
        return Err(failed("only https addresses are allowed (http in LOCAL_MODE)".into()));
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| failed(err.to_string()))?;
    runtime.block_on(async {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(15))
            .timeout(Duration::from_secs(600))
            .build()
            .map_err(|err| failed(err.to_string()))?;
        let mut response = client.get(address).send().await.map_err(|err| failed(err.to_string()))?;
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
        while let Some(chunk) = response.chunk().await.map_err(|err| failed(err.to_string()))? {
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
