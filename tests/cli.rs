//! The CLI contract of issue 3: names, JSON fields and exit statuses, driven through the binary.

use comptoir::domain::demo;
use serde_json::{Value, json};

use crate::util::{
    assert_exit_saying, assert_success, assert_usage_errors, comptoir, json_of, seeded_db,
    stderr_of, temp_db,
};

fn parse(raw: &str) -> (Option<i32>, Value) {
    let db = temp_db();
    let output = comptoir(&db.path)
        .args(["parse", "--json", "--", raw])
        .output()
        .expect("run comptoir parse");
    (output.status.code(), json_of(&output))
}

#[test]
fn parse_prints_the_contract_fields_for_every_kind_of_code() {
    let gs = '\u{1d}';
    // (raw, kind, gtin, ais, symbology)
    type Case<'a> = (String, &'a str, Option<&'a str>, Value, Option<&'a str>);
    let cases: Vec<Case> = vec![
        (
            "4006381333931".into(),
            "gtin",
            Some("04006381333931"),
            json!({}),
            None,
        ),
        (
            "]E00416000336108".into(),
            "gtin",
            Some("00416000336108"),
            json!({}),
            Some("]E0"),
        ),
        (
            "]E402345673".into(),
            "gtin",
            Some("00000002345673"),
            json!({}),
            Some("]E4"),
        ),
        (
            format!("]C1011231231231233310ABC123{gs}99TESTING"),
            "gs1",
            Some("12312312312333"),
            json!({"01": "12312312312333", "10": "ABC123", "99": "TESTING"}),
            Some("]C1"),
        ),
        (
            "(01)09520123456788(17)261231(10)LOT7".into(),
            "gs1",
            Some("09520123456788"),
            json!({"01": "09520123456788", "17": "261231", "10": "LOT7"}),
            None,
        ),
        (
            "]Q1https://example.com/01/12312312312333?99=TEST".into(),
            "digital_link",
            Some("12312312312333"),
            json!({"01": "12312312312333", "99": "TEST"}),
            Some("]Q1"),
        ),
        (
            "https://brand.example/01/09520123456788/10/ABC%2F1".into(),
            "digital_link",
            Some("09520123456788"),
            json!({"01": "09520123456788", "10": "ABC/1"}),
            None,
        ),
    ];
    for (raw, kind, gtin, ais, symbology) in cases {
        let (code, out) = parse(&raw);
        assert_eq!(code, Some(0), "{raw}: {out}");
        assert_eq!(out["kind"], kind, "{raw}: {out}");
        assert_eq!(out["gtin"].as_str(), gtin, "{raw}: {out}");
        assert_eq!(out["ais"], ais, "{raw}: {out}");
        assert_eq!(out["symbology"].as_str(), symbology, "{raw}: {out}");
        assert_eq!(out["raw"], raw.as_str(), "{raw}: {out}");
        assert!(out.get("error").is_none(), "{raw}: {out}");
    }
}

#[test]
fn parse_reads_variable_measure_labels_with_the_configured_layout() {
    let (code, out) = parse("2112345015002");
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(out["kind"], "in_store");
    assert_eq!(out["in_store"]["item_code"], "12345");
    assert_eq!(out["in_store"]["weight_grams"], 1500);
}

#[test]
fn parse_says_why_a_code_is_invalid_and_exits_1() {
    let cases = [
        ("4006381333932", "check digit"),
        ("]E402345674", "check digit"),
        ("(01)09520123456788(17)261332", "17"),
        ("(01)09520123456788(10)ABCDEFGHIJKLMNOPQRSTU", "10"),
        ("(3103)00A195", "3103"),
        ("(23)12345", "23"),
    ];
    for (raw, reason) in cases {
        let (code, out) = parse(raw);
        assert_eq!(code, Some(1), "{raw}: {out}");
        assert_eq!(out["kind"], "invalid", "{raw}: {out}");
        let error = out["error"].as_str().unwrap_or_default();
        assert!(
            error.contains(reason),
            "{raw}: {error:?} should mention {reason}"
        );
    }
}

#[test]
fn parse_reports_unknown_text_without_failing_to_run() {
    let (code, out) = parse("hello, world");
    assert_eq!(code, Some(1));
    assert_eq!(out["kind"], "unknown");
    assert_eq!(out["raw"], "hello, world");
}

#[test]
fn usage_errors_exit_with_status_2() {
    let db = temp_db();
    assert_usage_errors(
        &db.path,
        &[
            vec!["parse"],
            vec!["frobnicate"],
            vec!["seed"],
            vec!["search", "--json", "--limit", "0", "pull"],
        ],
    );
}

#[test]
fn seed_fills_an_empty_database_and_refuses_a_second_time() {
    let db = temp_db();
    let output = comptoir(&db.path)
        .args(["seed", "--products", "500", "--json"])
        .output()
        .expect("seed");
    assert_success(&output);
    let report = json_of(&output);
    assert_eq!(report["products"], 500);
    assert_eq!(report["locations"], 8);
    assert_eq!(report["stock_rows"], 4000);
    assert!(report["customers"].as_u64().unwrap_or(0) > 0, "{report}");

    let again = comptoir(&db.path)
        .args(["seed", "--products", "500"])
        .output()
        .expect("seed again");
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr_of(&again).contains("already holds 500 products"),
        "{}",
        stderr_of(&again)
    );
}

#[test]
fn product_prints_the_card_with_stock_everywhere() {
    let db = seeded_db(300);
    let expected = demo::product(7);
    let output = comptoir(&db.path)
        .args(["product", "--json", expected.gtin.as_str()])
        .output()
        .expect("product");
    assert_success(&output);
    let card = json_of(&output);
    assert_eq!(card["gtin"], expected.gtin.as_str());
    assert_eq!(card["name"], expected.name);
    assert_eq!(card["brand"], expected.brand);
    assert_eq!(card["price_cents"], expected.price.get());
    assert_eq!(card["stock"]["here"], demo::stock(7, 0).0);
    let others = card["stock"]["others"].as_array().expect("others");
    assert_eq!(others.len(), 7, "{card}");
    for other in others {
        assert!(other["qty"].is_i64(), "{other}");
        assert!(
            other["as_of"].as_str().is_some_and(|t| t.ends_with('Z')),
            "{other}"
        );
    }
}

#[test]
fn product_keeps_what_a_gs1_code_carried() {
    let db = seeded_db(300);
    let gtin = demo::product(11).gtin;
    let raw = format!("https://shop.example/01/{gtin}/10/LOT%2F42?17=200131");
    let output = comptoir(&db.path)
        .args(["product", "--json", &raw])
        .output()
        .expect("product");
    assert_success(&output);
    let card = json_of(&output);
    assert_eq!(card["gtin"], gtin.as_str());
    assert_eq!(card["lot"], "LOT/42");
    assert_eq!(card["expiry"], "2020-01-31");
    assert_eq!(card["expired"], true);
}

#[test]
fn product_prices_a_weighed_label() {
    let db = seeded_db(300);
    // Demo product 3 is sold by weight with item code 10000; 1.5 kg.
    let bulk = demo::product(3);
    let label = ean13_with_check("211000001500");
    let output = comptoir(&db.path)
        .args(["product", "--json", &label])
        .output()
        .expect("product");
    assert_success(&output);
    let card = json_of(&output);
    assert_eq!(card["name"], bulk.name);
    assert_eq!(card["price_unit"], "kg");
    assert_eq!(card["weight_grams"], 1500);
    assert_eq!(card["amount_cents"], (bulk.price.get() * 3 + 1) / 2);
}

fn ean13_with_check(body: &str) -> String {
    let check = comptoir::domain::gtin::check_digit(body).expect("12 digits");
    format!("{body}{check}")
}

#[test]
fn product_says_clearly_when_the_product_is_unknown() {
    let db = seeded_db(100);
    let output = comptoir(&db.path)
        .args(["product", "--json", "4006381333931"])
        .output()
        .expect("product");
    assert_exit_saying(&output, 1, "no product with GTIN 04006381333931");
    // Issue 20: a script asking for JSON gets JSON for the failure too.
    assert!(
        json_of(&output)["error"]
            .as_str()
            .is_some_and(|e| e.contains("04006381333931"))
    );
    let garbled = comptoir(&db.path)
        .args(["product", "4006381333932"])
        .output()
        .expect("product");
    assert_exit_saying(&garbled, 1, "check digit");
}

#[test]
fn search_finds_names_whatever_the_accents_case_and_plural() {
    let db = seeded_db(2_000);
    for (query, word) in [
        ("chaussure", "chaussures"),
        ("ECHARPE", "écharpe"),
        ("pull", "pull"),
    ] {
        let output = comptoir(&db.path)
            .args(["search", "--json", "--limit", "5", query])
            .output()
            .expect("search");
        assert_success(&output);
        let hits = json_of(&output);
        let hits = hits.as_array().expect("array");
        assert_eq!(hits.len(), 5, "{query}");
        for hit in hits {
            let name = hit["name"].as_str().unwrap_or_default().to_lowercase();
            assert!(name.contains(word), "{query}: {name}");
            for field in ["gtin", "brand", "price_cents", "stock_here"] {
                assert!(hit.get(field).is_some(), "{field} missing in {hit}");
            }
        }
    }
}

#[test]
fn configuration_file_and_environment_choose_the_store() {
    let db = seeded_db(50);
    let gtin = demo::product(5).gtin;
    let config = db.dir.path().join("comptoir.toml");
    std::fs::write(&config, "store_code = \"LYO-01\"\n").expect("write config");
    let output = comptoir(&db.path)
        .arg("--config")
        .arg(&config)
        .args(["product", "--json", gtin.as_str()])
        .output()
        .expect("product");
    assert_success(&output);
    assert_eq!(json_of(&output)["stock"]["here"], demo::stock(5, 1).0);

    let output = comptoir(&db.path)
        .arg("--config")
        .arg(&config)
        .env("COMPTOIR_STORE_CODE", "ENT-ORL")
        .args(["product", "--json", gtin.as_str()])
        .output()
        .expect("product");
    assert_success(&output);
    assert_eq!(json_of(&output)["stock"]["here"], demo::stock(5, 6).0);

    let output = comptoir(&db.path)
        .env("COMPTOIR_MODE", "cashier")
        .args(["product", gtin.as_str()])
        .output()
        .expect("product");
    assert_eq!(output.status.code(), Some(1));
    let message = stderr_of(&output).to_lowercase();
    assert!(
        message.contains("mode") && message.contains("cashier"),
        "{message}"
    );
}
