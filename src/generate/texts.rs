//! The synthetic texts of `generate`: pools of prompts, responses and error messages drawn once per
//! seed, and the small side files (prompt CSV, Bedrock log, models.yaml versions). Everything is made
//! up maintenance-log language: no legacy text, no health data.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde_json::json;

const WORDS: [&str; 24] = [
    "pump",
    "valve",
    "pressure",
    "nominal",
    "sensor",
    "reading",
    "shift",
    "station",
    "filter",
    "flow",
    "inspection",
    "gasket",
    "seal",
    "motor",
    "bearing",
    "alarm",
    "cleared",
    "logged",
    "reset",
    "within",
    "limits",
    "replaced",
    "scheduled",
    "temperature",
];

/// Pools the rows draw from, so generation is fast: choosing is cheap, building text is not.
pub struct Texts {
    pub prompts: Vec<String>,
    pub responses: Vec<String>,
    pub errors: Vec<String>,
}

fn sentence(rng: &mut ChaCha8Rng, words: usize) -> String {
    let mut s = String::with_capacity(words * 8);
    for w in 0..words {
        if w > 0 {
            s.push(' ');
        }
        s.push_str(WORDS[rng.random_range(0..WORDS.len())]);
    }
    s
}

impl Texts {
    /// Draws the pools from `rng`.
    pub fn new(rng: &mut ChaCha8Rng) -> Self {
        let prompts = (0..200)
            .map(|i| {
                let words = rng.random_range(10..80);
                let body = sentence(rng, words);
                let newline = if i % 5 == 0 { "\r\n" } else { "\n" };
                let nnbsp = if i % 7 == 0 { "\u{202f}" } else { "" };
                format!("Summarise the maintenance log of station S-{i}{nnbsp} as JSON.{newline}Log:{newline}{body}")
            })
            .collect();
        let responses = (0..512)
            .map(|i| {
                // Mostly short, a tail up to 10 KB: about 1 KB on average, as in the legacy drops.
                let words = if i % 16 == 0 {
                    rng.random_range(200..1300)
                } else {
                    rng.random_range(20..80)
                };
                let body = sentence(rng, words);
                match i % 4 {
                    0 => format!(
                        "```json\n{{\n  \"summary\": \"{body}\",\n  \"faults\": []\n}}\n```"
                    ),
                    1 => format!("{{\"summary\": \"{body}\", \"note\": \"line one\\nline two\"}}"),
                    2 => format!("Summary:\n- {body}\n- \"all valves\" checked, 2 alarms cleared"),
                    _ => format!(
                        "{{\"summary\": \"{body}\", \"path\": \"C:\\\\logs\\\\S-{i}.txt\"}}"
                    ),
                }
            })
            .collect();
        let errors = vec![
            "An error occurred (ThrottlingException) when calling the Converse operation: Too many requests, please wait before trying again.".to_owned(),
            "An error occurred (ValidationException) when calling the Converse operation: The provided model identifier is invalid.".to_owned(),
            "An error occurred (AccessDeniedException) when calling the Converse operation: You don't have access to the model.\n\nTO FIX THIS ERROR:\n1. Open the Bedrock console\n2. Request model access\n3. Retry the run".to_owned(),
            "An error occurred (ResourceNotFoundException): Model use case details have not been submitted for this account. Fill out the \"Anthropic use case details\" form.".to_owned(),
        ];
        Texts {
            prompts,
            responses,
            errors,
        }
    }

    /// `data/test_prompts.csv`: `prompt_id,prompt,expected_json,category`, LF, multi-line prompts.
    pub fn prompt_csv(&self) -> String {
        let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
        let _ = w.write_record(["prompt_id", "prompt", "expected_json", "category"]);
        for (i, p) in self.prompts.iter().enumerate() {
            let _ = w.write_record([&(i + 1).to_string(), p, "True", "converse"]);
        }
        String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
    }

    /// A Bedrock model-invocation log (JSON Lines, Converse entries) of `entries` lines.
    pub fn bedrock_log(&self, rng: &mut ChaCha8Rng, entries: u64) -> String {
        let mut out = String::new();
        for i in 0..entries {
            let prompt = &self.prompts[rng.random_range(0..self.prompts.len())];
            let response = &self.responses[rng.random_range(0..self.responses.len())];
            let (input_tokens, output_tokens) = (prompt.len() / 4, response.len() / 4);
            let line = json!({
                "timestamp": format!("2025-10-01T00:{:02}:{:02}Z", (i / 60) % 60, i % 60),
                "accountId": "000000000000",
                "identity": {"arn": "arn:aws:sts::000000000000:assumed-role/bench/bench"},
                "region": "us-east-2",
                "requestId": format!("00000000-0000-4000-8000-{i:012}"),
                "operation": "Converse",
                "modelId": "us.anthropic.claude-3-7-sonnet-20250219-v1:0",
                "input": {
                    "inputContentType": "application/json",
                    "inputBodyJson": {
                        "messages": [{"role": "user", "content": [{"text": prompt}]}],
                        "inferenceConfig": {"maxTokens": 8192}
                    },
                    "inputTokenCount": input_tokens
                },
                "output": {
                    "outputContentType": "application/json",
                    "outputBodyJson": {
                        "output": {"message": {"role": "assistant", "content": [{"text": response}]}},
                        "stopReason": "end_turn",
                        "metrics": {"latencyMs": rng.random_range(400..20_000u32)},
                        "usage": {"inputTokens": input_tokens, "outputTokens": output_tokens,
                                  "totalTokens": input_tokens + output_tokens}
                    },
                    "outputTokenCount": output_tokens
                },
                "inferenceRegion": "us-east-2",
                "schemaType": "ModelInvocationLog",
                "schemaVersion": "1.0"
            });
            out.push_str(&line.to_string());
            out.push('\n');
        }
        out
    }
}

/// models.yaml as of 2025-11-03 (docs/formats.md#models_yaml).
pub const MODELS_2025_11_03: &str = "region_name: us-east-2
models:
  - name: Claude 3.5 Sonnet
    provider: anthropic
    bedrock_model_id: us.anthropic.claude-3-5-sonnet-20240620-v1:0
    use_inference_profile: true
    tokenizer: anthropic
    pricing:
      input_per_1k_tokens_usd: 0.003
      output_per_1k_tokens_usd: 0.015
    generation_params:
      max_tokens: 512
      temperature: 0.2
      top_p: 0.95
  - name: Llama 3.1 70B Instruct
    provider: meta
    bedrock_model_id: us.meta.llama3-1-70b-instruct-v1:0
    use_inference_profile: true
    tokenizer: llama
    pricing:
      input_per_1k_tokens_usd: 0.002
      output_per_1k_tokens_usd: 0.0025
    generation_params:
      max_tokens: 512
      temperature: 0.2
      top_p: 0.9
";

/// models.yaml as of 2025-11-06 (blob `e4568971`).
pub const MODELS_2025_11_06: &str = "region_name: us-east-2
models:
  - name: Claude 3.7 Sonnet
    provider: anthropic
    bedrock_model_id: us.anthropic.claude-3-7-sonnet-20250219-v1:0
    tokenizer: anthropic
    pricing:
      input_per_1k_tokens_usd: 0.008  # per 1K input tokens
      output_per_1k_tokens_usd: 0.024
    generation_params:
      max_tokens: 1500
      temperature: 0.7
      top_p: 0.95
  - name: Llama 3.2 11B Instruct
    provider: meta
    bedrock_model_id: us.meta.llama3-2-11b-instruct-v1:0
    tokenizer: llama
    pricing:
      input_per_1k_tokens_usd: 0.0006
      output_per_1k_tokens_usd: 0.0008
    generation_params:
      max_tokens: 1500
      temperature: 0.7
      top_p: 0.95
";

/// models.yaml at HEAD (blob `9f26681f`, with Nova Pro of `f33ee563`).
pub const MODELS_HEAD: &str = "region_name: us-east-2
models:
  - name: Claude 3.7 Sonnet
    provider: anthropic
    bedrock_model_id: us.anthropic.claude-3-7-sonnet-20250219-v1:0
    tokenizer: anthropic
    pricing:
      input_per_1k_tokens_usd: 0.008
      output_per_1k_tokens_usd: 0.024
    generation_params:
      max_tokens: 1500
      temperature: 0.7
      top_p: 0.95
  - name: Llama 3.3 70B Instruct
    provider: meta
    bedrock_model_id: us.meta.llama3-3-70b-instruct-v1:0
    tokenizer: llama
    pricing:
      input_per_1k_tokens_usd: 0.00072
      output_per_1k_tokens_usd: 0.00072
    generation_params:
      max_tokens: 1500
      temperature: 0.7
      top_p: 0.95
  - name: Nova Pro
    provider: amazon
    bedrock_model_id: us.amazon.nova-pro-v1:0
    tokenizer: amazon
    pricing:
      input_per_1k_tokens_usd: 0.002
      output_per_1k_tokens_usd: 0.006
    generation_params:
      max_tokens: 1500
      temperature: 0.7
      top_p: 0.95
";
