//! Digital-currency address normalisation for exact lookup.

/// The lookup key of an address: surrounding space removed; a Stellar muxed account (`M…`)
/// replaced by its underlying `G…` account; hex (`0x…`) addresses lower-cased because their
/// mixed case is only a checksum. Everything else is compared exactly (base58 and bech32
/// addresses are case-sensitive or canonical already).
pub fn address_key(address: &str) -> String {
    let address = address.trim();
    if address.starts_with('M') && address.len() == 69 {
        if let Ok(stellar_strkey::Strkey::MuxedAccountEd25519(muxed)) =
            stellar_strkey::Strkey::from_string(address)
        {
            return stellar_strkey::ed25519::PublicKey(muxed.ed25519).to_string().as_str().to_owned();
        }
    }
    if let Some(hex) = address.strip_prefix("0x").or_else(|| address.strip_prefix("0X")) {
        if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return format!("0x{}", hex.to_ascii_lowercase());
        }
    }
    address.to_owned()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "in tests a panic is the failure report")]
    use super::address_key;

    #[test]
    fn muxed_account_maps_to_its_g_account() {
        let g = "GA7QYNF7SOWQ3GLR2BGMZEHXAVIRZA4KVWLTJJFC7MGXUA74P7UJVSGZ";
        let pk = stellar_strkey::ed25519::PublicKey::from_string(g).unwrap();
        let m = stellar_strkey::ed25519::MuxedAccount { ed25519: pk.0, id: 123_456 }.to_string();
        assert!(m.as_str().starts_with('M'));
        assert_eq!(address_key(m.as_str()), g);
        assert_eq!(address_key(g), g);
        assert_eq!(address_key(" 0xAbC1 "), "0xabc1");
        assert_eq!(address_key("1BoatSLRHtKNngkdXEeobR76b53LETtpyT"), "1BoatSLRHtKNngkdXEeobR76b53LETtpyT");
    }
}
