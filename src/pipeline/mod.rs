//! The steps of `lib::import` that join two stages rather than belong to one: the database a
//! command works on and the import's one transaction (`database.rs`); discovering, reading and
//! staging the files under its lock (`stage_in.rs`), setting aside the files an earlier import read
//! (`ledger.rs`); and `Output`, what a command produced, for `main` to render.

mod database;
mod ledger;
mod stage_in;

pub use database::{begin, init, settings};
pub use stage_in::stage_in;

use crate::commit::Outcome;
use crate::generate;
use crate::model::Report;

/// What a command produced, for `main` to render.
#[derive(Debug)]
pub enum Output {
    Initialised {
        applied: Vec<i32>,
        database: String,
        /// Each role of `--grant-import` / `--grant-verify` and the GRANT statements run for it.
        granted: Vec<(String, Vec<String>)>,
    },
    /// `init --print-grants`: the GRANT statements, not run.
    Grants(Vec<String>),
    Imported {
        report: Box<Report>,
        outcome: Outcome,
    },
    Generated(generate::Generated),
    /// `verify` ran; the report's checks say whether the database passed.
    Verified {
        report: Box<Report>,
    },
    /// `history` ran: every import, newest first, as tables or (`json`) one JSON array.
    History {
        entries: Vec<crate::model::history::ImportEntry>,
        json: bool,
    },
    /// `show` ran: the stored report of one import.
    Shown {
        report: Box<Report>,
    },
    /// `revert` ran (or rehearsed, `--dry-run`); `json`: print the report as JSON.
    Reverted {
        report: Box<crate::model::revert::RevertReport>,
        json: bool,
    },
    /// `local stop` or `local status` ran; what it found or did.
    Local(String),
}
