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
    Migration {
        version: 4,
        name: "staging_storage",
        sql: include_str!("../sql/schema/0004_staging_storage.sql"),
    },
    Migration {
        version: 5,
        name: "config_observation_attributes",
        sql: include_str!("../sql/schema/0005_config_observation_attributes.sql"),
    },
    Migration {
        version: 6,
        name: "ledger_changes",
        sql: include_str!("../sql/schema/0006_ledger_changes.sql"),
    },
    Migration {
        version: 7,
        name: "resume_points",
        sql: include_str!("../sql/schema/0007_resume_points.sql"),
    },
    Migration {
        version: 8,
        name: "ordered_ids",
        sql: include_str!("../sql/schema/0008_ordered_ids.sql"),
    },
    Migration {
        version: 9,
        name: "import_runner",
        sql: include_str!("../sql/schema/0009_import_runner.sql"),
    },
    Migration {
        version: 10,
        name: "revert_images",
        sql: include_str!("../sql/schema/0010_revert_images.sql"),
    },
    Migration {
        version: 11,
        name: "audit_trail",
        sql: include_str!("../sql/schema/0011_audit_trail.sql"),
    },
    Migration {
        version: 12,
        name: "similarity",
        sql: include_str!("../sql/schema/0012_similarity.sql"),
    },
];

/// Creates the migrator's schema and migration table, before any migration runs.
pub const BOOTSTRAP: &str = include_str!("../sql/bootstrap.sql");

/// Sizes of file contents in the ledger.
pub const LEDGER_KNOWN_SIZES: &str = include_str!("../sql/ledger_known_sizes.sql");
/// Ledger entries of contents a grown file may continue (a resume point).
pub const LEDGER_RESUMABLE: &str = include_str!("../sql/ledger_resumable.sql");
/// Ledger entries of file contents by SHA-256 (`$1`).
pub const LEDGER_KNOWN_FILES: &str = include_str!("../sql/ledger_known_files.sql");

/// Settings of the import transaction (memory for the set-based statements).
pub const TRANSACTION_SETTINGS: &str = include_str!("../sql/transaction_settings.sql");

/// Whether every trigger that keeps the images of rows an import changes is there and enabled.
pub const IMAGES_KEPT: &str = include_str!("../sql/images_kept.sql");

/// One action row of the audit trail (`src/audit.rs`: `$1` action, `$2` import or NULL, `$3`
/// user agent, `$4` details).
pub const AUDIT_RECORD: &str = include_str!("../sql/audit/record.sql");

/// The session holding the import lock (`$1` = its key), as `pg_stat_activity` shows it.
pub const LOCK_HOLDER: &str = include_str!("../sql/lock_holder.sql");

/// The transform, in order: each a name (for progress and errors) and a batch of statements; then
/// the similarity step, then `TRANSFORM_CLOSING`.
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
        "naming models from their configuration",
        include_str!("../sql/transform/19_config_names.sql"),
    ),
    (
        "resolving models",
        include_str!("../sql/transform/20_models.sql"),
    ),
    (
        "merging models a later source shows to be one",
        include_str!("../sql/transform/21_model_merges.sql"),
    ),
    (
        "pricing master models",
        include_str!("../sql/transform/25_master_pricing.sql"),
    ),
    (
        "preparing a bulk load",
        include_str!("../sql/transform/27_bulk_prepare.sql"),
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
        "re-linking rows of earlier imports",
        include_str!("../sql/transform/48_relink.sql"),
    ),
    (
        "recording login events",
        include_str!("../sql/transform/49_logins.sql"),
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
];

/// The transform's steps after the similarity step (`transform::similarity`), which runs between
/// the aggregates and the rebuilding of a bulk load's keys: on a first load its score rows are
/// inserted without per-row foreign-key checks too.
pub const TRANSFORM_CLOSING: &[(&str, &str)] = &[
    (
        "rebuilding indexes and keys after a bulk load",
        include_str!("../sql/transform/82_bulk_restore.sql"),
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

/// Wraps `sql/account/duplicate_rows.sql` (every duplicate record of the import) as the CTE `d` in
/// front of a query over it, so the list and its groups count the same records.
macro_rules! over_duplicates {
    ($file:literal) => {
        concat!(
            "WITH d AS (\n",
            include_str!("../sql/account/duplicate_rows.sql"),
            "\n)\n",
            include_str!($file)
        )
    };
}

/// The account of an import (`src/account/`): the report's counts and details, collected inside the
/// import transaction after the transform (they read its temp tables), and the verify report's rows
/// per table.
pub mod account {
    /// Per-table counts of the transform.
    pub const SUMMARY: &str = include_str!("../sql/account/summary.sql");
    /// Per-file inserted/duplicate counts.
    pub const PER_FILE: &str = include_str!("../sql/account/per_file.sql");
    /// Records the transform rejected (user conflicts).
    pub const REJECTS: &str = include_str!("../sql/account/rejects.sql");
    /// Duplicate rows and what they duplicate (`$1` = limit).
    pub const DUPLICATES: &str = over_duplicates!("../sql/account/duplicates.sql");
    /// Duplicates grouped by file and what they duplicate.
    pub const DUPLICATE_GROUPS: &str = over_duplicates!("../sql/account/duplicate_groups.sql");
    /// New rows imported with a tie-break decision (row shape or backslashes).
    pub const AMBIGUOUS_ROWS: &str = include_str!("../sql/account/ambiguous_rows.sql");
    /// Placeholder prompts created and rows linked to them (`$1` = how many to list).
    pub const PLACEHOLDERS: &str = include_str!("../sql/account/placeholders.sql");
    /// What this import repaired in earlier imports' rows.
    pub const RELINKED: &str = include_str!("../sql/account/relinked.sql");
    /// Models, providers and runs created.
    pub const CREATED: &str = include_str!("../sql/account/created.sql");
    /// Rows whose naive timestamps were read in the legacy time zone (`$1` = lines to list).
    pub const NAIVE_TIMESTAMPS: &str = include_str!("../sql/account/naive_timestamps.sql");
    /// Rows per production table (verify).
    pub const TABLE_ROWS: &str = include_str!("../sql/account/table_rows.sql");
}

/// The ledger read back (`src/history.rs`): `history` and `show`, read only.
pub mod history {
    /// Every import, newest first, with its files and counts from its stored report.
    pub const LIST: &str = include_str!("../sql/history/list.sql");
    /// One import's stored report and outcome (`$1` = its id).
    pub const REPORT: &str = include_str!("../sql/history/report.sql");
}

/// The similarity step of an import and of `bellatrix-migrate similarity` (src/transform/similarity.rs).
pub mod similarity {
    /// The pairs of the touched prompts and what must change (temporary tables).
    pub const PAIRS: &str = include_str!("../sql/similarity/pairs.sql");
    /// The cursor over the pairs to score, with their responses.
    pub const STREAM: &str = include_str!("../sql/similarity/stream.sql");
    /// The statement that copies the client's scores in.
    pub const COPY_SCORES: &str = "COPY t_sim_scores (candidate_id, master_id, method, score, percent, \
                                   cosine, jaccard, fuzzy, matching, total, lenient_scan) FROM STDIN";
    /// Deletes, updates and inserts the score rows, with their ledger rows.
    pub const APPLY: &str = include_str!("../sql/similarity/apply.sql");
    /// What the step found and did, as one JSON object.
    pub const COUNTS: &str = include_str!("../sql/similarity/counts.sql");
}

/// Informational checks: reported with their result, never a reason to roll back.
pub const INFO_CHECKS: &[(&str, &str)] = &[(
    "legacy_aggregates_agree",
    include_str!("../sql/verify/legacy_aggregates.sql"),
)];

/// An integrity check written as one query returning `(ok boolean, detail text)`.
pub struct CheckQuery {
    /// The check's name in the report.
    pub name: &'static str,
    /// Whether the query takes `$1`: the import to check, or NULL for the whole database. Checks of
    /// small tables read them whole and take no parameter.
    pub scoped: bool,
    /// Whether the import scope is the import's metric and master rows alone; when those are every
    /// row of both tables (`IMPORT_IS_WHOLE`), the whole-table form checks the same rows, cheaper.
    pub by_rows: bool,
    /// Whether the query also takes `$2`: NULL, or the percentage of evaluation_metrics' pages
    /// whose rows it checks instead of the import's (`TABLESAMPLE SYSTEM`). Used for a first load
    /// (`by_rows` and every row is the import's) by the checks that recompute what one statement
    /// built from those same rows; `verify` passes NULL and checks everything.
    pub sampled: bool,
    pub sql: &'static str,
}

/// The SQL integrity checks, in report order. Both `verify` and every import run them (an import
/// scoped to what it wrote, before it commits).
pub const CHECKS: &[CheckQuery] = &[
    CheckQuery {
        name: "reconciliation",
        scoped: true,
        by_rows: false,
        sampled: false,
        sql: include_str!("../sql/verify/reconciliation.sql"),
    },
    CheckQuery {
        name: "ledger_rows_exist",
        scoped: true,
        by_rows: false,
        sampled: false,
        sql: include_str!("../sql/verify/ledger_rows_exist.sql"),
    },
    CheckQuery {
        name: "prompt_hash_matches_postgres",
        scoped: true,
        by_rows: false,
        sampled: false,
        sql: include_str!("../sql/verify/prompt_hashes.sql"),
    },
    CheckQuery {
        name: "prompt_hash_unique",
        scoped: true,
        by_rows: false,
        sampled: false,
        sql: include_str!("../sql/verify/prompt_hash_unique.sql"),
    },
    CheckQuery {
        name: "no_orphans",
        scoped: true,
        // Always the import's id: the references PostgreSQL enforced are skipped only in an import.
        by_rows: false,
        sampled: false,
        sql: include_str!("../sql/verify/orphans.sql"),
    },
    CheckQuery {
        name: "run_counters",
        scoped: true,
        by_rows: true,
        sampled: true,
        sql: include_str!("../sql/verify/run_counters.sql"),
    },
    CheckQuery {
        name: "cost_arithmetic",
        scoped: true,
        by_rows: true,
        sampled: false,
        sql: include_str!("../sql/verify/cost_arithmetic.sql"),
    },
    CheckQuery {
        name: "aggregates_match_recomputation",
        scoped: true,
        by_rows: true,
        sampled: true,
        sql: include_str!("../sql/verify/aggregates.sql"),
    },
    CheckQuery {
        name: "pricing_history",
        scoped: false,
        by_rows: false,
        sampled: false,
        sql: include_str!("../sql/verify/pricing_history.sql"),
    },
    CheckQuery {
        name: "views_match_base_tables",
        scoped: false,
        by_rows: false,
        sampled: false,
        sql: include_str!("../sql/verify/views.sql"),
    },
];

/// Whether an import's metric and master rows are all rows of their tables (`$1`, `$2` = inserted).
pub const IMPORT_IS_WHOLE: &str = include_str!("../sql/verify/import_is_whole.sql");
/// Refreshes the planner statistics of the tables an import writes, inside its transaction.
pub const ANALYZE_FOR_CHECKS: &str = include_str!("../sql/verify/analyze.sql");
/// Text fidelity: the source files to re-read (`$1` = import or NULL).
pub const FIDELITY_FILES: &str = include_str!("../sql/verify/fidelity_files.sql");
/// Text fidelity: the stored rows of one file to compare, in line order.
pub const FIDELITY_ROWS: &str = include_str!("../sql/verify/fidelity_rows.sql");
/// Similarity recomputed: the provenance of every score row in scope (`$1` = import or NULL).
pub const SIMILARITY_PROVENANCE: &str = include_str!("../sql/verify/similarity_provenance.sql");
/// Similarity recomputed: the next batch of sampled score rows with their two responses.
pub const SIMILARITY_SAMPLE: &str = include_str!("../sql/verify/similarity_sample.sql");
/// Similarity recomputed: the rows whose stored values differ from a batch recomputed.
pub const SIMILARITY_COMPARE: &str = include_str!("../sql/verify/similarity_compare.sql");

/// Least privilege (`src/db/privileges.rs`): the one list of what `import` and `verify` need of a
/// role that does not own the schema, and the queries over it (`$1` = task, `$2` = role or NULL).
pub mod privileges {
    /// Wraps `required.sql` as the CTE `required` in front of one of the queries over it.
    macro_rules! over_required {
        ($file:literal) => {
            concat!(
                "WITH required AS (\n",
                include_str!("../sql/privileges/required.sql"),
                "\n)\n",
                include_str!($file)
            )
        };
    }
    /// The privileges the current role lacks.
    pub const MISSING: &str = over_required!("../sql/privileges/missing.sql");
    /// GRANT statements for role `$2` (`$3`: all of them, or only what it lacks).
    pub const GRANTS: &str = over_required!("../sql/privileges/grants.sql");
    /// What keeps the current role from running `init` (objects it does not own, CREATE it lacks).
    pub const INIT_OWNER: &str = over_required!("../sql/privileges/init_owner.sql");
    /// What keeps the current role from the bulk path (tables it does not own).
    pub const BULK_OWNER: &str = include_str!("../sql/privileges/bulk_owner.sql");
}

/// `revert` (src/revert.rs).
pub mod revert {
    /// The import to revert (`$1`), locked: outcome, id prefix, whether its images were kept.
    pub const TARGET: &str = include_str!("../sql/revert/target.sql");
    /// What depends on the import: fills t_revert_blockers.
    pub const BLOCKERS: &str = include_str!("../sql/revert/blockers.sql");
    /// The first blockers, with the count of each reason.
    pub const BLOCKERS_LIST: &str = include_str!("../sql/revert/blockers_list.sql");
    /// The revert itself: fills t_revert_done.
    pub const APPLY: &str = include_str!("../sql/revert/apply.sql");
    /// What each step of APPLY did, per table.
    pub const DONE: &str = include_str!("../sql/revert/done.sql");
    /// Marks the import reverted (`$1`), before the checks.
    pub const MARK: &str = include_str!("../sql/revert/mark.sql");
    /// Stores the revert's report (`$2`) with the import (`$1`).
    pub const RECORD: &str = include_str!("../sql/revert/record.sql");
}
