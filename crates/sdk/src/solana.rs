//! Linking a Solana address: the ed25519 key signs a fixed message naming the passport's DID,
//! the validator checks it and attests the link, the passport owner submits the attestation.

use alloy_primitives::{B256, U256};

use crate::{Error, Result, siwe::passport_did};

/// The UTF-8 message a Solana key signs to be linked to a passport:
/// `T-Rex Passport: link Solana address <base58> to did:trex:<chainId>:<passportId>`.
pub fn solana_link_message(chain_id: u64, passport_id: U256, solana_address: &str) -> String {
    format!(
        "T-Rex Passport: link Solana address {solana_address} to {}",
        passport_did(chain_id, passport_id)
    )
}

/// Something that holds a Solana (ed25519) key: a local key or a wallet adapter.
pub trait SolanaSigner {
    /// The 32-byte ed25519 public key (the Solana address).
    fn public_key(&self) -> [u8; 32];
    /// An ed25519 signature of `message`.
    fn sign_message(&self, message: &[u8]) -> [u8; 64];
}

impl SolanaSigner for ed25519_dalek::SigningKey {
    fn public_key(&self) -> [u8; 32] {
        self.verifying_key().to_bytes()
    }

    fn sign_message(&self, message: &[u8]) -> [u8; 64] {
        ed25519_dalek::Signer::sign(self, message).to_bytes()
    }
}

/// The base58 form of a Solana address.
pub fn solana_address(public_key: &[u8; 32]) -> String {
    bs58::encode(public_key).into_string()
}

/// The 32 bytes of a base58 Solana address, as the passport stores it.
pub fn solana_address_bytes(base58: &str) -> Result<B256> {
    let bytes = bs58::decode(base58)
        .into_vec()
        .map_err(|e| Error::Solana(format!("`{base58}` is not base58: {e}")))?;
    let bytes: [u8; 32] =
        bytes.try_into().map_err(|_| Error::Solana(format!("`{base58}` is not 32 bytes")))?;
    Ok(B256::from(bytes))
}

/// A Solana key's signed link request: what `POST /v1/link/solana` takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SolanaLinkProof {
    /// The address, base58.
    pub address: String,
    /// The ed25519 signature of [`solana_link_message`], base58.
    pub signature: String,
}

/// Signs the link message for `passport_id` on `chain_id` with `signer`.
pub fn sign_solana_link<S: SolanaSigner + ?Sized>(
    signer: &S,
    chain_id: u64,
    passport_id: U256,
) -> SolanaLinkProof {
    let address = solana_address(&signer.public_key());
    let message = solana_link_message(chain_id, passport_id, &address);
    let signature = bs58::encode(signer.sign_message(message.as_bytes())).into_string();
    SolanaLinkProof { address, signature }
}

#[cfg(test)]
mod tests {
    use ed25519_dalek::{Signature, SigningKey, Verifier};

    use super::*;

    #[test]
    fn link_proofs_verify_against_the_documented_message() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let proof = sign_solana_link(&key, 31628, U256::from(5));
        let message =
            format!("T-Rex Passport: link Solana address {} to did:trex:31628:5", proof.address);
        let sig: [u8; 64] = bs58::decode(&proof.signature).into_vec().unwrap().try_into().unwrap();
        key.verifying_key().verify(message.as_bytes(), &Signature::from_bytes(&sig)).unwrap();
        assert_eq!(
            solana_address_bytes(&proof.address).unwrap(),
            B256::from(key.verifying_key().to_bytes())
        );
        assert!(solana_address_bytes("0OIl").is_err());
        assert!(solana_address_bytes("11111111").is_err());
    }
}
