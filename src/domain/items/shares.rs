//! Co-organized items (E§4.14): the compensation is split in proportion to each organizer's
//! documented costs, each share rounded to the kopeck and the last taking the remainder; the
//! points are split equally among the partners who gave the vendor-product talks, the
//! remainder to the first speaker listed. Without co-organizers there are no shares.

use super::details::ItemReport;
use crate::domain::money::{Factor, Kopecks};
use serde::{Deserialize, Serialize};

/// One organizer's part of an item's award.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Share {
    pub partner: String,
    pub points: i64,
    pub compensation: Kopecks,
}

/// The shares of an item led by `lead` with `co` (as announced) for an award of `points` and
/// `compensation`, from the report's costs by partner and speakers. Empty without
/// co-organizers. A partner the report gives no costs for documented none; with no costs at
/// all, or no speakers named, the lead partner gets that part whole.
pub fn split(
    lead: &str,
    co: &[String],
    r: &ItemReport,
    points: i64,
    compensation: Kopecks,
) -> Vec<Share> {
    if co.is_empty() {
        return vec![];
    }
    let mut organizers: Vec<&str> = vec![lead];
    for p in co {
        if !organizers.contains(&p.as_str()) {
            organizers.push(p);
        }
    }
    let costs: Vec<i64> = organizers
        .iter()
        .map(|p| r.costs_by_partner.get(*p).map_or(0, |k| k.0.max(0)))
        .collect();
    let money = by_costs(compensation, &costs);
    let pts = equally(points, &organizers, &r.speakers);
    organizers
        .iter()
        .zip(money)
        .zip(pts)
        .map(|((p, c), n)| Share {
            partner: (*p).to_string(),
            points: n,
            compensation: c,
        })
        .collect()
}

/// `total` in proportion to `costs`, each rounded to the kopeck, the last taking the remainder.
fn by_costs(total: Kopecks, costs: &[i64]) -> Vec<Kopecks> {
    let sum: i64 = costs.iter().sum();
    let mut out = vec![Kopecks::ZERO; costs.len()];
    if sum <= 0 {
        out[0] = total;
        return out;
    }
    let mut given = 0i64;
    for (i, c) in costs.iter().enumerate().take(costs.len() - 1) {
        let part = total.times(Factor { num: *c, den: sum });
        out[i] = part;
        given += part.0;
    }
    out[costs.len() - 1] = Kopecks(total.0 - given);
    out
}

/// `points` equally among the organizers among `speakers`, the remainder to the first listed.
fn equally(points: i64, organizers: &[&str], speakers: &[String]) -> Vec<i64> {
    let mut listed: Vec<&str> = vec![];
    for s in speakers {
        if organizers.contains(&s.as_str()) && !listed.contains(&s.as_str()) {
            listed.push(s);
        }
    }
    if listed.is_empty() {
        listed.push(organizers[0]);
    }
    let n = listed.len() as i64;
    let each = points.div_euclid(n);
    let first_extra = points - each * n;
    organizers
        .iter()
        .map(|p| match listed.iter().position(|l| l == p) {
            Some(0) => each + first_extra,
            Some(_) => each,
            None => 0,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(costs: &[(&str, i64)], speakers: &[&str]) -> ItemReport {
        ItemReport {
            costs_by_partner: costs
                .iter()
                .map(|(p, rub)| ((*p).to_string(), Kopecks::from_rub(*rub)))
                .collect(),
            speakers: speakers.iter().map(|s| (*s).to_string()).collect(),
            ..ItemReport::default()
        }
    }

    #[test]
    fn the_last_share_takes_the_remainder_and_the_first_speaker_the_odd_point() {
        let r = report(
            &[("p1", 10_000), ("p2", 10_000), ("p3", 10_001)],
            &["p3", "p1", "p2"],
        );
        let co = vec!["p2".to_string(), "p3".to_string()];
        let got = split("p1", &co, &r, 40, Kopecks::from_rub(15_000));
        let money: Vec<String> = got.iter().map(|s| s.compensation.to_string()).collect();
        assert_eq!(money, ["4999.83", "4999.83", "5000.34"]);
        let pts: Vec<i64> = got.iter().map(|s| s.points).collect();
        assert_eq!(pts, [13, 13, 14]);
    }

    #[test]
    fn without_co_organizers_there_are_no_shares_and_without_speakers_the_lead_gets_the_points() {
        let r = report(&[], &[]);
        assert!(split("p1", &[], &r, 40, Kopecks::from_rub(100)).is_empty());
        let got = split("p1", &["p2".into()], &r, 40, Kopecks::from_rub(100));
        assert_eq!(got[0].points, 40);
        assert_eq!(got[0].compensation, Kopecks::from_rub(100));
        assert_eq!(got[1].points, 0);
    }
}
