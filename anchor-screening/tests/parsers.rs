//! Parsers on small golden excerpts in `tests/data` (always run).
#![allow(clippy::unwrap_used, reason = "in tests a panic is the failure report")]

use std::io::Write;
use std::path::PathBuf;

use anchor_screening::Error;
use anchor_screening::{
    decompress, decompress_limited, parse_eu_xml, parse_ofac_advanced, parse_ofac_csv, parse_uk_csv,
    parse_un_xml, read_input, AliasStrength, EntityKind, Gender, NameKind, OfacCsvFiles, PartialDate,
    SourceList,
};

fn data(name: &str) -> Vec<u8> {
    std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)).unwrap()
}

#[test]
fn ofac_advanced_excerpt() {
    let list = parse_ofac_advanced(&data("sdn_advanced_mini_2025-11-19.xml"), SourceList::OfacSdn).unwrap();
    assert_eq!(list.published, Some(PartialDate::ymd(2025, 11, 19)));
    assert_eq!(list.entities.len(), 12);
    let maduro = list.entities.iter().find(|e| e.source_id == "22790").unwrap();
    assert_eq!(maduro.kind, EntityKind::Person);
    assert_eq!(maduro.list, SourceList::OfacSdn);
    assert_eq!(maduro.names[0].kind, NameKind::Primary);
    assert!(maduro.primary_name().contains("MADURO MOROS"), "{}", maduro.primary_name());
    assert!(!maduro.birth_dates.is_empty());
    assert_eq!(maduro.gender, Some(Gender::Male));
    assert!(maduro.countries.iter().any(|c| c.country.iso2.as_deref() == Some("VE")));
    assert!(!maduro.programs.is_empty());
    assert!(!maduro.documents.is_empty());
    // Original-script names are kept, tagged with their script.
    assert!(list.entities.iter().flat_map(|e| &e.names).any(|n| n.script.as_deref() == Some("Korean")));
    assert!(list.entities.iter().flat_map(|e| &e.names).any(|n| n.strength == AliasStrength::Weak));
    let kinds: Vec<EntityKind> = list.entities.iter().map(|e| e.kind).collect();
    assert!(kinds.contains(&EntityKind::Vessel) && kinds.contains(&EntityKind::Aircraft));
    let crypto: usize = list.entities.iter().map(|e| e.crypto_addresses.len()).sum();
    assert_eq!(crypto, 11);
}

#[test]
fn ofac_advanced_picks_up_a_new_currency_without_code_changes() {
    // Add an (invented) XLM feature type and one XLM address to the real excerpt.
    let xml = String::from_utf8(data("sdn_advanced_mini_2025-11-19.xml")).unwrap();
    let xml = xml.replacen(
        "<FeatureTypeValues>",
        "<FeatureTypeValues>\n      <FeatureType ID=\"99001\" FeatureTypeGroupID=\"1\">Digital Currency Address - XLM</FeatureType>",
        1,
    );
    let party = xml.find("<DistinctParty FixedRef=\"22790\">").unwrap();
    let at = party + xml[party..].find("</Profile>").unwrap();
    let feature = "<Feature ID=\"990001\" FeatureTypeID=\"99001\"><FeatureVersion ID=\"990001\" ReliabilityID=\"1\"><Comment /><VersionDetail DetailTypeID=\"1432\">GA7QYNF7SOWQ3GLR2BGMZEHXAVIRZA4KVWLTJJFC7MGXUA74P7UJVSGZ</VersionDetail></FeatureVersion></Feature>";
    let xml = format!("{}{}{}", &xml[..at], feature, &xml[at..]);
    let list = parse_ofac_advanced(xml.as_bytes(), SourceList::OfacSdn).unwrap();
    let maduro = list.entities.iter().find(|e| e.source_id == "22790").unwrap();
    assert!(maduro.crypto_addresses.iter().any(|c| c.currency == "XLM" && c.address.starts_with("GA7Q")));
}

#[test]
fn truncated_empty_and_malformed_inputs_are_errors_not_panics() {
    let xml = data("sdn_advanced_mini_2025-11-19.xml");
    for cut in [10, 1_000, xml.len() / 2, xml.len() - 20] {
        let err = parse_ofac_advanced(&xml[..cut], SourceList::OfacSdn).unwrap_err();
        assert!(matches!(err, Error::Truncated { .. } | Error::Malformed { .. }), "cut at {cut}: {err}");
    }
    assert!(matches!(parse_ofac_advanced(b"", SourceList::OfacSdn), Err(Error::Empty { .. })));
    assert!(matches!(parse_ofac_advanced(b"  \n", SourceList::OfacSdn), Err(Error::Empty { .. })));
    assert!(parse_ofac_advanced(b"<a><b></a>", SourceList::OfacSdn).is_err());
    assert!(parse_ofac_advanced(b"<Sanctions></Sanctions>", SourceList::OfacSdn).is_err());
    let un = data("un_consolidated_mini_2026-02-27.xml");
    assert!(matches!(
        parse_un_xml(&un[..un.len() - 40]),
        Err(Error::Truncated { .. } | Error::Malformed { .. })
    ));
    assert!(parse_un_xml(b"<other/>").is_err());
    assert!(matches!(parse_uk_csv(b""), Err(Error::Empty { .. })));
    assert!(parse_uk_csv(b"a,b\n1,2\n").is_err());
    let eu = data("eu_fsf_hand_written_1_1.xml");
    assert!(parse_eu_xml(&eu[..eu.len() / 2]).is_err());
    let sdn = data("legacy_tiny_sdn.csv");
    let cut = &sdn[..sdn.len() / 2];
    assert!(parse_ofac_csv(OfacCsvFiles { primary: cut, ..Default::default() }, SourceList::OfacSdn).is_err());
    assert!(matches!(
        parse_ofac_csv(OfacCsvFiles { primary: b"\x1a", ..Default::default() }, SourceList::OfacSdn),
        Err(Error::Empty { .. })
    ));
}

#[test]
fn every_cut_of_every_fixture_is_an_error_or_a_list_never_a_panic() {
    let xml = data("sdn_advanced_mini_2025-11-19.xml");
    for cut in (0..xml.len()).step_by(613) {
        assert!(parse_ofac_advanced(&xml[..cut], SourceList::OfacSdn).is_err(), "cut at {cut}");
    }
    let un = data("un_consolidated_mini_2026-02-27.xml");
    for cut in (0..un.len()).step_by(97) {
        assert!(parse_un_xml(&un[..cut]).is_err(), "cut at {cut}");
    }
    let eu = data("eu_fsf_hand_written_1_1.xml");
    for cut in (0..eu.len()).step_by(37) {
        assert!(parse_eu_xml(&eu[..cut]).is_err(), "cut at {cut}");
    }
    let uk = data("uk_sanctions_list_full_hand_written.csv");
    for cut in (0..uk.len()).step_by(13) {
        let _ = parse_uk_csv(&uk[..cut]);
    }
    let sdn = data("legacy_tiny_sdn.csv");
    for cut in (0..sdn.len()).step_by(29) {
        let _ =
            parse_ofac_csv(OfacCsvFiles { primary: &sdn[..cut], ..Default::default() }, SourceList::OfacSdn);
    }
}

#[test]
fn ofac_legacy_csv_set() {
    let (sdn, alt, add, comments) = (
        data("legacy_tiny_sdn.csv"),
        data("legacy_tiny_alt.csv"),
        data("legacy_tiny_add.csv"),
        data("legacy_tiny_sdn_comments.csv"),
    );
    let files =
        OfacCsvFiles { primary: &sdn, aliases: Some(&alt), addresses: Some(&add), comments: Some(&comments) };
    let list = parse_ofac_csv(files, SourceList::OfacSdn).unwrap();
    assert_eq!(list.entities.len(), 17);
    assert_eq!(list.skipped_records, 0);
    let logan = list.entities.iter().find(|e| e.source_id == "10278").unwrap();
    assert_eq!(logan.primary_name(), "Elvis Angus LOGAN MOREY");
    assert_eq!(logan.birth_dates[0].from, PartialDate::ymd(1963, 7, 28));
    assert!(logan.names.iter().any(|n| n.full_name == "BURTON BURGESS" && n.strength == AliasStrength::Weak));
    let iami = list.entities.iter().find(|e| e.source_id == "11195").unwrap();
    assert!(iami.names.iter().any(|n| n.full_name == "HESA TRADE CENTER" && n.kind == NameKind::Alias));
    assert!(iami.addresses.iter().any(|a| a.city.as_deref() == Some("Esfahan")));
    let crypto: Vec<_> =
        list.entities.iter().flat_map(|e| &e.crypto_addresses).map(|c| c.currency.as_str()).collect();
    for currency in ["XBT", "ETH", "LTC", "DASH"] {
        assert!(crypto.contains(&currency), "{currency} missing from {crypto:?}");
    }
    // Remarks continued in sdn_comments.csv are joined before parsing.
    assert!(list.entities.iter().any(|e| e.crypto_addresses.iter().any(|c| c.currency == "USDT")));
}

#[test]
fn un_excerpt() {
    let list = parse_un_xml(&data("un_consolidated_mini_2026-02-27.xml")).unwrap();
    assert_eq!(list.published, Some(PartialDate::ymd(2026, 2, 27)));
    assert_eq!(list.entities.len(), 4);
    let frank = list.entities.iter().find(|e| e.source_id == "CDi.002").unwrap();
    assert_eq!(frank.primary_name(), "FRANK KAKOLELE BWAMBALE");
    assert!(frank.names.iter().any(|n| n.full_name == "AIGLE BLANC"));
    assert_eq!(frank.un_reference.as_deref(), Some("CDi.002"));
    assert!(frank.countries.iter().any(|c| c.country.iso2.as_deref() == Some("CD")));
    let adf = list.entities.iter().find(|e| e.source_id == "CDe.001").unwrap();
    assert_eq!(adf.kind, EntityKind::Organization);
    assert!(list.entities.iter().any(|e| e.birth_dates.iter().any(|d| d.from != d.to)), "a BETWEEN range");
}

#[test]
fn uk_summary_and_full_layouts() {
    let list = parse_uk_csv(&data("uk_summary_mini_2025-08-11.csv")).unwrap();
    assert_eq!(list.entities.len(), 4);
    assert_eq!(list.skipped_records, 1, "BEL0174 has a blank name in the published sheet");
    let kiselyov = list.entities.iter().find(|e| e.source_id == "RUS0001").unwrap();
    assert_eq!(kiselyov.kind, EntityKind::Person);
    assert_eq!(kiselyov.listed_on, Some(PartialDate::ymd(2020, 12, 31)));

    let full = parse_uk_csv(&data("uk_sanctions_list_full_hand_written.csv")).unwrap();
    assert_eq!(full.published, Some(PartialDate::ymd(2025, 8, 11)));
    assert_eq!(full.entities.len(), 2);
    let ivan = &full.entities[0];
    assert_eq!(ivan.primary_name(), "Ivan Petrovich EXAMPLEV");
    assert!(ivan
        .names
        .iter()
        .any(|n| n.full_name == "Иван Петрович Примеров" && n.script.as_deref() == Some("Cyrillic")));
    assert!(ivan.names.iter().any(|n| n.full_name == "Ivan EXAMPLEV" && n.strength == AliasStrength::Weak));
    assert_eq!(ivan.birth_dates[0].from, PartialDate { year: 1970, month: Some(5), day: None });
    assert_eq!(ivan.gender, Some(Gender::Male));
    assert_eq!(ivan.documents[0].number, "7512345678");
    assert_eq!(full.entities[1].kind, EntityKind::Organization);
}

#[test]
fn eu_hand_written_fixture() {
    let list = parse_eu_xml(&data("eu_fsf_hand_written_1_1.xml")).unwrap();
    assert_eq!(list.published, Some(PartialDate::ymd(2025, 10, 1)));
    assert_eq!(list.entities.len(), 2);
    let person = &list.entities[0];
    assert_eq!((person.source_id.as_str(), person.kind), ("13", EntityKind::Person));
    assert_eq!(person.un_reference.as_deref(), Some("QDi.999"));
    assert_eq!(person.primary_name(), "Ahmad Example Testname");
    assert_eq!(person.names[1].strength, AliasStrength::Weak);
    assert_eq!(person.names.len(), 3);
    assert_eq!(person.birth_dates.len(), 2);
    assert!(person.birth_dates[1].approximate);
    assert_eq!(person.documents[0].number, "A1234567");
    assert_eq!(person.programs, ["EU.AQD"]);
    assert_eq!(list.entities[1].kind, EntityKind::Organization);
}

#[test]
fn compressed_inputs_are_read() {
    let xml = data("un_consolidated_mini_2026-02-27.xml");
    let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
    bz.write_all(&xml).unwrap();
    let bz = bz.finish().unwrap();
    assert_eq!(decompress(bz.clone(), "test").unwrap(), xml);
    assert!(decompress(bz[..bz.len() / 2].to_vec(), "test").is_err());

    let mut zipped = Vec::new();
    {
        let mut writer = zip::ZipWriter::new(std::io::Cursor::new(&mut zipped));
        writer.start_file("consolidated.xml", zip::write::SimpleFileOptions::default()).unwrap();
        writer.write_all(&xml).unwrap();
        writer.finish().unwrap();
    }
    let dir = std::env::temp_dir().join(format!("anchor-aml-zip-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("un.zip");
    std::fs::write(&path, &zipped).unwrap();
    assert_eq!(read_input(&path).unwrap(), xml);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// 16 MiB of zeros, which every format compresses to a few KiB.
fn bomb_payload() -> Vec<u8> {
    vec![0u8; 16 * 1024 * 1024]
}

const BOMB_LIMIT: u64 = 1024 * 1024;

#[test]
fn a_bz2_bomb_is_refused_at_the_decompression_cap() {
    let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::best());
    bz.write_all(&bomb_payload()).unwrap();
    let bz = bz.finish().unwrap();
    assert!(bz.len() < 64 * 1024);
    let err = decompress_limited(bz.clone(), "bomb.xml.bz2", BOMB_LIMIT).unwrap_err().to_string();
    assert!(err.contains("decompresses to more than 1048576 bytes"), "{err}");
    assert_eq!(decompress_limited(bz, "bomb.xml.bz2", 16 * 1024 * 1024).unwrap().len(), 16 * 1024 * 1024);
}

#[test]
fn a_gzip_bomb_is_refused_at_the_decompression_cap() {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&bomb_payload()).unwrap();
    let gz = gz.finish().unwrap();
    assert!(gz.len() < 64 * 1024);
    let err = decompress_limited(gz.clone(), "bomb.xml.gz", BOMB_LIMIT).unwrap_err().to_string();
    assert!(err.contains("decompresses to more than 1048576 bytes"), "{err}");
    // A gzip list within the cap is read.
    let mut small = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    small.write_all(b"<xml/>").unwrap();
    assert_eq!(decompress(small.finish().unwrap(), "small.xml.gz").unwrap(), b"<xml/>");
}

#[test]
fn a_zip_bomb_is_refused_at_the_decompression_cap() {
    let mut zipped = Vec::new();
    {
        let mut writer = zip::ZipWriter::new(std::io::Cursor::new(&mut zipped));
        let options =
            zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        // Two members, each under the cap, together over it.
        for name in ["a.xml", "b.txt"] {
            writer.start_file(name, options).unwrap();
            writer.write_all(&vec![0u8; 768 * 1024]).unwrap();
        }
        writer.finish().unwrap();
    }
    let err = decompress_limited(zipped.clone(), "bomb.zip", BOMB_LIMIT).unwrap_err().to_string();
    assert!(err.contains("decompresses to more than 1048576 bytes"), "{err}");
    assert!(decompress_limited(zipped, "bomb.zip", 2 * BOMB_LIMIT).is_ok());
}
