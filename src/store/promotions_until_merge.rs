//! Placeholder until the promotions table lands (branch `promo`).
use crate::domain::promotion::Promotion;

impl super::Store {
    pub fn promotions(&self) -> super::Result<Vec<Promotion>> {
        Ok(Vec::new())
    }
}
