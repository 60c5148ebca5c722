//! Issue 20, « the operator's first hour »: what a store's IT meets on a fresh clone must never
//! mislead them. Each test is one trap of the issue: it failed before the fix.

use comptoir::domain::demo;
use comptoir::store::Store;

use crate::sync::{RunningCentral, central_dir, enrolled_terminal};
use crate::util::{
    assert_exit_saying, assert_success, assert_usage_errors, comptoir, json_of, seeded_db,
    sell_to_customer, stderr_of, temp_db, unit_product_above,
};

fn gtin() -> String {
    unit_product_above(0).gtin.as_str().to_owned()
}

// 1. Configuration reads only its own COMPTOIR_* variables.

#[test]
fn the_centrals_variables_in_the_same_shell_do_not_stop_the_terminal() {
    let db = seeded_db(50);
    let output = comptoir(&db.path)
        .env("COMPTOIR_CENTRAL_DATA", db.dir.path())
        .env("COMPTOIR_STORE_CDE", "LYO-01")
        .args(["parse", "--json", "03760000000017"])
        .output()
        .expect("parse");
    assert_success(&output);
    let stderr = stderr_of(&output);
    assert!(!stderr.contains("COMPTOIR_CENTRAL_DATA"), "{stderr}");
    assert_eq!(
        stderr.matches("COMPTOIR_STORE_CDE").count(),
        1,
        "a typo is named once: {stderr}"
    );
}

#[test]
fn configuration_errors_name_the_key_as_written_and_a_directory_is_said() {
    let db = temp_db();
    let file = db.dir.path().join("comptoir.toml");
    std::fs::write(&file, "serial_baud = \"fast\"\n").expect("write");
    let output = parse_with_config(&db.path, &file);
    assert_eq!(output.status.code(), Some(1));
    let stderr = stderr_of(&output);
    assert!(stderr.contains("\"serial_baud\""), "{stderr}");
    assert!(!stderr.contains("default."), "{stderr}");

    let output = parse_with_config(&db.path, db.dir.path());
    assert_exit_saying(&output, 1, "is a directory");
}

fn parse_with_config(db: &std::path::Path, config: &std::path::Path) -> std::process::Output {
    comptoir(db)
        .arg("--config")
        .arg(config)
        .args(["parse", "1"])
        .output()
        .expect("parse")
}

// 2. --db and --config after the subcommand; a path that does not exist; a directory.

#[test]
fn db_and_config_go_after_the_subcommand_too() {
    let db = seeded_db(50);
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_comptoir"))
        .args(["product", "--json", &gtin(), "--db"])
        .arg(&db.path)
        .env_remove("COMPTOIR_DB")
        .env_remove("COMPTOIR_CONFIG")
        .output()
        .expect("product");
    assert_success(&output);
    assert_eq!(json_of(&output)["gtin"], gtin());
}

#[test]
fn a_database_in_a_folder_that_does_not_exist_is_refused_but_seed_creates_it() {
    let db = temp_db();
    let mistyped = db.dir.path().join("no-such-dir").join("x.db");
    let output = comptoir(&mistyped)
        .args(["product", &gtin()])
        .output()
        .expect("product");
    assert_eq!(output.status.code(), Some(1));
    let stderr = stderr_of(&output);
    assert!(stderr.contains("does not exist"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(
        !mistyped.parent().expect("folder").exists(),
        "nothing created"
    );

    let output = comptoir(&mistyped)
        .args(["seed", "--products", "10", "--json"])
        .output()
        .expect("seed");
    assert_success(&output);
    assert!(mistyped.is_file());
}

#[test]
fn a_directory_given_as_the_database_is_one_clear_cause_and_no_backup_advice() {
    let db = temp_db();
    let dir = db.dir.path();
    let output = comptoir(dir)
        .args(["product", &gtin()])
        .output()
        .expect("product");
    assert_eq!(output.status.code(), Some(1));
    let stderr = stderr_of(&output);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert_eq!(stderr.matches("directory").count(), 1, "{stderr}");

    let (status, check) = crate::util::doctor_check(dir, "database");
    assert_eq!(status, Some(1));
    assert_eq!(check["verdict"], "fail");
    assert!(
        check["detail"]
            .as_str()
            .is_some_and(|d| d.contains("directory"))
    );
    assert!(
        !check["fix"].as_str().unwrap_or_default().contains("backup"),
        "{check}"
    );
}

// 3. Unknown customers are refused by sell and order.

#[test]
fn an_unknown_customer_is_refused_offline_by_sell_and_order() {
    let db = seeded_db(50);
    let sale = sell_to_customer(&db.path, &gtin(), "NOPE");
    assert_eq!(sale.status.code(), Some(1), "{}", stderr_of(&sale));
    assert!(
        json_of(&sale)["error"]
            .as_str()
            .is_some_and(|e| e.contains("NOPE"))
    );
    let order = comptoir(&db.path)
        .args(["order", &gtin(), "--customer", "NOPE", "--deliver", "home"])
        .output()
        .expect("order");
    assert_exit_saying(&order, 1, "NOPE");
    // A known customer still buys, and theirs is the first ticket: nothing was sold before.
    let sale = sell_to_customer(&db.path, &gtin(), &demo::customer(0).public_id);
    assert_success(&sale);
    assert_eq!(json_of(&sale)["ticket"], "T01-000001");
}

#[test]
fn online_the_central_vouches_for_a_customer_the_cache_does_not_hold() {
    let data = central_dir(20);
    let central = RunningCentral::start(data.path(), "127.0.0.1:0");
    let paris = enrolled_terminal(data.path(), &central.url());
    let product = gtin();
    let visitor = (0..20)
        .map(|i| demo::customer(i).public_id)
        .find(|id| {
            Store::open(&paris.path)
                .expect("open")
                .customer(id)
                .expect("read")
                .is_none()
        })
        .expect("a customer of another store");
    let refused = sell_to_customer(&paris.path, &product, "C99999999");
    assert_exit_saying(&refused, 1, "central does not know");
    assert_success(&sell_to_customer(&paris.path, &product, &visitor));
    let ordered = comptoir(&paris.path)
        .args(["order", &product, "--customer", "C99999999"])
        .args(["--deliver", "home", "--json"])
        .output()
        .expect("order");
    assert_eq!(ordered.status.code(), Some(1));
    assert!(json_of(&ordered)["error"].is_string());
}

// 4. Exit statuses: 0 ok, 1 refused or failed, 2 usage; JSON failures are JSON.

#[test]
fn usage_errors_exit_2_and_json_failures_are_json() {
    let db = seeded_db(50);
    let code = gtin();
    assert_usage_errors(
        &db.path,
        &[
            vec!["sell", code.as_str(), "--pay", "cash", "--given", "abc"],
            vec!["seed", "--products", "0"],
            vec!["sell", "03760000000017*abc", "--pay", "card"],
            vec!["sell", "03760000000017*-1", "--pay", "card"],
            vec!["basket", "add", "03760000000017*x"],
        ],
    );
    for args in [
        vec!["product", "--json", "UNKNOWN"],
        vec!["basket", "add", "UNKNOWN", "--json"],
        vec!["return", "NO-SUCH-ORDER", "--refund", "card", "--json"],
    ] {
        let output = comptoir(&db.path).args(&args).output().expect("run");
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        assert!(json_of(&output)["error"].is_string(), "{args:?}");
    }
    // An error the command returns (here the database) is JSON too.
    let output = comptoir(&db.dir.path().join("none").join("x.db"))
        .args(["search", "--json", "chaussure"])
        .output()
        .expect("search");
    assert_eq!(output.status.code(), Some(1));
    assert!(json_of(&output)["error"].is_string());
}

// 5. Messages name the one thing to fix.

#[test]
fn a_wrong_quantity_is_named_not_the_product_code() {
    let db = seeded_db(50);
    for arg in ["03760000000017*-1", "03760000000017*abc"] {
        let output = comptoir(&db.path)
            .args(["sell", arg, "--pay", "card"])
            .output()
            .expect("sell");
        let stderr = stderr_of(&output);
        assert!(stderr.contains("quantity"), "{arg}: {stderr}");
        assert!(!stderr.contains("not a product code"), "{arg}: {stderr}");
    }
}

#[test]
fn a_customer_search_that_finds_nothing_says_so() {
    let db = seeded_db(50);
    let output = comptoir(&db.path)
        .args(["customer-search", "zzzz"])
        .output()
        .expect("search");
    assert_exit_saying(&output, 1, "no customer matches");
}

#[test]
fn listen_says_when_the_port_cannot_be_opened_and_that_it_keeps_trying() {
    let db = temp_db();
    let mut child = comptoir(&db.path)
        .args(["listen", "--serial", "/dev/comptoir-no-such-port"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("listen");
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let _ = child.kill();
    let output = child.wait_with_output().expect("wait");
    let stderr = stderr_of(&output);
    assert!(
        stderr.contains("cannot be opened") && stderr.contains("keeps trying"),
        "{stderr}"
    );
}

#[test]
fn a_bad_central_address_is_named_not_a_builder_error() {
    let db = seeded_db(10);
    let output = comptoir(&db.path)
        .args(["enroll", "notaurl", "CODE"])
        .output()
        .expect("enroll");
    assert_exit_saying(&output, 1, "\"notaurl\" is not a central's address");
    assert!(!stderr_of(&output).contains("builder error"));
}

#[test]
fn the_doctor_gives_the_centrals_real_enroll_syntax() {
    let db = seeded_db(10);
    let (_, check) = crate::util::doctor_check(&db.path, "enrollment");
    assert!(
        check["fix"]
            .as_str()
            .is_some_and(|fix| fix.contains("comptoir-central enroll --store STORE")),
        "{check}"
    );
}

// 6. sync status checks the central now, and says how old its knowledge is.

fn sync_status(db: &std::path::Path, extra: &[&str]) -> serde_json::Value {
    let output = comptoir(db)
        .args(["sync", "status", "--json"])
        .args(extra)
        .output()
        .expect("status");
    assert_success(&output);
    json_of(&output)
}

#[test]
fn sync_status_says_online_only_from_a_check_made_now() {
    let data = central_dir(20);
    let central = RunningCentral::start(data.path(), "127.0.0.1:0");
    let terminal = enrolled_terminal(data.path(), &central.url());
    let status = sync_status(&terminal.path, &[]);
    assert_eq!(status["online"], true, "{status:#}");
    assert_eq!(status["connection"], "online");
    assert!(status["checked_at"].is_string());
    assert!(
        status["last_sync_age_seconds"]
            .as_i64()
            .is_some_and(|age| age >= 0)
    );

    drop(central);
    let status = sync_status(&terminal.path, &[]);
    assert_eq!(status["online"], false, "{status:#}");
    assert_eq!(status["connection"], "offline");
    assert!(status["check_error"].is_string());
    assert!(
        status["last_sync"].is_string(),
        "the last round is still told"
    );

    let status = sync_status(&terminal.path, &["--no-check"]);
    assert_eq!(status["online"], "unknown");
    assert_eq!(status["connection"], "not_checked");
    assert!(status.get("checked_at").is_none());
}

// 7. --help, and a window that cannot open.

fn help(args: &[&str]) -> String {
    let db = temp_db();
    let output = comptoir(&db.path)
        .args(args)
        .env("COLUMNS", "80")
        .output()
        .expect("help");
    assert_success(&output);
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn the_help_groups_the_commands_and_says_what_comptoir_alone_does() {
    let text = help(&["--help"]);
    for group in [
        "Selling:",
        "Customers:",
        "Pickup, returns, store credit, endless aisle:",
        "Fiscal:",
        "Sync:",
        "Devices:",
        "Maintenance:",
    ] {
        assert!(text.contains(group), "{text}");
    }
    let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(words.contains("with no command opens the screen"), "{text}");
    assert!(words.contains("xvfb-run"), "{text}");
}

#[test]
fn every_help_line_fits_the_terminal_and_every_option_is_described() {
    // `-h`: the short form puts each option's help on its line.
    for args in [
        vec!["-h"],
        vec!["sell", "-h"],
        vec!["customer", "-h"],
        vec!["sync", "status", "-h"],
    ] {
        let text = help(&args);
        for line in text.lines() {
            assert!(line.chars().count() <= 80, "{args:?}: {line}");
        }
        // An option without help is a line of nothing but the option (`--json`, `--db <PATH>`)
        // not followed by its help, indented further, on the next line.
        let lines: Vec<&str> = text.lines().collect();
        let indent = |line: &str| line.len() - line.trim_start().len();
        for (i, line) in lines.iter().enumerate() {
            let words: Vec<&str> = line.split_whitespace().collect();
            let bare = words.first().is_some_and(|w| w.starts_with('-'))
                && words
                    .iter()
                    .all(|w| w.starts_with('-') && !w.ends_with(')') || w.starts_with('<'));
            let help_below = lines
                .get(i + 1)
                .is_some_and(|next| !next.trim().is_empty() && indent(next) > indent(line));
            assert!(!bare || help_below, "{args:?}: no help for {line}");
        }
    }
}

#[test]
fn no_display_is_one_line_that_says_what_to_run_and_creates_no_store() {
    let db = temp_db();
    let output = comptoir(&db.path)
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("SLINT_BACKEND")
        .output()
        .expect("comptoir");
    assert_exit_saying(&output, 1, "no display");
    let stderr = stderr_of(&output);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    for alternative in ["comptoir shot", "xvfb-run", "comptoir --help"] {
        assert!(stderr.contains(alternative), "{stderr}");
    }
    assert!(!db.path.exists(), "no demo store was written");
}
