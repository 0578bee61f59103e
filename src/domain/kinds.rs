//! The typed vocabulary of what the engine records and tells people: every notification kind
//! and every kind of seminar event in the audit log. A kind's snake_case name (serde,
//! `as_str`) is what the store keeps, what scenario outputs print and (for notifications)
//! which `templates/email/<kind>/` folder renders it; nothing else spells these names.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What an outbox row is about; each kind has its own e-mail templates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    ApplicationApproved,
    ApplicationRejected,
    DeadlineReminder,
    SubmissionReceived,
    SubmissionReturned,
    SubmissionApproved,
    PenaltyApplied,
    Excluded,
    ReportAccepted,
    /// Addressed to the coordinator: a submission waits too long (workflow `[[alerts]]`).
    ReviewDue,
    /// A partner duty of the workflow (DOMAIN.md §2.7), not penalised.
    DutyReminder,
    /// The daily digest collecting what waited for it.
    Digest,
    /// Item programs, mail only: the vendor's information support of an item changed
    /// (delayed or lost promotion, no leaflets).
    InfoSupportChanged,
    /// Item programs, mail only: the partner's marketing support is suspended.
    SupportSuspended,
    /// Item programs, mail only: the partner's marketing support is resumed.
    SupportResumed,
    // Partner programs (design §4.5): about a partner, not a seminar.
    AdmissionApproved,
    AdmissionRefused,
    StatusChanged,
    StatusConfirmed,
    StatusExpiryWarning,
    StatusAtRisk,
    NfrIssued,
    NfrRenewed,
    NfrRevoked,
    PointsRequestDecided,
    ProjectPublished,
    ProjectReturned,
    PartnershipTerminated,
    ViolationRecorded,
    SanctionApplied,
    /// Review-date ladders (S§3.5): one client for too long; disconnected from the program.
    SingleClientWarning,
    Disconnected,
    // The decided ladder (KKV, design §4.5): `<[standing] code>_<change>` and the file's notices.
    KkvDocumentsRequested,
    KkvGranted,
    KkvUpgraded,
    KkvRenewed,
    KkvRefused,
    KkvDowngraded,
    KkvCancelled,
    KkvExpired,
    KkvRenewalReminder,
    KkvRenewalMissing,
    KkvBonusCancellationWarning,
    KkvBonusesCancelled,
    KkvReportReminder,
    KkvReportOverdue,
    KkvPipelineReviewOverdue,
    KkvRequirementLapsed,
}

impl NotificationKind {
    /// Every kind, in the order the templates list them.
    pub const ALL: [NotificationKind; 48] = [
        NotificationKind::ApplicationApproved,
        NotificationKind::ApplicationRejected,
        NotificationKind::DeadlineReminder,
        NotificationKind::SubmissionReceived,
        NotificationKind::SubmissionReturned,
        NotificationKind::SubmissionApproved,
        NotificationKind::PenaltyApplied,
        NotificationKind::Excluded,
        NotificationKind::ReportAccepted,
        NotificationKind::ReviewDue,
        NotificationKind::DutyReminder,
        NotificationKind::Digest,
        NotificationKind::InfoSupportChanged,
        NotificationKind::SupportSuspended,
        NotificationKind::SupportResumed,
        NotificationKind::AdmissionApproved,
        NotificationKind::AdmissionRefused,
        NotificationKind::StatusChanged,
        NotificationKind::StatusConfirmed,
        NotificationKind::StatusExpiryWarning,
        NotificationKind::StatusAtRisk,
        NotificationKind::NfrIssued,
        NotificationKind::NfrRenewed,
        NotificationKind::NfrRevoked,
        NotificationKind::PointsRequestDecided,
        NotificationKind::ProjectPublished,
        NotificationKind::ProjectReturned,
        NotificationKind::PartnershipTerminated,
        NotificationKind::ViolationRecorded,
        NotificationKind::SanctionApplied,
        NotificationKind::SingleClientWarning,
        NotificationKind::Disconnected,
        NotificationKind::KkvDocumentsRequested,
        NotificationKind::KkvGranted,
        NotificationKind::KkvUpgraded,
        NotificationKind::KkvRenewed,
        NotificationKind::KkvRefused,
        NotificationKind::KkvDowngraded,
        NotificationKind::KkvCancelled,
        NotificationKind::KkvExpired,
        NotificationKind::KkvRenewalReminder,
        NotificationKind::KkvRenewalMissing,
        NotificationKind::KkvBonusCancellationWarning,
        NotificationKind::KkvBonusesCancelled,
        NotificationKind::KkvReportReminder,
        NotificationKind::KkvReportOverdue,
        NotificationKind::KkvPipelineReviewOverdue,
        NotificationKind::KkvRequirementLapsed,
    ];

    /// The stored name; the same as the serde name.
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::ApplicationApproved => "application_approved",
            NotificationKind::ApplicationRejected => "application_rejected",
            NotificationKind::DeadlineReminder => "deadline_reminder",
            NotificationKind::SubmissionReceived => "submission_received",
            NotificationKind::SubmissionReturned => "submission_returned",
            NotificationKind::SubmissionApproved => "submission_approved",
            NotificationKind::PenaltyApplied => "penalty_applied",
            NotificationKind::Excluded => "excluded",
            NotificationKind::ReportAccepted => "report_accepted",
            NotificationKind::ReviewDue => "review_due",
            NotificationKind::DutyReminder => "duty_reminder",
            NotificationKind::Digest => "digest",
            NotificationKind::InfoSupportChanged => "info_support_changed",
            NotificationKind::SupportSuspended => "support_suspended",
            NotificationKind::SupportResumed => "support_resumed",
            NotificationKind::AdmissionApproved => "admission_approved",
            NotificationKind::AdmissionRefused => "admission_refused",
            NotificationKind::StatusChanged => "status_changed",
            NotificationKind::StatusConfirmed => "status_confirmed",
            NotificationKind::StatusExpiryWarning => "status_expiry_warning",
            NotificationKind::StatusAtRisk => "status_at_risk",
            NotificationKind::NfrIssued => "nfr_issued",
            NotificationKind::NfrRenewed => "nfr_renewed",
            NotificationKind::NfrRevoked => "nfr_revoked",
            NotificationKind::PointsRequestDecided => "points_request_decided",
            NotificationKind::ProjectPublished => "project_published",
            NotificationKind::ProjectReturned => "project_returned",
            NotificationKind::PartnershipTerminated => "partnership_terminated",
            NotificationKind::ViolationRecorded => "violation_recorded",
            NotificationKind::SanctionApplied => "sanction_applied",
            NotificationKind::SingleClientWarning => "single_client_warning",
            NotificationKind::Disconnected => "disconnected",
            NotificationKind::KkvDocumentsRequested => "kkv_documents_requested",
            NotificationKind::KkvGranted => "kkv_granted",
            NotificationKind::KkvUpgraded => "kkv_upgraded",
            NotificationKind::KkvRenewed => "kkv_renewed",
            NotificationKind::KkvRefused => "kkv_refused",
            NotificationKind::KkvDowngraded => "kkv_downgraded",
            NotificationKind::KkvCancelled => "kkv_cancelled",
            NotificationKind::KkvExpired => "kkv_expired",
            NotificationKind::KkvRenewalReminder => "kkv_renewal_reminder",
            NotificationKind::KkvRenewalMissing => "kkv_renewal_missing",
            NotificationKind::KkvBonusCancellationWarning => "kkv_bonus_cancellation_warning",
            NotificationKind::KkvBonusesCancelled => "kkv_bonuses_cancelled",
            NotificationKind::KkvReportReminder => "kkv_report_reminder",
            NotificationKind::KkvReportOverdue => "kkv_report_overdue",
            NotificationKind::KkvPipelineReviewOverdue => "kkv_pipeline_review_overdue",
            NotificationKind::KkvRequirementLapsed => "kkv_requirement_lapsed",
        }
    }

    /// What the notification is about, in Russian, for the lists of undelivered mail.
    pub fn label(self) -> &'static str {
        match self {
            NotificationKind::ApplicationApproved => "заявка утверждена",
            NotificationKind::ApplicationRejected => "заявка отклонена",
            NotificationKind::DeadlineReminder => "напоминание о сроке",
            NotificationKind::SubmissionReceived => "материалы получены",
            NotificationKind::SubmissionReturned => "материалы возвращены на доработку",
            NotificationKind::SubmissionApproved => "этап согласован",
            NotificationKind::PenaltyApplied => "начислен штраф",
            NotificationKind::Excluded => "семинар исключён",
            NotificationKind::ReportAccepted => "отчёт принят",
            NotificationKind::ReviewDue => "материалы ждут проверки",
            NotificationKind::DutyReminder => "напоминание об обязанности",
            NotificationKind::Digest => "ежедневная сводка",
            NotificationKind::InfoSupportChanged => "информационная поддержка изменена",
            NotificationKind::SupportSuspended => "маркетинговая поддержка приостановлена",
            NotificationKind::SupportResumed => "маркетинговая поддержка возобновлена",
            NotificationKind::AdmissionApproved => "анкета партнёра одобрена",
            NotificationKind::AdmissionRefused => "анкета партнёра отклонена",
            NotificationKind::StatusChanged => "партнёрский статус изменён",
            NotificationKind::StatusConfirmed => "партнёрский статус подтверждён",
            NotificationKind::StatusExpiryWarning => "статус скоро истекает",
            NotificationKind::StatusAtRisk => "статус под угрозой на пересмотре",
            NotificationKind::NfrIssued => "NFR-лицензии выданы",
            NotificationKind::NfrRenewed => "NFR-лицензии продлены",
            NotificationKind::NfrRevoked => "NFR-лицензии отозваны",
            NotificationKind::PointsRequestDecided => "решение по запросу баллов",
            NotificationKind::ProjectPublished => "проект опубликован",
            NotificationKind::ProjectReturned => "проект возвращён модератором",
            NotificationKind::PartnershipTerminated => "партнёрство прекращено",
            NotificationKind::ViolationRecorded => "зафиксировано нарушение",
            NotificationKind::SanctionApplied => "применена санкция",
            NotificationKind::SingleClientWarning => "больше полугода один клиент",
            NotificationKind::Disconnected => "отключение от партнёрской программы",
            NotificationKind::KkvDocumentsRequested => "ККВ: запрошены дополнительные документы",
            NotificationKind::KkvGranted => "компетенция ККВ присвоена",
            NotificationKind::KkvUpgraded => "уровень ККВ повышен",
            NotificationKind::KkvRenewed => "компетенция ККВ продлена",
            NotificationKind::KkvRefused => "отказ в компетенции ККВ",
            NotificationKind::KkvDowngraded => "уровень ККВ понижен",
            NotificationKind::KkvCancelled => "компетенция ККВ аннулирована",
            NotificationKind::KkvExpired => "срок компетенции ККВ истёк",
            NotificationKind::KkvRenewalReminder => "напоминание о продлении ККВ",
            NotificationKind::KkvRenewalMissing => "запрос на продление ККВ не получен",
            NotificationKind::KkvBonusCancellationWarning => "бонусы ККВ скоро будут аннулированы",
            NotificationKind::KkvBonusesCancelled => "бонусы ККВ аннулированы",
            NotificationKind::KkvReportReminder => "напоминание об отчёте о ходе проекта",
            NotificationKind::KkvReportOverdue => "отчёт о ходе проекта просрочен",
            NotificationKind::KkvPipelineReviewOverdue => "ревью воронки продаж просрочено",
            NotificationKind::KkvRequirementLapsed => "требование ККВ не выполняется",
        }
    }

    /// Listed in the JSON contract of `simulate` (SCENARIOS.md); partner-duty reminders and the
    /// digest are mail only and show in `--mail-dir` previews.
    pub fn in_scenario_contract(self) -> bool {
        !matches!(
            self,
            NotificationKind::DutyReminder
                | NotificationKind::Digest
                | NotificationKind::InfoSupportChanged
                | NotificationKind::SupportSuspended
                | NotificationKind::SupportResumed
        )
    }
}

impl fmt::Display for NotificationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stored or configured name that is no notification kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("неизвестный вид уведомления «{0}»")]
pub struct UnknownNotificationKind(pub String);

impl FromStr for NotificationKind {
    type Err = UnknownNotificationKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        NotificationKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownNotificationKind(s.to_string()))
    }
}

/// What an audit-log event of a seminar records: a command (named as the command) or what
/// a decision or the clock did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Apply,
    ReviewApplications,
    ApproveApplication,
    RejectApplication,
    Submit,
    Return,
    Approve,
    ChangeVenue,
    Violation,
    Withdraw,
    AcceptReport,
    ApplicationApproved,
    ApplicationRejected,
    PenaltyBooked,
    Excluded,
    SeminarHeld,
    /// A consequence of an item program (lost information support, delayed promotion …).
    ConsequenceBooked,
    // Audit events of changes outside commands (accounts, partners, files): no seminar.
    UserCreated,
    UserDisabled,
    UserEnabled,
    PasswordChanged,
    ApiTokenCreated,
    ApiTokenRevoked,
    PartnerSaved,
    CoordinatorAssigned,
    FileStored,
    FileForgotten,
    CalendarLinkRenewed,
    /// A coordinator, an admin or a partner's main user gave someone a temporary password.
    PasswordReset,
    /// Someone sent a permanently failed notification again (after fixing its recipients).
    DeliveryRetried,
    /// Item programs: a partner's marketing support suspended or resumed (E§4.16).
    SuspendSupport,
    ResumeSupport,
}

impl EventKind {
    pub const ALL: [EventKind; 32] = [
        EventKind::Apply,
        EventKind::ReviewApplications,
        EventKind::ApproveApplication,
        EventKind::RejectApplication,
        EventKind::Submit,
        EventKind::Return,
        EventKind::Approve,
        EventKind::ChangeVenue,
        EventKind::Violation,
        EventKind::Withdraw,
        EventKind::AcceptReport,
        EventKind::ApplicationApproved,
        EventKind::ApplicationRejected,
        EventKind::PenaltyBooked,
        EventKind::Excluded,
        EventKind::SeminarHeld,
        EventKind::ConsequenceBooked,
        EventKind::UserCreated,
        EventKind::UserDisabled,
        EventKind::UserEnabled,
        EventKind::PasswordChanged,
        EventKind::ApiTokenCreated,
        EventKind::ApiTokenRevoked,
        EventKind::PartnerSaved,
        EventKind::CoordinatorAssigned,
        EventKind::FileStored,
        EventKind::FileForgotten,
        EventKind::CalendarLinkRenewed,
        EventKind::PasswordReset,
        EventKind::DeliveryRetried,
        EventKind::SuspendSupport,
        EventKind::ResumeSupport,
    ];

    /// The stored name; the same as the serde name.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Apply => "apply",
            EventKind::ReviewApplications => "review_applications",
            EventKind::ApproveApplication => "approve_application",
            EventKind::RejectApplication => "reject_application",
            EventKind::Submit => "submit",
            EventKind::Return => "return",
            EventKind::Approve => "approve",
            EventKind::ChangeVenue => "change_venue",
            EventKind::Violation => "violation",
            EventKind::Withdraw => "withdraw",
            EventKind::AcceptReport => "accept_report",
            EventKind::ApplicationApproved => "application_approved",
            EventKind::ApplicationRejected => "application_rejected",
            EventKind::PenaltyBooked => "penalty_booked",
            EventKind::Excluded => "excluded",
            EventKind::SeminarHeld => "seminar_held",
            EventKind::ConsequenceBooked => "consequence_booked",
            EventKind::UserCreated => "user_created",
            EventKind::UserDisabled => "user_disabled",
            EventKind::UserEnabled => "user_enabled",
            EventKind::PasswordChanged => "password_changed",
            EventKind::ApiTokenCreated => "api_token_created",
            EventKind::ApiTokenRevoked => "api_token_revoked",
            EventKind::PartnerSaved => "partner_saved",
            EventKind::CoordinatorAssigned => "coordinator_assigned",
            EventKind::FileStored => "file_stored",
            EventKind::FileForgotten => "file_forgotten",
            EventKind::CalendarLinkRenewed => "calendar_link_renewed",
            EventKind::PasswordReset => "password_reset",
            EventKind::DeliveryRetried => "delivery_retried",
            EventKind::SuspendSupport => "suspend_support",
            EventKind::ResumeSupport => "resume_support",
        }
    }

    /// What happened, in Russian, as the seminar's history tells it.
    pub fn label(self) -> &'static str {
        match self {
            EventKind::Apply => "Подана заявка",
            EventKind::ReviewApplications => "Заявки распределены",
            EventKind::ApproveApplication => "Координатор утвердил заявку",
            EventKind::ApplicationApproved => "Заявка утверждена, место в городе закреплено",
            EventKind::RejectApplication => "Координатор отклонил заявку",
            EventKind::ApplicationRejected => "Заявка отклонена",
            EventKind::Submit => "Отправлены материалы",
            EventKind::Return => "Материалы возвращены на доработку",
            EventKind::Approve => "Этап согласован",
            EventKind::ChangeVenue => "Изменено место проведения",
            EventKind::Violation => "Зафиксировано нарушение",
            EventKind::Withdraw => "Семинар отозван партнёром",
            EventKind::AcceptReport => "Отчёт принят",
            EventKind::PenaltyBooked => "Начислен штраф",
            EventKind::Excluded => "Семинар исключён из программы",
            EventKind::SeminarHeld => "Семинар проведён",
            EventKind::ConsequenceBooked => "Применено последствие",
            EventKind::UserCreated => "Создана учётная запись",
            EventKind::UserDisabled => "Учётная запись отключена",
            EventKind::UserEnabled => "Учётная запись снова включена",
            EventKind::PasswordChanged => "Пароль изменён",
            EventKind::ApiTokenCreated => "Выпущен API-токен",
            EventKind::ApiTokenRevoked => "API-токен отозван",
            EventKind::PartnerSaved => "Сохранены данные партнёра",
            EventKind::CoordinatorAssigned => "Назначен координатор партнёра",
            EventKind::FileStored => "Загружен файл",
            EventKind::FileForgotten => "Удалён файл, который не вошёл ни в одну версию",
            EventKind::CalendarLinkRenewed => "Выдана новая ссылка на календарь",
            EventKind::PasswordReset => "Выдан временный пароль",
            EventKind::DeliveryRetried => "Письмо поставлено на повторную отправку",
            EventKind::SuspendSupport => "Маркетинговая поддержка партнёра приостановлена",
            EventKind::ResumeSupport => "Маркетинговая поддержка партнёра возобновлена",
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stored name that is no event kind of the domain (e.g. an account event).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("неизвестный вид события «{0}»")]
pub struct UnknownEventKind(pub String);

impl FromStr for EventKind {
    type Err = UnknownEventKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EventKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownEventKind(s.to_string()))
    }
}

/// The notices the pure standing code (`domain::standing::{review, sanctions, records}`) raises
/// (design §4.5). Each is named as the [`NotificationKind`] the service sends for it; until the
/// service's enum has a variant, `NotificationKind::from_str(n.as_str())` says it has none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StandingNotice {
    StatusChanged,
    StatusConfirmed,
    StatusAtRisk,
    SingleClientWarning,
    ViolationRecorded,
    SanctionApplied,
    Disconnected,
    PartnershipTerminated,
}

impl StandingNotice {
    pub const ALL: [StandingNotice; 8] = [
        StandingNotice::StatusChanged,
        StandingNotice::StatusConfirmed,
        StandingNotice::StatusAtRisk,
        StandingNotice::SingleClientWarning,
        StandingNotice::ViolationRecorded,
        StandingNotice::SanctionApplied,
        StandingNotice::Disconnected,
        StandingNotice::PartnershipTerminated,
    ];

    /// The notification kind's name (templates, JSON, `[recipients]` keys of a program file).
    pub fn as_str(self) -> &'static str {
        match self {
            StandingNotice::StatusChanged => "status_changed",
            StandingNotice::StatusConfirmed => "status_confirmed",
            StandingNotice::StatusAtRisk => "status_at_risk",
            StandingNotice::SingleClientWarning => "single_client_warning",
            StandingNotice::ViolationRecorded => "violation_recorded",
            StandingNotice::SanctionApplied => "sanction_applied",
            StandingNotice::Disconnected => "disconnected",
            StandingNotice::PartnershipTerminated => "partnership_terminated",
        }
    }

    /// The notice a program file names (`notice = "…"`, `kind = "…"`), if the engine has it.
    pub fn named(s: &str) -> Option<StandingNotice> {
        StandingNotice::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_notification_kind_round_trips_through_its_name_and_serde() {
        for k in NotificationKind::ALL {
            assert_eq!(k.as_str().parse::<NotificationKind>(), Ok(k));
            let json = serde_json::to_string(&k).unwrap();
            assert_eq!(json, format!("\"{}\"", k.as_str()));
            assert_eq!(serde_json::from_str::<NotificationKind>(&json).unwrap(), k);
        }
    }

    #[test]
    fn every_event_kind_round_trips_through_its_name_and_serde() {
        for k in EventKind::ALL {
            assert_eq!(k.as_str().parse::<EventKind>(), Ok(k));
            let json = serde_json::to_string(&k).unwrap();
            assert_eq!(json, format!("\"{}\"", k.as_str()));
            assert_eq!(serde_json::from_str::<EventKind>(&json).unwrap(), k);
        }
    }

    #[test]
    fn an_unknown_notification_kind_is_named_in_russian() {
        let e = "fireworks".parse::<NotificationKind>().unwrap_err();
        assert_eq!(e.to_string(), "неизвестный вид уведомления «fireworks»");
    }
}
