//! The open basket at the till: a scan adds one unit, a line's quantity goes up or down (never
//! below 1: removing is its own deliberate act), a removed line can be put back for a few
//! seconds, and a basket can be parked for a customer who went to fetch something. The screen
//! and `comptoir basket …` both go through here, on the one open basket the database keeps per
//! terminal, so they cannot differ.
//!
//! Units taken out before payment are kept as cancelled lines and journaled with the ticket
//! (see `domain::basket::CancelledLine`).

use chrono::NaiveDate;

use crate::app::checkout::{CheckoutError, line_for_card};
use crate::app::pricing::{DiscountPolicy, DiscountRefusal, Pricing, approval_entry};
use crate::app::product_card::{ProductCard, card_for_scan};
use crate::app::sale_guard;
use crate::config::Config;
use crate::domain::basket::{Basket, BasketError, BasketLine, CancelledLine};
use crate::domain::discount::{Adjustment, Discount, ManualBasket, ManualLine};
use crate::domain::scan::Scan;
use crate::domain::staff::StaffRole;
use crate::store::{Store, StoreError};

pub use crate::store::{OpenBasket, ParkedBasket, ResumeError};

/// A line added by a scan: the product scanned, where its units are now, and the basket.
#[derive(Clone, Debug)]
pub struct Added {
    pub card: ProductCard,
    /// The index of the line that holds the scanned units.
    pub line: usize,
    pub basket: OpenBasket,
}

/// A line taken out of the basket, which [`undo_removal`] can put back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Removal {
    /// Where the line was.
    pub index: usize,
    pub cancelled: CancelledLine,
}

/// Why the basket refused a change.
#[derive(Debug, thiserror::Error)]
pub enum BasketChangeError {
    #[error(
        "a quantity is at least 1: take the line out with « Retirer » (`comptoir basket remove LINE`)"
    )]
    BelowOne,
    #[error("there is no line {line} in the basket (it has {len})")]
    NoSuchLine { line: usize, len: usize },
    #[error("this removal can no longer be undone (the basket changed meanwhile)")]
    UndoGone,
    #[error(transparent)]
    Basket(#[from] BasketError),
    #[error("{0}")]
    Discount(Box<DiscountRefusal>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<DiscountRefusal> for BasketChangeError {
    fn from(refusal: DiscountRefusal) -> Self {
        match refusal {
            DiscountRefusal::Store(e) => BasketChangeError::Store(e),
            other => BasketChangeError::Discount(Box::new(other)),
        }
    }
}

/// Who gives a manual discount, under which rules, and the manager who approves it past the
/// seller's limit.
#[derive(Clone, Copy, Debug)]
pub struct DiscountAuthority<'a> {
    pub policy: DiscountPolicy<'a>,
    /// The logged-in staff member's role (`None`: nobody, treated as a seller).
    pub role: Option<StaffRole>,
    /// A manager's login and PIN, when one came to approve.
    pub manager: Option<(&'a str, &'a str)>,
    pub pricing: &'a Pricing,
    pub tier: Option<&'a str>,
    /// This terminal, whose journal keeps a manager's approval.
    pub terminal_id: &'a str,
}

/// What the seller does by hand.
#[derive(Clone, Copy, Debug)]
pub enum ManualChange {
    /// A line's discount (or, with `None`, none).
    Line {
        index: usize,
        adjustment: Option<Adjustment>,
    },
    /// The whole basket's discount (or none).
    Basket { discount: Option<Discount> },
}

/// Applies the seller's discount or price override to the open basket, with `reason` (one of
/// the chain's); past the seller's limit it needs `authority.manager` to be a manager (checked
/// with their PIN, which counts towards their lockout). Taking a discount away needs neither.
/// On refusal nothing changes.
pub fn set_manual(
    store: &mut Store,
    change: ManualChange,
    reason: &str,
    authority: DiscountAuthority<'_>,
    now: i64,
) -> Result<OpenBasket, BasketChangeError> {
    let removing = matches!(
        change,
        ManualChange::Line {
            adjustment: None,
            ..
        } | ManualChange::Basket { discount: None }
    );
    let reason = if removing {
        String::new()
    } else {
        authority.policy.reason(reason)?
    };
    let apply = |basket: &mut Basket| -> Result<(), BasketChangeError> {
        match change {
            ManualChange::Line { index, adjustment } => basket.set_manual(
                index,
                adjustment.map(|adjustment| ManualLine {
                    adjustment,
                    reason: reason.clone(),
                }),
            )?,
            ManualChange::Basket { discount } => {
                basket.set_discount(discount.map(|discount| ManualBasket {
                    discount,
                    reason: reason.clone(),
                }));
            }
        }
        authority
            .pricing
            .reprice(basket, authority.tier, now)
            .map_err(BasketChangeError::from)
    };
    // Tried on a copy first: the manager's PIN is checked against the database, which the
    // change below holds in its transaction.
    let mut trial = store.open_basket()?.basket;
    apply(&mut trial)?;
    // A line's change is judged on that line (another that a manager approved earlier is not
    // asked about again); the basket's on every line, since its share lands on all of them.
    let only = match change {
        ManualChange::Line { index, .. } => Some(index),
        ManualChange::Basket { .. } => None,
    };
    let approver =
        authority
            .policy
            .approve(store, &trial, authority.role, only, authority.manager, now)?;

    let ((), basket) = store.change_open_basket(now, |open| {
        apply(&mut open.basket)?;
        if approver.is_none()
            && authority
                .policy
                .needs_manager(&open.basket, authority.role, only)
        {
            return Err(BasketChangeError::from(DiscountRefusal::NeedsManager {
                limit: authority.policy.seller_limit_percent,
            }));
        }
        Ok(())
    })?;
    if let Some(manager) = &approver {
        let what = match change {
            ManualChange::Line { index, adjustment } => format!(
                "line {} ({}), {}",
                index + 1,
                basket
                    .basket
                    .lines()
                    .get(index)
                    .map_or("", |l| l.gtin.as_str()),
                adjustment.map(|a| a.to_string()).unwrap_or_default()
            ),
            ManualChange::Basket { discount } => format!(
                "ticket, {}",
                discount.map(|d| d.to_string()).unwrap_or_default()
            ),
        };
        store.journal_event(approval_entry(
            manager,
            &what,
            &reason,
            authority.terminal_id,
            now,
        ))?;
        tracing::info!(
            staff_id = manager.id,
            "discount past the seller's limit approved and journaled"
        );
    }
    Ok(basket)
}

/// The open basket as it is now.
pub fn open_basket(store: &Store) -> Result<OpenBasket, StoreError> {
    store.open_basket()
}

/// Looks `scan` up and adds `quantity` of it to the open basket (to its line when the same
/// article is already there). Nothing is written when the product cannot be sold this way.
pub fn add_scan(
    store: &mut Store,
    scan: Scan,
    quantity: i64,
    till: Till<'_>,
) -> Result<Added, CheckoutError> {
    let card = card_for_scan(store, scan, till.here, till.today)?;
    add_card(store, card, quantity, till)
}

/// Where and when the basket is changed: this store's location, this terminal (whose journal
/// takes a manager's override), today's date (for expiry dates) and now.
#[derive(Clone, Copy, Debug)]
pub struct Till<'a> {
    pub here: &'a str,
    pub terminal_id: &'a str,
    pub today: NaiveDate,
    /// Unix seconds, UTC.
    pub now: i64,
}

impl<'a> Till<'a> {
    /// This terminal's till, now (UTC).
    pub fn of(config: &'a Config) -> Self {
        let now = chrono::Utc::now();
        Till {
            here: &config.store_code,
            terminal_id: &config.terminal_id,
            today: now.date_naive(),
            now: now.timestamp(),
        }
    }
}

/// Adds `quantity` of the product `card` shows to the open basket, unless its expiry date has
/// passed or a recall covers it (then [`CheckoutError::Blocked`]: see [`add_overridden`]).
pub fn add_card(
    store: &mut Store,
    card: ProductCard,
    quantity: i64,
    till: Till<'_>,
) -> Result<Added, CheckoutError> {
    if let Some(block) = sale_guard::sale_block(store, &card)? {
        return Err(CheckoutError::Blocked {
            card: Box::new(card),
            block,
        });
    }
    put_in(store, card, quantity, till)
}

/// A manager's override of a blocked product: checks their PIN and role, journals the override
/// with its reason (at once, in its own transaction), then adds the product.
pub fn add_overridden(
    store: &mut Store,
    card: ProductCard,
    quantity: i64,
    manager: ManagerApproval<'_>,
    till: Till<'_>,
) -> Result<Added, CheckoutError> {
    let Some(block) = sale_guard::sale_block(store, &card)? else {
        return put_in(store, card, quantity, till);
    };
    sale_guard::authorize_override(
        store,
        manager.login,
        manager.pin,
        manager.reason,
        &block,
        &card.product.gtin,
        till.terminal_id,
        till.now,
    )?;
    put_in(store, card, quantity, till)
}

/// Who lets a blocked product through, and why.
#[derive(Clone, Copy, Debug)]
pub struct ManagerApproval<'a> {
    pub login: &'a str,
    pub pin: &'a str,
    pub reason: &'a str,
}

fn put_in(
    store: &mut Store,
    card: ProductCard,
    quantity: i64,
    till: Till<'_>,
) -> Result<Added, CheckoutError> {
    let line = line_for_card(&card, quantity)?;
    let (index, basket) = store.change_open_basket(till.now, |open| {
        open.basket.add(line).map_err(CheckoutError::from)
    })?;
    Ok(Added {
        card,
        line: index,
        basket,
    })
}

/// Adds lines built elsewhere (the customer's online cart) to the open basket, in one change.
pub fn add_lines(
    store: &mut Store,
    lines: Vec<BasketLine>,
    now: i64,
) -> Result<OpenBasket, BasketChangeError> {
    let ((), basket) = store.change_open_basket(now, |open| {
        for line in lines {
            open.basket.add(line)?;
        }
        Ok::<_, BasketChangeError>(())
    })?;
    Ok(basket)
}

fn line_at(open: &OpenBasket, index: usize) -> Result<BasketLine, BasketChangeError> {
    open.basket
        .lines()
        .get(index)
        .cloned()
        .ok_or(BasketChangeError::NoSuchLine {
            line: index,
            len: open.basket.lines().len(),
        })
}

/// Sets line `index` to `quantity` (at least 1). Units taken off are recorded as cancelled by
/// `operator`.
pub fn set_quantity(
    store: &mut Store,
    index: usize,
    quantity: i64,
    operator: &str,
    now: i64,
) -> Result<OpenBasket, BasketChangeError> {
    if quantity < 1 {
        return Err(BasketChangeError::BelowOne);
    }
    let ((), basket) = store.change_open_basket(now, |open| {
        let held = line_at(open, index)?;
        open.basket.set_quantity(index, quantity)?;
        if quantity < held.quantity {
            open.cancelled.push(CancelledLine {
                line: BasketLine {
                    quantity: held.quantity - quantity,
                    discounts: Vec::new(),
                    ..held
                },
                operator: operator.to_owned(),
                at: now,
            });
        }
        Ok::<_, BasketChangeError>(())
    })?;
    Ok(basket)
}

/// The seller moves on to the next customer (« Client suivant », a log-in or log-out): an open
/// basket that was emptied line by line and never paid is over, and the units taken out of it
/// are journaled on their own (`basket_abandoned`), never on the next customer's ticket. A
/// basket with lines stays open for whoever comes next; a paid one is already gone. Returns
/// whether anything was journaled.
pub fn end_customer(store: &mut Store, terminal_id: &str, now: i64) -> Result<bool, StoreError> {
    store.journal_abandoned_basket(terminal_id, now)
}

/// Takes line `index` out of the open basket; its units are recorded as cancelled by
/// `operator`. The returned [`Removal`] undoes it.
pub fn remove_line(
    store: &mut Store,
    index: usize,
    operator: &str,
    now: i64,
) -> Result<(Removal, OpenBasket), BasketChangeError> {
    store.change_open_basket(now, |open| {
        let line = open.basket.remove(index)?;
        let cancelled = CancelledLine {
            line,
            operator: operator.to_owned(),
            at: now,
        };
        open.cancelled.push(cancelled.clone());
        Ok(Removal { index, cancelled })
    })
}

/// Puts a removed line back where it was; its cancellation is forgotten (it never happened).
pub fn undo_removal(
    store: &mut Store,
    removal: &Removal,
    now: i64,
) -> Result<OpenBasket, BasketChangeError> {
    let ((), basket) = store.change_open_basket(now, |open| {
        let Some(at) = open.cancelled.iter().rposition(|c| *c == removal.cancelled) else {
            return Err(BasketChangeError::UndoGone);
        };
        open.basket
            .restore(removal.index, removal.cancelled.line.clone())?;
        open.cancelled.remove(at);
        Ok(())
    })?;
    Ok(basket)
}

/// Parks the open basket for `by`; `None` when it is empty.
pub fn park(store: &mut Store, by: &str, now: i64) -> Result<Option<i64>, StoreError> {
    let parked = store.park_open_basket(by, now)?;
    if let Some(id) = parked {
        tracing::info!(basket = id, "basket parked");
    }
    Ok(parked)
}

/// Resumes parked basket `id`; the open basket, when it has lines, is parked in its place (its
/// id is returned).
pub fn resume(store: &mut Store, id: i64, by: &str, now: i64) -> Result<Option<i64>, ResumeError> {
    let set_aside = store.resume_basket(id, by, now)?;
    tracing::info!(basket = id, set_aside, "basket resumed");
    Ok(set_aside)
}

/// The parked baskets, oldest first.
pub fn parked(store: &Store) -> Result<Vec<ParkedBasket>, StoreError> {
    store.parked_baskets()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::demo;
    use crate::domain::journal::EntryKind;
    use crate::domain::scan::{ScanConfig, parse_scan};

    const NOW: i64 = 1_780_000_000;

    fn demo_store(dir: &tempfile::TempDir) -> Store {
        let mut store = Store::open(&dir.path().join("t.db")).expect("store");
        crate::app::seed::seed_demo(&mut store, 20, NOW, &mut |_, _| {}).expect("seed");
        store
    }

    fn till() -> Till<'static> {
        Till {
            here: demo::HERE_CODE,
            terminal_id: "T01",
            today: chrono::DateTime::from_timestamp(NOW, 0)
                .expect("date")
                .date_naive(),
            now: NOW,
        }
    }

    fn scan(store: &mut Store, n: u64) {
        let code = parse_scan(demo::product(n).gtin.as_str(), &ScanConfig::default());
        add_scan(store, code, 1, till()).expect("added");
    }

    fn abandoned(store: &Store) -> Vec<String> {
        let mut details = Vec::new();
        store
            .for_each_journal_entry("T01", &mut |entry, _| {
                if entry.kind == EntryKind::Technical
                    && let Some(detail) = &entry.detail
                    && detail.starts_with("basket_abandoned ")
                {
                    details.push(detail.clone());
                }
                Ok(())
            })
            .expect("journal")
            .expect("read");
        details
    }

    #[test]
    fn a_basket_emptied_and_left_is_journaled_when_the_next_customer_comes() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut store = demo_store(&dir);
        scan(&mut store, 1);
        remove_line(&mut store, 0, "camille", NOW).expect("removed");
        // The same customer goes on: what was taken out stays for their ticket.
        scan(&mut store, 2);
        assert!(abandoned(&store).is_empty());
        assert!(
            !end_customer(&mut store, "T01", NOW).expect("end"),
            "a basket with lines stays"
        );

        remove_line(&mut store, 0, "camille", NOW).expect("removed");
        assert!(end_customer(&mut store, "T01", NOW).expect("end"));
        let details = abandoned(&store);
        assert_eq!(details.len(), 1, "{details:?}");
        for n in [1, 2] {
            assert!(
                details[0].contains(demo::product(n).gtin.as_str()),
                "{details:?}"
            );
        }
        // Forgotten once journaled: the next customer's ticket will not carry them.
        assert!(!end_customer(&mut store, "T01", NOW).expect("end"));
        assert_eq!(abandoned(&store).len(), 1);
    }

    fn percent(basis_points: i64) -> Option<Adjustment> {
        Some(Adjustment::Discount {
            discount: Discount::Percent { basis_points },
        })
    }

    /// Issue 15: a seller's line discount past the limit needs a manager; one the manager
    /// approved is not asked about again when the seller discounts another line.
    #[test]
    fn a_discount_past_the_limit_waits_for_a_manager_and_stays_approved() {
        let dir = tempfile::tempdir().expect("dir");
        let mut store = demo_store(&dir);
        scan(&mut store, 1);
        scan(&mut store, 2);
        let reasons = vec!["Geste commercial".to_owned()];
        let pricing = Pricing::default();
        let authority = DiscountAuthority {
            policy: DiscountPolicy {
                reasons: &reasons,
                seller_limit_percent: 10,
            },
            role: Some(StaffRole::Seller),
            manager: None,
            pricing: &pricing,
            tier: None,
            terminal_id: "T01",
        };
        let line = |index, adjustment| ManualChange::Line { index, adjustment };

        let refused = set_manual(
            &mut store,
            line(0, percent(3000)),
            "Geste commercial",
            authority,
            NOW,
        );
        assert!(
            matches!(&refused, Err(BasketChangeError::Discount(r)) if matches!(**r, DiscountRefusal::NeedsManager { limit: 10 })),
            "{refused:?}"
        );
        assert!(
            open_basket(&store).expect("open").basket.lines()[0]
                .manual
                .is_none()
        );
        let unknown = set_manual(&mut store, line(0, percent(500)), "copain", authority, NOW);
        assert!(
            matches!(&unknown, Err(BasketChangeError::Discount(_))),
            "{unknown:?}"
        );

        let manager = demo::STAFF
            .iter()
            .find(|s| s.role == StaffRole::Manager)
            .expect("a manager");
        let approved = DiscountAuthority {
            manager: Some((manager.login, manager.pin)),
            ..authority
        };
        let open = set_manual(
            &mut store,
            line(0, percent(3000)),
            "geste commercial",
            approved,
            NOW,
        )
        .expect("approved");
        assert_eq!(
            open.basket.lines()[0]
                .manual
                .as_ref()
                .map(|m| m.reason.as_str()),
            Some("Geste commercial")
        );
        // The other line, within the limit, by the seller alone.
        set_manual(
            &mut store,
            line(1, percent(500)),
            "Geste commercial",
            authority,
            NOW,
        )
        .expect("within the limit");
        // Taken away without a reason or a manager.
        let open = set_manual(&mut store, line(0, None), "", authority, NOW).expect("removed");
        assert!(open.basket.lines()[0].manual.is_none());
    }
}
