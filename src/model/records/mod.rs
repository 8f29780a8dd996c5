//! The staging records: what readers produce and the COPY streams send, one plain struct per staging
//! table, each with its COPY column table (`staged!`), from which the COPY statement, the column
//! types and the values are all generated. `streams!` at the bottom is the registry of the channels
//! between readers and COPY tasks: a new staging table is one line there.

mod aggregate;
mod log_entry;
mod metric;
mod model_entry;
pub mod nul;
mod prompt;
mod user;

pub use aggregate::AggregateRecord;
pub use log_entry::LogEntryRecord;
pub use metric::{MetricRecord, MISSING_RUN_ID};
pub use model_entry::ModelEntryRecord;
pub use prompt::PromptRecord;
pub use user::UserRecord;

use tokio_postgres::types::{ToSql, Type};

/// A staging record: its staging table, its COPY columns and their values, in one order.
pub trait Staged: Send + 'static {
    /// The staging table in schema `bellatrix_migrate`.
    const TABLE: &'static str;
    /// The COPY columns, in order.
    const COLUMNS: &'static [&'static str];
    /// The PostgreSQL type of each column of `COLUMNS`.
    const COPY_TYPES: &'static [Type];
    /// The values, in `COLUMNS` order.
    fn values(&self) -> Vec<&(dyn ToSql + Sync)>;
    /// The file (its number in input order) and the line the record came from.
    fn origin(&self) -> (i32, i64);

    /// `COPY bellatrix_migrate.<table> (<columns>) FROM STDIN BINARY`.
    fn copy_statement() -> String {
        format!(
            "COPY bellatrix_migrate.{} ({}) FROM STDIN BINARY",
            Self::TABLE,
            Self::COLUMNS.join(", ")
        )
    }

    /// The COPY column of the first value whose text holds a NUL byte (which PostgreSQL cannot
    /// store): readers turn such a record into a reject with it, before it reaches the stage.
    fn nul_column(&self) -> Option<&'static str> {
        let index = nul::first_nul(&self.values(), Self::COPY_TYPES)?;
        Self::COLUMNS.get(index).copied()
    }
}

/// Implements `Staged` for a record from its COPY column table: `column: TYPE` copies the field of
/// that name, `column: TYPE = expr` copies `expr` (written in terms of the binding named after `as`).
/// Every record has `file_no` and `line` fields, its origin.
macro_rules! staged {
    ($record:ty as $r:ident => $table:literal {
        $($column:ident : $ty:ident $(= $value:expr)?),+ $(,)?
    }) => {
        impl $crate::model::records::Staged for $record {
            const TABLE: &'static str = $table;
            const COLUMNS: &'static [&'static str] = &[$(stringify!($column)),+];
            const COPY_TYPES: &'static [::tokio_postgres::types::Type] =
                &[$(::tokio_postgres::types::Type::$ty),+];

            fn values(&self) -> Vec<&(dyn ::tokio_postgres::types::ToSql + Sync)> {
                let $r = self;
                vec![$(staged!(@value $r, $column $(, $value)?)),+]
            }

            fn origin(&self) -> (i32, i64) {
                (self.file_no, self.line)
            }
        }
    };
    (@value $r:ident, $column:ident) => {
        &$r.$column
    };
    (@value $r:ident, $column:ident, $value:expr) => {
        &$value
    };
}
use staged;

/// Receives each channel of `Streams` with its record type, to start a COPY task on it.
pub trait Copier {
    fn copy<T: Staged + Sync>(&mut self, rows: flume::Receiver<Vec<T>>);
}

/// Batches in flight per channel.
const CHANNEL_BATCHES: usize = 4;

/// The registry of staging channels: `Sinks` (readers send batches), `Streams` (the COPY tasks
/// receive them), `channels()` and `SERIAL_STREAMS`. The `parallel` table gets `--jobs` COPY
/// connections (it holds the bulk of any drop); each `serial` one gets one.
macro_rules! streams {
    (parallel { $pname:ident: $ptype:ty }
     serial { $($name:ident: $type:ty),+ $(,)? }) => {
        /// Where readers send their batches: one bounded channel per staging table, so memory stays
        /// flat.
        #[derive(Clone)]
        pub struct Sinks {
            pub $pname: flume::Sender<Vec<$ptype>>,
            $(pub $name: flume::Sender<Vec<$type>>,)+
        }

        /// The receiving ends of `Sinks`, handed to the COPY tasks by `Streams::each`.
        pub struct Streams {
            $pname: flume::Receiver<Vec<$ptype>>,
            $($name: flume::Receiver<Vec<$type>>,)+
        }

        /// COPY connections besides the parallel table's: one per serial staging table.
        pub const SERIAL_STREAMS: usize = [$(stringify!($name)),+].len();

        /// The staging tables of every record, in registry order.
        pub const STAGING_TABLES: &[&str] = &[
            <$ptype as Staged>::TABLE,
            $(<$type as Staged>::TABLE,)+
        ];

        /// Creates the bounded channels between readers and COPY tasks.
        pub fn channels() -> (Sinks, Streams) {
            let $pname = flume::bounded(CHANNEL_BATCHES);
            $(let $name = flume::bounded(CHANNEL_BATCHES);)+
            (
                Sinks { $pname: $pname.0, $($name: $name.0,)+ },
                Streams { $pname: $pname.1, $($name: $name.1,)+ },
            )
        }

        impl Streams {
            /// Hands the parallel channel to `copier` `parallel` times (at least once) and each
            /// serial channel once.
            pub fn each(self, copier: &mut impl Copier, parallel: usize) {
                for _ in 0..parallel.max(1) {
                    copier.copy(self.$pname.clone());
                }
                $(copier.copy(self.$name);)+
            }
        }
    };
}

streams! {
    parallel { metrics: MetricRecord }
    serial {
        prompts: PromptRecord,
        log_entries: LogEntryRecord,
        models: ModelEntryRecord,
        users: UserRecord,
        aggregates: AggregateRecord,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns_and_types_agree<T: Staged>() {
        assert_eq!(T::COLUMNS.len(), T::COPY_TYPES.len(), "{}", T::TABLE);
        assert!(T::copy_statement().starts_with(&format!(
            "COPY bellatrix_migrate.{} (file_no, line, ",
            T::TABLE
        )));
    }

    #[test]
    fn every_record_has_a_type_per_column_and_starts_with_its_origin() {
        columns_and_types_agree::<MetricRecord>();
        columns_and_types_agree::<PromptRecord>();
        columns_and_types_agree::<LogEntryRecord>();
        columns_and_types_agree::<ModelEntryRecord>();
        columns_and_types_agree::<UserRecord>();
        columns_and_types_agree::<AggregateRecord>();
    }

    #[test]
    fn a_value_per_column() {
        let record = AggregateRecord::default();
        assert_eq!(record.values().len(), AggregateRecord::COLUMNS.len());
    }

    /// Every staging table the migrations create for records is in the registry, and the other way
    /// round (stage_files is the stage's own, not a record's).
    #[test]
    fn the_registry_lists_every_staging_table_of_the_migrations() {
        let create = regex::Regex::new(
            r"CREATE UNLOGGED TABLE IF NOT EXISTS bellatrix_migrate\.(stage_\w+)",
        )
        .expect("a valid pattern");
        let mut created: Vec<String> = crate::sql::MIGRATIONS
            .iter()
            .flat_map(|m| create.captures_iter(m.sql).map(|c| c[1].to_owned()))
            .filter(|name| name != "stage_files")
            .collect();
        created.sort_unstable();
        created.dedup();
        let mut registered: Vec<String> = STAGING_TABLES.iter().map(|t| (*t).to_owned()).collect();
        registered.sort_unstable();
        assert_eq!(created, registered);
        assert_eq!(SERIAL_STREAMS, STAGING_TABLES.len() - 1);
    }
}
