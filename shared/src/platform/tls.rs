//! TLS for every outbound HTTPS connection: rustls with the `ring` crypto provider. The AWS
//! clients get theirs from [`crate::platform::wiring::sdk_loader`]; the Cloud API, the order API and the
//! local tools build their reqwest clients here, which installs `ring` as the process default
//! first (reqwest is built without a provider of its own, so a client built any other way
//! would find none).

use rustls::crypto::CryptoProvider;

/// Makes `ring` the process-wide rustls provider, unless one is already installed.
pub fn install_crypto_provider() {
    if CryptoProvider::get_default().is_none() {
        // Losing a race to another thread installing the same provider is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// A reqwest client builder whose TLS uses the process provider.
pub fn http_client_builder() -> reqwest::ClientBuilder {
    install_crypto_provider();
    reqwest::Client::builder()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_clients_build_with_the_ring_provider() {
        let client = http_client_builder().build();
        assert!(client.is_ok(), "{client:?}");
        assert!(CryptoProvider::get_default().is_some());
    }
}
