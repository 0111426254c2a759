//! The column picker (`c`): every column of the calls table with a mark saying whether it is
//! shown, in display order. ↑↓ move, Space shows or hides, `K`/`J` move a column up or down;
//! the table follows at once, and closing the picker saves the choice in the config file
//! ([`crate::config::file::save_value`], key `columns`).

use crate::calls::columns::{ALL, Column};

/// The picker's state while it is open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnPicker {
    /// Every column, in display order, each with whether it is shown.
    pub items: Vec<(Column, bool)>,
    /// The line under the cursor.
    pub cursor: usize,
    /// The columns shown when the picker opened, to save only a change.
    pub opened_with: Vec<Column>,
}

impl ColumnPicker {
    /// A picker for the columns `shown`: those first in their order, then the others.
    pub fn new(shown: &[Column]) -> Self {
        let mut items: Vec<(Column, bool)> = shown.iter().map(|&c| (c, true)).collect();
        items.extend(
            ALL.into_iter()
                .filter(|c| !shown.contains(c))
                .map(|c| (c, false)),
        );
        Self {
            items,
            cursor: 0,
            opened_with: shown.to_vec(),
        }
    }

    /// The columns shown, in order.
    pub fn shown(&self) -> Vec<Column> {
        self.items
            .iter()
            .filter(|(_, on)| *on)
            .map(|(c, _)| *c)
            .collect()
    }

    /// Moves the cursor by `step` lines, staying on the list.
    pub fn move_cursor(&mut self, step: isize) {
        let last = self.items.len().saturating_sub(1);
        self.cursor = self.cursor.saturating_add_signed(step).min(last);
    }

    /// Shows or hides the column under the cursor; the last column shown stays.
    pub fn toggle(&mut self) {
        let shown = self.items.iter().filter(|(_, on)| *on).count();
        if let Some(item) = self.items.get_mut(self.cursor)
            && !(item.1 && shown == 1)
        {
            item.1 = !item.1;
        }
    }

    /// Moves the column under the cursor one place up (`-1`) or down (`1`), the cursor with it.
    pub fn move_item(&mut self, step: isize) {
        let to = self.cursor.saturating_add_signed(step);
        if to < self.items.len() && to != self.cursor {
            self.items.swap(self.cursor, to);
            self.cursor = to;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toggling_and_moving_change_the_columns_shown_and_their_order() {
        let mut p = ColumnPicker::new(&[Column::State, Column::Sid]);
        assert_eq!(p.items.len(), ALL.len());
        assert_eq!(p.shown(), [Column::State, Column::Sid]);
        p.move_item(1);
        assert_eq!(p.shown(), [Column::Sid, Column::State]);
        assert_eq!(p.cursor, 1);
        p.move_cursor(1);
        p.toggle();
        assert_eq!(p.shown().len(), 3);
        p.move_item(-1);
        p.move_item(-1);
        assert_eq!(p.shown()[0], p.items[0].0);
        // The last column shown cannot be hidden.
        let mut one = ColumnPicker::new(&[Column::State]);
        one.toggle();
        assert_eq!(one.shown(), [Column::State]);
        one.move_cursor(-5);
        assert_eq!(one.cursor, 0);
        one.move_cursor(100);
        assert_eq!(one.cursor, ALL.len() - 1);
    }
}
