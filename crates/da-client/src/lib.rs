//! Client of the OP alt-DA DA-server HTTP API (`PUT /put`, `GET /get/0x<commitment>`).
