//! TLS with rustls, with libpq's meaning of each `sslmode`: `verify-full` checks the certificate
//! chain and the host name, `verify-ca` only the chain, and `require`/`prefer`/`allow` check the
//! chain only when a root certificate is at hand (as libpq does with `~/.postgresql/root.crt`),
//! otherwise they encrypt without authenticating the server. Used by `connect`.

pub use crate::model::connection::Verification;

use super::conninfo::{RootCerts, SettingsError, SslMode, TlsSettings};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio_postgres::tls::TlsConnect;

impl Verification {
    /// What each mode checks, given the roots available.
    pub fn of(settings: &TlsSettings) -> Self {
        match (settings.mode, &settings.root) {
            (SslMode::VerifyFull, _) => Self::ChainAndHostName,
            (_, RootCerts::None) => Self::NotVerified,
            _ => Self::Chain,
        }
    }
}

/// The rustls configuration for `settings` (not used when the mode is `disable`).
pub fn client_config(settings: &TlsSettings) -> Result<rustls::ClientConfig, SettingsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier: Arc<dyn ServerCertVerifier> = match Verification::of(settings) {
        Verification::NotVerified => Arc::new(Lenient {
            chain: None,
            provider: provider.clone(),
        }),
        Verification::Chain => Arc::new(Lenient {
            chain: Some(webpki(settings, &provider)?),
            provider: provider.clone(),
        }),
        Verification::ChainAndHostName => webpki(settings, &provider)?,
    };
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| SettingsError::Tls(format!("setting up TLS: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let mut config = match &settings.client {
        None => builder.with_no_client_auth(),
        Some((cert, key)) => builder
            .with_client_auth_cert(certificates(cert)?, private_key(key)?)
            .map_err(|e| {
                SettingsError::Tls(format!("client certificate {}: {e}", cert.display()))
            })?,
    };
    // PostgreSQL 17 checks the protocol name when a client sends one; older servers ignore it.
    config.alpn_protocols = vec![b"postgresql".to_vec()];
    Ok(config)
}

fn webpki(
    settings: &TlsSettings,
    provider: &Arc<CryptoProvider>,
) -> Result<Arc<WebPkiServerVerifier>, SettingsError> {
    let mut roots = RootCertStore::empty();
    match &settings.root {
        RootCerts::File(path) => {
            for cert in certificates(path)? {
                roots.add(cert).map_err(|e| {
                    SettingsError::Tls(format!("root certificate file {}: {e}", path.display()))
                })?;
            }
        }
        RootCerts::System => {
            let found = rustls_native_certs::load_native_certs();
            let (added, _) = roots.add_parsable_certificates(found.certs);
            if added == 0 {
                return Err(SettingsError::Tls(
                    "sslrootcert=system: no trusted root certificates found on this machine \
                     (install ca-certificates, or give sslrootcert=FILE)"
                        .to_owned(),
                ));
            }
        }
        RootCerts::None => {}
    }
    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| SettingsError::Tls(format!("root certificates: {e}")))
}

fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, SettingsError> {
    let unreadable = |e: &dyn std::fmt::Display| {
        SettingsError::Tls(format!("certificate file {}: {e}", path.display()))
    };
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| unreadable(&e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| unreadable(&e))?;
    if certs.is_empty() {
        return Err(unreadable(&"no PEM certificate in it"));
    }
    Ok(certs)
}

/// The client's key, refused (as libpq does) when others may read it.
fn private_key(path: &Path) -> Result<PrivateKeyDer<'static>, SettingsError> {
    use std::os::unix::fs::MetadataExt;
    let metadata = std::fs::metadata(path)
        .map_err(|e| SettingsError::Tls(format!("private key file {}: {e}", path.display())))?;
    let mode = metadata.mode() & 0o777;
    let root_owned_group_readable = metadata.uid() == 0 && mode & 0o037 == 0;
    if mode & 0o077 != 0 && !root_owned_group_readable {
        return Err(SettingsError::Tls(format!(
            "private key file {} has group or world access (mode {mode:04o}); permissions should \
             be u=rw (0600) or less",
            path.display()
        )));
    }
    PrivateKeyDer::from_pem_file(path)
        .map_err(|e| SettingsError::Tls(format!("private key file {}: {e}", path.display())))
}

/// The verifier of `verify-ca` and of `require` without a root certificate. With `chain`, the
/// chain must lead to a trusted root and only a wrong name is forgiven (`verify-ca`); without it any
/// certificate is accepted (libpq does the same). Either way the handshake signatures are checked,
/// so the session key is shared with the certificate's owner.
#[derive(Debug)]
struct Lenient {
    chain: Option<Arc<WebPkiServerVerifier>>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Lenient {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(chain) = &self.chain else {
            return Ok(ServerCertVerified::assertion());
        };
        match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.provider.signature_verification_algorithms;
        rustls::crypto::verify_tls12_signature(message, cert, dss, algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.provider.signature_verification_algorithms;
        rustls::crypto::verify_tls13_signature(message, cert, dss, algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// A TLS connector that records whether the server accepted TLS: tokio-postgres calls `connect`
/// only after the server answered the SSL request with yes, and a failed handshake fails the
/// connection, so a connection that opened with the flag set is encrypted.
pub struct Flagged<T> {
    pub inner: T,
    pub used: Arc<AtomicBool>,
}

impl<S, T: TlsConnect<S>> TlsConnect<S> for Flagged<T> {
    type Stream = T::Stream;
    type Error = T::Error;
    type Future = T::Future;

    fn connect(self, stream: S) -> Self::Future {
        self.used.store(true, Ordering::SeqCst);
        self.inner.connect(stream)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn settings(mode: SslMode, root: RootCerts) -> TlsSettings {
        TlsSettings {
            mode,
            root,
            client: None,
        }
    }

    #[test]
    fn each_mode_checks_what_libpq_checks() {
        let file = RootCerts::File(PathBuf::from("ca.pem"));
        assert_eq!(
            Verification::of(&settings(SslMode::Require, RootCerts::None)),
            Verification::NotVerified
        );
        assert_eq!(
            Verification::of(&settings(SslMode::Require, file.clone())),
            Verification::Chain
        );
        assert_eq!(
            Verification::of(&settings(SslMode::VerifyCa, file.clone())),
            Verification::Chain
        );
        assert_eq!(
            Verification::of(&settings(SslMode::VerifyFull, file)),
            Verification::ChainAndHostName
        );
    }

    #[test]
    fn a_readable_private_key_is_refused_and_a_missing_certificate_named() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("client.key");
        std::fs::write(&key, "not a key").unwrap();
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = private_key(&key).unwrap_err().to_string();
        // Root-owned 0640 is allowed by libpq; the test runs as whoever, so only 0644 is checked.
        assert!(e.contains("group or world access"), "{e}");
        let e = certificates(&dir.path().join("none.pem"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("none.pem"), "{e}");
    }
}
