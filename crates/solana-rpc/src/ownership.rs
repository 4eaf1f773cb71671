//! Proof that a passport owner controls a Solana address: an ed25519 signature by the address's
//! key over a fixed message naming the passport.

use alloy_primitives::U256;
use ed25519_dalek::{Signature, VerifyingKey};

use crate::{SolanaAddress, SolanaRpcError};

/// The UTF-8 message a Solana key signs to be linked to a passport:
/// `T-Rex Passport: link Solana address <base58> to did:trex:<chainId>:<passportId>`.
///
/// Naming the chain and the passport keeps a signature from being replayed to link the address
/// to another passport or on another T-Rex network. Wallets sign it with `signMessage`, which
/// signs the raw bytes (no prefix).
pub fn link_message(address: &SolanaAddress, chain_id: u64, passport_id: U256) -> String {
    format!("T-Rex Passport: link Solana address {address} to did:trex:{chain_id}:{passport_id}")
}

/// Checks that `signature_base58` (64 bytes, base58) is `address`'s ed25519 signature over
/// `message`.
///
/// Verification is strict (`verify_strict`): small-order public keys and non-canonical `R`
/// encodings, which would let one signature verify for several messages or keys, are rejected.
///
/// # Errors
/// [`SolanaRpcError::MalformedSignature`] when the signature is not 64 bytes of base58 or the
/// address is not a curve point (program-derived addresses have no key);
/// [`SolanaRpcError::SignatureMismatch`] when it does not verify.
pub fn verify_signature(
    address: &SolanaAddress,
    message: &[u8],
    signature_base58: &str,
) -> Result<(), SolanaRpcError> {
    let mut bytes = [0u8; 64];
    let len = bs58::decode(signature_base58.trim())
        .onto(&mut bytes)
        .map_err(|err| SolanaRpcError::MalformedSignature(format!("signature: {err}")))?;
    if len != 64 {
        return Err(SolanaRpcError::MalformedSignature(format!(
            "signature is {len} bytes, not 64"
        )));
    }
    let key = VerifyingKey::from_bytes(address.as_bytes()).map_err(|_| {
        SolanaRpcError::MalformedSignature(format!("{address} is not an ed25519 public key"))
    })?;
    key.verify_strict(message, &Signature::from_bytes(&bytes))
        .map_err(|_| SolanaRpcError::SignatureMismatch(address.to_string()))
}

#[cfg(test)]
mod tests {
    use ed25519_dalek::{SigningKey, ed25519::signature::Signer};

    use super::*;

    fn key(seed: u8) -> (SigningKey, SolanaAddress) {
        let signing = SigningKey::from_bytes(&[seed; 32]);
        let address = SolanaAddress::new(signing.verifying_key().to_bytes());
        (signing, address)
    }

    fn sign(key: &SigningKey, message: &str) -> String {
        bs58::encode(key.sign(message.as_bytes()).to_bytes()).into_string()
    }

    #[test]
    fn link_message_is_exact() {
        let address: SolanaAddress = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA".parse().unwrap();
        assert_eq!(
            link_message(&address, 31_628, U256::from(42)),
            "T-Rex Passport: link Solana address TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA to did:trex:31628:42"
        );
    }

    #[test]
    fn verifies_the_address_key_signature() {
        let (signing, address) = key(7);
        let message = link_message(&address, 31_628, U256::from(1));
        verify_signature(&address, message.as_bytes(), &sign(&signing, &message)).unwrap();
    }

    #[test]
    fn rejects_another_message_passport_or_key() {
        let (signing, address) = key(7);
        let signature = sign(&signing, &link_message(&address, 31_628, U256::from(1)));
        let other_passport = link_message(&address, 31_628, U256::from(2));
        let err = verify_signature(&address, other_passport.as_bytes(), &signature).unwrap_err();
        assert!(matches!(err, SolanaRpcError::SignatureMismatch(_)), "{err}");
        let other_chain = link_message(&address, 1_628, U256::from(1));
        assert!(verify_signature(&address, other_chain.as_bytes(), &signature).is_err());
        let (_, stranger) = key(8);
        let message = link_message(&stranger, 31_628, U256::from(1));
        let err = verify_signature(&stranger, message.as_bytes(), &signature).unwrap_err();
        assert!(matches!(err, SolanaRpcError::SignatureMismatch(_)), "{err}");
    }

    #[rstest::rstest]
    #[case::not_base58("0OIl")]
    #[case::short("3yZe7d")]
    #[case::too_long(&bs58::encode([1u8; 65]).into_string())]
    fn rejects_malformed_signatures(#[case] signature: &str) {
        let (_, address) = key(7);
        let err = verify_signature(&address, b"m", signature).unwrap_err();
        assert!(matches!(err, SolanaRpcError::MalformedSignature(_)), "{err}");
    }

    #[test]
    fn rejects_small_order_keys() {
        // The identity point (y = 1) is a valid encoding of small order: with a zero scalar
        // `S` and `R` = identity, a lax verifier accepts this signature for every message.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        let address = SolanaAddress::new(identity);
        let mut forged = [0u8; 64];
        forged[0] = 1;
        let forged = bs58::encode(forged).into_string();
        assert!(verify_signature(&address, b"any message", &forged).is_err());
    }
}
