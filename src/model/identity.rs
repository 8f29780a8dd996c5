//! Model identity: how a legacy row's `model_id` / `model_name` become a model of the target schema.
//! Models are resolved by Bedrock/OpenAI id first, then by name (docs/decisions.md); the CloudWatch parser's
//! heuristic names are never used as identity.

/// Region prefixes of Bedrock inference-profile ids (`us.anthropic.…`).
const REGION_PREFIXES: [&str; 5] = ["us.", "eu.", "apac.", "us-gov.", "global."];

/// The prefix that marks a master (reference) row in `raw_metrics.csv`.
pub const MASTER_PREFIX: &str = "Master: ";

/// The ids the legacy dashboard wrote when it had no model (error stubs).
pub fn is_unknown_id(model_id: &str) -> bool {
    model_id.is_empty() || model_id == "unknown"
}

/// Whether a Bedrock id is a cross-region inference-profile id (`us.anthropic.…`).
pub fn is_region_prefixed(model_id: &str) -> bool {
    REGION_PREFIXES.iter().any(|p| model_id.starts_with(p))
}

fn strip_region(model_id: &str) -> &str {
    REGION_PREFIXES
        .iter()
        .find_map(|p| model_id.strip_prefix(p))
        .unwrap_or(model_id)
}

/// Whether an id names an OpenAI model (the master models of the app's price table).
pub fn is_openai_id(model_id: &str) -> bool {
    let id = model_id.to_ascii_lowercase();
    id.starts_with("gpt-") || id.starts_with("chatgpt") || id.starts_with("o1") || id == "o3"
}

/// The provider (a `model_providers.name`) of a model: from the id's vendor segment, else from
/// well-known words in the name, else `unknown`, so a row is never dropped for want of a provider.
pub fn provider_of(model_id: &str, model_name: &str) -> String {
    if is_openai_id(model_id) {
        return "openai".to_owned();
    }
    if !is_unknown_id(model_id) {
        if let Some((vendor, _)) = strip_region(model_id).split_once('.') {
            if !vendor.is_empty() && vendor.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return vendor.to_ascii_lowercase();
            }
        }
    }
    let name = model_name.to_ascii_lowercase();
    let by_word = [
        ("claude", "anthropic"),
        ("llama", "meta"),
        ("titan", "amazon"),
        ("nova", "amazon"),
        ("gpt", "openai"),
        ("qwen", "alibaba"),
    ];
    by_word
        .iter()
        .find(|(word, _)| name.contains(word))
        .map_or_else(|| "unknown".to_owned(), |(_, p)| (*p).to_owned())
}

/// A readable name derived from a Bedrock id (`us.meta.llama4-maverick-17b-instruct-v1:0` →
/// `llama4-maverick-17b-instruct`), used when no trustworthy name exists.
pub fn name_from_id(model_id: &str) -> String {
    let bare = strip_region(model_id);
    let bare = bare.split_once('.').map_or(bare, |(_, rest)| rest);
    let without_version = match bare.rfind("-v") {
        Some(i) if bare[i + 2..].starts_with(|c: char| c.is_ascii_digit()) => &bare[..i],
        _ => bare,
    };
    if without_version.is_empty() {
        model_id.to_owned()
    } else {
        without_version.to_owned()
    }
}

/// What a legacy row says about its model, reduced to what the transform needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelRef {
    /// Groups rows that are the same model within one import (`id:…`, `openai:…` or `name:…`).
    pub key: String,
    /// The name to give the model if it has to be created.
    pub name: String,
    pub provider: String,
    /// The Bedrock id to store; `None` for OpenAI and id-less models.
    pub bedrock_model_id: Option<String>,
    pub is_master: bool,
}

/// Resolves a raw row's model. `name_is_heuristic` is true for rows the CloudWatch parser wrote,
/// whose names are guesses.
pub fn model_ref(model_id: &str, model_name: &str, name_is_heuristic: bool) -> ModelRef {
    if let Some(master_name) = model_name.strip_prefix(MASTER_PREFIX) {
        let name = if is_unknown_id(model_id) {
            master_name
        } else {
            model_id
        };
        return ModelRef {
            key: format!("openai:{name}"),
            name: name.to_owned(),
            provider: "openai".to_owned(),
            bedrock_model_id: None,
            is_master: true,
        };
    }
    if is_unknown_id(model_id) {
        return ModelRef {
            key: format!("name:{model_name}"),
            name: model_name.to_owned(),
            provider: provider_of(model_id, model_name),
            bedrock_model_id: None,
            is_master: false,
        };
    }
    let name = if name_is_heuristic || model_name.is_empty() {
        name_from_id(model_id)
    } else {
        model_name.to_owned()
    };
    let openai = is_openai_id(model_id);
    ModelRef {
        key: format!("{}:{model_id}", if openai { "openai" } else { "id" }),
        name,
        provider: provider_of(model_id, model_name),
        bedrock_model_id: (!openai).then(|| model_id.to_owned()),
        is_master: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn providers_come_from_the_id_then_the_name() {
        assert_eq!(
            provider_of("us.anthropic.claude-3-7-sonnet-20250219-v1:0", ""),
            "anthropic"
        );
        assert_eq!(provider_of("meta.llama3-70b-instruct-v1:0", ""), "meta");
        assert_eq!(provider_of("gpt-4o", "Master: gpt-4o"), "openai");
        assert_eq!(provider_of("unknown", "Claude 3 Sonnet"), "anthropic");
        assert_eq!(provider_of("unknown", "unknown_model_2"), "unknown");
    }

    #[test]
    fn names_derived_from_ids_drop_region_vendor_and_version() {
        assert_eq!(
            name_from_id("us.meta.llama4-maverick-17b-instruct-v1:0"),
            "llama4-maverick-17b-instruct"
        );
        assert_eq!(
            name_from_id("amazon.titan-text-premier-v1"),
            "titan-text-premier"
        );
    }

    #[test]
    fn heuristic_cloudwatch_names_are_not_identity() {
        let m = model_ref(
            "us.meta.llama4-maverick-17b-instruct-v1:0",
            "Llama 3.2 11B Instruct",
            true,
        );
        assert_eq!(m.name, "llama4-maverick-17b-instruct");
        assert_eq!(m.key, "id:us.meta.llama4-maverick-17b-instruct-v1:0");
    }

    #[test]
    fn master_rows_are_openai_models_named_by_id() {
        let m = model_ref("gpt-4o", "Master: gpt-4o", false);
        assert!(m.is_master);
        assert_eq!(m.name, "gpt-4o");
        assert_eq!(m.provider, "openai");
        assert_eq!(m.bedrock_model_id, None);
    }
}
