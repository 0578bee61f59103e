//! The calendar feed: valid RFC 5545 with every deadline of the user's seminars.

use super::demo_app;

/// Unfolds RFC 5545 content lines, checking CRLF endings and the 75-octet limit on the way.
fn unfold(ics: &str) -> Vec<String> {
    assert!(ics.ends_with("\r\n"), "the feed ends with CRLF");
    let mut lines: Vec<String> = vec![];
    for physical in ics.split("\r\n").filter(|l| !l.is_empty()) {
        assert!(
            !physical.contains('\n') && !physical.contains('\r'),
            "bare LF or CR: {physical:?}"
        );
        assert!(
            physical.len() <= 75,
            "{} octets: {physical:?}",
            physical.len()
        );
        if let Some(rest) = physical.strip_prefix(' ') {
            lines
                .last_mut()
                .expect("a folded line continues one")
                .push_str(rest);
        } else {
            lines.push(physical.to_string());
        }
    }
    lines
}

/// True when every `,` and `;` in a TEXT value is escaped with a backslash.
fn escaped(value: &str) -> bool {
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        let ok = match c {
            '\\' => matches!(chars.next(), Some('\\' | ',' | ';' | 'n' | 'N')),
            ',' | ';' => false,
            _ => true,
        };
        if !ok {
            return false;
        }
    }
    true
}

#[tokio::test]
async fn the_calendar_feed_is_valid_rfc5545_with_every_deadline() {
    let (app, _) = demo_app().await;
    let store = &app.state.service.store;
    let user = store
        .user_by_email("p01@demo.local")
        .await
        .unwrap()
        .unwrap();
    let token = user.ics_token.clone().unwrap();
    let anon = app.anonymous();
    let r = anon
        .get(&format!("/calendar/{token}.ics"))
        .await
        .expect(200);
    assert!(
        r.content_type().starts_with("text/calendar"),
        "{}",
        r.content_type()
    );
    let lines = unfold(&r.text());
    assert_eq!(lines.first().map(String::as_str), Some("BEGIN:VCALENDAR"));
    assert_eq!(lines.last().map(String::as_str), Some("END:VCALENDAR"));
    assert!(lines.iter().any(|l| l == "VERSION:2.0"));
    assert!(lines.iter().any(|l| l.starts_with("PRODID:")));

    let mut events = vec![];
    let mut current: Option<Vec<String>> = None;
    for l in &lines {
        match l.as_str() {
            "BEGIN:VEVENT" => current = Some(vec![]),
            "END:VEVENT" => events.push(current.take().expect("END:VEVENT closes an event")),
            _ => {
                if let Some(c) = current.as_mut() {
                    c.push(l.clone());
                }
            }
        }
    }
    // s01 (Новосибирск, p01): the seminar day and its 7 stages.
    assert_eq!(events.len(), 8, "{lines:#?}");
    let mut uids = std::collections::BTreeSet::new();
    for e in &events {
        let prop = |name: &str| {
            e.iter()
                .find(|l| l.starts_with(&format!("{name}:")) || l.starts_with(&format!("{name};")))
                .unwrap_or_else(|| panic!("{name} missing in {e:#?}"))
                .clone()
        };
        assert!(uids.insert(prop("UID")), "UIDs are unique");
        assert!(
            prop("DTSTAMP").len() == "DTSTAMP:20170404T090000Z".len()
                && prop("DTSTAMP").ends_with('Z')
        );
        let day = prop("DTSTART").starts_with("DTSTART;VALUE=DATE:")
            && prop("DTEND").starts_with("DTEND;VALUE=DATE:");
        let timed = prop("DTSTART").starts_with("DTSTART;TZID=Europe/Moscow:")
            && prop("DTSTART").ends_with("T230000")
            && prop("DTEND").starts_with("DTEND;TZID=Europe/Moscow:")
            && prop("DTEND").ends_with("T235900");
        assert!(day || timed, "{e:#?}");
        assert!(
            prop("UID").ends_with("@seminarflow") && !prop("UID").contains("127.0.0.1"),
            "UIDs do not depend on the host: {}",
            prop("UID")
        );
        for name in ["SUMMARY", "DESCRIPTION"] {
            let line = prop(name);
            let value = &line[name.len() + 1..];
            assert!(escaped(value), "unescaped separator in {line:?}");
        }
    }
    let program = events
        .iter()
        .find(|e| {
            e.iter()
                .any(|l| l.starts_with("SUMMARY:Срок: Программа семинара"))
        })
        .expect("the program deadline is in the feed");
    assert!(program.contains(&"DTSTART;TZID=Europe/Moscow:20170222T230000".to_string()));
    assert!(program.contains(&"DTEND;TZID=Europe/Moscow:20170222T235900".to_string()));
    // Reminders at 10:00 Moscow: three working days before Wed 22.02 (Tue 21, Mon 20, Fri 17 →
    // 17.02, 5 days 13 hours before the 23:00 start) and the day before (21.02).
    let triggers: Vec<&String> = program
        .iter()
        .filter(|l| l.starts_with("TRIGGER:"))
        .collect();
    assert_eq!(
        triggers,
        vec!["TRIGGER:-P5DT13H", "TRIGGER:-P1DT13H"],
        "{program:#?}"
    );
    assert!(program
        .iter()
        .any(|l| l.contains("22.02.2017 23:59 МСК") && l.contains("Новосибирск")));

    real_parser_reads(&r.text());

    // "Only my seminars": an admin with no partners assigned sees none of them there, all of
    // them in the full feed.
    let admin = store.users_by_roles(&["admin"]).await.unwrap();
    let admin_token = admin[0].ics_token.clone().expect("admins have a feed");
    let count = |ics: String| ics.matches("BEGIN:VEVENT").count();
    let all = count(
        anon.get(&format!("/calendar/{admin_token}.ics"))
            .await
            .expect(200)
            .text(),
    );
    let mine = anon
        .get(&format!("/calendar/{admin_token}.ics?mine=1"))
        .await
        .expect(200)
        .text();
    assert!(all > 8, "{all}");
    assert_eq!(count(mine.clone()), 0);
    assert!(mine.contains("X-WR-CALNAME:Сроки моих семинаров"));

    assert_eq!(
        anon.get("/calendar/not-a-token.ics").await.status.as_u16(),
        404
    );
}

/// The feed through a real iCalendar parser (the `icalendar` crate): it parses, every timed
/// event names a zone the feed defines in a `VTIMEZONE`, every alarm is well formed, and the
/// deadline's end is 23:59 Moscow time as an instant.
fn real_parser_reads(ics: &str) {
    use chrono::TimeZone;
    use icalendar::{Component, DatePerhapsTime};
    let unfolded = icalendar::parser::unfold(ics);
    let parsed = icalendar::parser::read_calendar(&unfolded).expect("a parser reads the feed");
    let zones: Vec<String> = parsed
        .components
        .iter()
        .filter(|c| c.name == "VTIMEZONE")
        .map(|c| c.find_prop("TZID").expect("a TZID").val.to_string())
        .collect();
    assert_eq!(zones, vec!["Europe/Moscow".to_string()]);
    let tz = parsed
        .components
        .iter()
        .find(|c| c.name == "VTIMEZONE")
        .unwrap();
    let standard = tz
        .components
        .iter()
        .find(|c| c.name == "STANDARD")
        .expect("a STANDARD part");
    assert_eq!(
        standard.find_prop("TZOFFSETTO").unwrap().val.as_ref(),
        "+0300"
    );
    let mut alarms = 0;
    for ev in parsed.components.iter().filter(|c| c.name == "VEVENT") {
        for a in ev.components.iter().filter(|c| c.name == "VALARM") {
            alarms += 1;
            assert_eq!(a.find_prop("ACTION").unwrap().val.as_ref(), "DISPLAY");
            assert!(a.find_prop("DESCRIPTION").is_some());
            assert!(a
                .find_prop("TRIGGER")
                .unwrap()
                .val
                .as_ref()
                .starts_with("-P"));
        }
    }
    assert!(alarms >= 14, "two reminders per deadline: {alarms}");

    let cal: icalendar::Calendar = ics.parse().expect("the crate's calendar type reads it");
    let deadline = cal
        .components
        .iter()
        .filter_map(|c| c.as_event())
        .find(|e| {
            e.get_summary()
                .is_some_and(|s| s.starts_with("Срок: Программа семинара"))
        })
        .expect("the program deadline");
    match deadline.get_end() {
        Some(DatePerhapsTime::DateTime(icalendar::CalendarDateTime::WithTimezone {
            date_time,
            tzid,
        })) => {
            let tz: chrono_tz::Tz = tzid.parse().unwrap();
            let end = tz.from_local_datetime(&date_time).unwrap();
            assert_eq!(end.to_rfc3339(), "2017-02-22T23:59:00+03:00");
        }
        other => panic!("a zoned end, not {other:?}"),
    }
}

/// A leaked feed address is replaced from the profile page: the old one stops working at once,
/// the new one works, and the audit log says who did it.
#[tokio::test]
async fn a_new_calendar_link_replaces_the_old_one() {
    let (app, creds) = demo_app().await;
    let email = "p01@demo.local";
    let c = super::form_login(&app, email, &super::password_of(&creds, email)).await;
    let page = c.get("/account").await.expect(200).text();
    assert!(page.contains("action=\"/account/calendar-link\""), "{page}");
    assert!(page.contains("data-copy=\"#ics\""));
    let old = app
        .state
        .service
        .store
        .user_by_email(email)
        .await
        .unwrap()
        .unwrap()
        .ics_token
        .unwrap();
    let anon = app.anonymous();
    anon.get(&format!("/calendar/{old}.ics")).await.expect(200);
    let token = super::csrf_of(&page);
    let r = c
        .send(
            c.request(reqwest::Method::POST, "/account/calendar-link")
                .form(&[("_csrf", token.as_str())]),
        )
        .await
        .expect(200);
    assert!(
        r.text().contains("Выдана новая ссылка на календарь"),
        "{}",
        r.text()
    );
    let new = app
        .state
        .service
        .store
        .user_by_email(email)
        .await
        .unwrap()
        .unwrap()
        .ics_token
        .unwrap();
    assert_ne!(new, old);
    assert_eq!(
        anon.get(&format!("/calendar/{old}.ics"))
            .await
            .status
            .as_u16(),
        404
    );
    anon.get(&format!("/calendar/{new}.ics")).await.expect(200);
    let events = app.state.service.store.events(None).await.unwrap();
    let renewed = events
        .iter()
        .find(|e| e.kind == "calendar_link_renewed")
        .expect("an audit event");
    assert_eq!(renewed.actor, format!("partner:{email}"));
    assert!(
        !renewed.data.to_string().contains(&new),
        "the token is not logged"
    );
}
