//! Russian text helpers shared by pages, e-mails and the command line.

/// Russian plural with the number: 1 день, 2 дня, 5 дней, 11 дней, 21 день.
pub fn plural(n: i64, one: &str, few: &str, many: &str) -> String {
    format!("{n} {}", plural_word(n, one, few, many))
}

/// Just the word form for `n`.
pub fn plural_word<'a>(n: i64, one: &'a str, few: &'a str, many: &'a str) -> &'a str {
    let a = n.unsigned_abs();
    if (11..=14).contains(&(a % 100)) {
        return many;
    }
    match a % 10 {
        1 => one,
        2..=4 => few,
        _ => many,
    }
}

/// Month names in the genitive: «22 февраля».
pub const MONTHS_GENITIVE: [&str; 12] = [
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
];

/// `22.02.2017`
pub fn date(d: chrono::NaiveDate) -> String {
    d.format("%d.%m.%Y").to_string()
}

#[cfg(test)]
mod tests {
    use super::plural;

    #[test]
    fn russian_plurals_follow_the_last_digits() {
        assert_eq!(plural(1, "день", "дня", "дней"), "1 день");
        assert_eq!(plural(2, "день", "дня", "дней"), "2 дня");
        assert_eq!(plural(5, "день", "дня", "дней"), "5 дней");
        assert_eq!(plural(11, "балл", "балла", "баллов"), "11 баллов");
        assert_eq!(plural(21, "балл", "балла", "баллов"), "21 балл");
        assert_eq!(plural(112, "балл", "балла", "баллов"), "112 баллов");
        assert_eq!(plural(-10, "балл", "балла", "баллов"), "-10 баллов");
    }
}
