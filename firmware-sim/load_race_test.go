//go:build race

package main

// loadRate is the load test's target under the race detector, which slows
// the simulator and the client library several times over.
const loadRate = 2000
