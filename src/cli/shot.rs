//! `comptoir shot PAGE --out FILE.png [--lang fr|en] [--size WxH]`: a page of the real UI with
//! demo data, drawn by Slint's software renderer (no display needed).

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use clap::ValueEnum;

use super::CommandContext;
use crate::store::Store;
use crate::ui::Lang;
use crate::ui::shot::{ShotPage, shot};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ShotLang {
    Fr,
    En,
}

/// "1280x800" → (1280, 800); between 320×240 and 3840×2160.
pub fn parse_size(text: &str) -> Result<(u32, u32), String> {
    let (w, h) = text
        .split_once(['x', 'X', '×'])
        .ok_or_else(|| format!("{text:?} is not WIDTHxHEIGHT (e.g. 1280x800)"))?;
    let parse = |v: &str| v.trim().parse::<u32>().ok();
    match (parse(w), parse(h)) {
        (Some(w), Some(h)) if (320..=3840).contains(&w) && (240..=2160).contains(&h) => Ok((w, h)),
        _ => Err(format!(
            "{text:?}: width 320 to 3840 and height 240 to 2160 pixels"
        )),
    }
}

pub fn run(
    context: &CommandContext,
    page: ShotPage,
    lang: ShotLang,
    size: (u32, u32),
    out: &Path,
) -> anyhow::Result<ExitCode> {
    let store = context.open_store()?;
    // A database without a catalogue gets a temporary demo one: a screenshot never seeds the
    // operator's database.
    let (store, _demo_dir) = if store.catalog_is_empty()? {
        let dir = tempfile::tempdir().context("cannot create a temporary demo database")?;
        let mut demo = Store::open(&dir.path().join("demo.db"))?;
        crate::app::seed::seed_demo(
            &mut demo,
            2_000,
            chrono::Utc::now().timestamp(),
            &mut |_, _| {},
        )?;
        (demo, Some(dir))
    } else {
        (store, None)
    };
    let lang = match lang {
        ShotLang::Fr => Lang::Fr,
        ShotLang::En => Lang::En,
    };
    shot(&context.config, store, page, lang, size, out)?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1280x800"), Ok((1280, 800)));
        assert_eq!(parse_size("800×480"), Ok((800, 480)));
        for bad in ["1280", "0x0", "99999x800", "axb"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }
}
