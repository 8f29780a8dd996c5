//! `generate`: a deterministic synthetic legacy drop for benchmarks and tests, with the mix of quirks
//! of docs/formats.md. The server's `data/runs/raw_metrics.csv` (logger v06+: R16, QUOTE_ALL, LF,
//! uniform terminators so `psql \copy` can load it as the benchmark's reference) has multi-line JSON
//! responses of 300 B to 10 KB, errors with multi-line messages, `Master: ` rows, Python-repr floats
//! (`3.3e-05`), `1650.0` integers and CRLF inside prompts; its `.backup` repeats a share of its rows. A
//! Windows laptop's `Downloads/old_laptop/raw_metrics.csv` has an R15r header, v01 rows (CRLF,
//! unquoted, 15 fields), then union rows of logger v04 (CRLF, doubled backslashes) and v06 (LF). Plus
//! a prompt CSV, a Bedrock invocation log and three models.yaml versions. All text is synthetic.

mod texts;

use crate::error::{Error, Result};
use chrono::{DateTime, Duration, FixedOffset, Offset, TimeZone, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use texts::Texts;

/// What `generate` wrote.
#[derive(Debug, Clone)]
pub struct Generated {
    pub files: Vec<(PathBuf, u64)>,
    pub rows: u64,
}

/// The canonical 16-column header (R16), as logger v04+ wrote it for a new file.
const R16_QUOTED: &str = "\"timestamp\",\"run_id\",\"model_name\",\"model_id\",\"prompt_id\",\"input_tokens\",\
\"output_tokens\",\"latency_ms\",\"json_valid\",\"error\",\"status\",\"cost_usd_input\",\"cost_usd_output\",\
\"cost_usd_total\",\"input_prompt\",\"response\"";

/// The R15r header of files created before 2025-11-03 21:00.
const R15R: &str =
    "timestamp,run_id,model_name,model_id,prompt_id,input_tokens,output_tokens,latency_ms,\
json_valid,error,status,cost_usd_input,cost_usd_output,cost_usd_total,response";

/// Models of the era, with prices per 1K tokens (input, output).
const MODELS: [(&str, &str, f64, f64); 3] = [
    (
        "Claude 3.7 Sonnet",
        "us.anthropic.claude-3-7-sonnet-20250219-v1:0",
        0.008,
        0.024,
    ),
    (
        "Llama 3.2 11B Instruct",
        "us.meta.llama3-2-11b-instruct-v1:0",
        0.0006,
        0.0008,
    ),
    ("Nova Pro", "us.amazon.nova-pro-v1:0", 0.002, 0.006),
];

/// Writes a drop of `rows` raw-metrics rows under `out`.
pub fn generate(out: &Path, rows: u64, seed: u64) -> Result<Generated> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let texts = Texts::new(&mut rng);
    let runs = out.join("data/runs");
    let configs = out.join("configs");
    for dir in [&runs, &configs, &out.join("Downloads/old_laptop")] {
        std::fs::create_dir_all(dir).map_err(|e| output_error(dir, e))?;
    }
    let mut files = Vec::new();
    let main = runs.join("raw_metrics.csv");
    let backup_rows = rows / 20;
    write_main(&main, rows, &texts, &mut rng)?;
    files.push(sized(&main)?);
    let backup = runs.join("raw_metrics.csv.backup");
    copy_prefix(&main, &backup, backup_rows)?;
    files.push(sized(&backup)?);
    let old = out.join("Downloads/old_laptop/raw_metrics.csv");
    write_old_laptop(&old, (rows / 100).max(10), &texts, &mut rng)?;
    files.push(sized(&old)?);
    for (path, body) in [
        (out.join("data/test_prompts.csv"), texts.prompt_csv()),
        (
            out.join("data/20251001T000153731Z_e9c5e90710a8738a.json"),
            texts.bedrock_log(&mut rng, (rows / 1000).max(10)),
        ),
        (
            configs.join("models.2025-11-03.yaml"),
            texts::MODELS_2025_11_03.to_owned(),
        ),
        (
            configs.join("models.2025-11-06.yaml"),
            texts::MODELS_2025_11_06.to_owned(),
        ),
        (configs.join("models.yaml"), texts::MODELS_HEAD.to_owned()),
    ] {
        std::fs::write(&path, body).map_err(|e| output_error(&path, e))?;
        files.push(sized(&path)?);
    }
    Ok(Generated {
        files,
        rows: rows + backup_rows + (rows / 100).max(10),
    })
}

fn output_error(path: &Path, source: std::io::Error) -> Error {
    Error::Output {
        path: path.to_path_buf(),
        source,
    }
}

fn sized(path: &Path) -> Result<(PathBuf, u64)> {
    let len = std::fs::metadata(path)
        .map_err(|e| output_error(path, e))?
        .len();
    Ok((path.to_path_buf(), len))
}

/// The app's local clock (IST on the developers' laptops), for run ids.
fn ist() -> FixedOffset {
    FixedOffset::east_opt(5 * 3600 + 1800).unwrap_or(Utc.fix())
}

/// A fixed instant of the legacy history (valid by construction).
fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .single()
        .unwrap_or_default()
}

/// Python's repr of a float: shortest round-trip digits, scientific below 1e-4 (`3.3e-05`).
pub fn python_float(x: f64) -> String {
    if x != 0.0 && x.abs() < 1e-4 {
        let s = format!("{x:e}");
        match s.split_once('e') {
            Some((mantissa, exp)) => {
                let (sign, digits) = exp.strip_prefix('-').map_or(("+", exp), |d| ("-", d));
                format!("{mantissa}e{sign}{digits:0>2}")
            }
            None => s,
        }
    } else if x.fract() == 0.0 {
        format!("{x:.1}")
    } else {
        format!("{x}")
    }
}

/// One generated row, before quoting.
struct Row {
    fields: [String; 16],
    crlf: bool,
}

fn make_row(i: u64, at: DateTime<Utc>, texts: &Texts, rng: &mut ChaCha8Rng) -> Row {
    let master = at >= utc(2025, 11, 14, 0, 0) && rng.random_bool(0.03);
    let error = !master && rng.random_bool(0.08);
    let dashboard = rng.random_bool(0.4);
    let (name, id, price_in, price_out) = MODELS[usize::try_from(i % 3).unwrap_or(0)];
    let local = at.with_timezone(&ist());
    let run_id = if master {
        String::new()
    } else if dashboard {
        format!("dashboard_{}", local.format("%Y%m%d_%H%M%S"))
    } else {
        let batch_start = at - Duration::seconds(i64::try_from(i % 50).unwrap_or(0) * 2);
        format!(
            "run_{}",
            batch_start.with_timezone(&ist()).format("%Y%m%d_%H%M%S")
        )
    };
    let prompt_no = rng.random_range(0..texts.prompts.len());
    let mut prompt = texts.prompts[prompt_no].clone();
    if dashboard || master {
        prompt.push_str("\n\nPlease respond in valid JSON format.");
    }
    let input_tokens = u32::try_from(prompt.len() / 4).unwrap_or(u32::MAX);
    let response = if error {
        String::new()
    } else {
        texts.responses[rng.random_range(0..texts.responses.len())].clone()
    };
    let output_tokens = if error {
        0
    } else {
        u32::try_from(response.len() / 4).unwrap_or(u32::MAX)
    };
    let v04_window = at >= utc(2025, 11, 3, 15, 33) && at < utc(2025, 11, 5, 17, 12);
    let v06 = at >= utc(2025, 11, 6, 2, 47);
    let (cost_in, cost_out) = if master {
        (0.0, 0.0)
    } else {
        (
            (f64::from(input_tokens) / 1000.0 * price_in * 1e6).round() / 1e6,
            (f64::from(output_tokens) / 1000.0 * price_out * 1e6).round() / 1e6,
        )
    };
    let cost_total = if master {
        0.0005 * f64::from(rng.random_range(1..40u32)) / 10.0
    } else {
        ((cost_in + cost_out) * 1e6).round() / 1e6
    };
    let json_valid = if error {
        "False"
    } else if !v06 && rng.random_bool(0.1) {
        ""
    } else if rng.random_bool(0.85) {
        "True"
    } else {
        "False"
    };
    let double = |s: String| {
        if v04_window {
            s.replace('\\', "\\\\")
        } else {
            s
        }
    };
    let fields = [
        at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
        run_id,
        if master {
            "Master: gpt-4o".to_owned()
        } else {
            name.to_owned()
        },
        if master {
            "gpt-4o".to_owned()
        } else {
            id.to_owned()
        },
        if dashboard || master {
            String::new()
        } else {
            (prompt_no + 1).to_string()
        },
        if i % 7 == 0 {
            format!("{input_tokens}.0")
        } else {
            input_tokens.to_string()
        },
        output_tokens.to_string(),
        if error {
            "0".to_owned()
        } else {
            rng.random_range(400..30_000u32).to_string()
        },
        json_valid.to_owned(),
        if error {
            texts.errors[rng.random_range(0..texts.errors.len())].clone()
        } else {
            String::new()
        },
        if error { "error" } else { "success" }.to_owned(),
        python_float(cost_in),
        python_float(cost_out),
        python_float(cost_total),
        double(prompt),
        double(response),
    ];
    Row {
        fields,
        crlf: v04_window,
    }
}

/// A CSV writer whose quoting and record terminator can change between records, as they did when a
/// new logger version appended to an existing file.
struct LegacyWriter {
    out: Option<csv::Writer<BufWriter<File>>>,
    style: (bool, bool),
}

impl LegacyWriter {
    /// Starts `path` with a header line written as given, ended CRLF (Windows) or LF.
    fn create(path: &Path, header: &str, crlf: bool) -> std::io::Result<Self> {
        let mut file = BufWriter::with_capacity(1 << 20, File::create(path)?);
        file.write_all(header.as_bytes())?;
        file.write_all(if crlf { b"\r\n" } else { b"\n" })?;
        let style = (true, crlf);
        Ok(Self {
            out: Some(Self::builder(style).from_writer(file)),
            style,
        })
    }

    fn builder((quote_all, crlf): (bool, bool)) -> csv::WriterBuilder {
        let mut b = csv::WriterBuilder::new();
        b.quote_style(if quote_all {
            csv::QuoteStyle::Always
        } else {
            csv::QuoteStyle::Necessary
        })
        .terminator(if crlf {
            csv::Terminator::CRLF
        } else {
            csv::Terminator::Any(b'\n')
        });
        b
    }

    /// Writes one record with QUOTE_ALL or minimal quoting, ended by CRLF or LF.
    fn write(&mut self, fields: &[String], quote_all: bool, crlf: bool) -> std::io::Result<()> {
        if self.style != (quote_all, crlf) {
            let file = self.take()?;
            self.style = (quote_all, crlf);
            self.out = Some(Self::builder(self.style).from_writer(file));
        }
        match self.out.as_mut() {
            Some(w) => w.write_record(fields).map_err(std::io::Error::other),
            None => Err(std::io::Error::other("writer already finished")),
        }
    }

    fn take(&mut self) -> std::io::Result<BufWriter<File>> {
        let writer = self
            .out
            .take()
            .ok_or_else(|| std::io::Error::other("writer already finished"))?;
        writer
            .into_inner()
            .map_err(|e| std::io::Error::other(e.to_string()))
    }

    /// Flushes everything to disk.
    fn finish(mut self) -> std::io::Result<()> {
        self.take()?.flush()
    }
}

/// The app's own file on the server, created 2025-11-06 (logger v06+): QUOTE_ALL, LF, R16. Its
/// record terminators are uniform, so `psql \copy` can load it as the benchmark's reference.
fn write_main(path: &Path, rows: u64, texts: &Texts, rng: &mut ChaCha8Rng) -> Result<()> {
    let mut out =
        LegacyWriter::create(path, R16_QUOTED, false).map_err(|e| output_error(path, e))?;
    let mut at = utc(2025, 11, 6, 3, 0);
    for i in 0..rows {
        at += Duration::microseconds(rng.random_range(500_000..3_000_000));
        let row = make_row(i, at, texts, rng);
        out.write(&row.fields, true, row.crlf)
            .map_err(|e| output_error(path, e))?;
    }
    out.finish().map_err(|e| output_error(path, e))
}

/// A Windows laptop that kept the committed R15r file: v01 rows (15 fields, unquoted, CRLF), then
/// union rows (16 fields ending `response,input_prompt`, QUOTE_ALL) of logger v04 (CRLF, every
/// backslash doubled) and of logger v06+ (LF).
fn write_old_laptop(path: &Path, rows: u64, texts: &Texts, rng: &mut ChaCha8Rng) -> Result<()> {
    let mut out = LegacyWriter::create(path, R15R, true).map_err(|e| output_error(path, e))?;
    let third = rows / 3;
    let mut at = utc(2025, 10, 31, 14, 0);
    for i in 0..rows {
        if i == third {
            at = utc(2025, 11, 4, 9, 0);
        } else if i == 2 * third {
            at = utc(2025, 11, 10, 9, 0);
        }
        at += Duration::seconds(rng.random_range(1..4));
        let row = make_row(i, at, texts, rng);
        let crlf = row.crlf;
        let [f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, prompt, response] =
            row.fields;
        let mut fields = vec![f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13];
        let written = if i < third {
            // Logger v01: evaluator v01 truncated responses to 500 characters.
            fields.push(response.chars().take(500).collect());
            out.write(&fields, false, true)
        } else {
            fields.push(response);
            fields.push(prompt);
            out.write(&fields, true, crlf)
        };
        written.map_err(|e| output_error(path, e))?;
    }
    out.finish().map_err(|e| output_error(path, e))
}

/// Copies the header and the first `rows` records of `from` to `to` (the app's backup).
fn copy_prefix(from: &Path, to: &Path, rows: u64) -> Result<()> {
    let bytes = std::fs::File::open(from).map_err(|e| output_error(from, e))?;
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(std::io::BufReader::new(bytes));
    let mut record = csv::ByteRecord::new();
    let mut end = 0u64;
    for _ in 0..=rows {
        match rdr.read_byte_record(&mut record) {
            Ok(true) => end = rdr.position().byte(),
            _ => break,
        }
    }
    let mut source = File::open(from).map_err(|e| output_error(from, e))?;
    let mut target = File::create(to).map_err(|e| output_error(to, e))?;
    std::io::copy(&mut std::io::Read::take(&mut source, end), &mut target)
        .map_err(|e| output_error(to, e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_follow_python_repr() {
        assert_eq!(python_float(3.3e-5), "3.3e-05");
        assert_eq!(python_float(1e-5), "1e-05");
        assert_eq!(python_float(0.00495), "0.00495");
        assert_eq!(python_float(0.0), "0.0");
    }

    #[test]
    fn the_same_seed_gives_the_same_drop() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        generate(a.path(), 300, 7).unwrap();
        generate(b.path(), 300, 7).unwrap();
        for rel in [
            "data/runs/raw_metrics.csv",
            "data/runs/raw_metrics.csv.backup",
            "Downloads/old_laptop/raw_metrics.csv",
        ] {
            assert_eq!(
                std::fs::read(a.path().join(rel)).unwrap(),
                std::fs::read(b.path().join(rel)).unwrap(),
                "{rel}"
            );
        }
    }
}
