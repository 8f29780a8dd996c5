//! ⑤ The similarity step of a run: how its candidates were paired with master rows, how the new
//! pairs were scored, and what changed in the score rows, laid out as blocks (see `mod.rs`).

use super::{Block, Table};
use crate::model::report::{Report, SimilarityCounts};

/// The section, when the run had a similarity step.
pub(super) fn similarity(report: &Report, out: &mut Vec<Block>) {
    let Some(s) = &report.similarity else {
        return;
    };
    let scope = if s.all_prompts {
        format!("every prompt ({})", s.prompts)
    } else {
        format!("the {} prompt(s) this import touched", s.prompts)
    };
    out.push(Block::Heading(format!(
        "similarity to the master model ({scope}; a master row up to {} before its candidate)",
        humantime::format_duration(std::time::Duration::from_secs(s.window_seconds))
    )));
    out.push(Block::Bullets(bullets(s)));
    if s.scored > 0 {
        let rows = s
            .by_method
            .iter()
            .map(|(method, n)| vec![method.clone(), n.to_string()])
            .collect();
        out.push(Block::Table(Table {
            header: vec!["method", "pairs scored"],
            rows,
            numeric: vec![1],
        }));
    }
}

/// How the candidates ended, the pairs, and the score rows written.
fn bullets(s: &SimilarityCounts) -> Vec<String> {
    let held = s.paired.saturating_sub(s.key_shared);
    vec![
        format!(
            "candidates (successful rows with a response): {} = {} paired + {} without a master row \
             in the window + {} without prompt text (a placeholder prompt)",
            s.candidates + s.without_prompt_text,
            s.paired,
            s.without_master,
            s.without_prompt_text
        ),
        format!(
            "pairs: {} = {held} with a score row of their own + {} sharing run, prompt and models \
             with a later pair, which holds the one score row the key allows",
            s.paired, s.key_shared
        ),
        format!(
            "scored now: {} new or changed pairs ({} already stored as they are); {} marked \
             lenient_scan (the reconstructed lenient note scan could have decided the method)",
            s.scored,
            held.saturating_sub(s.scored + s.application_rows),
            s.lenient_scan
        ),
        format!(
            "score rows: {} inserted, {} rewritten for a changed pair, {} removed; {} of the \
             application's left as they are",
            s.inserted, s.updated, s.deleted, s.application_rows
        ),
    ]
}
