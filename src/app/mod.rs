//! Use cases: one module per thing a user or an operator does, over the store and the pure domain.
//! The CLI and the UI both call these; neither holds business rules of its own.

pub mod basket;
pub mod central;
pub mod checkout;
pub mod closing;
pub mod credit;
pub mod customer;
pub mod doctor;
pub mod drawer;
pub mod gift_card;
pub mod login;
pub mod network_stock;
pub mod pickup;
pub mod pricing;
pub mod product_card;
pub mod receipt;
pub mod sale_guard;
pub mod sale_return;
pub mod scan_route;
pub mod seed;
pub mod staff_call;
pub mod terminal;
