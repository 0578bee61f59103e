//! The report's attendee list (the seed asks for «Список участников (Excel) с телефоном и
//! e-mail»): read from XLSX, XLS, ODS or CSV, its name, phone and e-mail columns found by their
//! headings. An attendee counts when the row has a name and a phone or an e-mail; a row whose
//! phone or e-mail an earlier row already has is a duplicate and does not count.
//!
//! The list holds personal data: callers keep it where only the partner and its coordinators
//! can read it, and show the count and the row numbers, not the people.

use calamine::{open_workbook_auto_from_rs, Data, Reader};
use std::collections::HashMap;
use std::io::Cursor;

/// More rows than any seminar has attendees: a bigger file is not an attendee list.
pub const MAX_ROWS: usize = 20_000;
/// How far down the heading row is looked for.
const HEADING_SEARCH_ROWS: usize = 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attendee {
    /// The row in the file, counted from 1 as a spreadsheet shows it.
    pub row: usize,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
}

/// Why a row does not count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skipped {
    /// No name.
    NoName { row: usize },
    /// A name without a usable phone or e-mail.
    NoContact { row: usize },
    /// The same phone or e-mail as an earlier row.
    Duplicate { row: usize, of_row: usize },
}

impl Skipped {
    pub fn row(&self) -> usize {
        match self {
            Skipped::NoName { row }
            | Skipped::NoContact { row }
            | Skipped::Duplicate { row, .. } => *row,
        }
    }

    /// In Russian, for the report form.
    pub fn describe(&self) -> String {
        match self {
            Skipped::NoName { row } => format!("строка {row}: нет имени"),
            Skipped::NoContact { row } => format!("строка {row}: нет ни телефона, ни e-mail"),
            Skipped::Duplicate { row, of_row } => {
                format!("строка {row}: повтор строки {of_row} (тот же телефон или e-mail)")
            }
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttendeeList {
    /// The attendees that count, in file order.
    pub counted: Vec<Attendee>,
    /// Rows with something in them that do not count, in file order.
    pub skipped: Vec<Skipped>,
}

impl AttendeeList {
    pub fn count(&self) -> usize {
        self.counted.len()
    }

    pub fn duplicates(&self) -> usize {
        self.skipped
            .iter()
            .filter(|s| matches!(s, Skipped::Duplicate { .. }))
            .count()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("файл «{file}» не удалось прочитать как таблицу (XLSX, XLS, ODS или CSV): {why}")]
    Unreadable { file: String, why: String },
    #[error("в файле «{0}» нет ни одного листа с данными")]
    Empty(String),
    #[error("в файле «{file}» не найдена строка заголовков: нужны столбцы «ФИО» (или «Фамилия» и «Имя») и «Телефон» или «E-mail» в первых {HEADING_SEARCH_ROWS} строках")]
    NoHeadings { file: String },
    #[error("в файле «{file}» больше {MAX_ROWS} строк — это не похоже на список участников")]
    TooLarge { file: String },
}

/// Reads an attendee list.
///
/// # Errors
/// A file that is no table, has no heading row naming a name column and a phone or e-mail
/// column, or is too large.
pub fn read(file_name: &str, bytes: &[u8]) -> Result<AttendeeList, ImportError> {
    let rows = if is_workbook(bytes) {
        workbook_rows(file_name, bytes)?
    } else {
        csv_rows(file_name, bytes)?
    };
    if rows.len() > MAX_ROWS + HEADING_SEARCH_ROWS {
        return Err(ImportError::TooLarge {
            file: file_name.into(),
        });
    }
    let (heading_at, columns) = rows
        .iter()
        .take(HEADING_SEARCH_ROWS)
        .enumerate()
        .find_map(|(i, r)| Columns::find(r).map(|c| (i, c)))
        .ok_or_else(|| ImportError::NoHeadings {
            file: file_name.into(),
        })?;
    Ok(count(&rows, heading_at, &columns))
}

/// XLSX and ODS are ZIP archives; XLS is an OLE compound file.
fn is_workbook(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0])
}

fn workbook_rows(file: &str, bytes: &[u8]) -> Result<Vec<Vec<String>>, ImportError> {
    let unreadable = |e: &dyn std::fmt::Display| ImportError::Unreadable {
        file: file.into(),
        why: e.to_string(),
    };
    let mut book = open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|e| unreadable(&e))?;
    let mut first_non_empty = None;
    for i in 0..book.sheet_names().len() {
        let Some(range) = book.worksheet_range_at(i) else {
            continue;
        };
        let range = range.map_err(|e| unreadable(&e))?;
        if range.is_empty() {
            continue;
        }
        if range.height() > MAX_ROWS + HEADING_SEARCH_ROWS {
            return Err(ImportError::TooLarge { file: file.into() });
        }
        // Keep the sheet's own row numbers: the range may start below row 1.
        let top = range.start().map_or(0, |(r, _)| r as usize);
        let mut rows = vec![Vec::new(); top];
        rows.extend(
            range
                .rows()
                .map(|r| r.iter().map(cell_text).collect::<Vec<_>>()),
        );
        // The first sheet with a heading row is the list; else the first with data (for the error).
        if rows
            .iter()
            .take(HEADING_SEARCH_ROWS)
            .any(|r| Columns::find(r).is_some())
        {
            return Ok(rows);
        }
        first_non_empty.get_or_insert(rows);
    }
    first_non_empty.ok_or_else(|| ImportError::Empty(file.into()))
}

/// A cell as text; whole numbers without a fraction (phones are often stored as numbers).
fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
        other => other.to_string().trim().to_string(),
    }
}

/// CSV as Excel writes it: UTF-8 (with or without BOM) or Windows-1251, separated by `;`, `,`
/// or tabs, whichever the first line has most of.
fn csv_rows(file: &str, bytes: &[u8]) -> Result<Vec<Vec<String>>, ImportError> {
    let text = match std::str::from_utf8(bytes) {
        Ok(s) => s.trim_start_matches('\u{feff}').to_string(),
        Err(_) => encoding_rs::WINDOWS_1251.decode(bytes).0.into_owned(),
    };
    if text.contains('\0') {
        return Err(ImportError::Unreadable {
            file: file.into(),
            why: "это двоичный файл, а не таблица".into(),
        });
    }
    let first = text.lines().next().unwrap_or("");
    let delimiter = [b';', b',', b'\t']
        .into_iter()
        .max_by_key(|d| first.bytes().filter(|b| b == d).count())
        .unwrap_or(b';');
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for rec in reader.records() {
        let rec = rec.map_err(|e| ImportError::Unreadable {
            file: file.into(),
            why: e.to_string(),
        })?;
        rows.push(rec.iter().map(|s| s.trim().to_string()).collect());
        if rows.len() > MAX_ROWS + HEADING_SEARCH_ROWS {
            return Err(ImportError::TooLarge { file: file.into() });
        }
    }
    if rows.is_empty() {
        return Err(ImportError::Empty(file.into()));
    }
    Ok(rows)
}

/// Where the name, phone and e-mail are.
#[derive(Debug, Default, PartialEq, Eq)]
struct Columns {
    full_name: Option<usize>,
    /// Surname, first name, patronymic, when the name is split.
    parts: Vec<usize>,
    phone: Vec<usize>,
    email: Vec<usize>,
}

fn heading(s: &str) -> String {
    s.trim()
        .to_lowercase()
        .replace('ё', "е")
        .replace(['.', ':', '*'], "")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

impl Columns {
    fn find(row: &[String]) -> Option<Columns> {
        let mut c = Columns::default();
        for (i, cell) in row.iter().enumerate() {
            let h = heading(cell);
            let is = |words: &[&str]| {
                words
                    .iter()
                    .any(|w| h == *w || h.starts_with(&format!("{w} ")))
            };
            if is(&[
                "e-mail",
                "email",
                "e mail",
                "эл почта",
                "электронная почта",
                "почта",
                "mail",
            ]) {
                c.email.push(i);
            } else if is(&[
                "телефон",
                "тел",
                "моб телефон",
                "мобильный телефон",
                "мобильный",
                "phone",
                "mobile",
            ]) {
                c.phone.push(i);
            } else if is(&[
                "фио",
                "ф и о",
                "фамилия имя отчество",
                "фамилия имя",
                "имя фамилия",
                "участник",
                "name",
                "full name",
            ]) {
                c.full_name.get_or_insert(i);
            } else if is(&[
                "фамилия",
                "имя",
                "отчество",
                "surname",
                "last name",
                "first name",
            ]) {
                c.parts.push(i);
            }
        }
        let has_name = c.full_name.is_some() || !c.parts.is_empty();
        let has_contact = !c.phone.is_empty() || !c.email.is_empty();
        (has_name && has_contact).then_some(c)
    }

    fn name(&self, row: &[String]) -> String {
        let get = |i: usize| row.get(i).map_or("", |s| s.as_str());
        match self.full_name {
            Some(i) if !get(i).is_empty() => get(i).to_string(),
            _ => self
                .parts
                .iter()
                .map(|&i| get(i))
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" "),
        }
    }

    fn first(
        cols: &[usize],
        row: &[String],
        ok: impl Fn(&str) -> Option<String>,
    ) -> Option<String> {
        cols.iter().filter_map(|&i| row.get(i)).find_map(|s| ok(s))
    }
}

/// A phone as digits, Russian numbers in the `7XXXXXXXXXX` form; `None` unless 10–15 digits.
pub fn normal_phone(s: &str) -> Option<String> {
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    let digits = match digits.len() {
        10 => format!("7{digits}"),
        11 if digits.starts_with('8') => format!("7{}", &digits[1..]),
        _ => digits,
    };
    (10..=15).contains(&digits.len()).then_some(digits)
}

/// An e-mail in lower case; `None` unless it looks like one (`x@y.z`, no spaces).
pub fn normal_email(s: &str) -> Option<String> {
    let e = s.trim().to_lowercase();
    let (user, domain) = e.split_once('@')?;
    let ok = !user.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !e.chars().any(char::is_whitespace);
    ok.then_some(e)
}

fn count(rows: &[Vec<String>], heading_at: usize, c: &Columns) -> AttendeeList {
    let mut list = AttendeeList::default();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, row) in rows.iter().enumerate().skip(heading_at + 1) {
        let n = i + 1;
        if row.iter().all(String::is_empty) {
            continue;
        }
        let name = c.name(row);
        let phone = Columns::first(&c.phone, row, normal_phone);
        let email = Columns::first(&c.email, row, normal_email);
        if name.is_empty() {
            list.skipped.push(Skipped::NoName { row: n });
            continue;
        }
        if phone.is_none() && email.is_none() {
            list.skipped.push(Skipped::NoContact { row: n });
            continue;
        }
        let keys: Vec<String> = [
            phone.as_ref().map(|p| format!("t:{p}")),
            email.as_ref().map(|e| format!("e:{e}")),
        ]
        .into_iter()
        .flatten()
        .collect();
        if let Some(of_row) = keys.iter().find_map(|k| seen.get(k).copied()) {
            list.skipped.push(Skipped::Duplicate { row: n, of_row });
            continue;
        }
        for k in keys {
            seen.insert(k, n);
        }
        list.counted.push(Attendee {
            row: n,
            name,
            phone,
            email,
        });
    }
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_csv_from_excel_counts_named_rows_with_a_contact_and_flags_duplicates() {
        let csv = "Список участников;;;\n\
                   ФИО;Компания;Телефон;E-mail\n\
                   Иванов Иван;ООО Ромашка;8 (916) 123-45-67;ivan@example.ru\n\
                   Петров Пётр;;;petr@example.ru\n\
                   Сидорова Анна;;+7 916 123 45 67;\n\
                   ;;+7 903 000 00 00;\n\
                   Без Контакта;;123;не почта\n\
                   ;;;\n\
                   Козлов Олег;;;PETR@example.ru\n";
        let list = read("участники.csv", csv.as_bytes()).unwrap();
        assert_eq!(list.count(), 2, "{list:?}");
        assert_eq!(list.counted[0].row, 3);
        assert_eq!(list.counted[0].phone.as_deref(), Some("79161234567"));
        assert_eq!(list.counted[1].name, "Петров Пётр");
        assert_eq!(
            list.skipped,
            vec![
                Skipped::Duplicate { row: 5, of_row: 3 },
                Skipped::NoName { row: 6 },
                Skipped::NoContact { row: 7 },
                Skipped::Duplicate { row: 9, of_row: 4 },
            ]
        );
        assert_eq!(list.duplicates(), 2);
    }

    #[test]
    fn windows_1251_commas_and_split_names_are_read() {
        let text = "Фамилия,Имя,Отчество,Эл. почта\nИванова,Мария,Петровна,m@x.ru\n";
        let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(text);
        let list = read("list.csv", &bytes).unwrap();
        assert_eq!(list.count(), 1);
        assert_eq!(list.counted[0].name, "Иванова Мария Петровна");
    }

    #[test]
    fn an_xlsx_written_by_the_exporter_is_read_with_numeric_phones() {
        use crate::sheets::export::{xlsx, Cell, Table};
        let mut t = Table::new("Участники", &["№", "ФИО", "Телефон", "Email"]);
        t.push(vec![
            Cell::Int(1),
            "Иванов".into(),
            Cell::Int(79_161_234_567),
            Cell::Empty,
        ]);
        t.push(vec![
            Cell::Int(2),
            "Петров".into(),
            Cell::Empty,
            "p@x.ru".into(),
        ]);
        t.push(vec![
            Cell::Int(3),
            "Петров".into(),
            Cell::Empty,
            "P@X.RU".into(),
        ]);
        let list = read("x.xlsx", &xlsx(&t).unwrap()).unwrap();
        assert_eq!(list.count(), 2, "{list:?}");
        assert_eq!(list.counted[0].phone.as_deref(), Some("79161234567"));
        assert_eq!(list.skipped, vec![Skipped::Duplicate { row: 4, of_row: 3 }]);
    }

    #[test]
    fn a_file_without_headings_or_not_a_table_is_refused_by_name() {
        let e = read("a.csv", "Иванов;ivan@x.ru\n".as_bytes()).unwrap_err();
        assert!(matches!(e, ImportError::NoHeadings { .. }), "{e}");
        assert!(e.to_string().contains("«a.csv»"));
        let e = read("b.xlsx", b"PK\x03\x04garbage").unwrap_err();
        assert!(matches!(e, ImportError::Unreadable { .. }), "{e}");
        let e = read("c.csv", b"").unwrap_err();
        assert!(matches!(e, ImportError::Empty(_)), "{e}");
    }

    #[test]
    fn phones_and_emails_normalize() {
        assert_eq!(
            normal_phone("8-916-123-45-67").as_deref(),
            Some("79161234567")
        );
        assert_eq!(normal_phone("9161234567").as_deref(), Some("79161234567"));
        assert_eq!(normal_phone("12345"), None);
        assert_eq!(normal_email(" A@B.Ru ").as_deref(), Some("a@b.ru"));
        assert_eq!(normal_email("a@b"), None);
        assert_eq!(normal_email("a b@c.d"), None);
    }
}
