//! The `lists` and `aml` commands: list codes and file formats, the official lists' https
//! addresses, `aml scan` (a scan another instance holds is reported, an expired one resumed), the
//! status and case listings as text, and list downloads refused when redirected off https, aimed at
//! a private address outside `LOCAL_MODE`, or announcing more than the cap.

#![allow(clippy::unwrap_used, reason = "in tests a panic is the failure report")]

use super::*;

#[test]
fn sources_parse_from_their_codes() {
    assert_eq!(parse_source("ofac-sdn"), Ok(SourceList::OfacSdn));
    assert_eq!(parse_source("UN"), Ok(SourceList::UnSecurityCouncil));
    assert_eq!(
        parse_source("custom:internal_blocklist"),
        Ok(SourceList::Custom("internal_blocklist".into()))
    );
    assert!(parse_source("custom:").is_err());
    assert!(parse_source("custom:../etc").is_err());
    assert!(parse_source("interpol").unwrap_err().contains("unknown list"));
}

#[test]
fn formats_are_guessed_from_the_list_and_file_name() {
    let guess = |source: SourceList, name: &str| format_for(&source, Path::new(name), None);
    let official = |format| Ok(InputFormat::Official(format));
    assert_eq!(guess(SourceList::OfacSdn, "sdn_advanced.xml.bz2"), official(ListFormat::OfacAdvancedXml));
    assert_eq!(guess(SourceList::OfacSdn, "sdn.csv"), official(ListFormat::OfacLegacyCsv));
    assert_eq!(guess(SourceList::UkSanctionsList, "UK.csv"), official(ListFormat::UkCsv));
    assert_eq!(guess(SourceList::Custom("x".into()), "x.csv"), Ok(InputFormat::CustomCsv));
    assert!(format_for(&SourceList::OfacSdn, Path::new("a"), Some("pdf")).is_err());
}

#[test]
fn every_official_list_has_an_https_address() {
    for source in [
        SourceList::OfacSdn,
        SourceList::OfacConsolidated,
        SourceList::UnSecurityCouncil,
        SourceList::UkSanctionsList,
        SourceList::EuFinancialSanctions,
    ] {
        assert!(official_url(&source).is_some_and(|url| url.starts_with("https://")), "{source}");
    }
    assert_eq!(address_file_name("https://a.example/x/UK-Sanctions-List.csv?x=1"), "UK-Sanctions-List.csv");
}

mod aml {
    use diesel::connection::SimpleConnection as _;

    use super::*;

    fn account(byte: u8) -> String {
        stellar_strkey::ed25519::PublicKey([byte; 32]).to_string().as_str().to_owned()
    }

    fn monitor_with_customers(database: anchor_core::Database) -> AmlMonitor {
        let csv = "id,name\np1,Ivan Petrovich Sidorov\np2,Maria Gonzalez Ruiz\n";
        let list = parse_custom_csv(csv.as_bytes(), "officer_list").unwrap();
        let version = ListVersion::of(&list, &[csv.as_bytes()]);
        ListStore::new(database.clone())
            .import(&LoadedList { list, version }, &ImportPolicy::default(), 1_000)
            .unwrap();
        let settings = anchor_core::testing::settings(&[]);
        let monitor =
            AmlMonitor::open(database, crate::MonitorConfig::from_settings(&settings.aml), None).unwrap();
        for (key, name, byte) in
            [("sep12:a", "Ivan Petrovich Sidorov", 1), ("sep12:b", "Albert Quenby Farrow", 2)]
        {
            let mut party = anchor_core::integrations::sanctions::ScreeningSubject::named(name);
            party.stellar_accounts = vec![account(byte)];
            monitor.record(key, &party, "test").unwrap();
        }
        monitor
    }

    fn aml(monitor: &AmlMonitor, args: &[&str]) -> std::result::Result<(), String> {
        let matches = AmlCommand.command().try_get_matches_from(args).unwrap();
        run_aml(monitor, &matches)
    }

    #[test]
    fn aml_scan_runs_a_manual_scan_and_reports_a_scan_another_instance_holds() {
        let test_db = anchor_core::testing::sqlite_database();
        let database = test_db.database();
        let monitor = monitor_with_customers(database.clone());

        aml(&monitor, &["aml", "scan", "--requested-by", "o.ruiz"]).unwrap();
        let scans = monitor.scans(10).unwrap();
        assert_eq!(scans.len(), 1);
        assert_eq!(
            (scans[0].kind, scans[0].status, scans[0].screened),
            (ScanKind::Manual, ScanStatus::Completed, 2)
        );

        // Another live instance holds a scan: said so, nothing queued.
        let held = monitor.request_scan("other").unwrap();
        let now = unix_now();
        let sql = format!(
            "UPDATE aml_scans SET status = 'running', lease_owner = 'other-host:42:0000beef', \
             lease_until = {}, started_at = {now}, subjects_total = 2 WHERE id = {held}",
            now + 3600
        );
        database.run_blocking(|conn| Ok(conn.batch_execute(&sql)?)).unwrap();
        let refused = aml(&monitor, &["aml", "scan"]).unwrap_err();
        assert!(refused.contains(&format!("scan {held}")) && refused.contains("other-host:42"), "{refused}");
        assert!(refused.contains("--wait"), "{refused}");
        assert_eq!(monitor.scans(10).unwrap().len(), 2, "a second scan was queued");

        // Its lease expires (the instance died): `aml scan` resumes it instead of starting anew.
        let sql = format!("UPDATE aml_scans SET lease_until = 1 WHERE id = {held}");
        database.run_blocking(|conn| Ok(conn.batch_execute(&sql)?)).unwrap();
        aml(&monitor, &["aml", "scan", "--wait"]).unwrap();
        let scans = monitor.scans(10).unwrap();
        assert_eq!(scans.len(), 2, "{scans:?}");
        assert_eq!((scans[0].id, scans[0].status, scans[0].screened), (held, ScanStatus::Completed, 2));

        aml(&monitor, &["aml", "status"]).unwrap();
        aml(&monitor, &["aml", "cases", "--status", "open"]).unwrap();
        assert!(AmlCommand.command().try_get_matches_from(["aml", "cases", "--status", "maybe"]).is_err());
    }

    #[test]
    fn status_and_cases_read_as_text() {
        let test_db = anchor_core::testing::sqlite_database();
        let monitor = monitor_with_customers(test_db.database());
        let text = stats_text(&monitor.stats().unwrap());
        assert!(text.contains("subjects monitored:  2\n"), "{text}");
        assert!(text.contains("cases:               1 open, 1 in total\n"), "{text}");
        assert!(text.contains("frozen accounts:     1\n"), "{text}");
        assert!(text.contains("custom:officer_list"), "{text}");
        assert!(text.contains("running:             no\n"), "{text}");
        assert!(text.contains("(match from 0.90, review from 0.80)"), "{text}");
        let cases = cases_text(&monitor.cases(&CaseFilter::default()).unwrap());
        let lines: Vec<&str> = cases.lines().collect();
        assert_eq!(lines.len(), 2, "{cases}");
        assert!(lines[0].contains("status") && lines[0].contains("listed name"), "{cases}");
        assert!(lines[1].contains("open") && lines[1].ends_with("Ivan Petrovich Sidorov"), "{cases}");
        assert_eq!(cases_text(&[]), "no cases\n");
    }
}

/// A list server stand-in on loopback: answers each request with the response its path maps to
/// and records every path asked for.
struct ListServer {
    port: u16,
    asked: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl ListServer {
    fn start(routes: Vec<(&'static str, String)>) -> ListServer {
        use std::io::{BufRead as _, BufReader};
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let asked = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = std::sync::Arc::clone(&asked);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request_line = String::new();
                if reader.read_line(&mut request_line).is_err() {
                    continue;
                }
                let mut header = String::new();
                while reader.read_line(&mut header).is_ok_and(|read| read > 2) {
                    header.clear();
                }
                let path = request_line.split(' ').nth(1).unwrap_or_default().to_string();
                log.lock().unwrap().push(path.clone());
                let answer = routes.iter().find(|(route, _)| *route == path).map_or_else(
                    || "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n".to_string(),
                    |(_, a)| a.clone(),
                );
                let _ = stream.write_all(answer.replace("{port}", &port.to_string()).as_bytes());
            }
        });
        ListServer { port, asked }
    }

    fn asked(&self) -> Vec<String> {
        self.asked.lock().unwrap().clone()
    }
}

fn redirect_to(location: &str) -> String {
    format!("HTTP/1.1 302 Found\r\nlocation: {location}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
}

#[test]
fn a_list_download_redirected_off_https_is_refused() {
    let server = ListServer::start(vec![
        ("/list.xml", redirect_to("http://127.0.0.1:{port}/plain.xml")),
        ("/plain.xml", "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok".to_string()),
    ]);
    let err = download(&format!("http://127.0.0.1:{}/list.xml", server.port), true).unwrap_err().to_string();
    assert!(err.contains("redirected off https"), "{err}");
    assert_eq!(server.asked(), ["/list.xml"], "the http target was requested");
}

#[test]
fn a_list_download_from_a_private_address_is_refused_before_connecting_outside_local_mode() {
    let server = ListServer::start(vec![]);
    for address in [
        format!("https://127.0.0.1:{}/list.xml", server.port),
        format!("https://[::ffff:127.0.0.1]:{}/list.xml", server.port),
    ] {
        let err = download(&address, false).unwrap_err().to_string();
        assert!(err.contains("non-public address"), "{err}");
    }
    let err = download(&format!("http://127.0.0.1:{}/list.xml", server.port), false).unwrap_err().to_string();
    assert!(err.contains("only https"), "{err}");
    // Probe: the stand-in answers, and nothing reached it before.
    let probe = format!("http://127.0.0.1:{}/probe", server.port);
    assert!(download(&probe, true).is_err());
    assert_eq!(server.asked(), ["/probe"]);
}

#[test]
fn a_list_download_announcing_more_than_the_cap_is_refused_unread() {
    let server = ListServer::start(vec![(
        "/huge.xml",
        format!(
            "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n<",
            MAX_DOWNLOAD_BYTES + 1
        ),
    )]);
    let err = download(&format!("http://127.0.0.1:{}/huge.xml", server.port), true).unwrap_err().to_string();
    assert!(err.contains(&format!("larger than {MAX_DOWNLOAD_BYTES} bytes")), "{err}");
}
