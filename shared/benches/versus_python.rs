//! Our webhook intake before its first I/O (verify + parse + plan) side by side with a reference
//! handler in Python written the way the AWS samples write it, on the same bodies in one run,
//! with HMAC-SHA256 of the same bytes as the ceiling (issue 7).
//!
//!     cargo bench -p helpdesk --bench versus_python
//!
//! Prints a table; it asserts nothing about speed. Under `cargo test` (no `--bench` argument) it
//! runs each side briefly to prove the harness works, and only notes a missing `python3`.

use std::hint::black_box;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use helpdesk::app::intake::webhook::sample::many_customers;
use helpdesk::app::intake::webhook::{SignatureVerifier, plan};
use secrecy::SecretString;

const APP_SECRET: &str = "bench-app-secret";
const FIRST_SENT_AT: i64 = 1_764_061_200;

/// A webhook shape and the speed-up over Python issue 7 asks for.
struct Case {
    messages: usize,
    goal: f64,
}

const CASES: [Case; 2] = [
    Case {
        messages: 1,
        goal: 7.0,
    },
    Case {
        messages: 1000,
        goal: 4.0,
    },
];

/// How long each side is measured: each round runs for at least `min_time`, the best round
/// counts (the same rule for both sides, so noise from the other core affects both alike).
#[derive(Debug, Clone, Copy)]
struct Effort {
    min_time: Duration,
    rounds: usize,
}

impl Effort {
    /// `cargo bench` passes `--bench`; `cargo test` does not and wants a quick run.
    fn from_args() -> (Self, bool) {
        let measuring = std::env::args().any(|a| a == "--bench");
        let effort = if measuring {
            Self {
                min_time: Duration::from_millis(1000),
                rounds: 5,
            }
        } else {
            Self {
                min_time: Duration::from_millis(5),
                rounds: 1,
            }
        };
        (effort, measuring)
    }
}

/// Best-of-rounds time of one call of `f`.
fn time_per_call(effort: Effort, mut f: impl FnMut()) -> Duration {
    let mut iterations: u32 = 1;
    let elapsed = loop {
        let start = Instant::now();
        for _ in 0..iterations {
            f();
        }
        let elapsed = start.elapsed();
        if elapsed >= effort.min_time / 10 || iterations >= 1 << 24 {
            break elapsed;
        }
        iterations *= 2;
    };
    let scale = effort.min_time.as_secs_f64() / elapsed.as_secs_f64().max(1e-9);
    let iterations = ((f64::from(iterations) * scale) as u32).max(1);
    (0..effort.rounds)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..iterations {
                f();
            }
            start.elapsed() / iterations
        })
        .min()
        .expect("at least one round")
}

/// What we measured for one case on our side.
struct Ours {
    bytes: usize,
    whole: Duration,
    hmac: Duration,
}

fn measure_ours(verifier: &SignatureVerifier, body: &str, case: &Case, effort: Effort) -> Ours {
    let signature = verifier.sign(body.as_bytes());
    let whole = time_per_call(effort, || {
        verifier
            .verify(
                Some(black_box(signature.as_bytes())),
                black_box(body.as_bytes()),
            )
            .expect("valid signature");
        let plan = plan(black_box(body.as_bytes())).expect("valid body");
        assert_eq!(plan.message_count(), case.messages);
        black_box(plan);
    });
    let hmac = time_per_call(effort, || {
        verifier
            .verify(
                Some(black_box(signature.as_bytes())),
                black_box(body.as_bytes()),
            )
            .expect("valid signature");
    });
    Ours {
        bytes: body.len(),
        whole,
        hmac,
    }
}

/// What the Python reference measured for one body.
struct Theirs {
    whole: Duration,
    hmac: Duration,
}

/// The Python version and its figures per body; `None` if there is no `python3` to run.
fn measure_python(bodies: &[PathBuf], effort: Effort) -> Option<(String, Vec<Theirs>)> {
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../benches/reference/webhook_reference.py");
    let output = Command::new("python3")
        .arg(&script)
        .args(["--secret", APP_SECRET])
        .args(["--min-time", &effort.min_time.as_secs_f64().to_string()])
        .args(["--rounds", &effort.rounds.to_string()])
        .args(bodies)
        .output();
    let output = match output {
        Ok(output) => output,
        Err(e) if e.kind() == ErrorKind::NotFound => return None,
        Err(e) => panic!("could not run python3 {}: {e}", script.display()),
    };
    assert!(
        output.status.success(),
        "the Python reference failed ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("the Python reference prints JSON");
    let micros = |v: &serde_json::Value, key: &str| {
        Duration::from_secs_f64(v[key].as_f64().expect("a number of microseconds") / 1e6)
    };
    let cases = report["cases"]
        .as_array()
        .expect("a list of cases")
        .iter()
        .map(|c| Theirs {
            whole: micros(c, "us_per_webhook"),
            hmac: micros(c, "verify_us_per_webhook"),
        })
        .collect();
    let version = format!(
        "{} {}",
        report["implementation"].as_str().unwrap_or("Python"),
        report["python"].as_str().unwrap_or("?")
    );
    Some((version, cases))
}

/// A directory of the bodies and their signature headers, removed when dropped.
struct Bodies {
    dir: PathBuf,
    files: Vec<PathBuf>,
}

impl Bodies {
    fn write(verifier: &SignatureVerifier, bodies: &[String]) -> std::io::Result<Self> {
        let dir =
            std::env::temp_dir().join(format!("helpdesk-versus-python-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let mut files = Vec::new();
        for (i, body) in bodies.iter().enumerate() {
            let file = dir.join(format!("webhook-{i}.json"));
            std::fs::write(&file, body)?;
            let mut signature = file.clone().into_os_string();
            signature.push(".sig");
            std::fs::write(signature, verifier.sign(body.as_bytes()))?;
            files.push(file);
        }
        Ok(Self { dir, files })
    }
}

impl Drop for Bodies {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn micros(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1e6)
}

fn main() {
    let (effort, measuring) = Effort::from_args();
    let verifier = SignatureVerifier::new(&SecretString::from(APP_SECRET));
    let bodies: Vec<String> = CASES
        .iter()
        .map(|c| many_customers(c.messages, FIRST_SENT_AT))
        .collect();

    let ours: Vec<Ours> = CASES
        .iter()
        .zip(&bodies)
        .map(|(case, body)| measure_ours(&verifier, body, case, effort))
        .collect();
    let files = Bodies::write(&verifier, &bodies).expect("writing the bodies to a temp dir");
    let python = measure_python(&files.files, effort);

    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let python_name = python.as_ref().map_or("no python3", |(v, _)| v.as_str());
    println!();
    println!(
        "webhook verify+parse+plan, ours vs Python reference ({}, {cpus} cpus, {python_name}; best of {} rounds of >= {:?})",
        std::env::consts::ARCH,
        effort.rounds,
        effort.min_time
    );
    if !measuring {
        println!(
            "(quick run under cargo test, unoptimised: figures mean nothing; run cargo bench)"
        );
    }
    println!(
        "{:<14} {:>8} {:>12} {:>12} {:>9} {:>6} {:>5} {:>12} {:>11}",
        "case", "bytes", "ours µs", "python µs", "speed-up", "goal", "met?", "hmac µs", "hmac MB/s"
    );
    for (i, (case, ours)) in CASES.iter().zip(&ours).enumerate() {
        let theirs = python.as_ref().and_then(|(_, t)| t.get(i));
        let speed_up = theirs.map(|t| t.whole.as_secs_f64() / ours.whole.as_secs_f64());
        println!(
            "{:<14} {:>8} {:>12} {:>12} {:>9} {:>6} {:>5} {:>12} {:>11.0}",
            format!(
                "{} message{}",
                case.messages,
                if case.messages == 1 { "" } else { "s" }
            ),
            ours.bytes,
            micros(ours.whole),
            theirs.map_or("n/a".into(), |t| micros(t.whole)),
            speed_up.map_or("n/a".into(), |s| format!("{s:.1}×")),
            format!("≥{}×", case.goal),
            speed_up.map_or("n/a", |s| if s >= case.goal { "yes" } else { "no" }),
            micros(ours.hmac),
            ours.bytes as f64 / ours.hmac.as_secs_f64() / 1e6,
        );
    }
    if let Some((_, theirs)) = &python {
        let hmac: Vec<String> = theirs.iter().map(|t| micros(t.hmac)).collect();
        println!(
            "python hmac.compare_digest of the HMAC-SHA256 hex alone, µs: {}",
            hmac.join(" / ")
        );
    }
    if python.is_none() {
        println!("note: python3 is not on PATH, so there are no Python figures and no speed-ups");
    }
    println!(
        "ours µs per message on the largest body: {:.3}",
        ours.last().map_or(0.0, |o| o.whole.as_secs_f64() * 1e6)
            / CASES.last().map_or(1, |c| c.messages) as f64
    );
}
