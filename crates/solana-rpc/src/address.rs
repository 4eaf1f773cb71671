//! Solana addresses: 32-byte ed25519 public keys, written in base58.

use std::{fmt, str::FromStr};

use alloy_primitives::B256;

use crate::SolanaRpcError;

/// A Solana address (an ed25519 public key, or a program-derived address).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SolanaAddress([u8; 32]);

impl SolanaAddress {
    /// The address of these 32 bytes.
    pub const fn new(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Its 32 bytes.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// As the `bytes32` TRexPassport stores.
    pub const fn to_b256(self) -> B256 {
        B256::new(self.0)
    }
}

impl From<B256> for SolanaAddress {
    fn from(word: B256) -> Self {
        Self(word.0)
    }
}

impl FromStr for SolanaAddress {
    type Err = SolanaRpcError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut bytes = [0u8; 32];
        let len = bs58::decode(s)
            .onto(&mut bytes)
            .map_err(|err| SolanaRpcError::InvalidAddress(format!("{s}: {err}")))?;
        if len != 32 {
            return Err(SolanaRpcError::InvalidAddress(format!("{s}: {len} bytes, not 32")));
        }
        Ok(Self(bytes))
    }
}

impl fmt::Display for SolanaAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&bs58::encode(self.0).into_string())
    }
}

impl fmt::Debug for SolanaAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SolanaAddress({self})")
    }
}

impl serde::Serialize for SolanaAddress {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for SolanaAddress {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_base58() {
        // The System Program is all zeros.
        let system: SolanaAddress = "11111111111111111111111111111111".parse().unwrap();
        assert_eq!(system.as_bytes(), &[0u8; 32]);
        let token = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA";
        assert_eq!(token.parse::<SolanaAddress>().unwrap().to_string(), token);
    }

    #[test]
    fn rejects_bad_addresses() {
        assert!("0OIl".parse::<SolanaAddress>().is_err());
        assert!("1111".parse::<SolanaAddress>().is_err());
    }
}
