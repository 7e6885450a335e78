//! For tests of this crate and the crates above it (feature `testing`): where the real lists are.

/// The real sanctions lists and evaluation sets, `../shared/data/sanctions` beside the
/// repository, when present. The tests that read them are `#[ignore]`d by default; asked for
/// with `--include-ignored` on a clone without the folder they say `SKIPPED` loudly and pass,
/// because the repository's tests must pass without `../shared` (its small excerpts are
/// committed under each crate's `tests/data/`).
pub fn sanctions_data_dir() -> Option<std::path::PathBuf> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/sanctions");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "\n!!!!!!!!\nSKIPPED: the sanctions data folder {} is not there\n!!!!!!!!\n",
            dir.display()
        );
        None
    }
}
