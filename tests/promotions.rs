//! Issue 15, item 2: the head office's promotion rules reach the terminals. Through the real
//! binaries: `comptoir-central promo add|list|end` on a data directory, `comptoir-central serve`
//! on loopback, and an enrolled `comptoir` that pulls with `sync once` and says with
//! `promo list` which rules it holds and which run now.

use std::path::Path;

use serde_json::{Value, json};

use crate::central::Served;
use crate::util::{
    assert_exit_saying, assert_success, central_cli, central_json, comptoir, json_of, temp_db,
};

/// A rule running from 2020 to 2099: active whenever the tests run.
fn rule(id: &str, name: &str) -> Value {
    json!({
        "id": id, "name": name,
        "starts": "2020-01-01T00:00:00", "ends": "2099-01-01T00:00:00",
        "target": {"categories": ["Chaussures"]},
        "offer": {"kind": "percent_off", "basis_points": 2000}
    })
}

/// A seeded central data directory (through the real binary).
fn seeded_central(dir: &Path) {
    assert_success(
        &central_cli(dir)
            .args(["seed", "--products", "40"])
            .output()
            .expect("seed"),
    );
}

/// `promo add --json FILE` with `rules` written to FILE.
fn promo_add(data: &Path, rules: &Value) -> std::process::Output {
    let file = data.with_extension("rules.json");
    std::fs::write(&file, rules.to_string()).expect("write the rules");
    central_cli(data)
        .args(["promo", "add", "--json"])
        .arg(&file)
        .output()
        .expect("promo add")
}

fn central_ids(data: &Path) -> Vec<String> {
    central_json(data, &["promo", "list", "--json"])
        .as_array()
        .expect("a list")
        .iter()
        .map(|r| r["id"].as_str().expect("an id").to_owned())
        .collect()
}

/// `comptoir promo list --json`, as the rule of id `id`.
fn held(db: &Path, id: &str) -> Option<Value> {
    let output = comptoir(db)
        .args(["promo", "list", "--json"])
        .output()
        .expect("promo list");
    assert_success(&output);
    json_of(&output)
        .as_array()
        .expect("an array")
        .iter()
        .find(|r| r["id"] == id)
        .cloned()
}

fn sync_once(db: &Path) {
    let output = comptoir(db)
        .args(["sync", "once", "--json"])
        .output()
        .expect("sync once");
    assert_success(&output);
}

#[test]
fn promo_add_refuses_a_file_with_one_bad_rule_whole_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("central");
    seeded_central(&data);
    let demo = central_ids(&data);
    assert_eq!(demo, ["DEMO-EPICERIE-3P2", "DEMO-MARIUS-2E-50"]);

    let mut too_much = rule("TROP", "Moins 120 %");
    too_much["offer"]["basis_points"] = json!(12_000);
    let mut backwards = rule("ENVERS", "À l'envers");
    backwards["ends"] = json!("2019-01-01T00:00:00");
    let mut unknown_field = rule("INCONNU", "Champ inconnu");
    unknown_field["colour"] = json!("rouge");
    let cases = [
        (json!([rule("BON", "Bon"), too_much]), "rule 2 (TROP)"),
        (json!([backwards]), "rule 1 (ENVERS)"),
        (json!([unknown_field]), "unknown field"),
        (
            json!([rule("DEUX", "Une"), rule("DEUX", "Deux")]),
            "repeats the id DEUX",
        ),
        (json!([]), "holds no rule"),
        (json!("a string"), "one rule"),
    ];
    for (rules, says) in cases {
        let output = promo_add(&data, &rules);
        assert_exit_saying(&output, 1, says);
        assert_exit_saying(&output, 1, "nothing was added");
        assert_eq!(central_ids(&data), demo, "nothing written for {rules}");
    }
    let not_json = data.with_extension("broken.json");
    std::fs::write(&not_json, "[{").expect("write");
    let output = central_cli(&data)
        .args(["promo", "add", "--json"])
        .arg(&not_json)
        .output()
        .expect("promo add");
    assert_exit_saying(&output, 1, "not JSON");

    // A held id: the identical rule is fine (already held), other terms refuse the whole file.
    let added = promo_add(&data, &rule("SOLDES", "Soldes"));
    assert_success(&added);
    assert!(String::from_utf8_lossy(&added.stdout).contains("1 promotion(s) added"));
    let again = promo_add(&data, &json!([rule("SOLDES", "Soldes")]));
    assert_success(&again);
    assert!(String::from_utf8_lossy(&again.stdout).contains("0 promotion(s) added, 1 already"));
    let output = promo_add(
        &data,
        &json!([rule("NOUVEAU", "Nouveau"), rule("SOLDES", "Soldes bis")]),
    );
    assert_exit_saying(
        &output,
        1,
        "promotion SOLDES is already held with other terms",
    );
    assert!(!central_ids(&data).contains(&"NOUVEAU".to_owned()));

    // Ending: an unknown id, then twice the same.
    assert_exit_saying(
        &central_cli(&data)
            .args(["promo", "end", "NOPE"])
            .output()
            .expect("end"),
        1,
        "no promotion NOPE",
    );
    assert_success(
        &central_cli(&data)
            .args(["promo", "end", "SOLDES"])
            .output()
            .expect("end"),
    );
    assert_exit_saying(
        &central_cli(&data)
            .args(["promo", "end", "SOLDES"])
            .output()
            .expect("end"),
        1,
        "already ended",
    );
    // An ended rule cannot come back under its id.
    assert_exit_saying(
        &promo_add(&data, &rule("SOLDES", "Soldes")),
        1,
        "promotion SOLDES was ended",
    );
}

#[test]
fn a_promotion_added_at_the_central_reaches_a_terminal_and_so_does_its_end() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("central");
    seeded_central(&data);
    let served = Served::logging_into(&data, &dir.path().join("serve.log"), "info");
    let url = served.1.clone();
    let enrolled = central_cli(&data)
        .args(["enroll", "--store", "PAR-01"])
        .output()
        .expect("enroll code");
    assert_success(&enrolled);
    let code = String::from_utf8_lossy(&enrolled.stdout)
        .lines()
        .last()
        .expect("a code")
        .trim()
        .to_owned();
    let db = temp_db();
    assert_success(
        &comptoir(&db.path)
            .args(["enroll", &url, &code])
            .output()
            .expect("enroll"),
    );
    sync_once(&db.path);
    // The demo chain's rules came with the first pull; ours is not there yet.
    assert!(held(&db.path, "DEMO-MARIUS-2E-50").is_some());
    assert_eq!(held(&db.path, "CHAUSSURES-20"), None);

    let mut lyon_only = rule("LYON-SEUL", "Lyon seulement");
    lyon_only["stores"] = json!(["LYO-01"]);
    assert_success(&promo_add(
        &data,
        &json!([rule("CHAUSSURES-20", "Chaussures -20 %"), lyon_only]),
    ));
    sync_once(&db.path);
    let shoes = held(&db.path, "CHAUSSURES-20").expect("pulled");
    assert_eq!(
        shoes,
        json!({
            "id": "CHAUSSURES-20", "name": "Chaussures -20 %",
            "starts": "2020-01-01T00:00:00", "ends": "2099-01-01T00:00:00",
            "offer": {"kind": "percent_off", "basis_points": 2000},
            "active": true
        })
    );
    // Held here too, but it runs in Lyon only.
    assert_eq!(
        held(&db.path, "LYON-SEUL").expect("pulled")["active"],
        false
    );

    let ended = central_cli(&data)
        .args(["promo", "end", "CHAUSSURES-20"])
        .output()
        .expect("promo end");
    assert_success(&ended);
    let at_central = central_json(&data, &["promo", "list", "--json"]);
    let at_central = at_central
        .as_array()
        .expect("a list")
        .iter()
        .find(|r| r["id"] == "CHAUSSURES-20")
        .cloned()
        .expect("listed");
    assert_eq!(at_central["ended"], true);
    assert_eq!(at_central["kind"], "percent_off");
    assert_eq!(at_central["uses"], json!({}));
    assert!(at_central["ended_at"].as_i64().is_some(), "{at_central}");
    let ends = at_central["ends"].as_str().expect("ends").to_owned();
    assert!(ends.as_str() < "2099", "{ends}");

    // Still active on the terminal until it syncs; then inactive, ending when the central says.
    assert_eq!(
        held(&db.path, "CHAUSSURES-20").expect("held")["active"],
        true
    );
    sync_once(&db.path);
    let shoes = held(&db.path, "CHAUSSURES-20").expect("still held");
    assert_eq!(shoes["active"], false, "{shoes}");
    assert_eq!(shoes["ends"], ends.as_str());

    // The text forms name the rules too.
    let text = comptoir(&db.path)
        .args(["promo", "list"])
        .output()
        .expect("promo list");
    assert_success(&text);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("inactive  CHAUSSURES-20"), "{text}");
    let text = central_cli(&data)
        .args(["promo", "list"])
        .output()
        .expect("central promo list");
    assert_success(&text);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("CHAUSSURES-20  Chaussures -20 %") && text.contains("ended"),
        "{text}"
    );
}
