//! The camera QR decoder on the corpus (issue 4): per category, codes read / codes present,
//! wrong payloads (must be 0), and decode time per frame (p50/p95, image loading excluded).
//!
//!     cargo bench --bench qr                         # the default chain
//!     cargo bench --bench qr -- --passes             # every candidate pass alone, the gain of
//!                                                    # each in chain order, disagreements
//!     cargo bench --bench qr -- --json target/qr-bench.json   # per-file texts for compare.py
//!     cargo bench --bench qr -- --dir OTHER_CORPUS   # a folder with the same manifest.json
//!
//! Then `python3 tests/data/qr/compare.py --ours target/qr-bench.json` prints zbar's and
//! zxing-cpp's rates beside ours on the same files.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use comptoir::devices::camera::read_luma_image;
use comptoir::devices::qr::{DEFAULT_CHAIN, Engine, LumaFrame, Pass, Preprocess, QrDecoder};

struct Sample {
    file: String,
    category: String,
    payload: Option<String>,
    frame: LumaFrame,
}

/// Each frame is decoded this many times and its median time kept (the machine is shared).
const RUNS: usize = 3;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value_of = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    // `--dir` may be given several times: the corpora are measured as one.
    let mut dirs: Vec<PathBuf> = args
        .iter()
        .enumerate()
        .filter(|(_, a)| *a == "--dir")
        .filter_map(|(i, _)| args.get(i + 1).map(PathBuf::from))
        .collect();
    if dirs.is_empty() {
        dirs.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/qr"));
    }
    let mut samples = Vec::new();
    for dir in &dirs {
        let before = samples.len();
        samples.extend(load(dir));
        println!(
            "corpus: {} ({} frames)",
            dir.display(),
            samples.len() - before
        );
    }
    if args.iter().any(|a| a == "--passes") {
        passes(&samples);
    } else {
        chain(&samples, value_of("--json").map(PathBuf::from));
    }
}

fn load(dir: &Path) -> Vec<Sample> {
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.join("manifest.json")).expect("read manifest.json"),
    )
    .expect("parse manifest.json");
    manifest["frames"]
        .as_array()
        .expect("frames")
        .iter()
        .map(|entry| {
            let file = entry["file"].as_str().expect("file").to_owned();
            let frame = read_luma_image(&dir.join(&file)).expect("corpus image");
            Sample {
                category: entry["category"].as_str().expect("category").to_owned(),
                payload: entry["payload"].as_str().map(str::to_owned),
                file,
                frame,
            }
        })
        .collect()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

#[derive(Default)]
struct Tally {
    frames: usize,
    codes: usize,
    read: usize,
    wrong: usize,
    times: Vec<f64>,
}

fn score(tally: &mut Tally, sample: &Sample, texts: &[String]) {
    tally.frames += 1;
    tally.codes += usize::from(sample.payload.is_some());
    tally.read += usize::from(
        sample
            .payload
            .as_ref()
            .is_some_and(|p| texts.iter().any(|t| t == p)),
    );
    tally.wrong += texts
        .iter()
        .filter(|t| Some(t.as_str()) != sample.payload.as_deref())
        .count();
}

fn chain(samples: &[Sample], json: Option<PathBuf>) {
    let decoder = QrDecoder::new();
    println!(
        "chain: {}",
        decoder
            .passes()
            .iter()
            .map(Pass::name)
            .collect::<Vec<_>>()
            .join(" > ")
    );
    // Warm-up: page in code and allocator.
    for s in samples.iter().take(5) {
        let _ = decoder.decode(&s.frame);
    }
    let mut by_cat: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut all = Tally::default();
    let mut with_code = Vec::new();
    let mut by_pass: BTreeMap<String, usize> = BTreeMap::new();
    let mut out = json.as_ref().map(|p| {
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("create json folder");
        }
        std::fs::File::create(p).expect("create json")
    });
    for s in samples {
        let mut times = Vec::with_capacity(RUNS);
        let mut codes = Vec::new();
        for _ in 0..RUNS {
            let start = Instant::now();
            codes = decoder.decode(&s.frame);
            times.push(ms(start.elapsed()));
        }
        times.sort_by(f64::total_cmp);
        let t = times[RUNS / 2];
        let texts: Vec<String> = codes.iter().map(|c| c.text.clone()).collect();
        for c in &codes {
            *by_pass.entry(c.pass.name()).or_default() += 1;
        }
        let tally = by_cat.entry(&s.category).or_default();
        score(tally, s, &texts);
        tally.times.push(t);
        score(&mut all, s, &texts);
        all.times.push(t);
        if s.payload.is_some() {
            with_code.push(t);
        }
        if let Some(out) = out.as_mut() {
            let line = serde_json::json!({"file": s.file, "texts": texts, "ms": t});
            writeln!(out, "{line}").expect("write json");
        }
    }
    println!(
        "{:<14}{:>10}{:>8}{:>9}{:>9}",
        "category", "read", "wrong", "p50 ms", "p95 ms"
    );
    let row = |name: &str, t: &mut Tally| {
        t.times.sort_by(f64::total_cmp);
        println!(
            "{:<14}{:>10}{:>8}{:>9.1}{:>9.1}",
            name,
            format!("{}/{}", t.read, t.codes),
            t.wrong,
            percentile(&t.times, 0.5),
            percentile(&t.times, 0.95)
        );
    };
    for (cat, t) in by_cat.iter_mut() {
        row(cat, t);
    }
    row("all", &mut all);
    with_code.sort_by(f64::total_cmp);
    println!(
        "frames with a code: p50 {:.1} ms, p95 {:.1} ms; read by pass: {:?}",
        percentile(&with_code, 0.5),
        percentile(&with_code, 0.95),
        by_pass
    );
}

/// Every candidate pass alone on every frame, then the gain of each in the default chain's
/// order, then the candidates not in the chain against it, and disagreements between passes.
fn passes(samples: &[Sample]) {
    use Engine::*;
    use Preprocess::*;
    let candidates = [
        Pass::new(Rqrr, None),
        Pass::new(Rxing, None),
        Pass::new(Rqrr, Invert),
        Pass::new(Rxing, Invert),
        Pass::new(Rqrr, Smooth),
        Pass::new(Rxing, Smooth),
        Pass::new(Rqrr, Upscale2),
        Pass::new(Rxing, Upscale2),
        Pass::new(Rqrr, Downscale2),
        Pass::new(Rxing, Downscale2),
        Pass::new(RqrrBitmap, Binarise),
        Pass::new(Rxing, Binarise),
    ];
    // found[pass][sample] = texts
    let mut found: Vec<Vec<Vec<String>>> = Vec::new();
    let mut cost: Vec<Vec<f64>> = Vec::new();
    println!(
        "{:<22}{:>8}{:>8}{:>9}{:>9}   per category",
        "pass alone", "read", "wrong", "p50 ms", "p95 ms"
    );
    for pass in candidates {
        let mut texts = Vec::new();
        let mut times = Vec::new();
        let mut by_cat: BTreeMap<&str, Tally> = BTreeMap::new();
        let mut all = Tally::default();
        for s in samples {
            let start = Instant::now();
            let codes = QrDecoder::run_pass(pass, &s.frame);
            times.push(ms(start.elapsed()));
            let t: Vec<String> = codes.into_iter().map(|c| c.text).collect();
            for text in &t {
                if Some(text.as_str()) != s.payload.as_deref() {
                    // Corpus data, not a customer's: the texts help tell a misread from a
                    // charset or manifest difference.
                    println!(
                        "  WRONG {} by {}: {:?} (expected {:?})",
                        s.file,
                        pass.name(),
                        text,
                        s.payload
                    );
                }
            }
            score(by_cat.entry(&s.category).or_default(), s, &t);
            score(&mut all, s, &t);
            texts.push(t);
        }
        let mut sorted = times.clone();
        sorted.sort_by(f64::total_cmp);
        let cats: Vec<String> = by_cat
            .iter()
            .filter(|(_, t)| t.codes > 0)
            .map(|(c, t)| format!("{c} {}", t.read))
            .collect();
        println!(
            "{:<22}{:>8}{:>8}{:>9.1}{:>9.1}   {}",
            pass.name(),
            format!("{}/{}", all.read, all.codes),
            all.wrong,
            percentile(&sorted, 0.5),
            percentile(&sorted, 0.95),
            cats.join(", ")
        );
        found.push(texts);
        cost.push(times);
    }
    let index = |p: &Pass| candidates.iter().position(|c| c == p);
    let reads = |i: usize, k: usize| {
        samples[k]
            .payload
            .as_ref()
            .is_some_and(|p| found[i][k].iter().any(|t| t == p))
    };
    println!("\ndefault chain, in order: frames each pass adds (what the chain before it missed)");
    let mut covered = vec![false; samples.len()];
    for pass in DEFAULT_CHAIN {
        let Some(i) = index(pass) else { continue };
        let mut added: BTreeMap<&str, usize> = BTreeMap::new();
        for (k, s) in samples.iter().enumerate() {
            if !covered[k] && reads(i, k) {
                covered[k] = true;
                *added.entry(&s.category).or_default() += 1;
            }
        }
        println!(
            "  + {:<20} {:>3}  {:?}",
            pass.name(),
            added.values().sum::<usize>(),
            added
        );
    }
    println!(
        "  chain reads {} of {}",
        covered.iter().filter(|c| **c).count(),
        samples.iter().filter(|s| s.payload.is_some()).count()
    );
    println!("\ncandidates outside the chain: frames each would add after the whole chain");
    for (i, pass) in candidates.iter().enumerate() {
        if DEFAULT_CHAIN.contains(pass) {
            continue;
        }
        let mut added: BTreeMap<&str, usize> = BTreeMap::new();
        for (k, s) in samples.iter().enumerate() {
            if !covered[k] && reads(i, k) {
                *added.entry(&s.category).or_default() += 1;
            }
        }
        let mut sorted = cost[i].clone();
        sorted.sort_by(f64::total_cmp);
        println!(
            "  {:<22} +{:<3} p50 {:>5.1} ms  {:?}",
            pass.name(),
            added.values().sum::<usize>(),
            percentile(&sorted, 0.5),
            added
        );
    }
    // Greedy: at each step the pass that adds most frames per millisecond of its p50.
    println!("\ngreedy order (most frames added per ms of p50 first):");
    let p50s: Vec<f64> = cost
        .iter()
        .map(|c| {
            let mut s = c.clone();
            s.sort_by(f64::total_cmp);
            percentile(&s, 0.5)
        })
        .collect();
    let mut have = vec![false; samples.len()];
    let mut used = vec![false; candidates.len()];
    loop {
        let best = (0..candidates.len())
            .filter(|&i| !used[i])
            .map(|i| {
                let gain = (0..samples.len())
                    .filter(|&k| !have[k] && reads(i, k))
                    .count();
                (i, gain, gain as f64 / p50s[i].max(0.05))
            })
            .filter(|&(_, gain, _)| gain > 0)
            .max_by(|a, b| a.2.total_cmp(&b.2));
        let Some((i, gain, _)) = best else { break };
        used[i] = true;
        for (k, have) in have.iter_mut().enumerate() {
            *have |= reads(i, k);
        }
        println!(
            "  + {:<22} +{:<3} (p50 {:.1} ms) -> {}",
            candidates[i].name(),
            gain,
            p50s[i],
            have.iter().filter(|h| **h).count()
        );
    }
    // Disagreements: a frame where two passes report different texts and not both expected.
    let mut disagreements = 0;
    let mut wrong = 0;
    for (k, s) in samples.iter().enumerate() {
        let mut texts: Vec<&String> = found.iter().flat_map(|f| f[k].iter()).collect();
        texts.sort();
        texts.dedup();
        wrong += texts
            .iter()
            .filter(|t| Some(t.as_str()) != s.payload.as_deref())
            .count();
        if texts.len() > 1 {
            disagreements += 1;
        }
    }
    println!(
        "\nall {} passes on all {} frames: {} frames where passes disagree, {} wrong texts",
        candidates.len(),
        samples.len(),
        disagreements,
        wrong
    );
}
