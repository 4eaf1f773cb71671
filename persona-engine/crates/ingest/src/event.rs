//! Decoding of TRexPassport / TRexBadge logs into [`ChainEvent`]s.

use alloy_primitives::{Address, B256, U256};
use alloy_rpc_types_eth::Log;
use alloy_sol_types::SolEvent;
use serde::{Deserialize, Serialize};
use trex_sdk::{TRexBadge, TRexPassport};

use super::IngestError;

/// Where a log sits on the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogPosition {
    /// The block's number.
    pub block_number: u64,
    /// The block's hash.
    pub block_hash: B256,
    /// The transaction that emitted the log.
    pub tx_hash: B256,
    /// The log's index in the block.
    pub log_index: u64,
}

/// One identity event of the passport or badge contract. Amounts the contracts emit as
/// `uint128` are widened to [`U256`] so every amount has one JSON form (a hex string).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all_fields = "camelCase")]
pub enum ChainEvent {
    /// `TRexPassport.PassportCreated`.
    PassportCreated {
        /// The new passport.
        passport_id: U256,
        /// Its owner.
        owner: Address,
    },
    /// `TRexPassport.WalletLinked`.
    WalletLinked {
        /// The passport.
        passport_id: U256,
        /// The linked EVM wallet.
        wallet: Address,
        /// The wallet's link nonce used.
        nonce: U256,
    },
    /// `TRexPassport.WalletUnlinked`.
    WalletUnlinked {
        /// The passport.
        passport_id: U256,
        /// The unlinked wallet.
        wallet: Address,
    },
    /// `TRexPassport.SolanaLinked`.
    SolanaLinked {
        /// The passport.
        passport_id: U256,
        /// The Solana address (ed25519 key).
        solana_address: B256,
        /// The validator that attested the link.
        validator: Address,
        /// The attestation's id.
        attestation_id: B256,
    },
    /// `TRexPassport.SolanaUnlinked`.
    SolanaUnlinked {
        /// The passport.
        passport_id: U256,
        /// The Solana address.
        solana_address: B256,
    },
    /// `TRexPassport.Web2Linked`.
    Web2Linked {
        /// The passport.
        passport_id: U256,
        /// keccak256 of the platform name.
        platform: B256,
        /// keccak256 of the handle.
        handle_hash: B256,
        /// The validator that attested the link.
        validator: Address,
        /// The attestation's id.
        attestation_id: B256,
    },
    /// `TRexPassport.Web2Unlinked`.
    Web2Unlinked {
        /// The passport.
        passport_id: U256,
        /// keccak256 of the platform name.
        platform: B256,
        /// keccak256 of the handle.
        handle_hash: B256,
    },
    /// `TRexPassport.PointsCredited`.
    PointsCredited {
        /// The passport.
        passport_id: U256,
        /// The points category.
        category: B256,
        /// Who credited (the badge contract or a task issuer).
        by: Address,
        /// Points credited.
        amount: U256,
        /// The category's balance after.
        balance: U256,
    },
    /// `TRexPassport.PointsDebited`.
    PointsDebited {
        /// The passport.
        passport_id: U256,
        /// The points category.
        category: B256,
        /// Who debited.
        by: Address,
        /// Points debited.
        amount: U256,
        /// The category's balance after.
        balance: U256,
    },
    /// `TRexBadge.ClassCreated`.
    ClassCreated {
        /// The new class (and ERC-1155 token id).
        class_id: U256,
        /// Its issuer.
        issuer: Address,
        /// The validator kind (keccak256 of its name).
        validator_kind: B256,
        /// keccak256 of the conditions document.
        params_hash: B256,
        /// The category the class's points go to.
        points_category: B256,
        /// Points a mint credits.
        points: U256,
        /// Maximum mints, 0 for none.
        supply_cap: u64,
        /// Unix seconds minting opens, 0 for always.
        start_time: u64,
        /// Unix seconds minting closes, 0 for never.
        end_time: u64,
        /// Seconds a badge is valid, 0 for forever.
        expiry: u64,
        /// Metadata URI.
        uri: String,
    },
    /// `TRexBadge.BadgeMinted`.
    BadgeMinted {
        /// The class.
        class_id: U256,
        /// The passport that received it.
        passport_id: U256,
        /// The passport's owner (the ERC-1155 holder).
        recipient: Address,
        /// The validator that signed the attestation.
        validator: Address,
        /// The attestation's id.
        attestation_id: B256,
        /// Points credited.
        points: U256,
        /// Unix seconds it expires, 0 for never.
        expires_at: u64,
    },
    /// `TRexBadge.BadgeRevoked`.
    BadgeRevoked {
        /// The class.
        class_id: U256,
        /// The passport.
        passport_id: U256,
        /// The holder whose badge was burnt.
        holder: Address,
        /// Points debited.
        points: U256,
    },
}

impl ChainEvent {
    /// The event's name, as in the contract (and the `kind` tag of its JSON form).
    pub const fn kind(&self) -> &'static str {
        match self {
            Self::PassportCreated { .. } => "PassportCreated",
            Self::WalletLinked { .. } => "WalletLinked",
            Self::WalletUnlinked { .. } => "WalletUnlinked",
            Self::SolanaLinked { .. } => "SolanaLinked",
            Self::SolanaUnlinked { .. } => "SolanaUnlinked",
            Self::Web2Linked { .. } => "Web2Linked",
            Self::Web2Unlinked { .. } => "Web2Unlinked",
            Self::PointsCredited { .. } => "PointsCredited",
            Self::PointsDebited { .. } => "PointsDebited",
            Self::ClassCreated { .. } => "ClassCreated",
            Self::BadgeMinted { .. } => "BadgeMinted",
            Self::BadgeRevoked { .. } => "BadgeRevoked",
        }
    }
}

/// A decoded event with the contract that emitted it, its position and its block's time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IngestedEvent {
    /// The emitting contract.
    pub contract: Address,
    /// Where the log is.
    pub position: LogPosition,
    /// The block's timestamp (Unix seconds).
    pub block_timestamp: u64,
    /// The event.
    pub event: ChainEvent,
}

/// The addresses of the two identity contracts whose logs are ingested.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdentityContracts {
    /// The TRexPassport proxy.
    pub passport: Address,
    /// The TRexBadge proxy.
    pub badge: Address,
}

impl IdentityContracts {
    /// The topic0s of the passport events that are decoded.
    pub const PASSPORT_EVENTS: [B256; 9] = [
        TRexPassport::PassportCreated::SIGNATURE_HASH,
        TRexPassport::WalletLinked::SIGNATURE_HASH,
        TRexPassport::WalletUnlinked::SIGNATURE_HASH,
        TRexPassport::SolanaLinked::SIGNATURE_HASH,
        TRexPassport::SolanaUnlinked::SIGNATURE_HASH,
        TRexPassport::Web2Linked::SIGNATURE_HASH,
        TRexPassport::Web2Unlinked::SIGNATURE_HASH,
        TRexPassport::PointsCredited::SIGNATURE_HASH,
        TRexPassport::PointsDebited::SIGNATURE_HASH,
    ];

    /// The topic0s of the badge events that are decoded.
    pub const BADGE_EVENTS: [B256; 3] = [
        TRexBadge::ClassCreated::SIGNATURE_HASH,
        TRexBadge::BadgeMinted::SIGNATURE_HASH,
        TRexBadge::BadgeRevoked::SIGNATURE_HASH,
    ];

    /// A log filter for the decoded events of both contracts in `from..=to`. The two topic sets
    /// do not overlap, so one OR-filter over both addresses fetches exactly what
    /// [`decode`](Self::decode) accepts.
    pub fn filter(&self, from: u64, to: u64) -> alloy_rpc_types_eth::Filter {
        let topics: Vec<B256> =
            Self::PASSPORT_EVENTS.iter().chain(Self::BADGE_EVENTS.iter()).copied().collect();
        alloy_rpc_types_eth::Filter::new()
            .address(vec![self.passport, self.badge])
            .event_signature(topics)
            .from_block(from)
            .to_block(to)
    }

    /// Decodes a log of one of the two contracts, mined in a block with `block_timestamp`;
    /// `Ok(None)` for a log of another address or an event that is not ingested (e.g.
    /// `ClassURISet`). A log without a position (a pending log) or whose data does not match its
    /// signature is an error.
    pub fn decode(
        &self,
        log: &Log,
        block_timestamp: u64,
    ) -> Result<Option<IngestedEvent>, IngestError> {
        let contract = log.address();
        let Some(topic0) = log.topic0().copied() else { return Ok(None) };
        let event = if contract == self.passport {
            decode_passport(topic0, log)?
        } else if contract == self.badge {
            decode_badge(topic0, log)?
        } else {
            None
        };
        let Some(event) = event else { return Ok(None) };
        let position = match (log.block_number, log.block_hash, log.transaction_hash, log.log_index)
        {
            (Some(block_number), Some(block_hash), Some(tx_hash), Some(log_index)) => {
                LogPosition { block_number, block_hash, tx_hash, log_index }
            }
            _ => return Err(IngestError::MissingPosition),
        };
        Ok(Some(IngestedEvent { contract, position, block_timestamp, event }))
    }
}

fn data<E: SolEvent>(log: &Log) -> Result<E, IngestError> {
    E::decode_log_data(log.data())
        .map_err(|source| IngestError::Decode { event: E::SIGNATURE, source })
}

fn decode_passport(topic0: B256, log: &Log) -> Result<Option<ChainEvent>, IngestError> {
    use TRexPassport as P;
    Ok(Some(match topic0 {
        P::PassportCreated::SIGNATURE_HASH => {
            let e: P::PassportCreated = data(log)?;
            ChainEvent::PassportCreated { passport_id: e.passportId, owner: e.owner }
        }
        P::WalletLinked::SIGNATURE_HASH => {
            let e: P::WalletLinked = data(log)?;
            ChainEvent::WalletLinked { passport_id: e.passportId, wallet: e.wallet, nonce: e.nonce }
        }
        P::WalletUnlinked::SIGNATURE_HASH => {
            let e: P::WalletUnlinked = data(log)?;
            ChainEvent::WalletUnlinked { passport_id: e.passportId, wallet: e.wallet }
        }
        P::SolanaLinked::SIGNATURE_HASH => {
            let e: P::SolanaLinked = data(log)?;
            ChainEvent::SolanaLinked {
                passport_id: e.passportId,
                solana_address: e.solanaAddress,
                validator: e.validator,
                attestation_id: e.attestationId,
            }
        }
        P::SolanaUnlinked::SIGNATURE_HASH => {
            let e: P::SolanaUnlinked = data(log)?;
            ChainEvent::SolanaUnlinked {
                passport_id: e.passportId,
                solana_address: e.solanaAddress,
            }
        }
        P::Web2Linked::SIGNATURE_HASH => {
            let e: P::Web2Linked = data(log)?;
            ChainEvent::Web2Linked {
                passport_id: e.passportId,
                platform: e.platform,
                handle_hash: e.handleHash,
                validator: e.validator,
                attestation_id: e.attestationId,
            }
        }
        P::Web2Unlinked::SIGNATURE_HASH => {
            let e: P::Web2Unlinked = data(log)?;
            ChainEvent::Web2Unlinked {
                passport_id: e.passportId,
                platform: e.platform,
                handle_hash: e.handleHash,
            }
        }
        P::PointsCredited::SIGNATURE_HASH => {
            let e: P::PointsCredited = data(log)?;
            ChainEvent::PointsCredited {
                passport_id: e.passportId,
                category: e.category,
                by: e.by,
                amount: e.amount,
                balance: e.balance,
            }
        }
        P::PointsDebited::SIGNATURE_HASH => {
            let e: P::PointsDebited = data(log)?;
            ChainEvent::PointsDebited {
                passport_id: e.passportId,
                category: e.category,
                by: e.by,
                amount: e.amount,
                balance: e.balance,
            }
        }
        _ => return Ok(None),
    }))
}

fn decode_badge(topic0: B256, log: &Log) -> Result<Option<ChainEvent>, IngestError> {
    use TRexBadge as B;
    Ok(Some(match topic0 {
        B::ClassCreated::SIGNATURE_HASH => {
            let e: B::ClassCreated = data(log)?;
            ChainEvent::ClassCreated {
                class_id: e.classId,
                issuer: e.issuer,
                validator_kind: e.validatorKind,
                params_hash: e.paramsHash,
                points_category: e.pointsCategory,
                points: U256::from(e.points),
                supply_cap: e.supplyCap,
                start_time: e.startTime,
                end_time: e.endTime,
                expiry: e.expiry,
                uri: e.uri,
            }
        }
        B::BadgeMinted::SIGNATURE_HASH => {
            let e: B::BadgeMinted = data(log)?;
            ChainEvent::BadgeMinted {
                class_id: e.classId,
                passport_id: e.passportId,
                recipient: e.recipient,
                validator: e.validator,
                attestation_id: e.attestationId,
                points: U256::from(e.points),
                expires_at: e.expiresAt,
            }
        }
        B::BadgeRevoked::SIGNATURE_HASH => {
            let e: B::BadgeRevoked = data(log)?;
            ChainEvent::BadgeRevoked {
                class_id: e.classId,
                passport_id: e.passportId,
                holder: e.holder,
                points: U256::from(e.points),
            }
        }
        _ => return Ok(None),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{LogData, address, b256};

    fn contracts() -> IdentityContracts {
        IdentityContracts {
            passport: address!("1000000000000000000000000000000000000001"),
            badge: address!("1000000000000000000000000000000000000002"),
        }
    }

    fn rpc_log(address: Address, data: LogData) -> Log {
        Log {
            inner: alloy_primitives::Log { address, data },
            block_hash: Some(B256::repeat_byte(7)),
            block_number: Some(12),
            block_timestamp: None,
            transaction_hash: Some(B256::repeat_byte(8)),
            transaction_index: Some(0),
            log_index: Some(3),
            removed: false,
        }
    }

    #[test]
    fn decodes_a_mint_with_its_position() {
        let c = contracts();
        let minted = TRexBadge::BadgeMinted {
            classId: U256::from(4),
            passportId: U256::from(9),
            recipient: Address::repeat_byte(1),
            validator: Address::repeat_byte(2),
            attestationId: b256!(
                "00000000000000000000000000000000000000000000000000000000000000aa"
            ),
            points: 250,
            expiresAt: 0,
        };
        let decoded =
            c.decode(&rpc_log(c.badge, minted.encode_log_data()), 1_700_000_000).unwrap().unwrap();
        assert_eq!(decoded.block_timestamp, 1_700_000_000);
        assert_eq!(decoded.contract, c.badge);
        assert_eq!(decoded.position.block_number, 12);
        assert_eq!(decoded.position.log_index, 3);
        let ChainEvent::BadgeMinted { class_id, passport_id, points, .. } = &decoded.event else {
            panic!("not a mint: {decoded:?}");
        };
        assert_eq!(
            (*class_id, *passport_id, *points),
            (U256::from(4), U256::from(9), U256::from(250))
        );
        // The JSON form round-trips and carries the kind tag.
        let json = serde_json::to_value(&decoded.event).unwrap();
        assert_eq!(json["kind"], "BadgeMinted");
        assert_eq!(serde_json::from_value::<ChainEvent>(json).unwrap(), decoded.event);
    }

    #[test]
    fn ignores_other_addresses_and_events_and_rejects_pending_logs() {
        let c = contracts();
        let created = TRexPassport::PassportCreated {
            passportId: U256::from(1),
            owner: Address::repeat_byte(5),
        };
        let other = rpc_log(Address::repeat_byte(9), created.encode_log_data());
        assert_eq!(c.decode(&other, 0).unwrap(), None);
        // A passport event at the badge address is not one of the badge's events.
        assert_eq!(c.decode(&rpc_log(c.badge, created.encode_log_data()), 0).unwrap(), None);
        let uri = TRexBadge::ClassURISet { classId: U256::from(1), uri: "x".into() };
        assert_eq!(c.decode(&rpc_log(c.badge, uri.encode_log_data()), 0).unwrap(), None);
        let mut pending = rpc_log(c.passport, created.encode_log_data());
        pending.block_hash = None;
        assert!(matches!(c.decode(&pending, 0), Err(IngestError::MissingPosition)));
    }

    #[test]
    fn rejects_data_that_does_not_match_the_signature() {
        let c = contracts();
        let mut data = TRexPassport::PointsCredited {
            passportId: U256::from(1),
            category: B256::ZERO,
            by: Address::ZERO,
            amount: U256::from(1),
            balance: U256::from(1),
        }
        .encode_log_data();
        data = LogData::new_unchecked(data.topics().to_vec(), vec![1, 2, 3].into());
        assert!(matches!(c.decode(&rpc_log(c.passport, data), 0), Err(IngestError::Decode { .. })));
    }
}
