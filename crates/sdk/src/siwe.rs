//! DID login: Sign-In with Ethereum (EIP-4361) messages bound to a T-Rex passport.
//!
//! A dApp proves "this browser controls a wallet of passport N" by having the wallet sign an
//! EIP-4361 message whose `Resources` list holds the passport's DID, `did:trex:<chainId>:<id>`.
//! The server then checks the signature (EIP-191, or ERC-1271 for contract wallets), its own
//! domain and the nonce it issued, the time window and chain id, and finally on chain that the
//! signer is the passport's owner or one of its linked wallets (`passportOfWallet(address) ==
//! id`). Binding through `Resources` keeps the message a plain EIP-4361 message that every wallet
//! displays, and the DID names the chain so a login for one chain never passes on another.

use std::{fmt, str::FromStr};

use alloy_network::{Ethereum, TransactionBuilder};
use alloy_primitives::{Address, B256, Bytes, FixedBytes, Signature, U256, eip191_hash_message};
use alloy_provider::Provider;
use alloy_rpc_types_eth::TransactionRequest;
use alloy_sol_types::{SolCall, sol};
use time::{OffsetDateTime, format_description::well_known::Rfc3339};

use crate::{PassportClient, Result};

sol! {
    /// ERC-1271: how a contract wallet accepts a signature.
    function isValidSignature(bytes32 hash, bytes signature) external view returns (bytes4);
}

/// `isValidSignature`'s answer for a valid signature (its own selector).
const ERC1271_MAGIC: FixedBytes<4> = FixedBytes([0x16, 0x26, 0xba, 0x7e]);

const PREAMBLE: &str = " wants you to sign in with your Ethereum account:";

/// Why a DID login message was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SiweError {
    /// The text does not follow the EIP-4361 grammar.
    #[error("malformed EIP-4361 message, line {line}: {reason}")]
    Malformed {
        /// 1-based line number.
        line: usize,
        /// What is wrong there.
        reason: String,
    },
    /// A message to build has a field the grammar does not allow.
    #[error("invalid EIP-4361 field `{field}`: {reason}")]
    InvalidField {
        /// The field.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The message was made for another site.
    #[error("domain `{actual}` is not this server's `{expected}`")]
    DomainMismatch {
        /// The server's domain.
        expected: String,
        /// The message's.
        actual: String,
    },
    /// The nonce is not the one the server issued for this login.
    #[error("nonce `{actual}` is not the one issued")]
    NonceMismatch {
        /// The message's nonce.
        actual: String,
    },
    /// The message names another chain than the passport contract's.
    #[error("chain id {actual} is not the passport contract's chain {expected}")]
    ChainMismatch {
        /// The passport contract's chain.
        expected: u64,
        /// The message's.
        actual: u64,
    },
    /// `Expiration Time` has passed.
    #[error("the message expired at {0}")]
    Expired(String),
    /// `Not Before` is still ahead.
    #[error("the message is not valid before {0}")]
    NotYetValid(String),
    /// The signature is not 65 bytes of a valid ECDSA signature and no contract wallet accepted it.
    #[error("signature of {address} does not verify: {reason}")]
    BadSignature {
        /// The message's address.
        address: Address,
        /// Why.
        reason: String,
    },
    /// No `did:trex:<chainId>:<id>` resource, or more than one.
    #[error("the message is not bound to one passport: {0}")]
    NotBound(String),
    /// The signer is neither the owner nor a linked wallet of the passport.
    #[error(
        "{address} is not a wallet of passport {passport_id} (it belongs to passport {actual})"
    )]
    NotPassportWallet {
        /// The signer.
        address: Address,
        /// The passport the message names.
        passport_id: U256,
        /// `passportOfWallet(address)`, 0 for none.
        actual: U256,
    },
}

fn malformed(line: usize, reason: impl Into<String>) -> SiweError {
    SiweError::Malformed { line, reason: reason.into() }
}

/// `did:trex:<chainId>:<passportId>`, as `TRexPassport.did` returns it.
pub fn passport_did(chain_id: u64, passport_id: U256) -> String {
    format!("did:trex:{chain_id}:{passport_id}")
}

/// A fresh random nonce (16 alphanumerics) for a login.
pub fn generate_nonce() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    B256::random()
        .iter()
        .take(16)
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect()
}

/// An EIP-4361 message. [`Display`](fmt::Display) writes the exact text a wallet signs;
/// [`FromStr`] reads it back strictly (EIP-4361's ABNF, EIP-55 address, RFC 3339 times).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiweMessage {
    /// Optional URI scheme of the origin (`https`).
    pub scheme: Option<String>,
    /// The RFC 3986 authority asking for the login (`app.example.com`).
    pub domain: String,
    /// The signing wallet.
    pub address: Address,
    /// Human-readable text shown by the wallet (one line).
    pub statement: Option<String>,
    /// The RFC 3986 URI of the resource the login is for.
    pub uri: String,
    /// The chain the login is for (the passport contract's chain).
    pub chain_id: u64,
    /// The server's nonce, at least 8 alphanumerics.
    pub nonce: String,
    /// When the message was made.
    pub issued_at: OffsetDateTime,
    /// When it stops being valid.
    pub expiration_time: Option<OffsetDateTime>,
    /// When it becomes valid.
    pub not_before: Option<OffsetDateTime>,
    /// The server's request id.
    pub request_id: Option<String>,
    /// URIs the login covers; a passport login holds `did:trex:<chainId>:<id>` here.
    pub resources: Vec<String>,
}

impl SiweMessage {
    /// A minimal message; set the other public fields as needed and call
    /// [`bind_passport`](Self::bind_passport) for a DID login.
    pub fn new(
        domain: impl Into<String>,
        address: Address,
        uri: impl Into<String>,
        chain_id: u64,
        nonce: impl Into<String>,
        issued_at: OffsetDateTime,
    ) -> Self {
        Self {
            scheme: None,
            domain: domain.into(),
            address,
            statement: None,
            uri: uri.into(),
            chain_id,
            nonce: nonce.into(),
            issued_at,
            expiration_time: None,
            not_before: None,
            request_id: None,
            resources: Vec::new(),
        }
    }

    /// Adds the passport's DID (on the message's chain) to the resources.
    #[must_use]
    pub fn bind_passport(mut self, passport_id: U256) -> Self {
        self.resources.push(passport_did(self.chain_id, passport_id));
        self
    }

    /// The text to sign, after checking every field against the grammar.
    pub fn to_message(&self) -> Result<String, SiweError> {
        let text = self.to_string();
        // Parsing what we wrote is the one check that covers every field's grammar.
        text.parse::<Self>().map_err(|err| match err {
            SiweError::Malformed { reason, .. } => {
                SiweError::InvalidField { field: "message", reason }
            }
            other => other,
        })?;
        Ok(text)
    }

    /// The passport the message is bound to: the id of its one `did:trex:<chainId>:<id>`
    /// resource, whose chain id must be the message's.
    pub fn bound_passport(&self) -> Result<U256, SiweError> {
        let mut dids = self.resources.iter().filter(|r| r.starts_with("did:trex:"));
        let did = dids.next().ok_or_else(|| SiweError::NotBound("no did:trex resource".into()))?;
        if dids.next().is_some() {
            return Err(SiweError::NotBound("more than one did:trex resource".into()));
        }
        let rest = &did["did:trex:".len()..];
        let (chain, id) = rest.split_once(':').ok_or_else(|| {
            SiweError::NotBound(format!("`{did}` is not did:trex:<chainId>:<id>"))
        })?;
        if chain != self.chain_id.to_string() {
            return Err(SiweError::NotBound(format!(
                "`{did}` names chain {chain}, the message chain {}",
                self.chain_id
            )));
        }
        let canonical = !id.is_empty()
            && id.bytes().all(|b| b.is_ascii_digit())
            && (id == "0" || !id.starts_with('0'));
        match id.parse::<U256>() {
            Ok(id) if canonical && !id.is_zero() => Ok(id),
            _ => Err(SiweError::NotBound(format!("`{did}` has no valid passport id"))),
        }
    }

    /// EIP-191 hash of the message's text as [`Display`](fmt::Display) writes it.
    pub fn eip191_hash(&self) -> B256 {
        eip191_hash_message(self.to_string())
    }
}

fn rfc3339(t: &OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_else(|_| t.to_string())
}

impl fmt::Display for SiweMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(scheme) = &self.scheme {
            write!(f, "{scheme}://")?;
        }
        writeln!(f, "{}{PREAMBLE}", self.domain)?;
        writeln!(f, "{}", self.address.to_checksum(None))?;
        writeln!(f)?;
        if let Some(statement) = &self.statement {
            writeln!(f, "{statement}")?;
        }
        writeln!(f)?;
        writeln!(f, "URI: {}", self.uri)?;
        writeln!(f, "Version: 1")?;
        writeln!(f, "Chain ID: {}", self.chain_id)?;
        writeln!(f, "Nonce: {}", self.nonce)?;
        write!(f, "Issued At: {}", rfc3339(&self.issued_at))?;
        if let Some(t) = &self.expiration_time {
            write!(f, "\nExpiration Time: {}", rfc3339(t))?;
        }
        if let Some(t) = &self.not_before {
            write!(f, "\nNot Before: {}", rfc3339(t))?;
        }
        if let Some(id) = &self.request_id {
            write!(f, "\nRequest ID: {id}")?;
        }
        if !self.resources.is_empty() {
            write!(f, "\nResources:")?;
            for r in &self.resources {
                write!(f, "\n- {r}")?;
            }
        }
        Ok(())
    }
}

const fn is_unreserved(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~')
}

const fn is_sub_delim(c: char) -> bool {
    matches!(c, '!' | '$' | '&' | '\'' | '(' | ')' | '*' | '+' | ',' | ';' | '=')
}

/// RFC 3986 `pchar` (percent signs allowed; their two hex digits are pchars too).
const fn is_pchar(c: char) -> bool {
    is_unreserved(c) || is_sub_delim(c) || matches!(c, ':' | '@' | '%')
}

fn check_authority(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| is_pchar(c) || matches!(c, '[' | ']'))
}

fn check_uri(s: &str) -> bool {
    !s.is_empty() && !s.chars().any(|c| c.is_whitespace()) && url::Url::parse(s).is_ok()
}

fn check_statement(s: &str) -> bool {
    // `*( reserved / unreserved / " " )`.
    s.chars().all(|c| {
        is_unreserved(c)
            || is_sub_delim(c)
            || matches!(c, ' ' | ':' | '/' | '?' | '#' | '[' | ']' | '@')
    })
}

/// Reads the lines of a message one by one, with line numbers for errors.
struct Lines<'a> {
    lines: Vec<&'a str>,
    at: usize,
}

impl<'a> Lines<'a> {
    fn peek(&self) -> Option<&'a str> {
        self.lines.get(self.at).copied()
    }

    fn next(&mut self, what: &str) -> Result<&'a str, SiweError> {
        let line = self.peek().ok_or_else(|| malformed(self.at + 1, format!("missing {what}")))?;
        self.at += 1;
        Ok(line)
    }

    fn tagged(&mut self, tag: &str) -> Result<&'a str, SiweError> {
        let line = self.next(tag)?;
        line.strip_prefix(tag)
            .and_then(|l| l.strip_prefix(": "))
            .ok_or_else(|| malformed(self.at, format!("expected `{tag}: …`, found `{line}`")))
    }

    fn optional(&mut self, tag: &str) -> Option<&'a str> {
        let value = self.peek()?.strip_prefix(tag)?.strip_prefix(": ")?;
        self.at += 1;
        Some(value)
    }

    fn time(&self, value: &str) -> Result<OffsetDateTime, SiweError> {
        OffsetDateTime::parse(value, &Rfc3339)
            .map_err(|e| malformed(self.at, format!("`{value}` is not an RFC 3339 date-time: {e}")))
    }
}

impl FromStr for SiweMessage {
    type Err = SiweError;

    fn from_str(text: &str) -> Result<Self, SiweError> {
        if text.contains('\r') {
            return Err(malformed(1, "lines end with LF only"));
        }
        let mut lines = Lines { lines: text.split('\n').collect(), at: 0 };

        let first = lines.next("preamble")?;
        let origin = first
            .strip_suffix(PREAMBLE)
            .ok_or_else(|| malformed(1, format!("expected `<domain>{PREAMBLE}`")))?;
        let (scheme, domain) = match origin.split_once("://") {
            Some((scheme, domain)) => (Some(scheme), domain),
            None => (None, origin),
        };
        if let Some(scheme) = scheme {
            let mut chars = scheme.chars();
            let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
                && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
            if !valid {
                return Err(malformed(1, format!("`{scheme}` is not a URI scheme")));
            }
        }
        if !check_authority(domain) {
            return Err(malformed(1, format!("`{domain}` is not an RFC 3986 authority")));
        }

        let raw = lines.next("address")?;
        let address = Address::parse_checksummed(raw, None)
            .map_err(|_| malformed(2, format!("`{raw}` is not an EIP-55 checksummed address")))?;

        if !lines.next("blank line")?.is_empty() {
            return Err(malformed(3, "expected a blank line after the address"));
        }
        let statement = match lines.next("statement or blank line")? {
            "" => None,
            statement => {
                if !check_statement(statement) {
                    return Err(malformed(4, "the statement has characters EIP-4361 forbids"));
                }
                if !lines.next("blank line")?.is_empty() {
                    return Err(malformed(5, "expected a blank line after the statement"));
                }
                Some(statement.to_owned())
            }
        };

        let uri = lines.tagged("URI")?;
        if !check_uri(uri) {
            return Err(malformed(lines.at, format!("`{uri}` is not an RFC 3986 URI")));
        }
        let version = lines.tagged("Version")?;
        if version != "1" {
            return Err(malformed(lines.at, format!("version `{version}` is not 1")));
        }
        let chain = lines.tagged("Chain ID")?;
        let chain_id = chain
            .parse::<u64>()
            .ok()
            .filter(|_| chain.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| malformed(lines.at, format!("`{chain}` is not a chain id")))?;
        let nonce = lines.tagged("Nonce")?;
        if nonce.len() < 8 || !nonce.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(malformed(lines.at, "the nonce must be 8 or more alphanumerics"));
        }
        let issued_at = lines.tagged("Issued At")?;
        let issued_at = lines.time(issued_at)?;
        let expiration_time =
            lines.optional("Expiration Time").map(|t| lines.time(t)).transpose()?;
        let not_before = lines.optional("Not Before").map(|t| lines.time(t)).transpose()?;
        let request_id = match lines.optional("Request ID") {
            Some(id) if !id.chars().all(is_pchar) => {
                return Err(malformed(lines.at, "the request id has characters EIP-4361 forbids"));
            }
            other => other.map(str::to_owned),
        };
        let mut resources = Vec::new();
        if lines.peek() == Some("Resources:") {
            lines.at += 1;
            while let Some(line) = lines.peek() {
                let resource = line
                    .strip_prefix("- ")
                    .filter(|r| check_uri(r))
                    .ok_or_else(|| malformed(lines.at + 1, format!("`{line}` is not `- <URI>`")))?;
                resources.push(resource.to_owned());
                lines.at += 1;
            }
        }
        if let Some(extra) = lines.peek() {
            return Err(malformed(lines.at + 1, format!("unexpected `{extra}`")));
        }

        Ok(Self {
            scheme: scheme.map(str::to_owned),
            domain: domain.to_owned(),
            address,
            statement,
            uri: uri.to_owned(),
            chain_id,
            nonce: nonce.to_owned(),
            issued_at,
            expiration_time,
            not_before,
            request_id,
            resources,
        })
    }
}

/// What the server expects of a login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginExpectations {
    /// The server's own domain (RFC 3986 authority, as the browser sees it).
    pub domain: String,
    /// The nonce the server issued for this login (and will not accept again).
    pub nonce: String,
    /// Now, for the time window.
    pub now: OffsetDateTime,
}

/// A login that verified: who signed and which passport they control.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedLogin {
    /// The signing wallet (the passport's owner or a linked wallet).
    pub address: Address,
    /// The passport.
    pub passport_id: U256,
    /// Its DID.
    pub did: String,
    /// The parsed message.
    pub message: SiweMessage,
}

/// Verifies a DID login server-side: parses `message` strictly, checks domain, nonce, time
/// window and chain id (the passport contract's chain), the signature (EIP-191 by the message's
/// address, or ERC-1271 when that address is a contract), and on chain that the address is the
/// passport's owner or a linked wallet. Refusals are [`Error::Siwe`](crate::Error::Siwe).
pub async fn verify_login<P: Provider<Ethereum>>(
    message: &str,
    signature: &[u8],
    expected: &LoginExpectations,
    passports: &PassportClient<P>,
) -> Result<VerifiedLogin> {
    let parsed: SiweMessage = message.parse()?;
    if parsed.domain != expected.domain {
        return Err(SiweError::DomainMismatch {
            expected: expected.domain.clone(),
            actual: parsed.domain,
        }
        .into());
    }
    if parsed.nonce != expected.nonce {
        return Err(SiweError::NonceMismatch { actual: parsed.nonce }.into());
    }
    if let Some(expiration) = parsed.expiration_time
        && expected.now >= expiration
    {
        return Err(SiweError::Expired(rfc3339(&expiration)).into());
    }
    if let Some(not_before) = parsed.not_before
        && expected.now < not_before
    {
        return Err(SiweError::NotYetValid(rfc3339(&not_before)).into());
    }
    let passport_id = parsed.bound_passport()?;
    let chain_id = passports.provider().get_chain_id().await?;
    if parsed.chain_id != chain_id {
        return Err(SiweError::ChainMismatch { expected: chain_id, actual: parsed.chain_id }.into());
    }
    check_signature(passports.provider(), message, signature, parsed.address).await?;
    let actual = passports.passport_of_wallet(parsed.address).await?;
    if actual != passport_id {
        return Err(
            SiweError::NotPassportWallet { address: parsed.address, passport_id, actual }.into()
        );
    }
    Ok(VerifiedLogin {
        address: parsed.address,
        passport_id,
        did: passport_did(chain_id, passport_id),
        message: parsed,
    })
}

/// EIP-191 recovery; when that does not yield `address` and `address` holds code, ERC-1271.
async fn check_signature<P: Provider<Ethereum>>(
    provider: &P,
    message: &str,
    signature: &[u8],
    address: Address,
) -> Result<()> {
    let hash = eip191_hash_message(message);
    let recovered = Signature::try_from(signature)
        .ok()
        .and_then(|sig| sig.recover_address_from_prehash(&hash).ok());
    if recovered == Some(address) {
        return Ok(());
    }
    let bad = |reason: String| SiweError::BadSignature { address, reason };
    if provider.get_code_at(address).await?.is_empty() {
        let reason = match recovered {
            Some(other) => format!("it recovers to {other}"),
            None => "it is not a 65-byte ECDSA signature".to_owned(),
        };
        return Err(bad(reason).into());
    }
    let call = isValidSignatureCall { hash, signature: Bytes::copy_from_slice(signature) };
    let tx = TransactionRequest::default().with_to(address).with_input(call.abi_encode());
    let accepted = match provider.call(tx).await {
        Ok(out) => isValidSignatureCall::abi_decode_returns(&out).ok() == Some(ERC1271_MAGIC),
        Err(_) => false,
    };
    if accepted {
        Ok(())
    } else {
        Err(bad("the contract wallet refused it (ERC-1271)".into()).into())
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::address;
    use time::macros::datetime;

    use super::*;

    const ADDRESS: Address = address!("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");

    fn message() -> SiweMessage {
        let mut m = SiweMessage::new(
            "app.example.com",
            ADDRESS,
            "https://app.example.com/login",
            31628,
            "abcDEF123456",
            datetime!(2025-01-01 00:00:00 UTC),
        )
        .bind_passport(U256::from(7));
        m.statement = Some("Sign in to Example with your T-Rex passport.".into());
        m.expiration_time = Some(datetime!(2025-01-01 00:10:00 UTC));
        m
    }

    #[test]
    fn writes_the_eip4361_layout() {
        let text = message().to_message().unwrap();
        assert_eq!(
            text,
            "app.example.com wants you to sign in with your Ethereum account:\n\
             0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266\n\n\
             Sign in to Example with your T-Rex passport.\n\n\
             URI: https://app.example.com/login\n\
             Version: 1\n\
             Chain ID: 31628\n\
             Nonce: abcDEF123456\n\
             Issued At: 2025-01-01T00:00:00Z\n\
             Expiration Time: 2025-01-01T00:10:00Z\n\
             Resources:\n\
             - did:trex:31628:7"
        );
        assert_eq!(text.parse::<SiweMessage>().unwrap(), message());
        assert_eq!(message().bound_passport().unwrap(), U256::from(7));
    }

    #[test]
    fn without_statement_two_blank_lines_follow_the_address() {
        let mut m = message();
        m.statement = None;
        m.scheme = Some("https".into());
        m.request_id = Some("req-1".into());
        let text = m.to_string();
        assert!(text.starts_with("https://app.example.com wants"));
        assert!(text.contains("92266\n\n\nURI: "), "{text}");
        assert_eq!(text.parse::<SiweMessage>().unwrap(), m);
    }

    #[test]
    fn strict_parse_rejects_deviations() {
        let good = message().to_string();
        let cases = [
            good.replace("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", &format!("{ADDRESS:#x}")),
            good.replace("Version: 1", "Version: 2"),
            good.replace("Nonce: abcDEF123456", "Nonce: abc"),
            good.replace("Nonce: abcDEF123456", "Nonce: abcDEF-123456"),
            good.replace("2025-01-01T00:00:00Z", "2025-01-01 00:00:00"),
            good.replace("Chain ID: 31628", "Chain ID: 0x7b8c"),
            good.replace("\n- did:trex", "\n-did:trex"),
            good.replace('\n', "\r\n"),
            format!("{good}\n"),
            good.replace("Expiration Time", "Expires"),
            good.replace("URI: https://app.example.com/login", "URI: not a uri"),
        ];
        for bad in cases {
            assert!(bad.parse::<SiweMessage>().is_err(), "accepted:\n{bad}");
        }
    }

    #[test]
    fn binding_needs_one_did_on_the_message_chain() {
        let mut m = message();
        m.resources = vec!["https://example.com".into()];
        assert!(matches!(m.bound_passport(), Err(SiweError::NotBound(_))));
        m.resources = vec!["did:trex:1628:7".into()];
        assert!(matches!(m.bound_passport(), Err(SiweError::NotBound(_))));
        m.resources = vec!["did:trex:31628:7".into(), "did:trex:31628:8".into()];
        assert!(matches!(m.bound_passport(), Err(SiweError::NotBound(_))));
        m.resources = vec!["did:trex:31628:07".into()];
        assert!(matches!(m.bound_passport(), Err(SiweError::NotBound(_))));
    }

    #[test]
    fn nonces_are_long_enough_and_alphanumeric() {
        let nonce = generate_nonce();
        assert_eq!(nonce.len(), 16);
        assert!(nonce.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_ne!(nonce, generate_nonce());
    }
}
