//! Spreadsheets in and out: lists exported as XLSX ([`export`]) and the report's attendee list
//! read from XLSX/XLS/ODS or CSV ([`attendees`]).
//!
//! - [`export`]: a [`Table`](export::Table) of typed cells written as one XLSX sheet (header row,
//!   frozen and filtered; money and dates as numbers with Russian formats).
//! - [`attendees`]: reads an attendee list, finds the name, phone and e-mail columns by their
//!   headings, counts attendees with a name and a phone or an e-mail, and flags duplicates.

pub mod attendees;
pub mod export;
