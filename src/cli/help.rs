//! The top-level `comptoir --help`: the subcommands grouped by what an operator is doing
//! (selling, customers, pickup, fiscal, sync, devices, maintenance) instead of clap's one list in
//! declaration order, and what `comptoir` alone does. The texts are the subcommands' own (their
//! doc comments), so a group never holds a stale description; a test keeps every subcommand in
//! exactly one group.

use clap::CommandFactory;

use super::Cli;

/// The groups, in the order of an operator's day; each name is a subcommand.
pub const GROUPS: &[(&str, &[&str])] = &[
    (
        "Selling",
        &["product", "search", "sell", "basket", "promo", "receipt"],
    ),
    (
        "Customers",
        &["customer", "customer-search", "customer-new", "loyalty"],
    ),
    (
        "Pickup, returns, store credit, endless aisle",
        &[
            "pickup",
            "return",
            "return-sale",
            "exchange",
            "gift-card",
            "credit",
            "conflicts",
            "order",
        ],
    ),
    ("Fiscal", &["journal", "close", "training"]),
    ("Cash drawer", &["drawer"]),
    ("Sync", &["enroll", "sync"]),
    ("Devices", &["listen", "decode", "parse"]),
    ("Maintenance", &["doctor", "seed", "shot"]),
];

/// `comptoir`'s clap command with the grouped help; `main` parses with it.
pub fn command() -> clap::Command {
    let command = Cli::command();
    let groups = grouped(&command);
    command.help_template(format!(
        "{{before-help}}{{about-with-newline}}\n{{usage-heading}} {{usage}}\n\n{groups}\
         Options:\n{{options}}{{after-help}}"
    ))
}

/// Clap's own cap on the help's width (`max_term_width`'s default), so both parts line up.
const MAX_WIDTH: usize = 100;

/// The terminal's width as clap's `wrap_help` reads it (the terminal, else `COLUMNS`), at most
/// [`MAX_WIDTH`].
fn terminal_width() -> usize {
    terminal_size::terminal_size()
        .map(|(width, _)| usize::from(width.0))
        .or_else(|| std::env::var("COLUMNS").ok()?.trim().parse().ok())
        .unwrap_or(MAX_WIDTH)
        .clamp(40, MAX_WIDTH)
}

/// `text` in lines of at most `width` columns, each after the first indented by `indent`.
fn wrap(text: &str, indent: usize, width: usize) -> String {
    let room = width.saturating_sub(indent).max(20);
    let mut lines: Vec<String> = vec![String::new()];
    for word in text.split_whitespace() {
        let line = lines.last_mut().expect("one line at least");
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > room {
            lines.push(word.to_owned());
        } else {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
    }
    lines.join(&format!("\n{}", " ".repeat(indent)))
}

/// The subcommands, group by group: `Selling:` then `  sell   Sell products…`.
fn grouped(command: &clap::Command) -> String {
    let width = command
        .get_subcommands()
        .map(|sub| sub.get_name().len())
        .max()
        .unwrap_or(0);
    let mut text = String::new();
    for (title, names) in GROUPS {
        text.push_str(&format!("{title}:\n"));
        for name in *names {
            let about = command
                .find_subcommand(name)
                .and_then(|sub| sub.get_about())
                .map(|about| about.to_string())
                .unwrap_or_default();
            let about = wrap(&about, width + 4, terminal_width());
            text.push_str(&format!("  {name:<width$}  {about}\n"));
        }
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_subcommand_is_in_exactly_one_group() {
        let command = Cli::command();
        for sub in command.get_subcommands() {
            let name = sub.get_name();
            let homes = GROUPS
                .iter()
                .filter(|(_, names)| names.contains(&name))
                .count();
            assert_eq!(homes, 1, "{name} is in {homes} groups");
        }
        for (_, names) in GROUPS {
            for name in *names {
                assert!(
                    command.find_subcommand(name).is_some(),
                    "no subcommand {name}"
                );
            }
        }
    }

    /// Issue 20: `--json`, `<CODE>`, `<TICKET>`, `--out`… had no help text.
    #[test]
    fn every_argument_and_subcommand_has_help() {
        fn walk(command: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for arg in command.get_arguments() {
                let id = arg.get_id().as_str();
                if matches!(id, "help" | "version") {
                    continue;
                }
                if arg.get_help().is_none() && arg.get_long_help().is_none() {
                    missing.push(format!("{path} {id}"));
                }
            }
            for sub in command.get_subcommands() {
                let path = format!("{path} {}", sub.get_name());
                if sub.get_about().is_none() {
                    missing.push(path.clone());
                }
                walk(sub, &path, missing);
            }
        }
        let mut missing = Vec::new();
        walk(&command(), "comptoir", &mut missing);
        assert!(missing.is_empty(), "no help text: {missing:#?}");
    }

    #[test]
    fn long_descriptions_are_wrapped() {
        let text = wrap("one two three four five six", 4, 24);
        assert_eq!(text, "one two three four\n    five six");
        for line in command().render_help().to_string().lines() {
            assert!(line.chars().count() <= MAX_WIDTH, "{line}");
        }
    }

    #[test]
    fn the_top_level_help_groups_and_says_what_comptoir_alone_does() {
        let help = command().render_help().to_string();
        for (title, _) in GROUPS {
            assert!(help.contains(&format!("{title}:")), "{help}");
        }
        let words = help.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(words.contains("with no command opens the screen"), "{help}");
    }
}
