//! `comptoir basket …` against a real database file (issue 14): the one open basket of the
//! terminal, shared with the screen, changed line by line, parked and resumed across processes
//! (so across restarts).

use comptoir::domain::demo;
use serde_json::Value;

use crate::util::{assert_success, comptoir, json_of, seeded_db, stderr_of};

fn basket(db: &std::path::Path, args: &[&str]) -> std::process::Output {
    comptoir(db)
        .arg("basket")
        .args(args)
        .output()
        .expect("comptoir basket")
}

fn shown(db: &std::path::Path) -> Value {
    let output = basket(db, &["show", "--json"]);
    assert_success(&output);
    json_of(&output)
}

#[test]
fn scans_add_to_one_line_and_a_removed_line_leaves_the_total() {
    let db = seeded_db(200);
    let (a, b) = (demo::product(1), demo::product(2));
    for (code, line) in [
        (a.gtin.as_str(), 1),
        (b.gtin.as_str(), 2),
        (a.gtin.as_str(), 1),
    ] {
        let output = basket(&db.path, &["add", code, "--json"]);
        assert_success(&output);
        assert_eq!(json_of(&output)["added_to_line"], line, "{code}");
    }
    let open = shown(&db.path);
    let lines = open["lines"].as_array().expect("lines");
    assert_eq!(
        lines.len(),
        2,
        "the same product scanned again adds to its line"
    );
    assert_eq!(lines[0]["quantity"], 2);
    assert_eq!(lines[0]["gtin"], a.gtin.as_str());
    assert_eq!(open["item_count"], 3);
    assert_eq!(open["total_cents"], a.price.get() * 2 + b.price.get());

    // `*QTY` as for `sell`.
    assert_success(&basket(&db.path, &["add", &format!("{}*3", b.gtin)]));
    assert_eq!(shown(&db.path)["lines"][1]["quantity"], 4);

    assert_success(&basket(&db.path, &["remove", "1"]));
    let open = shown(&db.path);
    assert_eq!(open["lines"].as_array().map(Vec::len), Some(1));
    assert_eq!(open["total_cents"], b.price.get() * 4);
}

#[test]
fn refusals_exit_1_and_change_nothing() {
    let db = seeded_db(200);
    let a = demo::product(1);
    assert_success(&basket(&db.path, &["add", a.gtin.as_str()]));
    let before = shown(&db.path);

    let unknown = basket(&db.path, &["add", "4006381333931"]);
    assert_eq!(unknown.status.code(), Some(1), "{}", stderr_of(&unknown));
    assert!(stderr_of(&unknown).contains("the basket is unchanged"));
    let no_line = basket(&db.path, &["remove", "5"]);
    assert_eq!(no_line.status.code(), Some(1));
    assert!(
        stderr_of(&no_line).contains("no line"),
        "{}",
        stderr_of(&no_line)
    );
    let no_parked = basket(&db.path, &["resume", "999"]);
    assert_eq!(no_parked.status.code(), Some(1));
    assert!(stderr_of(&no_parked).contains("no parked basket 999"));
    let usage = basket(&db.path, &["remove", "x"]);
    assert_eq!(usage.status.code(), Some(2), "a usage error");
    assert_eq!(shown(&db.path), before);

    assert_success(&basket(&db.path, &["remove", "1"]));
    let empty = basket(&db.path, &["park"]);
    assert_eq!(empty.status.code(), Some(1));
    assert!(stderr_of(&empty).contains("nothing to park"));
}

#[test]
fn a_parked_basket_waits_with_who_and_when_and_comes_back_whole() {
    let db = seeded_db(200);
    let (a, b, c) = (demo::product(1), demo::product(2), demo::product(4));
    assert_success(&basket(&db.path, &["add", &format!("{}*2", a.gtin)]));
    assert_success(&basket(&db.path, &["add", b.gtin.as_str()]));
    let first = shown(&db.path);

    let parked = basket(&db.path, &["park", "--json"]);
    assert_success(&parked);
    let id = json_of(&parked)["parked_id"].as_i64().expect("parked_id");
    assert_eq!(
        shown(&db.path)["item_count"],
        0,
        "the next customer starts empty"
    );

    // The next customer's basket, then the first customer is back.
    assert_success(&basket(&db.path, &["add", c.gtin.as_str()]));
    let list = basket(&db.path, &["parked", "--json"]);
    assert_success(&list);
    let list = json_of(&list);
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    assert_eq!(list[0]["parked_id"], id);
    assert_eq!(list[0]["parked_by"], "cli");
    assert_eq!(list[0]["item_count"], 3);
    assert_eq!(list[0]["total_cents"], first["total_cents"]);
    assert!(
        list[0]["parked_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );

    let resumed = basket(&db.path, &["resume", &id.to_string()]);
    assert_success(&resumed);
    assert_eq!(shown(&db.path), first);
    // The basket that was open (product 3) is parked in its place, not lost.
    let list = json_of(&basket(&db.path, &["parked", "--json"]));
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    assert_eq!(list[0]["total_cents"], c.price.get());
}
