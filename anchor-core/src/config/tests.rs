//! `Settings` from environment and TOML file: typed values and defaults, every problem reported at
//! once without echoing secrets, the checks of each setting (SEP names, keys, URLs, listeners,
//! database URLs, SEP-3, AML, pool and rate-limit settings), the environment winning over the file,
//! and `docs/configuration.md` and example-anchor's `.env.example` naming every setting.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "in tests a panic is the failure report")]

use super::*;

const SEED: &str = "SDWTLFPALQSP225BSMX7HPZ7ZEAYSUYNDLJ5QI3YGVBNRUIIELWH3XUV";
const JWT_KEY: &str = "0123456789abcdef0123456789abcdef";

fn good_env() -> Vec<(String, String)> {
    [
        ("ACTIVE_SEPS", "sep-1,sep-10"),
        ("HOST_URL", "https://anchor.example"),
        ("SIGNING_SEED", SEED),
        ("SERVER_JWT_KEY", JWT_KEY),
        ("DATABASE_URL", "sqlite://test.sqlite3"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn with(overrides: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut env = good_env();
    for (key, value) in overrides {
        env.retain(|(k, _)| k != key);
        env.push((key.to_string(), value.to_string()));
    }
    env
}

fn without(key: &str) -> Vec<(String, String)> {
    good_env().into_iter().filter(|(k, _)| k != key).collect()
}

fn problems(env: Vec<(String, String)>) -> ConfigError {
    Settings::from_sources(None, env).expect_err("configuration should be refused")
}

#[test]
fn a_good_environment_gives_typed_settings_with_defaults() {
    let settings = Settings::from_sources(None, good_env()).unwrap();
    assert_eq!(settings.active_seps, BTreeSet::from([SepId::Sep1, SepId::Sep10]));
    assert_eq!(settings.host_url, "https://anchor.example");
    assert_eq!(settings.signing_key_public(), "GBYJZW5XFAI6XV73H5SAIUYK6XZI4CGGVBUBO3ANA2SV7KKDAXTV6AEB");
    assert_eq!(settings.network_passphrase, TESTNET_PASSPHRASE);
    assert_eq!(settings.horizon_uri, "https://horizon-testnet.stellar.org");
    assert_eq!(settings.sep10.home_domains, vec!["anchor.example".to_string()]);
    assert_eq!(settings.sep10.auth_timeout, Duration::from_secs(900));
    assert_eq!(settings.sep10.jwt_timeout, Duration::from_secs(86_400));
    assert_eq!(settings.bind_address.to_string(), "127.0.0.1:8000");
    assert_eq!(settings.internal_bind_address.to_string(), "127.0.0.1:8001");
    assert_eq!(settings.database_url, DatabaseUrl::Sqlite("test.sqlite3".into()));
    assert!(!settings.local_mode);
}

#[test]
fn sep_names_accept_polaris_spellings() {
    for spelling in ["sep-10", "SEP10", "10", "Sep_10", " sep-10 "] {
        assert_eq!(spelling.parse::<SepId>(), Ok(SepId::Sep10), "{spelling}");
    }
    assert!("sep-24".parse::<SepId>().unwrap_err().contains("supported: sep-1, sep-3, sep-10, sep-12"));
    assert!("kyc".parse::<SepId>().unwrap_err().contains("not a SEP name"));
}

#[test]
fn unknown_active_sep_is_named() {
    let err = problems(with(&[("ACTIVE_SEPS", "sep-1,sep-99")]));
    assert_eq!(err.problems.len(), 1, "{err}");
    assert_eq!(err.problems[0].setting, "ACTIVE_SEPS");
    assert!(err.problems[0].message.contains("`sep-99`"), "{err}");
}

#[test]
fn missing_active_seps_is_reported() {
    let err = problems(without("ACTIVE_SEPS"));
    assert!(err.mentions("ACTIVE_SEPS"), "{err}");
}

#[test]
fn invalid_signing_seed_is_reported_without_echoing_it() {
    let bad_seed = "SDWTLFPALQSP225BSMX7HPZ7ZEAYSUYNDLJ5QI3YGVBNRUIIELWH3XUA";
    let err = problems(with(&[("SIGNING_SEED", bad_seed)]));
    assert!(err.mentions("SIGNING_SEED"), "{err}");
    assert!(!err.to_string().contains(bad_seed), "the seed leaked into the message: {err}");
    let err = problems(with(&[("SIGNING_SEED", "GBYJZW5XFAI6XV73H5SAIUYK6XZI4CGGVBUBO3ANA2SV7KKDAXTV6AEB")]));
    assert!(err.to_string().contains("looks like a public key"), "{err}");
}

#[test]
fn short_jwt_key_is_reported() {
    let err = problems(with(&[("SERVER_JWT_KEY", "too-short")]));
    assert!(err.mentions("SERVER_JWT_KEY"), "{err}");
    assert!(err.to_string().contains("at least 32 bytes"), "{err}");
    assert!(!err.to_string().contains("too-short"));
}

#[test]
fn host_url_needs_a_scheme_and_https_outside_local_mode() {
    let err = problems(with(&[("HOST_URL", "anchor.example")]));
    assert!(err.to_string().contains("has no scheme"), "{err}");
    let err = problems(with(&[("HOST_URL", "http://anchor.example")]));
    assert!(err.to_string().contains("must use https outside LOCAL_MODE"), "{err}");
    let err = problems(with(&[("HOST_URL", "https://anchor.example/api")]));
    assert!(err.to_string().contains("origin only"), "{err}");
    let local = with(&[("HOST_URL", "http://localhost:8000"), ("LOCAL_MODE", "true")]);
    let settings = Settings::from_sources(None, local).unwrap();
    assert_eq!(settings.host_url, "http://localhost:8000");
    assert_eq!(settings.sep10.home_domains, vec!["localhost:8000".to_string()]);
}

#[test]
fn every_problem_is_reported_at_once() {
    let env = with(&[
        ("ACTIVE_SEPS", "sep-1,sep-42"),
        ("HOST_URL", "anchor.example"),
        ("SIGNING_SEED", "not-a-seed"),
        ("SERVER_JWT_KEY", "short"),
        ("SEP10_AUTH_TIMEOUT", "soon"),
        ("LOCAL_MODE", "perhaps"),
        ("DATABASE_URL", "oracle://db"),
    ]);
    let err = problems(env);
    for setting in [
        "ACTIVE_SEPS",
        "HOST_URL",
        "SIGNING_SEED",
        "SERVER_JWT_KEY",
        "SEP10_AUTH_TIMEOUT",
        "LOCAL_MODE",
        "DATABASE_URL",
    ] {
        assert!(err.mentions(setting), "{setting} missing from:\n{err}");
    }
    assert!(err.to_string().starts_with("invalid configuration (7 problems)"), "{err}");
}

#[test]
fn non_loopback_internal_listener_requires_an_admin_key() {
    let err = problems(with(&[("INTERNAL_BIND_ADDRESS", "0.0.0.0:8001")]));
    assert!(err.mentions("ADMIN_API_KEY"), "{err}");
    let ok = with(&[
        ("INTERNAL_BIND_ADDRESS", "0.0.0.0:8001"),
        ("ADMIN_API_KEY", "an-admin-key-that-is-long-enough-0123"),
    ]);
    let settings = Settings::from_sources(None, ok).unwrap();
    assert!(!format!("{settings:?}").contains("an-admin-key"));
}

#[test]
fn debug_and_redacted_output_never_contain_secrets() {
    let env = with(&[("DATABASE_URL", "postgres://anchor:hunter2@db.internal/anchor")]);
    let settings = Settings::from_sources(None, env);
    let text = match settings {
        Ok(settings) => format!("{settings:?}\n{:?}", settings.redacted()),
        // Without the `postgres` feature the URL is refused; the message must not leak either.
        Err(err) => err.to_string(),
    };
    for secret in [SEED, JWT_KEY, "hunter2"] {
        assert!(!text.contains(secret), "{secret} leaked:\n{text}");
    }
}

#[test]
fn database_urls_choose_the_backend() {
    assert_eq!(DatabaseUrl::parse("sqlite://data/a.db"), Ok(DatabaseUrl::Sqlite("data/a.db".into())));
    assert_eq!(DatabaseUrl::parse("data/a.db"), Ok(DatabaseUrl::Sqlite("data/a.db".into())));
    assert_eq!(DatabaseUrl::parse("postgres://u@h/db").unwrap().backend(), "postgres");
    assert_eq!(DatabaseUrl::parse("postgresql://u@h/db").unwrap().backend(), "postgres");
    assert_eq!(DatabaseUrl::parse("mysql://u@h/db").unwrap().backend(), "mysql");
    assert_eq!(DatabaseUrl::parse("mariadb://u@h/db").unwrap().backend(), "mysql");
    assert!(DatabaseUrl::parse("oracle://u@h/db").is_err());
    assert_eq!(DatabaseUrl::parse("postgres://u:pw@h/db").unwrap().to_string(), "postgres://u:REDACTED@h/db");
}

#[test]
fn toml_file_is_read_and_environment_wins_over_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("anchor.toml");
    std::fs::write(
        &path,
        format!(
            "ACTIVE_SEPS = [\"sep-1\", \"sep-12\"]\nHOST_URL = \"https://file.example\"\nSIGNING_SEED = \"{SEED}\"\nSERVER_JWT_KEY = \"{JWT_KEY}\"\nSEP10_AUTH_TIMEOUT = 300\nLOCAL_MODE = false\n"
        ),
    )
    .unwrap();
    let env = vec![("HOST_URL".to_string(), "https://env.example".to_string())];
    let settings = Settings::from_sources(Some(&path), env).unwrap();
    assert_eq!(settings.host_url, "https://env.example");
    assert_eq!(settings.active_seps, BTreeSet::from([SepId::Sep1, SepId::Sep12]));
    assert_eq!(settings.sep10.auth_timeout, Duration::from_secs(300));
}

#[test]
fn unknown_keys_in_the_toml_file_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("anchor.toml");
    std::fs::write(&path, "ACTIVE_SEP = \"sep-1\"\n").unwrap();
    let err = Settings::from_sources(Some(&path), good_env()).unwrap_err();
    assert!(err.to_string().contains("`ACTIVE_SEP`, which is not a setting"), "{err}");
}

#[test]
fn stellar_toml_file_may_not_override_generated_keys() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("static.toml");
    std::fs::write(&path, "SIGNING_KEY = \"GABC\"\n[DOCUMENTATION]\nORG_NAME = \"Bank\"\n").unwrap();
    let env = with(&[("STELLAR_TOML_FILE", path.to_str().unwrap())]);
    let err = problems(env);
    assert!(err.to_string().contains("`SIGNING_KEY`, which the framework generates"), "{err}");
}

#[test]
fn settings_docs_cover_every_setting_in_the_docs_file() {
    let docs = include_str!("../../../docs/configuration.md");
    for setting in SETTINGS {
        assert!(docs.contains(&format!("`{}`", setting.name)), "{} is not documented", setting.name);
    }
}

#[test]
fn sep3_aml_and_pool_settings_are_parsed_and_checked() {
    let settings = Settings::from_sources(
        None,
        with(&[
            ("SEP3_SCREENING_FAILURE", "deny"),
            ("SEP3_NEED_INFO", "true"),
            ("AML_MATCH_THRESHOLD", "0.95"),
            ("AML_REVIEW_THRESHOLD", "0.85"),
            ("DATABASE_POOL_SIZE", "32"),
            ("SEP10_REQUIRE_SIGNED_REQUESTS", "yes"),
        ]),
    )
    .unwrap();
    assert_eq!(settings.sep3.screening_failure, Sep3ScreeningFailure::Deny);
    assert!(settings.sep3.need_info);
    assert_eq!(settings.aml.match_threshold, 0.95);
    assert_eq!(settings.database_pool_size, Some(32));
    assert!(settings.sep10.require_signed_requests);

    let defaults = Settings::from_sources(None, good_env()).unwrap();
    assert_eq!(defaults.sep3.screening_failure, Sep3ScreeningFailure::Pending(Duration::from_secs(300)));
    assert_eq!((defaults.aml.match_threshold, defaults.aml.review_threshold), (0.90, 0.80));

    let err = problems(with(&[
        ("SEP3_SCREENING_FAILURE", "allow"),
        ("AML_MATCH_THRESHOLD", "0.7"),
        ("AML_REVIEW_THRESHOLD", "0.8"),
        ("DATABASE_POOL_SIZE", "0"),
    ]));
    for setting in ["SEP3_SCREENING_FAILURE", "AML_REVIEW_THRESHOLD", "DATABASE_POOL_SIZE"] {
        assert!(err.mentions(setting), "{setting} missing from:\n{err}");
    }
    assert!(err.to_string().contains("never passes"), "{err}");
}

#[test]
fn the_example_env_file_shows_every_setting() {
    let example = include_str!("../../../example-anchor/.env.example");
    for setting in SETTINGS {
        assert!(
            example.contains(&format!("{}=", setting.name)),
            "{} missing from .env.example",
            setting.name
        );
    }
}

#[test]
fn rate_limits_have_defaults_can_be_switched_off_and_are_checked() {
    use crate::ratelimit::Rate;
    let defaults = Settings::from_sources(None, good_env()).unwrap().rate_limits;
    assert_eq!(defaults.sep10_challenge, Some(Rate::per_minute(60, 30)));
    assert_eq!(defaults.sep10_token, Some(Rate::per_minute(60, 30)));
    assert_eq!(defaults.sep3_auth_server, Some(Rate::per_minute(600, 120)));
    assert_eq!(defaults.federation, Some(Rate::per_minute(120, 60)));
    assert_eq!(defaults.console_sign_in, Some(Rate::per_minute(10, 5)));
    assert_eq!(defaults.max_addresses, 100_000);
    assert!(defaults.trusted_proxies.is_empty(), "no proxy is trusted by default");

    let set = Settings::from_sources(
        None,
        with(&[
            ("RATE_LIMIT_SEP10_CHALLENGE", "off"),
            ("RATE_LIMIT_FEDERATION", "0"),
            ("RATE_LIMIT_SEP3_AUTH_SERVER", "5/s"),
            ("RATE_LIMIT_MAX_ADDRESSES", "1000"),
            ("TRUSTED_PROXIES", "10.0.0.0/8, ::1"),
        ]),
    )
    .unwrap();
    let limits = &set.rate_limits;
    assert_eq!((limits.sep10_challenge, limits.federation), (None, None));
    assert_eq!(limits.sep3_auth_server.map(|rate| (rate.requests, rate.burst)), Some((5, 5)));
    assert_eq!(limits.max_addresses, 1000);
    assert_eq!(limits.trusted_proxies.len(), 2);
    let shown: std::collections::HashMap<_, _> = set.redacted().into_iter().collect();
    assert_eq!(shown["RATE_LIMIT_SEP10_CHALLENGE"], "off");
    assert_eq!(shown["RATE_LIMIT_SEP10_TOKEN"], "60/min burst 30");
    assert_eq!(shown["TRUSTED_PROXIES"], "10.0.0.0/8,::1/128");

    let err = problems(with(&[
        ("RATE_LIMIT_SEP10_TOKEN", "lots"),
        ("RATE_LIMIT_CONSOLE_SIGN_IN", "10/fortnight"),
        ("RATE_LIMIT_MAX_ADDRESSES", "5"),
        ("TRUSTED_PROXIES", "proxy.internal"),
    ]));
    for setting in [
        "RATE_LIMIT_SEP10_TOKEN",
        "RATE_LIMIT_CONSOLE_SIGN_IN",
        "RATE_LIMIT_MAX_ADDRESSES",
        "TRUSTED_PROXIES",
    ] {
        assert!(err.mentions(setting), "{setting} missing from:\n{err}");
    }
}
