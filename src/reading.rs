//! The pinyin by which the index files a Chinese name. The `pinyin` crate reads one character
//! at a time, with its most frequent reading, so a polyphone in a word that reads it otherwise
//! (长城 is cháng, not zhǎng) lands under the wrong letter. The crate has no word readings; a
//! word list of the whole language would be a dictionary of its own, so the book keeps a short
//! table of the words its names use (and the usual statistical words) whose reading differs from
//! the crate's, and an indicator can give its whole reading (`pinyin = "…"`) where the table
//! is not enough. A syllable is written with its tone number at the end (`chang2`), as the
//! crate writes it, so the override and the table sort among the crate's readings.

use pinyin::{ToPinyin, ToPinyinMulti};

/// Words whose reading differs from the one the crate gives their characters, or whose
/// reading an editor would otherwise doubt. Longest match wins, so a word can override a
/// shorter one. Kept sorted by the first character's default reading for review.
const WORDS: &[(&str, &str)] = &[
    ("供养", "gong4 yang3"),
    ("供给", "gong1 ji3"),
    ("给予", "ji3 yu3"),
    ("补给", "bu3 ji3"),
    ("银行", "yin2 hang2"),
    ("行业", "hang2 ye4"),
    ("累计", "lei3 ji4"),
    ("积累", "ji1 lei3"),
    ("处理", "chu3 li3"),
    ("处置", "chu3 zhi4"),
    ("参加", "can1 jia1"),
    ("人参", "ren2 shen1"),
    ("调解", "tiao2 jie3"),
    ("调整", "tiao2 zheng3"),
    ("调节", "tiao2 jie2"),
    ("调控", "tiao2 kong4"),
    ("调处", "tiao2 chu3"),
    ("协调", "xie2 tiao2"),
    ("空调", "kong1 tiao2"),
    ("调查", "diao4 cha2"),
    ("调度", "diao4 du4"),
    ("长城", "chang2 cheng2"),
    ("长期", "chang2 qi1"),
    ("长效", "chang2 xiao4"),
    ("时长", "shi2 chang2"),
    ("延长", "yan2 chang2"),
    ("长沙", "chang2 sha1"),
    ("长春", "chang2 chun1"),
    ("长治", "chang2 zhi4"),
    ("家长", "jia1 zhang3"),
    ("增长", "zeng1 zhang3"),
    ("重点", "zhong4 dian3"),
    ("重度", "zhong4 du4"),
    ("重复", "chong2 fu4"),
    ("重建", "chong2 jian4"),
    ("重新", "chong2 xin1"),
    ("重庆", "chong2 qing4"),
    ("还款", "huan2 kuan3"),
    ("还贷", "huan2 dai4"),
    ("偿还", "chang2 huan2"),
    ("音乐", "yin1 yue4"),
    ("乐器", "yue4 qi4"),
    ("厦门", "xia4 men2"),
    ("蚌埠", "beng4 bu4"),
    ("六安", "lu4 an1"),
    ("丽水", "li2 shui3"),
    ("台州", "tai1 zhou1"),
    ("乐山", "le4 shan1"),
];

/// The longest word of [`WORDS`].
const LONGEST: usize = 2;

/// One character's reading, by the crate.
fn char_reading(c: char) -> Option<&'static str> {
    c.to_pinyin().map(|p| p.with_tone_num_end())
}

/// The syllables of a Chinese text in reading order: a word of the table by its reading, any
/// other character by the crate's; characters without a reading (Latin letters, digits) stand
/// for themselves, in lower case; punctuation is skipped.
pub fn syllables(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let word = (2..=LONGEST.min(chars.len() - i)).rev().find_map(|len| {
            let w: String = chars[i..i + len].iter().collect();
            WORDS.iter().find(|(word, _)| *word == w).map(|(_, r)| (len, *r))
        });
        if let Some((len, reading)) = word {
            out.extend(reading.split(' ').map(str::to_string));
            i += len;
            continue;
        }
        let c = chars[i];
        match char_reading(c) {
            Some(p) => out.push(p.to_string()),
            None if c.is_alphanumeric() => out.push(c.to_lowercase().collect()),
            None => {}
        }
        i += 1;
    }
    out
}

/// The sort key of a text: its syllables, each followed by a space, so that a shorter reading
/// sorts before a longer one that begins the same.
pub fn key(text: &str) -> String {
    key_of(&syllables(text))
}

fn key_of(syllables: &[impl AsRef<str>]) -> String {
    let mut key = String::new();
    for s in syllables {
        key.push_str(s.as_ref());
        key.push(' ');
    }
    key
}

/// The sort key of an editor's `pinyin = "…"` reading (already checked by [`check_override`]).
pub fn key_of_override(reading: &str) -> String {
    key_of(&reading.split_whitespace().map(normalize).collect::<Vec<_>>())
}

/// `v` is the usual keyboard stand-in for `ü`; the crate writes `ü`.
fn normalize(syllable: &str) -> String {
    syllable.to_lowercase().replace('v', "ü")
}

/// What is wrong with an editor's reading of `name`, if anything: it must give one syllable per
/// Chinese character, in the crate's form (letters and a tone number 1–5, none for the neutral
/// tone), each a reading the character has.
pub fn check_override(name: &str, reading: &str) -> Result<(), String> {
    let given: Vec<String> = reading.split_whitespace().map(normalize).collect();
    let han: Vec<char> = name.chars().filter(|c| char_reading(*c).is_some()).collect();
    if given.len() != han.len() {
        return Err(format!(
            "gives {} syllable{} for the {} Chinese character{} of “{name}”",
            given.len(),
            if given.len() == 1 { "" } else { "s" },
            han.len(),
            if han.len() == 1 { "" } else { "s" },
        ));
    }
    for (c, s) in han.iter().zip(&given) {
        let well_formed = {
            let letters = s.trim_end_matches(|d: char| ('1'..='5').contains(&d));
            !letters.is_empty()
                && s.len() - letters.len() <= 1
                && letters.chars().all(|l| l.is_ascii_lowercase() || l == 'ü')
        };
        if !well_formed {
            return Err(format!("has “{s}”, which is not a syllable with its tone number (e.g. chang2)"));
        }
        let readings: Vec<&str> =
            c.to_pinyin_multi().map(|m| m.into_iter().map(|p| p.with_tone_num_end()).collect()).unwrap_or_default();
        if !readings.contains(&s.as_str()) {
            return Err(format!("reads “{c}” as “{s}”, but “{c}” reads only {}", readings.join(" or ")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_polyphone_is_read_as_its_word_reads_it() {
        assert_eq!(syllables("《长城讲堂》"), ["chang2", "cheng2", "jiang3", "tang2"]);
        assert_eq!(syllables("调解结案率"), ["tiao2", "jie3", "jie2", "an4", "lü4"]);
        assert_eq!(syllables("家长满意率")[..2], ["jia1", "zhang3"]);
        assert_eq!(syllables("重点青少年")[0], "zhong4");
        assert_eq!(syllables("参加培训")[0], "can1");
        assert_eq!(syllables("服务时长")[2..], ["shi2", "chang2"]);
        // Outside the table the crate's reading stands.
        assert_eq!(syllables("城市增长率")[..2], ["cheng2", "shi4"]);
        assert_eq!(syllables("HPV疫苗")[..3], ["h", "p", "v"]);
    }

    #[test]
    fn the_great_wall_lectures_sort_under_c_near_routine_vaccination() {
        let mut names = vec![
            "悦读驿站",
            "《长城讲堂》等公益文化传播和学术交流活动",
            "常规疫苗接种率",
            "镇域农村居民可支配收入",
            "残疾儿童康复救助",
        ];
        names.sort_by_key(|n| key(n));
        assert_eq!(
            names,
            [
                "残疾儿童康复救助",
                "《长城讲堂》等公益文化传播和学术交流活动",
                "常规疫苗接种率",
                "悦读驿站",
                "镇域农村居民可支配收入"
            ]
        );
    }

    #[test]
    fn every_reading_of_the_table_is_a_reading_of_its_characters() {
        for (word, reading) in WORDS {
            assert!(word.chars().count() <= LONGEST, "{word}");
            check_override(word, reading).unwrap_or_else(|e| panic!("{word}: {e}"));
        }
    }

    #[test]
    fn an_override_is_checked_syllable_by_syllable() {
        assert!(check_override("长城讲堂", "chang2 cheng2 jiang3 tang2").is_ok());
        assert!(check_override("《长城讲堂》等", "chang2 cheng2 jiang3 tang2 deng3").is_ok());
        assert!(check_override("绿地", "lv4 di4").is_ok());
        assert!(check_override("长城", "chang2").unwrap_err().contains("1 syllable for the 2 Chinese characters"));
        assert!(check_override("好的", "hao3 de").is_ok(), "the neutral tone has no number");
        assert!(check_override("长城", "chang2 cheng4").unwrap_err().contains("reads only"));
        assert!(check_override("长城", "chang2 cheng7").unwrap_err().contains("not a syllable"));
        assert!(check_override("长城", "chang2 Chéng").unwrap_err().contains("not a syllable"));
        assert!(check_override("长城", "zhang3 cheng2").is_ok());
        assert!(check_override("长城", "chong2 cheng2").unwrap_err().contains("reads only zhang3 or chang2"));
        assert_eq!(key_of_override("chang2  cheng2"), "chang2 cheng2 ");
    }
}
