//! Clienteling between a terminal and the real central on loopback: codes the central signs are
//! verified offline, the customer view is fetched online and shown from the cache offline, the
//! online cart goes into the basket, and what the counter records (points, notes, consents,
//! accesses, new customers) reaches the central exactly once.

use std::path::Path;

use comptoir::app::customer::fetch_fresh_view;
use comptoir::domain::customer::CustomerView;
use comptoir::domain::demo;
use comptoir::store::Store;
use comptoir::sync::engine::ask_central;

use crate::sync::{RunningCentral, central_dir, enrolled_terminal, sync};
use crate::util::{
    assert_success, central_cli, central_json, central_sign, comptoir, json_of, sell_to_customer,
    unit_product_above,
};

fn view(db: &Path, who: &str) -> serde_json::Value {
    let output = comptoir(db)
        .args(["customer", "--json", who])
        .output()
        .expect("customer");
    assert_success(&output);
    json_of(&output)
}

/// A customer of the demo chain with an online cart (one in three has one).
fn customer_with_cart(db: &Path) -> (String, serde_json::Value) {
    for index in (0..20).step_by(3) {
        let id = demo::customer(index).public_id;
        let v = view(db, &id);
        if !v["online_cart"].as_array().expect("cart").is_empty() {
            return (id, v);
        }
    }
    panic!("no demo customer with an online cart");
}

#[test]
fn a_signed_code_is_verified_and_the_customer_shown_with_the_central_stopped() {
    let data = central_dir(300);
    let central = RunningCentral::start(data.path(), "127.0.0.1:0");
    let db = enrolled_terminal(data.path(), &central.url());
    let customer = demo::customer(9);
    let code = central_sign(data.path(), "loyalty", &customer.public_id);

    // Online: the central's view, with its history, cached on the way.
    let online = view(&db.path, &code);
    assert_eq!(online["source"], "central");
    assert_eq!(online["id"], customer.public_id);
    assert_eq!(online["consents"].as_array().expect("consents").len(), 2);

    drop(central);
    // Offline: the code still checks out with the key enrollment gave...
    let verified = comptoir(&db.path)
        .args(["loyalty", "verify", "--json", &code])
        .output()
        .expect("verify");
    assert_success(&verified);
    assert_eq!(json_of(&verified)["customer_id"], customer.public_id);
    // ...the demo chain's codes no longer do (this terminal trusts its central's key only)...
    let demo_code = demo::demo_loyalty_code(9, chrono::Utc::now().timestamp());
    let forged = comptoir(&db.path)
        .args(["loyalty", "verify", "--json", &demo_code])
        .output()
        .expect("verify");
    assert_eq!(forged.status.code(), Some(1));
    assert_eq!(json_of(&forged)["reason"], "forged");
    // ...and the customer is shown from the cache, with what the central said and its age.
    let offline = view(&db.path, &code);
    assert_eq!(offline["source"], "cache");
    for field in [
        "first_name",
        "last_name",
        "email",
        "tier",
        "purchases",
        "online_cart",
        "wishlist",
    ] {
        assert_eq!(offline[field], online[field], "{field}");
    }
    assert!(offline["age_seconds"].as_i64().expect("age") >= 0);
}

/// What a UI does once a customer's page is up: ask the central for a fresher view.
fn fresher_view(store: &mut Store, id: &str) -> Option<CustomerView> {
    fetch_fresh_view(store, id, |store, id| {
        ask_central(
            store,
            |client| async move { client.customer_view(id).await },
        )
    })
    .expect("fresh view")
}

#[test]
fn a_fresher_view_of_a_customer_on_show_is_not_a_second_access() {
    let data = central_dir(300);
    let central = RunningCentral::start(data.path(), "127.0.0.1:0");
    let db = enrolled_terminal(data.path(), &central.url());
    let id = demo::customer(4).public_id;
    let opened = view(&db.path, &id);
    let mut store = Store::open(&db.path).expect("store");
    assert_eq!(store.access_count(&id).expect("count"), 1);

    let fresh = fresher_view(&mut store, &id).expect("the central knows them");
    assert_eq!(fresh.id, id);
    assert_eq!(
        fresh.first_name,
        opened["first_name"].as_str().expect("name")
    );
    assert!(fresher_view(&mut store, "C99999999").is_none());
    drop(central);
    assert!(
        fresher_view(&mut store, &id).is_none(),
        "offline: nothing fresher"
    );
    // One opening, one line in the access log, however often the page was refreshed.
    assert_eq!(store.access_count(&id).expect("count"), 1);
}

#[test]
fn the_online_cart_goes_into_the_basket_with_prices_and_stock() {
    let data = central_dir(300);
    let central = RunningCentral::start(data.path(), "127.0.0.1:0");
    let db = enrolled_terminal(data.path(), &central.url());
    let (id, fetched) = customer_with_cart(&db.path);
    let store = Store::open(&db.path).expect("open");
    let view: CustomerView = store
        .cached_customer_view(&id)
        .expect("read")
        .expect("the fetched view is cached");
    assert_eq!(
        serde_json::to_value(&view.online_cart).expect("json"),
        fetched["online_cart"]
    );
    let mut basket = comptoir::domain::basket::Basket::new();
    let today = chrono::Utc::now().date_naive();
    let outcomes =
        comptoir::app::customer::cart_to_basket(&store, &view, &mut basket, demo::HERE_CODE, today)
            .expect("cart to basket");
    assert_eq!(outcomes.len(), view.online_cart.len());
    for (outcome, item) in outcomes.iter().zip(&view.online_cart) {
        let product = store
            .product(&comptoir::domain::gtin::Gtin::parse(&item.gtin).expect("gtin"))
            .expect("read")
            .expect("in the catalogue");
        assert_eq!(outcome.store_price_cents, Some(product.price.get()));
        assert_eq!(
            outcome.difference_cents,
            Some(product.price.get() - item.online_price_cents)
        );
        if outcome.stock_here < item.quantity {
            // Not enough here: where else it is, if anywhere.
            if let Some(there) = &outcome.available_at {
                assert_ne!(there.location_code, demo::HERE_CODE);
                assert!(there.qty > 0);
            }
        } else {
            assert!(outcome.available_at.is_none());
        }
    }
    let added: i64 = outcomes
        .iter()
        .filter(|o| o.added)
        .map(|o| o.quantity)
        .sum();
    assert_eq!(
        basket.lines().iter().map(|l| l.quantity).sum::<i64>(),
        added
    );
    assert!(added > 0);

    // A line the store does not sell stays out of the basket, with a kind a screen can word.
    let foreign = "4006381333931";
    assert!(
        store
            .product(&comptoir::domain::gtin::Gtin::parse(foreign).expect("gtin"))
            .expect("read")
            .is_none()
    );
    let mut unknown = view.clone();
    unknown.online_cart.truncate(1);
    unknown.online_cart[0].gtin = foreign.to_owned();
    let mut other_basket = comptoir::domain::basket::Basket::new();
    let outcomes = comptoir::app::customer::cart_to_basket(
        &store,
        &unknown,
        &mut other_basket,
        demo::HERE_CODE,
        today,
    )
    .expect("cart to basket");
    assert!(!outcomes[0].added);
    assert_eq!(
        outcomes[0].refusal,
        Some(comptoir::app::customer::CartLineRefusal::NotInCatalogue)
    );
    assert!(
        outcomes[0]
            .problem
            .as_deref()
            .is_some_and(|p| p.contains(foreign))
    );
    assert!(other_basket.lines().is_empty());
}

#[test]
fn points_notes_consents_and_accesses_recorded_offline_reach_the_central_once() {
    let data = central_dir(300);
    let central = RunningCentral::start(data.path(), "127.0.0.1:0");
    let db = enrolled_terminal(data.path(), &central.url());
    let customer = demo::customer(4);
    let id = customer.public_id.clone();
    let before = view(&db.path, &id)["loyalty_points"]
        .as_i64()
        .expect("points");
    let address = central.url().trim_start_matches("http://").to_owned();
    drop(central);

    // Offline: a sale that earns points, a note (the watched one is refused), a consent.
    let product = unit_product_above(1000);
    let sale = sell_to_customer(&db.path, product.gtin.as_str(), &id);
    assert_success(&sale);
    let earned = json_of(&sale)["points_earned"].as_i64().expect("earned");
    assert_eq!(earned, product.price.get() / 100);
    let refused = comptoir(&db.path)
        .args(["customer", &id, "--note", "Très radin"])
        .output()
        .expect("note");
    assert_eq!(refused.status.code(), Some(1));
    let offline = view(&db.path, &id);
    assert_eq!(offline["loyalty_points"], before + earned);
    let noted = comptoir(&db.path)
        .args([
            "customer",
            &id,
            "--note",
            "Cherche un cadeau pour le 12",
            "--consent",
            "sms=on",
        ])
        .output()
        .expect("note");
    assert_success(&noted);

    // Back online: two rounds, and a third that finds nothing new.
    let central = RunningCentral::start(data.path(), &address);
    for _ in 0..3 {
        assert_success(&sync(&db.path, None));
    }
    let stats = central_json(data.path(), &["stats", "--json"]);
    assert_eq!(stats["received"]["loyalty_movements"], 1);
    assert_eq!(stats["received"]["customer_notes"], 1);
    assert_eq!(stats["received"]["consents"], 1);
    let log = central_json(data.path(), &["access-log", &id, "--json"]);
    // The counters' openings, and beside them the terminal's reads of the record through the API.
    let (api_reads, accesses): (Vec<_>, Vec<_>) = log["accesses"]
        .as_array()
        .expect("accesses")
        .iter()
        .partition(|a| a["staff"] == "api");
    assert!(!api_reads.is_empty(), "{log}");
    let store = Store::open(&db.path).expect("open");
    assert_eq!(
        accesses.len() as i64,
        store.access_count(&id).expect("count"),
        "every opening on the terminal is in the central's log"
    );
    assert!(
        accesses
            .iter()
            .all(|a| a["staff"] == "cli" && a["store"] == demo::HERE_CODE)
    );
    drop(store);

    // The central's balance has the points once; the terminal, synced, does not count them twice.
    let fresh = view(&db.path, &id);
    assert_eq!(fresh["source"], "central");
    assert_eq!(fresh["loyalty_points"], before + earned);
    assert!(
        fresh["notes"]
            .as_array()
            .expect("notes")
            .iter()
            .any(|n| n["text"] == "Cherche un cadeau pour le 12")
    );
    let sms = fresh["consents"]
        .as_array()
        .expect("consents")
        .iter()
        .find(|c| c["channel"] == "sms")
        .cloned()
        .expect("sms");
    assert_eq!(sms["granted"], true);
    assert!(
        fresh["purchases"]
            .as_array()
            .expect("purchases")
            .iter()
            .any(|p| p["reference"] == "T01-000001")
    );
    drop(central);
    assert_eq!(view(&db.path, &id)["loyalty_points"], before + earned);
}

#[test]
fn a_customer_created_offline_takes_the_chains_id_and_merges_on_e_mail() {
    let data = central_dir(300);
    let central = RunningCentral::start(data.path(), "127.0.0.1:0");
    let db = enrolled_terminal(data.path(), &central.url());
    let known = demo::customer(2);
    let create = |first: &str, last: &str, email: &str| {
        let output = comptoir(&db.path)
            .args([
                "customer-new",
                "--json",
                "--first-name",
                first,
                "--last-name",
                last,
            ])
            .args(["--email", email])
            .output()
            .expect("create");
        assert_success(&output);
        json_of(&output)["local_id"]
            .as_str()
            .expect("id")
            .to_owned()
    };
    let duplicate = create(
        known.first_name,
        known.last_name,
        &known.email.to_uppercase(),
    );
    let newcomer = create("Zoé", "Testeuse", "zoe.testeuse@example.org");
    assert_success(&sync(&db.path, None));
    assert_success(&sync(&db.path, None));
    let find = |query: &str| {
        json_of(
            &comptoir(&db.path)
                .args(["customer-search", "--json", query])
                .output()
                .expect("search"),
        )
    };
    // The duplicate is the chain's existing customer; the newcomer got a new chain id.
    let hits = find(&known.email);
    assert_eq!(hits["hits"].as_array().expect("hits").len(), 1);
    assert_eq!(hits["hits"][0]["id"], known.public_id);
    let new_id = find("zoe.testeuse@example.org")["hits"][0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert!(new_id.starts_with('C'), "{new_id}");
    drop(central);
    let store = Store::open(&db.path).expect("open");
    assert!(store.customer(&duplicate).expect("read").is_none());
    assert!(store.customer(&newcomer).expect("read").is_none());
    let cached = find("zoe.testeuse@example.org");
    assert_eq!(cached["source"], "cache");
    assert_eq!(cached["hits"][0]["id"], new_id);
}

#[test]
fn a_customer_erased_at_their_request_is_forgotten_by_the_central_and_every_terminal() {
    let data = central_dir(300);
    let central = RunningCentral::start(data.path(), "127.0.0.1:0");
    let db = enrolled_terminal(data.path(), &central.url());
    let customer = demo::customer(6);
    let id = customer.public_id.clone();
    let code = central_sign(data.path(), "loyalty", &id);

    // At the counter: their view is cached, a note and consent recorded, erasure asked for.
    let asked = comptoir(&db.path)
        .args([
            "customer",
            &code,
            "--note",
            "Cherche un manteau",
            "--consent",
        ])
        .args(["email=on", "--request", "erasure"])
        .output()
        .expect("request");
    assert_success(&asked);
    assert_success(
        &comptoir(&db.path)
            .args(["customer", &id, "--request", "access"])
            .output()
            .expect("request"),
    );
    assert_success(&sync(&db.path, None));

    // The access request: a copy of everything the chain holds, which answers it.
    let copy_file = data.path().join("copy.json");
    let copied = central_cli(data.path())
        .args(["subject-access", &id, "--out"])
        .arg(&copy_file)
        .output()
        .expect("subject access");
    assert_success(&copied);
    let copy: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&copy_file).expect("read the copy")).expect("json");
    assert_eq!(copy["customer"]["id"], id.as_str());
    assert_eq!(copy["customer"]["email"], customer.email.as_str());
    assert_eq!(copy["customer"]["notes"][0]["text"], "Cherche un manteau");
    assert_eq!(copy["customer"]["consents"][0]["granted"], true);
    let by_staff = copy["accesses"]
        .as_array()
        .expect("accesses")
        .iter()
        .filter(|a| a["staff"] != "api")
        .count();
    assert_eq!(
        by_staff, 2,
        "the counters' openings (the API reads are listed too)"
    );
    assert_eq!(copy["requests"].as_array().expect("requests").len(), 2);
    assert_eq!(copy["requests_answered"], 1);

    let open = central_json(data.path(), &["privacy-requests", "--json"]);
    let request = open
        .as_array()
        .expect("requests")
        .iter()
        .find(|r| r["customer"] == id.as_str())
        .expect("the request is open at the central")
        .clone();
    assert_eq!(request["kind"], "erasure", "the access request is answered");
    assert_eq!(
        request["due"].as_i64().expect("due") - request["at"].as_i64().expect("at"),
        30 * 86_400,
        "one month to answer"
    );

    let erased = central_cli(data.path())
        .args(["erase", &id])
        .output()
        .expect("erase");
    assert_success(&erased);
    assert!(String::from_utf8_lossy(&erased.stdout).contains("1 erasure request"));
    let again = central_cli(data.path())
        .args(["erase", &id])
        .output()
        .expect("erase");
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already erased"));
    let open = central_json(data.path(), &["privacy-requests", "--json"]);
    assert!(
        open.as_array()
            .expect("requests")
            .iter()
            .all(|r| r["customer"] != id.as_str()),
        "answered: {open}"
    );
    // The central has nothing left to copy and signs no new card for them.
    for args in [["sign", "loyalty"], ["subject-access", "--"]] {
        let refused = central_cli(data.path())
            .args(args)
            .arg(&id)
            .output()
            .expect("central");
        assert_eq!(refused.status.code(), Some(1), "{args:?}");
    }

    // The terminal's next sync: it forgets them and refuses their card and their id.
    assert_success(&sync(&db.path, None));
    for who in [&code, &id] {
        let refused = comptoir(&db.path)
            .args(["customer", "--json", who])
            .output()
            .expect("customer");
        assert_eq!(refused.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&refused.stderr).contains("erased"));
    }
    let search = comptoir(&db.path)
        .args(["customer-search", customer.last_name])
        .output()
        .expect("search");
    assert!(
        !String::from_utf8_lossy(&search.stdout).contains(&id),
        "found by name after the erasure"
    );
    let store = Store::open(&db.path).expect("open");
    assert!(store.customer(&id).expect("read").is_none());
    assert!(store.cached_customer_view(&id).expect("read").is_none());
    assert!(store.local_notes(&id).expect("read").is_empty());
}
