//! The calls table's columns: which there are, their titles, widths and priorities, which fit
//! a width, which one is under a mouse position, and how each sortable column orders its rows.
//! The app (mouse clicks, sorting) and the drawing of the table both read it, so it sits below
//! both.

use crate::calls::store::CallRecord;

/// One column of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// Time of the last update.
    Time,
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

/// Columns in display order, with title, width and priority (1 = kept longest).
pub const COLUMNS: &[(Column, &str, u16, u8)] = &[
    (Column::Time, "TIME", 8, 3),
    (Column::Sid, "CALL SID", 11, 2),
    (Column::Direction, "DIR", 8, 13),
    (Column::FromTo, "FROM → TO", 23, 5),
    (Column::CallType, "TYPE", 8, 12),
    (Column::State, "STATE", 9, 1),
    (Column::Quality, "QUALITY", 9, 4),
    (Column::Processing, "SUMMARY", 9, 6),
    (Column::Duration, "DUR", 5, 10),
    (Column::Pdd, "PDD", 7, 15),
    (Column::FromCarrier, "FROM CARRIER", 12, 7),
    (Column::ToCarrier, "TO CARRIER", 12, 11),
    (Column::Hangup, "HANGUP", 6, 8),
    (Column::Q850, "Q.850", 20, 6),
    (Column::Sip, "SIP", 14, 9),
    (Column::Tags, "TAGS", 12, 14),
];

/// The columns that fit `width`, in display order, each with its width.
pub fn visible_columns(width: u16) -> Vec<(Column, &'static str, u16)> {
    fit_columns(COLUMNS, width)
}

/// Picks, by priority (1 = kept longest), the columns that fit `width` with one space between
/// them, and returns them in display order.
pub fn fit_columns<T: Copy + PartialEq>(
    columns: &[(T, &'static str, u16, u8)],
    width: u16,
) -> Vec<(T, &'static str, u16)> {
    let mut by_priority: Vec<_> = columns.iter().collect();
    by_priority.sort_by_key(|c| c.3);
    let mut used: u16 = 0;
    let mut keep = Vec::new();
    for &(col, _, w, _) in by_priority {
        let needed = w + u16::from(!keep.is_empty());
        if used + needed <= width {
            used += needed;
            keep.push(col);
        }
    }
    columns
        .iter()
        .filter(|c| keep.contains(&c.0))
        .map(|&(col, title, w, _)| (col, title, w))
        .collect()
}

/// The column under horizontal position `x` of a table `width` wide.
pub fn column_at(width: u16, x: u16) -> Option<Column> {
    let mut left = 0;
    for (col, _, w) in visible_columns(width) {
        if x >= left && x < left + w + 1 {
            return Some(col);
        }
        left += w + 1;
    }
    None
}

/// The column the calls table is sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortColumn {
    /// Time of the last update (the default, newest first).
    Updated,
    /// Call state.
    State,
    /// Duration.
    Duration,
    /// The caller's carrier.
    FromCarrier,
    /// Q.850 cause.
    Q850,
    /// Last SIP response.
    Sip,
    /// Post-dial delay.
    Pdd,
    /// Call SID.
    Sid,
    /// Live quality, worst highest ([`crate::calls::quality::badness`]).
    Quality,
}

impl SortColumn {
    /// The order `s` cycles through.
    pub const CYCLE: [SortColumn; 9] = [
        Self::Updated,
        Self::State,
        Self::Duration,
        Self::Quality,
        Self::FromCarrier,
        Self::Q850,
        Self::Sip,
        Self::Pdd,
        Self::Sid,
    ];

    /// The name shown in the header.
    pub fn label(self) -> &'static str {
        match self {
            Self::Updated => "time",
            Self::State => "state",
            Self::Duration => "duration",
            Self::FromCarrier => "from carrier",
            Self::Q850 => "Q.850",
            Self::Sip => "SIP",
            Self::Pdd => "PDD",
            Self::Sid => "call SID",
            Self::Quality => "quality",
        }
    }

    /// What a row sorts by in this column, as a number that orders like the value (for text,
    /// its first sixteen bytes), with the text itself for ties past those. Read once per row,
    /// so that sorting 100,000 rows compares keys lying side by side instead of following two
    /// record pointers per comparison.
    pub(crate) fn key(self, record: &CallRecord) -> (u128, &str) {
        fn number(n: Option<i64>) -> (u128, &'static str) {
            // None first, then i64::MIN.. in order.
            let rank = n.map_or(0, |n| (i128::from(n) - i128::from(i64::MIN) + 1) as u128);
            (rank, "")
        }
        fn text(t: &str) -> (u128, &str) {
            // Zero-padded big-endian prefix: orders like the text's first sixteen bytes.
            let mut prefix = [0u8; 16];
            let n = t.len().min(16);
            prefix[..n].copy_from_slice(&t.as_bytes()[..n]);
            (u128::from_be_bytes(prefix), t)
        }
        let s = &record.summary;
        match self {
            Self::Updated => number(i64::try_from(record.update_seq).ok()),
            Self::State => text(s.call_state.as_str()),
            Self::Duration => number(s.duration),
            Self::FromCarrier => text(&s.from.carrier),
            Self::Q850 => number(Some(s.properties.q850_cause)),
            Self::Sip => number(Some(s.properties.last_sip_response_num)),
            Self::Pdd => number(s.properties.pdd_ms),
            Self::Sid => text(&s.call_sid),
            Self::Quality => number(
                crate::calls::quality::of_record(record).and_then(crate::calls::quality::badness),
            ),
        }
    }
}

/// The column a sort applies to, to mark its title with ↑ or ↓.
pub fn sorted_column(sort: SortColumn) -> Column {
    match sort {
        SortColumn::Updated => Column::Time,
        SortColumn::State => Column::State,
        SortColumn::Duration => Column::Duration,
        SortColumn::FromCarrier => Column::FromCarrier,
        SortColumn::Q850 => Column::Q850,
        SortColumn::Sip => Column::Sip,
        SortColumn::Pdd => Column::Pdd,
        SortColumn::Sid => Column::Sid,
        SortColumn::Quality => Column::Quality,
    }
}

/// The sort a click on a column title asks for (None: not sortable).
pub fn sort_for_column(col: Column) -> Option<SortColumn> {
    SortColumn::CYCLE
        .into_iter()
        .find(|s| sorted_column(*s) == col)
}
