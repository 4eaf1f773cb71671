//! Async clients over an alloy provider that signs and sends transactions with its wallet.

use alloy_network::{Ethereum, TransactionBuilder};
use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_provider::{Provider, WalletProvider};
use alloy_rpc_types_eth::{TransactionReceipt, TransactionRequest};
use alloy_signer::Signer;
use alloy_sol_types::{Eip712Domain, SolCall, SolConstructor, SolEvent};

use crate::{
    Error, Result,
    bindings::{ERC1967Proxy, TRexBadge, TRexPassport},
    eip712::{MintAttestation, badge_domain, passport_domain, sign_link_wallet},
};

async fn view<P: Provider<Ethereum>, C: SolCall>(
    provider: &P,
    to: Address,
    call: C,
) -> Result<C::Return> {
    let tx = TransactionRequest::default().with_to(to).with_input(call.abi_encode());
    let out = provider.call(tx).await.map_err(Error::from_rpc)?;
    Ok(C::abi_decode_returns(&out)?)
}

async fn send<P: Provider<Ethereum>>(
    provider: &P,
    tx: TransactionRequest,
) -> Result<TransactionReceipt> {
    let pending = provider.send_transaction(tx).await.map_err(Error::from_rpc)?;
    let receipt = pending.get_receipt().await?;
    if !receipt.status() {
        return Err(Error::Reverted(receipt.transaction_hash));
    }
    Ok(receipt)
}

/// Simulates `call` from the provider's default signer with `eth_call` first, so a revert comes
/// back decoded and never consumes a nonce of a caching nonce filler, then sends it.
async fn transact<P, C>(provider: &P, to: Address, call: C) -> Result<TransactionReceipt>
where
    P: Provider<Ethereum> + WalletProvider<Ethereum>,
    C: SolCall,
{
    let tx = TransactionRequest::default()
        .with_from(provider.default_signer_address())
        .with_to(to)
        .with_input(call.abi_encode());
    provider.call(tx.clone()).await.map_err(Error::from_rpc)?;
    send(provider, tx).await
}

fn event<E: SolEvent>(receipt: &TransactionReceipt, what: &'static str) -> Result<E> {
    receipt
        .decoded_log::<E>()
        .map(|log| log.data)
        .ok_or(Error::MissingInReceipt { tx: receipt.transaction_hash, what })
}

async fn deploy<P: Provider<Ethereum>>(provider: &P, code: Vec<u8>) -> Result<Address> {
    let receipt = send(provider, TransactionRequest::default().with_deploy_code(code)).await?;
    receipt
        .contract_address
        .ok_or(Error::MissingInReceipt { tx: receipt.transaction_hash, what: "contract address" })
}

async fn deploy_proxy<P: Provider<Ethereum>>(
    provider: &P,
    implementation: Address,
    init: Vec<u8>,
) -> Result<Address> {
    let mut code = ERC1967Proxy::BYTECODE.to_vec();
    code.extend(ERC1967Proxy::constructorCall { implementation, _data: init.into() }.abi_encode());
    deploy(provider, code).await
}

/// Deploys TRexPassport and TRexBadge implementations behind ERC1967 proxies, initialised with
/// `admin` (who gets the admin, pauser and upgrader roles), and makes the badge proxy the
/// passport's badge contract. The provider's wallet must be `admin` for that last step. Returns
/// `(passport proxy, badge proxy)`. For devnets and tests; production chains use the genesis
/// predeploys or the forge deploy script.
pub async fn deploy_identity<P: Provider<Ethereum> + WalletProvider<Ethereum>>(
    provider: &P,
    admin: Address,
) -> Result<(Address, Address)> {
    let passport_impl = deploy(provider, TRexPassport::BYTECODE.to_vec()).await?;
    let passport =
        deploy_proxy(provider, passport_impl, TRexPassport::initializeCall { admin }.abi_encode())
            .await?;
    let badge_impl = deploy(provider, TRexBadge::BYTECODE.to_vec()).await?;
    let badge = deploy_proxy(
        provider,
        badge_impl,
        TRexBadge::initializeCall { admin, passport_: passport }.abi_encode(),
    )
    .await?;
    transact(provider, passport, TRexPassport::setBadgeContractCall { badge }).await?;
    Ok((passport, badge))
}

/// Client of a TRexPassport proxy. Reads work over any provider; transactions need a provider
/// with a wallet ([`WalletProvider`]) and are sent from its default signer.
#[derive(Debug, Clone)]
pub struct PassportClient<P> {
    address: Address,
    provider: P,
}

/// Reads (any provider, no wallet needed).
impl<P: Provider<Ethereum>> PassportClient<P> {
    /// A client of the passport proxy at `address`.
    pub const fn new(address: Address, provider: P) -> Self {
        Self { address, provider }
    }

    /// The passport proxy's address.
    pub const fn address(&self) -> Address {
        self.address
    }

    /// The provider the client sends through.
    pub const fn provider(&self) -> &P {
        &self.provider
    }

    /// The contract's EIP-712 domain on the provider's chain.
    pub async fn domain(&self) -> Result<Eip712Domain> {
        let chain_id = self.provider.get_chain_id().await?;
        Ok(passport_domain(chain_id, self.address))
    }

    /// `did:trex:<chainId>:<passportId>`; a `PassportNotFound` revert for an unknown passport.
    pub async fn did(&self, passport_id: U256) -> Result<String> {
        view(&self.provider, self.address, TRexPassport::didCall { passportId: passport_id }).await
    }

    /// The owner of a passport; a `PassportNotFound` revert for an unknown passport.
    pub async fn owner_of(&self, passport_id: U256) -> Result<Address> {
        view(&self.provider, self.address, TRexPassport::ownerOfCall { passportId: passport_id })
            .await
    }

    /// The passport `owner` owns, 0 when none.
    pub async fn passport_of(&self, owner: Address) -> Result<U256> {
        view(&self.provider, self.address, TRexPassport::passportOfCall { owner }).await
    }

    /// The passport `wallet` belongs to (as owner or linked wallet), 0 when none.
    pub async fn passport_of_wallet(&self, wallet: Address) -> Result<U256> {
        view(&self.provider, self.address, TRexPassport::passportOfWalletCall { wallet }).await
    }

    /// The EIP-712 nonce the next `LinkWallet` signature of `wallet` must carry.
    pub async fn nonce(&self, wallet: Address) -> Result<U256> {
        view(&self.provider, self.address, TRexPassport::noncesCall { owner: wallet }).await
    }

    /// Linked EVM wallets of a passport (not including its owner).
    pub async fn linked_wallets(&self, passport_id: U256) -> Result<Vec<Address>> {
        view(
            &self.provider,
            self.address,
            TRexPassport::linkedWalletsCall { passportId: passport_id },
        )
        .await
    }

    /// Badge points plus task points of `category`.
    pub async fn points(&self, passport_id: U256, category: B256) -> Result<U256> {
        view(
            &self.provider,
            self.address,
            TRexPassport::pointsCall { passportId: passport_id, category },
        )
        .await
    }
}

/// Transactions, sent from the provider's default signer.
impl<P: Provider<Ethereum> + WalletProvider<Ethereum>> PassportClient<P> {
    /// Creates the sender's passport and returns its id (from `PassportCreated`).
    pub async fn create_passport(&self) -> Result<U256> {
        let receipt =
            transact(&self.provider, self.address, TRexPassport::createPassportCall {}).await?;
        Ok(event::<TRexPassport::PassportCreated>(&receipt, "PassportCreated")?.passportId)
    }

    /// Links the wallet of `wallet_signer` to `passport_id` (owned by the provider's wallet):
    /// reads the wallet's nonce, has `wallet_signer` sign `LinkWallet` with `deadline` (unix
    /// seconds) and sends `linkWallet`.
    pub async fn link_wallet<S>(
        &self,
        passport_id: U256,
        wallet_signer: &S,
        deadline: U256,
    ) -> Result<B256>
    where
        S: Signer + Send + Sync + ?Sized,
    {
        let wallet = wallet_signer.address();
        let nonce = self.nonce(wallet).await?;
        let domain = self.domain().await?;
        let signature =
            sign_link_wallet(wallet_signer, &domain, passport_id, nonce, deadline).await?;
        self.link_wallet_with_signature(passport_id, wallet, deadline, signature).await
    }

    /// Sends `linkWallet` with a signature made elsewhere (e.g. by a browser wallet); returns the
    /// transaction hash.
    pub async fn link_wallet_with_signature(
        &self,
        passport_id: U256,
        wallet: Address,
        deadline: U256,
        signature: Bytes,
    ) -> Result<B256> {
        let call =
            TRexPassport::linkWalletCall { passportId: passport_id, wallet, deadline, signature };
        Ok(transact(&self.provider, self.address, call).await?.transaction_hash)
    }
}

/// Client of a TRexBadge proxy. Reads work over any provider; transactions need a provider
/// with a wallet ([`WalletProvider`]) and are sent from its default signer.
#[derive(Debug, Clone)]
pub struct BadgeClient<P> {
    address: Address,
    provider: P,
}

/// Reads (any provider, no wallet needed).
impl<P: Provider<Ethereum>> BadgeClient<P> {
    /// A client of the badge proxy at `address`.
    pub const fn new(address: Address, provider: P) -> Self {
        Self { address, provider }
    }

    /// The badge proxy's address.
    pub const fn address(&self) -> Address {
        self.address
    }

    /// The contract's EIP-712 domain on the provider's chain.
    pub async fn domain(&self) -> Result<Eip712Domain> {
        let chain_id = self.provider.get_chain_id().await?;
        Ok(badge_domain(chain_id, self.address))
    }

    /// Builds the `MintAttestation` a validator signs: the recipient is looked up as the
    /// passport's owner on the passport contract the badge contract uses.
    pub async fn attestation(
        &self,
        class_id: U256,
        passport_id: U256,
        attestation_id: B256,
        deadline: U256,
    ) -> Result<MintAttestation> {
        let passport = view(&self.provider, self.address, TRexBadge::passportCall {}).await?;
        let recipient =
            view(&self.provider, passport, TRexPassport::ownerOfCall { passportId: passport_id })
                .await?;
        Ok(MintAttestation {
            classId: class_id,
            passportId: passport_id,
            recipient,
            attestationId: attestation_id,
            deadline,
        })
    }

    /// ERC-1155 balance of `account` for token (class) `class_id`: 1 while it holds the badge.
    pub async fn balance_of(&self, account: Address, class_id: U256) -> Result<U256> {
        view(&self.provider, self.address, TRexBadge::balanceOfCall { account, id: class_id }).await
    }

    /// A badge class as stored; a `ClassNotFound` revert for an unknown class.
    pub async fn class(&self, class_id: U256) -> Result<TRexBadge::BadgeClass> {
        view(&self.provider, self.address, TRexBadge::getClassCall { classId: class_id }).await
    }

    /// The badge of `class_id` held by `passport_id` (`mintedAt == 0` when not held).
    pub async fn badge(&self, class_id: U256, passport_id: U256) -> Result<TRexBadge::Badge> {
        view(
            &self.provider,
            self.address,
            TRexBadge::getBadgeCall { classId: class_id, passportId: passport_id },
        )
        .await
    }

    /// Whether `passport_id` holds an unexpired badge of `class_id`.
    pub async fn is_badge_valid(&self, class_id: U256, passport_id: U256) -> Result<bool> {
        view(
            &self.provider,
            self.address,
            TRexBadge::isBadgeValidCall { classId: class_id, passportId: passport_id },
        )
        .await
    }
}

/// Transactions, sent from the provider's default signer.
impl<P: Provider<Ethereum> + WalletProvider<Ethereum>> BadgeClient<P> {
    /// Creates a badge class issued by the sender, trusting `validators`; returns its id (from
    /// `ClassCreated`).
    pub async fn create_class(
        &self,
        params: TRexBadge::ClassParams,
        validators: Vec<Address>,
    ) -> Result<U256> {
        let call = TRexBadge::createClassCall { params, validators };
        let receipt = transact(&self.provider, self.address, call).await?;
        Ok(event::<TRexBadge::ClassCreated>(&receipt, "ClassCreated")?.classId)
    }

    /// Mints the badge `attestation` names with the validator's `signature`; anyone may send it
    /// (the badge always goes to the passport's owner). Returns the transaction hash.
    pub async fn mint(&self, attestation: &MintAttestation, signature: Bytes) -> Result<B256> {
        let call = TRexBadge::mintCall {
            classId: attestation.classId,
            passportId: attestation.passportId,
            attestationId: attestation.attestationId,
            deadline: attestation.deadline,
            signature,
        };
        Ok(transact(&self.provider, self.address, call).await?.transaction_hash)
    }

    /// Revokes (burns) a passport's badge of `class_id` and debits its points; issuer only.
    pub async fn revoke(&self, class_id: U256, passport_id: U256) -> Result<B256> {
        let call = TRexBadge::revokeCall { classId: class_id, passportId: passport_id };
        Ok(transact(&self.provider, self.address, call).await?.transaction_hash)
    }
}
