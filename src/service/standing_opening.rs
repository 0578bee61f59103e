//! A partner's opening rows (a scenario's `[partners.opening]`, an import): employees with
//! their certificates and the records the program keeps (opening values, flags), booked in one
//! commit beside the opening standing (`Service::open_standing`).

use super::booking::Booked;
use super::{Service, ServiceError};
use crate::storage::{CertificateRow, Commit, RecordRow, StaffRow, StoreError};

impl Service {
    /// Books a partner's opening employees, certificates and records.
    ///
    /// # Errors
    /// Store failures; a conflict with rows already there.
    pub async fn open_partner_rows(
        &self,
        staff: Vec<StaffRow>,
        certificates: Vec<CertificateRow>,
        records: Vec<RecordRow>,
    ) -> Result<(), ServiceError> {
        let c = Commit {
            staff,
            certificates,
            records,
            ..Commit::default()
        };
        match self.booker.book(&c).await? {
            Booked::Written => Ok(()),
            Booked::Conflict(why) => Err(StoreError::Conflict(why).into()),
        }
    }
}
