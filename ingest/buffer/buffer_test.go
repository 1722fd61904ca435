package buffer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)

func mustOpen(t *testing.T, dir string) *Buffer {
	t.Helper()
	b, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func appendN(t *testing.T, b *Buffer, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		if err := b.Append(context.Background(), []byte(fmt.Sprintf("m v=%d %d", i, i)), 1, t0.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
}

func readAll(t *testing.T, b *Buffer) []string {
	t.Helper()
	es, err := b.Read(1 << 30)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, string(e.Data))
	}
	return out
}

// Outage then accept: nothing is removed until the sender commits.
func TestOutageThenAccept(t *testing.T) {
	b := mustOpen(t, t.TempDir())
	defer b.Close()
	appendN(t, b, 0, 10)
	for range 3 { // three failed sends: read again, no commit
		if got := readAll(t, b); len(got) != 10 {
			t.Fatalf("got %d entries, want 10", len(got))
		}
	}
	if s := b.Stats(); s.Depth != 10 || !s.OldestUnsent.Equal(t0) {
		t.Errorf("got depth %d oldest %v, want 10 and %v", s.Depth, s.OldestUnsent, t0)
	}
	es, _ := b.Read(1 << 30)
	b.Commit(es[len(es)-1].Index + 1)
	if got := readAll(t, b); len(got) != 0 {
		t.Errorf("got %d entries after commit, want 0", len(got))
	}
	if s := b.Stats(); s.Depth != 0 || !s.OldestUnsent.IsZero() {
		t.Errorf("got %+v, want empty", s)
	}
}

// Close and reopen: unsent entries survive; trimmed ones do not come back.
func TestCloseAndReopen(t *testing.T) {
	dir := t.TempDir()
	b := mustOpen(t, dir)
	appendN(t, b, 0, 6)
	es, _ := b.Read(3)
	if len(es) != 3 {
		t.Fatalf("Read(3) got %d entries, want 3", len(es))
	}
	b.Commit(es[2].Index + 1)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	b = mustOpen(t, dir)
	defer b.Close()
	got := readAll(t, b)
	want := []string{"m v=3 3", "m v=4 4", "m v=5 5"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got %v, want %v", got, want)
	}
}

// Drain and reuse: an emptied buffer takes new entries, also after reopen.
func TestDrainAndReuse(t *testing.T) {
	dir := t.TempDir()
	b := mustOpen(t, dir)
	appendN(t, b, 0, 4)
	es, _ := b.Read(100)
	b.Commit(es[len(es)-1].Index + 1)
	if err := b.Trim(); err != nil {
		t.Fatal(err)
	}
	b.Close()
	b = mustOpen(t, dir)
	defer b.Close()
	if got := readAll(t, b); len(got) != 0 {
		t.Fatalf("got %v after drain and reopen, want nothing", got)
	}
	appendN(t, b, 4, 2)
	if got := readAll(t, b); strings.Join(got, "|") != "m v=4 4|m v=5 5" {
		t.Errorf("got %v, want the two new entries", got)
	}
}

// Partial accept: committing part of a read leaves the rest queued in order.
func TestPartialAccept(t *testing.T) {
	b := mustOpen(t, t.TempDir())
	defer b.Close()
	appendN(t, b, 0, 5)
	es, _ := b.Read(100)
	b.Commit(es[1].Index + 1)
	if got := readAll(t, b); strings.Join(got, "|") != "m v=2 2|m v=3 3|m v=4 4" {
		t.Errorf("got %v", got)
	}
}

// Read honours the line budget but always returns at least one entry.
func TestReadLineBudget(t *testing.T) {
	b := mustOpen(t, t.TempDir())
	defer b.Close()
	ctx := context.Background()
	b.Append(ctx, []byte("a\nb\nc"), 3, t0)
	b.Append(ctx, []byte("d"), 1, t0)
	if es, _ := b.Read(2); len(es) != 1 || es[0].Lines != 3 {
		t.Errorf("got %+v, want the one 3-line entry", es)
	}
	if es, _ := b.Read(4); len(es) != 2 {
		t.Errorf("got %d entries, want 2", len(es))
	}
}

// Concurrent appends are all stored, each exactly once.
func TestConcurrentAppends(t *testing.T) {
	dir := t.TempDir()
	b := mustOpen(t, dir)
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				if err := b.Append(context.Background(), []byte(fmt.Sprintf("g%d-%d", g, i)), 1, t0); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	b.Close()
	b = mustOpen(t, dir)
	defer b.Close()
	seen := map[string]bool{}
	for _, s := range readAll(t, b) {
		if seen[s] {
			t.Fatalf("%s stored twice", s)
		}
		seen[s] = true
	}
	if len(seen) != 16*200 {
		t.Errorf("got %d entries, want %d", len(seen), 16*200)
	}
}

func TestAppendAfterClose(t *testing.T) {
	b := mustOpen(t, t.TempDir())
	b.Close()
	if err := b.Append(context.Background(), []byte("x"), 1, t0); err != ErrClosed {
		t.Errorf("got %v, want ErrClosed", err)
	}
	if err := b.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// A torn segment is moved aside so ingest can go on.
// TestTornTailRepaired: a power cut during a write leaves a torn entry at
// the end of the newest segment. It is cut off (and kept beside the
// buffer); every whole entry before it is kept and appends go on.
func TestTornTailRepaired(t *testing.T) {
	for name, tail := range map[string][]byte{
		"torn length prefix": {0xff, 0xff, 0xff},
		"short entry":        {40, 1, 2, 3},
		"zeros":              make([]byte, 4096),
	} {
		t.Run(name, func(t *testing.T) {
			Repaired, Quarantined = 0, ""
			dir := filepath.Join(t.TempDir(), "buf")
			b := mustOpen(t, dir)
			appendN(t, b, 0, 3)
			b.Close()
			segs, _ := filepath.Glob(filepath.Join(dir, "0*"))
			f, _ := os.OpenFile(segs[len(segs)-1], os.O_APPEND|os.O_WRONLY, 0)
			f.Write(tail)
			f.Close()
			b = mustOpen(t, dir)
			defer b.Close()
			if Quarantined != "" || Repaired != int64(len(tail)) {
				t.Fatalf("quarantined %q, repaired %d bytes; want the %d torn bytes cut and nothing moved aside", Quarantined, Repaired, len(tail))
			}
			if got := readAll(t, b); len(got) != 3 {
				t.Fatalf("after the repair the buffer holds %q, want the 3 whole entries", got)
			}
			appendN(t, b, 3, 1)
			if got := readAll(t, b); len(got) != 4 {
				t.Fatalf("append after the repair: %d entries, want 4", len(got))
			}
			if kept, _ := filepath.Glob(dir + ".torn-*"); len(kept) != 1 {
				t.Errorf("torn bytes not kept beside the buffer: %v", kept)
			}
		})
	}
}

// TestDiskReserveRefusesBeforeTheDiskIsFull: with less free space than the
// reserve, an append is refused with ErrDiskFull and nothing is written;
// with space again, appends go on.
func TestDiskReserveRefusesBeforeTheDiskIsFull(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "buf")
	free, err := freeBytes(filepath.Dir(dir))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Open(dir, Options{Reserve: free + 1<<30})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	err = b.Append(context.Background(), []byte("m v=1 1"), 1, t0)
	if !errors.Is(err, ErrDiskFull) || !errors.Is(b.Failing(), ErrDiskFull) {
		t.Fatalf("append with the disk under the reserve: %v (failing %v), want ErrDiskFull", err, b.Failing())
	}
	if got := readAll(t, b); len(got) != 0 {
		t.Fatalf("a refused append left %q in the buffer", got)
	}
	b.opts.Reserve = 1 // space again
	appendN(t, b, 0, 2)
	if b.Failing() != nil || len(readAll(t, b)) != 2 {
		t.Fatalf("appends did not resume: failing %v", b.Failing())
	}
}

func BenchmarkAppendParallel(b *testing.B) {
	buf, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer buf.Close()
	line := []byte(`o2_reading,device=psa-001,kind=psa flow_lpm=410,purity_pct=93.4,pressure_bar=4.8,runtime_h=12034.5 1795161600000`)
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := buf.Append(context.Background(), line, 1, t0); err != nil {
				b.Error(err)
			}
		}
	})
}

// AppendAsync tells each append once it is on disk, in the order of the
// appends, from one goroutine; what it told is read back after a reopen.
func TestAppendAsyncTellsInOrder(t *testing.T) {
	dir := t.TempDir()
	b := mustOpen(t, dir)
	const n = 2000
	var mu sync.Mutex
	var told []int
	all := make(chan struct{})
	for i := range n {
		b.AppendAsync(context.Background(), []byte(fmt.Sprintf("m v=%d", i)), 1, t0, func(err error) {
			if err != nil {
				t.Errorf("append %d: %v", i, err)
			}
			mu.Lock()
			told = append(told, i)
			if len(told) == n {
				close(all)
			}
			mu.Unlock()
		})
	}
	select {
	case <-all:
	case <-time.After(30 * time.Second):
		t.Fatal("not every append was told within 30 s")
	}
	for i, got := range told {
		if got != i {
			t.Fatalf("told %d in place %d: out of order", got, i)
		}
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	b = mustOpen(t, dir)
	defer b.Close()
	if got := readAll(t, b); len(got) != n || got[0] != "m v=0" || got[n-1] != fmt.Sprintf("m v=%d", n-1) {
		t.Fatalf("reopened buffer holds %d entries (%q … %q), want %d in order", len(got), got[0], got[len(got)-1], n)
	}
}

// Every AppendAsync is told, ErrClosed for those the closing buffer did
// not write; after Close, at once.
func TestAppendAsyncAcrossClose(t *testing.T) {
	b := mustOpen(t, t.TempDir())
	var wg sync.WaitGroup
	var mu sync.Mutex
	told := 0
	for g := range 4 {
		wg.Go(func() {
			for i := range 500 {
				done := make(chan struct{})
				b.AppendAsync(context.Background(), []byte(fmt.Sprintf("g%d-%d", g, i)), 1, t0, func(err error) {
					if err != nil && !errors.Is(err, ErrClosed) {
						t.Errorf("append: %v", err)
					}
					mu.Lock()
					told++
					mu.Unlock()
					close(done)
				})
				if i%50 == 0 {
					<-done
				}
			}
		})
	}
	b.Close()
	wg.Wait()
	testEventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return told == 2000 })
	got := make(chan error, 1)
	b.AppendAsync(context.Background(), []byte("late"), 1, t0, func(err error) { got <- err })
	if err := <-got; !errors.Is(err, ErrClosed) {
		t.Fatalf("append after Close told %v, want ErrClosed", err)
	}
}

func testEventually(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 30 s")
		}
		time.Sleep(10 * time.Millisecond) // polling with a deadline
	}
}

// Entries are read without a copy (Entry.Data is the WAL's memory, and the
// sender makes strings of it without copying): what a read returned must
// stay as it was while appends fill segments and start new ones, and
// trims and a reopen after a failed write replace the WAL's memory.
func TestReadDataNeverChanges(t *testing.T) {
	dir := t.TempDir()
	b, err := Open(dir, Options{SegmentSize: 4 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	type kept struct {
		data []byte
		want string
	}
	var all []kept
	line := func(i int) string { return fmt.Sprintf("m,device=d%d v=%d %d", i%13, i, i) + strings.Repeat("x", i%97) }
	next := 0
	for round := range 30 {
		for range 40 {
			if err := b.Append(context.Background(), []byte(line(next)), 1, t0); err != nil {
				t.Fatal(err)
			}
			next++
		}
		es, err := b.Read(25)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			all = append(all, kept{e.Data, string(e.Data)})
		}
		b.Commit(es[len(es)-1].Index + 1)
		if err := b.Trim(); err != nil {
			t.Fatal(err)
		}
		if round%10 == 9 {
			if err := b.reopen(); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i, k := range all {
		if string(k.data) != k.want {
			t.Fatalf("entry %d read earlier changed: %q, was %q", i, k.data, k.want)
		}
		if k.want != line(i) {
			t.Fatalf("entry %d is %q, want %q", i, k.want, line(i))
		}
	}
	if len(all) != 30*25 {
		t.Fatalf("read %d entries, want %d", len(all), 30*25)
	}
}

// The sender's reads and the metrics' Stats run at once; the WAL loads an
// older segment into its cache under its read lock only, so the buffer
// must not let two of its reads in together (go test -race finds it).
func TestReadsAndStatsAtOnce(t *testing.T) {
	b, err := Open(t.TempDir(), Options{SegmentSize: 1 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	appendN(t, b, 0, 400) // about 30 segments
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for range 200 {
				if s := b.Stats(); s.Depth > 0 && s.OldestUnsent.IsZero() {
					t.Error("Stats found no oldest entry in a buffer that holds some")
					return
				}
			}
		})
	}
	read := 0
	for read < 400 {
		es, err := b.Read(7)
		if err != nil {
			t.Fatal(err)
		}
		read += len(es)
		b.Commit(es[len(es)-1].Index + 1)
	}
	wg.Wait()
}
