//! Exact money and factors: roubles are kept as integer kopecks, factors as decimal
//! fractions parsed from the workflow file (never floats).
//!
//! Every way money enters — a JSON number or string, a form field, a TOML value, a stored row —
//! goes through one bounded parser: an amount is between 0 and [`Kopecks::MAX`] with at most two
//! decimals, a factor between 0 and [`Factor::MAX_INT`] with at most [`Factor::MAX_DECIMALS`]
//! decimals. Inside those bounds the arithmetic below cannot overflow; sums that could leave
//! them use the `checked_*` methods. So whatever is accepted can be written and read back.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// Why a text or number is not an amount of money (Russian, for the user).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("«{0}» не является суммой в рублях; пример: 48000 или 48000.50")]
    NotANumber(String),
    #[error("«{0}»: сумма не может быть отрицательной")]
    Negative(String),
    #[error("«{0}»: в сумме не больше двух знаков после запятой")]
    TooPrecise(String),
    #[error("«{0}»: сумма больше допустимой ({max} руб.)", max = Kopecks::MAX)]
    TooLarge(String),
}

/// An amount of money in kopecks (1 RUB = 100 kopecks).
///
/// Amounts that come from outside are never negative and never above [`Kopecks::MAX`]; build
/// them with [`Kopecks::new`], [`Kopecks::try_from_rub`] or by parsing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Kopecks(pub i64);

impl Kopecks {
    pub const ZERO: Kopecks = Kopecks(0);
    /// The largest amount anything may hold: one billion roubles. Far above any seminar's
    /// budget, and small enough that no product with a factor or a count overflows.
    pub const MAX: Kopecks = Kopecks(1_000_000_000 * 100);

    /// `k` kopecks when `0 ≤ k ≤ MAX`.
    pub fn new(k: i64) -> Option<Kopecks> {
        (0..=Self::MAX.0).contains(&k).then_some(Kopecks(k))
    }

    /// A whole number of roubles, within the bounds.
    ///
    /// # Errors
    /// Negative or above [`Kopecks::MAX`].
    pub fn try_from_rub(rub: i64) -> Result<Kopecks, MoneyError> {
        if rub < 0 {
            return Err(MoneyError::Negative(rub.to_string()));
        }
        rub.checked_mul(100)
            .and_then(Kopecks::new)
            .ok_or_else(|| MoneyError::TooLarge(rub.to_string()))
    }

    /// Whole roubles for constants and tests; panics outside the bounds.
    pub fn from_rub(rub: i64) -> Kopecks {
        Kopecks::try_from_rub(rub).expect("a rouble constant within Kopecks::MAX")
    }

    /// Whether the amount is within `0..=MAX` (what may be stored).
    pub fn is_valid(self) -> bool {
        Kopecks::new(self.0).is_some()
    }

    /// The sum, if it stays within the bounds.
    pub fn checked_add(self, o: Kopecks) -> Option<Kopecks> {
        self.0.checked_add(o.0).and_then(Kopecks::new)
    }

    /// `self × n`, if it stays within the bounds.
    pub fn checked_times_count(self, n: i64) -> Option<Kopecks> {
        self.0.checked_mul(n).and_then(Kopecks::new)
    }

    /// `self − o`, floored at zero (what is left after voided items).
    pub fn saturating_sub(self, o: Kopecks) -> Kopecks {
        Kopecks(self.0.saturating_sub(o.0).max(0))
    }

    /// Multiplies by a decimal factor, rounding half away from zero to a whole kopeck.
    /// Computed in 128 bits; a result beyond `i64` (impossible within the bounds) saturates.
    pub fn times(self, f: Factor) -> Kopecks {
        let num = self.0 as i128 * f.num as i128;
        let den = f.den.max(1) as i128;
        let q = num / den;
        let r = num % den;
        let rounded = if 2 * r.abs() >= den {
            q + num.signum()
        } else {
            q
        };
        Kopecks(rounded.clamp(i64::MIN as i128, i64::MAX as i128) as i64)
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

/// Splits `12.50` into its digits: `("12", "50")`; `None` unless it is digits with at most one
/// point (no sign, no exponent, nothing else).
fn decimal_parts(t: &str) -> Option<(&str, &str)> {
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    (!int.is_empty() && digits(int) && digits(frac)).then_some((int, frac))
}

/// The value of a digit string with leading zeros ignored, if it is at most `max_digits` long.
fn small_int(digits: &str, max_digits: usize) -> Option<i64> {
    let d = digits.trim_start_matches('0');
    if d.len() > max_digits {
        return None;
    }
    if d.is_empty() {
        return Some(0);
    }
    d.parse().ok()
}

impl FromStr for Kopecks {
    type Err = MoneyError;
    /// Accepts `50000`, `50000.5`, `50000.50` (roubles); trailing zeros after the kopecks are
    /// fine (`1.500`), a fraction of a kopeck is not.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let shown: String = t.chars().take(40).collect();
        if let Some(rest) = t.strip_prefix('-') {
            if decimal_parts(rest).is_some() {
                return Err(MoneyError::Negative(shown));
            }
        }
        let Some((int, frac)) = decimal_parts(t) else {
            return Err(MoneyError::NotANumber(shown));
        };
        let kop_digits = frac.get(..2.min(frac.len())).unwrap_or("");
        if frac.len() > 2 && !frac[2..].bytes().all(|b| b == b'0') {
            return Err(MoneyError::TooPrecise(shown));
        }
        // 1e9 RUB has 10 digits: anything longer is too large without computing it.
        let rub = small_int(int, 10).ok_or_else(|| MoneyError::TooLarge(shown.clone()))?;
        let kop = format!("{kop_digits:0<2}")
            .parse::<i64>()
            .map_err(|_| MoneyError::NotANumber(shown.clone()))?;
        rub.checked_mul(100)
            .and_then(|k| k.checked_add(kop))
            .and_then(Kopecks::new)
            .ok_or(MoneyError::TooLarge(shown))
    }
}

impl Serialize for Kopecks {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Kopecks {
    /// A JSON/TOML integer of roubles or a string as [`FromStr`] reads it; never a float.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Kopecks;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("сумму в рублях: целое число или строку вида \"48000.50\"")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Kopecks, E> {
                Kopecks::try_from_rub(v).map_err(E::custom)
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Kopecks, E> {
                let v =
                    i64::try_from(v).map_err(|_| E::custom(MoneyError::TooLarge(v.to_string())))?;
                Kopecks::try_from_rub(v).map_err(E::custom)
            }
            fn visit_i128<E: serde::de::Error>(self, v: i128) -> Result<Kopecks, E> {
                match i64::try_from(v) {
                    Ok(v) => self.visit_i64(v),
                    Err(_) if v < 0 => Err(E::custom(MoneyError::Negative(v.to_string()))),
                    Err(_) => Err(E::custom(MoneyError::TooLarge(v.to_string()))),
                }
            }
            fn visit_u128<E: serde::de::Error>(self, v: u128) -> Result<Kopecks, E> {
                self.visit_i128(i128::try_from(v).unwrap_or(i128::MAX))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Kopecks, E> {
                Err(E::custom(format!(
                    "{v}: дробную сумму передайте строкой, например \"48000.50\""
                )))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Kopecks, E> {
                v.parse().map_err(E::custom)
            }
        }
        d.deserialize_any(V)
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
    /// The largest whole part a factor may have.
    pub const MAX_INT: i64 = 1000;
    /// The most decimals a factor may have.
    pub const MAX_DECIMALS: usize = 6;

    /// The product of two factors (exact, computed in 128 bits; reduced). Two factors within
    /// the parse bounds always fit; beyond that the result saturates rather than wraps.
    pub fn then(self, o: Factor) -> Factor {
        let num = self.num as i128 * o.num as i128;
        let den = self.den as i128 * o.den as i128;
        let g = gcd128(num, den);
        let (num, den) = (num / g, den / g);
        match (i64::try_from(num), i64::try_from(den)) {
            (Ok(num), Ok(den)) => Factor { num, den },
            _ => Factor {
                num: (num / den).clamp(0, i64::MAX as i128) as i64,
                den: 1,
            },
        }
    }

    /// `1 - self * n`, floored at zero (e.g. 10 % off per company).
    pub fn one_minus_times(self, n: i64) -> Factor {
        let off = self.num as i128 * n.max(0) as i128;
        let num = (self.den as i128 - off).max(0) as i64;
        Factor { num, den: self.den }.reduced()
    }

    pub fn is_one(self) -> bool {
        self.num == self.den
    }

    /// Applies the factor to whole points, rounding half up.
    pub fn apply_points(self, points: i64) -> i64 {
        Kopecks(points).times(self).0
    }

    fn reduced(self) -> Factor {
        let g = gcd128(self.num as i128, self.den as i128) as i64;
        Factor {
            num: self.num / g,
            den: self.den / g,
        }
    }
}

fn gcd128(a: i128, b: i128) -> i128 {
    let (mut a, mut b) = (a.abs(), b.abs());
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.max(1)
}

impl fmt::Display for Factor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.den == 1 {
            return write!(f, "{}", self.num);
        }
        // Denominators come from decimal input, so a short decimal expansion exists.
        let mut den = 1i128;
        let mut digits = 0;
        while den % self.den as i128 != 0 && digits < 18 {
            den *= 10;
            digits += 1;
        }
        let num = self.num as i128 * (den / self.den as i128);
        write!(f, "{}.{:0width$}", num / den, num % den, width = digits)
    }
}

impl FromStr for Factor {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let shown: String = t.chars().take(40).collect();
        let bad = || format!("«{shown}» не является неотрицательным десятичным числом");
        let Some((int, frac)) = decimal_parts(t) else {
            return Err(bad());
        };
        let frac = frac.trim_end_matches('0');
        if frac.len() > Factor::MAX_DECIMALS {
            return Err(format!(
                "«{shown}»: у множителя не больше {} знаков после запятой",
                Factor::MAX_DECIMALS
            ));
        }
        let whole = small_int(int, 4)
            .filter(|w| *w <= Factor::MAX_INT)
            .ok_or_else(|| format!("«{shown}»: множитель больше {}", Factor::MAX_INT))?;
        let den = 10i64.pow(frac.len() as u32);
        let part = if frac.is_empty() {
            0
        } else {
            frac.parse::<i64>().map_err(|_| bad())?
        };
        // whole ≤ 1000 and den ≤ 10^6: no overflow.
        Ok(Factor {
            num: whole * den + part,
            den,
        }
        .reduced())
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
            Raw::Int(n) if (0..=Factor::MAX_INT).contains(&n) => Ok(Factor { num: n, den: 1 }),
            Raw::Int(n) if n < 0 => Err(serde::de::Error::custom(format!(
                "{n}: множитель не может быть отрицательным"
            ))),
            Raw::Int(n) => Err(serde::de::Error::custom(format!(
                "{n}: множитель больше {}",
                Factor::MAX_INT
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
        assert_eq!("12.500".parse::<Kopecks>().unwrap(), Kopecks(1250));
        assert!("12.345".parse::<Kopecks>().is_err());
        assert!("abc".parse::<Kopecks>().is_err());
    }

    #[test]
    fn amounts_outside_zero_to_a_billion_roubles_are_refused_at_every_parse() {
        for bad in [
            "-5",
            "-0.01",
            "1000000000.01",
            "1000000000000",
            "520396698329.28654848",
            "745934535356.382064640",
            "99999999999999999999999999",
            "1e5",
            "+5",
            " ",
        ] {
            assert!(bad.parse::<Kopecks>().is_err(), "{bad} parsed");
        }
        assert_eq!("1000000000".parse::<Kopecks>(), Ok(Kopecks::MAX));
        assert_eq!("0007.10".parse::<Kopecks>(), Ok(Kopecks(710)));
        for bad in [
            "-5",
            "1000000001",
            "1000000000000",
            "18446744073709551615",
            "1.5",
        ] {
            assert!(
                serde_json::from_str::<Kopecks>(bad).is_err(),
                "JSON {bad} parsed"
            );
        }
        assert_eq!(serde_json::from_str::<Kopecks>("5").unwrap(), Kopecks(500));
    }

    #[test]
    fn every_displayed_valid_amount_parses_back_equal() {
        for k in [0, 1, 99, 100, 4_800_050, Kopecks::MAX.0] {
            let k = Kopecks(k);
            assert_eq!(k.to_string().parse::<Kopecks>(), Ok(k));
            let json = serde_json::to_string(&k).unwrap();
            assert_eq!(serde_json::from_str::<Kopecks>(&json).unwrap(), k);
        }
    }

    #[test]
    fn factors_are_bounded_and_never_overflow() {
        assert!("745934535356.382064640".parse::<Factor>().is_err());
        assert!("1000.0000001".parse::<Factor>().is_err());
        assert!("1001".parse::<Factor>().is_err());
        assert!("-0.5".parse::<Factor>().is_err());
        let big: Factor = "999.999999".parse().unwrap();
        let p = big.then(big).then(big);
        assert!(p.num > 0 && p.den > 0);
        assert_eq!("0.500000".parse::<Factor>(), Ok(Factor { num: 1, den: 2 }));
        assert_eq!(
            "0.10".parse::<Factor>().unwrap().one_minus_times(i64::MAX),
            Factor::ZERO
        );
    }

    #[test]
    fn ten_percent_off_per_company_for_three_companies_is_seventy_percent() {
        let f: Factor = "0.10".parse().unwrap();
        assert_eq!(f.one_minus_times(3), Factor { num: 7, den: 10 });
        assert_eq!(f.one_minus_times(12), Factor::ZERO);
        assert_eq!(f.one_minus_times(3).to_string(), "0.7");
    }
}
