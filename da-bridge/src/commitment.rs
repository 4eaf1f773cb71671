//! The alt-DA commitment formats served by the bridge.

use crate::DaError;
use alloy_primitives::{B256, keccak256};
use std::fmt;

/// Commitment type byte of a keccak256 commitment (`0x00 ‖ keccak256(data)`).
pub const KECCAK_COMMITMENT_TYPE: u8 = 0x00;
/// Commitment type byte of a generic commitment (`0x01 ‖ da-layer byte ‖ payload`).
pub const GENERIC_COMMITMENT_TYPE: u8 = 0x01;
/// The DA-layer byte of Celestia within a generic commitment.
pub const CELESTIA_DA_LAYER: u8 = 0x0c;
/// Length of an encoded keccak256 commitment.
pub const KECCAK_COMMITMENT_LEN: usize = 1 + 32;
/// Length of an encoded Celestia commitment.
pub const CELESTIA_COMMITMENT_LEN: usize = 1 + 1 + 8 + 32;

/// A decoded DA commitment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DaCommitment {
    /// `0x00 ‖ keccak256(data)`: the embedded store's content address.
    Keccak256(B256),
    /// `0x01 ‖ 0x0c ‖ height (u64 little-endian) ‖ share commitment (32 bytes)`: a Celestia blob.
    Celestia {
        /// The Celestia block height the blob was included at.
        height: u64,
        /// The blob's share commitment (Merkle subtree root).
        share_commitment: [u8; 32],
    },
}

impl DaCommitment {
    /// The keccak256 commitment of `data`.
    pub fn keccak(data: &[u8]) -> Self {
        Self::Keccak256(keccak256(data))
    }

    /// A short name of the commitment's kind.
    pub const fn kind(&self) -> &'static str {
        match self {
            Self::Keccak256(_) => "keccak256",
            Self::Celestia { .. } => "celestia",
        }
    }

    /// The commitment's wire encoding (what `PUT /put` answers).
    pub fn encode(&self) -> Vec<u8> {
        match self {
            Self::Keccak256(hash) => {
                let mut out = Vec::with_capacity(KECCAK_COMMITMENT_LEN);
                out.push(KECCAK_COMMITMENT_TYPE);
                out.extend_from_slice(hash.as_slice());
                out
            }
            Self::Celestia { height, share_commitment } => {
                let mut out = Vec::with_capacity(CELESTIA_COMMITMENT_LEN);
                out.extend_from_slice(&[GENERIC_COMMITMENT_TYPE, CELESTIA_DA_LAYER]);
                out.extend_from_slice(&height.to_le_bytes());
                out.extend_from_slice(share_commitment);
                out
            }
        }
    }

    /// Decodes a commitment from its wire encoding.
    pub fn decode(bytes: &[u8]) -> Result<Self, DaError> {
        let invalid = |reason: String| Err(DaError::InvalidCommitment(reason));
        match bytes {
            [] => invalid("empty commitment".into()),
            [KECCAK_COMMITMENT_TYPE, hash @ ..] => match <[u8; 32]>::try_from(hash) {
                Ok(hash) => Ok(Self::Keccak256(B256::from(hash))),
                Err(_) => invalid(format!(
                    "keccak256 commitment must be {KECCAK_COMMITMENT_LEN} bytes, got {}",
                    bytes.len()
                )),
            },
            [GENERIC_COMMITMENT_TYPE, CELESTIA_DA_LAYER, rest @ ..] => {
                if rest.len() != 8 + 32 {
                    return invalid(format!(
                        "celestia commitment must be {CELESTIA_COMMITMENT_LEN} bytes, got {}",
                        bytes.len()
                    ));
                }
                let (height, share_commitment) = rest.split_at(8);
                Ok(Self::Celestia {
                    height: u64::from_le_bytes(height.try_into().expect("8 bytes")),
                    share_commitment: share_commitment.try_into().expect("32 bytes"),
                })
            }
            [GENERIC_COMMITMENT_TYPE] => {
                invalid("generic commitment without a DA-layer byte".into())
            }
            [GENERIC_COMMITMENT_TYPE, layer, ..] => {
                invalid(format!("unsupported DA layer 0x{layer:02x} (only celestia, 0x0c)"))
            }
            [kind, ..] => invalid(format!("unknown commitment type 0x{kind:02x}")),
        }
    }

    /// Decodes a commitment from hex, with or without a `0x` prefix (the `/get/` path segment).
    pub fn from_hex(text: &str) -> Result<Self, DaError> {
        let digits = text.strip_prefix("0x").unwrap_or(text);
        let bytes = hex::decode(digits)
            .map_err(|err| DaError::InvalidCommitment(format!("not hex ({err})")))?;
        Self::decode(&bytes)
    }
}

impl fmt::Display for DaCommitment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{}", hex::encode(self.encode()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    #[test]
    fn keccak_layout() {
        let c = DaCommitment::keccak(b"hello");
        let encoded = c.encode();
        assert_eq!(encoded.len(), 33);
        assert_eq!(encoded[0], 0x00);
        assert_eq!(&encoded[1..], keccak256(b"hello").as_slice());
    }

    #[test]
    fn celestia_layout() {
        let c = DaCommitment::Celestia { height: 0x0102, share_commitment: [7; 32] };
        let encoded = c.encode();
        assert_eq!(encoded.len(), 42);
        assert_eq!(&encoded[..4], &[0x01, 0x0c, 0x02, 0x01]);
        assert_eq!(&encoded[4..10], &[0; 6]);
        assert_eq!(&encoded[10..], &[7; 32]);
        assert_eq!(c.to_string(), format!("0x010c0201000000000000{}", "07".repeat(32)));
    }

    #[rstest]
    #[case::empty("")]
    #[case::not_hex("0xzz")]
    #[case::odd("0x0")]
    #[case::short_keccak("0x00aabb")]
    #[case::long_keccak(&format!("0x00{}", "11".repeat(33)))]
    #[case::unknown_type(&format!("0x02{}", "11".repeat(32)))]
    #[case::generic_only("0x01")]
    #[case::other_layer(&format!("0x010d{}", "11".repeat(40)))]
    #[case::short_celestia(&format!("0x010c{}", "11".repeat(39)))]
    fn rejects_malformed(#[case] text: &str) {
        assert!(
            matches!(DaCommitment::from_hex(text), Err(DaError::InvalidCommitment(_))),
            "{text}"
        );
    }

    #[test]
    fn hex_with_or_without_prefix() {
        let c = DaCommitment::keccak(b"x");
        let hex = hex::encode(c.encode());
        assert_eq!(DaCommitment::from_hex(&hex).unwrap(), c);
        assert_eq!(DaCommitment::from_hex(&format!("0x{hex}")).unwrap(), c);
    }

    proptest! {
        #[test]
        fn round_trips(height: u64, share: [u8; 32], hash: [u8; 32]) {
            for c in [
                DaCommitment::Celestia { height, share_commitment: share },
                DaCommitment::Keccak256(B256::from(hash)),
            ] {
                prop_assert_eq!(DaCommitment::decode(&c.encode()).unwrap(), c);
            }
        }

        #[test]
        fn decode_never_panics(bytes: Vec<u8>) {
            if let Ok(c) = DaCommitment::decode(&bytes) {
                prop_assert_eq!(c.encode(), bytes);
            }
        }
    }
}
