//! What the list pages share: the search, the order and the page live in the URL (a link can
//! be bookmarked or sent), column headings that sort (and say so to screen readers with
//! `aria-sort`), and links to the other pages with «страница N из M».

use super::format::url_encode;
use super::page::UiError;
use crate::http::error::ApiError;
use crate::http::listing::{sort_param, Columns, PageSpec};
use crate::storage::Order;
use serde::Serialize;

/// The search, order and page of a list page, as its address gives them.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ListQuery {
    pub q: Option<String>,
    pub sort: Option<String>,
    pub page: Option<usize>,
    pub per_page: Option<usize>,
}

impl ListQuery {
    /// The address of `path` with this search, order and page.
    pub fn url(&self, path: impl Into<String>) -> ListUrl {
        ListUrl::new(path)
            .param("q", self.q.as_deref().map(str::trim))
            .param("sort", self.sort.as_deref())
            .param("per_page", self.per_page)
            .param("page", self.page.filter(|p| *p > 1))
    }
}

/// A list page's address with its current parameters (empty ones left out).
#[derive(Debug, Clone)]
pub struct ListUrl {
    pub path: String,
    pub params: Vec<(&'static str, String)>,
}

impl ListUrl {
    pub fn new(path: impl Into<String>) -> ListUrl {
        ListUrl {
            path: path.into(),
            params: vec![],
        }
    }

    /// Adds a parameter when it has a value.
    pub fn param(mut self, key: &'static str, value: Option<impl ToString>) -> ListUrl {
        if let Some(v) = value.map(|v| v.to_string()).filter(|v| !v.is_empty()) {
            self.params.retain(|(k, _)| *k != key);
            self.params.push((key, v));
        }
        self
    }

    /// The address with `changes` applied (an empty value drops the parameter); `anchor` is the
    /// list's section, so the page opens at it.
    pub fn with(&self, changes: &[(&'static str, String)], anchor: &str) -> String {
        let mut q: Vec<String> = self
            .params
            .iter()
            .filter(|(k, _)| !changes.iter().any(|(c, _)| c == k))
            .chain(changes.iter().filter(|(_, v)| !v.is_empty()))
            .map(|(k, v)| format!("{k}={}", url_encode(v)))
            .collect();
        q.sort();
        let hash = if anchor.is_empty() {
            String::new()
        } else {
            format!("#{anchor}")
        };
        if q.is_empty() {
            format!("{}{hash}", self.path)
        } else {
            format!("{}?{}{hash}", self.path, q.join("&"))
        }
    }

    /// The hidden inputs a search form needs to keep the other parameters (not `except`).
    pub fn hidden(&self, except: &[&str]) -> Vec<Hidden> {
        self.params
            .iter()
            .filter(|(k, _)| !except.contains(k) && *k != "page")
            .map(|(k, v)| Hidden {
                name: k,
                value: v.clone(),
            })
            .collect()
    }
}

#[derive(Serialize, Debug, Clone)]
pub struct Hidden {
    pub name: &'static str,
    pub value: String,
}

/// A list parameter a page cannot use (`?page=0`, `?sort=nonsense`) as a 400 page that says
/// what is allowed, without the parameter's name.
pub fn bad_param(e: ApiError) -> UiError {
    match e {
        ApiError::Invalid { message, .. } => UiError::Api(ApiError::BadRequest(
            "invalid_query",
            format!("в адресе списка ошибка: {message}; откройте список заново из меню"),
        )),
        other => UiError::Api(other),
    }
}

/// A column heading: a link that sorts by it when the column sorts.
#[derive(Serialize, Debug, Clone)]
pub struct Heading {
    pub label: &'static str,
    pub href: Option<String>,
    /// `ascending`/`descending` on the column the list is sorted by (`aria-sort`).
    pub sorted: Option<&'static str>,
    /// What a click does, for screen readers and the tooltip.
    pub hint: Option<String>,
}

/// The headings of a list: `(label, sort key or "")` in column order. A click on the sorted
/// column reverses it; on another, sorts ascending by it. The page goes back to 1.
pub fn headings<C: Copy + PartialEq>(
    url: &ListUrl,
    anchor: &str,
    columns: &[(&'static str, &'static str)],
    sortable: Columns<C>,
    current: Order<C>,
) -> Vec<Heading> {
    columns
        .iter()
        .map(|(label, key)| {
            let col = sortable.iter().find(|(n, _)| n == key).map(|(_, c)| *c);
            let Some(col) = col else {
                return Heading {
                    label,
                    href: None,
                    sorted: None,
                    hint: None,
                };
            };
            let on = current.by == col;
            let next = Order {
                by: col,
                desc: on && !current.desc,
            };
            let sort = sort_param(next, sortable);
            Heading {
                label,
                href: Some(url.with(&[("sort", sort), ("page", String::new())], anchor)),
                sorted: on.then_some(if current.desc {
                    "descending"
                } else {
                    "ascending"
                }),
                hint: Some(if next.desc {
                    format!("Сортировать по столбцу «{label}» по убыванию")
                } else {
                    format!("Сортировать по столбцу «{label}» по возрастанию")
                }),
            }
        })
        .collect()
}

/// A choice of the list's order (the headings sort too, but a phone shows no heading row).
#[derive(Serialize, Debug, Clone)]
pub struct SortOption {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// Every sortable column both ways, as a select's options.
pub fn sort_options<C: Copy + PartialEq>(
    columns: &[(&'static str, &'static str)],
    sortable: Columns<C>,
    current: Order<C>,
) -> Vec<SortOption> {
    let mut out = vec![];
    for (label, key) in columns {
        let Some(by) = sortable.iter().find(|(n, _)| n == key).map(|(_, c)| *c) else {
            continue;
        };
        for desc in [false, true] {
            let order = Order { by, desc };
            out.push(SortOption {
                value: sort_param(order, sortable),
                label: format!(
                    "{label}: {}",
                    if desc {
                        "по убыванию"
                    } else {
                        "по возрастанию"
                    }
                ),
                selected: order == current,
            });
        }
    }
    out
}

/// Links to the previous and next page and the numbered pages around this one.
#[derive(Serialize, Debug, Clone)]
pub struct Pager {
    pub label: String,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub pages: Vec<PageLink>,
}

#[derive(Serialize, Debug, Clone)]
pub struct PageLink {
    pub number: usize,
    pub href: String,
    pub current: bool,
}

/// The pager of a list of `total` rows, `None` when they fit on one page.
pub fn pager(url: &ListUrl, anchor: &str, spec: PageSpec, total: usize) -> Option<Pager> {
    pager_at(url, "page", anchor, spec, total)
}

/// The pager of a list whose page number is parameter `key` (a page with two lists).
pub fn pager_at(
    url: &ListUrl,
    key: &'static str,
    anchor: &str,
    spec: PageSpec,
    total: usize,
) -> Option<Pager> {
    let pages = spec.pages(total);
    if pages <= 1 && spec.page == 1 {
        return None;
    }
    let link = |n: usize| {
        let v = if n == 1 { String::new() } else { n.to_string() };
        url.with(&[(key, v)], anchor)
    };
    let around = spec.page.saturating_sub(2).max(1)..=(spec.page + 2).min(pages);
    Some(Pager {
        label: format!("страница {} из {pages}", spec.page),
        prev: (spec.page > 1).then(|| link(spec.page - 1)),
        next: (spec.page < pages).then(|| link(spec.page + 1)),
        pages: around
            .map(|n| PageLink {
                number: n,
                href: link(n),
                current: n == spec.page,
            })
            .collect(),
    })
}

/// «Найдено: 12 семинаров» for a list's total.
pub fn found(total: usize, one: &str, few: &str, many: &str) -> String {
    format!(
        "Найдено: {}",
        crate::text::plural(total as i64, one, few, many)
    )
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

    #[test]
    fn a_heading_reverses_its_own_order_and_keeps_the_other_parameters() {
        let url = ListUrl::new("/p")
            .param("q", Some("тула"))
            .param("sort", Some("date"))
            .param("page", Some(3));
        let h = headings(
            &url,
            "list",
            &[("Дата", "date"), ("Город", "city"), ("Шаг", "")],
            COLS,
            Order {
                by: Col::Date,
                desc: false,
            },
        );
        assert_eq!(h[0].sorted, Some("ascending"));
        assert_eq!(
            h[0].href.as_deref(),
            Some("/p?q=%D1%82%D1%83%D0%BB%D0%B0&sort=-date#list")
        );
        assert_eq!(
            h[1].href.as_deref(),
            Some("/p?q=%D1%82%D1%83%D0%BB%D0%B0&sort=city#list")
        );
        assert!(h[2].href.is_none());
    }

    #[test]
    fn the_pager_links_around_the_current_page() {
        let url = ListUrl::new("/p").param("sort", Some("-city"));
        let spec = PageSpec::new(Some(2), Some(10), 10, 100).unwrap();
        let p = pager(&url, "", spec, 45).unwrap();
        assert_eq!(p.label, "страница 2 из 5");
        assert_eq!(p.prev.as_deref(), Some("/p?sort=-city"));
        assert_eq!(p.next.as_deref(), Some("/p?page=3&sort=-city"));
        assert_eq!(
            p.pages.iter().map(|l| l.number).collect::<Vec<_>>(),
            [1, 2, 3, 4]
        );
        assert!(pager(&url, "", PageSpec::new(None, Some(10), 10, 100).unwrap(), 9).is_none());
    }
}
