//! `serve --demo`: a season of the flagship program played through the real service up to
//! 2017-04-04 12:00 Moscow time (between the two seminar weeks), so a new user sees a living
//! system: seminars on time, late, returned, excluded, withdrawn, held and reported.

use crate::domain::{Command, Kopecks, Partner, ReportFigures};
use crate::service::{Service, ServiceError};
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

pub const PROGRAM: &str = "bitrix24-seminars-2017-spring";
/// Where the demo clock stands.
pub const NOW: &str = "2017-04-04T12:00:00+03:00";

fn t(s: &str) -> DateTime<Utc> {
    DateTime::<FixedOffset>::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or_default()
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap_or_default()
}

pub fn partners() -> Vec<Partner> {
    let p = |id: &str, name: &str, experienced: bool| Partner {
        id: id.into(),
        name: name.into(),
        experienced,
        barred: false,
        late_withdrawal: false,
    };
    vec![
        p("p01", "СекретКонтора", true),
        p("p02", "Казанские решения", true),
        p("p03", "ДвериНастежь", false),
        p("p04", "Урал-Софт", true),
        p("p05", "Волга Диджитал", false),
        p("p06", "Омские системы", false),
        p("p07", "Пермь Онлайн", false),
        p("p08", "Башкирские технологии", true),
        p("p09", "Кубань ИТ", true),
        p("p10", "Южный портал", false),
        p("p11", "Байкал-Веб", false),
        p("p12", "Столичный интегратор", true),
    ]
}

fn report(attendees: u32, costs: i64, estimate: i64) -> Option<ReportFigures> {
    Some(ReportFigures {
        attendees,
        registrations: attendees * 2,
        costs: Kopecks::from_rub(costs),
        third_party_companies: 0,
        estimate: Kopecks::from_rub(estimate),
    })
}

/// The season's steps, in time order.
pub fn steps() -> Vec<(DateTime<Utc>, Command)> {
    let apply = |s: &str, p: &str, city: &str, date: &str| Command::Apply {
        seminar: s.into(),
        partner: p.into(),
        city: city.into(),
        date: d(date),
    };
    let submit = |s: &str, stage: &str| Command::Submit {
        seminar: s.into(),
        stage: stage.into(),
        report: None,
        // Landing pages are submitted as links; the public page lists them.
        files: if stage == "landing" {
            vec![format!("https://example.ru/seminar-bitrix24/{s}")]
        } else {
            vec![]
        },
        comment: None,
    };
    let approve = |s: &str, stage: &str| Command::Approve {
        seminar: s.into(),
        stage: stage.into(),
        comment: None,
    };
    let ret = |s: &str, stage: &str, comment: &str| Command::Return {
        seminar: s.into(),
        stage: stage.into(),
        due: None,
        comment: Some(comment.into()),
    };
    let mut v: Vec<(&str, Command)> = vec![
        (
            "2017-01-23T10:00:00+03:00",
            apply("s01", "p01", "Новосибирск", "2017-03-29"),
        ),
        (
            "2017-01-23T11:00:00+03:00",
            apply("s02", "p02", "Казань", "2017-03-30"),
        ),
        (
            "2017-01-24T10:00:00+03:00",
            apply("s03", "p03", "Тула", "2017-03-31"),
        ),
        (
            "2017-01-24T12:00:00+03:00",
            apply("s04", "p04", "Екатеринбург", "2017-04-05"),
        ),
        (
            "2017-01-25T10:00:00+03:00",
            apply("s05", "p05", "Самара", "2017-04-06"),
        ),
        (
            "2017-01-25T11:00:00+03:00",
            apply("s06", "p06", "Омск", "2017-03-28"),
        ),
        (
            "2017-01-25T15:00:00+03:00",
            apply("s10", "p10", "Краснодар", "2017-03-29"),
        ),
        (
            "2017-01-26T10:00:00+03:00",
            apply("s07", "p07", "Пермь", "2017-04-04"),
        ),
        (
            "2017-01-26T11:00:00+03:00",
            apply("s08", "p08", "Уфа", "2017-04-07"),
        ),
        (
            "2017-01-26T12:00:00+03:00",
            apply("s09", "p09", "Краснодар", "2017-03-27"),
        ),
        (
            "2017-01-26T13:00:00+03:00",
            apply("s11", "p11", "Иркутск", "2017-04-06"),
        ),
        (
            "2017-01-26T14:00:00+03:00",
            apply("s12", "p12", "Москва", "2017-04-08"),
        ),
        ("2017-01-27T12:00:00+03:00", Command::ReviewApplications),
    ];
    // Everyone but the excluded ones sends the program, address and estimate.
    for s in [
        "s01", "s02", "s04", "s05", "s07", "s08", "s09", "s11", "s12",
    ] {
        v.push(("2017-02-14T10:00:00+03:00", submit(s, "program")));
        v.push(("2017-02-15T10:00:00+03:00", approve(s, "program")));
        v.push(("2017-02-16T10:00:00+03:00", submit(s, "postal_address")));
        v.push(("2017-02-16T12:00:00+03:00", approve(s, "postal_address")));
    }
    v.extend([
        // s03: program returned on the deadline day, re-sent a day late (−10).
        ("2017-02-20T10:00:00+03:00", submit("s03", "program")),
        ("2017-02-20T11:00:00+03:00", submit("s03", "postal_address")),
        (
            "2017-02-21T10:00:00+03:00",
            approve("s03", "postal_address"),
        ),
        (
            "2017-02-22T17:00:00+03:00",
            ret(
                "s03",
                "program",
                "Добавьте тезисы к докладу о CRM и перенесите кофе-брейк в середину программы.",
            ),
        ),
        ("2017-02-23T11:00:00+03:00", submit("s03", "program")),
        ("2017-02-24T12:00:00+03:00", approve("s03", "program")),
    ]);
    for s in [
        "s01", "s02", "s03", "s04", "s05", "s07", "s08", "s09", "s11", "s12",
    ] {
        v.push(("2017-02-27T10:00:00+03:00", submit(s, "estimate")));
        v.push(("2017-02-28T10:00:00+03:00", approve(s, "estimate")));
    }
    for s in ["s01", "s02", "s04", "s05", "s08", "s09", "s11", "s12"] {
        v.push(("2017-03-02T10:00:00+03:00", submit(s, "landing")));
    }
    for s in ["s01", "s02", "s04", "s05", "s08", "s09", "s12"] {
        v.push(("2017-03-03T10:00:00+03:00", approve(s, "landing")));
    }
    v.extend([
        // s11: landing returned, re-sent two days late (−20, information support withdrawn).
        (
            "2017-03-03T11:00:00+03:00",
            ret(
                "s11",
                "landing",
                "В форме регистрации нет поля «Откуда вы узнали о семинаре».",
            ),
        ),
        ("2017-03-09T10:00:00+03:00", submit("s11", "landing")),
        ("2017-03-09T15:00:00+03:00", approve("s11", "landing")),
        // s03: landing a day late (−10).
        ("2017-03-08T10:00:00+03:00", submit("s03", "landing")),
        ("2017-03-09T10:00:00+03:00", approve("s03", "landing")),
        // s08 withdraws after the free date: flagged late_withdrawal.
        (
            "2017-03-10T09:00:00+03:00",
            Command::Withdraw {
                seminar: "s08".into(),
            },
        ),
    ]);
    for s in ["s01", "s02", "s03", "s09"] {
        v.push(("2017-03-06T10:00:00+03:00", submit(s, "announcement_plan")));
        v.push(("2017-03-07T10:00:00+03:00", approve(s, "announcement_plan")));
    }
    v.extend([
        (
            "2017-03-14T10:00:00+03:00",
            submit("s04", "announcement_plan"),
        ),
        (
            "2017-03-14T11:00:00+03:00",
            submit("s05", "announcement_plan"),
        ),
        (
            "2017-03-15T10:00:00+03:00",
            submit("s12", "announcement_plan"),
        ),
        (
            "2017-03-15T12:00:00+03:00",
            approve("s12", "announcement_plan"),
        ),
        (
            "2017-03-16T10:00:00+03:00",
            ret(
                "s05",
                "announcement_plan",
                "Укажите бюджет по каждому каналу анонсирования отдельной строкой.",
            ),
        ),
        (
            "2017-03-16T12:00:00+03:00",
            submit("s11", "announcement_plan"),
        ),
        (
            "2017-03-17T10:00:00+03:00",
            approve("s11", "announcement_plan"),
        ),
        // s12: a mispositioned banner (−10, its cost not compensated).
        (
            "2017-03-20T10:00:00+03:00",
            Command::Violation {
                seminar: "s12".into(),
                code: "mispositioning".into(),
                count: 1,
                cost: Some(Kopecks::from_rub(3000)),
                note: Some("Баннер «Конференция 1С-Битрикс» на сайте партнёра".into()),
            },
        ),
    ]);
    // Week 1 seminars have taken place; reports come in.
    v.extend([
        (
            "2017-03-30T10:00:00+03:00",
            Command::Submit {
                seminar: "s01".into(),
                stage: "report".into(),
                report: report(31, 48_000, 50_000),
                files: vec![],
                comment: None,
            },
        ),
        (
            "2017-03-31T10:00:00+03:00",
            Command::AcceptReport {
                seminar: "s01".into(),
            },
        ),
        (
            "2017-04-03T10:00:00+03:00",
            Command::Submit {
                seminar: "s02".into(),
                stage: "report".into(),
                report: report(22, 35_000, 40_000),
                files: vec![],
                comment: None,
            },
        ),
    ]);
    v.sort_by_key(|(at, _)| t(at));
    v.into_iter().map(|(at, c)| (t(at), c)).collect()
}

/// Plays the demo season into `service` (an empty database). Returns the refusals, which a
/// correct demo script never has.
pub async fn load(service: &Service) -> Result<Vec<String>, ServiceError> {
    for p in partners() {
        service.put_partner(&p).await?;
    }
    let mut refused = vec![];
    for (at, cmd) in steps() {
        service.scheduler.tick(at).await?;
        match service.execute(PROGRAM, &cmd, "coordinator:demo", at).await {
            Ok(_) => {}
            Err(ServiceError::Refused(r)) => {
                refused.push(format!("{} {:?}: {}", cmd.name(), cmd.seminar(), r.message))
            }
            Err(e) => return Err(e),
        }
    }
    service.scheduler.tick(t(NOW)).await?;
    Ok(refused)
}

pub fn now() -> DateTime<Utc> {
    t(NOW)
}
