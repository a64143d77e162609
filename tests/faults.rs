//! Faults around the server: a database that restarts or cuts its
//! connections, a disk that fills up, clients that send slowly.
//!
//! The database tests start a PostgreSQL or MariaDB server of their own, of
//! the kind `TEST_DATABASE_URL` names, so that restarting it disturbs no other
//! test; the SQLite run (no `TEST_DATABASE_URL`) fills a small tmpfs instead,
//! and has the slow clients, which need no particular database.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::peers::free_port;
use common::{TestDatabase, TestServer, random_key};
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, Command};

/// The request timeout the servers here run with: no answer may take longer.
/// Longer than the 5 s a request waits for a database connection, so that a
/// request the database cannot serve is answered by the database's 503.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(8);

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Postgres,
    MariaDb,
}

/// The database server kind of this run, if it is not SQLite's.
fn kind_under_test() -> Option<Kind> {
    let url = std::env::var("TEST_DATABASE_URL").unwrap_or_default();
    if url.starts_with("postgres") {
        Some(Kind::Postgres)
    } else if url.starts_with("mysql") || url.starts_with("mariadb") {
        Some(Kind::MariaDb)
    } else {
        None
    }
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|line| line.starts_with("Uid:"))?;
            line.split_whitespace().nth(1).map(|uid| uid == "0")
        })
        .unwrap_or(false)
}

/// Runs a command to its end; panics with its output if it fails.
async fn run(command: &mut Command) {
    let output = command.output().await.expect("start the command");
    assert!(
        output.status.success(),
        "{command:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A PostgreSQL or MariaDB server of this test's own, on a port of its own.
struct PrivateDatabase {
    kind: Kind,
    dir: tempfile::TempDir,
    port: u16,
    /// MariaDB's server process (PostgreSQL's is pg_ctl's business).
    mariadbd: Option<Child>,
}

impl PrivateDatabase {
    async fn start(kind: Kind) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut db = Self {
            kind,
            dir,
            port: free_port(),
            mariadbd: None,
        };
        match kind {
            Kind::Postgres => {
                if is_root() {
                    // PostgreSQL refuses to run as root.
                    run(Command::new("chown")
                        .arg("-R")
                        .arg("postgres")
                        .arg(db.dir.path()))
                    .await;
                }
                let mut initdb = db.postgres_command("initdb");
                initdb
                    .args(["-U", "postgres", "-A", "trust", "--no-sync", "-D"])
                    .arg(db.data());
                run(&mut initdb.into()).await;
            }
            Kind::MariaDb => {
                // A temporary directory of its own: MariaDB servers sharing
                // /tmp (two of these tests at once, the machine's own) remove
                // each other's temporary tables there, and the install fails
                // ("Unknown table 'mysql.tmp_user_sys'", seen in CI).
                std::fs::create_dir(db.tmp()).expect("tmp dir");
                run(Command::new("mariadb-install-db")
                    .arg("--no-defaults")
                    .arg(format!("--datadir={}", db.data().display()))
                    .args(["--user=root", "--skip-test-db"])
                    .arg(format!("--tmpdir={}", db.tmp().display())))
                .await;
            }
        }
        db.up().await;
        let admin = db.admin().await;
        admin
            .execute_unprepared("CREATE DATABASE mcp")
            .await
            .expect("create the database");
        db
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn tmp(&self) -> PathBuf {
        self.dir.path().join("tmp")
    }

    /// A PostgreSQL program, run as the postgres user when the test is root.
    fn postgres_command(&self, program: &str) -> std::process::Command {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL's programs under /usr/lib/postgresql")
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .max_by_key(|path| {
                path.file_name()
                    .and_then(|name| name.to_str()?.parse::<u32>().ok())
            })
            .expect("a PostgreSQL version")
            .join("bin")
            .join(program);
        if is_root() {
            let mut command = std::process::Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(bin);
            command
        } else {
            std::process::Command::new(bin)
        }
    }

    fn pg_ctl(&self, action: &str) -> std::process::Command {
        let mut command = self.postgres_command("pg_ctl");
        command
            .arg(action)
            .arg("-D")
            .arg(self.data())
            .args(["-w", "-t", "60"]);
        command
    }

    fn url(&self, database: &str) -> String {
        match self.kind {
            Kind::Postgres => format!("postgres://postgres@127.0.0.1:{}/{database}", self.port),
            Kind::MariaDb => format!("mysql://root@127.0.0.1:{}/{database}", self.port),
        }
    }

    /// The server's database, as the test harness knows one.
    fn test_database(&self) -> TestDatabase {
        TestDatabase {
            url: self.url("mcp"),
            dir: tempfile::tempdir().expect("temp dir"),
            secret_key: Some(random_key()),
        }
    }

    async fn admin(&self) -> DatabaseConnection {
        let database = match self.kind {
            Kind::Postgres => "postgres",
            Kind::MariaDb => "mysql",
        };
        sea_orm::Database::connect(self.url(database))
            .await
            .expect("connect to the private database")
    }

    /// Starts the server and waits until it takes connections.
    async fn up(&mut self) {
        match self.kind {
            Kind::Postgres => {
                let options = format!(
                    "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
                    self.port,
                    self.dir.path().display()
                );
                let mut start = self.pg_ctl("start");
                start
                    .arg("-l")
                    .arg(self.dir.path().join("log"))
                    .arg("-o")
                    .arg(options);
                run(&mut start.into()).await;
            }
            Kind::MariaDb => {
                let data = self.data();
                let child = Command::new("mariadbd")
                    .arg("--no-defaults")
                    .arg(format!("--datadir={}", data.display()))
                    .arg(format!("--socket={}", data.join("sock").display()))
                    .arg(format!("--pid-file={}", data.join("pid").display()))
                    .arg(format!("--log-error={}", data.join("error.log").display()))
                    .arg(format!("--tmpdir={}", self.tmp().display()))
                    .arg(format!("--port={}", self.port))
                    .args([
                        "--bind-address=127.0.0.1",
                        "--user=root",
                        "--skip-grant-tables",
                        "--skip-log-bin",
                        "--innodb-buffer-pool-size=32M",
                    ])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .kill_on_drop(true)
                    .spawn()
                    .expect("start mariadbd");
                self.mariadbd = Some(child);
                let started = Instant::now();
                while sea_orm::Database::connect(self.url("mysql")).await.is_err() {
                    assert!(
                        started.elapsed() < Duration::from_secs(60),
                        "mariadbd did not start: {}",
                        std::fs::read_to_string(data.join("error.log")).unwrap_or_default()
                    );
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }

    /// Shuts the server down as an operator would for a restart: sessions
    /// are ended, not waited for.
    async fn down(&mut self) {
        match self.kind {
            Kind::Postgres => {
                let mut stop = self.pg_ctl("stop");
                stop.args(["-m", "fast"]);
                run(&mut stop.into()).await;
            }
            Kind::MariaDb => {
                if let Some(mut child) = self.mariadbd.take() {
                    if let Some(pid) = child.id() {
                        run(Command::new("kill").arg("-TERM").arg(pid.to_string())).await;
                    }
                    child.wait().await.expect("mariadbd stops");
                }
            }
        }
    }

    /// Ends every session of the server's database but the caller's, as
    /// `pg_terminate_backend` or `KILL` does: mid-statement or mid-transaction.
    async fn cut_connections(&self, admin: &DatabaseConnection) {
        let sql = match self.kind {
            Kind::Postgres => "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE datname = 'mcp' AND pid <> pg_backend_pid()"
                .to_owned(),
            Kind::MariaDb => {
                let rows = admin
                    .query_all_raw(sea_orm::Statement::from_string(
                        admin.get_database_backend(),
                        "SELECT id FROM information_schema.processlist \
                         WHERE db = 'mcp' AND id <> CONNECTION_ID()",
                    ))
                    .await
                    .expect("list the sessions");
                let ids: Vec<i64> = rows
                    .iter()
                    .map(|row| row.try_get::<i64>("", "id").expect("a session id"))
                    .collect();
                for id in ids {
                    // A session may have ended meanwhile.
                    let _ = admin.execute_unprepared(&format!("KILL {id}")).await;
                }
                return;
            }
        };
        admin
            .execute_unprepared(&sql)
            .await
            .expect("terminate the sessions");
    }

    /// The ids of every stored record.
    async fn stored_ids(&self) -> BTreeSet<String> {
        let db = sea_orm::Database::connect(self.url("mcp"))
            .await
            .expect("connect");
        db.query_all_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT id FROM mcp_servers",
        ))
        .await
        .expect("read the ids")
        .iter()
        .map(|row| row.try_get::<String>("", "id").expect("id"))
        .collect()
    }
}

impl Drop for PrivateDatabase {
    fn drop(&mut self) {
        if self.kind == Kind::Postgres {
            let _ = self
                .pg_ctl("stop")
                .args(["-m", "immediate"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// What clients creating records in a loop saw.
#[derive(Default)]
struct Tally {
    /// Ids of the records acknowledged with 201.
    acknowledged: BTreeSet<String>,
    /// 503 answers, each with Retry-After and a JSON error.
    unavailable: usize,
    /// Anything a client should never see: another status, a 503 without
    /// Retry-After, an answer slower than the request timeout, a dropped
    /// connection.
    problems: Vec<String>,
}

/// `clients` clients create records until `stop` is set. Each create carries
/// an Idempotency-Key and is retried with it, after Retry-After, until it is
/// acknowledged: what a careful client does.
fn start_creating(
    server: &TestServer,
    clients: usize,
    stop: Arc<AtomicBool>,
) -> Vec<tokio::task::JoinHandle<Tally>> {
    (0..clients)
        .map(|client| {
            let http = server.client.clone();
            let url = server.url("/v1/mcp-servers");
            let stop = stop.clone();
            tokio::spawn(async move {
                let mut tally = Tally::default();
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let body = json!({
                        "name": format!("fault-{client}-{n}"),
                        "url": "https://mcp.example.com/mcp",
                        "api_key": "sk-fault-test-0123456789",
                    });
                    let key = uuid::Uuid::new_v4().to_string();
                    let started = Instant::now();
                    loop {
                        if started.elapsed() > Duration::from_secs(90) {
                            tally.problems.push(format!("{body}: never acknowledged"));
                            break;
                        }
                        let sent = Instant::now();
                        let answer = http
                            .post(&url)
                            .header("idempotency-key", &key)
                            .json(&body)
                            .send()
                            .await;
                        let took = sent.elapsed();
                        if took > REQUEST_TIMEOUT + Duration::from_secs(2) {
                            tally.problems.push(format!("an answer took {took:?}"));
                        }
                        let answer = match answer {
                            Ok(answer) => answer,
                            Err(err) => {
                                tally.problems.push(format!("no answer: {err}"));
                                break;
                            }
                        };
                        let status = answer.status();
                        let retry_after = answer
                            .headers()
                            .get("retry-after")
                            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
                        let text = answer.text().await.unwrap_or_default();
                        let json: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                        match status {
                            StatusCode::CREATED => {
                                let id = json["id"].as_str().unwrap_or_default().to_owned();
                                tally.acknowledged.insert(id);
                                break;
                            }
                            StatusCode::SERVICE_UNAVAILABLE => {
                                let Some(wait) = retry_after else {
                                    tally
                                        .problems
                                        .push(format!("503 without Retry-After: {text}"));
                                    break;
                                };
                                if !json["error"].is_string() {
                                    tally
                                        .problems
                                        .push(format!("503 without a JSON error: {text}"));
                                }
                                tally.unavailable += 1;
                                tokio::time::sleep(Duration::from_secs(wait)).await;
                            }
                            _ => {
                                tally.problems.push(format!("{status}: {text}"));
                                break;
                            }
                        }
                    }
                }
                tally
            })
        })
        .collect()
}

async fn gather(clients: Vec<tokio::task::JoinHandle<Tally>>) -> Tally {
    let mut all = Tally::default();
    for client in clients {
        let tally = client.await.expect("client task");
        all.acknowledged.extend(tally.acknowledged);
        all.unavailable += tally.unavailable;
        all.problems.extend(tally.problems);
    }
    all
}

async fn registry_on(db: &PrivateDatabase) -> TestServer {
    TestServer::builder()
        .database(db.test_database())
        .args(&[
            "--request-timeout-secs",
            &REQUEST_TIMEOUT.as_secs().to_string(),
            "--rate-limit",
            "0",
        ])
        .spawn()
        .await
}

/// Every acknowledged record is stored, and nothing else: no create was lost,
/// none was made twice.
async fn assert_exactly_the_acknowledged(db: &PrivateDatabase, tally: &Tally, logs: &str) {
    assert!(
        tally.problems.is_empty(),
        "{} problems, first: {:?}\n{logs}",
        tally.problems.len(),
        tally.problems.iter().take(5).collect::<Vec<_>>()
    );
    assert!(
        tally.acknowledged.len() > 20,
        "only {} creates were acknowledged",
        tally.acknowledged.len()
    );
    let stored = db.stored_ids().await;
    let lost: Vec<_> = tally.acknowledged.difference(&stored).collect();
    let extra: Vec<_> = stored.difference(&tally.acknowledged).collect();
    assert!(lost.is_empty(), "acknowledged but not stored: {lost:?}");
    assert!(extra.is_empty(), "stored but never acknowledged: {extra:?}");
}

/// GET /readyz, timed.
async fn readiness(server: &TestServer) -> (StatusCode, Option<String>, Duration) {
    let started = Instant::now();
    let answer = server.get("/readyz").await;
    let retry_after = answer
        .headers
        .get("retry-after")
        .map(|v| v.to_str().unwrap_or_default().to_owned());
    (answer.status, retry_after, started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_database_restart_under_load_answers_503_then_recovers_and_loses_nothing() {
    let Some(kind) = kind_under_test() else {
        return; // the SQLite run has its own faults below
    };
    let mut db = PrivateDatabase::start(kind).await;
    let server = registry_on(&db).await;
    let stop = Arc::new(AtomicBool::new(false));
    let clients = start_creating(&server, 8, stop.clone());
    tokio::time::sleep(Duration::from_secs(2)).await;

    // A restart as an operator makes it, then the database away for a while.
    db.down().await;
    db.up().await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    db.down().await;
    let (status, retry_after, took) = readiness(&server).await;
    assert_eq!(status, 503, "readyz with the database down");
    assert!(retry_after.is_some(), "readyz's 503 carries Retry-After");
    assert!(took < Duration::from_secs(4), "readyz took {took:?}");
    let listed = server.get("/v1/mcp-servers").await;
    assert_eq!(listed.status, 503, "{}", listed.body);
    assert!(listed.headers.contains_key("retry-after"));
    assert!(
        common::error_message(&listed.body).contains("database is unavailable"),
        "{}",
        listed.body
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    db.up().await;

    // It recovers by itself: ready again, and the clients go on.
    let started = Instant::now();
    while readiness(&server).await.0 != 200 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "not ready again 20 s after the database came back"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, Ordering::Relaxed);
    let tally = gather(clients).await;
    assert!(tally.unavailable > 0, "no client felt the restart");
    assert_exactly_the_acknowledged(&db, &tally, &server.logs()).await;
    assert!(
        !server.logs().contains("internal server error"),
        "{}",
        server.logs()
    );
    eprintln!(
        "{kind:?} restarts: {} records acknowledged, {} answers 503",
        tally.acknowledged.len(),
        tally.unavailable
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn connections_cut_mid_transaction_answer_503_and_the_retry_makes_exactly_one_record() {
    let Some(kind) = kind_under_test() else {
        return;
    };
    let db = PrivateDatabase::start(kind).await;
    let server = registry_on(&db).await;
    let admin = db.admin().await;
    let stop = Arc::new(AtomicBool::new(false));
    let clients = start_creating(&server, 8, stop.clone());
    tokio::time::sleep(Duration::from_secs(1)).await;
    // Cut every session of the server's, again and again, for six seconds:
    // some mid-INSERT, some mid-COMMIT, some idle in the pool.
    let cutting = Instant::now();
    while cutting.elapsed() < Duration::from_secs(6) {
        db.cut_connections(&admin).await;
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop.store(true, Ordering::Relaxed);
    let tally = gather(clients).await;
    assert!(tally.unavailable > 0, "no client felt the cuts");
    assert_exactly_the_acknowledged(&db, &tally, &server.logs()).await;
    assert_eq!(readiness(&server).await.0, 200);
    eprintln!(
        "{kind:?} cuts: {} records acknowledged, {} answers 503",
        tally.acknowledged.len(),
        tally.unavailable
    );
}

/// A tmpfs of `size`, unmounted when dropped.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    /// `None` where this user may not mount (a developer's machine); CI runs
    /// as root, and there the test must not be skipped.
    fn mount(size: &str) -> Option<Self> {
        let dir = tempfile::tempdir().expect("temp dir");
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if !mounted {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must be able to mount a tmpfs (run as root)"
            );
            eprintln!("skipped: this user may not mount a tmpfs (needs root)");
            return None;
        }
        Some(Self { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file until the disk is full; answers its path.
    fn fill(&self) -> PathBuf {
        use std::io::Write;
        let path = self.path().join("filler");
        let mut file = std::fs::File::create(&path).expect("filler");
        let chunk = vec![0u8; 4096];
        while file.write_all(&chunk).is_ok() {}
        // The last partial page, byte by byte.
        while file.write_all(&[0]).is_ok() {}
        path
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg(self.dir.path())
            .status();
    }
}

fn integrity_check(file: &Path) -> String {
    let output = std::process::Command::new("python3")
        .arg("-c")
        .arg(
            "import sqlite3, sys; \
             print(sqlite3.connect(sys.argv[1]).execute('PRAGMA integrity_check').fetchone()[0])",
        )
        .arg(file)
        .output()
        .expect("python3");
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

#[tokio::test]
async fn a_full_disk_answers_507_keeps_reads_working_and_writes_resume_once_space_returns() {
    if kind_under_test().is_some() {
        return; // SQLite's own disk; the database servers have theirs
    }
    let Some(disk) = SmallDisk::mount("3m") else {
        return;
    };
    let file = disk.path().join("registry.db");
    let mut server = TestServer::builder()
        .database(TestDatabase {
            url: format!("sqlite://{}", file.display()),
            dir: tempfile::tempdir().expect("temp dir"),
            secret_key: Some(random_key()),
        })
        .spawn()
        .await;
    let description = "d".repeat(4000);
    let record = |n: usize| {
        json!({
            "name": format!("disk-{n}"),
            "url": "https://mcp.example.com/mcp",
            "api_key": "sk-disk-test-0123456789",
            "description": description,
        })
    };
    let mut acknowledged = BTreeSet::new();
    for n in 0..20 {
        acknowledged.insert(
            server.created(&record(n)).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }

    let filler = disk.fill();
    // Space the database had already taken may take a few more creates, and
    // one rolled back may leave room for a smaller one; but soon creates are
    // refused, saying why, and nothing else goes wrong.
    let mut refused = Vec::new();
    for n in 20..1000 {
        let answer = server.create(&record(n)).await;
        match answer.status.as_u16() {
            201 => {
                acknowledged.insert(answer.body["id"].as_str().unwrap().to_owned());
            }
            status @ (507 | 503) => {
                let message = common::error_message(&answer.body);
                assert!(
                    message.contains("space") || message.contains("unavailable"),
                    "{message}"
                );
                refused.push(status);
                if refused.len() == 10 {
                    break;
                }
            }
            other => panic!("{other}: {}\n{}", answer.body, server.logs()),
        }
    }
    assert_eq!(refused.len(), 10, "the disk never filled up");
    assert!(refused.contains(&507), "{refused:?}");

    // Reads go on.
    let listed = server.get("/v1/mcp-servers?limit=200").await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    let listed: BTreeSet<String> = listed.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|record| record["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(listed, acknowledged);
    let one = acknowledged.iter().next().unwrap();
    assert_eq!(
        server.get(&format!("/v1/mcp-servers/{one}")).await.status,
        200
    );

    // Space returns: writes resume, with no restart.
    std::fs::remove_file(filler).expect("free the space");
    let again = server.create(&record(2000)).await;
    assert_eq!(again.status, 201, "{}", again.body);
    acknowledged.insert(again.body["id"].as_str().unwrap().to_owned());
    assert_eq!(server.get("/readyz").await.status, 200);

    server.terminate();
    assert_eq!(integrity_check(&file), "ok");
    server.restart().await;
    let listed = server.get("/v1/mcp-servers?limit=200").await;
    assert_eq!(
        listed.body["data"].as_array().unwrap().len(),
        acknowledged.len()
    );
    assert!(
        !server.logs().contains("internal server error"),
        "{}",
        server.logs()
    );
}

/// Opens a connection and sends `first`, then one byte of `trickle` every
/// `every`, until the server closes it; answers when that was and what the
/// server said.
async fn trickle(address: String, first: String, every: Duration) -> (Duration, String) {
    let started = Instant::now();
    let mut stream = tokio::net::TcpStream::connect(&address)
        .await
        .expect("connect");
    stream.write_all(first.as_bytes()).await.expect("write");
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        tokio::select! {
            read = stream.read(&mut buffer) => match read {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buffer[..n]),
            },
            () = tokio::time::sleep(every) => {
                if stream.write_all(b"x").await.is_err() {
                    // Closed: read what it said first.
                    let _ = tokio::time::timeout(
                        Duration::from_secs(1),
                        stream.read_to_end(&mut answer),
                    )
                    .await;
                    break;
                }
            }
        }
        if started.elapsed() > Duration::from_secs(60) {
            break;
        }
    }
    (
        started.elapsed(),
        String::from_utf8_lossy(&answer).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn slow_clients_are_cut_off_and_do_not_starve_the_others() {
    if kind_under_test().is_some() {
        return; // nothing here depends on the database
    }
    let server = TestServer::builder()
        .args(&["--client-timeout-secs", "3", "--rate-limit", "0"])
        .spawn()
        .await;
    let host = &server.address;
    // 250 clients trickle their headers, 250 their bodies: a byte a second.
    let mut slow = Vec::new();
    for n in 0..500 {
        let first = if n % 2 == 0 {
            format!("GET /v1/mcp-servers HTTP/1.1\r\nHost: {host}\r\nX-Slow: ")
        } else {
            format!(
                "POST /v1/mcp-servers HTTP/1.1\r\nHost: {host}\r\n\
                 Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"name\": \""
            )
        };
        slow.push(tokio::spawn(trickle(
            server.address.clone(),
            first,
            Duration::from_secs(1),
        )));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;

    // Meanwhile everyone else is served, and promptly.
    for n in 0..20 {
        let started = Instant::now();
        let created = server
            .create(&json!({"name": format!("prompt-{n}"), "url": "https://mcp.example.com/mcp"}))
            .await;
        assert_eq!(created.status, 201, "{}", created.body);
        let listed = server.get("/v1/mcp-servers").await;
        assert_eq!(listed.status, 200, "{}", listed.body);
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "a prompt client waited {:?}",
            started.elapsed()
        );
    }

    // And the slow ones are cut off at the client timeout: headers without a
    // word (the request never began), bodies with a 408.
    for (n, client) in slow.into_iter().enumerate() {
        let (after, answer) = client.await.expect("slow client");
        assert!(
            after < Duration::from_secs(8),
            "slow client {n} was cut off only after {after:?}"
        );
        if n % 2 == 1 {
            assert!(
                answer.starts_with("HTTP/1.1 408"),
                "slow body {n}: {answer}"
            );
            assert!(answer.contains("did not arrive within 3 s"), "{answer}");
        }
    }
}

#[tokio::test]
async fn metrics_need_a_read_token_once_tokens_are_configured_unless_public() {
    if kind_under_test().is_some() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let tokens = common::tokens_file(
        dir.path(),
        &[
            ("reader", "read", "read-token-0123456789"),
            ("agent", "use", "use-token-0123456789"),
        ],
    );
    let server = TestServer::builder()
        .args(&["--api-tokens-file", &tokens])
        .spawn()
        .await;
    let metrics = |token: Option<&str>| {
        let mut request = server.client.get(server.url("/metrics"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    let anonymous = common::json_of(metrics(None).await.unwrap()).await;
    assert_eq!(anonymous.status, 401, "{}", anonymous.body);
    assert!(common::error_message(&anonymous.body).contains("bearer token"));
    let agent = common::json_of(metrics(Some("use-token-0123456789")).await.unwrap()).await;
    assert_eq!(agent.status, 403, "{}", agent.body);
    let reader = metrics(Some("read-token-0123456789")).await.unwrap();
    assert_eq!(reader.status(), 200);
    assert!(reader.text().await.unwrap().contains("http_requests"));
    // Health probes stay open: load balancers carry no token.
    assert_eq!(metrics_free(&server, "/healthz").await, 200);
    assert_eq!(metrics_free(&server, "/readyz").await, 200);

    let public = TestServer::builder()
        .args(&["--api-tokens-file", &tokens, "--metrics-public"])
        .spawn()
        .await;
    assert_eq!(metrics_free(&public, "/metrics").await, 200);
}

/// The status of an anonymous GET.
async fn metrics_free(server: &TestServer, path: &str) -> u16 {
    server
        .client
        .get(server.url(path))
        .send()
        .await
        .expect("send")
        .status()
        .as_u16()
}
