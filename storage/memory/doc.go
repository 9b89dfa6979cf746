// Package memory is the in-memory twin of packages postgres and redis: a
// Store with every method of postgres.Store, and Sessions, Limiter and
// Throttle with those of redis, behaving the same (the contract suites in
// storagetest run against both). It serves the sandbox and tests; nothing
// in it outlives the process. Its files bear the names of postgres's files
// that hold the same methods.
package memory
