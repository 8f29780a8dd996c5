//! What the similarity step of a run is told (the flags of `import` and `similarity`).

/// What the similarity step of an import looks at.
#[derive(Debug, Clone, Copy)]
pub struct SimilaritySettings {
    /// How long before its candidate a master row may be and still be its pair.
    pub window: std::time::Duration,
    /// Every prompt (`bellatrix-migrate similarity`), not only those the run touched.
    pub all_prompts: bool,
}
