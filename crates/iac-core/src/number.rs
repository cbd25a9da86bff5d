//! Numbers as Terraform has them: cty's numbers are Go `big.Float`s, 512
//! bits of mantissa for every literal, variable and state value, rounded to
//! nearest-even, and printed as the shortest decimal that reads back as the
//! same number at the number's own precision (`Text('f', -1)`).
//!
//! [`Number`] keeps the common cases compact and fast: an exact integer in
//! an `i64`, a float64 result (what Terraform's `pow`, `log` and friends
//! give: 53 bits, as Go's `math` package computes them) in an `f64`, and
//! everything else (integers beyond 64 bits, decimals such as `0.1`,
//! quotients such as `1/3`) in a boxed binary big float (`Big`) with the
//! same semantics as Go's: a mantissa of at most `prec` bits, results
//! rounded to the larger precision of the operands, half to even. Integers
//! count as 512-bit numbers (as Terraform's literals, variables and state
//! values are), float64 results as 53-bit ones.
//!
//! Non-finite numbers (`1/0` is `+Inf` in Terraform's console) are kept in
//! the `f64` form so callers can refuse them where Terraform does (state,
//! plans, outputs).

use std::cmp::Ordering;
use std::fmt;

use num_bigint::{BigInt, BigUint, Sign};
use num_integer::Integer;
use num_traits::{One, ToPrimitive, Zero};

/// The precision of Terraform's numbers, in bits of mantissa.
pub const PRECISION: u32 = 512;
/// The precision of a float64.
const F64_PRECISION: u32 = 53;
/// Decimal exponents beyond this are refused when parsing: a literal such
/// as `1e999999999` would otherwise cost unbounded time and memory.
const MAX_DECIMAL_EXPONENT: i64 = 100_000;

/// A number of the stack language. Equality is numeric (`1 == 1.0`, `0 ==
/// -0`); a float64 result compares with a big number at 53 bits (so a value
/// that went through a float64, such as a provider's or a stored `pow`
/// result, equals the number it came from).
#[derive(Clone)]
pub struct Number(Repr);

#[derive(Clone)]
enum Repr {
    /// An exact integer (counted as a 512-bit number).
    Int(i64),
    /// A float64 result (53 bits): never an integer below 2^53 (those are
    /// `Int`), possibly -0 or non-finite.
    Float(f64),
    Big(Box<Big>),
}

/// A binary big float: `(-1)^neg * mant * 2^exp`, `mant` odd (or zero, with
/// `exp` 0) and at most `prec` bits long.
#[derive(Clone, Debug, PartialEq)]
struct Big {
    neg: bool,
    mant: BigUint,
    exp: i64,
    prec: u32,
}

/// Why a text is not a number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseNumberError {
    #[error("{0:?} is not a number")]
    Invalid(String),
    #[error("{0:?} is out of the range of numbers")]
    OutOfRange(String),
}

impl Big {
    /// Rounds `mant * 2^exp` (with `sticky`: something nonzero below the
    /// last bit of `mant`) to `prec` bits, half to even, and normalizes.
    fn round(neg: bool, mut mant: BigUint, mut exp: i64, prec: u32, sticky: bool) -> Big {
        let bits = mant.bits();
        if bits > u64::from(prec) {
            let shift = bits - u64::from(prec);
            let half = mant.bit(shift - 1);
            let below = sticky || (shift > 1 && mant.trailing_zeros().is_some_and(|t| t < shift - 1));
            mant >>= shift;
            exp += shift as i64;
            if half && (below || mant.bit(0)) {
                mant += 1u32;
                if mant.bits() > u64::from(prec) {
                    mant >>= 1;
                    exp += 1;
                }
            }
        }
        if mant.is_zero() {
            return Big { neg, mant, exp: 0, prec };
        }
        let tz = mant.trailing_zeros().unwrap_or(0);
        if tz > 0 {
            mant >>= tz;
            exp += tz as i64;
        }
        Big { neg, mant, exp, prec }
    }

    fn from_i64(i: i64, prec: u32) -> Big {
        Big::round(i < 0, BigUint::from(i.unsigned_abs()), 0, prec, false)
    }

    fn from_bigint(i: &BigInt, prec: u32) -> Big {
        Big::round(i.sign() == Sign::Minus, i.magnitude().clone(), 0, prec, false)
    }

    /// A finite f64, exactly, with 53 bits of precision.
    fn from_f64(f: f64) -> Big {
        let bits = f.to_bits();
        let neg = bits >> 63 == 1;
        let e = ((bits >> 52) & 0x7ff) as i64;
        let frac = bits & ((1u64 << 52) - 1);
        let (m, exp) = if e == 0 { (frac, -1074) } else { (frac | (1u64 << 52), e - 1075) };
        Big::round(neg, BigUint::from(m), exp, F64_PRECISION, false)
    }

    fn is_zero(&self) -> bool {
        self.mant.is_zero()
    }

    /// The exponent of the value's top bit plus one (0 for zero).
    fn top(&self) -> i64 {
        if self.is_zero() {
            i64::MIN
        } else {
            self.exp + self.mant.bits() as i64
        }
    }

    fn neg(mut self) -> Big {
        self.neg = !self.neg;
        self
    }

    fn cmp_abs(&self, other: &Big) -> Ordering {
        match (self.is_zero(), other.is_zero()) {
            (true, true) => return Ordering::Equal,
            (true, false) => return Ordering::Less,
            (false, true) => return Ordering::Greater,
            _ => {}
        }
        match self.top().cmp(&other.top()) {
            Ordering::Equal => {}
            o => return o,
        }
        let e = self.exp.min(other.exp);
        (&self.mant << (self.exp - e) as u64).cmp(&(&other.mant << (other.exp - e) as u64))
    }

    fn cmp(&self, other: &Big) -> Ordering {
        if self.is_zero() && other.is_zero() {
            return Ordering::Equal;
        }
        let sign = |b: &Big| {
            if b.is_zero() {
                0
            } else if b.neg {
                -1
            } else {
                1
            }
        };
        match sign(self).cmp(&sign(other)) {
            Ordering::Equal => {}
            o => return o,
        }
        let o = self.cmp_abs(other);
        if self.neg {
            o.reverse()
        } else {
            o
        }
    }

    fn add(&self, other: &Big, prec: u32) -> Big {
        if other.is_zero() {
            if self.is_zero() {
                // -0 + -0 is -0; any other sum of zeros is +0.
                return Big { neg: self.neg && other.neg, mant: BigUint::zero(), exp: 0, prec };
            }
            return Big::round(self.neg, self.mant.clone(), self.exp, prec, false);
        }
        if self.is_zero() {
            return Big::round(other.neg, other.mant.clone(), other.exp, prec, false);
        }
        // An operand far below the other's last kept bit only matters as a
        // sticky bit: stand it in by a single bit there, so the shift below
        // stays bounded.
        let (a, b) = if self.cmp_abs(other) == Ordering::Less { (other, self) } else { (self, other) };
        let limit = a.top() - i64::from(prec) - 4;
        let small;
        let b = if b.top() < limit {
            small = Big { neg: b.neg, mant: BigUint::one(), exp: limit - 1, prec: b.prec };
            &small
        } else {
            b
        };
        let e = a.exp.min(b.exp);
        let ma = &a.mant << (a.exp - e) as u64;
        let mb = &b.mant << (b.exp - e) as u64;
        if a.neg == b.neg {
            Big::round(a.neg, ma + mb, e, prec, false)
        } else {
            // |a| >= |b|; an exact zero difference is +0.
            let d = ma - mb;
            let neg = if d.is_zero() { false } else { a.neg };
            Big::round(neg, d, e, prec, false)
        }
    }

    fn mul(&self, other: &Big, prec: u32) -> Big {
        Big::round(self.neg != other.neg, &self.mant * &other.mant, self.exp + other.exp, prec, false)
    }

    /// `self / other`; `other` is not zero.
    fn quo(&self, other: &Big, prec: u32) -> Big {
        let neg = self.neg != other.neg;
        if self.is_zero() {
            return Big { neg, mant: BigUint::zero(), exp: 0, prec };
        }
        let want = i64::from(prec) + 2 + other.mant.bits() as i64 - self.mant.bits() as i64;
        let s = want.max(0);
        let (q, r) = (&self.mant << s as u64).div_rem(&other.mant);
        Big::round(neg, q, self.exp - other.exp - s, prec, !r.is_zero())
    }

    /// The integer part, toward zero.
    fn trunc(&self) -> BigInt {
        let m = if self.exp >= 0 { &self.mant << self.exp as u64 } else { &self.mant >> (-self.exp) as u64 };
        BigInt::from_biguint(if self.neg { Sign::Minus } else { Sign::Plus }, m)
    }

    fn is_integer(&self) -> bool {
        self.exp >= 0 || self.is_zero()
    }

    /// The nearest f64 (infinite beyond its range).
    fn to_f64(&self) -> f64 {
        if self.is_zero() {
            return if self.neg { -0.0 } else { 0.0 };
        }
        if self.top() > 1025 {
            return if self.neg { f64::NEG_INFINITY } else { f64::INFINITY };
        }
        if self.top() < -1080 {
            return if self.neg { -0.0 } else { 0.0 };
        }
        let r = Big::round(self.neg, self.mant.clone(), self.exp, F64_PRECISION, false);
        let m = r.mant.to_u64().unwrap_or(0) as f64;
        let mut v = m;
        let mut e = r.exp;
        while e > 0 {
            let step = e.min(512);
            v *= 2f64.powi(step as i32);
            e -= step;
        }
        while e < 0 {
            let step = (-e).min(512);
            v /= 2f64.powi(step as i32);
            e += step;
        }
        if r.neg {
            -v
        } else {
            v
        }
    }

    /// The exact decimal digits of `mant * 2^exp` (no sign): the digits
    /// without leading or trailing zeros and `dp`, so that the value is
    /// `0.DIGITS * 10^dp`.
    fn decimal(mant: &BigUint, exp: i64) -> Decimal {
        if mant.is_zero() {
            return Decimal { digits: Vec::new(), dp: 0 };
        }
        let (int, scale) = if exp >= 0 { (mant << exp as u64, 0i64) } else { (mant * BigUint::from(5u32).pow((-exp) as u32), -exp) };
        let s = int.to_str_radix(10);
        let mut digits: Vec<u8> = s.bytes().map(|b| b - b'0').collect();
        let dp = digits.len() as i64 - scale;
        while digits.last() == Some(&0) {
            digits.pop();
        }
        Decimal { digits, dp }
    }

    /// Go's `Text('f', -1)`: the shortest decimal that rounds back to this
    /// number at its precision.
    fn shortest(&self) -> Decimal {
        let mut d = Big::decimal(&self.mant, self.exp);
        if d.digits.is_empty() {
            return d;
        }
        // The mantissa with prec+1 bits, so its last bit is half an ulp.
        let bits = self.mant.bits() as i64;
        let s = i64::from(self.prec) + 1 - bits;
        let mant = &self.mant << s.max(0) as u64;
        let exp = self.exp - s.max(0);
        let lower = Big::decimal(&(&mant - 1u32), exp);
        let upper = Big::decimal(&(&mant + 1u32), exp);
        // Bounds are possible outputs only when the mantissa is even (bit 1
        // here, the mantissa having been shifted by one).
        let inclusive = !mant.bit(1);
        for i in 0..d.digits.len() {
            let m = d.digits[i];
            let l = lower.at(i);
            let u = upper.at(i);
            let okdown = l != m || inclusive && i + 1 == lower.digits.len();
            let okup = m != u && (inclusive || m + 1 < u || i + 1 < upper.digits.len());
            match (okdown, okup) {
                (true, true) => {
                    d.round(i + 1);
                    return d;
                }
                (true, false) => {
                    d.round_down(i + 1);
                    return d;
                }
                (false, true) => {
                    d.round_up(i + 1);
                    return d;
                }
                (false, false) => {}
            }
        }
        d
    }
}

/// Decimal digits: `0.DIGITS * 10^dp`, without trailing zeros.
#[derive(Debug, Clone)]
struct Decimal {
    digits: Vec<u8>,
    dp: i64,
}

impl Decimal {
    fn at(&self, i: usize) -> u8 {
        self.digits.get(i).copied().unwrap_or(0)
    }

    fn trim(&mut self) {
        while self.digits.last() == Some(&0) {
            self.digits.pop();
        }
        if self.digits.is_empty() {
            self.dp = 0;
        }
    }

    fn round_down(&mut self, n: usize) {
        if n < self.digits.len() {
            self.digits.truncate(n);
            self.trim();
        }
    }

    fn round_up(&mut self, n: usize) {
        if n >= self.digits.len() {
            return;
        }
        let mut i = n;
        while i > 0 && self.digits[i - 1] == 9 {
            i -= 1;
        }
        if i == 0 {
            self.digits = vec![1];
            self.dp += 1;
        } else {
            self.digits[i - 1] += 1;
            self.digits.truncate(i);
        }
    }

    /// Rounds to `n` digits, half to even.
    fn round(&mut self, n: usize) {
        if n >= self.digits.len() {
            return;
        }
        let up = if self.digits[n] == 5 && n + 1 == self.digits.len() { n > 0 && self.digits[n - 1] % 2 == 1 } else { self.digits[n] >= 5 };
        if up {
            self.round_up(n);
        } else {
            self.round_down(n);
        }
    }

    /// Plain notation with `frac` digits after the point (None: as many as
    /// the digits need).
    fn fixed(&self, neg: bool, frac: Option<usize>) -> String {
        let mut out = String::new();
        if neg {
            out.push('-');
        }
        if self.dp > 0 {
            for i in 0..self.dp as usize {
                out.push((b'0' + self.at(i)) as char);
            }
        } else {
            out.push('0');
        }
        let frac = frac.unwrap_or_else(|| (self.digits.len() as i64 - self.dp).max(0) as usize);
        if frac > 0 {
            out.push('.');
            for i in 0..frac as i64 {
                let idx = self.dp + i;
                out.push((b'0' + if idx < 0 { 0 } else { self.at(idx as usize) }) as char);
            }
        }
        out
    }
}

impl Number {
    /// An exact integer.
    pub const fn from_i64(i: i64) -> Number {
        Number(Repr::Int(i))
    }

    /// A float64 result: integers below 2^53 become exact integers, other
    /// values keep the float64's 53 bits.
    pub fn from_f64(f: f64) -> Number {
        if f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 && !(f == 0.0 && f.is_sign_negative()) {
            Number(Repr::Int(f as i64))
        } else {
            Number(Repr::Float(f))
        }
    }

    /// An exact integer of any size (rounded to 512 bits beyond them).
    pub fn from_bigint(i: &BigInt) -> Number {
        match i.to_i64() {
            Some(v) => Number(Repr::Int(v)),
            None => Number(Repr::Big(Box::new(Big::from_bigint(i, PRECISION.max(i.bits() as u32))))),
        }
    }

    fn from_big(b: Big) -> Number {
        if b.is_zero() {
            return if b.neg { Number(Repr::Float(-0.0)) } else { Number(Repr::Int(0)) };
        }
        if b.is_integer() && b.prec >= 64 && b.top() < 64 {
            if let Some(i) = b.trunc().to_i64() {
                return Number(Repr::Int(i));
            }
        }
        if b.prec <= F64_PRECISION && b.top() > -1021 && b.top() < 1024 {
            return Number::from_f64(b.to_f64());
        }
        Number(Repr::Big(Box::new(b)))
    }

    fn big(&self) -> Option<Big> {
        match &self.0 {
            Repr::Int(i) => Some(Big::from_i64(*i, PRECISION)),
            Repr::Float(f) if f.is_finite() => Some(Big::from_f64(*f)),
            Repr::Float(_) => None,
            Repr::Big(b) => Some((**b).clone()),
        }
    }

    fn prec(&self) -> u32 {
        match &self.0 {
            Repr::Int(_) => PRECISION,
            Repr::Float(_) => F64_PRECISION,
            Repr::Big(b) => b.prec,
        }
    }

    /// Parses a decimal number as Terraform does (`12`, `-1.5`, `1e30`,
    /// `.5`, `+3`), at 512 bits. Surrounding whitespace is not allowed.
    /// `inf`, `infinity` and `nan` (any case, signed) give the float64
    /// values, which callers refuse where a number must be finite.
    pub fn parse(s: &str) -> Result<Number, ParseNumberError> {
        // Whole numbers first: they are most of what state holds, and the
        // words below would cost an allocation for each.
        if let Ok(i) = s.parse::<i64>() {
            if i == 0 && s.starts_with('-') {
                return Ok(Number(Repr::Float(-0.0)));
            }
            return Ok(Number(Repr::Int(i)));
        }
        let invalid = || ParseNumberError::Invalid(s.to_string());
        let word = s.trim_start_matches(['+', '-']).to_ascii_lowercase();
        if matches!(word.as_str(), "inf" | "infinity" | "nan") && s.len() - word.len() <= 1 {
            return s.parse::<f64>().map(|f| Number(Repr::Float(f))).map_err(|_| invalid());
        }
        let (neg, body) = match s.as_bytes().first() {
            Some(b'-') => (true, &s[1..]),
            Some(b'+') => (false, &s[1..]),
            _ => (false, s),
        };
        let (mantissa, exponent) = match body.find(['e', 'E']) {
            Some(i) => (&body[..i], Some(&body[i + 1..])),
            None => (body, None),
        };
        let (int, frac) = match mantissa.find('.') {
            Some(i) => (&mantissa[..i], &mantissa[i + 1..]),
            None => (mantissa, ""),
        };
        if int.is_empty() && frac.is_empty() || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        let mut e10: i64 = match exponent {
            None => 0,
            Some(e) => {
                let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(invalid());
                }
                match e.parse::<i64>() {
                    Ok(v) => v,
                    Err(_) => return Err(ParseNumberError::OutOfRange(s.to_string())),
                }
            }
        };
        let all = format!("{int}{frac}");
        let all = all.trim_start_matches('0');
        e10 -= frac.len() as i64;
        let d: BigUint = if all.is_empty() { BigUint::zero() } else { all.parse().map_err(|_| invalid())? };
        if d.is_zero() {
            return Ok(if neg { Number(Repr::Float(-0.0)) } else { Number(Repr::Int(0)) });
        }
        let digits = all.trim_end_matches('0');
        let magnitude = e10 + all.len() as i64;
        if magnitude.abs() > MAX_DECIMAL_EXPONENT || (digits.len() as i64) > MAX_DECIMAL_EXPONENT {
            return Err(ParseNumberError::OutOfRange(s.to_string()));
        }
        let big = if e10 >= 0 {
            let v = d * BigUint::from(10u32).pow(e10 as u32);
            let prec = PRECISION;
            Big::round(neg, v, 0, prec, false)
        } else {
            let num = Big::round(false, d, 0, u32::MAX, false);
            let den = Big::round(false, BigUint::from(10u32).pow((-e10) as u32), 0, u32::MAX, false);
            let q = num.quo(&den, PRECISION);
            if neg {
                q.neg()
            } else {
                q
            }
        };
        Ok(Number::from_big(Big { prec: PRECISION, ..big }))
    }

    /// Parses an integer in `base` (2 to 36), exactly.
    pub fn parse_int(s: &str, base: u32) -> Option<Number> {
        let (neg, digits) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s.strip_prefix('+').unwrap_or(s)),
        };
        if digits.is_empty() {
            return None;
        }
        let m = BigUint::parse_bytes(digits.as_bytes(), base)?;
        let i = BigInt::from_biguint(if neg { Sign::Minus } else { Sign::Plus }, m);
        Some(Number::from_bigint(&i))
    }

    /// Whether this is a float64 result (53 bits, what `pow` and friends give).
    pub fn is_float64(&self) -> bool {
        matches!(self.0, Repr::Float(_))
    }

    pub fn is_finite(&self) -> bool {
        match &self.0 {
            Repr::Float(f) => f.is_finite(),
            _ => true,
        }
    }

    pub fn is_nan(&self) -> bool {
        matches!(self.0, Repr::Float(f) if f.is_nan())
    }

    /// True for an integer (of any size).
    pub fn is_integer(&self) -> bool {
        match &self.0 {
            Repr::Int(_) => true,
            Repr::Float(f) => f.is_finite() && f.fract() == 0.0,
            Repr::Big(b) => b.is_integer(),
        }
    }

    pub fn is_negative(&self) -> bool {
        match &self.0 {
            Repr::Int(i) => *i < 0,
            Repr::Float(f) => *f < 0.0,
            Repr::Big(b) => b.neg && !b.is_zero(),
        }
    }

    pub fn is_zero(&self) -> bool {
        match &self.0 {
            Repr::Int(i) => *i == 0,
            Repr::Float(f) => *f == 0.0,
            Repr::Big(b) => b.is_zero(),
        }
    }

    /// The nearest f64 (what Terraform's float64 functions compute with).
    pub fn to_f64(&self) -> f64 {
        match &self.0 {
            Repr::Int(i) => *i as f64,
            Repr::Float(f) => *f,
            Repr::Big(b) => b.to_f64(),
        }
    }

    /// The value as an i64 when it is an integer in range.
    pub fn to_i64(&self) -> Option<i64> {
        match &self.0 {
            Repr::Int(i) => Some(*i),
            Repr::Float(f) => (f.is_finite() && f.fract() == 0.0 && f.abs() < 9.2e18).then_some(*f as i64),
            Repr::Big(b) => b.is_integer().then(|| b.trunc().to_i64()).flatten(),
        }
    }

    /// The value as an i128 when it is an integer in range.
    pub fn to_i128(&self) -> Option<i128> {
        match &self.0 {
            Repr::Int(i) => Some(i128::from(*i)),
            _ if self.is_integer() => self.trunc_bigint()?.to_i128(),
            _ => None,
        }
    }

    /// The integer part (toward zero) of a finite number.
    pub fn trunc_bigint(&self) -> Option<BigInt> {
        match &self.0 {
            Repr::Int(i) => Some(BigInt::from(*i)),
            _ => self.big().map(|b| b.trunc()),
        }
    }

    pub fn abs(&self) -> Number {
        if self.is_negative() || matches!(self.0, Repr::Float(f) if f == 0.0) {
            self.neg()
        } else {
            self.clone()
        }
    }

    /// Negation; `-0` is kept, as Terraform keeps it.
    pub fn neg(&self) -> Number {
        match &self.0 {
            Repr::Int(0) => Number(Repr::Float(-0.0)),
            Repr::Int(i) => match i.checked_neg() {
                Some(n) => Number(Repr::Int(n)),
                None => Number::from_big(Big::from_i64(*i, PRECISION).neg()),
            },
            Repr::Float(f) => Number::from_f64(-f),
            Repr::Big(b) => Number::from_big((**b).clone().neg()),
        }
    }

    fn binary(&self, other: &Number, f64_op: fn(f64, f64) -> f64, big_op: fn(&Big, &Big, u32) -> Big) -> Number {
        match (self.big(), other.big()) {
            (Some(a), Some(b)) => Number::from_big(big_op(&a, &b, self.prec().max(other.prec()))),
            _ => Number::from_f64(f64_op(self.to_f64(), other.to_f64())),
        }
    }

    pub fn add(&self, other: &Number) -> Number {
        match (&self.0, &other.0) {
            (Repr::Int(a), Repr::Int(b)) if a.checked_add(*b).is_some() => Number(Repr::Int(a + b)),
            (Repr::Float(a), Repr::Float(b)) if (a + b).is_finite() && (a + b).abs() >= f64::MIN_POSITIVE => Number::from_f64(a + b),
            _ => self.binary(other, |a, b| a + b, Big::add),
        }
    }

    pub fn sub(&self, other: &Number) -> Number {
        match (&self.0, &other.0) {
            (Repr::Int(a), Repr::Int(b)) if a.checked_sub(*b).is_some() => Number(Repr::Int(a - b)),
            _ => self.add(&other.neg()),
        }
    }

    pub fn mul(&self, other: &Number) -> Number {
        match (&self.0, &other.0) {
            (Repr::Int(a), Repr::Int(b)) => match a.checked_mul(*b) {
                Some(0) if (*a < 0) != (*b < 0) => Number(Repr::Float(-0.0)),
                Some(p) => Number(Repr::Int(p)),
                None => self.binary(other, |a, b| a * b, Big::mul),
            },
            (Repr::Float(a), Repr::Float(b)) if (a * b).is_finite() && (a * b).abs() >= f64::MIN_POSITIVE => Number::from_f64(a * b),
            _ => self.binary(other, |a, b| a * b, Big::mul),
        }
    }

    /// Division; by zero it is an infinity (as in Terraform, whose callers
    /// then refuse it where a number must be finite).
    pub fn div(&self, other: &Number) -> Number {
        if other.is_zero() || !self.is_finite() || !other.is_finite() {
            return Number::from_f64(self.to_f64() / other.to_f64());
        }
        match (&self.0, &other.0) {
            (Repr::Int(a), Repr::Int(b)) if a.checked_rem(*b) == Some(0) => match a / b {
                0 if (*a < 0) != (*b < 0) => Number(Repr::Float(-0.0)),
                q => Number(Repr::Int(q)),
            },
            (Repr::Float(a), Repr::Float(b)) if (a / b).is_finite() && (a / b).abs() >= f64::MIN_POSITIVE => Number::from_f64(a / b),
            _ => self.binary(other, |a, b| a / b, Big::quo),
        }
    }

    /// Terraform's `%`: `a - b * trunc(a / b)`, the sign of `a`; `a % 0`
    /// is `a`.
    pub fn rem(&self, other: &Number) -> Number {
        if other.is_zero() {
            return self.clone();
        }
        match (&self.0, &other.0) {
            (Repr::Int(a), Repr::Int(b)) if a.checked_rem(*b).is_some() => Number(Repr::Int(a % b)),
            _ => {
                if !self.is_finite() || !other.is_finite() {
                    return Number::from_f64(self.to_f64() % other.to_f64());
                }
                let q = self.div(other);
                let Some(t) = q.trunc_bigint() else { return Number::from_f64(f64::NAN) };
                self.sub(&Number::from_bigint(&t).mul(other))
            }
        }
    }

    /// Numeric order; None only when one side is NaN.
    pub fn partial_cmp_num(&self, other: &Number) -> Option<Ordering> {
        match (&self.0, &other.0) {
            (Repr::Int(a), Repr::Int(b)) => Some(a.cmp(b)),
            (Repr::Float(a), Repr::Float(b)) => a.partial_cmp(b),
            _ => match (self.big(), other.big()) {
                (Some(a), Some(b)) => Some(a.cmp(&b)),
                _ => self.to_f64().partial_cmp(&other.to_f64()),
            },
        }
    }

    /// The largest integer not above this number.
    pub fn floor(&self) -> Number {
        self.round_to_integer(false)
    }

    /// The smallest integer not below this number.
    pub fn ceil(&self) -> Number {
        self.round_to_integer(true)
    }

    fn round_to_integer(&self, up: bool) -> Number {
        if self.is_integer() || !self.is_finite() {
            return self.clone();
        }
        let t = self.trunc_bigint().unwrap_or_default();
        let adjust: i32 = if up && !self.is_negative() {
            1
        } else if !up && self.is_negative() {
            -1
        } else {
            0
        };
        // An integer result is never -0 (`ceil(-0.5)` is 0).
        Number::from_bigint(&(t + BigInt::from(adjust)))
    }

    /// -1, 0 or 1.
    pub fn signum(&self) -> Number {
        if self.is_zero() {
            Number(Repr::Int(0))
        } else if self.is_negative() {
            Number(Repr::Int(-1))
        } else {
            Number(Repr::Int(1))
        }
    }

    fn sign_and_big(&self) -> Option<(bool, Big)> {
        let b = self.big()?;
        Some((b.neg, b))
    }

    /// The decimal digits of the magnitude of a finite number (ASCII, no
    /// trailing zeros, `"0"` for zero) and the position of the decimal
    /// point (`0.DIGITS * 10^dp`): the shortest that reads back as the same
    /// number, or rounded (half to even) to `significant` digits.
    pub fn digits(&self, significant: Option<usize>) -> (String, i64) {
        let Some((_, b)) = self.sign_and_big() else { return ("0".into(), 1) };
        if b.is_zero() {
            return ("0".into(), 1);
        }
        let d = match significant {
            None => b.shortest(),
            Some(n) => {
                let mut d = Big::decimal(&b.mant, b.exp);
                d.round(n.max(1));
                d
            }
        };
        (d.digits.iter().map(|x| (b'0' + x) as char).collect(), d.dp)
    }

    /// Go's `%.Nf`: `digits` digits after the point, rounded half to even
    /// on the exact value.
    pub fn to_fixed(&self, digits: usize) -> String {
        let Some((neg, b)) = self.sign_and_big() else { return self.to_string() };
        let mut d = Big::decimal(&b.mant, b.exp);
        let keep = d.dp + digits as i64;
        if keep < 0 {
            d = Decimal { digits: Vec::new(), dp: 0 };
        } else {
            d.round(keep as usize);
        }
        d.fixed(neg, Some(digits))
    }

    /// Go's `%.Ne`: one digit, the point, `digits` digits, `e`, a signed
    /// exponent of at least two digits.
    pub fn to_exponent(&self, digits: usize) -> String {
        let Some((neg, b)) = self.sign_and_big() else { return self.to_string() };
        let mut d = Big::decimal(&b.mant, b.exp);
        d.round(digits + 1);
        let exp = if d.digits.is_empty() { 0 } else { d.dp - 1 };
        let mut out = String::new();
        if neg {
            out.push('-');
        }
        out.push((b'0' + d.at(0)) as char);
        if digits > 0 {
            out.push('.');
            for i in 1..=digits {
                out.push((b'0' + d.at(i)) as char);
            }
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        out.push_str(&format!("{:02}", exp.abs()));
        out
    }

    /// The JSON number of this value: exact for integers within 64 bits,
    /// the nearest float64 otherwise (JSON numbers of serde_json hold no
    /// more), null when not finite.
    pub fn to_json(&self) -> serde_json::Value {
        match &self.0 {
            Repr::Int(i) => serde_json::Value::Number((*i).into()),
            Repr::Big(b) if b.is_integer() && !b.neg => match b.trunc().to_u64() {
                Some(u) => serde_json::Value::Number(u.into()),
                None => serde_json::Number::from_f64(b.to_f64()).map(serde_json::Value::Number).unwrap_or(serde_json::Value::Null),
            },
            _ => {
                let f = self.to_f64();
                if f == 0.0 {
                    // Terraform's state writes -0 as 0.
                    return serde_json::Value::Number(0.into());
                }
                serde_json::Number::from_f64(f).map(serde_json::Value::Number).unwrap_or(serde_json::Value::Null)
            }
        }
    }

    /// A JSON number read back: integers exactly, other numbers as the
    /// float64 serde_json gives.
    pub fn from_json(n: &serde_json::Number) -> Number {
        if let Some(i) = n.as_i64() {
            Number(Repr::Int(i))
        } else if let Some(u) = n.as_u64() {
            Number::from_bigint(&BigInt::from(u))
        } else {
            Number::from_f64(n.as_f64().unwrap_or(0.0))
        }
    }
}

impl Default for Number {
    fn default() -> Number {
        Number(Repr::Int(0))
    }
}

impl PartialEq for Number {
    fn eq(&self, other: &Number) -> bool {
        match (&self.0, &other.0) {
            (Repr::Int(a), Repr::Int(b)) => a == b,
            (Repr::Float(a), Repr::Float(b)) => a == b,
            // A float64 against a big number: at the float64's precision.
            (Repr::Float(f), Repr::Big(b)) | (Repr::Big(b), Repr::Float(f)) => *f == b.to_f64(),
            _ => self.partial_cmp_num(other) == Some(Ordering::Equal),
        }
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Number) -> Option<Ordering> {
        self.partial_cmp_num(other)
    }
}

impl fmt::Display for Number {
    /// Terraform's rendering: the shortest decimal that reads back as the
    /// same number at its precision, never in exponent form (`1e30` is
    /// `1000000000000000000000000000000`, `1/3` has 155 digits).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Int(i) => write!(f, "{i}"),
            Repr::Float(x) if x.is_nan() => write!(f, "NaN"),
            Repr::Float(x) if x.is_infinite() => write!(f, "{}", if *x > 0.0 { "+Inf" } else { "-Inf" }),
            Repr::Float(x) if *x == 0.0 => write!(f, "{}", if x.is_sign_negative() { "-0" } else { "0" }),
            Repr::Float(x) => write!(f, "{}", Big::from_f64(*x).shortest().fixed(*x < 0.0, None)),
            Repr::Big(b) if b.is_zero() => write!(f, "{}", if b.neg { "-0" } else { "0" }),
            Repr::Big(b) => write!(f, "{}", b.shortest().fixed(b.neg, None)),
        }
    }
}

impl fmt::Debug for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl From<i64> for Number {
    fn from(i: i64) -> Number {
        Number(Repr::Int(i))
    }
}
impl From<i32> for Number {
    fn from(i: i32) -> Number {
        Number(Repr::Int(i.into()))
    }
}
impl From<u32> for Number {
    fn from(i: u32) -> Number {
        Number(Repr::Int(i.into()))
    }
}
impl From<u64> for Number {
    fn from(u: u64) -> Number {
        Number::from_bigint(&BigInt::from(u))
    }
}
impl From<usize> for Number {
    fn from(u: usize) -> Number {
        Number::from(u as u64)
    }
}
impl From<i128> for Number {
    fn from(i: i128) -> Number {
        Number::from_bigint(&BigInt::from(i))
    }
}
impl From<f64> for Number {
    fn from(f: f64) -> Number {
        Number::from_f64(f)
    }
}

impl std::str::FromStr for Number {
    type Err = ParseNumberError;
    fn from_str(s: &str) -> Result<Number, ParseNumberError> {
        Number::parse(s)
    }
}

/// Saved plans (serde's externally tagged `Value`) hold numbers exactly:
/// as JSON integers when they fit 64 bits, else as their decimal text.
impl serde::Serialize for Number {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            Repr::Int(i) => s.serialize_i64(*i),
            Repr::Float(f) if !f.is_finite() => s.serialize_f64(*f),
            _ => s.serialize_str(&self.to_string()),
        }
    }
}

impl<'de> serde::Deserialize<'de> for Number {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Number, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Number;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "a number or its decimal text")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Number, E> {
                Ok(Number::from(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Number, E> {
                Ok(Number::from(v))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Number, E> {
                Ok(Number::from_f64(v))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Number, E> {
                Number::parse(v).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Number {
        Number::parse(s).unwrap()
    }

    #[test]
    fn integers_beyond_53_bits_are_exact() {
        assert_eq!(n("9007199254740993").to_string(), "9007199254740993");
        assert_eq!(n("18446744073709551616").to_string(), "18446744073709551616");
        assert_eq!(n("1e30").to_string(), "1000000000000000000000000000000");
        assert_eq!(n("9007199254740993").add(&n("1")).to_string(), "9007199254740994");
        assert_ne!(n("9007199254740993"), n("9007199254740992"));
        assert_eq!(n("123456789012345678901234567890").mul(&n("10")).to_string(), "1234567890123456789012345678900");
        assert_eq!(Number::from(i64::MAX).add(&Number::from(1i64)).to_string(), "9223372036854775808");
    }

    #[test]
    fn decimals_and_quotients_print_as_terraform_does() {
        assert_eq!(n("0.1").add(&n("0.2")).to_string(), "0.3");
        assert_eq!(n("0.1").mul(&n("3")).to_string(), "0.3");
        let third = "0.33333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333335";
        assert_eq!(n("1").div(&n("3")).to_string(), third);
        assert_eq!(n("-1").div(&n("3")).to_string(), format!("-{third}"));
        assert_eq!(n("10").div(&n("4")).to_string(), "2.5");
        assert_eq!(n("1e-7").to_string(), "0.0000001");
        assert_eq!(n("1.5e300").to_string(), format!("15{}", "0".repeat(299)));
        assert_eq!(n("2.0").to_string(), "2");
        assert_eq!(n("123456.789e3").to_string(), "123456789");
        assert_eq!(n("100000000000000000000000000000.5").to_string(), "100000000000000000000000000000.5");
        assert_eq!(n("1.0e-320").to_string(), format!("0.{}1", "0".repeat(319)));
        let mut r = n("0");
        for _ in 0..3 {
            r = r.add(&n("0.3"));
        }
        assert_eq!(r.to_string(), "0.90000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000004");
    }

    #[test]
    fn float64_results_keep_53_bits() {
        assert_eq!(Number::from_f64(2f64.powi(64)).to_string(), "18446744073709550000");
        assert_eq!(Number::from_f64(3f64.powi(40)).to_string(), "12157665459056929000");
        assert_eq!(Number::from_f64(2f64.sqrt()).to_string(), "1.4142135623730951");
        assert_eq!(Number::from_f64(2f64.sqrt()).add(&n("1")).to_string(), "2.4142135623730951454746218587388284504413604736328125");
        assert_eq!(Number::from_f64(2f64.sqrt()), n("1.4142135623730951"), "a float64 equals its text read back");
    }

    #[test]
    fn zero_signs_and_remainders() {
        assert_eq!(n("0").neg().to_string(), "-0");
        assert_eq!(n("0").mul(&n("-1")).to_string(), "-0");
        assert_eq!(n("-0").to_string(), "-0");
        assert_eq!(n("-0"), n("0"));
        assert_eq!(n("5").rem(&n("0")).to_string(), "5");
        assert_eq!(n("7").rem(&n("-3")).to_string(), "1");
        assert_eq!(n("-7").rem(&n("3")).to_string(), "-1");
        assert_eq!(n("5.5").rem(&n("2")).to_string(), "1.5");
        assert_eq!(
            n("1").rem(&n("0.3")).to_string(),
            "0.099999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999955"
        );
        assert_eq!(n("1").div(&n("0")).to_string(), "+Inf");
        assert!(!n("1").div(&n("0")).is_finite());
    }

    #[test]
    fn rounding_functions_and_formats() {
        assert_eq!(n("1.5").ceil().to_string(), "2");
        assert_eq!(n("-1.5").floor().to_string(), "-2");
        assert_eq!(n("9007199254740993.5").ceil().to_string(), "9007199254740994");
        assert_eq!(n("1").div(&n("3")).to_fixed(6), "0.333333");
        assert_eq!(n("0.1").add(&n("0.2")).to_fixed(2), "0.30");
        assert_eq!(n("1e30").to_exponent(6), "1.000000e+30");
        assert_eq!(n("0.000123").to_exponent(2), "1.23e-04");
        assert_eq!(n("2.5").to_fixed(0), "2");
        assert_eq!(Number::parse_int("18446744073709551617", 10).unwrap().to_string(), "18446744073709551617");
        assert_eq!(n("-9007199254740993").abs().to_string(), "9007199254740993");
    }

    #[test]
    fn parsing_refuses_what_is_not_a_number() {
        assert!(!n("inf").is_finite() && !n("-Infinity").is_finite() && n("NaN").is_nan());
        for bad in ["", "-", "1e", "abc", "1.2.3", " 1", "0x10", "1e+", "--inf", "infinite"] {
            assert!(Number::parse(bad).is_err(), "{bad:?}");
        }
        assert!(matches!(Number::parse("1e999999999"), Err(ParseNumberError::OutOfRange(_))));
        assert_eq!(n(".5").to_string(), "0.5");
        assert_eq!(n("+3").to_string(), "3");
    }

    #[test]
    fn json_keeps_64_bit_integers_exact() {
        assert_eq!(n("9007199254740993").to_json().to_string(), "9007199254740993");
        assert_eq!(Number::from_json(&serde_json::from_str("9007199254740993").unwrap()), n("9007199254740993"));
        assert_eq!(Number::from_json(&serde_json::from_str("18446744073709551615").unwrap()).to_string(), "18446744073709551615");
        let third = n("1").div(&n("3"));
        let back = Number::from_json(&serde_json::from_str(&third.to_json().to_string()).unwrap());
        assert_eq!(back, third, "a stored quotient equals the value it came from");
        let saved = serde_json::to_string(&third).unwrap();
        assert_eq!(serde_json::from_str::<Number>(&saved).unwrap().to_string(), third.to_string());
    }
}
