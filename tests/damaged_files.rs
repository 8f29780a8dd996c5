//! End to end: no file and no record is dropped silently (issue 11, cases 1, 2, 3 and 8, and bad
//! bytes in JSON). Damaged files of a legacy kind are rejected files, counted and listed first;
//! encoding never decides a kind; JSON over 1 MiB is classified by streaming; non-regular files are
//! skipped unopened; an import with nothing to import exits 2. Every file is made here in a temp
//! dir (text is ours and harmless), with a marker word in its text fields that no output may hold.

mod support;

use serde_json::Value;
use std::path::Path;
use support::{report_file, RunOutput, TestDb};

/// Planted in every text field; never in stdout, stderr, a report or the rejects file.
const MARKER: &str = "ZEBRAQUILL";

const HASH: &str = "$2b$12$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234";

const RAW_HEADER: &str = "timestamp,run_id,model_name,model_id,prompt_id,input_tokens,output_tokens,latency_ms,json_valid,error,status,cost_usd_input,cost_usd_output,cost_usd_total,input_prompt,response\n";

/// One R16 raw-metrics record whose response is `response` (bytes, so a test can plant a bad one).
fn raw_row(i: usize, response: &[u8]) -> Vec<u8> {
    let mut row = format!(
        "2025-11-20T04:{:02}:{:02}.000000Z,run_20251120_101500,Nova Pro,us.amazon.nova-pro-v1:0,{},64,71,3120,True,,success,0.000512,0.001704,0.002216,Summarise pump log {i} {MARKER},",
        i / 60,
        i % 60,
        i + 1
    )
    .into_bytes();
    row.extend_from_slice(response);
    row.push(b'\n');
    row
}

fn prompts_csv(n: usize) -> String {
    let mut s = "prompt_id,prompt,expected_json,category\n".to_owned();
    for i in 1..=n {
        s.push_str(&format!("{i},Check valve {i} {MARKER},True,converse\n"));
    }
    s
}

fn log_entry(i: usize) -> Value {
    serde_json::json!({
        "timestamp": format!("2025-10-01T00:{:02}:{:02}Z", (i / 60) % 60, i % 60),
        "requestId": format!("r-{i}"),
        "region": "us-east-2",
        "operation": "Converse",
        "modelId": "us.meta.llama4-maverick-17b-instruct-v1:0",
        "input": {"inputBodyJson": {"messages": [{"role": "user", "content": [{"text": format!("Inspect pump {i} {MARKER}")}]}]}, "inputTokenCount": 12},
        "output": {"outputBodyJson": {"stopReason": "end_turn", "metrics": {"latencyMs": 80}}, "outputTokenCount": 4}
    })
}

fn user(i: usize) -> (String, Value) {
    (
        format!("user{i}"),
        serde_json::json!({
            "email": format!("user{i}.{MARKER}@example.test"),
            "password_hash": HASH,
            "created_at": "2025-11-21T18:02:11",
            "last_login": null
        }),
    )
}

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) {
    std::fs::write(dir.join(name), bytes).expect("writing a test file");
}

/// What an import left: its run, the JSON report, the Markdown report and the rejects CSV.
struct Imported {
    out: RunOutput,
    report: Value,
    markdown: String,
    rejects: String,
}

fn import(db: &TestDb, paths: &[&Path], extra: &[&str]) -> Imported {
    let outputs = tempfile::tempdir().expect("a temp dir for the outputs");
    let md = outputs.path().join("report.md");
    let rejects = outputs.path().join("rejects.csv");
    let (md_s, rejects_s) = (md.display().to_string(), rejects.display().to_string());
    let mut args = vec![
        "--report-md",
        md_s.as_str(),
        "--rejects",
        rejects_s.as_str(),
    ];
    args.extend_from_slice(extra);
    let (out, report) = db.import_paths(paths, &args);
    Imported {
        out,
        report,
        markdown: std::fs::read_to_string(&md).unwrap_or_default(),
        rejects: std::fs::read_to_string(&rejects).unwrap_or_default(),
    }
}

/// The invariants of every import here: the numbers add up and no input text is shown.
fn assert_accounted_and_silent(i: &Imported) {
    let r = &i.report;
    let a = &r["accounted"];
    let total = a["inserted"].as_u64().unwrap_or(0)
        + a["duplicate"].as_u64().unwrap_or(0)
        + a["rejected"].as_u64().unwrap_or(0);
    assert_eq!(
        Some(total),
        r["source_records"].as_u64(),
        "accounted = source_records: {r}"
    );
    for f in r["files"].as_array().expect("files") {
        let sum = ["inserted", "duplicate", "rejected"]
            .iter()
            .map(|k| f[k].as_u64().unwrap_or(0))
            .sum::<u64>();
        assert_eq!(Some(sum), f["records"].as_u64(), "per file: {f}");
    }
    let ok = r["checks"]
        .as_array()
        .is_some_and(|c| c.iter().all(|c| c["ok"] == true || c["blocking"] == false));
    assert!(ok, "every blocking check passes: {}", r["checks"]);
    for (what, text) in [
        ("stdout", i.out.stdout.as_str()),
        ("stderr", i.out.stderr.as_str()),
        ("report", &r.to_string()),
        ("markdown", i.markdown.as_str()),
        ("rejects", i.rejects.as_str()),
    ] {
        assert!(!text.contains(MARKER), "input text in {what}: {text}");
    }
}

#[tokio::test]
async fn damaged_files_of_a_legacy_kind_are_rejected_files_listed_first_and_counted() {
    let db = TestDb::initialised().await;
    let dir = tempfile::tempdir().expect("a temp dir");
    let d = dir.path();
    // A flipped byte in a raw_metrics header.
    let mut raw = RAW_HEADER.replacen("run_id", "run_jd", 1).into_bytes();
    raw.extend(raw_row(0, format!("fine {MARKER}").as_bytes()));
    write(d, "raw_metrics.csv", raw);
    // users.json missing its last 40 bytes.
    let users: serde_json::Map<String, Value> = (0..3).map(user).collect();
    let users = serde_json::to_string_pretty(&users).expect("users");
    write(d, "users.json", &users[..users.len() - 40]);
    // A prompt JSON and a pretty-printed Bedrock log, cut short.
    let prompts: Vec<String> = (0..3).map(|i| format!("Prompt {i} {MARKER}")).collect();
    let prompts = serde_json::to_string_pretty(&prompts).expect("prompts");
    write(d, "prompt_upload.json", &prompts[..prompts.len() - 10]);
    let log = serde_json::to_string_pretty(&vec![log_entry(1), log_entry(2)]).expect("log");
    write(
        d,
        "20251001T000153731Z_e9c5e90710a8738a.json",
        &log[..log.len() - 30],
    );
    // A models.yaml that does not parse.
    write(
        d,
        "models.yaml",
        format!("models:\n  - name: {MARKER}\n   provider: [\n"),
    );
    // And one good file beside them.
    write(d, "test_prompts.csv", prompts_csv(2));
    let i = import(&db, &[d], &[]);
    assert_eq!(i.out.code, 0, "{}", i.out.stderr);
    let r = &i.report;
    assert_eq!(r["files_rejected"], 5, "{}", r["files"]);
    for (name, kind, records) in [
        ("raw_metrics.csv", "raw_metrics", 1),
        ("users.json", "users_json", 3),
        ("prompt_upload.json", "prompts_json", 3),
        ("e9c5e90710a8738a.json", "bedrock_log", 2),
        ("models.yaml", "models_yaml", 1),
    ] {
        let f = report_file(r, name);
        assert_eq!(
            (f["kind"].as_str(), f["disposition"].as_str()),
            (Some(kind), Some("rejected")),
            "{f}"
        );
        assert_eq!(f["records"], records, "{f}");
        assert_eq!(f["rejected"], records, "{f}");
        assert!(f["reason"].as_str().is_some_and(|s| !s.is_empty()), "{f}");
    }
    assert_eq!(report_file(r, "test_prompts.csv")["inserted"], 2);
    assert_eq!(r["rejects_total"], 10);
    // Shown first: before the files table, on the terminal and in the Markdown.
    let first = |text: &str, rejected: &str, files: &str| {
        let a = text.find(rejected).unwrap_or(usize::MAX);
        let b = text.find(files).unwrap_or(0);
        assert!(a < b, "rejected files come first:\n{text}");
    };
    first(&i.out.stdout, "REJECTED FILES (5)", "\nfiles\n");
    first(&i.markdown, "## REJECTED FILES (5)", "## Files");
    assert!(i.rejects.contains("users.json"), "{}", i.rejects);
    assert_accounted_and_silent(&i);
    // Counted against --max-rejects.
    let db = TestDb::initialised().await;
    let limited = import(&db, &[d], &["--max-rejects", "9"]);
    assert_eq!(limited.out.code, 1, "{}", limited.out.stderr);
    assert!(limited.out.stderr.contains("exceed --max-rejects 9"));
    assert_accounted_and_silent(&limited);
}

#[tokio::test]
async fn an_invalid_byte_in_the_first_mib_of_a_csv_rejects_its_row_only() {
    let db = TestDb::initialised().await;
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut raw = RAW_HEADER.as_bytes().to_vec();
    for i in 0..5 {
        let response = if i == 2 {
            format!("bad \u{e9} {MARKER}").into_bytes()
        } else {
            format!("fine {i} {MARKER}").into_bytes()
        };
        raw.extend(raw_row(i, &response));
    }
    // The é of row 3 loses its first byte: one invalid UTF-8 byte, early in the file.
    let at = raw
        .windows(2)
        .position(|w| w == "\u{e9}".as_bytes())
        .expect("the é");
    raw[at] = 0xff;
    raw.remove(at + 1);
    write(dir.path(), "raw_metrics.csv", &raw);
    let i = import(&db, &[dir.path()], &[]);
    assert_eq!(i.out.code, 0, "{}", i.out.stderr);
    let f = report_file(&i.report, "raw_metrics.csv");
    assert_eq!(
        (f["kind"].as_str(), f["disposition"].as_str()),
        (Some("raw_metrics"), Some("read"))
    );
    assert_eq!(
        (f["records"].as_u64(), f["rejected"].as_u64()),
        (Some(5), Some(1))
    );
    assert_eq!(f["inserted"], 4);
    assert_eq!(i.report["rejects"][0]["line"], 4);
    assert_accounted_and_silent(&i);
}

#[tokio::test]
async fn valid_json_files_over_one_mib_are_classified_by_streaming_and_read_whole() {
    let db = TestDb::initialised().await;
    let dir = tempfile::tempdir().expect("a temp dir");
    let d = dir.path();
    let filler = "x".repeat(200);
    let prompts: Vec<String> = (0..5000)
        .map(|i| format!("Prompt {i} {MARKER} {filler}"))
        .collect();
    let prompts = serde_json::to_string(&prompts).expect("prompts");
    assert!(prompts.len() > 1_100_000);
    write(d, "big_upload.json", &prompts);
    let users: serde_json::Map<String, Value> = (0..7000).map(user).collect();
    let users = serde_json::to_string_pretty(&users).expect("users");
    assert!(users.len() > 1_070_000);
    write(d, "accounts.json", &users);
    let log: Vec<Value> = (0..1200)
        .map(|i| {
            let mut e = log_entry(i);
            e["requestMetadata"] = serde_json::json!({"note": filler});
            e
        })
        .collect();
    let log = serde_json::to_string_pretty(&log).expect("log");
    assert!(log.len() > 1024 * 1024);
    write(d, "export.json", &log);
    let i = import(&db, &[d], &[]);
    assert_eq!(i.out.code, 0, "{}", i.out.stderr);
    let r = &i.report;
    for (name, kind, variant, records) in [
        ("big_upload.json", "prompts_json", "json_array", 5000),
        ("accounts.json", "users_json", "auth_v01", 7000),
        ("export.json", "bedrock_log", "pretty_json", 1200),
    ] {
        let f = report_file(r, name);
        assert_eq!(
            (f["kind"].as_str(), f["variant"].as_str()),
            (Some(kind), Some(variant)),
            "{f}"
        );
        assert_eq!(
            (f["records"].as_u64(), f["inserted"].as_u64()),
            (Some(records), Some(records)),
            "{f}"
        );
    }
    assert_eq!(r["rejects_total"], 0);
    assert_accounted_and_silent(&i);
}

/// Makes a named pipe (FIFO) at `path`.
fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("running mkfifo");
    assert!(status.success(), "mkfifo {}", path.display());
}

/// Runs an import with a deadline: one that blocked on a FIFO would otherwise hang the suite.
fn import_within(db: &TestDb, paths: &[&Path], seconds: u64) -> RunOutput {
    let mut cmd = support::bellatrix_command();
    cmd.arg("--database-url")
        .arg(&db.url)
        .args(["import", "--quiet"])
        .args(paths)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().expect("starting bellatrix-migrate");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    while child.try_wait().expect("waiting for the import").is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("the import did not finish within {seconds} s (blocked on a FIFO?)");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = child.wait_with_output().expect("the import's output");
    RunOutput {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[tokio::test]
async fn nothing_to_import_exits_2_and_fifos_are_listed_as_skipped_never_opened() {
    let db = TestDb::initialised().await;
    // An empty directory.
    let empty = tempfile::tempdir().expect("a temp dir");
    let out = import_within(&db, &[empty.path()], 120);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("nothing to import: no files"),
        "{}",
        out.stderr
    );
    // A folder whose every file is unknown: each named with its reason.
    let unknown = tempfile::tempdir().expect("a temp dir");
    write(unknown.path(), "notes.txt", format!("A note {MARKER}.\n"));
    write(
        unknown.path(),
        "table.csv",
        format!("a,b,c\n1,2,{MARKER}\n"),
    );
    let out = import_within(&db, &[unknown.path()], 120);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("CSV header matches no legacy kind: 3 columns"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("notes.txt (unknown: plain text"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains(MARKER) && !out.stdout.contains(MARKER));
    // A FIFO given as the path.
    let pipes = tempfile::tempdir().expect("a temp dir");
    let fifo = pipes.path().join("raw_metrics.csv");
    mkfifo(&fifo);
    let out = import_within(&db, &[&fifo], 120);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("skipped: a named pipe (FIFO)"),
        "{}",
        out.stderr
    );
    // A FIFO beside a good file: listed as skipped, with its reason; the good file lands.
    write(pipes.path(), "test_prompts.csv", prompts_csv(3));
    write(pipes.path(), "notes.txt", format!("A note {MARKER}.\n"));
    let i = import(&db, &[pipes.path()], &[]);
    assert_eq!(i.out.code, 0, "{}", i.out.stderr);
    let f = report_file(&i.report, "raw_metrics.csv");
    assert_eq!(f["disposition"], "skipped", "{f}");
    assert!(
        f["reason"]
            .as_str()
            .is_some_and(|s| s.contains("never opened")),
        "{f}"
    );
    assert_eq!(i.report["files_skipped"], 1);
    assert_eq!(report_file(&i.report, "test_prompts.csv")["inserted"], 3);
    let note = report_file(&i.report, "notes.txt");
    assert_eq!(
        (note["kind"].as_str(), note["disposition"].as_str()),
        (Some("unknown"), Some("unknown"))
    );
    assert!(
        note["reason"]
            .as_str()
            .is_some_and(|s| s.starts_with("plain text")),
        "{note}"
    );
    assert!(
        i.out
            .stdout
            .contains("files not read (2: 1 unknown, 1 skipped)"),
        "{}",
        i.out.stdout
    );
    assert_accounted_and_silent(&i);
}

#[tokio::test]
async fn nul_lone_surrogates_and_bad_bytes_in_json_reject_their_record_before_the_server() {
    let db = TestDb::initialised().await;
    let dir = tempfile::tempdir().expect("a temp dir");
    let d = dir.path();
    // Prompt JSON Lines: a good line, `\u0000`, a lone surrogate, an invalid byte in a string.
    let mut jsonl = format!(
        "{{\"prompt\": \"Good {MARKER}\"}}\n{{\"prompt\": \"nul\\u0000 {MARKER}\"}}\n{{\"prompt\": \"\\ud800 {MARKER}\"}}\n{{\"prompt\": \"bad "
    )
    .into_bytes();
    jsonl.extend_from_slice(b"\xff");
    jsonl.extend_from_slice(format!(" {MARKER}\"}}\n").as_bytes());
    write(d, "prompts.jsonl", jsonl);
    // users.json with a NUL in one email.
    let mut users: serde_json::Map<String, Value> = (0..2).map(user).collect();
    users["user1"]["email"] = Value::String(format!("nul\u{0}{MARKER}@example.test"));
    write(
        d,
        "users.json",
        serde_json::to_string_pretty(&users).expect("users"),
    );
    // A Bedrock log whose second entry's prompt holds a NUL, as JSON Lines and as a document.
    let mut bad = log_entry(2);
    bad["input"]["inputBodyJson"]["messages"][0]["content"][0]["text"] =
        Value::String(format!("a\u{0}b {MARKER}"));
    write(
        d,
        "invocations.jsonl",
        format!("{}\n{}\n", log_entry(1), bad),
    );
    write(
        d,
        "invocations.json",
        serde_json::to_string_pretty(&vec![log_entry(3), bad.clone()]).expect("log"),
    );
    let i = import(&db, &[d], &[]);
    assert_eq!(i.out.code, 0, "{}", i.out.stderr);
    let r = &i.report;
    let counts = |name: &str| {
        let f = report_file(r, name);
        (
            f["records"].as_u64(),
            f["inserted"].as_u64().unwrap_or(0) + f["duplicate"].as_u64().unwrap_or(0),
            f["rejected"].as_u64(),
        )
    };
    assert_eq!(counts("prompts.jsonl"), (Some(4), 1, Some(3)));
    assert_eq!(counts("users.json"), (Some(2), 1, Some(1)));
    assert_eq!(counts("invocations.jsonl"), (Some(2), 1, Some(1)));
    assert_eq!(counts("invocations.json"), (Some(2), 1, Some(1)));
    let reasons: Vec<&str> = r["rejects"]
        .as_array()
        .expect("rejects")
        .iter()
        .filter_map(|x| x["reason"].as_str())
        .collect();
    for what in ["NUL character", "lone surrogate", "invalid UTF-8"] {
        assert!(
            reasons.iter().any(|x| x.contains(what)),
            "{what}: {reasons:?}"
        );
    }
    assert_eq!(db.count("users").await, 1);
    assert_accounted_and_silent(&i);
}
