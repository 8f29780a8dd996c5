//! ⑤ What an import created beside the rows (runs, providers, placeholder prompts, models named only
//! by data) and how it read timestamps, laid out as blocks (see `mod.rs`).

use super::{more, place, Block, Table, SHOWN};
use crate::model::report::Report;

/// Runs, providers, placeholder prompts and models the import created beside the rows.
pub(super) fn created(report: &Report, out: &mut Vec<Block>) {
    out.push(Block::Heading("created beside rows".into()));
    let runs = if report.runs_created.is_empty() {
        "runs: none".to_owned()
    } else {
        let by_origin: Vec<String> = report
            .runs_created
            .iter()
            .map(|(origin, n)| format!("{n} {origin}"))
            .collect();
        format!("runs: {}", by_origin.join(", "))
    };
    let providers = if report.providers_created.is_empty() {
        "providers: none".to_owned()
    } else {
        format!("providers: {}", report.providers_created.join(", "))
    };
    let p = &report.placeholders;
    let placeholders = format!(
        "placeholder prompts (rows without prompt text, one per run and legacy prompt_id): {} created, {} new rows link to one",
        p.created, p.rows_linked
    );
    let r = &report.relinked;
    let relinked = format!(
        "re-linked (rows of earlier imports whose real prompt arrived now): {} rows, {} placeholders removed, {} prompts took a better source's attributes, {} models merged into the one a later source showed them to be",
        r.rows, r.placeholders_removed, r.prompts_improved, r.models_merged
    );
    out.push(Block::Bullets(vec![
        runs,
        providers,
        placeholders,
        relinked,
    ]));
    if !p.first.is_empty() {
        let rows = p
            .first
            .iter()
            .take(SHOWN)
            .map(|r| {
                vec![
                    r.run_id.clone().unwrap_or_else(|| "-".into()),
                    r.legacy_prompt_id.clone().unwrap_or_else(|| "-".into()),
                    place(r.file.as_deref(), r.line),
                ]
            })
            .collect();
        out.push(Block::Table(Table {
            header: vec!["placeholder for run", "legacy prompt_id", "first seen"],
            rows,
            numeric: vec![],
        }));
        out.extend(more(p.first.len().min(SHOWN), p.created, "placeholders"));
    }
    if report.models_created.is_empty() {
        out.push(Block::Line("models created from data alone: none".into()));
    } else {
        out.push(Block::Line(format!(
            "models created from data alone ({}; inactive until models.yaml names them):",
            report.models_created.len()
        )));
        let rows = report
            .models_created
            .iter()
            .map(|m| {
                vec![
                    m.name.clone(),
                    m.provider.clone(),
                    m.bedrock_model_id.clone().unwrap_or_else(|| "-".into()),
                    if m.is_master { "yes" } else { "no" }.into(),
                    place(m.file.as_deref(), m.line),
                ]
            })
            .collect();
        out.push(Block::Table(Table {
            header: vec!["model", "provider", "model id", "master", "first seen"],
            rows,
            numeric: vec![],
        }));
    }
}

/// The time-zone rules, and the files whose timestamps had no zone.
pub(super) fn time_zones(report: &Report, out: &mut Vec<Block>) {
    out.push(Block::Heading("time zones".into()));
    let n = &report.naive_timestamps;
    out.push(Block::Bullets(vec![
        "stored in UTC; timestamps with Z or an offset are taken as written".into(),
        format!(
            "timestamps without a zone are read in {} (--legacy-timezone): {} values in {} rows",
            report.legacy_timezone, n.values, n.rows
        ),
        "error stubs that wrote local time tagged Z are kept as written (not corrected in this version)"
            .into(),
    ]));
    if !n.files.is_empty() {
        let rows = n
            .files
            .iter()
            .map(|f| {
                let lines: Vec<String> = f.first_lines.iter().map(u64::to_string).collect();
                vec![
                    f.file.clone(),
                    f.rows.to_string(),
                    f.values.to_string(),
                    lines.join(", "),
                ]
            })
            .collect();
        out.push(Block::Table(Table {
            header: vec!["file", "naive rows", "naive values", "first lines"],
            rows,
            numeric: vec![1, 2],
        }));
    }
}
