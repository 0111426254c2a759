//! The columns the calls table can show, by the names `--columns`, the config key `columns`
//! and the TUI's column picker share, with their titles. Below the command line, the config
//! and the TUI, which all read them; how wide each is drawn is [`crate::tui::columns`]'.

/// One column of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    /// When the call started (summary `start_time`, else its first event), local time.
    Started,
    /// When the last event for the call arrived, local time.
    Updated,
    /// Call SID, shortened.
    Sid,
    /// Call direction.
    Direction,
    /// Caller → callee.
    FromTo,
    /// carrier / sip / client ...
    CallType,
    /// completed / busy / ...
    State,
    /// Live quality: MOS when known, else jitter and loss.
    Quality,
    /// partial / predicted / complete.
    Processing,
    /// Seconds.
    Duration,
    /// Post-dial delay.
    Pdd,
    /// The caller's carrier.
    FromCarrier,
    /// The callee's carrier.
    ToCarrier,
    /// Who hung up.
    Hangup,
    /// Q.850 cause with its meaning.
    Q850,
    /// Last SIP response with its phrase.
    Sip,
    /// Voice Insights tags.
    Tags,
}

/// Every column, in the default display order.
pub const ALL: [Column; 17] = [
    Column::Started,
    Column::Updated,
    Column::Sid,
    Column::Direction,
    Column::FromTo,
    Column::CallType,
    Column::State,
    Column::Quality,
    Column::Processing,
    Column::Duration,
    Column::Pdd,
    Column::FromCarrier,
    Column::ToCarrier,
    Column::Hangup,
    Column::Q850,
    Column::Sip,
    Column::Tags,
];

impl Column {
    /// Its name in `--columns`, the config file and the picker.
    pub fn name(self) -> &'static str {
        match self {
            Self::Started => "started",
            Self::Updated => "updated",
            Self::Sid => "sid",
            Self::Direction => "direction",
            Self::FromTo => "from-to",
            Self::CallType => "type",
            Self::State => "state",
            Self::Quality => "quality",
            Self::Processing => "summary",
            Self::Duration => "duration",
            Self::Pdd => "pdd",
            Self::FromCarrier => "from-carrier",
            Self::ToCarrier => "to-carrier",
            Self::Hangup => "hangup",
            Self::Q850 => "q850",
            Self::Sip => "sip",
            Self::Tags => "tags",
        }
    }

    /// Its title in the table.
    pub fn title(self) -> &'static str {
        match self {
            Self::Started => "STARTED",
            Self::Updated => "UPDATED",
            Self::Sid => "CALL SID",
            Self::Direction => "DIR",
            Self::FromTo => "FROM → TO",
            Self::CallType => "TYPE",
            Self::State => "STATE",
            Self::Quality => "QUALITY",
            Self::Processing => "SUMMARY",
            Self::Duration => "DUR",
            Self::Pdd => "PDD",
            Self::FromCarrier => "FROM CARRIER",
            Self::ToCarrier => "TO CARRIER",
            Self::Hangup => "HANGUP",
            Self::Q850 => "Q.850",
            Self::Sip => "SIP",
            Self::Tags => "TAGS",
        }
    }
}

/// The columns shown when none were chosen: every one but UPDATED, in [`ALL`] order.
pub fn default_columns() -> Vec<Column> {
    ALL.into_iter().filter(|&c| c != Column::Updated).collect()
}

/// A list of column names that is not one: which name is unknown, and the names there are.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ColumnsError {
    /// A name that is no column.
    #[error("unknown column `{0}`; columns: {names}", names = column_names())]
    Unknown(String),
    /// A column named twice.
    #[error("column `{0}` is named twice")]
    Repeated(String),
    /// Nothing named.
    #[error("no column named; columns: {names}", names = column_names())]
    Empty,
}

/// Every column name, comma-separated, for messages and help.
pub fn column_names() -> String {
    ALL.iter().map(|c| c.name()).collect::<Vec<_>>().join(", ")
}

/// Reads a comma-separated list of column names (`started,state,sid`), in display order.
/// Spaces around names are ignored, case too.
pub fn parse_columns(text: &str) -> Result<Vec<Column>, ColumnsError> {
    let mut out = Vec::new();
    for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let lower = name.to_ascii_lowercase();
        let Some(&column) = ALL.iter().find(|c| c.name() == lower) else {
            return Err(ColumnsError::Unknown(
                crate::text::terminal_safe(name).into(),
            ));
        };
        if out.contains(&column) {
            return Err(ColumnsError::Repeated(column.name().to_owned()));
        }
        out.push(column);
    }
    if out.is_empty() {
        return Err(ColumnsError::Empty);
    }
    Ok(out)
}

/// The names of `columns`, as [`parse_columns`] reads them.
pub fn columns_text(columns: &[Column]) -> String {
    columns
        .iter()
        .map(|c| c.name())
        .collect::<Vec<_>>()
        .join(",")
}
