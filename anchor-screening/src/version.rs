//! List versions: content hash, counts, import validation and the diff between two versions.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::model::{PartialDate, SanctionsEntity, SanctionsList, SourceList};

/// Version of the parsers' output; bump when a parser change alters the entities it produces.
pub const PARSER_VERSION: &str = "anchor-aml-parsers/1";

/// What identifies one imported version of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListVersion {
    /// The list.
    pub list: SourceList,
    /// Publication date stated inside the file, when the format has one.
    pub published: Option<PartialDate>,
    /// SHA-256 of the decompressed file content (of each file in order for a CSV set), hex.
    pub sha256: String,
    /// Number of entities.
    pub entity_count: usize,
    /// Number of names (primary names and aliases).
    pub name_count: usize,
    /// Number of digital-currency addresses.
    pub crypto_address_count: usize,
    /// Records the parser skipped.
    pub skipped_records: usize,
    /// [`PARSER_VERSION`] at import time.
    pub parser_version: &'static str,
}

impl ListVersion {
    /// Describe a parsed list; `raw` are the decompressed input files in a fixed order.
    pub fn of(list: &SanctionsList, raw: &[&[u8]]) -> Self {
        Self {
            list: list.list.clone(),
            published: list.published,
            sha256: content_hash(raw),
            entity_count: list.entities.len(),
            name_count: list.entities.iter().map(|e| e.names.len()).sum(),
            crypto_address_count: list.entities.iter().map(|e| e.crypto_addresses.len()).sum(),
            skipped_records: list.skipped_records,
            parser_version: PARSER_VERSION,
        }
    }
}

/// SHA-256 of the content, hex: of the bytes themselves for one file (so it equals
/// `sha256sum` of the decompressed file), and over length-prefixed parts for a set of files.
pub fn content_hash(parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    if let [single] = parts {
        hasher.update(single);
    } else {
        for part in parts {
            hasher.update((part.len() as u64).to_be_bytes());
            hasher.update(part);
        }
    }
    hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Limits a new list version must respect to replace the previous one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ImportPolicy {
    /// Refuse a version with fewer entities than this (default 1: refuse an empty list).
    pub min_entities: usize,
    /// Refuse a version whose entity count drops below this fraction of the previous one
    /// (default 0.8: lists shrink by delistings, never by a fifth at once).
    pub min_ratio_to_previous: f64,
    /// Refuse a version where more than this fraction of records was skipped (default 0.01).
    pub max_skipped_ratio: f64,
}

impl Default for ImportPolicy {
    fn default() -> Self {
        Self { min_entities: 1, min_ratio_to_previous: 0.8, max_skipped_ratio: 0.01 }
    }
}

/// Check a new version before it replaces `previous`. On error the caller keeps the previous
/// version. A version identical to the previous one (same hash) is accepted; the caller may skip it.
pub fn validate_import(
    new: &ListVersion,
    previous: Option<&ListVersion>,
    policy: &ImportPolicy,
) -> Result<()> {
    let refuse = |reason: String| Err(Error::ImportRefused { list: new.list.clone(), reason });
    if new.entity_count < policy.min_entities {
        return refuse(format!("{} entities, at least {} required", new.entity_count, policy.min_entities));
    }
    let total = new.entity_count + new.skipped_records;
    if total > 0 && new.skipped_records as f64 / total as f64 > policy.max_skipped_ratio {
        return refuse(format!("{} of {total} records could not be read", new.skipped_records));
    }
    if let Some(previous) = previous {
        if previous.list != new.list {
            return refuse(format!("previous version is of list {}", previous.list));
        }
        let floor = previous.entity_count as f64 * policy.min_ratio_to_previous;
        if (new.entity_count as f64) < floor {
            return refuse(format!(
                "{} entities against {} in the previous version (below {:.0}%)",
                new.entity_count,
                previous.entity_count,
                policy.min_ratio_to_previous * 100.0
            ));
        }
        if let (Some(new_date), Some(old_date)) = (new.published, previous.published) {
            if new_date < old_date {
                return refuse(format!("published {new_date}, older than the current version ({old_date})"));
            }
        }
    }
    Ok(())
}

/// What changed between two versions of a list, by source id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListDiff {
    /// Source ids present only in the new version.
    pub added: Vec<String>,
    /// Source ids present only in the old version (delisted).
    pub removed: Vec<String>,
    /// Source ids present in both whose content differs.
    pub changed: Vec<String>,
}

impl ListDiff {
    /// True when nothing changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

/// Compare two versions' entities by `(list, source_id)`; results are sorted.
pub fn diff_lists(old: &[SanctionsEntity], new: &[SanctionsEntity]) -> ListDiff {
    let old_by_id: HashMap<(&SourceList, &str), &SanctionsEntity> =
        old.iter().map(|e| ((&e.list, e.source_id.as_str()), e)).collect();
    let new_by_id: HashMap<(&SourceList, &str), &SanctionsEntity> =
        new.iter().map(|e| ((&e.list, e.source_id.as_str()), e)).collect();
    let mut diff = ListDiff::default();
    for (key, entity) in &new_by_id {
        match old_by_id.get(key) {
            None => diff.added.push(key.1.to_owned()),
            Some(previous) if previous != entity => diff.changed.push(key.1.to_owned()),
            Some(_) => {}
        }
    }
    diff.removed = old_by_id.keys().filter(|k| !new_by_id.contains_key(*k)).map(|k| k.1.to_owned()).collect();
    diff.added.sort();
    diff.removed.sort();
    diff.changed.sort();
    diff
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::EntityKind;

    fn entity(id: &str, name: &str) -> SanctionsEntity {
        SanctionsEntity::new(SourceList::OfacSdn, id, EntityKind::Person, name)
    }

    fn version(count: usize) -> ListVersion {
        ListVersion {
            list: SourceList::OfacSdn,
            published: None,
            sha256: String::new(),
            entity_count: count,
            name_count: count,
            crypto_address_count: 0,
            skipped_records: 0,
            parser_version: PARSER_VERSION,
        }
    }

    #[test]
    fn diff_finds_added_removed_changed() {
        let old = [entity("1", "A"), entity("2", "B"), entity("3", "C")];
        let new = [entity("1", "A"), entity("2", "B2"), entity("4", "D")];
        let d = diff_lists(&old, &new);
        assert_eq!(d.added, ["4"]);
        assert_eq!(d.removed, ["3"]);
        assert_eq!(d.changed, ["2"]);
        assert!(diff_lists(&old, &old).is_empty());
    }

    #[test]
    fn import_refuses_empty_and_much_smaller_lists() {
        let policy = ImportPolicy::default();
        assert!(validate_import(&version(0), None, &policy).is_err());
        assert!(validate_import(&version(700), Some(&version(1000)), &policy).is_err());
        assert!(validate_import(&version(950), Some(&version(1000)), &policy).is_ok());
    }

    #[test]
    fn hash_depends_on_file_boundaries() {
        assert_ne!(content_hash(&[b"ab", b"c"]), content_hash(&[b"a", b"bc"]));
        assert_eq!(content_hash(&[b""]).len(), 64);
    }
}
