//! `comptoir-central`: the reference central server. The sync issue gives it its subcommands.

use clap::Parser;

/// The reference central server for Comptoir terminals (sync, enrollment, signing).
#[derive(Parser)]
#[command(name = "comptoir-central", version)]
struct Args {}

fn main() {
    let _args = Args::parse();
}
