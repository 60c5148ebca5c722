//! Pricing at the till (issue 15): the promotions this terminal holds, applied to the basket at
//! the store's time for the identified customer's tier, and the chain's rules for the seller's
//! own discounts: a reason from the configured list, and a manager's PIN past the seller's limit.
//!
//! The screen and `comptoir sell` price through here, and the checkout prices again at the
//! moment of sale (see `checkout::record`), so what is recorded never depends on a screen having
//! refreshed. Never logged: a discount's reason (free text) and the customer.

use crate::app::login::LoginError;
use crate::app::sale_guard::{OverrideError, check_manager};
use crate::domain::basket::{Basket, BasketError};
use crate::domain::discount::{DiscountError, FULL_PERCENT, checked_reason};
use crate::domain::pricing::{PricingContext, PromotionBook};
use crate::domain::promotion::store_time;
use crate::domain::staff::{StaffMember, StaffRole};
use crate::store::{EntryDraft, Store, StoreError};

/// The rules a terminal prices with, for its store.
#[derive(Clone, Debug, Default)]
pub struct Pricing {
    book: PromotionBook,
    store_code: String,
}

impl Pricing {
    /// The promotions held in `store`'s database, for the store `store_code`.
    pub fn load(store: &Store, store_code: &str) -> Result<Pricing, StoreError> {
        Ok(Pricing::with_book(
            PromotionBook::new(store.promotions()?),
            store_code,
        ))
    }

    pub fn with_book(book: PromotionBook, store_code: &str) -> Pricing {
        Pricing {
            book,
            store_code: store_code.to_owned(),
        }
    }

    pub fn book(&self) -> &PromotionBook {
        &self.book
    }

    /// Prices `basket` at `now` (Unix seconds, UTC) for a customer of `tier` (`None`: nobody
    /// identified).
    pub fn reprice(
        &self,
        basket: &mut Basket,
        tier: Option<&str>,
        now: i64,
    ) -> Result<(), BasketError> {
        basket.reprice(
            &self.book,
            &PricingContext {
                // Out of chrono's range only for a broken clock: no rule runs then.
                local_now: store_time(now).unwrap_or_default(),
                store: &self.store_code,
                tier,
            },
        )
    }
}

/// The loyalty tier of customer `id` as this terminal knows it.
pub fn customer_tier(store: &Store, id: &str) -> Result<Option<String>, StoreError> {
    Ok(store
        .customer(id)?
        .map(|c| c.tier)
        .filter(|t| !t.is_empty()))
}

/// The chain's rules for manual discounts (from the configuration).
#[derive(Clone, Copy, Debug)]
pub struct DiscountPolicy<'a> {
    /// The reasons a seller may give; empty: any.
    pub reasons: &'a [String],
    /// What a seller may take off a line by hand, in percent.
    pub seller_limit_percent: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum DiscountRefusal {
    #[error("{0}")]
    Discount(#[from] DiscountError),
    #[error("“{given}” is not one of the reasons the chain allows: {}", allowed.join(", "))]
    UnknownReason { given: String, allowed: Vec<String> },
    #[error(
        "a seller may take off at most {limit} % of a line by hand: a manager must approve with their login and PIN"
    )]
    NeedsManager { limit: i64 },
    #[error("{0}")]
    Manager(Box<OverrideError>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<OverrideError> for DiscountRefusal {
    fn from(error: OverrideError) -> Self {
        match error {
            OverrideError::Store(e) | OverrideError::Login(LoginError::Store(e)) => {
                DiscountRefusal::Store(e)
            }
            other => DiscountRefusal::Manager(Box::new(other)),
        }
    }
}

impl DiscountPolicy<'_> {
    /// The reason as the journal keeps it: one of the chain's, spelled as the chain spells it
    /// (case and surrounding spaces do not matter).
    pub fn reason(&self, given: &str) -> Result<String, DiscountRefusal> {
        let given = checked_reason(given)?;
        if self.reasons.is_empty() {
            return Ok(given);
        }
        let wanted = given.to_lowercase();
        self.reasons
            .iter()
            .find(|r| r.trim().to_lowercase() == wanted)
            .map(|r| r.trim().to_owned())
            .ok_or_else(|| DiscountRefusal::UnknownReason {
                given,
                allowed: self.reasons.to_vec(),
            })
    }

    /// Whether the priced `basket`'s manual discounts need a manager, on line `only` (what the
    /// seller just changed: a line a manager approved earlier is not asked about again) or on
    /// any line (`None`): a seller's go up to the limit, a manager's have none.
    pub fn needs_manager(
        &self,
        basket: &Basket,
        role: Option<StaffRole>,
        only: Option<usize>,
    ) -> bool {
        role != Some(StaffRole::Manager)
            && basket.manual_beyond(self.seller_limit_percent * (FULL_PERCENT / 100), only)
    }

    /// Checks the priced `basket` against the limit (on line `only`, or every line): `Ok(None)` when within it, the approving
    /// manager when `manager` (login, PIN) is one, else refused. A wrong PIN counts towards the
    /// manager's lockout, as at the login page.
    pub fn approve(
        &self,
        store: &Store,
        basket: &Basket,
        role: Option<StaffRole>,
        only: Option<usize>,
        manager: Option<(&str, &str)>,
        now: i64,
    ) -> Result<Option<StaffMember>, DiscountRefusal> {
        if !self.needs_manager(basket, role, only) {
            return Ok(None);
        }
        let Some((login, pin)) = manager else {
            return Err(DiscountRefusal::NeedsManager {
                limit: self.seller_limit_percent,
            });
        };
        Ok(Some(check_manager(store, login, pin, now)?))
    }
}

/// The journal entry of `manager`'s approval of a discount past the seller's limit: a technical
/// entry whose operator is the manager's login and whose detail reads, for example,
/// `discount approved line 2 (03760000000017), 30 %: Article abîmé`. An auditor finds who let
/// it through beside the ticket, whose lines carry the discount and its reason.
pub fn approval_entry(
    manager: &StaffMember,
    what: &str,
    reason: &str,
    terminal_id: &str,
    now: i64,
) -> EntryDraft {
    EntryDraft::technical(
        terminal_id,
        Some(&manager.login),
        &format!("discount approved {what}: {reason}"),
        now,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_must_be_one_of_the_chains() {
        let reasons = vec!["Geste commercial".to_owned(), "Article abîmé".to_owned()];
        let policy = DiscountPolicy {
            reasons: &reasons,
            seller_limit_percent: 10,
        };
        assert_eq!(
            policy.reason("  article ABÎMÉ ").ok(),
            Some("Article abîmé".to_owned())
        );
        let refused = policy.reason("copain").map_err(|e| e.to_string());
        assert_eq!(
            refused,
            Err(
                "“copain” is not one of the reasons the chain allows: Geste commercial, Article abîmé"
                    .to_owned()
            )
        );
        assert!(matches!(
            policy.reason("  "),
            Err(DiscountRefusal::Discount(DiscountError::NoReason))
        ));
        let open = DiscountPolicy {
            reasons: &[],
            seller_limit_percent: 10,
        };
        assert_eq!(open.reason(" copain ").ok(), Some("copain".to_owned()));
        // The central refuses a longer one in a pushed sale: refused here, before the sale.
        assert!(matches!(
            open.reason(&"é".repeat(201)),
            Err(DiscountRefusal::Discount(DiscountError::ReasonTooLong {
                chars: 201
            }))
        ));
    }
}
