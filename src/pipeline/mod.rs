//! The steps of `lib::import` that join two stages rather than belong to one: the
//! database a command works on and the import's one transaction (`database.rs`), and discovering,
//! reading and staging the files under its lock (`stage_in.rs`).

mod database;
mod stage_in;

pub use database::{begin, init, settings};
pub use stage_in::stage_in;
