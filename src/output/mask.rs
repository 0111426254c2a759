//! Masking for demos and screenshots (`--mask`, key `m`): phone numbers keep their country and
//! area prefix and last two digits (`+1415•••••12`); IP addresses keep their first half
//! (`203.0.•••.•••`). Identifiers that are neither (client names, SIDs) are left alone.

/// The masking dot.
const DOT: char = '•';

/// Masks every phone number and IP address in `text` (a single value such as a caller, or a
/// SIP URI like `sip:+14155550123@203.0.113.9`).
pub fn mask(text: &str) -> String {
    if text.is_empty() {
        return String::new();
    }
    // Work token by token so `sip:+1415...@1.2.3.4;transport=tls` keeps its punctuation.
    let mut out = String::with_capacity(text.len());
    let mut token = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '+' || c == '.' || c == ':' && looks_ipv6(&token) {
            token.push(c);
        } else {
            out.push_str(&mask_token(&token));
            token.clear();
            out.push(c);
        }
    }
    out.push_str(&mask_token(&token));
    out
}

fn looks_ipv6(token: &str) -> bool {
    !token.is_empty() && token.chars().all(|c| c.is_ascii_hexdigit() || c == ':')
}

fn mask_token(token: &str) -> String {
    if is_phone(token) {
        mask_phone(token)
    } else if is_ipv4(token) {
        let parts: Vec<&str> = token.split('.').collect();
        format!("{}.{}.{DOT}{DOT}{DOT}.{DOT}{DOT}{DOT}", parts[0], parts[1])
    } else if token.contains(':') && token.parse::<std::net::Ipv6Addr>().is_ok() {
        let keep: Vec<&str> = token.split(':').take(2).collect();
        format!("{}:{DOT}{DOT}{DOT}", keep.join(":"))
    } else {
        token.to_owned()
    }
}

/// A phone number: `+` and 7–15 digits, or 10–15 bare digits.
fn is_phone(token: &str) -> bool {
    let digits = token.strip_prefix('+').unwrap_or(token);
    let n = digits.len();
    digits.chars().all(|c| c.is_ascii_digit())
        && if token.starts_with('+') {
            (7..=15).contains(&n)
        } else {
            (10..=15).contains(&n)
        }
}

fn is_ipv4(token: &str) -> bool {
    token.parse::<std::net::Ipv4Addr>().is_ok()
}

/// `+14155550112` → `+1415•••••12`.
fn mask_phone(token: &str) -> String {
    let (plus, digits) = match token.strip_prefix('+') {
        Some(d) => ("+", d),
        None => ("", token),
    };
    let keep_front = 4.min(digits.len());
    let keep_back = 2.min(digits.len() - keep_front);
    let hidden = digits.len() - keep_front - keep_back;
    format!(
        "{plus}{}{}{}",
        &digits[..keep_front],
        DOT.to_string().repeat(hidden),
        &digits[digits.len() - keep_back..]
    )
}

/// `mask(text)` when `on`, else `text` unchanged.
pub fn maybe(text: &str, on: bool) -> std::borrow::Cow<'_, str> {
    if on {
        std::borrow::Cow::Owned(mask(text))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_phones_and_addresses_only() {
        let cases = [
            ("+14155550112", "+1415•••••12"),
            ("+442071234567", "+4420••••••67"),
            ("client:support-desk", "client:support-desk"),
            (
                "sip:+14155550112@203.0.113.9",
                "sip:+1415•••••12@203.0.•••.•••",
            ),
            ("whatsapp:+34611245386", "whatsapp:+3461•••••86"),
            ("10.1.2.3", "10.1.•••.•••"),
            ("2001:db8::1", "2001:db8:•••"),
            (
                "CA0123456789abcdef0123456789abcdef",
                "CA0123456789abcdef0123456789abcdef",
            ),
            ("", ""),
            ("1001", "1001"),
        ];
        for (input, want) in cases {
            assert_eq!(mask(input), want, "{input}");
        }
    }
}
