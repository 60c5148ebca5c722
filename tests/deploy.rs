//! Issue 10: what the Raspberry Pi kiosk is installed with (`deploy/`, `Cargo.toml`'s
//! `[package.metadata.deb]`) checked by the tools that will read it: systemd's own verifier, the
//! real Debian package and `Config::load`. No pretending: a tool that is missing or cannot run
//! here fails the test with what to install.

use std::path::{Path, PathBuf};
use std::process::Command;

use comptoir::config::{Config, Mode};

fn project_file(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

fn read(relative: &str) -> String {
    std::fs::read_to_string(project_file(relative)).expect("project file")
}

/// Runs `program` with `args`, or fails naming the package that provides it.
fn run_tool(program: &str, args: &[&std::ffi::OsStr], install: &str) -> std::process::Output {
    Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program} ({e}): {install}"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `systemd-analyze verify` checks every directive and the binary the unit starts. It prints
/// unknown keys and bad values as warnings with status 0, so any output at all fails the test.
#[test]
fn the_service_unit_passes_systemd_analyze_verify() {
    const INSTALL: &str = "install the Debian package `systemd` (.ci/debian does)";
    let dir = tempfile::tempdir().expect("temp dir");

    // A trivial unit first: if even that does not verify, systemd-analyze cannot run in this
    // container, and the test says so instead of blaming (or passing) our unit.
    let probe = dir.path().join("comptoir-probe.service");
    std::fs::write(&probe, "[Service]\nExecStart=/bin/true\n").expect("write probe");
    let output = run_tool(
        "systemd-analyze",
        &["verify".as_ref(), probe.as_os_str()],
        INSTALL,
    );
    assert!(
        output.status.success(),
        "systemd-analyze cannot verify even a trivial unit in this environment, so the unit was \
         not checked: {}",
        text(&output.stderr)
    );

    // The unit as installed, starting the binary this test run built (verify checks that the
    // ExecStart program exists, and /usr/bin/comptoir is only there once the package is).
    let unit = read("deploy/comptoir.service");
    assert!(unit.contains("ExecStart=/usr/bin/comptoir\n"), "{unit}");
    let unit = unit.replace(
        "ExecStart=/usr/bin/comptoir\n",
        &format!("ExecStart={}\n", env!("CARGO_BIN_EXE_comptoir")),
    );
    let path = dir.path().join("comptoir.service");
    std::fs::write(&path, unit).expect("write unit");
    let output = run_tool(
        "systemd-analyze",
        &["verify".as_ref(), path.as_os_str()],
        INSTALL,
    );
    let complaints = format!("{}{}", text(&output.stdout), text(&output.stderr));
    assert!(
        output.status.success() && complaints.trim().is_empty(),
        "systemd-analyze verify deploy/comptoir.service: {complaints}"
    );
}

/// The example configuration is what a store's IT starts from: it must load through the real
/// loader (unknown keys are refused there), in kiosk mode, on the udev names and the database
/// the unit uses.
#[test]
fn the_example_configuration_loads_as_a_kiosk_on_the_udev_names() {
    let config =
        Config::load(Some(&project_file("deploy/comptoir.toml"))).expect("deploy/comptoir.toml");
    assert_eq!(config.mode, Mode::Kiosk);
    assert_eq!(config.serial_port.as_deref(), Some("/dev/comptoir-scanner"));
    assert_eq!(
        config.printer_port.as_deref(),
        Some("/dev/comptoir-printer")
    );
    assert!(config.printer_settings().is_some());

    let unit = read("deploy/comptoir.service");
    let db = config.db_path.expect("the example names the database");
    assert!(
        unit.contains(&format!("Environment=COMPTOIR_DB={}\n", db.display())),
        "the unit and the example configuration name the same database"
    );
    assert!(unit.contains(&format!(
        "StateDirectory={}\n",
        db.parent()
            .and_then(|d| d.file_name())
            .expect("in a folder")
            .to_string_lossy()
    )));
    assert!(unit.contains("Environment=COMPTOIR_CONFIG=/etc/comptoir/comptoir.toml\n"));

    let rules = read("deploy/99-comptoir.rules");
    for name in ["comptoir-scanner", "comptoir-printer"] {
        assert!(
            rules.contains(&format!("SYMLINK+=\"{name}\"")),
            "the udev rules make /dev/{name}"
        );
    }
}

/// `cargo deb --no-build` packages the binary this test run built (a debug build: CI builds no
/// release, the kiosk's real package is `cargo deb` after a release build) and the package
/// holds the binary, the unit, the udev rules, the configuration as a conffile and the maintainer
/// scripts.
#[test]
fn the_debian_package_installs_the_kiosk() {
    const INSTALL: &str = "install cargo-deb: `cargo install --locked cargo-deb` (.ci/run does)";
    let out = tempfile::tempdir().expect("temp dir");
    let binary = Path::new(env!("CARGO_BIN_EXE_comptoir"));
    let profile = binary
        .parent()
        .and_then(|d| d.file_name())
        .expect("target/<profile>/comptoir")
        .to_string_lossy()
        .into_owned();
    // Cargo's `dev` profile builds into target/debug.
    let profile = if profile == "debug" {
        "dev".to_owned()
    } else {
        profile
    };
    let output = Command::new("cargo")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "deb",
            "--no-build",
            "--no-strip",
            "--fast",
            "--profile",
            &profile,
            "--output",
        ])
        .arg(out.path())
        .output()
        .unwrap_or_else(|e| panic!("cannot run cargo ({e})"));
    let stderr = text(&output.stderr);
    assert!(
        !stderr.contains("no such command"),
        "cargo deb is missing: {INSTALL}"
    );
    assert!(output.status.success(), "cargo deb failed: {stderr}");
    let deb = std::fs::read_dir(out.path())
        .expect("list")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|e| e == "deb"))
        .expect("a .deb was written");

    const DPKG: &str = "dpkg-deb comes with dpkg";
    let listing = run_tool("dpkg-deb", &["-c".as_ref(), deb.as_os_str()], DPKG);
    let listing = text(&listing.stdout);
    for file in [
        "./usr/bin/comptoir",
        "./lib/systemd/system/comptoir.service",
        "./etc/udev/rules.d/99-comptoir.rules",
        "./etc/comptoir/comptoir.toml",
        "./usr/share/doc/comptoir/copyright",
    ] {
        assert!(
            listing.lines().any(|l| l.ends_with(file)),
            "{file} not in the package:\n{listing}"
        );
    }
    assert!(
        listing
            .lines()
            .any(|l| l.starts_with("-rwxr-xr-x") && l.ends_with("./usr/bin/comptoir")),
        "the binary is executable:\n{listing}"
    );

    let control = tempfile::tempdir().expect("temp dir");
    let extracted = run_tool(
        "dpkg-deb",
        &[
            "--control".as_ref(),
            deb.as_os_str(),
            control.path().as_os_str(),
        ],
        DPKG,
    );
    assert!(extracted.status.success(), "{}", text(&extracted.stderr));
    let conffiles = std::fs::read_to_string(control.path().join("conffiles")).expect("conffiles");
    assert!(
        conffiles.contains("/etc/comptoir/comptoir.toml"),
        "{conffiles}"
    );
    assert!(
        conffiles.contains("/etc/udev/rules.d/99-comptoir.rules"),
        "{conffiles}"
    );
    let postinst = std::fs::read_to_string(control.path().join("postinst")).expect("postinst");
    assert!(
        postinst.contains("adduser --system"),
        "postinst creates the user"
    );
    let postrm = std::fs::read_to_string(control.path().join("postrm")).expect("postrm");
    assert!(
        !postrm.contains("rm -rf /var/lib/comptoir"),
        "the journal and the outbox survive a purge"
    );
    let fields = std::fs::read_to_string(control.path().join("control")).expect("control");
    assert!(fields.contains("Package: comptoir"), "{fields}");
    assert!(fields.contains("adduser"), "{fields}");
}
