//! Solana checks of the TOKEN family, over the passport's linked Solana addresses (summed):
//! SOL balance, SPL token balance and successful transaction count.

use trex_solana_rpc::{SolanaAddress, SolanaRpc};

use crate::{
    conditions::Condition,
    error::ValidatorError,
    evaluate::{CheckContext, Outcome, not_mine},
};

/// Evaluates one Solana check.
pub(crate) async fn check(
    condition: &Condition,
    ctx: CheckContext<'_>,
) -> Result<Outcome, ValidatorError> {
    let rpc = ctx.env.solana.as_ref().ok_or_else(|| {
        ValidatorError::Config(format!(
            "`{}` needs a Solana RPC and none is configured",
            crate::conditions::check_name(condition)
        ))
    })?;
    let addresses = &ctx.subject.solana;
    if addresses.is_empty() {
        return Ok(Outcome::unmet(format!(
            "{}: passport {} has no linked Solana address",
            crate::conditions::check_name(condition),
            ctx.subject.passport_id
        )));
    }
    match condition {
        Condition::SolanaBalance { min } => {
            let mut total: u128 = 0;
            for address in addresses {
                total += u128::from(rpc.balance(address).await?);
            }
            Ok(Outcome::when(
                total >= u128::from(*min),
                format!("solana_balance: {total} lamports (at least {min} required)"),
            ))
        }
        Condition::SplTokenBalance { mint, min } => {
            let mint: SolanaAddress = mint.parse().map_err(|_| {
                ValidatorError::InvalidConditions(format!(
                    "spl_token_balance: mint `{mint}` is not a base58 Solana address"
                ))
            })?;
            let mut total: u128 = 0;
            for address in addresses {
                total = total.saturating_add(rpc.token_balance(address, &mint).await?);
            }
            Ok(Outcome::when(
                total >= u128::from(*min),
                format!("spl_token_balance: {total} of mint {mint} (at least {min} required)"),
            ))
        }
        Condition::SolanaTxCount { min } => {
            let total = tx_count(rpc, addresses, *min).await?;
            Ok(Outcome::when(
                total >= *min,
                format!(
                    "solana_tx_count: {total} successful transactions (at least {min} required)"
                ),
            ))
        }
        _ => Err(not_mine("Solana", condition)),
    }
}

/// Successful transactions of `addresses` together, counted until `min` is reached: each address
/// is asked only for what the ones before it left missing. A transaction touching two linked
/// addresses counts twice, as it does on each address's history.
async fn tx_count(
    rpc: &SolanaRpc,
    addresses: &[SolanaAddress],
    min: u64,
) -> Result<u64, ValidatorError> {
    let mut total = 0;
    for address in addresses {
        if total >= min {
            break;
        }
        total += rpc.signature_count(address, min - total).await?;
    }
    Ok(total)
}
