//! What both Comptoir programs need of the machine they run on: files and folders only their
//! owner reads (a terminal's database, a central's data), and logging to standard error.

pub mod logging;
pub mod private_files;
