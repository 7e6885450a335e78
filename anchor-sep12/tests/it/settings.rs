//! The SEP-12 settings: defaults, and every invalid value reported by name.

use anchor_core::testing::base_environment;
use anchor_core::Settings;

fn load(overrides: &[(&str, &str)]) -> Result<Settings, anchor_core::ConfigError> {
    let mut env = base_environment();
    for (key, value) in overrides {
        env.retain(|(existing, _)| existing != key);
        env.push((key.to_string(), value.to_string()));
    }
    Settings::from_sources(None, env)
}

#[test]
fn defaults_and_overrides() {
    let settings = load(&[]).unwrap();
    assert_eq!(settings.sep12.max_file_bytes, 10 * 1024 * 1024);
    assert_eq!(settings.sep12.callback_max_attempts, 20);
    assert_eq!(settings.sep12.callback_timeout.as_secs(), 10);
    assert_eq!(settings.sep12.file_expiry.as_secs(), 86_400);
    assert_eq!(settings.sep12.max_files_per_customer, 20);
    assert_eq!(settings.sep12.max_file_bytes_per_customer, 50 * 1024 * 1024);
    assert!(settings.sep12.file_content_types.iter().any(|t| t == "application/pdf"));
    let settings =
        load(&[("SEP12_FILE_CONTENT_TYPES", "Image/PNG, video/mp4"), ("SEP12_MAX_FILE_BYTES", "4096")])
            .unwrap();
    assert_eq!(settings.sep12.file_content_types, ["image/png", "video/mp4"]);
    assert_eq!(settings.sep12.max_file_bytes, 4096);
    let redacted = settings.redacted();
    assert!(redacted.iter().any(|(name, value)| *name == "SEP12_MAX_FILE_BYTES" && value == "4096"));
}

#[test]
fn every_bad_value_is_reported_together() {
    let err = load(&[
        ("SEP12_MAX_FILE_BYTES", "10"),
        ("SEP12_FILE_CONTENT_TYPES", "png"),
        ("SEP12_FILE_EXPIRY", "soon"),
        ("SEP12_CALLBACK_TIMEOUT", "0"),
        ("SEP12_CALLBACK_MAX_ATTEMPTS", "1000"),
        ("SEP12_MAX_FILES_PER_CUSTOMER", "0"),
        ("SEP12_MAX_FILE_BYTES_PER_CUSTOMER", "1000"),
    ])
    .unwrap_err();
    for setting in [
        "SEP12_MAX_FILE_BYTES",
        "SEP12_FILE_CONTENT_TYPES",
        "SEP12_FILE_EXPIRY",
        "SEP12_CALLBACK_TIMEOUT",
        "SEP12_CALLBACK_MAX_ATTEMPTS",
        "SEP12_MAX_FILES_PER_CUSTOMER",
        "SEP12_MAX_FILE_BYTES_PER_CUSTOMER",
    ] {
        assert!(err.mentions(setting), "{setting} in {err}");
    }
}

#[test]
fn kyc_server_is_published() {
    let settings = anchor_core::testing::settings(&[]);
    let entries = anchor_core::SepModule::stellar_toml_entries(&anchor_sep12::Sep12, &settings);
    assert_eq!(entries, vec![("KYC_SERVER", "http://localhost:8000/kyc".to_string())]);
}
