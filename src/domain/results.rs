//! Results at report acceptance (DOMAIN.md §2.5): organizer points and compensation in kopecks,
//! with the reasons, and the co-organizer split.

use super::money::{Factor, Kopecks};
use super::seminar::{ReportFigures, Seminar, SeminarResult};
use super::workflow::{Effect, Workflow};

/// Points and compensation for seminar `s` with report `r`.
pub fn compute(wf: &Workflow, s: &Seminar, r: &ReportFigures) -> SeminarResult {
    let rules = &wf.results;
    // Each reason is written once, saying whether it speaks of money.
    let mut reasons = Vec::new();
    let mut money_reasons = Vec::new();
    let mut say = |text: String, money: bool| {
        if money {
            money_reasons.push(text.clone());
        }
        reasons.push(text);
    };
    let nullified: Vec<&str> = s
        .penalties
        .iter()
        .filter(|p| {
            p.effects.contains(&Effect::NoPoints) || p.effects.contains(&Effect::NoCompensation)
        })
        .map(|p| p.code.as_str())
        .collect();
    let no_points = s
        .penalties
        .iter()
        .any(|p| p.effects.contains(&Effect::NoPoints));
    let no_comp = s
        .penalties
        .iter()
        .any(|p| p.effects.contains(&Effect::NoCompensation));
    if r.attendees < rules.nothing_below {
        say(
            format!(
                "участников {} — меньше {}: баллы и компенсация не начисляются",
                r.attendees, rules.nothing_below
            ),
            true,
        );
        return SeminarResult {
            points: 0,
            compensation: Kopecks::ZERO,
            reasons,
            money_reasons,
        };
    }
    let minimum = wf.attendance_minimum(&s.city);
    let attendance = if r.attendees < minimum {
        say(
            format!(
                "участников {} при минимуме {} для города {}: баллы и компенсация × {}",
                r.attendees, minimum, s.city, rules.below_minimum_factor
            ),
            true,
        );
        rules.below_minimum_factor
    } else {
        Factor::ONE
    };
    let third_party = if r.third_party_companies > rules.third_party_free_companies {
        let f = rules
            .third_party_reduction_per_company
            .one_minus_times(r.third_party_companies as i64);
        say(
            format!(
                "приглашено компаний-непартнёров: {} (больше {}): компенсация × {}",
                r.third_party_companies, rules.third_party_free_companies, f
            ),
            true,
        );
        f
    } else {
        Factor::ONE
    };
    let points = if no_points {
        say(
            format!("нарушение {}: баллы не начисляются", nullified.join(", ")),
            false,
        );
        0
    } else {
        attendance.apply_points(rules.organizer_points)
    };
    let compensation = if no_comp {
        say(
            format!(
                "нарушение {}: компенсация не выплачивается",
                nullified.join(", ")
            ),
            true,
        );
        Kopecks::ZERO
    } else {
        let estimate = r.estimate.saturating_sub(s.voided);
        let costs = r.costs.saturating_sub(s.voided);
        if s.voided.0 > 0 {
            say(format!("не компенсируется: {} руб.", s.voided), true);
        }
        let base = estimate
            .min(costs)
            .min(rules.compensation_cap)
            .max(Kopecks::ZERO);
        if base == rules.compensation_cap && costs > rules.compensation_cap {
            say(
                format!("компенсация ограничена {} руб.", rules.compensation_cap),
                true,
            );
        }
        // Rounded once, to the kopeck, after both factors.
        base.times(attendance.then(third_party))
    };
    SeminarResult {
        points,
        compensation,
        reasons,
        money_reasons,
    }
}

/// Splits `total` between co-organizers in proportion to each one's documented costs; the sum
/// of the shares is exactly `total` (largest remainders get the odd kopecks).
pub fn split_by_costs(total: Kopecks, costs: &[(String, Kopecks)]) -> Vec<(String, Kopecks)> {
    let sum: i128 = costs.iter().map(|(_, c)| c.0.max(0) as i128).sum();
    if sum == 0 || costs.is_empty() {
        let n = costs.len().max(1) as i64;
        return costs
            .iter()
            .enumerate()
            .map(|(i, (p, _))| {
                (
                    p.clone(),
                    Kopecks(total.0 / n + if (i as i64) < total.0 % n { 1 } else { 0 }),
                )
            })
            .collect();
    }
    let mut shares: Vec<(usize, i64, i128)> = costs
        .iter()
        .enumerate()
        .map(|(i, (_, c))| {
            let exact = total.0 as i128 * c.0.max(0) as i128;
            (i, (exact / sum) as i64, exact % sum)
        })
        .collect();
    let mut left = total.0 - shares.iter().map(|s| s.1).sum::<i64>();
    let mut order: Vec<usize> = (0..shares.len()).collect();
    order.sort_by(|&a, &b| shares[b].2.cmp(&shares[a].2).then(a.cmp(&b)));
    for i in order {
        if left == 0 {
            break;
        }
        shares[i].1 += 1;
        left -= 1;
    }
    shares
        .into_iter()
        .map(|(i, k, _)| (costs[i].0.clone(), Kopecks(k)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn co_organizers_share_compensation_by_documented_costs_to_the_kopeck() {
        let shares = split_by_costs(
            Kopecks(1_000_000),
            &[
                ("a".into(), Kopecks(2_000_000)),
                ("b".into(), Kopecks(1_000_000)),
            ],
        );
        assert_eq!(
            shares,
            vec![
                ("a".into(), Kopecks(666_667)),
                ("b".into(), Kopecks(333_333))
            ]
        );
        let total: i64 = shares.iter().map(|s| s.1 .0).sum();
        assert_eq!(total, 1_000_000);
    }
}
