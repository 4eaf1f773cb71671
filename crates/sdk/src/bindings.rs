//! `sol!` bindings generated from the committed Foundry artifacts in `artifacts/`.

#![allow(missing_docs, clippy::too_many_arguments)]

use alloy_sol_types::sol;

sol!(
    /// T-Rex Passport (`contracts/src/identity/TRexPassport.sol`), deployed behind an ERC1967 proxy.
    #[derive(Debug, PartialEq, Eq)]
    TRexPassport,
    "artifacts/TRexPassport.json"
);

sol!(
    /// T-Rex soulbound badges (`contracts/src/identity/TRexBadge.sol`), behind an ERC1967 proxy.
    #[derive(Debug, PartialEq, Eq)]
    TRexBadge,
    "artifacts/TRexBadge.json"
);

sol!(
    /// OpenZeppelin 5 `ERC1967Proxy(address implementation, bytes data)`.
    #[derive(Debug, PartialEq, Eq)]
    ERC1967Proxy,
    "artifacts/ERC1967Proxy.json"
);
