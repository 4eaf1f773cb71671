// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {IdentityTestBase} from "./IdentityTestBase.sol";
import {TRexBadge} from "../../src/identity/TRexBadge.sol";
import {TRexPassport} from "../../src/identity/TRexPassport.sol";
import {IERC5192} from "../../src/identity/IERC5192.sol";
import {ITRexPassport} from "../../src/identity/ITRexPassport.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IERC1155} from "@openzeppelin/contracts/token/ERC1155/IERC1155.sol";
import {
    PausableUpgradeable
} from "@openzeppelin/contracts-upgradeable/utils/PausableUpgradeable.sol";
import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";

contract TRexBadgeV2 is TRexBadge {
    function version() external pure returns (string memory) {
        return "v2";
    }
}

contract TRexBadgeTest is IdentityTestBase {
    address internal project = makeAddr("project");
    address internal alice = makeAddr("alice");
    address internal bob = makeAddr("bob");
    address internal otherValidator;
    uint256 internal otherValidatorKey;
    uint256 internal aliceId;
    uint256 internal bobId;
    uint256 internal classId;

    bytes32 internal constant CAT = keccak256("nft");
    bytes32 internal constant KIND = keccak256("NFT");
    bytes32 internal constant PARAMS = keccak256("{\"contract\":\"0x01\",\"minBalance\":1}");

    function setUp() public {
        _deploy();
        (otherValidator, otherValidatorKey) = makeAddrAndKey("otherValidator");
        aliceId = _newPassport(alice);
        bobId = _newPassport(bob);
        classId = _createClass(100, 0, 0, 0, 0);
    }

    function _params(uint128 pts, uint64 cap, uint64 start, uint64 end, uint64 expiry)
        internal
        pure
        returns (TRexBadge.ClassParams memory)
    {
        return TRexBadge.ClassParams({
            uri: "ipfs://badge/{id}.json",
            points: pts,
            pointsCategory: CAT,
            validatorKind: KIND,
            paramsHash: PARAMS,
            supplyCap: cap,
            startTime: start,
            endTime: end,
            expiry: expiry
        });
    }

    function _createClass(uint128 pts, uint64 cap, uint64 start, uint64 end, uint64 expiry)
        internal
        returns (uint256 id)
    {
        address[] memory validators = new address[](1);
        validators[0] = validator;
        vm.prank(project);
        id = badge.createClass(_params(pts, cap, start, end, expiry), validators);
    }

    function _mint(uint256 cls, uint256 passportId, address recipient, bytes32 att) internal {
        uint256 deadline = block.timestamp + 1 hours;
        bytes memory sig = _signMint(validatorKey, cls, passportId, recipient, att, deadline);
        badge.mint(cls, passportId, att, deadline, sig);
    }

    // --- setup ----------------------------------------------------------------------------------
    function test_Initialize() public {
        assertEq(address(badge.passport()), address(passport));
        assertTrue(badge.hasRole(badge.DEFAULT_ADMIN_ROLE(), admin));
        assertEq(badge.domainSeparator(), _domain("TRexBadge", address(badge)));
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        badge.initialize(bob, ITRexPassport(address(passport)));
    }

    function test_SupportsInterfaces() public view {
        assertTrue(badge.supportsInterface(0xb45a3c0e), "ERC-5192");
        assertTrue(badge.supportsInterface(type(IERC1155).interfaceId), "ERC-1155");
        assertTrue(badge.supportsInterface(type(IAccessControl).interfaceId), "AccessControl");
        assertFalse(badge.supportsInterface(0xffffffff));
    }

    function test_Upgrade_OnlyUpgrader() public {
        TRexBadgeV2 v2 = new TRexBadgeV2();
        vm.expectPartialRevert(IAccessControl.AccessControlUnauthorizedAccount.selector);
        vm.prank(project);
        badge.upgradeToAndCall(address(v2), "");
        vm.prank(admin);
        badge.upgradeToAndCall(address(v2), "");
        assertEq(TRexBadgeV2(address(badge)).version(), "v2");
        assertEq(badge.getClass(classId).issuer, project);
    }

    // --- classes --------------------------------------------------------------------------------
    function test_CreateClass_StoresAndEmits() public {
        address[] memory validators = new address[](2);
        validators[0] = validator;
        validators[1] = otherValidator;
        vm.expectEmit(address(badge));
        emit TRexBadge.ClassCreated(
            2, bob, KIND, PARAMS, CAT, 5, 10, 100, 200, 300, "ipfs://badge/{id}.json"
        );
        vm.expectEmit(address(badge));
        emit TRexBadge.ClassValidatorSet(2, validator, true);
        vm.prank(bob);
        uint256 id = badge.createClass(_params(5, 10, 100, 200, 300), validators);
        TRexBadge.BadgeClass memory c = badge.getClass(id);
        assertEq(c.issuer, bob);
        assertEq(uint256(c.points), 5);
        assertEq(c.pointsCategory, CAT);
        assertEq(c.validatorKind, KIND);
        assertEq(c.paramsHash, PARAMS);
        assertEq(uint256(c.supplyCap), 10);
        assertEq(uint256(c.startTime), 100);
        assertEq(uint256(c.endTime), 200);
        assertEq(uint256(c.expiry), 300);
        assertEq(uint256(c.supply), 0);
        assertEq(badge.uri(id), "ipfs://badge/{id}.json");
        assertTrue(badge.isTrustedValidator(id, otherValidator));
        assertTrue(badge.locked(id));
    }

    function test_CreateClass_InvalidWindowReverts() public {
        vm.expectRevert(abi.encodeWithSelector(TRexBadge.InvalidClassWindow.selector, 200, 100));
        vm.prank(project);
        badge.createClass(_params(1, 0, 200, 100, 0), new address[](0));
    }

    function test_CreateClass_ZeroValidatorReverts() public {
        address[] memory validators = new address[](1);
        vm.expectRevert(TRexBadge.ZeroAddress.selector);
        vm.prank(project);
        badge.createClass(_params(1, 0, 0, 0, 0), validators);
    }

    function test_CreateClass_PausedReverts() public {
        vm.prank(admin);
        badge.pause();
        vm.expectRevert(PausableUpgradeable.EnforcedPause.selector);
        vm.prank(project);
        badge.createClass(_params(1, 0, 0, 0, 0), new address[](0));
    }

    function test_ClassAdmin_OnlyIssuer() public {
        vm.expectRevert(abi.encodeWithSelector(TRexBadge.NotClassIssuer.selector, classId, bob));
        vm.prank(bob);
        badge.setClassValidator(classId, bob, true);
        vm.expectRevert(abi.encodeWithSelector(TRexBadge.NotClassIssuer.selector, classId, bob));
        vm.prank(bob);
        badge.setClassURI(classId, "x");
        vm.expectRevert(abi.encodeWithSelector(TRexBadge.NotClassIssuer.selector, classId, bob));
        vm.prank(bob);
        badge.transferClassIssuer(classId, bob);
        vm.expectRevert(abi.encodeWithSelector(TRexBadge.ClassNotFound.selector, 9));
        vm.prank(bob);
        badge.setClassURI(9, "x");

        vm.startPrank(project);
        vm.expectEmit(address(badge));
        emit TRexBadge.ClassValidatorSet(classId, validator, false);
        badge.setClassValidator(classId, validator, false);
        vm.expectEmit(address(badge));
        emit TRexBadge.ClassURISet(classId, "ipfs://new");
        badge.setClassURI(classId, "ipfs://new");
        vm.expectEmit(address(badge));
        emit TRexBadge.ClassIssuerTransferred(classId, project, bob);
        badge.transferClassIssuer(classId, bob);
        vm.stopPrank();
        assertFalse(badge.isTrustedValidator(classId, validator));
        assertEq(badge.uri(classId), "ipfs://new");
        assertEq(badge.getClass(classId).issuer, bob);
    }

    function test_Locked_UnknownClassReverts() public {
        vm.expectRevert(abi.encodeWithSelector(TRexBadge.ClassNotFound.selector, 77));
        badge.locked(77);
    }

    // --- mint -----------------------------------------------------------------------------------
    function test_Mint_CreditsPointsAndLocks() public {
        uint256 deadline = block.timestamp + 1 hours;
        bytes memory sig = _signMint(validatorKey, classId, aliceId, alice, "m1", deadline);
        vm.expectEmit(address(passport));
        emit TRexPassport.PointsCredited(aliceId, CAT, address(badge), 100, 100);
        vm.expectEmit(address(badge));
        emit TRexBadge.BadgeMinted(classId, aliceId, alice, validator, "m1", 100, 0);
        vm.expectEmit(address(badge));
        emit IERC1155.TransferSingle(address(this), address(0), alice, classId, 1);
        vm.expectEmit(address(badge));
        emit IERC5192.Locked(classId);
        badge.mint(classId, aliceId, "m1", deadline, sig);

        assertEq(badge.balanceOf(alice, classId), 1);
        assertEq(passport.points(aliceId, CAT), 100);
        assertEq(passport.badgePoints(aliceId, CAT), 100);
        assertTrue(badge.locked(classId));
        assertTrue(badge.isBadgeValid(classId, aliceId));
        assertTrue(badge.attestationUsed("m1"));
        assertEq(uint256(badge.getClass(classId).supply), 1);
        assertEq(uint256(badge.getBadge(classId, aliceId).mintedAt), block.timestamp);
    }

    function test_Mint_ZeroPointsClass() public {
        uint256 id = _createClass(0, 0, 0, 0, 0);
        _mint(id, aliceId, alice, "z");
        assertEq(badge.balanceOf(alice, id), 1);
        assertEq(passport.points(aliceId, CAT), 0);
    }

    function test_Mint_ForgedSignatureReverts() public {
        (address mallory, uint256 malloryKey) = makeAddrAndKey("mallory");
        uint256 deadline = block.timestamp + 1 hours;
        bytes memory sig = _signMint(malloryKey, classId, aliceId, alice, "m1", deadline);
        vm.expectRevert(
            abi.encodeWithSelector(TRexBadge.UntrustedValidator.selector, classId, mallory)
        );
        badge.mint(classId, aliceId, "m1", deadline, sig);
    }

    function test_Mint_MalformedSignatureReverts() public {
        vm.expectRevert(TRexBadge.InvalidSignature.selector);
        badge.mint(classId, aliceId, "m1", block.timestamp, new bytes(65));
    }

    function test_Mint_WrongValidatorReverts() public {
        // otherValidator is trusted by another class, not this one.
        address[] memory validators = new address[](1);
        validators[0] = otherValidator;
        vm.prank(project);
        badge.createClass(_params(1, 0, 0, 0, 0), validators);
        uint256 deadline = block.timestamp + 1 hours;
        bytes memory sig = _signMint(otherValidatorKey, classId, aliceId, alice, "m1", deadline);
        vm.expectRevert(
            abi.encodeWithSelector(TRexBadge.UntrustedValidator.selector, classId, otherValidator)
        );
        badge.mint(classId, aliceId, "m1", deadline, sig);
    }

    function test_Mint_DistrustedValidatorReverts() public {
        uint256 deadline = block.timestamp + 1 hours;
        bytes memory sig = _signMint(validatorKey, classId, aliceId, alice, "m1", deadline);
        vm.prank(project);
        badge.setClassValidator(classId, validator, false);
        vm.expectRevert(
            abi.encodeWithSelector(TRexBadge.UntrustedValidator.selector, classId, validator)
        );
        badge.mint(classId, aliceId, "m1", deadline, sig);
    }

    function test_Mint_AlteredParametersRevert() public {
        uint256 deadline = block.timestamp + 1 hours;
        uint256 class2 = _createClass(1000, 0, 0, 0, 0);
        bytes memory sig = _signMint(validatorKey, classId, aliceId, alice, "m1", deadline);
        // Another class.
        vm.expectPartialRevert(TRexBadge.UntrustedValidator.selector);
        badge.mint(class2, aliceId, "m1", deadline, sig);
        // Another passport.
        vm.expectPartialRevert(TRexBadge.UntrustedValidator.selector);
        badge.mint(classId, bobId, "m1", deadline, sig);
        // Another attestation id.
        vm.expectPartialRevert(TRexBadge.UntrustedValidator.selector);
        badge.mint(classId, aliceId, "m2", deadline, sig);
        // A later deadline.
        vm.expectPartialRevert(TRexBadge.UntrustedValidator.selector);
        badge.mint(classId, aliceId, "m1", deadline + 1, sig);
        // Signed for a recipient other than the passport's owner.
        sig = _signMint(validatorKey, classId, aliceId, bob, "m1", deadline);
        vm.expectPartialRevert(TRexBadge.UntrustedValidator.selector);
        badge.mint(classId, aliceId, "m1", deadline, sig);
    }

    function test_Mint_ExpiredAttestationReverts() public {
        uint256 deadline = block.timestamp + 60;
        bytes memory sig = _signMint(validatorKey, classId, aliceId, alice, "m1", deadline);
        vm.warp(deadline + 1);
        vm.expectRevert(
            abi.encodeWithSelector(TRexBadge.AttestationExpired.selector, deadline, deadline + 1)
        );
        badge.mint(classId, aliceId, "m1", deadline, sig);
    }

    function test_Mint_ReusedAttestationReverts() public {
        uint256 deadline = block.timestamp + 1 hours;
        bytes memory sig = _signMint(validatorKey, classId, aliceId, alice, "m1", deadline);
        badge.mint(classId, aliceId, "m1", deadline, sig);
        vm.prank(project);
        badge.revoke(classId, aliceId);
        vm.expectRevert(
            abi.encodeWithSelector(TRexBadge.AttestationAlreadyUsed.selector, bytes32("m1"))
        );
        badge.mint(classId, aliceId, "m1", deadline, sig);
        // The same id for another passport is refused as well.
        sig = _signMint(validatorKey, classId, bobId, bob, "m1", deadline);
        vm.expectRevert(
            abi.encodeWithSelector(TRexBadge.AttestationAlreadyUsed.selector, bytes32("m1"))
        );
        badge.mint(classId, bobId, "m1", deadline, sig);
    }

    function test_Mint_SecondBadgeOfClassReverts() public {
        _mint(classId, aliceId, alice, "m1");
        uint256 deadline = block.timestamp + 1 hours;
        bytes memory sig = _signMint(validatorKey, classId, aliceId, alice, "m2", deadline);
        vm.expectRevert(
            abi.encodeWithSelector(TRexBadge.AlreadyHoldsBadge.selector, classId, aliceId)
        );
        badge.mint(classId, aliceId, "m2", deadline, sig);
    }

    function test_Mint_SupplyCapReverts() public {
        uint256 capped = _createClass(1, 1, 0, 0, 0);
        _mint(capped, aliceId, alice, "m1");
        uint256 deadline = block.timestamp + 1 hours;
        bytes memory sig = _signMint(validatorKey, capped, bobId, bob, "m2", deadline);
        vm.expectRevert(abi.encodeWithSelector(TRexBadge.SupplyCapReached.selector, capped, 1));
        badge.mint(capped, bobId, "m2", deadline, sig);
        // Revocation frees the slot.
        vm.prank(project);
        badge.revoke(capped, aliceId);
        badge.mint(capped, bobId, "m2", deadline, sig);
        assertEq(badge.balanceOf(bob, capped), 1);
    }

    function test_Mint_OutsideWindowReverts() public {
        uint64 start = uint64(block.timestamp) + 100;
        uint256 windowed = _createClass(1, 0, start, start + 100, 0);
        uint256 deadline = block.timestamp + 1 days;
        bytes memory sig = _signMint(validatorKey, windowed, aliceId, alice, "m1", deadline);
        vm.expectRevert(
            abi.encodeWithSelector(TRexBadge.MintNotOpen.selector, windowed, block.timestamp)
        );
        badge.mint(windowed, aliceId, "m1", deadline, sig);
        vm.warp(start + 101);
        vm.expectRevert(
            abi.encodeWithSelector(TRexBadge.MintNotOpen.selector, windowed, start + 101)
        );
        badge.mint(windowed, aliceId, "m1", deadline, sig);
        vm.warp(start + 100);
        badge.mint(windowed, aliceId, "m1", deadline, sig);
    }

    function test_Mint_UnknownClassOrPassportReverts() public {
        vm.expectRevert(abi.encodeWithSelector(TRexBadge.ClassNotFound.selector, 99));
        badge.mint(99, aliceId, "m1", block.timestamp, "");
        uint256 deadline = block.timestamp + 1 hours;
        bytes memory sig = _signMint(validatorKey, classId, 55, address(0), "m1", deadline);
        vm.expectRevert(abi.encodeWithSelector(TRexPassport.PassportNotFound.selector, 55));
        badge.mint(classId, 55, "m1", deadline, sig);
    }

    function test_Mint_PausedReverts() public {
        uint256 deadline = block.timestamp + 1 hours;
        bytes memory sig = _signMint(validatorKey, classId, aliceId, alice, "m1", deadline);
        vm.prank(admin);
        badge.pause();
        vm.expectRevert(PausableUpgradeable.EnforcedPause.selector);
        badge.mint(classId, aliceId, "m1", deadline, sig);
        vm.prank(admin);
        badge.unpause();
        // A paused passport stops points, hence mints too.
        vm.prank(admin);
        passport.pause();
        vm.expectRevert(PausableUpgradeable.EnforcedPause.selector);
        badge.mint(classId, aliceId, "m1", deadline, sig);
    }

    function test_Mint_ExpiryRecorded() public {
        uint256 expiring = _createClass(1, 0, 0, 0, 1 days);
        _mint(expiring, aliceId, alice, "m1");
        assertEq(uint256(badge.getBadge(expiring, aliceId).expiresAt), block.timestamp + 1 days);
        assertTrue(badge.isBadgeValid(expiring, aliceId));
        skip(1 days);
        assertFalse(badge.isBadgeValid(expiring, aliceId));
        assertFalse(badge.isBadgeValid(expiring, bobId));
    }

    // --- non-transferability --------------------------------------------------------------------
    function test_Transfer_Reverts() public {
        _mint(classId, aliceId, alice, "m1");
        vm.expectRevert(TRexBadge.BadgeLocked.selector);
        vm.prank(alice);
        badge.safeTransferFrom(alice, bob, classId, 1, "");

        uint256[] memory ids = new uint256[](1);
        ids[0] = classId;
        uint256[] memory values = new uint256[](1);
        values[0] = 1;
        vm.expectRevert(TRexBadge.BadgeLocked.selector);
        vm.prank(alice);
        badge.safeBatchTransferFrom(alice, bob, ids, values, "");

        vm.expectRevert(TRexBadge.BadgeLocked.selector);
        vm.prank(alice);
        badge.setApprovalForAll(bob, true);
        assertEq(badge.balanceOf(alice, classId), 1);
        assertEq(badge.balanceOf(bob, classId), 0);
    }

    // --- revoke ---------------------------------------------------------------------------------
    function test_Revoke_BurnsAndDebits() public {
        _mint(classId, aliceId, alice, "m1");
        vm.prank(taskIssuer);
        passport.creditPoints(aliceId, CAT, 5);
        vm.expectEmit(address(passport));
        emit TRexPassport.PointsDebited(aliceId, CAT, address(badge), 100, 0);
        vm.expectEmit(address(badge));
        emit IERC1155.TransferSingle(project, alice, address(0), classId, 1);
        vm.expectEmit(address(badge));
        emit TRexBadge.BadgeRevoked(classId, aliceId, alice, 100);
        vm.prank(project);
        badge.revoke(classId, aliceId);
        assertEq(badge.balanceOf(alice, classId), 0);
        assertEq(passport.points(aliceId, CAT), 5);
        assertEq(uint256(badge.getClass(classId).supply), 0);
        assertFalse(badge.isBadgeValid(classId, aliceId));
        // A new attestation mints again.
        _mint(classId, aliceId, alice, "m2");
        assertEq(passport.points(aliceId, CAT), 105);
    }

    function test_Revoke_Rejections() public {
        _mint(classId, aliceId, alice, "m1");
        vm.expectRevert(abi.encodeWithSelector(TRexBadge.NotClassIssuer.selector, classId, alice));
        vm.prank(alice);
        badge.revoke(classId, aliceId);
        vm.expectRevert(abi.encodeWithSelector(TRexBadge.BadgeNotHeld.selector, classId, bobId));
        vm.prank(project);
        badge.revoke(classId, bobId);
        vm.expectRevert(abi.encodeWithSelector(TRexBadge.ClassNotFound.selector, 42));
        vm.prank(project);
        badge.revoke(42, aliceId);
        vm.prank(admin);
        badge.pause();
        vm.expectRevert(PausableUpgradeable.EnforcedPause.selector);
        vm.prank(project);
        badge.revoke(classId, aliceId);
    }

    // --- fuzz -----------------------------------------------------------------------------------
    /// A mint attestation signed by any key the class does not trust is rejected.
    function testFuzz_Mint_RandomKeyRejected(uint256 key, bytes32 att) public {
        key = _boundKey(key);
        vm.assume(key != validatorKey);
        uint256 deadline = block.timestamp + 1 hours;
        bytes memory sig = _signMint(key, classId, aliceId, alice, att, deadline);
        vm.expectRevert(
            abi.encodeWithSelector(TRexBadge.UntrustedValidator.selector, classId, vm.addr(key))
        );
        badge.mint(classId, aliceId, att, deadline, sig);
    }

    /// Mint then revoke of classes with random points: points follow the live badges exactly.
    function testFuzz_Points_MintRevoke(uint128[4] memory pts, bool[4] memory revokeIt) public {
        uint256 expected;
        for (uint256 i; i < 4; ++i) {
            uint128 p = uint128(bound(pts[i], 0, type(uint128).max / 8));
            uint256 id = _createClass(p, 0, 0, 0, 0);
            _mint(id, aliceId, alice, bytes32(i + 1));
            expected += p;
            if (revokeIt[i]) {
                vm.prank(project);
                badge.revoke(id, aliceId);
                expected -= p;
            }
            assertEq(passport.points(aliceId, CAT), expected);
            assertEq(badge.balanceOf(alice, id), revokeIt[i] ? 0 : 1);
        }
    }
}
