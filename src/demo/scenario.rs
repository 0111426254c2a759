//! How a simulated call ends ([`Scenario`]), by the names `callwatch send --scenario` and
//! the demo accept.

use std::fmt;
use std::str::FromStr;

/// How a simulated call ends. Each maps to a final `call_state` and to the causes codes.md's
/// "consistent outcomes" table gives for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scenario {
    /// Answered and hung up normally: `completed`, Q.850 16, SIP 200.
    Completed,
    /// The callee was busy: `busy`, Q.850 17, SIP 486 or 600.
    Busy,
    /// Rang out: `noanswer`, Q.850 19 or 18, SIP 480 or 408.
    NoAnswer,
    /// Never connected: `fail` with a bad-number or network cause (rarely `undialed`).
    Failed,
    /// The caller hung up while it rang: `canceled`, Q.850 16 or 31, SIP 487.
    Canceled,
}

impl Scenario {
    /// Every scenario, in a stable order.
    pub const ALL: [Scenario; 5] = [
        Self::Completed,
        Self::Busy,
        Self::NoAnswer,
        Self::Failed,
        Self::Canceled,
    ];

    /// The name used on the command line: `completed`, `busy`, `noanswer`, `failed`, `canceled`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Completed => "completed",
            Self::Busy => "busy",
            Self::NoAnswer => "noanswer",
            Self::Failed => "failed",
            Self::Canceled => "canceled",
        }
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A scenario name that is not one of [`Scenario::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scenario {0:?}: expected completed, busy, noanswer, failed or canceled")]
pub struct UnknownScenario(pub String);

impl FromStr for Scenario {
    type Err = UnknownScenario;

    /// Accepts the [`Scenario::as_str`] names, case-insensitively, plus the spellings people
    /// type (`no-answer`, `no_answer`, `fail`, `cancelled`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "completed" | "complete" => Ok(Self::Completed),
            "busy" => Ok(Self::Busy),
            "noanswer" | "no-answer" | "no_answer" => Ok(Self::NoAnswer),
            "failed" | "fail" => Ok(Self::Failed),
            "canceled" | "cancelled" => Ok(Self::Canceled),
            _ => Err(UnknownScenario(s.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenario_names_round_trip() {
        for s in Scenario::ALL {
            assert_eq!(s.as_str().parse::<Scenario>(), Ok(s));
            assert_eq!(s.to_string(), s.as_str());
        }
        assert_eq!("No-Answer".parse::<Scenario>(), Ok(Scenario::NoAnswer));
        assert!("exploded".parse::<Scenario>().is_err());
    }
}
