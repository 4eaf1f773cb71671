-- Conditions documents registered per badge class. `params_hash` equals the class's on-chain
-- paramsHash when the document is accepted; `document` is the canonical form that hashes to it.
CREATE TABLE class_conditions (
    class_id NUMERIC(78, 0) PRIMARY KEY,
    params_hash BYTEA NOT NULL CHECK (length(params_hash) = 32),
    kind TEXT NOT NULL,
    document JSONB NOT NULL,
    registered_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Every attestation this service signed and handed out. `subject` is the mint's recipient
-- (20 bytes), the linked Solana address (32 bytes) or the Web2 handle's keccak256 (32 bytes;
-- never the handle); `platform` is keccak256 of the Web2 platform name.
CREATE TABLE attestations (
    id BYTEA PRIMARY KEY CHECK (length(id) = 32),
    type TEXT NOT NULL CHECK (type IN ('mint', 'link_solana', 'link_web2')),
    class_id NUMERIC(78, 0),
    passport_id NUMERIC(78, 0) NOT NULL,
    subject BYTEA NOT NULL,
    platform BYTEA,
    deadline BIGINT NOT NULL,
    signature BYTEA NOT NULL,
    issued_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK ((type = 'mint') = (class_id IS NOT NULL)),
    CHECK ((type = 'link_web2') = (platform IS NOT NULL))
);
CREATE INDEX attestations_passport ON attestations (passport_id);

-- zkTLS proofs used by an issued attestation, by claim identifier: each proof is used once.
CREATE TABLE used_proofs (
    identifier BYTEA PRIMARY KEY CHECK (length(identifier) = 32),
    attestation_id BYTEA NOT NULL REFERENCES attestations (id),
    used_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Event codes redeemed by an issued attestation, by keccak256 of the code: each code once.
CREATE TABLE redeemed_event_codes (
    code_hash BYTEA PRIMARY KEY CHECK (length(code_hash) = 32),
    attestation_id BYTEA NOT NULL REFERENCES attestations (id),
    redeemed_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
