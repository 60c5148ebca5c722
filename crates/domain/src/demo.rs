//! The demo store's catalogue, generated: a realistic French shop's products, locations, stock and
//! customers, as a pure function of an index. The same index always gives the same record, on any
//! machine and any version of the dependencies, so a demo database, a benchmark and a test can be
//! rebuilt identically. It never touches a database: `app::seed` writes what this produces.
//!
//! Customers here are fictitious: e-mails use a subdomain of `example.org` (reserved by RFC 2606)
//! and phone numbers the `06 39 98` range that ARCEP reserves for fiction.

use crate::catalog::{LocationKind, PriceUnit};
use crate::gtin::Gtin;
use crate::money::Cents;
use crate::promotion::{Offer, Promotion, Target};
use crate::staff::StaffRole;
use crate::vat::VatRate;

/// The location the demo terminal stands in.
pub const HERE_CODE: &str = "PAR-01";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DemoLocation {
    pub code: &'static str,
    pub name: &'static str,
    pub kind: LocationKind,
}

/// This store, five other stores of the chain and two warehouses.
pub const LOCATIONS: [DemoLocation; 8] = [
    loc(HERE_CODE, "Paris Rivoli", LocationKind::Store),
    loc("LYO-01", "Lyon Part-Dieu", LocationKind::Store),
    loc("MRS-01", "Marseille Vieux-Port", LocationKind::Store),
    loc("BDX-01", "Bordeaux Sainte-Catherine", LocationKind::Store),
    loc("LIL-01", "Lille Grand-Place", LocationKind::Store),
    loc("NTE-01", "Nantes Graslin", LocationKind::Store),
    loc("ENT-ORL", "Entrepôt Orléans-Saran", LocationKind::Warehouse),
    loc("ENT-LYS", "Entrepôt Saint-Priest", LocationKind::Warehouse),
];

const fn loc(code: &'static str, name: &'static str, kind: LocationKind) -> DemoLocation {
    DemoLocation { code, name, kind }
}

/// One product of the demo catalogue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoProduct {
    pub gtin: Gtin,
    pub name: String,
    pub brand: &'static str,
    pub category: &'static str,
    pub price: Cents,
    pub vat_rate: VatRate,
    pub price_unit: PriceUnit,
    /// Item code of a variable-measure label (`21` + item + grams), for goods sold by weight.
    pub in_store_item_code: Option<String>,
}

/// A product family: the category, its VAT rate (which the category decides in French law) and
/// the words its names are built from.
struct Family {
    category: &'static str,
    vat_rate: VatRate,
    nouns: &'static [&'static str],
    materials: &'static [&'static str],
    finishes: &'static [&'static str],
    brands: &'static [&'static str],
    /// Price range in cents (per item, or per kg for the bulk family).
    price: (i64, i64),
}

const COLOURS: &[&str] = &[
    "noir",
    "blanc",
    "marine",
    "gris chiné",
    "camel",
    "bordeaux",
    "vert sapin",
    "écru",
    "rouge",
    "bleu ciel",
];

/// Model names in the French tradition of naming a line after a place.
const MODELS: &[&str] = &[
    "Étretat",
    "Biarritz",
    "Deauville",
    "Honfleur",
    "Cassis",
    "Menton",
    "Annecy",
    "Colmar",
    "Dinard",
    "Gordes",
    "Arles",
    "Sète",
    "Vannes",
    "Chamonix",
    "Collioure",
    "Giverny",
    "Pornic",
    "Ajaccio",
    "Cabourg",
    "Uzès",
    "Céret",
    "Locronan",
    "Rocamadour",
    "Bayonne",
    "Saint-Malo",
    "Quiberon",
    "Lourmarin",
    "Eze",
    "Moustiers",
    "Riquewihr",
    "Cancale",
    "Hossegor",
    "Yvoire",
    "Conques",
    "Vézelay",
    "Sarlat",
    "Obernai",
    "Roussillon",
    "Bonifacio",
    "Carnac",
];

const FAMILIES: &[Family] = &[
    Family {
        category: "Chaussures",
        vat_rate: VatRate::Standard,
        nouns: &[
            "Chaussures de ville",
            "Chaussures de running",
            "Chaussures de randonnée",
            "Baskets",
            "Bottines",
            "Mocassins",
            "Sandales",
            "Escarpins",
        ],
        materials: &["cuir", "daim", "toile", "cuir verni", "nubuck"],
        finishes: COLOURS,
        brands: &["Duval Cordonnier", "Pas Léger", "Semelle & Fils", "Trekko"],
        price: (3990, 18990),
    },
    Family {
        category: "Vêtements",
        vat_rate: VatRate::Standard,
        nouns: &[
            "Pull col rond",
            "Pull col V",
            "Robe portefeuille",
            "Robe longue",
            "Jean droit",
            "Veste",
            "Chemise oxford",
            "T-shirt",
            "Écharpe",
            "Manteau",
            "Cardigan",
            "Jupe plissée",
        ],
        materials: &[
            "laine mérinos",
            "coton bio",
            "lin",
            "cachemire",
            "soie",
            "denim",
        ],
        finishes: COLOURS,
        brands: &[
            "Atelier Verdier",
            "Maison Caradec",
            "Les Tisserands",
            "Garance Paris",
        ],
        price: (1990, 24990),
    },
    Family {
        category: "Livres",
        vat_rate: VatRate::Reduced,
        nouns: &[
            "Livre de cuisine",
            "Roman policier",
            "Livre jeunesse",
            "Bande dessinée",
            "Guide de voyage",
            "Livre d'art",
            "Roman historique",
        ],
        materials: &["illustré", "poche", "relié", "grand format"],
        finishes: &[
            "Bretagne",
            "Provence",
            "Alsace",
            "saisons",
            "Méditerranée",
            "montagne",
        ],
        brands: &[
            "Éditions du Quai",
            "Presses de la Loire",
            "Librairie Vauban",
        ],
        price: (690, 4500),
    },
    Family {
        category: "Parfums et beauté",
        vat_rate: VatRate::Standard,
        nouns: &[
            "Eau de parfum",
            "Eau de toilette",
            "Crème hydratante",
            "Savon",
            "Huile sèche",
            "Parfum d'intérieur",
        ],
        materials: &["30 ml", "50 ml", "100 ml", "200 ml"],
        finishes: &[
            "fleur d'oranger",
            "vétiver",
            "rose de Grasse",
            "lavande",
            "ambre",
            "figue",
        ],
        brands: &["Parfumerie Delaunay", "Grasse & Cie", "Savonnerie Marius"],
        price: (890, 14900),
    },
    Family {
        category: "Maison",
        vat_rate: VatRate::Standard,
        nouns: &[
            "Lampe de chevet",
            "Lampe à poser",
            "Lampadaire",
            "Coussin",
            "Plaid",
            "Vase",
            "Carafe",
            "Bougie parfumée",
        ],
        materials: &[
            "céramique",
            "laiton",
            "lin lavé",
            "verre soufflé",
            "rotin",
            "chêne",
        ],
        finishes: COLOURS,
        brands: &["Lumière d'Atelier", "Maison Fauvel", "Grès de Puisaye"],
        price: (1490, 29900),
    },
    Family {
        category: "Épicerie fine",
        vat_rate: VatRate::Reduced,
        nouns: &[
            "Café moulu",
            "Thé vert",
            "Chocolat noir",
            "Confiture",
            "Miel",
            "Biscuits sablés",
            "Huile d'olive",
        ],
        materials: &["250 g", "500 g", "1 kg", "bocal 370 g", "boîte métal"],
        finishes: &[
            "bio",
            "de Provence",
            "artisanal",
            "pur arabica",
            "du Vercors",
        ],
        brands: &[
            "Maison Perrin",
            "Les Ruchers du Vercors",
            "Biscuiterie Lemaire",
        ],
        price: (390, 3290),
    },
    Family {
        category: "Jardin",
        // Horticultural products take the intermediate rate (CGI art. 278 bis).
        vat_rate: VatRate::Intermediate,
        nouns: &[
            "Plante verte",
            "Orchidée",
            "Olivier en pot",
            "Bouquet de saison",
            "Cactus",
        ],
        materials: &["pot 12 cm", "pot 17 cm", "pot 24 cm", "cache-pot zinc"],
        finishes: &["d'intérieur", "de balcon", "rustique"],
        brands: &["Pépinières Lemoine", "Jardins de Touraine"],
        price: (590, 8990),
    },
    Family {
        category: "Presse",
        // Press publications take the super-reduced rate (CGI art. 298 septies).
        vat_rate: VatRate::SuperReduced,
        nouns: &[
            "Magazine déco",
            "Quotidien régional",
            "Hebdomadaire",
            "Revue de cuisine",
        ],
        materials: &["numéro du jour", "hors-série", "édition week-end"],
        finishes: &["Ouest", "Sud", "Île-de-France", "Rhône-Alpes"],
        brands: &["Presse de l'Ouest", "Éditions Lutèce"],
        price: (150, 990),
    },
];

/// Goods weighed at the counter and labelled with a variable-measure code; priced per kg.
const BULK: Family = Family {
    category: "Vrac au poids",
    vat_rate: VatRate::Reduced,
    nouns: &[
        "Café en grains",
        "Amandes",
        "Noix de cajou",
        "Lentilles vertes",
        "Riz basmati",
        "Abricots secs",
    ],
    materials: &["vrac"],
    finishes: &["bio", "de France", "torréfié", "nature"],
    brands: &["Épicerie du Marché"],
    price: (590, 4990),
};

/// The EAN-13 body prefix of the demo catalogue: GS1 France numbers start with 300–379.
const GTIN_BODY_BASE: u64 = 376_000_000_000;

/// The largest catalogue this generator can number with distinct GTINs.
pub const MAX_PRODUCTS: u64 = 999_999_999;

/// One product in every `BULK_EVERY` is sold by weight.
const BULK_EVERY: u64 = 97;

/// The demo product number `index` (0-based).
pub fn product(index: u64) -> DemoProduct {
    let h = |salt: u64| mix(index, salt);
    let bulk = index % BULK_EVERY == 3;
    let family = if bulk {
        &BULK
    } else {
        &FAMILIES[(h(1) % FAMILIES.len() as u64) as usize]
    };
    let noun = pick(family.nouns, h(2));
    let material = pick(family.materials, h(3));
    let finish = pick(family.finishes, h(4));
    let model = pick(MODELS, h(5));
    let name = if bulk {
        format!("{noun} {finish} {material}")
    } else {
        format!("{noun} {model} {material} {finish}")
    };
    let (low, high) = family.price;
    // Shelf prices end in ,90 or ,00 like real price lists.
    let euros = (low + (h(6) % (high - low + 1).max(1) as u64) as i64) / 100;
    let cents = if h(7) % 3 == 0 { 0 } else { 90 };
    let body = GTIN_BODY_BASE + index;
    DemoProduct {
        gtin: gtin_from_body(body),
        name,
        brand: pick(family.brands, h(8)),
        category: family.category,
        price: Cents::new(euros * 100 + cents),
        vat_rate: family.vat_rate,
        price_unit: if bulk {
            PriceUnit::Kilogram
        } else {
            PriceUnit::Each
        },
        in_store_item_code: bulk.then(|| format!("{:05}", 10_000 + index / BULK_EVERY)),
    }
}

/// All the categories the generator uses, with their VAT rate.
pub fn categories() -> Vec<(&'static str, VatRate)> {
    FAMILIES
        .iter()
        .chain(std::iter::once(&BULK))
        .map(|f| (f.category, f.vat_rate))
        .collect()
}

/// All the brands the generator uses.
pub fn brands() -> Vec<&'static str> {
    let mut brands: Vec<&'static str> = FAMILIES
        .iter()
        .chain(std::iter::once(&BULK))
        .flat_map(|f| f.brands.iter().copied())
        .collect();
    brands.sort_unstable();
    brands.dedup();
    brands
}

/// The demo chain's promotion rules, running from 2026 to 2030 in every store so a fresh demo
/// shows them: « 2e à -50 % » on a soap maker's products and « 3 pour 2 » on the fine grocery.
/// Both need two or more units of what they target, so a one-unit sale is priced as before.
pub fn promotions() -> Vec<Promotion> {
    let date = |year: i32| {
        chrono::NaiveDate::from_ymd_opt(year, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .expect("the first of January is a date")
    };
    let rule = |id: &str, name: &str, target: Target, offer: Offer| Promotion {
        id: id.to_owned(),
        name: name.to_owned(),
        starts: date(2026),
        ends: date(2030),
        target,
        offer,
        tiers: Vec::new(),
        stores: Vec::new(),
        stacks: false,
    };
    vec![
        rule(
            "DEMO-MARIUS-2E-50",
            "Savonnerie Marius : 2e à -50 %",
            Target {
                brands: vec!["Savonnerie Marius".to_owned()],
                ..Target::default()
            },
            Offer::NthPercentOff {
                nth: 2,
                basis_points: 5_000,
            },
        ),
        rule(
            "DEMO-EPICERIE-3P2",
            "Épicerie fine : 3 pour 2",
            Target {
                categories: vec!["Épicerie fine".to_owned()],
                ..Target::default()
            },
            Offer::BuyPay { buy: 3, pay: 2 },
        ),
    ]
}

/// Stock of product `index` at `LOCATIONS[location]`: quantity, and how many seconds before `now`
/// the level was known (this store is fresh; other stores minutes to days; warehouses hours).
pub fn stock(index: u64, location: usize) -> (i64, i64) {
    let h = |salt: u64| mix(index, salt * 31 + location as u64);
    let (max_qty, min_age, max_age) = match LOCATIONS.get(location).map(|l| l.kind) {
        Some(LocationKind::Warehouse) => (400, 3_600, 3 * 86_400),
        _ if location == 0 => (25, 0, 3_600),
        _ => (30, 300, 2 * 86_400),
    };
    // About one product in six is out of stock at any one place.
    let qty = if h(100) % 6 == 0 {
        0
    } else {
        (h(101) % max_qty) as i64 + 1
    };
    let age = min_age + (h(102) % (max_age - min_age) as u64) as i64;
    (qty, age)
}

/// A staff member of the demo store: login, display name, role and PIN. Demo PINs are public
/// (they are in the README); a real store's accounts come from the central.
pub struct DemoStaff {
    pub login: &'static str,
    pub display_name: &'static str,
    pub role: StaffRole,
    pub pin: &'static str,
}

pub const STAFF: [DemoStaff; 3] = [
    DemoStaff {
        login: "camille",
        display_name: "Camille Martin",
        role: StaffRole::Seller,
        pin: "1234",
    },
    DemoStaff {
        login: "hugo",
        display_name: "Hugo Bernard",
        role: StaffRole::Seller,
        pin: "5678",
    },
    DemoStaff {
        login: "amelie",
        display_name: "Amélie Dubois",
        role: StaffRole::Manager,
        pin: "2468",
    },
];

/// A fictitious customer of the demo store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoCustomer {
    pub public_id: String,
    pub first_name: &'static str,
    pub last_name: &'static str,
    pub email: String,
    pub phone: String,
    pub loyalty_points: i64,
    pub tier: &'static str,
}

const FIRST_NAMES: &[&str] = &[
    "Camille", "Léa", "Manon", "Chloé", "Inès", "Jade", "Louise", "Zoé", "Hugo", "Lucas", "Louis",
    "Gabriel", "Arthur", "Jules", "Nathan", "Paul", "Amélie", "Hélène", "Noémie", "Théo",
];
const LAST_NAMES: &[&str] = &[
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux",
    "Vincent", "Fournier", "Morel", "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine",
];
const TIERS: &[&str] = &[
    "essentiel",
    "essentiel",
    "essentiel",
    "argent",
    "argent",
    "or",
];

/// How many customers the demo store has for a catalogue of `products`.
pub fn customer_count(products: u64) -> u64 {
    (products / 50).clamp(20, 50_000)
}

/// The demo customer number `index` (0-based).
pub fn customer(index: u64) -> DemoCustomer {
    let h = |salt: u64| mix(index, 1_000 + salt);
    let first_name = pick(FIRST_NAMES, h(1));
    let last_name = pick(LAST_NAMES, h(2));
    DemoCustomer {
        public_id: format!("C{:08}", index + 1),
        first_name,
        last_name,
        email: format!(
            "{}.{}{}@client.example.org",
            ascii_lower(first_name),
            ascii_lower(last_name),
            index + 1
        ),
        phone: format!("+33 6 39 98 {:02} {:02}", (index / 100) % 100, index % 100),
        loyalty_points: (h(3) % 2_500) as i64,
        tier: pick(TIERS, h(4)),
    }
}

/// The demo chain's signing seed. Public on purpose: it signs the loyalty codes of the demo
/// store, which a terminal trusts only until it enrolls with a real central (whose key it then
/// keeps instead). Never the key of a real central: that one is random (`central::keys`).
const DEMO_SIGNING_SEED: [u8; 32] = *b"comptoir demo chain - not secret";

/// The public half of the demo chain's key, as enrollment would give it.
pub fn demo_public_key() -> String {
    crate::signed_code::public_key_text(&ed25519_dalek::SigningKey::from_bytes(&DEMO_SIGNING_SEED))
}

/// The loyalty code the demo chain gives customer `index` (issued at `issued_at`).
pub fn demo_loyalty_code(index: u64, issued_at: i64) -> String {
    use ed25519_dalek::Signer;
    let key = ed25519_dalek::SigningKey::from_bytes(&DEMO_SIGNING_SEED);
    let c = customer(index);
    crate::signed_code::issue_loyalty(
        &crate::signed_code::LoyaltyClaims {
            customer_id: c.public_id,
            display_name: c.first_name.to_owned(),
            tier: c.tier.to_owned(),
            issued_at,
        },
        |message| key.sign(message).to_bytes(),
    )
}

/// The pickup code the demo chain gives click-and-collect order `order_id` of `store`.
pub fn demo_pickup_code(order_id: &str, store: &str, expires_at: i64) -> String {
    use ed25519_dalek::Signer;
    let key = ed25519_dalek::SigningKey::from_bytes(&DEMO_SIGNING_SEED);
    crate::signed_code::issue_pickup(
        &crate::signed_code::PickupClaims {
            order_id: order_id.to_owned(),
            store: store.to_owned(),
            expires_at,
        },
        |message| key.sign(message).to_bytes(),
    )
}

/// A demo click-and-collect order ready at this store: number, customer index, lines (product
/// index, quantity) and how many seconds ago it was made ready. A store with no central still
/// has a counter to show.
pub struct DemoPickupOrder {
    pub id: String,
    pub customer: u64,
    pub lines: Vec<(u64, i64)>,
    pub age: i64,
}

/// This store's demo click-and-collect orders for a catalogue of `products` (four of them).
pub fn pickup_orders_here(products: u64) -> Vec<DemoPickupOrder> {
    let customers = customer_count(products);
    (0..4u64)
        .map(|n| {
            let h = |salt: u64| mix(n, 8_000 + salt);
            let mut lines: Vec<(u64, i64)> = Vec::new();
            for l in 0..1 + h(1) % 3 {
                let product = h(10 + l) % products.max(1);
                if lines.iter().all(|(p, _)| *p != product) {
                    lines.push((product, 1 + (h(20 + l) % 2) as i64));
                }
            }
            DemoPickupOrder {
                id: format!("CC9{:05}", n + 1),
                customer: h(2) % customers,
                lines,
                age: (h(3) % (48 * 3600)) as i64,
            }
        })
        .collect()
}

/// Lower-case ASCII for e-mail local parts ("Hélène" → "helene").
fn ascii_lower(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            'é' | 'è' | 'ê' | 'ë' | 'É' => 'e',
            'ï' | 'î' => 'i',
            other => other.to_ascii_lowercase(),
        })
        .collect()
}

fn gtin_from_body(body: u64) -> Gtin {
    let body = format!("{body:012}");
    let check =
        crate::gtin::check_digit(&body).expect("a 12-digit body made by format! has a check digit");
    Gtin::parse(&format!("{body}{check}")).expect("a body with its own check digit is a GTIN")
}

fn pick<T: Copy>(items: &[T], hash: u64) -> T {
    items[(hash % items.len() as u64) as usize]
}

/// SplitMix64 over (index, salt): a stateless, well-mixed hash. Written out rather than taken
/// from `rand` because the demo data must stay identical across dependency upgrades, which `rand`
/// does not promise for its generators. The central's demo chain uses it too.
pub fn mix(index: u64, salt: u64) -> u64 {
    let mut z = index
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(salt.wrapping_mul(0xD1B5_4A32_D192_ED03));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_promotions_are_valid_and_target_demo_brands_and_categories() {
        let brands = brands();
        let categories = categories();
        for rule in promotions() {
            assert_eq!(rule.validate(), Ok(()), "{}", rule.id);
            assert!(
                rule.target
                    .brands
                    .iter()
                    .all(|b| brands.contains(&b.as_str()))
            );
            assert!(
                rule.target
                    .categories
                    .iter()
                    .all(|c| categories.iter().any(|(name, _)| name == c))
            );
            assert!(rule.runs(rule.starts, HERE_CODE));
        }
    }

    #[test]
    fn the_same_index_gives_the_same_product() {
        assert_eq!(product(42), product(42));
        assert_ne!(product(42).gtin, product(43).gtin);
    }

    #[test]
    fn every_product_has_a_valid_gtin_a_legal_rate_and_a_price() {
        for i in 0..5_000 {
            let p = product(i);
            assert_eq!(p.gtin.as_str().len(), 14);
            assert!(p.price.get() > 0, "{p:?}");
            assert!(!p.name.is_empty());
            assert_eq!(
                categories()
                    .iter()
                    .find(|(c, _)| *c == p.category)
                    .map(|c| c.1),
                Some(p.vat_rate)
            );
        }
    }

    #[test]
    fn the_catalogue_reads_like_a_french_shop() {
        let names: Vec<String> = (0..2_000).map(|i| product(i).name.to_lowercase()).collect();
        for word in ["chaussures", "pull", "livre", "parfum", "lampe", "robe"] {
            assert!(
                names.iter().any(|n| n.contains(word)),
                "no product name contains {word}"
            );
        }
    }

    #[test]
    fn bulk_products_carry_distinct_item_codes() {
        let codes: Vec<String> = (0..100_000)
            .filter_map(|i| product(i).in_store_item_code)
            .collect();
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(codes.len(), unique.len());
        assert_eq!(product(3).in_store_item_code.as_deref(), Some("10000"));
        assert_eq!(product(3).price_unit, PriceUnit::Kilogram);
    }

    #[test]
    fn stock_ages_fit_the_location() {
        for i in 0..1_000 {
            let (qty, age) = stock(i, 0);
            assert!((0..=25).contains(&qty));
            assert!((0..3_600).contains(&age));
            let (_, age) = stock(i, 7);
            assert!((3_600..3 * 86_400).contains(&age));
        }
    }

    #[test]
    fn customers_are_fictitious() {
        let c = customer(0);
        assert_eq!(c.public_id, "C00000001");
        assert!(c.email.ends_with("@client.example.org"));
        assert!(c.phone.starts_with("+33 6 39 98"));
        assert!(c.email.is_ascii());
    }
}
