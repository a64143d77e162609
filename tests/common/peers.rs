//! MCP servers nobody here wrote (and hostile ones we did), started on
//! loopback for the tests. Python peers run in a virtualenv under the target
//! directory, made once from `tests/peers/python/requirements.txt` (and one
//! of the handshake era from `tests/peers/python/mcp1`); npm ones
//! are installed there from `tests/peers/node/package-lock.json`.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PEERS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/peers");

/// A running peer, killed when dropped.
pub struct Peer {
    child: Child,
    pub port: u16,
}

impl Peer {
    /// The URL of its MCP endpoint.
    pub fn mcp_url(&self) -> String {
        format!("http://127.0.0.1:{}/mcp", self.port)
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

/// A port nobody listens on at the moment, below the ephemeral range: the
/// kernel never hands it to a server binding port 0 (a registry under test)
/// or to an outgoing connection between now and the peer's own bind.
/// Never twice in one test binary: two tests starting peers at once could
/// both find a port free before either binds it, and one would then talk to
/// the other's peer.
pub fn free_port() -> u16 {
    static HANDED_OUT: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let (low, high) = (20_000u16, 32_000u16);
    loop {
        let candidate = low + (uuid::Uuid::new_v4().as_u128() % u128::from(high - low)) as u16;
        let mut handed_out = HANDED_OUT.lock().unwrap_or_else(|e| e.into_inner());
        if !handed_out.contains(&candidate)
            && std::net::TcpListener::bind(("127.0.0.1", candidate)).is_ok()
        {
            handed_out.push(candidate);
            return candidate;
        }
    }
}

/// The virtualenv's python, made (once, under a lock shared by every test
/// binary) with the pinned requirements.
pub fn python() -> PathBuf {
    virtualenv("venv", "python/requirements.txt")
}

/// The python of the handshake era's virtualenv (PyPI `mcp` 1.x and what
/// pins it), made the same way from `tests/peers/python/mcp1`.
pub fn python_mcp1() -> PathBuf {
    virtualenv("venv-mcp1", "python/mcp1/requirements.txt")
}

fn virtualenv(name: &str, requirements: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("mcp-peers");
    std::fs::create_dir_all(&root).expect("peers directory");
    let lock = File::create(root.join(format!("{name}.lock"))).expect("lock file");
    lock.lock().expect("lock the virtualenv");
    let venv = root.join(name);
    let python = venv.join("bin/python");
    let requirements = Path::new(PEERS).join(requirements);
    let wanted = std::fs::read_to_string(&requirements).expect("requirements");
    let stamp = venv.join("installed-requirements.txt");
    if std::fs::read_to_string(&stamp).ok().as_deref() != Some(wanted.as_str()) {
        let made = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .expect("python3 -m venv");
        assert!(made.success(), "python3 -m venv failed");
        let installed = Command::new(&python)
            .args(["-m", "pip", "install", "-q", "-r"])
            .arg(&requirements)
            .status()
            .expect("pip install");
        assert!(
            installed.success(),
            "pip install -r {requirements:?} failed"
        );
        std::fs::write(&stamp, wanted).expect("stamp");
    }
    python
}

/// Starts `tests/peers/python/<script> <args...> <port>` and waits until it
/// accepts connections.
pub fn python_peer(script: &str, args: &[&str]) -> Peer {
    spawn_peer(&python(), script, args)
}

/// The same for `tests/peers/python/mcp1/<script>`, in the handshake era's
/// virtualenv.
pub fn python_mcp1_peer(script: &str, args: &[&str]) -> Peer {
    spawn_peer(&python_mcp1(), &format!("mcp1/{script}"), args)
}

/// The npm packages of `tests/peers/node`, installed (once, under a lock)
/// with `npm ci` into the target directory; answers their `node_modules`.
pub fn node_modules() -> PathBuf {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("mcp-peers");
    std::fs::create_dir_all(&root).expect("peers directory");
    let lock = File::create(root.join("node.lock")).expect("lock file");
    lock.lock().expect("lock the node packages");
    let project = root.join("node");
    std::fs::create_dir_all(&project).expect("node directory");
    let wanted = std::fs::read_to_string(Path::new(PEERS).join("node/package-lock.json"))
        .expect("package-lock.json");
    let stamp = project.join("installed-package-lock.json");
    if std::fs::read_to_string(&stamp).ok().as_deref() != Some(wanted.as_str()) {
        for file in ["package.json", "package-lock.json"] {
            std::fs::copy(Path::new(PEERS).join("node").join(file), project.join(file))
                .expect("copy the package files");
        }
        let installed = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--silent"])
            .current_dir(&project)
            .status()
            .expect("npm ci");
        assert!(installed.success(), "npm ci failed");
        std::fs::write(&stamp, wanted).expect("stamp");
    }
    project.join("node_modules")
}

/// Starts `node <node_modules>/<script> <args...>` with the port in `port_env`.
pub fn node_peer(script: &str, args: &[&str], port_env: &str) -> Peer {
    let script = node_modules().join(script);
    start_listening(|port| {
        Command::new("node")
            .arg(&script)
            .args(args)
            .env(port_env, port.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the node peer")
    })
}

/// A hostile server of `hostile.py` in `mode`.
pub fn hostile(mode: &str) -> Peer {
    stdlib_peer("hostile.py", &[mode])
}

/// The session-counting server of `counting.py`.
pub fn counting() -> Peer {
    stdlib_peer("counting.py", &[])
}

/// The same over TLS, with this certificate and key (PEM files).
pub fn counting_tls(cert: &Path, key: &Path) -> Peer {
    let (cert, key) = (cert.display().to_string(), key.display().to_string());
    stdlib_peer("counting.py", &["--tls", &cert, &key])
}

/// A peer of the standard library only: `python3 <script> <args...> <port>`.
pub fn stdlib_peer(script: &str, args: &[&str]) -> Peer {
    spawn_peer(Path::new("python3"), script, args)
}

/// `<python> tests/peers/python/<script> <args...> <port>`, once it listens.
fn spawn_peer(python: &Path, script: &str, args: &[&str]) -> Peer {
    let script = Path::new(PEERS).join("python").join(script);
    start_listening(|port| {
        Command::new(python)
            .arg(&script)
            .args(args)
            .arg(port.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the peer")
    })
}

/// Starts a peer on a free port with `start`, and answers it once the peer
/// itself listens there. A port found free can be taken by another process
/// on the machine before the peer binds it; the peer then exits, and a
/// connection to the port reaches the other process. So what counts is the
/// listening socket among the peer's own descriptors, and a peer that
/// exited is started again on another port.
fn start_listening(mut start: impl FnMut(u16) -> Child) -> Peer {
    for _ in 0..5 {
        let port = free_port();
        let mut peer = Peer {
            child: start(port),
            port,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if listens_on(peer.child.id(), port) {
                return peer;
            }
            if peer.child.try_wait().ok().flatten().is_some() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the peer on port {port} did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    panic!("the peer exited five times without listening");
}

/// Whether process `pid` holds a socket listening on TCP `port`: the
/// listening sockets of /proc/net/tcp{,6} against its descriptors.
fn listens_on(pid: u32, port: u16) -> bool {
    const LISTEN: &str = "0A";
    let wanted = format!(":{port:04X}");
    let inodes: Vec<String> = ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .filter_map(|table| std::fs::read_to_string(table).ok())
        .flat_map(|table| {
            table
                .lines()
                .skip(1)
                .filter_map(|line| {
                    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
                    let fields: Vec<&str> = line.split_whitespace().collect();
                    (fields.len() > 9 && fields[1].ends_with(&wanted) && fields[3] == LISTEN)
                        .then(|| format!("socket:[{}]", fields[9]))
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let Ok(descriptors) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return false;
    };
    descriptors.filter_map(Result::ok).any(|fd| {
        std::fs::read_link(fd.path()).is_ok_and(|target| {
            inodes
                .iter()
                .any(|inode| target.as_os_str() == inode.as_str())
        })
    })
}

/// Runs the MCP client `tests/peers/python/<script> <args...>` (the SDK's,
/// in the virtualenv) to its end and answers the JSON it printed.
pub async fn python_client(script: &str, args: &[&str]) -> serde_json::Value {
    let mut command = tokio::process::Command::new(python());
    command.arg(Path::new(PEERS).join("python").join(script));
    run_client(command, args).await
}

/// The same for `tests/peers/python/mcp1/<script>`, in the handshake era's
/// virtualenv.
pub async fn python_mcp1_client(script: &str, args: &[&str]) -> serde_json::Value {
    let mut command = tokio::process::Command::new(python_mcp1());
    command.arg(Path::new(PEERS).join("python/mcp1").join(script));
    run_client(command, args).await
}

/// Runs the MCP client `tests/peers/node/<script> <args...>` with the npm
/// packages installed, and answers the JSON it printed.
pub async fn node_client(script: &str, args: &[&str]) -> serde_json::Value {
    let modules = node_modules();
    let mut command = tokio::process::Command::new("node");
    command
        .arg(Path::new(PEERS).join("node").join(script))
        .env("NODE_PATH", &modules);
    run_client(command, args).await
}

async fn run_client(mut command: tokio::process::Command, args: &[&str]) -> serde_json::Value {
    let output = tokio::time::timeout(
        Duration::from_secs(60),
        command.args(args).stderr(Stdio::piped()).output(),
    )
    .await
    .expect("the client finished within 60 s")
    .expect("run the client");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the client failed: {}\n{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(stdout.trim()).unwrap_or_else(|_| panic!("not JSON: {stdout}"))
}

/// Runs the Inspector's CLI (`@modelcontextprotocol/inspector` 2.x, on the
/// Node 22 it needs, installed beside it) with `<args...>`, and answers the
/// result it printed. Its catalog and storage go to a directory of the
/// tests, not the user's home.
pub async fn inspector_cli(args: &[&str]) -> serde_json::Value {
    let modules = node_modules();
    let bin = modules.join(".bin");
    let home = Path::new(env!("CARGO_TARGET_TMPDIR")).join("mcp-peers/inspector-home");
    std::fs::create_dir_all(&home).expect("the Inspector's home");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut command = tokio::process::Command::new(bin.join("mcp-inspector"));
    command.arg("--cli").env("PATH", path).env("HOME", home);
    let mut args = args.to_vec();
    args.extend(["--format", "json", "-q"]);
    let printed = run_client(command, &args).await;
    printed["result"].clone()
}
