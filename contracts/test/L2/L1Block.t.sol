// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {Test} from "../utils/Test.sol";
import {L1Block} from "../../src/L2/L1Block.sol";
import {Predeploys} from "../../src/L2/Predeploys.sol";

contract L1BlockTest is Test {
    address internal constant DEPOSITOR = 0xDeaDDEaDDeAdDeAdDEAdDEaddeAddEAdDEAd0001;

    L1Block internal l1Block = L1Block(Predeploys.L1_BLOCK);

    struct Values {
        uint32 baseFeeScalar;
        uint32 blobBaseFeeScalar;
        uint64 sequenceNumber;
        uint64 timestamp;
        uint64 number;
        uint256 basefee;
        uint256 blobBaseFee;
        bytes32 hash;
        bytes32 batcherHash;
        uint32 operatorFeeScalar;
        uint64 operatorFeeConstant;
    }

    /// As in the genesis: the runtime code alone, at the predeploy address, with empty storage.
    function setUp() public {
        vm.etch(Predeploys.L1_BLOCK, address(new L1Block()).code);
    }

    function _ecotoneCalldata(Values memory v) internal pure returns (bytes memory) {
        return abi.encodePacked(
            bytes4(0x440a5e20),
            v.baseFeeScalar,
            v.blobBaseFeeScalar,
            v.sequenceNumber,
            v.timestamp,
            v.number,
            v.basefee,
            v.blobBaseFee,
            v.hash,
            v.batcherHash
        );
    }

    function _isthmusCalldata(Values memory v) internal pure returns (bytes memory) {
        bytes memory ecotone = _ecotoneCalldata(v);
        // Same fields, Isthmus selector, operator fee parameters appended.
        ecotone[0] = 0x09;
        ecotone[1] = 0x89;
        ecotone[2] = 0x99;
        ecotone[3] = 0xbe;
        return abi.encodePacked(ecotone, v.operatorFeeScalar, v.operatorFeeConstant);
    }

    function _slot(uint256 slot) internal view returns (uint256) {
        return uint256(vm.load(Predeploys.L1_BLOCK, bytes32(slot)));
    }

    function _call(bytes memory data) internal returns (bool ok, bytes memory ret) {
        vm.prank(DEPOSITOR);
        (ok, ret) = Predeploys.L1_BLOCK.call(data);
    }

    function test_Selectors_MatchKona() public pure {
        assertEq(bytes32(L1Block.setL1BlockValuesEcotone.selector), bytes32(bytes4(0x440a5e20)));
        assertEq(bytes32(L1Block.setL1BlockValuesIsthmus.selector), bytes32(bytes4(0x098999be)));
    }

    /// kona_protocol's Isthmus test values (number 1, time 2, base fee 3, hash 0x04.., sequence
    /// number 5, batcher 0x06.., blob base fee 7, blob scalar 8, base fee scalar 9, operator fee
    /// scalar 10, constant 11), encoded by hand, and every slot op-revm reads checked.
    function test_Isthmus_ExactSlotValues() public {
        bytes memory data = bytes.concat(
            hex"098999be00000009000000080000000000000005000000000000000200000000",
            hex"0000000100000000000000000000000000000000000000000000000000000000",
            hex"0000000300000000000000000000000000000000000000000000000000000000",
            hex"0000000704040404040404040404040404040404040404040404040404040404",
            hex"0404040400000000000000000000000006060606060606060606060606060606",
            hex"060606060000000a000000000000000b"
        );
        assertEq(data.length, 176);
        (bool ok,) = _call(data);
        assertTrue(ok, "call");

        assertEq(_slot(0), (2 << 64) | 1, "slot 0: timestamp, number");
        assertEq(_slot(1), 3, "slot 1: basefee");
        assertEq(
            bytes32(_slot(2)), 0x0404040404040404040404040404040404040404040404040404040404040404
        );
        assertEq(_slot(3), (9 << 96) | (8 << 64) | 5, "slot 3: scalars, sequence number");
        assertEq(
            bytes32(_slot(4)),
            bytes32(uint256(uint160(0x0606060606060606060606060606060606060606))),
            "slot 4: batcher hash"
        );
        assertEq(_slot(5), 0, "slot 5: overhead");
        assertEq(_slot(6), 0, "slot 6: l1 fee scalar");
        assertEq(_slot(7), 7, "slot 7: blob base fee");
        assertEq(_slot(8), (10 << 64) | 11, "slot 8: operator fee scalar, constant");
        assertEq(_slot(9), 0, "slot 9 untouched");

        assertEq(uint256(l1Block.number()), 1);
        assertEq(uint256(l1Block.timestamp()), 2);
        assertEq(l1Block.basefee(), 3);
        assertEq(uint256(l1Block.sequenceNumber()), 5);
        assertEq(l1Block.blobBaseFee(), 7);
        assertEq(uint256(l1Block.blobBaseFeeScalar()), 8);
        assertEq(uint256(l1Block.baseFeeScalar()), 9);
        assertEq(uint256(l1Block.operatorFeeScalar()), 10);
        assertEq(uint256(l1Block.operatorFeeConstant()), 11);
    }

    function testFuzz_Isthmus_SetsEveryField(Values memory v) public {
        (bool ok,) = _call(_isthmusCalldata(v));
        assertTrue(ok);
        assertEq(_slot(0), (uint256(v.timestamp) << 64) | v.number, "slot 0");
        assertEq(_slot(1), v.basefee, "slot 1");
        assertEq(bytes32(_slot(2)), v.hash, "slot 2");
        assertEq(
            _slot(3),
            (uint256(v.baseFeeScalar) << 96) | (uint256(v.blobBaseFeeScalar) << 64)
                | v.sequenceNumber,
            "slot 3"
        );
        assertEq(bytes32(_slot(4)), v.batcherHash, "slot 4");
        assertEq(_slot(7), v.blobBaseFee, "slot 7");
        assertEq(_slot(8), (uint256(v.operatorFeeScalar) << 64) | v.operatorFeeConstant, "slot 8");

        assertEq(uint256(l1Block.number()), v.number);
        assertEq(uint256(l1Block.timestamp()), v.timestamp);
        assertEq(l1Block.basefee(), v.basefee);
        assertEq(l1Block.hash(), v.hash);
        assertEq(uint256(l1Block.sequenceNumber()), v.sequenceNumber);
        assertEq(l1Block.batcherHash(), v.batcherHash);
        assertEq(uint256(l1Block.baseFeeScalar()), v.baseFeeScalar);
        assertEq(uint256(l1Block.blobBaseFeeScalar()), v.blobBaseFeeScalar);
        assertEq(l1Block.blobBaseFee(), v.blobBaseFee);
        assertEq(uint256(l1Block.operatorFeeScalar()), v.operatorFeeScalar);
        assertEq(uint256(l1Block.operatorFeeConstant()), v.operatorFeeConstant);
        assertEq(l1Block.l1FeeOverhead(), 0);
        assertEq(l1Block.l1FeeScalar(), 0);
    }

    function testFuzz_Ecotone_SetsFieldsKeepsOperatorFee(Values memory v) public {
        // An earlier Isthmus call set the operator fee; an Ecotone call leaves it alone.
        Values memory first = v;
        first.operatorFeeScalar = 77;
        first.operatorFeeConstant = 88;
        (bool ok,) = _call(_isthmusCalldata(first));
        assertTrue(ok);
        v.number = v.number ^ 1;
        v.hash = keccak256(abi.encode(v.hash));
        (ok,) = _call(_ecotoneCalldata(v));
        assertTrue(ok);
        assertEq(uint256(l1Block.number()), v.number);
        assertEq(l1Block.hash(), v.hash);
        assertEq(uint256(l1Block.timestamp()), v.timestamp);
        assertEq(l1Block.basefee(), v.basefee);
        assertEq(l1Block.batcherHash(), v.batcherHash);
        assertEq(uint256(l1Block.operatorFeeScalar()), 77);
        assertEq(uint256(l1Block.operatorFeeConstant()), 88);
    }

    function testFuzz_OnlyDepositor(address caller, Values memory v) public {
        vm.assume(caller != DEPOSITOR);
        vm.prank(caller);
        (bool ok, bytes memory ret) = Predeploys.L1_BLOCK.call(_isthmusCalldata(v));
        assertFalse(ok);
        assertEq(ret, abi.encodeWithSelector(L1Block.OnlyDepositor.selector, caller));
        vm.prank(caller);
        (ok, ret) = Predeploys.L1_BLOCK.call(_ecotoneCalldata(v));
        assertFalse(ok);
        assertEq(ret, abi.encodeWithSelector(L1Block.OnlyDepositor.selector, caller));
        assertEq(_slot(0), 0);
    }

    function test_WrongLength_Reverts() public {
        Values memory v;
        bytes memory isthmus = _isthmusCalldata(v);
        bytes memory ecotone = _ecotoneCalldata(v);
        (bool ok, bytes memory ret) = _call(bytes.concat(isthmus, hex"00"));
        assertFalse(ok);
        assertEq(ret, abi.encodeWithSelector(L1Block.InvalidCalldataLength.selector, 177, 176));
        (ok, ret) = _call(bytes.concat(ecotone, hex"00"));
        assertFalse(ok);
        assertEq(ret, abi.encodeWithSelector(L1Block.InvalidCalldataLength.selector, 165, 164));
        // Ecotone-length data with the Isthmus selector.
        ecotone[0] = 0x09;
        ecotone[1] = 0x89;
        ecotone[2] = 0x99;
        ecotone[3] = 0xbe;
        (ok, ret) = _call(ecotone);
        assertFalse(ok);
        assertEq(ret, abi.encodeWithSelector(L1Block.InvalidCalldataLength.selector, 164, 176));
    }

    function test_DepositorConstant() public view {
        assertEq(l1Block.DEPOSITOR_ACCOUNT(), DEPOSITOR);
        assertEq(Predeploys.DEPOSITOR_ACCOUNT, DEPOSITOR);
    }
}
