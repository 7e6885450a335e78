//! `Sensitive<T>`: `Debug` and `Display` print `[redacted]`, never the value.

use super::Sensitive;

#[test]
fn debug_and_display_never_show_the_value() {
    let secret = Sensitive::new("SBSECRETSEED".to_string());
    assert_eq!(format!("{secret:?}"), "[redacted]");
    assert_eq!(format!("{secret}"), "[redacted]");
    assert_eq!(format!("{:?}", Some(secret.clone())), "Some([redacted])");
    assert_eq!(secret.expose(), "SBSECRETSEED");
}
