package config

// Notify configures SMS, email and webhook delivery. The notification feature
// owns this file.
type Notify struct{}

func defaultNotify() Notify { return Notify{} }

func (n *Notify) validate(bad func(key, format string, args ...any)) {}
