//! Async clients over an alloy provider that signs and sends transactions with its wallet.

use std::collections::{BTreeMap, BTreeSet};

use alloy_network::{Ethereum, TransactionBuilder};
use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_provider::{Provider, WalletProvider};
use alloy_rpc_types_eth::{Filter, Log, TransactionReceipt, TransactionRequest};
use alloy_signer::Signer;
use alloy_sol_types::{Eip712Domain, SolCall, SolConstructor, SolEvent};

use crate::{
    Error, Result,
    api::{ConditionsHash, Evidence, SignedMintAttestation, SignedSolanaLink, SignedWeb2Link},
    bindings::{ERC1967Proxy, TRexBadge, TRexPassport},
    conditions::{document_kind, validator_kind},
    eip712::{MintAttestation, badge_domain, passport_domain, sign_link_wallet},
    error::Target,
    networks::identity_addresses,
    solana::{SolanaSigner, sign_solana_link},
    validator::ValidatorClient,
};

async fn view<P: Provider<Ethereum>, C: SolCall>(
    provider: &P,
    to: Address,
    target: Target,
    call: C,
) -> Result<C::Return> {
    let tx = TransactionRequest::default().with_to(to).with_input(call.abi_encode());
    let out = provider.call(tx).await.map_err(|e| Error::from_rpc(e, target))?;
    Ok(C::abi_decode_returns(&out)?)
}

async fn send<P: Provider<Ethereum>>(
    provider: &P,
    tx: TransactionRequest,
    target: Target,
) -> Result<TransactionReceipt> {
    let pending = provider.send_transaction(tx).await.map_err(|e| Error::from_rpc(e, target))?;
    let receipt = pending.get_receipt().await?;
    if !receipt.status() {
        return Err(Error::Reverted(receipt.transaction_hash));
    }
    Ok(receipt)
}

/// Simulates `call` from the provider's default signer with `eth_call` first, so a revert comes
/// back decoded and never consumes a nonce of a caching nonce filler, then sends it.
async fn transact<P, C>(
    provider: &P,
    to: Address,
    target: Target,
    call: C,
) -> Result<TransactionReceipt>
where
    P: Provider<Ethereum> + WalletProvider<Ethereum>,
    C: SolCall,
{
    let tx = TransactionRequest::default()
        .with_from(provider.default_signer_address())
        .with_to(to)
        .with_input(call.abi_encode());
    provider.call(tx.clone()).await.map_err(|e| Error::from_rpc(e, target))?;
    send(provider, tx, target).await
}

/// Logs of `address` with one of `events` and `topic` at `topic_index` (1–3), from `from_block`.
async fn logs<P: Provider<Ethereum>>(
    provider: &P,
    address: Address,
    events: Vec<B256>,
    topic_index: usize,
    topic: B256,
    from_block: u64,
) -> Result<Vec<Log>> {
    let filter = Filter::new().address(address).event_signature(events).from_block(from_block);
    let filter = match topic_index {
        1 => filter.topic1(topic),
        2 => filter.topic2(topic),
        _ => filter.topic3(topic),
    };
    Ok(provider.get_logs(&filter).await?)
}

fn event<E: SolEvent>(receipt: &TransactionReceipt, what: &'static str) -> Result<E> {
    receipt
        .decoded_log::<E>()
        .map(|log| log.data)
        .ok_or(Error::MissingInReceipt { tx: receipt.transaction_hash, what })
}

async fn deploy<P: Provider<Ethereum>>(provider: &P, code: Vec<u8>) -> Result<Address> {
    let receipt =
        send(provider, TransactionRequest::default().with_deploy_code(code), Target::Passport)
            .await?;
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
    transact(provider, passport, Target::Passport, TRexPassport::setBadgeContractCall { badge })
        .await?;
    Ok((passport, badge))
}

/// One point category of a passport: badge points and task points are booked apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CategoryPoints {
    /// The category (e.g. `keccak256("general")`).
    pub category: B256,
    /// Points credited by badges.
    pub badge: U256,
    /// Points credited by task issuers.
    pub task: U256,
}

impl CategoryPoints {
    /// Badge plus task points.
    pub fn total(&self) -> U256 {
        self.badge + self.task
    }
}

/// A Web2 account linked to a passport: only hashes are on chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Web2Account {
    /// keccak256 of the lower-case platform name.
    pub platform: B256,
    /// keccak256 of the handle.
    pub handle_hash: B256,
}

/// A badge a passport holds now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeldBadge {
    /// The class (and ERC-1155 token id).
    pub class_id: U256,
    /// Unix seconds of the mint.
    pub minted_at: u64,
    /// Unix seconds it expires, 0 for never.
    pub expires_at: u64,
    /// Points the mint credited.
    pub points: u128,
    /// Whether it is unexpired now.
    pub valid: bool,
    /// The attestation it was minted with.
    pub attestation_id: B256,
    /// The validator that signed it.
    pub validator: Address,
}

/// Everything about a passport: owner, DID, linked identities, points and badges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassportView {
    /// The passport id.
    pub id: U256,
    /// Its owner.
    pub owner: Address,
    /// `did:trex:<chainId>:<id>`.
    pub did: String,
    /// Linked EVM wallets (not including the owner).
    pub wallets: Vec<Address>,
    /// Linked Solana addresses (32-byte ed25519 keys; base58 with
    /// [`solana_address`](crate::solana_address)).
    pub solana: Vec<B256>,
    /// Linked Web2 accounts.
    pub web2: Vec<Web2Account>,
    /// Points per category that ever received points.
    pub points: Vec<CategoryPoints>,
    /// Badges held now (empty when the passport has no badge contract).
    pub badges: Vec<HeldBadge>,
}

impl PassportView {
    /// Points over all categories.
    pub fn total_points(&self) -> U256 {
        self.points.iter().map(CategoryPoints::total).sum()
    }
}

/// Client of a TRexPassport proxy. Reads work over any provider; transactions need a provider
/// with a wallet ([`WalletProvider`]) and are sent from its default signer.
#[derive(Debug, Clone)]
pub struct PassportClient<P> {
    address: Address,
    provider: P,
    from_block: u64,
}

/// Reads (any provider, no wallet needed).
impl<P: Provider<Ethereum>> PassportClient<P> {
    /// A client of the passport proxy at `address`.
    pub const fn new(address: Address, provider: P) -> Self {
        Self { address, provider, from_block: 0 }
    }

    /// A client of the passport predeploy of the provider's chain (devnet, testnet, mainnet);
    /// `None` on a chain without known predeploys.
    pub async fn for_chain(provider: P) -> Result<Option<Self>> {
        let chain_id = provider.get_chain_id().await?;
        Ok(identity_addresses(chain_id).map(|a| Self::new(a.passport, provider)))
    }

    /// Searches event logs (points categories, Web2 links, badges) from `block` on instead of
    /// genesis: the contract's deployment block saves work on long chains.
    #[must_use]
    pub const fn with_from_block(mut self, block: u64) -> Self {
        self.from_block = block;
        self
    }

    /// The passport proxy's address.
    pub const fn address(&self) -> Address {
        self.address
    }

    /// The provider the client sends through.
    pub const fn provider(&self) -> &P {
        &self.provider
    }

    async fn view<C: SolCall>(&self, call: C) -> Result<C::Return> {
        view(&self.provider, self.address, Target::Passport, call).await
    }

    /// The contract's EIP-712 domain on the provider's chain.
    pub async fn domain(&self) -> Result<Eip712Domain> {
        let chain_id = self.provider.get_chain_id().await?;
        Ok(passport_domain(chain_id, self.address))
    }

    /// `did:trex:<chainId>:<passportId>`; a `PassportNotFound` revert for an unknown passport.
    pub async fn did(&self, passport_id: U256) -> Result<String> {
        self.view(TRexPassport::didCall { passportId: passport_id }).await
    }

    /// The owner of a passport; a `PassportNotFound` revert for an unknown passport.
    pub async fn owner_of(&self, passport_id: U256) -> Result<Address> {
        self.view(TRexPassport::ownerOfCall { passportId: passport_id }).await
    }

    /// The passport `owner` owns, 0 when none.
    pub async fn passport_of(&self, owner: Address) -> Result<U256> {
        self.view(TRexPassport::passportOfCall { owner }).await
    }

    /// The passport `wallet` belongs to (as owner or linked wallet), 0 when none.
    pub async fn passport_of_wallet(&self, wallet: Address) -> Result<U256> {
        self.view(TRexPassport::passportOfWalletCall { wallet }).await
    }

    /// The passport a Solana address (32-byte key) is linked to, 0 when none.
    pub async fn passport_of_solana(&self, solana_address: B256) -> Result<U256> {
        self.view(TRexPassport::passportOfSolanaCall { solanaAddress: solana_address }).await
    }

    /// The EIP-712 nonce the next `LinkWallet` signature of `wallet` must carry.
    pub async fn nonce(&self, wallet: Address) -> Result<U256> {
        self.view(TRexPassport::noncesCall { owner: wallet }).await
    }

    /// Linked EVM wallets of a passport (not including its owner).
    pub async fn linked_wallets(&self, passport_id: U256) -> Result<Vec<Address>> {
        self.view(TRexPassport::linkedWalletsCall { passportId: passport_id }).await
    }

    /// Linked Solana addresses of a passport.
    pub async fn linked_solana(&self, passport_id: U256) -> Result<Vec<B256>> {
        self.view(TRexPassport::linkedSolanaCall { passportId: passport_id }).await
    }

    /// keccak256 of the handle linked on `platform` (keccak256 of its lower-case name), zero
    /// when none.
    pub async fn web2_account(&self, passport_id: U256, platform: B256) -> Result<B256> {
        self.view(TRexPassport::web2AccountCall { passportId: passport_id, platform }).await
    }

    /// Badge points plus task points of `category`.
    pub async fn points(&self, passport_id: U256, category: B256) -> Result<U256> {
        self.view(TRexPassport::pointsCall { passportId: passport_id, category }).await
    }

    /// Badge and task points of `category`, apart.
    pub async fn category_points(
        &self,
        passport_id: U256,
        category: B256,
    ) -> Result<CategoryPoints> {
        let badge =
            self.view(TRexPassport::badgePointsCall { passportId: passport_id, category }).await?;
        let task =
            self.view(TRexPassport::taskPointsCall { passportId: passport_id, category }).await?;
        Ok(CategoryPoints { category, badge, task })
    }

    /// The badge contract allowed to move badge points (zero when none).
    pub async fn badge_contract(&self) -> Result<Address> {
        self.view(TRexPassport::badgeContractCall {}).await
    }

    /// Reads a whole passport: owner, DID, linked wallets, Solana addresses and Web2 accounts,
    /// points per category (the categories found in its `PointsCredited` logs) and the badges
    /// it holds on the passport's badge contract.
    pub async fn passport(&self, passport_id: U256) -> Result<PassportView>
    where
        P: Clone,
    {
        let owner = self.owner_of(passport_id).await?;
        let did = self.did(passport_id).await?;
        let wallets = self.linked_wallets(passport_id).await?;
        let solana = self.linked_solana(passport_id).await?;
        let topic = B256::from(passport_id);

        let credited = logs(
            &self.provider,
            self.address,
            vec![TRexPassport::PointsCredited::SIGNATURE_HASH],
            1,
            topic,
            self.from_block,
        )
        .await?;
        let categories: BTreeSet<B256> = credited
            .iter()
            .filter_map(|log| log.log_decode::<TRexPassport::PointsCredited>().ok())
            .map(|log| log.inner.data.category)
            .collect();
        let mut points = Vec::with_capacity(categories.len());
        for category in categories {
            points.push(self.category_points(passport_id, category).await?);
        }

        let linked = logs(
            &self.provider,
            self.address,
            vec![TRexPassport::Web2Linked::SIGNATURE_HASH],
            1,
            topic,
            self.from_block,
        )
        .await?;
        let platforms: BTreeSet<B256> = linked
            .iter()
            .filter_map(|log| log.log_decode::<TRexPassport::Web2Linked>().ok())
            .map(|log| log.inner.data.platform)
            .collect();
        let mut web2 = Vec::new();
        for platform in platforms {
            let handle_hash = self.web2_account(passport_id, platform).await?;
            if !handle_hash.is_zero() {
                web2.push(Web2Account { platform, handle_hash });
            }
        }

        let badge = self.badge_contract().await?;
        let badges = if badge.is_zero() {
            Vec::new()
        } else {
            BadgeClient::new(badge, self.provider.clone())
                .with_from_block(self.from_block)
                .badges_of(passport_id)
                .await?
        };
        Ok(PassportView { id: passport_id, owner, did, wallets, solana, web2, points, badges })
    }
}

/// Transactions, sent from the provider's default signer.
impl<P: Provider<Ethereum> + WalletProvider<Ethereum>> PassportClient<P> {
    async fn transact<C: SolCall>(&self, call: C) -> Result<TransactionReceipt> {
        transact(&self.provider, self.address, Target::Passport, call).await
    }

    /// Creates the sender's passport and returns its id (from `PassportCreated`).
    pub async fn create_passport(&self) -> Result<U256> {
        let receipt = self.transact(TRexPassport::createPassportCall {}).await?;
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
        Ok(self.transact(call).await?.transaction_hash)
    }

    /// Links the Solana key of `solana_signer`: it signs
    /// [`solana_link_message`](crate::solana_link_message), the validator checks the signature
    /// and attests the link, and the attestation is sent with `linkSolana`. Returns the
    /// transaction hash.
    pub async fn link_solana<S: SolanaSigner + ?Sized>(
        &self,
        validator: &ValidatorClient,
        passport_id: U256,
        solana_signer: &S,
    ) -> Result<B256> {
        let chain_id = self.provider.get_chain_id().await?;
        let proof = sign_solana_link(solana_signer, chain_id, passport_id);
        let signed = validator.link_solana(passport_id, &proof.address, &proof.signature).await?;
        self.link_solana_signed(&signed).await
    }

    /// Sends `linkSolana` with a validator's attestation.
    pub async fn link_solana_signed(&self, signed: &SignedSolanaLink) -> Result<B256> {
        let a = &signed.attestation;
        let call = TRexPassport::linkSolanaCall {
            passportId: a.passport_id,
            solanaAddress: a.solana_address,
            attestationId: a.attestation_id,
            deadline: a.deadline,
            signature: signed.signature.clone(),
        };
        Ok(self.transact(call).await?.transaction_hash)
    }

    /// Links a Web2 account proven by a Reclaim `web2-account` proof: the validator checks the
    /// proof and attests the link, which is sent with `linkWeb2`. Returns the transaction hash.
    pub async fn link_web2(
        &self,
        validator: &ValidatorClient,
        passport_id: U256,
        platform: &str,
        proof: &serde_json::Value,
    ) -> Result<B256> {
        let signed = validator.link_web2(passport_id, platform, proof).await?;
        self.link_web2_signed(&signed).await
    }

    /// Sends `linkWeb2` with a validator's attestation.
    pub async fn link_web2_signed(&self, signed: &SignedWeb2Link) -> Result<B256> {
        let a = &signed.attestation;
        let call = TRexPassport::linkWeb2Call {
            passportId: a.passport_id,
            platform: a.platform,
            handleHash: a.handle_hash,
            attestationId: a.attestation_id,
            deadline: a.deadline,
            signature: signed.signature.clone(),
        };
        Ok(self.transact(call).await?.transaction_hash)
    }

    /// Sends any other call of the passport contract from the provider's wallet, simulated
    /// first so a revert comes back decoded.
    pub async fn send_call<C: SolCall>(&self, call: C) -> Result<TransactionReceipt> {
        self.transact(call).await
    }
}

/// Client of a TRexBadge proxy. Reads work over any provider; transactions need a provider
/// with a wallet ([`WalletProvider`]) and are sent from its default signer.
#[derive(Debug, Clone)]
pub struct BadgeClient<P> {
    address: Address,
    provider: P,
    from_block: u64,
}

/// Reads (any provider, no wallet needed).
impl<P: Provider<Ethereum>> BadgeClient<P> {
    /// A client of the badge proxy at `address`.
    pub const fn new(address: Address, provider: P) -> Self {
        Self { address, provider, from_block: 0 }
    }

    /// A client of the badge predeploy of the provider's chain (devnet, testnet, mainnet);
    /// `None` on a chain without known predeploys.
    pub async fn for_chain(provider: P) -> Result<Option<Self>> {
        let chain_id = provider.get_chain_id().await?;
        Ok(identity_addresses(chain_id).map(|a| Self::new(a.badge, provider)))
    }

    /// Searches `BadgeMinted`/`BadgeRevoked` logs from `block` on instead of genesis.
    #[must_use]
    pub const fn with_from_block(mut self, block: u64) -> Self {
        self.from_block = block;
        self
    }

    /// The badge proxy's address.
    pub const fn address(&self) -> Address {
        self.address
    }

    async fn view<C: SolCall>(&self, call: C) -> Result<C::Return> {
        view(&self.provider, self.address, Target::Badge, call).await
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
        let passport = self.view(TRexBadge::passportCall {}).await?;
        let recipient = view(
            &self.provider,
            passport,
            Target::Passport,
            TRexPassport::ownerOfCall { passportId: passport_id },
        )
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
        self.view(TRexBadge::balanceOfCall { account, id: class_id }).await
    }

    /// A badge class as stored; a `ClassNotFound` revert for an unknown class.
    pub async fn class(&self, class_id: U256) -> Result<TRexBadge::BadgeClass> {
        self.view(TRexBadge::getClassCall { classId: class_id }).await
    }

    /// Whether the class trusts `validator`'s attestations.
    pub async fn is_trusted_validator(&self, class_id: U256, validator: Address) -> Result<bool> {
        self.view(TRexBadge::isTrustedValidatorCall { classId: class_id, validator }).await
    }

    /// The badge of `class_id` held by `passport_id` (`mintedAt == 0` when not held).
    pub async fn badge(&self, class_id: U256, passport_id: U256) -> Result<TRexBadge::Badge> {
        self.view(TRexBadge::getBadgeCall { classId: class_id, passportId: passport_id }).await
    }

    /// Whether `passport_id` holds an unexpired badge of `class_id`.
    pub async fn is_badge_valid(&self, class_id: U256, passport_id: U256) -> Result<bool> {
        self.view(TRexBadge::isBadgeValidCall { classId: class_id, passportId: passport_id }).await
    }

    /// The badges `passport_id` holds now: its `BadgeMinted` and `BadgeRevoked` logs replayed in
    /// order, each survivor confirmed with the on-chain badge record. Sorted by class id.
    pub async fn badges_of(&self, passport_id: U256) -> Result<Vec<HeldBadge>> {
        let events =
            vec![TRexBadge::BadgeMinted::SIGNATURE_HASH, TRexBadge::BadgeRevoked::SIGNATURE_HASH];
        let mut logs =
            logs(&self.provider, self.address, events, 2, B256::from(passport_id), self.from_block)
                .await?;
        logs.sort_by_key(|log| (log.block_number, log.log_index));
        let mut held: BTreeMap<U256, (B256, Address)> = BTreeMap::new();
        for log in &logs {
            if let Ok(minted) = log.log_decode::<TRexBadge::BadgeMinted>() {
                let e = minted.inner.data;
                held.insert(e.classId, (e.attestationId, e.validator));
            } else if let Ok(revoked) = log.log_decode::<TRexBadge::BadgeRevoked>() {
                held.remove(&revoked.inner.data.classId);
            }
        }
        let mut badges = Vec::with_capacity(held.len());
        for (class_id, (attestation_id, validator)) in held {
            let record = self.badge(class_id, passport_id).await?;
            if record.mintedAt == 0 {
                continue;
            }
            badges.push(HeldBadge {
                class_id,
                minted_at: record.mintedAt,
                expires_at: record.expiresAt,
                points: record.points,
                valid: self.is_badge_valid(class_id, passport_id).await?,
                attestation_id,
                validator,
            });
        }
        Ok(badges)
    }
}

/// Transactions, sent from the provider's default signer.
impl<P: Provider<Ethereum> + WalletProvider<Ethereum>> BadgeClient<P> {
    async fn transact<C: SolCall>(&self, call: C) -> Result<TransactionReceipt> {
        transact(&self.provider, self.address, Target::Badge, call).await
    }

    /// Creates a badge class issued by the sender, trusting `validators`; returns its id (from
    /// `ClassCreated`).
    pub async fn create_class(
        &self,
        params: TRexBadge::ClassParams,
        validators: Vec<Address>,
    ) -> Result<U256> {
        let call = TRexBadge::createClassCall { params, validators };
        let receipt = self.transact(call).await?;
        Ok(event::<TRexBadge::ClassCreated>(&receipt, "ClassCreated")?.classId)
    }

    /// Creates a class validated by a `trex-validator` service and registers its conditions
    /// there: the `paramsHash` is computed by the service and locally and must agree, the
    /// `validatorKind` is the document's kind, the class trusts the service's signer (from
    /// `/v1/info`). `params`' own `paramsHash` and `validatorKind` are replaced. Returns the
    /// class id and the hash.
    pub async fn create_class_with_conditions(
        &self,
        validator: &ValidatorClient,
        mut params: TRexBadge::ClassParams,
        conditions: &serde_json::Value,
    ) -> Result<(U256, ConditionsHash)> {
        let hash = validator.conditions_hash_checked(conditions).await?;
        let info = validator.info().await?;
        params.paramsHash = hash.params_hash;
        params.validatorKind =
            document_kind(conditions).map(validator_kind).unwrap_or(hash.validator_kind);
        let class_id = self.create_class(params, vec![info.validator]).await?;
        validator.register_conditions(class_id, conditions).await?;
        Ok((class_id, hash))
    }

    /// Asks the validator for an attestation (`evidence` as the class's checks need) and mints
    /// with it. Returns the attestation and the mint transaction's hash.
    pub async fn request_and_mint(
        &self,
        validator: &ValidatorClient,
        class_id: U256,
        passport_id: U256,
        evidence: &Evidence,
    ) -> Result<(SignedMintAttestation, B256)> {
        let signed = validator.validate(class_id, passport_id, evidence).await?;
        let tx = self.mint_signed(&signed).await?;
        Ok((signed, tx))
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
        Ok(self.transact(call).await?.transaction_hash)
    }

    /// Mints with a validator's answer to `POST /v1/classes/{id}/validate`.
    pub async fn mint_signed(&self, signed: &SignedMintAttestation) -> Result<B256> {
        self.mint(&signed.message(), signed.signature.clone()).await
    }

    /// Revokes (burns) a passport's badge of `class_id` and debits its points; issuer only.
    pub async fn revoke(&self, class_id: U256, passport_id: U256) -> Result<B256> {
        let call = TRexBadge::revokeCall { classId: class_id, passportId: passport_id };
        Ok(self.transact(call).await?.transaction_hash)
    }

    /// Sends any other call of the badge contract from the provider's wallet, simulated first
    /// so a revert comes back decoded (an ERC-1155 transfer of a badge: `BadgeLocked`).
    pub async fn send_call<C: SolCall>(&self, call: C) -> Result<TransactionReceipt> {
        self.transact(call).await
    }
}
