//! The README's sync walkthrough, run as written (issue 20: it stopped the central with
//! `kill %1`, never started it again, left `03760000000017*2` to the shell's globbing and showed
//! an empty access log). The block is read from README.md itself, so the README cannot drift
//! from what the programs do: each line runs in one `sh`, in order, with this build's binaries
//! first on the PATH, a scratch HOME and TMPDIR; a line fails the test when its exit status is
//! not the one the README gives (0 unless a `# → exit N` line says otherwise), when its output
//! lacks what a `# →` line under it announces, or when it writes to standard error without the
//! README announcing anything for it.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::run_log_dir;

/// One command of the walkthrough and what the README says it prints.
#[derive(Debug)]
struct Step {
    line: String,
    /// The `# →` texts under it.
    expected: Vec<String>,
    /// `# → exit N: …` gives N; 0 otherwise.
    status: i32,
}

/// The first ```sh block after the heading "## Sync with a central".
fn walkthrough(readme: &str) -> Vec<Step> {
    let section = readme
        .split_once("## Sync with a central")
        .expect("the README has its sync section")
        .1;
    let block = section
        .split_once("```sh\n")
        .and_then(|(_, rest)| rest.split_once("\n```"))
        .expect("a ```sh block in the sync section")
        .0;
    let mut steps: Vec<Step> = Vec::new();
    for line in block.lines() {
        let line = line.trim_end();
        if let Some(expected) = line.strip_prefix("# → ") {
            let step = steps.last_mut().expect("a # → line follows a command");
            match expected
                .strip_prefix("exit ")
                .and_then(|rest| rest.split_once(": "))
            {
                Some((status, text)) => {
                    step.status = status.parse().expect("exit N: text");
                    step.expected.push(text.to_owned());
                }
                None => step.expected.push(expected.to_owned()),
            }
        } else if !line.is_empty() && !line.starts_with('#') {
            steps.push(Step {
                line: line.to_owned(),
                expected: Vec::new(),
                status: 0,
            });
        }
    }
    steps
}

/// A port nobody listens on now: the README's 8080 may be taken on a developer's machine. The
/// `ADDR=` line is the only one rewritten.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// The script: each line in the same shell (so `cd`, `CODE=…` and `$pid` carry over), its
/// output and status kept apart in `run`.
fn script(steps: &[Step], run: &Path, port: u16) -> String {
    let mut script = String::new();
    for (i, step) in steps.iter().enumerate() {
        let line = if step.line.starts_with("ADDR=") {
            format!("ADDR=127.0.0.1:{port}")
        } else {
            step.line.clone()
        };
        let base = run.join(i.to_string());
        let base = base.display();
        script.push_str(&format!(
            "{{ {line}\n}} >'{base}.out' 2>'{base}.err'\necho $? >'{base}.status'\n"
        ));
    }
    script
}

#[test]
fn the_readme_sync_walkthrough_runs_line_by_line() {
    let steps = walkthrough(&readme());
    assert!(steps.len() > 20, "the walkthrough: {steps:#?}");
    assert!(
        steps.iter().any(|s| s.line.starts_with("ADDR=127.0.0.1:")),
        "the central's address is set once, in ADDR"
    );
    let scratch = tempfile::tempdir().expect("scratch");
    let run = scratch.path().join("run");
    let home = scratch.path().join("home");
    let tmp = scratch.path().join("tmp");
    for dir in [&run, &home, &tmp] {
        std::fs::create_dir_all(dir).expect("dir");
    }
    let bin = Path::new(env!("CARGO_BIN_EXE_comptoir"))
        .parent()
        .expect("the binaries' folder");
    let path = std::env::join_paths(std::iter::once(bin.to_owned()).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .expect("PATH");
    std::fs::create_dir_all(run_log_dir()).expect("log dir");
    let mut shell = Command::new("sh");
    shell
        .arg("-s")
        .env("PATH", path)
        .env("HOME", &home)
        .env("TMPDIR", &tmp)
        .env_remove("RUST_LOG")
        .env(
            "COMPTOIR_LOG_FILE",
            run_log_dir().join("readme-walkthrough.log"),
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (key, _) in std::env::vars() {
        if key.starts_with("COMPTOIR_") && key != "COMPTOIR_LOG_FILE" {
            shell.env_remove(key);
        }
    }
    // Its own process group: a central the walkthrough started is stopped with it whatever
    // happens to the test.
    std::os::unix::process::CommandExt::process_group(&mut shell, 0);
    let mut child = shell.spawn().expect("sh");
    let group = child.id() as i32;
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin
            .write_all(script(&steps, &run, free_port()).as_bytes())
            .expect("the script");
    }
    let started = Instant::now();
    let finished = loop {
        if child.try_wait().expect("wait").is_some() {
            break true;
        }
        if started.elapsed() > Duration::from_secs(600) {
            break false;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    // SAFETY: a plain kill(2) of the process group this test created; nothing else shares it.
    unsafe {
        libc::kill(-group, libc::SIGKILL);
    }
    let mut shell_errors = String::new();
    if let Some(mut stderr) = child.stderr.take() {
        let _ = stderr.read_to_string(&mut shell_errors);
    }
    let _ = child.wait();
    for (i, step) in steps.iter().enumerate() {
        let read =
            |ext: &str| std::fs::read_to_string(run.join(format!("{i}.{ext}"))).unwrap_or_default();
        let status = read("status");
        assert!(
            !status.is_empty(),
            "line {} was not reached (finished: {finished}; sh said: {shell_errors}):\n{}",
            i + 1,
            step.line
        );
        let (out, err) = (read("out"), read("err"));
        let context = format!(
            "README line `{}`\nstatus {}stdout:\n{out}\nstderr:\n{err}",
            step.line, status
        );
        assert_eq!(
            status.trim().parse::<i32>().ok(),
            Some(step.status),
            "{context}"
        );
        for expected in &step.expected {
            assert!(
                out.contains(expected.as_str()) || err.contains(expected.as_str()),
                "the README announces {expected:?}: {context}"
            );
        }
        assert!(
            !step.expected.is_empty() || err.trim().is_empty(),
            "standard error the README does not announce: {context}"
        );
    }
}

#[test]
fn the_walkthrough_is_read_with_its_expectations() {
    let steps = walkthrough(
        "## Sync with a central\n\n```sh\n# a comment\nfoo bar\n# → baz\nsettle\n\
         # → exit 1: no conflict\n```\n",
    );
    assert_eq!(steps.len(), 2);
    assert_eq!(steps[0].expected, ["baz"]);
    assert_eq!(
        (steps[1].status, steps[1].expected[0].as_str()),
        (1, "no conflict")
    );
}

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md")
}

/// Issue 20: nine keys (`printer_*`, `shop_*`) were missing from the table.
#[test]
fn the_readme_names_every_configuration_key() {
    let readme = readme();
    let missing: Vec<String> = comptoir::config::Config::keys()
        .into_iter()
        .filter(|key| !readme.contains(&format!("`{key}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "keys missing from README.md: {missing:?}"
    );
}

/// Issue 20: `comptoir-central revoke` and `COMPTOIR_CENTRAL_DATA` were not mentioned.
#[test]
fn the_readme_names_every_command_of_both_programs_and_their_variables() {
    let readme = readme();
    let mut missing = Vec::new();
    for (_, names) in comptoir::cli::help::GROUPS {
        for name in *names {
            if !readme.contains(&format!("`comptoir {name}")) {
                missing.push(format!("comptoir {name}"));
            }
        }
    }
    let help = Command::new(crate::util::central_bin())
        .arg("--help")
        .env("COLUMNS", "200")
        .output()
        .expect("comptoir-central --help");
    let help = String::from_utf8_lossy(&help.stdout).into_owned();
    let commands = help
        .split_once("Commands:\n")
        .and_then(|(_, rest)| rest.split_once("\n\n"))
        .expect("a list of commands")
        .0;
    for line in commands
        .lines()
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
    {
        let name = line.split_whitespace().next().unwrap_or_default();
        if name != "help" && !readme.contains(&format!("`comptoir-central --data DIR {name}")) {
            missing.push(format!("comptoir-central {name}"));
        }
    }
    for variable in [
        "COMPTOIR_CENTRAL_DATA",
        "COMPTOIR_CENTRAL_DATABASE",
        "COMPTOIR_DB",
        "COMPTOIR_CONFIG",
        "COMPTOIR_LOG",
        "COMPTOIR_LOG_FILE",
        "RUST_LOG",
        "SLINT_BACKEND",
    ] {
        if !readme.contains(&format!("`{variable}`")) {
            missing.push(variable.to_owned());
        }
    }
    assert!(missing.is_empty(), "missing from README.md: {missing:?}");
}
