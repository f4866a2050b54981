//! China's administrative division codes (行政区划代码, GB/T 2260) as far as the book needs them:
//! the provinces by their two-digit prefix, in the order official yearbooks list them, and the
//! form of a city's six-digit code.

/// The provincial-level divisions of the mainland, by code prefix, in code order: the order of
/// the by-region (分地区) tables of the national yearbooks.
pub const PROVINCES: [(&str, &str, &str); 31] = [
    ("11", "北京市", "Beijing"),
    ("12", "天津市", "Tianjin"),
    ("13", "河北省", "Hebei Province"),
    ("14", "山西省", "Shanxi Province"),
    ("15", "内蒙古自治区", "Inner Mongolia Autonomous Region"),
    ("21", "辽宁省", "Liaoning Province"),
    ("22", "吉林省", "Jilin Province"),
    ("23", "黑龙江省", "Heilongjiang Province"),
    ("31", "上海市", "Shanghai"),
    ("32", "江苏省", "Jiangsu Province"),
    ("33", "浙江省", "Zhejiang Province"),
    ("34", "安徽省", "Anhui Province"),
    ("35", "福建省", "Fujian Province"),
    ("36", "江西省", "Jiangxi Province"),
    ("37", "山东省", "Shandong Province"),
    ("41", "河南省", "Henan Province"),
    ("42", "湖北省", "Hubei Province"),
    ("43", "湖南省", "Hunan Province"),
    ("44", "广东省", "Guangdong Province"),
    ("45", "广西壮族自治区", "Guangxi Zhuang Autonomous Region"),
    ("46", "海南省", "Hainan Province"),
    ("50", "重庆市", "Chongqing"),
    ("51", "四川省", "Sichuan Province"),
    ("52", "贵州省", "Guizhou Province"),
    ("53", "云南省", "Yunnan Province"),
    ("54", "西藏自治区", "Tibet Autonomous Region"),
    ("61", "陕西省", "Shaanxi Province"),
    ("62", "甘肃省", "Gansu Province"),
    ("63", "青海省", "Qinghai Province"),
    ("64", "宁夏回族自治区", "Ningxia Hui Autonomous Region"),
    ("65", "新疆维吾尔自治区", "Xinjiang Uygur Autonomous Region"),
];

/// The province a code belongs to: (prefix, Chinese name, English name).
pub fn province_of(code: &str) -> Option<(&'static str, &'static str, &'static str)> {
    PROVINCES.iter().copied().find(|(p, _, _)| code.starts_with(p))
}

/// The province of a city: from its division code, else from its province's Chinese name.
pub fn province_for(code: Option<&str>, name_zh: Option<&str>) -> Option<(&'static str, &'static str, &'static str)> {
    code.and_then(province_of).or_else(|| {
        let zh = name_zh?.trim();
        PROVINCES.iter().copied().find(|p| p.1 == zh)
    })
}

/// What is wrong with `code` as a city's division code, if anything: six digits, a province's
/// prefix, and a city's own digits (not the province's `0000`).
pub fn code_problem(code: &str) -> Option<String> {
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Some(format!("`{code}` is not a division code: a city's code is six digits"));
    }
    if province_of(code).is_none() {
        return Some(format!("`{code}` starts with `{}`, which is no province's code", &code[..2]));
    }
    if code.ends_with("0000") {
        return Some(format!("`{code}` is the code of a province, not of a city"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn city_codes_have_a_province_and_their_own_digits() {
        assert_eq!(code_problem("620300"), None);
        assert_eq!(code_problem("411200"), None);
        assert!(code_problem("62030").is_some());
        assert!(code_problem("62030a").is_some());
        assert!(code_problem("990300").is_some());
        assert!(code_problem("620000").is_some());
        assert_eq!(province_of("620300").map(|p| p.1), Some("甘肃省"));
        let mut sorted = PROVINCES.map(|p| p.0);
        sorted.sort_unstable();
        assert_eq!(sorted, PROVINCES.map(|p| p.0), "provinces in code order");
    }
}
