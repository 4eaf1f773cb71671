//! Integration tests of trex-persona.
