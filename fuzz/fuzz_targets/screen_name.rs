//! The name normaliser and the screening engine: an index is built once from the OFAC advanced
//! test excerpt (12 parties, Latin, Chinese and Korean names) and a few hand-picked entries, then
//! every input is screened as a person's and an organisation's name and compared with a listed
//! name. Run with a per-input time limit (`-timeout=`): every name must screen promptly.
#![no_main]

use std::sync::OnceLock;

use anchor_screening::{
    compare_names, EntityKind, SanctionsEntity, ScreeningConfig, ScreeningIndex, ScreeningSubject, SourceList,
};
use libfuzzer_sys::fuzz_target;

fn index() -> &'static ScreeningIndex {
    static INDEX: OnceLock<ScreeningIndex> = OnceLock::new();
    INDEX.get_or_init(|| {
        let excerpt = include_bytes!("../../anchor-screening/tests/data/sdn_advanced_mini_2025-11-19.xml");
        let mut entities = anchor_screening::parse_ofac_advanced(excerpt, SourceList::OfacSdn)
            .map(|list| list.entities)
            .unwrap_or_default();
        let custom = SourceList::Custom("fuzz".into());
        for (id, kind, name) in [
            ("c1", EntityKind::Person, "Nicolas MADURO MOROS"),
            ("c2", EntityKind::Person, "Абу Бакр аль-Багдади"),
            ("c3", EntityKind::Organization, "Acme Trading Company Limited"),
            ("c4", EntityKind::Person, "Kim Jong Un"),
            ("c5", EntityKind::Person, "Ali Hassan Mohammed Al-Rashidi bin Abdullah"),
            ("c6", EntityKind::Vessel, "OCEAN STAR"),
        ] {
            entities.push(SanctionsEntity::new(custom.clone(), id, kind, name));
        }
        ScreeningIndex::build(entities)
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(name) = std::str::from_utf8(data) else { return };
    let config = ScreeningConfig::default();
    let index = index();
    let _ = index.screen(&ScreeningSubject::person(name), &config);
    let _ = index.screen(&ScreeningSubject::organization(name), &config);
    let _ = index.screen_address(name);
    let _ = compare_names(name, "Nicolas MADURO MOROS");
});
