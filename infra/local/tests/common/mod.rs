//! The built `helpdesk-local` binary on a free loopback port (in memory), for tests that speak
//! to it over HTTP as a browser, Meta or a load generator would.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `helpdesk-local`, stopped when dropped.
pub struct Runner {
    child: Child,
    pub url: String,
    pub http: reqwest::Client,
}

impl Drop for Runner {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Runner {
    /// Starts the runner with the local defaults (demo keys, local app secret) and waits until
    /// it answers.
    pub async fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(env!("CARGO_BIN_EXE_helpdesk-local"))
            .env("HELPDESK_LISTEN", format!("127.0.0.1:{port}"))
            .env("RUST_LOG", "warn")
            .env_remove("HELPDESK_API_KEYS")
            .env_remove("WHATSAPP_APP_SECRET")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the runner starts");
        let runner = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
            http: helpdesk::platform::tls::http_client_builder()
                .build()
                .expect("an HTTP client"),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(r) = runner.http.get(runner.at("/dev/demo-keys")).send().await
                && r.status().is_success()
            {
                return runner;
            }
            assert!(Instant::now() < deadline, "the runner did not answer");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }
}
