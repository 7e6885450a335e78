//! Lower-case hexadecimal: the one encoding the framework writes for hashes, signatures, tokens
//! and random ids, and the strict reader for it.

const DIGITS: &[u8; 16] = b"0123456789abcdef";

/// `bytes` as lower-case hex, two digits per byte.
pub fn encode(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push(char::from(DIGITS[usize::from(byte >> 4)]));
        text.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    text
}

/// The bytes of `text`: an even number of hex digits (either case) and nothing else, so no sign,
/// space or prefix; `None` otherwise.
pub fn decode(text: &str) -> Option<Vec<u8>> {
    let digits = text.as_bytes();
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    digits.chunks_exact(2).map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?)).collect()
}

/// The bytes of `text` into exactly `N` bytes (`2 × N` hex digits); `None` otherwise.
pub fn decode_array<const N: usize>(text: &str) -> Option<[u8; N]> {
    decode(text)?.try_into().ok()
}

fn digit(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_is_lower_case_with_two_digits_per_byte() {
        assert_eq!(encode(&[0x00, 0x0f, 0xa0, 0xff]), "000fa0ff");
        assert_eq!(encode(&[]), "");
    }

    #[test]
    fn decode_reads_what_encode_writes_and_either_case() {
        let bytes: Vec<u8> = (0..=255).collect();
        assert_eq!(decode(&encode(&bytes)), Some(bytes.clone()));
        assert_eq!(decode(&encode(&bytes).to_uppercase()), Some(bytes));
        assert_eq!(decode(""), Some(Vec::new()));
    }

    #[test]
    fn decode_refuses_odd_lengths_signs_spaces_and_non_digits() {
        for text in ["a", "abc", "+f", "-1", " f", "0x", "gg", "é1", "0\u{0}"] {
            assert_eq!(decode(text), None, "{text:?}");
        }
    }

    #[test]
    fn decode_array_needs_exactly_the_length() {
        assert_eq!(decode_array::<2>("0aff"), Some([0x0a, 0xff]));
        assert_eq!(decode_array::<2>("0a"), None);
        assert_eq!(decode_array::<2>("0aff00"), None);
    }
}
