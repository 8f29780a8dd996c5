//! The exact headers of the aggregate and root-era summary files, and the marker columns of the
//! root-era detailed results: the header rules (`csv_header`)
//! match a file's header against them, and the near-miss rule (`marks`) counts how many of a
//! damaged header's columns are theirs.

/// The header of `model_comparison.csv` and of its download copies
/// (docs/formats.md#model_comparison-and-results_summary).
pub const MODEL_COMPARISON_HEADER: [&str; 14] = [
    "model_name",
    "count",
    "success_count",
    "error_count",
    "avg_input_tokens",
    "avg_output_tokens",
    "p50_latency_ms",
    "p95_latency_ms",
    "p99_latency_ms",
    "min_latency_ms",
    "max_latency_ms",
    "json_valid_pct",
    "avg_cost_usd_per_request",
    "total_cost_usd",
];

/// The fixed header of root-era `summary_<ts>.csv` (docs/formats.md#model_comparison-and-results_summary).
pub const SUMMARY_HEADER: [&str; 16] = [
    "model_key",
    "model_name",
    "total_prompts",
    "avg_latency_ms",
    "p50_latency_ms",
    "p95_latency_ms",
    "min_latency_ms",
    "max_latency_ms",
    "total_cost_usd",
    "avg_cost_usd",
    "valid_json_rate",
    "valid_json_count",
    "total_input_tokens",
    "total_output_tokens",
    "avg_input_tokens",
    "avg_output_tokens",
];

/// The columns that mark a root-era `detailed_results_<ts>.csv` (its other columns vary by version).
pub const DETAILED_MARKERS: [&str; 4] = ["prompt_index", "model_key", "output", "prompt_snippet"];
