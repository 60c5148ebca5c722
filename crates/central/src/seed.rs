//! The demo chain, written into the central: the locations, catalogue and stock of
//! `domain::demo`, its staff (PINs hashed with Argon2id as the terminal does), customers, online
//! carts for some customers, ready click-and-collect orders for every store, and its promotion
//! rules. Deterministic: the same product count gives the same chain (only the times follow the
//! clock).
//!
//! A seed is done once per data directory: seeding again with the same count changes nothing, a
//! different count is refused, so a chain's data (and what terminals pushed) is never overwritten.

use argon2::Argon2;
use argon2::password_hash::PasswordHasher;
use serde::Serialize;

use crate::CentralError;
use crate::store::{CartLine, OnlineOrder, OnlineOrderLine, SeedWriter};
use comptoir_domain::catalog::LocationKind;
use comptoir_domain::customer::Channel;
use comptoir_domain::demo::{self, mix};
use comptoir_protocol::{
    CustomerChange, LocationChange, PickupLineChange, PickupOrderChange, ProductChange,
    StaffChange, StockLevelChange,
};

/// Default catalogue size of `comptoir-central seed`.
pub const DEFAULT_PRODUCTS: u64 = 20_000;

/// Products written per transaction (and per progress report).
const CHUNK: u64 = 10_000;

/// What a seed wrote, as `comptoir-central seed --json` prints it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SeedSummary {
    pub stores: Vec<String>,
    pub customers: Vec<String>,
    pub pickup_orders: Vec<PickupOrderRef>,
    pub products: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PickupOrderRef {
    pub id: String,
    pub store: String,
}

/// Seeds the demo chain with `products` products into `data_dir`; `progress(done, total)` is
/// called as products are written.
pub fn seed(
    db: impl Into<crate::Database>,
    products: u64,
    mut progress: impl FnMut(u64, u64),
) -> Result<SeedSummary, CentralError> {
    if products > demo::MAX_PRODUCTS {
        return Err(CentralError::TooManyProducts {
            asked: products,
            max: demo::MAX_PRODUCTS,
        });
    }
    let store = db.into().open(true)?;
    let now = chrono::Utc::now().timestamp();
    let plan = Plan::new(products, now);
    match store.seeded_products()? {
        Some(done) if done == products => {
            progress(products, products);
            return Ok(plan.summary());
        }
        Some(done) => return Err(CentralError::AlreadySeeded { products: done }),
        None => {}
    }
    tracing::info!(products, "seeding the demo chain");
    store.mark_seed(products, false)?;
    let staff = staff()?;
    store.seed_step(|w| {
        for l in demo::LOCATIONS {
            w.location(&LocationChange {
                code: l.code.to_owned(),
                name: l.name.to_owned(),
                kind: l.kind.as_str().to_owned(),
            })?;
        }
        staff.iter().try_for_each(|s| w.staff(s))
    })?;
    progress(0, products);
    let mut start = 0;
    while start < products {
        let end = (start + CHUNK).min(products);
        store.seed_step(|w| (start..end).try_for_each(|i| w.product(&product(i, now))))?;
        progress(end, products);
        start = end;
    }
    store.seed_step(|w| plan.write_customers(w))?;
    store.add_promotions(&demo::promotions(), now)?;
    store.mark_seed(products, true)?;
    tracing::info!(products, "demo chain seeded");
    Ok(plan.summary())
}

/// The product `index` of the demo catalogue with its stock in every location.
pub fn product(index: u64, now: i64) -> ProductChange {
    let p = demo::product(index);
    ProductChange {
        gtin: p.gtin.as_str().to_owned(),
        name: p.name,
        brand: p.brand.to_owned(),
        category: p.category.to_owned(),
        price_cents: p.price.get(),
        vat_bp: p.vat_rate.basis_points(),
        price_unit: p.price_unit.as_str().to_owned(),
        in_store_item_code: p.in_store_item_code,
        stock: demo::LOCATIONS
            .iter()
            .enumerate()
            .map(|(at, l)| {
                let (qty, age) = demo::stock(index, at);
                StockLevelChange {
                    location: l.code.to_owned(),
                    qty,
                    as_of: now - age,
                }
            })
            .collect(),
    }
}

fn staff() -> Result<Vec<StaffChange>, CentralError> {
    demo::STAFF
        .iter()
        .map(|s| {
            let pin_hash = Argon2::default()
                .hash_password(s.pin.as_bytes())
                .map_err(|e| CentralError::PinHash(e.to_string()))?
                .to_string();
            Ok(StaffChange {
                login: s.login.to_owned(),
                display_name: s.display_name.to_owned(),
                role: s.role.as_str().to_owned(),
                pin_hash,
                active: true,
            })
        })
        .collect()
}

/// The store the demo customer `index` was registered at: the chain's customers are spread over
/// its stores, and each store's terminals hold its own customers (data minimisation).
pub fn home_store(index: u64) -> &'static str {
    let stores: Vec<&'static str> = demo::LOCATIONS
        .iter()
        .filter(|l| l.kind == LocationKind::Store)
        .map(|l| l.code)
        .collect();
    stores[(index % stores.len() as u64) as usize]
}

/// Customers, carts and pickup orders, decided from the product count alone.
struct Plan {
    products: u64,
    now: i64,
    customers: u64,
    orders: Vec<PickupOrderChange>,
}

/// Orders ready at each store: a few, different from store to store.
fn orders_at(store_index: u64) -> u64 {
    2 + store_index % 3
}

impl Plan {
    fn new(products: u64, now: i64) -> Plan {
        let customers = demo::customer_count(products);
        let mut orders = Vec::new();
        if products > 0 {
            let stores = demo::LOCATIONS
                .iter()
                .filter(|l| l.kind == LocationKind::Store);
            for (s, location) in stores.enumerate() {
                for _ in 0..orders_at(s as u64) {
                    let n = orders.len() as u64;
                    let h = |salt: u64| mix(n, 7_000 + salt);
                    let line_count = 1 + h(1) % 3;
                    let mut lines: Vec<PickupLineChange> = Vec::new();
                    for l in 0..line_count {
                        let gtin = demo::product(h(10 + l) % products).gtin.as_str().to_owned();
                        if lines.iter().all(|line| line.gtin != gtin) {
                            lines.push(PickupLineChange {
                                gtin,
                                quantity: 1 + (h(20 + l) % 2) as i64,
                            });
                        }
                    }
                    orders.push(PickupOrderChange {
                        id: format!("CC{:06}", n + 1),
                        store: location.code.to_owned(),
                        customer: demo::customer(h(2) % customers).public_id,
                        status: "ready".to_owned(),
                        created_at: now - (h(3) % (72 * 3600)) as i64,
                        lines,
                        customer_first_name: None,
                        handed: Vec::new(),
                        conflict: None,
                        conflict_kind: None,
                        conflict_counters: Vec::new(),
                    });
                }
            }
        }
        Plan {
            products,
            now,
            customers,
            orders,
        }
    }

    fn write_customers(&self, w: &mut SeedWriter<'_, '_>) -> Result<(), crate::store::StoreError> {
        let mut online_orders = 0;
        for i in 0..self.customers {
            let c = demo::customer(i);
            w.customer(
                &CustomerChange {
                    id: c.public_id.clone(),
                    first_name: c.first_name.to_owned(),
                    last_name: c.last_name.to_owned(),
                    email: Some(c.email),
                    phone: Some(c.phone),
                    loyalty_points: c.loyalty_points,
                    tier: c.tier.to_owned(),
                    updated_at: self.now,
                },
                home_store(i),
            )?;
            // One customer in three left something in an online cart.
            if self.products > 0 && i % 3 == 0 {
                let h = |salt: u64| mix(i, 9_000 + salt);
                for l in 0..1 + h(1) % 4 {
                    let product = demo::product(h(10 + l) % self.products);
                    // About one line in four is cheaper on the web shop (a web discount of 10
                    // or 20 %): the view shows the customer the price they saw online.
                    let online_price_cents = (h(40 + l) % 4 == 0).then(|| {
                        let off = if h(50 + l) % 2 == 0 { 10 } else { 20 };
                        product.price.get() * (100 - off) / 100
                    });
                    w.cart_line(&CartLine {
                        customer: c.public_id.clone(),
                        gtin: product.gtin.as_str().to_owned(),
                        quantity: 1 + (h(20 + l) % 2) as i64,
                        added_at: self.now - (h(30 + l) % (14 * 86_400)) as i64,
                        online_price_cents,
                    })?;
                }
            }
            self.write_clienteling(w, i, &c.public_id, &mut online_orders)?;
        }
        self.orders.iter().try_for_each(|o| w.pickup_order(o))
    }

    /// The customer `i`'s consents, wishlist and web orders. `online_orders` numbers the web
    /// orders across customers.
    fn write_clienteling(
        &self,
        w: &mut SeedWriter<'_, '_>,
        i: u64,
        customer: &str,
        online_orders: &mut u64,
    ) -> Result<(), crate::store::StoreError> {
        let h = |salt: u64| mix(i, 11_000 + salt);
        let staff = |salt: u64| demo::STAFF[(h(salt) % demo::STAFF.len() as u64) as usize].login;
        let within = |salt: u64, days: u64| self.now - (h(salt) % (days * 86_400)) as i64;
        // One customer in five was never asked; the others answered for e-mail (two in three
        // yes), and half of those for SMS too.
        if h(1) % 5 != 0 {
            w.consent(
                customer,
                Channel::Email,
                h(2) % 3 != 0,
                within(3, 365),
                staff(4),
            )?;
            if h(5) % 2 == 0 {
                w.consent(
                    customer,
                    Channel::Sms,
                    h(6) % 2 == 0,
                    within(7, 365),
                    staff(8),
                )?;
            }
        }
        if self.products == 0 {
            return Ok(());
        }
        let product = |salt: u64| demo::product(h(salt) % self.products);
        // One customer in four keeps a wishlist.
        if i % 4 == 1 {
            for l in 0..1 + h(10) % 3 {
                w.wish(customer, product(20 + l).gtin.as_str(), within(30 + l, 90))?;
            }
        }
        // One customer in five bought on the web shop; the last order of one in ten is still
        // on its way (not a purchase yet).
        if i % 5 == 2 {
            let count = 1 + h(40) % 2;
            for o in 0..count {
                *online_orders += 1;
                let lines = (0..1 + h(50 + o) % 3)
                    .map(|l| {
                        let p = product(60 + 10 * o + l);
                        let quantity = 1 + (h(90 + 10 * o + l) % 2) as i64;
                        OnlineOrderLine {
                            gtin: p.gtin.as_str().to_owned(),
                            quantity,
                            amount_cents: p.price.get() * quantity,
                        }
                    })
                    .collect();
                let shipping = o + 1 == count && i % 10 == 7;
                w.online_order(&OnlineOrder {
                    id: format!("W{:07}", *online_orders),
                    customer: customer.to_owned(),
                    status: if shipping { "shipped" } else { "delivered" }.to_owned(),
                    created_at: within(45 + o, 180),
                    lines,
                })?;
            }
        }
        Ok(())
    }

    fn summary(&self) -> SeedSummary {
        SeedSummary {
            stores: demo::LOCATIONS
                .iter()
                .filter(|l| l.kind == LocationKind::Store)
                .map(|l| l.code.to_owned())
                .collect(),
            customers: (0..self.customers)
                .map(|i| demo::customer(i).public_id)
                .collect(),
            pickup_orders: self
                .orders
                .iter()
                .map(|o| PickupOrderRef {
                    id: o.id.clone(),
                    store: o.store.clone(),
                })
                .collect(),
            products: self.products,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_store_has_ready_orders_of_known_products_and_customers() {
        let plan = Plan::new(500, 1_764_000_000);
        let summary = plan.summary();
        assert_eq!(summary.stores.len(), 6);
        for store in &summary.stores {
            assert!(summary.pickup_orders.iter().any(|o| &o.store == store));
        }
        for order in &plan.orders {
            assert!(!order.lines.is_empty() && order.lines.len() <= 3);
            assert!(summary.customers.contains(&order.customer));
            assert_eq!(order.status, "ready");
        }
    }
}
