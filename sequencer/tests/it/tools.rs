//! The real developer tools the tests drive (`forge`, `cast`, `anvil`, `node`, `npm`): where they
//! are, how to run them with a time limit, and a cross-process lock for steps that write into the
//! shared checkout (`forge build`, `npm ci`).

use std::{
    ffi::OsStr,
    fs::File,
    io::Read,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    thread,
    time::{Duration, Instant},
};

/// The workspace root (the parent of `sequencer/`).
pub(crate) fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("sequencer/ has a parent").to_path_buf()
}

/// The Foundry project.
pub(crate) fn contracts_dir() -> PathBuf {
    repo_root().join("contracts")
}

/// Where `deploy/install-tools.sh` puts forge, anvil, cast and solc; `TREX_TOOLS_BIN` overrides.
pub(crate) fn tools_bin() -> PathBuf {
    std::env::var_os("TREX_TOOLS_BIN").map_or_else(|| repo_root().join(".tools/bin"), PathBuf::from)
}

/// The path of a Foundry tool installed by `deploy/install-tools.sh`. Panics with the fix if it is
/// missing: these tests never skip silently.
pub(crate) fn foundry(name: &str) -> PathBuf {
    let path = tools_bin().join(name);
    assert!(
        path.is_file(),
        "`{name}` not found at {}: run deploy/install-tools.sh (it installs forge, anvil, cast \
         and solc into .tools/bin), or set TREX_TOOLS_BIN",
        path.display()
    );
    path
}

/// A command for a system tool that must be on PATH (`node`, `npm`).
pub(crate) fn system(name: &str) -> Command {
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(name).is_file()))
        .unwrap_or(false);
    assert!(found, "`{name}` is not on PATH: install Node.js 20+ (it comes with npm)");
    Command::new(name)
}

/// A command for a tool in `.tools/bin`, with `.tools/bin` first on PATH (so forge finds the solc
/// wrapper) and colours off.
pub(crate) fn tool(name: &str) -> Command {
    let mut cmd = Command::new(foundry(name));
    cmd.env("PATH", path_with_tools())
        .env("NO_COLOR", "1")
        .env("FOUNDRY_DISABLE_NIGHTLY_WARNING", "1");
    cmd
}

/// PATH with `.tools/bin` in front.
pub(crate) fn path_with_tools() -> std::ffi::OsString {
    let mut dirs = vec![tools_bin()];
    if let Some(p) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&p));
    }
    std::env::join_paths(dirs).expect("join PATH")
}

/// The captured result of a finished command.
#[derive(Debug)]
pub(crate) struct Output {
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

/// Runs `cmd` to completion within `timeout`, panicking with its command line, exit status,
/// stdout and stderr if it fails or times out. Returns stdout and stderr.
pub(crate) fn run(cmd: &mut Command, timeout: Duration) -> Output {
    let (ok, status, out) = run_unchecked(cmd, timeout);
    assert!(
        ok,
        "command failed ({status}): {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        describe(cmd),
        out.stdout,
        out.stderr
    );
    out
}

/// Runs `cmd` within `timeout`; returns whether it exited 0, a description of how it ended, and
/// its output. A command that runs past `timeout` is killed and reported as failed.
pub(crate) fn run_unchecked(cmd: &mut Command, timeout: Duration) -> (bool, String, Output) {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", describe(cmd)));
    let mut so = child.stdout.take().expect("piped stdout");
    let mut se = child.stderr.take().expect("piped stderr");
    let t_out = thread::spawn(move || {
        let mut s = String::new();
        let _ = so.read_to_string(&mut s);
        s
    });
    let t_err = thread::spawn(move || {
        let mut s = String::new();
        let _ = se.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for child") {
            break format!("{status}");
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            break format!("timed out after {timeout:?} and was killed");
        }
        thread::sleep(Duration::from_millis(20));
    };
    let out = Output {
        stdout: t_out.join().unwrap_or_default(),
        stderr: t_err.join().unwrap_or_default(),
    };
    (status == "exit status: 0", status, out)
}

/// A readable command line for error messages.
pub(crate) fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&shell_quote(a));
    }
    if let Some(dir) = cmd.get_current_dir() {
        s.push_str(&format!("  (in {})", dir.display()));
    }
    s
}

fn shell_quote(a: &OsStr) -> String {
    let a = a.to_string_lossy();
    if !a.is_empty() && a.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:=@,".contains(c)) {
        a.into_owned()
    } else {
        format!("'{}'", a.replace('\'', r"'\''"))
    }
}

/// Holds an exclusive lock on a file in the target directory for as long as it lives, so that
/// test processes running in parallel (nextest runs each test in its own process) do not write
/// into the same checkout directory at the same time.
pub(crate) struct RepoLock {
    _file: File,
}

impl RepoLock {
    pub(crate) fn acquire(name: &str) -> Self {
        let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("trex-it-{name}.lock"));
        let file = File::create(&path).unwrap_or_else(|e| panic!("create {}: {e}", path.display()));
        file.lock().unwrap_or_else(|e| panic!("lock {}: {e}", path.display()));
        Self { _file: file }
    }
}

/// Compiles the Foundry project once (forge skips unchanged sources), under the repo lock.
pub(crate) fn forge_build() {
    let _lock = RepoLock::acquire("contracts");
    run(tool("forge").arg("build").current_dir(contracts_dir()), Duration::from_secs(600));
    let artifact = devtoken_artifact();
    assert!(artifact.is_file(), "forge build did not produce {}", artifact.display());
}

/// The forge artifact of the OpenZeppelin `DevToken` example.
pub(crate) fn devtoken_artifact() -> PathBuf {
    contracts_dir().join("out/DevToken.sol/DevToken.json")
}
