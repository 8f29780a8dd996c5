//! End-to-end: connecting the way a DBA would to a production server. A TLS-only server (a CA and
//! server certificate made here, `hostssl` lines with passwords only) for sslmode, certificates and
//! the password file; the plain test cluster for variables, precedence and error messages; a
//! listener that never answers for `connect_timeout`.

mod support;

use bellatrix_migrate::db::cluster::{free_port, Cluster, Durability};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use support::{cluster, scrub_connection_env, RunOutput, TestDb};

const PASSWORD: &str = "correct horse battery staple";

/// The TLS-only server: its port and the CA that signed its certificate (issued for `localhost`
/// only, so `127.0.0.1` is "another host name").
struct TlsServer {
    port: u16,
    ca: PathBuf,
    /// A client certificate and key for the role `certuser`, which may log in only with it.
    client: (PathBuf, PathBuf),
}

static TLS: OnceLock<TlsServer> = OnceLock::new();

fn tls_server() -> &'static TlsServer {
    TLS.get_or_init(|| {
        let dir = tempfile::Builder::new()
            .prefix("bellatrix-tls-")
            .tempdir()
            .unwrap()
            .keep();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let port = free_port().unwrap();
        let server = Cluster::at(&dir, port).unwrap();
        server.init(Durability::Throwaway).unwrap();
        server.remove_when_gone(std::process::id()).unwrap();
        // Roles and database first, while the server still trusts loopback.
        server.start().unwrap();
        tokio::runtime::Runtime::new().unwrap().block_on(async {
            let admin = support::connect(&server.url("postgres")).await;
            admin
                .batch_execute(&format!("CREATE ROLE importer LOGIN PASSWORD '{PASSWORD}'"))
                .await
                .unwrap();
            admin
                .batch_execute("CREATE ROLE certuser LOGIN")
                .await
                .unwrap();
            admin
                .batch_execute("CREATE DATABASE tls_db OWNER importer")
                .await
                .unwrap();
        });
        server.stop().unwrap();
        let (ca, client) = write_certificates(&dir);
        let data = dir.join("data");
        let mut conf = std::fs::read_to_string(data.join("postgresql.conf")).unwrap();
        conf.push_str(
            "ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n\
             ssl_ca_file = 'root.crt'\n",
        );
        std::fs::write(data.join("postgresql.conf"), conf).unwrap();
        std::fs::write(
            data.join("pg_hba.conf"),
            "hostssl all certuser 127.0.0.1/32 cert\nhostssl all certuser ::1/128 cert\n\
             hostssl all all 127.0.0.1/32 scram-sha-256\nhostssl all all ::1/128 scram-sha-256\n",
        )
        .unwrap();
        server.start().unwrap();
        TlsServer { port, ca, client }
    })
}

/// A CA, and a server certificate it signed for `localhost`, in the data directory (the key
/// owned by the server's user, mode 0600, as PostgreSQL demands), with the CA as the server's
/// `root.crt` for client certificates. Returns the CA's PEM file and a client certificate and key
/// for `certuser`.
fn write_certificates(dir: &Path) -> (PathBuf, (PathBuf, PathBuf)) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "bellatrix test CA");
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let server_key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    let server_cert = params.signed_by(&server_key, &issuer).unwrap();
    let client_key = KeyPair::generate().unwrap();
    let mut client_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    client_params
        .distinguished_name
        .push(DnType::CommonName, "certuser");
    let client_cert = client_params.signed_by(&client_key, &issuer).unwrap();
    let client = (dir.join("client.crt"), dir.join("client.key"));
    std::fs::write(&client.0, client_cert.pem()).unwrap();
    std::fs::write(&client.1, client_key.serialize_pem()).unwrap();
    std::fs::set_permissions(&client.1, std::fs::Permissions::from_mode(0o600)).unwrap();
    let data = dir.join("data");
    let crt = data.join("server.crt");
    let key = data.join("server.key");
    let root = data.join("root.crt");
    std::fs::write(&crt, server_cert.pem()).unwrap();
    std::fs::write(&key, server_key.serialize_pem()).unwrap();
    std::fs::write(&root, ca_cert.pem()).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    if nix::unistd::geteuid().is_root() {
        let user = nix::unistd::User::from_name("postgres").unwrap().unwrap();
        for file in [&crt, &key, &root] {
            std::os::unix::fs::chown(file, Some(user.uid.as_raw()), Some(user.gid.as_raw()))
                .unwrap();
        }
    }
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, ca_cert.pem()).unwrap();
    (ca, client)
}

/// Runs the binary with exactly `env` as its connection environment (in `cwd` when given).
fn run(args: &[&str], env: &[(&str, &str)], cwd: Option<&Path>) -> RunOutput {
    let mut cmd = assert_cmd::Command::cargo_bin("bellatrix-migrate").unwrap();
    scrub_connection_env(&mut cmd);
    cmd.env("HOME", "/nonexistent")
        .envs(env.iter().copied())
        .args(args);
    if let Some(dir) = cwd {
        cmd.current_dir(dir);
    }
    let out = cmd.timeout(Duration::from_secs(120)).output().unwrap();
    RunOutput {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn tls_url(host: &str, mode: &str) -> String {
    let server = tls_server();
    format!(
        "postgresql://importer@{host}:{}/tls_db?sslmode={mode}&sslrootcert={}",
        server.port,
        server.ca.display()
    )
}

/// Runs `verify --report` against `url` and returns the run and its JSON report.
fn verify_with_report(url: &str, env: &[(&str, &str)]) -> (RunOutput, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("verify.json");
    let args = [
        "--database-url",
        url,
        "verify",
        "--report",
        report.to_str().unwrap(),
    ];
    let out = run(&args, env, None);
    let json = std::fs::read_to_string(&report)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or(serde_json::Value::Null);
    (out, json)
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn verify_full_over_tls_imports_and_the_report_says_it_was_encrypted() {
    let url = tls_url("localhost", "verify-full");
    let env = [("PGPASSWORD", PASSWORD)];
    let init = run(&["--database-url", &url, "init"], &env, None);
    assert_eq!(init.code, 0, "{}", init.stderr);
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let fixtures = support::fixture("fixtures/legacy_app");
    let args = [
        "--database-url",
        &url,
        "import",
        "--quiet",
        "--report",
        report.to_str().unwrap(),
        fixtures.to_str().unwrap(),
    ];
    let out = run(&args, &env, None);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let json = read_json(&report);
    assert_eq!(
        json["connection"]["encrypted"], true,
        "{}",
        json["connection"]
    );
    assert_eq!(json["connection"]["verification"], "chain-and-host-name");
    assert_eq!(json["connection"]["origin"], "--database-url");
    assert!(
        out.stdout
            .contains("encrypted (TLS; certificate verified for the host name)"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains(PASSWORD) && !out.stderr.contains(PASSWORD));
    // history and show go through the same connection code: over TLS, verified.
    let id = json["import_id"].to_string();
    let history = run(&["--database-url", &url, "history", "--json"], &env, None);
    assert_eq!(history.code, 0, "{}", history.stderr);
    let entries: serde_json::Value = serde_json::from_str(&history.stdout).unwrap_or_default();
    assert!(
        entries
            .as_array()
            .is_some_and(|e| e.iter().any(|e| e["id"] == json["import_id"])),
        "import {id} in the history: {}",
        history.stdout
    );
    let shown = run(&["--database-url", &url, "show", &id], &env, None);
    assert_eq!(shown.code, 0, "{}", shown.stderr);
    assert!(
        shown
            .stdout
            .contains("encrypted (TLS; certificate verified for the host name)"),
        "{}",
        shown.stdout
    );
}

#[test]
fn a_certificate_for_another_host_name_fails_verify_full_and_verify_ca_accepts_it() {
    let env = [("PGPASSWORD", PASSWORD)];
    let out = run(
        &[
            "--database-url",
            &tls_url("127.0.0.1", "verify-full"),
            "init",
        ],
        &env,
        None,
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("(TLS)"), "{}", out.stderr);
    assert!(out.stderr.contains("another host name"), "{}", out.stderr);
    assert!(out.stderr.contains("127.0.0.1"), "{}", out.stderr);
    let out = run(
        &["--database-url", &tls_url("127.0.0.1", "verify-ca"), "init"],
        &env,
        None,
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[test]
fn a_plain_connection_to_a_tls_only_server_is_refused_with_a_tls_hint() {
    let env = [("PGPASSWORD", PASSWORD)];
    let out = run(
        &["--database-url", &tls_url("localhost", "disable"), "init"],
        &env,
        None,
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("(authentication)"), "{}", out.stderr);
    assert!(out.stderr.contains("only over TLS"), "{}", out.stderr);
    assert_eq!(
        out.stderr.matches("cannot connect").count(),
        1,
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("db error"), "{}", out.stderr);
}

#[tokio::test]
async fn require_to_a_server_without_tls_fails_clearly_and_prefer_says_unencrypted() {
    let db = TestDb::initialised().await;
    let out = run(
        &[
            "--database-url",
            &format!("{}?sslmode=require", db.url),
            "verify",
        ],
        &[],
        None,
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("does not offer TLS"), "{}", out.stderr);
    let (out, json) = verify_with_report(&format!("{}?sslmode=prefer", db.url), &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(json["connection"]["encrypted"], false);
    assert!(out.stdout.contains("not encrypted"), "{}", out.stdout);
}

#[test]
fn the_password_file_supplies_the_password_and_a_readable_one_is_refused() {
    let server = tls_server();
    let dir = tempfile::tempdir().unwrap();
    let passfile = dir.path().join("pgpass");
    std::fs::write(
        &passfile,
        format!(
            "# ours\nlocalhost:{}:tls_db:importer:{PASSWORD}\n",
            server.port
        ),
    )
    .unwrap();
    std::fs::set_permissions(&passfile, std::fs::Permissions::from_mode(0o600)).unwrap();
    let env = [("PGPASSFILE", passfile.to_str().unwrap())];
    let url = tls_url("localhost", "verify-full");
    let out = run(&["--database-url", &url, "init"], &env, None);
    assert_eq!(out.code, 0, "{}", out.stderr);

    std::fs::set_permissions(&passfile, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = run(&["--database-url", &url, "init"], &env, None);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("group or world access"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("(authentication)"), "{}", out.stderr);

    // ~/.pgpass is read when no PGPASSFILE is set.
    std::fs::set_permissions(&passfile, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::rename(&passfile, dir.path().join(".pgpass")).unwrap();
    let mut cmd = assert_cmd::Command::cargo_bin("bellatrix-migrate").unwrap();
    scrub_connection_env(&mut cmd);
    let out = cmd
        .env("HOME", dir.path())
        .args(["--database-url", &url, "init"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn pg_variables_name_the_server_when_no_url_is_given_in_libpq_precedence() {
    let db = TestDb::initialised().await;
    let port = cluster().port.to_string();
    let cwd = tempfile::tempdir().unwrap();
    let report = cwd.path().join("verify.json");
    let report_arg = report.to_str().unwrap();
    let pg_env = [
        ("PGHOST", "127.0.0.1"),
        ("PGPORT", port.as_str()),
        ("PGUSER", "postgres"),
        ("PGDATABASE", db.name.as_str()),
    ];
    let out = run(
        &["--quiet", "verify", "--report", report_arg],
        &pg_env,
        Some(cwd.path()),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let json = read_json(&report);
    assert_eq!(json["connection"]["origin"], "PG* environment variables");
    assert!(json["database"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/{}", db.name)));
    assert!(
        !cwd.path().join(".bellatrix").exists(),
        "the local cluster must not be used"
    );

    // DATABASE_URL wins over PGDATABASE; --database-url wins over DATABASE_URL.
    let missing = format!("postgresql://postgres@127.0.0.1:{port}/no_such_db");
    let mut env = pg_env.to_vec();
    env[3] = ("PGDATABASE", "no_such_db");
    env.push(("DATABASE_URL", db.url.as_str()));
    let out = run(&["verify"], &env, Some(cwd.path()));
    assert_eq!(
        out.code, 0,
        "DATABASE_URL should win over PGDATABASE: {}",
        out.stderr
    );
    let env = [("DATABASE_URL", missing.as_str())];
    let out = run(
        &["--database-url", &db.url, "verify"],
        &env,
        Some(cwd.path()),
    );
    assert_eq!(out.code, 0, "--database-url should win: {}", out.stderr);
    let out = run(&["verify"], &env, Some(cwd.path()));
    assert_eq!(out.code, 2, "{}", out.stderr);
}

#[test]
fn a_server_that_accepts_but_never_answers_times_out() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().take(8) {
            held.push(stream);
        }
        std::thread::sleep(Duration::from_secs(60));
    });
    let url = format!("postgresql://u@127.0.0.1:{port}/d?connect_timeout=2");
    let started = Instant::now();
    let out = run(&["--database-url", &url, "verify"], &[], None);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("no answer within 2 s"),
        "{}",
        out.stderr
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn connection_errors_name_the_target_and_the_stage_once_with_a_hint() {
    let port = cluster().port;
    let missing = format!("postgresql://postgres@127.0.0.1:{port}/no_such_db");
    let out = run(&["--database-url", &missing, "init"], &[], None);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains(&missing), "{}", out.stderr);
    assert!(
        out.stderr.contains("(opening the database)"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("hint: "), "{}", out.stderr);
    assert!(!out.stderr.contains("db error"), "{}", out.stderr);

    let closed = format!("postgresql://postgres@127.0.0.1:{}/x", free_port().unwrap());
    let out = run(&["--database-url", &closed, "init"], &[], None);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("(opening the connection)"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("accepting TCP/IP connections"),
        "{}",
        out.stderr
    );

    let unknown = "postgresql://postgres@no-such-host.invalid/x";
    let out = run(&["--database-url", unknown, "init"], &[], None);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("(resolving the host name)"),
        "{}",
        out.stderr
    );

    let bad = format!("{missing}?sslmode=sometimes");
    let out = run(&["--database-url", &bad, "init"], &[], None);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("sslmode"), "{}", out.stderr);
}

#[tokio::test]
async fn a_password_in_the_url_is_warned_about_and_never_printed() {
    let db = TestDb::initialised().await;
    let url = db.url.replace("postgres@", "postgres:visible-secret@");
    let out = run(&["--database-url", &url, "verify"], &[], None);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("process list"), "{}", out.stderr);
    assert!(!out.stdout.contains("visible-secret") && !out.stderr.contains("visible-secret"));
}

#[tokio::test]
async fn a_refused_further_connection_is_explained_without_pool_words() {
    let db = TestDb::new().await;
    let admin = db.client().await;
    let role = format!("limited_{}", db.name);
    admin
        .batch_execute(&format!(
            "CREATE ROLE {role} LOGIN CONNECTION LIMIT 1; ALTER DATABASE {} OWNER TO {role}; \
             ALTER SCHEMA public OWNER TO {role}",
            db.name
        ))
        .await
        .unwrap();
    let url = db.url.replace("postgres@", &format!("{role}@"));
    let out = run(&["--database-url", &url, "init"], &[], None);
    assert_eq!(out.code, 0, "{}", out.stderr);
    // The server ends init's backend a moment after init exits; until then it counts against the
    // limit, and the import's first connection (not its second) would be the one refused.
    let started = Instant::now();
    while admin
        .query_one(
            "SELECT count(*) FROM pg_stat_activity WHERE usename = $1",
            &[&role],
        )
        .await
        .unwrap()
        .get::<_, i64>(0)
        > 0
    {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "init's session did not end"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let fixtures = support::fixture("fixtures/drop");
    let out = run(
        &[
            "--database-url",
            &url,
            "import",
            "--quiet",
            fixtures.to_str().unwrap(),
        ],
        &[],
        None,
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("cannot open another database connection: too many connections for role"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("hint: "), "{}", out.stderr);
    assert!(
        !out.stderr.contains("object") && !out.stderr.contains("db error"),
        "{}",
        out.stderr
    );
}

#[test]
fn require_encrypts_without_verifying_and_allow_uses_tls_when_the_server_insists() {
    let server = tls_server();
    let env = [("PGPASSWORD", PASSWORD)];
    for (mode, verification) in [("require", "not-verified"), ("allow", "not-verified")] {
        // No root certificate anywhere (HOME has none): the server is not authenticated.
        let url = format!(
            "postgresql://importer@127.0.0.1:{}/tls_db?sslmode={mode}",
            server.port
        );
        let init = run(&["--database-url", &url, "init"], &env, None);
        assert_eq!(init.code, 0, "{mode}: {}", init.stderr);
        let (out, json) = verify_with_report(&url, &env);
        assert_eq!(out.code, 0, "{mode}: {}", out.stderr);
        assert_eq!(json["connection"]["encrypted"], true, "{mode}");
        assert_eq!(json["connection"]["verification"], verification, "{mode}");
    }
}

#[test]
fn a_client_certificate_logs_in_a_role_that_has_no_password() {
    let server = tls_server();
    let owner = tls_url("localhost", "verify-full");
    let env = [("PGPASSWORD", PASSWORD)];
    let out = run(
        &[
            "--database-url",
            &owner,
            "init",
            "--grant-verify",
            "certuser",
        ],
        &env,
        None,
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let (cert, key) = &server.client;
    let url = format!(
        "postgresql://certuser@localhost:{}/tls_db?sslmode=verify-full&sslrootcert={}&sslcert={}&sslkey={}",
        server.port,
        server.ca.display(),
        cert.display(),
        key.display()
    );
    let out = run(&["--database-url", &url, "verify"], &[], None);
    assert_eq!(out.code, 0, "{}", out.stderr);
    // Without the certificate the same role is refused at authentication.
    let out = run(
        &[
            "--database-url",
            &tls_url("localhost", "verify-full").replace("importer@", "certuser@"),
            "verify",
        ],
        &[],
        None,
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("(authentication)"), "{}", out.stderr);
}

#[test]
fn commands_without_a_server_ignore_a_connection_string_they_do_not_use() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("drop");
    let env = [("DATABASE_URL", "postgresql://u@h/d?sslmode=sometimes")];
    let args = [
        "generate",
        "--out",
        out_dir.to_str().unwrap(),
        "--rows",
        "10",
    ];
    let out = run(&args, &env, None);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = run(&["local", "status"], &env, Some(dir.path()));
    assert_eq!(out.code, 0, "{}", out.stderr);
    // A command that connects refuses it, naming the parameter.
    let out = run(&["verify"], &env, Some(dir.path()));
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("`sslmode`"), "{}", out.stderr);
}
