//! Similarity of a candidate's response to the master model's, computed the way the legacy
//! dashboard computed it (../shared/spec/SIMILARITY.md); the API lands with the last part.

pub mod combined;
pub mod json_aware;
pub mod notes;
pub mod text;
pub mod value;
