//! `constant_time_eq`, used wherever a secret is compared (admin key, CSRF tokens, signatures):
//! equal only for the same bytes of the same length.

use super::constant_time_eq;

#[test]
fn constant_time_eq_compares_exactly() {
    assert!(constant_time_eq(b"secret", b"secret"));
    assert!(!constant_time_eq(b"secret", b"secreT"));
    assert!(!constant_time_eq(b"secret", b"secret-longer"));
    assert!(!constant_time_eq(b"", b"x"));
}
