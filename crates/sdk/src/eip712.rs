//! EIP-712 messages of the identity contracts and helpers to sign them.

#![allow(missing_docs)]

use alloy_primitives::{Address, Bytes, U256};
use alloy_signer::Signer;
use alloy_sol_types::{Eip712Domain, SolStruct, sol};

use crate::Result;

sol! {
    /// `LinkWallet(uint256 passportId,address wallet,uint256 nonce,uint256 deadline)`: signed by
    /// the wallet being linked; `nonce` is the passport contract's `nonces(wallet)`.
    #[derive(Debug, PartialEq, Eq)]
    struct LinkWallet {
        uint256 passportId;
        address wallet;
        uint256 nonce;
        uint256 deadline;
    }

    /// `MintAttestation(uint256 classId,uint256 passportId,address recipient,bytes32
    /// attestationId,uint256 deadline)`: signed by a validator the badge class trusts;
    /// `recipient` is the passport's owner.
    #[derive(Debug, PartialEq, Eq)]
    struct MintAttestation {
        uint256 classId;
        uint256 passportId;
        address recipient;
        bytes32 attestationId;
        uint256 deadline;
    }

    /// `LinkSolana(uint256 passportId,bytes32 solanaAddress,bytes32 attestationId,uint256
    /// deadline)`: signed by a validator holding TRexPassport's `VALIDATOR_ROLE` after it checked
    /// the Solana key's own ed25519 signature; `solanaAddress` is the 32-byte public key.
    #[derive(Debug, PartialEq, Eq)]
    struct LinkSolana {
        uint256 passportId;
        bytes32 solanaAddress;
        bytes32 attestationId;
        uint256 deadline;
    }

    /// `LinkWeb2(uint256 passportId,bytes32 platform,bytes32 handleHash,bytes32
    /// attestationId,uint256 deadline)`: signed by a validator holding TRexPassport's
    /// `VALIDATOR_ROLE`; `platform` is `keccak256(lowercase platform name)`, `handleHash` is
    /// `keccak256(handle)` (the handle itself never goes on chain).
    #[derive(Debug, PartialEq, Eq)]
    struct LinkWeb2 {
        uint256 passportId;
        bytes32 platform;
        bytes32 handleHash;
        bytes32 attestationId;
        uint256 deadline;
    }
}

/// The EIP-712 domain of a TRexPassport proxy (name "TRexPassport", version "1").
pub fn passport_domain(chain_id: u64, passport: Address) -> Eip712Domain {
    domain("TRexPassport", chain_id, passport)
}

/// The EIP-712 domain of a TRexBadge proxy (name "TRexBadge", version "1").
pub fn badge_domain(chain_id: u64, badge: Address) -> Eip712Domain {
    domain("TRexBadge", chain_id, badge)
}

fn domain(name: &'static str, chain_id: u64, verifying_contract: Address) -> Eip712Domain {
    Eip712Domain::new(
        Some(name.into()),
        Some("1".into()),
        Some(U256::from(chain_id)),
        Some(verifying_contract),
        None,
    )
}

/// Signs `message` under `domain` and returns the 65-byte `r ‖ s ‖ v` signature the contracts
/// accept.
pub async fn sign_typed<T, S>(signer: &S, message: &T, domain: &Eip712Domain) -> Result<Bytes>
where
    T: SolStruct + Send + Sync,
    S: Signer + Send + Sync + ?Sized,
{
    let hash = message.eip712_signing_hash(domain);
    let sig = signer.sign_hash(&hash).await?;
    Ok(Bytes::copy_from_slice(&sig.as_bytes()))
}

/// Signs a `LinkWallet` authorisation with the key of the wallet being linked (the wallet is
/// `signer.address()`).
pub async fn sign_link_wallet<S>(
    signer: &S,
    domain: &Eip712Domain,
    passport_id: U256,
    nonce: U256,
    deadline: U256,
) -> Result<Bytes>
where
    S: Signer + Send + Sync + ?Sized,
{
    let message = LinkWallet { passportId: passport_id, wallet: signer.address(), nonce, deadline };
    sign_typed(signer, &message, domain).await
}

/// Signs a `MintAttestation` with a validator's key.
pub async fn sign_mint_attestation<S>(
    signer: &S,
    domain: &Eip712Domain,
    attestation: &MintAttestation,
) -> Result<Bytes>
where
    S: Signer + Send + Sync + ?Sized,
{
    sign_typed(signer, attestation, domain).await
}

/// Signs a `LinkSolana` attestation with a validator's key (domain: [`passport_domain`]).
pub async fn sign_link_solana<S>(
    signer: &S,
    domain: &Eip712Domain,
    attestation: &LinkSolana,
) -> Result<Bytes>
where
    S: Signer + Send + Sync + ?Sized,
{
    sign_typed(signer, attestation, domain).await
}

/// Signs a `LinkWeb2` attestation with a validator's key (domain: [`passport_domain`]).
pub async fn sign_link_web2<S>(
    signer: &S,
    domain: &Eip712Domain,
    attestation: &LinkWeb2,
) -> Result<Bytes>
where
    S: Signer + Send + Sync + ?Sized,
{
    sign_typed(signer, attestation, domain).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{B256, address, keccak256};
    use alloy_signer_local::PrivateKeySigner;
    use alloy_sol_types::SolValue;

    const PASSPORT: Address = address!("0xbbB216C52f5B9095391f463AdC438d65a8aC2242");
    const BADGE: Address = address!("0x6F52cCCfAb0712Db45C31863B262e2683097bb5c");

    /// The domain separator exactly as `IdentityTestBase._domain` builds it.
    fn domain_by_hand(name: &str, chain_id: u64, contract: Address) -> B256 {
        keccak256(
            (
                keccak256(
                    "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)",
                ),
                keccak256(name),
                keccak256("1"),
                U256::from(chain_id),
                contract,
            )
                .abi_encode(),
        )
    }

    fn digest_by_hand(domain: B256, struct_hash: B256) -> B256 {
        let mut buf = vec![0x19, 0x01];
        buf.extend_from_slice(domain.as_slice());
        buf.extend_from_slice(struct_hash.as_slice());
        keccak256(buf)
    }

    #[test]
    fn type_strings_match_the_contracts() {
        assert_eq!(
            LinkWallet::eip712_encode_type(),
            "LinkWallet(uint256 passportId,address wallet,uint256 nonce,uint256 deadline)"
        );
        assert_eq!(
            MintAttestation::eip712_encode_type(),
            "MintAttestation(uint256 classId,uint256 passportId,address recipient,bytes32 attestationId,uint256 deadline)"
        );
    }

    #[test]
    fn link_attestation_type_strings_match_the_contracts() {
        assert_eq!(
            LinkSolana::eip712_encode_type(),
            "LinkSolana(uint256 passportId,bytes32 solanaAddress,bytes32 attestationId,uint256 deadline)"
        );
        assert_eq!(
            LinkWeb2::eip712_encode_type(),
            "LinkWeb2(uint256 passportId,bytes32 platform,bytes32 handleHash,bytes32 attestationId,uint256 deadline)"
        );
    }

    #[test]
    fn link_web2_digest_matches_hand_derivation() {
        let msg = LinkWeb2 {
            passportId: U256::from(4),
            platform: keccak256("twitch"),
            handleHash: keccak256("trex_fan"),
            attestationId: B256::repeat_byte(0x01),
            deadline: U256::from(1_800_000_000u64),
        };
        let struct_hash = keccak256(
            (
                keccak256(
                    "LinkWeb2(uint256 passportId,bytes32 platform,bytes32 handleHash,bytes32 attestationId,uint256 deadline)",
                ),
                U256::from(4),
                keccak256("twitch"),
                keccak256("trex_fan"),
                B256::repeat_byte(0x01),
                U256::from(1_800_000_000u64),
            )
                .abi_encode(),
        );
        assert_eq!(msg.eip712_hash_struct(), struct_hash);
        let domain = passport_domain(31628, PASSPORT);
        assert_eq!(
            msg.eip712_signing_hash(&domain),
            digest_by_hand(domain_by_hand("TRexPassport", 31628, PASSPORT), struct_hash)
        );
    }

    #[tokio::test]
    async fn link_solana_signature_recovers_to_the_validator() {
        let validator = PrivateKeySigner::random();
        let domain = passport_domain(31628, PASSPORT);
        let msg = LinkSolana {
            passportId: U256::from(1),
            solanaAddress: B256::repeat_byte(0x5a),
            attestationId: B256::repeat_byte(0x02),
            deadline: U256::from(10),
        };
        let sig = sign_link_solana(&validator, &domain, &msg).await.unwrap();
        let parsed = alloy_primitives::Signature::try_from(&sig[..]).unwrap();
        let recovered =
            parsed.recover_address_from_prehash(&msg.eip712_signing_hash(&domain)).unwrap();
        assert_eq!(recovered, validator.address());
    }

    #[test]
    fn domains_match_hand_derivation() {
        assert_eq!(
            passport_domain(7777, PASSPORT).hash_struct(),
            domain_by_hand("TRexPassport", 7777, PASSPORT)
        );
        assert_eq!(
            badge_domain(7777, BADGE).hash_struct(),
            domain_by_hand("TRexBadge", 7777, BADGE)
        );
    }

    #[test]
    fn link_wallet_digest_matches_hand_derivation() {
        let wallet = address!("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
        let msg = LinkWallet {
            passportId: U256::from(3),
            wallet,
            nonce: U256::from(1),
            deadline: U256::from(1_700_000_000u64),
        };
        let struct_hash = keccak256(
            (
                keccak256(
                    "LinkWallet(uint256 passportId,address wallet,uint256 nonce,uint256 deadline)",
                ),
                U256::from(3),
                wallet,
                U256::from(1),
                U256::from(1_700_000_000u64),
            )
                .abi_encode(),
        );
        assert_eq!(msg.eip712_hash_struct(), struct_hash);
        let domain = passport_domain(7777, PASSPORT);
        assert_eq!(
            msg.eip712_signing_hash(&domain),
            digest_by_hand(domain_by_hand("TRexPassport", 7777, PASSPORT), struct_hash)
        );
    }

    #[test]
    fn mint_attestation_digest_matches_hand_derivation() {
        let recipient = address!("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
        let id = B256::repeat_byte(0xab);
        let msg = MintAttestation {
            classId: U256::from(2),
            passportId: U256::from(5),
            recipient,
            attestationId: id,
            deadline: U256::from(99u64),
        };
        let struct_hash = keccak256(
            (
                keccak256(
                    "MintAttestation(uint256 classId,uint256 passportId,address recipient,bytes32 attestationId,uint256 deadline)",
                ),
                U256::from(2),
                U256::from(5),
                recipient,
                id,
                U256::from(99u64),
            )
                .abi_encode(),
        );
        assert_eq!(msg.eip712_hash_struct(), struct_hash);
        let domain = badge_domain(1, BADGE);
        assert_eq!(
            msg.eip712_signing_hash(&domain),
            digest_by_hand(domain_by_hand("TRexBadge", 1, BADGE), struct_hash)
        );
    }

    #[tokio::test]
    async fn signatures_recover_to_the_signer_and_are_rsv() {
        let signer = PrivateKeySigner::random();
        let domain = passport_domain(7777, PASSPORT);
        let sig = sign_link_wallet(&signer, &domain, U256::from(1), U256::ZERO, U256::from(10))
            .await
            .unwrap();
        assert_eq!(sig.len(), 65);
        assert!(sig[64] == 27 || sig[64] == 28, "v must be 27 or 28 as ECDSA.recover expects");
        let msg = LinkWallet {
            passportId: U256::from(1),
            wallet: signer.address(),
            nonce: U256::ZERO,
            deadline: U256::from(10),
        };
        let parsed = alloy_primitives::Signature::try_from(&sig[..]).unwrap();
        let recovered =
            parsed.recover_address_from_prehash(&msg.eip712_signing_hash(&domain)).unwrap();
        assert_eq!(recovered, signer.address());
    }
}
