//! Colours. Call states get colours that read on dark and light backgrounds (no white or black
//! text); with `NO_COLOR` or `--color never` everything is plain and emphasis uses bold/reverse.

use ratatui::style::{Color, Modifier, Style};

use crate::calls::quality::Band;

/// The styles of one screen.
#[derive(Debug, Clone, Copy)]
pub struct Theme {
    /// False when colour is off.
    color: bool,
}

impl Theme {
    /// A theme with or without colour.
    pub fn new(color: bool) -> Self {
        Self { color }
    }

    /// The style of a call state.
    pub fn call_state(&self, state: &str) -> Style {
        if !self.color {
            return Style::new();
        }
        let color = match state {
            "completed" => Color::Green,
            "busy" => Color::Yellow,
            "noanswer" => Color::Magenta,
            "fail" => Color::Red,
            "canceled" => Color::DarkGray,
            "ringing" | "answered" => Color::Cyan,
            "undialed" => Color::Blue,
            _ => return Style::new(),
        };
        Style::new().fg(color)
    }

    /// The style of a quality band ([`crate::calls::quality`]): poor red, fair yellow, good
    /// green; without colour, poor is bold.
    pub fn quality(&self, band: Band) -> Style {
        match (self.color, band) {
            (_, Band::NoData) => self.dim(),
            (true, Band::Good) => Style::new().green(),
            (true, Band::Fair) => Style::new().yellow(),
            (true, Band::Poor) => Style::new().red().bold(),
            (false, Band::Poor) => Style::new().bold(),
            (false, _) => Style::new(),
        }
    }

    /// The selected row.
    pub fn selected(&self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    /// Column titles.
    pub fn title(&self) -> Style {
        Style::new().bold()
    }

    /// A key in the hint bar.
    pub fn key(&self) -> Style {
        if self.color {
            Style::new().black().on_cyan()
        } else {
            Style::new().reversed()
        }
    }

    /// Something that needs attention (rejections).
    pub fn warning(&self) -> Style {
        if self.color {
            Style::new().red().bold()
        } else {
            Style::new().bold()
        }
    }

    /// Something fine (accepted deliveries, verified test event).
    pub fn good(&self) -> Style {
        if self.color {
            Style::new().green()
        } else {
            Style::new()
        }
    }

    /// Quiet text (labels).
    pub fn dim(&self) -> Style {
        if self.color {
            Style::new().dark_gray()
        } else {
            Style::new()
        }
    }
}
