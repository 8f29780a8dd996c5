//! ⑤ The terminal rendering: the laid-out report as plain lines and column-aligned tables.

use super::layout::{self, Block, Table};
use crate::model::Report;
use comfy_table::{presets, CellAlignment, ContentArrangement};
use std::fmt::Write as _;

impl Report {
    /// The readable summary for the terminal: aligned tables of files, tables, what is created,
    /// time-zone assumptions, rejects by reason, duplicates and checks. Names files, lines, columns
    /// and counts only, never legacy text.
    pub fn to_text(&self) -> String {
        let mut s = format!("bellatrix-migrate {}\n", layout::mode_words(self.mode));
        for block in layout::blocks(self) {
            match block {
                Block::Heading(h) => {
                    let _ = writeln!(s, "\n{h}");
                }
                Block::Line(l) => {
                    let _ = writeln!(s, "{l}");
                }
                Block::Bullets(items) => {
                    for item in items {
                        let _ = writeln!(s, "  - {item}");
                    }
                }
                Block::Table(t) => {
                    for line in aligned(&t).lines() {
                        let _ = writeln!(s, " {}", line.trim_end());
                    }
                    s.push('\n');
                }
            }
        }
        s
    }
}

/// Columns padded to their widest cell, numbers right-aligned, no borders, never wrapped.
pub(super) fn aligned(t: &Table) -> comfy_table::Table {
    let mut table = comfy_table::Table::new();
    table
        .load_preset(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(t.header.clone());
    for row in &t.rows {
        table.add_row(row.clone());
    }
    for i in &t.numeric {
        if let Some(column) = table.column_mut(*i) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    table
}
