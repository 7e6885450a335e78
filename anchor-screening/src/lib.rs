//! Sanctions lists and the screening engine: pure library code for Stellar anchors.
//!
//! **What it is for.** Reading the official sanctions lists — OFAC SDN and Consolidated
//! (advanced XML and legacy CSV), the UN Security Council Consolidated List, the UK Sanctions
//! List, the EU Financial Sanctions File and an anchor's own CSV — into one normalised model
//! ([`SanctionsEntity`]); validating, versioning and diffing imports ([`ListVersion`],
//! [`validate_import`], [`diff_lists`]); and screening names and addresses against them with an
//! indexed, explainable matcher ([`ScreeningIndex::screen`], [`ScreeningIndex::screen_address`]).
//!
//! **What it is not for.** Keeping anything: no database, no network, no clock, no threads of its
//! own. Its `Cargo.toml` names no crate of the framework, no database, HTTP or async runtime
//! crate, so the compiler keeps it that way. Storing list versions, screening customers on
//! arrival and on every list change, freezing, cases and the audit trail are `anchor-aml`'s; the
//! officer console is `anchor-console`'s. The only input it reads itself is a list file the
//! caller names ([`load_list`], [`read_input`]). A [`HitDecision::Match`] is no legal
//! determination: it means "freeze, deny and have a person confirm".
//!
//! **Bounds.** Every name is cut to [`MAX_NAME_BYTES`] and [`MAX_TOKENS_PER_NAME`] tokens, a
//! subject to [`MAX_NAMES_PER_SUBJECT`] names and [`MAX_TOKENS_PER_SUBJECT`] tokens, tokens
//! longer than [`MAX_FUZZY_TOKEN_BYTES`] are compared exactly, and one screening looks up at
//! most [`MAX_DELETIONS_PER_SUBJECT`] deletion keys; decompression stops at a caller's limit
//! ([`decompress_limited`]).
//!
//! ```
//! use anchor_screening::{EntityKind, SanctionsEntity, ScreeningConfig, ScreeningIndex, ScreeningSubject, SourceList};
//!
//! let listed = SanctionsEntity::new(SourceList::OfacSdn, "1", EntityKind::Person, "Nicolas MADURO MOROS");
//! let index = ScreeningIndex::build([listed]);
//! let hits = index.screen(&ScreeningSubject::person("Nicolás Maduro Moros"), &ScreeningConfig::default());
//! assert_eq!(hits[0].source_id, "1");
//! ```
mod address;
mod countries;
mod custom;
mod error;
mod index;
mod model;
mod normalize;
mod parse;
mod screen;
mod similarity;
#[cfg(feature = "testing")]
pub mod testing;
mod version;

pub use address::address_key;
pub use custom::parse_custom_csv;
pub use error::{Error, Result};
pub use index::{ScreeningIndex, MAX_DELETIONS_PER_SUBJECT};
pub use model::{
    AliasStrength, BirthDate, Country, CountryLink, CountryRole, CryptoAddress, EntityKind, EntityName,
    Gender, IdentityDocument, NameKind, PartialDate, PostalAddress, SanctionsEntity, SanctionsList,
    SourceList,
};
pub use normalize::{MAX_FUZZY_TOKEN_BYTES, MAX_NAME_BYTES, MAX_TOKENS_PER_NAME, MAX_TOKENS_PER_SUBJECT};
pub use parse::{
    decompress, decompress_limited, load_list, parse_bytes, parse_eu_xml, parse_ofac_advanced,
    parse_ofac_csv, parse_uk_csv, parse_un_xml, read_input, ListFormat, LoadedList, OfacCsvFiles,
    MAX_DECOMPRESSED_BYTES,
};
pub use screen::{
    compare_names, HitDecision, ScoreFactor, ScreeningConfig, ScreeningHit, ScreeningSubject,
    MAX_NAMES_PER_SUBJECT,
};
pub use similarity::TokenMatch;
/// The version of the screening engine, recorded with every screening in the audit trail.
pub const ENGINE_VERSION: &str = concat!("anchor-screening/", env!("CARGO_PKG_VERSION"));

pub use version::{
    content_hash, diff_lists, validate_import, ImportPolicy, ListDiff, ListVersion, PARSER_VERSION,
};
