//! One list as one XLSX sheet. A page or an API handler builds a [`Table`] from the very rows it
//! shows, so the file holds the same rows as the page.

use crate::domain::money::Kopecks;
use chrono::{NaiveDate, NaiveDateTime};
use rust_xlsxwriter::{Format, FormatAlign, Workbook, XlsxError};

/// The content type of an XLSX file.
pub const CONTENT_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Excel's longest sheet name.
const SHEET_NAME_MAX: usize = 31;

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Int(i64),
    /// Roubles with kopecks, written as a number in roubles.
    Money(Kopecks),
    Date(NaiveDate),
    /// A local date and time (already in the program's zone).
    DateTime(NaiveDateTime),
}

impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        Cell::Text(s.to_string())
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::Text(s)
    }
}

impl From<i64> for Cell {
    fn from(n: i64) -> Cell {
        Cell::Int(n)
    }
}

impl From<Kopecks> for Cell {
    fn from(k: Kopecks) -> Cell {
        Cell::Money(k)
    }
}

impl From<NaiveDate> for Cell {
    fn from(d: NaiveDate) -> Cell {
        Cell::Date(d)
    }
}

impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(o: Option<T>) -> Cell {
        o.map_or(Cell::Empty, Into::into)
    }
}

/// A list: a sheet name, column headings and rows of cells.
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub sheet: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    pub fn new(sheet: &str, columns: &[&str]) -> Table {
        Table {
            sheet: sheet.to_string(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    pub fn push(&mut self, row: Vec<Cell>) {
        self.rows.push(row);
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("не удалось сформировать файл Excel: {0}")]
    Xlsx(#[from] XlsxError),
}

/// Excel forbids `[]:*?/\` in sheet names and allows at most 31 characters.
fn sheet_name(name: &str) -> String {
    let clean: String = name
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { ' ' } else { c })
        .take(SHEET_NAME_MAX)
        .collect();
    let clean = clean.trim().trim_matches('\'').to_string();
    if clean.is_empty() {
        "Лист1".into()
    } else {
        clean
    }
}

fn col(i: usize) -> Result<u16, XlsxError> {
    u16::try_from(i).map_err(|_| XlsxError::ParameterError(format!("too many columns: {i}")))
}

fn row(i: usize) -> Result<u32, XlsxError> {
    u32::try_from(i).map_err(|_| XlsxError::ParameterError(format!("too many rows: {i}")))
}

/// The table as an XLSX file: bold frozen header with a filter, money as `# ##0,00 ₽`, dates as
/// `ДД.ММ.ГГГГ`, columns fitted to their content.
///
/// # Errors
/// A table Excel cannot hold (over 1 048 576 rows or 16 384 columns).
pub fn xlsx(table: &Table) -> Result<Vec<u8>, ExportError> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(sheet_name(&table.sheet))?;
    let head = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Top);
    let money = Format::new().set_num_format("# ##0.00 \"₽\"");
    let date = Format::new().set_num_format("dd.mm.yyyy");
    let stamp = Format::new().set_num_format("dd.mm.yyyy hh:mm");
    for (c, h) in table.columns.iter().enumerate() {
        sheet.write_string_with_format(0, col(c)?, h, &head)?;
    }
    for (r, cells) in table.rows.iter().enumerate() {
        let r = row(r + 1)?;
        for (c, cell) in cells.iter().enumerate() {
            let c = col(c)?;
            match cell {
                Cell::Empty => {}
                Cell::Text(s) => {
                    sheet.write_string(r, c, s)?;
                }
                // Excel keeps 15 significant digits: every count and point total fits.
                #[allow(clippy::cast_precision_loss)]
                Cell::Int(n) => {
                    sheet.write_number(r, c, *n as f64)?;
                }
                #[allow(clippy::cast_precision_loss)]
                Cell::Money(k) => {
                    sheet.write_number_with_format(r, c, k.0 as f64 / 100.0, &money)?;
                }
                Cell::Date(d) => {
                    sheet.write_datetime_with_format(r, c, d, &date)?;
                }
                Cell::DateTime(t) => {
                    sheet.write_datetime_with_format(r, c, t, &stamp)?;
                }
            }
        }
    }
    if !table.columns.is_empty() {
        let last_col = col(table.columns.len() - 1)?;
        sheet.set_freeze_panes(1, 0)?;
        sheet.autofilter(0, 0, row(table.rows.len())?, last_col)?;
    }
    sheet.autofit();
    Ok(book.save_to_buffer()?)
}

/// A file name for an export: `name-YYYY-MM-DD.xlsx`, ASCII only (for `Content-Disposition`).
pub fn file_name(name: &str, today: NaiveDate) -> String {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("{safe}-{}.xlsx", today.format("%Y-%m-%d"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{open_workbook_from_rs, Data, Reader, Xlsx};
    use std::io::Cursor;

    #[test]
    fn a_table_reads_back_with_the_same_cells() {
        let mut t = Table::new("Штрафы: 2017/весна", &["Семинар", "Баллы", "Сумма", "Дата"]);
        t.push(vec![
            "Москва".into(),
            Cell::Int(-20),
            Cell::Money(Kopecks(1_234_550)),
            Cell::Date(NaiveDate::from_ymd_opt(2017, 4, 5).unwrap()),
        ]);
        t.push(vec!["Тверь".into(), Cell::Empty, Cell::Empty, Cell::Empty]);
        let bytes = xlsx(&t).unwrap();
        let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).unwrap();
        assert_eq!(book.sheet_names(), vec!["Штрафы  2017 весна".to_string()]);
        let range = book.worksheet_range_at(0).unwrap().unwrap();
        let rows: Vec<Vec<Data>> = range.rows().map(<[Data]>::to_vec).collect();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0][0], Data::String("Семинар".into()));
        assert_eq!(rows[1][0], Data::String("Москва".into()));
        assert_eq!(rows[1][1], Data::Float(-20.0));
        assert_eq!(rows[1][2], Data::Float(12_345.5));
        match &rows[1][3] {
            Data::DateTime(d) => assert_eq!(
                d.as_datetime().unwrap().date(),
                NaiveDate::from_ymd_opt(2017, 4, 5).unwrap()
            ),
            other => panic!("a date, not {other:?}"),
        }
        assert_eq!(rows[2][0], Data::String("Тверь".into()));
        assert_eq!(rows[2][1], Data::Empty);
    }

    #[test]
    fn file_names_are_ascii_and_dated() {
        let d = NaiveDate::from_ymd_opt(2017, 3, 1).unwrap();
        assert_eq!(file_name("penalties", d), "penalties-2017-03-01.xlsx");
        assert_eq!(file_name("штрафы x", d), "-------x-2017-03-01.xlsx");
    }
}
