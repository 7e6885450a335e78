//! Screening and list-version behaviour on the small golden excerpts (always run).
#![allow(clippy::unwrap_used, reason = "in tests a panic is the failure report")]

use std::path::PathBuf;

use anchor_screening::Error;
use anchor_screening::{
    compare_names, diff_lists, parse_eu_xml, parse_ofac_advanced, parse_un_xml, validate_import,
    CryptoAddress, EntityKind, HitDecision, ImportPolicy, ListVersion, PartialDate, SanctionsEntity,
    ScoreFactor, ScreeningConfig, ScreeningIndex, ScreeningSubject, SourceList, TokenMatch,
};

fn data(name: &str) -> Vec<u8> {
    std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)).unwrap()
}

const STELLAR_G: &str = "GA7QYNF7SOWQ3GLR2BGMZEHXAVIRZA4KVWLTJJFC7MGXUA74P7UJVSGZ";

fn index() -> ScreeningIndex {
    let mut entities =
        parse_ofac_advanced(&data("sdn_advanced_mini_2025-11-19.xml"), SourceList::OfacSdn).unwrap().entities;
    entities.extend(parse_un_xml(&data("un_consolidated_mini_2026-02-27.xml")).unwrap().entities);
    entities.extend(parse_eu_xml(&data("eu_fsf_hand_written_1_1.xml")).unwrap().entities);
    let mut own = SanctionsEntity::new(
        SourceList::Custom("internal".into()),
        "B-1",
        EntityKind::Organization,
        "Blocked Wallet Holder",
    );
    own.crypto_addresses.push(CryptoAddress { currency: "XLM".into(), address: STELLAR_G.into() });
    entities.push(own);
    ScreeningIndex::build(entities)
}

#[test]
fn exact_and_damaged_names_hit_with_an_explanation() {
    let index = index();
    let config = ScreeningConfig::default();
    let hits = index.screen(&ScreeningSubject::person("Nicolás Maduro Moros"), &config);
    let top = &hits[0];
    assert_eq!((top.list.clone(), top.source_id.as_str()), (SourceList::OfacSdn, "22790"));
    assert_eq!(top.decision, HitDecision::Match);
    assert!(top.factors.iter().any(|f| matches!(f, ScoreFactor::TokenPair { kind: TokenMatch::Exact, .. })));

    // Typo, reordering, invisible character and Cyrillic look-alike letters.
    for name in [
        "MOROS, Nicolas MADURO",
        "Nicolas Madruo Moros",
        "Nico\u{200B}las MADURO MOROS",
        "Nicolas MАDURO MОROS",
    ] {
        let hits = index.screen(&ScreeningSubject::person(name), &config);
        assert_eq!(hits.first().map(|h| h.source_id.as_str()), Some("22790"), "{name}");
    }
    // Written in Cyrillic against a Cyrillic alias of the EU fixture.
    let hits = index.screen(&ScreeningSubject::person("Ахмад Тестнейм"), &config);
    assert_eq!(hits.first().map(|h| h.source_id.as_str()), Some("13"));
}

#[test]
fn qualifiers_adjust_and_explain_the_score() {
    let index = index();
    let config = ScreeningConfig::default();
    let base = index.screen(&ScreeningSubject::person("Ahmad Example Testname"), &config);
    let matching = index.screen(
        &ScreeningSubject::person("Ahmad Example Testname")
            .with_birth_date(PartialDate::ymd(1961, 7, 14))
            .with_country("Iraq"),
        &config,
    );
    let wrong_dob = index.screen(
        &ScreeningSubject::person("Ahmad Example Testname")
            .with_birth_date(PartialDate::ymd(1990, 1, 1))
            .with_country("Norway"),
        &config,
    );
    assert!(matching[0].score >= base[0].score);
    assert!(matching[0]
        .factors
        .iter()
        .any(|f| matches!(f, ScoreFactor::BirthDate { effect, .. } if *effect > 0.0)));
    let lowered = wrong_dob.first().map_or(0.0, |h| h.score);
    assert!(lowered < base[0].score, "{lowered} vs {}", base[0].score);
    if let Some(hit) = wrong_dob.first() {
        assert!(hit
            .factors
            .iter()
            .any(|f| matches!(f, ScoreFactor::BirthDate { effect, .. } if *effect < 0.0)));
        assert!(hit
            .factors
            .iter()
            .any(|f| matches!(f, ScoreFactor::Country { effect, .. } if *effect < 0.0)));
    }
}

#[test]
fn unrelated_names_and_incompatible_kinds_do_not_hit() {
    let index = index();
    let config = ScreeningConfig::default();
    for name in ["John Smith", "Maria Garcia Lopez", "Deutsche Bank AG", ""] {
        assert!(index.screen(&ScreeningSubject::person(name), &config).is_empty(), "{name}");
    }
    // A person query does not match the organisation of the same name.
    assert!(index.screen(&ScreeningSubject::person("Blocked Wallet Holder"), &config).is_empty());
    assert!(!index.screen(&ScreeningSubject::organization("Blocked Wallet Holder"), &config).is_empty());
}

#[test]
fn addresses_are_looked_up_exactly_and_muxed_accounts_resolved() {
    let index = index();
    let listed = index
        .entities()
        .iter()
        .flat_map(|e| &e.crypto_addresses)
        .find(|c| c.currency != "XLM")
        .unwrap()
        .clone();
    let hits = index.screen_address(&listed.address);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].decision, HitDecision::Match);
    assert!(
        matches!(&hits[0].factors[0], ScoreFactor::CryptoAddress { currency, .. } if *currency == listed.currency)
    );

    let pk = stellar_strkey::ed25519::PublicKey::from_string(STELLAR_G).unwrap();
    let muxed = stellar_strkey::ed25519::MuxedAccount { ed25519: pk.0, id: 42 }.to_string();
    let hits = index.screen_address(muxed.as_str());
    assert_eq!(hits.first().map(|h| h.source_id.as_str()), Some("B-1"));
    assert!(index.screen_address("GBRPYHIL2CI3FNQ4BXLFMNDLFJUNPU2HY3ZMFSHONUCEOASW7QC7OX2H").is_empty());
    assert!(index.screen_address("not an address").is_empty());
}

#[test]
fn thresholds_are_configuration() {
    let index = index();
    let strict =
        ScreeningConfig { match_threshold: 1.0, review_threshold: 0.99, ..ScreeningConfig::default() };
    assert!(strict.validate().is_ok());
    assert!(index.screen(&ScreeningSubject::person("Nicolas Madruo Moros"), &strict).is_empty());
    let invalid =
        ScreeningConfig { match_threshold: 0.5, review_threshold: 0.9, ..ScreeningConfig::default() };
    assert!(matches!(invalid.validate(), Err(Error::Config(_))));
}

#[test]
fn name_comparison_without_an_index() {
    assert!(compare_names("Siemens Aktiengesellschaft", "SIEMENS AG") > 0.9);
    assert!(compare_names("Vladimir Vladimirovich Putin", "PUTIN, Vladimir") > 0.8);
    assert!(compare_names("Barack Obama", "Michelle Obama") < 0.8);
}

#[test]
fn list_versions_validate_and_diff() {
    let bytes = data("sdn_advanced_mini_2025-11-19.xml");
    let old = parse_ofac_advanced(&bytes, SourceList::OfacSdn).unwrap();
    let mut new = old.clone();
    let removed = new.entities.remove(0).source_id;
    new.entities[0].names[0].full_name.push_str(" JR");
    let changed = new.entities[0].source_id.clone();
    new.entities.push(SanctionsEntity::new(SourceList::OfacSdn, "999999", EntityKind::Person, "New Person"));
    let diff = diff_lists(&old.entities, &new.entities);
    assert_eq!(
        (diff.added, diff.removed, diff.changed),
        (vec!["999999".to_owned()], vec![removed], vec![changed])
    );

    let previous = ListVersion::of(&old, &[&bytes]);
    assert_eq!(previous.entity_count, 12);
    assert_eq!(previous.sha256.len(), 64);
    let mut shrunk = old.clone();
    shrunk.entities.truncate(3);
    let policy = ImportPolicy::default();
    assert!(matches!(
        validate_import(&ListVersion::of(&shrunk, &[b"x"]), Some(&previous), &policy),
        Err(Error::ImportRefused { .. })
    ));
    assert!(validate_import(&ListVersion::of(&new, &[b"y"]), Some(&previous), &policy).is_ok());
}
