//! Search, sort and page parameters of the lists, read once for the JSON API and the pages:
//! `q` (part of a name, any case), `sort` (a column the list offers; `-column` for descending),
//! `page` from 1 and `per_page`. The store pages in SQL (`LIMIT`/`OFFSET`) and counts the total.
//!
//! A value out of range or a column the list does not offer is the caller's mistake: 422
//! `invalid_input` with the parameter in `error.field` and a message saying what is allowed —
//! never a silent correction, never a 500.

use super::error::ApiError;
use crate::storage::{Order, Page};

/// Longest search text (a name or a city; longer is a mistake, not a search).
pub const MAX_SEARCH: usize = 100;

/// A list's sortable columns: the name in `sort`, and what the store orders by.
pub type Columns<C> = &'static [(&'static str, C)];

/// The trimmed search text, `None` when empty.
///
/// # Errors
/// 422 (`q`) past [`MAX_SEARCH`] characters.
pub fn search(q: Option<&str>) -> Result<Option<String>, ApiError> {
    let Some(t) = q.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if t.chars().count() > MAX_SEARCH {
        return Err(ApiError::field(
            "q",
            format!("строка поиска длиннее {MAX_SEARCH} символов"),
        ));
    }
    Ok(Some(t.to_string()))
}

/// The order `sort` names (`date`, `-date`), or `default` without one.
///
/// # Errors
/// 422 (`sort`) for a column the list does not offer, naming those it does.
pub fn sort<C: Copy + PartialEq>(
    text: Option<&str>,
    columns: Columns<C>,
    default: Order<C>,
) -> Result<Order<C>, ApiError> {
    let Some(t) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(default);
    };
    let (desc, name) = match t.strip_prefix('-') {
        Some(n) => (true, n),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    match columns.iter().find(|(n, _)| *n == name) {
        Some((_, by)) => Ok(Order { by: *by, desc }),
        None => {
            let names: Vec<&str> = columns.iter().map(|(n, _)| *n).collect();
            Err(ApiError::field(
                "sort",
                format!(
                    "нельзя сортировать по «{t}»; можно по {} (минус впереди — по убыванию)",
                    names.join(", ")
                ),
            ))
        }
    }
}

/// `order` as the `sort` parameter says it.
pub fn sort_param<C: Copy + PartialEq>(order: Order<C>, columns: Columns<C>) -> String {
    let name = columns
        .iter()
        .find(|(_, c)| *c == order.by)
        .map(|(n, _)| *n)
        .unwrap_or_default();
    if order.desc {
        format!("-{name}")
    } else {
        name.to_string()
    }
}

/// A page number and size, checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageSpec {
    /// From 1.
    pub page: usize,
    pub per_page: usize,
}

impl PageSpec {
    /// `page` (1 when absent) and `per_page` (`default` when absent, at most `max`).
    ///
    /// # Errors
    /// 422 (`page` or `per_page`) for 0 or a size past `max`.
    pub fn new(
        page: Option<usize>,
        per_page: Option<usize>,
        default: usize,
        max: usize,
    ) -> Result<PageSpec, ApiError> {
        let page = page.unwrap_or(1);
        if page == 0 {
            return Err(ApiError::field("page", "страницы нумеруются с 1"));
        }
        let per_page = per_page.unwrap_or(default);
        if per_page == 0 || per_page > max {
            return Err(ApiError::field(
                "per_page",
                format!("строк на странице — от 1 до {max}"),
            ));
        }
        Ok(PageSpec { page, per_page })
    }

    /// The rows of this page, and one more to tell whether another page follows.
    pub fn store_page(&self) -> Page {
        Page {
            after: None,
            offset: ((self.page - 1) * self.per_page) as i64,
            limit: Some(self.per_page as i64),
        }
    }

    /// How many pages `total` rows make (at least 1).
    pub fn pages(&self, total: usize) -> usize {
        total.div_ceil(self.per_page).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Col {
        Date,
        City,
    }
    const COLS: Columns<Col> = &[("date", Col::Date), ("city", Col::City)];
    const DEFAULT: Order<Col> = Order {
        by: Col::Date,
        desc: false,
    };

    #[test]
    fn a_sort_names_a_column_and_a_minus_means_descending() {
        assert_eq!(sort(None, COLS, DEFAULT).unwrap(), DEFAULT);
        assert_eq!(
            sort(Some("-city"), COLS, DEFAULT).unwrap(),
            Order {
                by: Col::City,
                desc: true
            }
        );
        let e = sort(Some("data; DROP"), COLS, DEFAULT).unwrap_err();
        assert_eq!(e.field_name(), Some("sort"));
        assert!(e.to_string().contains("date, city"), "{e}");
        assert_eq!(
            sort_param(
                Order {
                    by: Col::City,
                    desc: true
                },
                COLS
            ),
            "-city"
        );
    }

    #[test]
    fn pages_start_at_one_and_their_size_is_bounded() {
        assert_eq!(
            PageSpec::new(None, None, 50, 200).unwrap(),
            PageSpec {
                page: 1,
                per_page: 50
            }
        );
        assert_eq!(
            PageSpec::new(Some(0), None, 50, 200)
                .unwrap_err()
                .field_name(),
            Some("page")
        );
        assert_eq!(
            PageSpec::new(None, Some(201), 50, 200)
                .unwrap_err()
                .field_name(),
            Some("per_page")
        );
        let p = PageSpec::new(Some(3), Some(20), 50, 200).unwrap();
        assert_eq!(p.store_page().offset, 40);
        assert_eq!(p.pages(41), 3);
        assert_eq!(p.pages(0), 1);
        assert!(search(Some(&"я".repeat(101))).is_err());
        assert_eq!(search(Some("  Тула ")).unwrap().as_deref(), Some("Тула"));
    }
}
