//! The system's trusted certificates, read once, by the first https request, and shared by
//! both HTTP clients. reqwest read them when each client was built: twice per sync, https
//! or not, about 4.5 ms of the 10.5 ms of CPU a one-feed sync takes on one CPU
//! (BENCHMARKS.md, "the trusted certificates read by the first https request"). A sync of
//! http sources now never reads them.
//!
//! The checks are rustls-platform-verifier's, as reqwest would have made them: this only
//! puts off building its verifier. A handshake's signatures need no trusted roots, so they
//! are checked by the crypto provider's own functions, as that verifier does.

use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use rustls_platform_verifier::Verifier;

#[derive(Debug)]
pub(super) struct SystemTrust {
    provider: Arc<CryptoProvider>,
    verifier: OnceLock<Result<Verifier, Arc<str>>>,
}

impl SystemTrust {
    /// Reads nothing yet.
    pub(super) fn new() -> Arc<Self> {
        // The provider reqwest itself would use: one installed by the program, else aws-lc-rs.
        let provider =
            CryptoProvider::get_default().cloned().unwrap_or_else(|| Arc::new(rustls::crypto::aws_lc_rs::default_provider()));
        Arc::new(Self { provider, verifier: OnceLock::new() })
    }

    /// A TLS configuration for reqwest with reqwest's defaults (TLS 1.2 and 1.3, SNI, HTTP/2
    /// then HTTP/1.1 offered by ALPN) that checks servers against these certificates.
    pub(super) fn client_config(self: &Arc<Self>) -> Result<rustls::ClientConfig, rustls::Error> {
        let mut config = rustls::ClientConfig::builder_with_provider(self.provider.clone())
            .with_safe_default_protocol_versions()?
            .dangerous()
            .with_custom_certificate_verifier(self.clone())
            .with_no_client_auth();
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(config)
    }

    /// Reads the certificates the first time; why they could not be, if not (every later
    /// call gives the same answer).
    pub(super) fn load(&self) -> Result<(), &str> {
        self.verifier().map(|_| ()).map_err(|why| &**why)
    }

    fn verifier(&self) -> Result<&Verifier, &Arc<str>> {
        self.verifier.get_or_init(|| Verifier::new(self.provider.clone()).map_err(|e| Arc::from(e.to_string()))).as_ref()
    }
}

impl ServerCertVerifier for SystemTrust {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.verifier() {
            Ok(verifier) => verifier.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now),
            Err(why) => Err(rustls::Error::General(format!("the system's trusted certificates could not be read: {why}"))),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}
