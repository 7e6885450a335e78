//! Country names → ISO 3166-1 alpha-2 codes.

#[path = "countries_table.rs"]
mod table;

/// Normalise a country name for lookup: ASCII-fold, lower-case, keep letters and digits only.
fn key(text: &str) -> String {
    let folded = any_ascii::any_ascii(text).to_ascii_lowercase().replace('&', "and");
    folded.chars().filter(char::is_ascii_alphanumeric).collect()
}

/// The ISO alpha-2 code for a country name, variant name ("Iran (Islamic Republic of)") or code.
pub(crate) fn iso2(text: &str) -> Option<&'static str> {
    let k = key(text);
    if k.is_empty() {
        return None;
    }
    let lookup = |k: &str| {
        table::COUNTRIES.binary_search_by(|(name, _)| (*name).cmp(k)).ok().map(|i| table::COUNTRIES[i].1)
    };
    lookup(&k).or_else(|| k.strip_prefix("the").and_then(lookup))
}

#[cfg(test)]
mod tests {
    use super::iso2;

    #[test]
    fn resolves_names_variants_and_codes() {
        assert_eq!(iso2("Iran (Islamic Republic of)"), Some("IR"));
        assert_eq!(iso2("Democratic People's Republic of Korea"), Some("KP"));
        assert_eq!(iso2("af"), Some("AF"));
        assert_eq!(iso2("Türkiye"), Some("TR"));
        assert_eq!(iso2("Atlantis"), None);
    }
}
