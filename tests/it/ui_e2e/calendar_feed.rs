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
        assert!(prop("DTSTART").starts_with("DTSTART;VALUE=DATE:"));
        assert!(prop("DTEND").starts_with("DTEND;VALUE=DATE:"));
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
    assert!(program.contains(&"DTSTART;VALUE=DATE:20170222".to_string()));
    assert!(program
        .iter()
        .any(|l| l.contains("22.02.2017 23:59 МСК") && l.contains("Новосибирск")));

    assert_eq!(
        anon.get("/calendar/not-a-token.ics").await.status.as_u16(),
        404
    );
}
