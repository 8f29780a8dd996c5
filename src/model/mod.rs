//! The model: the types every stage of the pipeline shares, and nothing that does I/O. Each stage
//! depends on this and on the stage before it, never on a later one (docs/architecture.md).

pub mod connection;
mod file;
pub mod history;
pub mod identity;
mod keys;
mod kind;
mod outcome;
pub mod prompt;
pub mod records;
pub mod report;
pub mod revert;
mod similarity;

pub use connection::ConnectionInfo;
pub use file::{
    AlreadyImported, Disposition, FileSummary, InputFile, Prefix, Reject, ResumePoint, Resumed,
    VersionDate,
};
pub use keys::natural_key;
pub use kind::Kind;
pub use outcome::Outcome;
pub use records::{
    AggregateRecord, LogEntryRecord, MetricRecord, ModelEntryRecord, PromptRecord, Sinks, Staged,
    UserRecord, MISSING_RUN_ID,
};
pub use report::{Check, Duplicate, Report};
pub use similarity::SimilaritySettings;
