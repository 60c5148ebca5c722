//! The one integration-test target (ripgrep's layout): each module drives real parts — the real
//! `comptoir` binary, a real SQLite file, the real Slint UI under its testing backend.

mod util;

mod at_rest;
mod basket;
mod camera;
mod central;
mod cli;
mod click_and_collect;
mod clienteling;
mod closing;
mod customers;
mod deploy;
mod devices;
mod discounts;
mod doctor;
mod drawer;
mod ereceipt;
mod gift_cards;
mod hostile;
mod journal;
mod journal_breaks;
mod limits;
mod minimisation;
mod operator;
mod personal_data;
mod pickup;
mod printer;
mod promotions;
mod proxy;
mod readme;
mod recall;
mod returns;
mod sell;
mod store;
mod store_file;
mod sync;
mod ui;
mod ui_central;
mod ui_discount;
mod ui_drawer;
mod ui_kiosk;
mod ui_manager;
mod ui_narrow;
mod ui_park;
mod ui_returns;
