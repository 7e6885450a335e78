//! The real `example-anchor` binary, started as a user would start it, over real HTTP.

#![allow(clippy::unwrap_used, reason = "in tests a panic is the failure report")]

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

const BINARY: &str = env!("CARGO_BIN_EXE_example-anchor");

/// A running anchor process, killed when dropped.
struct Running {
    child: Child,
    base: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A command with an empty environment (only PATH), run in `dir`.
fn command(dir: &Path) -> Command {
    let mut command = Command::new(BINARY);
    command.current_dir(dir).env_clear().env("PATH", std::env::var("PATH").unwrap_or_default());
    command
}

async fn start(dir: &Path, extra_env: &[(&str, &str)]) -> Running {
    let port = free_port();
    let mut command = command(dir);
    command
        .env("BIND_ADDRESS", format!("127.0.0.1:{port}"))
        .env("INTERNAL_BIND_ADDRESS", format!("127.0.0.1:{}", free_port()))
        .envs(extra_env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let child = command.spawn().unwrap();
    let mut running = Running { child, base: format!("http://127.0.0.1:{port}") };
    // Wait until it answers (bounded by attempts, not by asserting a duration).
    for _ in 0..300 {
        if let Some(status) = running.child.try_wait().unwrap() {
            panic!("example-anchor exited early with {status}");
        }
        if reqwest::get(format!("{}/health", running.base)).await.is_ok() {
            return running;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("example-anchor did not start serving");
}

fn env_file_value(dir: &Path, key: &str) -> String {
    let text = std::fs::read_to_string(dir.join(".env")).unwrap();
    text.lines()
        .find_map(|line| line.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("{key} missing from .env"))
        .to_string()
}

async fn stellar_toml(running: &Running) -> toml::Table {
    let response = reqwest::get(format!("{}/.well-known/stellar.toml", running.base)).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    response.text().await.unwrap().parse().unwrap()
}

#[tokio::test]
async fn starts_from_an_empty_directory_with_no_configuration_and_serves_its_stellar_toml() {
    let dir = tempfile::tempdir().unwrap();
    let running = start(dir.path(), &[]).await;

    let seed = env_file_value(dir.path(), "SIGNING_SEED");
    let public_key = anchor_core::keys::SigningKey::from_seed(&seed).unwrap().public_key().to_string();
    assert_eq!(env_file_value(dir.path(), "LOCAL_MODE"), "true");
    assert!(dir.path().join("data/example-anchor.sqlite3").exists(), "SQLite file not created");

    let toml = stellar_toml(&running).await;
    assert_eq!(toml["SIGNING_KEY"].as_str(), Some(public_key.as_str()));
    assert_eq!(toml["NETWORK_PASSPHRASE"].as_str(), Some("Test SDF Network ; September 2015"));
    assert_eq!(toml["DOCUMENTATION"]["ORG_NAME"].as_str(), Some("Example Anchor"));
    assert_eq!(toml["CURRENCIES"][0]["code"].as_str(), Some("USDC"));
    assert_eq!(toml["WEB_AUTH_ENDPOINT"].as_str(), Some("http://localhost:8000/auth"));

    // SEP-10 is active in the development configuration: a wallet gets a challenge.
    let challenge: serde_json::Value = reqwest::get(format!("{}/auth?account={public_key}", running.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(challenge["transaction"].as_str().is_some_and(|xdr| !xdr.is_empty()), "{challenge}");
    assert_eq!(challenge["network_passphrase"], "Test SDF Network ; September 2015");

    let health: serde_json::Value =
        reqwest::get(format!("{}/health", running.base)).await.unwrap().json().await.unwrap();
    assert_eq!(health["database"], "ok");
    drop(running);

    // A second start keeps the keys of the first.
    let running = start(dir.path(), &[]).await;
    let toml = stellar_toml(&running).await;
    assert_eq!(toml["SIGNING_KEY"].as_str(), Some(public_key.as_str()));
}

#[tokio::test]
async fn serves_on_every_database_backend() {
    for test_db in anchor_core::testing::test_databases() {
        let dir = tempfile::tempdir().unwrap();
        let url = test_db.url_string();
        let key = anchor_core::keys::SigningKey::generate().unwrap();
        let seed = key.seed();
        let env = [
            ("ACTIVE_SEPS", "sep-1"),
            ("HOST_URL", "https://anchor.example"),
            ("SIGNING_SEED", seed.expose().as_str()),
            ("SERVER_JWT_KEY", anchor_core::testing::TEST_JWT_KEY),
            ("DATABASE_URL", url.as_str()),
        ];
        // Outside LOCAL_MODE the schema must be migrated explicitly.
        let refused = command(dir.path()).envs(env).arg("serve").output().unwrap();
        assert_eq!(
            refused.status.code(),
            Some(1),
            "{}: {}",
            test_db.name,
            String::from_utf8_lossy(&refused.stderr)
        );
        assert!(String::from_utf8_lossy(&refused.stderr).contains("run the `migrate` command"));

        let migrated = command(dir.path()).envs(env).arg("migrate").output().unwrap();
        assert!(migrated.status.success(), "{}: {}", test_db.name, String::from_utf8_lossy(&migrated.stderr));
        let again = command(dir.path()).envs(env).arg("migrate").output().unwrap();
        assert!(String::from_utf8_lossy(&again.stdout).contains("up to date"), "{}", test_db.name);

        let running = start(dir.path(), &env).await;
        let toml = stellar_toml(&running).await;
        assert_eq!(toml["SIGNING_KEY"].as_str(), Some(key.public_key()), "{}", test_db.name);
        let health: serde_json::Value =
            reqwest::get(format!("{}/health", running.base)).await.unwrap().json().await.unwrap();
        assert_eq!(health["backend"], test_db.name);
    }
}

fn run(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    command(dir).envs(env.iter().copied()).args(args).output().unwrap()
}

#[test]
fn a_bad_configuration_lists_every_problem_and_exits_with_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let secret_like = "SBADSEEDSBADSEEDSBADSEEDSBADSEEDSBADSEEDSBADSEEDSBADSEED";
    let env = [
        ("ACTIVE_SEPS", "sep-1,sep-77"),
        ("HOST_URL", "anchor.example"),
        ("SIGNING_SEED", secret_like),
        ("SERVER_JWT_KEY", "short"),
    ];
    let output = run(dir.path(), &env, &["config", "check"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    for setting in ["ACTIVE_SEPS", "HOST_URL", "SIGNING_SEED", "SERVER_JWT_KEY"] {
        assert!(stderr.contains(&format!("  - {setting}: ")), "{setting} not reported:\n{stderr}");
    }
    assert!(!stderr.contains(secret_like), "the seed leaked:\n{stderr}");
    assert!(!dir.path().join(".env").exists(), "a configured environment must not get a development .env");
}

#[test]
fn sep3_in_active_seps_passes_config_check_with_the_example_integrations() {
    let dir = tempfile::tempdir().unwrap();
    let key = anchor_core::keys::SigningKey::generate().unwrap();
    let seed = key.seed();
    let env = [
        ("ACTIVE_SEPS", "sep-1,sep-3"),
        ("HOST_URL", "http://localhost:8000"),
        ("LOCAL_MODE", "true"),
        ("SIGNING_SEED", seed.expose().as_str()),
        ("SERVER_JWT_KEY", anchor_core::testing::TEST_JWT_KEY),
        ("DATABASE_URL", "sqlite://data/a.sqlite3"),
    ];
    let output = run(dir.path(), &env, &["config", "check"]);
    // sep-3 is implemented (issue 5) and the example registers its sanctions, federation and
    // compliance integrations.
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
}

#[test]
fn config_check_prints_the_effective_configuration_with_secrets_redacted() {
    let dir = tempfile::tempdir().unwrap();
    let key = anchor_core::keys::SigningKey::generate().unwrap();
    let seed = key.seed();
    let env = [
        ("ACTIVE_SEPS", "sep-1"),
        ("HOST_URL", "http://localhost:8000"),
        ("LOCAL_MODE", "true"),
        ("SIGNING_SEED", seed.expose().as_str()),
        ("SERVER_JWT_KEY", anchor_core::testing::TEST_JWT_KEY),
        ("ADMIN_API_KEY", anchor_core::testing::TEST_ADMIN_API_KEY),
        ("DATABASE_URL", "sqlite://data/a.sqlite3"),
    ];
    let output = run(dir.path(), &env, &["config", "check"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(
        stdout.contains(&format!("SIGNING_SEED=[redacted] (SIGNING_KEY {})", key.public_key())),
        "{stdout}"
    );
    for secret in
        [seed.expose().as_str(), anchor_core::testing::TEST_JWT_KEY, anchor_core::testing::TEST_ADMIN_API_KEY]
    {
        assert!(!stdout.contains(secret), "secret printed:\n{stdout}");
    }
}

/// The names left in `dir`.
fn entries(dir: &Path) -> Vec<std::ffi::OsString> {
    std::fs::read_dir(dir).unwrap().map(|entry| entry.unwrap().file_name()).collect()
}

#[test]
fn help_and_version_at_any_level_exit_0_and_write_nothing_in_an_empty_directory() {
    let invocations: &[&[&str]] = &[
        &["help"],
        &["--help"],
        &["-h"],
        &["--version"],
        &["-V"],
        &["serve", "--help"],
        &["serve", "-h"],
        &["help", "serve"],
        &["migrate", "--help"],
        &["config", "--help"],
        &["config", "check", "--help"],
        &["help", "config", "check"],
        &["keys", "--help"],
        &["keys", "generate", "-h"],
        &["lists", "--help"],
        &["lists", "import", "--help"],
        &["help", "lists"],
        &["help", "lists", "import"],
        &["audit", "-h"],
        &["aml", "--help"],
        &["officers", "create", "--help"],
        &["help", "officers"],
        &["--config", "anchor.toml", "--help"],
    ];
    for args in invocations {
        let dir = tempfile::tempdir().unwrap();
        let output = run(dir.path(), &[], args);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
        assert!(!output.stdout.is_empty(), "{args:?} printed nothing");
        assert_eq!(entries(dir.path()), Vec::<std::ffi::OsString>::new(), "{args:?} wrote in the directory");
    }
}

#[test]
fn a_mistyped_command_line_writes_nothing_either() {
    for args in [&["serve", "--no-such-flag"][..], &["no-such-command"], &["help", "no-such-command"]] {
        let dir = tempfile::tempdir().unwrap();
        let output = run(dir.path(), &[], args);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
        assert_eq!(entries(dir.path()), Vec::<std::ffi::OsString>::new(), "{args:?} wrote in the directory");
    }
}

#[test]
fn keys_generate_prints_a_usable_seed_and_keys() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(dir.path(), &[], &["keys", "generate"]);
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    let seed = stdout.lines().find_map(|l| l.strip_prefix("SIGNING_SEED=")).unwrap();
    assert!(anchor_core::keys::SigningKey::from_seed(seed).is_ok());
    let jwt = stdout.lines().find_map(|l| l.strip_prefix("SERVER_JWT_KEY=")).unwrap();
    assert!(jwt.len() >= 32);
    assert!(!dir.path().join(".env").exists(), "keys generate must not write a .env");
}
