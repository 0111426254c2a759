//! Twilio ids held by the hundred thousand: event ids (`EZ…`) in each call's history and in
//! the duplicate window, call SIDs (`CA…`) in the store's index. Almost all are two capital
//! letters and 32 lowercase hex digits, which [`CompactSid`] packs into 18 bytes in place,
//! instead of a 34-byte heap block each.

use std::fmt;

/// A Twilio SID (two capital letters + 32 lowercase hex digits) in 18 bytes, or any other id as text. Equal
/// ids are equal values whatever their shape, because one text has one representation.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct CompactSid(Repr);

#[derive(Clone, PartialEq, Eq, Hash)]
enum Repr {
    /// The two letters, then the 32 digits two to a byte.
    Packed([u8; 18]),
    /// Anything else, as it came.
    Text(Box<str>),
}

impl CompactSid {
    /// The id `text`, packed when it has the SID shape.
    pub fn new(text: &str) -> Self {
        Self(pack(text).map_or_else(|| Repr::Text(text.into()), Repr::Packed))
    }

    /// True when it is `text`.
    pub fn is(&self, text: &str) -> bool {
        match &self.0 {
            Repr::Packed(bytes) => pack(text).as_ref() == Some(bytes),
            Repr::Text(own) => &**own == text,
        }
    }
}

/// `XY` + 32 lowercase hex digits → the two letters and 16 bytes; anything else → `None`
/// (uppercase hex too, so that unpacking gives back the very same text).
fn pack(text: &str) -> Option<[u8; 18]> {
    let bytes = text.as_bytes();
    if bytes.len() != 34 || !bytes[..2].iter().all(u8::is_ascii_uppercase) {
        return None;
    }
    let mut out = [0u8; 18];
    out[..2].copy_from_slice(&bytes[..2]);
    for (i, pair) in bytes[2..].chunks_exact(2).enumerate() {
        out[2 + i] = nibble(pair[0])? << 4 | nibble(pair[1])?;
    }
    Some(out)
}

fn nibble(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        _ => None,
    }
}

impl fmt::Display for CompactSid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Packed(bytes) => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                let mut text = [0u8; 34];
                text[..2].copy_from_slice(&bytes[..2]);
                for (i, byte) in bytes[2..].iter().enumerate() {
                    text[2 + 2 * i] = HEX[usize::from(byte >> 4)];
                    text[3 + 2 * i] = HEX[usize::from(byte & 0x0f)];
                }
                // Two ASCII letters and hex digits: always UTF-8.
                f.write_str(std::str::from_utf8(&text).unwrap_or_default())
            }
            Repr::Text(text) => f.write_str(text),
        }
    }
}

impl fmt::Debug for CompactSid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.to_string())
    }
}

impl From<&str> for CompactSid {
    fn from(text: &str) -> Self {
        Self::new(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_read_back_as_they_came_whatever_their_shape() {
        for id in [
            "EZ00000000000000000000000000000000",
            "EZ0123456789abcdef0123456789abcdef",
            "EZ0123456789ABCDEF0123456789ABCDEF",
            "ez0123456789abcdef0123456789abcdef",
            "EZ0123456789abcdef0123456789abcde",
            "EZ3",
            "",
            "AC11111111111111111111111111111111",
            "idée",
        ] {
            let sid = CompactSid::new(id);
            assert_eq!(sid.to_string(), id);
            assert!(sid.is(id), "{id}");
            assert!(!sid.is("EZ1"), "{id}");
        }
        assert!(matches!(
            CompactSid::new("EZ0123456789abcdef0123456789abcdef").0,
            Repr::Packed(_)
        ));
        assert!(matches!(
            CompactSid::new("EZ0123456789ABCDEF0123456789ABCDEF").0,
            Repr::Text(_)
        ));
    }

    #[test]
    fn equal_ids_are_equal_values() {
        let a = CompactSid::new("EZ0123456789abcdef0123456789abcdef");
        assert_eq!(a, CompactSid::new("EZ0123456789abcdef0123456789abcdef"));
        assert_ne!(a, CompactSid::new("EZ0123456789abcdef0123456789abcdee"));
        assert_eq!(size_of::<CompactSid>(), 24);
    }
}
