//! The pure domain: values and rules with no I/O, no async, no SQL and no UI. Everything here is
//! unit-tested beside the code.

pub mod age;
pub mod basket;
pub mod catalog;
pub mod customer;
pub mod demo;
pub mod digital_link;
pub mod discount;
pub mod drawer;
pub mod gift_card;
pub mod gs1;
pub mod gtin;
pub mod in_store;
pub mod journal;
pub mod loyalty;
pub mod money;
pub mod note_check;
pub mod payment;
pub mod pickup;
pub mod pricing;
pub mod promotion;
pub mod quick_cash;
pub mod receipt;
pub mod receipt_code;
pub mod sale_guard;
pub mod scan;
pub mod signed_code;
pub mod staff;
pub mod vat;
