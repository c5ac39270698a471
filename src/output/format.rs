//! C `printf("%g")` formatting of numbers for reports.
//!
//! Owns the text form of metrics (accuracy, loss) in reports and logs. The Python
//! reference prints them with `'%g' % value`, so the Rust side must print the same
//! characters to compare outputs line by line. [`format_g`] implements `%g` with the
//! default precision of 6 significant digits; it is pinned against Python by
//! `tests/vectors/format_g.json` (see `python/make_vectors.py`).

/// Significant digits of `%g` without an explicit precision.
const PRECISION: i32 = 6;
/// Smallest decimal exponent still printed in fixed notation.
const MIN_FIXED_EXPONENT: i32 = -4;

/// Formats `value` like C `printf("%g", value)`: 6 significant digits; fixed notation
/// when the decimal exponent of the rounded value is in `-4..6`, otherwise
/// exponential with at least two exponent digits (`1e-05`, `1.23457e+06`); trailing
/// zeros and a trailing decimal point removed; `inf`, `-inf`, `nan`, and `-0`.
pub fn format_g(value: f64) -> String {
    if value.is_nan() {
        return "nan".to_string();
    }
    let sign = if value.is_sign_negative() { "-" } else { "" };
    let magnitude = value.abs();
    if magnitude.is_infinite() {
        return format!("{sign}inf");
    }
    if magnitude == 0.0 {
        return format!("{sign}0");
    }
    // Rust's `{:.N e}` rounds exactly (ties to even, like glibc and Python): the
    // exponent it prints is that of the value rounded to 6 significant digits.
    let scientific = format!("{magnitude:.prec$e}", prec = (PRECISION - 1) as usize);
    let Some((mantissa, exponent)) = scientific.split_once('e') else {
        return format!("{sign}{scientific}");
    };
    let Ok(exponent) = exponent.parse::<i32>() else {
        return format!("{sign}{scientific}");
    };
    if (MIN_FIXED_EXPONENT..PRECISION).contains(&exponent) {
        let decimals = (PRECISION - 1 - exponent) as usize;
        let fixed = format!("{magnitude:.decimals$}");
        format!("{sign}{}", strip_fraction_zeros(&fixed))
    } else {
        let exponent_sign = if exponent < 0 { '-' } else { '+' };
        format!(
            "{sign}{}e{exponent_sign}{:02}",
            strip_fraction_zeros(mantissa),
            exponent.unsigned_abs()
        )
    }
}

/// Removes trailing zeros after a decimal point, then the point if nothing follows.
fn strip_fraction_zeros(text: &str) -> &str {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Vectors {
        generated_by: String,
        cases: Vec<Case>,
    }

    #[derive(Deserialize)]
    struct Case {
        f64_bits: u64,
        repr: String,
        expected: String,
    }

    #[test]
    fn matches_python_percent_g() {
        let vectors: Vectors =
            serde_json::from_str(include_str!("../../tests/vectors/format_g.json")).unwrap();
        assert!(vectors.generated_by.contains("make_vectors.py"));
        assert!(
            vectors.cases.len() > 400,
            "only {} cases",
            vectors.cases.len()
        );
        let failures: Vec<String> = vectors
            .cases
            .iter()
            .filter_map(|case| {
                let got = format_g(f64::from_bits(case.f64_bits));
                (got != case.expected)
                    .then(|| format!("{}: got {got}, want {}", case.repr, case.expected))
            })
            .collect();
        assert!(
            failures.is_empty(),
            "{} mismatches:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }

    #[test]
    fn documented_examples() {
        let cases = [
            (0.0, "0"),
            (-0.0, "-0"),
            (1.0, "1"),
            (0.5, "0.5"),
            (0.9766, "0.9766"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (123456.0, "123456"),
            (1234567.0, "1.23457e+06"),
            (999999.5, "1e+06"),
            (1e16, "1e+16"),
            (1e100, "1e+100"),
            (-2.5e-7, "-2.5e-07"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (f64::NAN, "nan"),
            (-f64::NAN, "nan"),
        ];
        for (value, expected) in cases {
            assert_eq!(format_g(value), expected, "value {value:e}");
        }
    }

    #[test]
    fn ties_round_to_even() {
        assert_eq!(format_g(1_234_565.0), "1.23456e+06");
        assert_eq!(format_g(1_234_575.0), "1.23458e+06");
        assert_eq!(format_g(123_456.5), "123456");
    }

    #[test]
    fn strip_only_touches_fractions() {
        assert_eq!(strip_fraction_zeros("100"), "100");
        assert_eq!(strip_fraction_zeros("100.000"), "100");
        assert_eq!(strip_fraction_zeros("0.500"), "0.5");
    }
}
