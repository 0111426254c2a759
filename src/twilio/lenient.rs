//! Lenient deserialization for Twilio's JSON: scalars that may come as the wrong type or `null`
//! ([`lenient_opt_string`], [`lenient_opt_i64`], …), "open" string enums that keep values this
//! build does not know ([`open_enum!`]), and structs that keep their unknown keys
//! ([`deserialize_keeping_unknown_keys!`]). The call summary model is built from these.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// Deserializes `T`, treating a JSON `null` as `T::default()`.
///
/// Use together with `#[serde(default)]` so that a missing key is the default too.
pub(crate) fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// Deserializes an optional string leniently: a string is kept, anything else (null, a number,
/// an object…) is consumed and gives `None`.
pub(crate) fn lenient_opt_string<'de, D>(deserializer: D) -> Result<Option<String>, D::Error>
where
    D: Deserializer<'de>,
{
    deserializer.deserialize_any(LenientStr)
}

/// Like [`lenient_opt_string`] but absent and non-string values give `""`.
pub(crate) fn lenient_string<'de, D>(deserializer: D) -> Result<String, D::Error>
where
    D: Deserializer<'de>,
{
    Ok(lenient_opt_string(deserializer)?.unwrap_or_default())
}

/// Deserializes a list of strings leniently: non-string items are dropped, and anything that is
/// not a list (null included) gives an empty list.
pub(crate) fn lenient_string_vec<'de, D>(deserializer: D) -> Result<Vec<String>, D::Error>
where
    D: Deserializer<'de>,
{
    deserializer.deserialize_any(LenientStrVec)
}

/// Deserializes an optional integer leniently: integers are kept, floats with no fractional part
/// and decimal strings are converted, anything else (null, `"abc"`, `1.5`, objects…) gives `None`.
pub(crate) fn lenient_opt_i64<'de, D>(deserializer: D) -> Result<Option<i64>, D::Error>
where
    D: Deserializer<'de>,
{
    deserializer.deserialize_any(LenientI64)
}

/// Like [`lenient_opt_i64`] but absent and unusable values give `0`.
pub(crate) fn lenient_i64<'de, D>(deserializer: D) -> Result<i64, D::Error>
where
    D: Deserializer<'de>,
{
    Ok(lenient_opt_i64(deserializer)?.unwrap_or_default())
}

/// Deserializes an optional float leniently: numbers are kept, decimal strings are parsed,
/// anything else gives `None`.
pub(crate) fn lenient_opt_f64<'de, D>(deserializer: D) -> Result<Option<f64>, D::Error>
where
    D: Deserializer<'de>,
{
    deserializer.deserialize_any(LenientF64)
}

/// [`lenient_opt_f64`] as a seed, for hand-written map visitors.
pub(crate) struct LenientF64Seed;

impl<'de> de::DeserializeSeed<'de> for LenientF64Seed {
    type Value = Option<f64>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        lenient_opt_f64(deserializer)
    }
}

/// Consumes the rest of a sequence without looking at it.
pub(crate) fn drain_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

/// Consumes the rest of a map without looking at it.
pub(crate) fn drain_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

/// Implements the visitor methods of a lenient visitor for the input shapes it does not care
/// about (`unit` covers null/none, `some` unwraps an option), each returning `$fallback`.
macro_rules! lenient_fallbacks {
    ($fallback:expr; ) => {};
    ($fallback:expr; unit $(, $rest:ident)*) => {
        fn visit_unit<E: ::serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok($fallback)
        }
        fn visit_none<E: ::serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok($fallback)
        }
        fn visit_some<D: ::serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
        $crate::twilio::lenient::lenient_fallbacks!($fallback; $($rest),*);
    };
    ($fallback:expr; bool $(, $rest:ident)*) => {
        fn visit_bool<E: ::serde::de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok($fallback)
        }
        $crate::twilio::lenient::lenient_fallbacks!($fallback; $($rest),*);
    };
    ($fallback:expr; seq $(, $rest:ident)*) => {
        fn visit_seq<A: ::serde::de::SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            $crate::twilio::lenient::drain_seq(seq)?;
            Ok($fallback)
        }
        $crate::twilio::lenient::lenient_fallbacks!($fallback; $($rest),*);
    };
    ($fallback:expr; map $(, $rest:ident)*) => {
        fn visit_map<A: ::serde::de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            $crate::twilio::lenient::drain_map(map)?;
            Ok($fallback)
        }
        $crate::twilio::lenient::lenient_fallbacks!($fallback; $($rest),*);
    };
    ($fallback:expr; str $(, $rest:ident)*) => {
        fn visit_str<E: ::serde::de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok($fallback)
        }
        $crate::twilio::lenient::lenient_fallbacks!($fallback; $($rest),*);
    };
    ($fallback:expr; numbers $(, $rest:ident)*) => {
        fn visit_i64<E: ::serde::de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok($fallback)
        }
        fn visit_u64<E: ::serde::de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok($fallback)
        }
        fn visit_f64<E: ::serde::de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok($fallback)
        }
        $crate::twilio::lenient::lenient_fallbacks!($fallback; $($rest),*);
    };
}

pub(crate) use lenient_fallbacks;

/// Implements `Deserialize` for a struct of summary fields: each listed key is read into its
/// field (through the lenient function named after `=`, if any), a missing key leaves the
/// field's default, and every other key is kept in the struct's `extra` map.
///
/// This is what `#[serde(default)]` with a `#[serde(flatten)] extra` field does, without its
/// cost: serde's flatten first reads the whole object, nested objects included, into an
/// intermediate tree of owned values and then reads the fields out of that tree (reading a
/// 2 kB delivery into a `CallSummary` took 7.2 µs with it, 6.5 µs without).
///
/// Ending the invocation with `skip_unknown_keys` skips the other keys instead (the struct has
/// no `extra`): that reads a few fields of a large object without allocating for the rest.
/// `Type as "struct Name"` names the struct in error messages as `Name` would be.
macro_rules! deserialize_keeping_unknown_keys {
    ($ty:ident $(as $name:literal)? { $($field:ident : $field_ty:ty $(= $with:ident)?),* $(,)? } $($skip:ident)?) => {
        impl<'de> ::serde::Deserialize<'de> for $ty {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> ::serde::de::Visitor<'de> for V {
                    type Value = $ty;

                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str($crate::twilio::lenient::deserialize_keeping_unknown_keys!(@name $ty $(as $name)?))
                    }

                    fn visit_map<A: ::serde::de::MapAccess<'de>>(self, mut map: A) -> Result<$ty, A::Error> {
                        let mut out = $ty::default();
                        while let Some($crate::twilio::lenient::ObjectKey(key)) = map.next_key()? {
                            match key.as_ref() {
                                $(stringify!($field) => {
                                    out.$field =
                                        $crate::twilio::lenient::deserialize_keeping_unknown_keys!(@value map, $field_ty $(, $with)?);
                                })*
                                _ => $crate::twilio::lenient::deserialize_keeping_unknown_keys!(@unknown map, out, key $($skip)?),
                            }
                        }
                        Ok(out)
                    }
                }
                deserializer.deserialize_map(V)
            }
        }
    };
    (@name $ty:ident) => {
        concat!("struct ", stringify!($ty))
    };
    (@name $ty:ident as $name:literal) => {
        $name
    };
    (@unknown $map:ident, $out:ident, $key:ident) => {{
        let value: ::serde_json::Value = $map.next_value()?;
        $out.extra.insert($key.into_owned(), value);
    }};
    (@unknown $map:ident, $out:ident, $key:ident skip_unknown_keys) => {{
        $map.next_value::<::serde::de::IgnoredAny>()?;
    }};
    (@value $map:ident, $field_ty:ty) => {
        $map.next_value::<$field_ty>()?
    };
    (@value $map:ident, $field_ty:ty, $with:ident) => {{
        struct With;
        impl<'de> ::serde::de::DeserializeSeed<'de> for With {
            type Value = $field_ty;

            fn deserialize<D: ::serde::Deserializer<'de>>(self, d: D) -> Result<$field_ty, D::Error> {
                $with(d)
            }
        }
        $map.next_value_seed(With)?
    }};
}

pub(crate) use deserialize_keeping_unknown_keys;

/// An object key, borrowed from the input when it has no escapes.
pub(crate) struct ObjectKey<'de>(pub(crate) std::borrow::Cow<'de, str>);

impl<'de> Deserialize<'de> for ObjectKey<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ObjectKey<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object key")
            }

            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(ObjectKey(std::borrow::Cow::Borrowed(v)))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(ObjectKey(std::borrow::Cow::Owned(v.to_owned())))
            }

            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(ObjectKey(std::borrow::Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(V)
    }
}

/// Visitor behind [`lenient_opt_string`].
struct LenientStr;

impl<'de> Visitor<'de> for LenientStr {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Some(v))
    }

    lenient_fallbacks!(None; unit, bool, seq, map, numbers);
}

/// Visitor behind [`lenient_string_vec`].
struct LenientStrVec;

impl<'de> Visitor<'de> for LenientStrVec {
    type Value = Vec<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of strings")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(16));
        while let Some(item) = seq.next_element_seed(LenientStrSeed)? {
            out.extend(item);
        }
        Ok(out)
    }

    lenient_fallbacks!(Vec::new(); unit, bool, map, str, numbers);
}

/// [`lenient_opt_string`] as a seed, for hand-written sequence visitors.
pub(crate) struct LenientStrSeed;

impl<'de> de::DeserializeSeed<'de> for LenientStrSeed {
    type Value = Option<String>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        lenient_opt_string(deserializer)
    }
}

/// Like [`lenient_string`], into a [`compact_str::CompactString`] (no heap block for up to 24
/// bytes).
pub(crate) fn lenient_compact_string<'de, D>(
    deserializer: D,
) -> Result<compact_str::CompactString, D::Error>
where
    D: Deserializer<'de>,
{
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = compact_str::CompactString;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string")
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(v.into())
        }

        lenient_fallbacks!(compact_str::CompactString::default(); unit, bool, seq, map, numbers);
    }
    deserializer.deserialize_any(V)
}

/// Visitor behind [`lenient_opt_i64`].
struct LenientI64;

impl<'de> Visitor<'de> for LenientI64 {
    type Value = Option<i64>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(i64::try_from(v).ok())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        // Only whole numbers well inside the i64 range convert exactly.
        const LIMIT: f64 = 9_007_199_254_740_992.0; // 2^53
        if v.fract() == 0.0 && v.abs() <= LIMIT {
            Ok(Some(v as i64))
        } else {
            Ok(None)
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(v.trim().parse::<i64>().ok())
    }

    lenient_fallbacks!(None; unit, bool, seq, map);
}

/// Visitor behind [`lenient_opt_f64`].
struct LenientF64;

impl<'de> Visitor<'de> for LenientF64 {
    type Value = Option<f64>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number")
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v as f64))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v as f64))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(v.trim().parse::<f64>().ok().filter(|f| f.is_finite()))
    }

    lenient_fallbacks!(None; unit, bool, seq, map);
}

/// Defines an "open" string enum: the known wire values as variants plus `Other(String)` for
/// anything else. `Default` is `Other("")`, meaning "absent"; it (de)serializes as the wire string,
/// and reading `null` or a non-string gives the default.
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $wire:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this build does not know, kept verbatim; `Other("")` means absent.
            Other(String),
        }

        impl Default for $name {
            fn default() -> Self {
                Self::Other(String::new())
            }
        }

        impl $name {
            /// Every known variant, in declaration order.
            pub const KNOWN: &'static [Self] = &[$(Self::$variant),+];

            /// The wire string (for `Other`, the string it carries).
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $wire,)+
                    Self::Other(s) => s,
                }
            }

            /// The variant for a wire string; unknown strings become `Other`.
            pub fn from_wire(s: &str) -> Self {
                match s {
                    $($wire => Self::$variant,)+
                    other => Self::Other(other.to_owned()),
                }
            }

            /// True for the default `Other("")`: the value was absent, null or not a string.
            pub fn is_absent(&self) -> bool {
                matches!(self, Self::Other(s) if s.is_empty())
            }

            /// True when the value is not one of the known variants (and not absent).
            pub fn is_unknown(&self) -> bool {
                matches!(self, Self::Other(s) if !s.is_empty())
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self::from_wire(s)
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                match Self::from_wire(&s) {
                    Self::Other(_) => Self::Other(s),
                    known => known,
                }
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> ::serde::de::Visitor<'de> for V {
                    type Value = $name;

                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str(concat!("a ", stringify!($name), " string"))
                    }

                    fn visit_str<E: ::serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                        Ok($name::from_wire(v))
                    }

                    fn visit_string<E: ::serde::de::Error>(self, v: String) -> Result<Self::Value, E> {
                        Ok($name::from(v))
                    }

                    $crate::twilio::lenient::lenient_fallbacks!($name::default(); unit, bool, seq, map, numbers);
                }
                deserializer.deserialize_any(V)
            }
        }
    };
}

pub(crate) use open_enum;

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    #[test]
    fn scalars_of_the_wrong_type_give_none() {
        let ints: [(Value, Option<i64>); 7] = [
            (json!(12), Some(12)),
            (json!("12"), Some(12)),
            (json!(11.0), Some(11)),
            (json!(1.5), None),
            (json!("abc"), None),
            (json!(18446744073709551615u64), None),
            (Value::Null, None),
        ];
        for (input, expected) in ints {
            assert_eq!(
                lenient_opt_i64(input.clone()).ok(),
                Some(expected),
                "{input}"
            );
        }
        assert_eq!(lenient_opt_f64(json!("1.5")).ok(), Some(Some(1.5)));
        assert_eq!(lenient_opt_f64(json!({"avg": 1})).ok(), Some(None));
        assert_eq!(lenient_string(json!(12)).ok().as_deref(), Some(""));
        assert_eq!(
            lenient_string_vec(json!(["a", 3, null, "b"])).ok(),
            Some(vec!["a".to_owned(), "b".to_owned()])
        );
        assert_eq!(lenient_string_vec(json!("a")).ok(), Some(Vec::new()));
        assert_eq!(null_as_default::<_, i64>(Value::Null).ok(), Some(0));
    }
}
