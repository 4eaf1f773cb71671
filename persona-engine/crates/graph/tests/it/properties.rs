//! Property: any interleaving of a passport's apply and retract messages, with redeliveries,
//! applied one by one or in transactions of several (`apply_all`, as the projector does), leaves
//! the same derived rows as applying the net effect (the events still live) once, in chain
//! order.

use std::sync::atomic::{AtomicU64, Ordering};

use alloy_primitives::Address;
use proptest::{prelude::*, test_runner::TestRunner};
use trex_persona_ingest::ChainEvent;
use trex_persona_pipeline::Message;

use crate::support::*;

/// One event of the generated history (the passport id is filled in per case).
#[derive(Debug, Clone)]
enum Op {
    Link(u8),
    Unlink(u8),
    Credit(u8, u64),
    Debit(u8, u64),
    Mint(u8),
    Revoke(u8),
}

/// What happened to an event's log: canonical, removed by a reorg, or removed and canonical
/// again after a reorg back (a second incarnation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    Live,
    Retracted,
    Restored,
}

const CATEGORIES: [&str; 2] = ["defi", "gamefi"];

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..3u8).prop_map(Op::Link),
        (0..3u8).prop_map(Op::Unlink),
        (0..2u8, 1..100u64).prop_map(|(c, n)| Op::Credit(c, n)),
        (0..2u8, 1..100u64).prop_map(|(c, n)| Op::Debit(c, n)),
        (0..3u8).prop_map(Op::Mint),
        (0..3u8).prop_map(Op::Revoke),
    ]
}

fn fate() -> impl Strategy<Value = Fate> {
    prop_oneof![3 => Just(Fate::Live), 2 => Just(Fate::Retracted), 1 => Just(Fate::Restored)]
}

fn event(passport: u64, op: &Op) -> ChainEvent {
    let wallet = |w: u8| Address::repeat_byte(0x10 + w);
    match *op {
        Op::Link(w) => linked(passport, wallet(w)),
        Op::Unlink(w) => unlinked(passport, wallet(w)),
        Op::Credit(c, n) => credited(passport, CATEGORIES[usize::from(c)], n),
        Op::Debit(c, n) => debited(passport, CATEGORIES[usize::from(c)], n),
        Op::Mint(class) => minted(passport, u64::from(class), 0),
        Op::Revoke(class) => revoked(passport, u64::from(class), 0),
    }
}

/// The messages of a history for `passport`: every incarnation's apply, and its retraction
/// when the log was removed. Blocks are per passport (`fork`), so cases do not share logs.
fn messages(passport: u64, created_fate: Fate, history: &[(Op, Fate)]) -> Vec<(Message, bool)> {
    let owner = Address::repeat_byte(0x0a);
    let events = std::iter::once((created(passport, owner), created_fate))
        .chain(history.iter().map(|(op, fate)| (event(passport, op), *fate)));
    let mut out = Vec::new();
    for (block, (event, fate)) in events.enumerate() {
        let at = At { block: block as u64, log: 0, fork: passport };
        out.push((applied(&at, event.clone()), fate != Fate::Retracted));
        if fate != Fate::Live {
            out.push((retracted(&at, event.clone()), false));
        }
        if fate == Fate::Restored {
            let mut again = applied(&at, event);
            again.id.push_str(":1");
            out.push((again, true));
        }
    }
    out
}

#[test]
fn any_interleaving_and_grouping_with_duplicates_equals_the_net_effect() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let (_db, pool) = runtime.block_on(database("graph_prop"));
    let next_passport = AtomicU64::new(1);
    let strategy = (
        fate(),
        prop::collection::vec((op(), fate()), 0..10),
        // A sort key and a redelivery count per message.
        prop::collection::vec((any::<u32>(), 1..=2usize), 40),
        // How many messages each transaction applies.
        1..=8usize,
    );
    let mut runner = TestRunner::new(ProptestConfig { cases: 48, ..ProptestConfig::default() });
    runner
        .run(&strategy, |(created_fate, history, order, per_transaction)| {
            let shuffled_passport = next_passport.fetch_add(2, Ordering::Relaxed);
            let net_passport = shuffled_passport + 1;
            let mut shuffled = Vec::new();
            for (i, (message, _)) in
                messages(shuffled_passport, created_fate, &history).into_iter().enumerate()
            {
                let (key, copies) = order[i % order.len()];
                for copy in 0..copies {
                    shuffled.push(((key, copy, i), message.clone()));
                }
            }
            shuffled.sort_by_key(|(key, _)| *key);
            let net: Vec<Message> = messages(net_passport, created_fate, &history)
                .into_iter()
                .filter(|(message, live)| *live && message.topic == "chain.apply")
                .map(|(message, _)| message)
                .collect();
            let (a, b) = runtime.block_on(async {
                let shuffled: Vec<Message> =
                    shuffled.into_iter().map(|(_, message)| message).collect();
                for messages in shuffled.chunks(per_transaction) {
                    trex_persona_graph::apply_all(&pool, messages).await.unwrap();
                }
                for message in &net {
                    trex_persona_graph::apply(&pool, message).await.unwrap();
                }
                (snapshot(&pool, shuffled_passport).await, snapshot(&pool, net_passport).await)
            });
            prop_assert_eq!(a, b);
            Ok(())
        })
        .unwrap();
}
