//! `TlsFiles`: the PEM files of `--tls-cert`, `--tls-key` and `--tls-ca`, read once at start.
//! Their contents are parsed when the node starts (`tls`, production builds only), so a bad
//! file stops the node before it listens.

use std::path::{Path, PathBuf};

use super::ConfigError;

/// One PEM file and its bytes. `Debug` shows the path only: a key must not reach a log.
#[derive(Clone)]
pub struct PemFile {
    pub path: PathBuf,
    pub text: Vec<u8>,
}

impl std::fmt::Debug for PemFile {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_tuple("PemFile").field(&self.path).finish()
    }
}

/// What TLS a node uses: `server` for both of its listeners (and https:// to its peers), `ca`
/// to trust beside the system roots when it calls peers and the webhook.
#[derive(Clone, Debug, Default)]
pub struct TlsFiles {
    pub server: Option<ServerFiles>,
    pub ca: Option<PemFile>,
}

#[derive(Clone, Debug)]
pub struct ServerFiles {
    pub cert: PemFile,
    pub key: PemFile,
}

impl TlsFiles {
    /// A certificate goes with its key: both or neither.
    pub fn read(
        cert: Option<&Path>,
        key: Option<&Path>,
        ca: Option<&Path>,
    ) -> Result<Self, ConfigError> {
        let server = match (cert, key) {
            (Some(cert), Some(key)) => {
                Some(ServerFiles { cert: read("--tls-cert", cert)?, key: read("--tls-key", key)? })
            }
            (None, None) => None,
            (Some(_), None) => return Err(ConfigError::TlsPair { given: "--tls-cert" }),
            (None, Some(_)) => return Err(ConfigError::TlsPair { given: "--tls-key" }),
        };
        let ca = ca.map(|path| read("--tls-ca", path)).transpose()?;
        Ok(Self { server, ca })
    }

    /// Whether the listeners serve TLS (and peers are called over https://).
    pub fn serves_tls(&self) -> bool {
        self.server.is_some()
    }
}

fn read(flag: &'static str, path: &Path) -> Result<PemFile, ConfigError> {
    match std::fs::read(path) {
        Ok(text) if !text.is_empty() => Ok(PemFile { path: path.to_owned(), text }),
        Ok(_) => Err(ConfigError::TlsFileEmpty { flag, path: path.to_owned() }),
        Err(source) => Err(ConfigError::TlsFile { flag, path: path.to_owned(), source }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn config(flags: &[&str]) -> Result<Config, ConfigError> {
        Config::from_args(std::iter::once("coupon-node").chain(flags.iter().copied()))
    }

    #[test]
    fn a_certificate_needs_its_key_and_files_must_be_readable() {
        let dir = tempfile::tempdir().unwrap();
        let pem = dir.path().join("node.pem");
        std::fs::write(&pem, "-----BEGIN CERTIFICATE-----\n").unwrap();
        let pem = pem.to_str().unwrap();
        let missing = dir.path().join("missing.pem");
        let missing = missing.to_str().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "").unwrap();
        let empty = empty.to_str().unwrap();

        let alone = config(&["--tls-cert", pem]).unwrap_err();
        assert!(matches!(alone, ConfigError::TlsPair { given: "--tls-cert" }), "{alone}");
        assert!(alone.to_string().contains("--tls-key"), "{alone}");
        let alone = config(&["--tls-key", pem]).unwrap_err();
        assert!(matches!(alone, ConfigError::TlsPair { given: "--tls-key" }), "{alone}");
        let unreadable = config(&["--tls-cert", pem, "--tls-key", missing]).unwrap_err();
        assert!(matches!(unreadable, ConfigError::TlsFile { flag: "--tls-key", .. }));
        assert!(unreadable.to_string().contains("missing.pem"), "{unreadable}");
        let hollow = config(&["--tls-cert", pem, "--tls-key", pem, "--tls-ca", empty]);
        assert!(matches!(hollow, Err(ConfigError::TlsFileEmpty { flag: "--tls-ca", .. })));

        let served = config(&["--tls-cert", pem, "--tls-key", pem, "--tls-ca", pem]).unwrap();
        assert!(served.tls.serves_tls());
        assert!(!format!("{:?}", served.tls).contains("BEGIN"), "Debug shows paths only");
        let plain = config(&[]).unwrap();
        assert!(!plain.tls.serves_tls() && plain.tls.ca.is_none());
        // A CA alone: plain listeners, https webhooks signed by that CA.
        assert!(!config(&["--tls-ca", pem]).unwrap().tls.serves_tls());
    }
}
