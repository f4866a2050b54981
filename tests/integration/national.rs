//! A generated national edition: about 300 cities in 31 provinces with real-looking division
//! codes, each reporting its own subset of the shipped cities' figures, as results, progress
//! and plans, with notes on a few. One generator for the layout tests (`common::national_cities`)
//! and the benchmark (`examples/national_edition.rs`, which writes an edition folder), so that
//! both look at the same kind of book. Deterministic: the same `n` gives the same cities.

use std::io;
use std::path::Path;

/// The shipped cities whose figures the generated ones report.
const SHIPPED: [&str; 4] = ["jiayuguan", "jinchang", "sanmenxia", "wuwei"];

/// The shipped catalogue copied into `cat`, keeping only the city offices of `cities`: the
/// shipped offices name the shipped cities, and an office for a city no edition of the project
/// has is an error (`unknown-city-office`).
pub(crate) fn shipped_catalogue(root: &Path, cat: &Path, cities: &[&str]) -> io::Result<()> {
    std::fs::create_dir_all(cat)?;
    for entry in std::fs::read_dir(root.join("data/catalogue"))? {
        let p = entry?.path();
        if let Some(name) = p.file_name() {
            std::fs::copy(&p, cat.join(name))?;
        }
    }
    let departments = cat.join("departments.toml");
    let kept: String = std::fs::read_to_string(&departments)?
        .lines()
        .filter(|l| l.strip_prefix("city.").and_then(|r| r.split('.').next()).is_none_or(|id| cities.contains(&id)))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(departments, kept)
}

/// Characters of made-up place names, each with its pinyin: two make a city's name.
const NAME_PARTS: [(&str, &str); 30] = [
    ("安", "An"),
    ("宁", "ning"),
    ("平", "ping"),
    ("阳", "yang"),
    ("江", "jiang"),
    ("山", "shan"),
    ("河", "he"),
    ("城", "cheng"),
    ("德", "de"),
    ("兴", "xing"),
    ("昌", "chang"),
    ("清", "qing"),
    ("南", "nan"),
    ("丰", "feng"),
    ("临", "lin"),
    ("永", "yong"),
    ("新", "xin"),
    ("庆", "qing"),
    ("泉", "quan"),
    ("源", "yuan"),
    ("林", "lin"),
    ("川", "chuan"),
    ("原", "yuan"),
    ("华", "hua"),
    ("嘉", "jia"),
    ("定", "ding"),
    ("汉", "han"),
    ("武", "wu"),
    ("通", "tong"),
    ("远", "yuan"),
];

/// A stable pseudo-random number from a few integers (no crate, no seed to keep).
fn mix(parts: &[u64]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        h ^= p.wrapping_add(0x9e37_79b9_7f4a_7c15);
        h = h.wrapping_mul(0x0100_0000_01b3).rotate_left(29);
    }
    h
}

/// A generated national edition of `n` cities: spread over the 31 provinces (a few to a dozen
/// or more each, as prefecture-level cities are), each with its province's name and a division
/// code of that province (`620300`-like), and each reporting its own subset of the shipped
/// cities' figures (whole indicators with their parts, so totals still hold): some as results,
/// some as progress to a date, some as plans (a target, no value yet); the notes of a figure
/// kept on a few cities only. Returns the ids with the TOML texts. `root` is the repository,
/// whose `data/2025` holds the shipped cities.
pub(crate) fn national_cities(root: &Path, n: usize) -> io::Result<Vec<(String, String)>> {
    let mut donors: Vec<(String, Vec<String>)> = Vec::new();
    for id in SHIPPED {
        let text = std::fs::read_to_string(root.join(format!("data/2025/{id}.toml")))?;
        let mut blocks = text.split("\n[[indicator]]\n").map(str::to_string);
        let head = blocks.next().unwrap_or_default();
        donors.push((head, blocks.collect()));
    }
    // How many cities each province gets: uneven, as in the country (weights 1..=4), n in all.
    let weights: Vec<usize> = (0..31).map(|p| 1 + (mix(&[p]) % 4) as usize).collect();
    let total: usize = weights.iter().sum();
    let mut counts: Vec<usize> = weights.iter().map(|w| (w * n / total).max(usize::from(n >= 31))).collect();
    let mut p = 0;
    while counts.iter().sum::<usize>() < n {
        counts[p % 31] += 1;
        p += 1;
    }
    while counts.iter().sum::<usize>() > n {
        let i = counts.iter().enumerate().max_by_key(|(_, c)| **c).map_or(0, |(i, _)| i);
        counts[i] -= 1;
    }
    let mut out = Vec::new();
    let mut used_names = std::collections::HashSet::new();
    for (pi, count) in counts.iter().enumerate() {
        let (prefix, province_zh, province_en) = yearbook::division::PROVINCES[pi];
        for k in 0..*count {
            let i = out.len();
            let code = format!("{prefix}{:02}00", k + 1);
            // A two-character name not used yet: 嘉宁市 / Jianing.
            let mut s = mix(&[i as u64, 7]);
            let (zh, en) = loop {
                let (a, b) = (NAME_PARTS[(s % 30) as usize], NAME_PARTS[((s / 30) % 30) as usize]);
                let zh = format!("{}{}市", a.0, b.0);
                let mut en = a.1.to_lowercase();
                en[..1].make_ascii_uppercase();
                let en = format!("{en}{}", b.1);
                if a.0 != b.0 && used_names.insert(zh.clone()) && used_names.insert(en.clone()) {
                    break (zh, en);
                }
                s = mix(&[s]);
            };
            let id = format!("city-{code}");
            let (head, blocks) = &donors[(mix(&[i as u64, 1]) % 4) as usize];
            let mut text = String::new();
            for line in head.lines() {
                let line = if line.starts_with("id = ") {
                    format!("id = \"{id}\"")
                } else if line.starts_with("name = ") {
                    format!("name = {{ zh = \"{zh}\", en = \"{en}\" }}")
                } else if line.starts_with("province = ") {
                    format!("province = {{ zh = \"{province_zh}\", en = \"{province_en}\" }}")
                } else if line.starts_with("code = ") {
                    format!("code = \"{code}\"")
                } else {
                    line.to_string()
                };
                text.push_str(&line);
                text.push('\n');
            }
            let notes_kept = mix(&[i as u64, 3]).is_multiple_of(8);
            let mut kept = 0;
            for (j, block) in blocks.iter().enumerate() {
                let roll = mix(&[i as u64, j as u64, 2]) % 100;
                // About half of the donor's figures, at least a few.
                if roll >= 55 && (kept >= 3 || j + 3 < blocks.len()) {
                    continue;
                }
                kept += 1;
                let mut block = block.clone();
                let simple = !block.contains("[[indicator.alternative]]")
                    && !block.contains("as_printed")
                    && !block.contains("qualifier");
                // A note kept on a few cities only (a note another line relies on stays).
                if !notes_kept && simple && !block.contains("cumulative_since") && !block.contains("previous") {
                    block = block.lines().filter(|l| !l.starts_with("note = ")).collect::<Vec<_>>().join("\n");
                }
                if simple && roll.is_multiple_of(11) && block.matches("id = ").count() == 1 {
                    // A plan: the value becomes the year's target, with no result yet.
                    if let Some(v) = block.lines().find(|l| l.starts_with("value = ")).map(str::to_string) {
                        block = block
                            .lines()
                            .filter(|l| !l.starts_with("completion = "))
                            .map(|l| if l == v { v.replacen("value", "target", 1) } else { l.to_string() })
                            .collect::<Vec<_>>()
                            .join("\n");
                    }
                } else if simple
                    && roll.is_multiple_of(7)
                    && !block.contains("as_of")
                    && !block.contains("reference_year")
                {
                    // Progress: the figure to a date in the year.
                    block.push_str("\nas_of = \"2025-11\"");
                }
                text.push_str("\n[[indicator]]\n");
                text.push_str(&block);
                if !block.ends_with('\n') {
                    text.push('\n');
                }
            }
            out.push((id, text));
        }
    }
    Ok(out)
}
