package alerting

import (
	"reflect"
	"sync"
	"testing"
)

// TestPartsHoldNoEngine keeps the lock order structural: a part reaches,
// through its fields, only parts below it, never the engine or a shard, so
// it cannot take a lock above its own while holding its own; and the
// engine's only locks are its shards'.
func TestPartsHoldNoEngine(t *testing.T) {
	rank := map[reflect.Type]int{
		reflect.TypeFor[writer]():     0,
		reflect.TypeFor[silences]():   0,
		reflect.TypeFor[alertBook]():  1,
		reflect.TypeFor[timeline]():   1,
		reflect.TypeFor[facilities](): 2,
		reflect.TypeFor[alerter]():    3,
		reflect.TypeFor[clocks]():     4,
	}
	engine, sh := reflect.TypeFor[Engine](), reflect.TypeFor[shard]()
	for part, r := range rank {
		for _, got := range reachable(part) {
			if got == engine || got == sh {
				t.Errorf("%s reaches %s: a part must not call back above itself", part.Name(), got.Name())
			}
			if gr, ok := rank[got]; ok && got != part && gr >= r {
				t.Errorf("%s (rank %d) reaches %s (rank %d): a part may only hold parts below it", part.Name(), r, got.Name(), gr)
			}
		}
	}
	for i := range engine.NumField() {
		f := engine.Field(i)
		if f.Type == reflect.TypeFor[sync.Mutex]() || f.Type == reflect.TypeFor[sync.RWMutex]() {
			t.Errorf("Engine.%s: the engine's state belongs to its shards and parts, each with its lock", f.Name)
		}
	}
}

// TestPartsCheckCanFail: the walk sees a part held through a pointer, a
// map and a slice, so TestPartsHoldNoEngine would see one held wrongly.
func TestPartsCheckCanFail(t *testing.T) {
	type wrong struct {
		ByName map[string][]*Engine
	}
	found := false
	for _, got := range reachable(reflect.TypeFor[wrong]()) {
		found = found || got == reflect.TypeFor[Engine]()
	}
	if !found {
		t.Error("a map of slices of *Engine was not seen")
	}
}

// reachable lists the named struct types t's fields lead to, t included.
func reachable(t reflect.Type) []reflect.Type {
	seen := map[reflect.Type]bool{}
	var out []reflect.Type
	var walk func(reflect.Type)
	walk = func(t reflect.Type) {
		switch t.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Array, reflect.Chan:
			walk(t.Elem())
		case reflect.Map:
			walk(t.Key())
			walk(t.Elem())
		case reflect.Struct:
			if seen[t] {
				return
			}
			seen[t] = true
			out = append(out, t)
			for i := range t.NumField() {
				walk(t.Field(i).Type)
			}
		}
	}
	walk(t)
	return out
}
