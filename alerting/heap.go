package alerting

// timerHeap orders devices by their next due time (offline deadline, pending
// `for` deadline, end of a flapping hold). Each device is in it at most once;
// a device whose deadline moved later keeps its old key and is re-pushed when
// popped, so a reading costs no heap work unless a deadline moves earlier.
type timerHeap []*device

func (h timerHeap) less(i, j int) bool { return h[i].due < h[j].due }

func (h timerHeap) swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].heapIdx = int32(i)
	h[j].heapIdx = int32(j)
}

func (h *timerHeap) push(d *device, due int64) {
	d.due = due
	d.heapIdx = int32(len(*h))
	*h = append(*h, d)
	h.up(len(*h) - 1)
}

// pop removes and returns the earliest device.
func (h *timerHeap) pop() *device {
	old := *h
	n := len(old) - 1
	h.swap(0, n)
	d := old[n]
	old[n] = nil
	*h = old[:n]
	if n > 0 {
		h.down(0)
	}
	d.heapIdx = -1
	return d
}

// moveEarlier lowers a queued device's key.
func (h timerHeap) moveEarlier(d *device, due int64) {
	d.due = due
	h.up(int(d.heapIdx))
}

func (h timerHeap) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !h.less(i, p) {
			return
		}
		h.swap(i, p)
		i = p
	}
}

func (h timerHeap) down(i int) {
	n := len(h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && h.less(r, l) {
			m = r
		}
		if !h.less(m, i) {
			return
		}
		h.swap(i, m)
		i = m
	}
}
