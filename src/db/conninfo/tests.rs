//! Tests of `conninfo::resolve`: precedence, the URI and keyword forms, TLS files, the password
//! file, defaults.

use super::*;
use std::collections::HashMap;

fn with_env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    move |name| map.get(name).cloned()
}

fn hosts(s: &Settings) -> Vec<String> {
    s.pg.get_hosts().iter().map(host_name).collect()
}

#[test]
fn the_connection_string_wins_over_the_environment_which_fills_the_rest() {
    let env = with_env(&[
        ("PGHOST", "envhost"),
        ("PGPORT", "6000"),
        ("PGUSER", "envuser"),
        ("PGDATABASE", "envdb"),
        ("PGPASSWORD", "envpw"),
        ("HOME", "/nonexistent"),
    ]);
    let s = resolve("postgresql://alice@db.example/prod", Origin::Flag, &env).unwrap();
    assert_eq!(hosts(&s), ["db.example"]);
    assert_eq!(s.pg.get_ports(), [6000]);
    assert_eq!(s.pg.get_user(), Some("alice"));
    assert_eq!(s.pg.get_dbname(), Some("prod"));
    assert_eq!(s.pg.get_password(), Some(&b"envpw"[..]));
    assert_eq!(s.password, PasswordSource::Environment);
    let s = resolve("", Origin::Environment, &env).unwrap();
    assert_eq!(hosts(&s), ["envhost"]);
    assert_eq!(s.pg.get_user(), Some("envuser"));
    assert_eq!(s.pg.get_dbname(), Some("envdb"));
}

#[test]
fn a_uri_port_wins_over_pgport_and_a_missing_one_comes_from_it() {
    let env = with_env(&[("PGPORT", "6000"), ("HOME", "/none")]);
    let s = resolve("postgresql://u@h:7000/d", Origin::Flag, &env).unwrap();
    assert_eq!(s.pg.get_ports(), [7000]);
    let s = resolve(
        "postgresql://u@h1,h2/d?target_session_attrs=read-write",
        Origin::Flag,
        &env,
    )
    .unwrap();
    assert_eq!(s.pg.get_ports(), [6000]);
    assert_eq!(hosts(&s), ["h1", "h2"]);
    let s = resolve("postgresql://u@[::1]/d", Origin::Flag, &env).unwrap();
    assert_eq!(s.pg.get_ports(), [6000]);
}

#[test]
fn libpq_only_parameters_are_taken_out_of_a_uri() {
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, "x").unwrap();
    let uri = format!(
        "postgresql://u@h:5433/d?sslmode=verify-full&sslrootcert={}&application_name=cutover&connect_timeout=5&target_session_attrs=read-write",
        ca.display()
    );
    let s = resolve(&uri, Origin::Flag, &with_env(&[("HOME", "/nonexistent")])).unwrap();
    assert_eq!(s.tls.mode, SslMode::VerifyFull);
    assert_eq!(s.tls.root, RootCerts::File(ca));
    assert_eq!(s.pg.get_application_name(), Some("cutover"));
    assert_eq!(s.connect_timeout, Some(Duration::from_secs(5)));
    assert_eq!(s.pg.get_ports(), [5433]);
}

#[test]
fn keyword_strings_with_quotes_are_understood() {
    let env = with_env(&[("HOME", "/nonexistent")]);
    let s = resolve(
        "host=h port=5434 dbname='my db' user=u password='it\\'s' sslmode=require",
        Origin::Flag,
        &env,
    )
    .unwrap();
    assert_eq!(s.pg.get_dbname(), Some("my db"));
    assert_eq!(s.pg.get_password(), Some(&b"it's"[..]));
    assert_eq!(s.tls.mode, SslMode::Require);
    assert_eq!(s.tls.root, RootCerts::None);
}

#[test]
fn defaults_are_prefer_thirty_seconds_and_our_application_name() {
    let s = resolve(
        "postgresql://u@h/d",
        Origin::Flag,
        &with_env(&[("HOME", "/none")]),
    )
    .unwrap();
    assert_eq!(s.tls.mode, SslMode::Prefer);
    assert_eq!(s.connect_timeout, Some(DEFAULT_CONNECT_TIMEOUT));
    assert_eq!(s.pg.get_application_name(), Some(APPLICATION_NAME));
    assert!(s.keepalives.enabled);
    let env = with_env(&[
        ("HOME", "/none"),
        ("PGAPPNAME", "mine"),
        ("PGCONNECT_TIMEOUT", "0"),
    ]);
    let s = resolve("postgresql://u@h/d", Origin::Flag, &env).unwrap();
    assert_eq!(s.pg.get_application_name(), Some("mine"));
    assert_eq!(s.connect_timeout, None);
}

#[test]
fn system_roots_imply_verify_full_and_refuse_weaker_modes() {
    let env = with_env(&[("HOME", "/none")]);
    let s = resolve("postgresql://u@h/d?sslrootcert=system", Origin::Flag, &env).unwrap();
    assert_eq!(s.tls.mode, SslMode::VerifyFull);
    let e = resolve(
        "postgresql://u@h/d?sslrootcert=system&sslmode=require",
        Origin::Flag,
        &env,
    )
    .unwrap_err();
    assert!(e.to_string().contains("weak sslmode"), "{e}");
}

#[test]
fn verification_without_a_root_certificate_is_refused_before_connecting() {
    let env = with_env(&[("HOME", "/none"), ("PGSSLMODE", "verify-ca")]);
    let e = resolve("postgresql://u@h/d", Origin::Flag, &env).unwrap_err();
    assert!(e.to_string().contains("sslrootcert"), "{e}");
    let e = resolve(
        "postgresql://u@h/d?sslrootcert=/no/such.pem",
        Origin::Flag,
        &env,
    )
    .unwrap_err();
    assert!(e.to_string().contains("does not exist"), "{e}");
}

#[test]
fn unknown_parameters_are_named_and_bad_values_never_echoed() {
    let env = with_env(&[("HOME", "/none")]);
    let e = resolve("postgresql://u@h/d?sslcrl=x", Origin::Flag, &env).unwrap_err();
    assert!(e.to_string().contains("`sslcrl`"), "{e}");
    let e = resolve("host=h sslmode=sometimes", Origin::Flag, &env).unwrap_err();
    assert!(!e.to_string().contains("sometimes"), "{e}");
    let e = resolve("", Origin::Environment, &with_env(&[("PGSERVICE", "prod")])).unwrap_err();
    assert!(e.to_string().contains("service"), "{e}");
}

#[test]
fn the_password_file_supplies_a_missing_password() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pgpass");
    std::fs::write(&file, "h:5432:d:u:from-file\n").unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let path = file.display().to_string();
    let env = with_env(&[("HOME", "/none"), ("PGPASSFILE", &path)]);
    let s = resolve("postgresql://u@h/d", Origin::Flag, &env).unwrap();
    assert_eq!(s.pg.get_password(), Some(&b"from-file"[..]));
    assert_eq!(s.password, PasswordSource::File(file.clone()));
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let s = resolve("postgresql://u@h/d", Origin::Flag, &env).unwrap();
    assert_eq!(s.pg.get_password(), None);
    assert!(matches!(
        s.password,
        PasswordSource::None {
            refused: Some(_),
            ..
        }
    ));
}
