//! Every SQL file of `sql/`, pulled in here and nowhere else, so the statements the binary runs are the
//! files a reviewer reads.

/// A versioned schema migration (`sql/schema/NNNN_name.sql`).
pub struct Migration {
    pub version: i32,
    pub name: &'static str,
    pub sql: &'static str,
}

/// The migrations in order. Never edit an applied one: add a new file (the runner checks checksums).
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "target_schema",
        sql: include_str!("../sql/schema/0001_target_schema.sql"),
    },
    Migration {
        version: 2,
        name: "migrator_schema",
        sql: include_str!("../sql/schema/0002_migrator_schema.sql"),
    },
    Migration {
        version: 3,
        name: "other_sources",
        sql: include_str!("../sql/schema/0003_other_sources.sql"),
    },
];

/// Creates the migrator's schema and migration table, before any migration runs.
pub const BOOTSTRAP: &str = include_str!("../sql/bootstrap.sql");

/// Sizes of file contents in the ledger.
pub const LEDGER_KNOWN_SIZES: &str = include_str!("../sql/ledger_known_sizes.sql");
/// Ledger entries of file contents by SHA-256 (`$1`).
pub const LEDGER_KNOWN_FILES: &str = include_str!("../sql/ledger_known_files.sql");

/// Empties the staging tables.
pub const STAGE_CLEAR: &str = include_str!("../sql/stage_clear.sql");

/// The transform, in order: each a name (for progress and errors) and a batch of statements.
pub const TRANSFORM: &[(&str, &str)] = &[
    (
        "linking prompts across sources",
        include_str!("../sql/transform/05_link_prompts.sql"),
    ),
    (
        "deciding each row",
        include_str!("../sql/transform/10_rows.sql"),
    ),
    (
        "loading model configuration",
        include_str!("../sql/transform/15_config_models.sql"),
    ),
    (
        "rebuilding price and parameter history",
        include_str!("../sql/transform/17_config_history.sql"),
    ),
    (
        "resolving models",
        include_str!("../sql/transform/20_models.sql"),
    ),
    (
        "pricing master models",
        include_str!("../sql/transform/25_master_pricing.sql"),
    ),
    (
        "creating runs",
        include_str!("../sql/transform/30_runs.sql"),
    ),
    (
        "deduplicating prompts",
        include_str!("../sql/transform/40_prompts.sql"),
    ),
    (
        "inserting log entries",
        include_str!("../sql/transform/45_log_entries.sql"),
    ),
    (
        "inserting users",
        include_str!("../sql/transform/47_users.sql"),
    ),
    (
        "inserting metrics",
        include_str!("../sql/transform/50_metrics.sql"),
    ),
    (
        "recording the ledger",
        include_str!("../sql/transform/60_ledger.sql"),
    ),
    (
        "recounting runs",
        include_str!("../sql/transform/70_run_counters.sql"),
    ),
    (
        "recomputing aggregates",
        include_str!("../sql/transform/80_aggregates.sql"),
    ),
    (
        "comparing legacy aggregates",
        include_str!("../sql/transform/85_legacy_aggregates.sql"),
    ),
    (
        "recording files",
        include_str!("../sql/transform/files.sql"),
    ),
];

/// Per-table counts of the transform.
pub const SUMMARY: &str = include_str!("../sql/transform/summary.sql");
/// Per-file inserted/duplicate counts.
pub const PER_FILE: &str = include_str!("../sql/transform/per_file.sql");
/// Duplicate rows and what they duplicate (`$1` = limit).
pub const DUPLICATES: &str = include_str!("../sql/transform/duplicates.sql");
/// Records the transform rejected (user conflicts).
pub const TRANSFORM_REJECTS: &str = include_str!("../sql/transform/rejects.sql");

/// Informational checks: reported with their result, never a reason to roll back.
pub const INFO_CHECKS: &[(&str, &str)] = &[(
    "legacy_aggregates_agree",
    include_str!("../sql/verify/legacy_aggregates.sql"),
)];

/// Integrity checks run inside the import transaction, before it commits: (name, query returning
/// `ok boolean, detail text`).
pub const IMPORT_CHECKS: &[(&str, &str)] = &[
    (
        "new_rows_landed",
        include_str!("../sql/verify/new_rows_landed.sql"),
    ),
    (
        "prompt_hash_matches_postgres",
        include_str!("../sql/verify/prompt_hashes.sql"),
    ),
    (
        "prompt_hash_unique",
        include_str!("../sql/verify/prompt_hash_unique.sql"),
    ),
];
