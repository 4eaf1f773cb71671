//! The real `trex-da-bridge` binary: durability across `kill -9`, start-up errors.

use std::{
    net::TcpListener,
    path::Path,
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};
use trex_da_client::DaClient;

const BIN: &str = env!("CARGO_BIN_EXE_trex-da-bridge");

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn spawn(datadir: &Path, port: u16) -> Child {
    Command::new(BIN)
        .args(["--addr", &format!("127.0.0.1:{port}"), "--datadir"])
        .arg(datadir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

async fn wait_healthy(client: &DaClient) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while client.health().await.is_err() {
        assert!(Instant::now() < deadline, "bridge did not become healthy");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_puts_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let client =
        DaClient::new(&format!("http://127.0.0.1:{port}"), Duration::from_secs(5)).unwrap();
    let mut child = spawn(dir.path(), port);
    wait_healthy(&client).await;

    // Four writers put distinct blobs as fast as they can; the bridge is killed mid-stream.
    let acked = Arc::new(Mutex::new(Vec::new()));
    let writers: Vec<_> = (0..4u32)
        .map(|writer| {
            let client = client.clone();
            let acked = acked.clone();
            tokio::spawn(async move {
                for i in 0u32.. {
                    let data =
                        format!("writer {writer} blob {i} {}", "x".repeat(4096)).into_bytes();
                    match client.put(&data).await {
                        Ok(commitment) => acked.lock().unwrap().push((commitment, data)),
                        Err(_) => break,
                    }
                }
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(30);
    while acked.lock().unwrap().len() < 200 {
        assert!(Instant::now() < deadline, "too few puts acknowledged");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    for writer in writers {
        writer.await.unwrap();
    }
    let acked = std::mem::take(&mut *acked.lock().unwrap());
    assert!(acked.len() >= 200);

    let mut child = spawn(dir.path(), port);
    wait_healthy(&client).await;
    for (commitment, data) in &acked {
        assert_eq!(client.get(commitment).await.unwrap().as_ref(), data.as_slice());
    }
    // Still writable after the crash.
    let commitment = client.put(b"after restart").await.unwrap();
    assert_eq!(client.get(&commitment).await.unwrap().as_ref(), b"after restart");

    // SIGTERM stops it cleanly.
    let term = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(term.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("no clean exit after SIGTERM");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(status.success(), "{status}");
}

/// Runs the binary with `args` (on a free port unless `args` sets `--addr`) and returns its
/// stderr; it must exit with a failure within 20 s.
fn startup_error(args: &[&str]) -> String {
    let mut command = Command::new(BIN);
    if !args.iter().any(|a| a.starts_with("--addr")) {
        command.arg(format!("--addr=127.0.0.1:{}", free_port()));
    }
    let mut child = command
        .args(args)
        .env("RUST_LOG", "off")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("{args:?} started instead of failing");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(!status.success(), "{args:?} exited successfully");
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    stderr
}

#[test]
fn bad_config_fails_at_start_up() {
    let stderr = startup_error(&["--backend", "celestia", "--celestia.namespace", "74726578"]);
    assert!(stderr.contains("--backend celestia needs --celestia.rpc-url"), "{stderr}");
    let stderr = startup_error(&[
        "--backend=celestia",
        "--celestia.rpc-url=http://127.0.0.1:26658",
        &format!("--celestia.namespace=0x{}", "ff".repeat(29)),
    ]);
    assert!(stderr.contains("invalid configuration: --celestia.namespace"), "{stderr}");
    assert!(stderr.contains("version 255"), "{stderr}");
    let stderr = startup_error(&["--backend", "ipfs"]);
    assert!(stderr.contains("invalid value 'ipfs'"), "{stderr}");

    // A data directory that is a file.
    let file = tempfile::NamedTempFile::new().unwrap();
    let stderr = startup_error(&["--datadir", file.path().to_str().unwrap()]);
    assert!(stderr.contains("cannot create the data directory"), "{stderr}");

    // An address already in use.
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let stderr = startup_error(&["--addr", &addr, "--datadir", dir.path().to_str().unwrap()]);
    assert!(stderr.contains(&format!("cannot listen on {addr}")), "{stderr}");
}
