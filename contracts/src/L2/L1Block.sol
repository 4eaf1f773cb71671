// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

/// @title L1Block
/// @notice The L2 predeploy at 0x4200000000000000000000000000000000000015 holding the attributes
///         of the L1 block the current L2 block derives from. The first transaction of every L2
///         block, a deposit from `DEPOSITOR_ACCOUNT`, writes them.
/// @dev The storage layout is OP's, slot for slot, because the execution engine (op-revm) reads
///      slots 1, 3, 7 and 8 directly to charge the L1 data fee and the operator fee:
///      slot 0: number (low 64 bits), timestamp; 1: basefee; 2: hash; 3: sequenceNumber (low 64
///      bits), blobBaseFeeScalar, baseFeeScalar; 4: batcherHash; 5: l1FeeOverhead; 6: l1FeeScalar;
///      7: blobBaseFee; 8: operatorFeeConstant (low 64 bits), operatorFeeScalar.
///      The setters take no ABI arguments: they read OP's tightly packed calldata after the selector
///      (kona_protocol's `L1BlockInfoEcotone`/`L1BlockInfoIsthmus::encode_calldata`):
///      baseFeeScalar u32, blobBaseFeeScalar u32, sequenceNumber u64, timestamp u64, number u64,
///      basefee u256, blobBaseFee u256, hash b32, batcherHash b32 (Ecotone, 164 bytes with the
///      selector), then operatorFeeScalar u32, operatorFeeConstant u64 (Isthmus, 176 bytes).
///      Deployed without a constructor: its runtime code goes into the genesis as-is.
contract L1Block {
    /// @notice The only account allowed to set the L1 attributes.
    address public constant DEPOSITOR_ACCOUNT = 0xDeaDDEaDDeAdDeAdDEAdDEaddeAddEAdDEAd0001;
    /// @notice Length of the Ecotone calldata, selector included.
    uint256 internal constant ECOTONE_CALLDATA_LENGTH = 4 + 4 + 4 + 8 + 8 + 8 + 32 * 4;
    /// @notice Length of the Isthmus calldata, selector included.
    uint256 internal constant ISTHMUS_CALLDATA_LENGTH = ECOTONE_CALLDATA_LENGTH + 4 + 8;

    /// @notice L1 block number.
    uint64 public number;
    /// @notice L1 block timestamp.
    uint64 public timestamp;
    /// @notice L1 base fee.
    uint256 public basefee;
    /// @notice L1 block hash.
    bytes32 public hash;
    /// @notice Index of the L2 block within its epoch (0 for the first L2 block of an L1 block).
    uint64 public sequenceNumber;
    /// @notice Ecotone blob base fee scalar.
    uint32 public blobBaseFeeScalar;
    /// @notice Ecotone base fee scalar.
    uint32 public baseFeeScalar;
    /// @notice The batcher, `bytes32(uint256(uint160(batcher)))`.
    bytes32 public batcherHash;
    /// @notice Pre-Ecotone fee overhead (unused since Ecotone; kept for the layout).
    uint256 public l1FeeOverhead;
    /// @notice Pre-Ecotone fee scalar (unused since Ecotone; kept for the layout).
    uint256 public l1FeeScalar;
    /// @notice L1 blob base fee.
    uint256 public blobBaseFee;
    /// @notice Isthmus operator fee constant.
    uint64 public operatorFeeConstant;
    /// @notice Isthmus operator fee scalar.
    uint32 public operatorFeeScalar;

    /// @notice The caller is not `DEPOSITOR_ACCOUNT`.
    error OnlyDepositor(address caller);
    /// @notice The calldata does not have the length the setter's format requires.
    error InvalidCalldataLength(uint256 length, uint256 expected);

    /// @notice Sets the Ecotone L1 attributes (selector 0x440a5e20, packed calldata).
    function setL1BlockValuesEcotone() external {
        _checkCall(ECOTONE_CALLDATA_LENGTH);
        _setEcotone();
    }

    /// @notice Sets the Isthmus L1 attributes (selector 0x098999be, packed calldata): the Ecotone
    ///         ones and the operator fee parameters.
    function setL1BlockValuesIsthmus() external {
        _checkCall(ISTHMUS_CALLDATA_LENGTH);
        _setEcotone();
        assembly {
            // operatorFeeScalar (4 bytes) and operatorFeeConstant (8 bytes) at offset 164, as one
            // 96-bit value: the constant in the low 64 bits, the scalar above.
            sstore(operatorFeeConstant.slot, shr(160, calldataload(164)))
        }
    }

    function _checkCall(uint256 expectedLength) private view {
        if (msg.sender != DEPOSITOR_ACCOUNT) revert OnlyDepositor(msg.sender);
        if (msg.data.length != expectedLength) {
            revert InvalidCalldataLength(msg.data.length, expectedLength);
        }
    }

    function _setEcotone() private {
        assembly {
            // Offset 4: baseFeeScalar u32, blobBaseFeeScalar u32, sequenceNumber u64. As a 128-bit
            // value that is exactly slot 3's packing (sequenceNumber lowest).
            sstore(sequenceNumber.slot, shr(128, calldataload(4)))
            // Offset 20: timestamp u64, number u64: slot 0's packing (number lowest).
            sstore(number.slot, shr(128, calldataload(20)))
            sstore(basefee.slot, calldataload(36))
            sstore(blobBaseFee.slot, calldataload(68))
            sstore(hash.slot, calldataload(100))
            sstore(batcherHash.slot, calldataload(132))
        }
    }
}
