//! `sol!` bindings generated from the committed Foundry artifacts in `crates/bindings/artifacts/`
//! (kept in step with the contracts by `deploy/update-bindings.sh`, checked by `deploy/check-bindings.sh`).

#![allow(missing_docs, clippy::too_many_arguments)]

use alloy_sol_types::sol;

sol!(
    /// T-Rex Passport (`contracts/src/identity/TRexPassport.sol`), deployed behind an ERC1967 proxy.
    #[derive(Debug, PartialEq, Eq)]
    TRexPassport,
    "../bindings/artifacts/TRexPassport.json"
);

sol!(
    /// T-Rex soulbound badges (`contracts/src/identity/TRexBadge.sol`), behind an ERC1967 proxy.
    #[derive(Debug, PartialEq, Eq)]
    TRexBadge,
    "../bindings/artifacts/TRexBadge.json"
);

sol!(
    /// OpenZeppelin 5 `ERC1967Proxy(address implementation, bytes data)`.
    #[derive(Debug, PartialEq, Eq)]
    ERC1967Proxy,
    "../bindings/artifacts/ERC1967Proxy.json"
);
