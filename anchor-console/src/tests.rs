//! The console over real HTTP: sign-in and its refusals, CSRF, cookies and headers, every page,
//! every decision, on every backend for the officer's day.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "in tests a panic is the failure report")]

use std::collections::BTreeMap;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpServer};
use anchor_core::integrations::sanctions::ScreeningSubject;
use anchor_core::testing::{settings, test_databases};
use anchor_core::Database;
use reqwest::header::{HeaderMap, COOKIE, LOCATION, SET_COOKIE};

use super::*;
use anchor_aml::AuditTrail;
use anchor_aml::Officers;
use anchor_aml::{CaseFilter, CaseStatus, MonitorConfig};
use anchor_screening::{parse_custom_csv, ImportPolicy, ListVersion, LoadedList};

const PASSWORD: &str = "correct horse battery staple";

fn account(byte: u8) -> String {
    stellar_strkey::ed25519::PublicKey([byte; 32]).to_string().as_str().to_owned()
}

fn import_list(database: &Database, csv: &str, at: i64) {
    let list = parse_custom_csv(csv.as_bytes(), "officer_list").unwrap();
    let version = ListVersion::of(&list, &[csv.as_bytes()]);
    ListStore::new(database.clone())
        .import(&LoadedList { list, version }, &ImportPolicy::default(), at)
        .unwrap();
}

const LIST_V1: &str = "id,name,kind,address\n\
                       p1,Ivan Petrovich Sidorov,person,\n\
                       p2,Maria Gonzalez Ruiz,person,\n\
                       o1,Black Sea Shipping Ltd,organization,\n";
const LIST_V2: &str = "id,name,kind,address\n\
                       p1,Ivan Petrovich Sidorov,person,\n\
                       p2,Maria Gonzalez Ruiz,person,\n\
                       o2,Caspian Trading <Holdings> & Co,organization,\n";

fn customer(name: &str, stellar_account: String) -> ScreeningSubject {
    let mut subject = ScreeningSubject::named(name);
    subject.stellar_accounts = vec![stellar_account];
    subject
}

struct Console {
    base: String,
    handle: ServerHandle,
    client: reqwest::Client,
    cookies: BTreeMap<String, String>,
}

struct Reply {
    status: u16,
    headers: HeaderMap,
    body: String,
}

impl Reply {
    fn location(&self) -> &str {
        self.headers.get(LOCATION).and_then(|value| value.to_str().ok()).unwrap_or("")
    }
}

impl Console {
    fn start(monitor: AmlMonitor, secure_cookies: bool) -> Self {
        let config = ConsoleConfig {
            secure_cookies,
            list_update_interval: 86_400,
            sign_in_limit: anchor_core::ratelimit::RateLimiter::off(),
        };
        let server = HttpServer::new(move || {
            let (monitor, config) = (monitor.clone(), config.clone());
            App::new().configure(|cfg| mount_console(cfg, monitor, config))
        })
        .workers(1)
        .bind(("127.0.0.1", 0))
        .unwrap();
        let addr = server.addrs()[0];
        let server = server.run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Console { base: format!("http://{addr}"), handle, client, cookies: BTreeMap::new() }
    }

    async fn stop(self) {
        self.handle.stop(true).await;
    }

    /// Another browser on the same console: its own cookies.
    fn browser(&self) -> Console {
        Console {
            base: self.base.clone(),
            handle: self.handle.clone(),
            client: self.client.clone(),
            cookies: BTreeMap::new(),
        }
    }

    fn keep_cookies(&mut self, headers: &HeaderMap) {
        for value in headers.get_all(SET_COOKIE) {
            let text = value.to_str().unwrap();
            let pair = text.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() || text.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_string(), value.to_string());
            }
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(name, value)| format!("{name}={value}")).collect::<Vec<_>>().join("; ")
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> Reply {
        let request =
            if self.cookies.is_empty() { request } else { request.header(COOKIE, self.cookie_header()) };
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        self.keep_cookies(&headers);
        Reply { status, headers, body: response.text().await.unwrap() }
    }

    async fn get(&mut self, path: &str) -> Reply {
        let request = self.client.get(format!("{}{path}", self.base));
        self.send(request).await
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Reply {
        let request = self.client.post(format!("{}{path}", self.base)).form(form);
        self.send(request).await
    }

    /// The value of the hidden `csrf` field of the page.
    fn csrf_of(page: &str) -> String {
        let marker = "name=\"csrf\" value=\"";
        let start = page.find(marker).expect("the page has a CSRF field") + marker.len();
        page[start..start + 64].to_string()
    }

    async fn sign_in(&mut self, username: &str, password: &str) -> Reply {
        let form = self.get("/admin/login").await;
        assert_eq!(form.status, 200, "{}", form.body);
        let csrf = Self::csrf_of(&form.body);
        self.post(
            "/admin/login",
            &[("csrf", &csrf), ("next", "/admin/"), ("username", username), ("password", password)],
        )
        .await
    }

    /// Signs in and returns the session's CSRF token.
    async fn signed_in(&mut self) -> String {
        let reply = self.sign_in("alice", PASSWORD).await;
        assert_eq!(reply.status, 303, "{}", reply.body);
        let overview = self.get("/admin/").await;
        assert_eq!(overview.status, 200, "{}", overview.body);
        Self::csrf_of(&overview.body)
    }
}

fn officers(database: &Database) -> Officers {
    let officers = Officers::new(database.clone());
    officers.create("alice", "Alice Officer", PASSWORD, anchor_core::clock::unix_now()).unwrap();
    officers
}

fn open_monitor(database: Database) -> AmlMonitor {
    AmlMonitor::open(database, MonitorConfig::from_settings(&settings(&[]).aml), None).unwrap()
}

fn sqlite_monitor() -> AmlMonitor {
    let database = test_databases().into_iter().next().unwrap().database();
    import_list(&database, LIST_V1, 1_000);
    officers(&database);
    open_monitor(database)
}

/// The sign-in form is reachable without a session, so its body is bounded as it is read,
/// chunked or not (security review H1): a 64 MiB chunked form is refused at the console's limit,
/// long before the client would have finished, and the console still serves sign-in.
#[actix_web::test]
async fn console_chunked_form_past_the_limit_is_refused() {
    use anchor_core::testing::hostile::{filled, post_chunked};
    let monitor = sqlite_monitor();
    let mut console = Console::start(monitor, false);
    let addr: std::net::SocketAddr = console.base.trim_start_matches("http://").parse().unwrap();
    let headers = [("Content-Type", "application/x-www-form-urlencoded")];
    let answer =
        post_chunked(addr, "/admin/login", &headers, filled(b"username=", b'x', 64 * 1024 * 1024)).await;
    assert_eq!(answer.status, 413, "{answer:?}");
    assert!(answer.body.contains("64 KiB"), "{}", answer.body);
    assert!(!answer.finished_sending, "the whole form was read");
    assert!(answer.sent <= 16 * 1024 * 1024, "{} bytes sent before the answer", answer.sent);
    assert!(answer.closed, "the connection was kept open to drain the form");
    let reply = console.sign_in("alice", PASSWORD).await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    console.stop().await;
}

#[actix_web::test]
async fn every_page_and_action_without_a_session_redirects_to_sign_in() {
    let monitor = sqlite_monitor();
    let mut console = Console::start(monitor, false);
    for path in [
        "/admin/",
        "/admin/cases",
        "/admin/cases/1",
        "/admin/frozen",
        "/admin/subjects",
        "/admin/subjects/1",
        "/admin/audit",
        "/admin/audit/export",
        "/admin/lists",
        "/admin/lists/diff?from=1&to=1",
        "/admin/analytics",
        "/admin/reports/weekly",
        "/admin/reports/weekly.csv",
    ] {
        let reply = console.get(path).await;
        assert_eq!(reply.status, 303, "{path}");
        assert!(reply.location().starts_with("/admin/login?next="), "{path}: {}", reply.location());
    }
    for path in [
        "/admin/cases/1/clear",
        "/admin/cases/1/confirm",
        "/admin/cases/1/notes",
        "/admin/frozen/unfreeze",
        "/admin/logout",
    ] {
        let reply = console.post(path, &[("csrf", "x"), ("reason", "r"), ("text", "t")]).await;
        assert_eq!(reply.status, 303, "{path}");
        assert!(reply.location().starts_with("/admin/login"), "{path}");
    }
    // A forged cookie is no session either.
    console.cookies.insert(session::SESSION_COOKIE.into(), "ab".repeat(32));
    assert_eq!(console.get("/admin/cases").await.status, 303);
    let reply = console.get("/admin").await;
    assert_eq!((reply.status, reply.location()), (303, "/admin/"));
    console.stop().await;
}

#[actix_web::test]
async fn wrong_credentials_are_refused_with_one_message_and_five_failures_lock_the_account() {
    let monitor = sqlite_monitor();
    let trail = AuditTrail::new(monitor.database().clone());
    let mut console = Console::start(monitor, false);
    let unknown = console.sign_in("mallory", PASSWORD).await;
    assert_eq!(unknown.status, 401);
    assert!(unknown.body.contains("Wrong username or password."), "{}", unknown.body);
    for attempt in 1..=4 {
        let wrong = console.sign_in("alice", "not the password at all").await;
        assert_eq!(wrong.status, 401, "attempt {attempt}");
        assert!(wrong.body.contains("Wrong username or password."));
        assert!(!console.cookies.contains_key(session::SESSION_COOKIE));
    }
    let fifth = console.sign_in("alice", "not the password at all").await;
    assert_eq!(fifth.status, 401);
    assert!(fifth.body.contains("locked"), "{}", fifth.body);
    let right_but_locked = console.sign_in("alice", PASSWORD).await;
    assert_eq!(right_but_locked.status, 401);
    assert!(right_but_locked.body.contains("locked"));
    assert!(!console.cookies.contains_key(session::SESSION_COOKIE));
    let failures = trail.browse(Some("officer_sign_in_failed"), None, None, 100).unwrap();
    assert_eq!(failures.len(), 7, "every failure is audited");
    assert!(
        failures.iter().all(|record| !record.payload.contains("not the password")),
        "no password in the audit"
    );
    assert!(
        failures.iter().all(|record| !record.payload.contains("mallory")),
        "a typed unknown name is not kept in the audit trail"
    );
    // An unknown name, a wrong password and a locked account get the same page.
    assert_eq!(message_of(&unknown.body), message_of(&right_but_locked.body));
    console.stop().await;
}

/// The alert of a sign-in page.
fn message_of(body: &str) -> String {
    let start = body.find("role=\"alert\"").unwrap_or(0);
    body[start..].chars().take(200).collect()
}

#[actix_web::test]
async fn parallel_wrong_passwords_make_no_more_guesses_than_the_lockout_allows() {
    let monitor = sqlite_monitor();
    let trail = AuditTrail::new(monitor.database().clone());
    let mut console = Console::start(monitor, false);
    let attempts: Vec<_> = (0..20)
        .map(|_| {
            let mut browser = console.browser();
            actix_web::rt::spawn(async move { browser.sign_in("alice", "not the password at all").await })
        })
        .collect();
    for attempt in attempts {
        assert_eq!(attempt.await.unwrap().status, 401);
    }
    let right_but_locked = console.sign_in("alice", PASSWORD).await;
    assert_eq!(right_but_locked.status, 401, "the account must be locked after the burst");
    let failures = trail.browse(Some("officer_sign_in_failed"), None, None, 100).unwrap();
    let guesses = failures.iter().filter(|record| record.payload.contains("wrong password")).count();
    assert_eq!(guesses, 5, "parallel attempts made {guesses} password checks");
    console.stop().await;
}

#[actix_web::test]
async fn sign_in_without_the_form_token_or_from_another_origin_is_refused() {
    let monitor = sqlite_monitor();
    let mut console = Console::start(monitor, false);
    let reply = console
        .post(
            "/admin/login",
            &[("csrf", ""), ("next", "/admin/"), ("username", "alice"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(reply.status, 403, "{}", reply.body);
    assert!(!console.cookies.contains_key(session::SESSION_COOKIE));
    let form = console.get("/admin/login").await;
    let csrf = Console::csrf_of(&form.body);
    let request = console
        .client
        .post(format!("{}/admin/login", console.base))
        .header("Origin", "https://evil.example")
        .form(&[("csrf", csrf.as_str()), ("next", "/admin/"), ("username", "alice"), ("password", PASSWORD)]);
    let reply = console.send(request).await;
    assert_eq!(reply.status, 403, "{}", reply.body);
    assert!(!console.cookies.contains_key(session::SESSION_COOKIE));
    for (header, value) in [("Origin", "null"), ("Sec-Fetch-Site", "cross-site")] {
        let form = console.get("/admin/login").await;
        let csrf = Console::csrf_of(&form.body);
        let request =
            console.client.post(format!("{}/admin/login", console.base)).header(header, value).form(&[
                ("csrf", csrf.as_str()),
                ("next", "/admin/"),
                ("username", "alice"),
                ("password", PASSWORD),
            ]);
        let reply = console.send(request).await;
        assert_eq!(reply.status, 403, "{header}: {value}");
    }
    // What a browser sends with the console's own form is accepted.
    let form = console.get("/admin/login").await;
    let csrf = Console::csrf_of(&form.body);
    let origin = console.base.clone();
    let request = console
        .client
        .post(format!("{}/admin/login", console.base))
        .header("Origin", origin)
        .header("Sec-Fetch-Site", "same-origin")
        .form(&[("csrf", csrf.as_str()), ("next", "/admin/"), ("username", "alice"), ("password", PASSWORD)]);
    assert_eq!(console.send(request).await.status, 303);
    console.stop().await;
}

#[actix_web::test]
async fn cookies_are_http_only_same_site_strict_and_secure_outside_local_mode() {
    for secure in [true, false] {
        let monitor = sqlite_monitor();
        let mut console = Console::start(monitor, secure);
        let reply = console.sign_in("alice", PASSWORD).await;
        assert_eq!(reply.status, 303);
        let session = reply
            .headers
            .get_all(SET_COOKIE)
            .iter()
            .map(|value| value.to_str().unwrap().to_string())
            .find(|value| value.starts_with(session::SESSION_COOKIE))
            .expect("a session cookie");
        assert!(session.contains("HttpOnly"), "{session}");
        assert!(session.contains("SameSite=Strict"), "{session}");
        assert!(session.contains("Path=/admin"), "{session}");
        assert_eq!(session.contains("Secure"), secure, "{session}");
        console.stop().await;
    }
}

#[actix_web::test]
async fn pages_carry_a_strict_content_security_policy_and_no_script() {
    let monitor = sqlite_monitor();
    let mut console = Console::start(monitor, false);
    console.signed_in().await;
    for path in
        ["/admin/", "/admin/cases", "/admin/audit", "/admin/lists", "/admin/analytics", "/admin/login"]
    {
        let reply = console.get(path).await;
        let csp = reply.headers.get("content-security-policy").unwrap().to_str().unwrap();
        assert!(
            csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
            "{path}: {csp}"
        );
        assert_eq!(reply.headers.get("x-frame-options").unwrap(), "DENY");
        assert_eq!(reply.headers.get("cache-control").unwrap(), "no-store");
        assert!(!reply.body.contains("<script"), "{path}");
    }
    console.stop().await;
}

/// Fails unless `body` opens with the doctype and then `<html`: anything before the doctype, or
/// a doctype inside `<head>`, puts the browser in quirks mode (`document.compatMode` is
/// `BackCompat`).
fn assert_standards_mode(what: &str, body: &str) {
    let doctype = "<!DOCTYPE html>";
    let opens_with_doctype =
        body.get(..doctype.len()).is_some_and(|start| start.eq_ignore_ascii_case(doctype));
    assert!(
        opens_with_doctype,
        "{what}: the document does not open with {doctype}: {}",
        &body[..body.len().min(120)]
    );
    assert!(
        body[doctype.len()..].trim_start().starts_with("<html"),
        "{what}: the doctype is not followed by <html: {}",
        &body[..body.len().min(120)]
    );
}

#[actix_web::test]
async fn every_page_opens_with_the_doctype_before_html_so_browsers_use_standards_mode() {
    let monitor = sqlite_monitor();
    monitor.record("sep12:ivan", &customer("Ivan Petrovich Sidorov", account(1)), "test").unwrap();
    let case_id = monitor.cases(&CaseFilter::default()).unwrap()[0].id;
    let mut console = Console::start(monitor, false);
    // Without a session: the sign-in page, its refusal, and an error page.
    let form = console.get("/admin/login").await;
    assert_eq!(form.status, 200);
    assert_standards_mode("GET /admin/login", &form.body);
    let refused = console.sign_in("alice", "not the password at all").await;
    assert_eq!(refused.status, 401);
    assert_standards_mode("a refused sign-in", &refused.body);
    let missing = console.get("/admin/no-such-page").await;
    assert_eq!(missing.status, 404);
    assert_standards_mode("GET /admin/no-such-page without a session", &missing.body);
    // Signed in: every section and the error pages.
    let csrf = console.signed_in().await;
    for path in [
        "/admin/".to_string(),
        "/admin/cases".to_string(),
        format!("/admin/cases/{case_id}"),
        "/admin/frozen".to_string(),
        "/admin/subjects".to_string(),
        "/admin/audit".to_string(),
        "/admin/lists".to_string(),
        "/admin/analytics".to_string(),
        "/admin/reports/weekly".to_string(),
    ] {
        let reply = console.get(&path).await;
        assert_eq!(reply.status, 200, "{path}");
        assert_standards_mode(&path, &reply.body);
    }
    for (path, status) in
        [("/admin/no-such-page", 404), ("/admin/cases/999999", 404), ("/admin/analytics?days=5", 400)]
    {
        let reply = console.get(path).await;
        assert_eq!(reply.status, status, "{path}");
        assert_standards_mode(path, &reply.body);
    }
    let forbidden =
        console.post(&format!("/admin/cases/{case_id}/clear"), &[("csrf", ""), ("reason", "r")]).await;
    assert_eq!(forbidden.status, 403);
    assert_standards_mode("a refused decision", &forbidden.body);
    let invalid = console
        .post("/admin/frozen/unfreeze", &[("csrf", &csrf), ("account", "nope"), ("reason", "x")])
        .await;
    assert_eq!(invalid.status, 400);
    assert_standards_mode("an invalid unfreeze", &invalid.body);
    console.stop().await;
}

#[actix_web::test]
async fn the_favicon_is_served_and_linked_by_every_page_under_the_same_content_security_policy() {
    let monitor = sqlite_monitor();
    let mut console = Console::start(monitor, false);
    // What a browser asks for at the root of the internal listener: answered, not a 404.
    let ico = console.get("/favicon.ico").await;
    assert_eq!(ico.status, 204, "{}", ico.body);
    assert!(ico.body.is_empty());
    // The icon the pages link, without a session (the sign-in page shows it too).
    let svg = console.get("/admin/favicon.svg").await;
    assert_eq!(svg.status, 200, "{}", svg.body);
    assert_eq!(svg.headers.get("content-type").unwrap(), "image/svg+xml");
    assert_eq!(svg.headers.get("x-content-type-options").unwrap(), "nosniff");
    assert!(svg.body.starts_with("<svg") && svg.body.trim_end().ends_with("</svg>"), "{}", svg.body);
    assert!(!svg.body.contains("<script") && !svg.body.contains("href"), "{}", svg.body);
    let link = "<link rel=\"icon\" type=\"image/svg+xml\" href=\"/admin/favicon.svg\">";
    let form = console.get("/admin/login").await;
    assert!(form.body.contains(link), "the sign-in page does not link the icon: {}", form.body);
    let missing = console.get("/admin/no-such-page").await;
    assert!(missing.body.contains(link), "the 404 page does not link the icon");
    console.signed_in().await;
    for path in ["/admin/", "/admin/cases", "/admin/reports/weekly"] {
        let reply = console.get(path).await;
        assert!(reply.body.contains(link), "{path} does not link the icon");
        // The policy is the console's strict one, unchanged: the icon is same-origin (`img-src
        // 'self'`), so nothing had to be allowed for it.
        let csp = reply.headers.get("content-security-policy").unwrap().to_str().unwrap();
        assert_eq!(
            csp,
            "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
            "{path}"
        );
    }
    console.stop().await;
}

#[actix_web::test]
async fn the_weekly_report_page_and_its_csv_name_the_last_complete_iso_week_monday_to_sunday() {
    use chrono::Datelike as _;
    let monitor = sqlite_monitor();
    let mut console = Console::start(monitor, false);
    console.signed_in().await;
    let today = chrono::Utc::now().date_naive();
    let monday = today - chrono::Days::new(u64::from(today.weekday().num_days_from_monday()) + 7);
    let sunday = monday + chrono::Days::new(6);
    let week = format!("{}-W{:02}", monday.iso_week().year(), monday.iso_week().week());
    let page = console.get("/admin/reports/weekly").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains(&format!("<h1>Weekly compliance report {week}</h1>")), "{}", page.body);
    assert!(page.body.contains(&format!("Monday {monday} to Sunday {sunday} (UTC)")), "{}", page.body);
    assert!(page.body.contains(&format!("AML weekly report {week} ({monday} to {sunday}, UTC)")));
    assert!(page.body.contains(&format!("Screenings per day, {week}")), "the charts name the week");
    let csv = console.get("/admin/reports/weekly.csv").await;
    assert_eq!(csv.status, 200);
    assert_eq!(
        csv.headers.get("content-disposition").unwrap().to_str().unwrap(),
        format!("attachment; filename=\"aml-weekly-report-{week}.csv\"")
    );
    assert!(csv.body.contains(&format!("report,week,{week}\n")), "{}", csv.body);
    assert!(csv.body.contains(&format!("report,first_day,{monday}\n")), "{}", csv.body);
    assert!(csv.body.contains(&format!("report,last_day,{sunday}\n")), "{}", csv.body);
    console.stop().await;
}

#[actix_web::test]
async fn a_decision_without_the_session_csrf_token_is_refused_and_changes_nothing() {
    let monitor = sqlite_monitor();
    let listed =
        monitor.record("sep12:ivan", &customer("Ivan Petrovich Sidorov", account(1)), "test").unwrap();
    assert_eq!(listed.newly_frozen, vec![account(1)]);
    let case_id = monitor.cases(&CaseFilter::default()).unwrap()[0].id;
    let mut console = Console::start(monitor.clone(), false);
    console.signed_in().await;
    for csrf in ["", "0".repeat(64).as_str()] {
        let path = format!("/admin/cases/{case_id}/clear");
        let reply = console.post(&path, &[("csrf", csrf), ("reason", "looks fine")]).await;
        assert_eq!(reply.status, 403, "{}", reply.body);
        assert!(reply.body.contains("security token"), "{}", reply.body);
        let reply = console
            .post("/admin/frozen/unfreeze", &[("csrf", csrf), ("account", &account(1)), ("reason", "r")])
            .await;
        assert_eq!(reply.status, 403);
        let reply = console.post("/admin/logout", &[("csrf", csrf)]).await;
        assert_eq!(reply.status, 403);
    }
    assert_eq!(monitor.case(case_id).unwrap().case.status, CaseStatus::Open);
    assert!(monitor.account_frozen(&account(1)).unwrap());
    assert_eq!(console.get("/admin/cases").await.status, 200, "still signed in");
    console.stop().await;
}

#[actix_web::test]
async fn an_officers_day_in_the_console_on_every_backend() {
    for test_db in test_databases() {
        let backend = test_db.name;
        let database = test_db.database();
        import_list(&database, LIST_V1, anchor_core::clock::unix_now() - 3 * 86_400);
        officers(&database);
        let monitor = open_monitor(database.clone());
        let ivan =
            monitor.record("sep12:ivan", &customer("Ivan Petrovich Sidorov", account(1)), "test").unwrap();
        let maria =
            monitor.record("sep12:maria", &customer("Maria Gonzalez Ruiz", account(2)), "test").unwrap();
        monitor.record("sep12:bob", &customer("Albert Quenby Farrow", account(3)), "test").unwrap();
        let cases = monitor.cases(&CaseFilter::default()).unwrap();
        let case_of = |subject: i64| cases.iter().find(|case| case.subject_id == subject).unwrap().id;
        let (ivan_case, maria_case) = (case_of(ivan.subject_id), case_of(maria.subject_id));
        let mut console = Console::start(monitor.clone(), false);

        // Sign in lands on the page asked for first.
        let asked = console.get(&format!("/admin/cases/{ivan_case}")).await;
        assert_eq!(asked.status, 303);
        let form = console.get(asked.location()).await;
        let csrf = Console::csrf_of(&form.body);
        let next = format!("/admin/cases/{ivan_case}");
        assert!(form.body.contains(&format!("value=\"{next}\"")), "{backend}: next kept in the form");
        let reply = console
            .post(
                "/admin/login",
                &[("csrf", &csrf), ("next", &next), ("username", "alice"), ("password", PASSWORD)],
            )
            .await;
        assert_eq!((reply.status, reply.location()), (303, next.as_str()), "{backend}");

        // Overview: counts, charts, stale list.
        let overview = console.get("/admin/").await;
        assert_eq!(overview.status, 200, "{backend}: {}", overview.body);
        assert!(overview.body.contains("<h1>Overview</h1>"));
        assert!(overview.body.contains("Alice Officer"));
        assert!(overview.body.contains("<svg"), "{backend}: charts drawn");
        assert!(overview.body.contains("data-stale=\"true\""), "{backend}: a 3-day-old list is stale");
        let csrf = Console::csrf_of(&overview.body);

        // The queue: both cases, highest score first; bob is not there.
        let queue = console.get("/admin/cases").await;
        assert_eq!(queue.status, 200);
        assert!(queue.body.contains(&format!("data-case-id=\"{ivan_case}\"")), "{backend}");
        assert!(queue.body.contains(&format!("data-case-id=\"{maria_case}\"")));
        assert!(!queue.body.contains("Albert Quenby Farrow"));

        // A case page: the customer's fields next to the entry, the factors, the forms.
        let page = console.get(&format!("/admin/cases/{ivan_case}")).await;
        assert_eq!(page.status, 200, "{backend}: {}", page.body);
        assert!(page.body.contains(&format!("Case {ivan_case}")));
        assert!(page.body.contains("Ivan Petrovich Sidorov"));
        assert!(page.body.contains("id=\"score-factors\""));
        assert!(page.body.contains("token pair"), "{backend}: factor rows");
        assert!(page.body.contains("id=\"clear-case\"") && page.body.contains("id=\"confirm-case\""));
        assert!(page.body.contains(&account(1)) && page.body.contains("badge-frozen"));

        // Bad decisions: no reason, a past allow-list date, an unknown case.
        let clear = format!("/admin/cases/{ivan_case}/clear");
        let reply = console.post(&clear, &[("csrf", &csrf), ("reason", "  ")]).await;
        assert_eq!(reply.status, 400, "{backend}");
        assert!(reply.body.contains("a reason is required"));
        let reply =
            console.post(&clear, &[("csrf", &csrf), ("reason", "ok"), ("allow_until", "2001-01-01")]).await;
        assert_eq!(reply.status, 400);
        assert!(reply.body.contains("in the future"));
        let reply = console.post(&clear, &[("csrf", &csrf), ("reason", "ok"), ("allow_until", "soon")]).await;
        assert_eq!(reply.status, 400);
        assert_eq!(
            console.post("/admin/cases/999999/clear", &[("csrf", &csrf), ("reason", "x")]).await.status,
            404
        );
        assert_eq!(console.get("/admin/cases/999999").await.status, 404);
        assert_eq!(console.get("/admin/cases/abc").await.status, 404);
        let huge = "x".repeat(70 * 1024);
        assert_eq!(console.post(&clear, &[("csrf", &csrf), ("reason", &huge)]).await.status, 413);
        assert_eq!(
            monitor.case(ivan_case).unwrap().case.status,
            CaseStatus::Open,
            "{backend}: nothing decided"
        );

        // Clear Ivan with a reason and a date; confirm Maria; a note.
        let reply = console
            .post(
                &clear,
                &[
                    ("csrf", &csrf),
                    ("reason", "Different date of birth and nationality"),
                    ("allow_until", "2099-12-31"),
                ],
            )
            .await;
        assert_eq!(
            (reply.status, reply.location()),
            (303, format!("/admin/cases/{ivan_case}?done=cleared").as_str())
        );
        let after = console.get(reply.location()).await;
        assert!(after.body.contains("class=\"flash\""), "{backend}");
        assert!(after.body.contains("cleared as a false positive"));
        let decided = monitor.case(ivan_case).unwrap().case;
        assert_eq!(decided.status, CaseStatus::Cleared);
        assert_eq!(decided.decided_by.as_deref(), Some("Alice Officer (alice)"), "{backend}");
        assert!(!monitor.account_frozen(&account(1)).unwrap(), "{backend}: unfrozen by the clearance");
        let reply = console.post(&clear, &[("csrf", &csrf), ("reason", "again")]).await;
        assert_eq!(reply.status, 409, "{backend}: a decided case is not decided again");
        let reply = console
            .post(
                &format!("/admin/cases/{maria_case}/confirm"),
                &[("csrf", &csrf), ("reason", "Same person: passport match")],
            )
            .await;
        assert_eq!(reply.status, 303, "{backend}: {}", reply.body);
        assert_eq!(monitor.case(maria_case).unwrap().case.status, CaseStatus::Confirmed);
        let reply = console
            .post(
                &format!("/admin/cases/{maria_case}/notes"),
                &[("csrf", &csrf), ("text", "Reported to the FIU — ref 42")],
            )
            .await;
        assert_eq!(reply.status, 303);
        let page = console.get(&format!("/admin/cases/{maria_case}")).await;
        assert!(page.body.contains("Reported to the FIU — ref 42"));
        assert!(!page.body.contains("id=\"clear-case\""), "{backend}: no decision form on a decided case");

        // The queue is empty; the cleared list shows the officer.
        let queue = console.get("/admin/cases").await;
        assert!(!queue.body.contains(&format!("data-case-id=\"{ivan_case}\"")), "{backend}");
        assert!(queue.body.contains("No open cases."));
        let cleared = console.get("/admin/cases?status=cleared").await;
        assert!(
            cleared.body.contains(&format!("data-case-id=\"{ivan_case}\""))
                && cleared.body.contains("Alice Officer")
        );
        assert_eq!(console.get("/admin/cases?status=bogus").await.status, 400);

        // Frozen accounts: Maria's; search; unfreeze with a reason.
        let frozen = console.get("/admin/frozen").await;
        assert!(frozen.body.contains(&format!("data-account=\"{}\"", account(2))), "{backend}");
        let search = console.get(&format!("/admin/frozen?search={}", &account(2)[..10])).await;
        assert!(search.body.contains(&account(2)));
        let none = console.get("/admin/frozen?search=GZZZZ").await;
        assert!(none.body.contains("No frozen account matches."));
        let reply = console
            .post("/admin/frozen/unfreeze", &[("csrf", &csrf), ("account", &account(2)), ("reason", "")])
            .await;
        assert_eq!(reply.status, 400, "{backend}: a reason is required");
        let reply = console
            .post("/admin/frozen/unfreeze", &[("csrf", &csrf), ("account", "nope"), ("reason", "x")])
            .await;
        assert_eq!(reply.status, 400);
        let reply = console
            .post(
                "/admin/frozen/unfreeze",
                &[("csrf", &csrf), ("account", &account(2)), ("reason", "Court order 7/2026")],
            )
            .await;
        assert_eq!(reply.status, 303, "{backend}: {}", reply.body);
        assert!(!monitor.account_frozen(&account(2)).unwrap());

        // The customer's history: arrival screening, the hit, the freeze, the decision.
        let history = console.get(&format!("/admin/subjects/{}", maria.subject_id)).await;
        assert_eq!(history.status, 200, "{backend}: {}", history.body);
        for kind in ["screening", "screening_hit", "freeze", "case_decision", "case_note", "unfreeze"] {
            assert!(
                history.body.contains(&format!("data-kind=\"{kind}\"")),
                "{backend}: {kind} in the history"
            );
        }
        assert!(!history.body.contains("Ivan Petrovich"), "{backend}: only this customer's events");
        let found = console.get("/admin/subjects?q=Gonzalez").await;
        assert!(found.body.contains(&format!("data-subject-id=\"{}\"", maria.subject_id)), "{backend}");
        assert!(!found.body.contains(&format!("data-subject-id=\"{}\"", ivan.subject_id)));
        assert_eq!(console.get("/admin/subjects/999999").await.status, 404);

        // The audit: the decision with the officer and the reason, the chain intact, exports.
        let audit = console.get("/admin/audit?kind=case_decision").await;
        assert_eq!(audit.status, 200);
        assert!(audit.body.contains("data-kind=\"case_decision\""));
        assert!(audit.body.contains("Different date of birth and nationality"));
        assert!(audit.body.contains("Alice Officer (alice)"));
        assert!(!audit.body.contains("data-kind=\"freeze\""), "{backend}: filtered by kind");
        assert!(audit.body.contains("id=\"chain-status\"") && audit.body.contains("badge-intact"));
        let text = console.get("/admin/audit?q=Court%20order").await;
        assert!(text.body.contains("data-kind=\"unfreeze\""), "{backend}");
        let csv = console.get("/admin/audit/export?format=csv").await;
        assert_eq!(csv.status, 200);
        assert!(csv.headers.get("content-type").unwrap().to_str().unwrap().starts_with("text/csv"));
        assert!(csv.body.contains("case_decision"));
        let json = console.get("/admin/audit/export?format=json&from=2000-01-01&to=2099-01-01").await;
        assert!(serde_json::from_str::<serde_json::Value>(&json.body).unwrap().as_array().unwrap().len() > 5);
        assert_eq!(console.get("/admin/audit/export?format=xml").await.status, 400);
        assert_eq!(console.get("/admin/audit/export?from=2020-02-02&to=2020-01-01").await.status, 400);

        // Lists: versions and the diff of two, escaped.
        import_list(&database, LIST_V2, anchor_core::clock::unix_now());
        let lists = console.get("/admin/lists").await;
        assert_eq!(lists.status, 200);
        let versions = ListStore::new(database.clone()).history().unwrap();
        let (newer, older) = (versions[0].id, versions[1].id);
        assert!(lists.body.contains(&format!("data-version-id=\"{newer}\"")), "{backend}");
        assert!(lists.body.contains("data-stale=\"false\""), "{backend}: the new version is fresh");
        let diff = console.get(&format!("/admin/lists/diff?from={older}&to={newer}")).await;
        assert_eq!(diff.status, 200, "{backend}: {}", diff.body);
        assert!(diff.body.contains("Added (1)") && diff.body.contains("Removed (delisted) (1)"));
        assert!(diff.body.contains("Caspian Trading &lt;Holdings&gt; &amp; Co"), "{backend}: escaped");
        assert!(diff.body.contains("Black Sea Shipping Ltd"));
        assert_eq!(console.get("/admin/lists/diff?from=999999&to=1").await.status, 404);
        assert_eq!(console.get("/admin/lists/diff?from=x").await.status, 400);

        // Analytics and the weekly report.
        for days in [7, 30, 90] {
            let page = console.get(&format!("/admin/analytics?days={days}")).await;
            assert_eq!(page.status, 200, "{backend}: {days}");
            assert!(page.body.contains("id=\"card-alert-rate\""));
        }
        assert_eq!(console.get("/admin/analytics?days=5").await.status, 400);
        let report = console.get("/admin/reports/weekly").await;
        assert_eq!(report.status, 200, "{backend}");
        assert!(report.body.contains("Weekly compliance report"));
        let csv = console.get("/admin/reports/weekly.csv").await;
        assert_eq!(csv.status, 200);
        assert!(csv.headers.get("content-disposition").unwrap().to_str().unwrap().contains("attachment"));

        // Sign out: the session is gone for good.
        let reply = console.post("/admin/logout", &[("csrf", &csrf)]).await;
        assert_eq!((reply.status, reply.location()), (303, "/admin/login?done=signed-out"));
        assert_eq!(console.get("/admin/cases").await.status, 303, "{backend}");
        let kinds: Vec<String> = AuditTrail::new(database.clone())
            .browse(None, Some("alice"), None, 1000)
            .unwrap()
            .into_iter()
            .map(|r| r.kind)
            .collect();
        for kind in [
            "officer_created",
            "officer_sign_in",
            "officer_sign_out",
            "case_decision",
            "case_note",
            "unfreeze",
        ] {
            assert!(kinds.iter().any(|k| k == kind), "{backend}: {kind} audited: {kinds:?}");
        }
        assert!(matches!(
            AuditTrail::new(database).verify().unwrap(),
            anchor_aml::AuditVerdict::Intact { .. }
        ));
        console.stop().await;
    }
}

#[actix_web::test]
async fn long_and_non_latin_names_are_escaped_and_shown_whole() {
    let monitor = sqlite_monitor();
    let name = format!("<b>Иван</b> \"Петрович\" {} 伊万", "Сидоров".repeat(40));
    monitor.record("sep12:long", &customer(&name, account(7)), "test").unwrap();
    let mut console = Console::start(monitor, false);
    console.signed_in().await;
    let page = console.get("/admin/subjects?q=%D0%98%D0%B2%D0%B0%D0%BD").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("&lt;b&gt;Иван&lt;/b&gt; &quot;Петрович&quot;"), "escaped: {}", page.body);
    assert!(page.body.contains("伊万"));
    assert!(!page.body.contains("<b>Иван"));
    console.stop().await;
}

#[test]
fn sign_in_never_redirects_outside_the_console() {
    use session::safe_next;
    assert_eq!(safe_next(Some("/admin/cases/3")), "/admin/cases/3");
    for hostile in
        ["https://evil.example/", "//evil.example/admin/", "/admin/\\evil", "/admin/login", "/elsewhere", ""]
    {
        assert_eq!(safe_next(Some(hostile)), "/admin/", "{hostile}");
    }
    assert_eq!(safe_next(None), "/admin/");
}
