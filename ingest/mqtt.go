package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/prometheus/client_golang/prometheus"
)

// MQTTOptions configure the ingester's broker connection.
type MQTTOptions struct {
	URL, Username, Password, ClientID, TopicPrefix string
	Logger                                         *slog.Logger
	Registerer                                     prometheus.Registerer
}

// HandlerFunc processes one message; an error means "not durable: do not ack".
type HandlerFunc func(ctx context.Context, topic string, payload []byte) error

// Subscriber is the paho client on a persistent session: QoS 1, stable client
// id, subscribe in the connect handler, acknowledgement only after the
// handler made the message durable (RELIABILITY.md, paho 1–6).
type Subscriber struct {
	opts      MQTTOptions
	handle    HandlerFunc
	log       *slog.Logger
	client    mqtt.Client
	connected prometheus.Gauge
	reconnect prometheus.Counter

	inflight sync.WaitGroup
	fatal    chan error
	ctx      context.Context
	cancel   context.CancelFunc
	mu       sync.Mutex
	up       bool
}

// NewSubscriber builds a subscriber; Start connects it.
func NewSubscriber(opts MQTTOptions, handle HandlerFunc) *Subscriber {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s := &Subscriber{
		opts: opts, handle: handle, log: opts.Logger.With("component", "mqtt"),
		fatal: make(chan error, 1),
		connected: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "oxywatch_mqtt_connected", Help: "1 while the ingester is connected to the broker.",
		}),
		reconnect: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "oxywatch_mqtt_connection_lost_total", Help: "Times the broker connection was lost.",
		}),
	}
	if opts.Registerer != nil {
		opts.Registerer.MustRegister(s.connected, s.reconnect)
	}
	return s
}

// Start connects in the background; the client keeps retrying until Stop.
func (s *Subscriber) Start(ctx context.Context) {
	s.ctx, s.cancel = context.WithCancel(ctx)
	o := mqtt.NewClientOptions().
		AddBroker(s.opts.URL).
		SetClientID(s.opts.ClientID).
		SetUsername(s.opts.Username).
		SetPassword(s.opts.Password).
		SetCleanSession(false).
		SetOrderMatters(false).
		SetAutoAckDisabled(true).
		SetAutoReconnect(true).
		SetConnectRetry(true).
		SetConnectRetryInterval(time.Second).
		SetMaxReconnectInterval(10 * time.Second).
		SetKeepAlive(30 * time.Second).
		SetDefaultPublishHandler(s.onMessage).
		SetOnConnectHandler(s.onConnect).
		SetConnectionLostHandler(s.onLost)
	s.client = mqtt.NewClient(o)
	s.client.Connect() // with ConnectRetry the token completes only on success
}

func (s *Subscriber) onConnect(c mqtt.Client) {
	p := s.opts.TopicPrefix
	filters := map[string]byte{p + "/+/telemetry": 1, p + "/+/status": 1}
	go func() { // never block the connect handler on the subscribe round trip
		for wait := time.Second; ; wait = min(2*wait, 30*time.Second) {
			tok := c.SubscribeMultiple(filters, s.onMessage)
			if tok.WaitTimeout(30*time.Second) && tok.Error() == nil {
				break
			}
			s.log.Error("subscribe failed; retrying", "err", tok.Error(), "retry_in", wait)
			select {
			case <-s.ctx.Done():
				return
			case <-time.After(wait):
			}
			if !c.IsConnectionOpen() {
				return // the next connection subscribes again
			}
		}
		s.setUp(true)
		s.log.Info("connected to broker and subscribed", "broker", s.opts.URL, "client_id", s.opts.ClientID, "topics", []string{p + "/+/telemetry", p + "/+/status"})
	}()
}

func (s *Subscriber) onLost(_ mqtt.Client, err error) {
	s.setUp(false)
	s.reconnect.Inc()
	s.log.Warn("broker connection lost; reconnecting", "err", err)
}

func (s *Subscriber) setUp(up bool) {
	s.mu.Lock()
	s.up = up
	s.mu.Unlock()
	if up {
		s.connected.Set(1)
	} else {
		s.connected.Set(0)
	}
}

// Connected reports whether the broker connection is up and subscribed.
func (s *Subscriber) Connected() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.up && s.client != nil && s.client.IsConnectionOpen()
}

// onMessage runs on its own goroutine (OrderMatters false). The message is
// acknowledged only after the handler returns nil.
func (s *Subscriber) onMessage(_ mqtt.Client, m mqtt.Message) {
	s.inflight.Add(1)
	defer s.inflight.Done()
	if err := s.handle(s.ctx, m.Topic(), m.Payload()); err != nil {
		// Leaving it unacked on a live connection would stall delivery after
		// the broker's in-flight window (RELIABILITY.md paho 3): stop instead,
		// and let the broker redeliver to the next run.
		select {
		case s.fatal <- fmt.Errorf("message on %s not made durable: %w", m.Topic(), err):
		default:
		}
		return
	}
	m.Ack()
}

// Fatal receives an error when the ingester cannot go on safely.
func (s *Subscriber) Fatal() <-chan error { return s.fatal }

// Stop disconnects (unacknowledged messages stay with the broker's session)
// and waits for handlers that were running.
func (s *Subscriber) Stop() {
	if s.client == nil {
		return
	}
	s.client.Disconnect(250)
	s.inflight.Wait()
	s.cancel()
	s.setUp(false)
}

// ErrNotConnected is returned by readiness checks while the broker is down.
var ErrNotConnected = errors.New("not connected to the MQTT broker")
