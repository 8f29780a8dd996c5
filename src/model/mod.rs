//! The model: the data every stage shares, with no I/O. Stages import it and it imports no stage
//! (until the shared records move here, the report still names `read`'s files and rejects).

pub mod connection;
pub mod report;

pub use connection::ConnectionInfo;
pub use report::{Check, Duplicate, Report};
