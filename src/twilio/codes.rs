//! What the codes in a call summary mean: Q.850 causes (`properties.q850_cause`), SIP final
//! responses (`properties.last_sip_response_num`) and Voice Insights tags, with short labels for
//! the table; and the Voice SDK error codes of live SDK events (`sdk_edge.error.code`)
//! (assets/twilio/codes.md).

/// The short meaning of an ITU-T Q.850 cause value, for the causes most seen on the PSTN.
pub fn q850_meaning(cause: i64) -> Option<&'static str> {
    Some(match cause {
        1 => "Unallocated number",
        2 => "No route to transit network",
        3 => "No route to destination",
        6 => "Channel unacceptable",
        16 => "Normal call clearing",
        17 => "User busy",
        18 => "No user responding",
        19 => "No answer (user alerted)",
        20 => "Subscriber absent",
        21 => "Call rejected",
        22 => "Number changed",
        27 => "Destination out of order",
        28 => "Invalid number format",
        29 => "Facility rejected",
        31 => "Normal, unspecified",
        34 => "No circuit/channel available",
        38 => "Network out of order",
        41 => "Temporary failure",
        42 => "Switching equipment congestion",
        44 => "Requested channel not available",
        47 => "Resource unavailable",
        50 => "Facility not subscribed",
        57 => "Bearer capability not authorized",
        58 => "Bearer capability not available",
        65 => "Bearer capability not implemented",
        69 => "Facility not implemented",
        79 => "Service not implemented",
        88 => "Incompatible destination",
        102 => "Recovery on timer expiry",
        111 => "Protocol error",
        127 => "Interworking, unspecified",
        _ => return None,
    })
}

/// The RFC 3261 reason phrase of a SIP response code, for the common ones.
pub fn sip_phrase(code: i64) -> Option<&'static str> {
    Some(match code {
        180 => "Ringing",
        183 => "Session Progress",
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        410 => "Gone",
        413 => "Request Entity Too Large",
        414 => "Request-URI Too Long",
        415 => "Unsupported Media Type",
        420 => "Bad Extension",
        480 => "Temporarily Unavailable",
        481 => "Call/Transaction Does Not Exist",
        482 => "Loop Detected",
        483 => "Too Many Hops",
        484 => "Address Incomplete",
        485 => "Ambiguous",
        486 => "Busy Here",
        487 => "Request Terminated",
        488 => "Not Acceptable Here",
        491 => "Request Pending",
        500 => "Server Internal Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Server Time-out",
        505 => "Version Not Supported",
        513 => "Message Too Large",
        580 => "Precondition Failure",
        600 => "Busy Everywhere",
        603 => "Decline",
        604 => "Does Not Exist Anywhere",
        606 => "Not Acceptable",
        _ => return None,
    })
}

/// The plain meaning of a Voice Insights call tag; unknown tags give `None` (show them as they
/// come).
pub fn tag_meaning(tag: &str) -> Option<&'static str> {
    Some(match tag {
        "silence" => "one side sent no audio for a long stretch (one-way audio suspected)",
        "high_jitter" => "audio packets arrived unevenly; choppy audio likely",
        "high_packet_loss" => "packets lost (SDK edge: over 5%); gaps in audio likely",
        "high_pdd" => "long post-dial delay before ringing",
        "high_latency" => {
            "round trip too long (SDK edge: RTT over 400 ms); people talk over each other"
        }
        "low_mos" => "estimated audio quality below 3.5 of 5",
        "ice_failure" => "the SDK could not establish a media path",
        _ => return None,
    })
}

/// The short meaning of a Voice SDK error code (`sdk_edge.error.code` of an SDK event), for the
/// codes Twilio documents and calls commonly raise.
pub fn sdk_error_meaning(code: i64) -> Option<&'static str> {
    Some(match code {
        31000 => "General Voice SDK error",
        31003 => "Connection timeout",
        31005 => "Connection error",
        31008 => "Call cancelled",
        31009 => "Transport error",
        31204 => "Invalid JWT token",
        31205 => "JWT token expired",
        31208 => "User denied access to microphone",
        31401 => "Microphone permission denied",
        31402 => "Microphone acquisition failed",
        31480 => "Temporarily unavailable",
        31486 => "Busy here",
        31600 => "Busy everywhere",
        31603 => "Decline",
        53405 => "Media connection failed",
        _ => return None,
    })
}

/// An SDK error for display: the code with the SDK's own message when it gave one, else with
/// the code's meaning (`"31005 Connection error"`); without a code, the message alone. The
/// message came from the network: sanitise the result before it reaches a terminal.
pub fn sdk_error_label(code: Option<i64>, message: &str) -> String {
    let message = message.trim();
    match code {
        Some(code) if !message.is_empty() => format!("{code} {message}"),
        Some(code) => label(code, sdk_error_meaning(code)),
        None if message.is_empty() => "error (no code)".to_owned(),
        None => message.to_owned(),
    }
}

/// Joins a code and its meaning: `0` (unknown) gives `""`, a code without a meaning gives just
/// the number.
fn label(code: i64, meaning: Option<&str>) -> String {
    match (code, meaning) {
        (0, _) => String::new(),
        (_, Some(m)) => format!("{code} {m}"),
        (_, None) => code.to_string(),
    }
}

/// A Q.850 cause for display: `"16 Normal call clearing"`, `""` for 0, the bare number if unknown.
pub fn q850_label(cause: i64) -> String {
    label(cause, q850_meaning(cause))
}

/// A SIP response for display: `"486 Busy Here"`, `""` for 0, the bare number if unknown.
pub fn sip_label(code: i64) -> String {
    label(code, sip_phrase(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q850_covers_every_cause_in_codes_md() {
        let causes = [
            1, 2, 3, 6, 16, 17, 18, 19, 20, 21, 22, 27, 28, 29, 31, 34, 38, 41, 42, 44, 47, 50, 57,
            58, 65, 69, 79, 88, 102, 111, 127,
        ];
        for cause in causes {
            assert!(q850_meaning(cause).is_some(), "cause {cause}");
        }
        assert_eq!(q850_meaning(17), Some("User busy"));
        assert_eq!(q850_meaning(0), None);
        assert_eq!(q850_meaning(99), None);
        assert_eq!(q850_meaning(-16), None);
    }

    #[test]
    fn sip_covers_codes_md_and_common_finals() {
        let codes = [
            180, 183, 200, 400, 401, 402, 403, 404, 405, 406, 407, 408, 410, 413, 414, 415, 420,
            480, 481, 482, 483, 484, 485, 486, 487, 488, 491, 500, 501, 502, 503, 504, 505, 513,
            580, 600, 603, 604, 606,
        ];
        for code in codes {
            assert!(sip_phrase(code).is_some(), "code {code}");
        }
        assert_eq!(sip_phrase(487), Some("Request Terminated"));
        assert_eq!(sip_phrase(504), Some("Server Time-out"));
        assert_eq!(sip_phrase(0), None);
        assert_eq!(sip_phrase(499), None);
    }

    #[test]
    fn tags() {
        for tag in [
            "silence",
            "high_jitter",
            "high_packet_loss",
            "high_pdd",
            "high_latency",
            "low_mos",
            "ice_failure",
        ] {
            assert!(tag_meaning(tag).is_some(), "tag {tag}");
        }
        assert_eq!(
            tag_meaning("low_mos"),
            Some("estimated audio quality below 3.5 of 5")
        );
        assert_eq!(tag_meaning("tags"), None);
        assert_eq!(tag_meaning(""), None);
        assert_eq!(tag_meaning("High_Jitter"), None);
    }

    #[test]
    fn sdk_errors_cover_codes_md() {
        let codes = [
            31000, 31003, 31005, 31008, 31009, 31204, 31205, 31208, 31401, 31402, 31480, 31486,
            31600, 31603, 53405,
        ];
        for code in codes {
            assert!(sdk_error_meaning(code).is_some(), "code {code}");
        }
        let md = include_str!("../../assets/twilio/codes.md");
        for code in codes {
            assert!(md.contains(&format!("| {code} |")), "codes.md lists {code}");
        }
        assert_eq!(sdk_error_meaning(31005), Some("Connection error"));
        assert_eq!(sdk_error_meaning(31999), None);
        assert_eq!(sdk_error_label(Some(31005), ""), "31005 Connection error");
        assert_eq!(
            sdk_error_label(Some(31005), " Gateway HANGUP "),
            "31005 Gateway HANGUP",
            "the event's own message first"
        );
        assert_eq!(sdk_error_label(Some(31999), ""), "31999");
        assert_eq!(sdk_error_label(None, "boom"), "boom");
        assert_eq!(sdk_error_label(None, ""), "error (no code)");
    }

    #[test]
    fn labels() {
        assert_eq!(q850_label(16), "16 Normal call clearing");
        assert_eq!(q850_label(0), "");
        assert_eq!(q850_label(99), "99");
        assert_eq!(q850_label(-1), "-1");
        assert_eq!(sip_label(486), "486 Busy Here");
        assert_eq!(sip_label(200), "200 OK");
        assert_eq!(sip_label(0), "");
        assert_eq!(sip_label(499), "499");
    }
}
