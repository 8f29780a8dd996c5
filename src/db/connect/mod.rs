//! Opening connections, one stage at a time (resolve the host name, open TCP or the Unix socket,
//! TLS, authentication, the database), each inside `connect_timeout`, so that a failure names the
//! stage and comes with a hint, and a server that accepts TCP but never answers ends the wait.
//! The control connection of every command is opened here; the pool's extra connections follow
//! the same settings and the TLS mode that the control connection settled on.

mod diagnose;

pub use crate::model::ConnectionInfo;
pub use diagnose::{describe_pool_error, innermost, ConnectError, Stage};

use super::conninfo::{host_name, Settings, SslMode};
use super::tls::{self, Flagged, Verification};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use diagnose::{classify, socket_hint, tcp_hint, StartupError};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::Instant;
use tokio_postgres::config::Host;
use tokio_postgres::tls::MakeTlsConnect;
use tokio_postgres::{Client, NoTls};
use tokio_postgres_rustls::MakeRustlsConnect;

/// An open control connection.
pub struct Connected {
    pub client: Client,
    pub info: ConnectionInfo,
}

/// One host to try: name (or socket directory), the address to use instead of resolving, port.
struct Endpoint {
    host: Host,
    addr: Option<std::net::IpAddr>,
    port: u16,
}

/// Opens the control connection, trying each host in turn as libpq does.
pub async fn connect(settings: &Settings) -> Result<Connected, ConnectError> {
    let mut last = None;
    for endpoint in endpoints(settings) {
        match connect_endpoint(settings, &endpoint).await {
            Ok(connected) => return Ok(connected),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| ConnectError {
        target: super::redacted(settings),
        stage: Stage::Resolve,
        cause: "no host to connect to".to_owned(),
        hint: Some("set host in the connection string or PGHOST".to_owned()),
    }))
}

fn endpoints(settings: &Settings) -> Vec<Endpoint> {
    let pg = &settings.pg;
    let ports = pg.get_ports();
    let port = |i: usize| ports.get(i).or(ports.first()).copied().unwrap_or(5432);
    let addrs = pg.get_hostaddrs();
    if pg.get_hosts().is_empty() {
        return addrs
            .iter()
            .enumerate()
            .map(|(i, a)| Endpoint {
                host: Host::Tcp(a.to_string()),
                addr: Some(*a),
                port: port(i),
            })
            .collect();
    }
    pg.get_hosts()
        .iter()
        .enumerate()
        .map(|(i, h)| Endpoint {
            host: h.clone(),
            addr: addrs.get(i).copied(),
            port: port(i),
        })
        .collect()
}

async fn connect_endpoint(
    settings: &Settings,
    endpoint: &Endpoint,
) -> Result<Connected, ConnectError> {
    let mode = settings.tls.mode;
    let first = match (mode, &endpoint.host) {
        (_, Host::Unix(_)) | (SslMode::Disable | SslMode::Allow, _) => SslMode::Disable,
        (SslMode::Prefer, _) => SslMode::Prefer,
        _ => SslMode::Require,
    };
    match attempt(settings, endpoint, first).await {
        // libpq's `allow`: plain first, TLS when the server insists.
        Err(e) if mode == SslMode::Allow && e.stage == Stage::Authentication => {
            attempt(settings, endpoint, SslMode::Require).await
        }
        // libpq's `prefer`: TLS first, plain when the handshake fails.
        Err(e) if mode == SslMode::Prefer && e.stage == Stage::Tls => {
            attempt(settings, endpoint, SslMode::Disable).await
        }
        result => result,
    }
}

/// One attempt with the TLS behaviour `wire` (disable, prefer or require).
async fn attempt(
    settings: &Settings,
    endpoint: &Endpoint,
    wire: SslMode,
) -> Result<Connected, ConnectError> {
    let deadline = settings.connect_timeout.map(|t| Instant::now() + t);
    let target = target(settings, endpoint);
    let fail = |stage, cause: String, hint: Option<String>| ConnectError {
        target: target.clone(),
        stage,
        cause,
        hint,
    };
    let timed_out = |stage| {
        let seconds = settings.connect_timeout.unwrap_or_default().as_secs();
        fail(
            stage,
            format!("no answer within {seconds} s (connect_timeout)"),
            Some(
                "check the host and port, and that no firewall drops the packets; a server or \
                 pooler that accepts connections but never answers also ends here (raise \
                 connect_timeout if the server is just slow)"
                    .to_owned(),
            ),
        )
    };
    let used_tls = Arc::new(AtomicBool::new(false));
    let mut pg = settings.pg.clone();
    pg.ssl_mode(match wire {
        SslMode::Disable => tokio_postgres::config::SslMode::Disable,
        SslMode::Prefer => tokio_postgres::config::SslMode::Prefer,
        _ => tokio_postgres::config::SslMode::Require,
    });
    let client = match &endpoint.host {
        Host::Unix(dir) => {
            let path = dir.join(format!(".s.PGSQL.{}", endpoint.port));
            let stream = within(deadline, tokio::net::UnixStream::connect(&path))
                .await
                .map_err(|()| timed_out(Stage::Tcp))?
                .map_err(|e| fail(Stage::Tcp, e.to_string(), Some(socket_hint(&path))))?;
            startup(settings, &pg, stream, None, &used_tls, deadline)
                .await
                .map_err(|e| classify(e, settings, &target, &used_tls, &timed_out))?
        }
        Host::Tcp(name) => {
            let addrs = match endpoint.addr {
                Some(addr) => vec![std::net::SocketAddr::new(addr, endpoint.port)],
                None => within(
                    deadline,
                    tokio::net::lookup_host((name.as_str(), endpoint.port)),
                )
                .await
                .map_err(|()| timed_out(Stage::Resolve))?
                .map_err(|e| {
                    fail(
                        Stage::Resolve,
                        format!("could not translate host name \"{name}\" to an address: {e}"),
                        Some("check the host name and this machine's DNS".to_owned()),
                    )
                })?
                .collect(),
            };
            let stream = open_tcp(&addrs, deadline, settings)
                .await
                .map_err(|e| match e {
                    None => timed_out(Stage::Tcp),
                    Some(e) => fail(Stage::Tcp, e.to_string(), Some(tcp_hint(&e, endpoint.port))),
                })?;
            startup(settings, &pg, stream, Some(name), &used_tls, deadline)
                .await
                .map_err(|e| classify(e, settings, &target, &used_tls, &timed_out))?
        }
    };
    let encrypted = used_tls.load(Ordering::SeqCst);
    let server_version = server_version(&client).await;
    Ok(Connected {
        client,
        info: ConnectionInfo {
            server: target,
            origin: settings.origin,
            encrypted,
            sslmode: settings.tls.mode,
            verification: encrypted.then(|| Verification::of(&settings.tls)),
            server_version,
        },
    })
}

/// Runs `fut` until `deadline`; `Err(())` when it passed.
async fn within<F: std::future::Future>(
    deadline: Option<Instant>,
    fut: F,
) -> Result<F::Output, ()> {
    match deadline {
        Some(at) => tokio::time::timeout_at(at, fut).await.map_err(drop),
        None => Ok(fut.await),
    }
}

/// Connects to the first address that answers; `None` when the deadline passed.
async fn open_tcp(
    addrs: &[std::net::SocketAddr],
    deadline: Option<Instant>,
    settings: &Settings,
) -> Result<tokio::net::TcpStream, Option<std::io::Error>> {
    let mut last = None;
    for addr in addrs {
        match within(deadline, tokio::net::TcpStream::connect(addr)).await {
            Err(()) => return Err(None),
            Ok(Err(e)) => last = Some(e),
            Ok(Ok(stream)) => {
                let _ = stream.set_nodelay(true);
                let k = settings.keepalives;
                if k.enabled {
                    let keepalive = socket2::TcpKeepalive::new()
                        .with_time(k.idle)
                        .with_interval(k.interval)
                        .with_retries(k.retries);
                    socket2::SockRef::from(&stream)
                        .set_tcp_keepalive(&keepalive)
                        .map_err(Some)?;
                }
                return Ok(stream);
            }
        }
    }
    Err(Some(last.unwrap_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::NotFound, "the host name has no address")
    })))
}

/// TLS negotiation, authentication and the start-up packet over an open stream.
async fn startup<S>(
    settings: &Settings,
    pg: &tokio_postgres::Config,
    stream: S,
    tls_host: Option<&str>,
    used_tls: &Arc<AtomicBool>,
    deadline: Option<Instant>,
) -> Result<Client, StartupError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let connected = match tls_host {
        Some(host) if pg.get_ssl_mode() != tokio_postgres::config::SslMode::Disable => {
            let config = tls::client_config(&settings.tls)
                .map_err(|e| StartupError::Setup(e.to_string()))?;
            let inner =
                MakeTlsConnect::<S>::make_tls_connect(&mut MakeRustlsConnect::new(config), host)
                    .map_err(|e| StartupError::Setup(format!("host name for TLS: {e}")))?;
            let tls = Flagged {
                inner,
                used: used_tls.clone(),
            };
            open(pg, stream, tls, deadline).await?
        }
        _ => {
            let mut plain = pg.clone();
            plain.ssl_mode(tokio_postgres::config::SslMode::Disable);
            open(&plain, stream, NoTls, deadline).await?
        }
    };
    Ok(connected)
}

/// Start-up over `stream` with `tls`, the connection then driven in the background.
async fn open<S, T>(
    pg: &tokio_postgres::Config,
    stream: S,
    tls: T,
    deadline: Option<Instant>,
) -> Result<Client, StartupError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    T: tokio_postgres::tls::TlsConnect<S>,
    T::Stream: Send + 'static,
{
    let (client, connection) = within(deadline, pg.connect_raw(stream, tls))
        .await
        .map_err(|()| StartupError::TimedOut)?
        .map_err(StartupError::Pg)?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(client)
}

async fn server_version(client: &Client) -> String {
    // Simple protocol: also safe through a pooler in transaction mode.
    match client.simple_query("SHOW server_version").await {
        Ok(messages) => messages
            .iter()
            .find_map(|m| match m {
                tokio_postgres::SimpleQueryMessage::Row(row) => row.get(0).map(str::to_owned),
                _ => None,
            })
            .unwrap_or_default(),
        Err(_) => String::new(),
    }
}

fn target(settings: &Settings, endpoint: &Endpoint) -> String {
    format!(
        "postgresql://{}@{}:{}/{}",
        settings.pg.get_user().unwrap_or_default(),
        host_name(&endpoint.host),
        endpoint.port,
        settings.pg.get_dbname().unwrap_or_default()
    )
}

/// A pool of up to `size` further connections with the settings of the control connection.
pub fn pool(settings: &Settings, control: &ConnectionInfo, size: usize) -> Result<Pool, String> {
    let mut pg = settings.pg.clone();
    pg.ssl_mode(if control.encrypted {
        tokio_postgres::config::SslMode::Require
    } else {
        tokio_postgres::config::SslMode::Disable
    });
    if let Some(timeout) = settings.connect_timeout {
        pg.connect_timeout(timeout);
    }
    let k = settings.keepalives;
    pg.keepalives(k.enabled)
        .keepalives_idle(k.idle)
        .keepalives_interval(k.interval)
        .keepalives_retries(k.retries);
    let config = ManagerConfig {
        recycling_method: RecyclingMethod::Fast,
    };
    let manager = if control.encrypted {
        let tls = tls::client_config(&settings.tls).map_err(|e| e.to_string())?;
        Manager::from_config(pg, MakeRustlsConnect::new(tls), config)
    } else {
        Manager::from_config(pg, NoTls, config)
    };
    Pool::builder(manager)
        .max_size(size.max(2))
        .runtime(Runtime::Tokio1)
        .create_timeout(settings.connect_timeout.map(|t| t + Duration::from_secs(1)))
        .build()
        .map_err(|e| e.to_string())
}
