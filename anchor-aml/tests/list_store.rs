//! List versions in the real database (every backend): import, refusal, diff, reload, and the
//! default sanctions integration built from them.

#![allow(clippy::unwrap_used, reason = "in tests a panic is the failure report")]

use anchor_aml::{load_source, parse_source, Error, ImportOutcome, ListScreening, ListStore};
use anchor_core::integrations::sanctions::{ScreeningOutcome, ScreeningSubject};
use anchor_core::testing::test_databases;
use anchor_core::{IntegrationError, SanctionsIntegration};
use anchor_screening::{Error as ScreeningError, ImportPolicy, ScreeningConfig};

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn import(store: &ListStore, path: &std::path::Path, now: i64) -> anchor_aml::Result<ImportOutcome> {
    let source = parse_source("custom:blocklist").unwrap();
    let loaded = load_source(&source, path)?;
    store.import(&loaded, &ImportPolicy::default(), now)
}

const V1: &str = "id,name,kind,address\n\
                  a,Ivan Petrovich Sidorov,person,\n\
                  b,Black Sea Shipping Ltd,organization,\n\
                  c,,,GBYJZW5XFAI6XV73H5SAIUYK6XZI4CGGVBUBO3ANA2SV7KKDAXTV6AEB\n\
                  d,Maria Gonzalez Ruiz,person,\n\
                  e,Northern Star Trading,organization,\n";

const V2: &str = "id,name,kind,address\n\
                  a,Ivan Petrovich Sidorov,person,\n\
                  b,Black Sea Shipping Limited,organization,\n\
                  c,,,GBYJZW5XFAI6XV73H5SAIUYK6XZI4CGGVBUBO3ANA2SV7KKDAXTV6AEB\n\
                  d,Maria Gonzalez Ruiz,person,\n\
                  f,Golden Crescent Holdings,organization,\n";

#[test]
fn imports_are_versioned_diffed_and_deduplicated_on_every_backend() {
    for test_db in test_databases() {
        let store = ListStore::new(test_db.database());
        let dir = tempfile::tempdir().unwrap();

        let first = import(&store, &write(&dir, "v1.csv", V1), 100).unwrap();
        let ImportOutcome::Imported { version, diff } = first else {
            panic!("{}: not imported", test_db.name)
        };
        assert_eq!(version.entity_count, 5, "{}", test_db.name);
        assert_eq!(diff.added.len(), 5);

        let again = import(&store, &write(&dir, "v1-again.csv", V1), 200).unwrap();
        assert!(
            matches!(again, ImportOutcome::Unchanged { .. }),
            "{}: identical file re-imported",
            test_db.name
        );

        let second = import(&store, &write(&dir, "v2.csv", V2), 300).unwrap();
        let ImportOutcome::Imported { version, diff } = second else {
            panic!("{}: v2 not imported", test_db.name)
        };
        assert_eq!(diff.added, vec!["f".to_string()], "{}", test_db.name);
        assert_eq!(diff.removed, vec!["e".to_string()]);
        assert_eq!(diff.changed, vec!["b".to_string()]);
        assert_eq!((version.added, version.removed, version.changed), (1, 1, 1));

        let active = store.active_versions().unwrap();
        assert_eq!(active.len(), 1, "{}: one active version per list", test_db.name);
        assert_eq!(active[0].imported_at, 300);
        assert_eq!(store.history().unwrap().len(), 2);
        let names: Vec<String> =
            store.active_entities().unwrap().iter().map(|entity| entity.primary_name().to_string()).collect();
        assert!(names.contains(&"Golden Crescent Holdings".to_string()), "{names:?}");
        assert!(!names.contains(&"Northern Star Trading".to_string()));
    }
}

#[test]
fn a_much_smaller_or_empty_list_is_refused_and_the_previous_version_kept() {
    for test_db in test_databases() {
        let store = ListStore::new(test_db.database());
        let dir = tempfile::tempdir().unwrap();
        import(&store, &write(&dir, "v1.csv", V1), 100).unwrap();

        let shrunk = "id,name\na,Ivan Petrovich Sidorov\n";
        let err = import(&store, &write(&dir, "shrunk.csv", shrunk), 200).unwrap_err();
        assert!(
            matches!(err, Error::Screening(ScreeningError::ImportRefused { .. })),
            "{}: {err}",
            test_db.name
        );
        assert!(err.to_string().contains("1 entities against 5"), "{err}");

        let empty = import(&store, &write(&dir, "empty.csv", ""), 300).unwrap_err();
        assert!(matches!(empty, Error::Screening(ScreeningError::Empty { .. })), "{}: {empty}", test_db.name);

        let active = store.active_versions().unwrap();
        assert_eq!(active.len(), 1);
        assert_eq!(active[0].entity_count, 5, "{}: the previous version must stay active", test_db.name);
        let refused: Vec<_> =
            store.history().unwrap().into_iter().filter(|v| v.status == "refused").collect();
        assert_eq!(refused.len(), 1, "{}: the refusal is recorded", test_db.name);
        assert!(refused[0].refusal_reason.as_deref().unwrap_or_default().contains("below 80%"));
    }
}

#[actix_web::test]
async fn the_default_sanctions_integration_denies_matches_and_clears_others() {
    let test_db = anchor_core::testing::sqlite_database();
    let store = ListStore::new(test_db.database());

    let empty = ListScreening::load(&store, ScreeningConfig::default()).unwrap();
    let err = empty.screen(&ScreeningSubject::named("Anyone")).await.unwrap_err();
    assert!(matches!(err, IntegrationError::Unavailable(_)), "an empty index must not pass anyone: {err:?}");

    let dir = tempfile::tempdir().unwrap();
    import(&store, &write(&dir, "v1.csv", V1), 100).unwrap();
    let screening = ListScreening::load(&store, ScreeningConfig::default()).unwrap();

    let listed = screening.screen(&ScreeningSubject::named("Ivan Petrovich Sidorov")).await.unwrap();
    assert!(
        matches!(listed, ScreeningOutcome::Denied { ref reason } if reason.contains("custom:blocklist entry a")),
        "{listed:?}"
    );

    let clean = screening.screen(&ScreeningSubject::named("Jane Q. Public")).await.unwrap();
    assert_eq!(clean, ScreeningOutcome::Clear);

    let mut by_account = ScreeningSubject::default();
    by_account.stellar_accounts.push("GBYJZW5XFAI6XV73H5SAIUYK6XZI4CGGVBUBO3ANA2SV7KKDAXTV6AEB".into());
    assert!(matches!(screening.screen(&by_account).await.unwrap(), ScreeningOutcome::Denied { .. }));

    // A list update is picked up by reload.
    import(&store, &write(&dir, "v2.csv", V2), 200).unwrap();
    screening.reload(&store).unwrap();
    let added = screening.screen(&ScreeningSubject::named("Golden Crescent Holdings")).await.unwrap();
    assert!(matches!(added, ScreeningOutcome::Denied { .. }), "{added:?}");
}

/// The full OFAC SDN list (18,367 entities) through the store and back into the index, from
/// `../shared/data/sanctions`.
#[actix_web::test]
#[ignore = "reads the full OFAC SDN list in ../shared/data/sanctions; run with --include-ignored"]
async fn the_full_sdn_list_round_trips_through_the_store() {
    let Some(dir) = anchor_screening::testing::sanctions_data_dir() else { return };
    let path = dir.join("ofac/sdn_advanced/sdn_advanced_2025-11-19.xml.bz2");
    let test_db = anchor_core::testing::sqlite_database();
    let store = ListStore::new(test_db.database());
    let loaded = load_source(&parse_source("ofac-sdn").unwrap(), &path).unwrap();
    let parsed = loaded.list.entities.len();
    assert!(parsed > 18_000, "{parsed}");
    let ImportOutcome::Imported { version, .. } = store.import(&loaded, &ImportPolicy::default(), 1).unwrap()
    else {
        panic!("not imported");
    };
    assert_eq!(version.published_on.as_deref(), Some("2025-11-19"));
    assert_eq!(store.active_entities().unwrap(), loaded.list.entities, "entities changed in storage");

    let screening = ListScreening::load(&store, ScreeningConfig::default()).unwrap();
    let outcome = screening.screen(&ScreeningSubject::named("Nicolas MADURO MOROS")).await.unwrap();
    assert!(matches!(outcome, ScreeningOutcome::Denied { .. }), "{outcome:?}");
}
