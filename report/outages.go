package report

import (
	"cmp"
	"container/heap"
	"slices"
)

// outageList keeps the longest outages seen, at most max of them, so a
// fleet-wide report stays small however many short outages there were.
type outageList struct {
	max   int
	items outageHeap
}

func newOutageList(max int) *outageList { return &outageList{max: max} }

func (l *outageList) add(o *Outage) {
	if l == nil || l.max <= 0 {
		return
	}
	if len(l.items) < l.max {
		heap.Push(&l.items, *o)
		return
	}
	if longer(*o, l.items[0]) {
		l.items[0] = *o
		heap.Fix(&l.items, 0)
	}
}

// sorted returns the kept outages by start time.
func (l *outageList) sorted() []Outage {
	if l == nil {
		return []Outage{}
	}
	out := slices.Clone([]Outage(l.items))
	sortOutages(out)
	if out == nil {
		out = []Outage{}
	}
	return out
}

// longer orders outages by down time, ties broken by earlier start and device.
func longer(a, b Outage) bool {
	if a.DownH != b.DownH {
		return a.DownH > b.DownH
	}
	return cmp.Or(b.Start.Compare(a.Start), cmp.Compare(b.Device, a.Device)) > 0
}

// outageHeap is a min-heap: the shortest kept outage is on top.
type outageHeap []Outage

func (h outageHeap) Len() int           { return len(h) }
func (h outageHeap) Less(i, j int) bool { return longer(h[j], h[i]) }
func (h outageHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *outageHeap) Push(x any)        { *h = append(*h, x.(Outage)) }
func (h *outageHeap) Pop() any {
	old := *h
	o := old[len(old)-1]
	*h = old[:len(old)-1]
	return o
}
