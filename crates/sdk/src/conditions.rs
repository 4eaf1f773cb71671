//! The local side of a badge class's conditions document: its `paramsHash` and `validatorKind`.
//!
//! `paramsHash` is keccak256 of the document's canonical JSON (RFC 8785: keys sorted, no
//! whitespace; [`trex_zktls::canonical_json`], the function the validator uses). The validator
//! hashes the document exactly as written — only key order and whitespace are normalised — so
//! any spelling of an amount (`"1"`, `1`, `"0x1"`) or an address gives the same hash here and
//! there, which
//! [`ValidatorClient::conditions_hash_checked`](crate::ValidatorClient::conditions_hash_checked)
//! verifies before a class is created. Write uint256 amounts as decimal strings.

use alloy_primitives::{B256, keccak256};

/// keccak256 of the canonical JSON of a conditions document.
pub fn params_hash(conditions: &serde_json::Value) -> B256 {
    keccak256(trex_zktls::canonical_json(conditions))
}

/// A class's `validatorKind`: keccak256 of the kind's name (`NFT`, `TOKEN`, `WEB3`, `ZKTLS`,
/// `ECOSYSTEM`, `SOCIAL`).
pub fn validator_kind(name: &str) -> B256 {
    keccak256(name)
}

/// The kind a conditions document declares (`"kind": "NFT"`), if any.
pub fn document_kind(conditions: &serde_json::Value) -> Option<&str> {
    conditions.get("kind").and_then(serde_json::Value::as_str)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn hash_ignores_key_order_and_whitespace() {
        let a = json!({"version": 1, "kind": "TOKEN", "rule": {"type": "tx_count", "min": 3}});
        let b: serde_json::Value = serde_json::from_str(
            r#"{ "rule" : { "min": 3, "type": "tx_count" }, "kind": "TOKEN", "version": 1 }"#,
        )
        .unwrap();
        assert_eq!(params_hash(&a), params_hash(&b));
        assert_eq!(
            params_hash(&a),
            keccak256(r#"{"kind":"TOKEN","rule":{"min":3,"type":"tx_count"},"version":1}"#)
        );
        assert_eq!(document_kind(&a), Some("TOKEN"));
        assert_eq!(validator_kind("ZKTLS"), keccak256("ZKTLS"));
    }

    #[test]
    fn vectors_shared_with_the_typescript_sdk() {
        let fixture: serde_json::Value =
            serde_json::from_str(include_str!("../testdata/conditions-vectors.json")).unwrap();
        for v in fixture["vectors"].as_array().unwrap() {
            let canonical = trex_zktls::canonical_json(&v["conditions"]);
            assert_eq!(canonical, v["canonical"].as_str().unwrap());
            assert_eq!(
                params_hash(&v["conditions"]).to_string(),
                v["paramsHash"].as_str().unwrap()
            );
        }
    }
}
