//! Rows of the partner-program tables (migration 0006): staff and their certificates, dated
//! partner records, and the vendor's reviews of them. Standings themselves are the domain's
//! [`crate::domain::standing::Standing`], stored whole with their version.

use chrono::{DateTime, Utc};

/// A partner's employee as the `staff` table keeps them (one row per partner and employee).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffRow {
    pub partner: String,
    pub staff: String,
    pub role: String,
    pub attached: DateTime<Utc>,
    /// When the employee left the card (`None`: still attached).
    pub detached: Option<DateTime<Utc>>,
}

/// A certificate an employee earned (one per partner, employee and course).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateRow {
    pub partner: String,
    pub staff: String,
    pub course: String,
    pub at: DateTime<Utc>,
}

/// A dated record of a kind a partner program declares (a project, a points request, a sale…).
/// `(partner, program, kind, reference)` is unique: a project is registered once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordRow {
    pub key: String,
    pub partner: String,
    pub program: String,
    pub kind: String,
    pub reference: Option<String>,
    pub at: DateTime<Utc>,
    /// Money in kopecks, if the record has an amount.
    pub kopecks: Option<i64>,
    pub qty: Option<i64>,
    /// The record's further fields as JSON (state, note, points…).
    pub data: String,
}
