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
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            cluster.dir.path().display()
        );
        let log = cluster.dir.path().join("server.log");
        cluster.run(
            "pg_ctl",
            &[
                "-D",
                data.to_str().expect("path"),
                "-o",
                &options,
                "-l",
                log.to_str().expect("path"),
                "-w",
                "start",
            ],
        );
        cluster
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
        let mut admin = postgres::Client::connect(&self.url("postgres"), postgres::NoTls)
            .expect("connect to the cluster");
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create database");
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
