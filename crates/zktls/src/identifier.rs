//! Reclaim's claim identifier and the string its witnesses sign.

use crate::ZkTlsError;
use alloy_primitives::{Address, B256, keccak256};
use serde_json::Value;
use std::fmt::Write as _;

/// Recomputes a claim identifier as Reclaim's attestor does (`getIdentifierFromClaimInfo`):
/// `keccak256(utf8(provider + "\n" + parameters + "\n" + canonical(context)))`.
///
/// A non-empty `context` must be JSON and is re-serialised canonically first
/// ([`canonical_json`]); an empty one hashes as the empty string.
///
/// # Errors
/// [`ZkTlsError::InvalidContext`] when `context` is non-empty and not JSON.
pub fn claim_identifier(
    provider: &str,
    parameters: &str,
    context: &str,
) -> Result<B256, ZkTlsError> {
    let context = if context.is_empty() {
        String::new()
    } else {
        let value: Value = serde_json::from_str(context)
            .map_err(|e| ZkTlsError::InvalidContext(format!("context is not JSON: {e}")))?;
        canonical_json(&value)
    };
    Ok(keccak256(format!("{provider}\n{parameters}\n{context}")))
}

/// The string a witness signs for a claim (Reclaim's `createSignDataForClaim`):
/// the `0x`-prefixed lower-case identifier, the lower-case `0x` owner address, `timestampS` and
/// `epoch` in decimal, joined by `"\n"`. Witnesses sign it with EIP-191 `personal_sign`.
pub fn sign_data(identifier: B256, owner: Address, timestamp_s: u64, epoch: u64) -> String {
    // B256's Display is lower-case 0x-hex; an Address displays checksummed, so format its bytes.
    format!("{identifier}\n0x{}\n{timestamp_s}\n{epoch}", alloy_primitives::hex::encode(owner))
}

/// Serialises JSON canonically as the `canonicalize` package Reclaim uses (RFC 8785 / JCS): no
/// whitespace, object keys sorted by UTF-16 code units, strings escaped as `JSON.stringify` does.
///
/// Numbers: integers print in decimal; a float with an integral value below 10^21 prints without
/// a fraction (`1.0` → `1`) as in JavaScript; other floats use the shortest round-trip form, which
/// agrees with JavaScript except for exponent spelling (`1e21` vs `1e+21`). Reclaim contexts carry
/// strings, so these corners do not arise in practice.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => write_number(n, out),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|(a, _), (b, _)| a.encode_utf16().cmp(b.encode_utf16()));
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(key, out);
                out.push(':');
                write_canonical(item, out);
            }
            out.push('}');
        }
    }
}

fn write_number(n: &serde_json::Number, out: &mut String) {
    if n.is_i64() || n.is_u64() {
        out.push_str(&n.to_string());
        return;
    }
    match n.as_f64() {
        // JavaScript prints -0 as 0.
        Some(0.0) => out.push('0'),
        Some(f) if f.fract() == 0.0 && f.abs() < 1e21 => {
            let _ = write!(out, "{f:.0}");
        }
        _ => out.push_str(&n.to_string()),
    }
}

fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{address, b256};
    use rstest::rstest;

    /// Known answer, derived outside this crate: the expected value is viem's `keccak256` (a separate
    /// JavaScript keccak implementation) of the hand-written string
    /// `'http\n{"url":"https://example.com/followers"}\n{"contextMessage":"m","extractedParameters":{"followers":"12,345"}}'`,
    /// i.e. provider, parameters and the context with its keys sorted by hand, joined by newlines:
    /// `node -e "console.log(require('viem').keccak256(require('viem').toBytes(s)))"`.
    /// The context given here has its keys out of order and extra whitespace, so the test also
    /// covers canonicalisation.
    #[test]
    fn identifier_known_answer() {
        let id = claim_identifier(
            "http",
            r#"{"url":"https://example.com/followers"}"#,
            r#"{ "extractedParameters": { "followers": "12,345" }, "contextMessage": "m" }"#,
        )
        .unwrap();
        assert_eq!(id, b256!("0x6424b24ea99476d5de4e786529145ded9ae190f787585c65be6111012db596a2"));
    }

    /// Empty context: the string hashed is `"http\n{}\n"` (viem keccak256, as above).
    #[test]
    fn identifier_known_answer_empty_context() {
        let id = claim_identifier("http", "{}", "").unwrap();
        assert_eq!(id, b256!("0xac6cab6273384a69c8a5502143dafafe238ad08e0701eb81326da96582bde03e"));
    }

    #[test]
    fn identifier_rejects_non_json_context() {
        assert!(matches!(
            claim_identifier("http", "{}", "not json"),
            Err(ZkTlsError::InvalidContext(_))
        ));
    }

    #[test]
    fn sign_data_is_newline_joined_with_lowercase_owner() {
        let data = sign_data(
            B256::repeat_byte(0xab),
            address!("0x08B0292BEF7EF2EF839D9F95B709401140EF0B7B"),
            1_736_693_048,
            1,
        );
        assert_eq!(
            data,
            format!(
                "0x{}\n0x08b0292bef7ef2ef839d9f95b709401140ef0b7b\n1736693048\n1",
                "ab".repeat(32)
            )
        );
    }

    #[rstest]
    #[case::sorted_keys(
        r#"{"b":1,"a":{"d":[1,2],"c":null}}"#,
        r#"{"a":{"c":null,"d":[1,2]},"b":1}"#
    )]
    #[case::whitespace(" [ true , false ] ", "[true,false]")]
    #[case::integral_float("1.0", "1")]
    #[case::fraction("0.5", "0.5")]
    #[case::negative("-3", "-3")]
    #[case::negative_zero("-0.0", "0")]
    #[case::big_integral_float("1e20", "100000000000000000000")]
    #[case::escapes(r#""a\"b\\c\n\u0001/é""#, "\"a\\\"b\\\\c\\n\\u0001/é\"")]
    // UTF-16 order puts U+FF5E (one unit 0xFF5E) after U+1F600 (surrogates 0xD83D…).
    #[case::utf16_order(r#"{"～":1,"😀":2}"#, r#"{"😀":2,"～":1}"#)]
    fn canonical_json_cases(#[case] input: &str, #[case] expected: &str) {
        let value: Value = serde_json::from_str(input).unwrap();
        assert_eq!(canonical_json(&value), expected);
    }
}
