//! The program's bonus ledger as the decided ladder sees it (S§2.7): where a purchase's bonus
//! goes, and whether bonuses may pay for a product.

use super::{in_force, INSUFFICIENT_BONUS};
use crate::domain::money::Kopecks;
use crate::domain::program::{refuse, refuse_by_rule, DomainError, RefusalCode};
use crate::domain::standing::outcome::{LedgerEffect, Rules};
use crate::domain::standing::{Standing, StandingState};

/// Where a bonus booked by a purchase goes (S§2.7): credited while the competence is in
/// force, held while the first application is pending (on ledgers that hold), else not
/// credited (`None`).
pub fn bonus_on_purchase(
    r: Rules<'_>,
    s: &Standing,
    ledger: &str,
    amount: Kopecks,
) -> Option<LedgerEffect> {
    let def = r.p.bonus_ledgers.iter().find(|b| b.id == ledger)?;
    let first_pending = s.state == StandingState::Applied;
    if in_force(s) {
        Some(LedgerEffect::Credit {
            ledger: ledger.into(),
            amount,
        })
    } else if first_pending && def.hold_while_first_application {
        Some(LedgerEffect::Hold {
            ledger: ledger.into(),
            amount,
        })
    } else {
        None
    }
}

/// `bonus_spend` on a program bonus ledger: refused with the ledger's `refuse_excluded` for a
/// product outside `spend_only`, `refuse_inactive` when the competence is not in force, and
/// [`INSUFFICIENT_BONUS`] above `balance` (checked in that order).
pub fn bonus_spend(
    r: Rules<'_>,
    s: &Standing,
    ledger: &str,
    product: &str,
    amount: Kopecks,
    balance: Kopecks,
) -> Result<LedgerEffect, DomainError> {
    let Some(def) = r.p.bonus_ledgers.iter().find(|b| b.id == ledger) else {
        return refuse(
            RefusalCode::InvalidInput,
            format!("нет бонусного счёта «{ledger}»"),
        );
    };
    if amount.0 <= 0 {
        return refuse(
            RefusalCode::InvalidInput,
            "сумма оплаты бонусами должна быть больше нуля",
        );
    }
    if !def.spend_only.is_empty() && !def.spend_only.iter().any(|p| p == product) {
        let msg = format!("бонусами нельзя оплатить «{product}»");
        return match &def.refuse_excluded {
            Some(c) => refuse_by_rule(c, msg),
            None => refuse(RefusalCode::InvalidInput, msg),
        };
    }
    if !in_force(s) {
        let msg = "бонусы применяются только при действующей компетенции";
        return match &def.refuse_inactive {
            Some(c) => refuse_by_rule(c, msg),
            None => refuse(RefusalCode::InvalidState, msg),
        };
    }
    if amount.0 > balance.0 {
        return refuse_by_rule(INSUFFICIENT_BONUS, "недостаточно бонусов на счёте");
    }
    Ok(LedgerEffect::Spend {
        ledger: ledger.into(),
        amount,
    })
}
