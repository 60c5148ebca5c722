//! Clienteling from the command line, offline (no central): signed loyalty codes checked with
//! the key the terminal holds, the customer view from the cache or the code alone, notes checked
//! for GDPR, customers created at the counter, and points earned and spent at the till.

use comptoir::domain::demo;

use crate::util::{
    assert_success, comptoir, json_of, seeded_db, sell_to_customer, unit_product_above,
};

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

#[test]
fn loyalty_codes_are_verified_offline_with_a_reason_when_refused() {
    let db = seeded_db(200);
    let code = demo::demo_loyalty_code(3, now());
    let genuine = comptoir(&db.path)
        .args(["loyalty", "verify", &code])
        .output()
        .expect("run");
    assert_success(&genuine);
    assert_eq!(
        String::from_utf8_lossy(&genuine.stdout).trim(),
        demo::customer(3).public_id
    );
    let json = json_of(
        &comptoir(&db.path)
            .args(["loyalty", "verify", "--json", &code])
            .output()
            .expect("run"),
    );
    assert_eq!(json["valid"], true);
    assert_eq!(json["customer_id"], demo::customer(3).public_id);
    assert_eq!(json["display_name"], demo::customer(3).first_name);

    // One character of the claims changed; the code cut short; not a loyalty code at all.
    let mut altered: Vec<char> = code.chars().collect();
    altered[10] = if altered[10] == 'x' { 'y' } else { 'x' };
    let altered: String = altered.into_iter().collect();
    for (bad, reason) in [
        (altered.as_str(), "forged"),
        (&code[..code.len() - 30], "unknown_format"),
        ("03760000000017", "unknown_format"),
    ] {
        let output = comptoir(&db.path)
            .args(["loyalty", "verify", "--json", bad])
            .output()
            .expect("run");
        assert_eq!(output.status.code(), Some(1), "{bad}");
        let json = json_of(&output);
        assert_eq!(json["valid"], false);
        assert_eq!(json["reason"], reason, "{bad}");
        assert!(json.get("customer_id").is_none());
    }
    let text = comptoir(&db.path)
        .args(["loyalty", "verify", &altered])
        .output()
        .expect("run");
    assert_eq!(text.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&text.stdout).starts_with("forged: "));
}

#[test]
fn the_customer_view_comes_from_the_cache_or_the_code_and_every_opening_is_logged() {
    let db = seeded_db(200);
    let customer = demo::customer(5);
    let view = json_of(
        &comptoir(&db.path)
            .args(["customer", "--json", &demo::demo_loyalty_code(5, now())])
            .output()
            .expect("run"),
    );
    assert_eq!(view["id"], customer.public_id);
    assert_eq!(view["last_name"], customer.last_name);
    assert_eq!(view["email"], customer.email);
    assert_eq!(view["loyalty_points"], customer.loyalty_points);
    assert_eq!(view["source"], "cache");
    assert!(view["age_seconds"].as_i64().expect("age") >= 0);
    assert_eq!(view["consents"].as_array().expect("consents").len(), 2);

    // By id too; an id nobody knows is refused.
    let by_id = comptoir(&db.path)
        .args(["customer", "--json", &customer.public_id])
        .output()
        .expect("run");
    assert_success(&by_id);
    let unknown = comptoir(&db.path)
        .args(["customer", "C99999999"])
        .output()
        .expect("run");
    assert_eq!(unknown.status.code(), Some(1));

    let store = comptoir::store::Store::open(&db.path).expect("open");
    assert_eq!(store.access_count(&customer.public_id).expect("log"), 2);
    // The access log left the terminal's outbox for the central (ids and logins only).
    let waiting: Vec<_> = comptoir::sync::wire::pending_outbox(&store, 100).expect("outbox");
    let accesses: Vec<_> = waiting
        .iter()
        .filter(|e| e.kind == comptoir::sync::protocol::EventKind::CustomerAccess)
        .collect();
    assert_eq!(accesses.len(), 2);
    assert_eq!(accesses[0].payload["customer"], customer.public_id);
    assert_eq!(accesses[0].payload["staff"], "cli");
}

#[test]
fn a_customer_this_store_never_saw_still_gets_a_card_from_the_code() {
    // 200 products give 20 customers: number 900 is not in this store's cache.
    let db = seeded_db(200);
    let view = json_of(
        &comptoir(&db.path)
            .args(["customer", "--json", &demo::demo_loyalty_code(900, now())])
            .output()
            .expect("run"),
    );
    assert_eq!(view["id"], demo::customer(900).public_id);
    assert_eq!(view["first_name"], demo::customer(900).first_name);
    assert_eq!(view["last_name"], "");
    assert_eq!(view["source"], "code");
}

#[test]
fn a_note_that_is_not_factual_warns_and_is_saved_only_when_confirmed() {
    let db = seeded_db(200);
    let id = demo::customer(2).public_id;
    let warned = comptoir(&db.path)
        .args([
            "customer",
            &id,
            "--note",
            "Client très désagréable, diabétique",
        ])
        .output()
        .expect("run");
    assert_eq!(warned.status.code(), Some(1));
    let message = String::from_utf8_lossy(&warned.stderr);
    assert!(
        message.contains("désagréable") && message.contains("diabétique"),
        "{message}"
    );
    let view = json_of(
        &comptoir(&db.path)
            .args(["customer", "--json", &id, "--note", "Préfère la taille 42"])
            .output()
            .expect("run"),
    );
    let notes = view["notes"].as_array().expect("notes");
    assert_eq!(notes.len(), 1, "the refused note was not saved");
    assert_eq!(notes[0]["text"], "Préfère la taille 42");
    assert_eq!(notes[0]["author"], "cli");
    let confirmed = comptoir(&db.path)
        .args([
            "customer",
            "--json",
            &id,
            "--note",
            "Allergie au nickel",
            "--confirm-note",
        ])
        .output()
        .expect("run");
    assert_success(&confirmed);
    assert_eq!(
        json_of(&confirmed)["notes"]
            .as_array()
            .expect("notes")
            .len(),
        2
    );
}

#[test]
fn consents_and_privacy_requests_are_recorded_with_their_time() {
    let db = seeded_db(200);
    let id = demo::customer(6).public_id;
    let view = json_of(
        &comptoir(&db.path)
            .args([
                "customer",
                "--json",
                &id,
                "--consent",
                "email=on",
                "--consent",
                "sms=off",
            ])
            .args(["--request", "erasure"])
            .output()
            .expect("run"),
    );
    let consents = view["consents"].as_array().expect("consents");
    let email = consents
        .iter()
        .find(|c| c["channel"] == "email")
        .expect("email");
    assert_eq!(email["granted"], true);
    assert!(email["at"].as_i64().is_some());
    let sms = consents
        .iter()
        .find(|c| c["channel"] == "sms")
        .expect("sms");
    assert_eq!(sms["granted"], false);
    assert!(sms["at"].as_i64().is_some(), "a refusal is dated too");
    let bad = comptoir(&db.path)
        .args(["customer", &id, "--consent", "fax=on"])
        .output()
        .expect("run");
    assert_eq!(bad.status.code(), Some(2));
    let store = comptoir::store::Store::open(&db.path).expect("open");
    let kinds: Vec<_> = comptoir::sync::wire::pending_outbox(&store, 100)
        .expect("outbox")
        .into_iter()
        .map(|e| e.kind)
        .collect();
    use comptoir::sync::protocol::EventKind;
    assert_eq!(
        kinds.iter().filter(|k| **k == EventKind::Consent).count(),
        2
    );
    assert_eq!(
        kinds
            .iter()
            .filter(|k| **k == EventKind::PrivacyRequest)
            .count(),
        1
    );
}

#[test]
fn a_customer_created_offline_is_found_by_e_mail_and_phone() {
    let db = seeded_db(200);
    let created = comptoir(&db.path)
        .args([
            "customer-new",
            "--json",
            "--first-name",
            "Zoé",
            "--last-name",
            "Testeuse",
        ])
        .args([
            "--email",
            "Zoe.Testeuse@Example.org",
            "--phone",
            "06 12 34 56 78",
        ])
        .output()
        .expect("run");
    assert_success(&created);
    let local_id = json_of(&created)["local_id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert!(local_id.starts_with("L-"));
    for query in ["zoe.testeuse@example.org", "+33 6 12 34 56 78", "zoe test"] {
        let found = json_of(
            &comptoir(&db.path)
                .args(["customer-search", "--json", query])
                .output()
                .expect("run"),
        );
        assert_eq!(found["source"], "cache", "{query}");
        assert_eq!(found["hits"][0]["id"], local_id, "{query}");
    }
    let refused = comptoir(&db.path)
        .args([
            "customer-new",
            "--first-name",
            "Zoé",
            "--last-name",
            "Testeuse",
        ])
        .output()
        .expect("run");
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("e-mail address or a phone"));
}

#[test]
fn points_are_earned_and_redeemed_at_the_till_offline() {
    let db = seeded_db(200);
    let customer = demo::customer(7);
    let product = unit_product_above(500);
    let code = demo::demo_loyalty_code(7, now());
    let sale = json_of(&sell_to_customer(&db.path, product.gtin.as_str(), &code));
    let earned = product.price.get() / 100;
    assert_eq!(sale["customer"], customer.public_id);
    assert_eq!(sale["points_earned"], earned);
    let balance = |db: &std::path::Path| {
        json_of(
            &comptoir(db)
                .args(["customer", "--json", &customer.public_id])
                .output()
                .expect("run"),
        )["loyalty_points"]
            .as_i64()
            .expect("points")
    };
    assert_eq!(balance(&db.path), customer.loyalty_points + earned);

    // More points than the customer has are refused and nothing is sold.
    let greedy = comptoir(&db.path)
        .args([
            "sell",
            product.gtin.as_str(),
            "--pay",
            "card",
            "--customer",
            &customer.public_id,
        ])
        .args(["--redeem", "100000"])
        .output()
        .expect("run");
    assert_eq!(greedy.status.code(), Some(1));
    assert_eq!(balance(&db.path), customer.loyalty_points + earned);

    // 10 points (50 cents) pay first, the card the rest, which earns points.
    let spent = json_of(
        &comptoir(&db.path)
            .args(["sell", "--json", product.gtin.as_str(), "--pay", "card"])
            .args(["--customer", &customer.public_id, "--redeem", "10"])
            .output()
            .expect("run"),
    );
    assert_eq!(spent["payments"][0]["method"], "loyalty");
    assert_eq!(spent["payments"][0]["amount_cents"], 50);
    let earned_again = (product.price.get() - 50) / 100;
    assert_eq!(spent["points_earned"], earned_again);
    assert_eq!(
        balance(&db.path),
        customer.loyalty_points + earned - 10 + earned_again
    );
    // The journal stays intact with a loyalty payment in it.
    assert_success(
        &comptoir(&db.path)
            .args(["journal", "verify"])
            .output()
            .expect("run"),
    );
}
