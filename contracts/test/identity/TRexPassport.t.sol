// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {IdentityTestBase} from "./IdentityTestBase.sol";
import {TRexPassport} from "../../src/identity/TRexPassport.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {
    PausableUpgradeable
} from "@openzeppelin/contracts-upgradeable/utils/PausableUpgradeable.sol";
import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";

/// @notice A second implementation, to show upgrades keep state.
contract TRexPassportV2 is TRexPassport {
    function version() external pure returns (string memory) {
        return "v2";
    }
}

contract TRexPassportTest is IdentityTestBase {
    address internal alice = makeAddr("alice");
    address internal bob = makeAddr("bob");
    address internal wallet;
    uint256 internal walletKey;
    uint256 internal aliceId;

    bytes32 internal constant SOL = keccak256("solana pubkey");
    bytes32 internal constant TWITTER = keccak256("twitter");
    bytes32 internal constant HANDLE = keccak256("@alice");
    bytes32 internal constant CAT = keccak256("social");

    function setUp() public {
        _deploy();
        (wallet, walletKey) = makeAddrAndKey("wallet");
        aliceId = _newPassport(alice);
    }

    // --- setup and roles ------------------------------------------------------------------------
    function test_Initialize_GrantsAdminRoles() public view {
        assertTrue(passport.hasRole(passport.DEFAULT_ADMIN_ROLE(), admin));
        assertTrue(passport.hasRole(passport.PAUSER_ROLE(), admin));
        assertTrue(passport.hasRole(passport.UPGRADER_ROLE(), admin));
        assertEq(passport.badgeContract(), address(badge));
        assertEq(passport.domainSeparator(), _domain("TRexPassport", address(passport)));
    }

    function test_Initialize_CannotRunTwice() public {
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        passport.initialize(bob);
    }

    function test_Implementation_CannotBeInitialized() public {
        TRexPassport impl = new TRexPassport();
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        impl.initialize(bob);
    }

    function test_Initialize_RejectsZeroAdmin() public {
        TRexPassport impl = new TRexPassport();
        bytes memory init = abi.encodeCall(TRexPassport.initialize, (address(0)));
        vm.expectRevert(TRexPassport.ZeroAddress.selector);
        new ERC1967Proxy(address(impl), init);
    }

    function test_SetBadgeContract_OnlyAdmin() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector,
                bob,
                passport.DEFAULT_ADMIN_ROLE()
            )
        );
        vm.prank(bob);
        passport.setBadgeContract(bob);

        vm.expectEmit(address(passport));
        emit TRexPassport.BadgeContractSet(address(badge), bob);
        vm.prank(admin);
        passport.setBadgeContract(bob);
        assertEq(passport.badgeContract(), bob);
    }

    function test_Upgrade_KeepsStateAndNeedsUpgrader() public {
        TRexPassportV2 v2 = new TRexPassportV2();
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector,
                bob,
                passport.UPGRADER_ROLE()
            )
        );
        vm.prank(bob);
        passport.upgradeToAndCall(address(v2), "");

        vm.prank(admin);
        passport.upgradeToAndCall(address(v2), "");
        assertEq(TRexPassportV2(address(passport)).version(), "v2");
        assertEq(passport.ownerOf(aliceId), alice);
        assertEq(passport.passportOf(alice), aliceId);
    }

    // --- passports ------------------------------------------------------------------------------
    function test_CreatePassport_AssignsIdAndEmits() public {
        vm.expectEmit(address(passport));
        emit TRexPassport.PassportCreated(2, bob);
        uint256 id = _newPassport(bob);
        assertEq(id, 2);
        assertEq(passport.passportCount(), 2);
        assertEq(passport.ownerOf(id), bob);
        assertEq(passport.passportOf(bob), id);
        assertEq(passport.passportOfWallet(bob), id);
    }

    function test_CreatePassport_SecondForOwnerReverts() public {
        vm.expectRevert(
            abi.encodeWithSelector(TRexPassport.AlreadyHasPassport.selector, alice, aliceId)
        );
        vm.prank(alice);
        passport.createPassport();
    }

    function test_CreatePassport_LinkedWalletCannotCreate() public {
        _linkWallet();
        vm.expectRevert(
            abi.encodeWithSelector(TRexPassport.WalletAlreadyLinked.selector, wallet, aliceId)
        );
        vm.prank(wallet);
        passport.createPassport();
    }

    function test_CreatePassport_PausedReverts() public {
        vm.prank(admin);
        passport.pause();
        vm.expectRevert(PausableUpgradeable.EnforcedPause.selector);
        vm.prank(bob);
        passport.createPassport();
        vm.prank(admin);
        passport.unpause();
        _newPassport(bob);
    }

    function test_Pause_OnlyPauser() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector,
                bob,
                passport.PAUSER_ROLE()
            )
        );
        vm.prank(bob);
        passport.pause();
    }

    function test_OwnerOf_UnknownReverts() public {
        vm.expectRevert(abi.encodeWithSelector(TRexPassport.PassportNotFound.selector, 99));
        passport.ownerOf(99);
    }

    function test_Did_Format() public {
        assertEq(
            passport.did(aliceId), string.concat("did:trex:", vm.toString(block.chainid), ":1")
        );
        vm.chainId(7777);
        uint256 id = _newPassport(bob);
        assertEq(passport.did(id), "did:trex:7777:2");
        vm.expectRevert(abi.encodeWithSelector(TRexPassport.PassportNotFound.selector, 3));
        passport.did(3);
    }

    // --- EVM wallets ----------------------------------------------------------------------------
    function _linkWallet() internal {
        uint256 deadline = block.timestamp + 1 hours;
        bytes memory sig = _signLinkWallet(walletKey, aliceId, wallet, 0, deadline);
        vm.prank(alice);
        passport.linkWallet(aliceId, wallet, deadline, sig);
    }

    function test_LinkWallet_LinksAndConsumesNonce() public {
        uint256 deadline = block.timestamp + 1 hours;
        bytes memory sig = _signLinkWallet(walletKey, aliceId, wallet, 0, deadline);
        vm.expectEmit(address(passport));
        emit TRexPassport.WalletLinked(aliceId, wallet, 0);
        vm.prank(alice);
        passport.linkWallet(aliceId, wallet, deadline, sig);
        assertEq(passport.passportOfWallet(wallet), aliceId);
        assertEq(passport.nonces(wallet), 1);
        address[] memory expected = new address[](1);
        expected[0] = wallet;
        assertEq(passport.linkedWallets(aliceId), expected);
    }

    function test_LinkWallet_ForgedSignatureReverts() public {
        (, uint256 otherKey) = makeAddrAndKey("mallory");
        uint256 deadline = block.timestamp + 1 hours;
        bytes memory sig = _signLinkWallet(otherKey, aliceId, wallet, 0, deadline);
        vm.expectRevert(
            abi.encodeWithSelector(TRexPassport.InvalidWalletSignature.selector, wallet)
        );
        vm.prank(alice);
        passport.linkWallet(aliceId, wallet, deadline, sig);
    }

    function test_LinkWallet_AlteredParametersRevert() public {
        uint256 deadline = block.timestamp + 1 hours;
        uint256 bobId = _newPassport(bob);
        // Signed for Bob's passport, submitted for Alice's.
        bytes memory sig = _signLinkWallet(walletKey, bobId, wallet, 0, deadline);
        vm.expectRevert(
            abi.encodeWithSelector(TRexPassport.InvalidWalletSignature.selector, wallet)
        );
        vm.prank(alice);
        passport.linkWallet(aliceId, wallet, deadline, sig);
        // Deadline extended after signing.
        sig = _signLinkWallet(walletKey, aliceId, wallet, 0, deadline);
        vm.expectRevert(
            abi.encodeWithSelector(TRexPassport.InvalidWalletSignature.selector, wallet)
        );
        vm.prank(alice);
        passport.linkWallet(aliceId, wallet, deadline + 1, sig);
        // Wrong nonce.
        sig = _signLinkWallet(walletKey, aliceId, wallet, 1, deadline);
        vm.expectRevert(
            abi.encodeWithSelector(TRexPassport.InvalidWalletSignature.selector, wallet)
        );
        vm.prank(alice);
        passport.linkWallet(aliceId, wallet, deadline, sig);
    }

    function test_LinkWallet_ExpiredReverts() public {
        uint256 deadline = block.timestamp + 10;
        bytes memory sig = _signLinkWallet(walletKey, aliceId, wallet, 0, deadline);
        vm.warp(deadline + 1);
        vm.expectRevert(
            abi.encodeWithSelector(TRexPassport.SignatureExpired.selector, deadline, deadline + 1)
        );
        vm.prank(alice);
        passport.linkWallet(aliceId, wallet, deadline, sig);
    }

    function test_LinkWallet_ReplayAfterUnlinkReverts() public {
        uint256 deadline = block.timestamp + 1 hours;
        bytes memory sig = _signLinkWallet(walletKey, aliceId, wallet, 0, deadline);
        vm.prank(alice);
        passport.linkWallet(aliceId, wallet, deadline, sig);
        vm.prank(alice);
        passport.unlinkWallet(aliceId, wallet);
        vm.expectRevert(
            abi.encodeWithSelector(TRexPassport.InvalidWalletSignature.selector, wallet)
        );
        vm.prank(alice);
        passport.linkWallet(aliceId, wallet, deadline, sig);
        // A fresh signature with the next nonce links it again.
        sig = _signLinkWallet(walletKey, aliceId, wallet, 1, deadline);
        vm.prank(alice);
        passport.linkWallet(aliceId, wallet, deadline, sig);
        assertEq(passport.passportOfWallet(wallet), aliceId);
    }

    function test_LinkWallet_WalletOfAnotherPassportReverts() public {
        _linkWallet();
        uint256 bobId = _newPassport(bob);
        uint256 deadline = block.timestamp + 1 hours;
        bytes memory sig = _signLinkWallet(walletKey, bobId, wallet, 1, deadline);
        vm.expectRevert(
            abi.encodeWithSelector(TRexPassport.WalletAlreadyLinked.selector, wallet, aliceId)
        );
        vm.prank(bob);
        passport.linkWallet(bobId, wallet, deadline, sig);
    }

    function test_LinkWallet_OwnerOfAnotherPassportReverts() public {
        (address carol, uint256 carolKey) = makeAddrAndKey("carol");
        uint256 carolId = _newPassport(carol);
        uint256 deadline = block.timestamp + 1 hours;
        bytes memory sig = _signLinkWallet(carolKey, aliceId, carol, 0, deadline);
        vm.expectRevert(
            abi.encodeWithSelector(TRexPassport.WalletAlreadyLinked.selector, carol, carolId)
        );
        vm.prank(alice);
        passport.linkWallet(aliceId, carol, deadline, sig);
    }

    function test_LinkWallet_NotOwnerReverts() public {
        uint256 deadline = block.timestamp + 1 hours;
        bytes memory sig = _signLinkWallet(walletKey, aliceId, wallet, 0, deadline);
        vm.expectRevert(
            abi.encodeWithSelector(TRexPassport.NotPassportOwner.selector, aliceId, bob)
        );
        vm.prank(bob);
        passport.linkWallet(aliceId, wallet, deadline, sig);
    }

    function test_LinkWallet_ZeroAddressReverts() public {
        vm.expectRevert(TRexPassport.ZeroAddress.selector);
        vm.prank(alice);
        passport.linkWallet(aliceId, address(0), block.timestamp, "");
    }

    function test_LinkWallet_PausedReverts() public {
        uint256 deadline = block.timestamp + 1 hours;
        bytes memory sig = _signLinkWallet(walletKey, aliceId, wallet, 0, deadline);
        vm.prank(admin);
        passport.pause();
        vm.expectRevert(PausableUpgradeable.EnforcedPause.selector);
        vm.prank(alice);
        passport.linkWallet(aliceId, wallet, deadline, sig);
    }

    function test_UnlinkWallet_ByOwnerOrWallet() public {
        _linkWallet();
        vm.expectRevert(
            abi.encodeWithSelector(TRexPassport.NotPassportOwner.selector, aliceId, bob)
        );
        vm.prank(bob);
        passport.unlinkWallet(aliceId, wallet);

        vm.expectEmit(address(passport));
        emit TRexPassport.WalletUnlinked(aliceId, wallet);
        vm.prank(wallet);
        passport.unlinkWallet(aliceId, wallet);
        assertEq(passport.passportOfWallet(wallet), 0);
        assertEq(passport.linkedWallets(aliceId).length, 0);

        vm.expectRevert(
            abi.encodeWithSelector(TRexPassport.WalletNotLinked.selector, aliceId, wallet)
        );
        vm.prank(alice);
        passport.unlinkWallet(aliceId, wallet);
    }

    // --- Solana ---------------------------------------------------------------------------------
    function test_LinkSolana_WithValidatorAttestation() public {
        uint256 deadline = block.timestamp + 1 hours;
        bytes memory sig = _signLinkSolana(validatorKey, aliceId, SOL, "att-1", deadline);
        vm.expectEmit(address(passport));
        emit TRexPassport.SolanaLinked(aliceId, SOL, validator, "att-1");
        vm.prank(alice);
        passport.linkSolana(aliceId, SOL, "att-1", deadline, sig);
        assertEq(passport.passportOfSolana(SOL), aliceId);
        assertEq(passport.linkedSolana(aliceId)[0], SOL);
        assertTrue(passport.attestationUsed("att-1"));
    }

    function test_LinkSolana_NonValidatorSignerReverts() public {
        (address mallory, uint256 malloryKey) = makeAddrAndKey("mallory");
        uint256 deadline = block.timestamp + 1 hours;
        bytes memory sig = _signLinkSolana(malloryKey, aliceId, SOL, "att-1", deadline);
        vm.expectRevert(abi.encodeWithSelector(TRexPassport.UntrustedValidator.selector, mallory));
        vm.prank(alice);
        passport.linkSolana(aliceId, SOL, "att-1", deadline, sig);
    }

    function test_LinkSolana_AlteredAddressReverts() public {
        uint256 deadline = block.timestamp + 1 hours;
        bytes memory sig = _signLinkSolana(validatorKey, aliceId, SOL, "att-1", deadline);
        vm.expectPartialRevert(TRexPassport.UntrustedValidator.selector);
        vm.prank(alice);
        passport.linkSolana(aliceId, keccak256("other key"), "att-1", deadline, sig);
    }

    function test_LinkSolana_MalformedSignatureReverts() public {
        vm.expectRevert(TRexPassport.InvalidSignature.selector);
        vm.prank(alice);
        passport.linkSolana(aliceId, SOL, "att-1", block.timestamp, hex"1234");
    }

    function test_LinkSolana_ExpiredReverts() public {
        uint256 deadline = block.timestamp + 1;
        bytes memory sig = _signLinkSolana(validatorKey, aliceId, SOL, "att-1", deadline);
        vm.warp(deadline + 5);
        vm.expectRevert(
            abi.encodeWithSelector(TRexPassport.SignatureExpired.selector, deadline, deadline + 5)
        );
        vm.prank(alice);
        passport.linkSolana(aliceId, SOL, "att-1", deadline, sig);
    }

    function test_LinkSolana_ReusedAttestationReverts() public {
        uint256 deadline = block.timestamp + 1 hours;
        bytes memory sig = _signLinkSolana(validatorKey, aliceId, SOL, "att-1", deadline);
        vm.prank(alice);
        passport.linkSolana(aliceId, SOL, "att-1", deadline, sig);
        vm.prank(alice);
        passport.unlinkSolana(aliceId, SOL);
        vm.expectRevert(
            abi.encodeWithSelector(TRexPassport.AttestationAlreadyUsed.selector, bytes32("att-1"))
        );
        vm.prank(alice);
        passport.linkSolana(aliceId, SOL, "att-1", deadline, sig);
    }

    function test_LinkSolana_AddressOfAnotherPassportReverts() public {
        uint256 deadline = block.timestamp + 1 hours;
        vm.prank(alice);
        passport.linkSolana(
            aliceId,
            SOL,
            "att-1",
            deadline,
            _signLinkSolana(validatorKey, aliceId, SOL, "att-1", deadline)
        );
        uint256 bobId = _newPassport(bob);
        bytes memory sig = _signLinkSolana(validatorKey, bobId, SOL, "att-2", deadline);
        vm.expectRevert(
            abi.encodeWithSelector(TRexPassport.SolanaAlreadyLinked.selector, SOL, aliceId)
        );
        vm.prank(bob);
        passport.linkSolana(bobId, SOL, "att-2", deadline, sig);
    }

    function test_UnlinkSolana() public {
        uint256 deadline = block.timestamp + 1 hours;
        vm.startPrank(alice);
        passport.linkSolana(
            aliceId, SOL, "a", deadline, _signLinkSolana(validatorKey, aliceId, SOL, "a", deadline)
        );
        bytes32 sol2 = keccak256("sol2");
        passport.linkSolana(
            aliceId,
            sol2,
            "b",
            deadline,
            _signLinkSolana(validatorKey, aliceId, sol2, "b", deadline)
        );
        vm.expectEmit(address(passport));
        emit TRexPassport.SolanaUnlinked(aliceId, SOL);
        passport.unlinkSolana(aliceId, SOL);
        vm.stopPrank();
        assertEq(passport.passportOfSolana(SOL), 0);
        assertEq(passport.linkedSolana(aliceId).length, 1);
        assertEq(passport.linkedSolana(aliceId)[0], sol2);
        vm.expectRevert(abi.encodeWithSelector(TRexPassport.SolanaNotLinked.selector, aliceId, SOL));
        vm.prank(alice);
        passport.unlinkSolana(aliceId, SOL);
    }

    // --- Web2 -----------------------------------------------------------------------------------
    function test_LinkWeb2_StoresHashOnly() public {
        uint256 deadline = block.timestamp + 1 hours;
        bytes memory sig = _signLinkWeb2(validatorKey, aliceId, TWITTER, HANDLE, "w1", deadline);
        vm.expectEmit(address(passport));
        emit TRexPassport.Web2Linked(aliceId, TWITTER, HANDLE, validator, "w1");
        vm.prank(alice);
        passport.linkWeb2(aliceId, TWITTER, HANDLE, "w1", deadline, sig);
        assertEq(passport.web2Account(aliceId, TWITTER), HANDLE);
        assertEq(passport.passportOfWeb2(TWITTER, HANDLE), aliceId);
    }

    function test_LinkWeb2_Rejections() public {
        uint256 deadline = block.timestamp + 1 hours;
        (address mallory, uint256 malloryKey) = makeAddrAndKey("mallory");
        bytes memory sig = _signLinkWeb2(malloryKey, aliceId, TWITTER, HANDLE, "w1", deadline);
        vm.expectRevert(abi.encodeWithSelector(TRexPassport.UntrustedValidator.selector, mallory));
        vm.prank(alice);
        passport.linkWeb2(aliceId, TWITTER, HANDLE, "w1", deadline, sig);

        // Altered handle hash.
        sig = _signLinkWeb2(validatorKey, aliceId, TWITTER, HANDLE, "w1", deadline);
        vm.expectPartialRevert(TRexPassport.UntrustedValidator.selector);
        vm.prank(alice);
        passport.linkWeb2(aliceId, TWITTER, keccak256("@bob"), "w1", deadline, sig);

        vm.prank(alice);
        passport.linkWeb2(aliceId, TWITTER, HANDLE, "w1", deadline, sig);

        // A second account on the same platform.
        bytes32 other = keccak256("@alice2");
        sig = _signLinkWeb2(validatorKey, aliceId, TWITTER, other, "w2", deadline);
        vm.expectRevert(
            abi.encodeWithSelector(
                TRexPassport.Web2AlreadyLinked.selector, TWITTER, HANDLE, aliceId
            )
        );
        vm.prank(alice);
        passport.linkWeb2(aliceId, TWITTER, other, "w2", deadline, sig);

        // The same account on another passport.
        uint256 bobId = _newPassport(bob);
        sig = _signLinkWeb2(validatorKey, bobId, TWITTER, HANDLE, "w3", deadline);
        vm.expectRevert(
            abi.encodeWithSelector(
                TRexPassport.Web2AlreadyLinked.selector, TWITTER, HANDLE, aliceId
            )
        );
        vm.prank(bob);
        passport.linkWeb2(bobId, TWITTER, HANDLE, "w3", deadline, sig);

        vm.expectRevert(TRexPassport.ZeroValue.selector);
        vm.prank(bob);
        passport.linkWeb2(bobId, TWITTER, bytes32(0), "w3", deadline, sig);
    }

    function test_UnlinkWeb2() public {
        uint256 deadline = block.timestamp + 1 hours;
        bytes memory sig = _signLinkWeb2(validatorKey, aliceId, TWITTER, HANDLE, "w1", deadline);
        vm.prank(alice);
        passport.linkWeb2(aliceId, TWITTER, HANDLE, "w1", deadline, sig);
        vm.expectRevert(
            abi.encodeWithSelector(TRexPassport.NotPassportOwner.selector, aliceId, bob)
        );
        vm.prank(bob);
        passport.unlinkWeb2(aliceId, TWITTER);
        vm.expectEmit(address(passport));
        emit TRexPassport.Web2Unlinked(aliceId, TWITTER, HANDLE);
        vm.prank(alice);
        passport.unlinkWeb2(aliceId, TWITTER);
        assertEq(passport.web2Account(aliceId, TWITTER), bytes32(0));
        assertEq(passport.passportOfWeb2(TWITTER, HANDLE), 0);
        vm.expectRevert(
            abi.encodeWithSelector(TRexPassport.Web2NotLinked.selector, aliceId, TWITTER)
        );
        vm.prank(alice);
        passport.unlinkWeb2(aliceId, TWITTER);
    }

    // --- points ---------------------------------------------------------------------------------
    function test_Points_TaskIssuerCreditsAndDebits() public {
        vm.expectEmit(address(passport));
        emit TRexPassport.PointsCredited(aliceId, CAT, taskIssuer, 50, 50);
        vm.prank(taskIssuer);
        passport.creditPoints(aliceId, CAT, 50);
        vm.expectEmit(address(passport));
        emit TRexPassport.PointsDebited(aliceId, CAT, taskIssuer, 20, 30);
        vm.prank(taskIssuer);
        passport.debitPoints(aliceId, CAT, 20);
        assertEq(passport.points(aliceId, CAT), 30);
        assertEq(passport.taskPoints(aliceId, CAT), 30);
        assertEq(passport.badgePoints(aliceId, CAT), 0);
    }

    function test_Points_BadgeContractBooksBadgePoints() public {
        vm.prank(address(badge));
        passport.creditPoints(aliceId, CAT, 7);
        vm.prank(taskIssuer);
        passport.creditPoints(aliceId, CAT, 3);
        assertEq(passport.badgePoints(aliceId, CAT), 7);
        assertEq(passport.points(aliceId, CAT), 10);
        // A task issuer cannot take badge points away.
        vm.expectRevert(
            abi.encodeWithSelector(TRexPassport.InsufficientPoints.selector, aliceId, CAT, 3, 5)
        );
        vm.prank(taskIssuer);
        passport.debitPoints(aliceId, CAT, 5);
    }

    function test_Points_UnauthorisedCreditReverts() public {
        vm.expectRevert(abi.encodeWithSelector(TRexPassport.UnauthorizedPointsSource.selector, bob));
        vm.prank(bob);
        passport.creditPoints(aliceId, CAT, 1);
        vm.expectRevert(
            abi.encodeWithSelector(TRexPassport.UnauthorizedPointsSource.selector, alice)
        );
        vm.prank(alice);
        passport.debitPoints(aliceId, CAT, 0);
        // Once the badge contract is unset, it loses its right too.
        vm.prank(admin);
        passport.setBadgeContract(address(0));
        vm.expectRevert(
            abi.encodeWithSelector(TRexPassport.UnauthorizedPointsSource.selector, address(badge))
        );
        vm.prank(address(badge));
        passport.creditPoints(aliceId, CAT, 1);
        vm.expectRevert(
            abi.encodeWithSelector(TRexPassport.UnauthorizedPointsSource.selector, address(0))
        );
        vm.prank(address(0));
        passport.creditPoints(aliceId, CAT, 1);
    }

    function test_Points_UnknownPassportReverts() public {
        vm.expectRevert(abi.encodeWithSelector(TRexPassport.PassportNotFound.selector, 42));
        vm.prank(taskIssuer);
        passport.creditPoints(42, CAT, 1);
    }

    function test_Points_PausedReverts() public {
        vm.prank(admin);
        passport.pause();
        vm.expectRevert(PausableUpgradeable.EnforcedPause.selector);
        vm.prank(taskIssuer);
        passport.creditPoints(aliceId, CAT, 1);
    }

    // --- fuzz -----------------------------------------------------------------------------------
    /// A link signature from any key but the wallet's is rejected.
    function testFuzz_LinkWallet_RandomKeyRejected(uint256 key) public {
        key = _boundKey(key);
        vm.assume(key != walletKey);
        uint256 deadline = block.timestamp + 1 hours;
        bytes memory sig = _signLinkWallet(key, aliceId, wallet, 0, deadline);
        vm.expectRevert(
            abi.encodeWithSelector(TRexPassport.InvalidWalletSignature.selector, wallet)
        );
        vm.prank(alice);
        passport.linkWallet(aliceId, wallet, deadline, sig);
    }

    /// Any wallet key links its own wallet exactly once.
    function testFuzz_LinkWallet_AnyKeyLinksOnce(uint256 key) public {
        key = _boundKey(key);
        address w = vm.addr(key);
        vm.assume(w != alice);
        uint256 deadline = block.timestamp + 1 hours;
        bytes memory sig = _signLinkWallet(key, aliceId, w, 0, deadline);
        vm.prank(alice);
        passport.linkWallet(aliceId, w, deadline, sig);
        assertEq(passport.passportOfWallet(w), aliceId);
        vm.expectRevert(
            abi.encodeWithSelector(TRexPassport.WalletAlreadyLinked.selector, w, aliceId)
        );
        vm.prank(alice);
        passport.linkWallet(aliceId, w, deadline, sig);
    }

    /// A validator attestation from any key without VALIDATOR_ROLE is rejected.
    function testFuzz_LinkSolana_RandomKeyRejected(uint256 key, bytes32 sol) public {
        key = _boundKey(key);
        vm.assume(key != validatorKey && sol != bytes32(0));
        uint256 deadline = block.timestamp + 1 hours;
        bytes memory sig = _signLinkSolana(key, aliceId, sol, "x", deadline);
        vm.expectRevert(
            abi.encodeWithSelector(TRexPassport.UntrustedValidator.selector, vm.addr(key))
        );
        vm.prank(alice);
        passport.linkSolana(aliceId, sol, "x", deadline, sig);
    }

    /// Credits and debits add up; a debit beyond the balance reverts and changes nothing.
    function testFuzz_Points_Accounting(uint128[8] memory amounts, bool[8] memory isDebit) public {
        uint256 expected;
        for (uint256 i; i < 8; ++i) {
            uint256 amount = amounts[i];
            vm.startPrank(taskIssuer);
            if (isDebit[i]) {
                if (amount > expected) {
                    vm.expectRevert(
                        abi.encodeWithSelector(
                            TRexPassport.InsufficientPoints.selector, aliceId, CAT, expected, amount
                        )
                    );
                    passport.debitPoints(aliceId, CAT, amount);
                } else {
                    passport.debitPoints(aliceId, CAT, amount);
                    expected -= amount;
                }
            } else {
                passport.creditPoints(aliceId, CAT, amount);
                expected += amount;
            }
            vm.stopPrank();
            assertEq(passport.points(aliceId, CAT), expected);
        }
    }
}
