//! The files of `fixtures/legacy_app` in the groups the multi-import tests split it into (paths
//! relative to a copy of the folder), and the time zone its naive timestamps are read in.

pub const TZ: [&str; 2] = ["--legacy-timezone", "Asia/Kolkata"];

pub const RAW: &[&str] = &["data/runs/raw_metrics.csv"];
pub const PROMPTS: &[&str] = &["data/test_prompts.csv", "Downloads/prompt_upload.json"];
pub const LOG: &[&str] = &["data/20251001T000153731Z_e9c5e90710a8738a.json"];
pub const YAMLS: &[&str] = &[
    "configs/models.yaml",
    "configs/models.2025-11-06.yaml",
    "configs/models.2025-11-05.yaml",
    "configs/models.2025-11-03.yaml",
    "configs/models.2025-10-31.yaml",
    "config.py",
];
pub const ROOT_RESULTS: &[&str] = &[
    "results/detailed_results_20251031_204500.csv",
    "results/summary_20251031_204500.csv",
    "results/comparison_20251031_204500.csv",
];
pub const REST: &[&str] = &[
    "data/users.json",
    "data/runs/model_comparison.csv",
    "Downloads/aggregated_metrics_20251112_093000.csv",
    "configs/settings.yaml",
    "notes/readme.txt",
];
