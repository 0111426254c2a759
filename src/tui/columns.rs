//! The calls table's columns on screen: their width bounds and priorities ([`COLUMNS`]; names
//! and titles are [`crate::calls::columns`]'), how they share a width given the longest value
//! of each in view ([`layout`]), where the table and the line under it go, which column is
//! under a mouse position, and how each sortable column orders its rows. The app (mouse
//! clicks, sorting, the column picker) and the drawing of the table both read it, so it sits
//! below both.

pub use crate::calls::columns::{
    Column, ColumnsError, column_names, columns_text, default_columns, parse_columns,
};
use crate::calls::store::CallRecord;
use ratatui::layout::Rect;

/// What the table knows of one column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnSpec {
    /// Which column.
    pub column: Column,
    /// The narrowest it is drawn (at least its title).
    pub min: u16,
    /// The widest it grows to fit its values, outside wide mode.
    pub max: u16,
    /// Which columns stay when space runs out (1 = kept longest).
    pub priority: u8,
    /// The same in wide mode, where whole values matter more than many columns.
    pub wide_priority: u8,
}

const fn entry(
    column: Column,
    (min, max): (u16, u16),
    priority: u8,
    wide_priority: u8,
) -> ColumnSpec {
    ColumnSpec {
        column,
        min,
        max,
        priority,
        wide_priority,
    }
}

/// Every column, in the default display order.
pub const COLUMNS: &[ColumnSpec] = &[
    entry(Column::Started, (8, 8), 3, 7),
    entry(Column::Updated, (8, 8), 16, 16),
    entry(Column::Sid, (11, 12), 2, 2),
    entry(Column::Direction, (8, 8), 13, 13),
    entry(Column::FromTo, (13, 29), 6, 8),
    entry(Column::CallType, (8, 8), 12, 12),
    entry(Column::State, (9, 12), 1, 1),
    entry(Column::Quality, (7, 12), 7, 9),
    entry(Column::Processing, (9, 9), 8, 10),
    entry(Column::Duration, (5, 6), 10, 11),
    entry(Column::Pdd, (7, 7), 15, 15),
    entry(Column::FromCarrier, (12, 18), 5, 3),
    entry(Column::ToCarrier, (12, 18), 11, 6),
    entry(Column::Hangup, (6, 6), 9, 14),
    entry(Column::Q850, (12, 28), 4, 4),
    entry(Column::Sip, (9, 23), 8, 5),
    entry(Column::Tags, (6, 20), 14, 17),
];

/// The widest a column grows in wide mode: whole values, within reason.
const WIDE_MAX: u16 = 48;

/// What the table knows of `column`.
pub fn spec(column: Column) -> &'static ColumnSpec {
    // Every variant has its entry (`every_column_has_one_spec_and_a_unique_name`).
    COLUMNS
        .iter()
        .find(|s| s.column == column)
        .unwrap_or(&COLUMNS[0])
}

/// The table's part of the calls view and the line under it that shows the selected call's
/// values (zero height on screens too short for both).
pub fn split(area: Rect) -> (Rect, Rect) {
    if area.height < 4 {
        return (area, Rect { height: 0, ..area });
    }
    let table = Rect {
        height: area.height - 1,
        ..area
    };
    let status = Rect {
        y: area.bottom() - 1,
        height: 1,
        ..area
    };
    (table, status)
}

/// How many calls the view at `area` shows (the title row and the status line aside).
pub fn rows_on_screen(area: Rect) -> usize {
    usize::from(split(area).0.height.saturating_sub(1))
}

/// One column placed by [`layout`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placed {
    /// Which column.
    pub column: Column,
    /// Its width in cells (one space separates columns).
    pub width: u16,
}

/// Shares `width` among `chosen` (in display order). `longest(column)` is the widest value of
/// that column in view, in cells; `marked` is the sorted column, whose title carries an arrow.
///
/// Columns are taken by priority while they fit, each as wide as its longest value (within
/// its bounds), or at its minimum when only that fits (its values cut with `…`); the sorted
/// column comes first, a column with no value on screen after all the others. Wide mode takes a column only whole
/// (its bound raised, its own priorities: carriers and causes first), so it drops the less
/// important columns rather than cut values. The space left then widens the columns cut, by
/// priority.
pub fn layout(
    chosen: &[Column],
    width: u16,
    wide: bool,
    marked: Option<Column>,
    longest: impl Fn(Column) -> u16,
) -> Vec<Placed> {
    let title_width = |c: Column| {
        let title = u16::try_from(c.title().chars().count()).unwrap_or(u16::MAX);
        title + u16::from(marked == Some(c))
    };
    // (column, least width, wanted width, priority)
    let mut wanted: Vec<(Column, u16, u16, u16)> = chosen
        .iter()
        .map(|&c| {
            let s = spec(c);
            let least = s.min.max(title_width(c));
            let max = if wide { WIDE_MAX.max(s.max) } else { s.max };
            let value = longest(c);
            let want = value.clamp(least, max.max(least));
            let priority = u16::from(if wide { s.wide_priority } else { s.priority });
            let empty = if value == 0 { 100 } else { 0 };
            // The sorted column goes first: its arrow says what the order is.
            let priority = if marked == Some(c) {
                0
            } else {
                priority + empty
            };
            (c, least, want, priority)
        })
        .collect();
    wanted.sort_by_key(|w| w.3);
    let mut used: u16 = 0;
    // (column, width given, width wanted)
    let mut taken: Vec<(Column, u16, u16)> = Vec::new();
    for &(c, least, want, _) in &wanted {
        let gap = u16::from(!taken.is_empty());
        let room = width.saturating_sub(used).saturating_sub(gap);
        let given = if want <= room {
            want
        } else if !wide && least <= room {
            least
        } else {
            continue;
        };
        used += given + gap;
        taken.push((c, given, want));
    }
    // Widen the cut columns by priority (the order taken) up to their wanted width.
    for t in &mut taken {
        let grow = (t.2 - t.1).min(width.saturating_sub(used));
        t.1 += grow;
        used += grow;
    }
    chosen
        .iter()
        .filter_map(|&c| taken.iter().find(|t| t.0 == c))
        .map(|&(column, width, _)| Placed { column, width })
        .collect()
}

/// Picks, by priority (1 = kept longest), fixed-width columns that fit `width` with one space
/// between them, and returns them in display order (the deliveries table's columns).
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

/// The column under horizontal position `x` of a table laid out as `placed`.
pub fn column_at(placed: &[Placed], x: u16) -> Option<Column> {
    let mut left = 0;
    for p in placed {
        if x >= left && x < left + p.width + 1 {
            return Some(p.column);
        }
        left += p.width + 1;
    }
    None
}

/// The column the calls table is sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortColumn {
    /// When the call started (the default, newest first): a row keeps its place when a later
    /// summary of its call arrives.
    Started,
    /// When the last event for the call arrived.
    Updated,
    /// Call state.
    State,
    /// Duration.
    Duration,
    /// The caller's carrier.
    FromCarrier,
    /// The callee's carrier.
    ToCarrier,
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
    /// Every sort, in the order `s` cycles through those whose column is on screen.
    pub const CYCLE: [SortColumn; 11] = [
        Self::Started,
        Self::Updated,
        Self::State,
        Self::Duration,
        Self::Quality,
        Self::FromCarrier,
        Self::ToCarrier,
        Self::Q850,
        Self::Sip,
        Self::Pdd,
        Self::Sid,
    ];

    /// The name shown in the header.
    pub fn label(self) -> &'static str {
        match self {
            Self::Started => "started",
            Self::Updated => "updated",
            Self::State => "state",
            Self::Duration => "duration",
            Self::FromCarrier => "from carrier",
            Self::ToCarrier => "to carrier",
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
            // The SID breaks ties: unlike the update order, it never changes, so calls
            // started at the same moment keep their places too.
            Self::Started => (number(Some(record.started_ns())).0, &s.call_sid),
            Self::Updated => number(i64::try_from(record.update_seq).ok()),
            Self::State => text(s.call_state.as_str()),
            Self::Duration => number(s.duration),
            Self::FromCarrier => text(&s.from.carrier),
            Self::ToCarrier => text(&s.to.carrier),
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
        SortColumn::Started => Column::Started,
        SortColumn::Updated => Column::Updated,
        SortColumn::State => Column::State,
        SortColumn::Duration => Column::Duration,
        SortColumn::FromCarrier => Column::FromCarrier,
        SortColumn::ToCarrier => Column::ToCarrier,
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

/// The sort after `current` for `s`: the next in [`SortColumn::CYCLE`] whose column is in
/// `on_screen`; `current` when no other is.
pub fn next_sort(current: SortColumn, on_screen: &[Column]) -> SortColumn {
    let cycle = SortColumn::CYCLE;
    let i = cycle.iter().position(|c| *c == current).unwrap_or(0);
    (1..=cycle.len())
        .map(|step| cycle[(i + step) % cycle.len()])
        .find(|s| on_screen.contains(&sorted_column(*s)))
        .unwrap_or(current)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_column_has_one_spec_and_a_unique_name() {
        assert_eq!(COLUMNS.len(), crate::calls::columns::ALL.len());
        for (i, s) in COLUMNS.iter().enumerate() {
            assert_eq!(spec(s.column), s);
            assert_eq!(crate::calls::columns::ALL[i], s.column, "same order");
            let name = s.column.name();
            assert!(
                COLUMNS[..i].iter().all(|o| o.column.name() != name),
                "{name}"
            );
            assert!(
                s.min >= u16::try_from(s.column.title().chars().count()).unwrap_or(0),
                "{name}"
            );
        }
    }

    #[test]
    fn names_parse_in_order_and_mistakes_are_refused() {
        assert_eq!(
            parse_columns(" state, SID ,started"),
            Ok(vec![Column::State, Column::Sid, Column::Started])
        );
        assert_eq!(
            parse_columns("state,carrier"),
            Err(ColumnsError::Unknown("carrier".into()))
        );
        assert!(
            ColumnsError::Unknown("carrier".into())
                .to_string()
                .contains("from-carrier, to-carrier")
        );
        assert_eq!(
            parse_columns("state,state"),
            Err(ColumnsError::Repeated("state".into()))
        );
        assert_eq!(parse_columns(" , "), Err(ColumnsError::Empty));
        let all = columns_text(&default_columns());
        assert_eq!(parse_columns(&all), Ok(default_columns()));
    }

    #[test]
    fn narrow_screens_keep_the_important_columns_and_fill_no_more_than_the_width() {
        let placed = layout(&default_columns(), 78, false, Some(Column::Started), |_| 30);
        let cols: Vec<Column> = placed.iter().map(|p| p.column).collect();
        assert!(cols.contains(&Column::State));
        assert!(cols.contains(&Column::Sid));
        assert!(cols.contains(&Column::Started));
        assert!(!cols.contains(&Column::Tags));
        let total: u16 = placed.iter().map(|p| p.width + 1).sum();
        assert!(total <= 79, "{total}");
        let wide = layout(&default_columns(), 400, false, None, |_| 5);
        assert_eq!(wide.len(), default_columns().len());
    }

    #[test]
    fn widths_follow_the_longest_value_within_bounds() {
        let chosen = [Column::State, Column::FromCarrier, Column::Q850];
        let longest = |c: Column| match c {
            Column::FromCarrier => 16,
            Column::Q850 => 40,
            _ => 9,
        };
        let placed = layout(&chosen, 200, false, None, longest);
        let w: Vec<u16> = placed.iter().map(|p| p.width).collect();
        // The carrier as wide as its longest value, Q.850 held to its maximum.
        assert_eq!(w, [9, 16, 28]);
        // Wide mode shows the whole value.
        let placed = layout(&chosen, 200, true, None, longest);
        assert_eq!(placed[2].width, 40);
        // Short values: the title's width (with the sort arrow on the sorted column).
        let placed = layout(&chosen, 200, false, Some(Column::FromCarrier), |_| 1);
        assert_eq!(placed[0].width, 9);
        assert_eq!(placed[1].width, 13);
    }

    #[test]
    fn wide_mode_drops_columns_rather_than_cut_values() {
        let chosen = default_columns();
        let longest = |c: Column| match c {
            Column::FromCarrier | Column::ToCarrier => 23,
            Column::Q850 => 28,
            Column::Sip => 23,
            _ => 10,
        };
        let placed = layout(&chosen, 120, true, None, longest);
        let find = |c| placed.iter().find(|p| p.column == c).map(|p| p.width);
        assert_eq!(find(Column::FromCarrier), Some(23));
        assert_eq!(find(Column::Tags), None);
        // Unless it is the sorted column, which stays, and the causes still show whole.
        let sorted = layout(&chosen, 120, true, Some(Column::Tags), longest);
        assert!(sorted.iter().any(|p| p.column == Column::Tags));
        assert!(
            sorted
                .iter()
                .any(|p| p.column == Column::Q850 && p.width == 28)
        );
        assert_eq!(find(Column::Q850), Some(28));
        assert_eq!(find(Column::Sip), Some(23));
        assert!(placed.len() < chosen.len());
    }

    #[test]
    fn sort_cycles_through_the_columns_on_screen_only() {
        let on_screen = [Column::Started, Column::State, Column::Sid];
        assert_eq!(
            next_sort(SortColumn::Started, &on_screen),
            SortColumn::State
        );
        assert_eq!(next_sort(SortColumn::State, &on_screen), SortColumn::Sid);
        assert_eq!(next_sort(SortColumn::Sid, &on_screen), SortColumn::Started);
        // From a sort whose column went off screen, on to the next that is on it.
        assert_eq!(next_sort(SortColumn::Pdd, &on_screen), SortColumn::Sid);
        assert_eq!(next_sort(SortColumn::Sid, &[]), SortColumn::Sid);
    }

    #[test]
    fn column_at_finds_the_column_under_a_position() {
        let placed = [
            Placed {
                column: Column::State,
                width: 9,
            },
            Placed {
                column: Column::Sid,
                width: 11,
            },
        ];
        assert_eq!(column_at(&placed, 0), Some(Column::State));
        assert_eq!(column_at(&placed, 9), Some(Column::State));
        assert_eq!(column_at(&placed, 10), Some(Column::Sid));
        assert_eq!(column_at(&placed, 30), None);
    }
}
