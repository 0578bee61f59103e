//! Exact money and factors: roubles are kept as integer kopecks, factors as decimal
//! fractions parsed from the workflow file (never floats).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// An amount of money in kopecks (1 RUB = 100 kopecks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Kopecks(pub i64);

impl Kopecks {
    pub const ZERO: Kopecks = Kopecks(0);

    pub fn from_rub(rub: i64) -> Kopecks {
        Kopecks(rub.saturating_mul(100))
    }

    /// Multiplies by a decimal factor, rounding half away from zero to a whole kopeck.
    pub fn times(self, f: Factor) -> Kopecks {
        let num = self.0 as i128 * f.num as i128;
        let den = f.den as i128;
        let q = num / den;
        let r = num % den;
        let rounded = if 2 * r.abs() >= den {
            q + num.signum()
        } else {
            q
        };
        Kopecks(rounded as i64)
    }

    pub fn min(self, other: Kopecks) -> Kopecks {
        if self <= other {
            self
        } else {
            other
        }
    }
}

impl fmt::Display for Kopecks {
    /// `48000.00`: roubles with exactly two decimals, as the scenario output wants.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let a = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", a / 100, a % 100)
    }
}

impl FromStr for Kopecks {
    type Err = String;
    /// Accepts `50000`, `50000.5`, `50000.50` (roubles).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let f = Factor::from_str(s).map_err(|_| format!("«{s}» не является суммой в рублях"))?;
        if f.den > 100 && (f.num * 100) % f.den != 0 {
            return Err(format!(
                "«{s}»: в сумме не больше двух знаков после запятой"
            ));
        }
        Ok(Kopecks(f.num * 100 / f.den))
    }
}

impl Serialize for Kopecks {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Kopecks {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Int(i64),
            Str(String),
        }
        match Raw::deserialize(d)? {
            Raw::Int(rub) => Ok(Kopecks::from_rub(rub)),
            Raw::Str(s) => s.parse().map_err(serde::de::Error::custom),
        }
    }
}

/// A non-negative decimal fraction such as `0.5` or `0.10`, kept as `num / den`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Factor {
    pub num: i64,
    pub den: i64,
}

impl Factor {
    pub const ONE: Factor = Factor { num: 1, den: 1 };
    pub const ZERO: Factor = Factor { num: 0, den: 1 };

    /// The product of two factors (exact).
    pub fn then(self, o: Factor) -> Factor {
        Factor {
            num: self.num * o.num,
            den: self.den * o.den,
        }
        .reduced()
    }

    /// `1 - self * n`, floored at zero (e.g. 10 % off per company).
    pub fn one_minus_times(self, n: i64) -> Factor {
        let num = self.den - self.num * n;
        Factor {
            num: num.max(0),
            den: self.den,
        }
        .reduced()
    }

    pub fn is_one(self) -> bool {
        self.num == self.den
    }

    /// Applies the factor to whole points, rounding half up.
    pub fn apply_points(self, points: i64) -> i64 {
        Kopecks(points).times(self).0
    }

    fn reduced(self) -> Factor {
        fn gcd(a: i64, b: i64) -> i64 {
            if b == 0 {
                a.abs().max(1)
            } else {
                gcd(b, a % b)
            }
        }
        let g = gcd(self.num, self.den);
        Factor {
            num: self.num / g,
            den: self.den / g,
        }
    }
}

impl fmt::Display for Factor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.den == 1 {
            return write!(f, "{}", self.num);
        }
        // Denominators come from decimal input, so a short decimal expansion exists.
        let mut den = 1i64;
        let mut digits = 0;
        while den % self.den != 0 && digits < 12 {
            den *= 10;
            digits += 1;
        }
        let num = self.num * (den / self.den);
        write!(f, "{}.{:0width$}", num / den, num % den, width = digits)
    }
}

impl FromStr for Factor {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let bad = || format!("«{s}» не является десятичным числом");
        if t.is_empty() || t.starts_with('-') {
            return Err(bad());
        }
        let (int, frac) = t.split_once('.').unwrap_or((t, ""));
        if int.is_empty()
            || !int.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
            || frac.len() > 9
            || int.len() > 12
        {
            return Err(bad());
        }
        let den = 10i64.pow(frac.len() as u32);
        let num = int.parse::<i64>().map_err(|_| bad())? * den
            + if frac.is_empty() {
                0
            } else {
                frac.parse::<i64>().map_err(|_| bad())?
            };
        Ok(Factor { num, den }.reduced())
    }
}

impl<'de> Deserialize<'de> for Factor {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Int(i64),
            Str(String),
        }
        match Raw::deserialize(d)? {
            Raw::Int(n) if n >= 0 => Ok(Factor { num: n, den: 1 }),
            Raw::Int(n) => Err(serde::de::Error::custom(format!(
                "{n}: множитель не может быть отрицательным"
            ))),
            Raw::Str(s) => s.parse().map_err(serde::de::Error::custom),
        }
    }
}

impl Serialize for Factor {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halving_an_odd_rouble_amount_keeps_the_kopecks() {
        let half: Factor = "0.5".parse().unwrap();
        assert_eq!(
            Kopecks::from_rub(49_999).times(half).to_string(),
            "24999.50"
        );
        assert_eq!(
            Kopecks::from_rub(30_001).times(half).to_string(),
            "15000.50"
        );
    }

    #[test]
    fn a_fraction_of_a_kopeck_rounds_half_up() {
        let half: Factor = "0.5".parse().unwrap();
        assert_eq!(Kopecks(1).times(half), Kopecks(1));
        assert_eq!(Kopecks(3).times("0.1".parse().unwrap()), Kopecks(0));
    }

    #[test]
    fn rouble_amounts_parse_from_text_and_integers() {
        assert_eq!("50000".parse::<Kopecks>().unwrap(), Kopecks(5_000_000));
        assert_eq!("12.5".parse::<Kopecks>().unwrap(), Kopecks(1250));
        assert!("12.345".parse::<Kopecks>().is_err());
        assert!("abc".parse::<Kopecks>().is_err());
    }

    #[test]
    fn ten_percent_off_per_company_for_three_companies_is_seventy_percent() {
        let f: Factor = "0.10".parse().unwrap();
        assert_eq!(f.one_minus_times(3), Factor { num: 7, den: 10 });
        assert_eq!(f.one_minus_times(12), Factor::ZERO);
        assert_eq!(f.one_minus_times(3).to_string(), "0.7");
    }
}
