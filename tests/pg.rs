//! A throw-away PostgreSQL cluster for the tests: `initdb` in a temporary folder, started with
//! `pg_ctl` on a free loopback port, as an unprivileged user (PostgreSQL refuses to run as
//! root: under root the cluster runs as `nobody`), trust authentication on loopback only, and
//! stopped when dropped. `.ci/debian` installs Debian's `postgresql` for it.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;

pub(crate) struct PgCluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    as_root: bool,
    tls: bool,
    durable: bool,
}

/// Debian's server binaries (`/usr/lib/postgresql/VERSION/bin`), the newest version.
fn server_bin() -> PathBuf {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, bin)| bin)
        .expect("PostgreSQL's server is not installed: run the tests through `.ci/debian .ci/test`")
}

impl PgCluster {
    pub(crate) fn start() -> PgCluster {
        PgCluster::start_with(false, false)
    }

    /// A cluster that syncs its commits to disk, as a production server does: for the
    /// benchmarks, where SQLite's central syncs too. The tests' clusters do not, to go faster.
    #[allow(dead_code)] // benches/central.rs
    pub(crate) fn start_durable() -> PgCluster {
        PgCluster::start_with(false, true)
    }

    /// A cluster that offers TLS, its certificate for 127.0.0.1 signed by an authority of its
    /// own ([`PgCluster::ca_file`]), made with `openssl`.
    pub(crate) fn start_with_tls() -> PgCluster {
        PgCluster::start_with(true, false)
    }

    /// The PEM of the authority that signed a TLS cluster's certificate.
    pub(crate) fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.crt")
    }

    fn start_with(tls: bool, durable: bool) -> PgCluster {
        let dir = tempfile::tempdir().expect("cluster folder");
        let as_root = unsafe { libc::geteuid() } == 0;
        if as_root {
            let nobody = 65534;
            std::os::unix::fs::chown(dir.path(), Some(nobody), Some(nobody)).expect("chown");
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let cluster = PgCluster {
            bin: server_bin(),
            dir,
            port,
            as_root,
            tls,
            durable,
        };
        let data = cluster.data();
        cluster.run(
            "initdb",
            &[
                "-D",
                data.to_str().expect("path"),
                "-U",
                "comptoir",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ],
        );
        if tls {
            cluster.make_certificates();
        }
        cluster.start_server();
        cluster
    }

    fn make_certificates(&self) {
        let dir = self.dir.path();
        std::fs::write(dir.join("san.ext"), "subjectAltName=IP:127.0.0.1\n").expect("ext");
        for args in [
            "req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj /CN=comptoir-test-ca",
            "req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=127.0.0.1",
            "x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2 -extfile san.ext",
        ] {
            let output = Command::new("openssl")
                .args(args.split(' '))
                .current_dir(dir)
                .output()
                .expect("openssl");
            assert!(output.status.success(), "openssl {args}: {output:?}");
        }
        // The server reads its key only if it owns it and nobody else may.
        let key = dir.join("server.key");
        std::fs::set_permissions(&key, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .expect("chmod");
        if self.as_root {
            for file in ["server.key", "server.crt"] {
                std::os::unix::fs::chown(dir.join(file), Some(65534), Some(65534)).expect("chown");
            }
        }
    }

    fn start_server(&self) {
        let mut options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync={}",
            self.port,
            self.dir.path().display(),
            if self.durable { "on" } else { "off" }
        );
        // More settings for a run by hand (a profile: `-c log_min_duration_statement=0`).
        if let Ok(more) = std::env::var("COMPTOIR_TEST_PG_OPTIONS") {
            options.push(' ');
            options.push_str(&more);
        }
        if self.tls {
            let dir = self.dir.path().display();
            options.push_str(&format!(
                " -c ssl=on -c ssl_cert_file={dir}/server.crt -c ssl_key_file={dir}/server.key"
            ));
        }
        let log = self.dir.path().join("server.log");
        self.run(
            "pg_ctl",
            &[
                "-D",
                self.data().to_str().expect("path"),
                "-o",
                &options,
                "-l",
                log.to_str().expect("path"),
                "-w",
                "start",
            ],
        );
    }

    /// Stops the server at once, as a crash would (recovery runs at the next start).
    pub(crate) fn crash(&self) {
        self.run(
            "pg_ctl",
            &[
                "-D",
                self.data().to_str().expect("path"),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
        );
    }

    /// Starts the server again after [`PgCluster::crash`], on the same port.
    pub(crate) fn restart(&self) {
        self.start_server();
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// One of the server's tools, run as the cluster's unprivileged owner.
    fn tool(&self, program: &str) -> Command {
        let tool = self.bin.join(program);
        if self.as_root {
            let mut command = Command::new("runuser");
            command.args(["-u", "nobody", "--"]).arg(tool);
            command
        } else {
            Command::new(tool)
        }
    }

    fn run(&self, program: &str, args: &[&str]) {
        let output = self
            .tool(program)
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .unwrap_or_else(|e| panic!("{program}: {e}"));
        assert!(
            output.status.success(),
            "{program} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// A new, empty database `name`, and its URL.
    pub(crate) fn database(&self, name: &str) -> String {
        // On a thread of its own: the driver blocks on a runtime, which tokio forbids on an
        // async test's thread.
        std::thread::scope(|scope| {
            scope.spawn(|| {
                let mut admin = postgres::Client::connect(&self.url("postgres"), postgres::NoTls)
                    .expect("connect to the cluster");
                admin
                    .batch_execute(&format!("CREATE DATABASE {name}"))
                    .expect("create database");
            });
        });
        self.url(name)
    }

    pub(crate) fn url(&self, database: &str) -> String {
        format!("postgres://comptoir@127.0.0.1:{}/{database}", self.port)
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let data = self.data();
        // Stopped at once: the cluster and its folder are thrown away.
        let _ = self
            .tool("pg_ctl")
            .args([
                "-D",
                data.to_str().unwrap_or_default(),
                "-m",
                "immediate",
                "stop",
            ])
            .output();
    }
}

/// Set to `postgres` to run the central's tests on PostgreSQL instead of SQLite.
pub(crate) const BACKEND_VAR: &str = "COMPTOIR_TEST_CENTRAL";

/// Whether this run tests the central on PostgreSQL.
pub(crate) fn on_postgres() -> bool {
    std::env::var(BACKEND_VAR).is_ok_and(|v| v == "postgres")
}

/// A central's data directory. On SQLite (the default) it holds `central.db`; when the run is
/// on PostgreSQL ([`BACKEND_VAR`]), its `database.url` names a fresh database of a throw-away
/// cluster, so the same tests drive both backends, through the library and the binary alike.
pub(crate) struct CentralDir {
    dir: tempfile::TempDir,
    // Dropped after the folder: the cluster outlives every use of the URL.
    _cluster: Option<PgCluster>,
}

impl CentralDir {
    /// A data directory for an SQLite central, whatever the run tests.
    pub(crate) fn sqlite() -> CentralDir {
        CentralDir {
            dir: tempfile::tempdir().expect("central dir"),
            _cluster: None,
        }
    }

    pub(crate) fn new() -> CentralDir {
        let dir = tempfile::tempdir().expect("central dir");
        let cluster = on_postgres().then(|| {
            let cluster = PgCluster::start();
            let url = cluster.database("central");
            std::fs::write(dir.path().join(comptoir_central::database::URL_FILE), url)
                .expect("database.url");
            cluster
        });
        CentralDir {
            dir,
            _cluster: cluster,
        }
    }
}

impl CentralDir {
    /// Runs `sql` on the central's database, whichever backend it is on (what an operator's
    /// own tools would do beside the central).
    pub(crate) fn execute(&self, sql: &str) {
        self.on_database(
            |pg| pg.batch_execute(sql).expect("statement on PostgreSQL"),
            |sqlite| sqlite.execute_batch(sql).expect("statement on SQLite"),
        );
    }

    /// The count a `SELECT count(*) …` reads, whichever backend the central is on.
    pub(crate) fn count(&self, sql: &str) -> i64 {
        self.on_database(
            |pg| pg.query_one(sql, &[]).expect("count on PostgreSQL").get(0),
            |sqlite| {
                sqlite
                    .query_row(sql, [], |row| row.get(0))
                    .expect("count on SQLite")
            },
        )
    }

    /// Runs `pg` on the central's PostgreSQL database (from a thread of its own: the driver
    /// blocks, which an async test's thread forbids), or `sqlite` on its `central.db`.
    fn on_database<T: Send>(
        &self,
        pg: impl FnOnce(&mut postgres::Client) -> T + Send,
        sqlite: impl FnOnce(&rusqlite::Connection) -> T,
    ) -> T {
        let url_file = self.dir.path().join(comptoir_central::database::URL_FILE);
        match std::fs::read_to_string(url_file) {
            Ok(url) => std::thread::scope(|scope| {
                scope
                    .spawn(|| {
                        pg(&mut postgres::Client::connect(url.trim(), postgres::NoTls)
                            .expect("connect"))
                    })
                    .join()
                    .expect("the PostgreSQL thread")
            }),
            Err(_) => sqlite(
                &rusqlite::Connection::open(self.dir.path().join("central.db"))
                    .expect("open central.db"),
            ),
        }
    }
}

impl std::ops::Deref for CentralDir {
    type Target = tempfile::TempDir;

    fn deref(&self) -> &tempfile::TempDir {
        &self.dir
    }
}
