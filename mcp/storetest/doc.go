// Package storetest holds the integration tests of the MCP and REST read
// paths against an operator that keeps results in an artifact store: fresh
// URLs on every read, per-image resource links and resources/read of the
// bytes. They need a manager of their own that leads (its controller
// stores the results), so they cannot share the mcp suite, whose leader
// runs without a store.
package storetest
