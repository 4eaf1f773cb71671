//! Reads of the identity contracts on the T-Rex chain: the passport being checked, the badge
//! class, whether this validator is trusted, whether a mint or a link would go through.

use alloy_network::{Ethereum, TransactionBuilder};
use alloy_primitives::{Address, B256, U256};
use alloy_provider::{DynProvider, Provider};
use alloy_rpc_types_eth::{BlockNumberOrTag, TransactionRequest};
use alloy_sol_types::{SolCall, SolInterface};
use trex_sdk::{
    TRexBadge::{self, TRexBadgeErrors},
    TRexPassport::{self, TRexPassportErrors},
};
use trex_solana_rpc::SolanaAddress;

use crate::{error::ValidatorError, evaluate::Subject};

/// The identity contracts on the T-Rex chain, read over JSON-RPC.
#[derive(Debug, Clone)]
pub struct IdentityChain {
    provider: DynProvider<Ethereum>,
    chain_id: u64,
    passport: Address,
    badge: Address,
}

/// The latest block's number and time: what a mint sent now is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// Block number.
    pub number: u64,
    /// Block timestamp, unix seconds.
    pub timestamp: u64,
}

fn chain_err(err: impl std::fmt::Display) -> ValidatorError {
    ValidatorError::chain(crate::evaluate::Chains::TREX, err)
}

impl IdentityChain {
    /// The contracts at `passport` and `badge` on the chain `provider` reads (`chain_id`).
    pub const fn new(
        provider: DynProvider<Ethereum>,
        chain_id: u64,
        passport: Address,
        badge: Address,
    ) -> Self {
        Self { provider, chain_id, passport, badge }
    }

    /// The chain id.
    pub const fn chain_id(&self) -> u64 {
        self.chain_id
    }

    /// The TRexPassport proxy.
    pub const fn passport(&self) -> Address {
        self.passport
    }

    /// The TRexBadge proxy.
    pub const fn badge(&self) -> Address {
        self.badge
    }

    /// Calls a view function; `Ok(Err(e))` when it reverted with one of `E`'s errors.
    async fn view<C: SolCall, E: SolInterface>(
        &self,
        to: Address,
        call: C,
    ) -> Result<Result<C::Return, E>, ValidatorError> {
        let tx = TransactionRequest::default().with_to(to).with_input(call.abi_encode());
        match self.provider.call(tx).await {
            Ok(out) => C::abi_decode_returns(&out).map(Ok).map_err(|err| {
                chain_err(format!("{} at {to}: {err} (is the contract deployed?)", C::SIGNATURE))
            }),
            Err(err) => match err.as_error_resp().and_then(|e| e.as_decoded_interface_error::<E>())
            {
                Some(revert) => Ok(Err(revert)),
                None => Err(chain_err(format!("{} at {to}: {err}", C::SIGNATURE))),
            },
        }
    }

    /// A view that is not expected to revert.
    async fn read<C: SolCall>(&self, to: Address, call: C) -> Result<C::Return, ValidatorError> {
        let signature = C::SIGNATURE;
        self.view::<C, TRexBadgeErrors>(to, call)
            .await?
            .map_err(|revert| chain_err(format!("{signature} at {to} reverted: {revert:?}")))
    }

    /// The latest block.
    pub async fn head(&self) -> Result<Head, ValidatorError> {
        let block = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Latest)
            .await
            .map_err(chain_err)?
            .ok_or_else(|| chain_err("no latest block"))?;
        Ok(Head { number: block.header.number, timestamp: block.header.timestamp })
    }

    /// The passport's owner, linked wallets and linked Solana addresses.
    pub async fn subject(&self, passport_id: U256) -> Result<Subject, ValidatorError> {
        let owner = self
            .view::<_, TRexPassportErrors>(
                self.passport,
                TRexPassport::ownerOfCall { passportId: passport_id },
            )
            .await?
            .map_err(|revert| match revert {
                TRexPassportErrors::PassportNotFound(_) => {
                    ValidatorError::PassportNotFound(passport_id)
                }
                other => chain_err(format!("ownerOf({passport_id}) reverted: {other:?}")),
            })?;
        let linked = self
            .read(self.passport, TRexPassport::linkedWalletsCall { passportId: passport_id })
            .await?;
        let solana = self
            .read(self.passport, TRexPassport::linkedSolanaCall { passportId: passport_id })
            .await?;
        let mut wallets = vec![owner];
        wallets.extend(linked.into_iter().filter(|wallet| *wallet != owner));
        Ok(Subject {
            passport_id,
            owner,
            wallets,
            solana: solana.into_iter().map(SolanaAddress::from).collect(),
        })
    }

    /// The badge class as stored.
    pub async fn class(&self, class_id: U256) -> Result<TRexBadge::BadgeClass, ValidatorError> {
        self.view::<_, TRexBadgeErrors>(self.badge, TRexBadge::getClassCall { classId: class_id })
            .await?
            .map_err(|revert| match revert {
                TRexBadgeErrors::ClassNotFound(_) => ValidatorError::ClassNotFound(class_id),
                other => chain_err(format!("getClass({class_id}) reverted: {other:?}")),
            })
    }

    /// Whether the class trusts `validator`'s signatures.
    pub async fn is_trusted(
        &self,
        class_id: U256,
        validator: Address,
    ) -> Result<bool, ValidatorError> {
        self.read(self.badge, TRexBadge::isTrustedValidatorCall { classId: class_id, validator })
            .await
    }

    /// Checks that a mint of `class` to `passport_id` would go through at `head` (the signature
    /// aside): contract not paused, minting window open, supply left, badge not already held.
    /// The reason is `NotMintable`'s.
    pub async fn check_mintable(
        &self,
        class_id: U256,
        class: &TRexBadge::BadgeClass,
        passport_id: U256,
        head: Head,
    ) -> Result<(), ValidatorError> {
        let not_mintable =
            |reason: String| Err(ValidatorError::NotMintable { class_id, passport_id, reason });
        if self.read(self.badge, TRexBadge::pausedCall {}).await? {
            return not_mintable("the badge contract is paused".into());
        }
        if head.timestamp < class.startTime {
            return not_mintable(format!(
                "minting opens at {} (chain time is {})",
                class.startTime, head.timestamp
            ));
        }
        if class.endTime != 0 && head.timestamp > class.endTime {
            return not_mintable(format!(
                "minting closed at {} (chain time is {})",
                class.endTime, head.timestamp
            ));
        }
        if class.supplyCap != 0 && class.supply >= class.supplyCap {
            return not_mintable(format!("the supply cap of {} is reached", class.supplyCap));
        }
        let badge = self
            .read(
                self.badge,
                TRexBadge::getBadgeCall { classId: class_id, passportId: passport_id },
            )
            .await?;
        if badge.mintedAt != 0 {
            return not_mintable(format!(
                "the passport already holds this badge (minted at {})",
                badge.mintedAt
            ));
        }
        Ok(())
    }

    /// Fails with `AlreadyLinked` when `solana` is linked to a passport.
    pub async fn check_solana_unlinked(&self, solana: SolanaAddress) -> Result<(), ValidatorError> {
        let linked = self
            .read(
                self.passport,
                TRexPassport::passportOfSolanaCall { solanaAddress: solana.to_b256() },
            )
            .await?;
        if linked.is_zero() {
            Ok(())
        } else {
            Err(ValidatorError::AlreadyLinked(format!(
                "Solana address {solana} is linked to passport {linked}"
            )))
        }
    }

    /// Fails with `AlreadyLinked` when the account (`platform`, `handle_hash`) is linked to a
    /// passport, or `passport_id` already has an account on `platform`.
    pub async fn check_web2_unlinked(
        &self,
        passport_id: U256,
        platform_name: &str,
        platform: B256,
        handle_hash: B256,
    ) -> Result<(), ValidatorError> {
        let linked = self
            .read(
                self.passport,
                TRexPassport::passportOfWeb2Call { platform, handleHash: handle_hash },
            )
            .await?;
        if !linked.is_zero() {
            return Err(ValidatorError::AlreadyLinked(format!(
                "this {platform_name} account is linked to passport {linked}"
            )));
        }
        let current = self
            .read(
                self.passport,
                TRexPassport::web2AccountCall { passportId: passport_id, platform },
            )
            .await?;
        if !current.is_zero() {
            return Err(ValidatorError::AlreadyLinked(format!(
                "passport {passport_id} already has a {platform_name} account linked"
            )));
        }
        Ok(())
    }

    /// Whether contract code is deployed at both identity addresses.
    pub async fn contracts_deployed(&self) -> Result<bool, ValidatorError> {
        for address in [self.passport, self.badge] {
            if self.provider.get_code_at(address).await.map_err(chain_err)?.is_empty() {
                return Ok(false);
            }
        }
        Ok(true)
    }
}
