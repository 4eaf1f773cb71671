//! Ecosystem checks: early passports, event codes, student status and Merkle allowlists.
//!
//! - `early_bird`: every bound given must hold — the passport id at most `maxPassportId`, and the
//!   block of its `PassportCreated` log on the T-Rex chain at or before `createdBefore` (use an
//!   `any` group for "either").
//! - `event_code`: `keccak256(utf8(code))` is one of `codeHashes` (the code is hashed exactly as
//!   sent, no trimming) and was never redeemed; a met check consumes the code.
//! - `student`: a `school-email` proof whose domain is a listed domain or a subdomain of one,
//!   compared label by label (`cs.ox.ac.uk` is under `ox.ac.uk`; `evilox.ac.uk` is not).
//! - `merkle_allowlist`: the first stage open at `now` decides; the request's Merkle proof for
//!   one of the passport's wallets must reach that stage's root (OpenZeppelin
//!   `StandardMerkleTree` of `[address]` leaves).

use alloy_network::Ethereum;
use alloy_primitives::{Address, B256, U256, keccak256};
use alloy_provider::{DynProvider, Provider};
use alloy_rpc_types_eth::{BlockNumberOrTag, Filter};
use alloy_sol_types::SolEvent;
use trex_sdk::TRexPassport;
use trex_zktls::{Fact, Provider as ZkProvider};

use crate::{
    conditions::{AllowlistStage, Condition},
    error::ValidatorError,
    evaluate::{Chains, CheckContext, Consumption, Outcome, not_mine},
    proofs::{Verdict, check_proofs},
};

/// Evaluates one ecosystem check.
pub(crate) async fn check(
    condition: &Condition,
    ctx: CheckContext<'_>,
) -> Result<Outcome, ValidatorError> {
    match condition {
        Condition::EarlyBird { max_passport_id, created_before } => {
            early_bird(ctx, *max_passport_id, *created_before).await
        }
        Condition::EventCode { code_hashes } => event_code(ctx, code_hashes).await,
        Condition::Student { domains } => {
            let wanted = format!("with a school e-mail under {}", domains.join(", "));
            check_proofs(ctx, ZkProvider::SchoolEmail, &wanted, |fact| {
                Ok(match fact {
                    Fact::SchoolEmailDomain { domain } => Verdict::judged(
                        domains.iter().any(|listed| domain_matches(domain, listed)),
                        format!(
                            "student: e-mail domain {domain} (one of {} required)",
                            domains.join(", ")
                        ),
                    ),
                    _ => Verdict::Irrelevant,
                })
            })
            .await
        }
        Condition::MerkleAllowlist { stages } => merkle_allowlist(ctx, stages),
        _ => Err(not_mine("ECOSYSTEM", condition)),
    }
}

async fn early_bird(
    ctx: CheckContext<'_>,
    max_passport_id: Option<u64>,
    created_before: Option<u64>,
) -> Result<Outcome, ValidatorError> {
    let id = ctx.subject.passport_id;
    let mut reasons = Vec::new();
    if let Some(max) = max_passport_id {
        let met = id <= U256::from(max);
        reasons.push(format!("early_bird: passport #{id} (#{max} or earlier required)"));
        if !met {
            return Ok(Outcome { met: false, reasons, consumed: Vec::new() });
        }
    }
    if let Some(before) = created_before {
        let provider = ctx.env.chains.get(Chains::TREX)?;
        let created = creation_time(provider, ctx.env.passport, id).await?;
        let Some(created) = created else {
            reasons.push(format!("early_bird: no PassportCreated log for passport #{id}"));
            return Ok(Outcome { met: false, reasons, consumed: Vec::new() });
        };
        reasons.push(format!(
            "early_bird: passport #{id} created at {created} (at or before {before} required)"
        ));
        if created > before {
            return Ok(Outcome { met: false, reasons, consumed: Vec::new() });
        }
    }
    Ok(Outcome { met: true, reasons, consumed: Vec::new() })
}

/// The timestamp of the block holding the passport's `PassportCreated` log, if there is one.
async fn creation_time(
    provider: &DynProvider<Ethereum>,
    passport: Address,
    id: U256,
) -> Result<Option<u64>, ValidatorError> {
    let chain = |err: String| ValidatorError::chain(Chains::TREX, err);
    let filter = Filter::new()
        .address(passport)
        .event_signature(TRexPassport::PassportCreated::SIGNATURE_HASH)
        .topic1(B256::from(id))
        .from_block(BlockNumberOrTag::Earliest)
        .to_block(BlockNumberOrTag::Latest);
    let logs = provider
        .get_logs(&filter)
        .await
        .map_err(|err| chain(format!("PassportCreated logs: {err}")))?;
    let Some(block) = logs.iter().find_map(|log| log.block_number) else {
        return Ok(None);
    };
    let header = provider
        .get_block_by_number(BlockNumberOrTag::Number(block))
        .await
        .map_err(|err| chain(format!("block {block}: {err}")))?
        .ok_or_else(|| chain(format!("block {block} of a PassportCreated log is unknown")))?;
    Ok(Some(header.header.timestamp))
}

async fn event_code(
    ctx: CheckContext<'_>,
    code_hashes: &[B256],
) -> Result<Outcome, ValidatorError> {
    let code = ctx.evidence.event_code.as_deref().ok_or_else(|| {
        ValidatorError::MissingEvidence("event_code needs the request's `eventCode`".into())
    })?;
    let hash = keccak256(code.as_bytes());
    if !code_hashes.contains(&hash) {
        return Ok(Outcome::unmet("event_code: the code is not one of this class's codes"));
    }
    if ctx.env.used.event_code_redeemed(hash).await? {
        return Err(ValidatorError::EventCodeRedeemed(hash));
    }
    Ok(Outcome::met(format!("event_code: valid code {hash}"))
        .consuming(Consumption::EventCode(hash)))
}

fn merkle_allowlist(
    ctx: CheckContext<'_>,
    stages: &[AllowlistStage],
) -> Result<Outcome, ValidatorError> {
    let Some((index, stage)) = open_stage(stages, ctx.now) else {
        return Ok(Outcome::unmet(format!("merkle_allowlist: no stage is open at {}", ctx.now)));
    };
    let proof = ctx.evidence.allowlist.as_ref().ok_or_else(|| {
        ValidatorError::MissingEvidence(
            "merkle_allowlist needs the request's `allowlist` proof".into(),
        )
    })?;
    if !ctx.subject.wallets.contains(&proof.account) {
        return Err(ValidatorError::InvalidRequest(format!(
            "allowlist account {} is not a wallet of passport {}",
            proof.account, ctx.subject.passport_id
        )));
    }
    let listed = process_proof(allowlist_leaf(proof.account), &proof.proof) == stage.root;
    Ok(Outcome::when(
        listed,
        format!(
            "merkle_allowlist: {} {} on the list of stage {index} (root {})",
            proof.account,
            if listed { "is" } else { "is not" },
            stage.root
        ),
    ))
}

/// The first stage whose window holds `now` (both ends inclusive), with its index.
fn open_stage(stages: &[AllowlistStage], now: u64) -> Option<(usize, &AllowlistStage)> {
    stages.iter().enumerate().find(|(_, stage)| {
        stage.start.is_none_or(|start| start <= now) && stage.end.is_none_or(|end| now <= end)
    })
}

/// OpenZeppelin `StandardMerkleTree` leaf of `[address]`:
/// `keccak256(bytes.concat(keccak256(abi.encode(account))))`.
fn allowlist_leaf(account: Address) -> B256 {
    keccak256(keccak256(account.into_word()))
}

/// OpenZeppelin `MerkleProof.processProof`: fold the siblings in, hashing each pair sorted.
fn process_proof(leaf: B256, proof: &[B256]) -> B256 {
    proof.iter().fold(leaf, |node, sibling| {
        let (a, b) = if node <= *sibling { (node, *sibling) } else { (*sibling, node) };
        keccak256([a.as_slice(), b.as_slice()].concat())
    })
}

/// Whether `domain` is `listed` or under it, label by label; both are compared lower-cased and
/// without surrounding dots.
fn domain_matches(domain: &str, listed: &str) -> bool {
    let listed = listed.trim().trim_matches('.').to_ascii_lowercase();
    let domain = domain.trim().trim_matches('.').to_ascii_lowercase();
    !listed.is_empty()
        && (domain == listed
            || domain.strip_suffix(&listed).is_some_and(|head| head.ends_with('.')))
}

#[cfg(test)]
mod tests {
    use alloy_primitives::{address, b256};
    use rstest::rstest;

    use super::*;

    /// Builds an OpenZeppelin `StandardMerkleTree` over `leaves` (sorted, as `of` does by
    /// default) and returns the root and each leaf's proof: a binary tree in an array, node `i`
    /// with children `2i+1`, `2i+2`, leaves at the end in reverse order.
    fn tree(accounts: &[Address]) -> (B256, Vec<(Address, Vec<B256>)>) {
        let mut leaves: Vec<(B256, Address)> =
            accounts.iter().map(|a| (allowlist_leaf(*a), *a)).collect();
        leaves.sort();
        let n = leaves.len();
        let mut nodes = vec![B256::ZERO; 2 * n - 1];
        for (i, (leaf, _)) in leaves.iter().enumerate() {
            nodes[2 * n - 2 - i] = *leaf;
        }
        for i in (0..n - 1).rev() {
            let (a, b) = (nodes[2 * i + 1], nodes[2 * i + 2]);
            let (a, b) = if a <= b { (a, b) } else { (b, a) };
            nodes[i] = keccak256([a.as_slice(), b.as_slice()].concat());
        }
        let proofs = leaves
            .iter()
            .enumerate()
            .map(|(i, (_, account))| {
                let mut index = 2 * n - 2 - i;
                let mut proof = Vec::new();
                while index > 0 {
                    let sibling = if index % 2 == 1 { index + 1 } else { index - 1 };
                    proof.push(nodes[sibling]);
                    index = (index - 1) / 2;
                }
                (*account, proof)
            })
            .collect();
        (nodes[0], proofs)
    }

    fn accounts(n: u8) -> Vec<Address> {
        (1..=n).map(Address::repeat_byte).collect()
    }

    #[rstest]
    #[case(1)]
    #[case(2)]
    #[case(3)]
    #[case(7)]
    #[case(16)]
    fn every_listed_account_proves_membership(#[case] n: u8) {
        let (root, proofs) = tree(&accounts(n));
        for (account, proof) in proofs {
            assert_eq!(process_proof(allowlist_leaf(account), &proof), root, "{account}");
        }
    }

    #[test]
    fn other_accounts_and_tampered_proofs_do_not() {
        let (root, proofs) = tree(&accounts(5));
        let (account, proof) = &proofs[2];
        let stranger = address!("0x00000000000000000000000000000000000000ff");
        assert_ne!(process_proof(allowlist_leaf(stranger), proof), root);
        let mut tampered = proof.clone();
        tampered[0] = B256::repeat_byte(0x42);
        assert_ne!(process_proof(allowlist_leaf(*account), &tampered), root);
        assert_ne!(process_proof(allowlist_leaf(*account), &proof[1..]), root);
    }

    /// Known answers from OpenZeppelin's own library (`@openzeppelin/merkle-tree` 1.x, run with
    /// node outside this crate): `StandardMerkleTree.of([[0x11…11], [0x22…22], [0x33…33]],
    /// ["address"])`, its `root` and `getProof(i)` for each entry.
    #[test]
    fn openzeppelin_known_answers() {
        let root = b256!("0xae6afff7b7c4d883d5efd44afa0b98e80317697e8984b4c2de7c54b49c1c4dd4");
        let cases = [
            (
                0x11,
                vec![
                    b256!("0x708e7cb9a75ffb24191120fba1c3001faa9078147150c6f2747569edbadee751"),
                    b256!("0xbd164a4590db938a0b098da1b25cf37b155f857b38c37c016ad5b8f8fce80192"),
                ],
            ),
            (
                0x22,
                vec![
                    b256!("0xa7409058568815d08a7ad3c7d4fd44cf1dec90c620cb31e55ad24c654f7ba34f"),
                    b256!("0xbd164a4590db938a0b098da1b25cf37b155f857b38c37c016ad5b8f8fce80192"),
                ],
            ),
            (
                0x33,
                vec![b256!("0xc6ce8ae383124b268df66d71f0af2206e6dafb13eba0b03806eed8a4e7991329")],
            ),
        ];
        for (byte, proof) in cases {
            let account = Address::repeat_byte(byte);
            assert_eq!(process_proof(allowlist_leaf(account), &proof), root, "{account}");
        }
        // The test tree builder agrees with the library.
        assert_eq!(tree(&[0x11, 0x22, 0x33].map(Address::repeat_byte)).0, root);
    }

    #[test]
    fn first_open_stage_wins() {
        let stage = |root: u8, start: Option<u64>, end: Option<u64>| AllowlistStage {
            root: B256::repeat_byte(root),
            start,
            end,
        };
        let stages =
            [stage(1, Some(100), Some(199)), stage(2, Some(150), None), stage(3, None, Some(50))];
        assert_eq!(open_stage(&stages, 10).map(|(i, _)| i), Some(2));
        assert_eq!(open_stage(&stages, 99), None);
        assert_eq!(open_stage(&stages, 100).map(|(i, _)| i), Some(0));
        assert_eq!(open_stage(&stages, 160).map(|(i, _)| i), Some(0));
        assert_eq!(open_stage(&stages, 199).map(|(i, _)| i), Some(0));
        assert_eq!(open_stage(&stages, 200).map(|(i, _)| i), Some(1));
    }

    #[rstest]
    #[case("mit.edu", "mit.edu", true)]
    #[case("cs.ox.ac.uk", "ox.ac.uk", true)]
    #[case("mit.edu", "edu", true)]
    #[case("mit.edu", "MIT.EDU", true)]
    #[case("mit.edu", ".mit.edu.", true)]
    #[case("evilox.ac.uk", "ox.ac.uk", false)]
    #[case("ox.ac.uk", "cs.ox.ac.uk", false)]
    #[case("mit.edu.evil.com", "mit.edu", false)]
    #[case("mit.edu", "", false)]
    #[case("mit.edu", ".", false)]
    fn domains_match_label_wise(
        #[case] domain: &str,
        #[case] listed: &str,
        #[case] expected: bool,
    ) {
        assert_eq!(domain_matches(domain, listed), expected);
    }
}
