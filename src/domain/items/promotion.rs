//! Promotion on the vendor site (design §6 B4, E§4.5): a partner's items of the promoted kinds
//! are shown from D − `window_days` to D, at most `max_parallel` at once (the nearest, ties to
//! the earlier application), never on blackout days, a repeated program not before P + the
//! repeat gap. The shown set is recomputed on the days it can change ([`days`]); between them it
//! is constant. Once an item has lost information support no later promotion cause is booked
//! (first cause only, design C9).

use super::details::{Consequence, Span};
use crate::domain::deadline::{local_date, start_of};
use crate::domain::kinds::NotificationKind;
use crate::domain::program::Program;
use crate::domain::schedule::{DueItem, DueKind, Subject, PROMOTION_RANK};
use crate::domain::seminar::{
    Notification, Outcome, Recipient, Seminar, SeminarState, StageStatus,
};
use crate::domain::workflow::{Effect, Promotion, PromotionOrder, Workflow};
use chrono::{DateTime, Duration, Months, NaiveDate, Utc};
use std::cmp::Ordering;
use std::collections::BTreeSet;

/// The days item `s` may be shown: D − window .. D.
pub fn window(p: &Promotion, s: &Seminar) -> Span {
    Span {
        from: s.date - Duration::days(i64::from(p.window_days)),
        to: s.date,
    }
}

fn in_blackout(p: &Promotion, day: NaiveDate) -> bool {
    p.blackouts.iter().any(|b| b.from <= day && day <= b.to)
}

/// Information support still stands on `s`: asked for, no consequence or penalty took it.
pub fn has_info_support(s: &Seminar) -> bool {
    s.item.info_support()
        && !s.penalties.iter().any(|p| {
            p.effects
                .iter()
                .any(|e| matches!(e, Effect::NoInfoSupport | Effect::InfoSupportWithdrawn))
        })
}

/// The promo stage is approved (its materials are ready to publish).
fn promo_ready(p: &Promotion, s: &Seminar) -> bool {
    s.stages
        .get(&p.stage)
        .is_some_and(|st| st.status == StageStatus::Approved)
}

/// The first day a repeat may be shown (a delayed repeat's `from`).
fn repeat_from(p: &Promotion, s: &Seminar) -> Option<NaiveDate> {
    s.item
        .consequences
        .iter()
        .find(|c| c.code == p.codes.repeat)
        .and_then(|c| c.from)
}

/// Whether `s` wants a place in the pool on `day`, every condition but the pool limit met.
pub fn qualifies(p: &Promotion, s: &Seminar, day: NaiveDate) -> bool {
    let w = window(p, s);
    // `held` with its day still ahead of `day`: the clock fired the item's day passing
    // before this (earlier) promotion day, as a batch of the scheduler may.
    let before_the_event = s.state == SeminarState::Preparing
        || (s.state == SeminarState::Held && day <= s.last_day());
    p.kinds.contains(&s.item.kind)
        && before_the_event
        && w.from <= day
        && day <= w.to
        && has_info_support(s)
        && promo_ready(p, s)
        && !in_blackout(p, day)
        && repeat_from(p, s).is_none_or(|f| f <= day)
}

fn by_order(p: &Promotion, a: &Seminar, b: &Seminar) -> Ordering {
    for o in &p.order {
        let c = match o {
            PromotionOrder::Date => a.date.cmp(&b.date),
            PromotionOrder::AppliedAt => a.applied_at.cmp(&b.applied_at),
        };
        if c != Ordering::Equal {
            return c;
        }
    }
    a.id.cmp(&b.id)
}

/// The partner's items shown on `day` and those held back by the pool limit (ids).
pub fn pool(p: &Promotion, items: &[Seminar], day: NaiveDate) -> (Vec<String>, Vec<String>) {
    let mut q: Vec<&Seminar> = items.iter().filter(|s| qualifies(p, s, day)).collect();
    q.sort_by(|a, b| by_order(p, a, b));
    let n = p.max_parallel as usize;
    let ids = |v: &[&Seminar]| v.iter().map(|s| s.id.clone()).collect::<Vec<_>>();
    (ids(&q[..n.min(q.len())]), ids(&q[n.min(q.len())..]))
}

/// The last day `s` stays shown from `day` on if nothing changes: its event date, or the day
/// before the next blackout starts.
fn projected_end(p: &Promotion, s: &Seminar, day: NaiveDate) -> NaiveDate {
    p.blackouts
        .iter()
        .filter(|b| b.from > day && b.from <= s.date)
        .map(|b| b.from - Duration::days(1))
        .min()
        .unwrap_or(s.date)
}

/// Recomputes the shown set of one partner's `items` at 00:00 of `day` (or at a command on that
/// day): spans open, extend and close; an item first held back by the limit gets the `limit`
/// consequence (`promotion_delayed`, its `from` set when it is shown); an item whose date has
/// passed without being shown loses information support instead.
pub fn recompute(prog: &Program, items: &[Seminar], day: NaiveDate) -> Outcome {
    let mut out = Outcome::default();
    let Some(p) = &prog.wf.promotion else {
        return out;
    };
    let at = start_of(prog.tz, day);
    let (shown, held) = pool(p, items, day);
    for s in items.iter().filter(|s| p.kinds.contains(&s.item.kind)) {
        let mut n = s.clone();
        let mut booked = Vec::new();
        if shown.contains(&s.id) {
            let from = n.item.promotion.map_or(day, |sp| sp.from);
            n.item.promotion = Some(Span {
                from,
                to: projected_end(p, s, day),
            });
            n.item.held_back_since = None;
            for c in n.item.consequences.iter_mut() {
                if c.code == p.codes.limit && c.from.is_none() {
                    c.from = Some(day);
                }
            }
        } else if let Some(sp) = n.item.promotion.filter(|sp| sp.to >= day) {
            // Shown until now: bumped, blacked out, withdrawn or lost support.
            let to = day - Duration::days(1);
            n.item.promotion = (to >= sp.from).then_some(Span { from: sp.from, to });
        }
        if held.contains(&s.id) && n.item.promotion.is_none() {
            n.item.held_back_since.get_or_insert(day);
            if !n.item.has_consequence(&p.codes.limit) {
                let c = Consequence::new(&p.codes.limit, vec![Effect::PromotionDelayed], at);
                booked.push(c.clone());
                n.item.consequences.push(c);
            }
        }
        let lost = never_shown(p, &mut n, day);
        n.info_support = has_info_support(&n);
        if n != *s {
            super::apply::consequence_events(&n, &booked, "scheduler", &mut out);
            let why = format!(
                "одновременно на сайте показываются не больше {} ближайших мероприятий партнёра",
                p.max_parallel
            );
            for c in &booked {
                out.notifications.push(support_changed(&n, c, "", &why));
            }
            if let Some(c) = lost {
                let why = "мероприятие прошло, а место в анонсах так и не освободилось";
                out.notifications
                    .push(support_changed(&n, &c, ":never", why));
            }
            out.seminars.push(n);
        }
    }
    out
}

/// Tells the partner that `c` changed the vendor's information support of `s` and `why`
/// (mail only); `suffix` tells apart a second change of the same consequence.
pub(crate) fn support_changed(
    s: &Seminar,
    c: &Consequence,
    suffix: &str,
    why: &str,
) -> Notification {
    let note: Vec<&str> = c.effects.iter().map(|e| e.consequence()).collect();
    Notification {
        key: format!("{}:info_support_changed:{}{suffix}", s.id, c.code),
        kind: NotificationKind::InfoSupportChanged,
        to: Recipient::Partner(s.partner.clone()),
        seminar: s.id.clone(),
        stage: None,
        at: c.at,
        data: serde_json::json!({ "codes": [c.code], "note": note.join("; "), "why": why }),
    }
}

/// A delayed item whose event date has passed without one shown day never had the vendor's
/// support: the delay becomes `no_info_support` (the changed consequence is returned).
fn never_shown(p: &Promotion, s: &mut Seminar, day: NaiveDate) -> Option<Consequence> {
    let mut changed = None;
    if s.date < day && s.item.promotion.is_none() {
        for c in s.item.consequences.iter_mut() {
            if c.code == p.codes.limit && c.effects == [Effect::PromotionDelayed] {
                c.effects = vec![Effect::NoInfoSupport];
                changed = Some(c.clone());
            }
        }
    }
    changed
}

/// The days strictly after `after` on which the partner's shown set can change: window
/// openings, the day after each event, blackout starts and the day after their ends, and the
/// first day of a delayed repeat.
pub fn days(p: &Promotion, items: &[Seminar], after: NaiveDate) -> BTreeSet<NaiveDate> {
    let mut v = BTreeSet::new();
    let candidates = items
        .iter()
        .filter(|s| p.kinds.contains(&s.item.kind) && s.state.is_active());
    for s in candidates {
        let w = window(p, s);
        v.insert(w.from);
        v.insert(w.to + Duration::days(1));
        v.extend(repeat_from(p, s));
        for b in p
            .blackouts
            .iter()
            .filter(|b| b.to >= w.from && b.from <= w.to)
        {
            v.insert(b.from);
            v.insert(b.to + Duration::days(1));
        }
    }
    v.into_iter().filter(|d| *d > after).collect()
}

/// The repeat-gap consequence of approving `s`, a repeat of `earlier` (P = its date): shown
/// from P + gap when that falls inside the window (`promotion_delayed`), no information
/// support when it falls after the event date (design C13). None when it does not apply.
pub fn repeat_consequence(
    wf: &Workflow,
    s: &Seminar,
    earlier: Option<&Seminar>,
    now: DateTime<Utc>,
) -> Option<Consequence> {
    let p = wf.promotion.as_ref()?;
    let earlier = earlier?;
    if p.repeat_gap_months == 0 || !p.kinds.contains(&s.item.kind) || !s.item.info_support() {
        return None;
    }
    let first = earlier
        .last_day()
        .checked_add_months(Months::new(p.repeat_gap_months))?;
    let w = window(p, s);
    if first <= w.from {
        return None;
    }
    if first > w.to {
        return Some(Consequence::new(
            &p.codes.repeat,
            vec![Effect::NoInfoSupport],
            now,
        ));
    }
    let mut c = Consequence::new(&p.codes.repeat, vec![Effect::PromotionDelayed], now);
    c.from = Some(first);
    Some(c)
}

/// The blackout consequence of approving `s`: every window day blacked out → no information
/// support; the window's first days blacked out → shown from the day after (`promotion_delayed`).
/// An event dated inside a blackout gets no information support at all. A blackout over later
/// window days only shortens the span (no consequence).
pub fn blackout_consequence(wf: &Workflow, s: &Seminar, now: DateTime<Utc>) -> Option<Consequence> {
    let p = wf.promotion.as_ref()?;
    if !p.kinds.contains(&s.item.kind) || !s.item.info_support() {
        return None;
    }
    let w = window(p, s);
    // An event dated inside a blackout gets no info support (E§4.5 Decision "blackouts").
    if in_blackout(p, s.date) {
        return Some(Consequence::new(
            &p.codes.blackout,
            vec![Effect::NoInfoSupport],
            now,
        ));
    }
    let mut first = w.from;
    while first <= w.to && in_blackout(p, first) {
        first += Duration::days(1);
    }
    if first == w.from {
        return None;
    }
    if first > w.to {
        return Some(Consequence::new(
            &p.codes.blackout,
            vec![Effect::NoInfoSupport],
            now,
        ));
    }
    let mut c = Consequence::new(&p.codes.blackout, vec![Effect::PromotionDelayed], now);
    c.from = Some(first);
    Some(c)
}

/// At 00:00 of the event date: promo materials never approved while information support
/// still stands cost it (`missing`). None when it does not apply.
pub fn promo_missing(prog: &Program, s: &Seminar, at: DateTime<Utc>) -> Option<Consequence> {
    let p = prog.wf.promotion.as_ref()?;
    let due = s.state == SeminarState::Preparing
        && p.kinds.contains(&s.item.kind)
        && has_info_support(s)
        && !promo_ready(p, s)
        && local_date(prog.tz, at) >= s.date;
    due.then(|| Consequence::new(&p.codes.missing, vec![Effect::NoInfoSupport], at))
}

/// The promotion days of one partner's `items` in the program, strictly after `after`: one due
/// item per day, subject [`Subject::Promotion`], rank [`PROMOTION_RANK`].
pub fn plan(
    prog: &Program,
    partner: &str,
    items: &[Seminar],
    after: DateTime<Utc>,
) -> Vec<DueItem> {
    let Some(p) = &prog.wf.promotion else {
        return vec![];
    };
    let today = local_date(prog.tz, after);
    let subject = Subject::Promotion {
        partner: partner.to_string(),
        program: prog.id().to_string(),
    };
    let mut days: Vec<NaiveDate> = days(p, items, today).into_iter().collect();
    // Today's recomputation too, when its 00:00 is still ahead (planned before midnight).
    if start_of(prog.tz, today) > after {
        days.insert(0, today);
    }
    days.into_iter()
        .map(|date| DueItem {
            key: format!("{}:day:{date}", subject.key()),
            subject: subject.clone(),
            at: start_of(prog.tz, date),
            rank: PROMOTION_RANK,
            kind: DueKind::PromotionDay { date },
        })
        .collect()
}

/// Fires a promotion day: recomputes the shown set of the partner's `items` on its date.
pub fn fire(prog: &Program, items: &[Seminar], item: &DueItem) -> Outcome {
    match &item.kind {
        DueKind::PromotionDay { date } => recompute(prog, items, *date),
        _ => Outcome::default(),
    }
}
