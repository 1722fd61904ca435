package sim

import "errors"

// ErrNotConnected is returned by Link.Publish while the link is down.
var ErrNotConnected = errors.New("not connected")

// ErrBusy is returned by Link.Publish when the link cannot take more now;
// the device keeps the reading in its backlog.
var ErrBusy = errors.New("link busy")

// Publisher opens one link per device. The MQTT implementation lives in
// package mqttpub; tests use an in-memory one.
type Publisher interface {
	Link(spec Spec) Link
}

// Link is one device's connection. Methods are called from the simulation
// goroutine only and must not block on the network.
type Link interface {
	// Connect starts connecting in the background (with the last will set);
	// once connected the link publishes "online" (retained). Calling it
	// again while connecting or connected does nothing.
	Connect()
	// Connected reports whether telemetry can be published now.
	Connected() bool
	// Publish queues one telemetry payload (QoS 1). A payload it accepts
	// is the link's to deliver, across reconnections.
	Publish(payload []byte) error
	// Pending is the number of accepted payloads not yet acknowledged.
	Pending() int
	// Drop loses the connection without a goodbye, as a GSM drop-out does;
	// the broker then publishes the last will.
	Drop()
	// Close publishes "offline" (retained) and disconnects cleanly. It may
	// block for a bounded time.
	Close()
}
