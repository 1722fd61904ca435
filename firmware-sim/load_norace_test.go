//go:build !race

package main

// loadRate is the load test's target: the rate the issue asks for.
const loadRate = 10000
