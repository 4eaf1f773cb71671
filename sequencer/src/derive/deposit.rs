//! User deposits: the portal's `TransactionDeposited` logs as deposit transactions.

use super::DeriveError;
use alloy_primitives::{B256, Bytes, Log};

/// The EIP-2718 bytes of the deposit transaction (type `0x7E`) of a `TransactionDeposited` log
/// (OP's event and version-0 `opaqueData` encoding), emitted at `log_index` in L1 block
/// `l1_block_hash` (which make its source hash).
pub fn decode_user_deposit(
    l1_block_hash: B256,
    log_index: usize,
    log: &Log,
) -> Result<Bytes, DeriveError> {
    Ok(kona_protocol::decode_deposit(l1_block_hash, log_index, log)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_eips::Decodable2718;
    use alloy_primitives::{Address, TxKind, U256, address, b256, keccak256};
    use op_alloy_consensus::OpTxEnvelope;
    use proptest::prelude::*;

    const PORTAL: Address = address!("0x1111111111111111111111111111111111111111");
    const FROM: Address = address!("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
    const TO: Address = address!("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
    const BLOCK: B256 = b256!("0x00000000000000000000000000000000000000000000000000000000000000aa");

    /// `abi.encode(bytes opaqueData)` with `opaqueData = abi.encodePacked(uint256 mint, uint256
    /// value, uint64 gasLimit, bool isCreation, bytes data)`, as the portal emits it.
    fn deposit_log(
        from: Address,
        to: Address,
        mint: u128,
        value: U256,
        gas: u64,
        creation: bool,
        data: &[u8],
    ) -> Log {
        let mut opaque = Vec::new();
        opaque.extend_from_slice(&U256::from(mint).to_be_bytes::<32>());
        opaque.extend_from_slice(&value.to_be_bytes::<32>());
        opaque.extend_from_slice(&gas.to_be_bytes());
        opaque.push(u8::from(creation));
        opaque.extend_from_slice(data);
        let mut encoded = Vec::new();
        encoded.extend_from_slice(&U256::from(32).to_be_bytes::<32>());
        encoded.extend_from_slice(&U256::from(opaque.len()).to_be_bytes::<32>());
        encoded.extend_from_slice(&opaque);
        encoded.resize(encoded.len().div_ceil(32) * 32, 0);
        Log::new_unchecked(
            PORTAL,
            vec![
                kona_protocol::DEPOSIT_EVENT_ABI_HASH,
                from.into_word(),
                to.into_word(),
                B256::ZERO,
            ],
            encoded.into(),
        )
    }

    fn user_source_hash(block: B256, index: u64) -> B256 {
        let mut id = [0u8; 64];
        id[..32].copy_from_slice(block.as_slice());
        id[56..].copy_from_slice(&index.to_be_bytes());
        let mut domain = [0u8; 64];
        domain[32..].copy_from_slice(keccak256(id).as_slice());
        keccak256(domain)
    }

    #[test]
    fn decodes_a_call_deposit() {
        let log = deposit_log(FROM, TO, 5, U256::from(7), 100_000, false, &[0xde, 0xad]);
        let encoded = decode_user_deposit(BLOCK, 3, &log).unwrap();
        assert_eq!(encoded[0], 0x7e);
        let OpTxEnvelope::Deposit(tx) = OpTxEnvelope::decode_2718(&mut encoded.as_ref()).unwrap()
        else {
            panic!("not a deposit");
        };
        assert_eq!(tx.from, FROM);
        assert_eq!(tx.to, TxKind::Call(TO));
        assert_eq!(tx.mint, 5);
        assert_eq!(tx.value, U256::from(7));
        assert_eq!(tx.gas_limit, 100_000);
        assert!(!tx.is_system_transaction);
        assert_eq!(tx.input.as_ref(), &[0xde, 0xad]);
        assert_eq!(tx.source_hash, user_source_hash(BLOCK, 3));
    }

    #[test]
    fn decodes_a_contract_creation() {
        let log = deposit_log(FROM, TO, 0, U256::ZERO, 1_000_000, true, &[0x60, 0x00]);
        let encoded = decode_user_deposit(BLOCK, 0, &log).unwrap();
        let OpTxEnvelope::Deposit(tx) = OpTxEnvelope::decode_2718(&mut encoded.as_ref()).unwrap()
        else {
            panic!("not a deposit");
        };
        assert_eq!(tx.to, TxKind::Create);
        assert_eq!(tx.input.as_ref(), &[0x60, 0x00]);
    }

    #[test]
    fn rejects_malformed_logs() {
        let good = deposit_log(FROM, TO, 1, U256::from(1), 21_000, false, &[]);
        let mut wrong_event = good.clone();
        wrong_event.data = alloy_primitives::LogData::new_unchecked(
            vec![B256::ZERO, FROM.into_word(), TO.into_word(), B256::ZERO],
            good.data.data.clone(),
        );
        let mut wrong_version = good.clone();
        wrong_version.data = alloy_primitives::LogData::new_unchecked(
            vec![
                kona_protocol::DEPOSIT_EVENT_ABI_HASH,
                FROM.into_word(),
                TO.into_word(),
                B256::with_last_byte(1),
            ],
            good.data.data.clone(),
        );
        let mut truncated = good.clone();
        truncated.data = alloy_primitives::LogData::new_unchecked(
            good.data.topics().to_vec(),
            good.data.data.slice(..64),
        );
        for log in [wrong_event, wrong_version, truncated] {
            assert!(matches!(decode_user_deposit(BLOCK, 0, &log), Err(DeriveError::Deposit(_))));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Fuzz target: arbitrary topics and data never panic the deposit decoder.
        #[test]
        fn arbitrary_logs(
            topics in proptest::collection::vec(any::<[u8; 32]>(), 0..5),
            event in any::<bool>(),
            data in proptest::collection::vec(any::<u8>(), 0..300),
        ) {
            let mut topics: Vec<B256> = topics.into_iter().map(B256::from).collect();
            if event && !topics.is_empty() {
                topics[0] = kona_protocol::DEPOSIT_EVENT_ABI_HASH;
            }
            let log = Log::new_unchecked(PORTAL, topics, data.into());
            let _ = decode_user_deposit(BLOCK, 0, &log);
        }

        /// Fuzz target: mutated valid deposit logs decode or are rejected, never panic.
        #[test]
        fn mutated_logs(
            payload in proptest::collection::vec(any::<u8>(), 0..100),
            flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6),
            cut in any::<usize>(),
        ) {
            let log = deposit_log(FROM, TO, 1, U256::from(2), 50_000, false, &payload);
            let mut data = log.data.data.to_vec();
            for (at, value) in flips {
                let at = at % data.len();
                data[at] ^= value;
            }
            data.truncate(cut % (data.len() + 1));
            let log = Log::new_unchecked(PORTAL, log.data.topics().to_vec(), data.into());
            let _ = decode_user_deposit(BLOCK, 0, &log);
        }
    }
}
