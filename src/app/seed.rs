//! Seeding the demo store: the generated catalogue, stock at the eight locations of the demo
//! chain, and fictitious customers, written in batches with progress reported between them.

use crate::app::login::{LoginError, hash_pin};
use crate::domain::demo;
use crate::store::{Store, StoreError};

/// Products written per transaction: large enough to amortise commits, small enough for the
/// progress bar to move every second or so.
const BATCH: u64 = 20_000;

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error(
        "the database already holds {count} products; seed a new file (--db PATH) instead of \
         mixing the demo catalogue with another one"
    )]
    NotEmpty { count: i64 },
    #[error("--products must be between 1 and {max}, not {requested}")]
    BadCount { requested: u64, max: u64 },
    #[error("cannot hash a demo PIN: {0}")]
    Pin(#[from] LoginError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a seed wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeedReport {
    pub products: u64,
    pub locations: u64,
    pub stock_rows: u64,
    pub customers: u64,
    pub staff: u64,
}

/// Fills an empty database with `products` demo products. `now` is Unix seconds, UTC;
/// `progress(done, total)` is called after each batch.
pub fn seed_demo(
    store: &mut Store,
    products: u64,
    now: i64,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<SeedReport, SeedError> {
    if products == 0 || products > demo::MAX_PRODUCTS {
        return Err(SeedError::BadCount {
            requested: products,
            max: demo::MAX_PRODUCTS,
        });
    }
    if !store.catalog_is_empty()? {
        let count = store.product_count()?;
        return Err(SeedError::NotEmpty { count });
    }
    let span = tracing::info_span!("seed_demo", products);
    let _guard = span.enter();
    let customers = demo::customer_count(products);
    let mut loader =
        store.demo_loader(&demo::LOCATIONS, &demo::categories(), &demo::brands(), now)?;
    let mut stock = Vec::with_capacity(demo::LOCATIONS.len());
    for index in 0..products {
        stock.clear();
        stock.extend((0..demo::LOCATIONS.len()).map(|location| demo::stock(index, location)));
        loader.add_product(&demo::product(index), &stock)?;
        if (index + 1) % BATCH == 0 {
            loader.commit()?;
            progress(index + 1, products);
        }
    }
    for index in 0..customers {
        loader.add_customer(&demo::customer(index))?;
    }
    loader.commit()?;
    drop(loader);
    for staff in &demo::STAFF {
        let hash = hash_pin(staff.pin)?;
        store.upsert_staff(staff.login, staff.display_name, staff.role, &hash, now)?;
    }
    for order in demo::pickup_orders_here(products) {
        let customer = demo::customer(order.customer);
        store.add_pickup_order(&crate::store::received::PulledPickupOrder {
            id: order.id,
            store: demo::HERE_CODE.to_owned(),
            customer: customer.public_id,
            status: "ready".to_owned(),
            created_at: now - order.age,
            lines: order
                .lines
                .iter()
                .map(|&(product, quantity)| crate::domain::pickup::Units {
                    gtin: demo::product(product).gtin.as_str().to_owned(),
                    quantity,
                })
                .collect(),
            customer_first_name: Some(customer.first_name.to_owned()),
            handed: Vec::new(),
            conflict: None,
            conflict_kind: None,
            conflict_counters: Vec::new(),
        })?;
    }
    for rule in demo::promotions() {
        store.put_promotion(&rule)?;
    }
    // A demo store with no central still checks loyalty codes: it trusts the demo chain's key
    // until enrollment replaces it with the real central's.
    if store.central_public_key()?.is_none() {
        store.set_sync_value("public_key", &demo::demo_public_key())?;
    }
    progress(products, products);
    tracing::info!(customers, "demo store seeded");
    Ok(SeedReport {
        products,
        locations: demo::LOCATIONS.len() as u64,
        stock_rows: products * demo::LOCATIONS.len() as u64,
        customers,
        staff: demo::STAFF.len() as u64,
    })
}
