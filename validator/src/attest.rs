//! EIP-712 signing of the attestations the identity contracts accept: `MintAttestation` under
//! TRexBadge's domain, `LinkSolana` and `LinkWeb2` under TRexPassport's.

use alloy_primitives::{Address, B256, Bytes};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::Eip712Domain;
use trex_sdk::{
    LinkSolana, LinkWeb2, MintAttestation, badge_domain, passport_domain, sign_link_solana,
    sign_link_web2, sign_mint_attestation,
};

use crate::error::ValidatorError;

/// The service's signing key and the two EIP-712 domains it signs under.
#[derive(Debug, Clone)]
pub struct Attester {
    signer: PrivateKeySigner,
    passport_domain: Eip712Domain,
    badge_domain: Eip712Domain,
}

fn signing(err: trex_sdk::Error) -> ValidatorError {
    ValidatorError::Signing(err.to_string())
}

impl Attester {
    /// Signs with `signer` for the contracts at `passport` and `badge` on chain `chain_id`.
    pub fn new(signer: PrivateKeySigner, chain_id: u64, passport: Address, badge: Address) -> Self {
        Self {
            signer,
            passport_domain: passport_domain(chain_id, passport),
            badge_domain: badge_domain(chain_id, badge),
        }
    }

    /// The validator address the contracts recover from its signatures.
    pub fn address(&self) -> Address {
        self.signer.address()
    }

    /// A fresh attestation id: 32 random bytes, so ids never collide across instances or
    /// restarts without any coordination.
    pub fn new_id() -> B256 {
        B256::random()
    }

    /// Signs a badge mint.
    pub async fn sign_mint(&self, attestation: &MintAttestation) -> Result<Bytes, ValidatorError> {
        sign_mint_attestation(&self.signer, &self.badge_domain, attestation).await.map_err(signing)
    }

    /// Signs a Solana address link.
    pub async fn sign_link_solana(
        &self,
        attestation: &LinkSolana,
    ) -> Result<Bytes, ValidatorError> {
        sign_link_solana(&self.signer, &self.passport_domain, attestation).await.map_err(signing)
    }

    /// Signs a Web2 account link.
    pub async fn sign_link_web2(&self, attestation: &LinkWeb2) -> Result<Bytes, ValidatorError> {
        sign_link_web2(&self.signer, &self.passport_domain, attestation).await.map_err(signing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{Signature, U256, address, keccak256};
    use alloy_sol_types::SolStruct;

    const PASSPORT: Address = address!("0x06fAb5a4e177fefE5Cc15dc41C64Ba933021418a");
    const BADGE: Address = address!("0xa51B53Dc3aA7f4ef5fE9bb429521a73f411ad867");

    fn recover(sig: &Bytes, hash: B256) -> Address {
        Signature::try_from(&sig[..]).unwrap().recover_address_from_prehash(&hash).unwrap()
    }

    #[tokio::test]
    async fn signs_each_type_under_its_contract_domain() {
        let attester = Attester::new(PrivateKeySigner::random(), 31628, PASSPORT, BADGE);
        let mint = MintAttestation {
            classId: U256::from(1),
            passportId: U256::from(2),
            recipient: address!("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"),
            attestationId: Attester::new_id(),
            deadline: U256::from(100),
        };
        let sig = attester.sign_mint(&mint).await.unwrap();
        assert_eq!(sig.len(), 65);
        let hash = mint.eip712_signing_hash(&badge_domain(31628, BADGE));
        assert_eq!(recover(&sig, hash), attester.address());

        let solana = LinkSolana {
            passportId: U256::from(2),
            solanaAddress: B256::repeat_byte(7),
            attestationId: Attester::new_id(),
            deadline: U256::from(100),
        };
        let sig = attester.sign_link_solana(&solana).await.unwrap();
        let hash = solana.eip712_signing_hash(&passport_domain(31628, PASSPORT));
        assert_eq!(recover(&sig, hash), attester.address());

        let web2 = LinkWeb2 {
            passportId: U256::from(2),
            platform: keccak256("twitch"),
            handleHash: keccak256("someone"),
            attestationId: Attester::new_id(),
            deadline: U256::from(100),
        };
        let sig = attester.sign_link_web2(&web2).await.unwrap();
        let hash = web2.eip712_signing_hash(&passport_domain(31628, PASSPORT));
        assert_eq!(recover(&sig, hash), attester.address());
    }

    #[test]
    fn ids_are_random() {
        assert_ne!(Attester::new_id(), Attester::new_id());
    }
}
