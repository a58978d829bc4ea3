//! `ServerTls` and `TrustedCa`: the node's certificate for both of its listeners and the CA it
//! trusts when it calls peers and webhooks, parsed from PEM once when the node starts.
//!
//! rustls with the ring provider only (never aws-lc-rs); TLS 1.2 and 1.3.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::crypto::ring;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// One PEM file as read by the configuration: which flag named it, where, and its bytes.
#[derive(Debug, Clone, Copy)]
pub struct Pem<'a> {
    pub flag: &'static str,
    pub path: &'a Path,
    pub text: &'a [u8],
}

#[derive(Debug, thiserror::Error)]
#[error("{flag} {path:?}: {problem}")]
pub struct TlsError {
    pub flag: &'static str,
    pub path: PathBuf,
    #[source]
    pub problem: PemProblem,
}

#[derive(Debug, thiserror::Error)]
pub enum PemProblem {
    #[error("holds no PEM certificate (-----BEGIN CERTIFICATE-----)")]
    NoCertificate,
    #[error("holds no PEM private key (PKCS#8, PKCS#1 or SEC1)")]
    NoKey,
    #[error("is not valid PEM: {0}")]
    Pem(#[from] rustls_pki_types::pem::Error),
    #[error("is refused by rustls (a key that does not match the certificate?): {0}")]
    Rustls(#[from] rustls::Error),
    #[error("is not a certificate reqwest accepts: {0}")]
    Reqwest(#[from] reqwest::Error),
}

impl Pem<'_> {
    fn error(&self, problem: impl Into<PemProblem>) -> TlsError {
        TlsError { flag: self.flag, path: self.path.to_owned(), problem: problem.into() }
    }

    fn certificates(&self) -> Result<Vec<CertificateDer<'static>>, TlsError> {
        let certificates = CertificateDer::pem_slice_iter(self.text)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| self.error(error))?;
        if certificates.is_empty() {
            return Err(self.error(PemProblem::NoCertificate));
        }
        Ok(certificates)
    }

    fn private_key(&self) -> Result<PrivateKeyDer<'static>, TlsError> {
        PrivateKeyDer::from_pem_slice(self.text).map_err(|error| match error {
            rustls_pki_types::pem::Error::NoItemsFound => self.error(PemProblem::NoKey),
            other => self.error(other),
        })
    }
}

/// What the listeners hand every accepted connection: the certificate chain and its key.
#[derive(Clone)]
pub struct ServerTls(pub Arc<rustls::ServerConfig>);

impl std::fmt::Debug for ServerTls {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("ServerTls")
    }
}

impl ServerTls {
    /// The chain in `cert` (leaf first) and the key in `key`; refuses a key that does not match.
    /// HTTP/1.1 only, as the listeners serve it.
    pub fn from_pem(cert: Pem<'_>, key: Pem<'_>) -> Result<Self, TlsError> {
        let chain = cert.certificates()?;
        let private_key = key.private_key()?;
        let mut config =
            rustls::ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
                .with_safe_default_protocol_versions()
                .map_err(|error| cert.error(error))?
                .with_no_client_auth()
                .with_single_cert(chain, private_key)
                .map_err(|error| key.error(error))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Self(Arc::new(config)))
    }
}

/// `--tls-ca`: the certificates a node trusts, beside the system roots, when it calls its peers
/// and the alert webhook.
#[derive(Clone, Debug)]
pub struct TrustedCa(pub Vec<reqwest::Certificate>);

impl TrustedCa {
    pub fn from_pem(ca: Pem<'_>) -> Result<Self, TlsError> {
        let certificates = ca
            .certificates()?
            .iter()
            .map(|der| reqwest::Certificate::from_der(der))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| ca.error(error))?;
        Ok(Self(certificates))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pem<'a>(flag: &'static str, text: &'a [u8]) -> Pem<'a> {
        Pem { flag, path: Path::new("/etc/coupon/x.pem"), text }
    }

    fn certified(name: &str) -> rcgen::CertifiedKey {
        rcgen::generate_simple_self_signed(vec![name.to_owned()]).unwrap()
    }

    #[test]
    fn a_certificate_and_its_key_make_a_server_config() {
        let node = certified("localhost");
        let (cert, key) = (node.cert.pem(), node.key_pair.serialize_pem());
        let tls = ServerTls::from_pem(
            pem("--tls-cert", cert.as_bytes()),
            pem("--tls-key", key.as_bytes()),
        );
        assert!(tls.is_ok());
        assert_eq!(TrustedCa::from_pem(pem("--tls-ca", cert.as_bytes())).unwrap().0.len(), 1);
    }

    #[test]
    fn bad_pem_is_refused_naming_the_flag_and_the_file() {
        let node = certified("localhost");
        let other = certified("elsewhere");
        let (cert, key) = (node.cert.pem(), node.key_pair.serialize_pem());
        let cert = pem("--tls-cert", cert.as_bytes());
        let key_pem = pem("--tls-key", key.as_bytes());
        let refuse = |cert: Pem<'_>, key: Pem<'_>| ServerTls::from_pem(cert, key).unwrap_err();

        let swapped = refuse(pem("--tls-cert", key.as_bytes()), pem("--tls-key", cert.text));
        assert!(matches!(swapped.problem, PemProblem::NoCertificate), "{swapped}");
        assert_eq!(swapped.flag, "--tls-cert");
        let no_key = refuse(cert, pem("--tls-key", b"not pem at all"));
        assert!(matches!(no_key.problem, PemProblem::NoKey), "{no_key}");
        assert!(no_key.to_string().contains("--tls-key \"/etc/coupon/x.pem\""), "{no_key}");
        let other_key = other.key_pair.serialize_pem();
        let mismatched = refuse(cert, pem("--tls-key", other_key.as_bytes()));
        assert!(matches!(mismatched.problem, PemProblem::Rustls(_)), "{mismatched}");
        let broken = b"-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n";
        let broken = refuse(pem("--tls-cert", broken), key_pem);
        assert!(matches!(broken.problem, PemProblem::Pem(_)), "{broken}");
        assert!(TrustedCa::from_pem(pem("--tls-ca", b"")).is_err());
    }
}
