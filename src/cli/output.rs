//! The flags of every command that shows calls (`--output`, `--filter`, `--mask`, `--mouse`,
//! `--color`), and the checks that turn them into the TUI's options.

use clap::Args;

use super::UsageError;
use crate::calls::filter::Filter;
use crate::output::OutputMode;

/// Flags shared by every command that shows calls.
#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// How to show results [default: tui on a terminal, ndjson otherwise].
    #[arg(long, value_enum)]
    pub output: Option<OutputMode>,
    /// Show only calls matching EXPR, e.g. 'state=fail carrier~vodafone' (README: "Filter
    /// expressions").
    ///
    /// Terms: field=value, field!=value, field~text (contains), field>N, field<N (>=, <=);
    /// a bare word searches every field; join with and (or just a space), or, !, ( ).
    /// Fields: state, type, direction, carrier, from, to, hangup, q850, sip, pdd, duration,
    /// tag, processing; from live events: live, mos, jitter, loss, rtt, warning, error (e.g.
    /// 'live jitter>30ms', 'mos<3.5 or warning'). In ndjson and compact output only `call`
    /// lines are filtered; the delivery, test_event, event and gap lines are always written.
    #[arg(long, value_name = "EXPR")]
    pub filter: Option<String>,
    /// Mask phone numbers and IP addresses everywhere (table, details, exports, ndjson), for
    /// demos and screenshots: +14155550112 → +1415•••••12. Key `m` toggles it in the TUI.
    #[arg(long)]
    pub mask: bool,
    /// Let the mouse select rows, scroll, and sort by clicking a column title (TUI).
    #[arg(long)]
    pub mouse: bool,
    /// The calls table's columns, in order, comma-separated (TUI), e.g.
    /// 'started,state,sid,from-carrier,q850'. Key `c` chooses them in the table and saves them
    /// in the config file.
    ///
    /// Columns: started, updated, sid, direction, from-to, type, state, quality, summary,
    /// duration, pdd, from-carrier, to-carrier, hangup, q850, sip, tags.
    #[arg(long, value_name = "LIST", value_parser = parse_column_list)]
    pub columns: Option<ColumnList>,
    /// Colours in the TUI: auto (on unless NO_COLOR is set), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

/// `--columns`: the columns named, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnList(pub Vec<crate::calls::columns::Column>);

fn parse_column_list(text: &str) -> Result<ColumnList, String> {
    crate::calls::columns::parse_columns(text)
        .map(ColumnList)
        .map_err(|e| e.to_string())
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// On unless `NO_COLOR` is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

impl OutputArgs {
    /// The mode asked for, or the default for this stdout.
    pub fn mode(&self) -> OutputMode {
        self.output.unwrap_or_else(OutputMode::default_for_stdout)
    }

    /// Whether the TUI uses colour.
    pub fn color_enabled(&self) -> bool {
        match self.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => color_enabled(),
        }
    }

    /// What every output shows from the start (filter, mask; mouse for the TUI), from these
    /// flags.
    pub fn view_options(&self) -> Result<crate::session::ViewOptions, UsageError> {
        Ok(crate::session::ViewOptions {
            filter: self.parsed_filter()?,
            mask: self.mask,
            mouse: self.mouse,
            max_calls: None,
            columns: self.columns.clone().map(|c| c.0),
        })
    }

    /// The `--filter` expression, read; `None` when absent or blank. A bad expression is a
    /// usage error that shows the expression with a caret under the problem.
    pub fn parsed_filter(&self) -> Result<Option<Filter>, UsageError> {
        let Some(text) = self.filter.as_deref().filter(|t| !t.trim().is_empty()) else {
            return Ok(None);
        };
        Filter::parse(text)
            .map(Some)
            .map_err(|e| UsageError(format!("--filter: {e}\n{}", e.pointer(text))))
    }
}

/// Colour is on unless `NO_COLOR` is set (https://no-color.org).
pub fn color_enabled() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}
