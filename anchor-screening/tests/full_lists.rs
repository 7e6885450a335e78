//! Parsers against the full official files in `../shared/data/sanctions`: ignored by a plain
//! `cargo test`, run with `--include-ignored` (as `.ci/run` does; skipped loudly when the folder
//! is absent).
#![allow(clippy::unwrap_used, reason = "in tests a panic is the failure report")]

use std::time::Instant;

use anchor_screening::{load_list, EntityKind, ListFormat, NameKind, SourceList};

#[test]
#[ignore = "reads the full official lists in ../shared/data/sanctions; run with --include-ignored"]
fn full_ofac_sdn_advanced_xml() {
    let Some(dir) = anchor_screening::testing::sanctions_data_dir() else { return };
    let start = Instant::now();
    let loaded = load_list(
        ListFormat::OfacAdvancedXml,
        SourceList::OfacSdn,
        &dir.join("ofac/sdn_advanced/sdn_advanced_2025-11-19.xml.bz2"),
    )
    .unwrap();
    eprintln!("full SDN advanced XML (bz2) loaded in {:?}", start.elapsed());
    let list = &loaded.list;
    let expected_hash =
        std::fs::read_to_string(dir.join("ofac/sdn_advanced/sdn_advanced_2025-11-19.xml.sha256")).unwrap();
    assert_eq!(expected_hash.split_whitespace().next(), Some(loaded.version.sha256.as_str()));
    assert_eq!(list.entities.len(), 18_367);
    let count = |k| list.entities.iter().filter(|e| e.kind == k).count();
    assert_eq!(count(EntityKind::Person), 7_303);
    assert_eq!(count(EntityKind::Organization), 9_359);
    assert_eq!(count(EntityKind::Vessel), 1_370);
    assert_eq!(count(EntityKind::Aircraft), 335);
    let mut crypto: Vec<_> = list
        .entities
        .iter()
        .flat_map(|e| e.crypto_addresses.iter().map(|c| (c.currency.clone(), c.address.clone())))
        .collect();
    crypto.sort();
    crypto.dedup();
    assert_eq!(crypto.len(), 758);
    let currencies: std::collections::BTreeSet<_> = crypto.iter().map(|c| c.0.as_str()).collect();
    assert_eq!(currencies.len(), 19);
    let names: usize = list.entities.iter().map(|e| e.names.len()).sum();
    eprintln!("names {names}, published {:?}", list.published);
    assert!(list.entities.iter().all(|e| e.names[0].kind == NameKind::Primary));
    assert_eq!(list.published.map(|d| d.to_string()).as_deref(), Some("2025-11-19"));
}

#[test]
#[ignore = "reads the full official lists in ../shared/data/sanctions; run with --include-ignored"]
fn full_un_uk_and_ofac_csv_sets() {
    let Some(dir) = anchor_screening::testing::sanctions_data_dir() else { return };
    let un = load_list(
        ListFormat::UnXml,
        SourceList::UnSecurityCouncil,
        &dir.join("un/un_consolidated_2026-02-27.xml"),
    )
    .unwrap();
    assert_eq!(un.list.entities.iter().filter(|e| e.kind == EntityKind::Person).count(), 730);
    assert_eq!(un.list.entities.iter().filter(|e| e.kind == EntityKind::Organization).count(), 273);
    let uk = load_list(
        ListFormat::UkCsv,
        SourceList::UkSanctionsList,
        &dir.join("uk/fcdo_uk_sanctions_list_summary_2025-08-11.csv"),
    )
    .unwrap();
    // Two of the 5,302 rows (BEL0174, RUS1467) have a blank name in the published sheet.
    assert_eq!(uk.list.entities.len(), 5_300);
    assert_eq!(uk.list.skipped_records, 2);
    let sdn =
        load_list(ListFormat::OfacLegacyCsv, SourceList::OfacSdn, &dir.join("ofac/legacy_csv_2021-07-07"))
            .unwrap();
    eprintln!("sdn csv: {} entities, {} skipped", sdn.list.entities.len(), sdn.list.skipped_records);
    assert_eq!(sdn.list.entities.len(), 8_976);
    assert_eq!(sdn.list.skipped_records, 0);
    let cons = load_list(
        ListFormat::OfacLegacyCsv,
        SourceList::OfacConsolidated,
        &dir.join("ofac/non_sdn_consolidated_2025-12-19"),
    )
    .unwrap();
    assert_eq!(cons.list.entities.len(), 442);
    eprintln!(
        "un {} names, uk {} names, sdn csv {} names, cons {} names",
        un.version.name_count, uk.version.name_count, sdn.version.name_count, cons.version.name_count
    );
}
