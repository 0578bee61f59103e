//! Results at report acceptance (DOMAIN.md §2.5): organizer points and compensation in kopecks,
//! with the reasons, and the co-organizer split.

use super::money::{Factor, Kopecks};
use super::seminar::{ReportFigures, Seminar, SeminarResult};
use super::workflow::{Effect, Results, Workflow};

/// Points and compensation for seminar `s` with report `r`.
pub fn compute(wf: &Workflow, s: &Seminar, r: &ReportFigures) -> SeminarResult {
    let rules = &wf.results;
    let mut why = Reasons::default();
    if r.attendees < rules.nothing_below {
        why.say(
            format!(
                "участников {} — меньше {}: баллы и компенсация не начисляются",
                r.attendees, rules.nothing_below
            ),
            true,
        );
        return why.into_result(0, Kopecks::ZERO);
    }
    let attendance = attendance_factor(wf, s, r, &mut why);
    let third_party = third_party_factor(rules, r, &mut why);
    let nullified = Nullified::of(s);
    let points = if nullified.points {
        why.say(
            format!("нарушение {}: баллы не начисляются", nullified.codes()),
            false,
        );
        0
    } else {
        attendance.apply_points(rules.organizer_points)
    };
    let compensation = if nullified.compensation {
        why.say(
            format!(
                "нарушение {}: компенсация не выплачивается",
                nullified.codes()
            ),
            true,
        );
        Kopecks::ZERO
    } else {
        compensation(rules, s, r, attendance.then(third_party), &mut why)
    };
    why.into_result(points, compensation)
}

/// The reasons of a result, in the order the rules apply; each is written once, saying
/// whether it speaks of money.
#[derive(Default)]
struct Reasons {
    all: Vec<String>,
    money: Vec<String>,
}

impl Reasons {
    fn say(&mut self, text: String, money: bool) {
        if money {
            self.money.push(text.clone());
        }
        self.all.push(text);
    }

    fn into_result(self, points: i64, compensation: Kopecks) -> SeminarResult {
        SeminarResult {
            points,
            compensation,
            reasons: self.all,
            money_reasons: self.money,
        }
    }
}

/// The penalties of a seminar that take away its points or its compensation.
struct Nullified<'a> {
    /// Codes of every penalty with either effect.
    by: Vec<&'a str>,
    points: bool,
    compensation: bool,
}

impl<'a> Nullified<'a> {
    fn of(s: &'a Seminar) -> Self {
        let has = |e: Effect| s.penalties.iter().any(|p| p.effects.contains(&e));
        Nullified {
            by: s
                .penalties
                .iter()
                .filter(|p| {
                    p.effects.contains(&Effect::NoPoints)
                        || p.effects.contains(&Effect::NoCompensation)
                })
                .map(|p| p.code.as_str())
                .collect(),
            points: has(Effect::NoPoints),
            compensation: has(Effect::NoCompensation),
        }
    }

    fn codes(&self) -> String {
        self.by.join(", ")
    }
}

/// Below the city's attendance minimum, points and compensation are multiplied down.
fn attendance_factor(wf: &Workflow, s: &Seminar, r: &ReportFigures, why: &mut Reasons) -> Factor {
    let minimum = wf.attendance_minimum(&s.city);
    if r.attendees >= minimum {
        return Factor::ONE;
    }
    let factor = wf.results.below_minimum_factor;
    why.say(
        format!(
            "участников {} при минимуме {} для города {}: баллы и компенсация × {}",
            r.attendees, minimum, s.city, factor
        ),
        true,
    );
    factor
}

/// Each invited non-partner company over the allowance reduces the compensation.
fn third_party_factor(rules: &Results, r: &ReportFigures, why: &mut Reasons) -> Factor {
    if r.third_party_companies <= rules.third_party_free_companies {
        return Factor::ONE;
    }
    let f = rules
        .third_party_reduction_per_company
        .one_minus_times(r.third_party_companies as i64);
    why.say(
        format!(
            "приглашено компаний-непартнёров: {} (больше {}): компенсация × {}",
            r.third_party_companies, rules.third_party_free_companies, f
        ),
        true,
    );
    f
}

/// The estimate that limits the compensation: the compensable total of the estimate the
/// coordinator approved; without one, an estimate total given with the figures (scenario
/// files); without that, the documented costs themselves.
pub fn estimate_cap(s: &Seminar, r: &ReportFigures) -> Kopecks {
    s.estimate
        .as_ref()
        .map(|e| e.cap)
        .or(r.estimate)
        .unwrap_or(r.costs)
}

/// The documented sum (the lesser of estimate and costs, less what is not compensated), capped,
/// times `factor`.
fn compensation(
    rules: &Results,
    s: &Seminar,
    r: &ReportFigures,
    factor: Factor,
    why: &mut Reasons,
) -> Kopecks {
    let estimate = estimate_cap(s, r).saturating_sub(s.voided);
    let costs = r.costs.saturating_sub(s.voided);
    if s.voided.0 > 0 {
        why.say(format!("не компенсируется: {} руб.", s.voided), true);
    }
    if let Some(e) = s.estimate.as_ref().filter(|e| e.cap < r.costs) {
        why.say(
            format!(
                "компенсация не больше согласованной сметы: компенсируемые статьи — {} руб.",
                e.cap
            ),
            true,
        );
    }
    let base = estimate
        .min(costs)
        .min(rules.compensation_cap)
        .max(Kopecks::ZERO);
    if base == rules.compensation_cap && costs > rules.compensation_cap {
        why.say(
            format!("компенсация ограничена {} руб.", rules.compensation_cap),
            true,
        );
    }
    // Rounded once, to the kopeck, after both factors.
    base.times(factor)
}

/// Who gets what of a seminar's result (DOMAIN.md §2.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shares {
    /// The partner credited with the organizer points: the one who gave the vendor-product talks.
    pub points_to: String,
    /// Each organizer's part of the compensation, the seminar's own partner first; the parts
    /// add up to the whole exactly.
    pub compensation: Vec<(String, Kopecks)>,
}

/// Splits the compensation `total` of seminar `s` between its organizers in proportion to each
/// one's documented costs (the seminar's own partner documented what its co-organizers did
/// not), and names who gets the points. Without co-organizers the seminar's partner gets both.
pub fn shares(s: &Seminar, r: &ReportFigures, total: Kopecks) -> Shares {
    let points_to = r
        .vendor_talks_by
        .clone()
        .unwrap_or_else(|| s.partner.clone());
    if r.co_organizers.is_empty() {
        return Shares {
            points_to,
            compensation: vec![(s.partner.clone(), total)],
        };
    }
    let others: i64 = r.co_organizers.iter().map(|c| c.costs.0.max(0)).sum();
    let mut costs = vec![(s.partner.clone(), Kopecks((r.costs.0 - others).max(0)))];
    costs.extend(r.co_organizers.iter().map(|c| (c.partner.clone(), c.costs)));
    Shares {
        points_to,
        compensation: split_by_costs(total, &costs),
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
    use crate::domain::seminar::CoOrganizer;

    fn seminar_of(partner: &str) -> Seminar {
        Seminar {
            id: "s1".into(),
            program: "p".into(),
            partner: partner.into(),
            city: "Тула".into(),
            date: "2017-03-29".parse().unwrap(),
            week: "week1".into(),
            state: crate::domain::SeminarState::Held,
            applied_at: chrono::DateTime::from_timestamp(0, 0).unwrap(),
            decided_at: None,
            info_support: true,
            coordinator: None,
            venue: None,
            stages: Default::default(),
            penalties: vec![],
            voided: Kopecks::ZERO,
            report: None,
            estimate: None,
            result: None,
            item: Default::default(),
            version: 0,
        }
    }

    fn figures(co: &[(&str, i64)], speaker: Option<&str>) -> ReportFigures {
        ReportFigures {
            attendees: 30,
            registrations: 60,
            costs: Kopecks::from_rub(60_000),
            third_party_companies: 0,
            estimate: None,
            co_organizers: co
                .iter()
                .map(|(p, rub)| CoOrganizer {
                    partner: (*p).into(),
                    costs: Kopecks::from_rub(*rub),
                })
                .collect(),
            vendor_talks_by: speaker.map(String::from),
            item: Default::default(),
        }
    }

    fn flagship() -> Workflow {
        let text = include_str!("../../workflows/bitrix24-seminars-2017-spring.toml");
        crate::catalog::parse_workflow(text, "flagship").expect("the shipped workflow parses")
    }

    /// Approves an estimate of 20 000 RUB hall and 4 000 RUB printing (not compensable).
    fn with_estimate(mut s: Seminar, wf: &Workflow) -> Seminar {
        let form = wf
            .estimate
            .as_ref()
            .expect("the flagship has an estimate form");
        let line = |category: &str, rub| crate::domain::estimate::EstimateLine {
            category: category.into(),
            description: "—".into(),
            amount: Kopecks::from_rub(rub),
        };
        s.estimate = Some(crate::domain::estimate::approve(
            form,
            1,
            &[line("hall", 20_000), line("printing", 4_000)],
        ));
        s
    }

    #[test]
    fn the_approved_estimates_compensable_total_caps_the_compensation() {
        let wf = flagship();
        let s = with_estimate(seminar_of("p1"), &wf);
        let r = compute(&wf, &s, &figures(&[], None));
        assert_eq!(r.compensation, Kopecks::from_rub(20_000));
        assert!(
            r.money_reasons
                .iter()
                .any(|m| m.contains("согласованной сметы") && m.contains("20000.00")),
            "{r:?}"
        );
    }

    #[test]
    fn the_approved_estimate_wins_over_a_total_given_with_the_figures() {
        let wf = flagship();
        let s = with_estimate(seminar_of("p1"), &wf);
        let mut f = figures(&[], None);
        f.estimate = Some(Kopecks::from_rub(45_000));
        assert_eq!(compute(&wf, &s, &f).compensation, Kopecks::from_rub(20_000));
        // Without an approved estimate the given total limits; without either, the costs do
        // (and the program's own limit of 50 000).
        let plain = seminar_of("p1");
        assert_eq!(
            compute(&wf, &plain, &f).compensation,
            Kopecks::from_rub(45_000)
        );
        f.estimate = None;
        assert_eq!(
            compute(&wf, &plain, &f).compensation,
            Kopecks::from_rub(50_000)
        );
    }

    #[test]
    fn documented_costs_below_the_approved_estimate_are_what_is_compensated() {
        let wf = flagship();
        let s = with_estimate(seminar_of("p1"), &wf);
        let mut f = figures(&[], None);
        f.costs = Kopecks::from_rub(12_500);
        let r = compute(&wf, &s, &f);
        assert_eq!(r.compensation, Kopecks::from_rub(12_500));
        assert!(
            !r.money_reasons.iter().any(|m| m.contains("сметы")),
            "the estimate did not limit anything: {r:?}"
        );
    }

    #[test]
    fn without_co_organizers_the_seminars_partner_gets_points_and_compensation() {
        let sh = shares(
            &seminar_of("p1"),
            &figures(&[], None),
            Kopecks::from_rub(50_000),
        );
        assert_eq!(sh.points_to, "p1");
        assert_eq!(
            sh.compensation,
            vec![("p1".to_string(), Kopecks::from_rub(50_000))]
        );
    }

    #[test]
    fn the_seminars_partner_documented_what_its_co_organizers_did_not() {
        let sh = shares(
            &seminar_of("p1"),
            &figures(&[("p2", 20_000)], Some("p2")),
            Kopecks::from_rub(50_000),
        );
        assert_eq!(sh.points_to, "p2");
        assert_eq!(
            sh.compensation,
            vec![
                ("p1".to_string(), Kopecks(3_333_333)),
                ("p2".to_string(), Kopecks(1_666_667))
            ]
        );
    }

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
