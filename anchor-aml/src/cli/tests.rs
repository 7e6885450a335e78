#![allow(clippy::unwrap_used, clippy::expect_used)]

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
