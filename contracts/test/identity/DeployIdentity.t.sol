// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {IdentityTestBase} from "./IdentityTestBase.sol";
import {ERC1967Utils} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Utils.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {TRexPassport} from "../../src/identity/TRexPassport.sol";
import {TRexBadge} from "../../src/identity/TRexBadge.sol";
import {ITRexPassport} from "../../src/identity/ITRexPassport.sol";
import {
    DeployIdentity,
    IdentityPredeploys,
    IdentityScript,
    InitIdentity
} from "../../script/DeployIdentity.s.sol";
import {IdentityGenesis} from "../../script/IdentityGenesis.s.sol";

/// @notice Checks shared by the deploy-script and genesis tests: the proxies' implementation
///         slots, the implementations' disabled initialisers, and a badge minted end to end
///         (which needs the passport's badge contract and a trusted validator).
abstract contract IdentityDeploymentChecks is IdentityTestBase {
    address internal constant ACCOUNT_0 = 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266;
    address internal constant ACCOUNT_9 = 0xa0Ee7A142d267C1f36714E4a8F75612F20a79720;
    uint256 internal constant ACCOUNT_9_KEY =
        0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6;

    function _implementationOf(address proxy) internal view returns (address) {
        return address(uint160(uint256(vm.load(proxy, ERC1967Utils.IMPLEMENTATION_SLOT))));
    }

    function _assertDeployment(IdentityScript.Deployment memory d) internal {
        assertEq(_implementationOf(d.passport), d.passportImplementation, "passport impl slot");
        assertEq(_implementationOf(d.badge), d.badgeImplementation, "badge impl slot");
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        TRexPassport(d.passportImplementation).initialize(address(this));
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        TRexBadge(d.badgeImplementation)
            .initialize(address(this), ITRexPassport(d.passportImplementation));
        // UUPS checks `proxiableUUID` on the implementation itself (not through a proxy).
        assertEq(
            TRexPassport(d.passportImplementation).proxiableUUID(), ERC1967Utils.IMPLEMENTATION_SLOT
        );
        assertEq(TRexBadge(d.badgeImplementation).proxiableUUID(), ERC1967Utils.IMPLEMENTATION_SLOT);
    }

    /// A user creates a passport and gets a badge signed by `signerKey`; the class's points reach
    /// the passport through the badge contract.
    function _mintBadge(uint256 signerKey) internal {
        address user = makeAddr("user");
        uint256 passportId = _newPassport(user);
        assertEq(passport.ownerOf(passportId), user);
        address[] memory trusted = new address[](1);
        trusted[0] = vm.addr(signerKey);
        TRexBadge.ClassParams memory params = TRexBadge.ClassParams({
            uri: "ipfs://class",
            points: 25,
            pointsCategory: keccak256("quests"),
            validatorKind: keccak256("NFT"),
            paramsHash: keccak256("{}"),
            supplyCap: 0,
            startTime: 0,
            endTime: 0,
            expiry: 0
        });
        vm.prank(makeAddr("issuer"));
        uint256 classId = badge.createClass(params, trusted);
        uint256 deadline = block.timestamp + 1 hours;
        bytes32 attestationId = keccak256("attestation-1");
        bytes memory sig = _signMint(signerKey, classId, passportId, user, attestationId, deadline);
        badge.mint(classId, passportId, attestationId, deadline, sig);
        assertEq(badge.balanceOf(user, classId), 1);
        assertEq(passport.points(passportId, keccak256("quests")), 25);
    }
}

/// @notice DeployIdentity and InitIdentity: the deployment, the admin hand-over, the checks, and
///         the environment parameters.
contract DeployIdentityTest is IdentityDeploymentChecks {
    function _config(uint256 deployerKey, address admin_)
        internal
        returns (IdentityScript.Config memory c)
    {
        (address v, uint256 vKey) = makeAddrAndKey("validator");
        (validator, validatorKey) = (v, vKey);
        c.deployerKey = deployerKey;
        c.admin = admin_;
        c.validators = new address[](1);
        c.validators[0] = validator;
        c.taskIssuers = new address[](1);
        c.taskIssuers[0] = taskIssuer;
    }

    function test_Deploy_WiresRolesAndHandsAdminRolesOver() public {
        (address deployer, uint256 deployerKey) = makeAddrAndKey("deployer");
        IdentityScript.Config memory c = _config(deployerKey, admin);
        IdentityScript.Deployment memory d = new DeployIdentity().deploy(c);
        passport = TRexPassport(d.passport);
        badge = TRexBadge(d.badge);

        _assertDeployment(d);
        assertEq(passport.badgeContract(), d.badge);
        assertEq(address(badge.passport()), d.passport);
        bytes32[3] memory roles =
            [passport.DEFAULT_ADMIN_ROLE(), passport.PAUSER_ROLE(), passport.UPGRADER_ROLE()];
        for (uint256 i = 0; i < roles.length; i++) {
            assertTrue(passport.hasRole(roles[i], admin), "admin holds the passport role");
            assertTrue(badge.hasRole(roles[i], admin), "admin holds the badge role");
            assertFalse(passport.hasRole(roles[i], deployer), "deployer renounced it");
            assertFalse(badge.hasRole(roles[i], deployer), "deployer renounced it");
        }
        assertTrue(passport.hasRole(passport.VALIDATOR_ROLE(), validator));
        assertTrue(passport.hasRole(passport.TASK_ISSUER_ROLE(), taskIssuer));
        _mintBadge(validatorKey);
        assertEq(passport.did(1), "did:trex:31337:1");

        // Only the admin upgrades.
        address next = address(new TRexPassport());
        bytes32 upgrader = passport.UPGRADER_ROLE();
        vm.prank(deployer);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, deployer, upgrader
            )
        );
        passport.upgradeToAndCall(next, "");
        vm.prank(admin);
        passport.upgradeToAndCall(next, "");
        assertEq(_implementationOf(d.passport), next);
    }

    function test_Deploy_AdminIsTheDeployer() public {
        (address deployer, uint256 deployerKey) = makeAddrAndKey("deployer");
        IdentityScript.Deployment memory d =
            new DeployIdentity().deploy(_config(deployerKey, deployer));
        assertTrue(TRexPassport(d.passport).hasRole(bytes32(0), deployer));
        assertTrue(TRexBadge(d.badge).hasRole(bytes32(0), deployer));
    }

    function test_Deploy_ZeroRoleHolderReverts() public {
        (, uint256 deployerKey) = makeAddrAndKey("deployer");
        IdentityScript.Config memory c = _config(deployerKey, admin);
        c.validators[0] = address(0);
        DeployIdentity script = new DeployIdentity();
        vm.expectRevert(IdentityScript.ZeroRoleHolder.selector);
        script.deploy(c);
    }

    function test_ToJson() public {
        IdentityScript.Deployment memory d = IdentityScript.Deployment({
            passport: address(0x1111111111111111111111111111111111111111),
            badge: address(0x2222222222222222222222222222222222222222),
            passportImplementation: IdentityPredeploys.PASSPORT_IMPLEMENTATION,
            badgeImplementation: IdentityPredeploys.BADGE_IMPLEMENTATION
        });
        assertEq(
            new DeployIdentity().toJson(d),
            string.concat(
                '{"chainId":31337,"TRexPassport":"0x1111111111111111111111111111111111111111",',
                '"TRexBadge":"0x2222222222222222222222222222222222222222",',
                '"TRexPassportImplementation":"0xc0D3c0d3C0d3C0d3c0D3c0d3c0d3c0d3C0D31d01",',
                '"TRexBadgeImplementation":"0xc0D3C0d3c0D3c0D3c0d3c0D3c0D3C0D3C0d31D02"}'
            )
        );
    }

    function test_Predeploys_ByChainId() public {
        IdentityPredeploysHarness h = new IdentityPredeploysHarness();
        (address p, address b) = h.proxies(1628);
        assertEq(p, IdentityPredeploys.MAINNET_PASSPORT);
        assertEq(b, IdentityPredeploys.MAINNET_BADGE);
        (p, b) = h.proxies(1962);
        assertEq(p, IdentityPredeploys.TESTNET_PASSPORT);
        (p, b) = h.proxies(31628);
        assertEq(b, IdentityPredeploys.TESTNET_BADGE);
        vm.expectRevert(abi.encodeWithSelector(IdentityPredeploys.NoIdentityPredeploys.selector, 1));
        h.proxies(1);
    }

    /// `vm.setEnv` changes the environment of the whole forge process, whose tests run in
    /// parallel: this is the only test that sets TREX_IDENTITY_* variables, and it never sets
    /// TREX_DEPLOYER_KEY (DeployL1's tests read it too).
    function test_Config_DefaultsOverridesAndRuns() public {
        DeployIdentity script = new DeployIdentity();
        // On anvil: anvil's account 0 deploys and administers, account 9 validates.
        IdentityScript.Config memory c = script.config();
        assertEq(vm.addr(c.deployerKey), ACCOUNT_0);
        assertEq(c.admin, ACCOUNT_0);
        assertEq(c.validators.length, 1);
        assertEq(c.validators[0], ACCOUNT_9);
        assertEq(c.taskIssuers.length, 1);
        assertEq(c.taskIssuers[0], ACCOUNT_0);
        (IdentityScript.Deployment memory d, string memory json) = script.run();
        assertTrue(TRexPassport(d.passport).hasRole(bytes32(0), ACCOUNT_0));
        assertEq(json, script.toJson(d));

        // Elsewhere the public anvil key is no default, and there are no default role holders.
        uint256 anvilChainId = block.chainid;
        vm.chainId(1962);
        vm.expectRevert(abi.encodeWithSelector(IdentityScript.DeployerKeyRequired.selector, 1962));
        script.config();

        // Overrides: a list, and an empty list meaning none.
        vm.chainId(anvilChainId);
        address v1 = makeAddr("v1");
        address v2 = makeAddr("v2");
        vm.setEnv("TREX_IDENTITY_ADMIN", vm.toString(admin));
        vm.setEnv("TREX_IDENTITY_VALIDATORS", string.concat(vm.toString(v1), ",", vm.toString(v2)));
        vm.setEnv("TREX_IDENTITY_TASK_ISSUERS", "");
        c = script.config();
        assertEq(c.admin, admin);
        assertEq(c.validators.length, 2);
        assertEq(c.validators[0], v1);
        assertEq(c.validators[1], v2);
        assertEq(c.taskIssuers.length, 0);

        // InitIdentity finds the predeploys of the chain it runs on, or the overrides.
        InitIdentity init = new InitIdentity();
        vm.chainId(1628);
        (address p, address b) = init.proxies();
        assertEq(p, IdentityPredeploys.MAINNET_PASSPORT);
        assertEq(b, IdentityPredeploys.MAINNET_BADGE);
        vm.setEnv("TREX_IDENTITY_PASSPORT", vm.toString(address(0x1234)));
        (p, b) = init.proxies();
        assertEq(p, address(0x1234));
        assertEq(b, IdentityPredeploys.MAINNET_BADGE);
        vm.setEnv("TREX_IDENTITY_PASSPORT", vm.toString(address(0)));

        // InitIdentity.run() on a testnet genesis state, found through the overrides (on anvil,
        // whose chain id has no predeploys).
        new IdentityGenesis().build("testnet");
        vm.chainId(anvilChainId);
        vm.setEnv("TREX_IDENTITY_PASSPORT", vm.toString(IdentityPredeploys.TESTNET_PASSPORT));
        vm.setEnv("TREX_IDENTITY_BADGE", vm.toString(IdentityPredeploys.TESTNET_BADGE));
        (d, json) = init.run();
        assertEq(d.passport, IdentityPredeploys.TESTNET_PASSPORT);
        passport = TRexPassport(d.passport);
        assertTrue(passport.hasRole(bytes32(0), admin));
        assertFalse(passport.hasRole(bytes32(0), ACCOUNT_0));
        assertTrue(passport.hasRole(passport.VALIDATOR_ROLE(), v2));
        assertEq(json, init.toJson(d));
    }
}

/// External entry point to the library, so a test can expect its revert.
contract IdentityPredeploysHarness {
    function proxies(uint256 chainId) external pure returns (address, address) {
        return IdentityPredeploys.proxies(chainId);
    }
}

/// @notice The genesis state IdentityGenesis builds (what deploy/tools/predeploys.mjs writes into
///         the genesis files), and InitIdentity on the uninitialised testnet/mainnet predeploys.
contract IdentityGenesisTest is IdentityDeploymentChecks {
    function _deployment(address passport_, address badge_)
        internal
        pure
        returns (IdentityScript.Deployment memory)
    {
        return IdentityScript.Deployment({
            passport: passport_,
            badge: badge_,
            passportImplementation: IdentityPredeploys.PASSPORT_IMPLEMENTATION,
            badgeImplementation: IdentityPredeploys.BADGE_IMPLEMENTATION
        });
    }

    function test_Devnet_InitialisedAndWired() public {
        (passport, badge) = new IdentityGenesis().build("devnet");
        assertEq(block.chainid, 31628);
        assertEq(address(passport), IdentityPredeploys.TESTNET_PASSPORT);
        assertEq(address(badge), IdentityPredeploys.TESTNET_BADGE);
        _assertDeployment(_deployment(address(passport), address(badge)));
        for (uint256 i = 0; i < 4; i++) {
            address a = [
                address(passport),
                address(badge),
                IdentityPredeploys.PASSPORT_IMPLEMENTATION,
                IdentityPredeploys.BADGE_IMPLEMENTATION
            ][i];
            assertEq(uint256(vm.getNonce(a)), 1, "predeploy nonce");
        }

        assertEq(passport.passportCount(), 0);
        assertEq(passport.badgeContract(), address(badge));
        assertEq(address(badge.passport()), address(passport));
        assertTrue(passport.hasRole(passport.DEFAULT_ADMIN_ROLE(), ACCOUNT_0));
        assertTrue(badge.hasRole(badge.UPGRADER_ROLE(), ACCOUNT_0));
        assertTrue(passport.hasRole(passport.VALIDATOR_ROLE(), ACCOUNT_9));
        assertTrue(passport.hasRole(passport.TASK_ISSUER_ROLE(), ACCOUNT_0));
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        passport.initialize(address(this));
        _mintBadge(ACCOUNT_9_KEY);
        assertEq(passport.did(1), "did:trex:31628:1");

        // The implementations' UUPS `__self` is their predeploy address: upgrades work.
        address next = address(new TRexBadge());
        vm.prank(ACCOUNT_0);
        badge.upgradeToAndCall(next, "");
        assertEq(_implementationOf(address(badge)), next);
    }

    function test_Testnet_UninitialisedUntilInitIdentity() public {
        (passport, badge) = new IdentityGenesis().build("testnet");
        assertEq(block.chainid, 1962);
        _assertDeployment(_deployment(address(passport), address(badge)));
        assertFalse(passport.hasRole(passport.DEFAULT_ADMIN_ROLE(), ACCOUNT_0));
        assertEq(passport.badgeContract(), address(0));

        (, uint256 deployerKey) = makeAddrAndKey("operator");
        (validator, validatorKey) = makeAddrAndKey("validator");
        IdentityScript.Config memory c;
        c.deployerKey = deployerKey;
        c.admin = admin;
        c.validators = new address[](1);
        c.validators[0] = validator;
        InitIdentity init = new InitIdentity();
        init.initialise(c, address(passport), address(badge));
        assertTrue(passport.hasRole(passport.DEFAULT_ADMIN_ROLE(), admin));
        assertEq(passport.badgeContract(), address(badge));
        _mintBadge(validatorKey);

        // `initialize` runs once: a second run stops before sending anything.
        vm.expectRevert(
            abi.encodeWithSelector(InitIdentity.AlreadyInitialised.selector, address(passport))
        );
        init.initialise(c, address(passport), address(badge));
    }

    function test_Mainnet_InitIdentityDetectsAnEarlierInitialiser() public {
        (passport, badge) = new IdentityGenesis().build("mainnet");
        assertEq(address(passport), IdentityPredeploys.MAINNET_PASSPORT);
        assertEq(address(badge), IdentityPredeploys.MAINNET_BADGE);
        _assertDeployment(_deployment(address(passport), address(badge)));

        // Someone else initialises the badge first: the operator's run refuses to go on.
        badge.initialize(makeAddr("squatter"), ITRexPassport(address(passport)));
        (, uint256 deployerKey) = makeAddrAndKey("operator");
        IdentityScript.Config memory c;
        c.deployerKey = deployerKey;
        c.admin = admin;
        InitIdentity init = new InitIdentity();
        vm.expectRevert(
            abi.encodeWithSelector(InitIdentity.AlreadyInitialised.selector, address(badge))
        );
        init.initialise(c, address(passport), address(badge));

        vm.expectRevert(abi.encodeWithSelector(InitIdentity.NotDeployed.selector, address(0xbeef)));
        init.initialise(c, address(0xbeef), address(badge));
    }

    function test_Build_RejectsUnknownNetworksAndTakenAddresses() public {
        IdentityGenesis genesis = new IdentityGenesis();
        vm.expectRevert(abi.encodeWithSelector(IdentityGenesis.UnknownNetwork.selector, "moonnet"));
        genesis.build("moonnet");
        genesis.build("testnet");
        vm.expectRevert(
            abi.encodeWithSelector(
                IdentityGenesis.AddressTaken.selector, IdentityPredeploys.PASSPORT_IMPLEMENTATION
            )
        );
        genesis.build("devnet");
    }
}
