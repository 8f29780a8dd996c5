//! Classification of the configuration files: YAML (the models list or the app settings) and the
//! root-era `config.py`.

use super::{marks, Classified};
use crate::model::Kind;
use crate::read::config_values::date_in_name;

/// Keys of `configs/settings.yaml`, which nothing ever read (3.4).
const SETTINGS_KEYS: [&str; 6] = [
    "region_name",
    "output_dir",
    "use_sqlite",
    "cache_enabled",
    "concurrency",
    "logging_level",
];

pub(super) fn classify_yaml(lower_name: &str, text: &str, complete: bool) -> Option<Classified> {
    let yaml_name = lower_name.ends_with(".yaml") || lower_name.ends_with(".yml");
    let has_models_key = text.lines().any(|l| l.starts_with("models:"));
    if !yaml_name && !has_models_key {
        return None;
    }
    let marked = has_models_key || marks::kind_by_name(lower_name) == Some(Kind::ModelsYaml);
    let variant = if date_in_name(lower_name).is_some() {
        "dated_version"
    } else if lower_name.starts_with("model_configuration") {
        "dashboard_download"
    } else {
        "current"
    };
    if !complete {
        // Larger than the head: a prefix proves nothing about the document; the reader decides.
        return marked.then(|| Classified::of(Kind::ModelsYaml, variant));
    }
    // Bad bytes are the reader's to reject, row by row: they never make the file unreadable here.
    let control = |c: char| c.is_control() && !matches!(c, '\n' | '\r' | '\t');
    let probe: std::borrow::Cow<str> = if text.chars().any(control) {
        text.chars()
            .map(|c| if control(c) { ' ' } else { c })
            .collect::<String>()
            .into()
    } else {
        text.into()
    };
    let value: yaml_serde::Value = match yaml_serde::from_str(&probe) {
        Ok(value) => value,
        Err(e) if marked => {
            let (line, column) = e.location().map_or((1, None), |l| {
                (u64::try_from(l.line()).unwrap_or(1), Some(l.column()))
            });
            let mut c = Classified::damaged(
                Kind::ModelsYaml,
                line,
                column,
                format!("the YAML does not parse (at line {line}): the file is not read"),
            );
            c.variant = Some(variant.to_owned());
            return Some(c);
        }
        Err(_) => return None,
    };
    let map = value.as_mapping()?;
    if map
        .get("models")
        .is_some_and(yaml_serde::Value::is_sequence)
    {
        return Some(Classified::of(Kind::ModelsYaml, variant));
    }
    let keys: Vec<&str> = map.keys().filter_map(yaml_serde::Value::as_str).collect();
    if !keys.is_empty() && keys.iter().all(|k| SETTINGS_KEYS.contains(k)) {
        return Some(Classified::of(Kind::SettingsYaml, "app_settings"));
    }
    None
}

/// Root-era `config.py`: Python assignments of `MODELS` with `PRICING` or `EVAL_SETTINGS`.
pub(super) fn is_config_py(text: &str) -> bool {
    let assigns = |name: &str| {
        text.lines().any(|l| {
            l.strip_prefix(name)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        })
    };
    assigns("MODELS") && (assigns("PRICING") || assigns("EVAL_SETTINGS"))
}

#[cfg(test)]
mod tests {
    use super::super::classify;
    use super::super::tests::kind;
    use super::*;

    #[test]
    fn yaml_config_and_text_files() {
        let models = "region_name: us-east-2\nmodels:\n  - name: A\n";
        assert_eq!(
            kind("models.yaml", models),
            (Kind::ModelsYaml, Some("current".into()))
        );
        assert_eq!(
            kind("models.2025-11-03.yaml", models).1.as_deref(),
            Some("dated_version")
        );
        assert_eq!(
            kind("settings.yaml", "region_name: us-east-1\nconcurrency: 4\n").0,
            Kind::SettingsYaml
        );
        assert_eq!(kind("other.yaml", "foo: 1\n").0, Kind::Unknown);
        assert_eq!(
            kind("config.py", "MODELS = {}\nPRICING = {}\n").0,
            Kind::ConfigPy
        );
        assert_eq!(kind("prompts.txt", "one\n\ntwo\n").0, Kind::PromptsJson);
        assert_eq!(
            kind("readme.txt", "Copied from the old laptop.\n").0,
            Kind::Unknown
        );
        assert_eq!(
            classify("bin", b"\xff\xfe\x00", true, std::io::empty()).kind,
            Kind::Unknown
        );
    }
}
