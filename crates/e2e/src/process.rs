//! Child processes owned by a test: started with a log file, killed (SIGKILL) on drop.

use std::{
    fs::OpenOptions,
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
};

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("repo root")
}

/// A workspace binary from the target directory this test was built into.
pub fn workspace_bin(name: &str) -> PathBuf {
    // The test runs from <target>/<profile>/deps/<test>-<hash>.
    let exe = std::env::current_exe().expect("test executable");
    let profile_dir = exe.parent().and_then(Path::parent).expect("target profile dir");
    let bin = profile_dir.join(name);
    assert!(
        bin.exists(),
        "{} is missing: build the workspace binaries first (cargo build --workspace --bins)",
        bin.display()
    );
    bin
}

/// A tool from `.tools/bin` (deploy/install-tools.sh).
pub fn tool(name: &str) -> PathBuf {
    let path = repo_root().join(".tools/bin").join(name);
    assert!(path.exists(), "{} is missing: run deploy/install-tools.sh", path.display());
    path
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

/// A process a test owns.
#[derive(Debug)]
pub struct Service {
    /// Its name in logs and messages.
    pub name: String,
    program: PathBuf,
    args: Vec<String>,
    envs: Vec<(String, String)>,
    /// Its log file (stdout and stderr, appended across restarts).
    pub log: PathBuf,
    child: Option<Child>,
}

impl Service {
    /// Starts `program args` with its output appended to `log`.
    pub fn start(name: &str, program: &Path, args: &[String], log: &Path) -> Self {
        Self::start_with_env(name, program, args, &[], log)
    }

    /// Like [`Self::start`], with extra environment variables.
    pub fn start_with_env(
        name: &str,
        program: &Path,
        args: &[String],
        envs: &[(String, String)],
        log: &Path,
    ) -> Self {
        let mut service = Self {
            name: name.to_string(),
            program: program.to_path_buf(),
            args: args.to_vec(),
            envs: envs.to_vec(),
            log: log.to_path_buf(),
            child: None,
        };
        service.spawn();
        service
    }

    fn spawn(&mut self) {
        let out = OpenOptions::new().create(true).append(true).open(&self.log).expect("log file");
        let err = out.try_clone().expect("log file");
        let child = Command::new(&self.program)
            .args(&self.args)
            .envs(self.envs.iter().map(|(k, v)| (k, v)))
            .env("NO_COLOR", "1")
            .env("RUST_LOG", std::env::var("TREX_E2E_LOG").unwrap_or_else(|_| "info".into()))
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|err| panic!("cannot start {}: {err}", self.program.display()));
        self.child = Some(child);
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        self.child.as_mut().is_some_and(|child| child.try_wait().ok().flatten().is_none())
    }

    /// Freezes (`true`, SIGSTOP) or resumes (`false`, SIGCONT) the process: an unresponsive peer
    /// whose connections stay open.
    pub fn freeze(&self, frozen: bool) {
        let child = self.child.as_ref().expect("running");
        let signal = if frozen { "-STOP" } else { "-CONT" };
        let status = std::process::Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success(), "kill {signal} {}", self.name);
    }

    /// SIGKILL: no chance to flush or clean up.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the process again with the same arguments.
    pub fn restart(&mut self) {
        self.kill9();
        self.spawn();
    }

    /// The last `n` lines of the log, for failure messages.
    pub fn log_tail(&self, n: usize) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let start = lines.len().saturating_sub(n);
        format!(
            "--- last lines of {} ({}) ---\n{}",
            self.name,
            self.log.display(),
            lines[start..].join("\n")
        )
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.kill9();
    }
}
