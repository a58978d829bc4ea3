//! `TestCa`: a certificate authority made for one test (rcgen), and the certificate it signs for
//! the nodes (SAN 127.0.0.1 and localhost), written as the PEM files `coupon-node` reads.

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, SanType};
use rustls::pki_types::pem::PemObject;

pub struct TestCa {
    pub ca_pem: String,
    node_cert_pem: String,
    node_key_pem: String,
}

/// Where `TestCa::write` put the files.
pub struct TlsPaths {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl TestCa {
    pub fn new() -> Self {
        let ca_key = KeyPair::generate().expect("a CA key");
        let mut ca_params = CertificateParams::new(Vec::new()).expect("CA params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.distinguished_name.push(DnType::CommonName, "coupon test CA");
        let ca = ca_params.self_signed(&ca_key).expect("a self-signed CA");

        let node_key = KeyPair::generate().expect("a node key");
        let mut params = CertificateParams::new(vec!["localhost".to_owned()]).expect("params");
        params.subject_alt_names.push(SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)));
        params.distinguished_name.push(DnType::CommonName, "coupon-node");
        let node = params.signed_by(&node_key, &ca, &ca_key).expect("a node certificate");
        Self { ca_pem: ca.pem(), node_cert_pem: node.pem(), node_key_pem: node_key.serialize_pem() }
    }

    pub fn write(&self, dir: &Path) -> TlsPaths {
        let paths = TlsPaths {
            ca: dir.join("ca.pem"),
            cert: dir.join("node.pem"),
            key: dir.join("node-key.pem"),
        };
        std::fs::write(&paths.ca, &self.ca_pem).expect("ca.pem");
        std::fs::write(&paths.cert, &self.node_cert_pem).expect("node.pem");
        std::fs::write(&paths.key, &self.node_key_pem).expect("node-key.pem");
        paths
    }

    /// A rustls client configuration that trusts this CA only (for the harness's probes).
    pub fn rustls_client(&self) -> Arc<rustls::ClientConfig> {
        let mut roots = rustls::RootCertStore::empty();
        let der = rustls::pki_types::CertificateDer::from_pem_slice(self.ca_pem.as_bytes())
            .expect("the CA in PEM");
        roots.add(der).expect("a root");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        Arc::new(config)
    }
}
