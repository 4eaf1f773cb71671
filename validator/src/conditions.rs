//! The conditions document a badge class declares, in JSON (see `validator/README.md`).
//!
//! A class stores `paramsHash = keccak256(canonical JSON of the document)` on chain; the service
//! accepts a document for a class only when its hash matches, so the issuer (who set the hash)
//! decides the conditions and nobody can swap them afterwards. The hash is taken over the
//! document **as written** (only key order and whitespace are normalised), not over a re-encoding
//! of the parsed form, so an issuer's own RFC 8785 canonicalisation of the JSON they wrote (every
//! SDK's) gives the same hash whatever spelling they chose for an amount or an address.

use alloy_primitives::{Address, B256, U256, keccak256};
use serde::{Deserialize, Serialize};
use trex_zktls::canonical_json;

use crate::error::ValidatorError;

/// The version of the conditions format this service reads.
pub const CONDITIONS_VERSION: u32 = 1;

/// The most rules (leaves and groups together) a document may hold.
pub const MAX_RULES: usize = 64;

/// The deepest nesting of `all`/`any` groups a document may hold.
pub const MAX_DEPTH: usize = 4;

/// A badge class's conditions: the validator kind and a rule tree over typed checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ClassConditions {
    /// Format version, [`CONDITIONS_VERSION`].
    pub version: u32,
    /// The validator kind; the class's on-chain `validatorKind` is `keccak256` of its name.
    pub kind: ValidatorKind,
    /// What the passport must satisfy.
    pub rule: Rule,
}

/// The six validator families of the seed. Every check belongs to exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ValidatorKind {
    /// ERC-721 / ERC-1155 holdings, metadata, holding duration, transfers.
    Nft,
    /// Native and ERC-20 balances, transaction counts, holding duration; Solana balances.
    Token,
    /// Interactions with designated contracts.
    Web3,
    /// Facts proven by Reclaim zkTLS proofs.
    Zktls,
    /// Early bird, event codes, student status, Merkle allowlists.
    Ecosystem,
    /// Linked accounts, follows and posts.
    Social,
}

impl ValidatorKind {
    /// The name as written in documents (`"NFT"`, `"ZKTLS"`, …).
    pub const fn name(self) -> &'static str {
        match self {
            Self::Nft => "NFT",
            Self::Token => "TOKEN",
            Self::Web3 => "WEB3",
            Self::Zktls => "ZKTLS",
            Self::Ecosystem => "ECOSYSTEM",
            Self::Social => "SOCIAL",
        }
    }

    /// `keccak256(name)`: the class's on-chain `validatorKind`.
    pub fn id(self) -> B256 {
        keccak256(self.name())
    }
}

/// A node of the rule tree: `{"type": "all" | "any", "rules": [...]}` or a check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Rule {
    /// Every rule must hold.
    All {
        /// The rules.
        rules: Vec<Rule>,
    },
    /// At least one rule must hold.
    Any {
        /// The rules.
        rules: Vec<Rule>,
    },
    /// A single check.
    #[serde(untagged)]
    Check(Condition),
}

// Hand-written so that a bad check reports the check's own error ("unknown variant `nope`",
// "missing field `min`") rather than serde's "did not match any variant".
impl<'de> Deserialize<'de> for Rule {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Group {
            #[serde(rename = "type")]
            _type: String,
            rules: Vec<Rule>,
        }
        use serde::de::Error;
        let value = serde_json::Value::deserialize(deserializer)?;
        let group = |value| Group::deserialize(value).map(|g| g.rules).map_err(D::Error::custom);
        match value.get("type").and_then(|t| t.as_str()) {
            Some("all") => Ok(Self::All { rules: group(value)? }),
            Some("any") => Ok(Self::Any { rules: group(value)? }),
            _ => Condition::deserialize(value).map(Self::Check).map_err(D::Error::custom),
        }
    }
}

/// ERC token standards an NFT check reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NftStandard {
    /// ERC-721 (`balanceOf(owner)`, `ownerOf`, `tokenURI`, `Transfer`).
    Erc721,
    /// ERC-1155 (`balanceOf(owner, id)`, `uri`, `TransferSingle`/`TransferBatch`).
    Erc1155,
}

/// One stage of a multi-stage Merkle allowlist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AllowlistStage {
    /// Root of an OpenZeppelin `StandardMerkleTree` of `[address]` leaves.
    pub root: B256,
    /// First unix second the stage is open (absent: open from the start).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<u64>,
    /// Last unix second the stage is open (absent: never closes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<u64>,
}

fn trex() -> String {
    "trex".to_owned()
}

fn is_trex(chain: &str) -> bool {
    chain == "trex"
}

/// A typed check. `chain` names an EVM chain the service is configured with (`trex`, the T-Rex
/// L2 itself, by default). Amounts are decimal strings or JSON numbers (`U256`), in base units.
/// A passport's wallets are its owner and its linked wallets; balances and counts are summed over
/// them, durations are the longest any one wallet reaches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Condition {
    // --- NFT ------------------------------------------------------------------------------------
    /// Holds at least `min` tokens of `contract` (of `tokenId`, for ERC-1155).
    #[serde(rename_all = "camelCase")]
    NftBalance {
        /// Chain name.
        #[serde(default = "trex", skip_serializing_if = "is_trex")]
        chain: String,
        /// The token contract.
        contract: Address,
        /// Its standard.
        standard: NftStandard,
        /// ERC-1155 token id (required there; for ERC-721, only this token counts when set).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token_id: Option<U256>,
        /// Minimum number of tokens.
        min: U256,
    },
    /// Holds a token of `contract` whose metadata attribute `traitType` equals `value`. Held
    /// tokens are found from the transfers to the wallets in the last 5,000,000 blocks (the 50
    /// most recently received are read); metadata comes from `tokenURI`/`uri` (`data:`,
    /// `http(s)://` or `ipfs://` through a public gateway), and metadata that cannot be fetched
    /// is an error unless another token matches.
    #[serde(rename_all = "camelCase")]
    NftMetadata {
        /// Chain name.
        #[serde(default = "trex", skip_serializing_if = "is_trex")]
        chain: String,
        /// The token contract.
        contract: Address,
        /// Its standard.
        standard: NftStandard,
        /// The attribute's `trait_type` in the token's metadata JSON.
        trait_type: String,
        /// The value it must have (compared as a string).
        value: String,
    },
    /// Has held a token of `contract` for at least `minBlocks` blocks (at most 5,000,000): holds
    /// one now and its latest transfer in (for ERC-1155, the latest rise of the balance from
    /// zero, replayed from `TransferSingle`/`TransferBatch` logs) is `minBlocks` or more before
    /// the head. The longest-held token of any one wallet counts.
    #[serde(rename_all = "camelCase")]
    NftHoldingDuration {
        /// Chain name.
        #[serde(default = "trex", skip_serializing_if = "is_trex")]
        chain: String,
        /// The token contract.
        contract: Address,
        /// Its standard.
        standard: NftStandard,
        /// ERC-1155 token id (required there; for ERC-721, only this token counts when set).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token_id: Option<U256>,
        /// Blocks the token must have been held without interruption.
        min_blocks: u64,
    },
    /// Sent or received between `min` and `max` transfers of `contract`'s tokens in the last
    /// 5,000,000 blocks (mints included; one log is one transfer, an ERC-1155 batch too; a
    /// transfer between two of the passport's wallets counts once).
    #[serde(rename_all = "camelCase")]
    NftTransferCount {
        /// Chain name.
        #[serde(default = "trex", skip_serializing_if = "is_trex")]
        chain: String,
        /// The token contract.
        contract: Address,
        /// Its standard.
        standard: NftStandard,
        /// Minimum number of transfers.
        #[serde(default)]
        min: u64,
        /// Maximum number of transfers (absent: no maximum).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<u64>,
    },

    // --- Token ----------------------------------------------------------------------------------
    /// Native balance of at least `min` wei.
    #[serde(rename_all = "camelCase")]
    NativeBalance {
        /// Chain name.
        #[serde(default = "trex", skip_serializing_if = "is_trex")]
        chain: String,
        /// Minimum balance in wei.
        min: U256,
    },
    /// ERC-20 balance of at least `min` base units.
    #[serde(rename_all = "camelCase")]
    Erc20Balance {
        /// Chain name.
        #[serde(default = "trex", skip_serializing_if = "is_trex")]
        chain: String,
        /// The token contract.
        token: Address,
        /// Minimum balance in base units.
        min: U256,
    },
    /// At least `min` transactions sent (the account nonce).
    #[serde(rename_all = "camelCase")]
    TxCount {
        /// Chain name.
        #[serde(default = "trex", skip_serializing_if = "is_trex")]
        chain: String,
        /// Minimum count.
        min: u64,
    },
    /// ERC-20 balance at or above `min` during the last `minBlocks` blocks (at most 5,000,000),
    /// in one wallet: its balance now, with its `Transfer` logs undone backwards, never fell
    /// below `min` (tokens that change balances without `Transfer` events cannot be checked).
    #[serde(rename_all = "camelCase")]
    Erc20HoldingDuration {
        /// Chain name.
        #[serde(default = "trex", skip_serializing_if = "is_trex")]
        chain: String,
        /// The token contract.
        token: Address,
        /// Balance to keep, in base units.
        min: U256,
        /// Blocks it must have been kept.
        min_blocks: u64,
    },
    /// SOL balance of the passport's linked Solana addresses, at least `min` lamports.
    #[serde(rename_all = "camelCase")]
    SolanaBalance {
        /// Minimum lamports.
        min: u64,
    },
    /// SPL token balance (raw amount, summed over token accounts) of at least `min`.
    #[serde(rename_all = "camelCase")]
    SplTokenBalance {
        /// The mint, base58.
        mint: String,
        /// Minimum raw amount.
        min: u64,
    },
    /// At least `min` transaction signatures for the linked Solana addresses.
    #[serde(rename_all = "camelCase")]
    SolanaTxCount {
        /// Minimum count.
        min: u64,
    },

    // --- Web3 -----------------------------------------------------------------------------------
    /// At least `min` successful transactions from the passport's wallets to any of `contracts`
    /// in blocks `fromBlock..=toBlock` (at most 10,000 blocks are scanned).
    #[serde(rename_all = "camelCase")]
    ContractTransactions {
        /// Chain name.
        #[serde(default = "trex", skip_serializing_if = "is_trex")]
        chain: String,
        /// The designated contracts.
        contracts: Vec<Address>,
        /// Minimum number of transactions.
        min: u64,
        /// First block scanned.
        from_block: u64,
        /// Last block scanned (absent: the head).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to_block: Option<u64>,
    },
    /// At least `min` logs of `event` emitted by `contract` with a passport wallet as indexed
    /// topic `topicIndex` (1–3), from `fromBlock` (within the last 5,000,000 blocks).
    #[serde(rename_all = "camelCase")]
    ContractEvents {
        /// Chain name.
        #[serde(default = "trex", skip_serializing_if = "is_trex")]
        chain: String,
        /// The emitting contract.
        contract: Address,
        /// The event signature, e.g. `Transfer(address,address,uint256)`.
        event: String,
        /// Which indexed topic holds the user (1–3).
        topic_index: u8,
        /// Minimum number of logs.
        min: u64,
        /// First block searched.
        #[serde(default)]
        from_block: u64,
    },

    // --- ZKTLS ----------------------------------------------------------------------------------
    /// A proof of an exchange account's total assets, at least `minUsdCents`.
    #[serde(rename_all = "camelCase")]
    CexTotalAssets {
        /// Exchange name, lower case (absent: any).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        exchange: Option<String>,
        /// Minimum, in US cents.
        min_usd_cents: u64,
    },
    /// A proof of an exchange VIP level of at least `min`.
    #[serde(rename_all = "camelCase")]
    CexVipLevel {
        /// Exchange name, lower case (absent: any).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        exchange: Option<String>,
        /// Minimum level.
        min: u32,
    },
    /// A proof of at least `min` followers on `platform` (`twitch` or `x`).
    #[serde(rename_all = "camelCase")]
    Followers {
        /// `twitch` or `x`.
        platform: String,
        /// Minimum count.
        min: u64,
    },
    /// A proof of at least `min` YouTube subscribers.
    #[serde(rename_all = "camelCase")]
    YoutubeSubscribers {
        /// Minimum count.
        min: u64,
    },
    /// A proof of an active subscription on `platform` (and `plan`, when set).
    #[serde(rename_all = "camelCase")]
    Subscription {
        /// Platform name, lower case.
        platform: String,
        /// Plan name, lower case (absent: any).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        plan: Option<String>,
    },
    /// A proof of owning at least `min` Steam games.
    #[serde(rename_all = "camelCase")]
    SteamGames {
        /// Minimum count.
        min: u64,
    },

    // --- Ecosystem ------------------------------------------------------------------------------
    /// An early passport: number at most `maxPassportId` and/or created at or before
    /// `createdBefore` (unix seconds).
    #[serde(rename_all = "camelCase")]
    EarlyBird {
        /// Highest passport id that qualifies.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_passport_id: Option<u64>,
        /// Latest creation time that qualifies.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        created_before: Option<u64>,
    },
    /// An event code handed out at an event: the request's code hashes (keccak256 of its UTF-8)
    /// to one of `codeHashes`. A passport redeems a code once per class.
    #[serde(rename_all = "camelCase")]
    EventCode {
        /// keccak256 of each valid code.
        code_hashes: Vec<B256>,
    },
    /// Student status: a `school-email` proof whose domain is one of `domains` or a subdomain.
    #[serde(rename_all = "camelCase")]
    Student {
        /// Accepted domains, lower case (`ox.ac.uk`, `edu`).
        domains: Vec<String>,
    },
    /// On the allowlist of the stage open now (a Merkle proof for one of the passport's wallets).
    #[serde(rename_all = "camelCase")]
    MerkleAllowlist {
        /// The stages, in order.
        stages: Vec<AllowlistStage>,
    },

    // --- Social ---------------------------------------------------------------------------------
    /// A Web2 account on `platform` is linked to the passport (on chain).
    #[serde(rename_all = "camelCase")]
    LinkedAccount {
        /// Platform name, lower case (the passport stores `keccak256(platform)`).
        platform: String,
    },
    /// A proof that the passport's linked account on `platform` follows `target`.
    #[serde(rename_all = "camelCase")]
    Follows {
        /// Platform name, lower case.
        platform: String,
        /// The followed account's handle.
        target: String,
    },
    /// A proof that the passport's linked account on `platform` posted at least `min` posts
    /// containing `contains`.
    #[serde(rename_all = "camelCase")]
    Posts {
        /// Platform name, lower case.
        platform: String,
        /// Text the posts must contain (case-insensitive).
        contains: String,
        /// Minimum number of posts.
        #[serde(default = "one")]
        min: u64,
    },
}

const fn one() -> u64 {
    1
}

impl Condition {
    /// The validator family the check belongs to.
    pub const fn kind(&self) -> ValidatorKind {
        match self {
            Self::NftBalance { .. }
            | Self::NftMetadata { .. }
            | Self::NftHoldingDuration { .. }
            | Self::NftTransferCount { .. } => ValidatorKind::Nft,
            Self::NativeBalance { .. }
            | Self::Erc20Balance { .. }
            | Self::TxCount { .. }
            | Self::Erc20HoldingDuration { .. }
            | Self::SolanaBalance { .. }
            | Self::SplTokenBalance { .. }
            | Self::SolanaTxCount { .. } => ValidatorKind::Token,
            Self::ContractTransactions { .. } | Self::ContractEvents { .. } => ValidatorKind::Web3,
            Self::CexTotalAssets { .. }
            | Self::CexVipLevel { .. }
            | Self::Followers { .. }
            | Self::YoutubeSubscribers { .. }
            | Self::Subscription { .. }
            | Self::SteamGames { .. } => ValidatorKind::Zktls,
            Self::EarlyBird { .. }
            | Self::EventCode { .. }
            | Self::Student { .. }
            | Self::MerkleAllowlist { .. } => ValidatorKind::Ecosystem,
            Self::LinkedAccount { .. } | Self::Follows { .. } | Self::Posts { .. } => {
                ValidatorKind::Social
            }
        }
    }
}

impl ClassConditions {
    /// Parses and checks a document: known version, bounded size and depth, every check of the
    /// declared kind, and each check's own parameters sane.
    pub fn from_json(json: &str) -> Result<Self, ValidatorError> {
        let value: serde_json::Value = serde_json::from_str(json)
            .map_err(|err| ValidatorError::InvalidConditions(err.to_string()))?;
        Self::from_value(&value)
    }

    /// [`from_json`](Self::from_json) of an already parsed JSON value.
    pub fn from_value(value: &serde_json::Value) -> Result<Self, ValidatorError> {
        let conditions = Self::deserialize(value)
            .map_err(|err| ValidatorError::InvalidConditions(err.to_string()))?;
        conditions.check()?;
        Ok(conditions)
    }

    /// Every check in the tree, depth first.
    pub fn checks(&self) -> Vec<&Condition> {
        let mut out = Vec::new();
        collect(&self.rule, &mut out);
        out
    }

    fn check(&self) -> Result<(), ValidatorError> {
        let invalid = |msg: String| Err(ValidatorError::InvalidConditions(msg));
        if self.version != CONDITIONS_VERSION {
            return invalid(format!(
                "version {} is not supported (this service reads {CONDITIONS_VERSION})",
                self.version
            ));
        }
        let (count, depth) = shape(&self.rule, 0);
        if count > MAX_RULES {
            return invalid(format!("{count} rules; at most {MAX_RULES} are allowed"));
        }
        if depth > MAX_DEPTH {
            return invalid(format!("groups nested {depth} deep; at most {MAX_DEPTH}"));
        }
        for check in self.checks() {
            if check.kind() != self.kind {
                return invalid(format!(
                    "check `{}` belongs to {}, not to the document's kind {}",
                    check_name(check),
                    check.kind().name(),
                    self.kind.name()
                ));
            }
            check_params(check).or_else(invalid)?;
        }
        Ok(())
    }
}

/// `keccak256` of the canonical JSON (RFC 8785: keys sorted, no whitespace) of a conditions
/// document as written: what a class's on-chain `paramsHash` must be.
pub fn params_hash(document: &serde_json::Value) -> B256 {
    keccak256(canonical_json(document))
}

fn collect<'a>(rule: &'a Rule, out: &mut Vec<&'a Condition>) {
    match rule {
        Rule::All { rules } | Rule::Any { rules } => rules.iter().for_each(|r| collect(r, out)),
        Rule::Check(check) => out.push(check),
    }
}

/// (number of nodes, group depth) of a rule tree.
fn shape(rule: &Rule, depth: usize) -> (usize, usize) {
    match rule {
        Rule::All { rules } | Rule::Any { rules } => rules
            .iter()
            .map(|r| shape(r, depth + 1))
            .fold((1, depth + 1), |(n, d), (rn, rd)| (n + rn, d.max(rd))),
        Rule::Check(_) => (1, depth),
    }
}

/// The `type` tag of a check, for messages.
pub fn check_name(check: &Condition) -> String {
    serde_json::to_value(check)
        .ok()
        .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_owned))
        .unwrap_or_default()
}

fn check_params(check: &Condition) -> Result<(), String> {
    match check {
        Condition::NftBalance { standard: NftStandard::Erc1155, token_id: None, .. }
        | Condition::NftHoldingDuration {
            standard: NftStandard::Erc1155, token_id: None, ..
        } => Err(format!("`{}` on an ERC-1155 contract needs `tokenId`", check_name(check))),
        Condition::NftHoldingDuration { min_blocks, .. }
        | Condition::Erc20HoldingDuration { min_blocks, .. }
            if *min_blocks > crate::evm::MAX_LOG_SCAN_BLOCKS =>
        {
            Err(format!(
                "`{}`: minBlocks {min_blocks} exceeds the {} blocks a check searches",
                check_name(check),
                crate::evm::MAX_LOG_SCAN_BLOCKS
            ))
        }
        Condition::NftTransferCount { min, max: Some(max), .. } if max < min => {
            Err(format!("nft_transfer_count: max {max} is below min {min}"))
        }
        Condition::ContractTransactions { contracts, from_block, to_block, .. } => {
            if contracts.is_empty() {
                return Err("contract_transactions: `contracts` is empty".into());
            }
            match to_block {
                Some(to) if to < from_block => Err(format!(
                    "contract_transactions: toBlock {to} is before fromBlock {from_block}"
                )),
                _ => Ok(()),
            }
        }
        Condition::ContractEvents { topic_index, event, .. } => {
            if !(1..=3).contains(topic_index) {
                return Err(format!("contract_events: topicIndex {topic_index} is not 1, 2 or 3"));
            }
            if !event.contains('(') || !event.ends_with(')') {
                return Err(format!("contract_events: `{event}` is not an event signature"));
            }
            Ok(())
        }
        Condition::Followers { platform, .. } if !matches!(platform.as_str(), "twitch" | "x") => {
            Err(format!("followers: platform `{platform}` is not `twitch` or `x`"))
        }
        Condition::EarlyBird { max_passport_id: None, created_before: None } => {
            Err("early_bird needs `maxPassportId` or `createdBefore`".into())
        }
        Condition::EventCode { code_hashes } if code_hashes.is_empty() => {
            Err("event_code: `codeHashes` is empty".into())
        }
        Condition::Student { domains } if domains.is_empty() => {
            Err("student: `domains` is empty".into())
        }
        Condition::MerkleAllowlist { stages } if stages.is_empty() => {
            Err("merkle_allowlist: `stages` is empty".into())
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NFT: &str = r#"{
        "version": 1,
        "kind": "NFT",
        "rule": { "type": "all", "rules": [
            { "type": "nft_balance", "contract": "0x5FbDB2315678afecb367f032d93F642f64180aa3",
              "standard": "erc721", "min": "1" },
            { "type": "nft_holding_duration", "contract": "0x5FbDB2315678afecb367f032d93F642f64180aa3",
              "standard": "erc721", "minBlocks": 10 }
        ]}
    }"#;

    #[test]
    fn parses_a_rule_tree() {
        let conditions = ClassConditions::from_json(NFT).unwrap();
        assert_eq!(conditions.kind, ValidatorKind::Nft);
        assert_eq!(conditions.checks().len(), 2);
        assert!(matches!(
            conditions.checks()[1],
            Condition::NftHoldingDuration { min_blocks: 10, chain, .. } if chain == "trex"
        ));
    }

    #[test]
    fn params_hash_ignores_formatting_and_key_order_but_not_spelling() {
        let doc = |json: &str| serde_json::from_str::<serde_json::Value>(json).unwrap();
        let compact = doc(NFT).to_string();
        assert_eq!(params_hash(&doc(NFT)), params_hash(&doc(&compact)));
        let single = r#"{"rule":{"type":"tx_count","min":3},"kind":"TOKEN","version":1}"#;
        let reordered =
            r#"{ "version": 1, "kind": "TOKEN", "rule": {"min": 3, "type": "tx_count"} }"#;
        assert_eq!(params_hash(&doc(single)), params_hash(&doc(reordered)));
        assert_eq!(
            params_hash(&doc(single)),
            keccak256(r#"{"kind":"TOKEN","rule":{"min":3,"type":"tx_count"},"version":1}"#)
        );
        // Two spellings of one amount parse alike but are two documents with two hashes: the
        // hash is the issuer's JSON, never a re-encoding the issuer would have to reproduce.
        let decimal =
            doc(r#"{"version":1,"kind":"TOKEN","rule":{"type":"native_balance","min":"16"}}"#);
        let hex =
            doc(r#"{"version":1,"kind":"TOKEN","rule":{"type":"native_balance","min":"0x10"}}"#);
        assert_eq!(
            ClassConditions::from_value(&decimal).unwrap(),
            ClassConditions::from_value(&hex).unwrap()
        );
        assert_ne!(params_hash(&decimal), params_hash(&hex));
    }

    #[test]
    fn kind_ids_are_keccak_of_names() {
        assert_eq!(ValidatorKind::Zktls.id(), keccak256("ZKTLS"));
        assert_eq!(serde_json::to_string(&ValidatorKind::Web3).unwrap(), "\"WEB3\"");
    }

    #[rstest::rstest]
    #[case::version(
        r#"{"version":2,"kind":"TOKEN","rule":{"type":"tx_count","min":1}}"#,
        "version 2"
    )]
    #[case::kind(
        r#"{"version":1,"kind":"NFT","rule":{"type":"tx_count","min":1}}"#,
        "belongs to TOKEN"
    )]
    #[case::unknown_type(r#"{"version":1,"kind":"TOKEN","rule":{"type":"nope"}}"#, "")]
    #[case::unknown_field(
        r#"{"version":1,"kind":"TOKEN","rule":{"type":"tx_count","min":1,"x":1}}"#,
        ""
    )]
    #[case::erc1155_id(r#"{"version":1,"kind":"NFT","rule":{"type":"nft_balance","contract":"0x5FbDB2315678afecb367f032d93F642f64180aa3","standard":"erc1155","min":"1"}}"#, "tokenId")]
    #[case::topic(r#"{"version":1,"kind":"WEB3","rule":{"type":"contract_events","contract":"0x5FbDB2315678afecb367f032d93F642f64180aa3","event":"Ping(address)","topicIndex":4,"min":1}}"#, "topicIndex")]
    #[case::early(
        r#"{"version":1,"kind":"ECOSYSTEM","rule":{"type":"early_bird"}}"#,
        "maxPassportId"
    )]
    #[case::holding(
        r#"{"version":1,"kind":"TOKEN","rule":{"type":"erc20_holding_duration","token":"0x5FbDB2315678afecb367f032d93F642f64180aa3","min":"1","minBlocks":5000001}}"#,
        "minBlocks 5000001"
    )]
    fn rejects_bad_documents(#[case] json: &str, #[case] needle: &str) {
        let err = ClassConditions::from_json(json).unwrap_err();
        assert!(matches!(err, ValidatorError::InvalidConditions(_)), "{err}");
        assert!(err.to_string().contains(needle), "{err}");
    }

    #[test]
    fn rejects_trees_too_large_or_deep() {
        let leaf = serde_json::json!({"type": "tx_count", "min": 1});
        let wide = serde_json::json!({"version": 1, "kind": "TOKEN",
            "rule": {"type": "any", "rules": vec![leaf.clone(); MAX_RULES]}});
        assert!(ClassConditions::from_json(&wide.to_string()).is_err());
        let mut deep = leaf;
        for _ in 0..=MAX_DEPTH {
            deep = serde_json::json!({"type": "all", "rules": [deep]});
        }
        let doc = serde_json::json!({"version": 1, "kind": "TOKEN", "rule": deep});
        assert!(ClassConditions::from_json(&doc.to_string()).is_err());
    }
}
