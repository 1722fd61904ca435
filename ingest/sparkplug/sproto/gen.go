// Package sproto holds the Sparkplug B payload schema (sparkplug_b.proto)
// and the Go code protoc generates from it. The generated file is committed,
// so building OxyWatch needs no protoc.
package sproto

//go:generate protoc --go_out=. --go_opt=paths=source_relative sparkplug_b.proto
