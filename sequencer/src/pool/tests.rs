//! Behaviour of [`TxPool`]: admission, replacement, limits, ordering and block updates.

use std::{collections::HashMap, time::Duration};

use alloy_consensus::TxEip1559;
use alloy_primitives::{Bytes, U256};
use rstest::rstest;
use tokio::sync::broadcast::error::TryRecvError;

use super::{test_utils::*, *};

fn pool(config: PoolConfig) -> TxPool {
    TxPool::new(config)
}

/// Adds `tx` for a rich sender at `nonce` 0 and base fee 0, checking the invariants.
fn add(pool: &TxPool, tx: ValidTransaction) -> Result<AddOutcome, PoolError> {
    add_with(pool, tx, rich(0), 0)
}

fn add_with(
    pool: &TxPool,
    tx: ValidTransaction,
    account: AccountState,
    base_fee: u64,
) -> Result<AddOutcome, PoolError> {
    let outcome = pool.add(tx, account, base_fee);
    check(pool);
    outcome
}

fn check(pool: &TxPool) {
    pool.state.read().assert_invariants(&pool.config);
    let content = pool.content();
    let count = |by_sender: &BTreeMap<Address, BTreeMap<u64, Arc<PooledTransaction>>>| {
        by_sender.values().map(BTreeMap::len).sum::<usize>()
    };
    let status = pool.status();
    assert_eq!(
        status,
        PoolStatus { pending: count(&content.pending), queued: count(&content.queued) }
    );
    assert_eq!(pool.len(), status.pending + status.queued);
    for (sender, pending) in &content.pending {
        if let Some(queued) = content.queued.get(sender) {
            assert!(pending.keys().all(|nonce| !queued.contains_key(nonce)));
        }
    }
}

fn addr(key: u8) -> Address {
    signer(key).address()
}

fn hashes(best: BestTransactions) -> Vec<B256> {
    best.map(|tx| tx.hash()).collect()
}

fn drain(rx: &mut broadcast::Receiver<B256>) -> Vec<B256> {
    let mut hashes = Vec::new();
    loop {
        match rx.try_recv() {
            Ok(hash) => hashes.push(hash),
            Err(TryRecvError::Empty) => return hashes,
            Err(err) => panic!("subscription broke: {err}"),
        }
    }
}

#[test]
fn pool_is_shareable_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<TxPool>();
    assert_send_sync::<Arc<PooledTransaction>>();
}

#[test]
fn consecutive_nonces_are_pending() {
    let pool = pool(PoolConfig::default());
    let tx0 = valid_1559(1, 0, 2 * GWEI, GWEI);
    let hash0 = tx0.hash();
    let outcome = add(&pool, tx0).expect("added");
    assert_eq!(outcome, AddOutcome { hash: hash0, sub_pool: SubPool::Pending, replaced: None });
    assert_eq!(
        add(&pool, valid_1559(1, 1, 2 * GWEI, GWEI)).expect("added").sub_pool,
        SubPool::Pending
    );
    assert_eq!(pool.status(), PoolStatus { pending: 2, queued: 0 });
    assert_eq!(pool.pending_nonce(addr(1)), Some(2));
    assert_eq!(pool.pending_nonce(addr(2)), None);
    let pooled = pool.get(&hash0).expect("pooled");
    assert_eq!((pooled.sender(), pooled.nonce(), pooled.hash()), (addr(1), 0, hash0));
    assert_eq!(pooled.max_fee_per_gas(), 2 * GWEI);
    assert_eq!(pooled.max_priority_fee_per_gas(), GWEI);
    assert_eq!(pooled.gas_limit(), TRANSFER_GAS);
    assert_eq!(pooled.cost(), U256::from(2 * GWEI * u128::from(TRANSFER_GAS)));
    assert_eq!(pooled.tx().signer(), addr(1));
    assert!(pooled.size() > 0 && pooled.encoded().len() == pooled.size());
    assert!(!pool.is_empty());
}

#[test]
fn known_hash_is_rejected() {
    let pool = pool(PoolConfig::default());
    add(&pool, valid_1559(1, 0, 2 * GWEI, GWEI)).expect("added");
    assert_eq!(add(&pool, valid_1559(1, 0, 2 * GWEI, GWEI)), Err(PoolError::AlreadyKnown));
}

#[test]
fn used_nonce_is_rejected() {
    let pool = pool(PoolConfig::default());
    assert_eq!(
        add_with(&pool, valid_1559(1, 4, 2 * GWEI, GWEI), rich(5), 0),
        Err(PoolError::NonceTooLow { next: 5, nonce: 4 })
    );
    assert!(pool.is_empty());
}

#[test]
fn gap_is_queued_until_filled() {
    let pool = pool(PoolConfig::default());
    let mut announced = pool.subscribe_pending_transactions();
    let (tx0, tx1, tx2) =
        (valid_1559(1, 0, GWEI, GWEI), valid_1559(1, 1, GWEI, GWEI), valid_1559(1, 2, GWEI, GWEI));
    let (hash0, hash1, hash2) = (tx0.hash(), tx1.hash(), tx2.hash());

    assert_eq!(add(&pool, tx0).expect("added").sub_pool, SubPool::Pending);
    assert_eq!(add(&pool, tx2).expect("added").sub_pool, SubPool::Queued);
    assert_eq!(pool.status(), PoolStatus { pending: 1, queued: 1 });
    assert_eq!(pool.pending_nonce(addr(1)), Some(1));
    assert_eq!(hashes(pool.best_transactions(0)), vec![hash0]);
    assert_eq!(drain(&mut announced), vec![hash0]);

    assert_eq!(add(&pool, tx1).expect("added").sub_pool, SubPool::Pending);
    assert_eq!(pool.status(), PoolStatus { pending: 3, queued: 0 });
    assert_eq!(pool.pending_nonce(addr(1)), Some(3));
    assert_eq!(hashes(pool.best_transactions(0)), vec![hash0, hash1, hash2]);
    assert_eq!(drain(&mut announced), vec![hash1, hash2]);
}

#[test]
fn only_queued_sender_reports_account_nonce() {
    let pool = pool(PoolConfig::default());
    add_with(&pool, valid_1559(1, 9, GWEI, GWEI), rich(7), 0).expect("added");
    assert_eq!(pool.pending_nonce(addr(1)), Some(7));
}

/// Old transaction pays 1 000 gwei with a 100 gwei tip; the new one raises them by the given
/// percentages.
#[rstest]
#[case::both_9_percent(9, 9, false)]
#[case::both_10_percent(10, 10, true)]
#[case::fee_only_10_percent(10, 9, false)]
#[case::tip_only_10_percent(9, 10, false)]
#[case::both_50_percent(50, 50, true)]
#[case::unchanged(0, 0, false)]
fn replacement_needs_the_price_bump(
    #[case] fee_bump: u128,
    #[case] tip_bump: u128,
    #[case] accepted: bool,
) {
    let pool = pool(PoolConfig::default());
    let old = valid_1559(1, 0, 1_000 * GWEI, 100 * GWEI);
    let old_hash = old.hash();
    add(&pool, old).expect("added");
    let new = TxEip1559 {
        gas_limit: TRANSFER_GAS + 1, // differs even when the fees do not
        ..eip1559(0, 1_000 * GWEI * (100 + fee_bump) / 100, 100 * GWEI * (100 + tip_bump) / 100)
    };
    let new = validate_raw_transaction(&sign(&signer(1), new), &rules()).expect("valid");
    let new_hash = new.hash();
    let mut announced = pool.subscribe_pending_transactions();
    let outcome = add(&pool, new);
    if accepted {
        assert_eq!(
            outcome,
            Ok(AddOutcome { hash: new_hash, sub_pool: SubPool::Pending, replaced: Some(old_hash) })
        );
        assert!(pool.get(&old_hash).is_none());
        assert_eq!(drain(&mut announced), vec![new_hash]);
    } else {
        assert_eq!(outcome, Err(PoolError::ReplacementUnderpriced));
        assert!(pool.get(&old_hash).is_some());
        assert!(drain(&mut announced).is_empty());
    }
    assert_eq!(pool.len(), 1);
}

#[test]
fn replacement_at_tiny_fees_must_still_increase() {
    // 1 * 110 / 100 rounds down to 1: geth also demands strictly higher fees.
    let pool = pool(PoolConfig::default());
    add(&pool, valid_1559(1, 0, 1, 1)).expect("added");
    let same_fees = TxEip1559 { gas_limit: TRANSFER_GAS + 1, ..eip1559(0, 1, 1) };
    let same_fees =
        validate_raw_transaction(&sign(&signer(1), same_fees), &rules()).expect("valid");
    assert_eq!(add(&pool, same_fees), Err(PoolError::ReplacementUnderpriced));
    assert!(add(&pool, valid_1559(1, 0, 2, 2)).is_ok());
}

#[test]
fn queued_transaction_can_be_replaced() {
    let pool = pool(PoolConfig::default());
    let old = valid_1559(1, 3, GWEI, GWEI);
    let old_hash = old.hash();
    add(&pool, old).expect("added");
    let outcome = add(&pool, valid_1559(1, 3, 2 * GWEI, 2 * GWEI)).expect("replaced");
    assert_eq!((outcome.sub_pool, outcome.replaced), (SubPool::Queued, Some(old_hash)));
}

#[test]
fn legacy_replacement_bumps_the_gas_price() {
    let pool = pool(PoolConfig::default());
    let tx = |price| {
        validate_raw_transaction(&sign(&signer(1), legacy(0, price)), &rules()).expect("valid")
    };
    add(&pool, tx(100 * GWEI)).expect("added");
    assert_eq!(add(&pool, tx(109 * GWEI)), Err(PoolError::ReplacementUnderpriced));
    assert!(add(&pool, tx(110 * GWEI)).is_ok());
}

#[test]
fn the_l1_data_fee_counts_towards_the_cost_in_rollup_mode() {
    let pool = pool(PoolConfig::default());
    let mut rollup_rules = rules();
    rollup_rules.l1_fee = Some(op_revm::L1BlockInfo {
        l1_base_fee: U256::from(50 * GWEI),
        l1_base_fee_scalar: U256::from(1368),
        l1_blob_base_fee: Some(U256::from(1)),
        l1_blob_base_fee_scalar: Some(U256::from(810_949)),
        ..Default::default()
    });
    let raw = sign(&signer(1), eip1559(0, 2 * GWEI, GWEI));
    let valid = validate_raw_transaction(&raw, &rollup_rules).unwrap();
    let l1_fee = valid.l1_fee();
    assert!(l1_fee > U256::ZERO);
    let execution = U256::from(2 * GWEI * u128::from(TRANSFER_GAS));
    // Enough for gas and value, not for the L1 fee on top.
    let short = AccountState { nonce: 0, balance: execution + l1_fee - U256::from(1) };
    assert_eq!(
        add_with(&pool, valid.clone(), short, 0),
        Err(PoolError::InsufficientFunds { balance: short.balance, cost: execution + l1_fee })
    );
    let enough = AccountState { nonce: 0, balance: execution + l1_fee };
    assert!(add_with(&pool, valid, enough, 0).is_ok());
}

#[test]
fn cost_above_balance_is_rejected() {
    let pool = pool(PoolConfig::default());
    let cost = U256::from(2 * GWEI * u128::from(TRANSFER_GAS));
    let poor = AccountState { nonce: 0, balance: cost - U256::from(1) };
    assert_eq!(
        add_with(&pool, valid_1559(1, 0, 2 * GWEI, GWEI), poor, 0),
        Err(PoolError::InsufficientFunds { balance: poor.balance, cost })
    );
    let exact = AccountState { nonce: 0, balance: cost };
    assert!(add_with(&pool, valid_1559(1, 0, 2 * GWEI, GWEI), exact, 0).is_ok());
}

#[test]
fn pending_costs_add_up_against_the_balance() {
    let pool = pool(PoolConfig::default());
    let cost = U256::from(GWEI * u128::from(TRANSFER_GAS));
    let account = AccountState { nonce: 0, balance: cost * U256::from(2) };
    add_with(&pool, valid_1559(1, 0, GWEI, GWEI), account, 0).expect("added");
    add_with(&pool, valid_1559(1, 1, GWEI, GWEI), account, 0).expect("added");
    assert_eq!(
        add_with(&pool, valid_1559(1, 2, GWEI, GWEI), account, 0),
        Err(PoolError::InsufficientFundsForQueued {
            balance: account.balance,
            queued: cost * U256::from(2),
            cost
        })
    );
    // Replacing a pending transaction only counts the others.
    let bumped = valid_1559(1, 1, 2 * GWEI, 2 * GWEI);
    let account = AccountState { nonce: 0, balance: cost * U256::from(3) };
    assert!(add_with(&pool, bumped, account, 0).is_ok());
}

#[test]
fn sender_limit_caps_pooled_transactions() {
    let pool = pool(PoolConfig { max_per_sender: 3, ..PoolConfig::default() });
    for nonce in 0..3 {
        add(&pool, valid_1559(1, nonce, GWEI, GWEI)).expect("added");
    }
    assert_eq!(add(&pool, valid_1559(1, 3, GWEI, GWEI)), Err(PoolError::AccountLimitExceeded(3)));
    // Replacements do not take a new place.
    assert!(add(&pool, valid_1559(1, 2, 2 * GWEI, 2 * GWEI)).is_ok());
    // Other senders are not affected.
    assert!(add(&pool, valid_1559(2, 0, GWEI, GWEI)).is_ok());
}

#[test]
fn sender_at_limit_filling_a_gap_drops_its_farthest_transaction() {
    let pool = pool(PoolConfig { max_per_sender: 3, ..PoolConfig::default() });
    let farthest = valid_1559(1, 6, GWEI, GWEI);
    let farthest_hash = farthest.hash();
    add(&pool, valid_1559(1, 0, GWEI, GWEI)).expect("added");
    add(&pool, valid_1559(1, 5, GWEI, GWEI)).expect("added");
    add(&pool, farthest).expect("added");
    assert_eq!(add(&pool, valid_1559(1, 1, GWEI, GWEI)).expect("added").sub_pool, SubPool::Pending);
    assert!(pool.get(&farthest_hash).is_none());
    assert_eq!(pool.status(), PoolStatus { pending: 2, queued: 1 });
}

#[test]
fn full_pending_pool_evicts_the_cheapest_sender_tail() {
    let pool = pool(PoolConfig { max_pending: 3, ..PoolConfig::default() });
    // Sender 1: a well-paying transaction followed by a cheap one.
    let rich_head = valid_1559(1, 0, 10 * GWEI, 10 * GWEI);
    let cheap_tail = valid_1559(1, 1, GWEI, GWEI);
    let (head_hash, tail_hash) = (rich_head.hash(), cheap_tail.hash());
    add(&pool, rich_head).expect("added");
    add(&pool, cheap_tail).expect("added");
    add(&pool, valid_1559(2, 0, 3 * GWEI, 3 * GWEI)).expect("added");

    // Not better than the cheapest tail (a tie loses): refused, nothing changes.
    assert_eq!(add(&pool, valid_1559(3, 0, GWEI, GWEI)), Err(PoolError::PoolFull));
    assert_eq!(pool.len(), 3);

    // Better: sender 1's tail goes, its head stays.
    let outcome = add(&pool, valid_1559(3, 0, 2 * GWEI, 2 * GWEI)).expect("added");
    assert_eq!(outcome.sub_pool, SubPool::Pending);
    assert!(pool.get(&tail_hash).is_none());
    assert!(pool.get(&head_hash).is_some());
    assert_eq!(pool.status(), PoolStatus { pending: 3, queued: 0 });
}

#[test]
fn expensive_tail_does_not_shield_cheap_transactions() {
    let pool = pool(PoolConfig { max_pending: 3, ..PoolConfig::default() });
    // Sender 1's generous tip can only be collected after its 1 gwei transaction.
    let cheap_head = valid_1559(1, 0, GWEI, GWEI);
    let generous_tail = valid_1559(1, 1, 100 * GWEI, 100 * GWEI);
    let (head_hash, tail_hash) = (cheap_head.hash(), generous_tail.hash());
    add(&pool, cheap_head).expect("added");
    add(&pool, generous_tail).expect("added");
    add(&pool, valid_1559(2, 0, 5 * GWEI, 5 * GWEI)).expect("added");
    add(&pool, valid_1559(3, 0, 2 * GWEI, 2 * GWEI)).expect("added");
    assert!(pool.get(&tail_hash).is_none());
    assert!(pool.get(&head_hash).is_some());
    // Appending to a run that starts at 1 gwei ranks at 1 gwei: refused while full.
    assert_eq!(add(&pool, valid_1559(1, 1, 50 * GWEI, 50 * GWEI)), Err(PoolError::PoolFull));
}

#[test]
fn eviction_ranks_by_tip_at_the_current_base_fee() {
    let pool = pool(PoolConfig { max_pending: 2, ..PoolConfig::default() });
    // At base fee 0 the first pays the larger tip; at 8 gwei it pays only 1 gwei.
    let capped = valid_1559(1, 0, 9 * GWEI, 5 * GWEI);
    let steady = valid_1559(2, 0, 20 * GWEI, 2 * GWEI);
    let (capped_hash, steady_hash) = (capped.hash(), steady.hash());
    add(&pool, capped).expect("added");
    add(&pool, steady).expect("added");
    add_with(&pool, valid_1559(3, 0, 20 * GWEI, 3 * GWEI), rich(0), 8 * GWEI as u64)
        .expect("added");
    assert!(pool.get(&capped_hash).is_none());
    assert!(pool.get(&steady_hash).is_some());
}

#[test]
fn transactions_below_the_base_fee_are_evicted_first() {
    let pool = pool(PoolConfig { max_pending: 1, ..PoolConfig::default() });
    let underwater = valid_1559(1, 0, GWEI, GWEI);
    let underwater_hash = underwater.hash();
    add_with(&pool, underwater, rich(0), 2 * GWEI as u64).expect("added");
    add_with(&pool, valid_1559(2, 0, 3 * GWEI, 0), rich(0), 2 * GWEI as u64).expect("added");
    assert!(pool.get(&underwater_hash).is_none());
}

#[test]
fn full_queued_pool_evicts_the_cheapest_farthest_transaction() {
    let pool = pool(PoolConfig { max_queued: 2, ..PoolConfig::default() });
    let near = valid_1559(1, 2, GWEI, GWEI);
    let far = valid_1559(1, 3, GWEI, GWEI);
    let (near_hash, far_hash) = (near.hash(), far.hash());
    add(&pool, near).expect("added");
    add(&pool, far).expect("added");
    assert_eq!(add(&pool, valid_1559(2, 5, GWEI, GWEI)), Err(PoolError::PoolFull));
    assert_eq!(
        add(&pool, valid_1559(2, 5, 2 * GWEI, 2 * GWEI)).expect("added").sub_pool,
        SubPool::Queued
    );
    assert!(pool.get(&far_hash).is_none());
    assert!(pool.get(&near_hash).is_some());
    // Pending transactions do not count against the queued limit.
    add(&pool, valid_1559(3, 0, GWEI, GWEI)).expect("added");
    assert_eq!(pool.status(), PoolStatus { pending: 1, queued: 2 });
}

#[test]
fn large_transactions_take_several_slots() {
    let pool = pool(PoolConfig { max_pending: 3, ..PoolConfig::default() });
    // 40 KiB of calldata: two 32 KiB slots.
    let big = TxEip1559 {
        gas_limit: 500_000,
        input: Bytes::from(vec![0; 40 * 1024]),
        ..eip1559(0, GWEI, GWEI)
    };
    let big = validate_raw_transaction(&sign(&signer(1), big), &rules()).expect("valid");
    let big_hash = big.hash();
    add(&pool, big).expect("added");
    add(&pool, valid_1559(2, 0, 2 * GWEI, 2 * GWEI)).expect("added");
    // A third transaction needs a slot: the cheaper big one goes, freeing two.
    add(&pool, valid_1559(3, 0, 2 * GWEI, 2 * GWEI)).expect("added");
    assert!(pool.get(&big_hash).is_none());
    assert_eq!(pool.status(), PoolStatus { pending: 2, queued: 0 });
}

#[test]
fn gap_filler_whose_promotions_overflow_the_pool_keeps_the_best() {
    let pool = pool(PoolConfig { max_pending: 2, ..PoolConfig::default() });
    add(&pool, valid_1559(1, 0, 5 * GWEI, 5 * GWEI)).expect("added");
    let queued = valid_1559(2, 1, 9 * GWEI, 9 * GWEI);
    let queued_hash = queued.hash();
    add(&pool, queued).expect("added");
    // Filling sender 2's gap makes three pending; sender 2's run pays at least 6 gwei, so
    // sender 1's transaction goes.
    let filler = valid_1559(2, 0, 6 * GWEI, 6 * GWEI);
    let filler_hash = filler.hash();
    assert_eq!(add(&pool, filler).expect("added").sub_pool, SubPool::Pending);
    assert!(pool.get(&filler_hash).is_some());
    assert!(pool.get(&queued_hash).is_some());
    assert_eq!(pool.pending_nonce(addr(1)), None);
}

#[test]
fn best_orders_by_tip_then_arrival_and_keeps_nonce_order() {
    let pool = pool(PoolConfig::default());
    let a0 = valid_1559(1, 0, 10 * GWEI, GWEI);
    let a1 = valid_1559(1, 1, 10 * GWEI, 10 * GWEI);
    let b0 = valid_1559(2, 0, 10 * GWEI, 5 * GWEI);
    let c0 = valid_1559(3, 0, 10 * GWEI, 5 * GWEI);
    let order = [b0.hash(), c0.hash(), a0.hash(), a1.hash()];
    // Sender 1's second transaction arrives first: nonce order still wins.
    add(&pool, a1).expect("added");
    add(&pool, a0).expect("added");
    add(&pool, b0).expect("added");
    add(&pool, c0).expect("added");
    assert_eq!(hashes(pool.best_transactions(0)), order);
}

#[test]
fn best_uses_the_effective_tip_at_the_base_fee() {
    let pool = pool(PoolConfig::default());
    // At base fee 0: 5 gwei vs 2 gwei. At base fee 8 gwei: 1 gwei vs 2 gwei.
    let capped = valid_1559(1, 0, 9 * GWEI, 5 * GWEI);
    let steady = valid_1559(2, 0, 20 * GWEI, 2 * GWEI);
    let (capped_hash, steady_hash) = (capped.hash(), steady.hash());
    add(&pool, capped).expect("added");
    add(&pool, steady).expect("added");
    assert_eq!(hashes(pool.best_transactions(0)), vec![capped_hash, steady_hash]);
    assert_eq!(hashes(pool.best_transactions(8 * GWEI as u64)), vec![steady_hash, capped_hash]);
}

#[test]
fn best_skips_transactions_below_the_base_fee_and_their_followers() {
    let pool = pool(PoolConfig::default());
    let ok0 = valid_1559(1, 0, 3 * GWEI, GWEI);
    let low1 = valid_1559(1, 1, GWEI, GWEI);
    let ok2 = valid_1559(1, 2, 3 * GWEI, GWEI);
    let low_only = valid_1559(2, 0, GWEI, GWEI);
    let ok0_hash = ok0.hash();
    for tx in [ok0, low1, ok2, low_only] {
        add(&pool, tx).expect("added");
    }
    assert_eq!(hashes(pool.best_transactions(2 * GWEI as u64)), vec![ok0_hash]);
    assert_eq!(pool.best_transactions(0).count(), 4);
}

#[test]
fn mark_invalid_skips_the_rest_of_the_sender() {
    let pool = pool(PoolConfig::default());
    let a0 = valid_1559(1, 0, 10 * GWEI, 10 * GWEI);
    let a1 = valid_1559(1, 1, 10 * GWEI, 10 * GWEI);
    let a2 = valid_1559(1, 2, 10 * GWEI, 10 * GWEI);
    let b0 = valid_1559(2, 0, 10 * GWEI, GWEI);
    let b1 = valid_1559(2, 1, 10 * GWEI, GWEI);
    let (a0_hash, b0_hash, b1_hash) = (a0.hash(), b0.hash(), b1.hash());
    for tx in [a0, a1, a2, b0, b1] {
        add(&pool, tx).expect("added");
    }
    let mut best = pool.best_transactions(0);
    let first = best.next().expect("a transaction");
    assert_eq!(first.hash(), a0_hash);
    best.mark_invalid(first.sender());
    assert_eq!(hashes(best), vec![b0_hash, b1_hash]);
}

#[test]
fn best_is_a_snapshot_that_holds_no_lock() {
    let pool = pool(PoolConfig::default());
    add(&pool, valid_1559(1, 0, GWEI, GWEI)).expect("added");
    let best = pool.best_transactions(0);
    // Would deadlock if the snapshot held the lock.
    add(&pool, valid_1559(2, 0, GWEI, GWEI)).expect("added");
    assert_eq!(best.count(), 1);
}

#[test]
fn best_handles_a_large_pool() {
    let pool = pool(PoolConfig::default());
    let senders = 200;
    for key in 1..=senders {
        for nonce in 0..5 {
            let tip = u128::from(key % 7 + 1) * GWEI;
            add_with(&pool, valid_1559(key, nonce, 10 * GWEI, tip), rich(0), 0).expect("added");
        }
    }
    let mut next_nonce = HashMap::new();
    let mut last_tip = u128::MAX;
    let mut yielded = 0;
    for tx in pool.best_transactions(GWEI as u64) {
        let expected = next_nonce.entry(tx.sender()).or_insert(0);
        assert_eq!(tx.nonce(), *expected, "nonce order within a sender");
        *expected += 1;
        let tip = tx.effective_tip_per_gas(GWEI as u64).expect("payable");
        assert!(tip <= last_tip, "tips never increase when each sender pays the same");
        last_tip = tip;
        yielded += 1;
    }
    assert_eq!(yielded, 1_000);
}

/// 20 000 pending transactions (2 000 senders, 10 nonces each), built without signatures.
#[test]
fn twenty_thousand_pending_transactions() {
    use alloy_consensus::{Signed, transaction::Recovered};
    use alloy_primitives::Signature;
    use op_alloy_consensus::OpTxEnvelope;

    let pool = pool(PoolConfig::default());
    let started = Instant::now();
    let mut first_hashes = Vec::new();
    for sender in 0..2_000u64 {
        let address = Address::left_padding_from(&sender.to_be_bytes());
        for nonce in 0..10 {
            let tip = u128::from((sender * 7 + nonce) % 50 + 1) * GWEI;
            let tx = TxEip1559 { to: address.into(), ..eip1559(nonce, 100 * GWEI, tip) };
            let signature = Signature::new(U256::from(1), U256::from(1), false);
            let envelope = OpTxEnvelope::from(Signed::new_unhashed(tx, signature));
            let valid = ValidTransaction::unchecked(Recovered::new_unchecked(envelope, address));
            if nonce == 0 {
                first_hashes.push(valid.hash());
            }
            pool.add(valid, rich(0), GWEI as u64).expect("added");
        }
    }
    let added = started.elapsed();
    assert_eq!(pool.status(), PoolStatus { pending: 20_000, queued: 0 });

    let started = Instant::now();
    let best = pool.best_transactions(GWEI as u64);
    let snapshot = started.elapsed();
    let mut next_nonce = HashMap::new();
    let mut count = 0;
    for tx in best {
        let expected = next_nonce.entry(tx.sender()).or_insert(0);
        assert_eq!(tx.nonce(), *expected);
        *expected += 1;
        count += 1;
    }
    let iterated = started.elapsed();
    assert_eq!(count, 20_000);

    let started = Instant::now();
    pool.on_canonical_block(2 * GWEI as u64, &first_hashes, []);
    let block = started.elapsed();
    assert_eq!(pool.status(), PoolStatus { pending: 18_000, queued: 0 });
    check(&pool);
    eprintln!(
        "20k pending: add all {added:?}, snapshot {snapshot:?}, iterate {iterated:?}, block {block:?}"
    );
}

#[test]
fn canonical_block_removes_mined_and_promotes() {
    let pool = pool(PoolConfig::default());
    let mut announced = pool.subscribe_pending_transactions();
    let a0 = valid_1559(1, 0, GWEI, GWEI);
    let a1 = valid_1559(1, 1, GWEI, GWEI);
    let b0 = valid_1559(2, 0, GWEI, GWEI);
    let b3 = valid_1559(2, 3, GWEI, GWEI);
    let (a0_hash, a1_hash, b0_hash, b3_hash) = (a0.hash(), a1.hash(), b0.hash(), b3.hash());
    for tx in [a0, a1, b0, b3] {
        add(&pool, tx).expect("added");
    }
    drain(&mut announced);

    // Sender 2's nonces 1 and 2 were mined from elsewhere: its nonce 3 becomes executable.
    pool.on_canonical_block(GWEI as u64, &[a0_hash, b0_hash], [(addr(2), rich(3))]);
    check(&pool);
    assert!(pool.get(&a0_hash).is_none() && pool.get(&b0_hash).is_none());
    assert_eq!(pool.status(), PoolStatus { pending: 2, queued: 0 });
    assert_eq!(pool.pending_nonce(addr(1)), Some(2), "nonce inferred from the mined tx");
    assert_eq!(pool.pending_nonce(addr(2)), Some(4));
    assert_eq!(hashes(pool.best_transactions(GWEI as u64)).len(), 2);
    assert_eq!(drain(&mut announced), vec![b3_hash]);
    assert!(pool.get(&a1_hash).is_some());
}

#[test]
fn canonical_block_drops_stale_nonces() {
    let pool = pool(PoolConfig::default());
    for nonce in 0..3 {
        add(&pool, valid_1559(1, nonce, GWEI, GWEI)).expect("added");
    }
    pool.on_canonical_block(0, &[], [(addr(1), rich(2)), (addr(9), rich(5))]);
    check(&pool);
    assert_eq!(pool.status(), PoolStatus { pending: 1, queued: 0 });
    pool.on_canonical_block(0, &[], [(addr(1), rich(3))]);
    check(&pool);
    assert!(pool.is_empty());
    assert_eq!(pool.pending_nonce(addr(1)), None);
}

#[test]
fn canonical_block_drops_unaffordable_and_queues_their_followers() {
    let pool = pool(PoolConfig::default());
    let cheap0 = valid_1559(1, 0, GWEI, GWEI);
    let dear1 = valid_1559(1, 1, 100 * GWEI, GWEI);
    let cheap2 = valid_1559(1, 2, GWEI, GWEI);
    let dear_hash = dear1.hash();
    for tx in [cheap0, dear1, cheap2] {
        add(&pool, tx).expect("added");
    }
    let balance = U256::from(10 * GWEI * u128::from(TRANSFER_GAS));
    pool.on_canonical_block(0, &[], [(addr(1), AccountState { nonce: 0, balance })]);
    check(&pool);
    assert!(pool.get(&dear_hash).is_none());
    assert_eq!(pool.status(), PoolStatus { pending: 1, queued: 1 });
    assert_eq!(pool.pending_nonce(addr(1)), Some(1));
}

#[test]
fn canonical_block_promotions_respect_the_pending_limit() {
    let pool = pool(PoolConfig { max_pending: 2, ..PoolConfig::default() });
    add(&pool, valid_1559(1, 0, 5 * GWEI, 5 * GWEI)).expect("added");
    add(&pool, valid_1559(2, 1, GWEI, GWEI)).expect("added");
    add(&pool, valid_1559(2, 2, 9 * GWEI, 9 * GWEI)).expect("added");
    pool.on_canonical_block(0, &[], [(addr(2), rich(1))]);
    check(&pool);
    assert_eq!(pool.status(), PoolStatus { pending: 2, queued: 0 });
    assert_eq!(pool.pending_nonce(addr(2)), Some(2));
}

#[test]
fn add_takes_a_newer_account_state() {
    let pool = pool(PoolConfig::default());
    let old0 = valid_1559(1, 0, GWEI, GWEI);
    let old0_hash = old0.hash();
    add(&pool, old0).expect("added");
    add(&pool, valid_1559(1, 1, GWEI, GWEI)).expect("added");
    // A block the pool has not heard of yet used nonce 0.
    assert_eq!(
        add_with(&pool, valid_1559(1, 2, GWEI, GWEI), rich(1), 0).expect("added").sub_pool,
        SubPool::Pending
    );
    assert!(pool.get(&old0_hash).is_none());
    // An older view (nonce 0) does not bring nonce 0 back.
    assert_eq!(
        add_with(&pool, valid_1559(1, 0, 2 * GWEI, 2 * GWEI), rich(0), 0),
        Err(PoolError::NonceTooLow { next: 1, nonce: 0 })
    );
}

#[test]
fn removed_transaction_queues_its_followers() {
    let pool = pool(PoolConfig::default());
    let txs: Vec<_> = (0..3).map(|nonce| valid_1559(1, nonce, GWEI, GWEI)).collect();
    let middle = txs[1].hash();
    for tx in txs {
        add(&pool, tx).expect("added");
    }
    let removed = pool.remove_transactions(&[middle, B256::ZERO]);
    check(&pool);
    assert_eq!(removed.iter().map(|tx| tx.hash()).collect::<Vec<_>>(), vec![middle]);
    assert_eq!(pool.status(), PoolStatus { pending: 1, queued: 1 });
    assert_eq!(pool.pending_nonce(addr(1)), Some(1));
}

#[test]
fn removal_that_queues_followers_respects_the_queued_limit() {
    let pool = pool(PoolConfig { max_queued: 1, ..PoolConfig::default() });
    let txs: Vec<_> = (0..3).map(|nonce| valid_1559(1, nonce, GWEI, GWEI)).collect();
    let (first, last) = (txs[0].hash(), txs[2].hash());
    for tx in txs {
        add(&pool, tx).expect("added");
    }
    pool.remove_transactions(&[first]);
    check(&pool);
    assert_eq!(pool.status(), PoolStatus { pending: 0, queued: 1 });
    assert!(pool.get(&last).is_none(), "the farthest follower is evicted");
}

#[test]
fn lower_balance_reported_by_add_respects_the_queued_limit() {
    let pool = pool(PoolConfig { max_queued: 1, ..PoolConfig::default() });
    add(&pool, valid_1559(1, 0, GWEI, GWEI)).expect("added");
    add(&pool, valid_1559(1, 1, 100 * GWEI, GWEI)).expect("added");
    add(&pool, valid_1559(1, 2, GWEI, GWEI)).expect("added");
    add(&pool, valid_1559(1, 3, GWEI, GWEI)).expect("added");
    // The new balance cannot pay nonce 1: it goes, 2 and 3 are queued, and only one fits.
    let balance = U256::from(10 * GWEI * u128::from(TRANSFER_GAS));
    let account = AccountState { nonce: 0, balance };
    assert_eq!(add_with(&pool, valid_1559(1, 4, GWEI, GWEI), account, 0), Err(PoolError::PoolFull));
    assert_eq!(pool.status(), PoolStatus { pending: 1, queued: 1 });
}

#[test]
fn queued_transactions_expire() {
    let pool = pool(PoolConfig::default());
    add(&pool, valid_1559(1, 0, GWEI, GWEI)).expect("added");
    add(&pool, valid_1559(1, 2, GWEI, GWEI)).expect("added");
    let now = Instant::now();
    assert_eq!(pool.remove_expired(now + Duration::from_secs(3 * 60 * 60 - 60)), 0);
    assert_eq!(pool.remove_expired(now + Duration::from_secs(3 * 60 * 60)), 1);
    check(&pool);
    assert_eq!(pool.status(), PoolStatus { pending: 1, queued: 0 });
}

#[test]
fn content_groups_by_sub_pool_sender_and_nonce() {
    let pool = pool(PoolConfig::default());
    add(&pool, valid_1559(1, 0, GWEI, GWEI)).expect("added");
    add(&pool, valid_1559(1, 1, GWEI, GWEI)).expect("added");
    add(&pool, valid_1559(1, 5, GWEI, GWEI)).expect("added");
    add(&pool, valid_1559(2, 3, GWEI, GWEI)).expect("added");
    let content = pool.content();
    let nonces = |by_sender: &BTreeMap<Address, BTreeMap<u64, Arc<PooledTransaction>>>, key| {
        by_sender.get(&addr(key)).map(|txs| txs.keys().copied().collect::<Vec<_>>())
    };
    assert_eq!(nonces(&content.pending, 1), Some(vec![0, 1]));
    assert_eq!(nonces(&content.queued, 1), Some(vec![5]));
    assert_eq!(nonces(&content.pending, 2), None);
    assert_eq!(nonces(&content.queued, 2), Some(vec![3]));
}

mod invariants {
    use std::sync::LazyLock;

    use proptest::prelude::*;

    use super::*;

    const KEYS: u8 = 3;
    const NONCES: u64 = 6;
    const FEE_LEVELS: u8 = 4;

    /// Every transaction the property test may send, signed once: `(key, nonce, fee level)`.
    static SIGNED: LazyLock<HashMap<(u8, u64, u8), ValidTransaction>> = LazyLock::new(|| {
        let mut signed = HashMap::new();
        for key in 1..=KEYS {
            for nonce in 0..NONCES {
                for level in 0..FEE_LEVELS {
                    let fee = u128::from(level + 1) * GWEI;
                    signed.insert((key, nonce, level), valid_1559(key, nonce, fee, fee));
                }
            }
        }
        signed
    });

    /// Balances from "one cheap transfer" to "anything".
    fn balance(level: u8) -> U256 {
        let transfer = U256::from(GWEI * u128::from(TRANSFER_GAS));
        match level {
            0 => transfer * U256::from(2),
            1 => transfer * U256::from(6),
            2 => transfer * U256::from(20),
            _ => U256::MAX,
        }
    }

    #[derive(Debug, Clone)]
    enum Op {
        Add {
            key: u8,
            nonce: u64,
            level: u8,
        },
        Block {
            key: u8,
            advance: u64,
            mine: bool,
            balance: u8,
            base_fee: u8,
        },
        Remove {
            key: u8,
            nonce: u64,
        },
        Expire {
            minutes: u64,
        },
        /// The chain moves on without telling the pool; the next `Add` brings the news.
        Unannounced {
            key: u8,
            advance: u64,
            balance: u8,
        },
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            6 => (1..=KEYS, 0..NONCES, 0..FEE_LEVELS)
                .prop_map(|(key, nonce, level)| Op::Add { key, nonce, level }),
            2 => (1..=KEYS, 0..3u64, any::<bool>(), 0..4u8, 0..4u8).prop_map(
                |(key, advance, mine, balance, base_fee)| Op::Block { key, advance, mine, balance, base_fee }
            ),
            1 => (1..=KEYS, 0..NONCES).prop_map(|(key, nonce)| Op::Remove { key, nonce }),
            1 => (0..400u64).prop_map(|minutes| Op::Expire { minutes }),
            1 => (1..=KEYS, 0..3u64, 0..4u8)
                .prop_map(|(key, advance, balance)| Op::Unannounced { key, advance, balance }),
        ]
    }

    fn pooled_hash(pool: &TxPool, key: u8, nonce: u64) -> Option<B256> {
        let content = pool.content();
        [content.pending, content.queued]
            .iter()
            .find_map(|by_sender| by_sender.get(&addr(key))?.get(&nonce).map(|tx| tx.hash()))
    }

    proptest! {
        #[test]
        fn random_operations_keep_the_invariants(ops in proptest::collection::vec(op(), 1..40)) {
            let pool = TxPool::new(PoolConfig {
                max_pending: 8,
                max_queued: 4,
                max_per_sender: 5,
                ..PoolConfig::default()
            });
            // The chain's accounts, and the last account state the pool was given per sender.
            let mut chain: HashMap<u8, AccountState> = (1..=KEYS)
                .map(|key| (key, AccountState { nonce: 0, balance: balance(3) }))
                .collect();
            let mut told = chain.clone();
            let mut base_fee = 0;
            let start = Instant::now();
            for op in ops {
                match op {
                    Op::Add { key, nonce, level } => {
                        let tx = SIGNED[&(key, nonce, level)].clone();
                        // A known hash is refused before the account is looked at.
                        if pool.get(&tx.hash()).is_none() {
                            told.insert(key, chain[&key]);
                        }
                        let _ = pool.add(tx, chain[&key], base_fee);
                    }
                    Op::Block { key, advance, mine, balance: level, base_fee: fee } => {
                        base_fee = u64::from(fee) * GWEI as u64;
                        let account = chain.get_mut(&key).expect("known key");
                        let next = account.nonce + advance;
                        let mined: Vec<B256> = if mine {
                            (0..next).filter_map(|nonce| pooled_hash(&pool, key, nonce)).collect()
                        } else {
                            Vec::new()
                        };
                        *account = AccountState { nonce: next, balance: balance(level) };
                        told.insert(key, *account);
                        pool.on_canonical_block(base_fee, &mined, [(addr(key), *account)]);
                    }
                    Op::Remove { key, nonce } => {
                        if let Some(hash) = pooled_hash(&pool, key, nonce) {
                            prop_assert_eq!(pool.remove_transactions(&[hash]).len(), 1);
                        }
                    }
                    Op::Expire { minutes } => {
                        pool.remove_expired(start + Duration::from_secs(minutes * 60));
                    }
                    Op::Unannounced { key, advance, balance: level } => {
                        let account = chain.get_mut(&key).expect("known key");
                        *account = AccountState {
                            nonce: account.nonce + advance,
                            balance: balance(level),
                        };
                    }
                }
                check(&pool);
                let content = pool.content();
                for (sender, pending) in &content.pending {
                    let key = (1..=KEYS).find(|key| addr(*key) == *sender).expect("test sender");
                    let first = told[&key].nonce;
                    let nonces: Vec<u64> = pending.keys().copied().collect();
                    prop_assert_eq!(nonces, (first..first + pending.len() as u64).collect::<Vec<_>>());
                    prop_assert_eq!(pool.pending_nonce(*sender), Some(first + pending.len() as u64));
                }
                for (sender, queued) in &content.queued {
                    let key = (1..=KEYS).find(|key| addr(*key) == *sender).expect("test sender");
                    let first = told[&key].nonce;
                    let pending = content.pending.get(sender).map_or(0, BTreeMap::len) as u64;
                    prop_assert!(queued.keys().all(|nonce| *nonce > first + pending));
                }
                let best = pool.best_transactions(base_fee).count();
                prop_assert!(best <= pool.status().pending);
            }
        }
    }
}
