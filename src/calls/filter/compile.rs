//! Turns a term into the [`Test`] that matching runs: field-specific spellings (`failed`,
//! `no-answer`, `hangup=unknown`), numbers with units (`3s`, `2m`), enum values resolved to
//! bit sets once, and the error that explains a term which cannot work (unknown field, text
//! operator on a number, value that is not a stage) with a suggestion.

use super::FilterError;
use super::fields::{FIELDS, Field, QualityField, TextField, processing_kind, state_alias, truth};
use super::lexer::{CmpOp, column};
use super::matcher::{NumCmp, Test, known_where, stage_index, stages_where};
use super::needle::Needle;
use crate::calls::search::{NumField, lowercase};
use crate::text::edit_distance;

/// The test of a bare word: any text field contains it, or, for digits, any number.
pub(super) fn bare_word(word: &str) -> Test {
    let needle = Needle::new(word);
    let known = [
        TextField::State,
        TextField::Type,
        TextField::Direction,
        TextField::Hangup,
    ]
    .map(|field| known_where(field, |name| needle.within(name)));
    let alias =
        state_alias(&needle.lower).map(|state| known_where(TextField::State, |name| name == state));
    Test::Anywhere {
        known: [known[0] | alias.unwrap_or(0), known[1], known[2], known[3]],
        stages: stages_where(|name| needle.within(name)),
        needle,
    }
}

/// The test of `live`, `warning` or `error` written alone: the call is in progress, has an
/// active SDK warning, had an SDK error.
pub(super) fn alone(field: Field) -> Test {
    match field {
        Field::Live => Test::live(true),
        Field::Error => Test::AnyError,
        _ => Test::AnyWarning,
    }
}

/// The test of `field op value`.
pub(super) fn compile(
    field: Field,
    op: CmpOp,
    op_pos: usize,
    value: &str,
    value_pos: usize,
) -> Result<Test, FilterError> {
    let lower = lowercase(value);
    match field {
        Field::Text(text_field) => match op {
            CmpOp::Eq | CmpOp::Ne if text_field == TextField::Processing => {
                let kind = processing_kind(&lower).ok_or_else(|| {
                    FilterError::new(
                        value_pos,
                        format!(
                            "`{value}` at column {} is not a processing stage: \
                             use live, partial, predicted (or predicted-complete) or complete",
                            column(value_pos)
                        ),
                    )
                })?;
                Ok(Test::Processing(1 << stage_index(kind)))
            }
            CmpOp::Contains | CmpOp::NotContains if text_field == TextField::Processing => {
                let needle = Needle::new(&lower);
                Ok(Test::Processing(stages_where(|name| needle.within(name))))
            }
            CmpOp::Eq | CmpOp::Ne | CmpOp::Contains | CmpOp::NotContains => {
                let exact = matches!(op, CmpOp::Eq | CmpOp::Ne);
                let needles: Box<[Needle]> = if exact {
                    equal_spellings(text_field, &lower)
                        .iter()
                        .map(|s| Needle::new(s))
                        .collect()
                } else if text_field == TextField::Warning && lower.contains('_') {
                    // SDK warnings are spelled with `-`, summary tags with `_`.
                    Box::new([Needle::new(&lower), Needle::new(&lower.replace('_', "-"))])
                } else {
                    Box::new([Needle::new(&lower)])
                };
                if !text_field.is_enum() {
                    return Ok(Test::Text {
                        field: text_field,
                        exact,
                        needles,
                    });
                }
                let known = known_where(text_field, |name| {
                    needles.iter().any(|n| n.matches(name, exact))
                });
                Ok(Test::Enum {
                    field: text_field,
                    known,
                    exact,
                    needles,
                })
            }
            CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge => Err(FilterError::new(
                op_pos,
                format!(
                    "`{}` at column {} compares numbers, but {} is text: use =, != or ~ (e.g. {})",
                    op.as_str(),
                    column(op_pos),
                    field.name(),
                    field.example()
                ),
            )),
        },
        Field::Live => match op {
            CmpOp::Eq | CmpOp::Ne => truth(&lower).map(Test::live).ok_or_else(|| {
                FilterError::new(
                    value_pos,
                    format!(
                        "`{value}` at column {} is not true or false: \
                         write live, !live, live=true or live=false",
                        column(value_pos)
                    ),
                )
            }),
            _ => Err(FilterError::new(
                op_pos,
                format!(
                    "`{}` at column {}: live is true or false: \
                     write live, !live, live=true or live=false",
                    op.as_str(),
                    column(op_pos)
                ),
            )),
        },
        Field::Error => {
            if matches!(op, CmpOp::Contains | CmpOp::NotContains) {
                return Ok(Test::ErrorText(Needle::new(&lower)));
            }
            let cmp = num_cmp(field, op, op_pos)?;
            let value = lower.parse::<i64>().map_err(|_| {
                FilterError::new(
                    value_pos,
                    format!(
                        "`{value}` at column {} is not an error code: error takes a whole \
                         number (e.g. error=31005); error~text searches the messages",
                        column(value_pos)
                    ),
                )
            })?;
            Ok(Test::ErrorCode { cmp, value })
        }
        Field::Quality(quality) => {
            let cmp = num_cmp(field, op, op_pos)?;
            let value = decimal(quality, &lower).map_err(|unit| {
                let units: Vec<&str> = quality.units().iter().map(|(u, _)| *u).collect();
                let takes = if units.is_empty() {
                    "a number without a unit".to_owned()
                } else {
                    format!("a number, optionally followed by {}", units.join(" / "))
                };
                let what = match unit {
                    Some(unit) => format!(
                        "has the unit `{unit}`, which {} does not take",
                        field.name()
                    ),
                    None => "is not a number".to_owned(),
                };
                FilterError::new(
                    value_pos,
                    format!(
                        "`{value}` at column {} {what}: {} takes {takes} (e.g. {})",
                        column(value_pos),
                        field.name(),
                        field.example()
                    ),
                )
            })?;
            Ok(Test::Quality {
                field: quality,
                cmp,
                value,
            })
        }
        Field::Num(num_field) => {
            let cmp = num_cmp(field, op, op_pos)?;
            let value = number(num_field, &lower).ok_or_else(|| {
                let units: Vec<&str> = num_field.units().iter().map(|(u, _)| *u).collect();
                let units = if units.is_empty() {
                    String::new()
                } else {
                    format!(", optionally followed by {}", units.join(" / "))
                };
                FilterError::new(
                    value_pos,
                    format!(
                        "`{value}` at column {} is not a number: {} takes a whole number{units} \
                         (e.g. {})",
                        column(value_pos),
                        field.name(),
                        field.example()
                    ),
                )
            })?;
            Ok(Test::Number {
                field: num_field,
                cmp,
                value,
            })
        }
    }
}

/// The comparison of a number field's operator; `~` and `!~` are errors.
fn num_cmp(field: Field, op: CmpOp, op_pos: usize) -> Result<NumCmp, FilterError> {
    Ok(match op {
        CmpOp::Eq | CmpOp::Ne => NumCmp::Eq,
        CmpOp::Lt => NumCmp::Lt,
        CmpOp::Le => NumCmp::Le,
        CmpOp::Gt => NumCmp::Gt,
        CmpOp::Ge => NumCmp::Ge,
        CmpOp::Contains | CmpOp::NotContains => {
            return Err(FilterError::new(
                op_pos,
                format!(
                    "`{}` at column {} searches text, but {} is a number: \
                     use =, !=, <, <=, > or >= (e.g. {})",
                    op.as_str(),
                    column(op_pos),
                    field.name(),
                    field.example()
                ),
            ));
        }
    })
}

/// A decimal number with an optional unit of the live figure (`1s` → 1000 for jitter), in
/// the figure's base unit; the error has the unit written when the number has one the field
/// does not take.
fn decimal(field: QualityField, lower: &str) -> Result<f64, Option<String>> {
    let finite = |text: &str| text.parse::<f64>().ok().filter(|x| x.is_finite());
    if let Some(x) = finite(lower) {
        return Ok(x);
    }
    for &(unit, factor) in field.units() {
        if let Some(x) = lower
            .strip_suffix(unit)
            .and_then(|digits| finite(digits.trim_end()))
        {
            // `0.03 * 1000.0` is 30.000000000000004: keep six decimals.
            return Ok((x * factor * 1e6).round() / 1e6);
        }
    }
    let digits = lower
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '-' | '+')))
        .unwrap_or(lower.len());
    match finite(&lower[..digits]) {
        Some(_) if digits < lower.len() => Err(Some(lower[digits..].trim().to_owned())),
        _ => Err(None),
    }
}

/// The wire values `field=value` accepts for a (lowercase) value: itself, the state it is a
/// friendly name for, `_` typed as `-`, and for `hangup=unknown` Twilio's long name and absence.
fn equal_spellings(field: TextField, lower: &str) -> Vec<String> {
    let mut spellings = vec![lower.to_owned()];
    let mut add = |s: &str| {
        if !spellings.iter().any(|have| have == s) {
            spellings.push(s.to_owned());
        }
    };
    if field == TextField::State {
        if let Some(state) = state_alias(lower) {
            add(state);
        }
    }
    if field == TextField::Hangup && lower == "unknown" {
        add("unknown_disconnected_by");
        add("");
    }
    if field == TextField::Warning && lower.contains('_') {
        add(&lower.replace('_', "-"));
    }
    if field.is_enum() && lower.contains('-') {
        add(&lower.replace('-', "_"));
    }
    spellings
}

/// A whole number with an optional unit of the field (`3s` → 3000 for pdd); decimals are
/// accepted with a unit that makes them whole (`1.5s`).
fn number(field: NumField, lower: &str) -> Option<i64> {
    if let Ok(n) = lower.parse::<i64>() {
        return Some(n);
    }
    field.units().iter().find_map(|&(unit, factor)| {
        let digits = lower.strip_suffix(unit)?.trim_end();
        if let Ok(n) = digits.parse::<i64>() {
            return n.checked_mul(factor);
        }
        // `2.4 * 1000.0` is 2399.999…: round, then insist the value really was whole.
        let x = digits.parse::<f64>().ok()? * factor as f64;
        let whole = x.round();
        (x.is_finite() && (x - whole).abs() < 1e-6 && whole.abs() < 9.0e15).then_some(whole as i64)
    })
}

/// The error for an unknown field name, with a suggestion when one is close.
pub(super) fn unknown_field(pos: usize, word: &str) -> FilterError {
    let names: Vec<&str> = FIELDS.iter().map(|(name, _)| *name).collect();
    let list = names.join(", ");
    let message = match did_you_mean(word) {
        Some(name) => format!(
            "unknown field `{word}` at column {}: did you mean `{name}`? Fields are {list}",
            column(pos)
        ),
        None => format!(
            "unknown field `{word}` at column {}: fields are {list} \
             (to search every field for text, leave out the operator)",
            column(pos)
        ),
    };
    FilterError::new(pos, message)
}

/// The field name closest to a misspelled one: one it starts, or one a couple of edits away.
fn did_you_mean(word: &str) -> Option<&'static str> {
    let word = word.to_ascii_lowercase();
    let names = FIELDS.iter().map(|(name, _)| *name);
    if word.len() >= 2 {
        if let Some(name) = names.clone().find(|name| name.starts_with(&word)) {
            return Some(name);
        }
    }
    names
        .map(|name| (edit_distance(&word, name), name))
        .filter(|&(d, _)| d <= if word.chars().count() > 4 { 2 } else { 1 })
        .min_by_key(|&(d, _)| d)
        .map(|(_, name)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn did_you_mean_suggests_a_close_field() {
        assert_eq!(did_you_mean("xyz"), None);
        assert_eq!(did_you_mean("procesing"), Some("processing"));
    }
}
