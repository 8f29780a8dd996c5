//! Test support: runs of the real binary that can never hang a test. Each run is killed, and the test
//! failed with what it printed, once its time limit has passed; its stderr can be watched while it
//! runs (to act when it says it is waiting).

use super::RunOutput;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

/// A running `bellatrix-migrate`, killed when dropped.
pub struct Running {
    child: Child,
    started: Instant,
    limit: Duration,
    stdout: Option<std::thread::JoinHandle<String>>,
    stderr_lines: Receiver<String>,
    stderr: Vec<String>,
}

/// Starts the binary with `--database-url url` and `args`, to be ended within `limit`.
pub fn spawn(url: &str, args: &[&str], limit: Duration) -> Running {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("bellatrix-migrate"))
        .env_remove("DATABASE_URL")
        .arg("--database-url")
        .arg(url)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting bellatrix-migrate");
    let mut out = child.stdout.take().expect("a piped stdout");
    let stdout = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = out.read_to_string(&mut text);
        text
    });
    let err = child.stderr.take().expect("a piped stderr");
    let (tx, stderr_lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    Running {
        child,
        started: Instant::now(),
        limit,
        stdout: Some(stdout),
        stderr_lines,
        stderr: Vec::new(),
    }
}

/// Runs the binary to its end, within `limit` (else kills it and fails the test).
pub fn run(url: &str, args: &[&str], limit: Duration) -> (RunOutput, Duration) {
    let running = spawn(url, args, limit);
    running.wait()
}

impl Running {
    /// The process id, to signal it.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Whether it is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Waits until a line of stderr contains `text` and returns it; fails the test when the run ends
    /// first or its time limit passes.
    pub fn wait_for_stderr(&mut self, text: &str) -> String {
        loop {
            if let Some(line) = self.stderr.iter().find(|l| l.contains(text)) {
                return line.clone();
            }
            match self.stderr_lines.recv_timeout(Duration::from_millis(50)) {
                Ok(line) => self.stderr.push(line),
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => panic!(
                    "the run ended without printing {text:?}; stderr:\n{}",
                    self.stderr.join("\n")
                ),
            }
            if self.started.elapsed() > self.limit {
                let _ = self.child.kill();
                panic!(
                    "no {text:?} on stderr within {:?}; stderr:\n{}",
                    self.limit,
                    self.stderr.join("\n")
                );
            }
        }
    }

    /// Waits for the end of the run within its limit and returns what it printed and how long it
    /// took; kills it and fails the test when the limit passes.
    pub fn wait(mut self) -> (RunOutput, Duration) {
        let status = loop {
            if let Some(status) = self
                .child
                .try_wait()
                .expect("waiting for bellatrix-migrate")
            {
                break status;
            }
            if self.started.elapsed() > self.limit {
                let _ = self.child.kill();
                let _ = self.child.wait();
                self.stderr.extend(self.stderr_lines.try_iter());
                panic!(
                    "bellatrix-migrate did not end within {:?} (killed); stderr:\n{}",
                    self.limit,
                    self.stderr.join("\n")
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let elapsed = self.started.elapsed();
        let stdout = self
            .stdout
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default();
        // The reader thread ends with the pipe; collect what is left.
        while let Ok(line) = self.stderr_lines.recv_timeout(Duration::from_secs(5)) {
            self.stderr.push(line);
        }
        (
            RunOutput {
                code: status.code().unwrap_or(-1),
                stdout,
                stderr: self.stderr.join("\n"),
            },
            elapsed,
        )
    }

    /// Kills the run with SIGKILL and waits for it.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
