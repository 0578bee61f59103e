//! `credit`, `request`, `decide_request` (S§1.4, S§1.7): points booked at once, or on a vendor
//! review of a request (10 working days).

use crate::domain::kinds::NotificationKind;
use crate::domain::program::Refusal;
use crate::domain::standing::actions::{
    bad_field, codes, notice, opt_int, opt_text, param, refuse, text, working_days_after,
    ActionRecord, Credit, Ctx, Effects, Fields,
};
use crate::domain::standing::PendingReview;
use crate::domain::workflow::{Action, PartnerLedger, Rounding};
use serde_json::Value;

fn ledger<'a>(ctx: &'a Ctx, action: &Action) -> Result<&'a PartnerLedger, Refusal> {
    let id = param(action, "ledger").unwrap_or_default();
    ctx.program
        .ledgers
        .iter()
        .find(|l| l.id == id)
        .ok_or_else(|| bad_field("ledger", &format!("реестра «{id}» нет в программе")))
}

/// A price in kopecks from `price` (roubles, a number or a decimal string).
pub fn price_kopecks(fields: &Fields) -> Result<Option<i64>, Refusal> {
    let Some(v) = fields.get("price") else {
        return Ok(None);
    };
    let k = match v {
        Value::Number(n) if n.is_i64() => n.as_i64().and_then(|r| r.checked_mul(100)),
        Value::Number(n) => n.as_f64().map(|f| (f * 100.0).round() as i64),
        Value::String(s) => s.parse::<crate::domain::Kopecks>().ok().map(|k| k.0),
        _ => None,
    };
    k.filter(|k| *k >= 0)
        .map(Some)
        .ok_or_else(|| bad_field("price", "нужна сумма в рублях"))
}

/// Points for a price: price / divisor, rounded as the ledger says (S§1.4: a half rounds up).
pub fn points_for(l: &PartnerLedger, kopecks: i64) -> i64 {
    let div = i64::from(l.price_divisor.unwrap_or(1).max(1)) * 100;
    // The one rounding a file names (`half_up`) is also the default.
    let _: Option<Rounding> = l.rounding;
    (kopecks + div / 2) / div
}

/// Splits `points` of a joint project between the partner and `joint_with` (S§1.4: halves, the
/// odd point to the contract holder).
pub fn split(ctx: &Ctx, fields: &Fields, points: i64, credit: Credit) -> Vec<Credit> {
    let Some(other) = opt_text(fields, "joint_with") else {
        return vec![credit];
    };
    let half = points / 2;
    let odd = points - 2 * half;
    let holder_is_other = opt_text(fields, "contract_holder") == Some(other);
    let (mine, theirs) = if holder_is_other {
        (half, half + odd)
    } else {
        (half + odd, half)
    };
    let _ = ctx;
    let theirs = Credit {
        partner: other.to_string(),
        points: theirs,
        ..credit.clone()
    };
    vec![
        Credit {
            points: mine,
            ..credit
        },
        theirs,
    ]
}

/// A `points_denied`-like sanction (effect `no_positive_credits`) in force refuses credits.
pub fn denied(ctx: &Ctx, points: i64) -> Result<(), Refusal> {
    let blocks = ctx.program.sanctions.iter().any(|s| {
        s.effect == "no_positive_credits"
            && ctx
                .standing
                .sanctions
                .get(&s.code)
                .is_some_and(|until| until.is_none_or(|u| ctx.now < u))
    });
    if blocks && points > 0 {
        return Err(refuse(
            codes::POINTS_DENIED,
            "начисление баллов приостановлено санкцией",
        ));
    }
    Ok(())
}

pub fn credit(ctx: &Ctx, action: &Action, fields: &Fields) -> Result<Effects, Refusal> {
    let l = ledger(ctx, action)?;
    let kind = text(fields, "kind")?;
    if !l.entry_kinds.is_empty() && !l.entry_kinds.iter().any(|k| k == kind) {
        return Err(bad_field(
            "kind",
            &format!("вида начисления «{kind}» нет в реестре"),
        ));
    }
    let points = match (opt_int(fields, "points")?, price_kopecks(fields)?) {
        (Some(p), None) => p,
        (None, Some(k)) => points_for(l, k),
        _ => {
            return Err(bad_field(
                "points",
                "нужно ровно одно из полей points и price",
            ))
        }
    };
    denied(ctx, points)?;
    let c = Credit {
        partner: ctx.partner.to_string(),
        ledger: l.id.clone(),
        entry_kind: kind.to_string(),
        points,
        reference: opt_text(fields, "note").unwrap_or(&action.name).to_string(),
    };
    Ok(Effects {
        credits: split(ctx, fields, points, c),
        inputs_changed: true,
        ..Effects::default()
    })
}

/// A pending review of `review` for `reference`, due by the file's working days.
pub fn pending(
    ctx: &Ctx,
    review: &str,
    reference: &str,
    timed: bool,
) -> Result<Option<PendingReview>, Refusal> {
    let Some(d) = ctx
        .program
        .vendor_deadlines
        .iter()
        .find(|d| d.review == review)
    else {
        return Ok(None);
    };
    Ok(Some(PendingReview {
        review: review.to_string(),
        reference: reference.to_string(),
        since: ctx.now,
        due: working_days_after(ctx, d.working_days)?,
        timed: timed || !d.only_if_complete,
    }))
}

pub fn request(ctx: &Ctx, action: &Action, fields: &Fields) -> Result<Effects, Refusal> {
    let id = text(fields, "request")?;
    let review = param(action, "review").unwrap_or(&action.name);
    if ctx
        .records
        .iter()
        .any(|r| r.kind == review && r.reference == id)
    {
        return Err(bad_field("request", &format!("запрос «{id}» уже есть")));
    }
    let points =
        opt_int(fields, "points")?.ok_or_else(|| bad_field("points", "нужно число баллов"))?;
    let mut rec = ActionRecord {
        key: format!("{}:{}:{review}:{id}", ctx.program_id, ctx.partner),
        kind: review.to_string(),
        reference: id.to_string(),
        at: ctx.now,
        ..ActionRecord::default()
    };
    for (k, v) in [
        ("state", Value::from("pending")),
        ("points", Value::from(points)),
        (
            "ledger",
            Value::from(param(action, "ledger").unwrap_or_default()),
        ),
        (
            "entry_kind",
            Value::from(param(action, "entry_kind").unwrap_or_default()),
        ),
    ] {
        rec.data.insert(k.into(), v);
    }
    let mut next = ctx.standing.clone();
    next.pending.extend(pending(ctx, review, id, true)?);
    Ok(Effects {
        standing: Some(next),
        records: vec![rec],
        ..Effects::default()
    })
}

pub fn decide_request(ctx: &Ctx, _action: &Action, fields: &Fields) -> Result<Effects, Refusal> {
    let id = text(fields, "request")?;
    let Some(rec) = ctx
        .records
        .iter()
        .find(|r| r.reference == id && r.text("state") == Some("pending"))
    else {
        return Err(refuse(
            codes::UNKNOWN_REQUEST,
            format!("запроса «{id}» нет или он уже решён"),
        ));
    };
    let approve = match text(fields, "outcome")? {
        "approve" => true,
        "refuse" | "reject" => false,
        _ => return Err(bad_field("outcome", "ожидается approve или refuse")),
    };
    let asked = rec.data.get("points").and_then(Value::as_i64).unwrap_or(0);
    let points = opt_int(fields, "points")?.unwrap_or(asked);
    let mut rec = rec.clone();
    let state = if approve { "approved" } else { "refused" };
    rec.data.insert("state".into(), Value::from(state));
    let mut next = ctx.standing.clone();
    next.pending
        .retain(|p| !(p.review == rec.kind && p.reference == id));
    let mut credits = vec![];
    if approve {
        denied(ctx, points)?;
        credits.push(Credit {
            partner: ctx.partner.to_string(),
            ledger: rec.text("ledger").unwrap_or_default().to_string(),
            entry_kind: rec.text("entry_kind").unwrap_or_default().to_string(),
            points,
            reference: id.to_string(),
        });
    }
    let n = notice(
        NotificationKind::PointsRequestDecided,
        false,
        &[
            ("request", Value::from(id)),
            ("outcome", Value::from(state)),
            ("points", Value::from(if approve { points } else { 0 })),
        ],
    );
    Ok(Effects {
        standing: Some(next),
        inputs_changed: approve,
        records: vec![rec],
        credits,
        notices: vec![n],
        ..Effects::default()
    })
}
