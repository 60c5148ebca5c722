//! GS1 element strings: the Application Identifier (AI) table and the parsers for the two
//! textual forms a till meets, the raw form a scanner transmits (`01…17…10LOT` with GS, ASCII
//! 29, as FNC1 separator) and the human-readable form printed under a barcode
//! (`(01)…(17)…(10)LOT`).
//!
//! The AI table follows the GS1 General Specifications §3 (AI definitions) and the GS1
//! Barcode Syntax Dictionary that GS1 maintains alongside it. It is data, not code branches:
//! each entry lists its components (character set, length, check) so that validation is one
//! generic walk.
//!
//! This module is pure: no I/O, no clock, and it must never panic on any input, including
//! non-ASCII text (values are walked by `char`, never sliced at arbitrary byte offsets).

use std::fmt;

use chrono::NaiveDate;
use serde::Serialize;

use crate::gtin::{Gtin, check_digit};

/// The GS1 separator (FNC1 transmitted as ASCII 29, GS1 General Specifications §7.8).
pub const GS: char = '\x1d';

/// The longest value shown inside an error message: enough to recognise it on a label, short
/// enough for a till's status line.
const SHOWN_VALUE_MAX: usize = 48;

/// Character set of one component of an AI's data field (GS1 General Specifications §7.11).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CharSet {
    /// Digits 0–9 ("N" in the format notation).
    Numeric,
    /// GS1 AI encodable character set 82 ("X"): the invariant subset of ISO/IEC 646.
    Set82,
    /// GS1 AI encodable character set 39 ("Y"): `#`, `-`, `/`, digits and capitals.
    Set39,
    /// GS1 AI encodable character set 64 ("Z"): base64url with `=` padding (AI 8030).
    Set64,
}

impl CharSet {
    /// Whether `c` belongs to this set.
    pub fn contains(self, c: char) -> bool {
        match self {
            CharSet::Numeric => c.is_ascii_digit(),
            // Figure 7.11-1: ! " % & ' ( ) * + , - . / 0-9 : ; < = > ? A-Z _ a-z
            CharSet::Set82 => {
                c.is_ascii_alphanumeric()
                    || matches!(
                        c,
                        '!' | '"'
                            | '%'
                            | '&'
                            | '\''
                            | '('
                            | ')'
                            | '*'
                            | '+'
                            | ','
                            | '-'
                            | '.'
                            | '/'
                            | ':'
                            | ';'
                            | '<'
                            | '='
                            | '>'
                            | '?'
                            | '_'
                    )
            }
            // Figure 7.11-2.
            CharSet::Set39 => {
                c.is_ascii_digit() || c.is_ascii_uppercase() || matches!(c, '#' | '-' | '/')
            }
            // Figure 7.11-3: RFC 4648 base64url, with '=' as padding.
            CharSet::Set64 => c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '='),
        }
    }

    /// The letter used for this set in the GS1 format notation.
    pub fn letter(self) -> char {
        match self {
            CharSet::Numeric => 'N',
            CharSet::Set82 => 'X',
            CharSet::Set39 => 'Y',
            CharSet::Set64 => 'Z',
        }
    }

    fn name(self) -> &'static str {
        match self {
            CharSet::Numeric => "digits",
            CharSet::Set82 => "character set 82",
            CharSet::Set39 => "character set 39",
            CharSet::Set64 => "character set 64",
        }
    }
}

/// A content check applied to one component, beyond its character set and length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// No further check.
    None,
    /// The last digit is the GS1 mod-10 check digit of the others (§7.9.1).
    CheckDigit,
    /// A YYMMDD date where day `00` means the last day of the month (§7.12; used by AIs 11,
    /// 12, 13, 15, 16, 17 and the delivery dates 4324/4325).
    DateDayZeroAllowed,
    /// A YYMMDD date that must name a real calendar day.
    Date,
    /// A YYYYMMDD date that must name a real calendar day (AIs 7250, 7251).
    DateFullYear,
    /// HHMM, hours 00–23 and minutes 00–59.
    TimeHhmm,
    /// HH, 00–23.
    Hour,
    /// MM (minutes), 00–59.
    Minute,
    /// SS, 00–59.
    Second,
}

/// One component of an AI's data field, e.g. `N13` then `[X..17]` for AI 253.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Component {
    /// Allowed characters.
    pub charset: CharSet,
    /// Minimum length in characters (equal to `max_len` for a fixed-length component).
    pub min_len: u8,
    /// Maximum length in characters.
    pub max_len: u8,
    /// An optional trailing component (`[…]` in the notation).
    pub optional: bool,
    /// Content check.
    pub check: Check,
}

impl Component {
    const fn fixed(charset: CharSet, len: u8) -> Component {
        Component {
            charset,
            min_len: len,
            max_len: len,
            optional: false,
            check: Check::None,
        }
    }

    const fn variable(charset: CharSet, max: u8) -> Component {
        Component {
            charset,
            min_len: 1,
            max_len: max,
            optional: false,
            check: Check::None,
        }
    }

    const fn with(self, check: Check) -> Component {
        Component { check, ..self }
    }

    const fn opt(self) -> Component {
        Component {
            optional: true,
            ..self
        }
    }

    const fn csum(self) -> Component {
        self.with(Check::CheckDigit)
    }

    /// Whether the component has one length only.
    pub fn is_fixed(&self) -> bool {
        self.min_len == self.max_len
    }
}

impl fmt::Display for Component {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let letter = self.charset.letter();
        let body = if self.is_fixed() {
            format!("{letter}{}", self.max_len)
        } else {
            format!("{letter}..{}", self.max_len)
        };
        if self.optional {
            write!(f, "[{body}]")
        } else {
            f.write_str(&body)
        }
    }
}

/// Numeric, fixed length.
const fn n(len: u8) -> Component {
    Component::fixed(CharSet::Numeric, len)
}
/// Numeric, up to `max` digits.
const fn nv(max: u8) -> Component {
    Component::variable(CharSet::Numeric, max)
}
/// Set 82, fixed length.
const fn x(len: u8) -> Component {
    Component::fixed(CharSet::Set82, len)
}
/// Set 82, up to `max` characters.
const fn xv(max: u8) -> Component {
    Component::variable(CharSet::Set82, max)
}
/// Set 39, up to `max` characters.
const fn yv(max: u8) -> Component {
    Component::variable(CharSet::Set39, max)
}
/// Set 64, up to `max` characters.
const fn zv(max: u8) -> Component {
    Component::variable(CharSet::Set64, max)
}
/// YYMMDD, day 00 allowed.
const fn yymmd0() -> Component {
    n(6).with(Check::DateDayZeroAllowed)
}
/// YYMMDD, a real day.
const fn yymmdd() -> Component {
    n(6).with(Check::Date)
}
/// HHMM.
const fn hhmm() -> Component {
    n(4).with(Check::TimeHhmm)
}

/// One row of the AI table: a single AI, or a range of AIs sharing one definition (such as
/// 3100–3105, where the last digit is the decimal point position).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AiSpec {
    /// First AI of the range.
    pub first: &'static str,
    /// Last AI of the range (same length as `first`; equal to it for a single AI).
    pub last: &'static str,
    /// Data title from the GS1 General Specifications.
    pub title: &'static str,
    /// In the predefined-length table (GS1 General Specifications §7.8): no GS is needed after it.
    pub predefined_length: bool,
    /// Allowed as a data attribute in the query string of a GS1 Digital Link URI.
    pub dl_data_attribute: bool,
    /// The components of the data field, in order.
    pub components: &'static [Component],
}

impl AiSpec {
    /// Whether `ai` (digits) falls in this row.
    pub fn matches(&self, ai: &str) -> bool {
        // Same-length digit strings compare lexicographically as numbers do.
        ai.len() == self.first.len() && self.first <= ai && ai <= self.last
    }

    /// Whether some AI of this row starts with `prefix`.
    fn could_start_with(&self, prefix: &str) -> bool {
        match (
            self.first.get(..prefix.len()),
            self.last.get(..prefix.len()),
        ) {
            (Some(low), Some(high)) => low <= prefix && prefix <= high,
            _ => false,
        }
    }

    /// Shortest and longest allowed data length, in characters.
    pub fn length_range(&self) -> (usize, usize) {
        let min = self
            .components
            .iter()
            .filter(|c| !c.optional)
            .map(|c| usize::from(c.min_len))
            .sum();
        let max = self.components.iter().map(|c| usize::from(c.max_len)).sum();
        (min, max)
    }

    /// The data length when it is fixed.
    pub fn fixed_length(&self) -> Option<usize> {
        let (min, max) = self.length_range();
        (min == max).then_some(min)
    }

    /// Whether a component carries a GS1 mod-10 check digit.
    pub fn has_check_digit(&self) -> bool {
        self.components.iter().any(|c| c.check == Check::CheckDigit)
    }

    /// Whether the data starts with a YYMMDD date (day 00 allowed or not).
    pub fn is_date(&self) -> bool {
        self.components
            .first()
            .is_some_and(|c| matches!(c.check, Check::Date | Check::DateDayZeroAllowed))
    }

    /// The format in GS1 notation, e.g. `N13 [X..17]`.
    pub fn format(&self) -> String {
        self.components
            .iter()
            .map(Component::to_string)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Predefined length: no GS needed after the AI (§7.8).
const FIXED: bool = true;
/// Not in the predefined-length table: a GS ends the field unless it is last.
const FNC1: bool = false;
/// Allowed as a Digital Link query parameter.
const DL: bool = true;
/// Not allowed as a Digital Link query parameter (path qualifiers and the like).
const NO_DL: bool = false;

macro_rules! ai {
    (@last $first:literal) => {
        $first
    };
    (@last $first:literal $last:literal) => {
        $last
    };
    ($first:literal $(..= $last:literal)?, $pre:expr, $dl:expr, [$($c:expr),+ $(,)?], $title:literal) => {
        AiSpec {
            first: $first,
            last: ai!(@last $first $($last)?),
            title: $title,
            predefined_length: $pre,
            dl_data_attribute: $dl,
            components: &[$($c),+],
        }
    };
}

/// The GS1 Application Identifier table, in AI order (GS1 General Specifications chapter 3 and
/// the GS1 Barcode Syntax Dictionary). Linters beyond check digits, dates and times (ISO
/// country and currency codes, IBAN, coupon layouts …) are not applied.
static AI_TABLE: &[AiSpec] = &[
    ai!("00", FIXED, DL, [n(18).csum()], "SSCC"),
    ai!("01", FIXED, DL, [n(14).csum()], "GTIN"),
    ai!("02", FIXED, DL, [n(14).csum()], "CONTENT"),
    ai!("03", FIXED, NO_DL, [n(14).csum()], "MTO GTIN"),
    ai!("10", FNC1, DL, [xv(20)], "BATCH/LOT"),
    ai!("11", FIXED, DL, [yymmd0()], "PROD DATE"),
    ai!("12", FIXED, DL, [yymmd0()], "DUE DATE"),
    ai!("13", FIXED, DL, [yymmd0()], "PACK DATE"),
    ai!("15", FIXED, DL, [yymmd0()], "BEST BEFORE or BEST BY"),
    ai!("16", FIXED, DL, [yymmd0()], "SELL BY"),
    ai!("17", FIXED, DL, [yymmd0()], "USE BY or EXPIRY"),
    ai!("20", FIXED, DL, [n(2)], "VARIANT"),
    ai!("21", FNC1, NO_DL, [xv(20)], "SERIAL"),
    ai!("22", FNC1, NO_DL, [xv(20)], "CPV"),
    ai!("235", FNC1, NO_DL, [xv(28)], "TPX"),
    ai!("240", FNC1, DL, [xv(30)], "ADDITIONAL ID"),
    ai!("241", FNC1, DL, [xv(30)], "CUST. PART No."),
    ai!("242", FNC1, DL, [nv(6)], "MTO VARIANT"),
    ai!("243", FNC1, DL, [xv(20)], "PCN"),
    ai!("250", FNC1, DL, [xv(30)], "SECONDARY SERIAL"),
    ai!("251", FNC1, DL, [xv(30)], "REF. TO SOURCE"),
    ai!("253", FNC1, DL, [n(13).csum(), xv(17).opt()], "GDTI"),
    ai!("254", FNC1, NO_DL, [xv(20)], "GLN EXTENSION COMPONENT"),
    ai!("255", FNC1, DL, [n(13).csum(), nv(12).opt()], "GCN"),
    ai!("30", FNC1, DL, [nv(8)], "VAR. COUNT"),
    ai!("3100"..="3105", FIXED, DL, [n(6)], "NET WEIGHT (kg)"),
    ai!("3110"..="3115", FIXED, DL, [n(6)], "LENGTH (m)"),
    ai!("3120"..="3125", FIXED, DL, [n(6)], "WIDTH (m)"),
    ai!("3130"..="3135", FIXED, DL, [n(6)], "HEIGHT (m)"),
    ai!("3140"..="3145", FIXED, DL, [n(6)], "AREA (m²)"),
    ai!("3150"..="3155", FIXED, DL, [n(6)], "NET VOLUME (l)"),
    ai!("3160"..="3165", FIXED, DL, [n(6)], "NET VOLUME (m³)"),
    ai!("3200"..="3205", FIXED, DL, [n(6)], "NET WEIGHT (lb)"),
    ai!("3210"..="3215", FIXED, DL, [n(6)], "LENGTH (in)"),
    ai!("3220"..="3225", FIXED, DL, [n(6)], "LENGTH (ft)"),
    ai!("3230"..="3235", FIXED, DL, [n(6)], "LENGTH (yd)"),
    ai!("3240"..="3245", FIXED, DL, [n(6)], "WIDTH (in)"),
    ai!("3250"..="3255", FIXED, DL, [n(6)], "WIDTH (ft)"),
    ai!("3260"..="3265", FIXED, DL, [n(6)], "WIDTH (yd)"),
    ai!("3270"..="3275", FIXED, DL, [n(6)], "HEIGHT (in)"),
    ai!("3280"..="3285", FIXED, DL, [n(6)], "HEIGHT (ft)"),
    ai!("3290"..="3295", FIXED, DL, [n(6)], "HEIGHT (yd)"),
    ai!("3300"..="3305", FIXED, DL, [n(6)], "GROSS WEIGHT (kg)"),
    ai!("3310"..="3315", FIXED, DL, [n(6)], "LENGTH (m), log"),
    ai!("3320"..="3325", FIXED, DL, [n(6)], "WIDTH (m), log"),
    ai!("3330"..="3335", FIXED, DL, [n(6)], "HEIGHT (m), log"),
    ai!("3340"..="3345", FIXED, DL, [n(6)], "AREA (m²), log"),
    ai!("3350"..="3355", FIXED, DL, [n(6)], "VOLUME (l), log"),
    ai!("3360"..="3365", FIXED, DL, [n(6)], "VOLUME (m³), log"),
    ai!("3370"..="3375", FIXED, DL, [n(6)], "KG PER m²"),
    ai!("3400"..="3405", FIXED, DL, [n(6)], "GROSS WEIGHT (lb)"),
    ai!("3410"..="3415", FIXED, DL, [n(6)], "LENGTH (in), log"),
    ai!("3420"..="3425", FIXED, DL, [n(6)], "LENGTH (ft), log"),
    ai!("3430"..="3435", FIXED, DL, [n(6)], "LENGTH (yd), log"),
    ai!("3440"..="3445", FIXED, DL, [n(6)], "WIDTH (in), log"),
    ai!("3450"..="3455", FIXED, DL, [n(6)], "WIDTH (ft), log"),
    ai!("3460"..="3465", FIXED, DL, [n(6)], "WIDTH (yd), log"),
    ai!("3470"..="3475", FIXED, DL, [n(6)], "HEIGHT (in), log"),
    ai!("3480"..="3485", FIXED, DL, [n(6)], "HEIGHT (ft), log"),
    ai!("3490"..="3495", FIXED, DL, [n(6)], "HEIGHT (yd), log"),
    ai!("3500"..="3505", FIXED, DL, [n(6)], "AREA (in²)"),
    ai!("3510"..="3515", FIXED, DL, [n(6)], "AREA (ft²)"),
    ai!("3520"..="3525", FIXED, DL, [n(6)], "AREA (yd²)"),
    ai!("3530"..="3535", FIXED, DL, [n(6)], "AREA (in²), log"),
    ai!("3540"..="3545", FIXED, DL, [n(6)], "AREA (ft²), log"),
    ai!("3550"..="3555", FIXED, DL, [n(6)], "AREA (yd²), log"),
    ai!("3560"..="3565", FIXED, DL, [n(6)], "NET WEIGHT (t oz)"),
    ai!("3570"..="3575", FIXED, DL, [n(6)], "NET VOLUME (oz)"),
    ai!("3600"..="3605", FIXED, DL, [n(6)], "NET VOLUME (qt)"),
    ai!("3610"..="3615", FIXED, DL, [n(6)], "NET VOLUME (gal.)"),
    ai!("3620"..="3625", FIXED, DL, [n(6)], "VOLUME (qt), log"),
    ai!("3630"..="3635", FIXED, DL, [n(6)], "VOLUME (gal.), log"),
    ai!("3640"..="3645", FIXED, DL, [n(6)], "VOLUME (in³)"),
    ai!("3650"..="3655", FIXED, DL, [n(6)], "VOLUME (ft³)"),
    ai!("3660"..="3665", FIXED, DL, [n(6)], "VOLUME (yd³)"),
    ai!("3670"..="3675", FIXED, DL, [n(6)], "VOLUME (in³), log"),
    ai!("3680"..="3685", FIXED, DL, [n(6)], "VOLUME (ft³), log"),
    ai!("3690"..="3695", FIXED, DL, [n(6)], "VOLUME (yd³), log"),
    ai!("37", FNC1, DL, [nv(8)], "COUNT"),
    ai!("3900"..="3909", FNC1, DL, [nv(15)], "AMOUNT"),
    ai!("3910"..="3919", FNC1, DL, [n(3), nv(15)], "AMOUNT"),
    ai!("3920"..="3929", FNC1, DL, [nv(15)], "PRICE"),
    ai!("3930"..="3939", FNC1, DL, [n(3), nv(15)], "PRICE"),
    ai!("3940"..="3943", FNC1, DL, [n(4)], "PRCNT OFF"),
    ai!("3950"..="3955", FNC1, DL, [n(6)], "PRICE/UoM"),
    ai!("400", FNC1, DL, [xv(30)], "ORDER NUMBER"),
    ai!("401", FNC1, DL, [xv(30)], "GINC"),
    ai!("402", FNC1, DL, [n(17).csum()], "GSIN"),
    ai!("403", FNC1, DL, [xv(30)], "ROUTE"),
    ai!("410", FIXED, DL, [n(13).csum()], "SHIP TO LOC"),
    ai!("411", FIXED, DL, [n(13).csum()], "BILL TO"),
    ai!("412", FIXED, DL, [n(13).csum()], "PURCHASE FROM"),
    ai!("413", FIXED, DL, [n(13).csum()], "SHIP FOR LOC"),
    ai!("414", FIXED, DL, [n(13).csum()], "LOC No."),
    ai!("415", FIXED, DL, [n(13).csum()], "PAY TO"),
    ai!("416", FIXED, DL, [n(13).csum()], "PROD/SERV LOC"),
    ai!("417", FIXED, DL, [n(13).csum()], "PARTY"),
    ai!("420", FNC1, DL, [xv(20)], "SHIP TO POST"),
    ai!("421", FNC1, DL, [n(3), xv(9)], "SHIP TO POST"),
    ai!("422", FNC1, DL, [n(3)], "ORIGIN"),
    ai!(
        "423",
        FNC1,
        DL,
        [n(3), n(3).opt(), n(3).opt(), n(3).opt(), n(3).opt()],
        "COUNTRY - INITIAL PROCESS"
    ),
    ai!("424", FNC1, DL, [n(3)], "COUNTRY - PROCESS"),
    ai!(
        "425",
        FNC1,
        DL,
        [n(3), n(3).opt(), n(3).opt(), n(3).opt(), n(3).opt()],
        "COUNTRY - DISASSEMBLY"
    ),
    ai!("426", FNC1, DL, [n(3)], "COUNTRY - FULL PROCESS"),
    ai!("427", FNC1, DL, [xv(3)], "ORIGIN SUBDIVISION"),
    ai!("4300", FNC1, DL, [xv(35)], "SHIP TO COMP"),
    ai!("4301", FNC1, DL, [xv(35)], "SHIP TO NAME"),
    ai!("4302", FNC1, DL, [xv(70)], "SHIP TO ADD1"),
    ai!("4303", FNC1, DL, [xv(70)], "SHIP TO ADD2"),
    ai!("4304", FNC1, DL, [xv(70)], "SHIP TO SUB"),
    ai!("4305", FNC1, DL, [xv(70)], "SHIP TO LOC"),
    ai!("4306", FNC1, DL, [xv(70)], "SHIP TO REG"),
    ai!("4307", FNC1, DL, [x(2)], "SHIP TO COUNTRY"),
    ai!("4308", FNC1, DL, [xv(30)], "SHIP TO PHONE"),
    ai!("4309", FNC1, DL, [n(10), n(10)], "SHIP TO GEO"),
    ai!("4310", FNC1, DL, [xv(35)], "RTN TO COMP"),
    ai!("4311", FNC1, DL, [xv(35)], "RTN TO NAME"),
    ai!("4312", FNC1, DL, [xv(70)], "RTN TO ADD1"),
    ai!("4313", FNC1, DL, [xv(70)], "RTN TO ADD2"),
    ai!("4314", FNC1, DL, [xv(70)], "RTN TO SUB"),
    ai!("4315", FNC1, DL, [xv(70)], "RTN TO LOC"),
    ai!("4316", FNC1, DL, [xv(70)], "RTN TO REG"),
    ai!("4317", FNC1, DL, [x(2)], "RTN TO COUNTRY"),
    ai!("4318", FNC1, DL, [xv(20)], "RTN TO POST"),
    ai!("4319", FNC1, DL, [xv(30)], "RTN TO PHONE"),
    ai!("4320", FNC1, DL, [xv(35)], "SRV DESCRIPTION"),
    ai!("4321", FNC1, DL, [n(1)], "DANGEROUS GOODS"),
    ai!("4322", FNC1, DL, [n(1)], "AUTH TO LEAVE"),
    ai!("4323", FNC1, DL, [n(1)], "SIG REQUIRED"),
    ai!("4324", FNC1, DL, [yymmd0(), hhmm()], "NOT BEF DEL DT"),
    ai!("4325", FNC1, DL, [yymmd0(), hhmm()], "NOT AFT DEL DT"),
    ai!("4326", FNC1, DL, [yymmdd()], "REL DATE"),
    ai!("4330", FNC1, DL, [n(6), x(1).opt()], "MAX TEMP F."),
    ai!("4331", FNC1, DL, [n(6), x(1).opt()], "MAX TEMP C."),
    ai!("4332", FNC1, DL, [n(6), x(1).opt()], "MIN TEMP F."),
    ai!("4333", FNC1, DL, [n(6), x(1).opt()], "MIN TEMP C."),
    ai!("7001", FNC1, DL, [n(13)], "NSN"),
    ai!("7002", FNC1, DL, [xv(30)], "MEAT CUT"),
    ai!("7003", FNC1, DL, [yymmdd(), hhmm()], "EXPIRY TIME"),
    ai!("7004", FNC1, DL, [nv(4)], "ACTIVE POTENCY"),
    ai!("7005", FNC1, DL, [xv(12)], "CATCH AREA"),
    ai!("7006", FNC1, DL, [yymmdd()], "FIRST FREEZE DATE"),
    ai!("7007", FNC1, DL, [yymmdd(), yymmdd().opt()], "HARVEST DATE"),
    ai!("7008", FNC1, DL, [xv(3)], "AQUATIC SPECIES"),
    ai!("7009", FNC1, DL, [xv(10)], "FISHING GEAR TYPE"),
    ai!("7010", FNC1, DL, [xv(2)], "PROD METHOD"),
    ai!("7011", FNC1, DL, [yymmdd(), hhmm().opt()], "TEST BY DATE"),
    ai!("7020", FNC1, DL, [xv(20)], "REFURB LOT"),
    ai!("7021", FNC1, DL, [xv(20)], "FUNC STAT"),
    ai!("7022", FNC1, DL, [xv(20)], "REV STAT"),
    ai!("7023", FNC1, DL, [xv(30)], "GIAI - ASSEMBLY"),
    ai!("7030"..="7039", FNC1, DL, [n(3), xv(27)], "PROCESSOR # s"),
    ai!("7040", FNC1, NO_DL, [n(1), x(1), x(1), x(1)], "UIC+EXT"),
    ai!("7041", FNC1, NO_DL, [xv(4)], "UFRGT UNIT TYPE"),
    ai!("710", FNC1, DL, [xv(20)], "NHRN PZN"),
    ai!("711", FNC1, DL, [xv(20)], "NHRN CIP"),
    ai!("712", FNC1, DL, [xv(20)], "NHRN CN"),
    ai!("713", FNC1, DL, [xv(20)], "NHRN DRN"),
    ai!("714", FNC1, DL, [xv(20)], "NHRN AIM"),
    ai!("715", FNC1, DL, [xv(20)], "NHRN NDC"),
    ai!("716", FNC1, DL, [xv(20)], "NHRN AIC"),
    ai!("7230"..="7239", FNC1, DL, [x(2), xv(28)], "CERT # s"),
    ai!("7240", FNC1, DL, [xv(20)], "PROTOCOL"),
    ai!("7241", FNC1, DL, [n(2)], "AIDC MEDIA TYPE"),
    ai!("7242", FNC1, DL, [xv(25)], "VCN"),
    ai!("7250", FNC1, DL, [n(8).with(Check::DateFullYear)], "DOB"),
    ai!(
        "7251",
        FNC1,
        DL,
        [n(8).with(Check::DateFullYear), hhmm()],
        "DOB TIME"
    ),
    ai!("7252", FNC1, DL, [n(1)], "BIO SEX"),
    ai!("7253", FNC1, DL, [xv(40)], "FAMILY NAME"),
    ai!("7254", FNC1, DL, [xv(40)], "GIVEN NAME"),
    ai!("7255", FNC1, DL, [xv(10)], "SUFFIX"),
    ai!("7256", FNC1, DL, [xv(90)], "FULL NAME"),
    ai!("7257", FNC1, DL, [xv(70)], "PERSON ADDR"),
    ai!("7258", FNC1, DL, [x(3)], "BIRTH SEQUENCE"),
    ai!("7259", FNC1, DL, [xv(40)], "BABY"),
    ai!(
        "8001",
        FNC1,
        DL,
        [n(4), n(5), n(3), n(1), n(1)],
        "DIMENSIONS"
    ),
    ai!("8002", FNC1, DL, [xv(20)], "CMT No."),
    ai!("8003", FNC1, DL, [n(1), n(13).csum(), xv(16).opt()], "GRAI"),
    ai!("8004", FNC1, DL, [xv(30)], "GIAI"),
    ai!("8005", FNC1, DL, [n(6)], "PRICE PER UNIT"),
    ai!("8006", FNC1, DL, [n(14).csum(), n(4)], "ITIP"),
    ai!("8007", FNC1, DL, [xv(34)], "IBAN"),
    ai!(
        "8008",
        FNC1,
        DL,
        [
            yymmdd(),
            n(2).with(Check::Hour),
            n(2).with(Check::Minute).opt(),
            n(2).with(Check::Second).opt()
        ],
        "PROD TIME"
    ),
    ai!("8009", FNC1, DL, [xv(50)], "OPTSEN"),
    ai!("8010", FNC1, DL, [yv(30)], "CPID"),
    ai!("8011", FNC1, NO_DL, [nv(12)], "CPID SERIAL"),
    ai!("8012", FNC1, DL, [xv(20)], "VERSION"),
    ai!("8013", FNC1, DL, [xv(25)], "GMN"),
    ai!("8014", FNC1, NO_DL, [xv(25)], "MUDI"),
    ai!("8017", FNC1, DL, [n(18).csum()], "GSRN - PROVIDER"),
    ai!("8018", FNC1, DL, [n(18).csum()], "GSRN - RECIPIENT"),
    ai!("8019", FNC1, NO_DL, [nv(10)], "SRIN"),
    ai!("8020", FNC1, NO_DL, [xv(25)], "REF No."),
    ai!("8026", FNC1, DL, [n(14).csum(), n(4)], "ITIP CONTENT"),
    ai!("8030", FNC1, DL, [zv(90)], "DIGSIG"),
    ai!("8110", FNC1, DL, [xv(70)], "COUPON (North America)"),
    ai!("8111", FNC1, DL, [n(4)], "POINTS"),
    ai!(
        "8112",
        FNC1,
        DL,
        [xv(70)],
        "PAPERLESS COUPON (North America)"
    ),
    ai!("8200", FNC1, NO_DL, [xv(70)], "PRODUCT URL"),
    ai!("90", FNC1, DL, [xv(30)], "INTERNAL"),
    ai!("91"..="99", FNC1, DL, [xv(90)], "INTERNAL"),
];

/// The whole AI table, in AI order.
pub fn ai_table() -> &'static [AiSpec] {
    AI_TABLE
}

/// The table row for `ai` (2 to 4 digits), if GS1 defines it.
pub fn ai_spec(ai: &str) -> Option<&'static AiSpec> {
    if !(2..=4).contains(&ai.len()) || !ai.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    AI_TABLE.iter().find(|spec| spec.matches(ai))
}

/// Why GS1 data was rejected. Messages name the AI and the value so that an operator can
/// compare them with the label.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Gs1Error {
    /// Nothing to parse.
    #[error("the GS1 data is empty")]
    Empty,
    /// Where an AI was expected, something else stood.
    #[error("expected a GS1 Application Identifier (2 to 4 digits) at {found:?}")]
    ExpectedAi {
        /// The text found there (shortened).
        found: String,
    },
    /// The digits do not name an AI of the GS1 table.
    #[error("AI {ai} is not in the GS1 table")]
    UnknownAi {
        /// The unknown AI (for raw data: the shortest leading digits no AI starts with).
        ai: String,
    },
    /// An AI with no data after it.
    #[error("AI {ai} has no data")]
    EmptyValue {
        /// The AI.
        ai: String,
    },
    /// The value is too short, too long or of a length its format does not allow.
    #[error("AI {ai} value {value:?} has {len} characters; {rule}")]
    WrongLength {
        /// The AI.
        ai: String,
        /// The value (shortened).
        value: String,
        /// Its length in characters.
        len: usize,
        /// What the format allows, as the end of a sentence.
        rule: String,
    },
    /// A numeric field holds something else than a digit.
    #[error("AI {ai} value {value:?} must contain only digits but contains {found:?}")]
    NonDigit {
        /// The AI.
        ai: String,
        /// The value (shortened).
        value: String,
        /// The first offending character.
        found: char,
    },
    /// An alphanumeric field holds a character outside its GS1 character set.
    #[error("AI {ai} value {value:?} contains {found:?}, which GS1 does not allow ({set})")]
    InvalidCharacter {
        /// The AI.
        ai: String,
        /// The value (shortened).
        value: String,
        /// The first offending character.
        found: char,
        /// The character set name, e.g. "character set 82".
        set: &'static str,
    },
    /// A GS1 key whose check digit does not match.
    #[error("AI {ai} value {value:?} has a wrong check digit (expected {expected})")]
    WrongCheckDigit {
        /// The AI.
        ai: String,
        /// The value.
        value: String,
        /// The check digit the body calls for.
        expected: u8,
    },
    /// A date that is not a calendar day.
    #[error("AI {ai} value {value:?} is not a valid date ({format})")]
    InvalidDate {
        /// The AI.
        ai: String,
        /// The value.
        value: String,
        /// The expected layout, e.g. "YYMMDD".
        format: &'static str,
    },
    /// A time of day out of range.
    #[error("AI {ai} value {value:?} is not a valid time ({format})")]
    InvalidTime {
        /// The AI.
        ai: String,
        /// The value.
        value: String,
        /// The expected layout, e.g. "HHMM".
        format: &'static str,
    },
    /// The same AI twice with different data (an item cannot carry two values for one AI).
    #[error("AI {ai} appears twice with different values ({first:?} and {second:?})")]
    ConflictingDuplicate {
        /// The AI.
        ai: String,
        /// The first value.
        first: String,
        /// The other value.
        second: String,
    },
    /// The human-readable form is not `(AI)value(AI)value…`.
    #[error("expected \"(\", 2 to 4 digits and \")\" at {found:?}")]
    BracketSyntax {
        /// The text found there (shortened).
        found: String,
    },
    /// A Digital Link element whose percent-encoding does not decode to UTF-8 text.
    #[error("Digital Link element {element:?} is not valid percent-encoded text")]
    PercentEncoding {
        /// The element as found (shortened).
        element: String,
    },
    /// A path AI that cannot qualify the primary key (GS1 Digital Link URI Syntax 1.4).
    #[error("AI {ai} cannot qualify primary key AI {key} in a Digital Link path")]
    NotAQualifier {
        /// The primary key AI.
        key: String,
        /// The offending AI.
        ai: String,
    },
    /// Qualifiers in the wrong order (GS1 Digital Link URI Syntax 1.4).
    #[error(
        "AI {ai} cannot come after AI {previous} in a Digital Link path; \
         the qualifiers of AI {key} go in the order {order}"
    )]
    QualifierOrder {
        /// The primary key AI.
        key: String,
        /// The AI out of order.
        ai: String,
        /// The qualifier before it.
        previous: String,
        /// The allowed order, e.g. "22, 10, 21 or 235".
        order: String,
    },
    /// A path-only AI given as a query parameter (GS1 Digital Link URI Syntax 1.4).
    #[error("AI {ai} is not allowed as a Digital Link query parameter")]
    NotADataAttribute {
        /// The AI.
        ai: String,
    },
}

/// Shortens `text` for an error message, on a character boundary.
pub(crate) fn clip(text: &str) -> String {
    let mut chars = text.chars();
    let head: String = chars.by_ref().take(SHOWN_VALUE_MAX).collect();
    if chars.next().is_some() {
        format!("{head}…")
    } else {
        head
    }
}

/// Validates `value` against the table row of `ai`.
///
/// Checks, in order: not empty, overall length, each component's length, character set and
/// content check (check digit, date, time).
pub fn validate_value(ai: &str, value: &str) -> Result<(), Gs1Error> {
    let spec = ai_spec(ai).ok_or_else(|| Gs1Error::UnknownAi { ai: clip(ai) })?;
    validate_with_spec(ai, spec, value)
}

fn validate_with_spec(ai: &str, spec: &AiSpec, value: &str) -> Result<(), Gs1Error> {
    let chars: Vec<char> = value.chars().collect();
    let len = chars.len();
    if len == 0 {
        return Err(Gs1Error::EmptyValue { ai: ai.to_owned() });
    }
    let wrong_length = |rule: String| Gs1Error::WrongLength {
        ai: ai.to_owned(),
        value: clip(value),
        len,
        rule,
    };
    let (min, max) = spec.length_range();
    if min == max && len != min {
        return Err(wrong_length(format!("it must have exactly {min}")));
    }
    if len > max {
        return Err(wrong_length(format!("at most {max} are allowed")));
    }
    if len < min {
        return Err(wrong_length(format!("at least {min} are needed")));
    }
    let mut pos = 0;
    for component in spec.components {
        let remaining = len - pos;
        if remaining == 0 && component.optional {
            break;
        }
        let take = if component.is_fixed() {
            usize::from(component.max_len)
        } else {
            remaining.min(usize::from(component.max_len))
        };
        if take > remaining || take == 0 {
            return Err(wrong_length(format!(
                "its format {} does not allow that",
                spec.format()
            )));
        }
        let part = &chars[pos..pos + take];
        if let Some(&found) = part.iter().find(|c| !component.charset.contains(**c)) {
            return Err(if component.charset == CharSet::Numeric {
                Gs1Error::NonDigit {
                    ai: ai.to_owned(),
                    value: clip(value),
                    found,
                }
            } else {
                Gs1Error::InvalidCharacter {
                    ai: ai.to_owned(),
                    value: clip(value),
                    found,
                    set: component.charset.name(),
                }
            });
        }
        let part: String = part.iter().collect();
        check_component(ai, value, component.check, &part)?;
        pos += take;
    }
    if pos != len {
        return Err(wrong_length(format!(
            "its format {} does not allow that",
            spec.format()
        )));
    }
    Ok(())
}

fn check_component(ai: &str, value: &str, check: Check, part: &str) -> Result<(), Gs1Error> {
    let bad_date = |format| Gs1Error::InvalidDate {
        ai: ai.to_owned(),
        value: clip(value),
        format,
    };
    let bad_time = |format| Gs1Error::InvalidTime {
        ai: ai.to_owned(),
        value: clip(value),
        format,
    };
    match check {
        Check::None => Ok(()),
        Check::CheckDigit => {
            let body = part.get(..part.len().saturating_sub(1)).unwrap_or("");
            match check_digit(body) {
                Some(expected) if part.ends_with(char::from(b'0' + expected)) => Ok(()),
                Some(expected) => Err(Gs1Error::WrongCheckDigit {
                    ai: ai.to_owned(),
                    value: clip(value),
                    expected,
                }),
                None => Err(bad_digits(ai, value)),
            }
        }
        Check::DateDayZeroAllowed => parse_yymmdd(part, true)
            .map(|_| ())
            .ok_or_else(|| bad_date("YYMMDD")),
        Check::Date => parse_yymmdd(part, false)
            .map(|_| ())
            .ok_or_else(|| bad_date("YYMMDD")),
        Check::DateFullYear => parse_yyyymmdd(part)
            .map(|_| ())
            .ok_or_else(|| bad_date("YYYYMMDD")),
        Check::TimeHhmm => in_range(number(part.get(..2)), 24)
            .and(in_range(number(part.get(2..)), 60))
            .ok_or_else(|| bad_time("HHMM")),
        Check::Hour => in_range(number(Some(part)), 24).ok_or_else(|| bad_time("HH")),
        Check::Minute => in_range(number(Some(part)), 60).ok_or_else(|| bad_time("MM")),
        Check::Second => in_range(number(Some(part)), 60).ok_or_else(|| bad_time("SS")),
    }
}

fn bad_digits(ai: &str, value: &str) -> Gs1Error {
    Gs1Error::NonDigit {
        ai: ai.to_owned(),
        value: clip(value),
        found: value.chars().find(|c| !c.is_ascii_digit()).unwrap_or('?'),
    }
}

fn in_range(value: Option<u32>, limit: u32) -> Option<()> {
    value.filter(|v| *v < limit).map(|_| ())
}

/// The value of a short run of ASCII digits.
fn number(digits: Option<&str>) -> Option<u32> {
    let digits = digits?;
    if digits.is_empty() || digits.len() > 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Parses a GS1 YYMMDD date (§7.12).
///
/// The year is taken as 2000 + YY. §7.12 resolves the century with a sliding window around
/// the current year (a YY more than 50 years ahead means the previous century), which needs a
/// clock the pure domain does not have; for the dates a till reads (production, best-before,
/// expiry) both rules agree on every YY from 00 up to at least the current year + 50.
/// With `day_zero_allowed`, day 00 means the last day of the month (§7.12, for AIs 11–17).
pub fn parse_yymmdd(value: &str, day_zero_allowed: bool) -> Option<NaiveDate> {
    if value.len() != 6 {
        return None;
    }
    let year = 2000 + i32::try_from(number(value.get(..2))?).ok()?;
    let month = number(value.get(2..4))?;
    let day = number(value.get(4..6))?;
    calendar_day(year, month, day, day_zero_allowed)
}

/// Parses a YYYYMMDD date.
pub fn parse_yyyymmdd(value: &str) -> Option<NaiveDate> {
    if value.len() != 8 {
        return None;
    }
    let year = i32::try_from(number(value.get(..4))?).ok()?;
    let month = number(value.get(4..6))?;
    let day = number(value.get(6..8))?;
    calendar_day(year, month, day, false)
}

fn calendar_day(year: i32, month: u32, day: u32, day_zero_allowed: bool) -> Option<NaiveDate> {
    if day == 0 && day_zero_allowed {
        // The last day of the month: the first of 31, 30, 29, 28 that exists.
        return (28..=31)
            .rev()
            .find_map(|d| NaiveDate::from_ymd_opt(year, month, d));
    }
    NaiveDate::from_ymd_opt(year, month, day)
}

/// Scales a non-negative decimal `value × 10^-decimals` to `target` decimals, rounding half
/// up (money and weights are integers in Comptoir; the half-up rule is the one the till uses
/// for every amount).
fn rescale(value: i64, decimals: u32, target: u32) -> Option<i64> {
    if decimals <= target {
        value.checked_mul(10i64.checked_pow(target - decimals)?)
    } else {
        let divisor = 10i64.checked_pow(decimals - target)?;
        Some(value.checked_add(divisor / 2)? / divisor)
    }
}

/// A parsed GS1 element string: the (AI, value) pairs in the order they were scanned, each
/// validated against the AI table, without duplicates.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ElementString {
    /// (AI, value) pairs, in scan order.
    pub ais: Vec<(String, String)>,
}

impl ElementString {
    /// Builds an element string from (AI, value) pairs, validating each one as the parsers
    /// do. A repeated pair is kept once; a repeated AI with another value is an error.
    pub fn from_pairs<I, A, V>(pairs: I) -> Result<ElementString, Gs1Error>
    where
        I: IntoIterator<Item = (A, V)>,
        A: AsRef<str>,
        V: AsRef<str>,
    {
        let mut element_string = ElementString::default();
        for (ai, value) in pairs {
            element_string.push_validated(ai.as_ref(), value.as_ref())?;
        }
        if element_string.ais.is_empty() {
            return Err(Gs1Error::Empty);
        }
        Ok(element_string)
    }

    /// Validates and appends one pair (see [`ElementString::from_pairs`]).
    pub(crate) fn push_validated(&mut self, ai: &str, value: &str) -> Result<(), Gs1Error> {
        validate_value(ai, value)?;
        // GS1 rules on repeated AIs (and the Digital Link path/query overlap): the same AI
        // twice is harmless when the data agree, and a contradiction when they do not.
        if let Some((_, first)) = self.ais.iter().find(|(known, _)| known == ai) {
            if first == value {
                return Ok(());
            }
            return Err(Gs1Error::ConflictingDuplicate {
                ai: ai.to_owned(),
                first: clip(first),
                second: clip(value),
            });
        }
        self.ais.push((ai.to_owned(), value.to_owned()));
        Ok(())
    }

    /// The value of `ai`, if present.
    pub fn get(&self, ai: &str) -> Option<&str> {
        self.ais
            .iter()
            .find(|(known, _)| known == ai)
            .map(|(_, value)| value.as_str())
    }

    /// The GTIN of AI 01.
    pub fn gtin(&self) -> Option<Gtin> {
        self.get("01").and_then(|value| Gtin::parse(value).ok())
    }

    /// The date held by a date AI (11, 12, 13, 15, 16, 17, 7006 …), day 00 read as the last
    /// day of the month where the AI allows it.
    pub fn date(&self, ai: &str) -> Option<NaiveDate> {
        let spec = ai_spec(ai)?;
        let first = spec.components.first()?;
        let value = self.get(ai)?.get(..6)?;
        match first.check {
            Check::DateDayZeroAllowed => parse_yymmdd(value, true),
            Check::Date => parse_yymmdd(value, false),
            _ => None,
        }
    }

    /// Expiry / use-by date (AI 17).
    pub fn expiry(&self) -> Option<NaiveDate> {
        self.date("17")
    }

    /// Best-before date (AI 15).
    pub fn best_before(&self) -> Option<NaiveDate> {
        self.date("15")
    }

    /// Batch or lot number (AI 10).
    pub fn lot(&self) -> Option<&str> {
        self.get("10")
    }

    /// Serial number (AI 21).
    pub fn serial(&self) -> Option<&str> {
        self.get("21")
    }

    /// Net weight in grams, from AI 3100–3105 (kilograms with 0 to 5 decimals), rounded half
    /// up to the gram.
    pub fn net_weight_grams(&self) -> Option<i64> {
        self.decimal_value("310", 5, 3)
    }

    /// Amount payable in cents of the local currency, from AI 3920–3929 (0 to 9 decimals),
    /// rounded half up to the cent.
    pub fn price_cents(&self) -> Option<i64> {
        self.decimal_value("392", 9, 2)
    }

    /// The first AI `<family><n>` with `n <= max_decimals`, its value read with `n` decimals
    /// and rescaled to `target` decimals (chapter 3: the last AI digit is the decimal point
    /// position).
    fn decimal_value(&self, family: &str, max_decimals: u32, target: u32) -> Option<i64> {
        self.ais.iter().find_map(|(ai, value)| {
            let decimals = ai.strip_prefix(family)?;
            let decimals =
                number(Some(decimals)).filter(|d| *d <= max_decimals && ai.len() == 4)?;
            let value: i64 = value.parse().ok()?;
            rescale(value, decimals, target)
        })
    }

    /// The raw form a scanner transmits: AIs and values, with a GS after every field that is
    /// not of predefined length, except the last (§7.8).
    pub fn to_raw(&self) -> String {
        let mut out = String::new();
        let count = self.ais.len();
        for (i, (ai, value)) in self.ais.iter().enumerate() {
            out.push_str(ai);
            out.push_str(value);
            let predefined = ai_spec(ai).is_some_and(|spec| spec.predefined_length);
            if i + 1 < count && !predefined {
                out.push(GS);
            }
        }
        out
    }

    /// The human-readable form `(01)…(10)…`. A `(` inside a value is written `\(` so that the
    /// text parses back to the same pairs (`\` is not in character set 82, so this is
    /// unambiguous).
    pub fn to_human_readable(&self) -> String {
        let mut out = String::new();
        for (ai, value) in &self.ais {
            out.push('(');
            out.push_str(ai);
            out.push(')');
            out.push_str(&value.replace('(', "\\("));
        }
        out
    }
}

impl fmt::Display for ElementString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_human_readable())
    }
}

/// Reads the AI at the start of `rest`.
fn match_ai(rest: &str) -> Result<(&str, &'static AiSpec), Gs1Error> {
    let digits = rest.bytes().take(4).take_while(u8::is_ascii_digit).count();
    if digits < 2 {
        return Err(Gs1Error::ExpectedAi { found: clip(rest) });
    }
    // GS1 AIs are prefix-free (chapter 3), so the first length that matches is the AI. The
    // leading bytes are ASCII digits, so these slices are on character boundaries.
    for len in 2..=digits {
        let ai = rest.get(..len).unwrap_or("");
        if let Some(spec) = ai_spec(ai) {
            return Ok((ai, spec));
        }
    }
    // Name the shortest run of leading digits that no AI starts with.
    let unknown = (2..=digits)
        .filter_map(|len| rest.get(..len))
        .find(|prefix| !AI_TABLE.iter().any(|spec| spec.could_start_with(prefix)))
        .or_else(|| rest.get(..digits))
        .unwrap_or("");
    Err(Gs1Error::UnknownAi {
        ai: unknown.to_owned(),
    })
}

/// Parses the raw form of a GS1 element string, as sent by a scanner after `]C1`, `]d2`,
/// `]Q3` or `]e0`: AI + value, where a field not of predefined length ends at a GS (ASCII 29)
/// or at the end of the data (§7.8). Leading GS characters (FNC1 in first position, which
/// some scanners transmit) and one trailing GS are tolerated.
pub fn parse_element_string(data: &str) -> Result<ElementString, Gs1Error> {
    let mut rest = data.trim_start_matches(GS);
    if rest.is_empty() {
        return Err(Gs1Error::Empty);
    }
    let mut element_string = ElementString::default();
    while !rest.is_empty() {
        let (ai, spec) = match_ai(rest)?;
        // `ai` is made of ASCII digits taken from the start of `rest`.
        rest = rest.get(ai.len()..).unwrap_or("");
        let value;
        match spec.fixed_length().filter(|_| spec.predefined_length) {
            Some(length) => {
                // Predefined length: take that many characters (a GS or the end cuts a short
                // value, which validation then reports).
                let end = rest
                    .char_indices()
                    .enumerate()
                    .find(|(count, (_, c))| *count == length || *c == GS)
                    .map_or(rest.len(), |(_, (i, _))| i);
                value = rest.get(..end).unwrap_or("");
                rest = rest.get(end..).unwrap_or("");
                rest = rest.strip_prefix(GS).unwrap_or(rest);
            }
            None => match rest.find(GS) {
                Some(i) => {
                    value = rest.get(..i).unwrap_or("");
                    rest = rest.get(i + GS.len_utf8()..).unwrap_or("");
                }
                None => {
                    value = rest;
                    rest = "";
                }
            },
        }
        element_string.push_validated(ai, value)?;
    }
    Ok(element_string)
}

/// Parses the human-readable form `(01)09520123456788(17)261231(10)LOT7` with the same
/// validation as [`parse_element_string`]. A value runs up to the next `(`; write `\(` for a
/// literal `(` inside a value. Spaces around a value are ignored (they cannot be data: set 82
/// has no space).
pub fn parse_human_readable(text: &str) -> Result<ElementString, Gs1Error> {
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err(Gs1Error::Empty);
    }
    let mut element_string = ElementString::default();
    while !rest.is_empty() {
        let bracket_error = || Gs1Error::BracketSyntax { found: clip(rest) };
        let after_open = rest.strip_prefix('(').ok_or_else(bracket_error)?;
        let close = after_open.find(')').ok_or_else(bracket_error)?;
        let ai = after_open.get(..close).unwrap_or("");
        if !(2..=4).contains(&ai.len()) || !ai.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bracket_error());
        }
        let body = after_open.get(close + 1..).unwrap_or("");
        let mut value = String::new();
        let mut end = body.len();
        let mut chars = body.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c == '\\' && matches!(chars.peek(), Some((_, '('))) {
                value.push('(');
                chars.next();
            } else if c == '(' {
                end = i;
                break;
            } else {
                value.push(c);
            }
        }
        rest = body.get(end..).unwrap_or("");
        element_string.push_validated(ai, value.trim_matches(' '))?;
    }
    Ok(element_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pairs(es: &ElementString) -> Vec<(&str, &str)> {
        es.ais
            .iter()
            .map(|(a, v)| (a.as_str(), v.as_str()))
            .collect()
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn table_is_sorted_prefix_free_and_well_formed() {
        for spec in AI_TABLE {
            assert_eq!(spec.first.len(), spec.last.len(), "{}", spec.first);
            assert!(spec.first <= spec.last, "{}", spec.first);
            assert!(!spec.components.is_empty(), "{}", spec.first);
            // Only the last mandatory component may be variable (Syntax Dictionary rule).
            let variable = spec.components.iter().filter(|c| !c.is_fixed()).count();
            assert!(variable <= 1, "{}", spec.first);
            if spec.predefined_length {
                assert!(spec.fixed_length().is_some(), "{}", spec.first);
            }
        }
        for pair in AI_TABLE.windows(2) {
            assert!(pair[0].last < pair[1].first, "order at {}", pair[1].first);
        }
        // No AI is a prefix of another one (chapter 3): every AI has exactly one parse.
        for a in AI_TABLE {
            for b in AI_TABLE {
                if a.first.len() < b.first.len() {
                    assert!(
                        !b.could_start_with(a.first) && !b.could_start_with(a.last),
                        "{} is a prefix of {}",
                        a.first,
                        b.first
                    );
                }
            }
        }
    }

    #[test]
    fn table_lookups() {
        // (ai, (title, predefined, min, max))
        type Row = (&'static str, bool, usize, usize);
        let cases: &[(&str, Option<Row>)] = &[
            // (ai, (title, predefined, min, max))
            ("00", Some(("SSCC", true, 18, 18))),
            ("01", Some(("GTIN", true, 14, 14))),
            ("10", Some(("BATCH/LOT", false, 1, 20))),
            ("17", Some(("USE BY or EXPIRY", true, 6, 6))),
            ("3103", Some(("NET WEIGHT (kg)", true, 6, 6))),
            ("3106", None),
            ("3922", Some(("PRICE", false, 1, 15))),
            ("3932", Some(("PRICE", false, 4, 18))),
            ("253", Some(("GDTI", false, 13, 30))),
            ("414", Some(("LOC No.", true, 13, 13))),
            ("8200", Some(("PRODUCT URL", false, 1, 70))),
            ("99", Some(("INTERNAL", false, 1, 90))),
            ("23", None),
            ("89", None),
            ("04", None),
            ("1", None),
            ("01a", None),
            ("12345", None),
        ];
        for (ai, expected) in cases {
            let got = ai_spec(ai).map(|s| {
                let (min, max) = s.length_range();
                (s.title, s.predefined_length, min, max)
            });
            assert_eq!(got, *expected, "AI {ai}");
        }
        assert!(ai_spec("01").is_some_and(AiSpec::has_check_digit));
        assert!(ai_spec("8003").is_some_and(AiSpec::has_check_digit));
        assert!(!ai_spec("10").is_some_and(AiSpec::has_check_digit));
        assert!(ai_spec("15").is_some_and(AiSpec::is_date));
        assert!(ai_spec("7006").is_some_and(AiSpec::is_date));
        assert_eq!(
            ai_spec("253").map(AiSpec::format).as_deref(),
            Some("N13 [X..17]")
        );
        assert!(ai_table().len() > 150);
    }

    #[test]
    fn raw_element_strings() {
        let cases: &[(&str, &[(&str, &str)])] = &[
            (
                "011231231231233310ABC123\x1d99TESTING",
                &[
                    ("01", "12312312312333"),
                    ("10", "ABC123"),
                    ("99", "TESTING"),
                ],
            ),
            // FNC1 in first position, and a GS after a predefined-length field.
            (
                "\x1d0109520123456788\x1d17261231\x1d10LOT7",
                &[("01", "09520123456788"), ("17", "261231"), ("10", "LOT7")],
            ),
            // Variable field last, trailing GS tolerated.
            (
                "010952012345678810LOT7\x1d",
                &[("01", "09520123456788"), ("10", "LOT7")],
            ),
            ("3103000195", &[("3103", "000195")]),
            (
                "0109520123456788392200125\x1d21SN/1",
                &[("01", "09520123456788"), ("3922", "00125"), ("21", "SN/1")],
            ),
            ("00106141411234567897", &[("00", "106141411234567897")]),
            ("2530614141000029ABC", &[("253", "0614141000029ABC")]),
            // A repeated AI with the same value is kept once.
            (
                "0109520123456788\x1d0109520123456788",
                &[("01", "09520123456788")],
            ),
        ];
        for (input, expected) in cases {
            let es = parse_element_string(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
            assert_eq!(pairs(&es), *expected, "input {input:?}");
        }
    }

    #[test]
    fn raw_element_string_errors() {
        let lot21 = "A".repeat(21);
        let lot_input = format!("10{lot21}");
        let cases: &[(&str, &str)] = &[
            ("", "the GS1 data is empty"),
            ("\x1d", "the GS1 data is empty"),
            ("2312345", "AI 231 is not in the GS1 table"),
            ("89ABC", "AI 89 is not in the GS1 table"),
            ("7000123", "AI 7000 is not in the GS1 table"),
            (
                "ABC",
                "expected a GS1 Application Identifier (2 to 4 digits) at \"ABC\"",
            ),
            (
                "01123123123123",
                "AI 01 value \"123123123123\" has 12 characters; it must have exactly 14",
            ),
            (
                "0112312312312334",
                "AI 01 value \"12312312312334\" has a wrong check digit (expected 3)",
            ),
            (
                &lot_input,
                "AI 10 value \"AAAAAAAAAAAAAAAAAAAAA\" has 21 characters; at most 20 are allowed",
            ),
            (
                "310300019A",
                "AI 3103 value \"00019A\" must contain only digits but contains 'A'",
            ),
            (
                "10AB CD",
                "AI 10 value \"AB CD\" contains ' ', which GS1 does not allow (character set 82)",
            ),
            (
                "10ABé",
                "AI 10 value \"ABé\" contains 'é', which GS1 does not allow (character set 82)",
            ),
            (
                "17261332",
                "AI 17 value \"261332\" is not a valid date (YYMMDD)",
            ),
            (
                "17260230",
                "AI 17 value \"260230\" is not a valid date (YYMMDD)",
            ),
            (
                "10A\x1d\x1d21B",
                "expected a GS1 Application Identifier (2 to 4 digits) at \"\\u{1d}21B\"",
            ),
            ("10", "AI 10 has no data"),
            (
                "10A\x1d10B",
                "AI 10 appears twice with different values (\"A\" and \"B\")",
            ),
            (
                "4020614141234567890",
                "AI 402 value \"0614141234567890\" has 16 characters; it must have exactly 17",
            ),
            (
                "7007260101261",
                "AI 7007 value \"260101261\" has 9 characters; its format N6 [N6] does not allow that",
            ),
            (
                "7003260101A460",
                "AI 7003 value \"260101A460\" must contain only digits but contains 'A'",
            ),
            (
                "70032601012460",
                "AI 7003 value \"2601012460\" is not a valid time (HHMM)",
            ),
            (
                "8010ab",
                "AI 8010 value \"ab\" contains 'a', which GS1 does not allow (character set 39)",
            ),
        ];
        for (input, expected) in cases {
            let got = parse_element_string(input).map(|es| es.to_human_readable());
            assert_eq!(
                got.map_err(|e| e.to_string()),
                Err((*expected).to_owned()),
                "input {input:?}"
            );
        }
    }

    #[test]
    fn human_readable() {
        let es = parse_human_readable("(01)09520123456788(17)261231(10)LOT7").unwrap();
        assert_eq!(
            pairs(&es),
            [("01", "09520123456788"), ("17", "261231"), ("10", "LOT7")]
        );
        assert_eq!(es.expiry(), Some(date(2026, 12, 31)));
        assert_eq!(es.lot(), Some("LOT7"));
        assert_eq!(
            es.gtin().map(|g| g.to_string()).as_deref(),
            Some("09520123456788")
        );

        type Pairs = &'static [(&'static str, &'static str)];
        let cases: &[(&str, Result<Pairs, &str>)] = &[
            (
                "(01) 09520123456788 (10) A(B",
                Err("expected \"(\", 2 to 4 digits and \")\" at \"(B\""),
            ),
            (
                "(01) 09520123456788 (10) A\\(B)",
                Ok(&[("01", "09520123456788"), ("10", "A(B)")]),
            ),
            ("(3103)000195", Ok(&[("3103", "000195")])),
            ("(23)123", Err("AI 23 is not in the GS1 table")),
            ("(89)123", Err("AI 89 is not in the GS1 table")),
            (
                "(17)261332",
                Err("AI 17 value \"261332\" is not a valid date (YYMMDD)"),
            ),
            (
                "(3103)00019A",
                Err("AI 3103 value \"00019A\" must contain only digits but contains 'A'"),
            ),
            (
                "01)0952",
                Err("expected \"(\", 2 to 4 digits and \")\" at \"01)0952\""),
            ),
            (
                "(01",
                Err("expected \"(\", 2 to 4 digits and \")\" at \"(01\""),
            ),
            (
                "(1)2",
                Err("expected \"(\", 2 to 4 digits and \")\" at \"(1)2\""),
            ),
            ("(10)", Err("AI 10 has no data")),
            ("  ", Err("the GS1 data is empty")),
            (
                "(é)",
                Err("expected \"(\", 2 to 4 digits and \")\" at \"(é)\""),
            ),
        ];
        for (input, expected) in cases {
            let got = parse_human_readable(input);
            match expected {
                Ok(want) => assert_eq!(
                    got.as_ref().map(pairs).ok(),
                    Some(want.to_vec()),
                    "{input:?}"
                ),
                Err(want) => assert_eq!(
                    got.map_err(|e| e.to_string()).err().as_deref(),
                    Some(*want),
                    "{input:?}"
                ),
            }
        }
    }

    #[test]
    fn dates() {
        let cases: &[(&str, Option<NaiveDate>)] = &[
            ("(01)09520123456788(17)261231", Some(date(2026, 12, 31))),
            ("(01)09520123456788(17)260200", Some(date(2026, 2, 28))),
            ("(01)09520123456788(17)280200", Some(date(2028, 2, 29))),
            ("(01)09520123456788(17)261200", Some(date(2026, 12, 31))),
            ("(01)09520123456788(17)260400", Some(date(2026, 4, 30))),
            ("(01)09520123456788(15)270115", None),
        ];
        for (input, expected) in cases {
            let es = parse_human_readable(input).unwrap();
            assert_eq!(es.expiry(), *expected, "{input}");
        }
        let es = parse_human_readable("(01)09520123456788(15)270115(11)250100").unwrap();
        assert_eq!(es.best_before(), Some(date(2027, 1, 15)));
        assert_eq!(es.date("11"), Some(date(2025, 1, 31)));
        // Day 00 is only allowed where §7.12 says so.
        assert!(parse_human_readable("(7006)260100").is_err());
        assert!(parse_human_readable("(13)261300").is_err());
        assert!(parse_human_readable("(7250)20240229").is_ok());
        assert!(parse_human_readable("(7250)20230229").is_err());
    }

    #[test]
    fn measures_and_prices() {
        let weight = |text: &str| parse_human_readable(text).unwrap().net_weight_grams();
        let cases: &[(&str, Option<i64>)] = &[
            ("(3103)000195", Some(195)),
            ("(3100)000002", Some(2000)),
            ("(3102)000150", Some(1500)),
            ("(3104)001955", Some(196)),
            ("(3104)001954", Some(195)),
            ("(3105)012345", Some(123)),
            ("(3105)012355", Some(124)),
            ("(3203)000195", None),
            ("(10)A", None),
        ];
        for (input, expected) in cases {
            assert_eq!(weight(input), *expected, "{input}");
        }
        let price = |text: &str| parse_human_readable(text).unwrap().price_cents();
        let cases: &[(&str, Option<i64>)] = &[
            ("(3922)1250", Some(1250)),
            ("(3920)12", Some(1200)),
            ("(3921)125", Some(1250)),
            ("(3923)12345", Some(1235)),
            ("(3923)12344", Some(1234)),
            ("(3929)999999999999999", Some(100_000_000)),
            ("(3932)9781250", None),
        ];
        for (input, expected) in cases {
            assert_eq!(price(input), *expected, "{input}");
        }
    }

    #[test]
    fn output_forms() {
        let es = ElementString::from_pairs([
            ("01", "12312312312333"),
            ("10", "ABC123"),
            ("17", "261231"),
            ("99", "TESTING"),
        ])
        .unwrap();
        assert_eq!(es.to_raw(), "011231231231233310ABC123\x1d1726123199TESTING");
        assert_eq!(
            es.to_string(),
            "(01)12312312312333(10)ABC123(17)261231(99)TESTING"
        );
        assert_eq!(
            ElementString::from_pairs(Vec::<(&str, &str)>::new()),
            Err(Gs1Error::Empty)
        );
        let long = "A".repeat(200);
        let message = ElementString::from_pairs([("10", long.as_str())])
            .unwrap_err()
            .to_string();
        assert!(message.contains('…'), "{message}");
        assert!(message.len() < 120, "{message}");
    }

    /// A valid value for each AI the round-trip property uses.
    fn valid_pair() -> impl Strategy<Value = (String, String)> {
        let set82 = "[!\"%&'()*+,\\-./0-9:;<=>?A-Z_a-z]";
        prop_oneof![
            "[0-9]{13}".prop_map(|body| {
                let check = check_digit(&body).unwrap_or(0);
                ("01".to_owned(), format!("{body}{check}"))
            }),
            "[0-9]{17}".prop_map(|body| {
                let check = check_digit(&body).unwrap_or(0);
                ("00".to_owned(), format!("{body}{check}"))
            }),
            proptest::string::string_regex(&format!("{set82}{{1,20}}"))
                .unwrap()
                .prop_map(|v| ("10".to_owned(), v)),
            proptest::string::string_regex(&format!("{set82}{{1,20}}"))
                .unwrap()
                .prop_map(|v| ("21".to_owned(), v)),
            (0u32..100, 1u32..13, 0u32..29)
                .prop_map(|(y, m, d)| ("17".to_owned(), format!("{y:02}{m:02}{d:02}"))),
            (0u32..6, "[0-9]{6}").prop_map(|(n, v)| (format!("310{n}"), v)),
            (0u32..10, "[0-9]{1,15}").prop_map(|(n, v)| (format!("392{n}"), v)),
            "[0-9]{12}(\\-[A-Z]{1,16})?".prop_map(|v| {
                let body = v.get(..12).unwrap_or("").to_owned();
                let check = check_digit(&body).unwrap_or(0);
                (
                    "253".to_owned(),
                    format!("{body}{check}{}", v.get(12..).unwrap_or("")),
                )
            }),
            proptest::string::string_regex(&format!("{set82}{{1,90}}"))
                .unwrap()
                .prop_map(|v| ("99".to_owned(), v)),
            proptest::string::string_regex(&format!("{set82}{{1,70}}"))
                .unwrap()
                .prop_map(|v| ("8200".to_owned(), v)),
            "[0-9]{6}[0-9]{6}?".prop_map(|v| ("4330".to_owned(), v.chars().take(6).collect())),
            "[A-Z0-9#/\\-]{1,30}".prop_map(|v| ("8010".to_owned(), v)),
        ]
    }

    proptest! {
        #[test]
        fn round_trips_through_raw_and_human_readable(
            candidates in proptest::collection::vec(valid_pair(), 1..8)
        ) {
            // One value per AI, and one 310n / 392n at most (different n are distinct AIs
            // but the same measure).
            let mut chosen: Vec<(String, String)> = Vec::new();
            for (ai, value) in candidates {
                let family = ai.get(..3).unwrap_or("").to_owned();
                let clash = chosen.iter().any(|(known, _)| {
                    known == &ai || (ai.len() == 4 && known.starts_with(&family))
                });
                if !clash {
                    chosen.push((ai, value));
                }
            }
            let es = ElementString::from_pairs(chosen.clone()).unwrap();
            prop_assert_eq!(&es.ais, &chosen);
            prop_assert_eq!(parse_element_string(&es.to_raw()), Ok(es.clone()));
            let leading_gs = format!("{GS}{}", es.to_raw());
            prop_assert_eq!(parse_element_string(&leading_gs), Ok(es.clone()));
            prop_assert_eq!(parse_human_readable(&es.to_human_readable()), Ok(es.clone()));
        }

        #[test]
        fn parsers_never_panic(text in "\\PC*|[0-9()\\x1d\\\\A-Z]{0,40}") {
            let _ = parse_element_string(&text);
            let _ = parse_human_readable(&text);
            let _ = parse_yymmdd(&text, true);
            let _ = parse_yyyymmdd(&text);
        }
    }
}
