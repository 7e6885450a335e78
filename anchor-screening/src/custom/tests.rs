//! The anchor's own CSV lists: names and addresses are read with their defaults, and bad rows are
//! named by their line.

#![allow(clippy::unwrap_used, reason = "in tests a panic is the failure report")]
use super::*;

#[test]
fn names_and_addresses_are_read_with_defaults() {
    let csv = "id,name,kind,address,currency\n\
               b1,Ivan Blocked,,GBYJZW5XFAI6XV73H5SAIUYK6XZI4CGGVBUBO3ANA2SV7KKDAXTV6AEB,\n\
               b2,Shell Co Ltd,organization,,\n\
               ,,,0xdeadbeef,ETH\n";
    let list = parse_custom_csv(csv.as_bytes(), "blocklist").unwrap();
    assert_eq!(list.list, SourceList::Custom("blocklist".into()));
    assert_eq!(list.entities.len(), 3);
    assert_eq!(list.entities[0].crypto_addresses[0].currency, "XLM");
    assert_eq!(list.entities[1].kind, EntityKind::Organization);
    assert_eq!(list.entities[2].source_id, "row-4");
    assert_eq!(list.entities[2].crypto_addresses[0].currency, "ETH");
}

#[test]
fn bad_rows_are_named_by_line() {
    let err = parse_custom_csv(b"name,kind\nA,dragon\n", "x").unwrap_err().to_string();
    assert!(err.contains("line 2: unknown kind `dragon`"), "{err}");
    let err = parse_custom_csv(b"name,address\n,0xabc\n", "x").unwrap_err().to_string();
    assert!(err.contains("`currency` is required"), "{err}");
    let err = parse_custom_csv(b"id,program\n1,X\n", "x").unwrap_err().to_string();
    assert!(err.contains("needs a `name` or an `address` column"), "{err}");
    assert!(matches!(parse_custom_csv(b"  \n", "x"), Err(Error::Empty { .. })));
}
