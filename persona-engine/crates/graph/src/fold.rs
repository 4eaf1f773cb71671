//! A passport's chain state as the fold of its live events in chain order. Deriving it afresh
//! (rather than patching rows per event) is what makes retraction and reordering exact.

use std::collections::BTreeMap;

use alloy_primitives::{Address, B256, I256, U256};
use trex_persona_ingest::ChainEvent;

use crate::ids::{evm_caip10, solana_caip10};

/// What an event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Subject {
    /// A passport's state.
    Passport(U256),
    /// A badge class.
    Class(U256),
}

/// The entity whose derived rows an event changes.
pub(crate) const fn subject(event: &ChainEvent) -> Subject {
    match event {
        ChainEvent::PassportCreated { passport_id, .. }
        | ChainEvent::WalletLinked { passport_id, .. }
        | ChainEvent::WalletUnlinked { passport_id, .. }
        | ChainEvent::SolanaLinked { passport_id, .. }
        | ChainEvent::SolanaUnlinked { passport_id, .. }
        | ChainEvent::Web2Linked { passport_id, .. }
        | ChainEvent::Web2Unlinked { passport_id, .. }
        | ChainEvent::PointsCredited { passport_id, .. }
        | ChainEvent::PointsDebited { passport_id, .. }
        | ChainEvent::BadgeMinted { passport_id, .. }
        | ChainEvent::BadgeRevoked { passport_id, .. } => Subject::Passport(*passport_id),
        ChainEvent::ClassCreated { class_id, .. } => Subject::Class(*class_id),
    }
}

/// A live (applied, not retracted) event of one passport with where it came from.
#[derive(Debug, Clone)]
pub(crate) struct LoggedEvent {
    pub(crate) chain_id: u64,
    pub(crate) block_number: u64,
    /// Block time, Unix seconds.
    pub(crate) block_time: i64,
    /// The `chain.apply` message that applied it.
    pub(crate) message: Option<String>,
    pub(crate) event: ChainEvent,
}

/// Where a row of the state came from: block time and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Origin {
    pub(crate) at: i64,
    pub(crate) message: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Created {
    pub(crate) chain_id: u64,
    pub(crate) owner: Address,
    pub(crate) block_number: u64,
    pub(crate) origin: Origin,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Wallet {
    /// `eip155` or `solana`.
    pub(crate) namespace: &'static str,
    /// `owner` or `linked`.
    pub(crate) relation: &'static str,
    pub(crate) origin: Origin,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Web2 {
    pub(crate) handle_hash: B256,
    pub(crate) origin: Origin,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Badge {
    /// Unix seconds, `None` for never.
    pub(crate) expires_at: Option<u64>,
    pub(crate) validator: Address,
    pub(crate) attestation_id: B256,
    pub(crate) origin: Origin,
}

/// One passport's chain state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct PassportState {
    pub(crate) created: Option<Created>,
    /// By CAIP-10 id.
    pub(crate) wallets: BTreeMap<String, Wallet>,
    /// By platform hash.
    pub(crate) web2: BTreeMap<B256, Web2>,
    /// By class id.
    pub(crate) badges: BTreeMap<U256, Badge>,
    /// Credits minus debits by raw category. Signed: while messages arrive out of order a debit
    /// can be live before its credit.
    pub(crate) points: BTreeMap<B256, I256>,
}

/// Amounts are uint256 on chain; beyond I256::MAX they saturate (no real balance gets there).
fn signed(amount: U256) -> I256 {
    I256::try_from(amount).unwrap_or(I256::MAX)
}

impl PassportState {
    /// Folds `events`, which must be in chain order.
    pub(crate) fn fold(events: impl IntoIterator<Item = LoggedEvent>) -> Self {
        let mut state = Self::default();
        for logged in events {
            state.apply(logged);
        }
        state
    }

    fn apply(&mut self, logged: LoggedEvent) {
        let LoggedEvent { chain_id, block_number, block_time, message, event } = logged;
        let origin = Origin { at: block_time, message };
        match event {
            ChainEvent::PassportCreated { owner, .. } => {
                let wallet =
                    Wallet { namespace: "eip155", relation: "owner", origin: origin.clone() };
                self.wallets.insert(evm_caip10(chain_id, owner), wallet);
                self.created = Some(Created { chain_id, owner, block_number, origin });
            }
            ChainEvent::WalletLinked { wallet, .. } => {
                let row = Wallet { namespace: "eip155", relation: "linked", origin };
                self.wallets.insert(evm_caip10(chain_id, wallet), row);
            }
            ChainEvent::WalletUnlinked { wallet, .. } => {
                self.wallets.remove(&evm_caip10(chain_id, wallet));
            }
            ChainEvent::SolanaLinked { solana_address, .. } => {
                let row = Wallet { namespace: "solana", relation: "linked", origin };
                self.wallets.insert(solana_caip10(solana_address), row);
            }
            ChainEvent::SolanaUnlinked { solana_address, .. } => {
                self.wallets.remove(&solana_caip10(solana_address));
            }
            ChainEvent::Web2Linked { platform, handle_hash, .. } => {
                self.web2.insert(platform, Web2 { handle_hash, origin });
            }
            ChainEvent::Web2Unlinked { platform, .. } => {
                self.web2.remove(&platform);
            }
            // Minting and revoking move points through PointsCredited/PointsDebited, which the
            // passport contract emits in the same transaction: points are counted from those only.
            ChainEvent::PointsCredited { category, amount, .. } => {
                let balance = self.points.entry(category).or_default();
                *balance = balance.saturating_add(signed(amount));
            }
            ChainEvent::PointsDebited { category, amount, .. } => {
                let balance = self.points.entry(category).or_default();
                *balance = balance.saturating_sub(signed(amount));
            }
            ChainEvent::BadgeMinted { class_id, validator, attestation_id, expires_at, .. } => {
                let badge = Badge {
                    expires_at: (expires_at != 0).then_some(expires_at),
                    validator,
                    attestation_id,
                    origin,
                };
                self.badges.insert(class_id, badge);
            }
            ChainEvent::BadgeRevoked { class_id, .. } => {
                self.badges.remove(&class_id);
            }
            ChainEvent::ClassCreated { .. } => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logged(block_number: u64, event: ChainEvent) -> LoggedEvent {
        LoggedEvent {
            chain_id: 7,
            block_number,
            block_time: 1_000 + block_number as i64,
            message: Some(format!("m{block_number}")),
            event,
        }
    }

    #[test]
    fn folds_links_unlinks_mints_revocations_and_points() {
        let p = U256::from(1);
        let wallet = Address::repeat_byte(2);
        let category = B256::repeat_byte(3);
        let state = PassportState::fold([
            logged(
                1,
                ChainEvent::PassportCreated { passport_id: p, owner: Address::repeat_byte(1) },
            ),
            logged(2, ChainEvent::WalletLinked { passport_id: p, wallet, nonce: U256::ZERO }),
            logged(3, ChainEvent::WalletUnlinked { passport_id: p, wallet }),
            logged(
                4,
                ChainEvent::BadgeMinted {
                    class_id: U256::from(9),
                    passport_id: p,
                    recipient: Address::repeat_byte(1),
                    validator: Address::ZERO,
                    attestation_id: B256::ZERO,
                    points: U256::from(50),
                    expires_at: 0,
                },
            ),
            logged(
                4,
                ChainEvent::PointsCredited {
                    passport_id: p,
                    category,
                    by: Address::ZERO,
                    amount: U256::from(50),
                    balance: U256::from(50),
                },
            ),
            logged(
                5,
                ChainEvent::PointsDebited {
                    passport_id: p,
                    category,
                    by: Address::ZERO,
                    amount: U256::from(20),
                    balance: U256::from(30),
                },
            ),
            logged(
                6,
                ChainEvent::BadgeRevoked {
                    class_id: U256::from(9),
                    passport_id: p,
                    holder: Address::repeat_byte(1),
                    points: U256::from(50),
                },
            ),
        ]);
        let created = state.created.as_ref().unwrap();
        assert_eq!((created.chain_id, created.block_number, created.origin.at), (7, 1, 1_001));
        // Only the owner is left; it counts as a wallet of its passport.
        assert_eq!(state.wallets.len(), 1);
        assert_eq!(state.wallets.values().next().unwrap().relation, "owner");
        assert!(state.badges.is_empty());
        assert_eq!(state.points[&category], I256::try_from(30).unwrap());
    }

    #[test]
    fn a_debit_before_its_credit_goes_negative_and_saturates() {
        let p = U256::from(1);
        let category = B256::ZERO;
        let debit = ChainEvent::PointsDebited {
            passport_id: p,
            category,
            by: Address::ZERO,
            amount: U256::MAX,
            balance: U256::ZERO,
        };
        let state = PassportState::fold([logged(1, debit.clone()), logged(2, debit)]);
        assert_eq!(state.points[&category], I256::MIN);
        assert_eq!(
            subject(&ChainEvent::PassportCreated { passport_id: p, owner: Address::ZERO }),
            Subject::Passport(p)
        );
    }
}
